"""Exact limits without lockout, through the journey on memory, a SQLite file and PostgreSQL.

Every cap takes its slot (``Counters.hit``) before the guessable work, so N
concurrent attempts evaluate at most the cap: the tests count the work itself
(password verifications, OTP comparisons, Dukcapil calls, SMS sent). The
login throttle is per account whatever identifier is typed, per client
address and per network; ``retry_after`` is the true time until an attempt is
evaluated again; a device that signed in before keeps getting in while an
attacker is throttled (OWASP "device cookies", NIST SP 800-63B §5.2.2).

The hasher, registry and sender are wrapped to slow each call a little
(``SLOW``) so that concurrent attempts overlap: the old count-then-increment
evaluated all 40 of them. No assertion is timed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import generate_key_setting
from siapkerja_adapters.web import create_api_app, create_app
from siapkerja_adapters.web.pages.login import DEVICE_COOKIE
from siapkerja_adapters.web.security import SESSION_COOKIE, FormSealer
from siapkerja_core.errors import LoginError, OtpError, RegistrationError, SiapkerjaError
from siapkerja_core.limits import Client, JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import START, ManualClock
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
WRONG = "bukan kata sandi yang benar"
EMAIL = "galih@example.com"
PHONE = "081299999999"
PHONE_E164 = "+6281299999999"
SECRET_KEY = "integration-secret-key-0123456789abcdef"
ROOMY = JourneyPolicy(max_sends_per_nik_per_day=100, max_sends_per_phone_per_day=100)
SLOW = 0.02  # seconds each counted call takes, so that racing threads overlap
RACERS = 40
KINDS = ["memory", "sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
def make_svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Siapkerja]]:
    """A factory of journeys on the parametrised storage (its own counters: ``storage``)."""
    made: list[Siapkerja] = []
    kind = request.param
    schema: str | None = None
    if kind == "postgresql":
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")

    def make(policy: JourneyPolicy = ROOMY, clock: ManualClock | None = None) -> Siapkerja:
        options: dict[str, Any] = {
            "environ": {},
            "load_entrypoints": False,
            "hasher": PasswordHasher.fast_for_tests(),
            "policy": policy,
            "clock": None if clock is None else clock.now,
        }
        if kind == "memory":
            svc = connect("memory", **options)
        else:
            database = f"sqlite:///{tmp_path / 'limits.sqlite3'}" if kind == "sqlite" else url
            svc = connect(
                storage="sql",
                database_url=database,
                database_schema=schema,
                database_migrate="true",
                sms="memory",
                dukcapil="offline",
                ratelimit="storage",
                secret_key=SECRET_KEY,
                storage_key=generate_key_setting(),
                **options,
            )
        made.append(svc)
        return svc

    yield make
    for svc in made:
        dispose = getattr(svc.storage, "dispose", None)
        if dispose is not None:
            dispose()


def sign_up(svc: Siapkerja) -> str:
    """Galih's account (NIK, e-mail and phone as above); its id."""
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    return svc.confirm_otp(registration.id, sms_code(svc, PHONE)).id


class CountingHasher:
    """The journey's hasher, counting (and slowing) every password evaluation."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.verified = 0
        self.dummies = 0

    def verify(self, encoded: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        time.sleep(SLOW)
        return self._inner.verify(encoded, password)

    def dummy_verify(self) -> None:
        with self._lock:
            self.dummies += 1
        time.sleep(SLOW)
        self._inner.dummy_verify()

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def counting_hasher(svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    context = svc.journey.context
    hasher = CountingHasher(context.hasher)
    monkeypatch.setattr(context, "hasher", hasher)
    return hasher


def together(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, released at once; each result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = calls[index]()
        except BaseException as error:  # every outcome is inspected by the test
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def codes_of(outcomes: list[object]) -> list[str]:
    assert all(isinstance(o, SiapkerjaError) for o in outcomes), outcomes
    return sorted(o.full_code for o in outcomes if isinstance(o, SiapkerjaError))


# --- atomic caps ---------------------------------------------------------------------------


def test_concurrent_wrong_passwords_evaluate_at_most_the_cap(
    make_svc: Callable[..., Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_svc()
    sign_up(svc)
    hasher = counting_hasher(svc, monkeypatch)
    spellings = [people.NIK, EMAIL, PHONE, PHONE_E164, EMAIL.upper()]  # one account
    outcomes = together(
        [
            lambda n=n: svc.login(spellings[n % len(spellings)], WRONG)  # type: ignore[misc]
            for n in range(RACERS)
        ]
    )
    cap = svc.policy.max_login_failures
    assert hasher.verified == cap, f"{hasher.verified} of {RACERS} wrong passwords evaluated"
    assert codes_of(outcomes) == ["login.failed"] * cap + ["login.throttled"] * (RACERS - cap)


def test_concurrent_wrong_codes_evaluate_at_most_the_attempts(
    make_svc: Callable[..., Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_svc()
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    right = sms_code(svc, PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    codes = svc.journey.codes
    compared: list[str] = []
    code_hash = codes.code_hash

    def counted(subject_id: str, generation: int, code: str) -> str:
        compared.append(code)
        time.sleep(SLOW)
        return code_hash(subject_id, generation, code)

    monkeypatch.setattr(codes, "code_hash", counted)
    outcomes = together([lambda: svc.confirm_otp(registration.id, wrong)] * RACERS)
    cap = svc.policy.otp_max_attempts
    assert len(compared) == cap, f"{len(compared)} of {RACERS} wrong codes evaluated"
    assert all(isinstance(o, OtpError) for o in outcomes), outcomes
    assert {o.code for o in outcomes if isinstance(o, OtpError)} <= {"invalid", "dead"}
    with pytest.raises(OtpError) as caught:  # the code is dead, even the right one
        svc.confirm_otp(registration.id, right)
    assert caught.value.code == "dead"
    assert svc.registration(registration.id).otp.attempts_left == 0  # type: ignore[union-attr]


def test_concurrent_sends_to_one_number_stop_exactly_at_the_daily_cap(
    make_svc: Callable[..., Siapkerja],
) -> None:
    cap = 3
    svc = make_svc(attrs.evolve(ROOMY, max_sends_per_phone_per_day=cap))
    residents = [r for r in svc.dukcapil if r.active][:12]  # type: ignore[attr-defined]
    started = [svc.register(r.nik, r.full_name, r.mother_name) for r in residents]
    outcomes = together(
        [
            lambda n=n, r=r: svc.submit_contact(  # type: ignore[misc]
                r.id, email=f"orang{n}@example.com", phone=PHONE, password=PASSWORD
            )
            for n, r in enumerate(started)
        ]
    )
    refused = [o for o in outcomes if isinstance(o, SiapkerjaError)]
    svc.deliver_outbox()  # the SMS go after the answers: wait for them
    assert len(svc.sms.messages) == cap  # type: ignore[attr-defined]
    assert len(refused) == len(started) - cap
    assert {o.full_code for o in refused} == {"otp.daily_limit"}


def test_concurrent_dukcapil_checks_of_one_nik_stop_exactly_at_the_cap(
    make_svc: Callable[..., Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_svc()
    registry = svc.dukcapil
    asked: list[str] = []
    verify = registry.verify

    def counted(request: Any) -> Any:
        asked.append(request.nik)
        time.sleep(SLOW)
        return verify(request)

    monkeypatch.setattr(registry, "verify", counted)
    outcomes = together([lambda: svc.register(people.NIK, people.NAME, "Ibu Yang Salah")] * 20)
    cap = svc.policy.max_verifications_per_nik_per_day
    assert len(asked) == cap, f"Dukcapil asked {len(asked)} times for a cap of {cap}"
    assert codes_of(outcomes) == sorted(
        ["registration.mismatch"] * cap + ["registration.verification_locked"] * (20 - cap)
    )


# --- per account, per address, per network ------------------------------------------------------


def test_the_throttle_is_per_account_whatever_identifier_is_typed() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    sign_up(svc)
    for identifier in (people.NIK, EMAIL, PHONE, people.NIK, EMAIL):  # 0.1 allowed 15
        with pytest.raises(LoginError) as caught:
            svc.login(identifier, WRONG)
        assert caught.value.code == "failed"
    for identifier in (PHONE_E164, EMAIL.upper(), people.NIK):
        with pytest.raises(LoginError) as caught:
            svc.login(identifier, PASSWORD)
        assert caught.value.code == "throttled"


def test_an_unknown_identifier_is_throttled_and_costs_exactly_like_a_known_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    sign_up(svc)
    hasher = counting_hasher(svc, monkeypatch)
    answers: dict[str, list[tuple[str, object]]] = {}
    for identifier in (EMAIL, "nobody@example.com"):
        seen = answers[identifier] = []
        for _ in range(svc.policy.max_login_failures + 2):
            with pytest.raises(LoginError) as caught:
                svc.login(identifier, WRONG, Client(address="198.51.100.7"))
            seen.append((caught.value.full_code, caught.value.params.get("retry_after")))
    assert answers[EMAIL] == answers["nobody@example.com"]
    assert hasher.verified == hasher.dummies == svc.policy.max_login_failures


def test_failures_are_capped_per_client_address_and_per_network() -> None:
    policy = JourneyPolicy(max_login_failures_per_address=4, max_login_failures_per_network=6)
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), policy=policy)
    sign_up(svc)

    def attempt(identifier: str, address: str) -> str:
        try:
            svc.login(identifier, WRONG, Client(address=address))
        except LoginError as error:
            return error.code
        raise AssertionError("a wrong password signed in")

    # Four accounts (or unknown identifiers) from one address: the address's cap.
    assert [attempt(f"orang{n}@example.com", "203.0.113.5") for n in range(5)] == ["failed"] * 4 + [
        "throttled"
    ]
    # Another address of the same /24 has two failures left before the network's cap.
    assert [attempt(f"lain{n}@example.com", "203.0.113.77") for n in range(3)] == [
        "failed",
        "failed",
        "throttled",
    ]
    # An IPv4-mapped IPv6 spelling is the same address; another network is not affected.
    assert attempt("x@example.com", "::ffff:203.0.113.5") == "throttled"
    assert attempt("x@example.com", "198.51.100.1") == "failed"
    # IPv6: a /56 is one network.
    for n in range(4):
        assert attempt(f"v6{n}@example.com", f"2001:db8:0:ab{n:02x}::1") == "failed"
    assert attempt("v6@example.com", "2001:db8:0:ab00::1") == "failed"
    assert attempt("v6@example.com", "2001:db8:0:abff::2") == "failed"
    assert attempt("v6@example.com", "2001:db8:0:ab10::3") == "throttled"  # 7th in the /56
    assert attempt("v6@example.com", "2001:db8:0:100::3") == "failed"  # another /56


def test_a_success_gives_back_the_address_slot() -> None:
    policy = JourneyPolicy(max_login_failures_per_address=2)
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), policy=policy)
    sign_up(svc)
    here = Client(address="192.0.2.10")
    with pytest.raises(LoginError):
        svc.login(EMAIL, WRONG, here)
    for _ in range(5):  # many people behind one NAT signing in fine
        svc.login(EMAIL, PASSWORD, here)
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, WRONG, here)
    assert caught.value.code == "failed"


# --- a true Retry-After ---------------------------------------------------------------------


def test_retry_after_is_the_true_time_until_an_attempt_is_evaluated() -> None:
    clock = ManualClock(START + timedelta(minutes=10))  # not a multiple of the window
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)
    sign_up(svc)
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError):
            svc.login(EMAIL, WRONG)
    clock.advance(seconds=78)
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD)
    assert caught.value.code == "throttled"
    retry_after = caught.value.params["retry_after"]
    assert retry_after == 15 * 60 - 78  # 0.1 said 222 s and then allowed 5 more
    clock.advance(seconds=retry_after - 1)
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD)
    assert (caught.value.code, caught.value.params["retry_after"]) == ("throttled", 1)
    clock.advance(seconds=1)
    assert svc.login(EMAIL, PASSWORD).id


def test_retry_after_of_the_dukcapil_cap_is_true() -> None:
    clock = ManualClock(START + timedelta(hours=5, seconds=17))
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)
    for _ in range(svc.policy.max_verifications_per_nik_per_day):
        with pytest.raises(RegistrationError):
            svc.register(people.NIK, people.NAME, "Ibu Yang Salah")
        clock.advance(minutes=1)
    with pytest.raises(RegistrationError) as caught:
        svc.register(people.NIK, people.NAME, people.MOTHER)
    assert caught.value.code == "verification_locked"
    seconds = caught.value.params["retry_after"]
    assert seconds == 24 * 3600 - 5 * 60
    clock.advance(seconds=seconds - 1)
    with pytest.raises(RegistrationError) as caught:
        svc.register(people.NIK, people.NAME, people.MOTHER)
    assert caught.value.code == "verification_locked"
    clock.advance(seconds=1)
    assert svc.register(people.NIK, people.NAME, people.MOTHER).id


# --- throttling without lockout: known devices ---------------------------------------------------


def test_the_holder_gets_in_from_a_known_device_while_an_attacker_is_throttled(
    make_svc: Callable[..., Siapkerja],
) -> None:
    svc = make_svc()
    sign_up(svc)
    device = svc.login(EMAIL, PASSWORD, Client(address="192.0.2.1")).session.device_token  # type: ignore[union-attr]
    assert device
    attacker = Client(address="203.0.113.9")
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError):
            svc.login(people.NIK, WRONG, attacker)
    with pytest.raises(LoginError) as caught:  # the account is throttled for new devices
        svc.login(EMAIL, PASSWORD, Client(address="192.0.2.1"))
    assert caught.value.code == "throttled"
    account = svc.login(EMAIL, PASSWORD, Client(address="192.0.2.1", device=device))
    assert account.session is not None
    assert account.session.device_token
    # A device token is no master key: wrong passwords on it are throttled on their own.
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError) as caught:
            svc.login(EMAIL, WRONG, Client(device=device))
        assert caught.value.code == "failed"
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD, Client(device=device))
    assert caught.value.code == "throttled"


def test_a_device_token_is_bound_to_its_account_and_dies_with_a_password_reset() -> None:
    clock = ManualClock()
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)
    sign_up(svc)
    device = svc.login(EMAIL, PASSWORD).session.device_token  # type: ignore[union-attr]
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError):
            svc.login(EMAIL, WRONG)
    forged = [
        device[:-1] + ("0" if device[-1] != "0" else "1"),  # type: ignore[index]
        "00" * 16 + "." + "00" * 32,
        "x" * 500,
        "",
    ]
    for token in forged:
        with pytest.raises(LoginError) as caught:
            svc.login(EMAIL, PASSWORD, Client(device=token))
        assert caught.value.code == "throttled"
    clock.advance(seconds=1)
    request = svc.request_password_reset(EMAIL)
    svc.reset_password(request.id, sms_code(svc, PHONE), "jalan jalan ke kota tua")
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError):
            svc.login(EMAIL, WRONG)
    with pytest.raises(LoginError) as caught:  # the old device token died with the password
        svc.login(EMAIL, "jalan jalan ke kota tua", Client(device=device))
    assert caught.value.code == "throttled"


def _session(browser: TestClient) -> dict[str, Any]:
    """The (signed, not encrypted) session cookie's JSON."""
    import base64
    import json
    import zlib

    value = (browser.cookies.get(SESSION_COOKIE) or "").strip('"')
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)  # type: ignore[no-any-return]


def test_the_web_pages_keep_the_device_in_an_httponly_cookie() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    sign_up(svc)
    app = create_app(svc, secret_key=SECRET_KEY)

    def login(browser: TestClient, password: str) -> Any:
        page = browser.get("/")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return browser.post(
            "/",
            data={"identifier": EMAIL, "password": password, "csrf_token": token},
            follow_redirects=False,
        )

    with TestClient(app) as first:
        response = login(first, PASSWORD)
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith(DEVICE_COOKIE)
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Max-Age=" in cookie
        device = first.cookies.get(DEVICE_COOKIE)
        assert device
    with TestClient(app) as attacker:
        for _ in range(svc.policy.max_login_failures):
            assert login(attacker, WRONG).status_code == 303  # the form, shown again
        response = login(attacker, PASSWORD)
        # A refused form is post/redirect/get: the wait travels in the sealed form stash
        # (the page words it), not in a Retry-After of the POST's answer.
        assert response.status_code == 303
        stash = FormSealer(SECRET_KEY).open(_session(attacker)["form"]["s"])
        assert stash is not None
        assert stash["r"] == 15 * 60
    with TestClient(app, cookies={DEVICE_COOKIE: device}) as holder:  # a later visit
        response = login(holder, PASSWORD)
        assert response.status_code == 303, response.text


def test_the_api_returns_a_device_token_and_honours_it() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    sign_up(svc)
    client = TestClient(create_api_app(svc))
    response = client.post("/v1/sessions", json={"identifier": EMAIL, "password": PASSWORD})
    assert response.status_code == 201
    device = response.json()["session"]["device_token"]
    assert device
    for _ in range(svc.policy.max_login_failures):
        response = client.post("/v1/sessions", json={"identifier": EMAIL, "password": WRONG})
        assert response.status_code == 401
    response = client.post("/v1/sessions", json={"identifier": EMAIL, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) == 15 * 60
    response = client.post(
        "/v1/sessions", json={"identifier": EMAIL, "password": PASSWORD, "device_token": device}
    )
    assert response.status_code == 201, response.text


# --- throttling without lockout: step-up with a fresh SMS code ---------------------------------


def throttle(svc: Siapkerja) -> None:
    """An attacker's failures until the account is throttled for every new device."""
    for _ in range(svc.policy.max_login_failures):
        with pytest.raises(LoginError):
            svc.login(EMAIL, WRONG, Client(address="203.0.113.9"))
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD)
    assert caught.value.code == "throttled"


def test_a_throttled_holder_gets_in_with_the_password_and_a_fresh_sms_code(
    make_svc: Callable[..., Siapkerja],
) -> None:
    svc = make_svc()
    sign_up(svc)
    throttle(svc)
    request = svc.request_password_reset(EMAIL)
    code = sms_code(svc, PHONE)
    account = svc.login(EMAIL, PASSWORD, reset_id=request.id, code=code)
    assert account.session is not None
    assert account.session.device_token
    # The code was spent on that sign-in: it works neither again nor for a reset.
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD, reset_id=request.id, code=code)
    assert caught.value.code == "failed"
    with pytest.raises(SiapkerjaError):
        svc.reset_password(request.id, code, "jalan jalan ke kota tua")
    # ... and the account's run of failures ended with the holder's sign-in.
    assert svc.login(EMAIL, PASSWORD).id == account.id


def test_without_the_right_code_a_throttled_password_is_never_evaluated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock()
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)
    sign_up(svc)
    throttle(svc)
    request = svc.request_password_reset(EMAIL)
    right = sms_code(svc, PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    hasher = counting_hasher(svc, monkeypatch)
    for reset_id, code in ((request.id, wrong), ("no-such-request", right), (request.id, "")):
        with pytest.raises(LoginError) as caught:
            svc.login(EMAIL, PASSWORD, reset_id=reset_id, code=code)
        assert caught.value.code == "failed"
    unknown = svc.request_password_reset("nobody@example.com")
    with pytest.raises(LoginError) as caught:
        svc.login("nobody@example.com", PASSWORD, reset_id=unknown.id, code=right)
    assert caught.value.code == "failed"
    assert hasher.verified == hasher.dummies == 0
    # A right code with a wrong password: one evaluation, and the code is spent.
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, WRONG, reset_id=request.id, code=right)
    assert caught.value.code == "failed"
    assert hasher.verified == 1
    with pytest.raises(LoginError):
        svc.login(EMAIL, PASSWORD, reset_id=request.id, code=right)
    assert hasher.verified == 1


def test_the_api_signs_a_throttled_holder_in_with_a_reset_code() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    sign_up(svc)
    throttle(svc)
    client = TestClient(create_api_app(svc))
    request = client.post("/v1/password-resets", json={"identifier": EMAIL}).json()
    body = {"identifier": EMAIL, "password": PASSWORD}
    assert client.post("/v1/sessions", json=body).status_code == 429
    response = client.post(
        "/v1/sessions", json={**body, "reset_id": request["id"], "code": sms_code(svc, PHONE)}
    )
    assert response.status_code == 201, response.text
