"""A kept demo writes down the database the environment names (PostgreSQL).

``SIAPKERJA_DATABASE_URL``, ``SIAPKERJA_DATABASE_SCHEMA`` and
``SIAPKERJA_STORAGE_KEY`` outrank the settings file the demo writes, so the
demo's data went where they said while the file named a SQLite file never made
(a stranger's finding). The file now names that database and schema, and no key
file of its own: with the variable's key alone, the file opens the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from siapkerja_adapters.cli import app
from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import KeyMaterial


def test_a_kept_demo_names_the_environments_database_and_schema(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SIAPKERJA_STORAGE_KEY_FILE", raising=False)
    monkeypatch.setenv("SIAPKERJA_DATABASE_URL", postgres_url)
    monkeypatch.setenv("SIAPKERJA_DATABASE_SCHEMA", postgres_schema)
    monkeypatch.setenv("SIAPKERJA_STORAGE_KEY", KeyMaterial.generate().to_setting())
    monkeypatch.chdir(tmp_path)
    upgrade = CliRunner().invoke(app, ["db", "upgrade"])  # as the README has it
    assert upgrade.exit_code == 0, upgrade.output
    result = CliRunner().invoke(app, ["demo", "--dir", "kept"])  # no --database
    assert result.exit_code == 0, result.output
    kept = tmp_path / "kept"
    assert not (kept / "siapkerja.sqlite3").exists()
    assert not (kept / "storage.key").exists()
    settings = (kept / "siapkerja.toml").read_text(encoding="utf-8")
    assert f'database_url = "{postgres_url}"' in settings
    assert f'database_schema = "{postgres_schema}"' in settings
    # The file alone, with the key's variable, opens the demo's data.
    monkeypatch.delenv("SIAPKERJA_DATABASE_URL")
    monkeypatch.delenv("SIAPKERJA_DATABASE_SCHEMA")
    svc = connect(config=kept / "siapkerja.toml")
    try:
        account = svc.login("3173071203940042", "kopi tubruk di pal merah")
        assert "Galih Agan Pambayun" in svc.profile(account.id).full_name
    finally:
        svc.storage.dispose()


def test_a_demo_on_a_schema_not_yet_migrated_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    # An outside tester's finding: the refused demo left its settings and key file, so
    # after `siapkerja db upgrade` the same command was refused with demo.dir_used.
    for name in ("SIAPKERJA_CONFIG", "SIAPKERJA_STORAGE", "SIAPKERJA_SMS", "SIAPKERJA_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SIAPKERJA_STORAGE_KEY", "SIAPKERJA_STORAGE_KEY_FILE", "SIAPKERJA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIAPKERJA_DATABASE_SCHEMA", postgres_schema)
    monkeypatch.chdir(tmp_path)
    demo = ["demo", "--dir", "kept", "--database", postgres_url, "--json"]
    refused = CliRunner().invoke(app, demo)
    assert refused.exit_code == 3, refused.output
    assert '"storage.not_migrated"' in refused.stdout
    assert not (tmp_path / "kept").exists()  # the folder it made, and its files: gone

    (tmp_path / "mine").mkdir()  # a folder the user made stays, empty as it was
    refused = CliRunner().invoke(app, ["demo", "--dir", "mine", "--database", postgres_url])
    assert refused.exit_code == 3, refused.output
    assert list((tmp_path / "mine").iterdir()) == []

    upgrade = CliRunner().invoke(
        app,
        ["db", "upgrade", "--database-url", postgres_url],
        env={"SIAPKERJA_STORAGE_KEY": KeyMaterial.generate().to_setting()},
    )
    assert upgrade.exit_code == 0, upgrade.output
    again = CliRunner().invoke(app, demo)  # the same command, after the upgrade
    assert again.exit_code == 0, again.output
    assert (tmp_path / "kept" / "storage.key").exists()
