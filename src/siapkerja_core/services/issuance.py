"""Issuing the SIAPkerja-ID card: one by one or in bulk, re-issue, rotation, revocation.

A card is issued only for a complete profile. Its number is random (never
derived from the NIK) with a check character; its tokens name it by an
opaque random ``card_ref``. Re-issuing or rotating bumps the version, and
every older link QR is refused at once; a revoked card answers nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

import attrs
from attrs import frozen

from siapkerja_core.completeness import ProfileIncomplete, completeness, is_complete
from siapkerja_core.errors import CardError
from siapkerja_core.events import BulkCardsIssued, CardIssued, CardRevoked, TokenRotated
from siapkerja_core.frames import Column, Table
from siapkerja_core.ports import CardConflict, CardHolder, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.records import CardRecord
from siapkerja_core.render.card import Card
from siapkerja_core.services.context import CardState, ServiceContext
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.services.status_list import draw_status_index, reserve_status_indexes
from siapkerja_core.siapkerja_id import siapkerja_id_texts
from siapkerja_core.tokens import Keyring, link_url, mint_link
from siapkerja_core.tokens.status_list import MIN_STATUS_LIST_SIZE

__all__ = ["ISSUE_BATCH_SIZE", "BulkIssueReport", "Issuance", "card_image"]

# Draws of a new card before giving up. A draw collides when its random number or
# card_ref is taken (about 2^-50 each) or its status-list index is (at most one in
# two: the list doubles before it is half full), so 64 draws all collide with a
# probability below 2^-64. Eight were too few: near half full, one retried card in
# 256 failed every draw, and a bulk run of 100,000 cards stopped 15-61 times.
_MAX_DRAWS = 64
# Rounds of redrawn cards written together before the last go one by one. Each round
# leaves at most half (about 0.45 near a doubling): four left some 25 cards a batch at
# 100,000 cards, each then costing a round of reads and a write of its own (a tenth of
# a bulk issuance on PostgreSQL); sixteen leave one in 2**-16 of a batch.
_BULK_REDRAW_ROUNDS = 16
_CARD_ENTROPY: Final = 40  # bytes a new card draws: id 16, card_ref 8, number 8, status index 8
_NUMBER_MASK: Final = 2**50 - 1  # a SIAPkerja-ID body: 10 base-32 symbols
_TWO_64: Final = 2**64


def refuse_unusable(record: CardRecord) -> None:
    """Refuse a card that cannot be used now. :raises CardError: ``card.revoked``,
    ``card.suspended``."""
    if not record.active:
        raise CardError("revoked")
    if record.suspended_at is not None:
        raise CardError("suspended")


def card_image(record: CardRecord, profile: Profile, link: str) -> Card:
    """The card of ``record`` for ``profile``, its QR the link URL ``link``."""
    photo = profile.photo
    return Card(
        siapkerja_id=record.number,
        holder_name=profile.full_name,
        issued_at=record.updated_at.date(),
        qr_text=link,
        qr_version=record.version,
        photo=None if photo is None else photo.content,
        photo_type=None if photo is None else photo.media_type,
    )


@frozen(kw_only=True)
class BulkIssueReport(Table):
    """The outcome of :meth:`Issuance.issue_cards` (one row in a notebook or a frame)."""

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("issued", "int"),
        Column("incomplete", "int"),
        Column("already_issued", "int"),
    )
    TABLE_CAPTION: ClassVar[str | None] = "Penerbitan kartu massal / bulk issuance"

    issued: int
    incomplete: int
    """Accounts skipped because their profile is not complete yet."""
    already_issued: int

    def rows(self) -> list[dict[str, Any]]:
        """The counts, as the one row of the report."""
        return [self.to_dict()]

    def to_dict(self) -> dict[str, Any]:
        """``{"issued": …, "incomplete": …, "already_issued": …}``."""
        return {
            "issued": self.issued,
            "incomplete": self.incomplete,
            "already_issued": self.already_issued,
        }


ISSUE_BATCH_SIZE: Final = 2000
"""Cards written per transaction by :meth:`Issuance.issue_cards` unless told otherwise.

Card numbers and references are random, so each batch inserts into index
pages spread over the whole table: small batches write (and checkpoint) most
of those pages again for every batch, and larger ones issue markedly more
cards a second (figures in ``benchmarks/README.md``, "Figures measured along
the way"). 2,000 keeps the write lock a batch holds — which web requests wait
behind on SQLite — under half a second.
"""


class Issuance:
    """Issue, re-issue, rotate and revoke cards; draw the card image.

    :param ctx: the shared service context.
    :param cards: the card's shared state.
    :param profiles: reads accounts and profiles.
    :param keys: the keyring that signs the card's link QR.
    """

    def __init__(
        self, ctx: ServiceContext, cards: CardState, *, profiles: Profiles, keys: Keys
    ) -> None:
        self.ctx = ctx
        self.cards = cards
        self.profiles = profiles
        self.keys = keys

    def issue_card(self, account_id: str) -> Card:
        """Issue the card, or re-issue it with a new version (every older QR dies)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            ring = self.keys.current.in_transaction(tx)
            account = self.profiles.account(tx, account_id)
            profile = self.profiles.profile_of(tx, account)
            result = completeness(profile)
            if not result.complete:
                raise ProfileIncomplete.from_completeness(result)
            card = tx.cards.get(account.id)
            if card is None:
                card = self.new_card(tx, account.id, now)
            else:
                if card.status_index is None:  # stored outside issuance: give it its entry
                    size = reserve_status_indexes(tx, 1)
                    card = self._with_index(tx, card, size)
                if card.revoked_at is not None:
                    tx.status_list.touch()  # its entry goes back to valid
                card = card.reissued(now)
                tx.cards.put(card)
        self.cards.invalidate(card.card_ref)
        self.ctx.emit(
            CardIssued(
                occurred_at=now,
                account_id=account.id,
                siapkerja_id=card.number,
                version=card.version,
            )
        )
        return self.card_image(card, profile, ring)

    def draw_card(
        self, account_id: str, now: datetime, status_list_size: int = MIN_STATUS_LIST_SIZE
    ) -> CardRecord:
        """A new card record with a random number, ``card_ref`` and status-list index
        (drawn from a list of ``status_list_size`` entries; not stored yet)."""
        return self.draw_cards([account_id], now, status_list_size)[0]

    def draw_cards(
        self,
        account_ids: Sequence[str],
        now: datetime,
        status_list_size: int = MIN_STATUS_LIST_SIZE,
    ) -> list[CardRecord]:
        """A new card record for each of ``account_ids``, as :meth:`draw_card` draws one.

        The random values of all of them come from one ``token_bytes`` call
        (:data:`_CARD_ENTROPY` bytes a card: id, ``card_ref``, number, status
        index), not four calls a card: drawing them one by one was a sixth of a
        bulk issuance. Each value is uniform: the number takes the low 50 bits
        of its 64, and the status index is drawn by rejection (a 64-bit value
        past the last whole multiple of the range, about ``size / 2**64`` of
        the time, draws it with ``randbelow`` instead).
        """
        entropy = self.ctx.entropy
        span = status_list_size - 1  # indexes 1 .. size - 1: 0 is never given
        limit = _TWO_64 - _TWO_64 % span
        pool = entropy.token_bytes(_CARD_ENTROPY * len(account_ids))
        starts = range(0, len(pool), _CARD_ENTROPY)
        # The numbers' text for the lot at once: as new_siapkerja_id writes each, at
        # half its cost (a fifth of a bulk issuance on PostgreSQL, one by one).
        numbers = siapkerja_id_texts(
            int.from_bytes(pool[at + 24 : at + 32], "big") & _NUMBER_MASK for at in starts
        )
        drawn = []
        for at, account_id, number in zip(starts, account_ids, numbers, strict=True):
            index = int.from_bytes(pool[at + 32 : at + 40], "big")
            drawn.append(
                CardRecord(
                    id=pool[at : at + 16].hex(),  # as ServiceContext.new_id makes one
                    account_id=account_id,
                    number=number,
                    card_ref=int.from_bytes(pool[at + 16 : at + 24], "big"),
                    version=1,
                    issued_at=now,
                    updated_at=now,
                    status_index=(
                        1 + index % span
                        if index < limit
                        else draw_status_index(entropy, status_list_size)
                    ),
                )
            )
        return drawn

    def new_card(
        self, tx: Transaction, account_id: str, now: datetime, status_list_size: int | None = None
    ) -> CardRecord:
        """Store a new card, drawing again on a collision; reserves its index unless the
        caller already did (``status_list_size``)."""
        size = status_list_size or reserve_status_indexes(tx, 1)
        for _ in range(_MAX_DRAWS):
            record = self.draw_card(account_id, now, size)
            try:
                tx.cards.add(record)
            except CardConflict:
                continue
            return record
        raise CardError("exhausted")

    def _with_index(self, tx: Transaction, card: CardRecord, size: int) -> CardRecord:
        for _ in range(_MAX_DRAWS):
            record = attrs.evolve(card, status_index=draw_status_index(self.ctx.entropy, size))
            try:
                tx.cards.put(record)
            except CardConflict:
                continue
            return record
        raise CardError("exhausted")

    def card_image(self, record: CardRecord, profile: Profile, ring: Keyring) -> Card:
        link = mint_link(ring, record.card_ref, record.version)
        return card_image(record, profile, link_url(self.cards.base_url, link))

    def issue_cards(
        self,
        account_ids: Iterable[str] | None = None,
        *,
        batch_size: int = ISSUE_BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> BulkIssueReport:
        """Issue a card to every complete profile that has none (all accounts by default).

        Cards are written ``batch_size`` to a transaction: one read of the
        batch's accounts, cards and profiles (``tx.card_holders``) and one
        write of its new cards (``tx.cards.add_many``), not three reads and a
        write per account. A profile is decoded only when the storage kept no
        completeness stamp for it under the current rules. QR images are not
        rendered (they are made lazily, on first ``card_qr``). Accounts that
        already hold a card are left alone, so a re-run issues nothing twice.

        :param progress: called with the number of accounts handled after each batch.
        """
        now = self.ctx.clock()
        self.keys.current.current()  # created once, before the batches
        issued = incomplete = already = 0
        given = iter(account_ids) if account_ids is not None else None
        after: str | None = None  # all accounts: the last id of the page before
        while True:
            batch = list(itertools.islice(given, batch_size)) if given is not None else None
            if batch == []:
                break
            with self.ctx.storage.transaction() as tx:
                if batch is None:
                    # The page of ids is read in the batch's own transaction, not one of
                    # its own before it: a BEGIN, a read and a COMMIT fewer per thousand
                    # accounts (a seventh of a bulk issuance on PostgreSQL). Keyset
                    # pagination: a page is the ids after the last one handled.
                    batch = tx.accounts.ids(after=after, limit=batch_size)
                    if not batch:
                        break
                    after = batch[-1]
                # A holder's profile is decoded only when it has no card yet, and
                # dropped before the next one: a batch never holds them all.
                outcome: dict[str, str] = {}
                issuing: list[str] = []
                for holder in tx.card_holders(batch):
                    account_id = holder.account_id
                    if not holder.active:
                        continue
                    if holder.card is not None:
                        outcome[account_id] = "already"
                    elif not self._complete(holder):
                        outcome[account_id] = "incomplete"
                    else:
                        outcome[account_id] = "issued"
                        issuing.append(account_id)
                size = reserve_status_indexes(tx, len(issuing)) if issuing else 0
                drawn = self.draw_cards(issuing, now, size)
                # One write for the batch; the cards whose status index is taken (at
                # most one in two) draw another and are written together, in rounds
                # (each leaves at most half); the last few, and any whose random number
                # or reference collided (about 2^-50 each), are drawn whole, one by one.
                refused = tx.cards.add_many(drawn)
                for _ in range(_BULK_REDRAW_ROUNDS):
                    if not refused:
                        break
                    entropy = self.ctx.entropy
                    redrawn = [
                        attrs.evolve(card, status_index=draw_status_index(entropy, size))
                        for card in refused
                    ]
                    refused = tx.cards.add_many(redrawn)
                for card in refused:
                    self.new_card(tx, card.account_id, now, size)
            counted: set[str] = set()
            for account_id in batch:  # an id given twice: the second finds the card issued
                kind = outcome.get(account_id)
                if kind == "issued" and account_id in counted:
                    kind = "already"
                counted.add(account_id)
                issued += kind == "issued"
                already += kind == "already"
                incomplete += kind == "incomplete"
            if progress is not None:
                progress(len(batch))
        if issued and self.ctx.listening():
            self.ctx.emit(BulkCardsIssued(occurred_at=now, issued=issued))
        return BulkIssueReport(issued=issued, incomplete=incomplete, already_issued=already)

    def _complete(self, holder: CardHolder) -> bool:
        """Whether the holder's profile is complete: the stored stamp when the storage kept
        one under the current rules, else the profile decoded and checked."""
        if holder.complete is not None:
            return holder.complete
        return is_complete(holder.profile or self.profiles.initial_profile(holder.account))

    def card(self, account_id: str) -> Card:
        """The account's current card (raises ``card.no_card`` before the first issue,
        ``card.revoked`` / ``card.suspended`` while it cannot be used)."""
        # Read-only: no row locks (PostgreSQL: no transaction id, so the storage's change
        # stamp stays put) and, on SQLite, no wait behind the process's writers.
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.profiles.account(tx, account_id)
            record = tx.cards.get(account.id)
            if record is None:
                raise CardError("no_card")
            profile = self.profiles.profile_of(tx, account)
            ring = self.keys.current.seen_in(tx)
        refuse_unusable(record)
        return self.card_image(record, profile, self.keys.current.or_current(ring))

    def rotate_card(self, account_id: str) -> CardRecord:
        """Bump the version: the printed or shared link QR stops working at once."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.cards.get(self.profiles.account(tx, account_id).id)
            if record is None:
                raise CardError("no_card")
            record = record.rotated(now)
            tx.cards.put(record)
        self.cards.invalidate(record.card_ref)
        self.ctx.emit(TokenRotated(occurred_at=now, account_id=account_id, version=record.version))
        return record

    def revoke_card(self, account_id: str) -> CardRecord:
        """Revoke the card: every token of it, link or access, is refused."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.cards.get(self.profiles.account(tx, account_id).id)
            if record is None:
                raise CardError("no_card")
            if record.revoked_at is None:
                tx.status_list.touch()  # the published list must say so at once
            record = record.revoked(now)
            tx.cards.put(record)
        self.cards.invalidate(record.card_ref)
        self.ctx.emit(CardRevoked(occurred_at=now, account_id=account_id))
        return record
