"""``siapkerja bulk import`` whose PostgreSQL connection is killed (``pg_terminate_backend``)
once batches are committed: the typed ``storage.unavailable`` (exit code 4) must say that
the first lines are stored and that the same command goes on — it said "nothing was saved"
while 38,000 rows were (an outside tester's finding) — and the same command then finds
those rows unchanged. And one stopped by SIGTERM, which ended silently: it says the same,
exit code 143.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core import compose_nik, regions

ROWS = 20000
BATCH = 100


def write_register(path: Path) -> None:
    districts = sorted(regions.district_codes(include_retired=False))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["nik", "full_name", "email", "phone"])
        for k in range(ROWS):
            nik = compose_nik(districts[k // 9999], date(1991, 2, 3), "P", k % 9999 + 1)
            name, email = f"Peserta Putus {k:05d}", f"putus{k}@example.com"
            writer.writerow([nik, name, email, f"0813{k:08d}"])


def import_command(register: Path, url: str, **settings: str) -> tuple[list[str], dict[str, str]]:
    """``siapkerja bulk import REGISTER --json`` on ``url`` in a child process, and its
    environment (``settings`` added as ``SIAPKERJA_*`` variables)."""
    env = {
        **os.environ,
        "SIAPKERJA_STORAGE": "sql",
        "SIAPKERJA_SECRET_KEY": "bulkcli-storage-lost-secret-0123456789ab",
        "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
        "SIAPKERJA_SMS": "memory",
        "SIAPKERJA_DATABASE_MIGRATE": "true",
        "SIAPKERJA_DATABASE_URL": url,
        **{f"SIAPKERJA_{name.upper()}": value for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "siapkerja_adapters.cli", "bulk", "import"]
    return [*command, str(register), "--batch-size", str(BATCH), "--json"], env


def test_a_killed_connection_mid_import_says_what_is_stored(postgres_url, tmp_path) -> None:
    from siapkerja_adapters.sql import testing

    register = tmp_path / "akl.csv"
    write_register(register)
    app = f"bulkcli_{secrets.token_hex(4)}"  # only this command's connections are killed
    with testing.temporary_schema(postgres_url, prefix="bulkcli_") as schema:
        # The application name is seen in pg_stat_activity.
        command, env = import_command(
            register, postgres_url, database_schema=schema, application_name=app
        )
        admin = create_engine(postgres_url)
        try:
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )

            def accounts() -> int:
                with admin.connect() as conn:
                    try:
                        sql = f'SELECT count(*) FROM "{schema}".sk_accounts'  # noqa: S608 - ours
                        return int(conn.execute(text(sql)).scalar_one())
                    except Exception:  # the tables not made yet
                        return 0

            deadline = time.monotonic() + 120
            while accounts() < 3 * BATCH:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.02)
            # Killed again and again until the command ends: a new connection the pool
            # opens (its pre-ping) would otherwise let the import go on.
            while process.poll() is None:
                with admin.begin() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE application_name = :app"
                        ),
                        {"app": app},
                    )
                time.sleep(0.01)
            out, err = process.communicate(timeout=60)
            stored = accounts()
        finally:
            admin.dispose()
        assert process.returncode == 4, (out, err)
        document = json.loads(out)
        assert document["error"]["code"] == "storage.unavailable"
        # A lower bound: the batches whose commit was counted, every line a good row.
        assert 0 < document["lines_done"] <= stored < ROWS
        assert f"at least the first {document['lines_done']} lines" in err
        assert "run the same command again to go on" in err

        again = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert again.returncode == 0, again.stderr
        summary = json.loads(again.stdout)
        assert summary["unchanged"] == stored
        assert summary["created"] == ROWS - stored


def test_sigterm_mid_import_says_what_is_stored_and_exits_143(tmp_path) -> None:
    """SIGTERM (a supervisor stopping the job) ends the import as Ctrl-C does: it ended
    silently (an outside tester's finding)."""
    import signal
    import sqlite3

    register = tmp_path / "akl.csv"
    write_register(register)
    database = tmp_path / "bulk.sqlite3"
    command, env = import_command(register, f"sqlite:///{database}")

    def accounts() -> int:
        try:
            with sqlite3.connect(database, timeout=5) as conn:
                return int(conn.execute("SELECT count(*) FROM sk_accounts").fetchone()[0])
        except sqlite3.Error:  # not made yet
            return 0

    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while accounts() < 3 * BATCH:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, (out, err)
    document = json.loads(out)
    assert document["interrupted"] is True
    assert 0 < document["lines_done"] <= accounts() < ROWS
    assert "run the same command again to go on" in err
