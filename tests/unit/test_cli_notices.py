"""``siapkerja notices list``: the table of notices, as text and as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from siapkerja_adapters.cli import app
from siapkerja_core.notices import NOTICES


def test_notices_list_as_json() -> None:
    result = CliRunner().invoke(app, ["notices", "list", "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["notices"]
    assert [r["event"] for r in rows] == list(NOTICES)
    phone = next(r for r in rows if r["event"] == "account.phone_changed")
    assert phone["written"] == "in_transaction"
    assert "phone number was changed to {detail}" in phone["text"]


def test_notices_list_as_text() -> None:
    result = CliRunner().invoke(app, ["notices", "list"])
    assert result.exit_code == 0, result.output
    assert "password_reset.completed -> email (after_commit)" in result.output
    assert "kata sandi" in result.output
