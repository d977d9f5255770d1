"""Tests of siapkerja_core.passwords: policy, block-list, errors and Argon2id hashing."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import siapkerja_core
from siapkerja_core import passwords
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.passwords import (
    CHARACTER_CLASSES,
    OWASP_ARGON2ID,
    HashParameters,
    PasswordHasher,
    PasswordPolicy,
    WeakPassword,
)
from siapkerja_core.translations import text

NIST = PasswordPolicy.nist()
SIAPKERJA = PasswordPolicy.siapkerja()
IDENTITY = ("3171012501900001", "+62 812-3456-7890", "galih.pambayun@example.com", "Siti Aminah")
CATALOGUE = repr(WeakPassword.messages)


def error_of(
    policy: PasswordPolicy, password: str, context: Sequence[str] = ()
) -> WeakPassword | None:
    try:
        policy.check(password, context=context)
    except WeakPassword as error:
        return error
    return None


def code_of(policy: PasswordPolicy, password: str, context: Sequence[str] = ()) -> str | None:
    """The error code ``policy`` gives ``password`` (None if accepted); checks no leak."""
    error = error_of(policy, password, context)
    if error is None:
        return None
    if password.strip() and password not in CATALOGUE:
        assert password not in str(error)
        assert password not in repr(error.params)
    return error.code


def raised(policy: PasswordPolicy, password: str, context: tuple[str, ...] = ()) -> WeakPassword:
    with pytest.raises(WeakPassword) as info:
        policy.check(password, context=context)
    return info.value


# --------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------


def test_nist_is_the_default() -> None:
    assert PasswordPolicy() == NIST
    assert NIST.min_length == 8
    assert NIST.max_length == 128
    assert NIST.block_common
    assert NIST.forbid_identity
    assert NIST.require_classes == frozenset()


def test_siapkerja_requires_every_class() -> None:
    assert SIAPKERJA.require_classes == frozenset(CHARACTER_CLASSES)
    assert SIAPKERJA.min_length == 8
    assert SIAPKERJA.block_common
    assert SIAPKERJA.forbid_identity


@pytest.mark.parametrize(
    "password",
    [
        "kuda lari cepat",  # a passphrase, no digit, no capital: NIST accepts it
        "correct horse battery staple",
        "mawar-melati-semuanya",
        "zq8#kT1!",
        "ｋｕｄａ ｌａｒｉ ｃｅｐａｔ",  # full-width: NFKC first
        "pisang goreng keju 🍌",
        "x" * 128,
    ],
)
def test_nist_accepts(password: str) -> None:
    NIST.check(password)


@pytest.mark.parametrize("password", ["Kuda-Lari-Cepat-7", "Zq8#kT1!", "Pisang Goreng 2x"])
def test_siapkerja_accepts(password: str) -> None:
    SIAPKERJA.check(password)


def test_policy_is_frozen_and_validated() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        NIST.min_length = 4  # type: ignore[misc]
    with pytest.raises(ValueError):
        PasswordPolicy(require_classes=frozenset({"emoji"}))
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=0)
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=20, max_length=10)
    assert PasswordPolicy(require_classes=["digit"]).require_classes == frozenset({"digit"})


# --------------------------------------------------------------------------
# Error codes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["", "   ", "\t\n", "\u3000\u3000"])
def test_empty(password: str) -> None:
    assert code_of(NIST, password) == "empty"


def test_too_short_counts_code_points_after_nfkc() -> None:
    assert code_of(NIST, "kudalar") == "too_short"
    error = raised(NIST, "kudalar")
    assert error.params == {"min_length": 8}
    assert "8" in error.message_id
    assert "8" in error.message_en
    assert code_of(NIST, "🍌🍌🍌🍌🍌🍌🍌🍌") is None  # 8 code points (32 UTF-8 bytes)
    assert code_of(NIST, "ßßßßßßß") == "too_short"  # casefold does not lengthen it
    assert code_of(PasswordPolicy(min_length=15), "kuda lari cepat") is None
    assert code_of(PasswordPolicy(min_length=16), "kuda lari cepat") == "too_short"


def test_too_long() -> None:
    assert code_of(NIST, "x" * 129) == "too_long"
    error = raised(NIST, "y" * 500)
    assert error.params == {"max_length": 128}
    # NFKC expands the ligature "ﬃ" to three letters before counting.
    assert code_of(PasswordPolicy(max_length=10), "ﬃﬃﬃﬃ") == "too_long"


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PASSWORD",
        "PassWord",
        "password123",
        "qwertyuiop",
        "iloveyou",
        "１２３４５６７８",  # full-width 12345678
        "Password1!",  # stem "password"
        "!!Password2024",
        "Bismillah",
        "Bismillah123!",
        "Sayang123",
        "rahasia1",
        # the Indonesian list
        "merdeka45",
        "Merdeka!!",
        "KEMNAKER",
        "siapkerja",
        "SiapKerja2025!",
        "alhamdulillah",
        "Persija1928",
        "katasandi",
    ],
)
def test_common(password: str) -> None:
    assert code_of(NIST, password) == "common"
    assert code_of(SIAPKERJA, password) == "common"  # reported before composition


@pytest.mark.parametrize(
    "password",
    [
        "cinta2024x",  # stem "cinta2024x" is not on the list
        "cinta12345",  # stem "cinta" has only 5 letters
        "kucingku pemalas",
    ],
)
def test_not_common(password: str) -> None:
    assert code_of(NIST, password) is None


def test_common_can_be_switched_off() -> None:
    assert code_of(PasswordPolicy(block_common=False), "password") is None


def test_block_list_is_packaged() -> None:
    data = Path(siapkerja_core.__file__).resolve().parent / "data"
    assert (data / "common-passwords.txt.gz").stat().st_size > 50_000
    assert "Redistribution and use" in (data / "LICENSE.django-common-passwords").read_text()
    assert "Django" in (data / "common-passwords.SOURCE.md").read_text()
    entries = [
        line
        for line in (data / "common-passwords-id.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert 25 <= len(entries) <= 40
    assert all(entry == entry.lower().strip() for entry in entries)


@pytest.mark.parametrize(
    ("password", "field"),
    [
        ("x3171012501900001x", "nik"),
        ("aku-081234567890", "phone"),
        ("aku+6281234567890", "phone"),
        ("nomor812345678901", "phone"),
        ("Galih.Pambayun!", "email"),
        ("pambayun-keren-7", "email"),
        ("AMINAH123456", "name"),
        ("SitiSiti2024", "name"),
    ],
)
def test_identity(password: str, field: str) -> None:
    error = raised(NIST, password, IDENTITY)
    assert error.code == "identity"
    assert error.params["field"] == field
    assert password not in str(error)


def test_identity_details() -> None:
    assert code_of(NIST, "kuda lari cepat", IDENTITY) is None
    # Short fragments (< 4 characters) are ignored: a 3-letter name, a 2-letter mailbox.
    assert code_of(NIST, "adi-pergi-ke-pasar", ("Adi", "ab@example.com")) is None
    # A bare string is one context value, not a sequence of letters.
    assert code_of(NIST, "wibowo-pergi-ke-pasar", "Wibowo") == "identity"
    # Case- and width-insensitive.
    assert code_of(NIST, "ＷＩＢＯＷＯ-pergi", ("wibowo",)) == "identity"
    assert code_of(PasswordPolicy(forbid_identity=False), "AMINAH123456", IDENTITY) is None
    assert code_of(NIST, "AMINAH123456") is None  # no context, nothing to refuse


def test_identity_messages() -> None:
    error = raised(NIST, "pesan0812345678", ("0812345678",))
    assert error.message_id == "Kata sandi tidak boleh memuat nomor HP Anda."
    assert error.message_en == "The password must not contain your mobile number."


@pytest.mark.parametrize(
    ("password", "missing", "missing_id", "missing_en"),
    [
        (
            "kuda lari cepat",
            ("upper", "digit"),
            "huruf besar dan angka",
            "an upper-case letter and a digit",
        ),
        (
            "KUDALARICEPAT",
            ("lower", "digit", "symbol"),
            "huruf kecil, angka dan simbol",
            "a lower-case letter, a digit and a symbol",
        ),
        ("Kudalaricepat7", ("symbol",), "simbol", "a symbol"),
        (
            "29481736",
            ("lower", "upper", "symbol"),
            "huruf kecil, huruf besar dan simbol",
            "a lower-case letter, an upper-case letter and a symbol",
        ),
    ],
)
def test_composition(
    password: str, missing: tuple[str, ...], missing_id: str, missing_en: str
) -> None:
    error = raised(SIAPKERJA, password)
    assert error.code == "composition"
    assert error.params["missing"] == missing
    assert error.message_id == f"Kata sandi harus memuat {missing_id}."
    assert error.message_en == f"The password must contain {missing_en}."


def test_composition_of_single_classes() -> None:
    policy = PasswordPolicy(require_classes=frozenset({"digit"}))
    assert code_of(policy, "kuda lari cepat") == "composition"
    assert code_of(policy, "kuda lari cepat ７") is None  # full-width digit counts
    assert code_of(PasswordPolicy(require_classes=frozenset({"symbol"})), "kuda lari") is None


def test_error_shape() -> None:
    error = raised(SIAPKERJA, "kuda lari cepat")
    assert isinstance(error, SiapkerjaError)
    assert error.domain == "password"
    assert error.full_code == "password.composition"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.code, dict(copy.params)) == (error.code, dict(error.params))
    for code in ("empty", "too_short", "too_long", "common", "identity", "composition"):
        assert code in WeakPassword.messages


def _policy_words_only(value: object) -> bool:
    """A param made of the policy's own vocabulary: a limit, a class or field name, a list."""
    if type(value) is int:
        return True
    if isinstance(value, tuple):
        return all(_policy_words_only(item) for item in value)
    if isinstance(value, str):
        return all(part in _POLICY_WORDS for part in re.split(r", | dan | and ", value))
    return False


_POLICY_WORDS = {
    *passwords.CHARACTER_CLASSES,
    *(
        text(f"password.class.{c}", lang)
        for c in passwords.CHARACTER_CLASSES
        for lang in ["id", "en"]
    ),
    *passwords.IDENTITY_FIELDS,
    *(
        text(f"password.field.{f}", lang)
        for f in passwords.IDENTITY_FIELDS
        for lang in ["id", "en"]
    ),
}


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_check_raises_only_weak_password(password: str) -> None:
    error = error_of(SIAPKERJA, password, IDENTITY)  # anything else propagates and fails
    if error is not None:
        # Never an echo of the password: the params are built from the policy's own
        # words. (Not "the password is not in them": Hypothesis feeds the module's
        # own literals, and a password "upper" is not a leak.)
        assert all(_policy_words_only(value) for value in error.params.values()), error.params


# --------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher.fast_for_tests()


def test_round_trip(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kuda lari cepat")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hasher.verify(stored, "kuda lari cepat")
    assert hasher.hash("kuda lari cepat") != stored  # fresh salt each time


def test_wrong_password_is_false(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kuda lari cepat")
    assert hasher.verify(stored, "kuda lari lambat") is False
    assert hasher.verify(stored, "") is False
    assert hasher.verify(stored, "Kuda lari cepat") is False


def test_nfkc_before_hashing(hasher: PasswordHasher) -> None:
    stored = hasher.hash("ｋｕｄａ ｌａｒｉ")
    assert hasher.verify(stored, "kuda lari")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA",
        "$argon2id$v=19$m=8,t=1,p=1$é$é",
        "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",  # bcrypt
        "pbkdf2_sha256$600000$salt$hash",
    ],
)
def test_malformed_hash_is_false(hasher: PasswordHasher, stored: str) -> None:
    assert hasher.verify(stored, "kuda lari cepat") is False
    assert hasher.needs_rehash(stored) is True


def test_unencodable_password_is_false(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kuda lari cepat")
    assert hasher.verify(stored, "kuda\udcff") is False


def test_needs_rehash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kuda lari cepat")
    assert hasher.needs_rehash(stored) is False
    stronger = PasswordHasher(HashParameters(memory_kib=16, time_cost=1, parallelism=1))
    assert stronger.needs_rehash(stored) is True
    assert PasswordHasher(HashParameters(8, 2, 1)).needs_rehash(stored) is True
    assert stronger.verify(stored, "kuda lari cepat")  # old hashes still verify


def test_argon2i_hash_needs_rehash(hasher: PasswordHasher) -> None:
    import argon2

    old = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.I)
    stored = old.hash("kuda lari cepat")
    assert hasher.verify(stored, "kuda lari cepat")
    assert hasher.needs_rehash(stored)


def test_dummy_verify_costs_what_a_real_check_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unknown-user path of a login: one Argon2 operation with this hasher's parameters."""
    hasher = PasswordHasher.fast_for_tests()
    calls: list[tuple[str, str, bool | None]] = []
    real_hash, real_verify = hasher.hash, hasher.verify

    def hash_spy(password: str) -> str:
        stored = real_hash(password)
        calls.append(("hash", stored, None))
        return stored

    def verify_spy(stored_hash: str, password: str) -> bool:
        matched = real_verify(stored_hash, password)
        calls.append(("verify", stored_hash, matched))
        return matched

    monkeypatch.setattr(hasher, "hash", hash_spy)
    monkeypatch.setattr(hasher, "verify", verify_spy)

    hasher.dummy_verify()  # first call: makes the dummy hash (hashing costs what verifying does)
    [(kind, dummy, _)] = calls
    assert kind == "hash"
    assert dummy.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # this hasher's parameters
    assert not hasher.needs_rehash(dummy)

    hasher.dummy_verify()  # later calls: one failed verification of the same dummy hash each
    hasher.dummy_verify()
    assert calls[1:] == [("verify", dummy, False), ("verify", dummy, False)]


def test_fast_parameters_are_tiny(hasher: PasswordHasher) -> None:
    assert hasher.parameters == HashParameters(memory_kib=8, time_cost=1, parallelism=1)
    assert "memory_kib=8" in repr(hasher)


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError):
        HashParameters(memory_kib=4, time_cost=1, parallelism=1)
    with pytest.raises(ValueError):
        HashParameters(memory_kib=64, time_cost=0, parallelism=1)
    with pytest.raises(ValueError):
        HashParameters(memory_kib=8, time_cost=1, parallelism=2)


def test_defaults_are_owasp() -> None:
    """The one test with the real (slow-ish) parameters: OWASP's m=19 MiB, t=2, p=1."""
    assert (OWASP_ARGON2ID.memory_kib, OWASP_ARGON2ID.time_cost, OWASP_ARGON2ID.parallelism) == (
        19456,
        2,
        1,
    )
    real = PasswordHasher()
    assert real.parameters == OWASP_ARGON2ID
    stored = real.hash("kuda lari cepat")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert real.verify(stored, "kuda lari cepat")
    assert not real.needs_rehash(stored)
    assert PasswordHasher.fast_for_tests().needs_rehash(stored)


def test_importing_passwords_does_not_import_argon2() -> None:
    src = Path(siapkerja_core.__file__).resolve().parent.parent
    code = (
        "import sys; import siapkerja_core.passwords as p; "
        "p.PasswordPolicy().check('kuda lari cepat'); "
        "sys.exit('argon2' in sys.modules and 'argon2 imported' or None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_no_more_hashes_at_once_than_allowed() -> None:
    """64 sign-ups on 2 cores: 64 concurrent 19 MiB hashes would starve everything else."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    hasher = PasswordHasher(
        HashParameters(memory_kib=8, time_cost=1, parallelism=1), max_concurrent=2
    )
    assert hasher.max_concurrent == 2
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    class Recording:
        def _enter(self) -> None:
            with lock:
                running[0] += 1
                running[1] = max(running)
            time.sleep(0.01)
            with lock:
                running[0] -= 1

        def hash(self, password: str) -> str:
            self._enter()
            return "h:" + password

        def verify(self, stored: str, password: str) -> bool:
            self._enter()
            return stored == "h:" + password

    hasher._hasher = Recording()  # type: ignore[assignment]
    with ThreadPoolExecutor(16) as pool:
        hashed = list(pool.map(hasher.hash, [f"kata sandi {n}" for n in range(16)]))
        checked = list(pool.map(hasher.verify, hashed, [f"kata sandi {n}" for n in range(16)]))
    assert all(checked)
    assert running[1] <= 2


def test_hashes_at_once_default_to_the_cores() -> None:
    import os

    assert PasswordHasher.fast_for_tests().max_concurrent == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="max_concurrent"):
        PasswordHasher(max_concurrent=0)
