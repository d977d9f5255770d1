"""Bulk operations (siapkerja_adapters.bulk and the ``bulk`` CLI) on the memory profile.

The sample register ``tests/data/akl_sample.csv`` holds four good rows —
Siti (line 2), Budi (3, Indonesian labels, DD-MM-YYYY date) and Rudi (11,
after a blank line) with every field and a photo, Dewi (4) without education
or photo — and five bad ones, listed in :data:`BAD`.
"""

from __future__ import annotations

import base64
import csv
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journey_support import Recorder

from siapkerja_adapters import connect
from siapkerja_adapters.bulk import (
    AKL_COLUMNS,
    BadRow,
    BulkDataError,
    ImportReport,
    OfflineRegistryRequired,
    count_accounts,
    count_lines,
    import_akl,
    issue_all_cards,
    load_residents,
)
from siapkerja_adapters.dukcapil_offline import OfflineRegistry, ResidentDataError
from siapkerja_core import compose_nik
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.profile import EducationLevel, MaritalStatus, Religion, Sex
from siapkerja_core.service import Siapkerja

typer = pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from typer.testing import CliRunner  # noqa: E402

from siapkerja_adapters.cli import bulk as bulk_cli  # noqa: E402
from siapkerja_adapters.cli import common as cli_common  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "akl_sample.csv"

SITI = "3173075405980011"
BUDI = "3173070211930012"
DEWI = "3171016301010013"
RUDI = "3273010908900014"
AGUS = "3173070302970015"  # line 7: unknown village code
GOOD = (SITI, BUDI, DEWI, RUDI)
COMPLETE = (SITI, BUDI, RUDI)

BAD = [
    (5, "nik.region", "nik"),
    (6, "phone.invalid", "phone"),
    (7, "profile.village", "ktp_village_code"),
    (8, "bulk.duplicate", "nik"),
    (9, "bulk.empty", "full_name"),
]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def svc(recorder: Recorder) -> Siapkerja:
    return connect("memory", environ={}, plugins=[recorder], hasher=PasswordHasher.fast_for_tests())


def account_id(svc: Siapkerja, nik: str) -> str | None:
    with svc.storage.transaction() as tx:
        record = tx.accounts.find(nik=nik)
    return None if record is None else record.id


def summary(report: ImportReport) -> list[tuple[int, str, str | None]]:
    return [(bad.line, bad.code, bad.column) for bad in report.bad_rows]


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return path


def one_row(tmp_path: Path, **cells: str) -> Path:
    """A register with the full header and one row (Siti's contacts unless given)."""
    values = {"nik": SITI, "full_name": "Siti Rahmawati", "email": "s@example.com"}
    values |= {"phone": "081234500011", **cells}
    return write_csv(
        tmp_path / "one.csv", [list(AKL_COLUMNS), [values.get(c, "") for c in AKL_COLUMNS]]
    )


# --------------------------------------------------------------------------
# import_akl
# --------------------------------------------------------------------------


def test_the_sample_imports_the_good_rows_and_reports_each_bad_row_by_line(svc) -> None:
    seen: list[int] = []
    report = import_akl(svc, SAMPLE, progress=seen.append)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.good == 4
    assert not report.ok
    assert summary(report) == BAD
    assert all(bad.message_id and bad.message_en for bad in report.bad_rows)
    assert "baris 2" in report.bad_rows[3].message_id  # the duplicate names the first line
    assert "line 2" in report.bad_rows[3].message_en
    assert all(account_id(svc, nik) for nik in GOOD)
    assert sum(seen) == count_lines(SAMPLE) == 10  # progress counts every line after the header


def test_a_bad_row_leaves_nothing_behind(svc) -> None:
    import_akl(svc, SAMPLE)
    assert account_id(svc, AGUS) is None  # the village failed before the account was made
    # The duplicate (line 8) did not replace Siti's contacts.
    assert svc.profile(account_id(svc, SITI)).contact.email == "siti.rahmawati@example.com"


def test_rerunning_the_same_file_changes_nothing(svc, recorder) -> None:
    first = import_akl(svc, SAMPLE)
    recorder.events.clear()
    again = import_akl(svc, SAMPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.bad_rows == first.bad_rows
    assert recorder.names() == []  # no account imported, no profile written


def test_a_changed_cell_updates_that_profile_only(svc, tmp_path) -> None:
    import_akl(svc, SAMPLE)
    rows = sample_rows()
    rows[1][AKL_COLUMNS.index("headline")] = "Kepala Akuntansi"
    report = import_akl(svc, write_csv(tmp_path / "changed.csv", rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert svc.profile(account_id(svc, SITI)).biodata.headline == "Kepala Akuntansi"


def test_labels_dates_numbers_and_skills_are_read(svc) -> None:
    import_akl(svc, SAMPLE)
    budi = svc.profile(account_id(svc, BUDI))
    assert budi.biodata.sex is Sex.L  # "Laki-laki"
    assert budi.biodata.marital_status is MaritalStatus.MENIKAH  # "Kawin", as on the KTP
    assert budi.biodata.religion is Religion.KRISTEN
    assert budi.biodata.birth_date == date(1993, 11, 2)  # "02-11-1993"
    assert budi.education[0].level is EducationLevel.SMK  # "Sekolah Menengah Kejuruan (SMK)"
    assert budi.ktp_address is not None
    assert (budi.ktp_address.rt, budi.ktp_address.rw) == ("005", "003")
    assert [s.name for s in budi.skills] == ["Las listrik", "Perawatan mesin"]
    assert budi.contact.phone == "+6281234500012"
    rudi = svc.profile(account_id(svc, RUDI))
    assert rudi.education[0].gpa == 3.1  # "3,10"
    assert rudi.biodata.religion is Religion.BUDDHA
    assert rudi.photo is not None
    assert rudi.photo.media_type == "image/png"
    dewi = svc.profile(account_id(svc, DEWI))
    assert dewi.education == ()
    assert dewi.photo is None
    assert dewi.biodata.sex is Sex.P  # from the NIK: the cell was empty


def test_semicolons_and_a_byte_order_mark_are_accepted(svc, tmp_path) -> None:
    path = write_csv(tmp_path / "excel.csv", sample_rows(), delimiter=";", bom=True)
    report = import_akl(svc, path)
    assert (report.created, summary(report)) == (4, BAD)


def test_an_existing_account_with_other_contacts_is_a_conflict(svc, tmp_path) -> None:
    svc.import_account(
        nik=SITI, full_name="Siti Rahmawati", email="lain@example.com", phone="081299990000"
    )
    report = import_akl(svc, one_row(tmp_path, headline="Staf"))
    assert summary(report) == [(2, "registration.already_registered", "nik")]


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        ({"nik": "3.17308E+15"}, "bulk.nik_number", "nik"),
        ({"email": "bukan-email"}, "email.syntax", "email"),
        ({"religion": "lainnya"}, "bulk.value", "religion"),
        ({"birth_date": "31-02-1998"}, "bulk.value", "birth_date"),
        ({"birth_date": "01-01-2999"}, "profile.invalid_field", "birth_date"),
        ({"education_gpa": "tiga"}, "bulk.value", "education_gpa"),
        ({"education_start_year": "98"}, "bulk.value", "education_start_year"),
        (
            {"education_level": "S1", "education_start_year": "2016"},
            "profile.invalid_field",
            "education_institution",
        ),
        ({"ktp_street": "Jl. Tanpa Desa 1"}, "profile.invalid_field", "ktp_village_code"),
        ({"photo": "data:image/png;base64,!!!"}, "bulk.photo", "photo"),
        ({"photo": "../rahasia.png"}, "bulk.photo", "photo"),
        ({"photo": "tidak-ada.png"}, "bulk.photo", "photo"),
        # A name no profile can hold fails its row, with or without profile cells
        # (it once stopped the whole import inside the batch's write).
        ({"full_name": "Siti\x07 Rahmawati"}, "registration.invalid_name", "full_name"),
        ({"full_name": "Siti \u202eitawamhaR"}, "registration.invalid_name", "full_name"),
        (
            {"full_name": "Siti\x07 Rahmawati", "headline": "Staf"},
            "registration.invalid_name",
            "full_name",
        ),
    ],
)
def test_bad_cells_are_reported_with_their_column(svc, tmp_path, cells, code, column) -> None:
    report = import_akl(svc, one_row(tmp_path, **cells))
    assert summary(report) == [(2, code, column)]
    assert account_id(svc, SITI) is None


def test_a_photo_file_next_to_the_csv_is_read(svc, tmp_path) -> None:
    uri = sample_rows()[1][AKL_COLUMNS.index("photo")]
    (tmp_path / "foto").mkdir()
    (tmp_path / "foto" / "siti.png").write_bytes(base64.b64decode(uri.partition(",")[2]))
    report = import_akl(svc, one_row(tmp_path, photo="foto/siti.png"))
    assert report.created == 1
    assert svc.profile(account_id(svc, SITI)).photo is not None


def test_a_row_with_the_wrong_number_of_cells_is_bad(svc, tmp_path) -> None:
    path = write_csv(tmp_path / "short.csv", [["nik", "full_name", "email", "phone"], [SITI]])
    report = import_akl(svc, path)
    assert summary(report) == [(2, "bulk.columns", None)]


def test_a_quoted_cell_over_two_lines_keeps_the_line_numbers(svc, tmp_path) -> None:
    # A street may be typed over two lines; a headline is one line (a line break there is
    # a quote left open: tests/unit/test_bulk_quote.py), refused with the lines it spans.
    path = tmp_path / "multiline.csv"
    path.write_text(
        "nik,full_name,email,phone,ktp_village_code,ktp_street,headline\n"
        f'{SITI},Siti Rahmawati,s@example.com,081234500011,3173071001,"Jl. Palmerah\nNo. 17",\n'
        f'{DEWI},Dewi Lestari,d@example.com,081234500013,,,"Staf\nAkuntansi"\n'
        f"{BUDI},Budi Santoso,b@example.com,0812-34,,,\n",
        encoding="utf-8",
    )
    seen: list[int] = []
    report = import_akl(svc, path, progress=seen.append)
    assert summary(report) == [(4, "bulk.line_break", "headline"), (6, "phone.invalid", "phone")]
    assert "lines 4–5" in report.bad_rows[0].message_en
    assert report.created == 1
    assert sum(seen) == count_lines(path) == 5


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("nik,full_name,email", "phone"),
        ("nik,full_name,email,phone,agama", "agama"),
        ("nik,full_name,email,phone,nik", "nik"),
        ("", "empty"),
        ("nik,,full_name,email,phone", 'unknown columns: ""'),
    ],
)
def test_a_bad_header_stops_before_any_row(svc, tmp_path, header, problem) -> None:
    path = tmp_path / "header.csv"
    path.write_text(f"{header}\n{SITI},Siti,s@example.com,081234500011\n", encoding="utf-8")
    with pytest.raises(BulkDataError) as raised:
        import_akl(svc, path)
    assert raised.value.full_code == "bulk.header"
    assert problem in raised.value.message_en
    assert count_accounts(svc) == 0


def test_a_spreadsheets_empty_columns_after_the_header_are_passed_over(svc, tmp_path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(
        "nik;full_name;email;phone;headline;;;\n"
        f"{SITI};Siti Rahmawati;s@example.com;081234500011;Staf;;;\n"
        f"{BUDI};Budi Santoso;b@example.com;081234500012;Teknisi\n"  # no trailing cells
        f"{DEWI};Dewi Lestari;d@example.com;081234500013;Kasir;;x;\n",  # a value unnamed
        encoding="utf-8",
    )
    report = import_akl(svc, path)
    assert report.created == 2
    assert summary(report) == [(4, "bulk.columns", None)]
    assert svc.profile(account_id(svc, SITI)).biodata.headline == "Staf"


def test_an_unreadable_file_is_a_typed_error(svc, tmp_path) -> None:
    with pytest.raises(BulkDataError) as missing:
        import_akl(svc, tmp_path / "tidak-ada.csv")
    assert (missing.value.code, "tidak ditemukan" in missing.value.message_id) == ("file", True)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"nik,full_name,email,phone\n" + SITI.encode() + b",J\xf6rg,j@x.id,0812\n")
    with pytest.raises(BulkDataError) as undecodable:
        import_akl(svc, latin)
    assert undecodable.value.code == "file"


def test_rows_before_a_byte_that_is_not_utf8_are_kept_and_its_line_is_named(svc, tmp_path) -> None:
    # A small file is decoded in one chunk: the bad byte once failed it before any row.
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        b"\xef\xbb\xbfnik,full_name,email,phone\n"
        + f"{SITI},Siti Rahmawati,s@example.com,081234500011\n".encode()
        + f"{BUDI},Budi Santoso,b@example.com,081234500012\n".encode()
        + DEWI.encode()
        + b",J\xf6rg Dewi,d@example.com,081234500013\n"
        + f"{RUDI},Rudi Hartono,r@example.com,081234500014\n".encode()
    )
    with pytest.raises(BulkDataError) as undecodable:
        import_akl(svc, latin)  # the default batch: the rows read are flushed first
    assert undecodable.value.code == "file"
    assert "not UTF-8 text at line 4" in undecodable.value.message_en
    assert "bukan teks UTF-8 pada baris 4" in undecodable.value.message_id
    # What became of the rows before it, in the message (no report is returned).
    assert "2 stored or unchanged, 0 refused" in undecodable.value.message_en
    assert "2 disimpan atau tidak berubah, 0 ditolak" in undecodable.value.message_id
    assert [account_id(svc, nik) is not None for nik in (SITI, BUDI, DEWI, RUDI)] == [
        True,
        True,
        False,
        False,
    ]


def test_bad_row_and_report_are_frozen_values() -> None:
    bad = BadRow(3, "bulk.empty", "Kolom nik wajib diisi.", "Column nik is required.", "nik")
    assert bad.message("en") == "Column nik is required."
    report = ImportReport(created=1, updated=0, unchanged=0, bad_rows=[bad])
    assert report.bad_rows == (bad,)
    with pytest.raises(AttributeError):
        report.created = 2  # type: ignore[misc]


# --------------------------------------------------------------------------
# issue_all_cards, counting
# --------------------------------------------------------------------------


def test_cards_are_issued_to_exactly_the_complete_profiles(svc) -> None:
    import_akl(svc, SAMPLE)
    seen: list[int] = []
    report = issue_all_cards(svc, batch_size=2, progress=seen.append)
    assert (report.issued, report.incomplete, report.already_issued) == (3, 1, 0)
    assert sum(seen) == count_accounts(svc) == 4
    assert {svc.card(account_id(svc, nik)).siapkerja_id for nik in COMPLETE}
    dewi = svc.completeness(account_id(svc, DEWI))
    assert not dewi.complete
    assert {"education", "photo"} <= set(dewi.missing_keys)
    again = issue_all_cards(svc)
    assert (again.issued, again.already_issued) == (0, 3)


def test_count_lines_without_a_final_newline(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n3,4")
    assert count_lines(path) == 2
    path.write_bytes(b"")
    assert count_lines(path) == 0


# --------------------------------------------------------------------------
# load_residents
# --------------------------------------------------------------------------

RESIDENT_NIK = compose_nik("317307", date(1988, 4, 5), "L", 901)
RESIDENTS = (
    "nik,full_name,mother_name,birth_place,birth_date,sex,active\n"
    f"{RESIDENT_NIK},Joko Widodo Santoso,Sulastri,Surakarta,1988-04-05,L,true\n"
    f"{compose_nik('317307', date(1990, 6, 7), 'P', 902)},Ani Yudhoyono,Siti,Bogor,07-06-1990,P,\n"
)


def test_residents_load_into_the_offline_registry(svc, tmp_path) -> None:
    path = tmp_path / "residents.csv"
    path.write_text(RESIDENTS, encoding="utf-8")
    seen: list[int] = []
    assert load_residents(svc, path, progress=seen.append) == 2
    assert sum(seen) == 2
    assert isinstance(svc.dukcapil, OfflineRegistry)
    resident = svc.dukcapil.get(RESIDENT_NIK)
    assert resident is not None
    assert resident.full_name == "Joko Widodo Santoso"


def test_a_bad_resident_row_loads_nothing(svc, tmp_path) -> None:
    path = tmp_path / "residents.csv"
    path.write_text(RESIDENTS + "3171011708450001,X,Y,Z,1945-08-17,Q\n", encoding="utf-8")
    before = len(svc.dukcapil)
    with pytest.raises(ResidentDataError) as raised:
        load_residents(svc, path)
    assert (raised.value.code, raised.value.params["line"]) == ("row", 4)
    assert len(svc.dukcapil) == before


def test_only_the_offline_registry_loads_residents(svc, tmp_path) -> None:
    class Remote:
        def verify(self, request: object) -> object:
            raise NotImplementedError

    other = Siapkerja(
        settings=svc.settings,
        plugins=svc.plugins,
        adapters={**svc.adapters, "dukcapil": Remote()},
    )
    with pytest.raises(OfflineRegistryRequired) as raised:
        load_residents(other, tmp_path / "residents.csv")
    assert isinstance(raised.value, ConfigurationError)
    assert raised.value.full_code == "config.offline_only"
    assert "offline" in raised.value.message_id
    assert "only the offline registry loads residents" in raised.value.message_en.lower()


# --------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def cli(svc, monkeypatch):
    """A root Typer app mounting ``bulk_app``; ``connect`` returns the memory service."""
    calls: list[dict[str, object]] = []

    def fake_connect(**kwargs: object) -> Siapkerja:
        calls.append(kwargs)
        return svc

    monkeypatch.setattr(cli_common, "connect", fake_connect)
    app = typer.Typer()
    app.add_typer(bulk_cli.bulk_app, name="bulk")

    def run(*args: str):
        # Wide enough that rich does not wrap the messages in the table.
        result = runner.invoke(app, ["bulk", *args], env={"COLUMNS": "300"})
        return result, ANSI.sub("", result.stdout)

    run.calls = calls  # type: ignore[attr-defined]
    return run


def counts(stdout: str) -> dict[str, int]:
    """The summary table's rows as {English label: count}."""
    found = re.findall(r"│ [^│]*/ ([A-Za-z ]+?)\s*│\s*(\d+) │", stdout)
    return {label: int(count) for label, count in found}


def test_cli_import_prints_the_summary_and_writes_the_report(cli, tmp_path) -> None:
    report_path = tmp_path / "bad.csv"
    result, out = cli("import", str(SAMPLE), "--report", str(report_path))
    assert result.exit_code == 1  # bad rows
    assert counts(out) == {"Created": 4, "Updated": 0, "Unchanged": 0, "Bad rows": 5}
    assert "bulk.duplicate" in out
    assert "Kolom full_name wajib diisi." in out  # both languages
    assert "Column full_name is required." in out
    with report_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["line"]), r["code"], r["column"]) for r in rows] == BAD
    assert rows[4]["message_en"] == "Column full_name is required."
    assert "memory" in result.stderr  # the storage will not outlive the command

    again, out = cli("import", str(SAMPLE))
    assert again.exit_code == 1
    assert counts(out) == {"Created": 0, "Updated": 0, "Unchanged": 4, "Bad rows": 5}


def test_cli_import_of_a_clean_file_exits_0_with_an_empty_report(cli, tmp_path) -> None:
    rows = [row for n, row in enumerate(sample_rows(), start=1) if n not in {5, 6, 7, 8, 9}]
    path = write_csv(tmp_path / "clean.csv", rows)
    report_path = tmp_path / "bad.csv"
    result, out = cli("import", str(path), "--report", str(report_path), "--config", "x.toml")
    assert result.exit_code == 0, result.output
    assert counts(out)["Created"] == 4
    assert report_path.read_text(encoding="utf-8").splitlines() == [
        "line,code,column,message_id,message_en"
    ]
    assert cli.calls == [{"config": Path("x.toml")}]


def test_cli_import_of_a_missing_file_fails_bilingually(cli, tmp_path) -> None:
    result, _ = cli("import", str(tmp_path / "tidak-ada.csv"))
    assert result.exit_code == 1
    assert "[bulk.file]" in result.stderr
    assert "tidak ditemukan" in result.stderr
    assert "no such file" in result.stderr


def test_cli_issue_cards(cli) -> None:
    cli("import", str(SAMPLE))
    result, out = cli("issue-cards", "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert counts(out) == {"Issued": 3, "Incomplete profiles": 1, "Already issued": 0}
    _, out = cli("issue-cards")
    assert counts(out) == {"Issued": 0, "Incomplete profiles": 1, "Already issued": 3}


def test_cli_residents(cli, svc, tmp_path) -> None:
    path = tmp_path / "residents.csv"
    path.write_text(RESIDENTS, encoding="utf-8")
    result, out = cli("residents", str(path))
    assert result.exit_code == 0, result.output
    assert "2 residents loaded" in out
    assert svc.dukcapil.get(RESIDENT_NIK) is not None
    path.write_text("nik,name\n", encoding="utf-8")
    bad, _ = cli("residents", str(path))
    assert bad.exit_code == 1
    assert "[dukcapil_data.header]" in bad.stderr
    assert "Baris pertama" in bad.stderr
    assert "The first line" in bad.stderr


def test_cli_reports_a_configuration_error(monkeypatch) -> None:
    def broken(**_: object) -> Siapkerja:
        raise ConfigurationError("invalid", name="storage", reason="test")

    monkeypatch.setattr(cli_common, "connect", broken)
    app = typer.Typer()
    app.add_typer(bulk_cli.bulk_app, name="bulk")
    result = runner.invoke(app, ["bulk", "issue-cards"])
    assert result.exit_code == 3
    assert "[config.invalid]" in result.stderr


def test_cli_import_interrupted_says_what_is_stored_and_resumes(cli, monkeypatch, tmp_path) -> None:
    """Ctrl-C after the first batch: exit 130, and what was stored is said (``--json``:
    one object on standard output) — an interrupted ``--json`` import printed nothing (a
    stranger's finding). The same command then finds those rows unchanged."""
    import json

    real = bulk_cli.import_akl

    def stopped_after_a_batch(svc, file, *, progress, **kwargs):
        def then_interrupt(n: int) -> None:
            progress(n)
            raise KeyboardInterrupt

        return real(svc, file, progress=then_interrupt, **{**kwargs, "batch_size": 3})

    monkeypatch.setattr(bulk_cli, "import_akl", stopped_after_a_batch)
    result, out = cli("import", str(SAMPLE), "--json")
    assert result.exit_code == 130
    document = json.loads(out)
    assert document["interrupted"] is True
    assert document["lines_done"] == 3
    assert "run the same command again to go on" in result.stderr
    assert "jalankan perintah yang sama" in result.stderr
    monkeypatch.setattr(bulk_cli, "import_akl", real)
    _, out = cli("import", str(SAMPLE))
    assert counts(out)["Unchanged"] == 3  # the committed batch: the first three rows, good


@pytest.mark.parametrize(("command", "unit"), [("import", "lines"), ("issue-cards", "accounts")])
def test_cli_interrupted_while_opening_the_storage_says_so(monkeypatch, command, unit) -> None:
    """Ctrl-C before anything is stored (the storage still opening) is reported as such:
    an outside tester's early Ctrl-C got exit 130 and no word, ``--json`` or not."""
    import json

    def interrupted(*_: object, **__: object) -> Siapkerja:
        raise KeyboardInterrupt

    monkeypatch.setattr(bulk_cli, "open_service", interrupted)
    app = typer.Typer()
    app.add_typer(bulk_cli.bulk_app, name="bulk")
    arguments = ["bulk", command, *([str(SAMPLE)] if command == "import" else []), "--json"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 130
    assert json.loads(result.stdout) == {"interrupted": True, f"{unit}_done": 0}
    assert f"at least the first 0 {unit}" in result.stderr


_LINE_CHARACTERS = ["a", ",", "é", "✓", "\ufeff", "\udc80", "\udcf6", "\udcff", "\udc7f"]
"""ASCII, other text, a byte-order mark, what ``surrogateescape`` makes of a byte that is
not UTF-8, a neighbour."""


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=st.sampled_from(_LINE_CHARACTERS))))
def test_a_line_is_refused_exactly_when_it_holds_an_undecoded_byte(lines: list[str]) -> None:
    # The usual ASCII line skips the pattern: the same lines must pass and the same fail.
    from siapkerja_adapters.bulk.akl_import import _UNDECODED, NotUtf8Line, _utf8_lines

    first_bad = next(
        (number for number, line in enumerate(lines, 1) if _UNDECODED.search(line)), None
    )
    passed: list[str] = []
    given_out = [line.lstrip("\ufeff") for line in lines]  # a byte-order mark is never data
    if first_bad is None:
        passed.extend(_utf8_lines(lines))
        assert passed == given_out
        return
    with pytest.raises(NotUtf8Line) as refused:
        passed.extend(_utf8_lines(lines))
    assert refused.value.line == first_bad
    assert passed == given_out[: first_bad - 1]  # the lines before it were given out


def test_a_skill_listed_twice_in_another_case_or_width_is_kept_once(svc, tmp_path) -> None:
    # A register's "PHP;ＰＨＰ" names one skill: the row is imported with the first
    # spelling, as the /profil form keeps it, not refused as a duplicate.
    rows = sample_rows()
    row = next(r for r in rows[1:] if r[AKL_COLUMNS.index("nik")] == BUDI)
    twice = "Las listrik; ＬＡＳ　ＬＩＳＴＲＩＫ ;Perawatan mesin;las  listrik"
    row[AKL_COLUMNS.index("skills")] = twice
    report = import_akl(svc, write_csv(tmp_path / "twice.csv", rows))
    assert rows.index(row) + 1 not in [bad.line for bad in report.bad_rows]
    budi = svc.profile(account_id(svc, BUDI))
    assert [s.name for s in budi.skills] == ["Las listrik", "Perawatan mesin"]


def test_byte_order_marks_saved_twice_or_at_a_joined_files_line_are_not_data(svc, tmp_path) -> None:
    # A file saved twice by a spreadsheet (two marks before "nik") and two files joined
    # (a mark before a row's NIK): both import as if the marks were not there.
    rows = sample_rows()
    path = write_csv(tmp_path / "marks.csv", rows)
    text = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    text[0] = "\ufeff\ufeff" + text[0]
    text[3] = "\ufeff" + text[3]
    path.write_text("".join(text), encoding="utf-8")
    marked = import_akl(svc, path)
    assert marked.created > 0
    plain = import_akl(svc, write_csv(tmp_path / "plain.csv", rows))  # the same file, no marks
    assert plain.bad_rows == marked.bad_rows
    assert (plain.created, plain.updated, plain.unchanged) == (0, 0, marked.created)
