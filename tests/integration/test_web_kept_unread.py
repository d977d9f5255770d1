"""A signed-in page served **without reading**, only while nothing was committed.

:meth:`~siapkerja_adapters.web.pages.site.Site.kept_page` serves a holder's kept
page (``/profil``, the address picker, ``/kartu``, ``/riwayat``, ``/program``)
without checking the session or reading the page's data when the storage's
change stamp (:class:`~siapkerja_core.ports.ChangeStamp`) is the one taken
before the page's last read, less than five seconds ago and before the session
ends. These tests, in production mode, on the memory storage and on a SQLite
file, hold it to that: a second load reads nothing; any commit — an unrelated
one, a sign-out through another facade on the same file, a write by another
process — makes the next load read (and a signed-out session is sent to the
sign-in page); the standing lapses with the clock and the session's end is
exact; an access-code card page and a session holding a flash message are
always read; no page reads in a unit of work that could lock rows. On
PostgreSQL (the server's running transactions as the stamp) the same, as far
as a shared server lets a test say.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient
from test_sql_storage import POLICY, close, connect_sql  # type: ignore[import-not-found]
from test_web_shown_pages import PASSWORD, SECRET, TOKEN, _as

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock
from support.load import run_on_own_loop
from support.sms import sms_code

PAGES = ("/profil", "/profil/alamat/ktp", "/kartu", "/riwayat", "/program")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture(params=["memory", "sqlite"])
def svc(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Siapkerja]:
    if request.param == "memory":
        yield connect(
            "memory",
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            policy=POLICY,
            clock=clock.now,
        )
        return
    service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", clock=clock.now)
    try:
        yield service
    finally:
        close(service)


class Reads:
    """Counts the session checks the pages make (one per page read through the facade)."""

    def __init__(self, svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        check = svc.authenticate_session

        def counted(token: str) -> object:
            self.count += 1
            return check(token)

        monkeypatch.setattr(svc, "authenticate_session", counted)


def _signed_in(svc: Siapkerja) -> tuple[TestClient, str]:
    """Galih with a complete profile and a card, and a production-mode client holding his
    session."""
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    svc.submit_contact(
        registration.id, email=people.EMAIL, phone="0812-9999-9999", password=PASSWORD
    )
    account = svc.confirm_otp(registration.id, code=sms_code(svc))
    assert account.session is not None
    token = account.session.token
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    client = TestClient(create_app(svc, secret_key=SECRET), follow_redirects=False)
    _as(client, {"auth": token, "csrf": TOKEN, "lang": "id"})
    return client, token


def test_a_second_load_reads_nothing_and_sends_the_same_bytes(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _token = _signed_in(svc)
    reads = Reads(svc, monkeypatch)
    for path in PAGES:
        before = reads.count
        first = client.get(path)
        assert first.status_code == 200, path
        assert reads.count == before + 1, path  # read and rendered
        second = client.get(path)
        assert second.status_code == 200
        assert reads.count == before + 1, path  # served unread
        assert second.content == first.content
        for header in ("content-type", "cache-control", "content-security-policy"):
            assert second.headers.get(header) == first.headers.get(header)


def test_any_commit_makes_the_next_load_read(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, token = _signed_in(svc)
    reads = Reads(svc, monkeypatch)
    client.get("/profil")
    # Someone else registers: nothing this page shows, but a commit all the same.
    fauzi = people.FAUZI
    svc.register(nik=fauzi.nik, full_name=fauzi.full_name, mother_name=fauzi.mother_name)
    client.get("/profil")
    assert reads.count == 2
    svc.update_profile(svc.authenticate(token).id, biodata={"headline": "Penjahit Kebaya"})
    assert "Penjahit Kebaya" in client.get("/profil").text  # and an edit shows at once
    assert reads.count == 3


def test_a_sign_out_through_another_facade_ends_the_kept_pages(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: ManualClock
) -> None:
    client, token = _signed_in(svc)
    for path in PAGES:
        assert client.get(path).status_code == 200
    if svc.storage.__class__.__name__ == "MemoryStorage":
        svc.logout(token)
    else:  # another worker process's facade on the same file
        other = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", clock=clock.now)
        try:
            other.logout(token)
        finally:
            close(other)
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].endswith("/"), path
        _as(client, {"auth": token, "csrf": TOKEN, "lang": "id"})  # the same cookie again


def test_a_commit_by_another_process_makes_the_next_load_read(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "siapkerja.sqlite3"
    svc = connect_sql(f"sqlite:///{database}", clock=clock.now)
    try:
        client, _token = _signed_in(svc)
        reads = Reads(svc, monkeypatch)
        client.get("/riwayat")
        client.get("/riwayat")
        assert reads.count == 1
        script = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('CREATE TABLE IF NOT EXISTS someone_elses (x)');"
            " c.execute('INSERT INTO someone_elses VALUES (1)'); c.commit()"
        )
        subprocess.run([sys.executable, "-c", script, str(database)], check=True, timeout=60)
        client.get("/riwayat")
        assert reads.count == 2
        # A hand-run session in this process, on a connection of its own, too.
        raw = sqlite3.connect(database)
        with raw:
            raw.execute("INSERT INTO someone_elses VALUES (2)")
        raw.close()
        client.get("/riwayat")
        assert reads.count == 3
    finally:
        close(svc)


def test_the_standing_lapses_with_the_clock_and_the_session_end_is_exact(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    client, token = _signed_in(svc)
    reads = Reads(svc, monkeypatch)
    client.get("/program")
    clock.advance(seconds=4)
    client.get("/program")
    assert reads.count == 1  # within five seconds of the read
    clock.advance(seconds=2)
    client.get("/program")
    assert reads.count == 2  # read again, standing again from now
    ends = svc.authenticate_session(token)[1]
    clock.current = ends - timedelta(seconds=1)
    assert client.get("/program").status_code == 200  # read: stands until the session ends
    clock.current = ends
    answer = client.get("/program")
    assert answer.status_code == 303  # the session ended: never a kept page


def test_an_access_code_page_and_a_flash_are_always_read(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, token = _signed_in(svc)
    reads = Reads(svc, monkeypatch)
    client.get("/kartu?acara=BURSA-2026")
    client.get("/kartu?acara=BURSA-2026")
    assert reads.count == 2
    client.get("/profil")
    flash = [["success", {"id": "Tersimpan.", "en": "Saved."}]]
    _as(client, {"auth": token, "csrf": TOKEN, "lang": "id", "flash": flash})
    client.get("/profil")
    assert reads.count == 4


def test_on_postgresql_too_until_a_sign_out_through_another_facade(
    postgres_url: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's stamp is the server's running transactions: another session's write
    anywhere on the server moves it, so a load stands unread only while the server is
    quiet — one of a few tries must be (nothing else runs here); a sign-out made by
    another facade is seen on the very next load, every time."""
    service = connect_sql(postgres_url, postgres_schema)
    other = connect_sql(postgres_url, postgres_schema)
    try:
        client, token = _signed_in(service)
        reads = Reads(service, monkeypatch)
        unread = 0
        for _ in range(20):
            for path in PAGES:
                before = reads.count
                first = client.get(path)
                second = client.get(path)
                assert first.content == second.content, path
                unread += reads.count == before + 1
        assert unread > 0
        other.logout(token)
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 303, path
            _as(client, {"auth": token, "csrf": TOKEN, "lang": "id"})
    finally:
        close(other)
        close(service)


def test_a_signed_in_page_reads_in_read_only_units(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No signed-in page opens a read-write unit of work to show itself: one would lock
    rows (PostgreSQL: take a transaction id, which moves its change stamp) and on SQLite
    wait behind the process's writers, so the page could never stand unread."""
    client, _token = _signed_in(svc)
    storage = type(svc.storage)
    opened: list[bool] = []
    transaction = storage.transaction

    def recorded(self: object, *, read_only: bool = False) -> object:
        opened.append(read_only)
        return transaction(self, read_only=read_only)  # type: ignore[arg-type]

    monkeypatch.setattr(storage, "transaction", recorded)
    for path in PAGES:
        opened.clear()
        assert client.get(path).status_code == 200
        assert opened, path  # read, the first time
        assert all(opened), (path, opened)


def test_the_postgresql_stamp_on_an_event_loop_survives_a_dropped_connection(
    postgres_url: str, postgres_schema: str
) -> None:
    """The loop's own stamp connection (``change_stamp_async``): a commit moves it, as
    the threads' one; a connection the server dropped gives ``None`` once (read again,
    never a stale page) and a new connection the next time."""
    import asyncio

    from siapkerja_adapters.sql import SqlStorage, stamp

    service = connect_sql(postgres_url, postgres_schema)
    try:
        storage = service.storage
        assert isinstance(storage, SqlStorage)

        async def drive() -> None:
            before = await storage.change_stamp_async()
            assert isinstance(before, str)
            fauzi = people.FAUZI
            await asyncio.to_thread(
                service.register,
                nik=fauzi.nik,
                full_name=fauzi.full_name,
                mother_name=fauzi.mother_name,
            )
            assert await storage.change_stamp_async() != before
            (_, loop_stamp), *_ = storage._async_watch.values()
            pid = loop_stamp._conn.info.backend_pid
            # Sixteen pages at once share the round trips (a snapshot never older
            # than its request): one or two, not sixteen.
            queries = 0
            query = loop_stamp._query

            async def counted() -> str | None:
                nonlocal queries
                queries += 1
                return await query()

            loop_stamp._query = counted  # type: ignore[method-assign]
            stamps = await asyncio.gather(*(storage.change_stamp_async() for _ in range(16)))
            assert all(isinstance(stamp, str) for stamp in stamps)
            assert 1 <= queries <= 2
            loop_stamp._query = query  # type: ignore[method-assign]
            with storage.transaction() as tx:
                tx.run(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert await storage.change_stamp_async() is None  # the dropped one
            assert await storage.change_stamp_async() is None  # a moment's rest
            await asyncio.sleep(stamp.STAMP_BACKOFF)
            assert isinstance(await storage.change_stamp_async(), str)  # a new one

        run_on_own_loop(drive)  # not in this thread: Playwright's loop may run here
    finally:
        close(service)


class SilentProxy:
    """A TCP proxy to PostgreSQL that, once :attr:`silent` is set, stops passing bytes on
    every connection it carries while keeping them open — a NAT or a failover that dropped
    the connection without a word."""

    def __init__(self, target: tuple[str, int]) -> None:
        import socket
        import threading

        self.target = target
        self.silent = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = [self.server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: Any, sink: Any) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.silent.is_set():
                continue  # swallowed: neither an answer nor a reset
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def test_a_silent_stamp_connection_costs_a_bounded_wait_not_a_hang(
    postgres_url: str, postgres_schema: str
) -> None:
    """Both stamp reads (the threads' and the loop's) give ``None`` when their connection
    goes silent — in :data:`~siapkerja_adapters.sql.stamp.STAMP_TIMEOUT`, then at once for
    a moment — so a signed-in page is read as before instead of hanging."""
    import threading
    from urllib.parse import urlsplit

    from siapkerja_adapters.sql import SqlStorage

    address = urlsplit(postgres_url.replace("+psycopg", ""))
    proxy = SilentProxy((address.hostname or "127.0.0.1", address.port or 5432))
    proxied = postgres_url.replace(
        f"{address.hostname}:{address.port or 5432}", f"127.0.0.1:{proxy.port}"
    )
    service = connect_sql(proxied, postgres_schema)
    answers: list[object] = []
    try:
        storage = service.storage
        assert isinstance(storage, SqlStorage)
        assert isinstance(storage.change_stamp(), str)

        async def loop_reads() -> list[object]:
            first = await storage.change_stamp_async()
            proxy.silent.set()
            return [first, await storage.change_stamp_async(), await storage.change_stamp_async()]

        def drive() -> None:
            answers.extend(run_on_own_loop(loop_reads))
            answers.extend([storage.change_stamp(), storage.change_stamp()])

        worker = threading.Thread(target=drive, daemon=True)
        worker.start()
        worker.join(60)  # a hang would outlive this by far (TCP gives up after ~15 min)
        assert not worker.is_alive(), "a stamp read hung on a silent connection"
        assert isinstance(answers[0], str)
        assert answers[1:] == [None, None, None, None]
    finally:
        proxy.close()
        close(service)
