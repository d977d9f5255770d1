"""The ``offline`` population registry: Dukcapil without the network.

This module owns :class:`OfflineRegistry`, an in-process stand-in for
Dukcapil's ``CALL_VERIFY_BY_ELEMEN`` service for development, demos,
notebooks and tests, and the factory the built-in plug-in registers
(:func:`offline_registry_from_settings`). The :class:`Resident` records it
holds, the resident CSV format (:func:`read_residents`) and its typed error
(:class:`ResidentDataError`) live in :mod:`siapkerja_adapters.residents` and
are re-exported here.

It keeps the :class:`~siapkerja_core.ports.PopulationRegistry` contract
(``tests/contract/test_registry_contract.py``) the way the real service
answers (research/domain.md §2.2):

* an unknown NIK gives ``not_found``; a resident whose status is inactive
  gives ``inactive`` (Dukcapil's response code 14);
* otherwise one verdict per field: the NIK is an exact match; the full name
  and the mother's maiden name are scored 0–100 with
  :func:`siapkerja_core.names.name_similarity` and match when the score
  reaches the request's threshold (Dukcapil's ``"Sesuai (score)"``);
* stored values never leave the registry — not in results, errors or logs;
* an optional daily quota counts down like Dukcapil's ``quotaLimiter``.

A bundled set of fictional residents (``data/residents.csv``, made by
``scripts/make_residents.py``; see ``data/residents.SOURCE.md``) is loaded
by default, so ``connect()`` works out of the box; your own CSV loads on top.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Final

import attrs

from siapkerja_adapters.residents import (
    CSV_COLUMNS,
    Resident,
    ResidentDataError,
    bundled_residents,
    read_residents,
)
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.names import name_similarity, normalize_name
from siapkerja_core.nik import InvalidNik, normalize_nik
from siapkerja_core.ports import (
    FaceMatch,
    FieldMatch,
    RegistryUnavailable,
    VerificationRequest,
    VerificationResult,
)
from siapkerja_core.settings import Settings

__all__ = [
    "CSV_COLUMNS",
    "OfflineRegistry",
    "Resident",
    "ResidentDataError",
    "bundled_residents",
    "face_image",
    "offline_registry_from_settings",
    "read_residents",
]

logger = logging.getLogger("siapkerja.dukcapil")

# --- the registry -----------------------------------------------------------------------------


@attrs.frozen
class _Entry:
    resident: Resident
    full_name: str  # normalised once, at insertion
    mother_name: str


def _entry(resident: Resident) -> _Entry:
    return _Entry(
        resident, normalize_name(resident.full_name), normalize_name(resident.mother_name)
    )


_NO_MATCH: Final = FieldMatch(False)


class OfflineRegistry:
    """A population registry held in memory (the ``offline`` ``dukcapil`` adapter).

    :param residents: residents to hold, on top of the bundled ones.
    :param include_bundled: start from the bundled fictional residents (default).
    :param daily_quota: calls allowed per day, like Dukcapil's ``quotaLimiter``;
        ``None`` (default) is unlimited and reports no quota. When the quota is
        used up, :meth:`verify` raises ``RegistryUnavailable`` until the day changes.
    :param today: returns the current date (for the quota's day); default
        ``date.today``.

    A resident added with a NIK already held replaces the earlier one, so a
    CSV loaded later can correct or deactivate a bundled resident.
    """

    def __init__(
        self,
        residents: Iterable[Resident] = (),
        *,
        include_bundled: bool = True,
        daily_quota: int | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        if daily_quota is not None and (isinstance(daily_quota, bool) or daily_quota < 0):
            raise ValueError(f"daily_quota must be None or >= 0, got {daily_quota!r}")
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._failures_left = 0
        self._daily_quota = daily_quota
        self._today = today or date.today
        self._quota_day: date | None = None
        self._used = 0
        if include_bundled:
            self._entries.update((r.nik, _entry(r)) for r in bundled_residents())
        for resident in residents:
            self.add(resident)

    # --- the resident set ---

    def add(self, resident: Resident) -> None:
        """Hold ``resident``, replacing any resident with the same NIK."""
        if not isinstance(resident, Resident):
            raise TypeError(f"expected a Resident, got {type(resident).__name__}")
        entry = _entry(resident)
        with self._lock:
            self._entries[resident.nik] = entry

    def load_csv(self, path: str | os.PathLike[str]) -> int:
        """Add every resident of a CSV file (see :func:`read_residents`); return how many.

        All or nothing: a bad row raises before any resident is added.

        :raises ResidentDataError: ``header``, ``row`` (with its line number) or ``file``.
        """
        residents = read_residents(path)
        entries = [_entry(r) for r in residents]
        with self._lock:
            self._entries.update((e.resident.nik, e) for e in entries)
        logger.debug("loaded %d residents from %s", len(entries), os.fspath(path))
        return len(entries)

    def get(self, nik: str) -> Resident | None:
        """The resident with this NIK (any spelling :func:`parse_nik` accepts), or ``None``.

        For fixtures and demos: a real registry has no such look-up.
        """
        key = _key(nik)
        entry = None if key is None else self._entries.get(key)
        return None if entry is None else entry.resident

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, nik: object) -> bool:
        return isinstance(nik, str) and self.get(nik) is not None

    def __iter__(self) -> Iterator[Resident]:
        with self._lock:
            entries = list(self._entries.values())
        return (entry.resident for entry in entries)

    # --- failure and quota simulation ---

    def fail_next(self, n: int = 1) -> None:
        """Make the next ``n`` calls of :meth:`verify` raise ``RegistryUnavailable``.

        Replaces any earlier count; ``fail_next(0)`` cancels. Failed calls use no quota.
        """
        if isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be >= 0, got {n!r}")
        with self._lock:
            self._failures_left = n

    @property
    def daily_quota(self) -> int | None:
        """Calls allowed per day (``None``: unlimited)."""
        return self._daily_quota

    @property
    def quota_remaining(self) -> int | None:
        """Calls left today (``None`` when the quota is unlimited)."""
        with self._lock:
            self._roll_day()
            return self._remaining()

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._quota_day:
            self._quota_day = today
            self._used = 0

    def _remaining(self) -> int | None:
        return None if self._daily_quota is None else max(self._daily_quota - self._used, 0)

    # --- the port ---

    def verify(self, request: VerificationRequest) -> VerificationResult:
        """Check a NIK, full name and mother's maiden name (see ``PopulationRegistry``).

        :raises RegistryUnavailable: ``dukcapil.unavailable`` after :meth:`fail_next`
            or when the daily quota is used up.
        """
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                raise RegistryUnavailable("unavailable", adapter="offline")
            self._roll_day()
            if self._daily_quota is not None and self._used >= self._daily_quota:
                raise RegistryUnavailable("unavailable", adapter="offline", reason="quota")
            self._used += 1
            remaining = self._remaining()
            key = _key(request.nik)
            entry = None if key is None else self._entries.get(key)

        if entry is None:
            return VerificationResult(
                status="not_found",
                nik=_NO_MATCH,
                full_name=_NO_MATCH,
                mother_name=_NO_MATCH,
                quota_remaining=remaining,
            )
        if not entry.resident.active:
            # Dukcapil's code 14 ("Data Ditemukan, Status Tidak Aktif") carries no field verdicts.
            return VerificationResult(
                status="inactive",
                nik=FieldMatch(True),
                full_name=_NO_MATCH,
                mother_name=_NO_MATCH,
                quota_remaining=remaining,
            )
        return VerificationResult(
            status="found",
            nik=FieldMatch(True),
            full_name=_score(entry.full_name, request.full_name, request.threshold),
            mother_name=_score(entry.mother_name, request.mother_name, request.threshold),
            quota_remaining=remaining,
        )

    def match_face(self, nik: str, image: bytes) -> FaceMatch:
        """Match a photo with the resident's (the optional ``FaceMatcher`` capability).

        Deterministic, for tests and demos: the resident's "photo" is
        :func:`face_image` of their NIK, which matches with score 96; any other
        image scores below 60 (derived from its hash) and does not match. An
        unknown NIK is ``not_found``, an inactive resident ``inactive``. Counts
        against the daily quota like :meth:`verify`; nothing is kept.

        :raises RegistryUnavailable: as :meth:`verify`.
        """
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                raise RegistryUnavailable("unavailable", adapter="offline")
            self._roll_day()
            if self._daily_quota is not None and self._used >= self._daily_quota:
                raise RegistryUnavailable("unavailable", adapter="offline", reason="quota")
            self._used += 1
            key = _key(nik)
            entry = None if key is None else self._entries.get(key)
        if entry is None:
            return FaceMatch(status="not_found", matched=False, score=0)
        if not entry.resident.active:
            return FaceMatch(status="inactive", matched=False, score=0)
        if hmac.compare_digest(bytes(image), face_image(entry.resident.nik)):
            return FaceMatch(status="found", matched=True, score=96)
        score = hashlib.sha256(bytes(image)).digest()[0] * 60 // 256
        return FaceMatch(status="found", matched=False, score=score)

    def __repr__(self) -> str:
        quota = "" if self._daily_quota is None else f", daily_quota={self._daily_quota}"
        return f"OfflineRegistry(residents={len(self._entries)}{quota})"


def face_image(nik: str) -> bytes:
    """The offline registry's stand-in for the register's photo of ``nik``: the only
    image :meth:`OfflineRegistry.match_face` matches (tests and demos)."""
    return f"SIAPKERJA-OFFLINE-FACE:{nik}".encode("ascii")


def _key(nik: str) -> str | None:
    try:
        return normalize_nik(nik)
    except InvalidNik:
        return None


def _score(stored: str, given: str, threshold: int) -> FieldMatch:
    # The core sends normalised names; normalising again (inside name_similarity) is idempotent.
    score = name_similarity(stored, given)
    return FieldMatch(score >= threshold, score)


# --- factory ------------------------------------------------------------------------------------


def offline_registry_from_settings(settings: Settings) -> OfflineRegistry:
    """Factory for the ``offline`` ``dukcapil`` adapter.

    Settings: ``dukcapil_residents`` — a resident CSV loaded on top of the
    bundled set (a relative path is relative to the current directory);
    ``dukcapil_daily_quota`` — calls allowed per day (unset: unlimited).

    :raises ConfigurationError: ``config.invalid`` for a missing file or a bad quota.
    :raises ResidentDataError: for a malformed CSV (with its line number).
    """
    registry = OfflineRegistry(
        daily_quota=settings.get_int("dukcapil_daily_quota", None, minimum=0)
    )
    residents = settings.get_str("dukcapil_residents")
    if residents is not None:
        path = Path(residents)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.is_file():
            raise ConfigurationError(
                "invalid", name="dukcapil_residents", reason=f"no such file: {os.fspath(path)}"
            )
        registry.load_csv(path)
    return registry
