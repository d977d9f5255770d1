"""The storage port's AK/I repository: job-seeker registrations and the officers' offices.

Reached as ``tx.aki`` inside a unit of work. The storage holds the two
uniqueness rules of the AK/I: a number is issued once, and an account holds
at most one *active* registration (applied or legalised) — both atomically,
so of two racing applications exactly one succeeds
(``tests/contract/test_aki_contract.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, Protocol

from siapkerja_core.aki import AkiOfficer, AkiRegistration, AkiStatus

__all__ = ["AkiConflict", "AkiRepository"]


class AkiConflict(Exception):
    """Adding a registration would repeat a ``number`` or give an ``account`` a second
    active registration (``field`` says which)."""

    def __init__(self, field: Literal["number", "account"]) -> None:
        super().__init__(field)
        self.field = field


class AkiRepository(Protocol):
    def get(self, registration_id: str) -> AkiRegistration | None:
        """The registration with this id (read for update on PostgreSQL)."""
        ...

    def by_number(self, number: str) -> AkiRegistration | None:
        """The registration with this canonical number."""
        ...

    def active_for(self, account_id: str) -> AkiRegistration | None:
        """The account's stored-active registration (applied or legalised), if any."""
        ...

    def for_account(self, account_id: str) -> list[AkiRegistration]:
        """Every registration of the account, oldest first."""
        ...

    def for_office(
        self,
        office_code: str,
        *,
        statuses: Collection[AkiStatus] | None = None,
        limit: int | None = None,
    ) -> list[AkiRegistration]:
        """The registrations of one office (kabupaten/kota code), oldest application first.

        :param statuses: only these *stored* statuses (``None``: every one).
        :param limit: at most this many (the oldest), ``None`` for all.
        """
        ...

    def add(self, record: AkiRegistration) -> None:
        """Insert a new registration.

        :raises AkiConflict: ``number`` (taken: draw another) or ``account``
            (it has an active registration) — checked atomically with the insert.
        """
        ...

    def put(self, record: AkiRegistration) -> None:
        """Replace the registration with the same ``id`` (a transition)."""
        ...

    def officer(self, verifier_id: str) -> AkiOfficer | None:
        """The office a verifier is appointed to, if any."""
        ...

    def put_officer(self, officer: AkiOfficer) -> None:
        """Appoint (or move) a verifier to an office."""
        ...
