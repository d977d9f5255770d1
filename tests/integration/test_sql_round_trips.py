"""What the ``sql`` storage saves per unit of work stays correct (issue 15).

* PostgreSQL pings a pooled connection only when it sat idle
  (``ping_after_idle``): a dead idle connection is replaced before use, a dead
  recently used one fails its request with ``StorageError`` and the next
  request reconnects — never a driver exception.
* A counter statement commits without waiting for the WAL, for its own
  transaction only: the pooled connection's next unit of work is durable again.
* An outbox claim commits without waiting for the WAL, for its own transaction
  only: the claimed message is claimed, the next unit of work is durable.
* A counter's connection (a pooled driver connection) that died while idle
  is pinged and replaced; one that died just after use fails typed, and the
  next counter statement reconnects.
* SQLite's ``BEGIN IMMEDIATE``, sent to the driver directly, still turns a
  write lock that stays taken into ``StorageError``.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql.base import _storage_error
from siapkerja_core.ports import StorageError
from siapkerja_core.records import OutboxMessage, SessionRecord

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _pg_storage(url: str, schema: str, **options: object) -> tuple[SqlStorage, str]:
    name = f"sk-test-{uuid.uuid4().hex[:12]}"  # only this storage's connections are killed
    storage = SqlStorage(
        url,
        key_material=KeyMaterial.generate(),
        migrate=True,
        schema=schema,
        application_name=name,
        pool_size=1,
        max_overflow=0,
        **options,
    )
    return storage, name


def _terminate(url: str, application_name: str) -> int:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


def _session(n: int) -> SessionRecord:
    return SessionRecord(
        id=f"s{n}", account_id="a", created_at=NOW, expires_at=NOW + timedelta(hours=1)
    )


def test_a_dead_idle_connection_is_replaced_before_use(postgres_url: str, postgres_schema: str):
    storage, name = _pg_storage(postgres_url, postgres_schema, ping_after_idle=0.0)
    try:
        with storage.transaction() as tx:
            tx.sessions.add(_session(1))
        assert _terminate(postgres_url, name) == 1
        with storage.transaction() as tx:  # pinged, found dead, reconnected: no failure
            tx.sessions.add(_session(2))
            assert tx.sessions.get("s1") is not None
    finally:
        storage.dispose()


def test_a_pinged_connection_serves_single_statements_and_transactions(
    postgres_url: str, postgres_schema: str
) -> None:
    storage, _ = _pg_storage(postgres_url, postgres_schema, ping_after_idle=0.0)
    try:
        for n in range(3):  # every checkout pinged: none may leave a transaction open
            assert storage.counters.hit("k", limit=9, window=timedelta(days=1), now=NOW).allowed
            with storage.transaction() as tx:
                tx.sessions.add(_session(n))
            with storage.single_statement() as conn:
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        storage.dispose()


def test_a_dead_recent_connection_fails_typed_and_the_next_request_reconnects(
    postgres_url: str, postgres_schema: str
) -> None:
    storage, name = _pg_storage(postgres_url, postgres_schema, ping_after_idle=3600.0)
    try:
        with storage.transaction() as tx:
            tx.sessions.add(_session(1))
        assert _terminate(postgres_url, name) == 1
        with pytest.raises(StorageError) as caught, storage.transaction() as tx:
            tx.sessions.get("s1")
        assert caught.value.code == "unavailable"
        with storage.transaction() as tx:
            assert tx.sessions.get("s1") is not None
    finally:
        storage.dispose()


def test_counters_relax_only_their_own_commit(postgres_url: str, postgres_schema: str) -> None:
    storage, _ = _pg_storage(postgres_url, postgres_schema)
    counters = storage.counters
    try:
        day = timedelta(days=1)
        assert [counters.hit("k", limit=2, window=day, now=NOW).allowed for _ in range(3)] == [
            True,
            True,
            False,
        ]
        counters.release("k", window=day, now=NOW)
        assert counters.hit("k", limit=2, window=day, now=NOW).count == 2
        counters.clear("k")
        assert counters.hit("k", limit=2, window=day, now=NOW).count == 1
        # One pooled connection: the one the counters used. Its session is durable.
        with storage.transaction() as tx:
            setting = tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar()
        assert setting == "on"
        with storage.single_statement() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    finally:
        storage.dispose()


def test_an_outbox_claim_relaxes_only_its_own_commit(
    postgres_url: str, postgres_schema: str
) -> None:
    storage, _ = _pg_storage(postgres_url, postgres_schema)
    message = OutboxMessage(
        id="m1", to="+6281200000000", text="kode 123456", created_at=NOW, available_at=NOW
    )
    try:
        with storage.transaction() as tx:
            tx.outbox.add(message)
            assert tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        with storage.transaction() as tx:
            claimed = tx.outbox.claim(now=NOW, lease=timedelta(minutes=1), limit=10)
            assert [m.id for m in claimed] == ["m1"]
            assert tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        with storage.transaction() as tx:  # the same (only) pooled connection: durable again
            assert tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
            stored = tx.outbox.get("m1")
            assert stored is not None
            assert stored.claimed_until == NOW + timedelta(minutes=1)
            assert tx.outbox.claim(now=NOW, lease=timedelta(minutes=1), limit=10) == []
    finally:
        storage.dispose()


def test_a_counter_connection_that_died_is_replaced(
    postgres_url: str, postgres_schema: str
) -> None:
    storage, name = _pg_storage(postgres_url, postgres_schema, ping_after_idle=0.0)
    counters = storage.counters
    day = timedelta(days=1)
    try:
        assert counters.hit("k", limit=3, window=day, now=NOW).count == 1
        assert _terminate(postgres_url, name) == 1
        assert counters.hit("k", limit=3, window=day, now=NOW).count == 2  # pinged, replaced
        counters.release("k", window=day, now=NOW)
        assert _terminate(postgres_url, name) == 1
        counters.clear("k")
        assert counters.hit("k", limit=3, window=day, now=NOW).count == 1
    finally:
        storage.dispose()
    storage, name = _pg_storage(postgres_url, postgres_schema, ping_after_idle=3600.0)
    try:
        storage.counters.clear("j")
        assert _terminate(postgres_url, name) == 1
        with pytest.raises(StorageError) as caught:  # used just now: not pinged
            storage.counters.hit("j", limit=3, window=day, now=NOW)
        assert caught.value.code == "unavailable"
        assert storage.counters.hit("j", limit=3, window=day, now=NOW).count == 1
    finally:
        storage.dispose()


def test_a_sqlite_write_lock_that_stays_taken_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    storage = SqlStorage(
        f"sqlite:///{path}", key_material=KeyMaterial.generate(), migrate=True, busy_timeout=0.2
    )
    try:
        with storage.transaction() as tx:
            tx.sessions.add(_session(1))
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's writer
            with pytest.raises(StorageError) as caught, storage.transaction() as tx:
                tx.sessions.add(_session(2))
            assert caught.value.code == "unavailable"
            other.execute("ROLLBACK")
        finally:
            other.close()
        with storage.transaction() as tx:
            tx.sessions.add(_session(3))
            assert tx.sessions.get("s2") is None
    finally:
        storage.dispose()


def test_a_database_that_refuses_writes_is_unavailable_not_a_read_only_unit(
    tmp_path: Path,
) -> None:
    """SQLite's SQLITE_READONLY in a writing unit is the database's refusal (a read-only
    file or file system: a stranger's bind mount answered 500s), so ``unavailable`` (a
    503, as a full disk); only a read-only unit's own write is ``read_only``, the
    caller's mistake. (Root writes through ``chmod``: the writers' connection is made
    to refuse with ``PRAGMA query_only``, the same error.)"""
    url = f"sqlite:///{tmp_path / 'refuses.sqlite3'}"
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True)
    try:
        with storage.transaction() as tx:
            tx.sessions.add(_session(1))
        kept = storage._kept_writer  # the connection the next write takes
        assert kept is not None
        kept.driver_connection.execute("PRAGMA query_only=ON")
        with pytest.raises(StorageError) as caught, storage.transaction() as tx:
            tx.sessions.add(_session(2))
        assert caught.value.code == "unavailable"
        with pytest.raises(StorageError) as caught, storage.transaction(read_only=True) as tx:
            tx.sessions.add(_session(3))
        assert caught.value.code == "read_only"
    finally:
        storage.dispose()


@pytest.mark.parametrize("read_only_unit", [False, True])
def test_a_read_only_standby_is_unavailable_unless_the_unit_is_read_only(
    read_only_unit: bool,
) -> None:
    class Refused(Exception):
        sqlstate = "25006"  # PostgreSQL: read_only_sql_transaction (also a hot standby's)

    error = _storage_error(
        Refused("cannot execute INSERT in a read-only transaction"),
        read_only_unit=read_only_unit,
    )
    assert error.code == ("read_only" if read_only_unit else "unavailable")
