"""What every repository of the ``sql`` storage shares: the typed storage errors, the
associated data binding a ciphertext to its row, JSON helpers, and the repository base.

A stored value that does not read back as its column's type (a time, a number, a
JSON document, an enumeration member changed by hand, or by a fault of the disk)
is :class:`CorruptRow` (``storage.corrupt``), never the converter's own
``ValueError``: :func:`reads` marks the functions that turn a row into a record,
:func:`corrupt_row` makes the error and logs the table once (never a value: it
may be personal data).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypeVar

import orjson
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


class CorruptRow(StorageError):
    """A stored row cannot be read back: a value its column cannot hold (a time, a number,
    a JSON document, an enumeration member), written by hand or by a fault of the disk.

    ``storage.corrupt``: nothing is served from the row and the unit of work is
    rolled back; the log names the table (and column where known), never a value.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "corrupt",
        }
    )


READ_FAULTS: Final = (ValueError, TypeError, KeyError, IndexError, OverflowError)
"""What a conversion of a stored value raises when the value is not its column's type."""

_F = TypeVar("_F", bound=Callable[..., Any])


def corrupt_row(table: str, error: BaseException, column: str | None = None) -> CorruptRow:
    """``storage.corrupt`` for a row of ``table`` whose conversion raised ``error``, logged
    here, once, with the table, column and the error's type — never its text, which
    quotes the stored value. Raise it ``from None`` for the same reason."""
    where = table if column is None else f"{table}.{column}"
    logger.error(
        "storage.corrupt: a stored row of %s cannot be read (%s); refused",
        where,
        type(error).__name__,
    )
    return CorruptRow("corrupt")


def reads(table: Table | str) -> Callable[[_F], _F]:
    """Mark a function turning a stored row of ``table`` into a record: a value that does
    not convert (:data:`READ_FAULTS`) is :class:`CorruptRow`."""
    name = table if isinstance(table, str) else table.name

    def decorate(function: _F) -> _F:
        @functools.wraps(function)
        def read(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except READ_FAULTS as error:
                raise corrupt_row(name, error) from None

        return read  # type: ignore[return-value]

    return decorate


def _storage_error(error: BaseException, *, read_only_unit: bool = False) -> StorageError:
    """A driver or SQLAlchemy failure as the port's typed error (the cause stays chained).

    ``read_only_unit``: the statement ran in a read-only unit of work, where the
    database's refusal of a write is the unit's own (``read_only``: the caller's
    mistake). Anywhere else the same refusal is the database's — a read-only file
    or file system, a hot standby — and the storage is ``unavailable``, as when
    the disk is full.
    """
    original = getattr(error, "orig", None)
    # A driver's own error (the lane's, a unit of work's driver statements) carries it itself.
    cause = original if original is not None else error
    sqlstate = getattr(cause, "sqlstate", None)
    message = str(cause)
    if sqlstate == "42P01" or "no such table" in message:
        return SchemaNotReady("not_migrated")
    # A stored value the driver cannot load: psycopg's DataError raised on the client,
    # without a SQLSTATE (a timestamp 'infinity', a year past 9999). The row, not the
    # server: retrying cannot help, so it is no ``unavailable``.
    if sqlstate is None and any(kind.__name__ == "DataError" for kind in type(cause).__mro__):
        return corrupt_row("a table read", cause)
    # PostgreSQL's read_only_sql_transaction, SQLite's SQLITE_READONLY (PRAGMA
    # query_only, or a file it may not write).
    if sqlstate == "25006" or "attempt to write a readonly database" in message:
        if read_only_unit:
            return StorageError("read_only")
        logger.warning(
            "storage failure: the database refuses writes (a read-only file or file system,"
            " or a read-only replica)"
        )
        return StorageError("unavailable")
    logger.warning("storage failure: %s", type(cause).__name__)
    return StorageError("unavailable")


def _context(table: Table, column: str, key: object) -> bytes:
    """The associated data binding a ciphertext to its table, column and row."""
    return f"{table.name}\x00{column}\x00{key}".encode()


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iso_list(moments: Sequence[datetime]) -> str:
    """The moments as a JSON array of ISO texts in UTC (``_json``'s very text: ISO is ASCII,
    and orjson writes no spaces), by orjson: ``json.dumps`` with its options built an
    encoder on every call, a few µs a challenge written."""
    return orjson.dumps([moment.astimezone(UTC).isoformat() for moment in moments]).decode()


class _Repository:
    __slots__ = ("_storage", "_tx")

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self._storage = tx.storage
