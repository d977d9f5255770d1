"""``siapkerja demo`` walks the whole journey and ends with a signed-in account."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli import app
from siapkerja_adapters.demo import GALIH, run_demo
from siapkerja_core.passwords import PasswordHasher


def test_demo_walks_the_whole_journey(tmp_path) -> None:
    out = io.StringIO()
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    run_demo(Console(file=out, width=120), svc=svc, card_path=tmp_path / "card.svg")
    text = out.getvalue()
    for refusal in (
        "registration.mismatch",
        "otp.invalid",
        "login.failed",
        "profile.incomplete",
        "token.revoked",
        "card.unknown_purpose",
        "gate.station_credential_required",
        "gate.already_inside",
    ):
        assert refusal in text
    assert "foto dari server" in text
    account = svc.login(identifier=GALIH.email, password=GALIH.password)
    assert account.nik == GALIH.nik
    assert svc.completeness(account.id).complete
    card = svc.card(account.id)
    svg = (tmp_path / "card.svg").read_text(encoding="utf-8")
    assert svg.startswith(("<svg", "<?xml"))
    assert card.siapkerja_id in svg
    ledger = svc.access_log(account.id)
    assert [entry.channel for entry in ledger] == ["link", "link", "access"]


def test_demo_can_take_the_code_from_the_keyboard() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    typed: list[str] = []

    def ask(prompt: str) -> str:
        message = svc.sms.last_to("+6281299999999")
        assert message is not None
        code = next(word for word in message.text.replace(",", " ").split() if word.isdigit())
        typed.append(code)
        return code

    run_demo(Console(file=io.StringIO()), svc=svc, ask=ask, card_path=None)
    assert len(typed) == 1
    assert len(typed[0]) == 6


def test_demo_command_runs_on_the_embedded_default(monkeypatch, tmp_path) -> None:
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    card = tmp_path / "kartu.svg"
    result = CliRunner().invoke(app, ["demo", "--card-svg", str(card)])
    assert result.exit_code == 0, result.output
    assert "[siapkerja sms] to +6281299999999" in result.output
    assert "akun aktif" in result.output
    assert "SK-" in card.read_text(encoding="utf-8")
