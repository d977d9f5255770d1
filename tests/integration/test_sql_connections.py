"""How the ``sql`` storage uses its pool under a web server's threads (issue 11).

Release 0.1 deadlocked 16 concurrent sign-ups on SQLite: a thread holding the
write lock on one pooled connection asked the 5 + 10 pool for a second one,
which 40 worker threads, waiting for that same lock, had taken. Checked here,
on a real SQLite file and a real PostgreSQL:

* a thread holding a connection that asks for a second one is refused
  (:class:`SecondConnection`) when the guard is on — as it is for the whole
  suite — and warned about otherwise;
* the whole journey on the ``storage`` rate limit (the 0.1 deadlock's path,
  where the daily SMS caps were read inside the transaction) takes one
  connection at a time;
* the pool lets every worker thread hold a connection at once, so no request
  waits on the pool.

The load itself is ``tests/integration/test_load.py``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from siapkerja_adapters import connect
from siapkerja_adapters.sql import KeyMaterial, SqlStorage, generate_key_setting
from siapkerja_adapters.sql.engine import POOL_CAPACITY, POOL_SIZE
from siapkerja_adapters.sql.storage import SecondConnection
from siapkerja_adapters.web.threads import MAX_WORKER_THREADS
from siapkerja_core.errors import OtpError
from siapkerja_core.passwords import PasswordHasher
from support import people
from support.sms import sms_code


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
        return
    yield request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")


def storage_for(database: tuple[str, str | None], **options: object) -> SqlStorage:
    url, schema = database
    return SqlStorage(
        url, key_material=KeyMaterial.generate(), migrate=True, schema=schema, **options
    )


def test_the_suite_runs_with_the_guard_on(database: tuple[str, str | None]) -> None:
    storage = storage_for(database)
    try:
        assert storage._strict  # tests/conftest.py: every storage of the suite
    finally:
        storage.dispose()


@pytest.mark.parametrize(
    "second",
    [
        lambda s: s.counters.clear("k"),
        lambda s: s.scan_subject(1),
        lambda s: s.current_revision(),
    ],
    ids=["counter", "scan", "revision"],
)
def test_a_second_connection_inside_a_transaction_raises(
    database: tuple[str, str | None], second: object
) -> None:
    storage = storage_for(database, connection_guard=True)
    try:
        with storage.transaction() as tx:
            tx.accounts.find(nik=people.NIK)
            with pytest.raises(SecondConnection):
                second(storage)  # type: ignore[operator]
        # Nothing leaked: the thread holds no connection, and the storage works on.
        storage.counters.clear("k")
        assert storage.scan_subject(1) is None
        with storage.transaction() as tx:
            assert tx.accounts.find(nik=people.NIK) is None
    finally:
        storage.dispose()


def test_without_the_guard_a_second_connection_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = storage_for((f"sqlite:///{tmp_path / 'db.sqlite3'}", None), connection_guard=False)
    try:
        with caplog.at_level(logging.WARNING, "siapkerja.storage.sql"), storage.transaction() as tx:
            tx.accounts.find(nik=people.NIK)
            assert storage.scan_subject(1) is None
        assert "second pooled connection" in caplog.text
    finally:
        storage.dispose()


def test_the_journey_takes_one_connection_at_a_time(database: tuple[str, str | None]) -> None:
    """The whole journey on ``ratelimit = "storage"`` with the guard on: 0.1 raised here."""
    url, schema = database
    svc = connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_url=url,
        database_schema=schema,
        database_migrate="true",
        storage_key=generate_key_setting(),
        sms="memory",
        dukcapil="offline",
        ratelimit="storage",
        secret_key="connections-secret-key-0123456789abcdef",
    )
    storage = svc.storage
    assert isinstance(storage, SqlStorage)
    assert storage._strict
    try:
        reg = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
        reg = svc.submit_contact(
            reg.id, email=people.EMAIL, phone="0812-9999-9999", password="kopi tubruk pagi"
        )
        with pytest.raises(OtpError):  # inside the cooldown: the caps are read, nothing sent
            svc.resend_otp(reg.id)
        account = svc.confirm_otp(reg.id, code=sms_code(svc))
        svc.login(identifier=people.NIK, password="kopi tubruk pagi")
        svc.request_password_reset(people.EMAIL)
        svc.update_profile(account.id, **people.complete_profile())
        svc.issue_card(account.id)
        svc.resolve(svc.card_qr(account.id).token)
    finally:
        storage.dispose()


def test_every_worker_thread_holds_a_connection_at_once(database: tuple[str, str | None]) -> None:
    """As many threads as the web binding runs each hold a connection, none waiting on the pool.

    0.1's pool (5 + 10) made the other 25 wait for ``pool_timeout``.
    """
    storage = storage_for(database, pool_timeout=2)
    assert POOL_SIZE + storage.engine.pool._max_overflow == POOL_CAPACITY  # type: ignore[attr-defined]
    assert POOL_CAPACITY > MAX_WORKER_THREADS
    all_in = threading.Barrier(MAX_WORKER_THREADS, timeout=30)

    def hold() -> int:
        with storage.single_statement(write=False) as conn:
            value = int(conn.execute(sa.text("SELECT 1")).scalar_one())
            all_in.wait()  # every thread holds its connection here at the same time
            return value

    try:
        with ThreadPoolExecutor(MAX_WORKER_THREADS) as pool:
            assert sum(pool.map(lambda _: hold(), range(MAX_WORKER_THREADS))) == (
                MAX_WORKER_THREADS
            )
    finally:
        storage.dispose()


def test_the_pool_settings_still_win(tmp_path: Path) -> None:
    storage = storage_for(
        (f"sqlite:///{tmp_path / 'db.sqlite3'}", None), pool_size=3, max_overflow=2
    )
    try:
        assert storage.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert storage.engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        storage.dispose()


def test_a_connection_held_across_dispose_is_closed_when_its_thread_lets_go(
    database: tuple[str, str | None],
) -> None:
    # The outbox thread may hold a connection while a server (or a test) disposes the
    # storage: that connection must be closed when released, not left in the discarded
    # pool for the garbage collector (psycopg warns then, and the suite fails on it).
    storage = storage_for(database)
    holding, disposed = threading.Event(), threading.Event()
    raw: list[object] = []

    def hold() -> None:
        with storage.transaction() as tx:
            raw.append(tx.conn.connection.dbapi_connection)
            holding.set()
            disposed.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    assert holding.wait(10)
    storage.dispose()
    disposed.set()
    worker.join(10)
    (connection,) = raw
    with pytest.raises(Exception, match=r"(?i)closed"):
        connection.cursor().execute("SELECT 1")  # type: ignore[attr-defined]
