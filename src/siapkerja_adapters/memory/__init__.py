"""In-memory storage and counters: the ``memory`` adapters, for tests and notebooks.

:class:`MemoryStorage` keeps every record in dictionaries of the process. It
keeps the storage port's whole contract — a transaction commits all its
writes or none, transactions are serialised (one lock), and an account's
NIK, e-mail and phone are unique among active accounts — so the journey
behaves here exactly as on SQL, minus durability.

A transaction writes into an overlay that is merged into the tables only
when the ``with`` block ends without an exception; reads look at the overlay
first. Nothing is copied up front, so a transaction costs the same with ten
accounts or a million. Each table keeps its secondary indexes (account by
NIK, card by reference …) up to date at commit.

:class:`MemoryCounters` holds rate-limit slots (the ``ratelimit`` port). The
tables and their repositories live in :mod:`siapkerja_adapters.memory.tables`.

**Growth.** Nothing is ever trimmed: every record stays until the process
ends. The busiest writer is the access ledger: each anonymous scan appends
one :class:`~siapkerja_core.records.AccessRecord` (and its entries in the
ledger's two indexes), about 320 bytes a scan (``benchmarks/bench_memory.py``
measures it with ``tracemalloc``; a million scans hold some 320 MB). Hence
tests and notebooks only: a public server runs the ``sql`` storage, whose
memory stays flat.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from siapkerja_adapters.memory.aki import AkiView, aki_table
from siapkerja_adapters.memory.audit import AuditView
from siapkerja_adapters.memory.consent_requests import ConsentRequests, consent_request_table
from siapkerja_adapters.memory.contacts import SecondContacts
from siapkerja_adapters.memory.disputes import DisputeView, dispute_table
from siapkerja_adapters.memory.factors import Factors, factor_table
from siapkerja_adapters.memory.gates import GateView, gates_table
from siapkerja_adapters.memory.rights import RightsView, rights_table
from siapkerja_adapters.memory.sso import (
    SsoClients,
    SsoTokens,
    sso_client_table,
    sso_token_table,
)
from siapkerja_adapters.memory.status_list import StatusListView
from siapkerja_adapters.memory.tables import (
    UNIQUE_FIELDS,
    VIEWS,
    Table,
    View,
    active_account,
)
from siapkerja_adapters.memory.training import TABLES as TRAINING_TABLES
from siapkerja_adapters.memory.training import VIEWS as TRAINING_VIEWS
from siapkerja_core.ports import CardHolder, Hit, ScanSubject, StorageError
from siapkerja_core.records import AccessRecord, CardRecord
from siapkerja_core.settings import Settings

VIEWS["consent_requests"] = ConsentRequests  # a repository of its own module (prefill)
VIEWS["factors"] = Factors  # second factors (siapkerja_adapters.memory.factors)
VIEWS["gates"] = GateView  # event entry's repository (its own module)
VIEWS["sso_clients"] = SsoClients  # single sign-on (siapkerja_adapters.memory.sso)
VIEWS["sso_tokens"] = SsoTokens
VIEWS["rights"] = RightsView  # the holder's rights (siapkerja_adapters.memory.rights)
VIEWS["disputes"] = DisputeView  # disputes and re-proofing (siapkerja_adapters.memory.disputes)
VIEWS["second_contacts"] = SecondContacts  # a holder's verified second contact (notices)
VIEWS.update(TRAINING_VIEWS)  # tx.classes and tx.programmes (siapkerja_adapters.memory.training)

__all__ = ["MemoryCounters", "MemoryStorage", "counters_from_settings", "storage_from_settings"]

VIEWS.setdefault("audit", AuditView)
_VIEWS: dict[str, type[View[Any]]] = {**VIEWS, "status_list": StatusListView, "aki": AkiView}


class _MemoryTransaction:
    """The repositories of one transaction (attributes named as in the ``Transaction`` port).

    Each repository is made on first use, so a transaction that reads one
    card and appends one ledger entry costs two small objects, not twelve.
    """

    def __init__(self, tables: dict[str, Table[Any]], read_only: bool = False) -> None:
        self._tables = tables
        self._read_only = read_only
        self.overlays: dict[str, dict[Hashable, Any]] = {}

    def __getattr__(self, name: str) -> View[Any]:
        view_class = _VIEWS.get(name)
        if view_class is None:
            raise AttributeError(name)
        overlay = self.overlays[name] = _ReadOnlyOverlay() if self._read_only else {}
        view = view_class(self._tables[name], overlay)
        bind = getattr(view, "bind", None)
        if bind is not None:  # a repository that reads other tables through the transaction
            bind(self)
        setattr(self, name, view)  # later accesses find the attribute directly
        return view

    def card_holders(self, account_ids: Sequence[str]) -> Iterator[CardHolder]:
        """The existing accounts among ``account_ids``, once each, with their cards and profiles."""
        accounts, cards, profiles = self.accounts, self.cards, self.profiles
        for account_id in dict.fromkeys(account_ids):
            account = accounts.get(account_id)  # type: ignore[attr-defined]
            if account is not None:
                yield CardHolder(
                    account,
                    cards.get(account_id),  # type: ignore[attr-defined]
                    profiles.get(account_id),  # type: ignore[attr-defined]
                )


class _ReadOnlyOverlay(dict[Hashable, Any]):
    """The overlay of a read-only transaction: every write into it is refused.

    Each repository writes only through its overlay (``View.put``, ``View.delete``),
    so this one check covers them all.
    """

    def __setitem__(self, key: Hashable, value: Any) -> None:
        raise StorageError("read_only")


class _Scope:
    """``with storage.transaction() as tx``: one lock serialises transactions.

    A read-only one (``read_only=True``) takes the lock too — a commit applies
    its tables one after another, and a reader must not see half of one — but
    its writes are refused (``StorageError("read_only")``).

    A nested transaction in the same thread would wait for itself forever, so
    it is refused instead. (A class rather than ``@contextmanager``: a scan
    runs one transaction, and the generator machinery cost more than the scan.)
    """

    __slots__ = ("_read_only", "_storage", "_tx")

    def __init__(self, storage: MemoryStorage, read_only: bool = False) -> None:
        self._storage = storage
        self._read_only = read_only

    def __enter__(self) -> _MemoryTransaction:
        storage = self._storage
        if getattr(storage._local, "active", False):
            raise RuntimeError("memory storage transactions do not nest")
        storage._lock.acquire()
        storage._local.active = True
        self._tx = _MemoryTransaction(storage._tables, self._read_only)
        return self._tx

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        storage = self._storage
        try:
            if exc_type is None:
                overlays = self._tx.overlays
                for name, overlay in overlays.items():
                    table = storage._tables[name]
                    for key, value in overlay.items():
                        table.apply(key, value)
                if any(overlays.values()):  # a read-only unit's overlays are empty
                    storage._commits += 1
        finally:
            storage._local.active = False
            storage._lock.release()


class MemoryStorage:
    """The storage port in process memory (see the module docstring for the guarantees)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._tables: dict[str, Table[Any]] = {
            "registrations": Table(),
            "challenges": Table(),
            "accounts": Table(**{f: active_account(f) for f in UNIQUE_FIELDS}),
            "sessions": Table(account=lambda s: s.account_id),
            "resets": Table(),
            "profiles": Table(),
            "cards": Table(
                account=lambda c: c.account_id,
                ref=lambda c: c.card_ref,
                number=lambda c: c.number,
                status=lambda c: c.status_index,
            ),
            "verifiers": Table(key=lambda row: row[1]),
            "consents": Table(account=lambda c: c.account_id),
            "access_log": Table(
                account=attrgetter("account_id"), verifier=attrgetter("verifier_id")
            ),
            "check_ins": Table(event=lambda c: c.event_id),
            "keyring": Table(),
            "outbox": Table(),
            "aki": aki_table(),
            "audit": Table(),
            "consent_requests": consent_request_table(),
            "status_list": Table(),
            "gates": gates_table(),
            "sso_clients": sso_client_table(),
            "sso_tokens": sso_token_table(),
            "factors": factor_table(),
            "rights": rights_table(),
            "disputes": dispute_table(),
            **{name: make() for name, make in TRAINING_TABLES.items()},
            "second_contacts": Table(),
        }
        self._commits = 0
        """Commits that wrote something: the change stamp (:meth:`change_stamp`)."""
        self.counters = MemoryCounters()
        """Counters kept beside the records (the ``storage`` rate-limit adapter uses them)."""

    scans_inline = True
    """A scan never waits on I/O here: the web binding resolves it on its event loop
    (a lock held for a dict write at most), without a handoff to a thread and back."""

    def transaction(self, *, read_only: bool = False) -> _Scope:
        return _Scope(self, read_only)

    def scan_subject(self, card_ref: int) -> ScanSubject | None:
        # Committed rows only, without the lock: each dict read is atomic, and a
        # commit replaces whole records, so a reader sees one version or the next.
        tables = self._tables
        keys = tables["cards"].indexes["ref"].get(card_ref)
        if not keys:
            return None
        card: CardRecord = tables["cards"].rows[next(iter(keys))]
        account = tables["accounts"].rows.get(card.account_id)
        if account is None:
            return None
        ring = tables["keyring"].rows.get("current")
        return ScanSubject(
            card,
            account,
            tables["profiles"].rows.get(account.id),
            None if ring is None else ring.stamp,
        )

    def log_access(self, record: AccessRecord) -> None:
        ledger = self._tables["access_log"]
        with self._lock:
            ledger.insert(record.id, record)
            self._commits += 1

    def change_stamp(self) -> int:
        """The number of commits that wrote something (:class:`~siapkerja_core.ports.ChangeStamp`).

        Every write goes through a unit of work or :meth:`log_access`, each of which
        counts under the lock; the storage lives in one process, so no other process
        can write behind it."""
        return self._commits

    def dump(self) -> dict[str, list[object]]:
        """Every committed record, by table — for inspection in tests and notebooks."""
        with self._lock:
            return {name: list(table.rows.values()) for name, table in self._tables.items()}

    def __repr__(self) -> str:
        return f"MemoryStorage(accounts={len(self._tables['accounts'].rows)})"


class MemoryCounters:
    """Rate-limit slots in process memory (thread-safe; not shared across processes).

    One entry per key: when its window opened (epoch seconds) and how many
    slots are taken; a lock makes each hit one atomic step.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        at, length = now.timestamp(), window.total_seconds()
        with self._lock:
            start, count = self._slots.get(key, (at, 0))
            if start + length <= at:
                start, count = at, 0
            if count >= limit:
                return Hit(False, count, timedelta(seconds=start + length - at))
            self._slots[key] = (start, count + 1)
            return Hit(True, count + 1)

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        with self._lock:
            start, count = self._slots.get(key, (0.0, 0))
            if count > 0 and now.timestamp() < start + window.total_seconds():
                self._slots[key] = (start, count - 1)

    def clear(self, key: str) -> None:
        with self._lock:
            self._slots.pop(key, None)


def storage_from_settings(settings: Settings) -> MemoryStorage:
    """Factory of the ``memory`` storage adapter (no settings of its own)."""
    return MemoryStorage()


def counters_from_settings(settings: Settings) -> MemoryCounters:
    """Factory of the ``memory`` rate-limit adapter (no settings of its own)."""
    return MemoryCounters()
