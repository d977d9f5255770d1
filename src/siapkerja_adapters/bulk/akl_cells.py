"""The AK/I register's columns and cells: each CSV cell read into a profile section's value
(enumerations in Indonesian or English, dates, GPAs, photos), and errors mapped back to columns.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.profile import (
    MAX_PHOTO_BYTES,
    EducationLevel,
    MaritalStatus,
    ProfileError,
    Religion,
    Sex,
    distinct_names,
)

if TYPE_CHECKING:
    pass
from siapkerja_adapters.bulk.errors import BulkDataError, _value_error, in_both

AKL_COLUMNS: Final[tuple[str, ...]] = (
    "nik",
    "full_name",
    "email",
    "phone",
    "birth_place",
    "birth_date",
    "sex",
    "marital_status",
    "religion",
    "ktp_village_code",
    "ktp_street",
    "ktp_rt",
    "ktp_rw",
    "ktp_postal_code",
    "domicile_village_code",
    "domicile_street",
    "domicile_rt",
    "domicile_rw",
    "domicile_postal_code",
    "education_level",
    "education_institution",
    "education_major",
    "education_gpa",
    "education_start_year",
    "education_end_year",
    "skills",
    "headline",
    "photo",
)
"""Every column an AK/I CSV may have (any order, any subset holding the required ones)."""

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("nik", "full_name", "email", "phone")
"""Columns the header must name and every row must fill (the account needs them)."""

MULTILINE_COLUMNS: Final = frozenset({"ktp_street", "domicile_street", "photo"})
"""Columns whose cell may hold a line break: a street typed over two lines in a
spreadsheet (the profile joins them with a space), a ``data:`` URI whose base64
is wrapped (:func:`_photo` drops the whitespace). Every other column is one line
of text by nature (NIK, name, contact, enums, dates, the headline…): a line
break there is a quote left open (``bulk.line_break``)."""

_ADDRESS_KEYS: Final = ("village_code", "street", "rt", "rw", "postal_code")
_EDUCATION_KEYS: Final = ("level", "institution", "major", "gpa", "start_year", "end_year")
_ADDRESS_COLUMNS: Final = tuple(
    (tuple((key, prefix + key) for key in _ADDRESS_KEYS), section)
    for prefix, section in (("ktp_", "ktp_address"), ("domicile_", "domicile_address"))
)
_EDUCATION_COLUMNS: Final = tuple((key, f"education_{key}") for key in _EDUCATION_KEYS)
_COUNT_CHUNK: Final = 1 << 20
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE: Final = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_GPA: Final = re.compile(r"\d(?:[.,]\d{1,2})?")
_YEAR: Final = re.compile(r"\d{4}")
_DATA_URI: Final = re.compile(r"data:([a-z0-9.+/-]*)(;base64)?,(.*)", re.IGNORECASE | re.DOTALL)
_LINE_BREAK: Final = re.compile(r"\r\n?|\n")
_NIK_CELL: Final = re.compile(r"[\s\"']*\d{16}[\s\"']*")
"""A cell holding a NIK as a register writes it: 16 digits, perhaps quoted, perhaps
with the apostrophe a spreadsheet keeps text with."""


def _starts_a_row(text: str, delimiter: str) -> bool:
    """Whether a line after a break in ``text`` reads as a register row of its own: the
    delimiter, and a cell of 16 digits (a NIK) between delimiters.

    No legitimate multi-line cell has one (a street's second line, wrapped base64,
    which has no delimiter at all): it is the next person's row swallowed by a
    quote left open.
    """
    for line in _LINE_BREAK.split(text)[1:]:
        if delimiter in line and any(map(_NIK_CELL.fullmatch, line.split(delimiter))):
            return True
    return False


def line_break_refusal(
    columns: Sequence[str] | None, cells: Sequence[str], delimiter: str, first: int, last: int
) -> BulkDataError | None:
    """The refusal of a row that spans lines ``first``–``last`` (a quoted cell holding a
    line break), or ``None`` when its line breaks are legitimate.

    ``columns`` are the header's, or ``None`` when the row has not as many cells.
    Checked before anything of the row is stored: a line break that starts a
    register row (``bulk.open_quote``, in any column), then one in a column of
    one line (``bulk.line_break``). Python's CSV reader reads an unclosed quote
    as a cell running over the line ends, so without this the following rows
    became, say, the headline on a public card: their NIK, e-mail and phone
    published, and the rows in no count.
    """
    names: Sequence[str | None] = (
        columns if columns is not None and len(columns) == len(cells) else [None] * len(cells)
    )
    broken = [
        (name, cell)
        for name, cell in zip(names, cells, strict=True)
        if "\n" in cell or "\r" in cell
    ]
    for name, cell in broken:
        if _starts_a_row(cell, delimiter):
            return BulkDataError("open_quote", column=name, first=first, last=last)
    for name, _cell in broken:
        if name is not None and name not in MULTILINE_COLUMNS:
            return BulkDataError("line_break", column=name, first=first, last=last)
    return None


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _lookup(
    enum: type[Sex] | type[MaritalStatus] | type[Religion] | type[EducationLevel],
    aliases: Mapping[str, str],
) -> dict[str, str]:
    """Folded value, Indonesian and English label (with and without "(S1)") → value."""
    table: dict[str, str] = {}
    for member in enum:
        for text in (member.value, member.label_id, member.label_en):
            table[_fold(text)] = member.value
            table[_fold(re.sub(r"\s*\([^)]*\)", "", text))] = member.value
    table.update((_fold(alias), value) for alias, value in aliases.items())
    return table


_ENUMS: Final[Mapping[str, tuple[dict[str, str], str]]] = {
    "sex": (
        _lookup(Sex, {"laki laki": "L", "pria": "L", "wanita": "P"}),
        "L, P, Laki-laki, Perempuan",
    ),
    "marital_status": (
        _lookup(
            MaritalStatus,
            {"kawin": "menikah", "belum kawin": "belum_menikah", "tidak kawin": "belum_menikah"},
        ),
        "belum_menikah, menikah, cerai_hidup, cerai_mati (Belum Kawin, Kawin, Cerai Hidup,"
        " Cerai Mati)",
    ),
    "religion": (
        _lookup(
            Religion,
            {
                "protestan": "kristen",
                "kristen protestan": "kristen",
                "katholik": "katolik",
                "kristen katolik": "katolik",
                "budha": "buddha",
                "konghucu": "khonghucu",
                "kong hu cu": "khonghucu",
                "kepercayaan terhadap tuhan yang maha esa": "kepercayaan",
            },
        ),
        "islam, kristen, katolik, hindu, buddha, khonghucu, kepercayaan",
    ),
    "education_level": (
        _lookup(
            EducationLevel,
            {"slta": "SMA", "smu": "SMA", "sltp": "SMP", "sarjana terapan": "D4", "d iv": "D4"},
        ),
        "SD, SMP, SMA, SMK, D1, D2, D3, D4, S1, S2, S3",
    ),
}


@functools.lru_cache(maxsize=4096)  # pure: a register repeats its values
def _enum_value(column: str, text: str) -> str:
    table, allowed = _ENUMS[column]
    found = table.get(_fold(text))
    if found is None:
        raise _value_error(
            column,
            "bulk.reason.unknown_value",
            allowed=allowed,
        )
    return found


@functools.lru_cache(maxsize=4096)  # pure: a register repeats its values
def _birth_date(text: str) -> str:
    if found := _ISO_DATE.fullmatch(text):
        year, month, day = found.groups()
    elif found := _DMY_DATE.fullmatch(text):
        day, month, year = found.groups()
    else:
        year = month = day = ""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise _value_error(
            "birth_date",
            "bulk.reason.date",
        ) from None


@functools.lru_cache(maxsize=4096)  # pure: a register repeats its values
def _gpa(text: str) -> float:
    if not _GPA.fullmatch(text):
        raise _value_error(
            "education_gpa",
            "bulk.reason.gpa",
        )
    return float(text.replace(",", "."))


@functools.lru_cache(maxsize=4096)  # pure: a register repeats its values
def _year(column: str, text: str) -> int:
    if not _YEAR.fullmatch(text):
        raise _value_error(column, "bulk.reason.year")
    return int(text)


def _photo_error(key: str) -> BulkDataError:
    return BulkDataError("photo", column="photo", **in_both("reason", key))


def _photo(text: str, photo_dir: Path) -> bytes:
    """A ``data:`` URI (base64) or a file path under ``photo_dir`` → the image bytes."""
    if match := _DATA_URI.fullmatch(text):
        if match[2] is None:
            raise _photo_error("bulk.reason.photo_uri")
        try:
            content = base64.b64decode("".join(match[3].split()), validate=True)
        except (binascii.Error, ValueError):
            raise _photo_error("bulk.reason.photo_base64") from None
        return content
    base = photo_dir.resolve()
    target = (base / text).resolve()
    # Only files under the photo directory: a register cannot make us read /etc/….
    if not target.is_relative_to(base):
        raise _photo_error("bulk.reason.photo_outside")
    try:
        if target.stat().st_size > MAX_PHOTO_BYTES:
            raise _photo_error("bulk.reason.photo_too_large")
        return target.read_bytes()
    except OSError:
        raise _photo_error("bulk.reason.photo_unreadable") from None


def _sections(values: Mapping[str, str], photo_dir: Path) -> dict[str, Any]:
    """The profile sections a row fills (empty cells are "not given").

    Cells are read in a fixed order, so a row with several bad cells is refused
    for the same one every time.
    """
    get = values.get
    sections: dict[str, Any] = {}
    biodata: dict[str, Any] = {}
    if text := get("birth_place"):
        biodata["birth_place"] = text
    if text := get("headline"):
        biodata["headline"] = text
    if text := get("birth_date"):
        biodata["birth_date"] = _birth_date(text)
    for column in ("sex", "marital_status", "religion"):
        if text := get(column):
            biodata[column] = _enum_value(column, text)
    if biodata:
        sections["biodata"] = biodata
    for columns, section in _ADDRESS_COLUMNS:
        address = {key: text for key, column in columns if (text := get(column))}
        if address:
            sections[section] = address
    education: dict[str, Any] = {}
    for key, column in _EDUCATION_COLUMNS:
        text = get(column)
        if not text:
            continue
        if key == "level":
            education[key] = _enum_value("education_level", text)
        elif key == "gpa":
            education[key] = _gpa(text)
        elif key in ("start_year", "end_year"):
            education[key] = _year(column, text)
        else:
            education[key] = text
    if education:
        sections["education"] = [education]
    if text := get("skills"):
        # A register's list names a skill once however it was typed ("PHP;ＰＨＰ"): the
        # first spelling is kept, as the /profil form keeps it, not the row refused.
        sections["skills"] = [{"name": name} for name in distinct_names(text.split(";"))]
    if text := get("photo"):
        sections["photo"] = {"content": _photo(text, photo_dir)}
    return sections


def _column_of(error: SiapkerjaError) -> str | None:
    """The CSV column an error is about, when it can be told."""
    if isinstance(error, BulkDataError):
        return error.column
    if isinstance(error, ProfileError):
        path = error.field or ""
        head, _, rest = path.partition(".")
        head = head.split("[")[0]
        key = rest.split(".")[0].split("[")[0]
        if head == "biodata":
            return key or None
        if head in ("ktp_address", "domicile_address"):
            return f"{head.removesuffix('_address')}_{key or 'village_code'}"
        if head == "education":
            return f"education_{key}" if key else "education_level"
        return head if head in ("skills", "photo", "full_name") else None
    if error.domain in ("nik", "email", "phone"):
        return error.domain
    return {
        "invalid_name": "full_name",
        "already_registered": "nik",
        "email_taken": "email",
        "phone_taken": "phone",
    }.get(error.code)
