"""Tests of the ``siapkerja`` command line (siapkerja_adapters.cli)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from typer.testing import CliRunner

from siapkerja_adapters.cli import app
from siapkerja_core import compose_nik, regions

SRC = Path(__file__).resolve().parents[2] / "src"

GAMBIR = "3171011708450001"  # 317101 Gambir, a man born 17-08-1945, serial 0001
GAMBIR_LINE = (
    f"{GAMBIR} OK  L 1945-08-17  "
    "Daerah Khusus Ibukota Jakarta / Kota Administrasi Jakarta Pusat / Gambir"
)
UNKNOWN_REGION = "9999991708450001"
REGION_ID = (
    "Kode wilayah NIK (angka ke-1 sampai ke-6) tidak terdaftar di Kemendagri."
    " Periksa kembali NIK pada KTP Anda."
)
REGION_EN = (
    "The NIK's region code (digits 1-6) is not a Kemendagri district code."
    " Check the NIK on your KTP."
)

VALID_KEYS = {
    "input",
    "valid",
    "nik",
    "province_code",
    "regency_code",
    "district_code",
    "province",
    "regency",
    "district",
    "region_retired",
    "region_known",
    "birth_date",
    "sex",
    "serial",
    "warnings",
}

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def plain(text: str) -> str:
    """Help text without colours, box drawing or line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", ANSI.sub("", text)).split())


def lines(text: str) -> list[str]:
    return text.splitlines()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def retired_district() -> regions.Region:
    for code in sorted(regions.district_codes()):
        found = regions.lookup(code)
        if found is not None and found.retired:
            return found
    pytest.fail("the packaged region data has no retired district")


# --------------------------------------------------------------------------
# Text output and exit codes
# --------------------------------------------------------------------------


def test_valid_nik_prints_ok_line_and_exits_0():
    result = run("nik", "check", GAMBIR)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [GAMBIR_LINE]


def test_woman_has_sex_p():
    nik = compose_nik("317101", date(1990, 2, 3), "P", 42)
    result = run("nik", "check", nik)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{nik} OK  P 1990-02-03  ")


def test_invalid_nik_prints_both_languages_and_exits_1():
    result = run("nik", "check", UNKNOWN_REGION)
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        f"{UNKNOWN_REGION} INVALID nik.region  {REGION_ID} / {REGION_EN}"
    ]


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("31710117084500AB", "nik.format"),
        ("317101170845000", "nik.length"),
        ("3171013202450001", "nik.birth_date"),  # 32 February
        ("3171012902230001", "nik.birth_date"),  # 29 February 2023 (nor 1923)
        ("3171011708450000", "nik.serial"),
    ],
)
def test_every_kind_of_invalid_nik(nik: str, code: str):
    result = run("nik", "check", nik)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{nik} INVALID {code}  ")


def test_one_invalid_among_many_exits_1_and_keeps_order():
    result = run("nik", "check", GAMBIR, UNKNOWN_REGION, GAMBIR)
    assert result.exit_code == 1
    out = lines(result.stdout)
    assert [line.split()[1] for line in out] == ["OK", "INVALID", "OK"]
    assert out[0] == out[2] == GAMBIR_LINE


def test_input_is_echoed_as_typed_in_full():
    typed = "3171 0117-0845.0001"
    result = run("nik", "check", typed)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{typed} OK  L 1945-08-17  ")
    assert "*" not in result.stdout  # not masked: the user typed it


def test_retired_district_is_marked(retired_district: regions.Region):
    nik = compose_nik(retired_district.code, date(1980, 1, 1), "L", 1)
    result = run("nik", "check", nik)
    assert result.exit_code == 0, result.output
    line = result.stdout.rstrip("\n")
    assert line.endswith(f"/ {retired_district.name} [retired]")


# --------------------------------------------------------------------------
# --json
# --------------------------------------------------------------------------


def test_json_valid_record():
    result = run("nik", "check", "--json", GAMBIR)
    assert result.exit_code == 0
    [record] = json_lines(result.stdout)
    assert set(record) == VALID_KEYS
    assert record == {
        "input": GAMBIR,
        "valid": True,
        "nik": GAMBIR,
        "province_code": "31",
        "regency_code": "3171",
        "district_code": "317101",
        "province": "Daerah Khusus Ibukota Jakarta",
        "regency": "Kota Administrasi Jakarta Pusat",
        "district": "Gambir",
        "region_retired": False,
        "region_known": True,
        "birth_date": "1945-08-17",
        "sex": "L",
        "serial": "0001",
        "warnings": [],
    }


def test_json_invalid_record():
    result = run("nik", "check", "--json", UNKNOWN_REGION)
    assert result.exit_code == 1
    assert json_lines(result.stdout) == [
        {
            "input": UNKNOWN_REGION,
            "valid": False,
            "error": {"code": "nik.region", "message_id": REGION_ID, "message_en": REGION_EN},
        }
    ]


def test_json_is_one_object_per_line_normalised_nik():
    typed = "3171.0117.0845.0001"
    result = run("nik", "check", "--json", typed, "12", GAMBIR)
    assert result.exit_code == 1
    records = json_lines(result.stdout)
    assert [r["valid"] for r in records] == [True, False, True]
    assert records[0]["input"] == typed
    assert records[0]["nik"] == GAMBIR
    assert records[1]["error"]["code"] == "nik.length"  # type: ignore[index]
    message = records[1]["error"]["message_en"]  # type: ignore[index]
    assert message.startswith("A NIK has 16 digits; 2 were entered.")


def test_json_retired(retired_district: regions.Region):
    nik = compose_nik(retired_district.code, date(1980, 1, 1), "P", 1)
    [record] = json_lines(run("nik", "check", "--json", nik).stdout)
    assert record["region_retired"] is True
    assert record["district"] == retired_district.name
    assert record["sex"] == "P"


# --------------------------------------------------------------------------
# stdin
# --------------------------------------------------------------------------


def test_stdin_dash_reads_one_nik_per_line_skipping_blanks():
    data = f"\n{GAMBIR}\n\n   {UNKNOWN_REGION}  \r\n\n"
    result = run("nik", "check", "-", input=data)
    assert result.exit_code == 1
    out = lines(result.stdout)
    assert len(out) == 2
    assert out[0] == GAMBIR_LINE
    assert out[1].startswith(f"{UNKNOWN_REGION} INVALID nik.region")


def test_stdin_mixes_with_arguments_in_order():
    woman = compose_nik("317101", date(2001, 5, 6), "P", 7)
    result = run("nik", "check", "--json", woman, "-", GAMBIR, input=f"{GAMBIR}\n{woman}\n")
    assert result.exit_code == 0
    assert [r["input"] for r in json_lines(result.stdout)] == [woman, GAMBIR, woman, GAMBIR]


def test_stdin_all_valid_exits_0_and_byte_order_mark_is_ignored():
    result = run("nik", "check", "-", input=f"\ufeff{GAMBIR}\n{GAMBIR}\n")
    assert result.exit_code == 0
    assert lines(result.stdout) == [GAMBIR_LINE, GAMBIR_LINE]


def test_empty_stdin_is_a_usage_error():
    result = run("nik", "check", "-", input="\n\n")
    assert result.exit_code == 2
    assert "No NIK to check" in plain(result.output)
    assert result.stdout.count("OK") == 0


# --------------------------------------------------------------------------
# --lenient, --today, --lang
# --------------------------------------------------------------------------


def test_lenient_accepts_unknown_region_with_warning():
    assert run("nik", "check", UNKNOWN_REGION).exit_code == 1
    result = run("nik", "check", "--lenient", "--lang", "en", UNKNOWN_REGION)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{UNKNOWN_REGION} OK  L 1945-08-17  ? / ? / ?  ! ")
    assert "accepted without a region check" in result.stdout


def test_lenient_json_has_region_unknown_warning():
    result = run("nik", "check", "--lenient", "--json", UNKNOWN_REGION)
    assert result.exit_code == 0
    [record] = json_lines(result.stdout)
    assert record["valid"] is True
    assert record["region_known"] is False
    assert record["province"] is None
    assert [w["code"] for w in record["warnings"]] == ["region_unknown"]  # type: ignore[attr-defined]


def test_lenient_still_rejects_other_faults():
    result = run("nik", "check", "--lenient", "9999993202450001")
    assert result.exit_code == 1
    assert "INVALID nik.birth_date" in result.stdout


def test_today_sets_the_century():
    nik = compose_nik("317101", date(2020, 3, 1), "L", 1)
    [now] = json_lines(run("nik", "check", "--json", nik).stdout)
    assert now["birth_date"] == "2020-03-01"
    result = run("nik", "check", "--json", "--today", "2019-12-31", nik)
    assert result.exit_code == 0
    [then] = json_lines(result.stdout)
    assert then["birth_date"] == "1920-03-01"


def test_today_decides_29_february():
    nik = "3171012902000001"  # 29-02-00: 2000 was a leap year, 1900 was not
    assert run("nik", "check", "--today", "2001-01-01", nik).exit_code == 0
    result = run("nik", "check", "--today", "1999-12-31", nik)
    assert result.exit_code == 1
    assert "INVALID nik.birth_date" in result.stdout


@pytest.mark.parametrize("bad", ["2020-13-01", "yesterday", "17-08-1945"])
def test_bad_today_is_a_usage_error(bad: str):
    result = run("nik", "check", "--today", bad, GAMBIR)
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in plain(result.output)
    assert result.stdout.count(GAMBIR) == 0


def test_lang_en_and_id_pick_one_language(retired_district: regions.Region):
    retired = compose_nik(retired_district.code, date(1980, 1, 1), "L", 1)
    english = run("nik", "check", "--lang", "en", UNKNOWN_REGION, retired)
    assert english.exit_code == 1
    assert lines(english.stdout)[0] == f"{UNKNOWN_REGION} INVALID nik.region  {REGION_EN}"
    assert lines(english.stdout)[1].endswith("[retired]")
    indonesian = run("nik", "check", "--lang", "id", UNKNOWN_REGION, retired)
    assert lines(indonesian.stdout)[0] == f"{UNKNOWN_REGION} INVALID nik.region  {REGION_ID}"
    assert lines(indonesian.stdout)[1].endswith("[kode lama]")


def test_lang_does_not_change_json():
    english = run("nik", "check", "--json", "--lang", "en", UNKNOWN_REGION).stdout
    assert english == run("nik", "check", "--json", UNKNOWN_REGION).stdout


def test_bad_lang_is_a_usage_error():
    assert run("nik", "check", "--lang", "fr", GAMBIR).exit_code == 2


def test_missing_nik_is_a_usage_error():
    result = run("nik", "check")
    assert result.exit_code == 2
    assert "Missing argument" in plain(result.output)


# --------------------------------------------------------------------------
# Help and version
# --------------------------------------------------------------------------


def test_root_help():
    result = run("--help")
    assert result.exit_code == 0
    text = plain(result.output)
    assert "Usage: siapkerja" in text
    assert "nik" in text
    assert "Work with NIKs" in text


def test_nik_check_help():
    result = run("nik", "check", "--help")
    assert result.exit_code == 0
    text = plain(result.output)
    assert "Check NIKs: validity, region, sex and birth date." in text
    for option in ("--json", "--lenient", "--today", "--lang", "standard input"):
        assert option in text


def test_short_help_option():
    assert run("nik", "check", "-h").exit_code == 0


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("siapkerja ")


# --------------------------------------------------------------------------
# The real console script, in a subprocess
# --------------------------------------------------------------------------


def python(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run our own interpreter with ``PYTHONPATH=src`` (prepended to any already set)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )


def test_console_script_in_a_subprocess():
    done = python("-m", "siapkerja_adapters.cli", "nik", "check", GAMBIR, "-", input=UNKNOWN_REGION)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        GAMBIR_LINE,
        f"{UNKNOWN_REGION} INVALID nik.region  {REGION_ID} / {REGION_EN}",
    ]
    assert python("-m", "siapkerja_adapters.cli", "nik", "check", GAMBIR).returncode == 0
    usage = python("-m", "siapkerja_adapters.cli", "nik", "check", "--lang", "fr", GAMBIR)
    assert usage.returncode == 2
    assert "siapkerja nik check" in usage.stderr  # the program name, not "cli.py"


def test_main_without_the_cli_extra_prints_how_to_install():
    # sys.modules[name] = None makes "import typer" fail as if it were not installed.
    done = python(
        "-c",
        "import sys; sys.modules['typer'] = None\n"
        "from siapkerja_adapters.cli import main\n"
        "main()\n",
    )
    assert done.returncode == 3  # a missing extra (docs/cli.md, exit codes)
    assert "Traceback" not in done.stderr
    assert "pip install 'siapkerja[cli]'" in done.stderr
    assert "Pasang dengan" in done.stderr
    assert "Install it with" in done.stderr
