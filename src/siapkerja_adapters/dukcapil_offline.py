"""The ``offline`` population registry: Dukcapil without the network.

This module owns :class:`OfflineRegistry`, an in-process stand-in for
Dukcapil's ``CALL_VERIFY_BY_ELEMEN`` service for development, demos,
notebooks and tests; the :class:`Resident` records it holds; the resident CSV
format (:func:`read_residents`) and its typed error
(:class:`ResidentDataError`); and the factory the built-in plug-in registers
(:func:`offline_registry_from_settings`).

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

import csv
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar, Final, Literal

import attrs

from siapkerja_core.errors import ConfigurationError, Message, SiapkerjaError
from siapkerja_core.names import name_similarity, normalize_name
from siapkerja_core.nik import InvalidNik, normalize_nik, parse_nik
from siapkerja_core.ports import (
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
    "offline_registry_from_settings",
    "read_residents",
]

logger = logging.getLogger("siapkerja.dukcapil")

CSV_COLUMNS: Final = ("nik", "full_name", "mother_name", "birth_place", "birth_date", "sex")
"""The header a resident CSV must start with, in this order; ``active`` may follow."""

_OPTIONAL_COLUMN: Final = "active"
_BUNDLED: Final = "residents.csv"
_TRUE: Final = frozenset({"true", "1", "yes", "ya", "y", "aktif"})
_FALSE: Final = frozenset({"false", "0", "no", "tidak", "n", "tidak aktif", "nonaktif"})
# What a spreadsheet makes of a NIK kept as a number: 3.17101E+15, 3171011708450001.0.
_NUMERIC_NIK: Final = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+|\d+[.,]0+")
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY_DATE: Final = re.compile(r"(\d{2})-(\d{2})-(\d{4})")

Sex = Literal["L", "P"]


class ResidentDataError(SiapkerjaError, ValueError):
    """Resident data (a CSV file or a :class:`Resident`) is malformed; nothing was loaded.

    Codes: ``header`` (the first line is not the expected header), ``row``
    (a row is malformed: ``line`` is its 1-based line number in the file,
    ``column`` the column at fault, ``reason`` a stable reason code such as
    ``nik_number``, ``nik.length``, ``birth_date``, ``sex``, ``active``,
    ``columns``, ``empty`` or ``duplicate``) and ``file`` (the file cannot be
    read). Params never carry a value read from the file (those are personal
    data), only positions and reasons.
    """

    domain = "dukcapil_data"
    messages: ClassVar[Mapping[str, Message]] = {
        "header": (
            "Baris pertama {path} harus berisi kolom {expected} (opsional: ,active);"
            " ditemukan: {found}.",
            "The first line of {path} must be the columns {expected} (optionally ,active);"
            " found: {found}.",
        ),
        "row": (
            "{path}, baris {line}, kolom {column}: {detail_id}",
            "{path}, line {line}, column {column}: {detail_en}",
        ),
        "file": (
            "Berkas penduduk {path} tidak dapat dibaca: {reason}",
            "The residents file {path} cannot be read: {reason}",
        ),
    }


# reason -> (Indonesian, English) explanation shown in a ``row`` error.
_ROW_REASONS: Final[Mapping[str, Message]] = {
    "nik_number": (
        "NIK tersimpan sebagai angka oleh spreadsheet (mis. 3.17101E+15) sehingga"
        " digit-digitnya hilang; ekspor ulang kolom NIK sebagai teks.",
        "the NIK was stored as a number by a spreadsheet (e.g. 3.17101E+15), so its"
        " digits are lost; export the NIK column again as text.",
    ),
    "birth_date": (
        "tanggal lahir harus YYYY-MM-DD atau DD-MM-YYYY dan merupakan tanggal yang valid.",
        "the birth date must be YYYY-MM-DD or DD-MM-YYYY and a real date.",
    ),
    "sex": (
        "jenis kelamin harus L (laki-laki) atau P (perempuan).",
        "sex must be L (male) or P (female).",
    ),
    "active": (
        "kolom active harus true/false (atau 1/0, ya/tidak).",
        "active must be true/false (or 1/0, yes/no).",
    ),
    "columns": (
        "jumlah kolom ({count}) tidak sama dengan header ({expected}).",
        "the row has {count} columns, the header {expected}.",
    ),
    "empty": ("kolom ini tidak boleh kosong.", "this column cannot be empty."),
    "duplicate": (
        "NIK yang sama sudah ada di baris {first}.",
        "the same NIK already appears on line {first}.",
    ),
    "csv": ("baris CSV tidak dapat diurai: {error}", "the CSV row cannot be parsed: {error}"),
}


def _row_error(
    path: str, line: int, column: str, reason: str, **extra: object
) -> ResidentDataError:
    if reason.startswith("nik."):
        nik_error = InvalidNik(reason.removeprefix("nik."), **extra)
        detail_id, detail_en = nik_error.message_id, nik_error.message_en
    else:
        template_id, template_en = _ROW_REASONS[reason]
        detail_id, detail_en = template_id.format(**extra), template_en.format(**extra)
    return ResidentDataError(
        "row",
        path=path,
        line=line,
        column=column,
        reason=reason,
        detail_id=detail_id,
        detail_en=detail_en,
    )


# --- residents -------------------------------------------------------------------------------


def _check_nik(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    parse_nik(value)  # raises InvalidNik


def _check_name(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Resident.{attribute.name} must be a non-empty string")


def _check_sex(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("L", "P"):
        raise ValueError(f"Resident.sex must be 'L' or 'P', got {value!r}")


@attrs.frozen
class Resident:
    """One person in the offline register.

    ``nik`` is 16 digits and must be a valid NIK (:func:`~siapkerja_core.nik.parse_nik`;
    codes retired since 2015 are valid). The names are stored as written on
    the record, titles included ("H. Ahmad Fauzi"); comparison normalises
    them. ``active`` false means Dukcapil reports the status as inactive.
    The mother's maiden name is a verification secret: it is left out of the repr.

    :raises InvalidNik: for a bad ``nik``; :class:`ValueError` for an empty
        name or place, or ``sex`` other than ``"L"``/``"P"``.
    """

    nik: str = attrs.field(validator=_check_nik)
    full_name: str = attrs.field(validator=_check_name)
    mother_name: str = attrs.field(validator=_check_name, repr=False)
    birth_place: str = attrs.field(validator=_check_name)
    birth_date: date = attrs.field(validator=attrs.validators.instance_of(date))
    sex: Sex = attrs.field(validator=_check_sex)
    active: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))


def _parse_birth_date(text: str) -> date | None:
    if found := _ISO_DATE.fullmatch(text):
        year, month, day = found.groups()
    elif found := _DMY_DATE.fullmatch(text):
        day, month, year = found.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _parse_row(cells: list[str], header: list[str], path: str, line: int) -> Resident:
    """One CSV row as a :class:`Resident`, or a ``row`` error naming line and column."""
    if len(cells) != len(header):
        raise _row_error(path, line, "*", "columns", count=len(cells), expected=len(header))
    values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
    for column in CSV_COLUMNS:
        if not values[column]:
            raise _row_error(path, line, column, "empty")

    raw_nik = values["nik"]
    if _NUMERIC_NIK.fullmatch(raw_nik):
        # Never "repair" it: the lost digits cannot be recovered.
        raise _row_error(path, line, "nik", "nik_number")
    try:
        nik = parse_nik(raw_nik).value
    except InvalidNik as error:
        raise _row_error(path, line, "nik", f"nik.{error.code}", **error.params) from None

    born = _parse_birth_date(values["birth_date"])
    if born is None:
        raise _row_error(path, line, "birth_date", "birth_date")
    sex: Sex
    match values["sex"].upper():
        case "L":
            sex = "L"
        case "P":
            sex = "P"
        case _:
            raise _row_error(path, line, "sex", "sex")
    active_text = values.get(_OPTIONAL_COLUMN, "").lower()
    if active_text and active_text not in _TRUE and active_text not in _FALSE:
        raise _row_error(path, line, _OPTIONAL_COLUMN, "active")
    return Resident(
        nik=nik,
        full_name=values["full_name"],
        mother_name=values["mother_name"],
        birth_place=values["birth_place"],
        birth_date=born,
        sex=sex,
        active=active_text not in _FALSE,
    )


def _read(stream: Iterable[str], path: str) -> list[Resident]:
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, None)
        if header is None or [cell.strip() for cell in header] not in (
            list(CSV_COLUMNS),
            [*CSV_COLUMNS, _OPTIONAL_COLUMN],
        ):
            found = "(kosong / empty)" if header is None else ",".join(header)[:200]
            raise ResidentDataError(
                "header", path=path, expected=",".join(CSV_COLUMNS), found=found
            )
        header = [cell.strip() for cell in header]
        residents: list[Resident] = []
        first_line: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            resident = _parse_row(cells, header, path, line)
            if resident.nik in first_line:
                raise _row_error(path, line, "nik", "duplicate", first=first_line[resident.nik])
            first_line[resident.nik] = line
            residents.append(resident)
    except csv.Error as error:
        raise _row_error(path, reader.line_num, "*", "csv", error=str(error)) from None
    return residents


def read_residents(path: str | os.PathLike[str]) -> list[Resident]:
    """Read and check a resident CSV; every row or nothing.

    The file is UTF-8 (a byte-order mark, as Excel writes, is accepted). Its
    header is exactly ``nik,full_name,mother_name,birth_place,birth_date,sex``,
    optionally followed by ``active`` (``true``/``false``, ``1``/``0``,
    ``ya``/``tidak``; empty means active). NIKs must be valid and written as
    text: a NIK a spreadsheet turned into a number (``3.17101E+15``) is
    refused, never repaired. ``birth_date`` is ``YYYY-MM-DD`` or
    ``DD-MM-YYYY``; ``sex`` is ``L`` or ``P``. Blank lines are skipped; a
    NIK may appear once.

    :raises ResidentDataError: ``header``, ``row`` (with the line number) or ``file``.
    """
    shown = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return _read(handle, shown)
    except UnicodeDecodeError:
        raise ResidentDataError("file", path=shown, reason="not UTF-8 text") from None
    except OSError as error:
        raise ResidentDataError("file", path=shown, reason=error.strerror or str(error)) from None


@cache
def bundled_residents() -> tuple[Resident, ...]:
    """The fictional residents shipped with the package (``data/residents.csv``), read once."""
    text = (files("siapkerja_adapters") / "data" / _BUNDLED).read_text(encoding="utf-8")
    return tuple(_read(io.StringIO(text, newline=""), f"siapkerja_adapters/data/{_BUNDLED}"))


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

    def __repr__(self) -> str:
        quota = "" if self._daily_quota is None else f", daily_quota={self._daily_quota}"
        return f"OfflineRegistry(residents={len(self._entries)}{quota})"


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
