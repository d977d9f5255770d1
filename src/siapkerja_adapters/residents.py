"""Residents for the ``offline`` registry: the :class:`Resident` record, the resident CSV
format (:func:`read_residents`, :func:`bundled_residents`) and its typed error.

Re-exported by :mod:`siapkerja_adapters.dukcapil_offline`, where the documentation
imports them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib.resources import files
from typing import ClassVar, Final, Literal

import attrs

from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import InvalidNik, parse_nik

__all__ = [
    "CSV_COLUMNS",
    "NUMERIC_NIK",
    "Resident",
    "ResidentDataError",
    "bundled_residents",
    "read_residents",
]

CSV_COLUMNS: Final = ("nik", "full_name", "mother_name", "birth_place", "birth_date", "sex")
"""The header a resident CSV must start with, in this order; ``active`` may follow."""

_OPTIONAL_COLUMN: Final = "active"
_BUNDLED: Final = "residents.csv"
_TRUE: Final = frozenset({"true", "1", "yes", "ya", "y", "aktif"})
_FALSE: Final = frozenset({"false", "0", "no", "tidak", "n", "tidak aktif", "nonaktif"})
NUMERIC_NIK: Final = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+|\d+[.,]0+")
"""What a spreadsheet makes of a NIK kept as a number (3.17101E+15, 3171011708450001.0):
refused, never repaired, by the resident CSV and the AK/I import alike."""
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
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "header",
            "row",
            "file",
        }
    )


# A row error's explanation is the catalogue text ``residents.reason.<reason>``
# (``nik.*`` reasons: the NIK error's own message).


def _row_error(
    path: str, line: int, column: str, reason: str, **extra: object
) -> ResidentDataError:
    if reason.startswith("nik."):
        nik_error = InvalidNik(reason.removeprefix("nik."), **extra)
        detail_id, detail_en = nik_error.message_id, nik_error.message_en
    else:
        key = f"residents.reason.{reason}"
        detail_id = translations.text(key, "id", **extra)
        detail_en = translations.text(key, "en", **extra)
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
    if NUMERIC_NIK.fullmatch(raw_nik):
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
            found = None if header is None else ",".join(header)[:200]
            raise ResidentDataError(
                "header",
                path=path,
                expected=",".join(CSV_COLUMNS),
                found_id=found or translations.text("residents.header.empty", "id"),
                found_en=found or translations.text("residents.header.empty", "en"),
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
        raise ResidentDataError(
            "file",
            path=shown,
            reason="not UTF-8 text",
            reason_id=translations.text("residents.reason.not_utf8", "id"),
            reason_en=translations.text("residents.reason.not_utf8", "en"),
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)  # the system's words: no catalogue has them
        raise ResidentDataError(
            "file", path=shown, reason=reason, reason_id=reason, reason_en=reason
        ) from None


@cache
def bundled_residents() -> tuple[Resident, ...]:
    """The fictional residents shipped with the package (``data/residents.csv``), read once."""
    text = (files("siapkerja_adapters") / "data" / _BUNDLED).read_text(encoding="utf-8")
    return tuple(_read(io.StringIO(text, newline=""), f"siapkerja_adapters/data/{_BUNDLED}"))
