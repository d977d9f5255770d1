"""A quote left open in an AK/I register must not swallow the rows after it.

Python's CSV reader reads an unclosed quote as a cell running over the line
ends, so the next person's row became the text of the cell — a headline shown
on the anonymous public scan page, with that person's NIK, e-mail and phone —
and was in no count. ``import_akl`` refuses such a row before anything of it is
stored: ``bulk.open_quote`` when a line inside the cell reads as a register row,
``bulk.line_break`` when a one-line column holds a line break; the message names
the lines the row spans. A legitimate multi-line cell (a street, wrapped base64)
is still imported, with the right line numbers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.bulk import count_accounts, count_lines, import_akl
from siapkerja_adapters.bulk.akl_cells import MULTILINE_COLUMNS, line_break_refusal
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja

A_TIGA = "3173070101900013"
A_EMPAT = "3173070101900014"
A_LIMA = "3173070101900015"
HEADER = "nik,full_name,email,phone,headline"
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAwAAAAQCAIAAACtAwlQAAAAUklEQVR42q3KOw6AIBBAwYeAH7ywB/MQngkbChJC+"
    "OxamEw55rkvXmQuAhhZSYugTnamSW6oT743TGtjlraakPZCTkempgDhSzp/S1ZNHlATQAJawh5242IikQAAAABJRU5ErkJggg=="
)


@pytest.fixture(params=["memory", "sqlite"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Siapkerja:
    options: dict[str, str] = {"storage": "memory"}
    if request.param == "sqlite":
        options = {"storage": "sql", "database_url": f"sqlite:///{tmp_path / 'quote.sqlite3'}"}
    return connect(environ={}, hasher=PasswordHasher.fast_for_tests(), **options)


def write(tmp_path: Path, text: str, *, newline: str = "\n") -> Path:
    path = tmp_path / "register.csv"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def summary(report) -> list[tuple[int, str, str | None]]:  # type: ignore[no-untyped-def]
    return [(bad.line, bad.code, bad.column) for bad in report.bad_rows]


def stored(svc: Siapkerja, nik: str) -> bool:
    with svc.storage.transaction() as tx:
        return tx.accounts.find(nik=nik) is not None


def headline_of(svc: Siapkerja, nik: str) -> str | None:
    with svc.storage.transaction() as tx:
        record = tx.accounts.find(nik=nik)
    assert record is not None
    biodata = svc.profile(record.id).biodata
    return None if biodata is None else biodata.headline


TESTERS_FILE = (
    f"{HEADER}\n"
    f'{A_TIGA},A Tiga,a3@example.com,081300000013,"Teknisi\n'
    f"{A_EMPAT},A Empat,a4@x.id,081300000014,Staf\n"
)


def test_the_testers_file_is_refused_at_the_quote_and_stores_nothing(svc, tmp_path) -> None:
    path = write(tmp_path, TESTERS_FILE)
    seen: list[int] = []
    report = import_akl(svc, path, progress=seen.append)
    assert summary(report) == [(2, "bulk.open_quote", "headline")]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert count_accounts(svc) == 0  # neither A Tiga nor A Empat, whose data stays private
    (bad,) = report.bad_rows
    assert "lines 2–3" in bad.message_en
    assert "baris 2–3" in bad.message_id
    for text in (bad.message_en, bad.message_id):  # the swallowed data is never echoed
        assert A_EMPAT not in text
        assert "a4@x.id" not in text
    assert sum(seen) == count_lines(path) == 2  # every physical line accounted for


def test_a_swallow_over_100_characters_names_every_line_and_the_rest_goes_on(svc, tmp_path) -> None:
    # Before, the cell over 100 characters was reported as profile.invalid_field on line 2
    # alone, and the swallowed rows were in no count at all.
    long_row = f"{A_EMPAT},A Empat {'Panjang ' * 12},a4@x.id,081300000014,Staf"
    path = write(
        tmp_path,
        f"{HEADER}\n"
        f'{A_TIGA},A Tiga,a3@example.com,081300000013,"Teknisi\n'
        f"{long_row}\n"
        f"{long_row}\n"
        f'{A_LIMA},A Lima,a5@example.com,081300000015,"Guru" \n'
        f"3173070101900016,A Enam,a6@example.com,081300000016,Staf\n",
    )
    report = import_akl(svc, path)
    # The quote before "Guru" closes the open one: lines 2-5 are one refused row, and the
    # row after it is read, and imported, at its own line.
    assert summary(report) == [(2, "bulk.open_quote", "headline")]
    assert "lines 2–5" in report.bad_rows[0].message_en
    assert report.created == 1
    assert stored(svc, "3173070101900016")
    assert not any(stored(svc, nik) for nik in (A_TIGA, A_EMPAT, A_LIMA))


def test_an_open_quote_in_a_middle_column_is_refused_whatever_the_cell_count(svc, tmp_path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\n"
        f'{A_TIGA},"A Tiga,a3@example.com,081300000013,Teknisi\n'
        f"{A_EMPAT},A Empat,a4@x.id,081300000014,Staf\n",
    )
    report = import_akl(svc, path)
    # Two cells: the row cannot say which column, but it names the lines, not bulk.columns.
    assert summary(report) == [(2, "bulk.open_quote", None)]
    assert "lines 2–3" in report.bad_rows[0].message_en
    assert count_accounts(svc) == 0


@pytest.mark.parametrize("column", ["full_name", "email", "phone", "headline", "nik"])
def test_a_line_break_in_a_one_line_column_is_refused(svc, tmp_path, column) -> None:
    cells = {"nik": A_TIGA, "full_name": "A Tiga", "email": "a3@example.com"}
    cells |= {"phone": "081300000013", "headline": "Teknisi Mesin"}
    head, _, tail = cells[column].partition(" ")
    cells[column] = f'"{head}\n{tail or "x"}"'
    path = write(
        tmp_path,
        f"{HEADER}\n{','.join(cells.values())}\n{A_EMPAT},A Empat,a4@x.id,081300000014,Staf\n",
    )
    report = import_akl(svc, path)
    assert summary(report) == [(2, "bulk.line_break", column)]
    assert "lines 2–3" in report.bad_rows[0].message_en
    assert f"Kolom {column}" in report.bad_rows[0].message_id
    assert not stored(svc, A_TIGA)
    assert stored(svc, A_EMPAT)  # line 4: the rest of the file goes on


def test_a_street_over_two_lines_is_imported_with_the_right_line_numbers(svc, tmp_path) -> None:
    assert "ktp_street" in MULTILINE_COLUMNS
    path = write(
        tmp_path,
        "nik,full_name,email,phone,ktp_village_code,ktp_street\n"
        f'{A_TIGA},A Tiga,a3@example.com,081300000013,3173071001,"Jl. Palmerah Barat\n'
        'No. 17, Blok C"\n'
        f"{A_EMPAT},A Empat,a4@x.id,0812-34,3173071001,Jl. Anggrek\n",
    )
    seen: list[int] = []
    report = import_akl(svc, path, progress=seen.append)
    assert summary(report) == [(4, "phone.invalid", "phone")]
    assert report.created == 1
    with svc.storage.transaction() as tx:
        record = tx.accounts.find(nik=A_TIGA)
    assert record is not None
    address = svc.profile(record.id).ktp_address
    assert address is not None
    assert address.street == "Jl. Palmerah Barat No. 17, Blok C"  # one line, as a street is
    assert sum(seen) == count_lines(path) == 3


def test_a_wrapped_base64_photo_is_imported(svc, tmp_path) -> None:
    wrapped = "\n".join(PNG[i : i + 76] for i in range(0, len(PNG), 76))
    path = write(
        tmp_path,
        "nik,full_name,email,phone,photo\n"
        f'{A_TIGA},A Tiga,a3@example.com,081300000013,"data:image/png;base64,{wrapped}"\n',
    )
    report = import_akl(svc, path)
    assert summary(report) == []
    assert report.created == 1
    with svc.storage.transaction() as tx:
        record = tx.accounts.find(nik=A_TIGA)
    assert record is not None
    photo = svc.profile(record.id).photo
    assert photo is not None
    assert photo.content == base64.b64decode(PNG)


def test_a_street_that_swallows_a_row_is_still_refused(svc, tmp_path) -> None:
    path = write(
        tmp_path,
        "nik,full_name,email,phone,ktp_village_code,ktp_street\n"
        f'{A_TIGA},A Tiga,a3@example.com,081300000013,3173071001,"Jl. Palmerah\n'
        f"{A_EMPAT},A Empat,a4@x.id,081300000014,3173071001,Jl. Anggrek\n",
    )
    report = import_akl(svc, path)
    assert summary(report) == [(2, "bulk.open_quote", "ktp_street")]
    assert count_accounts(svc) == 0


def test_a_crlf_file(svc, tmp_path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\n"
        f'{A_LIMA},A Lima,a5@example.com,081300000015,"Guru\nSD"\n'
        "3173070101900016,A Enam,a6@example.com,0812-34,Staf\n" + TESTERS_FILE.partition("\n")[2],
        newline="\r\n",
    )
    seen: list[int] = []
    report = import_akl(svc, path, progress=seen.append)
    assert summary(report) == [
        (2, "bulk.line_break", "headline"),
        (4, "phone.invalid", "phone"),
        (5, "bulk.open_quote", "headline"),
    ]
    assert "lines 2–3" in report.bad_rows[0].message_en
    assert "lines 5–6" in report.bad_rows[2].message_en
    assert count_accounts(svc) == 0
    assert sum(seen) == count_lines(path) == 5


def test_a_semicolon_file(svc, tmp_path) -> None:
    path = write(
        tmp_path,
        f"{HEADER.replace(',', ';')}\n"
        f'{A_TIGA};A Tiga;a3@example.com;081300000013;"Teknisi\n'
        f"'{A_EMPAT};A Empat;a4@x.id;081300000014;Staf\n"  # the apostrophe Excel keeps text with
        f"{A_LIMA};A Lima;a5@example.com;081300000015;Guru\n",
    )
    report = import_akl(svc, path)
    assert summary(report) == [(2, "bulk.open_quote", "headline")]
    assert "lines 2–4" in report.bad_rows[0].message_en
    assert count_accounts(svc) == 0


def test_a_comma_in_a_semicolon_file_is_not_a_delimiter() -> None:
    # A street's second line with commas and a 16-digit number is a row only with the
    # file's own delimiter.
    cells = ["x", f"Jl. A\n{A_EMPAT},A Empat"]
    assert line_break_refusal(["nik", "ktp_street"], cells, ";", 2, 3) is None
    refusal = line_break_refusal(["nik", "ktp_street"], cells, ",", 2, 3)
    assert refusal is not None
    assert refusal.full_code == "bulk.open_quote"


def test_the_cli_reports_the_refusal_in_json(svc, tmp_path, monkeypatch) -> None:
    typer = pytest.importorskip("typer", reason="the CLI is the 'cli' extra")
    from typer.testing import CliRunner

    from siapkerja_adapters.cli import bulk as bulk_cli
    from siapkerja_adapters.cli import common as cli_common

    monkeypatch.setattr(cli_common, "connect", lambda **_kwargs: svc)
    app = typer.Typer()
    app.add_typer(bulk_cli.bulk_app, name="bulk")
    path = write(tmp_path, TESTERS_FILE)
    result = CliRunner().invoke(app, ["bulk", "import", str(path), "--json"])
    assert result.exit_code == 1  # a bad row
    document = json.loads(result.stdout)
    assert document["created"] == 0
    assert [(row["line"], row["code"]) for row in document["bad_rows"]] == [(2, "bulk.open_quote")]
