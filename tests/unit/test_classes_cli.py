"""``siapkerja classes …`` and ``siapkerja programmes …`` on a SQLite file.

The holders, the institution and their consents are made in-process on the
same database file the commands open (through ``SIAPKERJA_*`` variables), as
an operator's server would hold them; each command is then run as a person
types it, with ``--json`` for machines and a table or CSV for people, and a
refusal prints its code in both languages and exits 1.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli.root import app
from siapkerja_adapters.demo import FAUZI, GALIH, demo_holder
from siapkerja_adapters.sql.crypto import generate_key_setting

runner = CliRunner()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("classes-cli")
    env = {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{directory / 'siapkerja.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
        "SIAPKERJA_SMS": "memory",
        # Verifier keys are kept as HMACs under this secret: the same in every process.
        "SIAPKERJA_SECRET_KEY": secrets.token_hex(32),
    }
    svc = connect(None, environ=env)
    galih = demo_holder(svc, GALIH)
    fauzi = demo_holder(svc, FAUZI)
    blk, blk_key = svc.register_verifier("BLK Bandung", ["blk"])
    svc.grant_consent(galih.id, blk.id, "pendaftaran pelatihan")
    number = svc.card(galih.id).siapkerja_id
    return {
        "env": env,
        "svc": svc,
        "galih": galih,
        "fauzi": fauzi,
        "blk": blk,
        "key": blk_key,
        "number": number,
        "dir": directory,
    }


def run(setup: dict[str, Any], *args: str) -> Any:
    return runner.invoke(app, list(args), env=setup["env"])


def test_a_class_its_trainee_a_session_and_the_report(setup: dict[str, Any]) -> None:
    blk = setup["key"]
    created = run(
        setup, "classes", "create", "--verifier-key", blk, "--id", "LAS-01", "--name",
        "Teknik Las, angkatan I", "--kind", "uptd", "--vocation", "Las", "--starts",
        "2026-12-01", "--ends", "2027-01-31", "--min-attendance", "75", "--kbji", "7212", "--json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["institution_kind"] == "UPTD"
    listed = run(setup, "classes", "list", "--verifier-key", blk)
    assert listed.exit_code == 0
    assert "LAS-01" in listed.stdout
    assert "7212" in listed.stdout

    enrolled = run(
        setup, "classes", "enrol", "--verifier-key", blk, "LAS-01", setup["number"], "--json"
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert json.loads(enrolled.stdout)["account_id"] == setup["galih"].id

    now = setup["svc"].now()
    session = run(
        setup, "classes", "session", "--verifier-key", blk, "LAS-01", "--id", "LAS-01-S1",
        "--opens", (now - timedelta(hours=1)).isoformat(),
        "--closes", (now + timedelta(hours=2)).isoformat(), "--venue", "Bengkel", "--json",
    )  # fmt: skip
    assert session.exit_code == 0, session.output
    assert json.loads(session.stdout)["class_id"] == "LAS-01"
    svc = setup["svc"]
    _station, key = svc.events.add_station(setup["blk"], "LAS-01-S1", name="Pemindai")
    code = svc.card_qr(setup["galih"].id, mode="access", purpose="LAS-01-S1").token
    svc.check_in(code, event_id="LAS-01-S1", station_key=key)

    as_csv = run(setup, "classes", "report", "--verifier-key", blk, "LAS-01", "--csv")
    assert as_csv.exit_code == 0
    (row,) = list(csv.DictReader(io.StringIO(as_csv.stdout, newline="")))
    assert (row["class_name"], row["attended"], row["held"], row["meets_minimum"]) == (
        "Teknik Las, angkatan I",
        "1",
        "1",
        "true",
    )
    as_json = json.loads(
        run(setup, "classes", "report", "--verifier-key", blk, "LAS-01", "--json").stdout
    )
    assert as_json["summary"]["percent"] == 100.0
    table = run(setup, "classes", "report", "--verifier-key", blk, "LAS-01")
    assert "1 trainees, 1 sessions held, 100.0% attendance, 1 meet the minimum" in table.stdout
    assert "Galih" in table.stdout


def test_refusals_print_the_code_and_exit_1(setup: dict[str, Any]) -> None:
    blk = setup["key"]
    no_consent = run(setup, "classes", "enrol", "--verifier-key", blk, "LAS-01", setup["fauzi"].id)
    assert no_consent.exit_code == 1
    assert "[class.no_consent]" in no_consent.output
    bad = run(
        setup, "classes", "create", "--verifier-key", blk, "--id", "X1", "--name", "X", "--kind",
        "BLK", "--vocation", "X", "--starts", "2027-01-01", "--ends", "2027-01-02",
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "[class.invalid]" in bad.output
    stranger = run(setup, "classes", "list", "--verifier-key", "skv_no-such-key")
    assert stranger.exit_code == 1
    assert "[disclosure.unknown_verifier]" in stranger.output
    _karirhub, karirhub_key = setup["svc"].register_verifier("Karirhub", ["karirhub"])
    not_training = run(setup, "classes", "list", "--verifier-key", karirhub_key)
    assert not_training.exit_code == 1
    assert "[class.not_institution]" in not_training.output
    naive = run(
        setup,
        "classes",
        "session",
        "--verifier-key",
        blk,
        "LAS-01",
        "--id",
        "S",
        "--opens",
        "2027-01-04T08:00",
        "--closes",
        "2027-01-04T10:00",
        "--venue",
        "X",
    )
    assert naive.exit_code == 2


def test_programmes_define_list_and_check(setup: dict[str, Any]) -> None:
    example = run(setup, "programmes", "define", "--example", "prakerja", "--json")
    assert example.exit_code == 0, example.output
    assert json.loads(example.stdout)["exclusion_group"] == "prakerja"

    rules = Path(setup["dir"]) / "muda.toml"
    rules.write_text(
        'id = "muda"\nname = "Muda"\n[[requirements]]\nrule = "age_between"\nmin = 18\nmax = 35\n',
        encoding="utf-8",
    )
    defined = run(
        setup, "programmes", "define", "--file", str(rules), "--owner", setup["blk"].id, "--json"
    )
    assert defined.exit_code == 0, defined.output
    assert setup["svc"].programmes.get("muda").owner_id == setup["blk"].id

    listed = json.loads(run(setup, "programmes", "list", "--json").stdout)
    assert [p["id"] for p in listed] == ["muda", "prakerja"]

    galih = json.loads(
        run(setup, "programmes", "check", "muda", setup["galih"].id, "--json").stdout
    )
    assert galih["eligible"] is True
    fauzi = run(setup, "programmes", "check", "muda", setup["fauzi"].id, "--lang", "en")
    assert fauzi.exit_code == 0
    assert "not eligible" in fauzi.stdout
    assert "Age 58" in fauzi.stdout
    on_day = json.loads(
        run(
            setup,
            "programmes",
            "check",
            "muda",
            setup["galih"].id,
            "--date",
            "2030-03-12",
            "--json",
        ).stdout
    )
    assert on_day["eligible"] is False


def test_programme_definition_refusals(setup: dict[str, Any]) -> None:
    broken = Path(setup["dir"]) / "broken.json"
    broken.write_text('{"id": "x", "name": "X", "requirements": [{"rule": "nope"}]}')
    refused = run(setup, "programmes", "define", "--file", str(broken))
    assert refused.exit_code == 1
    assert "[programme.invalid]" in refused.output
    assert "requirements[0].rule" in refused.output
    missing = run(setup, "programmes", "define", "--file", str(Path(setup["dir"]) / "none.json"))
    assert missing.exit_code == 1
    both = run(setup, "programmes", "define")
    assert both.exit_code == 2
    unknown = run(setup, "programmes", "check", "nope", setup["galih"].id)
    assert unknown.exit_code == 1
    assert "[programme.not_found]" in unknown.output
