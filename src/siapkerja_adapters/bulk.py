"""Bulk operations: residents into the offline registry, AK/I registers, cards for everyone.

This module owns the bulk API behind ``siapkerja bulk …`` (the CLI is
:mod:`siapkerja_adapters.cli.bulk`):

* :func:`load_residents` — a resident CSV into the ``offline`` Dukcapil
  registry, every row or nothing (:func:`~siapkerja_adapters.dukcapil_offline.read_residents`);
* :func:`import_akl` — accounts and profiles from an AK/I-style CSV (the
  *kartu kuning* register a Disnaker keeps, ``docs/bulk.md`` has the columns):
  bad rows are reported with their line numbers and the import goes on, good
  rows are kept, and running the same file again changes nothing;
* :func:`issue_all_cards` — a card for every complete profile, through the
  facade's batched :meth:`~siapkerja_core.service.Siapkerja.issue_cards`
  (``batch_size`` cards per transaction, never one per card).

Progress is reported through a plain callback (``progress(n)``, ``n`` units
done since the last call), so this module needs neither rich nor Typer; the
CLI turns the calls into a progress bar.
"""

from __future__ import annotations

import base64
import binascii
import csv
import itertools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from attrs import field, frozen

from siapkerja_adapters.dukcapil_offline import OfflineRegistry, read_residents
from siapkerja_core.cards import ISSUE_BATCH_SIZE, BulkIssueReport
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import ConfigurationError, Message, SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import StorageError
from siapkerja_core.profile import (
    MAX_PHOTO_BYTES,
    EducationLevel,
    MaritalStatus,
    Profile,
    ProfileError,
    Religion,
    Sex,
)

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = [
    "AKL_COLUMNS",
    "REQUIRED_COLUMNS",
    "BadRow",
    "BulkDataError",
    "ImportReport",
    "OfflineRegistryRequired",
    "Progress",
    "count_accounts",
    "count_lines",
    "import_akl",
    "issue_all_cards",
    "load_residents",
]

Progress = Callable[[int], None]
"""A progress callback: called with the number of units done since the last call."""

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

_ADDRESS_KEYS: Final = ("village_code", "street", "rt", "rw", "postal_code")
_EDUCATION_KEYS: Final = ("level", "institution", "major", "gpa", "start_year", "end_year")
_RESIDENT_CHUNK: Final = 1000
_COUNT_CHUNK: Final = 1 << 20
# What a spreadsheet makes of a NIK kept as a number: 3.17101E+15, 3171011708450001.0.
_NUMERIC_NIK: Final = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+|\d+[.,]0+")
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE: Final = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_GPA: Final = re.compile(r"\d(?:[.,]\d{1,2})?")
_YEAR: Final = re.compile(r"\d{4}")
_DATA_URI: Final = re.compile(r"data:([a-z0-9.+/-]*)(;base64)?,(.*)", re.IGNORECASE | re.DOTALL)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class OfflineRegistryRequired(ConfigurationError):
    """Residents can only be loaded into the ``offline`` Dukcapil registry.

    Code ``config.offline_only`` (a :class:`ConfigurationError`, so callers
    catching configuration problems catch it too).
    """

    messages: ClassVar[Mapping[str, Message]] = {
        "offline_only": (
            "Hanya registri offline yang dapat memuat data penduduk; adapter dukcapil yang"
            ' aktif adalah {name!r} (atur dukcapil = "offline").',
            "Only the offline registry loads residents; the active dukcapil adapter is"
            ' {name!r} (set dukcapil = "offline").',
        ),
    }


class BulkDataError(SiapkerjaError, ValueError):
    """An AK/I CSV, or one of its rows, cannot be used.

    File-level codes (raised, nothing more is read): ``header`` and ``file``.
    Row-level codes (recorded as a :class:`BadRow`, the import goes on):
    ``columns``, ``empty``, ``value``, ``nik_number``, ``duplicate``,
    ``photo`` and ``csv``. ``column`` names the column at fault. Params never
    carry a value read from the file (personal data), only positions and reasons.
    """

    domain = "bulk"
    messages: ClassVar[Mapping[str, Message]] = {
        "header": (
            "Baris pertama {path} bukan header AK/I yang dikenal: {problem_id}.",
            "The first line of {path} is not a known AK/I header: {problem_en}.",
        ),
        "file": (
            "Berkas {path} tidak dapat dibaca: {reason_id}.",
            "The file {path} cannot be read: {reason_en}.",
        ),
        "columns": (
            "Baris ini berisi {count} kolom, sedangkan header {expected} kolom.",
            "The row has {count} columns, the header {expected}.",
        ),
        "empty": ("Kolom {column} wajib diisi.", "Column {column} is required."),
        "value": ("Kolom {column}: {reason_id}.", "Column {column}: {reason_en}."),
        "nik_number": (
            "Kolom nik: NIK tersimpan sebagai angka oleh spreadsheet (mis. 3.17101E+15)"
            " sehingga digitnya hilang; ekspor ulang kolom NIK sebagai teks.",
            "Column nik: the NIK was stored as a number by a spreadsheet (e.g. 3.17101E+15),"
            " so its digits are lost; export the NIK column again as text.",
        ),
        "duplicate": (
            "NIK yang sama sudah diimpor dari baris {first}; satu baris untuk satu orang.",
            "The same NIK was already imported from line {first}; one row per person.",
        ),
        "photo": ("Kolom photo: {reason_id}.", "Column photo: {reason_en}."),
        "csv": (
            "Baris CSV tidak dapat diurai: {error}.",
            "The CSV row cannot be parsed: {error}.",
        ),
    }

    @property
    def column(self) -> str | None:
        """The column at fault, when there is one."""
        value = self.params.get("column")
        return None if value is None else str(value)


def _value_error(column: str, reason_id: str, reason_en: str) -> BulkDataError:
    return BulkDataError("value", column=column, reason_id=reason_id, reason_en=reason_en)


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@frozen
class BadRow:
    """A row that was not imported: its physical ``line`` in the file (header = 1).

    ``code`` is the error's stable full code (``nik.region``, ``phone.too_short``,
    ``profile.village``, ``bulk.empty`` …); ``column`` the CSV column at fault
    when known.
    """

    line: int
    code: str
    message_id: str
    message_en: str
    column: str | None = None

    def message(self, lang: str = "id") -> str:
        """The message in ``lang`` (``"id"`` or ``"en"``)."""
        return self.message_en if lang.lower().startswith("en") else self.message_id


def _bad_rows(value: Iterable[BadRow]) -> tuple[BadRow, ...]:
    return tuple(value)


@frozen(kw_only=True)
class ImportReport:
    """The outcome of :func:`import_akl`.

    ``created``: new accounts; ``updated``: existing accounts whose profile
    changed; ``unchanged``: existing accounts with nothing to change (a
    re-run reports every good row here); ``bad_rows``: rows not imported,
    in file order.
    """

    created: int
    updated: int
    unchanged: int
    bad_rows: tuple[BadRow, ...] = field(converter=_bad_rows)

    @property
    def good(self) -> int:
        """Rows imported (created, updated or unchanged)."""
        return self.created + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        """True when no row was bad."""
        return not self.bad_rows


# --------------------------------------------------------------------------
# Residents
# --------------------------------------------------------------------------


def load_residents(
    svc: Siapkerja, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> int:
    """Load a resident CSV into the service's ``offline`` Dukcapil registry; return how many.

    The format is :data:`~siapkerja_adapters.dukcapil_offline.CSV_COLUMNS`
    (``nik,full_name,mother_name,birth_place,birth_date,sex[,active]``). The
    whole file is checked first, so a bad row loads nothing; a NIK already
    held is replaced. ``progress`` receives the number of residents added.

    :raises OfflineRegistryRequired: ``config.offline_only`` for another registry.
    :raises ResidentDataError: ``dukcapil_data.header``, ``row`` (with its line) or ``file``.
    """
    registry = svc.dukcapil
    if not isinstance(registry, OfflineRegistry):
        raise OfflineRegistryRequired("offline_only", name=svc.settings.adapter_name("dukcapil"))
    residents = read_residents(path)
    for start in range(0, len(residents), _RESIDENT_CHUNK):
        chunk = residents[start : start + _RESIDENT_CHUNK]
        for resident in chunk:
            registry.add(resident)
        if progress is not None:
            progress(len(chunk))
    return len(residents)


# --------------------------------------------------------------------------
# Counting (for progress bars)
# --------------------------------------------------------------------------


def count_lines(path: str | os.PathLike[str]) -> int:
    """The number of lines after the first (the header) — a progress bar's total.

    Counted on the bytes, without parsing: a quoted cell spanning lines counts
    each line, as :func:`import_akl`'s ``progress`` does.

    :raises OSError: the file cannot be read.
    """
    lines = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def count_accounts(svc: Siapkerja, *, page: int = 1000) -> int:
    """How many accounts :func:`issue_all_cards` goes through (ids only, paged)."""
    total = 0
    after: str | None = None
    while True:
        with svc.storage.transaction() as tx:
            ids = tx.accounts.ids(after=after, limit=page)
        if not ids:
            return total
        total += len(ids)
        after = ids[-1]


# --------------------------------------------------------------------------
# AK/I rows → facade calls
# --------------------------------------------------------------------------


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


def _enum_value(column: str, text: str) -> str:
    table, allowed = _ENUMS[column]
    found = table.get(_fold(text))
    if found is None:
        raise _value_error(
            column,
            f"nilai tidak dikenal; gunakan salah satu dari {allowed}",
            f"unknown value; use one of {allowed}",
        )
    return found


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
            "tanggal harus TTTT-BB-HH atau HH-BB-TTTT dan merupakan tanggal yang valid",
            "the date must be YYYY-MM-DD or DD-MM-YYYY and a real date",
        ) from None


def _gpa(text: str) -> float:
    if not _GPA.fullmatch(text):
        raise _value_error(
            "education_gpa",
            "IPK harus angka seperti 3,45 atau 3.45",
            "the GPA must be a number such as 3.45 or 3,45",
        )
    return float(text.replace(",", "."))


def _year(column: str, text: str) -> int:
    if not _YEAR.fullmatch(text):
        raise _value_error(column, "tahun harus 4 angka", "a year has 4 digits")
    return int(text)


def _photo_error(reason_id: str, reason_en: str) -> BulkDataError:
    return BulkDataError("photo", column="photo", reason_id=reason_id, reason_en=reason_en)


def _photo(text: str, photo_dir: Path) -> bytes:
    """A ``data:`` URI (base64) or a file path under ``photo_dir`` → the image bytes."""
    if match := _DATA_URI.fullmatch(text):
        if match[2] is None:
            raise _photo_error("data: URI harus base64", "a data: URI must be base64")
        try:
            content = base64.b64decode("".join(match[3].split()), validate=True)
        except (binascii.Error, ValueError):
            raise _photo_error("base64 tidak valid", "invalid base64") from None
        return content
    base = photo_dir.resolve()
    target = (base / text).resolve()
    # Only files under the photo directory: a register cannot make us read /etc/….
    if not target.is_relative_to(base):
        raise _photo_error(
            "berkas foto harus berada di folder foto", "the photo file must be in the photo folder"
        )
    try:
        if target.stat().st_size > MAX_PHOTO_BYTES:
            raise _photo_error("foto lebih dari 2 MiB", "the photo is larger than 2 MiB")
        return target.read_bytes()
    except OSError:
        raise _photo_error(
            "berkas foto tidak ditemukan atau tidak dapat dibaca",
            "the photo file is missing or cannot be read",
        ) from None


def _sections(values: Mapping[str, str], photo_dir: Path) -> dict[str, Any]:
    """The profile sections a row fills (empty cells are "not given")."""
    sections: dict[str, Any] = {}
    biodata: dict[str, Any] = {}
    for column in ("birth_place", "headline"):
        if values.get(column):
            biodata[column] = values[column]
    if values.get("birth_date"):
        biodata["birth_date"] = _birth_date(values["birth_date"])
    for column in ("sex", "marital_status", "religion"):
        if values.get(column):
            biodata[column] = _enum_value(column, values[column])
    if biodata:
        sections["biodata"] = biodata
    for prefix, section in (("ktp_", "ktp_address"), ("domicile_", "domicile_address")):
        address = {key: values[prefix + key] for key in _ADDRESS_KEYS if values.get(prefix + key)}
        if address:
            sections[section] = address
    education: dict[str, Any] = {}
    for key in _EDUCATION_KEYS:
        text = values.get(f"education_{key}")
        if not text:
            continue
        if key == "level":
            education[key] = _enum_value("education_level", text)
        elif key == "gpa":
            education[key] = _gpa(text)
        elif key in ("start_year", "end_year"):
            education[key] = _year(f"education_{key}", text)
        else:
            education[key] = text
    if education:
        sections["education"] = [education]
    if values.get("skills"):
        names = [name.strip() for name in values["skills"].split(";")]
        sections["skills"] = [{"name": name} for name in names if name]
    if values.get("photo"):
        sections["photo"] = {"content": _photo(values["photo"], photo_dir)}
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
        return head if head in ("skills", "photo") else None
    if error.domain in ("nik", "email", "phone"):
        return error.domain
    return {
        "invalid_name": "full_name",
        "already_registered": "nik",
        "email_taken": "email",
        "phone_taken": "phone",
    }.get(error.code)


_SCRATCH: Final = Profile(full_name="AK/I")
"""The profile a row's sections are checked against before anything is written."""
_MERGED_BY_KEY: Final = frozenset({"biodata", "ktp_address", "domicile_address"})


def _differs(current: Profile, wanted: Profile, sections: Mapping[str, Any]) -> bool:
    """Whether writing ``sections`` would change ``current`` (``wanted``: them, checked).

    Mapping sections change only the keys given (as ``merge_profile`` merges them);
    lists and the photo are replaced whole.
    """
    for name, given in sections.items():
        have, want = getattr(current, name), getattr(wanted, name)
        if name in _MERGED_BY_KEY:
            if have is None or any(getattr(have, key) != getattr(want, key) for key in given):
                return True
        elif have != want:
            return True
    return False


class _Importer:
    """One run of :func:`import_akl` (counters and the NIKs imported so far)."""

    def __init__(self, svc: Siapkerja, photo_dir: Path) -> None:
        self.svc = svc
        self.photo_dir = photo_dir
        self.created = self.updated = self.unchanged = 0
        self.bad_rows: list[BadRow] = []
        self.first_line: dict[str, int] = {}

    def bad(self, line: int, error: SiapkerjaError) -> None:
        self.bad_rows.append(
            BadRow(line, error.full_code, error.message_id, error.message_en, _column_of(error))
        )

    def row(self, line: int, values: Mapping[str, str]) -> None:
        for column in REQUIRED_COLUMNS:
            if not values[column]:
                raise BulkDataError("empty", column=column)
        if _NUMERIC_NIK.fullmatch(values["nik"]):
            raise BulkDataError("nik_number", column="nik")
        nik = parse_nik(values["nik"])
        if nik.value in self.first_line:
            raise BulkDataError("duplicate", column="nik", first=self.first_line[nik.value])
        sections = _sections(values, self.photo_dir)
        # Checked before the account exists, so a bad row leaves nothing behind. The
        # contact stays empty here: import_account checks the e-mail and phone itself.
        wanted = merge_profile(_SCRATCH, sections) if sections else _SCRATCH
        account, created = self.svc.import_account(
            nik=nik.value,
            full_name=values["full_name"],
            email=values["email"],
            phone=values["phone"],
        )
        self.first_line[nik.value] = line
        if created:
            if sections:
                self.svc.update_profile(account.id, **sections)
            self.created += 1
        elif _differs(self.svc.profile(account.id), wanted, sections):
            self.svc.update_profile(account.id, **sections)
            self.updated += 1
        else:
            self.unchanged += 1

    def report(self) -> ImportReport:
        return ImportReport(
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            bad_rows=self.bad_rows,
        )


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _header(cells: list[str], path: str) -> list[str]:
    header = [cell.strip().casefold() for cell in cells]
    known = set(AKL_COLUMNS)
    unknown = [name for name in header if name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        parts_id: list[str] = []
        parts_en: list[str] = []
        if missing:
            parts_id.append("kolom wajib tidak ada: " + ", ".join(missing))
            parts_en.append("required columns missing: " + ", ".join(missing))
        if unknown:
            shown = ", ".join(name[:40] for name in unknown[:5])
            parts_id.append("kolom tidak dikenal: " + shown)
            parts_en.append("unknown columns: " + shown)
        if repeated:
            parts_id.append("kolom ganda: " + ", ".join(repeated))
            parts_en.append("repeated columns: " + ", ".join(repeated))
        raise BulkDataError(
            "header", path=path, problem_id="; ".join(parts_id), problem_en="; ".join(parts_en)
        )
    return header


def import_akl(
    svc: Siapkerja,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    photo_dir: str | os.PathLike[str] | None = None,
) -> ImportReport:
    """Import accounts and profiles from an AK/I-style CSV (``docs/bulk.md``).

    The file is UTF-8 (a byte-order mark is accepted); the delimiter (``,``,
    ``;`` or tab) is read from the header, whose columns are
    :data:`AKL_COLUMNS` in any order — :data:`REQUIRED_COLUMNS` must be there.
    Rows stream through: each becomes
    :meth:`~siapkerja_core.service.Siapkerja.import_account` and, for the
    sections its non-empty cells fill,
    :meth:`~siapkerja_core.service.Siapkerja.update_profile` — only when the
    stored profile differs, so a re-run writes nothing and reports the rows
    ``unchanged``. A row failing with a :class:`SiapkerjaError` (bad NIK,
    phone, e-mail, village code, a NIK already imported from an earlier line,
    another person's contacts …) becomes a :class:`BadRow` with its physical
    line number, and leaves nothing behind; the import goes on.

    :param progress: called with the number of lines consumed after each row.
    :param photo_dir: where relative ``photo`` paths are looked up (default:
        the CSV's folder); paths outside it are refused.
    :raises BulkDataError: ``bulk.header`` or ``bulk.file`` (nothing, or only the
        rows before an undecodable byte, imported — re-running is safe).
    :raises StorageError: the storage failed; rows before it are kept.
    """
    shown = os.fspath(path)
    importer = _Importer(svc, Path(photo_dir) if photo_dir is not None else Path(path).parent)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            if not first.strip():
                raise BulkDataError(
                    "header",
                    path=shown,
                    problem_id="berkas kosong",
                    problem_en="the file is empty",
                )
            reader = csv.reader(itertools.chain([first], handle), delimiter=_delimiter(first))
            header = _header(next(reader), shown)
            _read_rows(reader, header, importer, progress)
    except UnicodeDecodeError:
        raise BulkDataError(
            "file", path=shown, reason_id="bukan teks UTF-8", reason_en="not UTF-8 text"
        ) from None
    except OSError as error:
        reason_id, reason_en = _os_reason(error)
        raise BulkDataError("file", path=shown, reason_id=reason_id, reason_en=reason_en) from None
    return importer.report()


def _os_reason(error: OSError) -> tuple[str, str]:
    if isinstance(error, FileNotFoundError):
        return "berkas tidak ditemukan", "no such file"
    if isinstance(error, PermissionError):
        return "tidak ada izin membaca", "permission denied"
    if isinstance(error, IsADirectoryError):
        return "ini sebuah folder", "it is a directory"
    reason = error.strerror or type(error).__name__
    return reason, reason


def _read_rows(
    reader: Any, header: list[str], importer: _Importer, progress: Progress | None
) -> None:
    done = reader.line_num
    while True:
        start = done + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if reader.line_num == done:  # no progress: the reader cannot go on
                raise
            importer.bad(start, BulkDataError("csv", error=str(error)))
            cells = None
        lines, done = reader.line_num - done, reader.line_num
        if cells is not None and any(cell.strip() for cell in cells):
            if len(cells) != len(header):
                importer.bad(
                    start, BulkDataError("columns", count=len(cells), expected=len(header))
                )
            else:
                values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
                try:
                    importer.row(start, values)
                except (StorageError, ConfigurationError):
                    raise  # the service is failing, not the row: stop
                except SiapkerjaError as error:
                    importer.bad(start, error)
        if progress is not None:
            progress(lines)


# --------------------------------------------------------------------------
# Cards
# --------------------------------------------------------------------------


def issue_all_cards(
    svc: Siapkerja, *, batch_size: int = ISSUE_BATCH_SIZE, progress: Progress | None = None
) -> BulkIssueReport:
    """Issue a card to every complete profile without one (``svc.issue_cards``).

    ``batch_size`` cards are written per transaction; accounts that hold a
    card are skipped, so a re-run issues nothing twice. ``progress`` receives
    the number of accounts handled after each batch (total: :func:`count_accounts`).
    """
    return svc.issue_cards(batch_size=batch_size, progress=progress)
