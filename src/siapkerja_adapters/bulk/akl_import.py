"""``import_akl``: accounts and profiles from an AK/I CSV, bad rows reported, re-runs idempotent."""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from siapkerja_core import translations
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import StorageError
from siapkerja_core.profile import Profile

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja
from siapkerja_adapters.bulk.akl_cells import (
    AKL_COLUMNS,
    REQUIRED_COLUMNS,
    _column_of,
    _sections,
)
from siapkerja_adapters.bulk.errors import BulkDataError, in_both
from siapkerja_adapters.bulk.jobs import Progress
from siapkerja_adapters.bulk.report import BadRow, ImportReport
from siapkerja_adapters.residents import NUMERIC_NIK

_SCRATCH: Final = Profile(full_name="AK/I")
"""The profile a row's sections are checked against before anything is written."""


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
        if NUMERIC_NIK.fullmatch(values["nik"]):
            raise BulkDataError("nik_number", column="nik")
        nik = parse_nik(values["nik"])
        if nik.value in self.first_line:
            raise BulkDataError("duplicate", column="nik", first=self.first_line[nik.value])
        sections = _sections(values, self.photo_dir)
        # Checked before the account exists, so a bad row leaves nothing behind. The
        # contact stays empty here: import_account checks the e-mail and phone itself.
        if sections:
            merge_profile(_SCRATCH, sections)
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
        elif (
            sections and merge_profile(current := self.svc.profile(account.id), sections) != current
        ):
            # The core's merge decides what the row would change: the same rule
            # update_profile applies (mapping sections merged by key, the rest replaced).
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
        parts: list[tuple[str, str]] = []  # (catalogue key, the columns it names)
        if missing:
            parts.append(("bulk.header.missing", ", ".join(missing)))
        if unknown:
            parts.append(("bulk.header.unknown", ", ".join(name[:40] for name in unknown[:5])))
        if repeated:
            parts.append(("bulk.header.repeated", ", ".join(repeated)))
        problems = {
            f"problem_{lang}": "; ".join(
                translations.text(key, lang, columns=columns) for key, columns in parts
            )
            for lang in ("id", "en")
        }
        raise BulkDataError("header", path=path, **problems)
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
                raise BulkDataError("header", path=shown, **in_both("problem", "bulk.header.empty"))
            reader = csv.reader(itertools.chain([first], handle), delimiter=_delimiter(first))
            header = _header(next(reader), shown)
            _read_rows(reader, header, importer, progress)
    except UnicodeDecodeError:
        raise BulkDataError(
            "file", path=shown, **in_both("reason", "bulk.reason.not_utf8")
        ) from None
    except OSError as error:
        raise BulkDataError("file", path=shown, **_os_reason(error)) from None
    return importer.report()


def _os_reason(error: OSError) -> dict[str, str]:
    """``reason_id`` and ``reason_en`` of a file that cannot be opened."""
    if isinstance(error, FileNotFoundError):
        return in_both("reason", "bulk.reason.no_file")
    if isinstance(error, PermissionError):
        return in_both("reason", "bulk.reason.permission")
    if isinstance(error, IsADirectoryError):
        return in_both("reason", "bulk.reason.directory")
    reason = error.strerror or type(error).__name__  # the system's words: no catalogue has them
    return {"reason_id": reason, "reason_en": reason}


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
