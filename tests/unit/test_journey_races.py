"""Concurrent confirmations: exactly one account per NIK, phone and e-mail."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest
from journey_support import (
    GALIH_MOTHER,
    GALIH_NAME,
    GALIH_NIK,
    last_code,
    phone_number,
    residents,
    start_pending,
)

from siapkerja_core.errors import AlreadyRegistered, OtpError, RegistrationError, ResetError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

ROOMY = JourneyPolicy(max_sends_per_phone_per_day=100, max_sends_per_nik_per_day=100)


def _confirm_together(svc: Siapkerja, pending: list[tuple[str, str]]) -> list[object]:
    """Confirm every (registration id, code) in its own thread, all released at once."""
    barrier = threading.Barrier(len(pending))
    outcomes: list[object] = [None] * len(pending)

    def run(index: int, registration_id: str, code: str) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = svc.confirm_otp(registration_id, code)
        except BaseException as error:  # every outcome is inspected below
            outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(i, rid, code)) for i, (rid, code) in enumerate(pending)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _one_winner(outcomes: list[object], loser_code: str) -> Account:
    winners = [o for o in outcomes if isinstance(o, Account)]
    losers = [o for o in outcomes if not isinstance(o, Account)]
    assert len(winners) == 1, outcomes
    for loser in losers:
        assert isinstance(loser, RegistrationError), repr(loser)
        assert loser.full_code == loser_code, loser.full_code
    return winners[0]


@pytest.mark.parametrize("threads", [2, 20])
def test_one_nik_confirmed_concurrently(make_svc: Callable[..., Siapkerja], threads: int) -> None:
    svc = make_svc(ROOMY)
    pending = []
    for n in range(threads):
        registration, code = start_pending(
            svc, phone=phone_number(n), email=f"galih{n}@example.com"
        )
        pending.append((registration.id, code))
    outcomes = _confirm_together(svc, pending)
    winner = _one_winner(outcomes, "registration.already_registered")
    assert all(isinstance(o, AlreadyRegistered) for o in outcomes if o is not winner)
    accounts = svc.storage.dump()["accounts"]
    assert len(accounts) == 1
    assert accounts[0].nik == GALIH_NIK  # type: ignore[attr-defined]
    with pytest.raises(AlreadyRegistered):
        svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)


@pytest.mark.parametrize("threads", [2, 20])
def test_one_phone_confirmed_concurrently(make_svc: Callable[..., Siapkerja], threads: int) -> None:
    svc = make_svc(ROOMY)
    pending = []
    for n, (nik, name, mother) in enumerate(residents(svc, threads)):
        registration = svc.register(nik, name, mother)
        svc.submit_contact(
            registration.id,
            email=f"orang{n}@example.com",
            phone="081234567890",
            password="kuda lari kencang sekali",
        )
        pending.append((registration.id, last_code(svc, "081234567890")))
    outcomes = _confirm_together(svc, pending)
    winner = _one_winner(outcomes, "registration.phone_taken")
    assert len(svc.storage.dump()["accounts"]) == 1
    assert isinstance(winner, Account)
    assert winner.phone == "+6281234567890"


@pytest.mark.parametrize("threads", [2, 20])
def test_one_email_confirmed_concurrently(make_svc: Callable[..., Siapkerja], threads: int) -> None:
    svc = make_svc(ROOMY)
    pending = []
    for n, (nik, name, mother) in enumerate(residents(svc, threads)):
        registration, code = start_pending(
            svc,
            nik=nik,
            name=name,
            mother=mother,
            email="bersama@example.com",
            phone=phone_number(n),
        )
        pending.append((registration.id, code))
    outcomes = _confirm_together(svc, pending)
    _one_winner(outcomes, "registration.email_taken")
    assert len(svc.storage.dump()["accounts"]) == 1


@pytest.mark.parametrize("threads", [2, 20])
def test_one_registration_confirmed_concurrently(
    make_svc: Callable[..., Siapkerja], threads: int
) -> None:
    svc = make_svc(ROOMY)
    registration, code = start_pending(svc)
    outcomes = _confirm_together(svc, [(registration.id, code)] * threads)
    winners = [o for o in outcomes if isinstance(o, Account)]
    assert len(winners) == 1
    for loser in outcomes:
        if loser is not winners[0]:
            assert isinstance(loser, RegistrationError), repr(loser)
            assert loser.full_code == "registration.already_confirmed"
    assert len(svc.storage.dump()["accounts"]) == 1


def test_concurrent_wrong_codes_never_exceed_the_attempt_limit(
    make_svc: Callable[..., Siapkerja],
) -> None:
    svc = make_svc(ROOMY)
    registration, code = start_pending(svc)
    guesses = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, 21)]
    outcomes = _confirm_together(svc, [(registration.id, guess) for guess in guesses])
    assert all(isinstance(o, OtpError) for o in outcomes), outcomes
    assert sum(1 for o in outcomes if o.code == "invalid") == 4  # type: ignore[attr-defined]
    assert all(o.code in ("invalid", "dead") for o in outcomes)  # type: ignore[attr-defined]
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, code)
    assert caught.value.code == "dead"


class _GatedHasher:
    """Holds every thread in ``hash`` until all arrived: widens the window between the
    reset's code check and its write, so the race is met every time, not by luck."""

    def __init__(self, inner: PasswordHasher, parties: int) -> None:
        self._inner = inner
        self._gate = threading.Barrier(parties)

    def hash(self, password: str) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            self._gate.wait(timeout=1)  # a fixed journey lets fewer threads get here
        return self._inner.hash(password)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@pytest.mark.parametrize("threads", [2, 20])
def test_one_reset_code_resets_the_password_once(
    make_svc: Callable[..., Siapkerja], threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests made inside the cooldown share one code; it must still be used only once."""
    svc = make_svc(ROOMY)
    registration, code = start_pending(svc)
    svc.confirm_otp(registration.id, code)
    requests = [svc.request_password_reset(GALIH_NIK) for _ in range(threads)]
    code = last_code(svc, "081234567890")
    context = svc.journey.context
    monkeypatch.setattr(context, "hasher", _GatedHasher(context.hasher, threads))
    barrier = threading.Barrier(threads)
    outcomes: list[object] = [None] * threads

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = svc.reset_password(
                requests[index].id, code, f"kata sandi baru nomor {index:02d}"
            )
        except BaseException as error:  # every outcome is inspected below
            outcomes[index] = error

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    winners = [o for o in outcomes if isinstance(o, Account)]
    assert all(isinstance(o, Account | ResetError) for o in outcomes), outcomes
    assert len(winners) == 1, f"{len(winners)} of {threads} resets succeeded with one code"
