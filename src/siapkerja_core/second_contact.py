"""The holder's contacts: the verified second contact and the errors of contact changes.

A holder may keep one **second contact** — a second mobile number or e-mail
address, confirmed by a code sent to it — that recovery uses when the primary
phone is lost ("lupa kata sandi / nomor hilang"). It is never a knowledge
secret: the mother's maiden name is a Dukcapil match input that many people
can guess, and never becomes a recovery answer (issue 16,
``docs/notices.md``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from attrs import frozen

from siapkerja_core.contact import mask_email, mask_phone
from siapkerja_core.errors import SiapkerjaError

__all__ = ["ContactError", "ContactKind", "SecondContact", "mask_contact"]


class ContactKind(StrEnum):
    """What a contact is; also the outbox channel a message to it travels on."""

    PHONE = "phone"
    EMAIL = "email"

    @property
    def channel(self) -> str:
        """The outbox channel of a message to a contact of this kind (``sms`` or ``email``)."""
        return "sms" if self is ContactKind.PHONE else "email"


def mask_contact(kind: ContactKind | str, value: str) -> str:
    """``value`` masked for display (``+6281******890``, ``ga****@gmail.com``)."""
    return mask_phone(value) if ContactKind(kind) is ContactKind.PHONE else mask_email(value)


@frozen(kw_only=True)
class SecondContact:
    """A holder's verified second contact (one per account).

    ``value`` is normalised (E.164 for a phone, :func:`normalize_email` for an
    e-mail); storage encrypts it.
    """

    account_id: str
    kind: ContactKind
    value: str
    verified_at: datetime

    @property
    def masked(self) -> str:
        return mask_contact(self.kind, self.value)


class ContactError(SiapkerjaError):
    """A change of the account's contacts, or a recovery by the second contact, refused.

    A taken phone or e-mail is refused with the registration's existing
    ``registration.phone_taken`` / ``email_taken``; a wrong code with ``otp.*``.
    """

    domain = "contact"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "no_change",
            "same_as_primary",
            "nothing_pending",
            "no_email_channel",
        }
    )
