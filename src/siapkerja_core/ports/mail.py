"""The e-mail sender port: the receipt of a sent e-mail and the send failure.

The outbox (:mod:`siapkerja_core.services.outbox`) carries messages on two
channels, ``sms`` and ``email``; a message of the ``email`` channel is handed
to the :class:`EmailSender` the ``email`` setting names (``console`` by
default, ``memory`` for tests, ``smtp`` for a real mail server).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol, runtime_checkable

import attrs

from siapkerja_core.errors import SiapkerjaError

__all__ = ["EmailDeliveryError", "EmailSender", "SentEmail"]


@attrs.frozen
class SentEmail:
    """The receipt of one e-mail handed to the mail service.

    ``body`` may hold a one-time code, so it is left out of the repr.
    """

    to: str
    subject: str
    body: str = attrs.field(repr=False)
    message_id: str
    sent_at: datetime


class EmailDeliveryError(SiapkerjaError):
    """The mail service could not take the message; nothing was sent.

    ``params["retryable"]`` is ``False`` when retrying cannot help (the server
    refused the recipient for good, an SMTP 5xx); retrying later with the same
    idempotency key is safe otherwise.
    """

    domain = "mail"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


@runtime_checkable
class EmailSender(Protocol):
    """Delivers a plain-text e-mail (the ``email`` port).

    Contract every adapter keeps:

    * ``to`` is a normalised address (:func:`siapkerja_core.contact.normalize_email`).
    * On success it returns a :class:`SentEmail` whose ``to``, ``subject`` and
      ``body`` are the ones given; on failure it raises
      :class:`EmailDeliveryError` and nothing counts as sent.
    * ``idempotency_key``: a second send with a key already used returns the
      first receipt and sends nothing (as the SMS port). A failed send does not
      use up its key.
    * ``body`` may hold a one-time code: an adapter never logs it above DEBUG.
    """

    def send_email(
        self, to: str, subject: str, body: str, *, idempotency_key: str | None = None
    ) -> SentEmail:
        """Send one e-mail and return the receipt.

        :raises EmailDeliveryError: ``mail.unavailable`` when the service refuses or fails.
        """
        ...
