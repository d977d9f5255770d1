"""``siapkerja factors list|reset`` through Typer's CliRunner, on a SQLite file.

An officer removes a holder's factors after an in-person check: the holder is
named by NIK (or e-mail, phone, id), the removal is an audit line with the
reason and the ``cli:<user>`` actor, ``--json`` prints what was removed (no
secret), and an unknown account exits 1 with ``factor.not_found``.
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
from support import people

SECRET = "cli-factors-secret-key-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": KeyMaterial.generate().to_setting(),
        "SIAPKERJA_SECRET_KEY": SECRET,
        "SIAPKERJA_CONFIG": "",
    }


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, ["factors", *args], env=env)


def test_an_officer_resets_a_holders_factors(env: dict[str, str]) -> None:
    svc = connect(environ=env)
    account, _created = svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=people.EMAIL, phone="081277771234"
    )
    enrolment = svc.factors.start_totp(account.id)
    import pyotp

    svc.factors.confirm_totp(
        account.id, enrolment.factor_id, pyotp.TOTP(enrolment.secret).at(svc.now())
    )
    codes = svc.factors.generate_recovery_codes(account.id).codes
    svc.storage.dispose()  # type: ignore[attr-defined]

    listed = run(env, "list", people.NIK, "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(f["kind"] for f in json.loads(listed.stdout)["factors"]) == [
        "recovery_codes",
        "totp",
    ]
    result = run(env, "reset", people.EMAIL, "--reason", "KTP diperiksa di Disnaker", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["account_id"] == account.id
    assert sorted(f["kind"] for f in payload["removed"]) == ["recovery_codes", "totp"]
    assert enrolment.secret not in result.output
    assert all(code not in result.output for code in codes)

    after = connect(environ=env)
    assert after.factors.list(account.id) == []
    with after.storage.transaction() as tx:
        [record] = [r for r in tx.audit.list(target=account.id) if r.action == "factor.reset"]
    assert record.actor == cli_actor()
    assert record.reason == "KTP diperiksa di Disnaker"
    assert record.details["count"] == 2
    text = run(env, "list", account.id)
    assert "no factors" in text.output


def test_an_unknown_account_is_refused(env: dict[str, str]) -> None:
    result = run(env, "reset", "nobody@example.org", "--reason", "checked")
    assert result.exit_code == 1
    assert "factor.not_found" in result.output
