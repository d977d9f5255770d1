"""``siapkerja keys`` and ``db current``: a listing writes nothing.

``keys list`` where no database exists yet answers that there are no keys (exit 0,
as every empty listing of the command line) and leaves the directory as it was: no
SQLite file, no storage key generated for it. Over an existing database it lists
the keys as before. ``keys retire`` of a key where no database exists refuses as
for any unknown key, without making the database either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siapkerja_adapters.cli.keys import keys_app
from siapkerja_adapters.sql.keys import default_key_file


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, with the embedded default's settings (no config file)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SIAPKERJA_"):
            monkeypatch.delenv(name)
    return tmp_path


def _untouched(directory: Path) -> None:
    assert list(directory.iterdir()) == []
    database = str((directory / "siapkerja.sqlite3").resolve())
    assert not default_key_file(database).exists()
    assert not default_key_file("siapkerja.sqlite3").exists()


@pytest.mark.parametrize("json_output", [False, True])
def test_keys_list_in_an_empty_directory_makes_nothing(empty: Path, json_output: bool) -> None:
    result = CliRunner().invoke(keys_app, ["list", *(["--json"] if json_output else [])])
    assert result.exit_code == 0, result.output
    if json_output:
        assert json.loads(result.stdout) == []
    else:
        assert "No keys" in result.stdout
        assert "Belum ada kunci" in result.stdout
    _untouched(empty)


def test_keys_retire_in_an_empty_directory_makes_nothing(empty: Path) -> None:
    result = CliRunner().invoke(keys_app, ["retire", "AB12", "--json"])
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "token.unknown_key"
    assert "AB12" in error["message_en"]
    assert "AB12" in error["message_id"]
    _untouched(empty)


def test_keys_retire_of_an_unknown_key_is_typed_and_changes_nothing(empty: Path) -> None:
    url = f"sqlite:///{empty / 'data.sqlite3'}"
    env = {"SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_STORAGE": "sql"}
    assert CliRunner().invoke(keys_app, ["rotate"], env=env).exit_code == 0
    before = CliRunner().invoke(keys_app, ["list", "--json"], env=env).stdout
    result = CliRunner().invoke(keys_app, ["retire", "zzzz", "--json"], env=env)
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["exit_code"]) == ("token.unknown_key", 1)
    assert "ZZZZ" in error["message_en"]  # the id as it is looked up
    plain = CliRunner().invoke(keys_app, ["retire", "ZZZZ"], env=env)
    assert plain.exit_code == 1
    assert "token.unknown_key" in plain.output
    assert "No signing key has the id ZZZZ" in plain.output
    assert "Tidak ada kunci penanda tangan dengan id ZZZZ" in plain.output
    assert CliRunner().invoke(keys_app, ["list", "--json"], env=env).stdout == before


def test_keys_list_still_lists_the_keys_of_a_database(empty: Path) -> None:
    url = f"sqlite:///{empty / 'data.sqlite3'}"
    env = {"SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_STORAGE": "sql"}
    rotated = CliRunner().invoke(keys_app, ["rotate", "--json"], env=env)
    assert rotated.exit_code == 0, rotated.output
    kids = json.loads(rotated.stdout)
    listed = CliRunner().invoke(keys_app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert {row["kid"] for row in json.loads(listed.stdout)} >= {kids["link"], kids["access"]}


@pytest.mark.parametrize("json_output", [False, True])
def test_db_current_in_an_empty_directory_makes_nothing(empty: Path, json_output: bool) -> None:
    from siapkerja_adapters.cli.db import db_app

    result = CliRunner().invoke(db_app, ["current", *(["--json"] if json_output else [])])
    assert result.exit_code == 1, result.output  # not at head: not migrated
    if json_output:
        assert json.loads(result.stdout)["revision"] is None
    else:
        assert "none (not migrated)" in result.stdout
    _untouched(empty)


def test_db_current_still_reads_a_database(empty: Path) -> None:
    from siapkerja_adapters.cli.db import db_app

    url = f"sqlite:///{empty / 'data.sqlite3'}"
    upgraded = CliRunner().invoke(db_app, ["upgrade", "--database-url", url])
    assert upgraded.exit_code == 0, upgraded.output
    result = CliRunner().invoke(db_app, ["current", "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["at_head"] is True


def test_an_empty_database_file_is_listed_and_shown_without_migrating_it(empty: Path) -> None:
    from siapkerja_adapters.cli.db import db_app

    database = empty / "zero.sqlite3"
    database.touch()  # what a `touch` or a create cut short leaves
    env = {"SIAPKERJA_DATABASE_URL": f"sqlite:///{database}", "SIAPKERJA_STORAGE": "sql"}
    listed = CliRunner().invoke(keys_app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []
    shown = CliRunner().invoke(db_app, ["current", "--json"], env=env)
    assert shown.exit_code == 1, shown.output
    assert json.loads(shown.stdout)["revision"] is None
    assert database.stat().st_size == 0
    assert not default_key_file(str(database.resolve())).exists()


@pytest.mark.parametrize("kid", ["", "   "])
def test_keys_retire_of_an_empty_id_is_a_usage_error(empty: Path, kid: str) -> None:
    result = CliRunner().invoke(keys_app, ["retire", kid])
    assert result.exit_code == 2, result.output
    assert "the key id is empty" in result.output
    _untouched(empty)
