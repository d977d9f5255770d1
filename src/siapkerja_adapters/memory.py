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

:class:`MemoryCounters` holds fixed-window counters (the ``ratelimit`` port).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from siapkerja_core.disclosure import Verifier
from siapkerja_core.ports import (
    AccountConflict,
    CardConflict,
    CardHolder,
    CheckInConflict,
    ScanSubject,
)
from siapkerja_core.profile import Profile
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    PasswordResetRecord,
    RegistrationRecord,
    SessionRecord,
)
from siapkerja_core.settings import Settings
from siapkerja_core.station import CheckIn
from siapkerja_core.tokens import Keyring

__all__ = ["MemoryCounters", "MemoryStorage", "counters_from_settings", "storage_from_settings"]

T = TypeVar("T")
_DELETED: Any = object()
_UNIQUE: tuple[Literal["nik", "email", "phone"], ...] = ("nik", "email", "phone")
Index = Callable[[Any], Hashable | None]


def _index_add(index: dict[Hashable, set[Hashable]], value: Hashable, key: Hashable) -> None:
    """``key`` under ``value`` in ``index`` (a new set only for a new value: a scan logs one)."""
    keys = index.get(value)
    if keys is None:
        index[value] = {key}
    else:
        keys.add(key)


class _Table(Generic[T]):
    """The committed rows of one kind of record and their secondary indexes.

    An index maps a derived value (an account's NIK, a session's account) to
    the set of row keys having it; ``None`` means "not indexed" (an inactive
    account is not in the uniqueness indexes).
    """

    def __init__(self, **indexes: Index) -> None:
        self.rows: dict[Hashable, T] = {}
        self.derive = indexes
        self.indexes: dict[str, dict[Hashable, set[Hashable]]] = {name: {} for name in indexes}

    def insert(self, key: Hashable, value: T) -> None:
        """Add a row under a key known to be new (append-only tables: the ledger)."""
        self.rows[key] = value
        for name, derive in self.derive.items():
            if (new := derive(value)) is not None:
                _index_add(self.indexes[name], new, key)

    def apply(self, key: Hashable, value: T) -> None:
        previous = self.rows.get(key)
        for name, derive in self.derive.items():
            index = self.indexes[name]
            if previous is not None and (old := derive(previous)) is not None:
                keys = index.get(old)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[old]
            if value is not _DELETED and (new := derive(value)) is not None:
                _index_add(index, new, key)
        if value is _DELETED:
            self.rows.pop(key, None)
        else:
            self.rows[key] = value


class _View(Generic[T]):
    """A table seen from inside a transaction: the overlay first, then the committed rows."""

    def __init__(self, table: _Table[T], overlay: dict[Hashable, Any]) -> None:
        self._table = table
        self._overlay = overlay

    def _get(self, key: Hashable) -> T | None:
        if key in self._overlay:
            value = self._overlay[key]
            return None if value is _DELETED else value  # type: ignore[no-any-return]
        return self._table.rows.get(key)

    def _put(self, key: Hashable, value: T) -> None:
        self._overlay[key] = value

    def _delete(self, key: Hashable) -> None:
        self._overlay[key] = _DELETED

    def _keys(self, index: str, value: Hashable) -> set[Hashable]:
        """Keys whose index value is ``value``, this transaction's writes included."""
        committed = self._table.indexes[index].get(value, ())
        if not self._overlay:
            return set(committed)
        derive = self._table.derive[index]
        keys = set(committed)
        for key, pending in self._overlay.items():
            if pending is _DELETED or derive(pending) != value:
                keys.discard(key)
            else:
                keys.add(key)
        return keys

    def _first(self, index: str, value: Hashable) -> T | None:
        if not self._overlay:  # the common read: straight to the committed index
            for key in self._table.indexes[index].get(value, ()):
                return self._table.rows[key]
            return None
        for key in self._keys(index, value):
            found = self._get(key)
            if found is not None:
                return found
        return None


class _Registrations(_View[RegistrationRecord]):
    def get(self, registration_id: str) -> RegistrationRecord | None:
        return self._get(registration_id)

    def put(self, record: RegistrationRecord) -> None:
        self._put(record.id, record)


class _Challenges(_View[OtpChallenge]):
    def get(self, subject_id: str) -> OtpChallenge | None:
        return self._get(subject_id)

    def put(self, challenge: OtpChallenge) -> None:
        self._put(challenge.subject_id, challenge)


class _Resets(_View[PasswordResetRecord]):
    def get(self, request_id: str) -> PasswordResetRecord | None:
        return self._get(request_id)

    def put(self, record: PasswordResetRecord) -> None:
        self._put(record.id, record)


class _Accounts(_View[AccountRecord]):
    def get(self, account_id: str) -> AccountRecord | None:
        return self._get(account_id)

    def find(
        self, *, nik: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountRecord | None:
        given = [(f, v) for f, v in (("nik", nik), ("email", email), ("phone", phone)) if v]
        if len(given) != 1:
            raise ValueError("find() takes exactly one of nik, email, phone")
        field, value = given[0]
        return self._first(field, value)

    def add(self, record: AccountRecord) -> None:
        if self._get(record.id) is not None:
            raise ValueError(f"account {record.id!r} exists")
        for field in _UNIQUE:
            if self._first(field, getattr(record, field)) is not None:
                raise AccountConflict(field)
        self._put(record.id, record)

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        keys = {k for k in self._table.rows if isinstance(k, str)}
        keys.update(k for k, v in self._overlay.items() if v is not _DELETED and isinstance(k, str))
        keys.difference_update(k for k, v in self._overlay.items() if v is _DELETED)
        ordered = sorted(k for k in keys if after is None or k > after)
        return ordered[:limit]

    def put(self, record: AccountRecord) -> None:
        if self._get(record.id) is None:
            raise KeyError(record.id)
        for field in _UNIQUE:
            other = self._first(field, getattr(record, field)) if record.active else None
            if other is not None and other.id != record.id:
                raise AccountConflict(field)
        self._put(record.id, record)


class _Sessions(_View[SessionRecord]):
    def add(self, record: SessionRecord) -> None:
        self._put(record.id, record)

    def get(self, session_id: str) -> SessionRecord | None:
        return self._get(session_id)

    def delete(self, session_id: str) -> None:
        self._delete(session_id)

    def delete_for_account(self, account_id: str) -> int:
        ended = 0
        for key in self._keys("account", account_id):
            if self._get(key) is not None:
                self._delete(key)
                ended += 1
        return ended


class _Profiles(_View[Profile]):
    def get(self, account_id: str) -> Profile | None:
        return self._get(account_id)

    def put(self, account_id: str, profile: Profile) -> None:
        self._put(account_id, profile)


class _Cards(_View[CardRecord]):
    def get(self, account_id: str) -> CardRecord | None:
        return self._first("account", account_id)

    def by_ref(self, card_ref: int) -> CardRecord | None:
        return self._first("ref", card_ref)

    def by_number(self, number: str) -> CardRecord | None:
        return self._first("number", number)

    def add(self, record: CardRecord) -> None:
        if self.by_ref(record.card_ref) is not None or self.by_number(record.number):
            raise CardConflict(record.number)
        if self.get(record.account_id) is not None:
            raise ValueError(f"account {record.account_id!r} already has a card")
        self._put(record.id, record)

    def add_many(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        refused: list[CardRecord] = []
        for record in records:
            if self._get(record.id) is not None:
                refused.append(record)
                continue
            try:
                self.add(record)
            except (CardConflict, ValueError):
                refused.append(record)
        return refused

    def put(self, record: CardRecord) -> None:
        self._put(record.id, record)


class _Verifiers(_View[tuple[Verifier, str]]):
    def get(self, verifier_id: str) -> Verifier | None:
        row = self._get(verifier_id)
        return None if row is None else row[0]

    def by_key(self, key_hash: str) -> Verifier | None:
        row = self._first("key", key_hash)
        return None if row is None else row[0]

    def add(self, verifier: Verifier, key_hash: str) -> None:
        self._put(verifier.id, (verifier, key_hash))

    def put(self, verifier: Verifier) -> None:
        row = self._get(verifier.id)
        if row is None:
            raise KeyError(verifier.id)
        self._put(verifier.id, (verifier, row[1]))


class _Consents(_View[ConsentRecord]):
    def get(self, consent_id: str) -> ConsentRecord | None:
        return self._get(consent_id)

    def put(self, record: ConsentRecord) -> None:
        self._put(record.id, record)

    def for_account(self, account_id: str) -> list[ConsentRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((c for c in found if c is not None), key=lambda c: (c.granted_at, c.id))


class _AccessLog(_View[AccessRecord]):
    def append(self, record: AccessRecord) -> None:
        self._put(record.id, record)

    def for_account(self, account_id: str) -> list[AccessRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((r for r in found if r is not None), key=lambda r: (r.at, r.id))


class _CheckIns(_View[CheckIn]):
    def get(self, card_ref: int, event_id: str) -> CheckIn | None:
        return self._get((card_ref, event_id))

    def add(self, check_in: CheckIn) -> None:
        if self.get(check_in.card_ref, check_in.event_id) is not None:
            raise CheckInConflict(check_in.event_id)
        self._put((check_in.card_ref, check_in.event_id), check_in)

    def replace(self, check_in: CheckIn) -> None:
        self._put((check_in.card_ref, check_in.event_id), check_in)

    def for_event(self, event_id: str) -> list[CheckIn]:
        found = (self._get(key) for key in self._keys("event", event_id))
        return sorted((c for c in found if c is not None), key=lambda c: c.checked_in_at)


class _Keyrings(_View[Keyring]):
    def get(self) -> Keyring | None:
        return self._get("current")

    def put(self, keyring: Keyring) -> None:
        self._put("current", keyring)

    def stamp(self) -> str | None:
        ring = self._get("current")
        return None if ring is None else ring.stamp


def _active_account(field: str) -> Index:
    return lambda account: getattr(account, field) if account.active else None


_VIEWS: dict[str, type[_View[Any]]] = {
    "registrations": _Registrations,
    "challenges": _Challenges,
    "accounts": _Accounts,
    "sessions": _Sessions,
    "resets": _Resets,
    "profiles": _Profiles,
    "cards": _Cards,
    "verifiers": _Verifiers,
    "consents": _Consents,
    "access_log": _AccessLog,
    "check_ins": _CheckIns,
    "keyring": _Keyrings,
}


class _MemoryTransaction:
    """The repositories of one transaction (attributes named as in the ``Transaction`` port).

    Each repository is made on first use, so a transaction that reads one
    card and appends one ledger entry costs two small objects, not twelve.
    """

    def __init__(self, tables: dict[str, _Table[Any]]) -> None:
        self._tables = tables
        self.overlays: dict[str, dict[Hashable, Any]] = {}

    def __getattr__(self, name: str) -> _View[Any]:
        view_class = _VIEWS.get(name)
        if view_class is None:
            raise AttributeError(name)
        overlay = self.overlays[name] = {}
        view = view_class(self._tables[name], overlay)
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


class _Scope:
    """``with storage.transaction() as tx``: one lock serialises transactions.

    A nested transaction in the same thread would wait for itself forever, so
    it is refused instead. (A class rather than ``@contextmanager``: a scan
    runs one transaction, and the generator machinery cost more than the scan.)
    """

    __slots__ = ("_storage", "_tx")

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    def __enter__(self) -> _MemoryTransaction:
        storage = self._storage
        if getattr(storage._local, "active", False):
            raise RuntimeError("memory storage transactions do not nest")
        storage._lock.acquire()
        storage._local.active = True
        self._tx = _MemoryTransaction(storage._tables)
        return self._tx

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        storage = self._storage
        try:
            if exc_type is None:
                for name, overlay in self._tx.overlays.items():
                    table = storage._tables[name]
                    for key, value in overlay.items():
                        table.apply(key, value)
        finally:
            storage._local.active = False
            storage._lock.release()


class MemoryStorage:
    """The storage port in process memory (see the module docstring for the guarantees)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._tables: dict[str, _Table[Any]] = {
            "registrations": _Table(),
            "challenges": _Table(),
            "accounts": _Table(**{f: _active_account(f) for f in _UNIQUE}),
            "sessions": _Table(account=lambda s: s.account_id),
            "resets": _Table(),
            "profiles": _Table(),
            "cards": _Table(
                account=lambda c: c.account_id, ref=lambda c: c.card_ref, number=lambda c: c.number
            ),
            "verifiers": _Table(key=lambda row: row[1]),
            "consents": _Table(account=lambda c: c.account_id),
            "access_log": _Table(account=lambda r: r.account_id),
            "check_ins": _Table(event=lambda c: c.event_id),
            "keyring": _Table(),
        }
        self.counters = MemoryCounters()
        """Counters kept beside the records (the ``storage`` rate-limit adapter uses them)."""

    def transaction(self) -> _Scope:
        return _Scope(self)

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
        with self._lock:
            self._tables["access_log"].insert(record.id, record)

    def dump(self) -> dict[str, list[object]]:
        """Every committed record, by table — for inspection in tests and notebooks."""
        with self._lock:
            return {name: list(table.rows.values()) for name, table in self._tables.items()}

    def __repr__(self) -> str:
        return f"MemoryStorage(accounts={len(self._tables['accounts'].rows)})"


class MemoryCounters:
    """Fixed-window counters in process memory (thread-safe; not shared across processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    @staticmethod
    def _window_index(window: timedelta, now: datetime) -> int:
        return int(now.timestamp() // window.total_seconds())

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        index = self._window_index(window, now)
        with self._lock:
            stored_index, count = self._counts.get(key, (index, 0))
            count = count + 1 if stored_index == index else 1
            self._counts[key] = (index, count)
            return count

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        index = self._window_index(window, now)
        with self._lock:
            stored_index, count = self._counts.get(key, (index, 0))
            return count if stored_index == index else 0

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


def storage_from_settings(settings: Settings) -> MemoryStorage:
    """Factory of the ``memory`` storage adapter (no settings of its own)."""
    return MemoryStorage()


def counters_from_settings(settings: Settings) -> MemoryCounters:
    """Factory of the ``memory`` rate-limit adapter (no settings of its own)."""
    return MemoryCounters()
