"""``siapkerja aki …`` on a SQLite file: the Disnaker's desk from a terminal.

The data is made in-process (a holder applies); the commands run as an
officer would, with the verifier key in ``$SIAPKERJA_VERIFIER_KEY``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli.aki import aki_app
from siapkerja_adapters.demo import GALIH, demo_holder
from siapkerja_adapters.sql.crypto import generate_key_setting


@pytest.fixture
def desk(tmp_path: Path) -> tuple[dict[str, str], str, str]:
    """The environment of the officer of Jakarta Barat, the holder's number, another key."""
    env = {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'aki.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
        # API keys are kept as HMACs under the secret key: one across processes.
        "SIAPKERJA_SECRET_KEY": secrets.token_hex(32),
    }
    svc = connect(environ=env)
    holder = demo_holder(svc, GALIH)
    number = svc.aki.apply(holder.id).number
    officer, key = svc.register_verifier("Disnaker Jakarta Barat", ["disnaker"])
    svc.aki.appoint_officer(officer.id, "3173")
    other, other_key = svc.register_verifier("Disnaker Kota Bandung", ["disnaker"])
    appointed = CliRunner().invoke(aki_app, ["appoint", other.id, "3273", "--json"], env=env)
    assert appointed.exit_code == 0, appointed.output
    assert json.loads(appointed.output)["office_name"] == "Dinas Tenaga Kerja Kota Bandung"
    svc.storage.dispose()  # type: ignore[attr-defined]
    return {**env, "SIAPKERJA_VERIFIER_KEY": key}, number, other_key


def test_list_show_legalise_render_place(
    desk: tuple[dict[str, str], str, str], tmp_path: Path
) -> None:
    env, number, _ = desk
    runner = CliRunner()
    listed = runner.invoke(aki_app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [row["number"] for row in json.loads(listed.output)] == [number]
    table = runner.invoke(aki_app, ["list"], env=env)
    assert number in table.output
    shown = runner.invoke(aki_app, ["show", number, "--json"], env=env)
    assert json.loads(shown.output)["holder"]["nik"] == GALIH.nik
    legalised = runner.invoke(
        aki_app, ["legalise", number, "--officer-name", "Siti Rahma", "--json"], env=env
    )
    assert legalised.exit_code == 0, legalised.output
    assert json.loads(legalised.output)["status"] == "legalised"
    # At 80 columns nothing is cut ("legalis…", "2026-12…" before).
    narrow = runner.invoke(aki_app, ["list"], env={**env, "COLUMNS": "80"})
    row = json.loads(runner.invoke(aki_app, ["list", "--json"], env=env).output)[0]
    assert "…" not in narrow.output
    for whole in (number, "legalised", row["applied_on"], row["valid_until"]):
        assert whole in narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    pdf = tmp_path / "aki.pdf"
    rendered = runner.invoke(aki_app, ["render", number, "-o", str(pdf)], env=env)
    assert rendered.exit_code == 0, rendered.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    svg = tmp_path / "aki.svg"
    assert runner.invoke(aki_app, ["render", number, "-o", str(svg)], env=env).exit_code == 0
    assert number in svg.read_text("utf-8")
    placed = runner.invoke(
        aki_app, ["place", number, "--employer", "PT Maju Jaya", "--json"], env=env
    )
    assert json.loads(placed.output)["status"] == "placed"
    again = runner.invoke(aki_app, ["remove", number, "--reason", "moved"], env=env)
    assert again.exit_code == 1
    assert "aki.transition" in again.output


def test_refusals_exit_1_with_the_code(
    desk: tuple[dict[str, str], str, str], tmp_path: Path
) -> None:
    env, number, other_key = desk
    runner = CliRunner()
    bandung = {**env, "SIAPKERJA_VERIFIER_KEY": other_key}
    refused = runner.invoke(aki_app, ["legalise", number], env=bandung)
    assert refused.exit_code == 1
    assert "aki.wrong_office" in refused.output
    forged = runner.invoke(aki_app, ["list"], env={**env, "SIAPKERJA_VERIFIER_KEY": "skv_x"})
    assert (forged.exit_code, "disclosure.unknown_verifier" in forged.output) == (1, True)
    bad = runner.invoke(aki_app, ["render", number, "-o", str(tmp_path / "x.png")], env=env)
    assert bad.exit_code == 2
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)  # another check digit
    typo = runner.invoke(aki_app, ["show", mistyped], env=env)
    assert typo.exit_code == 1
