"""``siapkerja db …``: migrate the SQL storage, show its revision, make and rotate keys.

:data:`db_app` is a Typer sub-app. Settings are resolved as ``connect()``
resolves them — ``--database-url``/``--storage-key`` options, then
``SIAPKERJA_*`` variables, then the TOML file (``--config`` or
``$SIAPKERJA_CONFIG``) — so the command migrates the database the
application will use.

Exit codes: 0 on success, 1 when the database or a setting fails (the typed
error's message is printed), 2 for a usage error (Typer).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer

from siapkerja_adapters.cli.common import ConfigOption, fail
from siapkerja_adapters.connect import read_config_file
from siapkerja_adapters.sql import sql_storage_from_settings
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_adapters.sql.schema import SCHEMA_REVISION
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_core.errors import SiapkerjaError
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
    """The settings ``connect()`` would use, with the storage forced to ``sql``."""
    path = config if config is not None else (os.environ.get(CONFIG_ENV) or None)
    file_values = read_config_file(path) if path is not None else {}
    return resolve_settings(
        None,
        kwargs={"storage": "sql", "database_url": database_url},
        environ=os.environ,
        file_values=file_values,
    )


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


@db_app.command("upgrade")
def upgrade(config: ConfigOption = None, database_url: UrlOption = None) -> None:
    """Migrasikan skema ke versi terbaru / Migrate the schema to the newest revision."""
    try:
        storage = _storage(config, database_url)
        try:
            revision = storage.upgrade()
        finally:
            storage.dispose()
    except SiapkerjaError as error:
        raise fail("db", error) from None
    typer.echo(f"{storage!r}: schema at {revision}")


@db_app.command("current")
def current(config: ConfigOption = None, database_url: UrlOption = None) -> None:
    """Tampilkan versi skema / Show the schema revision (exit 1 if not at head)."""
    try:
        storage = _storage(config, database_url)
        try:
            revision = storage.current_revision()
        finally:
            storage.dispose()
    except SiapkerjaError as error:
        raise fail("db", error) from None
    if revision == SCHEMA_REVISION:
        typer.echo(f"{revision} (head)")
        return
    shown = revision or "none (not migrated)"
    typer.echo(f"{shown}; head is {SCHEMA_REVISION}: run `siapkerja db upgrade`")
    raise typer.Exit(1)


@db_app.command("keygen")
def keygen(
    kid: Annotated[
        str | None, typer.Option("--kid", help="Key id (default: a fingerprint of the key).")
    ] = None,
) -> None:
    """Buat kunci penyimpanan baru / Print a new storage_key value (keep it secret)."""
    try:
        typer.echo(generate_key_setting(kid))
    except ValueError as error:
        typer.echo(f"siapkerja db keygen: {error}", err=True)
        raise typer.Exit(2) from None


@db_app.command("reencrypt")
def reencrypt(config: ConfigOption = None, database_url: UrlOption = None) -> None:
    """Enkripsi ulang dengan kunci terbaru / Re-encrypt every field under the first storage key."""
    try:
        storage = _storage(config, database_url)
        try:
            count = storage.reencrypt()
        finally:
            storage.dispose()
    except SiapkerjaError as error:
        raise fail("db", error) from None
    typer.echo(f"re-encrypted {count} value(s) under key {storage.cipher.current_kid!r}")
