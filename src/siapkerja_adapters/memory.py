"""In-memory storage and counters: the ``memory`` adapters, for tests and notebooks.

:class:`MemoryStorage` keeps every record in dictionaries of the process. It
keeps the storage port's whole contract — a transaction commits all its
writes or none, transactions are serialised (one lock), and an account's
NIK, e-mail and phone are unique among active accounts — so the journey
behaves here exactly as on SQL, minus durability.

A transaction writes into an overlay that is merged into the store only when
the ``with`` block ends without an exception; reads look at the overlay
first. Nothing is copied up front, so a transaction costs the same with ten
accounts or a million.

:class:`MemoryCounters` holds fixed-window counters (the ``ratelimit`` port).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeVar

from siapkerja_core.model import (
    AccountRecord,
    OtpChallenge,
    PasswordResetRecord,
    RegistrationRecord,
    SessionRecord,
)
from siapkerja_core.ports import AccountConflict
from siapkerja_core.settings import Settings

__all__ = ["MemoryCounters", "MemoryStorage", "counters_from_settings", "storage_from_settings"]

T = TypeVar("T")
_DELETED = object()
_UNIQUE: tuple[Literal["nik", "email", "phone"], ...] = ("nik", "email", "phone")


class _Table(Generic[T]):
    """One kind of record: the committed rows and a transaction's overlay."""

    def __init__(self, rows: dict[str, T], overlay: dict[str, object]) -> None:
        self._rows = rows
        self._overlay = overlay

    def get(self, key: str) -> T | None:
        if key in self._overlay:
            value = self._overlay[key]
            return None if value is _DELETED else value  # type: ignore[return-value]
        return self._rows.get(key)

    def put_row(self, key: str, value: T) -> None:
        self._overlay[key] = value

    def delete_row(self, key: str) -> None:
        self._overlay[key] = _DELETED


class _Registrations(_Table[RegistrationRecord]):
    def put(self, record: RegistrationRecord) -> None:
        self.put_row(record.id, record)


class _Challenges(_Table[OtpChallenge]):
    def put(self, challenge: OtpChallenge) -> None:
        self.put_row(challenge.subject_id, challenge)


class _Resets(_Table[PasswordResetRecord]):
    def put(self, record: PasswordResetRecord) -> None:
        self.put_row(record.id, record)


class _Accounts(_Table[AccountRecord]):
    def __init__(
        self,
        rows: dict[str, AccountRecord],
        overlay: dict[str, object],
        index: dict[str, dict[str, str]],
    ) -> None:
        super().__init__(rows, overlay)
        self._index = index

    def find(
        self, *, nik: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountRecord | None:
        given = [(f, v) for f, v in (("nik", nik), ("email", email), ("phone", phone)) if v]
        if len(given) != 1:
            raise ValueError("find() takes exactly one of nik, email, phone")
        field, value = given[0]
        # Accounts written in this transaction first, then the committed index.
        for pending in self._overlay.values():
            if (
                isinstance(pending, AccountRecord)
                and pending.active
                and getattr(pending, field) == value
            ):
                return pending
        account_id = self._index[field].get(value)
        if account_id is None:
            return None
        account = self.get(account_id)
        if account is None or not account.active or getattr(account, field) != value:
            return None
        return account

    def add(self, record: AccountRecord) -> None:
        if self.get(record.id) is not None:
            raise ValueError(f"account {record.id!r} exists")
        for field in _UNIQUE:
            if self.find(**{field: getattr(record, field)}) is not None:
                raise AccountConflict(field)
        self.put_row(record.id, record)

    def put(self, record: AccountRecord) -> None:
        if self.get(record.id) is None:
            raise KeyError(record.id)
        for field in _UNIQUE:
            other = self.find(**{field: getattr(record, field)}) if record.active else None
            if other is not None and other.id != record.id:
                raise AccountConflict(field)
        self.put_row(record.id, record)


class _Sessions(_Table[SessionRecord]):
    def __init__(
        self,
        rows: dict[str, SessionRecord],
        overlay: dict[str, object],
        by_account: dict[str, set[str]],
    ) -> None:
        super().__init__(rows, overlay)
        self._by_account = by_account

    def add(self, record: SessionRecord) -> None:
        self.put_row(record.id, record)

    def delete(self, session_id: str) -> None:
        self.delete_row(session_id)

    def delete_for_account(self, account_id: str) -> int:
        ids = set(self._by_account.get(account_id, ()))
        ids.update(
            key
            for key, value in self._overlay.items()
            if isinstance(value, SessionRecord) and value.account_id == account_id
        )
        ended = 0
        for session_id in ids:
            if self.get(session_id) is not None:
                self.delete_row(session_id)
                ended += 1
        return ended


class _MemoryTransaction:
    def __init__(self, store: MemoryStorage) -> None:
        self.overlays: dict[str, dict[str, object]] = {
            name: {} for name in ("registrations", "challenges", "accounts", "sessions", "resets")
        }
        self.registrations = _Registrations(store._registrations, self.overlays["registrations"])
        self.challenges = _Challenges(store._challenges, self.overlays["challenges"])
        self.accounts = _Accounts(store._accounts, self.overlays["accounts"], store._index)
        self.sessions = _Sessions(store._sessions, self.overlays["sessions"], store._by_account)
        self.resets = _Resets(store._resets, self.overlays["resets"])


class MemoryStorage:
    """The storage port in process memory (see the module docstring for the guarantees)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._registrations: dict[str, RegistrationRecord] = {}
        self._challenges: dict[str, OtpChallenge] = {}
        self._accounts: dict[str, AccountRecord] = {}
        self._sessions: dict[str, SessionRecord] = {}
        self._resets: dict[str, PasswordResetRecord] = {}
        self._index: dict[str, dict[str, str]] = {field: {} for field in _UNIQUE}
        self._by_account: dict[str, set[str]] = {}
        self.counters = MemoryCounters()
        """Counters kept beside the records (the ``storage`` rate-limit adapter uses them)."""

    @contextmanager
    def transaction(self) -> Iterator[_MemoryTransaction]:
        # One lock serialises transactions; a nested one in the same thread would
        # wait for itself forever, so it is refused instead.
        if getattr(self._local, "active", False):
            raise RuntimeError("memory storage transactions do not nest")
        with self._lock:
            self._local.active = True
            try:
                tx = _MemoryTransaction(self)
                yield tx
                self._commit(tx)
            finally:
                self._local.active = False

    def _commit(self, tx: _MemoryTransaction) -> None:
        for name, overlay in tx.overlays.items():
            rows: dict[str, object] = getattr(self, f"_{name}")
            for key, value in overlay.items():
                previous = rows.get(key)
                if value is _DELETED:
                    rows.pop(key, None)
                else:
                    rows[key] = value
                if name == "accounts":
                    self._reindex_account(previous, value)
                elif name == "sessions":
                    self._reindex_session(key, previous, value)

    def _reindex_account(self, previous: object, current: object) -> None:
        if isinstance(previous, AccountRecord):
            for field in _UNIQUE:
                if self._index[field].get(getattr(previous, field)) == previous.id:
                    del self._index[field][getattr(previous, field)]
        if isinstance(current, AccountRecord) and current.active:
            for field in _UNIQUE:
                self._index[field][getattr(current, field)] = current.id

    def _reindex_session(self, key: str, previous: object, current: object) -> None:
        if isinstance(previous, SessionRecord):
            self._by_account.get(previous.account_id, set()).discard(key)
        if isinstance(current, SessionRecord):
            self._by_account.setdefault(current.account_id, set()).add(key)

    def dump(self) -> dict[str, list[object]]:
        """Every committed record, by table — for inspection in tests and notebooks."""
        with self._lock:
            return {
                "registrations": list(self._registrations.values()),
                "challenges": list(self._challenges.values()),
                "accounts": list(self._accounts.values()),
                "sessions": list(self._sessions.values()),
                "resets": list(self._resets.values()),
            }

    def __repr__(self) -> str:
        return f"MemoryStorage(accounts={len(self._accounts)})"


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
