"""The holder's rights in the ``sql`` storage (``tx.rights``): requests, the record of
processing, restrictions, and erasure over the other tables.

An erasure is a handful of ``DELETE`` statements in the caller's transaction. On
SQLite the deleted rows would otherwise linger in free pages and in the
write-ahead log: :meth:`SqlRights.erase` turns ``PRAGMA secure_delete`` on for
its connection (freed content is overwritten with zeros), and :func:`scrub`,
run after the commit, checkpoints the WAL and truncates it, so the holder's
bytes are gone from the file (measured in ``docs/rights.md``). PostgreSQL's
dead tuples are not in ``pg_dump`` output; ``VACUUM`` reclaims them later.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Row, bindparam, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.ports.rights import CONTACT_CHALLENGE_PREFIXES, ERASED_AT_ONCE, PURGED_LATER
from siapkerja_core.rights import (
    ProcessingEntry,
    RequestStatus,
    RightKind,
    RightsRequest,
)

if TYPE_CHECKING:
    from siapkerja_adapters.sql.storage import SqlStorage

__all__ = ["SqlRights", "scrub"]

_R = sk.rights_requests.c
_L = sk.rights_log.c
_X = sk.rights_restrictions.c
_COLUMNS = [c.name for c in sk.rights_requests.c if c.name != "id"]


class SqlRights(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.rights_requests).where(_R.id == bindparam("id"))
    _MINE: ClassVar = (
        select(sk.rights_requests)
        .where(_R.account_id == bindparam("account_id"))
        .order_by(_R.received_at, _R.id)
    )
    _OPEN: ClassVar = (
        select(sk.rights_requests)
        .where(_R.status == RequestStatus.OPEN.value)
        .order_by(_R.due_at, _R.id)
        .limit(bindparam("limit"))
    )
    _TO_PURGE: ClassVar = (
        select(sk.rights_requests)
        .where(
            _R.kind == RightKind.ERASURE.value,
            _R.purge_after <= bindparam("now"),
            _R.purged_at.is_(None),
        )
        .order_by(_R.purge_after, _R.id)
        .limit(bindparam("limit"))
    )
    _LOG: ClassVar = sk.rights_log.insert()
    _LINES: ClassVar = (
        select(sk.rights_log).where(_L.account_id == bindparam("account_id")).order_by(_L.at, _L.id)
    )
    _RESTRICTED: ClassVar = select(_X.restricted_at).where(_X.account_id == bindparam("account_id"))
    _LIFT: ClassVar = delete(sk.rights_restrictions).where(_X.account_id == bindparam("account_id"))

    def put(self, request: RightsRequest) -> None:
        insert: Any = postgresql.insert if self._storage.dialect == "postgresql" else sqlite.insert
        statement = insert(sk.rights_requests)
        statement = statement.on_conflict_do_update(
            index_elements=[_R.id], set_={name: statement.excluded[name] for name in _COLUMNS}
        )
        note = None
        if request.note is not None:
            note = self._storage.cipher.encrypt_json(
                request.note, _context(sk.rights_requests, "note", request.id)
            )
        self._tx.run(
            statement,
            {
                "id": request.id,
                "receipt": request.receipt,
                "account_id": request.account_id,
                "kind": request.kind.value,
                "status": request.status.value,
                "received_at": request.received_at,
                "due_at": request.due_at,
                "completed_at": request.completed_at,
                "handled_by": request.handled_by,
                "note": note,
                "purge_after": request.purge_after,
                "purged_at": request.purged_at,
            },
        )

    @reads(sk.rights_requests)
    def _request(self, row: Row[Any]) -> RightsRequest:
        note = None
        if row.note is not None:
            note = self._storage.cipher.decrypt_json(
                bytes(row.note), _context(sk.rights_requests, "note", row.id)
            )
        return RightsRequest(
            id=row.id,
            receipt=row.receipt,
            account_id=row.account_id,
            kind=RightKind(row.kind),
            received_at=row.received_at,
            due_at=row.due_at,
            status=RequestStatus(row.status),
            completed_at=row.completed_at,
            handled_by=row.handled_by,
            note=note,
            purge_after=row.purge_after,
            purged_at=row.purged_at,
        )

    def get(self, request_id: str) -> RightsRequest | None:
        row = self._tx.run(self._GET, {"id": request_id}).first()
        return None if row is None else self._request(row)

    def for_account(self, account_id: str) -> builtins.list[RightsRequest]:
        return [self._request(r) for r in self._tx.run(self._MINE, {"account_id": account_id})]

    def open(self, *, limit: int = 500) -> builtins.list[RightsRequest]:
        return [self._request(r) for r in self._tx.run(self._OPEN, {"limit": limit})]

    def to_purge(self, now: datetime, *, limit: int = 100) -> builtins.list[RightsRequest]:
        rows = self._tx.run(self._TO_PURGE, {"now": now, "limit": limit})
        return [self._request(r) for r in rows]

    def log(self, entry: ProcessingEntry) -> None:
        self._tx.fetch(
            self._LOG,
            {
                "id": entry.id,
                "account_id": entry.account_id,
                "at": entry.at,
                "kind": entry.kind,
                "detail": entry.detail,
            },
        )

    def processing_for(self, account_id: str) -> builtins.list[ProcessingEntry]:
        return [
            ProcessingEntry(id=r.id, account_id=r.account_id, at=r.at, kind=r.kind, detail=r.detail)
            for r in self._tx.run(self._LINES, {"account_id": account_id})
        ]

    def restricted_at(self, account_id: str) -> datetime | None:
        row = self._tx.run(self._RESTRICTED, {"account_id": account_id}).first()
        return None if row is None else row.restricted_at

    def restrict(self, account_id: str, at: datetime | None) -> None:
        self._tx.run(self._LIFT, {"account_id": account_id})
        if at is not None:
            self._tx.run(
                sk.rights_restrictions.insert(), {"account_id": account_id, "restricted_at": at}
            )

    def _delete(self, table: Any, *conditions: Any) -> int:
        return int(self._tx.run(delete(table).where(*conditions)).rowcount or 0)

    def erase(self, account_id: str) -> dict[str, int]:
        if self._storage.dialect == "sqlite":
            # Freed cells and pages are zeroed: the holder's bytes do not stay in free pages.
            self._tx.run(text("PRAGMA secure_delete=ON"))
        registrations = [
            row.id
            for row in self._tx.run(
                select(sk.registrations.c.id).where(sk.registrations.c.account_id == account_id)
            )
        ]
        # The OTP challenges of a reset and of the holder's contact changes (contacts.py).
        subjects = [
            *registrations,
            f"reset:{account_id}",
            *(f"{prefix}{account_id}" for prefix in CONTACT_CHALLENGE_PREFIXES),
        ]
        counts = {
            "accounts": self._delete(sk.accounts, sk.accounts.c.id == account_id),
            "profiles": self._delete(sk.profiles, sk.profiles.c.account_id == account_id),
            "sessions": self._delete(sk.sessions, sk.sessions.c.account_id == account_id),
            "password_resets": self._delete(sk.resets, sk.resets.c.account_id == account_id),
            "registrations": self._delete(
                sk.registrations, sk.registrations.c.account_id == account_id
            ),
            "otp_challenges": self._delete(sk.challenges, sk.challenges.c.subject_id.in_(subjects)),
            "outbox": self._delete(sk.outbox, sk.outbox.c.subject_id.in_(subjects)),
            "consents": self._delete(sk.consents, sk.consents.c.account_id == account_id),
            "consent_requests": self._delete(
                sk.consent_requests, sk.consent_requests.c.account_id == account_id
            ),
            "sso_tokens": self._delete(sk.sso_tokens, sk.sso_tokens.c.account_id == account_id),
            "class_enrolments": self._delete(
                sk.class_enrolments, sk.class_enrolments.c.account_id == account_id
            ),
            "programme_enrolments": self._delete(
                sk.programme_enrolments, sk.programme_enrolments.c.account_id == account_id
            ),
            "processing_log": self._delete(sk.rights_log, _L.account_id == account_id),
            "restrictions": self._delete(sk.rights_restrictions, _X.account_id == account_id),
            "factors": self._delete(sk.factors, sk.factors.c.account_id == account_id),
            "second_contacts": self._delete(
                sk.second_contacts, sk.second_contacts.c.account_id == account_id
            ),
        }
        # The holder's words in earlier requests go too; the receipts stay (Pasal 14).
        self._tx.run(
            update(sk.rights_requests)
            .where(_R.account_id == account_id, _R.note.is_not(None))
            .values(note=None)
        )
        assert tuple(counts) == ERASED_AT_ONCE
        return counts

    def purge(self, account_id: str, card_ref: int | None) -> dict[str, int]:
        if self._storage.dialect == "sqlite":
            self._tx.run(text("PRAGMA secure_delete=ON"))
        ref = -1 if card_ref is None else card_ref
        counts = {
            "access_log": self._delete(sk.access_log, sk.access_log.c.account_id == account_id),
            "check_ins": self._delete(sk.check_ins, sk.check_ins.c.card_ref == ref)
            if card_ref is not None
            else 0,
            "double_entries": self._delete(sk.double_entries, sk.double_entries.c.card_ref == ref)
            if card_ref is not None
            else 0,
            "aki": self._delete(
                sk.aki_registrations, sk.aki_registrations.c.account_id == account_id
            ),
            "cards": self._delete(sk.cards, or_(sk.cards.c.account_id == account_id)),
            "disputes": self._delete(sk.disputes, sk.disputes.c.account_id == account_id),
        }
        assert tuple(counts) == PURGED_LATER
        return counts


def scrub(storage: SqlStorage) -> None:
    """After an erasure committed: on SQLite, checkpoint the WAL into the file and truncate it.

    With ``secure_delete`` on during the erasure, the file then holds zeros where
    the rows were. Nothing to do on PostgreSQL.
    """
    if storage.dialect != "sqlite":
        return
    # On the driver's connection, outside any transaction (the engine's "begin"
    # listener would open one, and a checkpoint cannot run inside it).
    raw = storage.engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()
