"""``siapkerja bulk`` as an outside tester used it: the ``--report`` path checked before the
import, a failure after committed batches saying what is stored, the bad rows found before
a file error kept, plain progress lines off a terminal, SIGTERM as Ctrl-C.

The commands run on the memory profile (``connect`` patched, as ``test_bulk.py`` does).
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from siapkerja_adapters import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja

typer = pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from typer.testing import CliRunner  # noqa: E402

from siapkerja_adapters.cli import bulk as bulk_cli  # noqa: E402
from siapkerja_adapters.cli import common as cli_common  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "akl_sample.csv"
HEADER = "line,code,column,message_id,message_en"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
runner = CliRunner()


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def cli(svc, monkeypatch):
    """``siapkerja bulk …`` on ``svc``: the result and its standard output without colour."""
    monkeypatch.setattr(cli_common, "connect", lambda **_: svc)
    app = typer.Typer()
    app.add_typer(bulk_cli.bulk_app, name="bulk")

    def run(*args: str):
        result = runner.invoke(app, ["bulk", *args], env={"COLUMNS": "300"})
        return result, ANSI.sub("", result.stdout)

    return run


def accounts(svc: Siapkerja) -> int:
    return bulk_cli.count_accounts(svc)


@pytest.fixture
def register(tmp_path) -> Path:
    """A copy of the sample register (four good rows, five bad)."""
    path = tmp_path / "x.csv"
    path.write_bytes(SAMPLE.read_bytes())
    return path


# --------------------------------------------------------------------------
# 1. --report is never the input
# --------------------------------------------------------------------------


def _same_file_ways(register: Path) -> dict[str, Path]:
    link = register.with_name("link.csv")
    link.symlink_to(register)
    hard = register.with_name("hard.csv")
    os.link(register, hard)
    return {
        "same path": register,
        "another spelling": register.parent / "." / register.name,
        "a symlink": link,
        "a hard link": hard,
    }


@pytest.mark.parametrize("way", ["same path", "another spelling", "a symlink", "a hard link"])
@pytest.mark.parametrize("json_output", [False, True])
def test_a_report_that_is_the_input_is_refused_before_anything_is_imported(
    cli, svc, register, way, json_output
) -> None:
    before = register.read_bytes()
    report = _same_file_ways(register)[way]
    result, out = cli("import", str(register), "--report", str(report), *(["--json"] * json_output))
    assert result.exit_code == 1
    assert register.read_bytes() == before  # the operator's register untouched
    assert accounts(svc) == 0  # nothing stored
    if json_output:
        error = json.loads(out)["error"]
        assert error["code"] == "bulk.report"
        assert "the file being imported" in error["message_en"]
        assert "berkas yang diimpor" in error["message_id"]
    else:
        assert "[bulk.report]" in result.stderr
        assert "berkas yang diimpor" in result.stderr
        assert "the file being imported" in result.stderr


# --------------------------------------------------------------------------
# 2. a report that cannot be written: refused first, typed afterwards
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "english", "indonesian"),
    [
        ("missing folder", "its folder does not exist", "foldernya tidak ada"),
        ("a folder", "it is a directory", "ini sebuah folder"),
        ("under a file", "its parent is not a folder", "induknya bukan folder"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_the_import(
    cli, svc, register, tmp_path, where, english, indonesian
) -> None:
    report = {
        "missing folder": tmp_path / "nonexistent" / "bad.csv",
        "a folder": tmp_path,
        "under a file": register / "bad.csv",
    }[where]
    result, out = cli("import", str(register), "--report", str(report), "--json")
    assert result.exit_code == 1
    assert json.loads(out) == {
        "error": {
            "code": "bulk.report",
            "message_id": f"Laporan {report} tidak dapat ditulis: {indonesian}.",
            "message_en": f"The report {report} cannot be written: {english}.",
            "exit_code": 1,
        }
    }
    assert accounts(svc) == 0
    text, _ = cli("import", str(register), "--report", str(report))
    assert text.exit_code == 1
    assert f"[bulk.report] Laporan {report} tidak dapat ditulis: {indonesian}." in text.stderr
    assert english in text.stderr


def test_a_folder_without_write_permission_is_refused(cli, svc, register, monkeypatch) -> None:
    # Tests may run as root, whom no folder's mode stops: the permission itself is faked.
    real = os.access

    def access(path, mode, **kwargs) -> bool:
        return not (mode == os.W_OK and Path(path) == register.parent) and real(path, mode)

    monkeypatch.setattr(bulk_cli.os, "access", access)
    result, _ = cli("import", str(register), "--report", str(register.with_name("bad.csv")))
    assert result.exit_code == 1
    assert "[bulk.report]" in result.stderr
    assert "tidak ada izin menulis" in result.stderr
    assert "permission to write denied" in result.stderr
    assert accounts(svc) == 0


@pytest.mark.parametrize("json_output", [False, True])
def test_a_report_write_failing_after_the_import_is_a_typed_error(
    cli, register, tmp_path, monkeypatch, json_output
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    real = bulk_cli.import_akl

    def then_the_folder_goes(*args, **kwargs):
        done = real(*args, **kwargs)
        folder.rmdir()
        return done

    monkeypatch.setattr(bulk_cli, "import_akl", then_the_folder_goes)
    report = folder / "bad.csv"
    result, out = cli("import", str(register), "--report", str(report), *(["--json"] * json_output))
    assert result.exit_code == 1
    if json_output:
        document = json.loads(out)
        assert document["created"] == 4  # what was imported is still said
        assert len(document["bad_rows"]) == 5
        assert document["report"] is None
        assert document["error"]["code"] == "bulk.report"
        assert "its folder does not exist" in document["error"]["message_en"]
    else:
        assert "Created" in out
        assert "[bulk.report]" in result.stderr
        assert "foldernya tidak ada" in result.stderr


def test_a_writable_report_next_to_the_input_is_written(cli, register) -> None:
    report = register.with_name("bad.csv")
    result, _ = cli("import", str(register), "--report", str(report))
    assert result.exit_code == 1  # the sample's bad rows
    with report.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 5


# --------------------------------------------------------------------------
# 3. a typed error after committed batches says what is stored
# --------------------------------------------------------------------------


@pytest.fixture
def storage_fails_on_the_third_batch(monkeypatch):
    """The import's batch write raises the typed ``storage.unavailable`` from its third
    batch on (the database gone mid-import), after two batches were committed."""
    from siapkerja_adapters.bulk import akl_import
    from siapkerja_core.ports import StorageError

    real = akl_import.store_batch
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) >= 3:
            raise StorageError("unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(akl_import, "store_batch", failing)


def test_a_database_failure_mid_import_says_what_is_stored_json(
    cli, svc, register, storage_fails_on_the_third_batch
) -> None:
    result, out = cli("import", str(register), "--batch-size", "1", "--json")
    assert result.exit_code == 4  # the error's own exit code
    document = json.loads(out)
    assert document["error"]["code"] == "storage.unavailable"
    assert document["error"]["exit_code"] == 4
    # Two batches of one row committed (lines 2 and 3), the third (line 4) failed.
    assert document["lines_done"] == 2
    assert accounts(svc) == 2
    assert "at least the first" in result.stderr
    assert "run the same command again to go on" in result.stderr
    assert "jalankan perintah yang sama" in result.stderr


def test_a_database_failure_mid_import_says_what_is_stored_text(
    cli, svc, register, storage_fails_on_the_third_batch
) -> None:
    result, _ = cli("import", str(register), "--batch-size", "1")
    assert result.exit_code == 4
    assert "[storage.unavailable]" in result.stderr
    assert "at least the first 2 lines were done and stored" in result.stderr
    assert "setidaknya 2 baris pertama" in result.stderr


def test_a_database_failure_before_any_batch_is_the_error_alone(cli, monkeypatch, register) -> None:
    from siapkerja_adapters.bulk import akl_import
    from siapkerja_core.ports import StorageError

    def down(*_a, **_k):
        raise StorageError("unavailable")

    monkeypatch.setattr(akl_import, "store_batch", down)
    result, out = cli("import", str(register), "--json")
    assert result.exit_code == 4
    assert set(json.loads(out)) == {"error"}  # nothing stored: nothing more to say
    assert "at least the first" not in result.stderr


def test_a_database_failure_mid_issuance_says_what_is_stored(cli, monkeypatch) -> None:
    from siapkerja_core.ports import StorageError

    def two_batches_then_down(svc, *, batch_size, progress):
        progress(batch_size)
        progress(batch_size)
        raise StorageError("unavailable")

    monkeypatch.setattr(bulk_cli, "issue_all_cards", two_batches_then_down)
    result, out = cli("issue-cards", "--batch-size", "5", "--json")
    assert result.exit_code == 4
    document = json.loads(out)
    assert (document["error"]["code"], document["accounts_done"]) == ("storage.unavailable", 10)
    assert "at least the first 10 accounts" in result.stderr


# --------------------------------------------------------------------------
# 4. the bad rows before a byte that is not UTF-8 are reported
# --------------------------------------------------------------------------

SITI = "3173075405980011"
BUDI = "3173070211930012"
DEWI = "3171016301010013"


@pytest.fixture
def latin(tmp_path) -> Path:
    """A refused row (line 3, a bad phone), then a Latin-1 byte at line 5."""
    path = tmp_path / "b.csv"
    path.write_bytes(
        b"nik,full_name,email,phone\n"
        + f"{SITI},Siti Rahmawati,s@example.com,081234500011\n".encode()
        + f"{BUDI},Budi Santoso,b@example.com,0812-34\n".encode()
        + f"{DEWI},Dewi Lestari,d@example.com,081234500013\n".encode()
        + b"3273010908900014,J\xf6rg Rudi,r@example.com,081234500014\n"
    )
    return path


def test_the_bad_rows_before_a_file_error_reach_the_library_caller(svc, latin) -> None:
    from siapkerja_adapters.bulk import BulkDataError, import_akl

    with pytest.raises(BulkDataError) as stopped:
        import_akl(svc, latin)
    partial = stopped.value.partial
    assert (partial.created, partial.unchanged) == (2, 0)
    assert [(bad.line, bad.code) for bad in partial.bad_rows] == [(3, "phone.invalid")]


def test_the_bad_rows_before_a_file_error_reach_json_and_the_report(cli, latin) -> None:
    report = latin.with_name("bad.csv")
    result, out = cli("import", str(latin), "--json", "--report", str(report))
    assert result.exit_code == 1
    document = json.loads(out)
    assert document["error"]["code"] == "bulk.file"
    assert "2 stored or unchanged, 1 refused" in document["error"]["message_en"]
    assert [(bad["line"], bad["code"]) for bad in document["bad_rows"]] == [(3, "phone.invalid")]
    assert (document["created"], document["report"]) == (2, str(report))
    assert document["lines_done"] == 3  # the lines before the byte, committed
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["line"], row["code"], row["column"]) for row in rows] == [
        ("3", "phone.invalid", "phone")
    ]


def test_the_bad_rows_before_a_file_error_are_shown_in_text(cli, latin) -> None:
    report = latin.with_name("bad.csv")
    result, out = cli("import", str(latin), "--report", str(report))
    assert result.exit_code == 1
    assert "phone.invalid" in out  # the bad rows table
    assert f"Laporan / Report: {report}" in out
    assert "[bulk.file]" in result.stderr
    assert "not UTF-8 text at line 5" in result.stderr
    assert report.read_text(encoding="utf-8").splitlines()[0] == HEADER


def test_a_file_error_before_any_row_still_writes_the_reports_header(cli, tmp_path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"nik,full_name,email,phone\n" + SITI.encode() + b",J\xf6rg,j@x.id,0812\n")
    report = tmp_path / "bad.csv"
    result, out = cli("import", str(path), "--json", "--report", str(report))
    assert result.exit_code == 1
    document = json.loads(out)
    assert (document["error"]["code"], document["bad_rows"]) == ("bulk.file", [])
    assert "lines_done" not in document
    assert report.read_text(encoding="utf-8").splitlines() == [HEADER]


# --------------------------------------------------------------------------
# 5. --progress on a non-terminal: plain lines as it goes
# --------------------------------------------------------------------------


def test_forced_progress_off_a_terminal_writes_plain_lines_as_it_goes(monkeypatch) -> None:
    import io

    stream = io.StringIO()  # not a terminal
    monkeypatch.setattr("sys.stderr", stream)
    now = [100.0]
    monkeypatch.setattr(cli_common, "_clock", lambda: now[0])
    seen: list[list[str]] = []
    with cli_common.progress_bar("Impor / Import", 1000, enabled=True) as advance:
        for at in (0, 1, 2, 6, 7, 11.5, 12):
            now[0] = 100.0 + at
            advance(100)
            seen.append(stream.getvalue().splitlines())
    lines = stream.getvalue().splitlines()
    # The first step at once, then at most one line every 5 seconds, then the end (full).
    assert lines == [
        "Impor / Import: 100/1000 (10%)",
        "Impor / Import: 400/1000 (40%)",
        "Impor / Import: 600/1000 (60%)",
        "Impor / Import: 1000/1000 (100%)",
    ]
    assert seen[0] == lines[:1]  # written while the job runs, not when it ends
    assert seen[3] == lines[:2]
    assert "\x1b" not in stream.getvalue()  # no terminal codes in a log


def test_forced_progress_off_a_terminal_without_a_total(monkeypatch) -> None:
    import io

    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with cli_common.progress_bar("Kartu / Cards", None, enabled=True) as advance:
        advance(7)
    assert stream.getvalue().splitlines() == ["Kartu / Cards: 7", "Kartu / Cards: 7"]


def test_bulk_import_progress_off_a_terminal_names_the_lines_done(cli, register) -> None:
    result, _ = cli("import", str(register), "--progress", "--batch-size", "1")
    assert "Impor AK/I / AK/I import: 1/10 (10%)" in result.stderr  # the first batch's
    assert "Impor AK/I / AK/I import: 10/10 (100%)" in result.stderr


# --------------------------------------------------------------------------
# 6. SIGTERM as Ctrl-C, while the command runs
# --------------------------------------------------------------------------


def test_sigterm_during_an_import_says_what_is_stored_and_exits_143(
    cli, monkeypatch, register
) -> None:
    import signal

    real = bulk_cli.import_akl

    def terminated_after_a_batch(svc, file, *, progress, **kwargs):
        def then_terminate(n: int) -> None:
            progress(n)
            os.kill(os.getpid(), signal.SIGTERM)

        return real(svc, file, progress=then_terminate, **{**kwargs, "batch_size": 3})

    monkeypatch.setattr(bulk_cli, "import_akl", terminated_after_a_batch)
    before = signal.getsignal(signal.SIGTERM)
    result, out = cli("import", str(register), "--json")
    assert result.exit_code == 143
    assert json.loads(out) == {"interrupted": True, "lines_done": 3}
    assert "at least the first 3 lines are done and stored" in result.stderr
    assert signal.getsignal(signal.SIGTERM) == before  # only while the command runs


def test_sigterm_during_issuance_says_what_is_stored(cli, monkeypatch) -> None:
    import signal

    def one_batch_then_terminated(svc, *, batch_size, progress):
        progress(batch_size)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(bulk_cli, "issue_all_cards", one_batch_then_terminated)
    result, out = cli("issue-cards", "--batch-size", "4", "--json")
    assert result.exit_code == 143
    assert json.loads(out) == {"interrupted": True, "accounts_done": 4}
