"""Writing notices into the outbox: inside a flow's transaction, or after an event.

:class:`NoticeWriter` puts the messages of one notice
(:data:`~siapkerja_core.notices.NOTICES`) into the durable outbox. A flow of
its own (a phone change) calls :meth:`NoticeWriter.write` inside the
transaction that makes the change, so the change and its notice commit
together. The events of other use cases are turned into notices by
:meth:`NoticeWriter.on_event` — the subscriber the facade calls for every event
it emits — after their commit, in a transaction of its own.

**Idempotent per event.** A message's id derives (HMAC under the server pepper)
from the event — its name, account, time and fields — and the recipient; an
audit record with an id derived the same way (action ``notice.queued``, actor
``notices``) marks the event as handled. An event heard twice (a retried
emit, two subscribers) writes nothing the second time, even after the first
messages were sent and left the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from siapkerja_core.events import DomainEvent
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.notices import EMAIL, NOTICES, PHONE, Notice, notice_email, notice_sms
from siapkerja_core.ports import Transaction
from siapkerja_core.records import AccountRecord
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.outbox import SmsOutbox

__all__ = ["NOTICE_ACTOR", "NOTICE_TTL", "NoticeWriter", "Recipient"]

logger = logging.getLogger("siapkerja.notices")

NOTICE_TTL: Final = timedelta(days=2)
"""A notice not delivered within this time is given up (it would arrive stale)."""
NOTICE_ACTOR: Final = "notices"
"""The audit actor of the ``notice.queued`` records."""

Recipient = tuple[str, str]
"""``(channel, address)``: ``("sms", "+62…")`` or ``("email", "a@b.id")``."""


def account_recipients(notice: Notice, account: AccountRecord) -> list[Recipient]:
    """Where ``notice`` goes for ``account``: its phone by SMS, its e-mail, as the table says."""
    found: list[Recipient] = []
    for to in notice.to:
        if to == PHONE:
            found.append(("sms", account.phone))
        elif to == EMAIL:
            found.append(("email", account.email))
    return found


class NoticeWriter:
    """Put notices into the outbox (see the module docstring).

    :param ctx: the shared service context.
    :param outbox: the durable outbox (its ``email`` sender says whether e-mail goes out).
    :param service_name: named in every notice, as in the code SMS.
    """

    def __init__(
        self, ctx: ServiceContext, *, outbox: SmsOutbox, service_name: str = "SIAPkerja Kemnaker"
    ) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.service_name = service_name

    def write(
        self,
        tx: Transaction,
        notice: Notice,
        *,
        key: str,
        recipients: Iterable[Recipient],
        now: datetime,
        detail: str = "",
        kind: object = None,
    ) -> int:
        """Write ``notice``'s messages to ``recipients`` in ``tx``; how many were written.

        ``key`` identifies the occasion (an event's digest, a challenge): a
        message already in the outbox under the same key and recipient is not
        written again. ``detail`` is a masked contact or a hub's name, never a
        full contact. Messages to the same address are written once; e-mail
        recipients are skipped when no e-mail sender is configured.
        The caller wakes the dispatcher (``ctx.wake()``) after committing.
        """
        written = 0
        seen: set[Recipient] = set()
        for channel, address in recipients:
            if (channel, address) in seen or not address:
                continue
            seen.add((channel, address))
            if channel == "email" and self.outbox.email is None:
                continue
            message_id = f"notice:{self.ctx.mac('notice-message', key, channel, address)[:40]}"
            if tx.outbox.get(message_id) is not None:
                continue
            text = (
                notice_email(notice, service=self.service_name, detail=detail, kind=kind)
                if channel == "email"
                else notice_sms(notice, service=self.service_name, detail=detail, kind=kind)
            )
            self.outbox.enqueue(
                tx,
                message_id=message_id,
                to=address,
                text=text,
                now=now,
                expires_at=now + NOTICE_TTL,
                purpose=f"notice.{notice.key}",
                channel=channel,
            )
            written += 1
        return written

    # --- the subscriber ---------------------------------------------------------------------

    def event_key(self, event: DomainEvent) -> str:
        """The digest identifying ``event`` (its name, time and fields)."""
        fields: Sequence[tuple[str, object]] = (
            sorted(attrs.asdict(event, recurse=False).items())
            if attrs.has(type(event))
            else sorted(vars(event).items())
        )
        return self.ctx.mac("notice-event", event.name, repr(fields))

    def on_event(self, event: DomainEvent) -> int:
        """Turn an emitted event into its notice's messages (after its commit); how many.

        Events without a notice, notices written in their flow's own
        transaction, events without an ``account_id`` or of an account that is
        gone, and events already handled write nothing.
        """
        notice = NOTICES.get(event.name)
        if notice is None or notice.in_transaction:
            return 0
        account_id = getattr(event, "account_id", None)
        kind = getattr(event, "kind", None)
        if not isinstance(account_id, str) or not account_id or not notice.wants(kind):
            return 0
        detail = getattr(event, "client_name", "")
        key = self.event_key(event)
        micros = int(event.occurred_at.timestamp() * 1_000_000)
        marker = f"{micros:014x}-notice-{key[:24]}"
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            handled = tx.audit.list(
                target=account_id,
                target_kind="account",
                actor=NOTICE_ACTOR,
                since=event.occurred_at,
                limit=1000,
            )
            if any(record.id == marker for record in handled):
                return 0
            account = tx.accounts.get(account_id)
            if account is None:
                return 0
            written = self.write(
                tx,
                notice,
                key=key,
                recipients=account_recipients(notice, account),
                now=now,
                detail=detail if isinstance(detail, str) else "",
                kind=kind,
            )
            tx.audit.append(
                AuditRecord(
                    id=marker,
                    at=now,
                    actor=NOTICE_ACTOR,
                    action="notice.queued",
                    target_kind="account",
                    target_id=account_id,
                    details={"event": event.name, "messages": written},
                )
            )
        if written:
            self.ctx.wake()
        return written

    def hear(self, event: DomainEvent) -> None:
        """:meth:`on_event` for the facade's ``emit``: a failure is logged, never raised
        (telling the holder must not undo what already happened)."""
        if event.name not in NOTICES:
            return
        try:
            self.on_event(event)
        except Exception:
            logger.exception("could not write the notice of %s", event.name)
