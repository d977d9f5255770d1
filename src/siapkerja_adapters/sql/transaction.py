"""The unit of work of the ``sql`` storage: :class:`SqlTransaction` (the repositories of one
database transaction, and the bulk read of card holders) and the ``with`` scope that
commits or rolls it back.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, NamedTuple, TypeVar, overload

import orjson
from sqlalchemy import Text, any_, bindparam, cast, func, select, type_coerce
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement, CompoundSelect, Executable, Select
from sqlalchemy.sql.dml import UpdateBase
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
from siapkerja_adapters.sql.base import (
    READ_FAULTS,
    _context,
    _storage_error,
    corrupt_row,
    logger,
    reads,
)
from siapkerja_adapters.sql.cards import _C, _card, _Cards, _Profiles
from siapkerja_adapters.sql.consent_requests import ConsentRequests
from siapkerja_adapters.sql.contacts import SqlSecondContacts
from siapkerja_adapters.sql.disputes import Disputes
from siapkerja_adapters.sql.engine import BEGIN_OPTION
from siapkerja_adapters.sql.factors import SqlFactors
from siapkerja_adapters.sql.gates import GateRepository
from siapkerja_adapters.sql.keyring import _Keyrings
from siapkerja_adapters.sql.lane import Prepared
from siapkerja_adapters.sql.ledger import _AccessLog, _CheckIns, _Consents, _Verifiers
from siapkerja_adapters.sql.outbox import _Outbox
from siapkerja_adapters.sql.rights import SqlRights
from siapkerja_adapters.sql.sso import SsoClients, SsoTokens
from siapkerja_adapters.sql.status_list import _StatusLists
from siapkerja_adapters.sql.training import SqlClasses, SqlProgrammes
from siapkerja_core.completeness import stamped_complete
from siapkerja_core.ports import CardHolder, StorageError
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccountRecord, CardRecord

if TYPE_CHECKING:
    from siapkerja_adapters.sql.storage import SqlStorage

_T = TypeVar("_T")

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
_REPEATABLE_READ: Final = 3
"""``psycopg.IsolationLevel.REPEATABLE_READ`` by value: psycopg is imported only for PostgreSQL."""
_TWO_64: Final = 2**64
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

# PostgreSQL: a chunk's accounts, cards and completeness stamps in one statement on the
# driver's cursor, instead of three reads through Core (a quarter of a bulk issuance).
# The joins compare the account id in the other tables' collation (``COLLATE
# "default"``), so each uses its table's unique index on ``account_id``. A writing unit
# locks the accounts first, in a statement of its own (:data:`_LOCK_HOLDERS_PG`): under
# READ COMMITTED a statement that waited for a row lock re-reads only the locked row, so
# a card another issuance committed meanwhile would have read as missing from the
# joined read's older snapshot ("already has a card" when two issuances ran at once).
_CARD_FIELDS: Final = tuple(column.name for column in sk.cards.columns)
_HOLDERS_PG: Final = (
    "SELECT a.id, a.active, p.account_id IS NOT NULL, p.complete, "  # noqa: S608 (constants)
    + ", ".join(f"c.{name}" for name in _CARD_FIELDS)
    + f" FROM {sk.accounts.name} AS a"
    f' LEFT JOIN {sk.profiles.name} AS p ON p.account_id = a.id COLLATE "default"'
    f' LEFT JOIN {sk.cards.name} AS c ON c.account_id = a.id COLLATE "default"'
    " WHERE a.id = ANY(ARRAY(SELECT json_array_elements_text(CAST(%s AS json))))"
)
_LOCK_HOLDERS_PG: Final = (
    f"SELECT FROM {sk.accounts.name}"
    " WHERE id = ANY(ARRAY(SELECT json_array_elements_text(CAST(%s AS json)))) FOR UPDATE"
)


class _Row(tuple[Any, ...]):
    """A row of :meth:`SqlTransaction.fetch`: a tuple whose columns read by name too (each
    statement's row class has a property per column, as a named tuple)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def _row_class(fields: tuple[str, ...]) -> type[_Row]:
    columns: dict[str, Any] = {name: property(itemgetter(i)) for i, name in enumerate(fields)}
    return type("Row", (_Row,), {"__slots__": (), "_fields": fields, **columns})


class _Fetched:
    """The answer of :meth:`SqlTransaction.fetch`: its rows (converted), or how many it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise ValueError("expected one row")
        return self._rows[0][0]


class _Driver(NamedTuple):
    """A statement compiled once for the driver (:class:`~.lane.Prepared`): its driver SQL,
    the driver's parameters for given values (what ``Prepared.params`` makes, for a fixed
    set of names: in one pass) and its driver rows as rows (each column converted as
    ``Prepared.row`` does, only the columns whose type converts)."""

    prepared: Prepared
    sql: str
    params: Callable[[Mapping[str, Any]], Any]
    rows: Callable[[list[Any]], list[Any]]


def _parameters(prepared: Prepared, names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Any]:
    """The driver's parameters of ``prepared`` for values named ``names``, converted."""
    fixed, bind = prepared.fixed, prepared.bind
    given = [(name, bind[name]) for name in names if name not in fixed]
    if prepared.positional:
        order = prepared.names
        if not order:
            return lambda values: []
        if not any(name in fixed for name in order):
            # The usual statement: every place a given name. A list comprehension over
            # the names and their conversions, without a per-place branch on literals.
            get = itemgetter(*order) if len(order) > 1 else lambda values: (values[order[0]],)
            processes = [bind[name] for name in order]

            def given_only(values: Mapping[str, Any]) -> list[Any]:
                return [
                    value if process is None or value is None else process(value)
                    for value, process in zip(get(values), processes, strict=True)
                ]

            return given_only
        # Each place: a literal of the statement (its value) or a given name (its conversion).
        places = [
            (True, fixed[name], None) if name in fixed else (False, name, bind[name])
            for name in order
        ]

        def positional(values: Mapping[str, Any]) -> list[Any]:
            out = []
            for literal, what, process in places:
                if literal:
                    out.append(what)
                else:
                    value = values[what]
                    out.append(value if process is None or value is None else process(value))
            return out

        return positional

    def named(values: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(fixed)
        for name, process in given:
            value = values[name]
            out[name] = value if process is None or value is None else process(value)
        return out

    return named


def _row_reader(prepared: Prepared, row: type[_Row]) -> Callable[[list[Any]], list[Any]]:
    """The driver's rows of ``prepared`` as ``row`` instances, converted as ``Prepared.row``
    converts them; columns without a conversion are passed through untouched."""
    convert = [(i, process) for i, process in enumerate(prepared.columns) if process is not None]
    if not convert:
        return lambda raw: [row(r) for r in raw]

    def rows(raw: list[Any]) -> list[Any]:
        out = []
        for r in raw:
            values = list(r)
            try:
                for i, process in convert:
                    value = values[i]
                    if value is not None:
                        values[i] = process(value)
            except READ_FAULTS as error:
                raise prepared.corrupt(r, error) from None
            out.append(row(values))
        return out

    return rows


# Compiled per dialect, statement and parameter names; the statements are the repositories'
# constants (kept alive beside their entry, so an id is not reused while it is cached).
_DRIVER: weakref.WeakKeyDictionary[Dialect, dict[tuple[int, tuple[str, ...]], Any]] = (
    weakref.WeakKeyDictionary()
)
_DRIVER_MAX: Final = 256
_FORMS_MAX: Final = 1024  # a storage's (SqlStorage._driver_forms): statements x names x mode
_COMPILED_LOCK = threading.Lock()


def _driver_form(engine: Any, statement: Executable, names: tuple[str, ...]) -> _Driver | None:
    """``statement`` compiled for the driver, or ``None`` when only Core can run it (a
    default computed in Python, an expanding ``IN``, a parameter it does not bind)."""
    dialect = engine.dialect
    forms = _DRIVER.get(dialect)
    if forms is None:
        with _COMPILED_LOCK:
            forms = _DRIVER.setdefault(dialect, {})
    key = (id(statement), names)
    known = forms.get(key)
    if known is not None and known[0] is statement:
        return known[1]  # type: ignore[no-any-return]
    form: _Driver | None = None
    dml = isinstance(statement, UpdateBase)
    compiled: Any = statement.compile(  # type: ignore[attr-defined]
        dialect=dialect, column_keys=list(names) if dml else None
    )
    binds = compiled.binds
    if (
        not compiled.insert_prefetch
        and not compiled.update_prefetch
        and not any(b.expanding or b.literal_execute for b in binds.values())
        and set(names) <= set(binds)
    ):
        prepared = Prepared(engine, statement, column_keys=list(names) if dml else None)  # type: ignore[arg-type]
        fields = tuple(c.key for c in statement.exported_columns)  # type: ignore[attr-defined]
        row = _row_class(fields)
        form = _Driver(
            prepared, prepared.sql, _parameters(prepared, names), _row_reader(prepared, row)
        )
    if len(forms) < _DRIVER_MAX:
        forms[key] = (statement, form)
    return form


def ids_param(ids: Sequence[str]) -> str:
    """``ids`` as the ``ids`` parameter of :data:`_HOLDER_QUERIES`: a JSON array."""
    return orjson.dumps(list(ids)).decode()


class _per_unit(Generic[_T]):  # noqa: N801 (used as a decorator, as cached_property is)
    """A repository of a unit of work, made on first use and kept in the unit's ``__dict__``
    (later reads find it there, as with ``functools.cached_property``), without the lock
    Python 3.11's ``cached_property`` takes on every first read: a unit of work belongs
    to one thread, and a journey's units make about twenty repositories."""

    __slots__ = ("_make", "_name")

    def __init__(self, make: Callable[[SqlTransaction], _T]) -> None:
        self._make = make
        self._name = make.__name__

    @overload
    def __get__(self, tx: None, owner: type[Any]) -> _per_unit[_T]: ...

    @overload
    def __get__(self, tx: SqlTransaction, owner: type[Any]) -> _T: ...

    def __get__(self, tx: SqlTransaction | None, owner: type[Any]) -> _per_unit[_T] | _T:
        if tx is None:
            return self
        made = tx.__dict__[self._name] = self._make(tx)
        return made


class SqlTransaction:
    """The repositories of one unit of work (attributes named as in the ``Transaction`` port).

    Each repository is made on first use. ``conn`` is the transaction's connection.
    """

    def __init__(
        self, storage: SqlStorage, raw: Any, engine: Engine, read_only: bool = False
    ) -> None:
        self.storage = storage
        self._raw = raw  # the pool's proxied driver connection, in its transaction
        self._engine = engine
        self._conn: Connection | None = None
        self._cursor: Any = None
        # The driver forms of this storage's statements (``fetch``), by statement, names
        # and read-only-ness: a plain dictionary, read without a lock or a weak reference.
        self._forms: dict[tuple[int, tuple[str, ...], bool], Any] = storage._driver_forms
        self.read_only = read_only
        """A read-only unit of work: rows are read without ``FOR UPDATE`` (nothing to lock
        for a write that cannot come), and a write raises ``StorageError("read_only")``."""
        self._isolation: Any = None
        """PostgreSQL, a read-only unit: the connection's isolation level before it."""

    @property
    def conn(self) -> Connection:
        """A Core connection over the unit's driver connection, made when first asked for.

        The transaction is already begun (on the driver): Core's own ``BEGIN`` is off for
        it, its statements join the transaction, and :class:`_Scope` commits it.
        """
        conn = self._conn
        if conn is None:
            conn = Connection(self._engine, connection=self._raw)
            if self.storage.dialect == "sqlite":
                conn.execution_options(**{BEGIN_OPTION: None})
            self._conn = conn
        return conn

    def run(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        """Execute ``statement`` (once per mapping of a list); a failure becomes StorageError.

        A ``SELECT``'s rows are read (and converted) here, so that a stored value its
        column's type refuses is ``storage.corrupt`` (:class:`~.base.CorruptRow`) at
        once, not a ``ValueError`` wherever the caller reads the result.
        """
        if self.read_only and getattr(statement, "_for_update_arg", None) is not None:
            statement = _unlocked(statement)
        try:
            result = self.conn.execute(statement, params)
        except SQLAlchemyError as error:
            raise _storage_error(error, read_only_unit=self.read_only) from error
        if not isinstance(statement, (Select, CompoundSelect)):
            return result
        try:
            return result.freeze()()
        except READ_FAULTS as error:
            froms = statement.get_final_froms() if isinstance(statement, Select) else ()
            names = sorted({str(getattr(f, "name", "?")) for f in froms})
            raise corrupt_row(",".join(names), error) from None

    def fetch(self, statement: Executable, params: Mapping[str, Any]) -> Any:
        """:meth:`run` for the journey's statements: on the transaction's driver connection,
        compiled once (:class:`~.lane.Prepared`, the scan's lane does the same).

        Through Core each statement cost its execution context, events and result
        (40–50 µs on the development machine: more than most of the statements).
        Only one statement with one set of parameters; the answer offers
        ``first``, ``all``, iteration, ``scalar_one`` and ``rowcount``, its rows
        are tuples whose columns read by name (and ``_mapping``). A statement
        Core must run (a default computed in Python, an expanding ``IN``) goes
        through :meth:`run`. A driver error is a ``StorageError``, as there; a lost
        connection is invalidated, so the pool does not hand it out again.
        """
        names = tuple(params)
        read_only = self.read_only
        forms = self._forms
        key = (id(statement), names, read_only)
        known = forms.get(key)
        if known is not None and known[0] is statement:
            form = known[1]
        else:
            original = statement
            if read_only and getattr(statement, "_for_update_arg", None) is not None:
                statement = _unlocked(statement)
            form = _driver_form(self.storage.engine, statement, names)
            if len(forms) < _FORMS_MAX:
                forms[key] = (original, form)
        if form is None:  # only Core can run it (``run`` drops a read-only unit's lock too)
            return self.run(statement, params)
        raw, rowcount = self.driver_rows(form.sql, form.params(params))
        return _Fetched(form.rows(raw) if raw else [], rowcount)

    def driver_rows(self, sql: str, params: Any) -> tuple[list[Any], int]:
        """Run driver ``sql`` with the driver's ``params`` on the unit's own cursor: its raw
        rows (none for a statement without) and row count. A driver error is a
        ``StorageError``; a lost connection is invalidated. (:meth:`fetch` and the
        counters' slots taken in the unit, ``SqlCounters.within``, use it.)"""
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._raw.driver_connection.cursor()
        try:
            cursor.execute(sql, params)
            raw = cursor.fetchall() if cursor.description is not None else []
        except self.storage.engine.dialect.loaded_dbapi.Error as error:
            if self.storage.engine.dialect.is_disconnect(error, self._raw.driver_connection, None):
                self._invalidate()
            raise _storage_error(error, read_only_unit=self.read_only) from error
        return raw, cursor.rowcount

    def _invalidate(self) -> None:
        """Discard the connection (lost): the pool opens a new one instead."""
        if self._conn is not None:
            self._conn.invalidate()
        else:
            self._raw.invalidate()

    def _end(self, commit: bool) -> None:
        """Commit or roll back on the driver (through Core when a Core connection joined)."""
        conn = self._conn
        if conn is not None and conn.in_transaction():
            if commit:
                conn.commit()
            else:
                conn.rollback()
            return
        if not self._raw.is_valid:  # lost and discarded: nothing was committed
            if commit:
                raise StorageError("unavailable")
            return
        driver = self._raw.driver_connection
        if commit:
            driver.commit()
        else:
            driver.rollback()

    def _close(self) -> None:
        """Give the connection back to the pool (or close it, the storage disposed)."""
        raw, conn = self._raw, self._conn
        if self.read_only and self.storage.dialect == "postgresql" and raw.is_valid:
            try:
                driver = raw.driver_connection
                driver.read_only = False  # idle again: allowed
                driver.isolation_level = self._isolation
            except self.storage.engine.dialect.loaded_dbapi.Error:
                raw.invalidate()
        if self.storage._closed and raw.is_valid:
            raw.invalidate()  # closes the driver's connection now
        # SQLite's writer: kept for the next write (the write lock is still held).
        storage = self.storage
        if conn is None and storage._writer is not None and not self.read_only:  # noqa: SIM102
            if storage._keep_writer(raw):
                return
        if conn is not None:
            conn.close()  # gives ``raw`` back
        else:
            raw.close()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.conn.begin_nested():
            yield

    @_per_unit
    def registrations(self) -> _Registrations:
        return _Registrations(self)

    @_per_unit
    def challenges(self) -> _Challenges:
        return _Challenges(self)

    @_per_unit
    def accounts(self) -> _Accounts:
        return _Accounts(self)

    @_per_unit
    def sessions(self) -> _Sessions:
        return _Sessions(self)

    @_per_unit
    def resets(self) -> _Resets:
        return _Resets(self)

    @_per_unit
    def profiles(self) -> _Profiles:
        return _Profiles(self)

    @_per_unit
    def cards(self) -> _Cards:
        return _Cards(self)

    @_per_unit
    def verifiers(self) -> _Verifiers:
        return _Verifiers(self)

    @_per_unit
    def consents(self) -> _Consents:
        return _Consents(self)

    @_per_unit
    def access_log(self) -> _AccessLog:
        return _AccessLog(self)

    @_per_unit
    def check_ins(self) -> _CheckIns:
        return _CheckIns(self)

    @_per_unit
    def keyring(self) -> _Keyrings:
        return _Keyrings(self)

    @_per_unit
    def outbox(self) -> _Outbox:
        return _Outbox(self)

    @_per_unit
    def aki(self) -> _Aki:
        return _Aki(self)

    @_per_unit
    def audit(self) -> SqlAudit:
        return SqlAudit(self)

    @_per_unit
    def consent_requests(self) -> ConsentRequests:
        return ConsentRequests(self)

    @_per_unit
    def disputes(self) -> Disputes:
        return Disputes(self)

    @_per_unit
    def sso_clients(self) -> SsoClients:
        return SsoClients(self)

    @_per_unit
    def sso_tokens(self) -> SsoTokens:
        return SsoTokens(self)

    @_per_unit
    def status_list(self) -> _StatusLists:
        return _StatusLists(self)

    @_per_unit
    def gates(self) -> GateRepository:
        return GateRepository(self)

    @_per_unit
    def classes(self) -> SqlClasses:
        return SqlClasses(self)

    @_per_unit
    def programmes(self) -> SqlProgrammes:
        return SqlProgrammes(self)

    @_per_unit
    def factors(self) -> SqlFactors:
        return SqlFactors(self)

    @_per_unit
    def rights(self) -> SqlRights:
        return SqlRights(self)

    @_per_unit
    def second_contacts(self) -> SqlSecondContacts:
        return SqlSecondContacts(self)

    def card_holders(self, account_ids: Sequence[str]) -> Iterator[CardHolder]:
        """The existing accounts among ``account_ids``, once each, with their cards and profiles.

        Per thousand ids: the accounts' activity (locked ``FOR UPDATE`` on
        PostgreSQL), their cards and their profiles' completeness stamps (in one
        statement on PostgreSQL, :data:`_HOLDERS_PG`); then,
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
        read = self._holders_pg if self.storage.dialect == "postgresql" else self._holders
        for start in range(0, len(unique), _HOLDERS_CHUNK):
            chunk = unique[start : start + _HOLDERS_CHUNK]
            active, cards, stamps = read(queries, chunk)
            if not active:
                continue
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

    def _holders(
        self, queries: _HolderQueries, chunk: list[str]
    ) -> tuple[dict[str, bool], dict[str, CardRecord], dict[str, bool | None]]:
        """The chunk's accounts' activity, their cards and their profiles' completeness
        stamps (an entry for each stored profile), in three reads."""
        params = {"ids": ids_param(chunk)}
        active = dict(self.run(queries.accounts, params).all())
        if not active:
            return active, {}, {}
        cards = {row.account_id: _card(row) for row in self.run(queries.cards, params)}
        stamps = {row[0]: stamped_complete(row[1]) for row in self.run(queries.stamps, params)}
        return active, cards, stamps

    def _holders_pg(
        self, _queries: _HolderQueries, chunk: list[str]
    ) -> tuple[dict[str, bool], dict[str, CardRecord], dict[str, bool | None]]:
        """:meth:`_holders` on PostgreSQL: one statement (:data:`_HOLDERS_PG`) on the
        driver's cursor, its columns converted as the cards' types convert them; in a
        writing unit after the accounts' locks are taken (:data:`_LOCK_HOLDERS_PG`), so
        it reads what was committed while it waited for them."""
        ids = (ids_param(chunk),)
        if not self.read_only:
            self.driver_rows(_LOCK_HOLDERS_PG, ids)
        rows, _ = self.driver_rows(_HOLDERS_PG, ids)
        active: dict[str, bool] = {}
        cards: dict[str, CardRecord] = {}
        stamps: dict[str, bool | None] = {}
        for account_id, is_active, has_profile, stamp, card_id, *card in rows:
            active[account_id] = is_active
            if has_profile:
                stamps[account_id] = stamped_complete(stamp)
            if card_id is not None:
                cards[account_id] = _card_of_driver(card_id, card)
        return active, cards, stamps

    def _rows(self, query: Executable, ids: list[str]) -> list[Any]:
        return list(self.run(query, {"ids": ids_param(ids)})) if ids else []

    def _holder_profile(self, account_id: str, documents: dict[str, Any]) -> Profile:
        blob = documents.pop(account_id, None)
        if blob is None:  # not read with the batch: the caller asked all the same
            queries = _HOLDER_QUERIES.get(self.storage.dialect, _HOLDER_QUERIES["sqlite"])
            blob = self._rows(queries.profiles, [account_id])[0][1]
        return self.storage._decode_profile(account_id, b"", bytes(blob))

    @reads(sk.accounts)
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


@reads(sk.cards)
def _card_of_driver(card_id: str, values: list[Any]) -> CardRecord:
    """The card of a :data:`_HOLDERS_PG` row (its columns after the card's id) as
    ``_card`` reads one through Core: the reference unsigned, the times in UTC."""
    account_id, number, card_ref, version, issued, updated, revoked, index, suspended = values
    return CardRecord(
        id=card_id,
        account_id=account_id,
        number=number,
        card_ref=card_ref + _TWO_64 if card_ref < 0 else card_ref,
        version=version,
        issued_at=issued.astimezone(UTC),
        updated_at=updated.astimezone(UTC),
        revoked_at=None if revoked is None else revoked.astimezone(UTC),
        status_index=index,
        suspended_at=None if suspended is None else suspended.astimezone(UTC),
    )


def _time_reader(dialect: Dialect) -> Callable[[Any], Any]:
    """What reading an ``sk_accounts`` time column does to the driver's value, as a function."""
    processor = sk.accounts.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor if processor is not None else lambda value: value


class _Scope:
    """``with storage.transaction() as tx``: commit on success, roll back on an exception.

    The unit of work is begun and ended on the pool's driver connection itself
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the driver's implicit ``BEGIN``),
    without Core's ``Connection``, its events and its transaction objects: an
    empty unit of work on SQLite took 24 µs through them, 14 µs without (a raw
    ``sqlite3`` one: 6 µs), and a registration journey makes ten. A repository that runs a statement
    through Core gets a ``Connection`` over the same driver connection
    (:attr:`SqlTransaction.conn`), which joins the transaction.

    ``read_only``: a unit of work that only reads. SQLite: a connection of the
    read-only units' own pool (``PRAGMA query_only`` set once when it was
    opened: toggling it per unit re-prepared every statement, +30 µs a unit),
    ``BEGIN DEFERRED`` (a WAL snapshot taken at the first read), and not the
    process's write lock, so renders neither queue behind each other nor
    behind writers. PostgreSQL: ``BEGIN ISOLATION LEVEL REPEATABLE READ READ
    ONLY`` (psycopg's ``isolation_level`` and ``read_only``, reset before the
    connection goes back to the pool): one snapshot for the whole unit, as on
    SQLite. A write fails with ``StorageError("read_only")``.
    """

    __slots__ = ("_read_only", "_storage", "_tx", "_writer")

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
        sqlite = storage.dialect == "sqlite"
        # SQLite: queue behind the process's writers before taking a connection, so
        # that the connections in use are the writer's and the readers'. A reader
        # does not queue: its snapshot never blocks a writer, nor a writer it.
        # (The lock itself, not ``storage._writing()``: a generator context manager
        # cost more than the lock, twice per unit of work.)
        writer = None if read_only else storage._take_writer()
        try:
            engine = storage._reader_engine() if read_only and sqlite else storage.engine
            storage._one_connection()
            try:
                raw = (
                    storage._writer_connection() if writer is not None else engine.raw_connection()
                )
            except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as error:
                # (A failed connect comes as the driver's own error.)
                raise _storage_error(error) from error
            local.held = getattr(local, "held", 0) + 1
            tx = SqlTransaction(storage, raw, engine, read_only)
            try:
                driver: Any = raw.driver_connection
                if sqlite:
                    driver.execute("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
                elif read_only:
                    # BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY at the first statement
                    # (set on the client: no round trip). Under READ COMMITTED each
                    # statement would read its own snapshot: a profile and its card read
                    # on either side of another unit's commit. A read-only transaction
                    # never fails serialisation, so the one snapshot costs nothing.
                    tx._isolation = driver.isolation_level
                    driver.isolation_level = _REPEATABLE_READ
                    driver.read_only = True
            except engine.dialect.loaded_dbapi.Error as error:
                if engine.dialect.is_disconnect(error, driver, None):
                    raw.invalidate()
                self._release(tx)
                raise _storage_error(error) from error
        except BaseException:
            if writer is not None:
                writer.release()
            raise
        self._writer = writer
        self._tx = tx
        local.active = True
        return tx

    def _release(self, tx: SqlTransaction) -> None:
        try:
            tx._close()
        except Exception:  # already broken: nothing to give back
            logger.debug("closing a connection failed", exc_info=True)
        finally:
            self._storage._local.held -= 1

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        tx = self._tx
        errors = (SQLAlchemyError, tx._engine.dialect.loaded_dbapi.Error)
        try:
            if exc_type is None:
                try:
                    tx._end(commit=True)
                except errors as error:
                    cause: Any = getattr(error, "orig", None) or error
                    driver = tx._raw.driver_connection
                    if driver is not None and tx._engine.dialect.is_disconnect(cause, driver, None):
                        tx._invalidate()
                    raise _storage_error(error) from error
            else:
                try:
                    tx._end(commit=False)
                except errors:
                    logger.debug("rollback failed; the connection is discarded", exc_info=True)
                    tx._invalidate()
        finally:
            try:
                self._release(tx)
            finally:
                self._storage._local.active = False
                writer = self._writer
                if writer is not None:
                    writer.release()


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
