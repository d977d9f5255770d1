"""The message sender port (SMS): the receipt of a sent message and the send failure."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import attrs

from siapkerja_core.errors import SiapkerjaError

if TYPE_CHECKING:
    pass

__all__ = [
    "MessageSender",
    "SentMessage",
    "SmsDeliveryError",
]


@attrs.frozen
class SentMessage:
    """The receipt of one text message handed to the SMS service.

    ``message_id`` is the service's identifier (unique per message);
    ``sent_at`` is aware. ``text`` holds a one-time code, so it is left out of
    the repr: a receipt printed to a log does not leak the code.
    """

    to: str
    text: str = attrs.field(repr=False)
    message_id: str
    sent_at: datetime


class SmsDeliveryError(SiapkerjaError):
    """The SMS service could not take the message; nothing was sent.

    Retrying later (with the same idempotency key) is safe.
    """

    domain = "sms"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


@runtime_checkable
class MessageSender(Protocol):
    """Delivers a short text message to a mobile phone (the ``sms`` port).

    Contract every adapter keeps:

    * ``to`` is an E.164 number (``"+6281234567890"``); the core normalises
      numbers before calling, so an adapter does not re-parse them.
    * On success it returns a :class:`SentMessage` whose ``to`` and ``text``
      are the ones given. On failure it raises :class:`SmsDeliveryError` and
      nothing counts as sent.
    * ``idempotency_key``: a second send with a key already used returns the
      first receipt and sends nothing, so a retried request never texts twice.
      A failed send does not use up its key.
    * ``text`` holds a one-time code: an adapter never logs it above DEBUG.
    """

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Send ``text`` to ``to`` and return the receipt.

        :param to: the recipient, in E.164 form.
        :param text: the message body (contains a one-time code).
        :param idempotency_key: identifies the logical message across retries.
        :raises SmsDeliveryError: ``sms.unavailable`` when the service refuses or fails.
        """
        ...
