"""The unit of work of the ``sql`` storage: :class:`SqlTransaction` (the repositories of one
database transaction, and the bulk read of card holders) and the ``with`` scope that
commits or rolls it back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import orjson
from sqlalchemy import Text, any_, bindparam, cast, func, select, type_coerce
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement, Executable
from sqlalchemy.types import NullType

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.accounts import (
    _A,
    _Accounts,
    _Challenges,
    _Registrations,
    _Resets,
    _Sessions,
)
from siapkerja_adapters.sql.aki import _Aki
from siapkerja_adapters.sql.audit import SqlAudit
from siapkerja_adapters.sql.base import _context, _storage_error, logger
from siapkerja_adapters.sql.cards import _C, _card, _Cards, _Profiles
from siapkerja_adapters.sql.consent_requests import ConsentRequests
from siapkerja_adapters.sql.contacts import SqlSecondContacts
from siapkerja_adapters.sql.disputes import Disputes
from siapkerja_adapters.sql.factors import SqlFactors
from siapkerja_adapters.sql.gates import GateRepository
from siapkerja_adapters.sql.keyring import _Keyrings
from siapkerja_adapters.sql.ledger import _AccessLog, _CheckIns, _Consents, _Verifiers
from siapkerja_adapters.sql.outbox import _Outbox
from siapkerja_adapters.sql.rights import SqlRights
from siapkerja_adapters.sql.sso import SsoClients, SsoTokens
from siapkerja_adapters.sql.status_list import _StatusLists
from siapkerja_adapters.sql.training import SqlClasses, SqlProgrammes
from siapkerja_core.completeness import stamped_complete
from siapkerja_core.ports import CardHolder
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccountRecord

if TYPE_CHECKING:
    from siapkerja_adapters.sql.storage import SqlStorage

# Separate queries rather than one join: on PostgreSQL ``sk_accounts.id`` is in the "C"
# collation and the other tables' account ids are not, so a join on them could not
# use the cards' and profiles' indexes. Each query here has its own. A batch reads the
# light columns of every holder (activity, card, completeness stamp) and the heavy
# ones (the encrypted PII, the profile document with its photo) only for the holders
# whose completeness they decide: reading them all was a fifth of a bulk issuance.
# The two times come as the driver gives them (text on SQLite) and are converted only
# for the accounts a caller reads: parsing them was a tenth of a bulk issuance.
_HOLDER_ACCOUNT_COLUMNS: Final = (
    _A.id,
    _A.pii,
    _A.password_hash,
    type_coerce(_A.created_at, NullType()).label("created_at"),
    type_coerce(_A.password_changed_at, NullType()).label("password_changed_at"),
    _A.active,
)
_P = sk.profiles.c


class _HolderQueries(NamedTuple):
    accounts: Executable  # id, active; locked as accounts.get locks (FOR UPDATE)
    account_rows: Executable  # the whole account, for those a caller reads
    cards: Executable
    stamps: Executable  # account id, completeness stamp
    profiles: Executable  # account id, the encrypted document


def _holder_queries(ids: Callable[[ColumnElement[str]], ColumnElement[bool]]) -> _HolderQueries:
    return _HolderQueries(
        accounts=select(_A.id, _A.active).where(ids(_A.id)).with_for_update(),
        account_rows=select(*_HOLDER_ACCOUNT_COLUMNS).where(ids(_A.id)),
        cards=select(sk.cards).where(ids(_C.account_id)),
        stamps=select(_P.account_id, _P.complete).where(ids(_P.account_id)),
        profiles=select(_P.account_id, _P.data).where(ids(_P.account_id)),
    )


_HOLDERS_CHUNK: Final = 1000  # ids per query
# The ids of a query as one JSON array parameter, which the database turns into rows:
# an expanding ``IN`` of a thousand placeholders cost SQLAlchemy a pass over each of
# them on every call on SQLite (a sixth of a bulk issuance), and a text array cost
# psycopg a regular-expression check of every element as it quoted it on PostgreSQL.
# SQLite: ``IN (SELECT value FROM json_each(?))`` (JSON functions are built in since
# 3.38); PostgreSQL: ``= ANY(ARRAY(SELECT json_array_elements_text(…)))``, an array
# the index scan takes as ``= ANY`` of a literal one.
_IDS: Final = bindparam("ids", type_=Text)
_IDS_SQLITE: Final = select(func.json_each(_IDS).table_valued("value").c.value).scalar_subquery()
_IDS_PG: Final = func.array(
    select(func.json_array_elements_text(cast(_IDS, pg_dialect.JSON))).scalar_subquery()
)
_HOLDER_QUERIES: Final = {
    "sqlite": _holder_queries(lambda column: column.in_(_IDS_SQLITE)),
    "postgresql": _holder_queries(lambda column: column == any_(_IDS_PG)),
}


def ids_param(ids: Sequence[str]) -> str:
    """``ids`` as the ``ids`` parameter of :data:`_HOLDER_QUERIES`: a JSON array."""
    return orjson.dumps(list(ids)).decode()


class SqlTransaction:
    """The repositories of one unit of work (attributes named as in the ``Transaction`` port).

    Each repository is made on first use. ``conn`` is the transaction's connection.
    """

    def __init__(self, storage: SqlStorage, conn: Connection, read_only: bool = False) -> None:
        self.storage = storage
        self.conn = conn
        self.read_only = read_only
        """A read-only unit of work: rows are read without ``FOR UPDATE`` (nothing to lock
        for a write that cannot come), and a write raises ``StorageError("read_only")``."""

    def run(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        """Execute ``statement`` (once per mapping of a list); a failure becomes StorageError."""
        if self.read_only and getattr(statement, "_for_update_arg", None) is not None:
            statement = _unlocked(statement)
        try:
            return self.conn.execute(statement, params)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.conn.begin_nested():
            yield

    @functools.cached_property
    def registrations(self) -> _Registrations:
        return _Registrations(self)

    @functools.cached_property
    def challenges(self) -> _Challenges:
        return _Challenges(self)

    @functools.cached_property
    def accounts(self) -> _Accounts:
        return _Accounts(self)

    @functools.cached_property
    def sessions(self) -> _Sessions:
        return _Sessions(self)

    @functools.cached_property
    def resets(self) -> _Resets:
        return _Resets(self)

    @functools.cached_property
    def profiles(self) -> _Profiles:
        return _Profiles(self)

    @functools.cached_property
    def cards(self) -> _Cards:
        return _Cards(self)

    @functools.cached_property
    def verifiers(self) -> _Verifiers:
        return _Verifiers(self)

    @functools.cached_property
    def consents(self) -> _Consents:
        return _Consents(self)

    @functools.cached_property
    def access_log(self) -> _AccessLog:
        return _AccessLog(self)

    @functools.cached_property
    def check_ins(self) -> _CheckIns:
        return _CheckIns(self)

    @functools.cached_property
    def keyring(self) -> _Keyrings:
        return _Keyrings(self)

    @functools.cached_property
    def outbox(self) -> _Outbox:
        return _Outbox(self)

    @functools.cached_property
    def aki(self) -> _Aki:
        return _Aki(self)

    @functools.cached_property
    def audit(self) -> SqlAudit:
        return SqlAudit(self)

    @functools.cached_property
    def consent_requests(self) -> ConsentRequests:
        return ConsentRequests(self)

    @functools.cached_property
    def disputes(self) -> Disputes:
        return Disputes(self)

    @functools.cached_property
    def sso_clients(self) -> SsoClients:
        return SsoClients(self)

    @functools.cached_property
    def sso_tokens(self) -> SsoTokens:
        return SsoTokens(self)

    @functools.cached_property
    def status_list(self) -> _StatusLists:
        return _StatusLists(self)

    @functools.cached_property
    def gates(self) -> GateRepository:
        return GateRepository(self)

    @functools.cached_property
    def classes(self) -> SqlClasses:
        return SqlClasses(self)

    @functools.cached_property
    def programmes(self) -> SqlProgrammes:
        return SqlProgrammes(self)

    @functools.cached_property
    def factors(self) -> SqlFactors:
        return SqlFactors(self)

    @functools.cached_property
    def rights(self) -> SqlRights:
        return SqlRights(self)

    @functools.cached_property
    def second_contacts(self) -> SqlSecondContacts:
        return SqlSecondContacts(self)

    def card_holders(self, account_ids: Sequence[str]) -> Iterator[CardHolder]:
        """The existing accounts among ``account_ids``, once each, with their cards and profiles.

        Per thousand ids: the accounts' activity (locked ``FOR UPDATE`` on
        PostgreSQL), their cards and their profiles' completeness stamps; then,
        for the holders whose completeness these do not settle, their profile
        documents (no current stamp) or whole accounts (no profile), which the
        caller will read. Anything else is read and decoded only when the
        caller asks for it, one holder at a time, and without the scan path's
        cache: a bulk run reads each once, and caching them would evict the
        cards being scanned.
        """
        queries = _HOLDER_QUERIES.get(self.storage.dialect, _HOLDER_QUERIES["sqlite"])
        to_time = _time_reader(self.storage.engine.dialect)
        unique = list(dict.fromkeys(account_ids))
        for start in range(0, len(unique), _HOLDERS_CHUNK):
            chunk = unique[start : start + _HOLDERS_CHUNK]
            params = {"ids": ids_param(chunk)}
            active = dict(self.run(queries.accounts, params).all())
            if not active:
                continue
            cards = {row.account_id: _card(row) for row in self.run(queries.cards, params)}
            stamps = {row[0]: stamped_complete(row[1]) for row in self.run(queries.stamps, params)}
            # What the caller will read to judge completeness, for the batch at once.
            unsettled = [i for i in chunk if i in stamps and stamps[i] is None and i not in cards]
            bare = [i for i in chunk if i in active and i not in stamps and i not in cards]
            documents = dict(self._rows(queries.profiles, unsettled))
            accounts = {row[0]: row for row in self._rows(queries.account_rows, bare)}
            for account_id in chunk:
                if account_id not in active:
                    continue
                yield CardHolder(
                    None,
                    cards.get(account_id),
                    load=(
                        functools.partial(self._holder_profile, account_id, documents)
                        if account_id in stamps
                        else None
                    ),
                    load_account=functools.partial(
                        self._holder_account, account_id, accounts, to_time
                    ),
                    account_id=account_id,
                    active=active[account_id],
                    complete=stamps.get(account_id),
                )

    def _rows(self, query: Executable, ids: list[str]) -> list[Any]:
        return list(self.run(query, {"ids": ids_param(ids)})) if ids else []

    def _holder_profile(self, account_id: str, documents: dict[str, Any]) -> Profile:
        blob = documents.pop(account_id, None)
        if blob is None:  # not read with the batch: the caller asked all the same
            queries = _HOLDER_QUERIES.get(self.storage.dialect, _HOLDER_QUERIES["sqlite"])
            blob = self._rows(queries.profiles, [account_id])[0][1]
        return self.storage._decode_profile(account_id, b"", bytes(blob))

    def _holder_account(
        self, account_id: str, rows: dict[str, Any], to_time: Callable[[Any], Any]
    ) -> AccountRecord:
        row = rows.pop(account_id, None)
        if row is None:  # not read with the batch: the caller asked all the same
            queries = _HOLDER_QUERIES.get(self.storage.dialect, _HOLDER_QUERIES["sqlite"])
            row = self._rows(queries.account_rows, [account_id])[0]
        _, pii_blob, password_hash, created, changed, active = row
        pii = self.storage.cipher.decrypt_json(pii_blob, _context(sk.accounts, "pii", account_id))
        return AccountRecord(
            id=account_id,
            nik=pii["nik"],
            full_name=pii["full_name"],
            email=pii["email"],
            phone=pii["phone"],
            password_hash=password_hash,
            created_at=to_time(created),
            password_changed_at=to_time(changed),
            active=active,
        )


def _time_reader(dialect: Dialect) -> Callable[[Any], Any]:
    """What reading an ``sk_accounts`` time column does to the driver's value, as a function."""
    processor = sk.accounts.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor if processor is not None else lambda value: value


class _Scope:
    """``with storage.transaction() as tx``: commit on success, roll back on an exception.

    ``read_only``: a unit of work that only reads. SQLite: a connection of the
    read-only units' own pool (``PRAGMA query_only`` set once when it was
    opened: toggling it per unit re-prepared every statement, +30 µs a unit),
    ``BEGIN DEFERRED`` (a WAL snapshot taken at the first read), and not the
    process's write lock, so renders neither queue behind each other nor
    behind writers. PostgreSQL: ``BEGIN READ ONLY`` (psycopg's ``read_only``,
    reset when the connection goes back to the pool). A write fails with
    ``StorageError("read_only")``.
    """

    __slots__ = ("_conn", "_read_only", "_storage", "_writing")

    def __init__(self, storage: SqlStorage, read_only: bool = False) -> None:
        self._storage = storage
        self._read_only = read_only

    def __enter__(self) -> SqlTransaction:
        storage = self._storage
        local = storage._local
        if getattr(local, "active", False):
            raise RuntimeError("SQL storage transactions do not nest within a thread")
        storage._prepare(index=True)
        read_only = self._read_only
        # SQLite: queue behind the process's writers before taking a connection, so
        # that the connections in use are the writer's and the readers'. A reader
        # does not queue: its snapshot never blocks a writer, nor a writer it.
        writing = storage._writing(not read_only)
        writing.__enter__()
        try:
            try:
                conn = storage._connect(reader=read_only and storage.dialect == "sqlite")
            except SQLAlchemyError as error:
                raise _storage_error(error) from error
            try:
                if read_only and storage.dialect == "postgresql":
                    # BEGIN READ ONLY; SQLAlchemy resets it when the connection is returned.
                    conn.execution_options(postgresql_readonly=True)
                conn.begin()
            except SQLAlchemyError as error:
                storage._release(conn)
                raise _storage_error(error) from error
        except BaseException:
            writing.__exit__(None, None, None)
            raise
        self._writing = writing
        self._conn = conn
        local.active = True
        return SqlTransaction(storage, conn, read_only)

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        conn = self._conn
        try:
            if exc_type is None:
                try:
                    conn.commit()
                except SQLAlchemyError as error:
                    raise _storage_error(error) from error
            else:
                try:
                    conn.rollback()
                except SQLAlchemyError:
                    logger.debug("rollback failed; the connection is discarded", exc_info=True)
        finally:
            try:
                self._storage._release(conn)
            except SQLAlchemyError:
                logger.debug("closing a connection failed", exc_info=True)
            finally:
                self._storage._local.active = False
                self._writing.__exit__(None, None, None)


_UNLOCKED: dict[int, tuple[Executable, Executable]] = {}
_UNLOCKED_MAX: Final = 512


def _unlocked(statement: Executable) -> Executable:
    """``statement`` without its ``FOR UPDATE`` (PostgreSQL refuses one in ``READ ONLY``).

    The repositories' statements are constants: each copy is made once, keyed by the
    original (kept alive beside it, so its id is not reused). SQLAlchemy has no
    public way to drop a ``with_for_update``; the generative copy is its own.
    """
    key = id(statement)
    known = _UNLOCKED.get(key)
    if known is not None and known[0] is statement:
        return known[1]
    copy: Any = statement._generate()  # type: ignore[attr-defined]
    copy._for_update_arg = None
    if len(_UNLOCKED) < _UNLOCKED_MAX:
        _UNLOCKED[key] = (statement, copy)
    return copy  # type: ignore[no-any-return]
