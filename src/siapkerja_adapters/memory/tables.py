"""The memory storage's tables and the repositories a transaction reads them through.

A :class:`Table` holds committed rows and their secondary indexes (account
by NIK, card by reference …), updated when a transaction's overlay is
applied at commit. A :class:`View` is one repository of one transaction: it
reads its overlay first, then the table, and writes only into the overlay.
:data:`VIEWS` names the repository class of each ``Transaction`` attribute.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from siapkerja_core.disclosure import Verifier
from siapkerja_core.ports import (
    AccountConflict,
    CardConflict,
    CheckInConflict,
)
from siapkerja_core.profile import Profile
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    LedgerCursor,
    OtpChallenge,
    OutboxMessage,
    PasswordResetRecord,
    RegistrationRecord,
    SessionRecord,
)
from siapkerja_core.station import CheckIn
from siapkerja_core.tokens import Keyring

__all__ = ["UNIQUE_FIELDS", "VIEWS", "Index", "Table", "View", "active_account"]

T = TypeVar("T")
_DELETED: Any = object()
UNIQUE_FIELDS: tuple[Literal["nik", "email", "phone"], ...] = ("nik", "email", "phone")
Index = Callable[[Any], Hashable | None]


def _index_add(index: dict[Hashable, set[Hashable]], value: Hashable, key: Hashable) -> None:
    """``key`` under ``value`` in ``index`` (a new set only for a new value: a scan logs one)."""
    keys = index.get(value)
    if keys is None:
        index[value] = {key}
    else:
        keys.add(key)


class Table(Generic[T]):
    """The committed rows of one kind of record and their secondary indexes.

    An index maps a derived value (an account's NIK, a session's account) to
    the set of row keys having it; ``None`` means "not indexed" (an inactive
    account is not in the uniqueness indexes).
    """

    def __init__(self, **indexes: Index) -> None:
        self.rows: dict[Hashable, T] = {}
        self.derive = indexes
        self.indexes: dict[str, dict[Hashable, set[Hashable]]] = {name: {} for name in indexes}
        # Each index with its derivation, for insert (a scan's ledger entry: the hot path).
        self._derived = tuple((derive, self.indexes[name]) for name, derive in indexes.items())

    def insert(self, key: Hashable, value: T) -> None:
        """Add a row under a key known to be new (append-only tables: the ledger)."""
        self.rows[key] = value
        for derive, index in self._derived:
            new = derive(value)
            if new is not None:
                keys = index.get(new)
                if keys is None:
                    index[new] = {key}
                else:
                    keys.add(key)

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


class View(Generic[T]):
    """A table seen from inside a transaction: the overlay first, then the committed rows."""

    def __init__(self, table: Table[T], overlay: dict[Hashable, Any]) -> None:
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


class _Registrations(View[RegistrationRecord]):
    def bind(self, tx: Any) -> None:
        """Called by the transaction: a registration's challenge is read through it."""
        self._tx = tx

    def get(self, registration_id: str) -> RegistrationRecord | None:
        return self._get(registration_id)

    def with_challenge(
        self, registration_id: str
    ) -> tuple[RegistrationRecord | None, OtpChallenge | None]:
        record = self._get(registration_id)
        if record is None:
            return None, None
        challenge: OtpChallenge | None = self._tx.challenges.get(registration_id)
        return record, challenge

    def put(self, record: RegistrationRecord) -> None:
        self._put(record.id, record)


class _Challenges(View[OtpChallenge]):
    def get(self, subject_id: str) -> OtpChallenge | None:
        return self._get(subject_id)

    def put(self, challenge: OtpChallenge) -> None:
        self._put(challenge.subject_id, challenge)


class _Resets(View[PasswordResetRecord]):
    def get(self, request_id: str) -> PasswordResetRecord | None:
        return self._get(request_id)

    def put(self, record: PasswordResetRecord) -> None:
        self._put(record.id, record)


class _Accounts(View[AccountRecord]):
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
        for field in UNIQUE_FIELDS:
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
        for field in UNIQUE_FIELDS:
            other = self._first(field, getattr(record, field)) if record.active else None
            if other is not None and other.id != record.id:
                raise AccountConflict(field)
        self._put(record.id, record)


class _Sessions(View[SessionRecord]):
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


class _Profiles(View[Profile]):
    def get(self, account_id: str) -> Profile | None:
        return self._get(account_id)

    def put(self, account_id: str, profile: Profile) -> None:
        self._put(account_id, profile)


class _Cards(View[CardRecord]):
    def get(self, account_id: str) -> CardRecord | None:
        return self._first("account", account_id)

    def by_ref(self, card_ref: int) -> CardRecord | None:
        return self._first("ref", card_ref)

    def by_number(self, number: str) -> CardRecord | None:
        return self._first("number", number)

    def add(self, record: CardRecord) -> None:
        if self.by_ref(record.card_ref) is not None or self.by_number(record.number):
            raise CardConflict(record.number)
        if record.status_index is not None and self._first("status", record.status_index):
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
        held = (
            self._first("status", record.status_index) if record.status_index is not None else None
        )
        if held is not None and held.id != record.id:
            raise CardConflict(record.number)
        self._put(record.id, record)


class _Verifiers(View[tuple[Verifier, str]]):
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

    def rekey(self, verifier_id: str, key_hash: str) -> None:
        row = self._get(verifier_id)
        if row is None:
            raise KeyError(verifier_id)
        self._put(verifier_id, (row[0], key_hash))

    def list(self) -> builtins.list[Verifier]:
        rows = (self._get(key) for key in set(self._table.rows) | set(self._overlay))
        return sorted((r[0] for r in rows if r is not None), key=lambda v: (v.created_at, v.id))


class _Consents(View[ConsentRecord]):
    def get(self, consent_id: str) -> ConsentRecord | None:
        return self._get(consent_id)

    def put(self, record: ConsentRecord) -> None:
        self._put(record.id, record)

    def for_account(self, account_id: str) -> list[ConsentRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((c for c in found if c is not None), key=lambda c: (c.granted_at, c.id))


class _AccessLog(View[AccessRecord]):
    def append(self, record: AccessRecord) -> None:
        self._put(record.id, record)

    def for_account(self, account_id: str) -> list[AccessRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((r for r in found if r is not None), key=lambda r: (r.at, r.id))

    def newest_for_account(
        self, account_id: str, *, limit: int, before: LedgerCursor | None = None
    ) -> list[AccessRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        kept = (
            r
            for r in found
            if r is not None and (before is None or (r.at, r.id) < (before.at, before.id))
        )
        return sorted(kept, key=lambda r: (r.at, r.id), reverse=True)[: max(limit, 0)]

    def for_verifier(
        self, verifier_id: str, *, since: datetime | None = None, limit: int = 100
    ) -> list[AccessRecord]:
        found = (self._get(key) for key in self._keys("verifier", verifier_id))
        kept = (r for r in found if r is not None and (since is None or r.at >= since))
        return sorted(kept, key=lambda r: (r.at, r.id), reverse=True)[:limit]


class _CheckIns(View[CheckIn]):
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

    def count(self, event_id: str) -> int:
        if not self._overlay:  # no write in this transaction yet: the index's size, no copy
            return len(self._table.indexes["event"].get(event_id, ()))
        return len(self._keys("event", event_id))


class _Keyrings(View[Keyring]):
    def get(self) -> Keyring | None:
        return self._get("current")

    def put(self, keyring: Keyring) -> None:
        self._put("current", keyring)

    def stamp(self) -> str | None:
        ring = self._get("current")
        return None if ring is None else ring.stamp


class _Outbox(View[OutboxMessage]):
    def add(self, message: OutboxMessage) -> None:
        if self._get(message.id) is not None:
            raise ValueError(f"outbox message {message.id!r} exists")
        self._put(message.id, message)

    def _all(self) -> list[OutboxMessage]:
        keys = set(self._table.rows) | set(self._overlay)
        found = (self._get(key) for key in keys)
        return [m for m in found if m is not None]

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        # Transactions are serialised by the storage's lock: no two claimers meet.
        due = sorted((m for m in self._all() if m.due(now)), key=lambda m: (m.available_at, m.id))
        claimed = [m.claimed(now, lease) for m in due[:limit]]
        for message in claimed:
            self._put(message.id, message)
        return claimed

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._get(message_id)

    def put(self, message: OutboxMessage) -> None:
        self._put(message.id, message)

    def delete(self, message_id: str) -> None:
        self._delete(message_id)

    def count(self) -> int:
        return len(self._all())


def active_account(field: str) -> Index:
    return lambda account: getattr(account, field) if account.active else None


VIEWS: dict[str, type[View[Any]]] = {
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
    "outbox": _Outbox,
}
# Repositories defined in their own modules register here (memory/__init__.py imports them).
