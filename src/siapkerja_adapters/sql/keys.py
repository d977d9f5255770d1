"""Where the storage key comes from, kept apart from the data it opens.

This module owns how :func:`~siapkerja_adapters.sql.sql_storage_from_settings`
finds the storage key (``docs/storage.md``, "Keys and rotation"), first found wins:

1. the ``storage_key`` setting (``SIAPKERJA_STORAGE_KEY`` in the environment,
   or the TOML file) — ``connect()`` fills it from a plug-in's
   ``siapkerja_storage_key`` hook (a KMS or Vault) when it is unset;
2. the key file named by ``storage_key_file``;
3. SQLite file only: the per-user key file :func:`default_key_file`
   (``$XDG_CONFIG_HOME/siapkerja/keys/<stem>-<hash of the path>.key``,
   outside the data directory);
4. SQLite file only: the 0.1 key file ``<database>.key`` *beside* the
   database, read with a warning (``serve`` outside ``--dev`` refuses it
   unless ``allow_unsafe`` lists ``key_beside_data``; ``siapkerja db rekey``
   moves it out).

A key file is **generated** (mode 0600, logged as a warning) only where no
stored data exists yet; over existing data the storage refuses to open with
``config.storage_key_missing`` naming the key id the data needs. A PostgreSQL
database never gets a generated key.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Final, Literal

import attrs

from siapkerja_adapters.sql.crypto import KeyMaterial
from siapkerja_core.errors import ConfigurationError

__all__ = [
    "KeyOrigin",
    "KeySource",
    "beside_data_key_file",
    "default_key_file",
    "read_key_file",
    "write_key_file",
]

logger = logging.getLogger("siapkerja.storage")

KeyOrigin = Literal["setting", "file", "beside_data", "generated", "throwaway"]
"""Where a :class:`KeySource`'s keys came from."""

_KEY_FILE_SUFFIX: Final = ".key"
_KEYS_DIR: Final = ("siapkerja", "keys")


@attrs.frozen
class KeySource:
    """The storage keys and where they came from (never shows the keys).

    :ivar origin: ``setting`` (``storage_key``, the environment or a plug-in),
        ``file`` (a key file outside the data), ``beside_data`` (the 0.1 key
        file next to the SQLite database), ``generated`` (a new key file,
        written because no data existed) or ``throwaway`` (a ``sqlite://`` database).
    :ivar path: the key file, for the file origins.
    """

    material: KeyMaterial = attrs.field(repr=False)
    origin: KeyOrigin
    path: Path | None = None

    @property
    def description(self) -> str:
        """Where the key came from, for messages (``key file /x/y.key``)."""
        if self.path is not None:
            return f"key file {self.path}"
        return "storage_key setting" if self.origin == "setting" else self.origin

    @property
    def writable(self) -> bool:
        """Whether ``siapkerja db rekey`` can write a new key where this one came from."""
        return self.path is not None


def config_home() -> Path:
    """``$XDG_CONFIG_HOME``, else ``~/.config``."""
    configured = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return Path(configured) if configured else Path.home() / ".config"


def default_key_file(database: str) -> Path:
    """The per-user key file of the SQLite database ``database``, outside its directory.

    ``<config home>/siapkerja/keys/<file stem>-<12 hex of the absolute path>.key``:
    one key per database file, found again at the same path, and not found for a
    copy of the database elsewhere (that copy needs ``storage_key_file``).
    """
    resolved = Path(database).expanduser().resolve()
    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:12]
    return config_home().joinpath(*_KEYS_DIR, f"{resolved.stem}-{digest}{_KEY_FILE_SUFFIX}")


def beside_data_key_file(database: str) -> Path:
    """Release 0.1's key file: ``<database>.key`` in the database's own directory."""
    path = Path(database).expanduser().resolve()
    return path.with_name(path.name + _KEY_FILE_SUFFIX)


def read_key_file(path: Path, *, name: str = "storage_key_file") -> KeyMaterial:
    """The keys in a key file (a ``storage_key = "..."`` line, as ``keygen --write`` writes).

    :raises ConfigurationError: ``config.invalid`` for an unreadable file or one without a key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(
            "invalid", name=name, reason=f"{path}: {error.strerror or error}"
        ) from None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "storage_key":
            return KeyMaterial.parse(value.strip().strip('"'), name=name)
    raise ConfigurationError("invalid", name=name, reason=f"{path} holds no storage_key line")


def _content(material: KeyMaterial) -> str:
    return (
        "# A siapkerja storage key (AES-256, base64): the first encrypts, all decrypt.\n"
        "# Keep it secret and back it up APART from the database: without it the\n"
        "# encrypted fields cannot be read, and with the database it opens them.\n"
        f'storage_key = "{material.to_setting()}"\n'
    )


def write_key_file(path: Path, material: KeyMaterial, *, replace: bool = False) -> bool:
    """Write ``material`` to ``path`` (mode 0600, its directory 0700 when created).

    Atomic: a temporary file in the same directory is linked (``replace=False``:
    an existing file wins, and False is returned) or renamed over ``path``.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".siapkerja-key-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(_content(material))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process made it first: theirs is the key
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def warn_generated(source: KeySource) -> None:
    """Say loudly that a new storage key was written (it must be backed up)."""
    logger.warning(
        "GENERATED A NEW STORAGE KEY %r in %s (no stored data existed). Back this file up"
        " APART from the database: without it the stored personal data cannot be read."
        " Production sets storage_key, SIAPKERJA_STORAGE_KEY or storage_key_file.",
        source.material.current,
        source.path,
    )


def warn_beside_data(source: KeySource, database: str) -> None:
    """Say that the 0.1 key file beside the database is in use, and where it should go."""
    logger.warning(
        "the storage key is read from %s, BESIDE the database: a copy of the data directory"
        " opens every encrypted field. Move it out (e.g. to %s, or set storage_key_file),"
        " or run `siapkerja db rekey` to re-encrypt under a new key kept outside.",
        source.path,
        default_key_file(database),
    )
