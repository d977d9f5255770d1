"""A scan answered is a scan in the ledger, even when the server is killed mid-load.

The access ledger's entries are appended in group commits (``sql/lane.py``): a
scan waits for the commit that holds its entry before its page is sent. Here a
real uvicorn server in a child process serves the embedded default (a SQLite
file, and PostgreSQL, whose lane commits in groups as well), concurrent
scanners load it, and the server is killed with ``SIGKILL`` while they do.
Afterwards every card's count of ledger entries is at least the count of scans
of that card that were answered 200: none of them was lost. (A scan whose entry
was committed but whose answer the kill cut off may be in the ledger without a
200: more entries than answers is fine, fewer is not.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core import compose_nik
from siapkerja_core.records import AccountRecord
from support import people

CARDS = 8
SCANNERS = 16

_SERVER = """
import json, socket, sys
import uvicorn
from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app

settings = json.loads(sys.argv[1])
svc = connect(environ={}, load_entrypoints=False, **settings)
app = create_app(svc, secret_key="crash-test-" + "k" * 32)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
uvicorn.Server(
    uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="off")
).run(sockets=[sock])
"""


def _settings(request: pytest.FixtureRequest, backend: str, database: Path) -> dict[str, str]:
    settings = {
        "storage": "sql",
        "database_url": f"sqlite:///{database}",
        "database_migrate": "true",
        "storage_key": generate_key_setting(),
        "sms": "memory",
        "dukcapil": "offline",
    }
    if backend == "postgresql":
        settings["database_url"] = request.getfixturevalue("postgres_url")
        settings["database_schema"] = request.getfixturevalue("postgres_schema")
    return settings


def _issue_cards(settings: dict[str, str]) -> dict[str, str]:
    """``CARDS`` holders with issued cards; their link tokens by account id."""
    svc = connect(environ={}, load_entrypoints=False, **settings)
    now = datetime.now(UTC)
    tokens = {}
    try:
        with svc.storage.transaction() as tx:
            for n in range(CARDS):
                tx.accounts.add(
                    AccountRecord(
                        id=f"crash-{n}",
                        nik=compose_nik("317307", date(1990, 1, 1 + n), "L", n + 1),
                        full_name=f"Peserta {n}",
                        email=f"crash{n}@example.com",
                        phone=f"+62812{n:08d}",
                        password_hash="x",
                        created_at=now,
                        password_changed_at=now,
                    )
                )
        for n in range(CARDS):
            svc.update_profile(f"crash-{n}", **people.complete_profile())
            svc.issue_card(f"crash-{n}")
            tokens[f"crash-{n}"] = svc.card_qr(f"crash-{n}").token
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]
    return tokens


def _ledger_counts(settings: dict[str, str]) -> Counter[str]:
    svc = connect(environ={}, load_entrypoints=False, **settings)
    try:
        return Counter({account: len(svc.access_log(account)) for account in _ACCOUNTS})
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


_ACCOUNTS = [f"crash-{n}" for n in range(CARDS)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_scan_answered_before_a_kill_is_in_the_ledger(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    if not hasattr(signal, "SIGKILL"):  # pragma: no cover - POSIX only
        pytest.skip("needs SIGKILL")
    settings = _settings(request, backend, tmp_path / "crash.sqlite3")
    tokens = _issue_cards(settings)
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVER, json.dumps(settings)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    answered: Counter[str] = Counter()
    failed = Counter[str]()
    stop = threading.Event()
    lock = threading.Lock()
    try:
        assert child.stdout is not None
        base = f"http://127.0.0.1:{int(child.stdout.readline())}"
        deadline = time.monotonic() + 30
        while True:  # up: the first scan answers
            try:
                if httpx.get(f"{base}/v/{tokens['crash-0']}", timeout=5).status_code == 200:
                    answered["crash-0"] += 1
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)

        def scanner(number: int) -> None:
            account = _ACCOUNTS[number % CARDS]
            url = f"{base}/v/{tokens[account]}"
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    try:
                        status = client.get(url).status_code
                    except httpx.HTTPError:
                        status = 0
                    with lock:
                        if status == 200:
                            answered[account] += 1
                        else:
                            failed[account] += 1
                    if status != 200:
                        return  # the server is gone

        threads = [threading.Thread(target=scanner, args=(n,)) for n in range(SCANNERS)]
        for thread in threads:
            thread.start()
        while sum(answered.values()) < 400:  # mid-load: hundreds of commits made already
            assert all(thread.is_alive() for thread in threads), "a scanner ended early"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        stop.set()
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert sum(failed.values()) > 0, "the kill did not land mid-load"
    assert child.returncode == -signal.SIGKILL
    ledger = _ledger_counts(settings)
    lost = {account: answered[account] - ledger[account] for account in _ACCOUNTS}
    assert all(count <= 0 for count in lost.values()), (lost, answered, ledger)
    assert sum(answered.values()) >= 400
