"""Fixtures of the journey tests: a controllable clock, the service, SMS and registration helpers.

Every journey test runs on the ``memory`` profile (memory storage, memory SMS
sender, offline Dukcapil with its bundled fictional residents), with
``PasswordHasher.fast_for_tests()`` and a manual clock that only moves when a
test calls :meth:`Clock.advance`. The clock, the event recorder and the
people are the shared ones of ``tests/support``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_core.model import Registration
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.policy import JourneyPolicy
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock
from support.recorders import EventRecorder
from support.sms import e164 as e164  # re-exported: the journey tests import it from here
from support.sms import sms_code

# The people and the manual clock live in tests/support; these names are how
# the journey tests have always spelled them.
Clock = ManualClock
Recorder = EventRecorder
last_code = sms_code  # (svc, phone, length): the code in the last SMS to phone
GALIH_NIK, GALIH_NAME, GALIH_MOTHER = people.NIK, people.NAME, people.MOTHER
INACTIVE_NIK = people.INACTIVE_NIK
INACTIVE_NAME = people.INACTIVE_NAME
INACTIVE_MOTHER = people.INACTIVE_MOTHER

EMAIL = people.EMAIL
PHONE = "081234567890"
PHONE_E164 = "+6281234567890"
PASSWORD = "kuda lari kencang sekali"  # passes the NIST policy, fails the SIAPkerja preset
STRONG_PASSWORD = "Kuda-Lari-Kencang-7"  # passes both


def build_service(
    clock: Clock,
    *,
    policy: JourneyPolicy | None = None,
    hasher: PasswordHasher | None = None,
    recorder: Recorder | None = None,
) -> Siapkerja:
    policy = policy or JourneyPolicy()
    hasher = hasher or PasswordHasher.fast_for_tests()
    plugins = [recorder] if recorder is not None else []
    return connect(
        "memory", environ={}, plugins=plugins, policy=policy, clock=clock.now, hasher=hasher
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_svc(clock: Clock, recorder: Recorder) -> Callable[..., Siapkerja]:
    """Build a service on the shared clock and recorder: ``make_svc(policy=...)``."""

    def make(
        policy: JourneyPolicy | None = None, hasher: PasswordHasher | None = None
    ) -> Siapkerja:
        return build_service(clock, policy=policy, hasher=hasher, recorder=recorder)

    return make


@pytest.fixture
def svc(make_svc: Callable[..., Siapkerja]) -> Siapkerja:
    return make_svc()


def wrong_code(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def start_pending(
    svc: Siapkerja,
    *,
    nik: str = GALIH_NIK,
    name: str = GALIH_NAME,
    mother: str = GALIH_MOTHER,
    email: str = EMAIL,
    phone: str = PHONE,
    password: str = PASSWORD,
) -> tuple[Registration, str]:
    """Register and submit contacts: the ``pending_otp`` registration and the code sent."""
    registration = svc.register(nik, name, mother)
    registration = svc.submit_contact(registration.id, email=email, phone=phone, password=password)
    return registration, last_code(svc, phone, svc.policy.otp_length)


def residents(svc: Siapkerja, count: int) -> list[tuple[str, str, str]]:
    """``count`` active bundled residents as (nik, full name, mother's name)."""
    found = [
        (r.nik, r.full_name, r.mother_name)
        for r in svc.dukcapil  # type: ignore[attr-defined]
        if r.active
    ]
    assert len(found) >= count
    return found[:count]


def phone_number(n: int) -> str:
    """A distinct valid Telkomsel-style mobile number per ``n``."""
    return f"0812{n:08d}"
