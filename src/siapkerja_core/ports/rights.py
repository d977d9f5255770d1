"""The storage port's repository of the holder's rights (``tx.rights``).

It keeps the recorded requests (:class:`~siapkerja_core.rights.RightsRequest`),
the record of processing no other table holds (sign-ins,
:class:`~siapkerja_core.rights.ProcessingEntry`), the account's restriction,
and it carries out an erasure over the other tables in one unit of work: what
the retention table of ``docs/rights.md`` deletes at once (:meth:`erase`), and
later what it kept (:meth:`purge`).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from siapkerja_core.rights import ProcessingEntry, RightsRequest

__all__ = ["CONTACT_CHALLENGE_PREFIXES", "ERASED_AT_ONCE", "PURGED_LATER", "RightsRepository"]

ERASED_AT_ONCE: tuple[str, ...] = (
    "accounts",
    "profiles",
    "sessions",
    "password_resets",
    "registrations",
    "otp_challenges",
    "outbox",
    "consents",
    "consent_requests",
    "sso_tokens",
    "class_enrolments",
    "programme_enrolments",
    "processing_log",
    "restrictions",
    "factors",
    "second_contacts",
)
"""What :meth:`RightsRepository.erase` deletes (the keys of the counts it returns)."""
CONTACT_CHALLENGE_PREFIXES: tuple[str, ...] = (
    "contact-phone:",
    "contact-email:",
    "contact-second:",
    "recover-second:",
)
"""The OTP challenges of a holder's contact changes (and of a recovery through the second
contact) are ``<prefix><account id>``
(:mod:`siapkerja_core.services.contacts`): an erasure deletes them with the account's."""
PURGED_LATER: tuple[str, ...] = (
    "access_log",
    "check_ins",
    "double_entries",
    "aki",
    "cards",
    "disputes",
)
"""What :meth:`RightsRepository.purge` deletes once the hold ends."""


class RightsRepository(Protocol):
    def put(self, request: RightsRequest) -> None:
        """Add the request, or replace the stored one with the same id."""
        ...

    def get(self, request_id: str) -> RightsRequest | None: ...

    def for_account(self, account_id: str) -> builtins.list[RightsRequest]:
        """The holder's requests, oldest first."""
        ...

    def open(self, *, limit: int = 500) -> builtins.list[RightsRequest]:
        """Open requests, the earliest deadline first, at most ``limit``."""
        ...

    def to_purge(self, now: datetime, *, limit: int = 100) -> builtins.list[RightsRequest]:
        """Erasures whose hold ended at ``now`` and not purged yet, oldest first."""
        ...

    def log(self, entry: ProcessingEntry) -> None:
        """Append a line to the record of processing (append-only)."""
        ...

    def processing_for(self, account_id: str) -> builtins.list[ProcessingEntry]:
        """The holder's lines, oldest first."""
        ...

    def restricted_at(self, account_id: str) -> datetime | None:
        """When the account's processing was restricted, or ``None``."""
        ...

    def restrict(self, account_id: str, at: datetime | None) -> None:
        """Record the restriction (``at``) or lift it (``None``)."""
        ...

    def erase(self, account_id: str) -> dict[str, int]:
        """Delete the account and everything :data:`ERASED_AT_ONCE` names; rows per table.

        The account row goes, so its NIK, e-mail and phone are free at once.
        Registrations, their codes and outbox messages go by the account's
        registration ids and ``reset:<account id>``.
        """
        ...

    def purge(self, account_id: str, card_ref: int | None) -> dict[str, int]:
        """Delete what an erasure kept (:data:`PURGED_LATER`); rows per table."""
        ...
