"""``siapkerja status-list show|fetch``: the list summarised, from storage and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from siapkerja_adapters.cli.status_list import status_list_app
from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import demo_holder
from support.live_server import serve_memory_site

runner = CliRunner()


def test_show_counts_what_the_storage_holds(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {"SIAPKERJA_DATABASE_URL": database, "SIAPKERJA_STORAGE": "sql"}
    svc = connect(environ=env)
    holder = demo_holder(svc)
    svc.revoke_card(holder.id)
    svc.storage.dispose()  # type: ignore[attr-defined]
    done = runner.invoke(status_list_app, ["show", "--json"], env=env)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["entries"] == 131_072
    assert (result["revoked"], result["suspended"], result["bits"]) == (1, 0, 2)
    assert result["ttl"] == 900
    assert result["exp"] > result["iat"]
    people = runner.invoke(status_list_app, ["show"], env=env)
    assert people.exit_code == 0
    assert "dicabut / revoked" in people.stdout
    assert "131072" in people.stdout


def test_fetch_checks_a_served_list_as_a_station_would() -> None:
    with serve_memory_site() as (_server, svc):
        holder = demo_holder(svc)
        svc.suspend_card(holder.id)
        base = svc.cards.base_url.removesuffix("/v/")
        done = runner.invoke(
            status_list_app, ["fetch", f"{base}/api/v1/status-lists/cards", "--json"]
        )
        assert done.exit_code == 0, done.output
        result = json.loads(done.stdout)
        assert (result["revoked"], result["suspended"]) == (0, 1)
        assert result["sub"] == f"{base}/api/v1/status-lists/cards"
        # A JWK Set that is not the server's: the list does not verify.
        wrong = runner.invoke(
            status_list_app,
            ["fetch", f"{base}/api/v1/status-lists/cards", "--keys", f"{base}/api/v1/nowhere"],
        )
        assert wrong.exit_code == 1
        assert "cannot fetch" in wrong.output


def test_fetch_of_an_unreachable_server_fails_cleanly() -> None:
    done = runner.invoke(
        status_list_app, ["fetch", "http://127.0.0.1:9/status-lists/cards", "--timeout", "1"]
    )
    assert done.exit_code == 4  # a service down (docs/cli.md, exit codes)
    assert "Traceback" not in done.output
    assert "cannot fetch" in done.output
