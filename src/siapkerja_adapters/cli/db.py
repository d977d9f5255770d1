"""``siapkerja db …``: migrate the SQL storage, show its revision, make and rotate keys.

:data:`db_app` is a Typer sub-app. Settings are resolved as ``connect()``
resolves them — ``--database-url``/``--storage-key`` options, then
``SIAPKERJA_*`` variables, then the TOML file (``--config`` or
``$SIAPKERJA_CONFIG``) — so the command migrates the database the
application will use.

Every command takes ``--json`` (one JSON document on standard output, errors as
``{"error": …}``); ``rekey`` and ``reencrypt`` show a progress bar on a terminal.
Exit codes as every command's (``common.exit_code_for``): 0 on success, 1 when
refused (``db current``: not at head), 2 for a usage error, 3 for a bad setting
or key, 4 when the database cannot be reached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer

from siapkerja_adapters import builtin
from siapkerja_adapters.cli.common import (
    ConfigOption,
    JsonOption,
    ProgressOption,
    fail,
    json_mode,
    print_json,
    progress_bar,
)
from siapkerja_adapters.connect import read_config_file
from siapkerja_adapters.sql import DEFAULT_DATABASE_URL, sql_storage_from_settings
from siapkerja_adapters.sql.crypto import FieldCipher, KeyMaterial
from siapkerja_adapters.sql.engine import is_memory_sqlite, normalise_url
from siapkerja_adapters.sql.keys import KeySource, default_key_file, write_key_file
from siapkerja_adapters.sql.schema import SCHEMA_REVISION
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.plugins import PluginHost, plugin_filter
from siapkerja_core.settings import CONFIG_ENV, Settings, resolve_settings

__all__ = ["db_app", "settings_for_cli"]

db_app: Final = typer.Typer(
    name="db",
    help="Basis data SQL: migrasi dan kunci / SQL storage: migrations and keys.",
    no_args_is_help=True,
    add_completion=False,
)

UrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Database URL (default: settings, else SQLite file)."),
]


def settings_for_cli(config: Path | None, database_url: str | None) -> Settings:
    """The settings ``connect()`` would use, with the storage forced to ``sql``.

    A plug-in's ``siapkerja_storage_key`` hook fills ``storage_key`` as in ``connect()``.
    """
    path = config if config is not None else (os.environ.get(CONFIG_ENV) or None)
    file_values = read_config_file(path) if path is not None else {}
    settings = resolve_settings(
        None,
        kwargs={"storage": "sql", "database_url": database_url},
        environ=os.environ,
        file_values=file_values,
    )
    host = PluginHost.create(plugins=[builtin], only=plugin_filter(os.environ))
    host.configure(settings)
    return host.with_storage_key(settings)


def _storage(config: Path | None, database_url: str | None) -> SqlStorage:
    settings = settings_for_cli(config, database_url)
    # Never migrate implicitly here: `upgrade` does it on purpose, the others only read.
    return sql_storage_from_settings(
        Settings(
            storage=settings.storage,
            sms=settings.sms,
            dukcapil=settings.dukcapil,
            ratelimit=settings.ratelimit,
            database_url=settings.database_url,
            extra={**settings.extra, "database_migrate": "false"},
        )
    )


def _say(text: str) -> None:
    """A line of the text output; with ``--json`` it goes to standard error instead."""
    typer.echo(text, err=json_mode())


@db_app.command("upgrade")
def upgrade(
    json_output: JsonOption = False, config: ConfigOption = None, database_url: UrlOption = None
) -> None:
    """Migrasikan skema ke versi terbaru / Migrate the schema to the newest revision.

    ``--json``: ``{"storage", "revision", "head"}``.
    """
    try:
        storage = _storage(config, database_url)
        try:
            revision = storage.upgrade()
        finally:
            storage.dispose()
    except SiapkerjaError as error:
        raise fail("db", error) from None
    if json_output:
        print_json({"storage": repr(storage), "revision": revision, "head": SCHEMA_REVISION})
        return
    typer.echo(f"{storage!r}: schema at {revision}")


@db_app.command("current")
def current(
    json_output: JsonOption = False, config: ConfigOption = None, database_url: UrlOption = None
) -> None:
    """Tampilkan versi skema / Show the schema revision (exit 1 if not at head).

    ``--json``: ``{"revision", "head", "at_head"}`` (``revision`` null: not migrated).
    A SQLite file that does not exist is not migrated, and is not made to say so (nor
    a storage key for it): showing writes nothing.
    """
    if unwritten_sqlite_file(config, database_url) is not None:
        revision = None
    else:
        try:
            storage = _storage(config, database_url)
            try:
                revision = storage.current_revision()
            finally:
                storage.dispose()
        except SiapkerjaError as error:
            raise fail("db", error) from None
    if json_output:
        print_json(
            {"revision": revision, "head": SCHEMA_REVISION, "at_head": revision == SCHEMA_REVISION}
        )
        if revision != SCHEMA_REVISION:
            raise typer.Exit(1)
        return
    if revision == SCHEMA_REVISION:
        typer.echo(f"{revision} (head)")
        return
    shown = revision or "none (not migrated)"
    typer.echo(f"{shown}; head is {SCHEMA_REVISION}: run `siapkerja db upgrade`")
    raise typer.Exit(1)


KidOption = Annotated[
    str | None, typer.Option("--kid", help="Key id (default: a fingerprint of the key).")
]


def _sqlite_file(config: Path | None, database_url: str | None) -> Path | None:
    """The SQLite database file the settings name (``None``: not a SQLite file, or a
    setting that cannot be read, which opening the storage then reports)."""
    try:
        url = normalise_url(
            settings_for_cli(config, database_url).get("database_url", DEFAULT_DATABASE_URL)
        )
    except (SiapkerjaError, ValueError):
        return None
    if url.get_backend_name() != "sqlite" or is_memory_sqlite(url) or not url.database:
        return None
    return Path(url.database).expanduser().resolve()


def unwritten_sqlite_file(config: Path | None, database_url: str | None) -> Path | None:
    """The SQLite file the settings name when nothing was ever stored in it: no file, or
    an empty one (a `touch`, a create cut short). ``None`` otherwise, or for any other
    database. A command that only shows (``db current``, ``keys list``) answers without
    opening it: opening would create and migrate it and generate a storage key for it."""
    database = _sqlite_file(config, database_url)
    if database is None or (database.exists() and database.stat().st_size > 0):
        return None
    return database


def _data_directory(config: Path | None, database_url: str | None) -> Path | None:
    """The directory of the SQLite database the settings name (``None``: not a SQLite file)."""
    database = _sqlite_file(config, database_url)
    return None if database is None else database.parent


@db_app.command("keygen")
def keygen(
    kid: KidOption = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Write the key to this new file (mode 0600), outside the data directory,"
            " and print only its id; then set storage_key_file to it.",
        ),
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    database_url: UrlOption = None,
) -> None:
    """Buat kunci penyimpanan baru / Make a new storage key: print it, or --write a key file.

    ``--json``: ``{"kid", "storage_key"}``, or ``{"kid", "key_file"}`` with ``--write``.
    """
    try:
        material = KeyMaterial.generate(kid)
    except ValueError as error:
        typer.echo(f"siapkerja db keygen: {error}", err=True)
        raise typer.Exit(2) from None
    if write is None:
        if json_output:
            print_json({"kid": material.current, "storage_key": material.to_setting()})
        else:
            typer.echo(material.to_setting())
        return
    target = write.expanduser().resolve()
    data = _data_directory(config, database_url)
    if data is not None and target.is_relative_to(data):
        raise fail(
            "db keygen",
            ValueError(
                f"{target} is inside the data directory {data}: a copy of it would carry"
                " the key. Choose a path outside it."
            ),
        )
    if not write_key_file(target, material):
        raise fail("db keygen", FileExistsError(f"{target} exists; not overwritten"))
    if json_output:
        print_json({"kid": material.current, "key_file": str(target)})
        return
    typer.echo(f"wrote key {material.current!r} to {target}")
    typer.echo(f'storage_key_file = "{target}"')


@db_app.command("rekey")
def rekey(
    kid: KidOption = None,
    json_output: JsonOption = False,
    progress: ProgressOption = None,
    config: ConfigOption = None,
    database_url: UrlOption = None,
) -> None:
    """Enkripsi ulang dengan kunci baru / Re-encrypt all stored data under a new key.

    The new key goes first into the key file (the old one is kept there for
    decryption), every encrypted value and the keyring are re-encrypted in
    committed batches, then the old key is dropped from the file. Stop the
    servers first. Interrupted, it resumes when run again. A 0.1 key file
    beside a SQLite database is replaced by the per-user key file and removed.
    ``--json``: ``{"rewritten", "kid", "key_file", "resumed"}``.
    """
    try:
        storage = _storage(config, database_url)
        try:
            source = storage.key_source
            assert source is not None
            target = _rekey_target(storage, source)
            material = source.material
            resumed = len(material.keys) > 1
            if resumed:  # an interrupted rekey (or rotation): finish it
                _say(f"resuming: re-encrypting under key {material.current!r}")
            else:
                fresh = KeyMaterial.generate(kid)
                material = KeyMaterial({**fresh.keys, **material.keys}, current=fresh.current)
                write_key_file(target, material, replace=True)  # the old key still decrypts
            storage.cipher = FieldCipher(material)
            with progress_bar("Enkripsi ulang / Re-encrypting", None, enabled=progress) as step:
                count = storage.reencrypt(progress=step)
            storage.check_key()
            final = KeyMaterial(
                {material.current: material.keys[material.current]}, current=material.current
            )
            write_key_file(target, final, replace=True)
            if source.origin == "beside_data" and source.path is not None:
                source.path.unlink(missing_ok=True)
        finally:
            storage.dispose()
    except ValueError as error:
        typer.echo(f"siapkerja db rekey: {error}", err=True)
        raise typer.Exit(2) from None
    except SiapkerjaError as error:
        raise fail("db", error) from None
    if json_output:
        print_json(
            {"rewritten": count, "kid": final.current, "key_file": str(target), "resumed": resumed}
        )
        return
    typer.echo(f"re-encrypted {count} value(s) under key {final.current!r}; key file {target}")


def _rekey_target(storage: SqlStorage, source: KeySource) -> Path:
    """Where ``rekey`` writes the new key: the key file in use, or out of the data directory."""
    if source.origin == "beside_data":
        database = storage.engine.url.database
        assert database is not None
        return default_key_file(database)
    if source.path is None:
        raise ConfigurationError(
            "invalid",
            name="storage_key",
            reason="the key comes from a setting or a plug-in, not a file: rotate it there"
            " (put a new key first, run `siapkerja db reencrypt`, then drop the old one)",
        )
    return source.path


@db_app.command("reencrypt")
def reencrypt(
    json_output: JsonOption = False,
    progress: ProgressOption = None,
    config: ConfigOption = None,
    database_url: UrlOption = None,
) -> None:
    """Enkripsi ulang dengan kunci terbaru / Re-encrypt every field under the first storage key.

    ``--json``: ``{"rewritten", "kid"}``.
    """
    try:
        storage = _storage(config, database_url)
        try:
            with progress_bar("Enkripsi ulang / Re-encrypting", None, enabled=progress) as step:
                count = storage.reencrypt(progress=step)
        finally:
            storage.dispose()
    except SiapkerjaError as error:
        raise fail("db", error) from None
    if json_output:
        print_json({"rewritten": count, "kid": storage.cipher.current_kid})
        return
    typer.echo(f"re-encrypted {count} value(s) under key {storage.cipher.current_kid!r}")
