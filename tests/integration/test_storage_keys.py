"""The storage key does not travel with the data (issue 11: keys that do not travel with it).

* a SQLite database's key is generated outside the data directory, and only while no
  data is stored; a copy of the data directory alone opens nothing;
* stored data whose key is missing or wrong refuses to open — ``connect()`` and the real
  ``siapkerja serve`` process stop at start with ``config.storage_key_missing`` /
  ``config.storage_key_wrong`` naming the key id the data needs, and no key is generated
  over the data;
* the 0.1 key file beside the database is still read (with a warning), ``serve`` outside
  ``--dev`` refuses it unless allowed, and ``siapkerja db rekey`` moves it out;
* ``siapkerja db keygen --write`` and ``siapkerja db rekey`` (a round trip on SQLite and
  PostgreSQL, and resuming an interrupted one); a plug-in hook gives the key from a KMS.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from siapkerja_adapters.cli.db import db_app
from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import KeyMaterial, SqlStorage, StorageKeyUnavailable
from siapkerja_adapters.sql.crypto import FieldCipher
from siapkerja_adapters.sql.keys import default_key_file, read_key_file, write_key_file
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code

SRC = Path(__file__).resolve().parents[2] / "src"
EMAIL, PHONE, PASSWORD = people.EMAIL, "0812-9999-9999", "kopi tubruk di pal merah"


def open_sql(url: str, **settings: Any) -> Siapkerja:
    """A service on ``url`` with no ``storage_key`` unless given (the key's own sources)."""
    options: dict[str, Any] = {
        "storage": "sql",
        "database_url": url,
        "sms": "memory",
        "dukcapil": "offline",
        "ratelimit": "storage",
        **settings,
    }
    return connect(
        environ={}, load_entrypoints=False, hasher=PasswordHasher.fast_for_tests(), **options
    )


def close(svc: Siapkerja) -> None:
    storage = svc.storage
    assert isinstance(storage, SqlStorage)
    storage.dispose()


def sign_up(svc: Siapkerja) -> str:
    """Galih's account, with a profile and a card: every encrypted table holds a row."""
    reg = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    reg = svc.submit_contact(reg.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(reg.id, code=sms_code(svc))
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id


def storage_of(svc: Siapkerja) -> SqlStorage:
    storage = svc.storage
    assert isinstance(storage, SqlStorage)
    return storage


def kids_in(svc: Siapkerja) -> set[str]:
    return {FieldCipher.key_id(blob) for *_, blob in storage_of(svc).stored_samples()}


@pytest.fixture
def sqlite_with_data(tmp_path: Path) -> tuple[Path, str, str]:
    """(database path, account id, the data's key id): Galih signed up on the default key."""
    path = tmp_path / "data" / "siapkerja.sqlite3"
    svc = open_sql(f"sqlite:///{path}")
    try:
        account_id = sign_up(svc)
        source = storage_of(svc).key_source
        assert source is not None
        assert (source.origin, source.path) == ("generated", default_key_file(str(path)))
        kid = source.material.current
        assert kids_in(svc) == {kid}
    finally:
        close(svc)
    return path, account_id, kid


def random_key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


# --- the key is not in the data directory, and is never generated over data -------------------


def test_a_copy_of_the_data_directory_alone_cannot_decrypt(
    sqlite_with_data: tuple[Path, str, str], tmp_path: Path
) -> None:
    path, _, kid = sqlite_with_data
    assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".key") == []
    stolen = tmp_path / "stolen"
    shutil.copytree(path.parent, stolen)  # the whole data directory, and nothing else
    with pytest.raises(StorageKeyUnavailable) as info:
        open_sql(f"sqlite:///{stolen / path.name}")
    assert info.value.full_code == "config.storage_key_missing"
    assert info.value.params["kid"] == kid
    assert not default_key_file(str(stolen / path.name)).exists()  # nothing generated over it


def test_a_lost_key_stops_connect_and_is_not_replaced(
    sqlite_with_data: tuple[Path, str, str],
) -> None:
    path, _, kid = sqlite_with_data
    key_file = default_key_file(str(path))
    key_file.unlink()
    with pytest.raises(StorageKeyUnavailable) as info:
        open_sql(f"sqlite:///{path}")
    assert info.value.full_code == "config.storage_key_missing"
    assert info.value.params["kid"] == kid
    assert kid in info.value.message_en
    assert str(key_file) in info.value.message_en
    assert not key_file.exists()  # 0.1 wrote a new key here, and every request failed after


def test_a_wrong_key_under_the_same_id_stops_connect(
    sqlite_with_data: tuple[Path, str, str],
) -> None:
    path, _, kid = sqlite_with_data
    with pytest.raises(StorageKeyUnavailable) as info:
        open_sql(f"sqlite:///{path}", storage_key=random_key(kid))
    assert info.value.full_code == "config.storage_key_wrong"
    assert info.value.params["kid"] == kid
    with pytest.raises(StorageKeyUnavailable) as other:  # another key id altogether
        open_sql(f"sqlite:///{path}", storage_key=random_key("other"))
    assert other.value.full_code == "config.storage_key_missing"
    assert isinstance(other.value, ConfigurationError)


def test_the_right_key_from_the_environment_opens_the_data(
    sqlite_with_data: tuple[Path, str, str], tmp_path: Path
) -> None:
    path, account_id, _ = sqlite_with_data
    setting = read_key_file(default_key_file(str(path))).to_setting()
    moved = tmp_path / "moved.sqlite3"
    shutil.copy(path, moved)
    svc = connect(
        environ={"SIAPKERJA_STORAGE_KEY": setting, "SIAPKERJA_DATABASE_URL": f"sqlite:///{moved}"},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        sms="memory",
    )
    try:
        assert svc.login(identifier=people.NIK, password=PASSWORD).id == account_id
        assert storage_of(svc).key_source.origin == "setting"  # type: ignore[union-attr]
    finally:
        close(svc)


_FIRST_START = """
import sys
from siapkerja_adapters import connect
from siapkerja_core.passwords import PasswordHasher
svc = connect(environ={}, load_entrypoints=False, hasher=PasswordHasher.fast_for_tests(),
              database_url=sys.argv[1], sms="memory")
svc.register(nik=sys.argv[2], full_name=sys.argv[3], mother_name=sys.argv[4])
print(svc.storage.key_source.material.current)
"""


def test_four_processes_starting_on_a_fresh_database_share_one_key(tmp_path: Path) -> None:
    """Four workers starting at once: one generated key, the others read it (no refusal)."""
    path = tmp_path / "siapkerja.sqlite3"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), environ.get("PYTHONPATH")]))
    args = [f"sqlite:///{path}", people.NIK, people.NAME, people.MOTHER]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_START, *args],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0] * 4, outputs
    kids = {out.strip() for out, _ in outputs}
    assert kids == set(read_key_file(default_key_file(str(path))).keys)
    assert sum("GENERATED A NEW STORAGE KEY" in err for _, err in outputs) == 1


def _serve(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """The real ``siapkerja serve`` in a process (it stops at start here: no port is bound)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), environ.get("PYTHONPATH")]))
    environ.update(env or {})
    command = [sys.executable, "-m", "siapkerja_adapters.cli", "serve", "--port", "0", *args]
    return subprocess.run(
        command, cwd=workdir, env=environ, capture_output=True, text=True, timeout=120
    )


def test_serve_refuses_to_start_without_the_key_of_its_data(
    sqlite_with_data: tuple[Path, str, str],
) -> None:
    path, _, kid = sqlite_with_data
    key_file = default_key_file(str(path))
    key_file.unlink()
    env = {"SIAPKERJA_DATABASE_URL": f"sqlite:///{path}"}
    missing = _serve(path.parent, "--dev", env=env)
    assert missing.returncode == 3, missing.stderr
    assert "[config.storage_key_missing]" in missing.stderr
    assert repr(kid) in missing.stderr
    assert "never generated over existing data" in missing.stderr
    assert not key_file.exists()

    write_key_file(key_file, KeyMaterial.parse(random_key(kid)))  # another key, the same id
    wrong = _serve(path.parent, "--dev", env=env)
    assert wrong.returncode == 3, wrong.stderr
    assert "[config.storage_key_wrong]" in wrong.stderr
    assert repr(kid) in wrong.stderr


# --- the 0.1 key file beside the database --------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, str, str]:
    """A 0.1 deployment: data whose key sits in ``<database>.key`` beside it."""
    path = tmp_path / "old" / "siapkerja.sqlite3"
    path.parent.mkdir()
    material = KeyMaterial.generate("old01")
    write_key_file(path.with_name(path.name + ".key"), material)
    svc = open_sql(f"sqlite:///{path}")
    try:
        account_id = sign_up(svc)
        assert storage_of(svc).key_source.origin == "beside_data"  # type: ignore[union-attr]
    finally:
        close(svc)
    return path, account_id, material.current


def test_a_key_beside_the_database_is_read_with_a_warning(
    legacy: tuple[Path, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    path, account_id, _ = legacy
    with caplog.at_level(logging.WARNING, logger="siapkerja.storage"):
        svc = open_sql(f"sqlite:///{path}")
    try:
        assert svc.login(identifier=people.NIK, password=PASSWORD).id == account_id
    finally:
        close(svc)
    assert "BESIDE the database" in caplog.text
    assert str(default_key_file(str(path))) in caplog.text
    assert not default_key_file(str(path)).exists()  # read where it is, not moved silently


def test_serve_outside_dev_refuses_a_key_beside_the_database_unless_allowed(
    legacy: tuple[Path, str, str],
) -> None:
    path, _, _ = legacy
    env = {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{path}",
        "SIAPKERJA_SECRET_KEY": "integration-secret-key-0123456789abcdef",
        "SIAPKERJA_ALLOW_UNSAFE": "sms,dukcapil",
    }
    refused = _serve(path.parent, env=env)
    assert refused.returncode == 3, refused.stderr
    assert "[config.unsafe_default]" in refused.stderr
    assert "storage_key_file" in refused.stderr
    assert '"key_beside_data"' in refused.stderr


def test_rekey_moves_a_key_beside_the_database_out(legacy: tuple[Path, str, str]) -> None:
    path, account_id, old = legacy
    env = {"SIAPKERJA_DATABASE_URL": f"sqlite:///{path}"}
    result = CliRunner().invoke(db_app, ["rekey", "--kid", "new01"], env=env)
    assert result.exit_code == 0, result.output
    assert not path.with_name(path.name + ".key").exists()
    moved = read_key_file(default_key_file(str(path)))
    assert list(moved.keys) == ["new01"]
    svc = open_sql(f"sqlite:///{path}")
    try:
        assert storage_of(svc).key_source.origin == "file"  # type: ignore[union-attr]
        assert kids_in(svc) == {"new01"}
        assert svc.login(identifier=EMAIL, password=PASSWORD).id == account_id
    finally:
        close(svc)
    with pytest.raises(StorageKeyUnavailable) as info:  # the old key opens nothing now
        open_sql(f"sqlite:///{path}", storage_key=f"{old}:{'A' * 43}=")
    assert info.value.params["kid"] == "new01"


# --- keygen and rekey ----------------------------------------------------------------------------


def test_keygen_writes_a_key_file_outside_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"SIAPKERJA_DATABASE_URL": f"sqlite:///{data / 'siapkerja.sqlite3'}"}
    inside = CliRunner().invoke(db_app, ["keygen", "--write", str(data / "k.key")], env=env)
    assert inside.exit_code == 1
    assert "inside the data directory" in inside.output
    assert not (data / "k.key").exists()

    target = tmp_path / "secrets" / "siapkerja.key"
    args = ["keygen", "--kid", "k2026", "--write", str(target)]
    result = CliRunner().invoke(db_app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "k2026" in result.stdout
    assert read_key_file(target).to_setting() not in result.stdout  # the key is not printed
    assert (target.stat().st_mode & 0o777) == 0o600
    assert list(read_key_file(target).keys) == ["k2026"]
    again = CliRunner().invoke(db_app, ["keygen", "--write", str(target)], env=env)
    assert again.exit_code == 1  # never overwritten

    svc = open_sql(f"sqlite:///{data / 'siapkerja.sqlite3'}", storage_key_file=str(target))
    try:
        sign_up(svc)
        assert kids_in(svc) == {"k2026"}
    finally:
        close(svc)
    assert not default_key_file(str(data / "siapkerja.sqlite3")).exists()


def _rekey_round_trip(url: str, key_file: Path, env: dict[str, str], **settings: Any) -> None:
    svc = open_sql(url, storage_key_file=str(key_file), **settings)
    try:
        account_id = sign_up(svc)
        link = svc.card_qr(account_id)
        old = read_key_file(key_file).current
        assert kids_in(svc) == {old}
    finally:
        close(svc)

    result = CliRunner().invoke(db_app, ["rekey", "--kid", "rekeyed"], env=env)
    assert result.exit_code == 0, result.output
    assert "under key 'rekeyed'" in result.stdout
    assert list(read_key_file(key_file).keys) == ["rekeyed"]  # the old key is gone from the file

    svc = open_sql(url, storage_key_file=str(key_file), **settings)
    try:
        assert kids_in(svc) == {"rekeyed"}
        assert svc.login(identifier=people.NIK, password=PASSWORD).id == account_id
        assert svc.resolve(link.token).full_name  # the keyring and the card survived
    finally:
        close(svc)
    with pytest.raises(StorageKeyUnavailable) as info:
        open_sql(url, storage_key=f"{old}:{'A' * 43}=", **settings)
    assert info.value.params["kid"] == "rekeyed"


def test_rekey_round_trip_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'siapkerja.sqlite3'}"
    key_file = tmp_path / "keys" / "siapkerja.key"
    write_key_file(key_file, KeyMaterial.generate("first"))
    env = {"SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_STORAGE_KEY_FILE": str(key_file)}
    _rekey_round_trip(url, key_file, env)


def test_rekey_round_trip_on_postgresql(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "siapkerja.key"
    write_key_file(key_file, KeyMaterial.generate("first"))
    env = {
        "SIAPKERJA_DATABASE_URL": postgres_url,
        "SIAPKERJA_DATABASE_SCHEMA": postgres_schema,
        "SIAPKERJA_STORAGE_KEY_FILE": str(key_file),
    }
    _rekey_round_trip(
        postgres_url,
        key_file,
        env,
        database_schema=postgres_schema,
        database_migrate="true",
    )


def test_postgresql_with_data_refuses_a_missing_key(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "pg.key"
    write_key_file(key_file, KeyMaterial.generate("pg1"))
    options = {"database_schema": postgres_schema, "database_migrate": "true"}
    svc = open_sql(postgres_url, storage_key_file=str(key_file), **options)
    try:
        sign_up(svc)
    finally:
        close(svc)
    with pytest.raises(StorageKeyUnavailable) as info:
        open_sql(postgres_url, storage_key=random_key("pg2"), **options)
    assert (info.value.full_code, info.value.params["kid"]) == ("config.storage_key_missing", "pg1")
    with pytest.raises(ConfigurationError) as none:  # PostgreSQL never gets a generated key
        open_sql(postgres_url, **options)
    assert none.value.full_code == "config.invalid"


def test_an_interrupted_rekey_resumes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'siapkerja.sqlite3'}"
    key_file = tmp_path / "keys" / "siapkerja.key"
    write_key_file(key_file, KeyMaterial.generate("first"))
    svc = open_sql(url, storage_key_file=str(key_file))
    try:
        account_id = sign_up(svc)
    finally:
        close(svc)
    # A rekey killed after its first step: the new key first in the file, the old one after
    # it, some values re-encrypted. Servers started now read both.
    old = read_key_file(key_file)
    new = KeyMaterial.generate("second")
    both = KeyMaterial({**new.keys, **old.keys}, current="second")
    write_key_file(key_file, both, replace=True)
    half = open_sql(url, storage_key_file=str(key_file))
    try:
        storage = storage_of(half)
        storage.reencrypt(batch_size=1_000_000)  # one table's batch would do as well
        assert half.login(identifier=PHONE, password=PASSWORD).id == account_id
    finally:
        close(half)
    env = {"SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_STORAGE_KEY_FILE": str(key_file)}
    result = CliRunner().invoke(db_app, ["rekey"], env=env)
    assert result.exit_code == 0, result.output
    assert "resuming" in result.stdout
    assert list(read_key_file(key_file).keys) == ["second"]
    svc = open_sql(url, storage_key_file=str(key_file))
    try:
        assert kids_in(svc) == {"second"}
    finally:
        close(svc)


def test_rekey_refuses_a_key_that_comes_from_a_setting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}"
    env = {"SIAPKERJA_DATABASE_URL": url, "SIAPKERJA_STORAGE_KEY": random_key("env1")}
    result = CliRunner().invoke(db_app, ["rekey"], env=env)
    assert result.exit_code == 3  # config.invalid: a setting to change (docs/cli.md)
    assert "rotate it there" in result.output


# --- a KMS or Vault plug-in ----------------------------------------------------------------------


class VaultPlugin:
    """A plug-in giving the storage key, as a KMS or Vault client would."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.calls = 0

    @hookimpl
    def siapkerja_storage_key(self, settings: Any) -> str:
        self.calls += 1
        return self.setting


def test_a_plugin_hook_gives_the_storage_key(tmp_path: Path) -> None:
    path = tmp_path / "siapkerja.sqlite3"
    vault = VaultPlugin(random_key("vault1"))
    svc = connect(
        environ={},
        load_entrypoints=False,
        plugins=[vault],
        hasher=PasswordHasher.fast_for_tests(),
        database_url=f"sqlite:///{path}",
        sms="memory",
    )
    try:
        sign_up(svc)
        assert kids_in(svc) == {"vault1"}
    finally:
        close(svc)
    assert vault.calls == 1
    assert not default_key_file(str(path)).exists()  # no key file made
    with pytest.raises(StorageKeyUnavailable):  # and without the plug-in, no key opens it
        open_sql(f"sqlite:///{path}", storage_key=random_key("vault2"))
