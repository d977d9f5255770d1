"""``siapkerja rights list|complete|purge|breach-notice`` and the worker's purge (SQLite)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from siapkerja_adapters.cli.rights import rights_app
from siapkerja_adapters.cli.worker import purge_loop
from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import demo_holder
from siapkerja_core.rights import ERASURE_HOLD

runner = CliRunner()


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SIAPKERJA_STORAGE": "sql",
        "SIAPKERJA_SECRET_KEY": "rights-cli-secret-0123456789abcdef",
    }


def test_list_complete_and_breach_notice(tmp_path: Path) -> None:
    env = environment(tmp_path)
    svc = connect(environ=env)
    holder = demo_holder(svc)
    verifier, _ = svc.register_verifier("LPK Bocor", ["skillhub"])
    svc.grant_consent(holder.id, verifier.id, "pelatihan")
    svc.resolve(svc.card_qr(holder.id).token, verifier, purpose="pelatihan")
    request = svc.rights.object(holder.id, "Ditolak otomatis")
    svc.storage.dispose()  # type: ignore[attr-defined]

    listed = runner.invoke(rights_app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    result = json.loads(listed.stdout)
    assert [i["id"] for i in result["items"]] == [request.id]
    assert result["overdue"] == 0
    assert result["items"][0]["due_at"] == request.due_at.isoformat()
    assert (
        json.loads(runner.invoke(rights_app, ["list", "--overdue", "--json"], env=env).stdout)[
            "items"
        ]
        == []
    )
    text = runner.invoke(rights_app, ["list"], env=env)
    assert request.receipt in text.stdout

    done = runner.invoke(
        rights_app, ["complete", request.id, "--reason", "ditinjau", "--json"], env=env
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "completed"
    assert json.loads(done.stdout)["handled_by"].startswith("cli:")
    again = runner.invoke(rights_app, ["complete", request.id], env=env)
    assert again.exit_code == 1
    assert "rights.not_open" in again.output

    now = datetime.now(UTC)
    notice = runner.invoke(
        rights_app,
        [
            "breach-notice",
            "--since",
            (now - timedelta(hours=1)).isoformat(),
            "--until",
            (now + timedelta(minutes=1)).isoformat(),
            "--notify",
            "--json",
        ],
        env=env,
    )
    assert notice.exit_code == 0, notice.output
    body = json.loads(notice.stdout)
    assert body["holders"] == [holder.id]
    assert body["holder_count"] == 1
    assert "LPK Bocor" in body["institutions"]
    assert body["notified"] == 1  # an SMS queued in the outbox for the worker
    naive = runner.invoke(
        rights_app, ["breach-notice", "--since", "2026-01-01T00:00", "--until", "2026-01-02"]
    )
    assert naive.exit_code == 2  # a usage error: a time without its offset


def test_purge_by_the_command_and_by_the_worker(tmp_path: Path) -> None:
    env = environment(tmp_path)
    now = [datetime.now(UTC)]
    svc = connect(environ=env, clock=lambda: now[0])
    holder = demo_holder(svc)
    svc.rights.erase(holder.id)
    nothing = runner.invoke(rights_app, ["purge", "--json"], env=env)
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.stdout) == {"accounts": 0}
    now[0] += ERASURE_HOLD
    stop = threading.Event()
    purge_loop(svc, stop, once=True)  # what 'siapkerja worker' runs hourly
    with svc.storage.transaction() as tx:
        assert tx.cards.get(holder.id) is None
        assert tx.rights.to_purge(now[0]) == []
    svc.storage.dispose()  # type: ignore[attr-defined]
