"""The ``sql`` storage adapter: SQLite (embedded default) and PostgreSQL on SQLAlchemy Core.

>>> from siapkerja_adapters.sql import SqlStorage, KeyMaterial
>>> storage = SqlStorage("sqlite://", key_material=KeyMaterial.generate())
>>> with storage.transaction() as tx:
...     tx.accounts.find(nik="3173071203940042") is None
True
>>> storage.dispose()

Settings read by :func:`sql_storage_from_settings` (``docs/storage.md``):

``database_url``
    ``sqlite:///siapkerja.sqlite3`` (default, in the current directory) or
    ``postgresql://user:password@host:5432/db``.
``storage_key``
    ``"kid:base64key, kid:base64key"`` — AES-256 keys, the first encrypts.
    Required for PostgreSQL; for a SQLite file without it, a key is generated
    on first use into ``<database file>.key`` (mode 0600).
``database_schema``
    PostgreSQL schema holding the tables (default: the ``search_path``).
``database_migrate``
    ``auto`` (default: SQLite migrates itself, PostgreSQL waits for
    ``siapkerja db upgrade``), ``true`` or ``false``.
``database_pool_size``, ``database_max_overflow``, ``database_pool_timeout``,
``database_pool_pre_ping``, ``database_connect_timeout``, ``database_busy_timeout``
    Pool and timeout tuning (see ``docs/storage.md``).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Final

from sqlalchemy.exc import ArgumentError

from siapkerja_adapters.sql.base import SchemaNotReady
from siapkerja_adapters.sql.counters import SqlCounters
from siapkerja_adapters.sql.crypto import KeyMaterial, StorageKeyError, generate_key_setting
from siapkerja_adapters.sql.engine import is_memory_sqlite, normalise_url
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.settings import Settings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "KeyMaterial",
    "SchemaNotReady",
    "SqlCounters",
    "SqlStorage",
    "SqlTransaction",
    "StorageKeyError",
    "generate_key_setting",
    "key_material_from_settings",
    "sql_storage_from_settings",
]

DEFAULT_DATABASE_URL: Final = "sqlite:///siapkerja.sqlite3"
"""The embedded default: a SQLite file in the current directory, created on first use."""

_KEY_FILE_SUFFIX: Final = ".key"
_SCHEMA: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _key_file_for(database: str) -> Path:
    return Path(database).expanduser().resolve().with_name(Path(database).name + _KEY_FILE_SUFFIX)


def _read_key_file(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == "storage_key":
            return value.strip().strip('"')
    raise ConfigurationError("invalid", name="storage_key", reason=f"{path} holds no storage_key")


def _key_file_setting(path: Path) -> str:
    """The key in ``path``, generated first if the file does not exist (race-free)."""
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = (
        "# The storage key of the SQLite database beside this file (AES-256, base64).\n"
        "# Keep it secret and back it up apart from the database: without it the\n"
        "# encrypted fields cannot be read. Production sets `storage_key` instead.\n"
        f'storage_key = "{generate_key_setting()}"\n'
    )
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".siapkerja-key-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read_key_file(path)


def key_material_from_settings(settings: Settings, url: str | None = None) -> KeyMaterial:
    """The storage keys from ``storage_key``, or the SQLite key file (see the module docstring).

    :raises ConfigurationError: ``config.invalid`` — a malformed key, or no key for PostgreSQL.
    """
    configured = settings.get("storage_key")
    if configured:
        return KeyMaterial.parse(configured)
    parsed = normalise_url(url or settings.get("database_url", DEFAULT_DATABASE_URL))
    if is_memory_sqlite(parsed):
        return KeyMaterial.generate()
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return KeyMaterial.parse(_key_file_setting(_key_file_for(parsed.database)))
    raise ConfigurationError(
        "invalid",
        name="storage_key",
        reason="PostgreSQL needs a storage key: generate one with `siapkerja db keygen`",
    )


def sql_storage_from_settings(settings: Settings) -> SqlStorage:
    """Factory of the ``sql`` storage adapter (settings: see the module docstring)."""
    url = settings.get("database_url", DEFAULT_DATABASE_URL)
    try:
        parsed = normalise_url(url)
    except (ArgumentError, ValueError) as error:
        raise ConfigurationError("invalid", name="database_url", reason=str(error)) from None
    migrate_setting = settings.get_choice("database_migrate", "auto", ("auto", "true", "false"))
    options: dict[str, Any] = {  # None: the engine's default
        "pool_size": settings.get_int("database_pool_size", None, minimum=1),
        "max_overflow": settings.get_int("database_max_overflow", None, minimum=0),
        "pool_timeout": settings.get_float("database_pool_timeout", None, minimum=1),
        "connect_timeout": settings.get_int("database_connect_timeout", None, minimum=1),
        "busy_timeout": settings.get_float("database_busy_timeout", None, minimum=1),
        "pool_pre_ping": settings.get_bool("database_pool_pre_ping", True),
        "application_name": settings.get_str("application_name", "siapkerja"),
    }
    schema = settings.get_str("database_schema")
    if schema is not None and (
        parsed.get_backend_name() != "postgresql" or not _SCHEMA.fullmatch(schema)
    ):
        raise ConfigurationError(
            "invalid", name="database_schema", reason="a PostgreSQL schema name (letters, _)"
        )
    return SqlStorage(
        parsed,
        key_material=key_material_from_settings(settings, url),
        migrate=None if migrate_setting == "auto" else migrate_setting == "true",
        schema=schema,
        **{k: v for k, v in options.items() if v is not None},
    )
