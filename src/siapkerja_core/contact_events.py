"""The events of the holder's contact changes (``docs/notices.md``).

Each carries the ``account_id`` and no contact in full: the masked new
contact at most. The notices of these changes are written by the flows
themselves, in their transactions (:mod:`siapkerja_core.notices`).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import frozen

from siapkerja_core.events import DomainEvent

__all__ = ["EmailChanged", "PhoneChanged", "SecondContactAdded", "SecondContactRemoved"]


@frozen(kw_only=True)
class PhoneChanged(DomainEvent):
    """The account's phone was replaced by one confirmed with a code sent to it."""

    name: ClassVar[str] = "account.phone_changed"
    account_id: str
    phone_masked: str
    sessions_ended: int


@frozen(kw_only=True)
class EmailChanged(DomainEvent):
    """The account's e-mail was replaced by one confirmed with a code sent to it."""

    name: ClassVar[str] = "account.email_changed"
    account_id: str
    email_masked: str
    sessions_ended: int


@frozen(kw_only=True)
class SecondContactAdded(DomainEvent):
    """A second contact (``kind``: phone or email) was confirmed for recovery."""

    name: ClassVar[str] = "contact.second_added"
    account_id: str
    kind: str
    contact_masked: str


@frozen(kw_only=True)
class SecondContactRemoved(DomainEvent):
    """The holder removed the second contact."""

    name: ClassVar[str] = "contact.second_removed"
    account_id: str
