"""The scan's lane of the ``sql`` storage: driver connections kept open, the scan's read and
the access ledger's appends as pre-compiled SQL, and the ledger's group commit.

A QR scan (``SqlStorage.scan_subject`` then ``log_access``) is the busiest
work of a deployment. Through SQLAlchemy Core each of its two statements cost
a pool checkout (on PostgreSQL a pre-ping round trip, on return a rollback),
the compiled-cache lookup, the execution context and the result wrapper: tens
of microseconds before the database is asked anything, and on SQLite a new
connection whenever more threads scanned than the pool kept. This module owns
the shorter way:

* :class:`Lane` — a small stack of **driver connections** (``sqlite3``,
  psycopg) opened through the storage's own engine (so every connection
  setting — WAL, ``synchronous=NORMAL``, the busy timeout, the schema, UTC —
  is the pool's) and then detached from the pool; a call takes the newest
  idle one and puts it back, so they stay few (as many as scans run at
  once, :data:`KEPT` kept idle). Each statement commits on its own
  (autocommit), as ``single_statement`` did. A connection that fails is
  closed, never reused; a read that fails on a connection which had been
  idle is tried once more on a fresh one (the database restarted meanwhile:
  the pool's pre-ping, paid only when needed).
* :class:`Prepared` — a statement compiled once for the dialect, with its
  parameters' and columns' conversions (the column types' own processors).
* :class:`GroupCommit` — the **ledger's appends in small group commits**: a
  scan that finds no commit under way commits its own entry at once (alone,
  no thread handoff); entries that arrive while one is under way wait, and
  the next of them commits all that are waiting (up to :data:`MAX_BATCH`) in
  **one** multi-row ``INSERT``. Every caller returns only after the commit
  that holds its entry — durability is unchanged: a scan is answered once its
  entry is committed — and a failed commit raises ``StorageError`` in every
  caller whose entry it held. On SQLite a commit (a few writes to the WAL
  and its locks) costs more than the insert itself, so many scans share
  one. The queue is bounded: at most :data:`MAX_WAITING` entries wait, a
  caller beyond is refused at once (``StorageError``); a caller whose entry
  no commit took within the busy timeout withdraws it (``StorageError``).
  A caller that can wait without a thread — the web binding's scan page, on
  its event loop — queues its entry with :meth:`GroupCommit.append_deferred`
  instead: a committer thread commits it with the others and tells the
  caller, which answers only then (:mod:`siapkerja_adapters.ledger_wait`).

``synchronous=NORMAL`` in WAL mode (``engine.py``) is kept: a commit is in the
WAL file when it returns, so it survives the process's crash (``kill -9``,
``tests/integration/test_scan_crash.py``); only a power loss may take the last
commits back, and then the database is still consistent.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Sequence
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

from siapkerja_adapters.ledger_wait import NotLogged
from siapkerja_adapters.sql.base import READ_FAULTS, CorruptRow, _storage_error, corrupt_row, logger
from siapkerja_core.ports import StorageError

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "KEPT",
    "MAX_BATCH",
    "MAX_WAITING",
    "SQLITE_COMMIT_DELAY",
    "GroupCommit",
    "Lane",
    "Prepared",
    "Rows",
]

KEPT: Final = 16
"""Idle driver connections a lane keeps: more than the web binding's scan threads (4) and
the ledger's committer, for callers of ``resolve`` in threads of their own."""

MAX_BATCH: Final = 128
"""Ledger entries committed in one statement at most."""

SQLITE_COMMIT_DELAY: Final = 0.001
"""Seconds the committer thread waits at most, under load, for the scans under way to queue
their entries before a SQLite commit (``GroupCommit(commit_delay=…)``), as PostgreSQL's
``commit_delay`` and MySQL's ``binlog_group_commit_sync_delay`` do. A SQLite commit in WAL
mode is CPU work (its frames, its locks, the GIL handed to and fro), done beside the event
loop that serves the scans: taken one or two entries at a time, the commits cost the
server more CPU than the rest of the scans together. What it changed is measured in
``benchmarks/README.md`` (ninth round); a lone scan never waits."""

_GATHER_POLL: Final = 0.000_05
"""How often (seconds) the waiting committer looks whether the entries it waits for came."""

MAX_WAITING: Final = 1024
"""Ledger entries waiting for a commit at most; a caller beyond is refused (``StorageError``)."""


def _bind_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The conversion SQLAlchemy applies to a parameter of ``type_`` on ``dialect``."""
    return type_.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


class Prepared:
    """A Core ``SELECT`` (or DML, its columns those of its ``RETURNING``) compiled once for
    ``engine``'s dialect: driver SQL, parameters, columns.

    The conversions are the column types' own, through public API
    (``dialect_impl(dialect).bind_processor`` / ``result_processor``: what
    SQLAlchemy itself runs per execution, without its private per-dialect memo),
    so a value reads and writes here exactly as through a Core connection.

    ``column_keys``: a DML statement's columns as named by its parameters (what
    Core compiles an ``INSERT`` or ``UPDATE`` without ``.values()`` for).
    """

    def __init__(
        self,
        engine: Engine,
        statement: Select[Any] | UpdateBase,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.positional = bool(compiled.positional)
        binds = compiled.binds
        self.bind: dict[str, Callable[[Any], Any] | None] = {
            name: _bind_processor(binds[name].type, dialect) for name in binds
        }
        # Literal values of the statement (a name in a subquery), converted once.
        self.fixed: dict[str, Any] = {}
        for name, bind in binds.items():
            if bind.value is not None and not bind.required:
                process = self.bind[name]
                self.fixed[name] = bind.value if process is None else process(bind.value)
        self.columns: tuple[Callable[[Any], Any] | None, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.exported_columns
        )
        # Where each column comes from (table, column), for the log of a corrupt row.
        self.sources: tuple[tuple[str, str], ...] = tuple(
            (getattr(getattr(column, "table", None), "name", "?"), str(column.key))
            for column in statement.exported_columns
        )

    def params(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for ``values`` (by bind name), converted."""
        bind = self.bind
        converted = dict(self.fixed)
        for name, value in values.items():
            process = bind[name]
            converted[name] = value if process is None or value is None else process(value)
        if self.positional:
            return tuple(converted[name] for name in self.names)
        return converted

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """A driver row with each column converted as SQLAlchemy would.

        :raises CorruptRow: ``storage.corrupt``, a value its column's type refuses.
        """
        try:
            return tuple(
                value if process is None or value is None else process(value)
                for process, value in zip(self.columns, raw, strict=True)
            )
        except READ_FAULTS as error:
            raise self.corrupt(raw, error) from None

    def corrupt(self, raw: Sequence[Any], error: BaseException) -> CorruptRow:
        """``storage.corrupt`` for ``raw``, whose conversion raised ``error``: logged with
        the table and column of the first value that does not convert."""
        for (table, column), process, value in zip(self.sources, self.columns, raw, strict=False):
            if process is None or value is None:
                continue
            try:
                process(value)
            except READ_FAULTS:
                return corrupt_row(table, error, column)
        tables = sorted({table for table, _ in self.sources})
        return corrupt_row(",".join(tables), error)


class Rows:
    """A multi-row ``INSERT`` of every column of ``table`` for the dialect, by row count."""

    def __init__(self, engine: Engine, table: Table) -> None:
        dialect = self.dialect = engine.dialect
        self.columns = tuple(table.c)
        self.bind = tuple(_bind_processor(column.type, dialect) for column in self.columns)
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = self.quote = dialect.identifier_preparer.quote
        # Names from the schema module, quoted by the dialect: no outside text in the SQL.
        names = ", ".join(quote(c.name) for c in self.columns)
        self.head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "  # noqa: S608
        self.group = "(" + ", ".join([self.mark] * len(self.columns)) + ")"
        self._sql: dict[int, str] = {}

    def sql(self, count: int) -> str:
        text = self._sql.get(count)
        if text is None:
            text = self.head + ", ".join([self.group] * count)
            self._sql[count] = text
        return text

    def columnwise(self, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
        """Every column's values over the rows, converted: one list a column (``unnest``)."""
        out: list[list[Any]] = []
        for column, process in zip(self.columns, self.bind, strict=True):
            name = column.name
            if process is None:
                out.append([row[name] for row in rows])
            else:
                out.append([None if (v := row[name]) is None else process(v) for row in rows])
        return out

    def flat(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Every row's values in column order, converted, one flat list."""
        out: list[Any] = []
        append = out.append
        names = [column.name for column in self.columns]
        for row in rows:
            for name, process in zip(names, self.bind, strict=True):
                value = row[name]
                append(value if process is None or value is None else process(value))
        return out


class Lane:
    """Driver connections of ``engine`` kept for single autocommitted statements.

    Closed by :meth:`close` (the storage's ``dispose``, or the storage's collection):
    then every call raises ``StorageError``.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.closed = False
        self._idle: list[Any] = []
        self._all: list[Any] = []  # every open connection, idle or in use, for close()
        self._lock = threading.Lock()
        self.errors: tuple[type[BaseException], ...] = (engine.dialect.loaded_dbapi.Error,)

    def _open(self) -> Any:
        """A new driver connection with the pool's settings, detached from the pool.

        :raises StorageError: the database cannot be reached.
        """
        try:
            proxied = self.engine.raw_connection()
            driver: Any = proxied.driver_connection
            proxied.detach()  # ours now: the pool neither counts nor resets it
            if not self.sqlite:
                driver.rollback()  # the checkout's pre-ping may have opened a transaction
                driver.autocommit = True
            cursor = driver.cursor()  # one per connection, reused by every call
        except (SQLAlchemyError, *self.errors) as error:  # type: ignore[misc]
            raise _storage_error(error) from error
        with self._lock:
            self._all.append(cursor)
        return cursor

    def take(self) -> tuple[Any, bool]:
        """An idle connection (``True``: it was idle, may have gone stale) or a new one."""
        if self.closed:
            raise StorageError("unavailable")
        try:
            return self._idle.pop(), True  # list.pop is atomic: no lock
        except IndexError:
            return self._open(), False

    def give(self, driver: Any) -> None:
        """Put a connection that worked back (closed when enough are idle or the lane closed)."""
        if len(self._idle) < KEPT and not self.closed:
            self._idle.append(driver)
        else:
            self._discard(driver)

    def _discard(self, driver: Any) -> None:
        _close(driver)
        with self._lock:
            if driver in self._all:
                self._all.remove(driver)

    def run(self, call: Callable[[Any], Any], *, retry: bool) -> Any:
        """``call(cursor)`` on a kept connection's cursor; driver errors as ``StorageError``.

        :param retry: the call only reads: after a failure on a connection
            that had been idle, it runs once more on a new connection.
        """
        driver, was_idle = self.take()
        try:
            result = call(driver)
        except self.errors as error:
            self._discard(driver)
            if not (retry and was_idle) or self.closed or _lock_wait_ran_out(error):
                raise _storage_error(error) from error
            driver = self._open()
            try:
                result = call(driver)
            except self.errors as again:
                self._discard(driver)
                raise _storage_error(again) from again
        except BaseException:
            self._discard(driver)  # an interrupted call may leave the connection mid-statement
            raise
        self.give(driver)
        return result

    def close(self) -> None:
        """Close every connection of the lane (idle or in use: a call in use then fails)."""
        self.closed = True
        self._idle.clear()
        with self._lock:
            drivers, self._all = self._all, []
        for driver in drivers:
            _close(driver)


def _lock_wait_ran_out(error: BaseException) -> bool:
    """SQLite's busy timeout ran out while another connection held the lock: the connection
    is sound, and a second try would only wait as long again (a scan waiting twice the
    timeout for a lock another process held)."""
    code = getattr(error, "sqlite_errorcode", None)  # the extended code (Python 3.11+)
    return isinstance(code, int) and (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _raise_for(error: BaseException) -> None:
    """Raise what an appender is told of its row's failed commit (``error``)."""
    if isinstance(error, NotLogged):  # a guarded row not inserted: nothing written
        raise error
    if isinstance(error, StorageError) and error.code != "unavailable":
        raise type(error)(error.code) from error
    raise StorageError("unavailable") from error


def _close(cursor: Any) -> None:
    with contextlib.suppress(Exception):  # already broken or closed: nothing to keep
        cursor.connection.close()


class _Entry:
    __slots__ = ("done", "error", "lead", "notify", "params", "wake")

    def __init__(
        self,
        params: dict[str, Any],
        notify: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        self.params = params
        self.done = False
        self.lead = False
        self.error: BaseException | None = None
        self.notify = notify  # a deferred entry: told of its commit instead of woken
        self.wake = threading.Lock()  # held until the caller is woken: done, or to lead
        self.wake.acquire()


class GroupCommit:
    """Appends of one table committed together when they arrive together (module docstring).

    A caller whose entry waits is woken once, by the commit that held it or to
    lead the next commit: not every waiter at every commit.

    :param write: commits a batch of rows (one statement) or raises; returns the positions
        in the batch of guarded rows it did not insert (their callers are told
        :class:`~siapkerja_adapters.ledger_wait.NotLogged`), or ``None``.
    :param wait: seconds a caller waits for its commit.
    :param commit_delay: seconds the committer thread (:meth:`append_deferred`'s) waits at
        most before a commit under load — the last commit took more than one entry — for
        as many entries to wait as the last commit took. After a commit of one entry it
        commits at once. ``0``: never waits (the default).
    :param coming: whether other appends may be on their way: a lone leader then
        yields the GIL once before taking the batch. The default guesses from
        who appended last: another thread (a web server's scan threads) means
        more are likely coming; the same thread (a script or notebook calling
        ``resolve`` in a loop) means none can be, and its yield would only
        cost it a trip through the scheduler (tens of µs on a busy machine).
    """

    def __init__(
        self,
        write: Callable[[list[dict[str, Any]]], Collection[int] | None],
        *,
        wait: float,
        coming: Callable[[], bool] | None = None,
        commit_delay: float = 0.0,
    ) -> None:
        self._write = write
        self._commit_delay = commit_delay
        self._last_batch = 0  # entries the latest commit took
        self._wait = wait
        self._coming = self._another_thread_appended if coming is None else coming
        # The threads of the two latest appends (None: none yet).
        self._previous: int | None = None
        self._latest: int | None = None
        self._lock = threading.Lock()
        self._waiting: list[_Entry] = []
        self._leading = False
        self._committer: threading.Thread | None = None
        self._leads: SimpleQueue[_Entry | None] = SimpleQueue()
        self.commits = 0
        """Commits made (rows ÷ commits is how well the batching works)."""
        self.rows = 0
        """Rows committed."""

    def append(self, params: dict[str, Any]) -> None:
        """Append one row; returns once it is committed.

        :raises StorageError: its commit failed (nothing of that batch was
            written), the queue is full (:data:`MAX_WAITING`), or no commit
            took the entry within the wait.
        :raises NotLogged: a guarded row its commit did not insert (nothing of it written).
        """
        lock = self._lock
        with lock:
            self._previous, self._latest = self._latest, threading.get_ident()
            # No commit under way, nobody waiting and none likely on the way (a script
            # calling resolve in a loop): commit the row here, with no entry to wait on.
            alone = not self._leading and not self._waiting and not self._coming()
            if alone:
                self._leading = True
            else:
                if len(self._waiting) >= MAX_WAITING:
                    raise StorageError("unavailable")
                entry = _Entry(params)
                self._waiting.append(entry)
                if not self._leading:
                    self._leading = entry.lead = True
        if alone:
            self._commit_alone(params)
            return
        while True:
            if not entry.lead:
                self._sleep(entry)
            if entry.done:
                break
            self._commit(entry)
            if self._finished(entry):  # _commit set it, unless a full batch came first
                break
        if entry.error is not None:
            _raise_for(entry.error)

    def _commit_alone(self, params: dict[str, Any]) -> None:
        """:meth:`append`'s commit of one row by a caller that found nobody else: as
        :meth:`_commit` of a batch of one, without the entry a waiting caller needs (its
        lock, its wake-up). Appends that arrive meanwhile wait, and the first of them
        leads the next commit."""
        error: BaseException | None = None
        refused: Collection[int] | None = None
        try:
            refused = self._write([params])
        except BaseException as failure:
            error = failure
        with self._lock:
            self.commits += 1
            if error is None and not refused:
                self.rows += 1
            following = self._waiting[0] if self._waiting else None
            if following is None:
                self._leading = False
            else:
                following.lead = True
        if following is not None:
            self._wake(following)
        if error is not None:
            _raise_for(error)
        if refused:
            raise NotLogged

    def append_deferred(
        self,
        params: dict[str, Any],
        notify: Callable[[BaseException | None], None],
        *,
        later: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        """Queue one row and return at once; ``notify(error)`` is called once it is committed.

        ``notify(None)`` once the commit that holds the row returned, ``notify(error)``
        when it failed (nothing of its batch was written). It is called in the
        committer thread: it must only hand the outcome on (an event loop's
        ``call_soon_threadsafe``). A caller that must not answer before the row is
        durable waits for it — the web binding's scan page does, without holding a
        thread while it waits.

        :param later: when the entry is to lead a commit, the committer thread is
            handed it through ``later(call)`` rather than at once: an event loop's
            ``call_soon`` hands it over after the requests ready now have queued
            their entries too, so one commit takes them all.
        :raises StorageError: the queue is full (:data:`MAX_WAITING`).
        """
        entry = _Entry(params, notify)
        with self._lock:
            if len(self._waiting) >= MAX_WAITING:
                raise StorageError("unavailable")
            self._waiting.append(entry)
            lead = not self._leading
            if lead:
                self._leading = entry.lead = True
        if lead:
            if later is None:
                self._hand_lead(entry)
            else:
                later(lambda: self._hand_lead(entry))

    def _hand_lead(self, entry: _Entry) -> None:
        """Have the committer thread lead the commit of deferred ``entry``."""
        if self._committer is None:
            with self._lock:
                if self._committer is None:
                    self._committer = threading.Thread(
                        target=self._commit_deferred, name="siapkerja-ledger", daemon=True
                    )
                    self._committer.start()
        self._leads.put(entry)

    def _commit_deferred(self) -> None:
        """The committer thread: lead each commit a deferred entry is handed."""
        while (entry := self._leads.get()) is not None:
            while not entry.done:
                if self._commit_delay:
                    self._gather()
                self._commit(entry)
            self._wake(entry)  # done: told

    def _gather(self) -> None:
        """In the committer thread, before a commit under load: wait (at most the commit
        delay) until as many entries wait as the last commit took, so that the scans the
        event loop is serving now share this commit rather than each pay for one.

        Not after a commit of one entry: a lone scan is committed at once (and a second
        one waiting now makes this commit take two, so the next one waits). The callers
        wait meanwhile as for any commit: none is answered before the commit that holds
        its entry."""
        target = min(self._last_batch, MAX_BATCH)
        if target < 2:
            return
        deadline = time.monotonic() + self._commit_delay
        while len(self._waiting) < target and time.monotonic() < deadline:
            time.sleep(_GATHER_POLL)

    def _wake(self, item: _Entry) -> None:
        """Tell ``item``'s caller its commit is done, or that it is to lead the next."""
        if item.notify is None:
            item.wake.release()
        elif item.done:
            try:
                item.notify(item.error)
            except Exception:  # one caller's hand-off must not keep the others untold
                logger.exception("a ledger entry's commit could not be told to its caller")
        else:
            self._hand_lead(item)

    def close(self) -> None:
        """End the committer thread, if one was started (after the commits handed to it)."""
        if self._committer is not None:
            self._leads.put(None)

    def _another_thread_appended(self) -> bool:
        return self._previous is not None and self._previous != self._latest

    @staticmethod
    def _finished(entry: _Entry) -> bool:
        return entry.done

    def _sleep(self, entry: _Entry) -> None:
        """Wait until ``entry`` is committed or is to lead; withdraw it on time-out."""
        while not entry.wake.acquire(timeout=self._wait):
            with self._lock:
                if entry.done or entry.lead:
                    entry.wake.acquire()  # woken just now: take the wake-up
                    return
                if entry in self._waiting:  # no commit took it: withdraw it
                    self._waiting.remove(entry)
                    raise StorageError("unavailable")
            # else: the commit holding it is under way; wait it out

    def _commit(self, entry: _Entry) -> None:
        """As the leader: commit what waits (``entry`` among it unless a full batch came first)."""
        if len(self._waiting) == 1 and self._coming():
            # Alone so far: let the scans about to append do so (one yield of the GIL),
            # so that under load a commit takes several entries, not one or two.
            time.sleep(0)
        with self._lock:
            batch = self._waiting[:MAX_BATCH]
            del self._waiting[:MAX_BATCH]
        self._last_batch = len(batch)
        entry.lead = False
        error: BaseException | None = None
        refused: Collection[int] | None = None
        try:
            refused = self._write([item.params for item in batch])
        except BaseException as failure:  # every caller of the batch hears of it
            error = failure
        with self._lock:
            self.commits += 1
            if error is None:
                self.rows += len(batch) - len(refused or ())
            for item in batch:
                item.done = True
                item.error = error
            for position in refused or ():  # guarded rows whose rows changed: not written
                batch[position].error = NotLogged()
            following = self._waiting[0] if self._waiting else None
            if following is None:
                self._leading = False
            else:
                following.lead = True  # the next commit is its caller's to make
        for item in batch:
            if item is not entry:
                self._wake(item)
        if following is not None and following is not entry:
            self._wake(following)
