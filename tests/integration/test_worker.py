"""``siapkerja worker`` loses no SMS: killed mid-batch, or through a gateway outage.

The messages are real ones — 200 password-reset codes written to the durable
outbox by the facade (``sms_dispatch = "worker"``: the requests only enqueue)
on a SQLite file and on PostgreSQL — and the workers are real processes
(``python -m siapkerja_adapters.cli worker``) sending to a fake HTTP gateway.

* **kill -9 mid-batch**: a first worker is killed while it sends; a second
  one, started at once, sends the rest — and, once the first worker's lease
  runs out, what it had claimed. Every message arrives; the gateway sees a key
  twice at most where the kill hit a send in flight (and delivers it once:
  the key is the idempotency key).
* **a gateway outage**: the gateway answers 503 or resets for a while; the
  messages wait (retried with backoff) and all arrive once it is back.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support.fake_servers import FakeSmsGateway, reset, slow, status
from support.services import postgres_url

pytest.importorskip("httpx")
pytest.importorskip("typer")

SRC = Path(__file__).resolve().parents[2] / "src"
MESSAGES = 200
NIK_STEM = "317307120394"


_OPENED: list[Siapkerja] = []


def _dispose() -> None:
    while _OPENED:
        _OPENED.pop().storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The settings of a fresh database both the test and the workers open."""
    settings = {"storage_key": generate_key_setting()}
    if request.param == "sqlite":
        settings["database_url"] = f"sqlite:///{tmp_path}/siapkerja.sqlite3"
        yield settings
        _dispose()
        return
    from siapkerja_adapters.sql import testing

    url = postgres_url()
    with testing.temporary_schema(url) as schema:
        settings.update(database_url=url, database_schema=schema, database_migrate="true")
        yield settings
        _dispose()


def _enqueue(database: dict[str, str], gateway: FakeSmsGateway) -> tuple[Siapkerja, set[str]]:
    """200 reset codes in the outbox (nothing sent by the requests); their keys."""
    svc = connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        sms="http",
        sms_url=gateway.send_url,
        sms_token=FakeSmsGateway.TOKEN,
        sms_message_id_path="data.message_id",
        sms_dispatch="worker",
        **database,
    )
    _OPENED.append(svc)
    keys = set()
    for n in range(1, MESSAGES + 1):
        account, _created = svc.import_account(
            nik=f"{NIK_STEM}{n:04d}",
            full_name=f"Pencari Kerja {n}",
            email=f"pencari{n}@example.com",
            phone=f"0812{n:08d}",
        )
        svc.request_password_reset(f"pencari{n}@example.com")
        keys.add(f"reset:{account.id}:1")  # the challenge's subject and generation
    assert svc.outbox.pending() == MESSAGES
    assert gateway.request_count == 0  # the requests only enqueued
    return svc, keys


def _worker_env(database: dict[str, str], gateway: FakeSmsGateway) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update({f"SIAPKERJA_{key.upper()}": value for key, value in database.items()})
    env.update(
        SIAPKERJA_SMS="http",
        SIAPKERJA_SMS_URL=gateway.send_url,
        SIAPKERJA_SMS_TOKEN=FakeSmsGateway.TOKEN,
        SIAPKERJA_SMS_MESSAGE_ID_PATH="data.message_id",
        SIAPKERJA_SMS_TIMEOUT="2",
        SIAPKERJA_SMS_RETRIES="0",
        SIAPKERJA_PLUGINS="",
    )
    return env


@contextlib.contextmanager
def _worker(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, "-m", "siapkerja_adapters.cli", "worker", "--poll", "0.1", *args]
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()


def _wait_until(condition: Any, seconds: float, what: str, child: Any = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if child is not None and child.poll() is not None:
            _out, err = child.communicate()
            raise AssertionError(f"the worker ended early ({child.returncode}): {err[-2000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _none_failed(svc: Siapkerja, keys: set[str]) -> bool:
    """Whether every code's challenge says its SMS went out (no failure recorded)."""
    with svc.storage.transaction() as tx:
        for key in keys:
            challenge = tx.challenges.get(key.rsplit(":", 1)[0])
            if challenge is None or not challenge.delivered or challenge.last_failure:
                return False
    return True


def _delivered_keys(gateway: FakeSmsGateway) -> set[str]:
    return {d.idempotency_key for d in gateway.delivered if d.idempotency_key}


def test_a_worker_killed_mid_batch_loses_no_message(database: dict[str, str]) -> None:
    with FakeSmsGateway() as gateway:
        svc, keys = _enqueue(database, gateway)
        gateway.script(*(slow(0.02) for _ in range(MESSAGES * 3)))
        env = _worker_env(database, gateway)
        with _worker(env, "--batch", "25", "--lease", "3") as first:
            _wait_until(lambda: len(gateway.delivered) >= 60, 60, "a first part", first)
            first.send_signal(signal.SIGKILL)  # kill -9, mid-batch
            first.communicate(timeout=10)
        killed_at = len(gateway.delivered)
        assert killed_at < MESSAGES, "the first worker finished before it was killed"
        with _worker(env, "--batch", "25", "--lease", "3") as second:
            _wait_until(lambda: _delivered_keys(gateway) >= keys, 60, "every message", second)
        requests = collections.Counter(r.headers.get("idempotency-key") for r in gateway.requests)

    assert _delivered_keys(gateway) == keys  # every message arrived, no stranger
    assert len(gateway.delivered) == MESSAGES  # each once: the gateway deduplicated
    resent = [key for key, count in requests.items() if count > 1]
    assert len(resent) <= 1, resent  # only the send the kill interrupted was repeated
    assert svc.outbox.pending() == 0
    assert _none_failed(svc, keys)


def test_messages_wait_out_a_gateway_outage(database: dict[str, str]) -> None:
    with FakeSmsGateway() as gateway:
        svc, keys = _enqueue(database, gateway)
        outage = [status(503, retry_after="1") if n % 3 else reset() for n in range(60)]
        gateway.script(*outage)
        env = _worker_env(database, gateway)
        with _worker(env, "--batch", "50") as worker:
            _wait_until(lambda: gateway.request_count >= 60, 60, "the outage", worker)
            assert len(gateway.delivered) < MESSAGES
            _wait_until(lambda: _delivered_keys(gateway) >= keys, 90, "the recovery", worker)
    assert len(gateway.delivered) == MESSAGES
    assert svc.outbox.pending() == 0
    # The outage was recorded on the codes that met it, and cleared when they went out.
    assert _none_failed(svc, keys)
