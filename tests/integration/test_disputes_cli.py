"""``siapkerja disputes …`` through Typer's CliRunner, on a SQLite file shared with a service.

A claimant opens a dispute and the stale holder answers "not mine" through
the facade; an officer then lists it, records an in-person check, decides
for the claimant and shows the trail, each a separate ``connect()`` as
separate processes would be.
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
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support.sms import sms_code
from support.sso import PEOPLE, holder

SECRET = "cli-disputes-secret-key-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": KeyMaterial.generate().to_setting(),
        "SIAPKERJA_SECRET_KEY": SECRET,
        "SIAPKERJA_CONFIG": "",
    }


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, ["disputes", *args], env=env)


def answered_case(svc: Siapkerja) -> tuple[str, str]:
    """A dispute over person 0's NIK, answered "not mine": (case id, the old account's id)."""
    old = holder(svc, 0, card=False)
    person = PEOPLE[0]
    view = svc.disputes.open_claim(
        person.nik,
        person.full_name,
        person.mother_name,
        email="klaim@example.com",
        phone="081399990001",
        password="sawah hijau di lembang",
    )
    svc.disputes.confirm(view.id, sms_code(svc, "081399990001"))
    svc.disputes.answer(old.id, view.id, "not_mine")
    return view.id, old.id


def test_an_officer_checks_and_decides_a_dispute_from_the_cli(env: dict[str, str]) -> None:
    svc = connect(environ=env, hasher=PasswordHasher.fast_for_tests(), sms_dispatch="inline")
    case_id, old_id = answered_case(svc)

    listed = run(env, "list", "--status", "awaiting_decision", "--json")
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)["items"]
    assert item["id"] == case_id
    assert item["answer"] == "not_mine"
    assert item["nik"] != PEOPLE[0].nik  # masked
    assert "9999" not in item["phone"] or "*" in item["phone"]

    refused = run(env, "decide", case_id, "--for-claimant", "--reason", "KTP asli", "--json")
    assert refused.exit_code == 1
    assert "dispute.evidence_required" in refused.output

    checked = run(
        env,
        "check",
        case_id,
        "--officer",
        "NIP 1980",
        "--office",
        "Disnaker Kota Bandung",
        "--document",
        "KTP-el",
        "--document",
        "KK",
        "--json",
    )
    assert checked.exit_code == 0, checked.output
    evidence = json.loads(checked.output)["evidence"]
    assert [e["kind"] for e in evidence] == ["dukcapil", "officer"]
    assert evidence[1]["documents"] == ["KTP-el", "KK"]

    decided = run(env, "decide", case_id, "--for-claimant", "--reason", "KTP asli", "--json")
    assert decided.exit_code == 0, decided.output
    shown = json.loads(decided.output)
    assert shown["status"] == "upheld"
    actions = [r["action"] for r in shown["trail"]]
    assert actions[-3:] == ["account.freeze", "dispute.decide", "account.create"]
    assert {r["actor"] for r in shown["trail"] if r["action"] == "dispute.decide"} == {cli_actor()}

    later = connect(environ=env, hasher=PasswordHasher.fast_for_tests(), sms_dispatch="inline")
    later.deliver_outbox()  # what the CLI left for the worker: the two notices of the decision
    sent = [m.text for m in later.sms.messages]  # type: ignore[attr-defined]
    assert any("dibekukan" in t for t in sent)
    assert any("diterima" in t for t in sent)
    assert later.login(PEOPLE[0].nik, "sawah hijau di lembang").id == shown["new_account_id"]
    with later.storage.transaction() as tx:
        frozen = tx.accounts.get(old_id)
        assert frozen is not None
        assert not frozen.active

    text = run(env, "show", case_id)
    assert text.exit_code == 0
    assert "account.freeze" in text.output
    assert run(env, "overdue", "--json").output.strip() == '{"items": []}'
    missing = run(env, "show", "nope")
    assert missing.exit_code == 1
    assert "dispute.not_found" in missing.output
