"""``siapkerja verifiers …`` through Typer's CliRunner, on a SQLite file kept between commands.

Each command is a separate ``connect()`` (as separate processes would be),
sharing the database, the storage key and the ``secret_key`` through the
environment, so a key printed by ``add`` is checked by a later service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli import app
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_adapters.sql import KeyMaterial

SECRET = "cli-verifiers-secret-key-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": KeyMaterial.generate().to_setting(),
        "SIAPKERJA_SECRET_KEY": SECRET,
        "SIAPKERJA_CONFIG": "",
    }


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, ["verifiers", *args], env=env)


def run_json(env: dict[str, str], *args: str) -> Any:
    result = run(env, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_administrator_is_bootstrapped_from_the_cli_and_its_key_works_later(
    env: dict[str, str],
) -> None:
    made = run_json(
        env, "add", "Kementerian Ketenagakerjaan", "--kind", "ministry", "--scope", "admin"
    )
    assert made["verifier"]["scopes"] == ["admin"]
    assert made["verifier"]["kind"] == "ministry"
    svc = connect(environ=env)
    assert svc.verifiers.administrator(made["api_key"]).id == made["verifier"]["id"]
    [record] = svc.verifiers.audit()
    assert record.actor == cli_actor()
    assert record.actor.startswith("cli:")


def test_the_key_is_printed_once_in_a_panel(env: dict[str, str]) -> None:
    result = run(
        env, "add", "Disnaker Kota Bandung", "--kind", "disnaker", "--scope", "disnaker",
        "--region", "3273", "--contact", "disnaker@bandung.go.id",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skv_" in result.stdout
    assert "shown once" in result.stdout
    [listed] = run_json(env, "list")
    assert listed["region_name"] == "Kota Bandung"
    shown = run(env, "show", listed["id"])
    assert "skv_" not in shown.stdout  # never again
    assert listed["id"] in shown.stdout


def test_the_whole_life_of_an_institution(env: dict[str, str]) -> None:
    made = run_json(env, "add", "BLK Bandung", "--kind", "blk", "--scope", "blk")
    verifier_id, first_key = made["verifier"]["id"], made["api_key"]
    assert run_json(env, "suspend", verifier_id, "--reason", "Kunci bocor")["status"] == "suspended"
    again = run(env, "suspend", verifier_id, "--reason", "lagi")
    assert again.exit_code == 1
    assert "institution.wrong_status" in again.output
    rotated = run_json(env, "rotate-key", verifier_id)
    assert rotated["api_key"] != first_key
    assert rotated["verifier"]["key_rotated_at"] is not None
    assert run_json(env, "resume", verifier_id)["status"] == "active"
    svc = connect(environ=env)
    assert svc.verifier(rotated["api_key"]).id == verifier_id
    with pytest.raises(Exception, match="unknown_verifier"):
        svc.verifier(first_key)
    assert run_json(env, "retire", verifier_id, "--reason", "Ditutup")["status"] == "retired"
    assert [v["id"] for v in run_json(env, "list", "--status", "retired")] == [verifier_id]
    assert run_json(env, "list", "--status", "active") == []
    audit = run_json(env, "audit", "--target", verifier_id)
    assert [a["action"] for a in audit] == [
        "verifier.retire",
        "verifier.resume",
        "verifier.rotate_key",
        "verifier.suspend",
        "verifier.add",
    ]
    assert audit[-2]["reason"] == "Kunci bocor"
    assert rotated["api_key"] not in json.dumps(audit)
    assert run_json(env, "activity", verifier_id) == []
    assert run(env, "audit").exit_code == 0  # the table form


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["add", "X", "--scope", "nothing"], "disclosure.unknown_scope"),
        (["add", "X", "--scope", "blk", "--kind", "hub"], "institution.invalid_kind"),
        (["add", "X", "--scope", "blk", "--region", "9999"], "institution.invalid_region"),
        (["show", "nope"], "institution.unknown"),
        (["suspend", "nope", "--reason", "x"], "institution.unknown"),
        (["list", "--status", "paused"], "institution.invalid_status"),
    ],
)
def test_refusals_print_the_code_and_exit_1(
    env: dict[str, str], args: list[str], code: str
) -> None:
    result = run(env, *args)
    assert result.exit_code == 1
    assert code in result.output
    assert run_json(env, "list") == []


def test_without_a_shared_secret_no_key_is_printed_that_serve_cannot_check(
    env: dict[str, str],
) -> None:
    made = run_json(env, "add", "BLK Bandung", "--scope", "blk")
    unshared: dict[str, str | None] = {**env, "SIAPKERJA_SECRET_KEY": None}
    for args in (["add", "X", "--scope", "blk"], ["rotate-key", made["verifier"]["id"]]):
        result = CliRunner().invoke(app, ["verifiers", *args, "--json"], env=unshared)
        assert result.exit_code == 3
        assert "config.secret_required" in result.output
        assert "SIAPKERJA_SECRET_KEY" in result.output
        assert "--allow-ephemeral-secret" in result.output
        assert "skv_" not in result.output  # no key printed
    # Nothing registered, the old key not replaced.
    assert [v["name"] for v in run_json(env, "list")] == ["BLK Bandung"]
    assert connect(environ=env).verifier(made["api_key"]).id == made["verifier"]["id"]
    # Said on purpose: printed, with the warning that it works in this process only.
    allowed = CliRunner().invoke(
        app,
        ["verifiers", "add", "Y", "--scope", "blk", "--allow-ephemeral-secret", "--json"],
        env=unshared,
    )
    assert allowed.exit_code == 0, allowed.output
    assert "this process only" in allowed.stderr


def test_suspend_without_a_reason_is_a_usage_error(env: dict[str, str]) -> None:
    made = run_json(env, "add", "X", "--scope", "blk")
    assert run(env, "suspend", made["verifier"]["id"]).exit_code == 2
    assert run_json(env, "show", made["verifier"]["id"])["status"] == "active"
