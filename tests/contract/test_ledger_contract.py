"""The storage contract of the holder's ledger read a page at a time — on memory, SQLite
and PostgreSQL.

``newest_for_account`` is what ``/riwayat`` and ``GET /v1/me/access-log`` read: newest
first by ``(at, id)``, at most ``limit``, strictly after a cursor. The pages read one
after another must be the whole ledger (``for_account``, which the data download keeps)
reversed: no entry missed, none repeated, entries of the same instant included.
The fixtures are those of ``test_storage_contract.py`` (every storage adapter).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_storage_contract import NOW, storage  # noqa: F401 - the fixture every test takes

from siapkerja_core.ports import Storage
from siapkerja_core.records import AccessRecord, LedgerCursor

_accounts = itertools.count()


def entry(record_id: str, *, seconds: float, account: str = "acct-1") -> AccessRecord:
    return AccessRecord(
        id=record_id,
        account_id=account,
        at=NOW + timedelta(seconds=seconds),
        audience="anonymous",
        fields=("headline",),
        channel="link",
    )


def pages(storage: Storage, account: str, size: int) -> list[list[str]]:  # noqa: F811
    """Every page of ``account``'s ledger, read one after another as the page does."""
    found: list[list[str]] = []
    before: LedgerCursor | None = None
    while True:
        with storage.transaction() as tx:
            page = tx.access_log.newest_for_account(account, limit=size, before=before)
        if not page:
            return found
        assert len(page) <= size
        found.append([r.id for r in page])
        before = LedgerCursor.after(page[-1])


def test_the_newest_come_first_and_at_most_limit(storage: Storage) -> None:  # noqa: F811
    storage.log_access(entry("b", seconds=1))
    storage.log_access(entry("a", seconds=3))
    storage.log_access(entry("z", seconds=2, account="acct-2"))
    with storage.transaction() as tx:
        tx.access_log.append(entry("c", seconds=2))
        # Its own writes, newest first, the other holder's left out.
        assert [r.id for r in tx.access_log.newest_for_account("acct-1", limit=10)] == [
            "a",
            "c",
            "b",
        ]
    with storage.transaction() as tx:
        newest = tx.access_log.newest_for_account("acct-1", limit=2)
        assert newest == [entry("a", seconds=3), entry("c", seconds=2)]  # every field kept
        assert tx.access_log.newest_for_account("acct-1", limit=0) == []
        assert tx.access_log.newest_for_account("acct-9", limit=5) == []
        assert [r.id for r in tx.access_log.for_account("acct-1")] == ["b", "c", "a"]


def test_entries_of_the_same_instant_are_ordered_by_id(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        for record_id in ("m", "q", "d", "x"):
            tx.access_log.append(entry(record_id, seconds=5))
        tx.access_log.append(entry("old", seconds=4))
        tx.access_log.append(entry("new", seconds=6))
    with storage.transaction() as tx:
        ids = [r.id for r in tx.access_log.newest_for_account("acct-1", limit=10)]
        assert ids == ["new", "x", "q", "m", "d", "old"]
        # A cursor in the middle of the tie: the rest of the instant, then the older.
        middle = LedgerCursor(at=NOW + timedelta(seconds=5), id="q")
        after = tx.access_log.newest_for_account("acct-1", limit=10, before=middle)
        assert [r.id for r in after] == ["m", "d", "old"]
        # A cursor naming no entry still positions by (at, id).
        gap = LedgerCursor(at=NOW + timedelta(seconds=5), id="n")
        after = tx.access_log.newest_for_account("acct-1", limit=2, before=gap)
        assert [r.id for r in after] == ["m", "d"]
        first = LedgerCursor(at=NOW, id="")
        assert tx.access_log.newest_for_account("acct-1", limit=10, before=first) == []
    assert pages(storage, "acct-1", 2) == [["new", "x"], ["q", "m"], ["d", "old"]]


def test_a_cursor_read_back_from_its_token_continues_the_same(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        for n in range(7):
            # Microseconds matter: the cursor carries them and the storage keeps them.
            tx.access_log.append(entry(f"e{n}", seconds=n // 2 + n * 0.000001))
    with storage.transaction() as tx:
        first = tx.access_log.newest_for_account("acct-1", limit=3)
        cursor = LedgerCursor.parse(LedgerCursor.after(first[-1]).token())
        rest = tx.access_log.newest_for_account("acct-1", limit=10, before=cursor)
    assert [r.id for r in first + rest] == [f"e{n}" for n in range(6, -1, -1)]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    instants=st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=14),
    size=st.integers(min_value=1, max_value=6),
)
def test_pages_one_after_another_are_the_whole_ledger_reversed(
    storage: Storage,  # noqa: F811
    instants: list[int],
    size: int,
) -> None:
    account = f"acct-h{next(_accounts)}"  # every example its own holder, in the same storage
    with storage.transaction() as tx:
        for n, second in enumerate(instants):
            # Ids not in time order, so a tie is broken by the id, not the insertion.
            tx.access_log.append(
                entry(f"{account}-{(n * 7919) % 101:03d}-{n}", seconds=second, account=account)
            )
    with storage.transaction() as tx:
        whole = [r.id for r in reversed(tx.access_log.for_account(account))]
    read = pages(storage, account, size)
    assert [record_id for page in read for record_id in page] == whole
    assert all(len(page) == size for page in read[:-1])
