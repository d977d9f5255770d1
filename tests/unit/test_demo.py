"""``siapkerja demo`` walks the whole journey and ends with a signed-in account.

Its narration is sentences (no reprs), in Indonesian or English, with local
times; its data goes to a temporary directory that is gone afterwards, or to
``--dir``; ``--json`` is one JSON object.
``tests/integration/test_demo_serve.py`` serves what ``--dir`` kept.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli import app
from siapkerja_adapters.demo import GALIH, DemoPlace, Narrator, run_demo
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
    assert "Akun aktif" in result.output
    assert "SK-" in card.read_text(encoding="utf-8")


REPR = re.compile(r"\b[A-Z][A-Za-z]+\((?:[a-z_]+=|')")  # Registration(id=..., Nik('...
ISO_TIME = re.compile(r"\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T|\bUTC\b|\.\d{6}")


def narration(lang: str) -> str:
    out = io.StringIO()
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    run_demo(Console(file=out, width=200), svc=svc, card_path=None, lang=lang)
    return out.getvalue()


def test_the_narration_is_sentences_with_local_times() -> None:
    text = narration("id")
    assert not REPR.search(text), REPR.search(text)
    assert not ISO_TIME.search(text), ISO_TIME.search(text)
    assert "Adapters:" not in text
    assert "1. Daftar — NIK, nama lengkap, nama ibu kandung" in text
    assert "NIK 3173**********42 diverifikasi di Dukcapil (offline)" in text
    # The OTP's deadline in the holder's zone (Jakarta: WIB), as a clock, no seconds.
    assert re.search(
        r"Kode SMS dikirim ke \+6281\*+999; berlaku sampai pukul \d{2}\.\d{2} WIB", text
    )
    assert "Siapa pun yang memindai melihat: Judul profil, Keahlian" in text
    assert "8. Kode akses — masuk Job Fair" in text


def test_the_narration_in_english() -> None:
    text = narration("en")
    assert "1. Register — NIK, full name, mother's maiden name" in text
    assert re.search(r"valid until \d{2}\.\d{2} WIB", text)
    assert "A wrong mother's name is refused: The details do not match" in text
    assert (
        "Anyone who scans it sees: Profile headline" in text or "Anyone who scans it sees:" in text
    )
    assert "diverifikasi" not in text
    assert not REPR.search(text)


def test_the_default_place_is_removed_at_the_end(monkeypatch, tmp_path) -> None:
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    place = DemoPlace.temporary()
    assert place.directory.is_dir()
    narrator = Narrator(Console(file=out, width=200), lang="id")
    run_demo(narrator=narrator, place=place, card_path=None)
    assert not place.directory.exists()
    text = out.getvalue()
    assert f"direktori sementara {place.directory}" in text
    assert f"Direktori sementara {place.directory} sudah dihapus, bersama kartu" in text
    assert "siapkerja demo --dir siapkerja-demo" in text
    assert place.serve_command() is None
    assert not list(tmp_path.iterdir())  # nothing left in the working directory either


def test_a_used_directory_is_refused(tmp_path) -> None:
    (tmp_path / "siapkerja.sqlite3").write_bytes(b"")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "demo.dir_used" in result.output
    assert "sudah berisi data demo" in result.output
    assert "already holds a demo's data" in result.output


def test_json_is_one_object_on_stdout(monkeypatch, tmp_path) -> None:
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--json", "--lang", "en", "--dir", "kept"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["lang"] == "en"
    assert document["kept"] is True
    assert document["serve"].endswith(f"--config {Path('kept').resolve() / 'siapkerja.toml'}")
    kinds = {line["kind"] for line in document["lines"]}
    assert kinds == {"heading", "ok", "refused", "info", "command"}
    codes = [line["code"] for line in document["lines"] if line["kind"] == "refused"]
    assert "registration.mismatch" in codes
    assert (tmp_path / "kept" / "siapkerja-card.svg").is_file()


def test_database_keeps_the_data_there_and_the_settings_in_dir(monkeypatch, tmp_path) -> None:
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "data" / "galih.db"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    result = CliRunner().invoke(app, ["demo", "--database", url, "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert database.is_file()
    settings = (tmp_path / "siapkerja-demo" / "siapkerja.toml").read_text(encoding="utf-8")
    assert f'database_url = "{url}"' in settings
    assert 'card_base_url = "http://127.0.0.1:8123/v/"' in settings
    assert not (tmp_path / "siapkerja-demo" / "siapkerja.sqlite3").exists()
    assert "serve --dev --port 8123 --config" in result.output


def test_a_storage_key_in_the_environment_gets_no_key_file_of_the_demos(
    monkeypatch, tmp_path
) -> None:
    """``SIAPKERJA_STORAGE_KEY`` outranks the settings file: a key file written beside it
    would be ignored by ``serve`` and would not open the data once the variable is unset
    (a stranger's finding). The settings say where the key comes from instead."""
    from siapkerja_adapters.sql.keys import KeyMaterial

    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SIAPKERJA_STORAGE_KEY_FILE", raising=False)
    monkeypatch.setenv("SIAPKERJA_STORAGE_KEY", KeyMaterial.generate().to_setting())
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "galih.db"
    result = CliRunner().invoke(app, ["demo", "--database", f"sqlite:///{database}"])
    assert result.exit_code == 0, result.output
    kept = tmp_path / "siapkerja-demo"
    assert not (kept / "storage.key").exists()
    settings = (kept / "siapkerja.toml").read_text(encoding="utf-8")
    assert "storage_key_file" not in settings
    assert "$SIAPKERJA_STORAGE_KEY: serve needs it set too" in settings
    # The data opens with the environment's key, as serve would open it.
    from siapkerja_adapters.connect import connect

    svc = connect(config=kept / "siapkerja.toml")
    account = svc.login("3173071203940042", "kopi tubruk di pal merah")
    # Its name decrypted with the variable's key:
    assert "Galih Agan Pambayun" in svc.profile(account.id).full_name


def test_piped_narration_keeps_each_sentence_on_one_line(monkeypatch, tmp_path) -> None:
    """Not a terminal (``siapkerja demo | less``, a file): rich's 80 columns never break a
    sentence in two (issue 14); the terminal folds long lines itself."""
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(app, ["demo", "--card-svg", str(tmp_path / "kartu.svg")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    refusals = [line for line in lines if line.lstrip().startswith("✗")]
    assert len(refusals) >= 5
    for line in refusals:  # the refusal, its reason and its code on one line
        assert re.search(r"\([a-z_]+\.[a-z_]+\)$", line), line
    assert any(len(line) > 80 and line.lstrip().startswith("✓") for line in lines)
    for line in lines:  # no line starts mid-sentence, as a wrapped one would
        assert not line[:1].islower(), line


def test_a_narrow_console_that_is_not_a_terminal_does_not_wrap() -> None:
    out = io.StringIO()
    narrator = Narrator(Console(file=out, width=40), lang="id")
    narrator.info("demo.adapters", dukcapil="offline", sms="console", storage="sql")
    assert len(out.getvalue().strip().splitlines()) == 1


def test_the_english_demo_writes_an_english_card(tmp_path) -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    card = tmp_path / "card.svg"
    run_demo(Console(file=io.StringIO()), svc=svc, card_path=card, lang="en")
    svg = card.read_text(encoding="utf-8")
    assert "Digital Manpower Card" in svg
    assert "Diterbitkan" not in svg


def _without_demo_settings(monkeypatch) -> None:
    for name in (
        "SIAPKERJA_CONFIG",
        "SIAPKERJA_STORAGE",
        "SIAPKERJA_SMS",
        "SIAPKERJA_PLUGINS",
        "SIAPKERJA_STORAGE_KEY",
        "SIAPKERJA_STORAGE_KEY_FILE",
        "SIAPKERJA_DATABASE_URL",
        "SIAPKERJA_DATABASE_SCHEMA",
    ):
        monkeypatch.delenv(name, raising=False)


def test_another_database_in_the_environment_than_database_is_refused(
    monkeypatch, tmp_path
) -> None:
    _without_demo_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIAPKERJA_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    given = f"sqlite:///{tmp_path / 'given.db'}"
    result = CliRunner().invoke(app, ["demo", "--database", given])
    assert result.exit_code != 0
    assert "demo.environment_database" in result.output
    assert "SIAPKERJA_DATABASE_URL" in result.output
    assert not (tmp_path / "env.db").exists()
    assert not (tmp_path / "given.db").exists()
    assert not (tmp_path / "siapkerja-demo").exists()
