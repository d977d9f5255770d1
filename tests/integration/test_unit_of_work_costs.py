"""What the registration journey's units of work cost the database, held as behaviour
(issue 15, ``benchmarks/bench_journey.py``), on SQLite and PostgreSQL:

* an outbox claim is **one statement** (``UPDATE … RETURNING``), still oldest
  first, still one more attempt and the lease, still nothing claimed twice;
* the compiled statements a unit of work keeps are kept apart for read-only and
  writing units: a writing unit's read still locks its row (``FOR UPDATE``)
  after a read-only unit read it unlocked, and the other way round;
* SQLite's writes (units of work, counter slots) take turns on one connection
  kept between them instead of checking one out of the pool each time — and a
  write that failed, a unit that joined Core, or a disposed storage never hand
  a connection with an open transaction, or a closed one, to the next write.

No assertion is timed: the speed is the benchmark's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql.accounts import _Registrations
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.ports import StorageError
from siapkerja_core.records import OutboxMessage, RegistrationRecord, RegistrationStatus

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        yield storage
    finally:
        storage.dispose()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The driver statements the units of work send, as they send them."""
    sent: list[str] = []
    run = SqlTransaction.driver_rows

    def recorded(self: SqlTransaction, sql: str, params: Any) -> Any:
        sent.append(" ".join(sql.split()))
        return run(self, sql, params)

    monkeypatch.setattr(SqlTransaction, "driver_rows", recorded)
    return sent


def message(n: int, *, available_at: datetime) -> OutboxMessage:
    return OutboxMessage(
        id=f"msg-{n}",
        to="+6281200000000",
        text=f"kode {n}",
        created_at=NOW - timedelta(minutes=10),
        available_at=available_at,
        expires_at=None,
        subject_id=None,
        generation=None,
        purpose=None,
    )


def registration(n: int) -> RegistrationRecord:
    return RegistrationRecord(
        id=f"reg-{n}",
        nik="3171011203940001",
        full_name="Galih Pratama",
        status=RegistrationStatus.VERIFIED,
        created_at=NOW,
        expires_at=NOW + timedelta(hours=1),
    )


def test_an_outbox_claim_is_one_statement_oldest_first(
    storage: SqlStorage, statements: list[str]
) -> None:
    with storage.transaction() as tx:
        # Put newest first: the order a claim answers in is its own.
        for n, minutes in ((3, 1), (1, 3), (2, 2)):
            tx.outbox.add(message(n, available_at=NOW - timedelta(minutes=minutes)))
    statements.clear()
    with storage.transaction() as tx:
        claimed = tx.outbox.claim(now=NOW, lease=LEASE, limit=2)
    assert len(statements) == 1, statements
    assert statements[0].startswith("UPDATE sk_outbox")
    assert [m.id for m in claimed] == ["msg-1", "msg-2"]
    assert [m.attempts for m in claimed] == [1, 1]
    assert [m.claimed_until for m in claimed] == [NOW + LEASE] * 2
    with storage.transaction() as tx:
        # The lease holds: only the third is due now; all three once the lease ran out.
        assert [m.id for m in tx.outbox.claim(now=NOW, lease=LEASE, limit=10)] == ["msg-3"]
        again = tx.outbox.claim(now=NOW + LEASE, lease=LEASE, limit=10)
    assert [(m.id, m.attempts) for m in again] == [("msg-1", 2), ("msg-2", 2), ("msg-3", 2)]
    assert [m.text for m in again] == ["kode 1", "kode 2", "kode 3"]  # decrypted as stored
    with storage.transaction() as tx:
        assert tx.outbox.claim(now=NOW + LEASE, lease=LEASE, limit=10) == []


def test_read_only_and_writing_units_keep_their_own_compiled_reads(
    storage: SqlStorage, statements: list[str]
) -> None:
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
    locking = "FOR UPDATE" if storage.dialect == "postgresql" else None
    for read_only in (True, False, True, False):
        statements.clear()
        with storage.transaction(read_only=read_only) as tx:
            record = tx.registrations.get("reg-1")
        assert record == registration(1)
        (sql,) = [s for s in statements if s.startswith("SELECT sk_registrations")]
        if locking is not None:
            # A read-only unit cannot lock (PostgreSQL refuses it in READ ONLY); a
            # writing unit must, or two confirmations of one code could both win.
            assert (locking in sql) is not read_only, (read_only, sql)
    assert _Registrations._GET._for_update_arg is not None  # the constant is untouched


def checkouts(storage: SqlStorage) -> list[object]:
    seen: list[object] = []
    event.listen(storage.engine.pool, "checkout", lambda *args: seen.append(args[0]))
    return seen


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[SqlStorage]:
    """SQLite's only: PostgreSQL's writers do not take turns, each checks out its own."""
    storage = SqlStorage(
        f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        key_material=KeyMaterial.generate(),
        migrate=True,
    )
    try:
        yield storage
    finally:
        storage.dispose()


def test_sqlite_writes_take_turns_on_one_kept_connection(sqlite_storage: SqlStorage) -> None:
    storage = sqlite_storage
    with storage.transaction() as tx:  # the schema and the blind-index key, first
        tx.registrations.put(registration(1))
    seen = checkouts(storage)
    drivers = set()
    for n in range(2, 6):
        with storage.transaction() as tx:
            tx.registrations.put(registration(n))
            drivers.add(id(tx._raw.driver_connection))
        storage.counters.hit(f"key-{n}", limit=3, window=timedelta(minutes=1), now=NOW)
    assert seen == []  # the connection the first write checked out, kept since
    assert len(drivers) == 1
    with storage.transaction(read_only=True) as tx:  # readers keep their own pool
        assert tx.registrations.get("reg-5") == registration(5)


def test_a_failed_write_leaves_the_kept_connection_without_a_transaction(
    sqlite_storage: SqlStorage,
) -> None:
    storage = sqlite_storage

    class Fault(Exception):
        pass

    with storage.transaction() as tx:
        tx.registrations.put(registration(1))

    def fail() -> None:
        with storage.transaction() as tx:
            tx.registrations.put(registration(2))
            raise Fault

    with pytest.raises(Fault):
        fail()
    kept = storage._kept_writer
    assert kept is not None
    assert not kept.driver_connection.in_transaction
    with storage.transaction() as tx:
        assert tx.registrations.get("reg-2") is None  # rolled back, not carried over
        tx.registrations.put(registration(3))
    with storage.transaction(read_only=True) as tx:
        assert tx.registrations.get("reg-3") == registration(3)


def test_a_unit_that_joined_core_gives_its_connection_back(sqlite_storage: SqlStorage) -> None:
    storage = sqlite_storage
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
    with storage.transaction() as tx:
        assert tx.conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        joined = tx._raw
    # Core's connection closed it (back to the pool): it is not the kept one.
    assert storage._kept_writer is None or storage._kept_writer is not joined
    with storage.transaction() as tx:
        tx.registrations.put(registration(2))
    with storage.transaction(read_only=True) as tx:
        assert tx.registrations.get("reg-2") == registration(2)


def test_dispose_closes_the_kept_connection(sqlite_storage: SqlStorage) -> None:
    storage = sqlite_storage
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
    kept = storage._kept_writer
    assert kept is not None
    driver = kept.driver_connection
    storage.dispose()
    assert storage._kept_writer is None
    with pytest.raises(Exception, match=r"(?i)closed"):
        driver.execute("SELECT 1")
    with pytest.raises(StorageError), storage.transaction():
        pass


def test_a_statement_without_parameters_runs_on_the_driver(storage: SqlStorage) -> None:
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
    count = sa.select(sa.func.count()).select_from(sa.table("sk_registrations"))
    for read_only in (True, False):
        with storage.transaction(read_only=read_only) as tx:
            assert tx.fetch(count, {}).scalar_one() == 1
