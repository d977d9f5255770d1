"""``siapkerja bulk …``: residents, AK/I registers and cards in bulk, with a progress bar.

:data:`bulk_app` is a Typer sub-app (the jobs themselves are
:mod:`siapkerja_adapters.bulk`). Commands:

* ``residents FILE`` — check a resident CSV and load it into the ``offline``
  Dukcapil registry of this process;
* ``import FILE [--report bad.csv]`` — accounts and profiles from an AK/I
  CSV; a summary table, the bad rows with their line numbers (all of them in
  ``--report`` as CSV);
* ``issue-cards`` — a card for every complete profile.

Each works on ``connect()`` with the usual settings: ``SIAPKERJA_*``
variables, then the TOML file (``--config`` or ``$SIAPKERJA_CONFIG``).
Progress bars go to standard error (on a terminal, ``--progress`` to force,
never with ``--json``), summaries to standard output (``--json``: one JSON
document). Exit codes as every command's (``common.exit_code_for``): 0 on
success, 1 when a row is bad or the input is refused (the typed error's message
in Indonesian and English), 2 for a usage error, 3 for a bad setting, 4 when
the database is down.
"""

from __future__ import annotations

import csv
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from siapkerja_adapters.bulk import (
    IMPORT_BATCH_SIZE,
    ImportReport,
    count_accounts,
    count_lines,
    import_akl,
    issue_all_cards,
    load_residents,
)
from siapkerja_adapters.bulk.errors import BulkDataError, in_both, os_reason
from siapkerja_adapters.cli.common import (
    PROG_NAME,
    ConfigOption,
    JsonOption,
    ProgressOption,
    error_json,
    exit_code_for,
    fail,
    json_mode,
    open_service,
    print_json,
    progress_bar,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.services.issuance import ISSUE_BATCH_SIZE

__all__ = ["REPORT_COLUMNS", "bulk_app", "write_report"]

bulk_app: Final = typer.Typer(
    name="bulk",
    help="Operasi massal dengan bilah kemajuan / Bulk operations with a progress bar.",
    no_args_is_help=True,
    add_completion=False,
)

REPORT_COLUMNS: Final = ("line", "code", "column", "message_id", "message_en")
"""The header of the ``--report`` CSV."""

SHOWN_BAD_ROWS: Final = 20
"""Bad rows listed on the terminal; the ``--report`` file holds them all."""

FileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", show_default=False, help="The CSV file (UTF-8)."),
]

_MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai; atur"
    " SIAPKERJA_STORAGE (misalnya sql) agar hasilnya tersimpan.\n"
    "Warning: the 'memory' storage is gone when this command ends; set"
    " SIAPKERJA_STORAGE (e.g. sql) to keep the results."
)
_RESIDENTS_NOTE: Final = (
    "Registri offline berada di dalam proses: agar aplikasi memakai berkas ini, atur"
    " SIAPKERJA_DUKCAPIL_RESIDENTS.\n"
    "The offline registry lives in the process: to have the application use this file,"
    " set SIAPKERJA_DUKCAPIL_RESIDENTS."
)


# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------


def _stdout() -> Console:
    return Console(highlight=False)


def _lines(file: Path) -> int | None:
    """The bar's total for ``file``; ``None`` (indeterminate) if it cannot be read —
    the command then reports the file error itself, in both languages."""
    try:
        return count_lines(file)
    except OSError:
        return None


def _counts_table(title: str, rows: list[tuple[str, int]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("Hasil / Result")
    table.add_column("Jumlah / Count", justify="right")
    for label, count in rows:
        table.add_row(label, str(count))
    return table


def write_report(report: ImportReport, path: Path) -> None:
    """Write the bad rows of ``report`` as CSV (:data:`REPORT_COLUMNS`; header only if none)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for bad in report.bad_rows:
            writer.writerow((bad.line, bad.code, bad.column or "", bad.message_id, bad.message_en))


def _same_file(report: Path, file: Path) -> bool:
    """Whether writing ``report`` would overwrite ``file``: the same path once resolved,
    or (both existing) the same file under another name — a symlink or a hard link."""
    try:
        if report.resolve() == file.resolve():
            return True
        return report.exists() and file.exists() and os.path.samefile(report, file)
    except OSError:  # a path that cannot be looked at: the checks after this one say why
        return False


def _report_refused(report: Path, key: str) -> BulkDataError:
    return BulkDataError("report", path=str(report), **in_both("reason", key))


def _check_report(report: Path, file: Path) -> None:
    """Refuse, before anything is imported, a ``--report`` path that is the input register
    or that cannot be written: an outside tester's ``--report`` equal to the input replaced
    the register with the bad rows, and an unwritable one was found only after the import.

    :raises BulkDataError: ``bulk.report``, the reason in both languages.
    """
    if _same_file(report, file):
        raise _report_refused(report, "bulk.reason.report_is_input")
    if report.is_dir():
        raise _report_refused(report, "bulk.reason.directory")
    folder = report.parent
    if not folder.exists():
        raise _report_refused(report, "bulk.reason.no_folder")
    if not folder.is_dir():
        raise _report_refused(report, "bulk.reason.not_folder")
    target = report if report.exists() else folder
    if not os.access(target, os.W_OK):
        raise _report_refused(report, "bulk.reason.no_write")


_WRITE_REASONS: Final[Mapping[type[OSError], str]] = {
    FileNotFoundError: "bulk.reason.no_folder",
    PermissionError: "bulk.reason.no_write",
    IsADirectoryError: "bulk.reason.directory",
    NotADirectoryError: "bulk.reason.not_folder",
}
"""Why a report could not be written after all, in the catalogue's words (:func:`os_reason`)."""


def _import_json(report: ImportReport, written: Path | None) -> dict[str, object]:
    """What ``bulk import --json`` prints: the counts and every bad row."""
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "bad_rows": [
            {
                "line": bad.line,
                "code": bad.code,
                "column": bad.column,
                "message_id": bad.message_id,
                "message_en": bad.message_en,
            }
            for bad in report.bad_rows
        ],
        "report": None if written is None else str(written),
    }


def _bad_rows_table(report: ImportReport) -> Table:
    table = Table(
        title="Baris bermasalah / Bad rows", title_justify="left", show_lines=False, expand=True
    )
    table.add_column("Baris / Line", justify="right", no_wrap=True)
    table.add_column("Kode / Code", no_wrap=True)
    table.add_column("Pesan / Message")
    for bad in report.bad_rows[:SHOWN_BAD_ROWS]:
        message = f"{bad.message_id} / {bad.message_en}"
        table.add_row(str(bad.line), bad.code, escape(message))
    return table


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


class _Stored:
    """What a bulk command had committed when Ctrl-C or a typed error stopped it, counted from its
    progress callback (called after each batch's commit), so that the interruption
    says what is kept and that the same command resumes (a stranger's finding: an
    interrupted ``--json`` import printed nothing). A lower bound: a Ctrl-C between a
    batch's commit and its callback leaves that batch stored but not counted (the
    same command then finds it unchanged)."""

    def __init__(self) -> None:
        self.done = 0

    def counting(self, advance: Callable[[int], None]) -> Callable[[int], None]:
        def counted(n: int) -> None:
            self.done += n
            advance(n)

        return counted

    def interrupted(self, unit: str, json_output: bool, stop: KeyboardInterrupt) -> typer.Exit:
        """Say what was stored (on standard error; ``--json``: one object on standard
        output) and give the exit code of an interrupted command: 130 for Ctrl-C, 143
        for SIGTERM (``stop`` a :class:`_Terminated`)."""
        if json_output:
            print_json({"interrupted": True, f"{unit}_done": self.done})
        typer.echo(
            f"siapkerja bulk: dihentikan; setidaknya {self.done} {_UNITS[unit]} pertama sudah"
            " selesai dan tersimpan, jalankan perintah yang sama untuk melanjutkan / interrupted;"
            f" at least the first {self.done} {unit} are done and stored, run the same command"
            " again to go on",
            err=True,
        )
        return typer.Exit(143 if isinstance(stop, _Terminated) else 130)

    def failed(
        self, error: SiapkerjaError, unit: str, document: dict[str, object] | None = None
    ) -> typer.Exit:
        """Report the typed ``error`` that ended the command and give its exit code.

        As :func:`fail`, and when batches were committed before it, that they are
        stored and that the same command goes on (``--json``: ``"{unit}_done": N``
        beside the ``error`` object): a database killed mid-import said only
        ``storage.unavailable``'s "nothing was saved" while 38,000 rows were (an outside
        tester's finding). ``document``: what else the ``--json`` object holds (the
        counts and bad rows of an import that stopped part-way)."""
        code = exit_code_for(error)
        if json_mode():
            answer = {**(document or {}), **error_json(error, code)}
            if self.done:
                answer[f"{unit}_done"] = self.done
            print_json(answer)
        else:
            typer.echo(f"{PROG_NAME} bulk: {error}", err=True)
        if self.done:
            typer.echo(
                f"{PROG_NAME} bulk: setidaknya {self.done} {_UNITS[unit]} pertama sudah selesai"
                " dan tersimpan sebelum galat ini (hanya batch yang sedang ditulis yang tidak),"
                " jalankan perintah yang sama untuk melanjutkan / at least the first"
                f" {self.done} {unit} were done and stored before this error (only the batch"
                " being written was not), run the same command again to go on",
                err=True,
            )
        return typer.Exit(code)


class _Terminated(KeyboardInterrupt):
    """SIGTERM while a bulk command runs, raised where it is as Ctrl-C's interrupt is."""


def _terminate_as_interrupt() -> Callable[[], None]:
    """Until the returned function is called, SIGTERM ends the command as Ctrl-C does
    (:class:`_Terminated`): it ended silently (an outside tester's finding), while Ctrl-C
    says what is stored. Only in the main thread (the only one a handler can be set in)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def terminated(_signum: int, _frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)

    def restore() -> None:
        # None: a handler set outside Python, which cannot be put back; the default then.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)

    return restore


_UNITS: Final = {"lines": "baris", "accounts": "akun"}


@bulk_app.command("residents")
def residents(
    file: FileArgument,
    json_output: JsonOption = False,
    progress: ProgressOption = None,
    config: ConfigOption = None,
) -> None:
    """Muat penduduk ke registri offline / Load a resident CSV into the offline registry.

    Header: nik,full_name,mother_name,birth_place,birth_date,sex[,active].
    Every row or nothing: a bad row (its line number is printed) loads none.
    ``--json``: ``{"loaded": N}``.
    """
    svc = open_service("bulk", config, memory_warning=None)
    try:
        total = _lines(file)
        with progress_bar("Penduduk / Residents", total, enabled=progress) as advance:
            loaded = load_residents(svc, file, progress=advance)
    except SiapkerjaError as error:
        raise fail("bulk", error) from None
    if json_output:
        print_json({"loaded": loaded})
    else:
        _stdout().print(f"{loaded} penduduk dimuat / {loaded} residents loaded")
    typer.echo(_RESIDENTS_NOTE, err=True)


@bulk_app.command("import")
def import_file(
    file: FileArgument,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="BAD.CSV",
            show_default=False,
            help="Write the bad rows (line, code, column, messages) to this CSV file.",
        ),
    ] = None,
    photo_dir: Annotated[
        Path | None,
        typer.Option(
            "--photo-dir",
            show_default=False,
            help="Folder of the photo files named in the CSV (default: the CSV's folder).",
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=10_000, help="Rows stored per transaction."),
    ] = IMPORT_BATCH_SIZE,
    json_output: JsonOption = False,
    progress: ProgressOption = None,
    config: ConfigOption = None,
) -> None:
    """Impor akun dan profil dari CSV AK/I / Import accounts and profiles from an AK/I CSV.

    Bad rows are reported with their line numbers and skipped; good rows are
    kept; running the same file again changes nothing. Rows are stored a batch
    per transaction: an import interrupted (Ctrl-C, a killed process, the
    database gone) and run again finds the rows committed before as
    unchanged and goes on after them. Exit code 1 if any row is bad.
    ``--json``: ``{"created", "updated", "unchanged", "bad_rows": [{"line", "code",
    "column", "message_id", "message_en"}, …], "report"}`` with every bad row.
    """
    stored = _Stored()
    restore = _terminate_as_interrupt()
    try:  # from the start: a Ctrl-C while the storage opens says so too (0 done)
        if report is not None:
            _check_report(report, file)
        svc = open_service("bulk", config, memory_warning=_MEMORY_WARNING)
        total = _lines(file)
        with progress_bar("Impor AK/I / AK/I import", total, enabled=progress) as advance:
            result = import_akl(
                svc,
                file,
                progress=stored.counting(advance),
                photo_dir=photo_dir,
                batch_size=batch_size,
            )
    except SiapkerjaError as error:
        partial = error.partial if isinstance(error, BulkDataError) else None
        if partial is None:
            raise stored.failed(error, "lines") from None
        # A file error part-way (a byte that is not UTF-8): the rows before it were read,
        # and their bad rows are reported as a whole run's are — they were listed nowhere.
        refusal = None if report is None else _report_refusal(partial, report)
        if refusal is not None:  # said beside the error the command ends on
            typer.echo(f"{PROG_NAME} bulk: {refusal}", err=True)
        written = report if refusal is None else None
        document = None
        if json_output:
            document = _import_json(partial, written)
        else:
            _print_import(partial, written)
        raise stored.failed(error, "lines", document) from None
    except KeyboardInterrupt as stop:
        raise stored.interrupted("lines", json_output, stop) from None
    finally:
        restore()
    report_error = None if report is None else _report_refusal(result, report)
    written = report if report_error is None else None
    if json_output:
        if report_error is not None:  # the counts and bad rows still said: they are stored
            raise stored.failed(report_error, "lines", _import_json(result, written))
        print_json(_import_json(result, written))
    else:
        _print_import(result, written)
        if report_error is not None:
            raise stored.failed(report_error, "lines")
    if result.bad_rows:
        raise typer.Exit(1)


def _report_refusal(result: ImportReport, report: Path) -> BulkDataError | None:
    """Write ``result``'s bad rows to ``report``; ``bulk.report`` if that failed after all
    (its path was checked before the import, but its folder can go meanwhile)."""
    try:
        write_report(result, report)
    except OSError as error:
        return BulkDataError("report", path=str(report), **os_reason(error, _WRITE_REASONS))
    return None


def _print_import(result: ImportReport, written: Path | None) -> None:
    """The text summary of an import: the counts, the first bad rows, the report's path."""
    out = _stdout()
    out.print(
        _counts_table(
            "Impor AK/I / AK/I import",
            [
                ("Dibuat / Created", result.created),
                ("Diperbarui / Updated", result.updated),
                ("Tidak berubah / Unchanged", result.unchanged),
                ("Baris bermasalah / Bad rows", len(result.bad_rows)),
            ],
        )
    )
    if result.bad_rows:
        out.print(_bad_rows_table(result))
        hidden = len(result.bad_rows) - SHOWN_BAD_ROWS
        if hidden > 0:
            out.print(
                f"… dan {hidden} baris lagi (lihat --report) / … and {hidden} more (see --report)"
            )
        if written is not None:
            out.print(f"Laporan / Report: {escape(str(written))}")


@bulk_app.command("issue-cards")
def issue_cards(
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=10_000, help="Cards written per transaction."),
    ] = ISSUE_BATCH_SIZE,
    json_output: JsonOption = False,
    progress: ProgressOption = None,
    config: ConfigOption = None,
) -> None:
    """Terbitkan kartu untuk setiap profil lengkap / Issue a card to every complete profile.

    Accounts that already hold a card are skipped, so a re-run issues nothing twice.
    ``--json``: ``{"issued", "incomplete", "already_issued"}``.
    """
    stored = _Stored()
    restore = _terminate_as_interrupt()
    try:
        svc = open_service("bulk", config, memory_warning=_MEMORY_WARNING)
        total = count_accounts(svc)
        with progress_bar("Kartu / Cards", total, enabled=progress) as advance:
            result = issue_all_cards(svc, batch_size=batch_size, progress=stored.counting(advance))
    except SiapkerjaError as error:
        raise stored.failed(error, "accounts") from None
    except KeyboardInterrupt as stop:
        raise stored.interrupted("accounts", json_output, stop) from None
    finally:
        restore()
    if json_output:
        print_json(
            {
                "issued": result.issued,
                "incomplete": result.incomplete,
                "already_issued": result.already_issued,
            }
        )
        return
    _stdout().print(
        _counts_table(
            "Penerbitan kartu / Card issuance",
            [
                ("Diterbitkan / Issued", result.issued),
                ("Profil belum lengkap / Incomplete profiles", result.incomplete),
                ("Sudah punya kartu / Already issued", result.already_issued),
            ],
        )
    )
