"""Notices of sensitive changes: which event tells the holder what, on which channel.

Issue 16: the holder is told, by SMS or e-mail through the durable outbox, of
every sensitive change to the account — a new phone (told to the old and the
new number), a new e-mail (the old and the new address), a password reset, a
new SSO client, a new factor, a restriction, an erasure request … This module
is the table (:data:`NOTICES`: event name → :class:`Notice`) and the texts;
:mod:`siapkerja_core.services.notices` writes them into the outbox.

Each notice names

* its text, ``notice.<key>`` in the catalogues (an SMS is Indonesian, as the
  codes are; an e-mail carries the Indonesian text then the English one);
* its **recipients**: the account's phone (``sms``) and/or e-mail (``email``);
  the contact-change flows add the old contact beside the new one themselves;
* **when** it is written: ``in_transaction`` notices are written by the flow
  that makes the change, in its own transaction (the outbox pattern: the
  change and its notice commit together); the others are written after the
  commit by the subscriber that hears the event (``ctx.emit``), once per event
  (idempotent: the message ids derive from the event).

A text never carries a code, a token or a full contact: contacts are masked
(:func:`~siapkerja_core.second_contact.mask_contact`). The events of other
use cases are matched **by name** and read only ``account_id`` and ``kind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from attrs import frozen

from siapkerja_core import translations

__all__ = [
    "NOTICES",
    "NOTICE_LANGUAGE",
    "Notice",
    "notice_email",
    "notice_sms",
]

NOTICE_LANGUAGE: Final = "id"
"""The language of a notice SMS (``notice.*``); an e-mail carries ``id`` then ``en``."""

PHONE: Final = "phone"
EMAIL: Final = "email"


@frozen
class Notice:
    """One kind of notice: the event it answers, its text and where it goes.

    :param event: the event name (``account.phone_changed``).
    :param key: the text is ``notice.<key>`` in the catalogues.
    :param to: the account's contacts it goes to: ``phone`` (SMS), ``email``.
    :param in_transaction: written by the flow's own transaction, not by the subscriber.
    :param kinds: for an event carrying a ``kind`` (``rights.requested``): the
        kinds that get a notice (empty: every kind).
    """

    event: str
    key: str
    to: tuple[str, ...] = (PHONE, EMAIL)
    in_transaction: bool = False
    kinds: tuple[str, ...] = ()

    def wants(self, kind: object) -> bool:
        """Whether an event of this name with ``kind`` gets the notice."""
        return not self.kinds or kind in self.kinds


def _table(*notices: Notice) -> Mapping[str, Notice]:
    return MappingProxyType({n.event: n for n in notices})


NOTICES: Final[Mapping[str, Notice]] = _table(
    # This module's own flows (siapkerja_core.services.contacts): in their transaction.
    Notice("account.phone_changed", "phone_changed", in_transaction=True),
    Notice("account.email_changed", "email_changed", in_transaction=True),
    Notice("contact.second_added", "second_added", in_transaction=True),
    # The journey's and single sign-on's events: after the commit.
    # By e-mail only: the reset was proved with the phone's code, so whoever holds the
    # phone knows; a stolen SIM is exactly the case the e-mail must tell.
    Notice("password_reset.completed", "password_reset", to=(EMAIL,)),
    Notice("sso.client_granted", "sso_client_granted"),
    # Other use cases' events (issue 16), matched by name.
    Notice("factor.enrolled", "factor_enrolled"),
    Notice("factor.removed", "factor_removed"),
    Notice("recovery_codes.generated", "recovery_codes_generated"),
    Notice("recovery_code.used", "recovery_code_used"),
    Notice("rights.requested", "rights_requested", to=(EMAIL, PHONE)),
    Notice("account.restricted", "restricted"),
    Notice("account.restriction_lifted", "restriction_lifted"),
    Notice("consent.withdrawn_all", "consent_withdrawn_all"),
    Notice("account.erased", "erased"),
    Notice("dispute.answered", "dispute_answered"),
    Notice("dispute.decided", "dispute_decided"),
    Notice("account.frozen", "frozen"),
)
"""Every notice, by the event name that triggers it (``docs/notices.md`` lists them)."""


def _kind_text(kind: object, lang: str) -> str:
    """The words for an event's ``kind`` (``notice.kind.<kind>``), or the kind itself."""
    if not isinstance(kind, str) or not kind:
        return ""
    found = translations.catalogues().find(f"notice.kind.{kind}", lang)
    return found if found is not None else kind.replace("_", " ")


def _render(notice: Notice, lang: str, service: str, detail: str, kind: object) -> str:
    return translations.text(
        f"notice.{notice.key}",
        lang,
        service=service,
        detail=detail,
        kind=_kind_text(kind, lang),
    )


def notice_sms(notice: Notice, *, service: str, detail: str = "", kind: object = None) -> str:
    """The SMS text of ``notice`` (Indonesian). ``detail`` is a masked contact or a name."""
    return _render(notice, NOTICE_LANGUAGE, service, detail, kind)


def notice_email(notice: Notice, *, service: str, detail: str = "", kind: object = None) -> str:
    """The e-mail of ``notice`` as the outbox keeps it: the subject line, a blank line,
    the Indonesian text, then the English one."""
    subject = translations.text("notice.subject", NOTICE_LANGUAGE, service=service)
    indonesian = _render(notice, "id", service, detail, kind)
    english = _render(notice, "en", service, detail, kind)
    footer = translations.text("notice.email_footer", "id", service=service)
    footer_en = translations.text("notice.email_footer", "en", service=service)
    return f"{subject}\n\n{indonesian}\n\n{english}\n\n-- \n{footer}\n{footer_en}"
