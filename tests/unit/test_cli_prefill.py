"""``siapkerja prefill schema|validate``: print the published schema, check a document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from journey_support import Clock
from test_cards_support import build, holder
from typer.testing import CliRunner

from siapkerja_adapters.cli import app
from siapkerja_core.prefill import prefill_schema

runner = CliRunner()


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    svc = build(Clock())
    account = holder(svc, 0)[0]
    url = svc.card_qr(account.id).url
    assert url is not None
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    svc.prefill.approve(account.id, svc.prefill.request(url, karirhub, "lamaran").id)
    return svc.prefill.document(url, karirhub, "lamaran").to_json()


def test_schema_prints_the_published_schema() -> None:
    result = run("prefill", "schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == prefill_schema()


def test_a_valid_document_passes(tmp_path: Path, document: dict[str, object]) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run("prefill", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    result = run("prefill", "validate", "--json", "-", input=json.dumps(document))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "errors": []}


def test_an_invalid_document_fails_naming_each_problem(
    tmp_path: Path, document: dict[str, object]
) -> None:
    broken = {**document, "nik": 3173071203940042}  # a NIK as a number: the old mistake
    del broken["name"]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    result = run("prefill", "validate", str(path))
    assert result.exit_code == 1
    assert "[prefill.invalid_document]" in result.output
    assert "$.nik: expected string" in result.output
    assert "$.name: required" in result.output
    result = run("prefill", "validate", "--json", str(path))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == ["$.name: required", "$.nik: expected string"]


def test_an_unreadable_file_fails_cleanly(tmp_path: Path) -> None:
    missing = run("prefill", "validate", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1
    assert "[prefill.invalid_document]" in missing.output
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert run("prefill", "validate", str(tmp_path / "bad.json")).exit_code == 1
