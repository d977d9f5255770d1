"""What every repository of the ``sql`` storage shares: the typed storage errors, the
associated data binding a ciphertext to its row, JSON helpers, and the repository base.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Final, Literal

from sqlalchemy import Table

from siapkerja_core.ports import StorageError

if TYPE_CHECKING:
    from siapkerja_adapters.sql.transaction import SqlTransaction


logger = logging.getLogger("siapkerja.storage.sql")

Field = Literal["nik", "email", "phone"]
_FIELDS: Final[tuple[Field, ...]] = ("nik", "email", "phone")


class SchemaNotReady(StorageError):
    """The database has no tables yet, or an older schema: run ``siapkerja db upgrade``."""

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "not_migrated",
        }
    )


def _storage_error(error: BaseException) -> StorageError:
    """A driver or SQLAlchemy failure as the port's typed error (the cause stays chained)."""
    original = getattr(error, "orig", None)
    # A driver's own error (the lane's, a unit of work's driver statements) carries it itself.
    sqlstate = getattr(original if original is not None else error, "sqlstate", None)
    message = str(original if original is not None else error)
    if sqlstate == "42P01" or "no such table" in message:
        return SchemaNotReady("not_migrated")
    # A write in a read-only unit of work: PostgreSQL's read_only_sql_transaction,
    # SQLite's SQLITE_READONLY (PRAGMA query_only).
    if sqlstate == "25006" or "attempt to write a readonly database" in message:
        return StorageError("read_only")
    logger.warning("storage failure: %s", type(original or error).__name__)
    return StorageError("unavailable")


def _context(table: Table, column: str, key: object) -> bytes:
    """The associated data binding a ciphertext to its table, column and row."""
    return f"{table.name}\x00{column}\x00{key}".encode()


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iso_list(moments: Sequence[datetime]) -> str:
    return _json([moment.astimezone(UTC).isoformat() for moment in moments])


class _Repository:
    __slots__ = ("_storage", "_tx")

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self._storage = tx.storage
