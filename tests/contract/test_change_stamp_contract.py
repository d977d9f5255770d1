"""The storage's change stamp (:class:`~siapkerja_core.ports.ChangeStamp`), on every adapter.

The contract: two equal stamps (not ``None``) prove that nothing was committed
between them. So every kind of commit — a unit of work that wrote, a ledger
entry, a second storage on the same database — must move it. A storage that
cannot tell answers ``None``, which any reader must take as "read again".
Where the stamp is the storage's own (memory, a SQLite file), a read leaves it
as it was (else it would be worth nothing), and so does a unit of work that
failed. PostgreSQL's is the cluster's running transactions: any session's
write moves it (the tests' other schemas, other databases), so there only
"every commit moves it" is held to here; that a page's reads take no
transaction id is ``test_web_kept_unread.py``'s.

The fixtures are those of ``test_storage_contract.py`` (every storage adapter).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_storage_contract import NOW, storage  # noqa: F401 - the fixture

from siapkerja_core.ports import ChangeStamp, Storage
from siapkerja_core.records import AccessRecord, SessionRecord


def _stamp(storage: Storage) -> object:  # noqa: F811
    assert isinstance(storage, ChangeStamp)
    return storage.change_stamp()


def _private(storage: Storage) -> bool:  # noqa: F811
    """Whether only this test's own work can move the stamp (not a shared server's)."""
    return getattr(storage, "dialect", "") != "postgresql"


@pytest.fixture
def ready(storage: Storage) -> Storage:  # noqa: F811
    """The storage after its first unit of work (SQLite migrates its schema then: a commit)."""
    with storage.transaction(read_only=True) as tx:
        tx.sessions.get("none")
    return storage


def _session(number: int) -> SessionRecord:
    return SessionRecord(
        id=f"session-{number}",
        account_id="acct-1",
        created_at=NOW,
        expires_at=NOW + timedelta(hours=1),
    )


def test_every_commit_moves_the_stamp_and_a_read_does_not(ready: Storage) -> None:
    storage = ready  # noqa: F811 - the fixture's storage, migrated
    before = _stamp(storage)
    if before is None:  # cannot tell: every reader reads again, nothing to hold it to
        assert _stamp(storage) is None
        return
    with storage.transaction(read_only=True) as tx:
        assert tx.sessions.get("session-1") is None
    with storage.transaction() as tx:
        tx.sessions.get("session-1")  # a read-write unit that only read
    if _private(storage):
        assert _stamp(storage) == before
    before = _stamp(storage)
    with storage.transaction() as tx:
        tx.sessions.add(_session(1))
    written = _stamp(storage)
    assert written != before
    storage.log_access(
        AccessRecord(
            id="entry-1",
            account_id="acct-1",
            at=NOW,
            audience="anonymous",
            fields=("headline",),
            channel="link",
        )
    )
    logged = _stamp(storage)
    assert logged not in (before, written)
    with storage.transaction() as tx:
        tx.sessions.delete("session-1")
    assert _stamp(storage) not in (before, written, logged)


def test_a_failed_unit_of_work_leaves_the_stamp(ready: Storage) -> None:
    before = _stamp(ready)

    def fails() -> None:
        with ready.transaction() as tx:
            tx.sessions.add(_session(2))
            raise RuntimeError("the caller's fault: nothing is committed")

    with pytest.raises(RuntimeError):
        fails()
    if _private(ready):
        assert _stamp(ready) == before


def test_a_second_storage_on_the_same_file_moves_it(tmp_path: object) -> None:
    """Another worker process's storage on the same SQLite file: its commits count too."""
    from siapkerja_adapters.sql import KeyMaterial, SqlStorage

    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    keys = KeyMaterial.generate()
    first = SqlStorage(url, key_material=keys, migrate=True)
    second = SqlStorage(url, key_material=keys, migrate=True)
    with first.transaction(read_only=True) as tx:
        tx.sessions.get("none")
    try:
        before = _stamp(first)
        assert before is not None
        with second.transaction() as tx:
            tx.sessions.add(_session(3))
        assert _stamp(first) != before
        moved = _stamp(first)
        with second.transaction(read_only=True) as tx:
            assert tx.sessions.get("session-3") is not None
        assert _stamp(first) == moved
    finally:
        second.dispose()
        first.dispose()
    assert first.change_stamp() is None  # a disposed storage cannot tell
