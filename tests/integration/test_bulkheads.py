"""Bulkheads: a hanging Dukcapil cannot starve scans (issue 11, "Bulkheads").

* the ``http`` Dukcapil registry lets at most ``max_concurrency`` calls out at once; the
  next one is refused at once with ``dukcapil.unavailable`` (reason ``busy``, a
  ``retry_after``), without touching the network;
* the circuit breaker counts calls in flight past their timeout as failures: it opens
  while they hang, not after they have failed;
* on a real uvicorn server, 50 concurrent registrations against a Dukcapil that hangs
  leave an anonymous scan answering in under a second (the one timing bound the issue
  asks for): scans run in worker threads of their own, and the hanging calls hold at
  most ``max_concurrency`` of the shared ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.dukcapil_http import CircuitBreaker, HttpRegistry
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import RegistryUnavailable, VerificationRequest
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.scanning import CardQr
from support import people
from support.fake_servers import FakeDukcapil
from support.live_server import live_server
from support.sms import sms_code

httpx = pytest.importorskip("httpx", reason="the http adapters need siapkerja[http] (httpx)")

ASK = VerificationRequest(
    nik=people.NIK, full_name=people.NAME.upper(), mother_name=people.MOTHER.upper(), threshold=90
)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dukcapil() -> Iterator[FakeDukcapil]:
    with FakeDukcapil([people.GALIH]) as server:
        yield server


def registry_on(server: FakeDukcapil, **options: Any) -> HttpRegistry:
    return HttpRegistry(
        server.url,
        server.CUSTOMER_ID,
        server.USER_ID,
        server.PASSWORD,
        server.IP_USER,
        **{"retries": 0, "backoff": 0.0, "jitter": 0.0, **options},
    )


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def in_threads(count: int, call: Callable[[], Any]) -> tuple[list[threading.Thread], list[Any]]:
    outcomes: list[Any] = []

    def run() -> None:
        try:
            outcomes.append(call())
        except Exception as error:  # the outcome is what the test reads
            outcomes.append(error)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_a_full_bulkhead_refuses_at_once_without_calling_dukcapil(
    dukcapil: FakeDukcapil,
) -> None:
    registry = registry_on(dukcapil, timeout=30.0, max_concurrency=2, acquire_timeout=0.05)
    try:
        dukcapil.hold()
        threads, outcomes = in_threads(2, lambda: registry.verify(ASK))
        wait_until(lambda: dukcapil.request_count == 2)
        with pytest.raises(RegistryUnavailable) as info:
            registry.verify(ASK)
        assert info.value.params["reason"] == "busy"
        assert info.value.params["retry_after"] == 30
        assert dukcapil.request_count == 2  # the refused call never reached the gateway
        dukcapil.release()
        for thread in threads:
            thread.join(20)
        assert [o.status for o in outcomes] == ["found", "found"]  # the held calls completed
        assert registry.verify(ASK).status == "found"  # and the slots are free again
    finally:
        dukcapil.release()
        registry.close()


def test_the_breaker_opens_while_calls_hang_past_their_timeout(dukcapil: FakeDukcapil) -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(5, 30.0, call_timeout=5.0, clock=clock)
    registry = registry_on(dukcapil, timeout=30.0, breaker=breaker, max_concurrency=10)
    try:
        dukcapil.hold()
        threads, outcomes = in_threads(5, lambda: registry.verify(ASK))
        wait_until(lambda: dukcapil.request_count == 5)
        assert breaker.state == "closed"  # in flight, not yet past their timeout
        assert breaker.in_flight == 5
        clock.now += 5.0  # none has completed, none has failed: they hang
        assert breaker.state == "open"
        with pytest.raises(RegistryUnavailable) as info:
            registry.verify(ASK)
        assert info.value.params["reason"] == "circuit_open"
        assert info.value.params["retry_after"] == 30
        assert dukcapil.request_count == 5  # refused without touching the network
        dukcapil.release()
        for thread in threads:
            thread.join(20)
        assert len(outcomes) == 5
    finally:
        dukcapil.release()
        registry.close()


def test_a_breaker_without_call_timeout_counts_completed_calls_only() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(1, 30.0, clock=clock)
    assert breaker.allow()
    token = breaker.begin()
    clock.now += 3600
    assert breaker.state == "closed"
    breaker.end(token)
    breaker.record_failure()
    assert breaker.state == "open"


def test_a_hanging_trial_call_opens_the_breaker_again() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(1, 10.0, call_timeout=2.0, clock=clock)
    breaker.allow()
    breaker.record_failure()
    clock.now += 10.0
    assert breaker.allow()  # the half-open trial
    breaker.begin()
    clock.now += 2.0
    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.retry_after() == pytest.approx(10.0)


# --- on a real server -----------------------------------------------------------------------------


def service_on(
    dukcapil: FakeDukcapil, database: Path, base_url: str, **settings: object
) -> Siapkerja:
    return connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        database_url=f"sqlite:///{database}",
        storage_key=generate_key_setting(),
        sms="memory",
        dukcapil="http",
        dukcapil_url=dukcapil.url,
        dukcapil_customer_id=dukcapil.CUSTOMER_ID,
        dukcapil_user_id=dukcapil.USER_ID,
        dukcapil_password=dukcapil.PASSWORD,
        dukcapil_ip_user=dukcapil.IP_USER,
        **{"dukcapil_timeout": "3", "dukcapil_retries": "0", **settings},
        card_base_url=f"{base_url}/v/",
    )


def galih_with_a_card(svc: Siapkerja) -> CardQr:
    """Register Galih (Dukcapil answers while not held), complete his profile, issue his card."""
    reg = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    reg = svc.submit_contact(
        reg.id, email=people.EMAIL, phone="0812-9999-9999", password="kopi tubruk di pal merah"
    )
    account = svc.confirm_otp(reg.id, code=sms_code(svc))
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return svc.card_qr(account.id)


def test_a_scan_answers_fast_while_50_registrations_wait_on_a_hanging_dukcapil(
    dukcapil: FakeDukcapil, tmp_path: Path
) -> None:
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append(service_on(dukcapil, tmp_path / "siapkerja.sqlite3", base_url))
        return create_app(services[0], dev=True)

    with live_server(make_app) as server:
        svc = services[0]
        scan_url = galih_with_a_card(svc).url
        assert scan_url.startswith(server.url)
        with httpx.Client(timeout=10) as client:
            assert client.get(scan_url).status_code == 200  # warm: the page is cached after

        dukcapil.hold()
        before = dukcapil.request_count
        # Fifty people (one NIK each: a NIK's own Dukcapil cap would stop repeats of one
        # before they reach the bulkhead), all born the day GALIH was.
        niks = iter(f"{people.NIK[:12]}{serial:04d}" for serial in range(100, 150))

        def sign_up(nik: str) -> httpx.Response:
            body = {"nik": nik, "full_name": people.NAME, "mother_name": people.MOTHER}
            with httpx.Client(timeout=30) as client:
                return client.post(f"{server.url}/api/v1/registrations", json=body)

        try:
            with ThreadPoolExecutor(50) as pool:
                futures = [pool.submit(sign_up, next(niks)) for _ in range(50)]
                wait_until(lambda: dukcapil.request_count - before >= 8)  # the bulkhead is full
                time.sleep(0.3)  # and the rest of the 50 are inside the server
                with httpx.Client(timeout=10) as client:
                    started = time.monotonic()
                    scan = client.get(scan_url)
                    elapsed = time.monotonic() - started
                answers = [future.result(timeout=60) for future in futures]
        finally:
            dukcapil.release()
    assert scan.status_code == 200
    assert elapsed < 1.0, f"the scan waited {elapsed:.2f} s behind the hanging registrations"
    assert {answer.status_code for answer in answers} == {503}
    assert dukcapil.request_count - before <= 8  # at most the bulkhead's calls went out
    refused = [a for a in answers if a.json().get("params", {}).get("reason") != "timeout"]
    assert refused, "no registration was refused by the bulkhead or the breaker"
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers)


def test_scans_page_and_api_answer_while_the_shared_threads_are_all_taken(
    dukcapil: FakeDukcapil, tmp_path: Path
) -> None:
    # The Dukcapil bulkhead opened wide (64 calls in flight, a long timeout): 50
    # hanging registrations take every thread of the shared pool (40). The scans,
    # the page and the API alike, run in their own pool and still answer at once.
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append(
            service_on(
                dukcapil,
                tmp_path / "siapkerja.sqlite3",
                base_url,
                dukcapil_max_concurrency="64",
                dukcapil_timeout="20",
            )
        )
        return create_app(services[0], dev=True)

    with live_server(make_app) as server:
        svc = services[0]
        qr = galih_with_a_card(svc)
        api_url = f"{server.url}/api/v1/scan/{qr.token}"
        with httpx.Client(timeout=10) as client:
            assert client.get(qr.url).status_code == 200
            assert client.get(api_url).status_code == 200

        dukcapil.hold()
        before = dukcapil.request_count
        niks = iter(f"{people.NIK[:12]}{serial:04d}" for serial in range(100, 150))

        def sign_up(nik: str) -> httpx.Response:
            body = {"nik": nik, "full_name": people.NAME, "mother_name": people.MOTHER}
            with httpx.Client(timeout=60) as client:
                return client.post(f"{server.url}/api/v1/registrations", json=body)

        timings: dict[str, float] = {}
        try:
            with ThreadPoolExecutor(50) as pool:
                futures = [pool.submit(sign_up, next(niks)) for _ in range(50)]
                wait_until(lambda: dukcapil.request_count - before >= 40)  # the pool is full
                with httpx.Client(timeout=10) as client:
                    for name, url in (("page", qr.url), ("api", api_url)):
                        started = time.monotonic()
                        assert client.get(url).status_code == 200, name
                        timings[name] = time.monotonic() - started
                dukcapil.release()
                for future in futures:
                    future.result(timeout=60)
        finally:
            dukcapil.release()
    assert max(timings.values()) < 1.0, f"scans waited behind the shared pool: {timings}"
