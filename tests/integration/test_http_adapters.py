"""The ``http`` Dukcapil and SMS adapters against real HTTP servers on 127.0.0.1.

The servers (``fake_servers.py``) imitate Dukcapil's ``CALL_VERIFY_BY_ELEMEN``
and a generic SMS gateway, and are scripted per test: slow replies beyond the
client's timeout, 5xx, malformed JSON, reset connections, an exhausted quota.
Timeouts here are 0.2 s; backoffs are 0 unless a test sets them, without jitter, and
the waits stamina schedules are recorded by a retry hook (``retry_waits``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.dukcapil_http import (
    CircuitBreaker,
    HttpRegistry,
    MalformedReply,
    http_registry_from_settings,
    parse_reply,
)
from siapkerja_adapters.sms_http import HttpSender, http_sender_from_settings
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.plugins import AdapterRegistration
from siapkerja_core.ports import (
    FieldMatch,
    MessageSender,
    PopulationRegistry,
    RegistryUnavailable,
    SmsDeliveryError,
    VerificationRequest,
)
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.settings import resolve_settings
from support.clock import ManualTimer
from support.fake_servers import (
    FakeDukcapil,
    FakeSmsGateway,
    malformed,
    reply,
    reset,
    slow,
    status,
)
from support.people import GALIH, SUTARMI, UNKNOWN_NIK

pytest.importorskip("httpx", reason="the http adapters need siapkerja[http] (httpx)")

TIMEOUT = 0.2
BEYOND_TIMEOUT = 0.5

ASK_GALIH = VerificationRequest(
    nik=GALIH.nik, full_name="GALIH AGAN PAMBAYUN", mother_name="SRI WAHYUNI", threshold=90
)
TO = "+6281234567890"
TEXT = 'Kode verifikasi SIAPkerja: 482913. Jangan berikan kode ini "ke siapa pun".\n{x}'


def found(nik: str = "Sesuai", name: str = "Sesuai (100)", mother: str = "Sesuai (100)") -> Any:
    return {
        "content": [{"NIK": nik, "NAMA_LGKP": name, "NAMA_LGKP_IBU": mother}],
        "lastPage": True,
        "numberOfElements": 1,
        "quotaLimiter": 41,
    }


def error_reply(code: object, quota: object = 40) -> Any:
    return {"content": [{"RESPONSE_CODE": code, "RESPONSE": "x"}], "quotaLimiter": quota}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def dukcapil() -> Iterator[FakeDukcapil]:
    with FakeDukcapil([GALIH, SUTARMI]) as server:
        yield server


@pytest.fixture
def make_registry(dukcapil: FakeDukcapil) -> Iterator[Callable[..., HttpRegistry]]:
    made: list[HttpRegistry] = []

    def make(**options: Any) -> HttpRegistry:
        options = {"timeout": TIMEOUT, "retries": 1, "backoff": 0.0, "jitter": 0.0, **options}
        registry = HttpRegistry(
            dukcapil.url,
            dukcapil.CUSTOMER_ID,
            dukcapil.USER_ID,
            options.pop("password", dukcapil.PASSWORD),
            dukcapil.IP_USER,
            **options,
        )
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.close()


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway() as server:
        yield server


@pytest.fixture
def make_sender(gateway: FakeSmsGateway) -> Iterator[Callable[..., HttpSender]]:
    made: list[HttpSender] = []

    def make(**options: Any) -> HttpSender:
        options = {
            "token": gateway.TOKEN,
            "message_id_path": "data.message_id",
            "timeout": TIMEOUT,
            "retries": 1,
            "backoff": 0.0,
            "jitter": 0.0,
            **options,
        }
        sender = HttpSender(gateway.send_url, **options)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.close()


@pytest.fixture
def retry_waits() -> Iterator[list[float]]:
    """The waits stamina schedules between attempts, in order (each is also slept)."""
    from stamina.instrumentation import get_on_retry_hooks, set_on_retry_hooks

    waits: list[float] = []
    hooks = get_on_retry_hooks()
    set_on_retry_hooks([*hooks, lambda details: waits.append(details.wait_for)])
    yield waits
    set_on_retry_hooks(hooks)


# --- Dukcapil: the wire shape ------------------------------------------------------------------


def test_the_request_is_call_verify_by_elemen_with_credentials(dukcapil, make_registry) -> None:
    make_registry().verify(ASK_GALIH)
    [request] = dukcapil.requests
    assert request.method == "POST"
    assert request.path == f"/dukcapil/get_json/{dukcapil.CUSTOMER_ID}/CALL_VERIFY_BY_ELEMEN"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "NIK": GALIH.nik,
        "NAMA_LGKP": "GALIH AGAN PAMBAYUN",
        "NAMA_LGKP_IBU": "SRI WAHYUNI",
        "TRESHOLD": "90",
        "USER_ID": dukcapil.USER_ID,
        "PASSWORD": dukcapil.PASSWORD,
        "IP_USER": dukcapil.IP_USER,
    }


def test_found_verdicts_scores_and_quota(make_registry) -> None:
    registry = make_registry()
    result = registry.verify(
        VerificationRequest(
            nik=GALIH.nik, full_name="GALIH AGAN PAMBAYUN", mother_name="SITI", threshold=90
        )
    )
    assert result.status == "found"
    assert result.nik == FieldMatch(True)
    assert result.full_name == FieldMatch(True, 100)
    assert not result.mother_name.matched
    assert result.mother_name.score is not None
    assert result.quota_remaining == 999
    assert registry.verify(ASK_GALIH).quota_remaining == 998


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sesuai (93)", FieldMatch(True, 93)),
        ("Sesuai(100)", FieldMatch(True, 100)),
        ("  sesuai  ( 90 ) ", FieldMatch(True, 90)),
        ("Tidak Sesuai", FieldMatch(False)),
        ("Tidak Sesuai (41)", FieldMatch(False, 41)),
        ("TIDAK SESUAI (0)", FieldMatch(False, 0)),
        ("Sesuai (85)", FieldMatch(False, 85)),  # Dukcapil's threshold was lower than ours
    ],
)
def test_per_field_values_are_parsed(value, expected) -> None:
    result = parse_reply(found(name=value), threshold=90)
    assert result.full_name == expected
    assert result.quota_remaining == 41


def test_a_tidak_sesuai_is_never_upgraded_by_the_score() -> None:
    # Dukcapil compared with a stricter TRESHOLD than the request's: its word stands.
    assert parse_reply(found(mother="Tidak Sesuai (92)"), threshold=90).mother_name == FieldMatch(
        False, 92
    )


def test_response_code_14_is_inactive(dukcapil, make_registry) -> None:
    registry = make_registry()
    result = registry.verify(
        VerificationRequest(
            nik=SUTARMI.nik, full_name="SUTARMI", mother_name="PAINEM", threshold=90
        )
    )
    assert result.status == "inactive"
    assert (result.full_name.matched, result.mother_name.matched) == (False, False)
    assert parse_reply(error_reply(14), 90).status == "inactive"  # a number, not a string


@pytest.mark.parametrize("code", ["08", "11", "12", "13", "15", "8", "99", "E1"])
def test_other_response_codes_are_not_found(code) -> None:
    result = parse_reply(error_reply(code), threshold=90)
    assert result.status == "not_found"
    assert not result.nik.matched
    assert not result.full_name.matched
    assert not result.mother_name.matched
    assert result.quota_remaining == 40


def test_an_unknown_nik_is_not_found_over_the_wire(make_registry) -> None:
    result = make_registry().verify(
        VerificationRequest(nik=UNKNOWN_NIK, full_name="X", mother_name="Y", threshold=90)
    )
    assert result.status == "not_found"


@pytest.mark.parametrize(
    ("quota", "expected"), [(7, 7), ("12", 12), (None, None), (-3, 0), ("lots", None), (4.0, 4)]
)
def test_quota_limiter_becomes_quota_remaining(quota, expected) -> None:
    document = found()
    document["quotaLimiter"] = quota
    assert parse_reply(document, 90).quota_remaining == expected


@pytest.mark.parametrize(
    "document",
    [
        [],
        {},
        {"content": []},
        {"content": ["Sesuai"]},
        {"content": [{"NIK": "Sesuai"}]},
        {"content": [{"NIK": "Sesuai", "NAMA_LGKP": "Cocok", "NAMA_LGKP_IBU": "Sesuai"}]},
        {"content": [{"NIK": "Sesuai", "NAMA_LGKP": "Sesuai (101)", "NAMA_LGKP_IBU": "Sesuai"}]},
        {"content": [{"NIK": 1, "NAMA_LGKP": "Sesuai", "NAMA_LGKP_IBU": "Sesuai"}]},
    ],
)
def test_malformed_shapes_are_rejected(document) -> None:
    with pytest.raises(MalformedReply):
        parse_reply(document, 90)


# --- Dukcapil: faults ----------------------------------------------------------------------------


def assert_unavailable(registry: PopulationRegistry, reason: str) -> RegistryUnavailable:
    with pytest.raises(RegistryUnavailable) as caught:
        registry.verify(ASK_GALIH)
    assert caught.value.full_code == "dukcapil.unavailable"
    assert caught.value.params["reason"] == reason
    return caught.value


def test_a_slow_reply_times_out_after_bounded_retries(dukcapil, make_registry, retry_waits) -> None:
    registry = make_registry(retries=2, backoff=0.05)
    dukcapil.script(*(slow(BEYOND_TIMEOUT) for _ in range(3)))
    started = time.monotonic()
    assert_unavailable(registry, "timeout")
    assert time.monotonic() - started < 3 * TIMEOUT + 0.5
    assert dukcapil.request_count == 3
    assert retry_waits == pytest.approx([0.05, 0.1])  # exponential backoff between the attempts


def test_one_slow_reply_then_an_answer_succeeds(dukcapil, make_registry) -> None:
    dukcapil.script(slow(BEYOND_TIMEOUT))
    assert make_registry().verify(ASK_GALIH).status == "found"
    assert dukcapil.request_count == 2


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_is_retried_then_answered(dukcapil, make_registry, code) -> None:
    dukcapil.script(status(code))
    assert make_registry().verify(ASK_GALIH).status == "found"
    assert dukcapil.request_count == 2


def test_5xx_after_every_retry_is_unavailable(dukcapil, make_registry) -> None:
    dukcapil.fail_next(3, 503)
    assert_unavailable(make_registry(retries=2), "http_503")
    assert dukcapil.request_count == 3


def test_backoff_is_capped(dukcapil, make_registry, retry_waits) -> None:
    dukcapil.fail_next(5, 500)
    assert_unavailable(make_registry(retries=4, backoff=0.1, max_backoff=0.25), "http_500")
    assert retry_waits == pytest.approx([0.1, 0.2, 0.25, 0.25])


def test_backoff_is_jittered(dukcapil, make_registry, retry_waits) -> None:
    dukcapil.fail_next(3, 503)
    assert_unavailable(make_registry(retries=2, backoff=0.02, jitter=0.05), "http_503")
    assert len(retry_waits) == 2
    for wait, base in zip(retry_waits, (0.02, 0.04), strict=True):
        assert base <= wait <= base + 0.05 + 1e-9


def test_retry_after_replaces_the_backoff(dukcapil, make_registry, retry_waits) -> None:
    dukcapil.script(status(503, retry_after="1"))
    started = time.monotonic()
    assert make_registry(backoff=0.0).verify(ASK_GALIH).status == "found"
    assert time.monotonic() - started >= 1.0  # the server said when: not before
    assert retry_waits == pytest.approx([1.0])
    assert dukcapil.request_count == 2


def test_a_retry_after_beyond_the_cap_ends_the_retries(dukcapil, make_registry) -> None:
    dukcapil.script(status(503, retry_after="120"))
    started = time.monotonic()
    assert_unavailable(make_registry(retries=3, max_retry_after=5.0), "http_503")
    assert time.monotonic() - started < 1.0  # fails fast instead of waiting two minutes
    assert dukcapil.request_count == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (malformed(), "malformed"),
        (reply({"content": [{"NIK": "Sesuai"}]}), "malformed"),
        (reply("just a string"), "malformed"),
        (reset(), "connection:ReadError"),
        (status(401), "http_401"),
        (status(404), "http_404"),
    ],
    ids=["json", "fields", "shape", "reset", "401", "404"],
)
def test_faults_that_are_not_retried(dukcapil, make_registry, fault, reason) -> None:
    dukcapil.script(fault)
    assert_unavailable(make_registry(retries=3), reason)
    assert dukcapil.request_count == 1  # only timeouts and 5xx are retried


def test_a_refused_connection_is_unavailable(dukcapil, make_registry) -> None:
    registry = make_registry()
    dukcapil.stop()
    with pytest.raises(RegistryUnavailable) as caught:
        registry.verify(ASK_GALIH)
    assert caught.value.params["reason"].startswith("connection:")


def test_wrong_credentials_are_unavailable_not_not_found(make_registry) -> None:
    assert_unavailable(make_registry(password="wrong"), "http_401")


def test_an_exhausted_quota_is_unavailable_and_not_retried(dukcapil, make_registry) -> None:
    dukcapil.quota_remaining = 1
    registry = make_registry(retries=3)
    assert registry.verify(ASK_GALIH).quota_remaining == 0
    assert_unavailable(registry, "quota")
    assert dukcapil.request_count == 2


def test_a_quota_message_in_a_200_reply_is_unavailable(dukcapil, make_registry) -> None:
    dukcapil.script(
        reply({"content": [{"RESPONSE_CODE": "05", "RESPONSE": "Kuota habis"}], "quotaLimiter": 0})
    )
    assert_unavailable(make_registry(), "quota")


def test_a_fixed_threshold_is_sent_but_the_request_threshold_decides(
    dukcapil, make_registry
) -> None:
    registry = make_registry(threshold=80)
    dukcapil.script(reply(found(name="Sesuai (85)")))
    result = registry.verify(ASK_GALIH)
    assert dukcapil.requests[0].json()["TRESHOLD"] == "80"
    assert result.full_name == FieldMatch(False, 85)  # the request asked for 90


# --- Dukcapil: circuit breaker -------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_and_short_circuits(
    dukcapil, make_registry
) -> None:
    clock = ManualTimer()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock)
    registry = make_registry(retries=0, breaker=breaker)
    dukcapil.fail_next(3, 503)
    for _ in range(3):
        assert_unavailable(registry, "http_503")
    assert breaker.state == "open"
    assert_unavailable(registry, "circuit_open")
    assert dukcapil.request_count == 3  # the open breaker did not call

    clock.seconds += 29.9
    assert_unavailable(registry, "circuit_open")
    clock.seconds += 0.1
    assert breaker.state == "half_open"
    assert registry.verify(ASK_GALIH).status == "found"  # the trial call succeeds
    assert breaker.state == "closed"
    assert dukcapil.request_count == 4


def test_a_failed_trial_reopens_the_breaker(dukcapil, make_registry) -> None:
    clock = ManualTimer()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=clock)
    registry = make_registry(retries=0, breaker=breaker)
    dukcapil.script(reset(), malformed(), status(500))
    assert_unavailable(registry, "connection:ReadError")
    assert_unavailable(registry, "malformed")
    assert breaker.state == "open"
    clock.seconds += 10
    assert_unavailable(registry, "http_500")  # the trial fails
    assert breaker.state == "open"
    assert_unavailable(registry, "circuit_open")
    clock.seconds += 10
    assert registry.verify(ASK_GALIH).status == "found"


def test_a_success_resets_the_failure_count(dukcapil, make_registry) -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=ManualTimer())
    registry = make_registry(retries=0, breaker=breaker)
    for _ in range(3):
        dukcapil.fail_next(1)
        assert_unavailable(registry, "http_503")
        registry.verify(ASK_GALIH)
    assert breaker.state == "closed"


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = ManualTimer()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.seconds += 5
    assert breaker.allow()
    assert not breaker.allow()  # the trial is still running
    breaker.record_success()
    assert breaker.allow()
    assert breaker.allow()


def test_breaker_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker(reset_timeout=0)


# --- Dukcapil: secrets ---------------------------------------------------------------------------


def test_credentials_and_personal_data_are_never_logged(dukcapil, make_registry, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    registry = make_registry(retries=1)
    registry.verify(ASK_GALIH)
    dukcapil.script(
        slow(BEYOND_TIMEOUT), slow(BEYOND_TIMEOUT), status(503), status(503), malformed(), reset()
    )
    errors = [assert_unavailable(registry, r) for r in ("timeout", "http_503", "malformed")]
    errors.append(assert_unavailable(registry, "connection:ReadError"))
    errors.append(assert_unavailable(make_registry(password=dukcapil.PASSWORD + "x"), "http_401"))
    assert caplog.records, "the adapter logs its faults"
    secrets = (dukcapil.PASSWORD, GALIH.nik, "GALIH AGAN PAMBAYUN", "SRI WAHYUNI")
    for record in caplog.records:
        shown = record.getMessage() + repr(record.args)
        assert not any(secret in shown for secret in secrets), record.getMessage()
    assert all(dukcapil.PASSWORD not in str(e) + repr(e.params) for e in errors)
    assert dukcapil.PASSWORD not in repr(registry)


# --- Dukcapil: settings ---------------------------------------------------------------------------


def dukcapil_settings(server: FakeDukcapil, **extra: object) -> Any:
    values: dict[str, object] = {
        "dukcapil_url": server.url,
        "dukcapil_customer_id": server.CUSTOMER_ID,
        "dukcapil_user_id": server.USER_ID,
        "dukcapil_password": server.PASSWORD,
        "dukcapil_ip_user": server.IP_USER,
        "dukcapil_timeout": TIMEOUT,
        "dukcapil_retries": 1,
        "dukcapil_backoff": 0,
        **extra,
    }
    return resolve_settings("memory", kwargs=values)


def test_the_factory_reads_the_settings(dukcapil) -> None:
    registry = http_registry_from_settings(
        dukcapil_settings(dukcapil, dukcapil_breaker_failures=7, dukcapil_threshold=85)
    )
    with registry:
        assert registry.verify(ASK_GALIH).status == "found"
        assert (registry.timeout, registry.retries, registry.threshold) == (TIMEOUT, 1, 85)
        assert registry.breaker.failure_threshold == 7
    assert dukcapil.requests[0].json()["TRESHOLD"] == "85"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("dukcapil_url", ""),
        ("dukcapil_url", "ftp://x"),
        ("dukcapil_password", ""),
        ("dukcapil_customer_id", "a/b"),
        ("dukcapil_timeout", "soon"),
        ("dukcapil_timeout", "-1"),
        ("dukcapil_retries", "many"),
        ("dukcapil_retries", "99"),
        ("dukcapil_threshold", "0"),
    ],
)
def test_the_factory_rejects_bad_settings(dukcapil, key, value) -> None:
    with pytest.raises(ConfigurationError) as caught:
        http_registry_from_settings(dukcapil_settings(dukcapil, **{key: value}))
    assert caught.value.params["name"] == key
    assert dukcapil.PASSWORD not in str(caught.value)


def test_settings_hide_the_password() -> None:
    settings = resolve_settings("memory", kwargs={"dukcapil_password": "Rahasia-1"})
    assert "Rahasia-1" not in repr(settings)


# --- SMS: the wire shape -------------------------------------------------------------------------


def test_send_posts_the_template_with_auth_and_idempotency_key(gateway, make_sender) -> None:
    receipt = make_sender().send(TO, TEXT, idempotency_key="reg-1:1")
    [request] = gateway.requests
    assert request.headers["authorization"] == f"Bearer {gateway.TOKEN}"
    assert request.headers["idempotency-key"] == "reg-1:1"
    assert request.json() == {"to": TO, "text": TEXT, "reference": "reg-1:1"}
    assert receipt.message_id == "gw-000001"
    assert (receipt.to, receipt.text) == (TO, TEXT)


def test_a_custom_template_auth_header_and_id_path(gateway, make_sender) -> None:
    template = '{"messages": [{"destinations": [{"to": "{to}"}], "text": "{text}"}], "n": 1}'
    sender = make_sender(
        token="abc",
        auth_header="X-API-Key",
        auth_scheme="",
        body_template=template,
        message_id_path="messages.0.id",
    )
    gateway.script(reply({"messages": [{"id": 98765, "status": "PENDING"}]}))
    receipt = sender.send(TO, TEXT)
    request = gateway.requests[0]
    assert request.headers["x-api-key"] == "abc"
    assert request.json() == {"messages": [{"destinations": [{"to": TO}], "text": TEXT}], "n": 1}
    assert request.headers["idempotency-key"].startswith("siapkerja-")
    assert receipt.message_id == "98765"


@pytest.mark.parametrize(
    "template", ["not json", '{"to": "{to}"}', '{"text": "{text}"}', '{"to": "{to}", "text": 1}']
)
def test_a_bad_template_is_refused(template) -> None:
    with pytest.raises(ValueError):
        HttpSender("http://127.0.0.1:9/send", body_template=template)


# --- SMS: retries that cannot double-send --------------------------------------------------------


def test_a_slow_reply_is_retried_and_delivered_once(gateway, make_sender) -> None:
    gateway.script(slow(BEYOND_TIMEOUT))  # the gateway takes the message, answers too late
    receipt = make_sender().send(TO, TEXT, idempotency_key="otp-1")
    assert gateway.request_count == 2
    assert len(gateway.delivered) == 1
    assert receipt.message_id == gateway.delivered[0].message_id
    keys = {r.headers["idempotency-key"] for r in gateway.requests}
    assert keys == {"otp-1"}


def test_a_generated_key_is_reused_across_retries(gateway, make_sender) -> None:
    gateway.script(slow(BEYOND_TIMEOUT))
    make_sender().send(TO, TEXT)
    assert len({r.headers["idempotency-key"] for r in gateway.requests}) == 1
    assert len(gateway.delivered) == 1


@pytest.mark.parametrize("fault", [status(500), status(503), status(429), reset()])
def test_transient_faults_are_retried(gateway, make_sender, fault) -> None:
    gateway.script(fault)
    sender = make_sender()
    assert sender.send(TO, TEXT).message_id == "gw-000001"
    assert gateway.request_count == 2


def test_a_refusal_is_not_retried(gateway, make_sender) -> None:
    with pytest.raises(SmsDeliveryError) as caught:
        make_sender(token="wrong", retries=3).send(TO, TEXT)
    assert caught.value.params["reason"] == "http_401"
    assert gateway.request_count == 1


@pytest.mark.parametrize(
    "fault", [malformed(), reply({"status": "accepted"}), reply({"data": {"message_id": ""}})]
)
def test_a_reply_without_a_message_id_is_a_failure(gateway, make_sender, fault) -> None:
    gateway.script(fault)
    with pytest.raises(SmsDeliveryError) as caught:
        make_sender().send(TO, TEXT)
    assert caught.value.params["reason"] == "malformed"


def test_concurrent_sends_with_one_key_make_one_request(gateway, make_sender) -> None:
    sender = make_sender()
    gateway.script(slow(0.1))
    barrier = threading.Barrier(6)
    ids: list[str] = []

    def send() -> None:
        barrier.wait()
        ids.append(sender.send(TO, TEXT, idempotency_key="race").message_id)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert gateway.request_count == 1


def test_a_gateway_retry_after_date_is_honoured(gateway, make_sender, retry_waits) -> None:
    """A 429 with ``Retry-After`` as an HTTP date: the sender waits until then, once."""
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    gateway.script(status(429, retry_after=when))
    sender = make_sender()
    assert sender.send(TO, TEXT).message_id == "gw-000001"
    assert gateway.request_count == 2
    # The header has whole seconds: the wait is what is left of the two, at most two.
    [wait] = retry_waits
    assert 0.5 < wait <= 2.0


def test_testing_mode_drops_the_waits(gateway, make_sender, retry_waits) -> None:
    """``stamina.set_testing`` (for applications' test suites): no wait, the attempts capped."""
    import stamina

    gateway.script(status(503, retry_after="3"), status(503))
    with stamina.set_testing(True, attempts=3, cap=True):
        started = time.monotonic()
        assert make_sender(retries=2, backoff=5.0).send(TO, TEXT).message_id == "gw-000001"
        assert time.monotonic() - started < 1.0
    assert retry_waits == [0.0, 0.0]


# --- SMS: what the durable outbox needs to know of a failure -------------------------------------


def test_a_failed_send_says_it_may_be_retried_and_keeps_nothing(gateway, make_sender) -> None:
    """The per-process outbox is gone: the durable one (in the database) retries."""
    sender = make_sender(retries=1)
    gateway.script(status(503), reset())
    with pytest.raises(SmsDeliveryError) as caught:
        sender.send(TO, TEXT, idempotency_key="otp-9")
    assert caught.value.full_code == "sms.unavailable"
    assert caught.value.params["retryable"] is True
    assert caught.value.params["retry_after"] is None
    assert not hasattr(sender, "pending")
    assert not hasattr(sender, "flush")
    assert gateway.delivered == []
    # The outbox's next attempt, with the same key, goes through once.
    receipt = sender.send(TO, TEXT, idempotency_key="otp-9")
    assert [d.message_id for d in gateway.delivered] == [receipt.message_id]


def test_a_refusal_is_permanent(gateway, make_sender) -> None:
    gateway.script(status(400))
    with pytest.raises(SmsDeliveryError) as caught:
        make_sender().send(TO, TEXT)
    assert (caught.value.params["reason"], caught.value.params["retryable"]) == ("http_400", False)
    assert gateway.request_count == 1


def test_a_long_retry_after_is_handed_to_the_outbox(gateway, make_sender, retry_waits) -> None:
    """Longer than ``max_retry_after``: no wait in the call; the outbox waits as told."""
    gateway.script(status(429, retry_after="120"))
    with pytest.raises(SmsDeliveryError) as caught:
        make_sender(retries=3).send(TO, TEXT)
    assert caught.value.params["retryable"] is True
    assert caught.value.params["retry_after"] == 120.0
    assert gateway.request_count == 1
    assert retry_waits == []


def test_a_message_the_gateway_took_is_not_sent_twice_by_a_retry(gateway, make_sender) -> None:
    sender = make_sender(retries=0)
    gateway.script(slow(BEYOND_TIMEOUT))  # taken, but the answer came too late
    with pytest.raises(SmsDeliveryError):
        sender.send(TO, TEXT, idempotency_key="otp-late")
    sender.send(TO, TEXT, idempotency_key="otp-late")  # the outbox's next attempt
    assert len(gateway.delivered) == 1  # the gateway deduplicated the key


# --- SMS: secrets and settings ------------------------------------------------------------------


def test_the_token_and_the_text_are_never_logged(gateway, make_sender, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sender = make_sender()
    sender.send(TO, TEXT)
    gateway.script(status(503), status(503), malformed())
    for _ in range(2):
        with pytest.raises(SmsDeliveryError):
            sender.send(TO, TEXT)
    for record in caplog.records:
        shown = record.getMessage() + repr(record.args)
        assert gateway.TOKEN not in shown
        if record.levelno > logging.DEBUG:
            assert "482913" not in shown
    assert gateway.TOKEN not in repr(sender)


def sms_settings(server: FakeSmsGateway, **extra: object) -> Any:
    values: dict[str, object] = {
        "sms_url": server.send_url,
        "sms_token": server.TOKEN,
        "sms_message_id_path": "data.message_id",
        "sms_timeout": TIMEOUT,
        "sms_retries": 1,
        "sms_backoff": 0,
        **extra,
    }
    return resolve_settings("memory", kwargs=values)


def test_the_sms_factory_reads_the_settings(gateway) -> None:
    template = '{"recipient": "{to}", "body": "{text}", "ref": "{idempotency_key}"}'
    with http_sender_from_settings(
        sms_settings(gateway, sms_body_template=template, sms_retries=3)
    ) as sender:
        assert sender.send(TO, TEXT, idempotency_key="r").message_id == "gw-000001"
        assert sender.retries == 3
    assert gateway.requests[0].json() == {"recipient": TO, "body": TEXT, "ref": "r"}
    assert gateway.TOKEN not in repr(sms_settings(gateway))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sms_url", ""),
        ("sms_url", "gateway.local"),
        ("sms_body_template", "{to} {text}"),
        ("sms_body_template", '{"to": "{to}"}'),
        ("sms_timeout", "0"),
        ("sms_retries", "-1"),
    ],
)
def test_the_sms_factory_rejects_bad_settings(gateway, key, value) -> None:
    with pytest.raises(ConfigurationError) as caught:
        http_sender_from_settings(sms_settings(gateway, **{key: value}))
    assert caught.value.params["name"] == key


# --- the journey over HTTP ------------------------------------------------------------------


class HttpAdapters:
    """Registers the HTTP adapters under test names (the built-in plug-in may add ``http``)."""

    @hookimpl
    def siapkerja_adapters(self) -> Iterator[AdapterRegistration]:
        yield AdapterRegistration(
            kind="dukcapil", name="itest_http", factory=http_registry_from_settings
        )
        yield AdapterRegistration(kind="sms", name="itest_http", factory=http_sender_from_settings)


def test_a_registration_journey_over_http(dukcapil, gateway) -> None:
    svc = connect(
        "memory",
        environ={},
        load_entrypoints=False,
        plugins=[HttpAdapters()],
        hasher=PasswordHasher.fast_for_tests(),
        dukcapil="itest_http",
        sms="itest_http",
        **dukcapil_settings(dukcapil).extra,
        **sms_settings(gateway).extra,
    )
    assert isinstance(svc.dukcapil, HttpRegistry)
    assert isinstance(svc.sms, MessageSender)
    registration = svc.register(GALIH.nik, GALIH.full_name, GALIH.mother_name)
    assert registration.status == RegistrationStatus.VERIFIED
    registration = svc.submit_contact(
        registration.id, email="galih@example.com", phone="081234567890", password="Kuda-Lari-7x!"
    )
    [delivered] = gateway.delivered
    assert delivered.body["to"] == TO
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", delivered.body["text"])
    account = svc.confirm_otp(registration.id, code)
    assert account.nik == GALIH.nik

    dukcapil.fail_next(2)
    with pytest.raises(RegistryUnavailable):
        svc.register(SUTARMI.nik, SUTARMI.full_name, SUTARMI.mother_name)
    svc.dukcapil.close()  # type: ignore[attr-defined]
    svc.sms.close()  # type: ignore[attr-defined]
