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
    ``"kid:base64key, kid:base64key"`` — AES-256 keys, the first encrypts
    (``SIAPKERJA_STORAGE_KEY`` in the environment; a plug-in's
    ``siapkerja_storage_key`` hook fills it from a KMS or Vault).
``storage_key_file``
    A key file outside the data directory (``siapkerja db keygen --write``).
    Without either, a SQLite file's key lives in the per-user file
    :func:`~.keys.default_key_file`, generated only while no data is stored;
    PostgreSQL requires one of them. Stored data whose key is missing or
    wrong refuses to open (``config.storage_key_missing`` / ``_wrong``).
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

import logging
import re
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from siapkerja_adapters.sql.base import SchemaNotReady
from siapkerja_adapters.sql.counters import SqlCounters
from siapkerja_adapters.sql.crypto import (
    FieldCipher,
    KeyMaterial,
    StorageKeyError,
    StorageKeyUnavailable,
    generate_key_setting,
)
from siapkerja_adapters.sql.engine import is_memory_sqlite, normalise_url
from siapkerja_adapters.sql.keys import (
    KeySource,
    beside_data_key_file,
    default_key_file,
    read_key_file,
    warn_beside_data,
    warn_generated,
    write_key_file,
)
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.ports import StorageError
from siapkerja_core.settings import Settings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "KeyMaterial",
    "KeySource",
    "SchemaNotReady",
    "SqlCounters",
    "SqlStorage",
    "SqlTransaction",
    "StorageKeyError",
    "StorageKeyUnavailable",
    "generate_key_setting",
    "key_material_from_settings",
    "key_source_from_settings",
    "sql_storage_from_settings",
]

logger = logging.getLogger("siapkerja.storage")

DEFAULT_DATABASE_URL: Final = "sqlite:///siapkerja.sqlite3"
"""The embedded default: a SQLite file in the current directory, created on first use."""

_SCHEMA: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _sqlite_file(url: URL) -> str | None:
    if url.get_backend_name() == "sqlite" and url.database and not is_memory_sqlite(url):
        return url.database
    return None


def key_source_from_settings(settings: Settings, url: str | URL | None = None) -> KeySource:
    """Where the storage keys come from (:mod:`.keys`), without generating anything.

    A SQLite file without any key gives the ``generated`` origin with fresh
    keys and the path they would be written to: :func:`sql_storage_from_settings`
    writes them only when no stored data exists.

    :raises ConfigurationError: ``config.invalid`` — a malformed key or key file,
        or no key for PostgreSQL.
    """
    configured = settings.get_str("storage_key")
    if configured:
        return KeySource(KeyMaterial.parse(configured), "setting")
    key_file = settings.get_str("storage_key_file")
    parsed = normalise_url(url or settings.get("database_url", DEFAULT_DATABASE_URL))
    database = _sqlite_file(parsed)
    if key_file:
        path = Path(key_file).expanduser().resolve()
        if path.exists() or database is None:
            return KeySource(read_key_file(path), "file", path)
        return KeySource(KeyMaterial.generate(), "generated", path)
    if is_memory_sqlite(parsed):
        return KeySource(KeyMaterial.generate(), "throwaway")
    if database is None:
        raise ConfigurationError(
            "invalid",
            name="storage_key",
            reason="PostgreSQL needs storage_key, SIAPKERJA_STORAGE_KEY or storage_key_file:"
            " make one with `siapkerja db keygen`",
        )
    default = default_key_file(database)
    if default.exists():  # before the 0.1 file: `db rekey` moves the key out to here
        return KeySource(read_key_file(default), "file", default)
    beside = beside_data_key_file(database)
    if beside.exists():
        return KeySource(read_key_file(beside, name="storage_key"), "beside_data", beside)
    return KeySource(KeyMaterial.generate(), "generated", default)


def key_material_from_settings(settings: Settings, url: str | None = None) -> KeyMaterial:
    """The storage keys of :func:`key_source_from_settings` (a key is never written here)."""
    return key_source_from_settings(settings, url).material


def _open_with_key(storage: SqlStorage, source: KeySource, database: str | None) -> KeySource:
    """Check ``source`` against the stored data; write a generated key only over no data."""
    if source.origin == "generated":
        assert source.path is not None
        kid = storage.stored_key_id()
        if kid is not None and source.path.exists():
            # Another process wrote the key file and data since we looked: theirs is the key.
            source = KeySource(read_key_file(source.path), "file", source.path)
            storage.cipher = FieldCipher(source.material)
        elif kid is not None:
            raise StorageKeyUnavailable(
                "storage_key_missing", kid=kid, source=f"key file {source.path} (missing)"
            )
        elif write_key_file(source.path, source.material):
            warn_generated(source)
        else:  # another process wrote it first: use theirs
            source = KeySource(read_key_file(source.path), "file", source.path)
            storage.cipher = FieldCipher(source.material)
    elif source.origin == "beside_data" and database is not None:
        warn_beside_data(source, database)
    storage.key_source = source
    if source.origin != "throwaway":
        try:
            storage.check_key()
        except StorageError as error:  # unreachable now: checked again on first use
            logger.warning("storage key not checked at start: %s", error.full_code)
    return source


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
    if schema is not None and parsed.get_backend_name() != "postgresql":
        # A valid name on the wrong database (SIAPKERJA_DATABASE_SCHEMA left set while
        # the URL is SQLite's): say so, not that the name is wrong.
        raise ConfigurationError(
            "invalid",
            name="database_schema",
            reason=f"a schema is PostgreSQL's; the database is {parsed.get_backend_name()}",
        )
    if schema is not None and not _SCHEMA.fullmatch(schema):
        raise ConfigurationError(
            "invalid", name="database_schema", reason="a PostgreSQL schema name (letters, _)"
        )
    source = key_source_from_settings(settings, parsed)
    storage = SqlStorage(
        parsed,
        key_material=source.material,
        migrate=None if migrate_setting == "auto" else migrate_setting == "true",
        schema=schema,
        **{k: v for k, v in options.items() if v is not None},
    )
    try:
        _open_with_key(storage, source, _sqlite_file(parsed))
    except BaseException:
        storage.dispose()
        raise
    return storage
