"""Step 1 of registration: the NIK, full name and mother's maiden name checked with Dukcapil."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from journey_support import (
    EMAIL,
    GALIH_MOTHER,
    GALIH_NAME,
    GALIH_NIK,
    INACTIVE_MOTHER,
    INACTIVE_NAME,
    INACTIVE_NIK,
    PHONE,
    PHONE_E164,
    Clock,
    start_pending,
)

from siapkerja_core.errors import AlreadyRegistered, ConfigurationError, RegistrationError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.names import name_similarity, normalize_name
from siapkerja_core.nik import InvalidNik
from siapkerja_core.ports import RegistryUnavailable
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.service import Siapkerja

# Bundled residents whose names carry a Muhammad spelling.
MUHAMMAD_NIK, MUHAMMAD_MOTHER = "3603321505904990", "Hj. Sri Kusumawati"  # Muhammad Setiawan
MOH_NIK, MOH_MOTHER = "3526013112850730", "Sitti Maimunah"  # Moh. Syaifullah
UNKNOWN_NIK = "3173071203940099"  # well formed, not in the bundled register

STORED_WORDS = ("galih", "pambayun", "wahyuni")  # Galih's stored name and mother's name


def _texts(error: Exception) -> str:
    assert isinstance(error, RegistrationError)
    return " ".join(
        [str(error), error.message_id, error.message_en, repr(dict(error.params))]
    ).casefold()


class _CountingRegistry:
    """Counts the calls of ``verify`` on the registry in use."""

    def __init__(self, svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        registry = svc.dukcapil
        original = registry.verify

        def verify(request: object) -> object:
            self.calls += 1
            return original(request)  # type: ignore[arg-type]

        monkeypatch.setattr(registry, "verify", verify)


def test_register_verifies_and_starts_a_registration(svc: Siapkerja) -> None:
    registration = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    assert registration.status is RegistrationStatus.VERIFIED
    assert registration.nik == GALIH_NIK
    assert registration.full_name == GALIH_NAME
    assert svc.registration(registration.id).status is RegistrationStatus.VERIFIED


def test_register_parses_the_nik_in_any_spelling(svc: Siapkerja) -> None:
    registration = svc.register(" 3173 0712-0394 0042 ", GALIH_NAME, GALIH_MOTHER)
    assert registration.nik == GALIH_NIK


@pytest.mark.parametrize(
    ("name", "mother"),
    [
        ("galih agan pambayun", "sri wahyuni"),
        ("GALIH AGAN PAMBAYUN", "SRI WAHYUNI"),
        ("Galih Agan Pambayun, S.Kom., M.T.", "Hj. Sri Wahyuni"),
        ("Dr. Ir. Galih  Agan Pambayun", "Ibu Sri Wahyuni"),
    ],
)
def test_register_normalises_titles_and_case(svc: Siapkerja, name: str, mother: str) -> None:
    assert svc.register(GALIH_NIK, name, mother).status is RegistrationStatus.VERIFIED


@pytest.mark.parametrize(
    ("nik", "name", "mother"),
    [
        (MUHAMMAD_NIK, "Muh. Setiawan", MUHAMMAD_MOTHER),
        (MUHAMMAD_NIK, "Mohammad Setiawan", "Sri Kusumawati"),
        (MUHAMMAD_NIK, "M. Setiawan", MUHAMMAD_MOTHER),
        (MUHAMMAD_NIK, "Muhamad Setiawan", MUHAMMAD_MOTHER),
        (MOH_NIK, "Muhammad Syaifullah", MOH_MOTHER),
    ],
)
def test_register_accepts_muhammad_variants(
    svc: Siapkerja, nik: str, name: str, mother: str
) -> None:
    assert svc.register(nik, name, mother).status is RegistrationStatus.VERIFIED


def test_name_threshold_is_configurable(make_svc: Callable[..., Siapkerja]) -> None:
    typo = "Galih Agan Pambayum"
    score = name_similarity(normalize_name(GALIH_NAME), normalize_name(typo))
    assert 1 < score < 100
    lenient = make_svc(JourneyPolicy(name_threshold=score))
    assert lenient.register(GALIH_NIK, typo, GALIH_MOTHER).status is RegistrationStatus.VERIFIED
    strict = make_svc(JourneyPolicy(name_threshold=score + 1))
    with pytest.raises(RegistrationError) as caught:
        strict.register(GALIH_NIK, typo, GALIH_MOTHER)
    assert caught.value.full_code == "registration.mismatch"
    assert tuple(caught.value.params["fields"]) == ("full_name",)


@pytest.mark.parametrize("threshold", [0, 101])
def test_name_threshold_out_of_range_is_a_configuration_error(threshold: int) -> None:
    with pytest.raises(ConfigurationError):
        JourneyPolicy(name_threshold=threshold)


@pytest.mark.parametrize(
    ("name", "mother", "fields"),
    [
        ("Budi Santoso", GALIH_MOTHER, ("full_name",)),
        (GALIH_NAME, "Siti Rahayu", ("mother_name",)),
        ("Budi Santoso", "Siti Rahayu", ("full_name", "mother_name")),
    ],
)
def test_mismatch_names_the_fields_and_never_the_stored_values(
    svc: Siapkerja, name: str, mother: str, fields: tuple[str, ...]
) -> None:
    with pytest.raises(RegistrationError) as caught:
        svc.register(GALIH_NIK, name, mother)
    error = caught.value
    assert error.full_code == "registration.mismatch"
    assert type(error) is RegistrationError
    assert tuple(error.params["fields"]) == fields
    text = _texts(error)
    for word in STORED_WORDS:
        assert word not in text
    assert svc.storage.dump()["registrations"] == []


def test_unknown_nik(svc: Siapkerja) -> None:
    assert UNKNOWN_NIK not in svc.dukcapil  # type: ignore[operator]
    with pytest.raises(RegistrationError) as caught:
        svc.register(UNKNOWN_NIK, GALIH_NAME, GALIH_MOTHER)
    assert caught.value.full_code == "registration.nik_not_found"


def test_inactive_nik(svc: Siapkerja) -> None:
    with pytest.raises(RegistrationError) as caught:
        svc.register(INACTIVE_NIK, INACTIVE_NAME, INACTIVE_MOTHER)
    assert caught.value.full_code == "registration.nik_inactive"
    assert "yusnidar" not in _texts(caught.value)


def test_failed_verifications_lock_the_nik_without_calling_dukcapil(
    make_svc: Callable[..., Siapkerja], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_svc(JourneyPolicy(max_verifications_per_nik_per_day=3))
    counter = _CountingRegistry(svc, monkeypatch)
    for guess in ("Siti Rahayu", "Siti Aminah", "Dewi Lestari"):
        with pytest.raises(RegistrationError) as caught:
            svc.register(GALIH_NIK, GALIH_NAME, guess)
        assert caught.value.code == "mismatch"
    assert counter.calls == 3
    # Locked now: even the right mother's name is refused, and Dukcapil is not asked.
    for mother in ("Nur Aisyah", GALIH_MOTHER):
        with pytest.raises(RegistrationError) as caught:
            svc.register(GALIH_NIK, GALIH_NAME, mother)
        assert caught.value.full_code == "registration.verification_locked"
    assert counter.calls == 3
    assert svc.storage.dump()["registrations"] == []
    # Another NIK is not affected.
    assert svc.register(MUHAMMAD_NIK, "Muhammad Setiawan", MUHAMMAD_MOTHER)
    # The lock lifts the next day.
    clock.advance(days=1)
    assert svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).status is RegistrationStatus.VERIFIED


def test_unknown_nik_attempts_count_towards_the_lock(
    make_svc: Callable[..., Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_svc(JourneyPolicy(max_verifications_per_nik_per_day=2))
    counter = _CountingRegistry(svc, monkeypatch)
    for _ in range(2):
        with pytest.raises(RegistrationError):
            svc.register(UNKNOWN_NIK, "Budi Santoso", "Siti Rahayu")
    with pytest.raises(RegistrationError) as caught:
        svc.register(UNKNOWN_NIK, "Budi Santoso", "Siti Rahayu")
    assert caught.value.code == "verification_locked"
    assert counter.calls == 2


def _account(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    svc.confirm_otp(registration.id, code)


def test_nik_with_an_account_is_already_registered_with_masked_contacts(svc: Siapkerja) -> None:
    _account(svc)
    with pytest.raises(AlreadyRegistered) as caught:
        svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    error = caught.value
    assert error.full_code == "registration.already_registered"
    text = " ".join([str(error), error.message_id, error.message_en, repr(dict(error.params))])
    for secret in (EMAIL, PHONE, PHONE_E164, PHONE_E164[3:], "galih.pambayun"):
        assert secret not in text
    assert error.phone_masked.startswith("+628")
    assert "*" in error.phone_masked
    assert "*" in error.email_masked
    assert error.email_masked.endswith("@example.com")


def test_already_registered_only_after_dukcapil_verified(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    _account(svc)
    # Wrong mother's name: a stranger learns nothing about the account.
    with pytest.raises(RegistrationError) as caught:
        svc.register(GALIH_NIK, GALIH_NAME, "Siti Rahayu")
    assert type(caught.value) is RegistrationError
    assert caught.value.code == "mismatch"
    assert "@" not in _texts(caught.value)
    # Dukcapil unreachable: no answer about the account either.
    svc.dukcapil.fail_next()  # type: ignore[attr-defined]
    with pytest.raises(RegistryUnavailable):
        svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    # Dukcapil is asked before the accounts are looked at.
    counter = _CountingRegistry(svc, monkeypatch)
    with pytest.raises(AlreadyRegistered):
        svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    assert counter.calls == 1


@pytest.mark.parametrize(
    ("name", "mother"),
    [
        ("", GALIH_MOTHER),
        (GALIH_NAME, "   "),
        ("A" * 101, GALIH_MOTHER),
        # A control character: the name becomes the profile's, which refuses it.
        ("Galih\x07 Agan Pambayun", GALIH_MOTHER),
        (GALIH_NAME, "Sri\x00 Wahyuni"),
        # A bidi override would show a spoofed name on the card page; a soft hyphen hides.
        ("Galih \u202enuyabmaP Agan", GALIH_MOTHER),
        (GALIH_NAME, "Sri\u00ad Wahyuni"),
    ],
)
def test_invalid_names_are_refused_before_dukcapil(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch, name: str, mother: str
) -> None:
    counter = _CountingRegistry(svc, monkeypatch)
    with pytest.raises(RegistrationError) as caught:
        svc.register(GALIH_NIK, name, mother)
    assert caught.value.full_code == "registration.invalid_name"
    assert counter.calls == 0


@pytest.mark.parametrize("nik", ["", "123", "31730712039400421", "317307120394004X"])
def test_malformed_nik_is_invalid(svc: Siapkerja, nik: str) -> None:
    with pytest.raises(InvalidNik) as caught:
        svc.register(nik, GALIH_NAME, GALIH_MOTHER)
    assert caught.value.full_code.startswith("nik.")
