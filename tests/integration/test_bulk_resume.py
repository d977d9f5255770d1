"""``siapkerja bulk import`` and ``bulk issue-cards`` killed mid-way and run again.

A real process is killed with SIGKILL once its first batches are committed;
running the same command again must end with the database a clean run
gives: the same accounts (no duplicate, none lost), every account with its
profile (a batch is whole or absent), the same bad rows, and each card
issued once. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy import table as table_clause

from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core import compose_nik, regions

ROWS = 3000
BATCH = 100
SECRET_KEY = "bulk-resume-secret-key-0123456789abcdef"
PHOTO = (  # a 12x16 PNG, as tests/data/akl_sample.csv has it
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAwAAAAQCAIAAACtAwlQAAAAUklEQVR42q3KOw6AIBBA"
    "wYeAH7ywB/MQngkbChJC+OxamEw55rkvXmQuAhhZSYugTnamSW6oT743TGtjlraakPZCTkempgDhSzp/S1ZNHlATQA"
    "Jawh5242IikQAAAABJRU5ErkJggg=="
)
BAD_LINES = {
    # line in the file (header = 1) → the cell that makes it bad, and the code
    10: ("phone", "0812-34", "phone.invalid"),
    500: ("ktp_village_code", "9999999999", "profile.village"),
    1700: ("email", "not an address", "email.syntax"),
}


def write_register(path: Path) -> None:
    """ROWS people with complete-ish profiles, three bad rows and one repeated NIK."""
    districts = sorted(regions.district_codes(include_retired=False))
    village = regions.children("317307")[0].code
    header = [
        "nik", "full_name", "email", "phone", "birth_place", "birth_date", "sex",
        "marital_status", "religion", "ktp_village_code", "ktp_street",
        "domicile_village_code", "domicile_street", "education_level",
        "education_institution", "education_start_year", "skills", "headline", "photo",
    ]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        niks = []
        for k in range(ROWS):
            line = k + 2
            nik = compose_nik(districts[k // 9999], date(1990, 1, 1), "L", k % 9999 + 1)
            niks.append(nik)
            if line == 2500:
                nik = niks[100]  # bulk.duplicate of line 102
            cells = {
                "nik": nik,
                "full_name": f"Peserta Lanjut {k:05d}",
                "email": f"lanjut{k}@example.com",
                "phone": f"0813{k:08d}",
                "birth_place": "Jakarta",
                "birth_date": "1990-01-01",
                "sex": "L",
                "marital_status": "Belum Kawin",
                "religion": "Islam",
                "ktp_village_code": village,
                "ktp_street": f"Jl. Palmerah No. {k}",
                "domicile_village_code": village,
                "domicile_street": f"Jl. Anggrek No. {k}",
                "education_level": "SMK",
                "education_institution": "SMK Negeri 2 Jakarta",
                "education_start_year": "2006",
                "skills": "Las listrik;Perawatan mesin",
                "headline": "Teknisi Mesin",
                "photo": PHOTO,
            }
            if line in BAD_LINES:
                column, value, _ = BAD_LINES[line]
                cells[column] = value
            writer.writerow([cells[column] for column in header])


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The environments of two empty databases: one for a clean run, one for the killed run."""
    base = {
        **os.environ,
        "SIAPKERJA_STORAGE": "sql",
        "SIAPKERJA_SECRET_KEY": SECRET_KEY,
        "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
        "SIAPKERJA_SMS": "memory",
        "SIAPKERJA_DUKCAPIL": "offline",
        "SIAPKERJA_DATABASE_MIGRATE": "true",
        "COLUMNS": "120",
    }
    if request.param == "sqlite":
        yield (
            {**base, "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'clean.sqlite3'}"},
            {**base, "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'killed.sqlite3'}"},
        )
        return
    from siapkerja_adapters.sql import testing

    url = request.getfixturevalue("postgres_url")
    with testing.temporary_schema(url) as clean, testing.temporary_schema(url) as killed:
        yield (
            {**base, "SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_DATABASE_SCHEMA": clean},
            {**base, "SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_DATABASE_SCHEMA": killed},
        )


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "siapkerja_adapters.cli", "bulk", *args]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), env=env, capture_output=True, text=True, timeout=300, check=False
    )


def engine_of(env: dict[str, str]):  # type: ignore[no-untyped-def]
    url = env["SIAPKERJA_DATABASE_URL"]
    schema = env.get("SIAPKERJA_DATABASE_SCHEMA")
    if schema:
        return create_engine(url, connect_args={"options": f"-c search_path={schema}"})
    return create_engine(url)


def count(env: dict[str, str], table: str) -> int:
    engine = engine_of(env)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(table_clause(table))
            return int(conn.execute(query).scalar_one())
    except Exception:
        return 0
    finally:
        engine.dispose()


def state(env: dict[str, str]) -> dict[str, object]:
    """What a run leaves: counts, and every NIK's blind index once."""
    engine = engine_of(env)
    try:
        with engine.connect() as conn:
            scalar = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
            return {
                "accounts": scalar("SELECT count(*) FROM sk_accounts"),
                "distinct_niks": scalar("SELECT count(DISTINCT nik_index) FROM sk_accounts"),
                "profiles": scalar("SELECT count(*) FROM sk_profiles"),
                "without_profile": scalar(
                    "SELECT count(*) FROM sk_accounts a WHERE NOT EXISTS"
                    " (SELECT 1 FROM sk_profiles p WHERE p.account_id = a.id)"
                ),
                "cards": scalar("SELECT count(*) FROM sk_cards"),
                "card_holders": scalar("SELECT count(DISTINCT account_id) FROM sk_cards"),
            }
    finally:
        engine.dispose()


def kill_when(process: subprocess.Popen[str], ready: object, *, timeout: float = 120) -> None:
    """SIGKILL ``process`` as soon as ``ready()`` is true (it must still be running)."""
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, "the command ended before it could be killed"
        assert time.monotonic() < deadline, "no batch committed in time"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def summary(output: str, label: str) -> int:
    """A count of the import's summary table (the line naming ``label``)."""
    line = next(line for line in output.splitlines() if f"/ {label}" in line)
    return int(re.findall(r"\d+", line)[-1])


def bad_rows(report: Path) -> list[tuple[str, str, str]]:
    with report.open(encoding="utf-8", newline="") as handle:
        return [(row["line"], row["code"], row["column"]) for row in csv.DictReader(handle)]


def test_a_killed_import_and_issuance_run_again_end_as_a_clean_run(
    databases: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    clean, killed = databases
    register = tmp_path / "akl.csv"
    write_register(register)
    batch = ["--batch-size", str(BATCH)]

    # The clean run: import, then cards.
    done = run(clean, "import", str(register), "--report", str(tmp_path / "clean.csv"), *batch)
    assert done.returncode == 1, done.stderr  # the bad rows
    expected_bad = bad_rows(tmp_path / "clean.csv")
    assert [(int(line), code) for line, code, _ in expected_bad] == [
        (10, "phone.invalid"),
        (500, "profile.village"),
        (1700, "email.syntax"),
        (2500, "bulk.duplicate"),
    ]
    assert run(clean, "issue-cards", *batch).returncode == 0
    expected = state(clean)
    assert expected["accounts"] == ROWS - 4
    assert expected["cards"] == expected["accounts"]

    # The killed run: SIGKILL once a few batches are in, mid-file.
    process = subprocess.Popen(
        command("import", str(register), *batch),
        env=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    kill_when(process, lambda: count(killed, "sk_accounts") >= 3 * BATCH)
    interrupted = state(killed)
    assert 3 * BATCH <= interrupted["accounts"] < ROWS - 4  # type: ignore[operator]
    assert interrupted["without_profile"] == 0  # a batch is whole or absent
    assert interrupted["accounts"] == interrupted["distinct_niks"]

    again = run(killed, "import", str(register), "--report", str(tmp_path / "again.csv"), *batch)
    assert again.returncode == 1, again.stderr
    assert bad_rows(tmp_path / "again.csv") == expected_bad
    # The rows committed before the kill are found unchanged, the rest created.
    assert summary(again.stdout, "Unchanged") == interrupted["accounts"]
    assert summary(again.stdout, "Created") == ROWS - 4 - interrupted["accounts"]  # type: ignore[operator]
    imported = state(killed)
    assert imported == {**expected, "cards": 0, "card_holders": 0}

    # Cards: killed after the first batches, run again.
    process = subprocess.Popen(
        command("issue-cards", *batch),
        env=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    kill_when(process, lambda: count(killed, "sk_cards") >= 2 * BATCH)
    assert count(killed, "sk_cards") < expected["cards"]  # type: ignore[operator]
    issued = run(killed, "issue-cards", *batch)
    assert issued.returncode == 0, issued.stderr
    assert state(killed) == expected
