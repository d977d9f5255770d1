"""The durable SMS outbox in the ``sql`` storage: messages encrypted at rest, claimed under a lease.

A claim is one statement in a short transaction: the due messages (available,
lease run out), oldest first, up to the limit, are stamped with the claimer's
lease and one more attempt, and returned (``UPDATE … RETURNING``; on
PostgreSQL committed without waiting for the disk: see ``_CLAIM_PG``). It was
a ``SELECT`` and then an ``UPDATE`` per claim — a round trip more on
PostgreSQL, a statement more on SQLite, for every SMS sent. PostgreSQL picks
them ``FOR UPDATE SKIP LOCKED`` (in an ``ARRAY(…)``, evaluated once), so
several workers claim disjoint batches without waiting for each other;
SQLite's units of work start with ``BEGIN IMMEDIATE``, so claims are
serialised by the write lock and the lease is what keeps a message from being
sent twice while it is in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Row, any_, bindparam, delete, func, or_, select, true, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.records import OutboxMessage

_O = sk.outbox.c


def _due_ids(skip_locked: bool) -> Any:
    """The ids of the due messages (available, lease run out), oldest first, up to ``limit``."""
    due = (
        select(_O.id)
        .where(
            _O.available_at <= bindparam("now"),
            or_(_O.claimed_until.is_(None), _O.claimed_until <= bindparam("now")),
        )
        .order_by(_O.available_at, _O.id)
        .limit(bindparam("limit"))
    )
    return due.with_for_update(skip_locked=True) if skip_locked else due


def _claim(condition: Any) -> Any:
    """Stamp the messages ``condition`` picks with the lease and one more attempt; return them."""
    return (
        update(sk.outbox)
        .where(condition)
        .values(claimed_until=bindparam("claimed_until"), attempts=_O.attempts + 1)
        .returning(*sk.outbox.c)
    )


class _Outbox(_Repository):
    __slots__ = ()
    # SQLite: ``IN (SELECT … LIMIT)``, run under the unit's write lock.
    _CLAIM: ClassVar = _claim(_O.id.in_(_due_ids(skip_locked=False).scalar_subquery()))
    # PostgreSQL: ``= ANY(ARRAY(SELECT … FOR UPDATE SKIP LOCKED LIMIT))``: the array is
    # computed once (an ``IN`` over a ``LIMIT`` subquery may be planned as a join that
    # runs it again), and the claim's transaction commits without waiting for the disk
    # (``synchronous_commit = off`` for it alone, set inside the statement: no round
    # trip). A claim is a lease between running workers, which see it at once; a
    # database crash may forget it, and the message is then sent again with the same
    # idempotency key — as when a worker dies after sending, before the delivery
    # is committed. The delivery (the message deleted) stays durable.
    _CLAIM_PG: ClassVar = _claim(
        _O.id == any_(func.array(_due_ids(skip_locked=True).scalar_subquery()))
    ).where(func.set_config("synchronous_commit", "off", true()).is_not(None))
    _GET: ClassVar = select(sk.outbox).where(_O.id == bindparam("id")).with_for_update()
    _UPDATE: ClassVar = update(sk.outbox).where(_O.id == bindparam("b_id"))
    _DELETE: ClassVar = delete(sk.outbox).where(_O.id == bindparam("id"))
    _COUNT: ClassVar = select(func.count()).select_from(sk.outbox)
    _INSERT: ClassVar = sk.outbox.insert()

    def add(self, message: OutboxMessage) -> None:
        self._tx.fetch(self._INSERT, self._params(message))

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        claim = self._CLAIM_PG if self._storage.dialect == "postgresql" else self._CLAIM
        rows = self._tx.fetch(claim, {"now": now, "limit": limit, "claimed_until": now + lease})
        # RETURNING gives the rows in no promised order: oldest first, as the claim chose.
        claimed = [self._message(row) for row in rows]
        claimed.sort(key=lambda message: (message.available_at, message.id))
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

    @reads(sk.outbox)
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
