"""``import_akl``: accounts and profiles from an AK/I CSV, bad rows reported, re-runs idempotent."""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from siapkerja_core import translations
from siapkerja_core.completeness import completeness
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.events import AccountImported, ProfileUpdated
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import StorageError
from siapkerja_core.profile import Biodata, Profile, refuse_future_birth_date
from siapkerja_core.services.registration import name_refusal

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja
from siapkerja_adapters.bulk.akl_cells import (
    AKL_COLUMNS,
    REQUIRED_COLUMNS,
    _column_of,
    _sections,
    line_break_refusal,
)
from siapkerja_adapters.bulk.batch import (
    BatchRace,
    Outcome,
    Ready,
    fast_email,
    fast_phone,
    normalise_name,
    store_batch,
    validate_sections,
)
from siapkerja_adapters.bulk.checked import SectionChecks
from siapkerja_adapters.bulk.document import ProfileDocuments
from siapkerja_adapters.bulk.errors import BulkDataError, in_both, os_reason
from siapkerja_adapters.bulk.jobs import Progress, bulk_writes
from siapkerja_adapters.bulk.report import BadRow, ImportReport
from siapkerja_adapters.residents import NUMERIC_NIK

IMPORT_BATCH_SIZE: Final = 2000
"""Rows :func:`import_akl` stores per transaction unless told otherwise.

Blind indexes and ids are random, so each batch writes index pages all over
the tables and every commit writes them out again: larger batches cost less
a row (``benchmarks/README.md``), while a batch holds SQLite's write lock —
which web requests wait behind — for as long as its look-ups and insert
take (the rows are checked before it). 2,000, as ``ISSUE_BATCH_SIZE``.
"""

_SCRATCH: Final = Profile(full_name="AK/I")
"""The profile a row's sections are checked against before anything is written."""
_SCRATCHES: Final = {sex: attrs.evolve(_SCRATCH, biodata=Biodata(sex=sex)) for sex in ("L", "P")}
""":data:`_SCRATCH` with the sex a NIK gives (``initial_profile``): the row's sections
checked on it are the profile of a new account but for its name and contact."""


class _Importer:
    """One run of :func:`import_akl`: counters, the NIKs imported so far, the pending batch."""

    def __init__(
        self, svc: Siapkerja, photo_dir: Path, progress: Progress | None, batch_size: int
    ) -> None:
        self.svc = svc
        self.photo_dir = photo_dir
        self.progress = progress
        self.batch_size = batch_size
        self.created = self.updated = self.unchanged = 0
        self.bad_rows: list[BadRow] = []
        self.first_line: dict[str, int] = {}
        self.pending: list[Ready] = []
        self.pending_niks: set[str] = set()
        self.pending_bad: list[tuple[int, SiapkerjaError]] = []
        self.pending_lines = 0
        self.ctx = svc.journey.registrations.ctx
        self.checks = SectionChecks()
        self.documents = ProfileDocuments()
        self.profile_columns = True
        """Whether the header names a profile column (else every row's sections are empty)."""
        self.started = self.ctx.clock()
        """When the run began: a birth date after that day is refused (one clock read a run)."""

    def bad(self, line: int, error: SiapkerjaError) -> None:
        self.pending_bad.append((line, error))

    def row(self, line: int, values: Mapping[str, str]) -> None:
        """Check a row (everything that needs no storage) and add it to the batch."""
        for column in REQUIRED_COLUMNS:
            if not values[column]:
                raise BulkDataError("empty", column=column)
        text = values["nik"]
        # Digits alone never look like a number a spreadsheet made (that needs an exponent
        # or a decimal mark): the usual NIK skips the pattern, which backtracks over it.
        if not text.isdigit() and NUMERIC_NIK.fullmatch(text):
            raise BulkDataError("nik_number", column="nik")
        nik = parse_nik(text)
        if nik.value in self.pending_niks:
            # A NIK repeated within the batch: whether it is a duplicate depends on
            # whether its first row is stored, so the batch goes first.
            self.flush()
        if nik.value in self.first_line:
            raise BulkDataError("duplicate", column="nik", first=self.first_line[nik.value])
        sections = _sections(values, self.photo_dir) if self.profile_columns else {}
        # Checked before the account exists, so a bad row leaves nothing behind. The
        # contact stays empty here: the e-mail and phone are checked next, as
        # import_account checks them.
        scratch = validate_sections(sections, _SCRATCHES[nik.sex], self.checks)
        if scratch is not None:  # None: the row has no profile cells
            refuse_future_birth_date(scratch.biodata.birth_date, self.started)  # as an edit does
        refusal = name_refusal(values["full_name"], "full_name")
        if refusal is not None:
            raise refusal
        ready = Ready(
            line=line,
            nik=nik,
            full_name=normalise_name(values["full_name"]),
            email=fast_email(values["email"]),
            phone=fast_phone(values["phone"]),
            sections=sections,
            scratch=scratch,
        )
        self.pending.append(ready)
        self.pending_niks.add(nik.value)

    def lines_read(self, lines: int) -> None:
        self.pending_lines += lines
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Store the pending batch in one unit of work, then count and report it."""
        rows, self.pending, self.pending_niks = self.pending, [], set()
        bad: list[tuple[int, SiapkerjaError]] = []
        if rows:
            try:
                outcome = store_batch(
                    self.svc.storage,
                    rows,
                    now=self.ctx.clock(),
                    new_id=self.ctx.new_id,
                    documents=self.documents,
                )
            except BatchRace:
                for ready in rows:  # another writer meanwhile: row by row, the facade decides
                    try:
                        self.store_one(ready)
                    except (StorageError, ConfigurationError):
                        raise
                    except SiapkerjaError as error:
                        bad.append((ready.line, error))
            else:
                bad = outcome.bad
                bad.extend(self.counted(outcome))
        for line, refusal in sorted([*self.pending_bad, *bad], key=lambda item: item[0]):
            self.bad_rows.append(
                BadRow(
                    line,
                    refusal.full_code,
                    refusal.message_id,
                    refusal.message_en,
                    _column_of(refusal),
                )
            )
        self.pending_bad = []
        if self.progress is not None and self.pending_lines:
            self.progress(self.pending_lines)
        self.pending_lines = 0

    def counted(self, outcome: Outcome) -> list[tuple[int, SiapkerjaError]]:
        """Count a committed batch, write its changed profiles and emit its events;
        return the rows whose profile change was refused."""
        listening = self.ctx.listening()
        for ready, account, profile in outcome.created:
            self.first_line[ready.nik.value] = ready.line
            self.created += 1
            if listening:
                now = self.ctx.clock()
                self.ctx.emit(AccountImported(occurred_at=now, account_id=account.id))
                if profile is not None:
                    self.ctx.emit(
                        ProfileUpdated(
                            occurred_at=now,
                            account_id=account.id,
                            sections=tuple(sorted(ready.sections)),
                            complete=completeness(profile).complete,
                        )
                    )
        for ready in outcome.unchanged:
            self.first_line[ready.nik.value] = ready.line
            self.unchanged += 1
        refused: list[tuple[int, SiapkerjaError]] = []
        for ready, account, _profile in outcome.updated:
            # Through the facade: the account may hold a card whose view it caches.
            self.first_line[ready.nik.value] = ready.line
            try:
                self.svc.update_profile(account.id, **ready.sections)
            except (StorageError, ConfigurationError):
                raise
            except SiapkerjaError as error:  # e.g. the account was closed meanwhile
                refused.append((ready.line, error))
                continue
            self.updated += 1
        return refused

    def store_one(self, ready: Ready) -> None:
        """One row through the facade (``import_account``, ``update_profile``)."""
        account, created = self.svc.import_account(
            nik=ready.nik.value, full_name=ready.full_name, email=ready.email, phone=ready.phone
        )
        self.first_line[ready.nik.value] = ready.line
        sections = ready.sections
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


_UNDECODED: Final = re.compile("[\udc80-\udcff]")
"""What ``surrogateescape`` decodes a byte that is not UTF-8 to (valid UTF-8 never holds it)."""


class NotUtf8Line(UnicodeDecodeError):
    """A line of the file that is not UTF-8 text; ``line`` is its number (the header's is 1)."""

    def __init__(self, line: int) -> None:
        super().__init__("utf-8", b"", 0, 1, f"line {line} is not UTF-8 text")
        self.line = line


_BOM: Final = "\ufeff"


def _utf8_lines(lines: Iterable[str]) -> Iterator[str]:
    """``lines`` (read with ``surrogateescape``) up to the first that held a byte that is
    not UTF-8, which raises :class:`NotUtf8Line`: the rows before it are imported, as
    ``docs/bulk.md`` says, however near the start of the file the byte is."""
    for number, line in enumerate(lines, start=1):
        # An ASCII line holds none (the usual line: ``isascii`` is one pass in C, the
        # pattern's search several times slower over a photo's ``data:`` URI).
        if not line.isascii():
            if _UNDECODED.search(line) is not None:
                raise NotUtf8Line(number)
            if line.startswith(_BOM):
                # A byte-order mark is never data: a second one after the file's own (a
                # file saved twice), or one at a line's start (two files joined) made an
                # invisible "nik" column or NIK "not digits" (an outside tester's finding).
                line = line.lstrip(_BOM)
        yield line


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _header(cells: list[str], path: str) -> list[str]:
    header = [cell.strip().casefold() for cell in cells]
    while header and not header[-1]:  # a spreadsheet's empty columns after the last named one
        header.pop()
    known = set(AKL_COLUMNS)
    unknown = [name for name in header if name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        parts: list[tuple[str, str]] = []  # (catalogue key, the columns it names)
        if missing:
            parts.append(("bulk.header.missing", ", ".join(missing)))
        if unknown:
            # A column without a name among named ones is shown as "" (not as nothing).
            shown_unknown = (name[:40] or '""' for name in unknown[:5])
            parts.append(("bulk.header.unknown", ", ".join(shown_unknown)))
        if repeated:
            parts.append(("bulk.header.repeated", ", ".join(name or '""' for name in repeated)))
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
    batch_size: int = IMPORT_BATCH_SIZE,
) -> ImportReport:
    """Import accounts and profiles from an AK/I-style CSV (``docs/bulk.md``).

    The file is UTF-8 (a byte-order mark is accepted); the delimiter (``,``,
    ``;`` or tab) is read from the header, whose columns are
    :data:`AKL_COLUMNS` in any order — :data:`REQUIRED_COLUMNS` must be there.
    Rows stream through, ``batch_size`` at a time: each row is checked on its
    own (NIK, cells, profile sections, name, e-mail, phone), then the batch is
    stored in one unit of work (:mod:`siapkerja_adapters.bulk.batch`) with
    the rules of :meth:`~siapkerja_core.service.Siapkerja.import_account`:
    new accounts and their profiles in one multi-row write (``COPY`` on
    PostgreSQL); an existing account's profile written, through
    :meth:`~siapkerja_core.service.Siapkerja.update_profile`, only when the
    row changes it — so a re-run writes nothing and reports the rows
    ``unchanged``. A row failing with a :class:`SiapkerjaError` (bad NIK,
    phone, e-mail, village code, a NIK already imported from an earlier line,
    another person's contacts …) becomes a :class:`BadRow` with its physical
    line number, and leaves nothing behind; the import goes on. A batch
    commits whole or not at all, so an import interrupted (killed, the
    database gone) and run again finds the committed rows ``unchanged`` and
    goes on from there.

    :param progress: called with the number of lines consumed after each
        batch committed.
    :param batch_size: rows stored per transaction.
    :param photo_dir: where relative ``photo`` paths are looked up (default:
        the CSV's folder); paths outside it are refused.
    :raises BulkDataError: ``bulk.header`` or ``bulk.file`` (nothing, or only the
        rows before an undecodable byte, imported — re-running is safe; the error's
        ``partial`` is then those rows' :class:`ImportReport`).
    :raises StorageError: the storage failed; rows before it are kept.
    """
    shown = os.fspath(path)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    folder = Path(photo_dir) if photo_dir is not None else Path(path).parent
    importer = _Importer(svc, folder, progress, batch_size)
    try:
        with (
            _older_objects_frozen(),
            _young_collections_spaced(),
            bulk_writes(svc.storage),
            # surrogateescape: a byte that is not UTF-8 ends the file at its own line
            # (_utf8_lines), not at the start of the 8 KiB the decoder read it in.
            open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle,
        ):
            first = handle.readline()
            if not first.strip():
                raise BulkDataError("header", path=shown, **in_both("problem", "bulk.header.empty"))
            lines = _utf8_lines(itertools.chain([first], handle))
            reader = csv.reader(lines, delimiter=_delimiter(first))
            cells = next(reader)
            header = _header(cells, shown)
            try:
                _read_rows(reader, header, importer, width=len(cells))
            except (UnicodeDecodeError, csv.Error):
                importer.flush()  # the rows read before a bad byte are kept, as before
                raise
            importer.flush()
    except NotUtf8Line as error:
        # Say what became of the rows before the line (flushed above): a user re-running
        # a fixed file knows the import stopped part-way, not that nothing was read.
        done = importer.created + importer.updated + importer.unchanged
        reason = in_both(
            "reason",
            "bulk.reason.not_utf8_at",
            line=error.line,
            done=done,
            bad=len(importer.bad_rows),
        )
        refusal = BulkDataError("file", path=shown, **reason)
        refusal.partial = importer.report()  # the bad rows read before it, for a report
        raise refusal from None
    except UnicodeDecodeError:
        raise BulkDataError(
            "file", path=shown, **in_both("reason", "bulk.reason.not_utf8")
        ) from None
    except OSError as error:
        raise BulkDataError("file", path=shown, **os_reason(error, _READ_REASONS)) from None
    return importer.report()


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Leave the objects that exist before the import out of garbage collection meanwhile.

    An import allocates a few dozen objects a row, so the collector runs
    often, and each full collection went through everything the process had
    loaded before — the region table, the phone metadata, the modules —
    which an import never frees: a fifth of an import's time
    (``benchmarks/README.md``). ``gc.freeze()`` moves them to the permanent
    generation until ``gc.unfreeze()`` puts them back in the oldest one;
    what the import allocates is collected as before.
    """
    if gc.get_freeze_count():  # frozen already (a server's own start-up freeze, another
        yield  # import in a thread): thawing at the end would undo theirs
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


YOUNG_COLLECTION_THRESHOLD: Final = 10_000
"""Net allocations between two collections of the youngest generation during an
import (Python's default: 700)."""


@contextlib.contextmanager
def _young_collections_spaced() -> Iterator[None]:
    """Collect the youngest generation every :data:`YOUNG_COLLECTION_THRESHOLD`
    allocations meanwhile, not every 700.

    A batch's checked rows live until it is stored (2,000 rows, a few dozen
    objects each): at the default threshold every young collection went
    through them, every tenth moved them on to the next generation and then
    to the oldest, where a full collection went through them once more —
    about a tenth of an import's time, to free next to nothing (what an
    import drops is freed by its reference count). Cyclic garbage is still
    collected, a little later; the setting is put back afterwards unless
    something else changed it meanwhile.
    """
    before = gc.get_threshold()
    if before[0] >= YOUNG_COLLECTION_THRESHOLD or before[0] == 0:  # spaced already, or off
        yield
        return
    spaced = (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    gc.set_threshold(*spaced)
    try:
        yield
    finally:
        if gc.get_threshold() == spaced:
            gc.set_threshold(*before)


_READ_REASONS: Final[Mapping[type[OSError], str]] = {
    FileNotFoundError: "bulk.reason.no_file",
    PermissionError: "bulk.reason.permission",
    IsADirectoryError: "bulk.reason.directory",
}
"""Why a file cannot be opened, in the catalogue's words (:func:`os_reason`)."""


def _read_rows(reader: Any, header: list[str], importer: _Importer, *, width: int) -> None:
    """Read the rows after ``header``; ``width``: the header's cells, empty trailing ones
    (which a spreadsheet writes) included — a row may end with that many, empty."""
    importer.profile_columns = not set(header) <= set(REQUIRED_COLUMNS)
    named = len(header)
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
        stripped = None if cells is None else list(map(str.strip, cells))
        if stripped is not None and named < len(stripped) <= width and not any(stripped[named:]):
            del stripped[named:]  # the empty cells of the header's unnamed columns
        if stripped is not None and any(stripped):
            # Only a row over several lines has a cell with a line break: the usual
            # row skips the look at its cells.
            refusal = (
                line_break_refusal(
                    header if len(stripped) == len(header) else None,
                    stripped,
                    reader.dialect.delimiter,
                    start,
                    done,
                )
                if lines > 1
                else None
            )
            if refusal is not None:
                importer.bad(start, refusal)
            elif len(stripped) != len(header):
                importer.bad(
                    start, BulkDataError("columns", count=len(stripped), expected=len(header))
                )
            else:
                values = dict(zip(header, stripped, strict=True))
                try:
                    importer.row(start, values)
                except (StorageError, ConfigurationError):
                    raise  # the service is failing, not the row: stop
                except SiapkerjaError as error:
                    importer.bad(start, error)
        importer.lines_read(lines)
