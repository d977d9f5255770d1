"""The durable SMS outbox in the ``sql`` storage: messages encrypted at rest, claimed under a lease.

A claim is one short transaction: select the due messages (available, lease
run out) oldest first, then stamp them with the claimer's lease (on PostgreSQL
committed without waiting for the disk: see ``_CLAIM_PG``). PostgreSQL
selects them ``FOR UPDATE SKIP LOCKED``, so several workers claim disjoint
batches without waiting for each other; SQLite's units of work start with
``BEGIN IMMEDIATE``, so claims are serialised by the write lock and the
lease is what keeps a message from being sent twice while it is in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Row, bindparam, delete, func, or_, select, true, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository
from siapkerja_core.records import OutboxMessage

_O = sk.outbox.c


class _Outbox(_Repository):
    __slots__ = ()
    _DUE: ClassVar = (
        select(sk.outbox)
        .where(
            _O.available_at <= bindparam("now"),
            or_(_O.claimed_until.is_(None), _O.claimed_until <= bindparam("now")),
        )
        .order_by(_O.available_at, _O.id)
        .limit(bindparam("limit"))
    )
    _DUE_SKIP_LOCKED: ClassVar = _DUE.with_for_update(skip_locked=True)
    _CLAIM: ClassVar = (
        update(sk.outbox)
        .where(_O.id == bindparam("b_id"))
        .values(claimed_until=bindparam("claimed_until"), attempts=bindparam("attempts"))
    )
    # PostgreSQL: the claim's transaction commits without waiting for the disk
    # (``synchronous_commit = off`` for it alone, set inside the statement: no round
    # trip). A claim is a lease between running workers, which see it at once; a
    # database crash may forget it, and the message is then sent again with the same
    # idempotency key — as when a worker dies after sending, before the delivery
    # is committed. The delivery (the message deleted) stays durable.
    _CLAIM_PG: ClassVar = _CLAIM.where(
        func.set_config("synchronous_commit", "off", true()).is_not(None)
    )
    _GET: ClassVar = select(sk.outbox).where(_O.id == bindparam("id")).with_for_update()
    _UPDATE: ClassVar = update(sk.outbox).where(_O.id == bindparam("b_id"))
    _DELETE: ClassVar = delete(sk.outbox).where(_O.id == bindparam("id"))
    _COUNT: ClassVar = select(func.count()).select_from(sk.outbox)
    _INSERT: ClassVar = sk.outbox.insert()

    def add(self, message: OutboxMessage) -> None:
        self._tx.fetch(self._INSERT, self._params(message))

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        query = self._DUE_SKIP_LOCKED if self._storage.dialect == "postgresql" else self._DUE
        due = [self._message(row) for row in self._tx.fetch(query, {"now": now, "limit": limit})]
        claimed = [message.claimed(now, lease) for message in due]
        claim = self._CLAIM_PG if self._storage.dialect == "postgresql" else self._CLAIM
        stamps = [
            {"b_id": m.id, "claimed_until": m.claimed_until, "attempts": m.attempts}
            for m in claimed
        ]
        if len(stamps) == 1:  # the usual claim: one message, one statement on the driver
            self._tx.fetch(claim, stamps[0])
        elif stamps:
            self._tx.run(claim, stamps)
        return claimed

    def get(self, message_id: str) -> OutboxMessage | None:
        row = self._tx.fetch(self._GET, {"id": message_id}).first()
        return None if row is None else self._message(row)

    def put(self, message: OutboxMessage) -> None:
        params = self._params(message)
        params["b_id"] = params.pop("id")
        self._tx.fetch(self._UPDATE, params)

    def delete(self, message_id: str) -> None:
        self._tx.fetch(self._DELETE, {"id": message_id})

    def count(self) -> int:
        return int(self._tx.run(self._COUNT).scalar_one())

    def _params(self, message: OutboxMessage) -> dict[str, Any]:
        payload = self._storage.cipher.encrypt_json(
            {"to": message.to, "text": message.text},
            _context(sk.outbox, "payload", message.id),
        )
        return {
            "id": message.id,
            "payload": payload,
            "subject_id": message.subject_id,
            "generation": message.generation,
            "purpose": message.purpose,
            "created_at": message.created_at,
            "available_at": message.available_at,
            "expires_at": message.expires_at,
            "attempts": message.attempts,
            "last_failure": message.last_failure,
            "claimed_until": message.claimed_until,
            "channel": message.channel,
        }

    def _message(self, row: Row[Any]) -> OutboxMessage:
        payload = self._storage.cipher.decrypt_json(
            bytes(row.payload), _context(sk.outbox, "payload", row.id)
        )
        return OutboxMessage(
            id=row.id,
            to=payload["to"],
            text=payload["text"],
            created_at=row.created_at,
            available_at=row.available_at,
            expires_at=row.expires_at,
            subject_id=row.subject_id,
            generation=row.generation,
            purpose=row.purpose,
            attempts=row.attempts,
            last_failure=row.last_failure,
            claimed_until=row.claimed_until,
            channel=row.channel,
        )
