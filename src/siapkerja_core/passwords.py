"""Passwords: the policy a new password must meet, and how it is stored.

* :class:`PasswordPolicy` checks a prospective password and raises
  :class:`WeakPassword` with a stable code. The default
  (:meth:`PasswordPolicy.nist`) follows NIST SP 800-63B §5.1.1.2: at least 8
  characters, long passphrases allowed, a block-list of common passwords and
  context-specific words, **no** composition rules.
  :meth:`PasswordPolicy.siapkerja` adds SIAPkerja's published rule (upper
  case, lower case, digit and symbol; research/domain.md §3).
* :class:`PasswordHasher` stores passwords with Argon2id (argon2-cffi) at the
  OWASP Password Storage Cheat Sheet's first setting: m = 19 MiB, t = 2,
  p = 1 (research/otp.md §2). At most as many hashes run at once as the
  machine has cores (``max_concurrent``): each uses one core and 19 MiB.

Both apply Unicode NFKC to the password first, as NIST asks ("apply the
Normalization Process for Stabilized Strings using either NFKC or NFKD …
before hashing"), so that ``ｐａｓｓ`` and ``pass`` are one password, and
lengths count code points of the normalised string.

The block-list (Django's 20,000 common passwords plus a short Indonesian
list, see ``data/common-passwords.SOURCE.md``) is read from the package's own
data on the first check and cached; ``argon2`` is imported on the first
:class:`PasswordHasher`. Nothing else here does I/O. No password is ever put
in an error's params or message.
"""

from __future__ import annotations

import gzip
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.translations import text

if TYPE_CHECKING:  # argon2 is slow to import (benchmarks/README.md): keep it out of import time
    import argon2

__all__ = [
    "CHARACTER_CLASSES",
    "IDENTITY_FIELDS",
    "MAX_PASSWORD_LENGTH",
    "OWASP_ARGON2ID",
    "HashParameters",
    "PasswordHasher",
    "PasswordPolicy",
    "WeakPassword",
]

CHARACTER_CLASSES: Final = ("lower", "upper", "digit", "symbol")
"""The character classes a :class:`PasswordPolicy` can require, in message order."""

IDENTITY_FIELDS: Final = ("nik", "phone", "email", "name")
"""The identity fields a password must not contain (named ``password.field.<name>``)."""

_MIN_FRAGMENT: Final = 4
"""Identity values shorter than this (a 3-letter name, a 2-letter e-mail box) are ignored."""

_MIN_STEM: Final = 6
"""A password's letters-only stem is looked up in the block-list from this length on."""

_DATA = files("siapkerja_core") / "data"

# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class WeakPassword(SiapkerjaError):
    """A prospective password that the policy refuses.

    Codes: ``empty``, ``too_short`` (param ``min_length``), ``too_long``
    (``max_length``), ``common``, ``identity`` (``field``: ``nik``,
    ``phone``, ``email`` or ``name``, plus ``field_id``/``field_en``),
    ``composition`` (``missing``: the missing classes from
    :data:`CHARACTER_CLASSES`, plus ``missing_id``/``missing_en``). Params
    never carry the password, its length or the part of it that matched.
    """

    domain = "password"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "empty",
            "too_short",
            "too_long",
            "common",
            "identity",
            "composition",
        }
    )


# --------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------


def _to_classes(value: Iterable[str]) -> frozenset[str]:
    classes = frozenset(value)
    unknown = classes.difference(CHARACTER_CLASSES)
    if unknown:
        raise ValueError(
            f"unknown character classes {sorted(unknown)}; choose from {list(CHARACTER_CLASSES)}"
        )
    return classes


def _join(words: Sequence[str], lang: str) -> str:
    if len(words) == 1:
        return words[0]
    return text("list.and", lang, first=", ".join(words[:-1]), last=words[-1])


def _classes_of(password: str) -> set[str]:
    found: set[str] = set()
    for char in password:
        if char.isdigit():
            found.add("digit")
        elif char.isalpha():
            if char.islower():
                found.add("lower")
            elif char.isupper():
                found.add("upper")
            # Letters without case (Arabic, CJK, …) count as neither.
        else:
            found.add("symbol")  # punctuation, symbols and spaces
    return found


def _read_list(text: str) -> Iterator[str]:
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield unicodedata.normalize("NFKC", entry).casefold()


@cache
def _common_passwords() -> frozenset[str]:
    """The block-list, read from the package data once and kept."""
    django = gzip.decompress((_DATA / "common-passwords.txt.gz").read_bytes()).decode("utf-8")
    indonesian = (_DATA / "common-passwords-id.txt").read_text(encoding="utf-8")
    return frozenset(_read_list(django)) | frozenset(_read_list(indonesian))


_NOT_LETTERS: Final = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LETTER_RUNS: Final = re.compile(r"[^\W\d_]+")
_PHONE_PUNCTUATION: Final = re.compile(r"[\s\-.()+/]")


def _is_common(folded: str) -> bool:
    common = _common_passwords()
    if folded in common:
        return True
    stem = _NOT_LETTERS.sub("", folded)
    return stem != folded and len(stem) >= _MIN_STEM and stem in common


def _identity_fragments(context: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(field, lower-case fragment) pairs a password must not contain."""
    for item in context:
        value = unicodedata.normalize("NFKC", item).casefold().strip()
        digits = _PHONE_PUNCTUATION.sub("", value)
        if "@" in value:
            local = value.rpartition("@")[0]
            yield "email", local
            for run in _LETTER_RUNS.findall(local):
                yield "email", run
        elif digits.isascii() and digits.isdigit():
            if len(digits) == 16:
                yield "nik", digits
            else:
                # Indonesian mobile numbers: +62 812…, 62812…, 0812… → 812…
                national = digits[2:] if digits.startswith("62") else digits
                yield "phone", national.lstrip("0")
        else:
            for run in _LETTER_RUNS.findall(value):
                yield "name", run


MAX_PASSWORD_LENGTH: Final = 128
"""The default longest password, in code points (:attr:`PasswordPolicy.max_length`)."""


@attrs.frozen
class PasswordPolicy:
    """What a new password must satisfy.

    ``min_length``/``max_length`` count Unicode code points after NFKC
    (NIST SP 800-63B §5.1.1.2: "each Unicode code point SHALL be counted as a
    single character"). NIST asks verifiers to allow at least 64 characters;
    the default cap of 128 leaves room for passphrases while bounding the
    work and storage spent on a single input. (Argon2 itself has no 72-byte
    limit, unlike bcrypt.)

    ``block_common`` refuses passwords on the block-list (NIST: "values known
    to be commonly-used, expected, or compromised"), compared
    case-insensitively. A password whose letters-only stem — the password
    without leading and trailing digits, symbols and spaces — has at least 6
    characters and is on the list is refused too (``Bismillah123!``,
    ``Password2024``).

    ``require_classes`` is a subset of :data:`CHARACTER_CLASSES`; empty by
    default because NIST says verifiers "SHOULD NOT impose other composition
    rules". A digit is any Unicode digit, upper/lower case follow Unicode,
    and a symbol is anything that is neither a letter nor a digit (including
    a space).

    ``forbid_identity`` refuses a password that contains, case-insensitively,
    a value from the ``context`` passed to :meth:`check` (NIST:
    "context-specific words, such as … the username, and derivatives
    thereof"): the NIK (16 digits), a phone number's national digits
    (``0812…``, ``+62 812…`` → ``812…``), an e-mail address's local part and
    its letter runs, and each run of letters of a name. Fragments shorter than
    4 characters are ignored.
    """

    min_length: int = 8
    max_length: int = MAX_PASSWORD_LENGTH
    block_common: bool = True
    require_classes: frozenset[str] = attrs.field(default=frozenset(), converter=_to_classes)
    forbid_identity: bool = True

    def __attrs_post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError(f"min_length must be at least 1, got {self.min_length}")
        if self.max_length < self.min_length:
            raise ValueError(
                f"max_length ({self.max_length}) must not be below min_length ({self.min_length})"
            )

    @classmethod
    def nist(cls) -> PasswordPolicy:
        """NIST SP 800-63B §5.1.1.2 (memorized secrets): the default.

        At least 8 characters, block-list and context-specific words, no
        composition rules. (SP 800-63B-4, 2025, raises the minimum to 15 for
        passwords that are the only authentication factor — use
        ``PasswordPolicy(min_length=15)`` for that case.)
        """
        return cls()

    @classmethod
    def siapkerja(cls) -> PasswordPolicy:
        """SIAPkerja's own published rule, on top of the NIST checks.

        "Minimal 8 karakter dengan huruf kecil, huruf besar, angka dan simbol"
        (Kompas, 6 Oct 2025, on creating a SIAPkerja account; research/domain.md
        §3). The block-list and identity checks stay on.
        """
        return cls(require_classes=frozenset(CHARACTER_CLASSES))

    def check(self, password: str, *, context: Sequence[str] = ()) -> None:
        """Raise :class:`WeakPassword` if ``password`` does not meet the policy.

        ``context`` holds what the person gave about themselves — NIK, phone
        number, e-mail address, name — in any spelling. Checks run in the order
        empty, length, block-list, identity, composition, and the first failure
        is raised: a common password is reported as such before any
        composition advice, since decorating it would not make it safe.
        """
        normalised = unicodedata.normalize("NFKC", password)
        if not normalised.strip():
            raise WeakPassword("empty")
        if len(normalised) < self.min_length:
            raise WeakPassword("too_short", min_length=self.min_length)
        if len(normalised) > self.max_length:
            raise WeakPassword("too_long", max_length=self.max_length)
        folded = normalised.casefold()
        if self.block_common and _is_common(folded):
            raise WeakPassword("common")
        if self.forbid_identity:
            items = (context,) if isinstance(context, str) else context
            for field, fragment in _identity_fragments(items):
                if len(fragment) >= _MIN_FRAGMENT and fragment in folded:
                    raise WeakPassword(
                        "identity",
                        field=field,
                        field_id=text(f"password.field.{field}", "id"),
                        field_en=text(f"password.field.{field}", "en"),
                    )
        missing = [c for c in CHARACTER_CLASSES if c in self.require_classes]
        missing = [c for c in missing if c not in _classes_of(normalised)]
        if missing:
            raise WeakPassword(
                "composition",
                missing=tuple(missing),
                missing_id=_join([text(f"password.class.{c}", "id") for c in missing], "id"),
                missing_en=_join([text(f"password.class.{c}", "en") for c in missing], "en"),
            )


# --------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------


@attrs.frozen
class HashParameters:
    """Argon2id cost parameters: memory in KiB, passes, lanes.

    Salt (16 bytes) and tag (32 bytes) lengths are argon2-cffi's defaults and
    not configurable here.
    """

    memory_kib: int
    time_cost: int
    parallelism: int

    def __attrs_post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_kib < 8 * self.parallelism:
            raise ValueError("Argon2 needs at least 8 KiB of memory per lane")


OWASP_ARGON2ID: Final = HashParameters(memory_kib=19 * 1024, time_cost=2, parallelism=1)
"""OWASP Password Storage Cheat Sheet: "Argon2id with a minimum configuration of
19 MiB of memory, an iteration count of 2, and 1 degree of parallelism"."""

_TEST_PARAMETERS: Final = HashParameters(memory_kib=8, time_cost=1, parallelism=1)

# Not a credential: the password behind the dummy hash of PasswordHasher.dummy_verify.
_DUMMY_PASSWORD: Final = "siapkerja-dummy-password"  # noqa: S105


class PasswordHasher:
    """Argon2id password hashing over ``argon2-cffi``.

    The default parameters are :data:`OWASP_ARGON2ID` (m = 19456 KiB, t = 2,
    p = 1). Passwords are NFKC-normalised before hashing (NIST SP 800-63B).
    The stored form is the standard PHC string (``$argon2id$v=19$m=…``), so
    hashes stay verifiable by any Argon2 implementation.

    Use :meth:`needs_rehash` after a successful :meth:`verify` to upgrade old
    hashes when the parameters change, and :meth:`dummy_verify` on the
    "unknown user" path of a login so that it costs the same time as a real
    check (OWASP Authentication Cheat Sheet: equal response times).
    """

    def __init__(
        self, parameters: HashParameters = OWASP_ARGON2ID, *, max_concurrent: int | None = None
    ) -> None:
        import argon2  # deferred: importing argon2 is slow (benchmarks/README.md)

        self._parameters = parameters
        # Hashes beyond the cores only share them: each takes longer, holds its
        # memory longer (19 MiB), and starves whatever else the process runs
        # (the thread holding the database lock, a scan) of CPU time. Under 64
        # concurrent sign-ups on 2 cores the waiting happens here, in turn.
        slots = max_concurrent if max_concurrent is not None else os.cpu_count() or 1
        if slots < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._max_concurrent = slots
        self._slots = threading.BoundedSemaphore(slots)
        self._hasher: argon2.PasswordHasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        self._errors: tuple[type[Exception], ...] = (
            argon2.exceptions.VerificationError,
            ValueError,  # InvalidHashError, and non-ASCII hashes/unencodable passwords
        )
        self._dummy_hash: str | None = None

    @classmethod
    def fast_for_tests(cls) -> PasswordHasher:
        """A hasher with the smallest legal costs (8 KiB, t = 1, p = 1).

        **For tests only — never in production**: such hashes fall to brute
        force at a tiny fraction of the cost of the OWASP setting.
        """
        return cls(_TEST_PARAMETERS)

    @property
    def max_concurrent(self) -> int:
        """How many hashes and verifications run at once (default: the CPU count); others wait."""
        return self._max_concurrent

    @property
    def parameters(self) -> HashParameters:
        """The cost parameters new hashes are made with."""
        return self._parameters

    def __repr__(self) -> str:
        return f"PasswordHasher({self._parameters!r})"

    def hash(self, password: str) -> str:
        """Hash ``password`` (after NFKC) with a fresh random salt; returns the PHC string."""
        normalised = unicodedata.normalize("NFKC", password)
        with self._slots:
            return self._hasher.hash(normalised)

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``.

        Returns ``False`` — never raises — on a mismatch and on a malformed or
        unsupported stored hash.
        """
        normalised = unicodedata.normalize("NFKC", password)
        try:
            with self._slots:
                return self._hasher.verify(stored_hash, normalised)
        except self._errors:
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters (or another Argon2 variant).

        A malformed hash also gives ``True``: it is not what this hasher would store.
        """
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except ValueError:
            return True

    def dummy_verify(self) -> None:
        """Spend the time of one failed :meth:`verify`, for an unknown login identifier.

        The fixed dummy hash is made with this hasher's parameters on the first
        call (hashing costs the same as verifying) and kept for later calls.
        """
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(_DUMMY_PASSWORD)
        else:
            self.verify(self._dummy_hash, _DUMMY_PASSWORD[::-1])
