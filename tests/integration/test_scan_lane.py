"""The scan's lane of the ``sql`` storage (``sql/lane.py``), on SQLite and PostgreSQL.

* the ledger's group commit: entries that arrive while a commit is under way
  share the next one, each caller returns only once its own entry is
  committed, and a failed commit is a ``StorageError`` in every caller whose
  entry it held — the next commit works;
* the queue is bounded: beyond :data:`~siapkerja_adapters.sql.lane.MAX_WAITING`
  a caller is refused at once;
* a kept connection that died (the database restarted, an administrator
  ended it) is replaced: a scan reads again on a new one;
* a decoded scan subject is reused only while its row is unchanged: another
  process's edit, revocation or key rotation is seen by the next scan;
* ``dispose`` closes the lane's connections: the storage refuses further scans.

The kill -9 of a loaded server is ``test_scan_crash.py``.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from siapkerja_adapters import connect
from siapkerja_adapters.sql import lane as lane_module
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.engine import create_sql_engine
from siapkerja_adapters.sql.lane import GroupCommit
from siapkerja_core.ports import StorageError
from siapkerja_core.records import new_access_record
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from support import people
from support.sms import sms_code

# --------------------------------------------------------------------------
# The group commit alone
# --------------------------------------------------------------------------


class _Writer:
    """A ``write`` that records its batches and can be held or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()
        self.fail_next = False

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        self.entered.set()
        self.hold.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise StorageError("unavailable")
        self.batches.append([row["n"] for row in rows])


def _appenders(
    group: GroupCommit, numbers: range, outcomes: dict[int, str]
) -> list[threading.Thread]:
    def append(n: int) -> None:
        try:
            group.append({"n": n})
            outcomes[n] = "committed"
        except StorageError as error:
            outcomes[n] = error.full_code

    threads = [threading.Thread(target=append, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    return threads


def _waiting(group: GroupCommit, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(group._waiting) < count:
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_entries_that_wait_share_the_next_commit() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    first = _appenders(group, range(1), outcomes)
    assert writer.entered.wait(10)  # the first commit is under way, with entry 0 alone
    others = _appenders(group, range(1, 6), outcomes)
    _waiting(group, 5)
    assert outcomes == {}  # nobody returned before its commit
    writer.hold.set()
    for thread in first + others:
        thread.join(10)
    assert writer.batches == [[0], [1, 2, 3, 4, 5]]
    assert outcomes == dict.fromkeys(range(6), "committed")
    assert (group.commits, group.rows) == (2, 6)


def test_a_lone_leader_yields_only_when_another_thread_appended_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One thread appending in a loop (a script calling resolve) has nobody to wait for:
    # a yield would only cost it the scheduler. Scan threads taking turns do yield.
    yields: list[float] = []
    monkeypatch.setattr(lane_module.time, "sleep", yields.append)
    group = GroupCommit(_Writer(), wait=10)
    for n in range(5):
        group.append({"n": n})
    assert yields == []
    # Three live threads (as a server's scan threads are: a finished thread's id may be
    # reused), taking turns, each alone when it commits.
    release = threading.Event()
    appended = [threading.Event() for _ in range(3)]

    def scan_thread(n: int) -> None:
        group.append({"n": n})
        appended[n].set()
        release.wait(10)

    threads = [threading.Thread(target=scan_thread, args=(n,)) for n in range(3)]
    for thread, done in zip(threads, appended, strict=True):
        thread.start()
        assert done.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert yields == [0, 0, 0]


def test_a_failed_commit_fails_every_caller_of_its_batch_and_the_next_works() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    first = _appenders(group, range(1), outcomes)
    assert writer.entered.wait(10)
    writer.fail_next = True  # the commit under way fails
    others = _appenders(group, range(1, 4), outcomes)
    _waiting(group, 3)
    writer.hold.set()
    for thread in first + others:
        thread.join(10)
    assert outcomes[0] == "storage.unavailable"
    assert {outcomes[n] for n in range(1, 4)} == {"committed"}
    assert writer.batches == [[1, 2, 3]]
    group.append({"n": 9})
    assert writer.batches[-1] == [9]


def test_a_failed_commit_of_many_is_a_storage_error_in_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    first = _appenders(group, range(1), outcomes)
    assert writer.entered.wait(10)
    others = _appenders(group, range(1, 5), outcomes)
    _waiting(group, 4)
    writer.hold.set()
    first[0].join(10)
    # Entry 0's commit is done; fail the batch of the four that waited.
    for thread in others:
        thread.join(10)
    assert set(outcomes.values()) == {"committed"}
    writer.fail_next = True
    with pytest.raises(StorageError):
        group.append({"n": 10})
    assert writer.batches[-1] == [1, 2, 3, 4]


def test_the_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lane_module, "MAX_WAITING", 2)
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    threads = _appenders(group, range(1), outcomes)
    assert writer.entered.wait(10)
    threads += _appenders(group, range(1, 3), outcomes)
    _waiting(group, 2)
    with pytest.raises(StorageError):
        group.append({"n": 3})  # refused at once: two wait already
    writer.hold.set()
    for thread in threads:
        thread.join(10)
    assert outcomes == dict.fromkeys(range(3), "committed")


def test_a_caller_whose_commit_never_comes_gives_up_with_a_storage_error() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=0.2)
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    first = _appenders(group, range(1), outcomes)
    assert writer.entered.wait(10)
    started = time.monotonic()
    with pytest.raises(StorageError):
        group.append({"n": 1})  # still waiting, not taken: withdrawn after the wait
    assert time.monotonic() - started < 5
    writer.hold.set()
    first[0].join(10)
    assert writer.batches == [[0]]  # the withdrawn entry was never written


class _Told:
    """``notify`` of deferred entries: records each outcome, per entry, once."""

    def __init__(self) -> None:
        self.outcomes: dict[int, str] = {}
        self.all_told = threading.Event()
        self.expected = 0
        self.lock = threading.Lock()

    def notify(self, n: int) -> Callable[[BaseException | None], None]:
        def told(error: BaseException | None) -> None:
            with self.lock:
                assert n not in self.outcomes  # told once
                self.outcomes[n] = "committed" if error is None else type(error).__name__
                if len(self.outcomes) == self.expected:
                    self.all_told.set()

        return told


def test_deferred_entries_are_told_after_their_commit_and_share_it() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    told = _Told()
    told.expected = 6
    writer.hold.clear()
    group.append_deferred({"n": 0}, told.notify(0))  # returns at once: the committer commits
    assert writer.entered.wait(10)
    for n in range(1, 6):
        group.append_deferred({"n": n}, told.notify(n))
    assert told.outcomes == {}  # nobody is told before its commit
    writer.hold.set()
    assert told.all_told.wait(10)
    assert writer.batches == [[0], [1, 2, 3, 4, 5]]
    assert told.outcomes == dict.fromkeys(range(6), "committed")
    group.close()


def test_a_deferred_leader_hands_its_commit_over_later_so_entries_queued_meanwhile_share_it() -> (
    None
):
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    told = _Told()
    told.expected = 4
    calls: list[Callable[[], None]] = []  # an event loop's call_soon, run by hand
    for n in range(4):
        group.append_deferred({"n": n}, told.notify(n), later=calls.append)
    assert len(calls) == 1  # only the leader hands a commit over
    assert not writer.entered.is_set()  # and not before its call runs
    calls.pop()()
    assert told.all_told.wait(10)
    assert writer.batches == [[0, 1, 2, 3]]
    group.close()


def test_deferred_and_waiting_callers_share_commits_and_hear_of_a_failure() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    told = _Told()
    told.expected = 2
    writer.hold.clear()
    outcomes: dict[int, str] = {}
    first = _appenders(group, range(1), outcomes)  # a waiting caller leads the first commit
    assert writer.entered.wait(10)
    group.append_deferred({"n": 1}, told.notify(1))
    others = _appenders(group, range(2, 4), outcomes)
    group.append_deferred({"n": 4}, told.notify(4))
    _waiting(group, 4)
    writer.fail_next = True  # the first commit fails: only its caller hears of it
    writer.hold.set()
    for thread in first + others:
        thread.join(10)
    assert told.all_told.wait(10)
    assert outcomes == {0: "storage.unavailable", 2: "committed", 3: "committed"}
    assert told.outcomes == {1: "committed", 4: "committed"}
    assert writer.batches == [[1, 2, 3, 4]]
    group.close()


def test_a_failed_commit_tells_each_deferred_entry_and_the_next_works() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    told = _Told()
    told.expected = 1
    writer.fail_next = True
    group.append_deferred({"n": 0}, told.notify(0))
    assert told.all_told.wait(10)
    assert told.outcomes == {0: "StorageError"}
    told.all_told.clear()
    told.expected = 2
    group.append_deferred({"n": 1}, told.notify(1))
    assert told.all_told.wait(10)
    assert told.outcomes[1] == "committed"
    assert writer.batches == [[1]]
    group.close()


def _committed_in_one(group: GroupCommit, told: _Told, numbers: range) -> None:
    """Entries ``numbers`` queued while no commit runs, then committed together."""
    calls: list[Callable[[], None]] = []  # an event loop's call_soon, run by hand
    for n in numbers:
        group.append_deferred({"n": n}, told.notify(n), later=calls.append)
    calls.pop()()


def test_a_lone_deferred_entry_is_committed_at_once_whatever_the_commit_delay() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10, commit_delay=60)  # a wait would fail the test
    told = _Told()
    told.expected = 1
    group.append_deferred({"n": 0}, told.notify(0))
    assert told.all_told.wait(10)
    told.all_told.clear()
    told.expected = 2
    group.append_deferred({"n": 1}, told.notify(1))  # after a commit of one: still at once
    assert told.all_told.wait(10)
    assert writer.batches == [[0], [1]]
    group.close()


def _after_a_commit_of_three(commit_delay: float) -> tuple[_Writer, GroupCommit, _Told]:
    """A group commit with ``commit_delay`` whose last commit took three entries (load)."""
    writer = _Writer()
    group = GroupCommit(writer, wait=10, commit_delay=commit_delay)
    told = _Told()
    told.expected = 3
    _committed_in_one(group, told, range(3))
    assert told.all_told.wait(10)
    told.all_told.clear()
    return writer, group, told


def test_under_load_the_committer_waits_for_as_many_entries_as_its_last_commit_took() -> None:
    writer, group, told = _after_a_commit_of_three(commit_delay=60)
    told.expected = 6
    group.append_deferred({"n": 3}, told.notify(3))  # handed to the committer at once
    time.sleep(0.2)
    assert writer.batches == [[0, 1, 2]]  # it waits for the scans under way
    assert told.outcomes.keys() == {0, 1, 2}  # and nobody waiting is told before
    group.append_deferred({"n": 4}, told.notify(4))
    group.append_deferred({"n": 5}, told.notify(5))  # as many as last time: committed now,
    assert told.all_told.wait(10)  # long before the delay
    assert writer.batches == [[0, 1, 2], [3, 4, 5]]
    assert told.outcomes == dict.fromkeys(range(6), "committed")
    group.close()


def test_the_committers_wait_ends_at_the_commit_delay() -> None:
    writer, group, told = _after_a_commit_of_three(commit_delay=0.3)
    told.expected = 4
    started = time.monotonic()
    group.append_deferred({"n": 3}, told.notify(3))  # nobody else comes
    assert told.all_told.wait(10)  # well before the wait for its commit ends
    assert time.monotonic() - started >= 0.3  # the delay was waited out, then committed
    assert writer.batches == [[0, 1, 2], [3]]
    told.all_told.clear()
    told.expected = 5
    group.append_deferred({"n": 4}, told.notify(4))  # the load is over: at once again
    assert told.all_told.wait(10)
    assert writer.batches == [[0, 1, 2], [3], [4]]
    group.close()


def test_the_deferred_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lane_module, "MAX_WAITING", 2)
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    writer.hold.clear()
    told = _Told()
    told.expected = 3
    group.append_deferred({"n": 0}, told.notify(0))
    assert writer.entered.wait(10)
    group.append_deferred({"n": 1}, told.notify(1))
    group.append_deferred({"n": 2}, told.notify(2))
    with pytest.raises(StorageError):
        group.append_deferred({"n": 3}, told.notify(3))  # refused at once, never told
    writer.hold.set()
    assert told.all_told.wait(10)
    assert 3 not in told.outcomes
    group.close()


# --------------------------------------------------------------------------
# On the databases
# --------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The settings of a SQL service on a SQLite file or a fresh PostgreSQL schema."""
    settings = sql_settings()
    if request.param == "sqlite":
        settings["database_url"] = f"sqlite:///{tmp_path / 'lane.sqlite3'}"
    else:
        settings["database_url"] = request.getfixturevalue("postgres_url")
        settings["database_schema"] = request.getfixturevalue("postgres_schema")
    return settings


@pytest.fixture
def pg_database(postgres_url: str, postgres_schema: str) -> dict[str, Any]:
    """The settings of a SQL service on a fresh PostgreSQL schema (its own statement's tests)."""
    return {**sql_settings(), "database_url": postgres_url, "database_schema": postgres_schema}


def sql_settings() -> dict[str, Any]:
    """A SQL service's settings but where its database is."""
    return {
        "storage": "sql",
        "database_migrate": "true",
        "storage_key": people_key(),
        "sms": "memory",
        "dukcapil": "offline",
    }


def kept_guard(storage: Any) -> tuple[Any, dict[str, Any]]:
    """The card reference of the one subject ``storage`` keeps and its guard values (card,
    account and profile row versions, keyring stamp), as ``scan_logged``'s statement binds
    them."""
    from siapkerja_adapters.sql.storage import _SCAN_WIDTH

    card_ref = next(iter(storage._subjects))
    raw = storage._subjects[card_ref][0]
    return card_ref, {
        "g_c": raw[_SCAN_WIDTH],
        "g_a": raw[_SCAN_WIDTH + 1],
        "g_p": raw[_SCAN_WIDTH + 2],
        "g_k": raw[_SCAN_WIDTH - 1],
    }


def people_key() -> str:
    from siapkerja_adapters.sql import generate_key_setting

    return generate_key_setting()


def service(settings: dict[str, Any], **extra: Any) -> Siapkerja:
    from siapkerja_core.passwords import PasswordHasher

    return connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        **settings,
        **extra,
    )


def holder_with_card(svc: Siapkerja) -> tuple[str, str]:
    """Galih registered, profile complete, card issued: (account id, link token)."""
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    svc.submit_contact(
        registration.id, email=people.EMAIL, phone="0812-1111-2222", password="kopi tubruk pagi"
    )
    account = svc.confirm_otp(registration.id, code=sms_code(svc))
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id, svc.card_qr(account.id).token


def test_group_commits_on_the_database_keep_every_entry(database: dict[str, Any]) -> None:
    svc = service(database)
    try:
        account_id, token = holder_with_card(svc)
        svc.resolve(token)
        storage: Any = svc.storage
        barrier = threading.Barrier(8)

        def scan() -> None:
            barrier.wait(10)
            for _ in range(25):
                svc.resolve(token)

        threads = [threading.Thread(target=scan) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(svc.access_log(account_id)) == 1 + 8 * 25
        # PostgreSQL: a scan whose card was read before logs in its read (scan_logged).
        assert storage._ledger.rows + storage.scans_logged == 1 + 8 * 25
        # Only SQLite's committer gathers the scans under way: PostgreSQL's commit waits
        # on the disk, and entries gather meanwhile.
        sqlite = storage.dialect == "sqlite"
        assert storage._ledger._commit_delay == (lane_module.SQLITE_COMMIT_DELAY if sqlite else 0)
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_another_process_change_is_seen_by_the_next_scan(database: dict[str, Any]) -> None:
    """Two services on one database: the second stands for another process."""
    svc = service(database)
    other = service(database)
    try:
        account_id, token = holder_with_card(svc)
        first = svc.resolve(token)
        assert svc.resolve(token) is first  # unchanged: the same view, decoded once
        other.update_profile(account_id, biodata={"headline": "Data Engineer"})
        edited = svc.resolve(token)
        assert edited is not first
        assert edited != first
        assert svc.resolve(token) is edited
        other.suspend_card(account_id)
        with pytest.raises(TokenError) as suspended:
            svc.resolve(token)
        assert suspended.value.code == "suspended"
        other.revoke_card(account_id)
        with pytest.raises(TokenError) as revoked:
            svc.resolve(token)
        assert revoked.value.code == "revoked"
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]
        other.storage.dispose()  # type: ignore[attr-defined]


def _entry(record: Any) -> tuple[Any, ...]:
    """A ledger entry without what each scan makes anew (its id and time)."""
    return (
        record.account_id,
        record.audience,
        record.fields,
        record.channel,
        record.purpose,
        record.verifier_id,
        record.verifier_name,
        record.viewer_account_id,
    )


def _counting(storage: Any, name: str) -> list[int]:
    """Count calls of ``storage.name`` (patched on the instance)."""
    calls = [0]
    method = getattr(storage, name)

    def counted(*args: Any) -> Any:
        calls[0] += 1
        return method(*args)

    setattr(storage, name, counted)
    return calls


def test_a_scan_read_before_logs_in_one_statement(database: dict[str, Any]) -> None:
    """The card read before: the read and the entry are one statement, the entry the same."""
    svc = service(database)
    try:
        account_id, token = holder_with_card(svc)
        first = svc.resolve(token)  # nothing kept yet: read, then log
        storage: Any = svc.storage
        logs = _counting(storage, "log_access")
        reads = _counting(storage, "scan_subject")
        before = datetime.now(UTC)
        views = [svc.resolve(token) for _ in range(5)]
        after = datetime.now(UTC)
        assert all(view is first for view in views)
        ledger = svc.access_log(account_id)
        assert len(ledger) == 6
        assert {_entry(record) for record in ledger} == {_entry(ledger[0])}
        assert ledger[0].fields == first.disclosed
        assert ledger[0].audience == "anonymous"
        assert all(before <= record.at <= after for record in ledger[1:])
        assert len({record.id for record in ledger}) == 6
        if storage.dialect == "postgresql":
            assert (logs[0], reads[0], storage.scans_logged) == (0, 0, 5)
        else:  # SQLite: the guarded INSERT … SELECT, through the ledger's group commit
            assert (logs[0], reads[0], storage.scans_logged) == (0, 0, 0)
            assert (storage._ledger.rows, storage._ledger.commits) == (6, 6)
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_a_logged_scan_is_one_insert_that_sends_no_row_back(pg_database: dict[str, Any]) -> None:
    """PostgreSQL: the entry of a card read before is a plain ``INSERT … SELECT``.

    No read of the scan's row is planned beside it and no row comes back: the
    command's row count says whether the guard held (a changed card reads in a
    round trip of its own, as a card not kept does).
    """
    svc = service(pg_database)
    try:
        _account_id, token = holder_with_card(svc)
        svc.resolve(token)  # kept from here
        storage: Any = svc.storage
        seen: list[tuple[str, bool]] = []
        lane = storage._lane
        run = lane.run

        def recorded(call: Callable[[Any], Any], *, retry: bool) -> Any:
            def watched(cursor: Any) -> Any:
                result = call(cursor)
                seen.append((cursor.statusmessage, cursor.description is None))
                return result

            return run(watched, retry=retry)

        lane.run = recorded
        svc.resolve(token)
        assert seen == [("INSERT 0 1", True)]
        assert storage.scans_logged == 1
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_the_guarded_entry_goes_in_only_when_every_version_and_the_stamp_hold(
    pg_database: dict[str, Any],
) -> None:
    """PostgreSQL: the guard of ``scan_logged``'s statement, value by value.

    Each of the card's, account's and profile's row versions and the keyring's
    stamp either as kept, another value or absent (``NULL``): the entry goes in
    exactly when all four are as kept — the read-then-log path's condition.
    """
    import attrs
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from siapkerja_adapters.sql.ledger import _access_params
    from siapkerja_adapters.sql.storage import _LEDGER_VALUES

    svc = service(pg_database)
    try:
        account_id, token = holder_with_card(svc)
        svc.resolve(token)
        storage: Any = svc.storage
        card_ref, kept = kept_guard(storage)
        assert None not in kept.values()
        logged, rows = storage._scan_logged, storage._ledger_rows_made()
        template = svc.access_log(account_id)[-1]
        serial = iter(range(10**6))

        def other(name: str) -> str:
            if name == "g_k":
                return kept[name] + "0"
            return str(int(kept[name]) + 1)  # another transaction's id

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.tuples(*[st.sampled_from(["kept", "other", "null"])] * 4))
        def check(choice: tuple[str, ...]) -> None:
            guard = {
                name: kept[name] if how == "kept" else None if how == "null" else other(name)
                for name, how in zip(kept, choice, strict=True)
            }
            record = attrs.evolve(template, id=f"{template.id}-g{next(serial)}")
            params = logged.params({"card_ref": card_ref, **guard})
            params.update(zip(_LEDGER_VALUES, rows.flat([_access_params(record)]), strict=True))

            def insert(cursor: Any) -> int:
                cursor.execute(logged.sql, params)
                return cursor.rowcount  # type: ignore[no-any-return]

            inserted = storage._lane.run(insert, retry=False)
            assert inserted == (1 if guard == kept else 0)

        check()
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_an_entry_sent_in_binary_reads_back_as_log_access_writes_it(
    pg_database: dict[str, Any],
) -> None:
    """PostgreSQL: ``scan_logged``'s entry (values in binary) against ``log_access``'s (text).

    Any time (microseconds, any offset, far years) and any text: the two
    entries read back alike but for their ids.
    """
    import datetime as dt

    import attrs
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from siapkerja_adapters.sql.ledger import _access_params
    from siapkerja_adapters.sql.storage import _LEDGER_VALUES

    svc = service(pg_database)
    try:
        account_id, token = holder_with_card(svc)
        svc.resolve(token)
        storage: Any = svc.storage
        card_ref, guard = kept_guard(storage)
        logged, rows = storage._scan_logged, storage._ledger_rows_made()
        template = svc.access_log(account_id)[-1]
        serial = iter(range(10**6))
        text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
        times = st.datetimes(
            min_value=dt.datetime(1900, 1, 1),
            max_value=dt.datetime(9000, 1, 1),
            timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=7, minutes=30))]),
        )

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            at=times,
            fields=st.lists(text, max_size=3).map(tuple),
            purpose=st.none() | text,
            verifier_name=st.none() | text,
        )
        def check(
            at: datetime, fields: tuple[str, ...], purpose: str | None, verifier_name: str | None
        ) -> None:
            n = next(serial)
            record = attrs.evolve(
                template,
                id=f"z-{n}-fast",
                at=at,
                fields=fields,
                purpose=purpose,
                verifier_name=verifier_name,
            )
            params = logged.params({"card_ref": card_ref, **guard})
            params.update(zip(_LEDGER_VALUES, rows.flat([_access_params(record)]), strict=True))

            def insert(cursor: Any) -> int:
                cursor.execute(logged.sql, params)
                return cursor.rowcount  # type: ignore[no-any-return]

            assert storage._lane.run(insert, retry=False) == 1
            storage.log_access(attrs.evolve(record, id=f"z-{n}-text"))
            read = {r.id: r for r in svc.access_log(account_id) if r.id.startswith(f"z-{n}-")}
            assert attrs.evolve(read[f"z-{n}-fast"], id="") == attrs.evolve(
                read[f"z-{n}-text"], id=""
            )
            assert read[f"z-{n}-fast"].at == at

        check()
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_a_change_made_on_another_connection_is_seen_and_logged_as_it_is_now(
    database: dict[str, Any],
) -> None:
    """Rows changed behind the kept subject: the scan reads them, logs (or refuses) by them."""
    svc = service(database)
    other = service(database)
    engine = create_sql_engine(database["database_url"], schema=database.get("database_schema"))
    try:
        account_id, token = holder_with_card(svc)
        first = svc.resolve(token)
        assert "skills" in first.disclosed
        # Another process hides every section but the skills: the ledger's fields change.
        other.update_profile(account_id, visibility={"published": ["skills"]})
        edited = svc.resolve(token)
        assert edited.disclosed == ("skills",)
        edited_entry = svc.access_log(account_id)[-1]
        assert edited_entry.fields == edited.disclosed
        assert svc.resolve(token) is edited  # kept again, and logged with the new fields
        assert svc.access_log(account_id)[-1].fields == edited.disclosed
        # A write that changes no value still makes a new row version: read, then logged once.
        with engine.begin() as conn:
            conn.execute(sa.update(sk.accounts).values(active=sk.accounts.c.active))
        assert svc.resolve(token) == edited
        assert len(svc.access_log(account_id)) == 4
        # Closed behind the service's back, in plain SQL: refused at once, nothing logged.
        with engine.begin() as conn:
            conn.execute(sa.update(sk.accounts).values(active=False))
        with pytest.raises(TokenError) as closed:
            svc.resolve(token)
        assert closed.value.code == "revoked"
        with engine.begin() as conn:
            conn.execute(sa.update(sk.accounts).values(active=True))
        svc.resolve(token)
        with engine.begin() as conn:
            conn.execute(sa.update(sk.cards).values(suspended_at=datetime.now(UTC)))
        with pytest.raises(TokenError) as suspended:
            svc.resolve(token)
        assert suspended.value.code == "suspended"
        assert len(svc.access_log(account_id)) == 5
        assert [_entry(r) for r in svc.access_log(account_id)[3:]] == [_entry(edited_entry)] * 2
    finally:
        engine.dispose()
        svc.storage.dispose()  # type: ignore[attr-defined]
        other.storage.dispose()  # type: ignore[attr-defined]


def test_a_dead_connection_is_replaced(database: dict[str, Any]) -> None:
    name = f"sk-lane-{secrets.token_hex(4)}"
    svc = service(database, application_name=name)
    try:
        account_id, token = holder_with_card(svc)
        svc.resolve(token)
        storage: Any = svc.storage
        if storage.dialect == "postgresql":
            engine = create_sql_engine(database["database_url"])
            with engine.connect() as conn:
                ended = conn.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = :name"
                    ),
                    {"name": name},
                ).scalar_one()
            engine.dispose()
            assert ended >= 1
        else:
            for cursor in list(storage._lane._idle):
                cursor.connection.close()  # as good as dead
        svc.resolve(token)  # the read tries again on a new connection
        svc.resolve(token)
        assert len(svc.access_log(account_id)) >= 3
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_a_write_lock_held_elsewhere_is_waited_for_once(tmp_path: Path) -> None:
    """SQLite: another process holding the write lock past the busy timeout makes the scan's
    commit fail after one wait, not a second on a new connection (an outside tester saw a
    scan wait twice the timeout). The scan is refused; the next one, the lock gone, works."""
    path = tmp_path / "locked.sqlite3"
    settings = {**sql_settings(), "database_url": f"sqlite:///{path}"}
    svc = service(settings, database_busy_timeout="1")
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        account_id, token = holder_with_card(svc)
        svc.resolve(token)  # the lane's connection is kept, idle: a retry would be allowed
        lane: Any = svc.storage._lane  # type: ignore[attr-defined]
        opened: list[Any] = []
        open_connection = lane._open
        lane._open = lambda: opened.append(True) or open_connection()
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError) as refused:
            svc.resolve(token)
        assert refused.value.full_code == "storage.unavailable"
        assert opened == []  # no second connection, no second wait
        blocker.execute("ROLLBACK")
        svc.resolve(token)
        assert len(svc.access_log(account_id)) == 2  # the refused scan wrote nothing
    finally:
        blocker.close()
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_dispose_closes_the_lane(database: dict[str, Any]) -> None:
    svc = service(database)
    account_id, token = holder_with_card(svc)
    svc.resolve(token)
    storage: Any = svc.storage
    storage.dispose()
    assert storage._lane.closed
    assert not storage._lane._all
    with pytest.raises(StorageError):
        storage.scan_subject(1)
    with pytest.raises(StorageError):
        storage.log_access(
            new_access_record(
                id="after-dispose",
                account_id=account_id,
                at=datetime.now(UTC),
                audience="anonymous",
                fields=(),
                channel="link",
                purpose=None,
                verifier_id=None,
                verifier_name=None,
                viewer_account_id=None,
            )
        )
    assert sk.access_log.name == "sk_access_log"


def test_a_caller_whose_hand_off_fails_does_not_keep_the_others_untold() -> None:
    writer = _Writer()
    group = GroupCommit(writer, wait=10)
    told = _Told()
    told.expected = 2
    calls: list[Callable[[], None]] = []

    def broken(_error: BaseException | None) -> None:
        raise RuntimeError("the event loop closed")

    group.append_deferred({"n": 0}, told.notify(0), later=calls.append)
    group.append_deferred({"n": 1}, broken, later=calls.append)
    group.append_deferred({"n": 2}, told.notify(2), later=calls.append)
    calls.pop()()
    assert told.all_told.wait(10)
    assert told.outcomes == {0: "committed", 2: "committed"}
    told.all_told.clear()
    told.expected = 3
    group.append_deferred({"n": 3}, told.notify(3))  # the committer still works
    assert told.all_told.wait(10)
    assert writer.batches == [[0, 1, 2], [3]]
    group.close()
