"""Profiles: the holder's labour profile, its completeness and its warnings.

A profile starts from the account (name, verified contacts, the sex the NIK
encodes) and is changed section by section; a birth date that differs from
the NIK's is a warning, never an error. The other card services read
accounts and profiles through :class:`Profiles`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

from siapkerja_core.completeness import Completeness, completeness
from siapkerja_core.converter import merge_profile, structure_stored_profile
from siapkerja_core.errors import CardError
from siapkerja_core.events import ProfileUpdated
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import Transaction
from siapkerja_core.profile import (
    Profile,
    ProfileWarning,
    check_against_nik,
    refuse_future_birth_date,
)
from siapkerja_core.records import AccountRecord
from siapkerja_core.services.context import CardState, ServiceContext

__all__ = ["ProfileOverview", "Profiles"]


@frozen(kw_only=True)
class ProfileOverview:
    """What the holder's profile page shows, read at once (:meth:`Profiles.overview`)."""

    profile: Profile
    completeness: Completeness
    warnings: tuple[ProfileWarning, ...]
    has_card: bool
    """A card that can be shown: issued, neither revoked nor suspended."""


class Profiles:
    """Read and change profiles; find the active account a card operation is for.

    :param ctx: the shared service context.
    :param cards: the card's shared state (a changed profile drops its cached view).
    """

    def __init__(self, ctx: ServiceContext, cards: CardState) -> None:
        self.ctx = ctx
        self.cards = cards

    def account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(account_id)
        if account is None or not account.active:
            raise CardError("no_account")
        return account

    def initial_profile(self, account: AccountRecord) -> Profile:
        """The profile an account has before its holder saves one: name, contact, sex.

        Built through :func:`structure_stored_profile`: the account's e-mail and
        phone were checked and normalised when the account was written, and
        parsing them again was most of a bulk issuance over accounts that never
        saved a profile (``benchmarks/README.md``). A value that is not
        in the stored shape still goes through the validating path.
        """
        return structure_stored_profile(
            {
                "full_name": account.full_name,
                "contact": {"email": account.email, "phone": account.phone},
                "biodata": {"sex": parse_nik(account.nik, strict=False).sex},
            }
        )

    def profile_of(self, tx: Transaction, account: AccountRecord) -> Profile:
        return tx.profiles.get(account.id) or self.initial_profile(account)

    def update_profile(self, account_id: str, changes: Mapping[str, Any]) -> Profile:
        return self.edit_profile(account_id, lambda _current: changes)

    def edit_profile(
        self, account_id: str, edit: Callable[[Profile], Mapping[str, Any]]
    ) -> Profile:
        """Change the profile by what ``edit`` asks of the profile as it is now.

        ``edit`` runs inside the write, on the profile read there: the account's row
        is read for update (PostgreSQL) in a transaction that holds the write lock
        from its start (SQLite's ``BEGIN IMMEDIATE``; the memory storage's lock), so
        two edits of one holder's profile never both start from the same version —
        a list section edited from two tabs at once keeps both entries. Whatever
        ``edit`` raises ends the transaction with nothing written.
        """
        with self.ctx.storage.transaction() as tx:
            account = self.account(tx, account_id)
            current = self.profile_of(tx, account)
            changes = edit(current)
            profile = merge_profile(current, changes)
            born = profile.biodata.birth_date
            if born != current.biodata.birth_date:  # a date kept from before is not refused
                refuse_future_birth_date(born, self.ctx.clock())
            tx.profiles.put(account.id, profile)
            card = tx.cards.get(account.id)
        if card is not None:
            self.cards.views.invalidate(card.card_ref)
        self.ctx.emit(
            ProfileUpdated(
                occurred_at=self.ctx.clock(),
                account_id=account_id,
                sections=tuple(sorted(changes)),
                complete=completeness(profile).complete,
            )
        )
        return profile

    # The reads below are read-only units of work: on SQLite they neither take the
    # write lock nor wait for it, so rendering a profile never queues behind a write.

    def profile(self, account_id: str) -> Profile:
        with self.ctx.storage.transaction(read_only=True) as tx:
            return self.profile_of(tx, self.account(tx, account_id))

    def profile_warnings(self, account_id: str) -> tuple[ProfileWarning, ...]:
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.account(tx, account_id)
            return check_against_nik(self.profile_of(tx, account), account.nik)

    def overview(self, account_id: str) -> ProfileOverview:
        """The profile, its completeness and warnings, and whether a card can be shown.

        One read-only unit of work and one decryption of the profile, where the
        separate calls took four units and three decryptions (and a card image).
        """
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.account(tx, account_id)
            profile = self.profile_of(tx, account)
            card = tx.cards.get(account.id)
        return ProfileOverview(
            profile=profile,
            completeness=completeness(profile),
            warnings=check_against_nik(profile, account.nik),
            has_card=card is not None and card.active and card.suspended_at is None,
        )

    def completeness(self, account_id: str) -> Completeness:
        return completeness(self.profile(account_id))
