"""``siapkerja events …`` on a SQLite file, as an organiser would run it.

The organiser's verifier key comes from ``$SIAPKERJA_VERIFIER_KEY``; a gate's
API key is printed once; ``sync`` refuses an export whose signature does not
hold and merges one that does.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siapkerja_adapters.cli.root import app
from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import demo_holder
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core.gates import SignedExport, StationKeyPair
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.station import OfflineStation

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Siapkerja, str]:
    settings = {
        "storage": "sql",
        "database_url": f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        "storage_key": generate_key_setting(),
        "secret_key": "cli-events-secret-key-0123456789abcdef",
        "sms": "memory",
        "dukcapil": "offline",
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"SIAPKERJA_{name.upper()}", value)
    svc = connect(hasher=PasswordHasher.fast_for_tests())
    _organiser, key = svc.register_verifier("Disnaker DKI", ["disnaker"])
    monkeypatch.setenv("SIAPKERJA_VERIFIER_KEY", key)
    return svc, key


def run(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["events", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_an_organiser_runs_an_event_from_the_command_line(
    setup: tuple[Siapkerja, str], tmp_path: Path
) -> None:
    svc, _key = setup
    now = svc.now()
    created = run(
        "create",
        "JF-CLI",
        "--name",
        "Job Fair CLI",
        "--venue",
        "Balai Kota",
        "--region",
        "31",
        "--capacity",
        "50",
        "--opens",
        (now - timedelta(hours=1)).isoformat(),
        "--closes",
        (now + timedelta(hours=5)).isoformat(),
    )
    assert created["status"] == "scheduled"
    assert [e["id"] for e in run("list")["items"]] == ["JF-CLI"]  # type: ignore[index]
    added = run("stations", "add", "JF-CLI", "--name", "Pintu A", "--id", "pintu-a")
    assert str(added["api_key"]).startswith("sks_")
    keys = StationKeyPair.from_private(str(run("stations", "keygen")["private_key"]))
    signing = run(
        "stations", "add", "JF-CLI", "--name", "Pintu B", "--id", "pintu-b",
        "--public-key", keys.public_key,
    )  # fmt: skip
    assert signing["api_key"] is None
    listed = run("stations", "list", "JF-CLI")["items"]
    assert [s["id"] for s in listed] == ["pintu-a", "pintu-b"]  # type: ignore[index]

    galih = demo_holder(svc)
    gate = OfflineStation(svc.station_keyring(), "JF-CLI", "pintu-b", svc.now, signing_key=keys)
    gate.scan(svc.card_qr(galih.id, mode="access", purpose="JF-CLI").token)
    export = gate.signed_export()
    forged = tmp_path / "forged.jsonl"
    forged.write_text(
        SignedExport(export.event_id, export.station_id, export.body, "").to_text(), "utf-8"
    )
    refused = runner.invoke(app, ["events", "sync", str(forged)])
    assert refused.exit_code == 1
    assert "gate.bad_station_signature" in refused.output
    good = tmp_path / "pintu-b.jsonl"
    good.write_text(export.to_text(), "utf-8")
    assert run("sync", str(good))["added"] == 1
    counts = run("counts", "JF-CLI")
    assert counts == {
        "event_id": "JF-CLI",
        "inside": 1,
        "capacity": 50,
        "remaining": 49,
        "per_station": {"pintu-b": 1},
        "double_entries": 0,
    }
    assert run("stations", "retire", "JF-CLI", "pintu-a")["status"] == "retired"
    assert run("cancel", "JF-CLI")["status"] == "cancelled"
    shown = run("show", "JF-CLI")
    assert shown["status"] == "cancelled"
    assert len(shown["stations"]) == 2  # type: ignore[arg-type]
    text = runner.invoke(app, ["events", "counts", "JF-CLI"])
    assert text.exit_code == 0
    assert "pintu-b" in text.stdout


def test_a_wrong_verifier_key_is_refused(
    setup: tuple[Siapkerja, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIAPKERJA_VERIFIER_KEY", "skv_wrong")
    result = runner.invoke(app, ["events", "list"])
    assert result.exit_code == 1
    assert "disclosure.unknown_verifier" in result.output


def test_a_gate_key_is_not_printed_without_a_shared_secret(
    setup: tuple[Siapkerja, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _key = setup
    now = svc.now()
    svc.events.create_event(
        svc.verifier(_key),
        id="JF-NOSECRET",
        name="Job Fair",
        kind="job_fair",
        venue="Balai Kota",
        opens_at=now,
        closes_at=now + timedelta(hours=2),
    )
    monkeypatch.delenv("SIAPKERJA_SECRET_KEY")
    result = runner.invoke(app, ["events", "stations", "add", "JF-NOSECRET", "--name", "Pintu A"])
    assert result.exit_code == 3
    assert "config.secret_required" in result.output
    assert "sks_" not in result.output
    assert svc.events.stations(svc.verifier(_key), "JF-NOSECRET") == []


def test_the_tables_cut_no_id_nor_status_at_80_columns_and_speak_the_events_zone(
    setup: tuple[Siapkerja, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, key = setup
    now = svc.now()
    monkeypatch.setenv("COLUMNS", "80")
    event = svc.events.create_event(
        svc.verifier(key),
        id="JOBFAIR-JKT-2026",
        name="Job Fair Jakarta 2026 — Bursa Kerja Nasional",
        kind="training_opening",
        venue="JIExpo Kemayoran",
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=3),
        region_code="31",
    )
    listed = runner.invoke(app, ["events", "list"])
    assert listed.exit_code == 0, listed.output
    assert "JOBFAIR-JKT-2026" in listed.output
    assert "scheduled" in listed.output
    assert "…" not in listed.output
    added = runner.invoke(
        app, ["events", "stations", "add", event.id, "--name", "Pintu A", "--id", "pintu-a"]
    )
    assert added.exit_code == 0, added.output
    assert "UTC" not in added.output
    assert "WIB" in added.output
    shown = runner.invoke(app, ["events", "show", event.id])
    assert "UTC" not in shown.output
    assert "JOBFAIR-JKT-2026" in shown.output
    assert max(len(line) for line in shown.output.splitlines()) <= 80
