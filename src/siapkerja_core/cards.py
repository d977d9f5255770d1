"""Profiles, the SIAPkerja-ID card, its QR codes, scanning and check-in: the use cases.

This module owns :class:`Cards`, the use cases behind the facade's profile
and card methods, and their events. It works through the storage port (one
unit of work per call) with the clock and randomness injected, like
:mod:`siapkerja_core.journey`.

* A profile starts from the account (name, verified contacts, the sex the
  NIK encodes) and is changed section by section; a birth date that differs
  from the NIK's is a warning, never an error.
* A card is issued only for a complete profile. Its number is random (never
  derived from the NIK) with a check character; its tokens name it by an
  opaque random ``card_ref``. Re-issuing or rotating bumps the version, and
  every older link QR is refused at once; a revoked card answers nothing.
* A link scan (:meth:`Cards.resolve`) shows each audience what the
  disclosure policy allows and writes one entry in the holder's access
  ledger. An access code is checked against its event; the first check-in
  per (card, event) is recorded and a replay is refused with its time.
* Offline stations verify access codes with the public half of the keyring
  and sync their check-ins later: merging keeps the earliest per (card,
  event), so nothing is lost and nothing doubled.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import attrs
import segno
from attrs import frozen

from siapkerja_core.card import Card
from siapkerja_core.completeness import Completeness, ProfileIncomplete, completeness, is_complete
from siapkerja_core.converter import converter, merge_profile, structure_stored_profile
from siapkerja_core.disclosure import (
    Audience,
    DisclosureError,
    ProfileView,
    Verifier,
    build_view,
    scope_fields,
)
from siapkerja_core.errors import CardError
from siapkerja_core.events import (
    AccessGranted,
    BulkCardsIssued,
    CardIssued,
    CardRevoked,
    CardScanned,
    CheckInRecorded,
    ConsentChanged,
    DomainEvent,
    ProfileUpdated,
    TokenRotated,
)
from siapkerja_core.model import (
    AccessRecord,
    Account,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    new_access_record,
)
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import CardConflict, Storage, Transaction
from siapkerja_core.profile import Profile, ProfileWarning, check_against_nik
from siapkerja_core.qr import QrCache, make_qr, qr_png, qr_svg, qr_terminal
from siapkerja_core.siapkerja_id import new_siapkerja_id
from siapkerja_core.station import CheckIn, merge_check_ins
from siapkerja_core.tokens import (
    DEFAULT_PERIOD,
    Keyring,
    TokenError,
    check_link_version,
    link_token_from_url,
    link_url,
    mint_access,
    mint_link,
    verify_access,
    verify_link,
)

__all__ = [
    "ISSUE_BATCH_SIZE",
    "AccessGranted",
    "BulkCardsIssued",
    "BulkIssueReport",
    "CardError",
    "CardIssued",
    "CardQr",
    "CardRevoked",
    "CardScanned",
    "Cards",
    "CheckInReceipt",
    "CheckInRecorded",
    "ConsentChanged",
    "ProfileUpdated",
    "SyncReport",
    "TokenRotated",
]

_MAX_DRAWS = 8  # random number or card_ref collisions before giving up (2^-50 each)


# --- results ----------------------------------------------------------------------------


@frozen(kw_only=True)
class CardQr:
    """A QR code of the card: ``token``, ``url`` (link mode) and the segno code in ``qr``.

    ``expires_at`` is set for access codes (the end of their time step plus
    the verifier's leeway is when they stop scanning).
    """

    mode: Literal["link", "access"]
    token: str
    qr: segno.QRCode = attrs.field(repr=False, eq=False)
    url: str | None = None
    purpose: str | None = None
    version: int | None = None
    expires_at: datetime | None = None
    _svg: str | None = attrs.field(default=None, repr=False, eq=False, alias="svg_text")

    def svg(self, *, scale: int = 4) -> str:
        """The QR as SVG (the link QR comes from the per-version cache)."""
        if self._svg is not None and scale == 4:
            return self._svg
        return qr_svg(self.qr, scale=scale)

    def png(self, *, scale: int = 8) -> bytes:
        return qr_png(self.qr, scale=scale)

    def terminal(self) -> str:
        return qr_terminal(self.qr)

    def _repr_svg_(self) -> str:
        return self.svg()


@frozen(kw_only=True)
class CheckInReceipt:
    """What a check-in returns: the record and whom it was for (name and number, which the
    station operator can compare with the KTP shown at the door)."""

    check_in: CheckIn
    full_name: str
    siapkerja_id: str


@frozen(kw_only=True)
class BulkIssueReport:
    """The outcome of :meth:`Cards.issue_cards`."""

    issued: int
    incomplete: int
    """Accounts skipped because their profile is not complete yet."""
    already_issued: int


@frozen(kw_only=True)
class SyncReport:
    """The outcome of merging a station's check-ins: counts, and nothing doubled."""

    received: int
    added: int
    duplicates: int
    unknown_cards: int


# --- the use cases ------------------------------------------------------------------------


ISSUE_BATCH_SIZE: Final = 2000
"""Cards written per transaction by :meth:`Cards.issue_cards` unless told otherwise.

Card numbers and references are random, so each batch inserts into index
pages spread over the whole table: on SQLite with 100,000 cards, batches of
500 wrote (and checkpointed) most of those pages again for every 500 cards
and issued about 3,800 cards/s; 2,000 gives about 4,900, 5,000 about 5,300
(``benchmarks/bench_storage.py``). 2,000 keeps the write lock a batch holds
— which web requests wait behind on SQLite — under half a second.
"""


class _ViewCache:
    """Public views per (card_ref, version), reused while the stored profile is unchanged.

    The anonymous view does not depend on who scans, so rebuilding it on every
    scan of a popular card would be waste. A hit needs the same profile object
    or an equal one; a rotation changes the version, so old entries never hit.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int], tuple[Profile, bool, ProfileView]] = {}

    def get(self, card: CardRecord, profile: Profile) -> ProfileView | None:
        entry = self._entries.get((card.card_ref, card.version))
        if entry is None:
            return None
        cached_profile, active, view = entry
        if active is not card.active or not (
            cached_profile is profile or cached_profile == profile
        ):
            return None
        return view

    def put(self, card: CardRecord, profile: Profile, view: ProfileView) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[(card.card_ref, card.version)] = (profile, card.active, view)

    def invalidate(self, card_ref: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == card_ref]:
                del self._entries[key]


class Cards:
    """Profile, card, QR, scan, consent and check-in use cases over the storage port.

    :param storage: the unit of work.
    :param clock: the current aware time.
    :param token_bytes: randomness for ids, card numbers and keys.
    :param randbelow: randomness for card numbers.
    :param emit: broadcasts a domain event.
    :param pepper: keys the HMAC of verifier API keys.
    :param base_url: link QR codes are ``base_url + token``.
    :param access_period: seconds each access code lives before the next.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        clock: Callable[[], datetime],
        token_bytes: Callable[[int], bytes],
        randbelow: Callable[[int], int],
        emit: Callable[[DomainEvent], None],
        listening: Callable[[], bool] = lambda: True,
        pepper: bytes,
        base_url: str,
        access_period: int = DEFAULT_PERIOD,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self._token_bytes = token_bytes
        self._randbelow = randbelow
        self.emit = emit
        self._listening = listening
        self._pepper = pepper
        self.base_url = base_url
        self.access_period = access_period
        self.qr_cache = QrCache()
        self._views = _ViewCache()
        self._keyring_lock = threading.Lock()
        self._keyring_cache: Keyring | None = None
        # Ledger entries need unique, not secret, ids: a random per-process prefix
        # and a counter spare a system call per scan.
        self._ledger_prefix = token_bytes(6).hex() + "-"
        self._ledger_serial = itertools.count(1)

    # --- helpers ------------------------------------------------------------------------

    def _new_id(self) -> str:
        return self._token_bytes(16).hex()

    def _ledger_id(self) -> str:
        # Zero-padded so that ids sort in the order entries were written.
        return f"{self._ledger_prefix}{next(self._ledger_serial):012d}"

    def _account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(account_id)
        if account is None or not account.active:
            raise CardError("no_account")
        return account

    def _initial_profile(self, account: AccountRecord) -> Profile:
        """The profile an account has before its holder saves one: name, contact, sex.

        Built through :func:`structure_stored_profile`: the account's e-mail and
        phone were checked and normalised when the account was written, and
        parsing them again cost about 250 µs an account — most of a bulk
        issuance over accounts that never saved a profile. A value that is not
        in the stored shape still goes through the validating path.
        """
        return structure_stored_profile(
            {
                "full_name": account.full_name,
                "contact": {"email": account.email, "phone": account.phone},
                "biodata": {"sex": parse_nik(account.nik, strict=False).sex},
            }
        )

    def _profile(self, tx: Transaction, account: AccountRecord) -> Profile:
        return tx.profiles.get(account.id) or self._initial_profile(account)

    def keyring(self) -> Keyring:
        """The signing keyring, created (and stored) on first use."""
        if self._keyring_cache is not None:
            return self._keyring_cache
        with self._keyring_lock, self.storage.transaction() as tx:
            ring = tx.keyring.get()
            if ring is None:
                ring = Keyring.generate(self._token_bytes, self.clock())
                tx.keyring.put(ring)
        self._keyring_cache = ring
        return ring

    def rotate_keys(self) -> Keyring:
        """Add a new newest key of each kind; older keys keep verifying until retired."""
        with self._keyring_lock, self.storage.transaction() as tx:
            current = tx.keyring.get() or Keyring.generate(self._token_bytes, self.clock())
            ring = current.rotate(self._token_bytes, self.clock())
            tx.keyring.put(ring)
        self._keyring_cache = ring
        return ring

    def retire_key(self, kid: str) -> Keyring:
        """Stop a key verifying (a leaked key: every token it signed dies at once).

        Retiring a key that currently signs first adds a fresh one, so the
        service can go on issuing codes; holders get new link QRs on request.
        """
        with self._keyring_lock, self.storage.transaction() as tx:
            ring = tx.keyring.get() or Keyring.generate(self._token_bytes, self.clock())
            signing = {k.kid for k in (ring.signing_link_key, ring.signing_access_key) if k}
            if kid in signing:
                ring = ring.rotate(self._token_bytes, self.clock())
            ring = ring.retire(kid, self.clock())
            tx.keyring.put(ring)
        self._keyring_cache = ring
        self.qr_cache.clear()
        return ring

    # --- profile ------------------------------------------------------------------------

    def update_profile(self, account_id: str, changes: Mapping[str, Any]) -> Profile:
        with self.storage.transaction() as tx:
            account = self._account(tx, account_id)
            profile = merge_profile(self._profile(tx, account), changes)
            tx.profiles.put(account.id, profile)
            card = tx.cards.get(account.id)
        if card is not None:
            self._views.invalidate(card.card_ref)
        self.emit(
            ProfileUpdated(
                occurred_at=self.clock(),
                account_id=account_id,
                sections=tuple(sorted(changes)),
                complete=completeness(profile).complete,
            )
        )
        return profile

    def profile(self, account_id: str) -> Profile:
        with self.storage.transaction() as tx:
            return self._profile(tx, self._account(tx, account_id))

    def profile_warnings(self, account_id: str) -> tuple[ProfileWarning, ...]:
        with self.storage.transaction() as tx:
            account = self._account(tx, account_id)
            return check_against_nik(self._profile(tx, account), account.nik)

    def completeness(self, account_id: str) -> Completeness:
        return completeness(self.profile(account_id))

    # --- the card -----------------------------------------------------------------------

    def issue_card(self, account_id: str) -> Card:
        """Issue the card, or re-issue it with a new version (every older QR dies)."""
        now = self.clock()
        ring = self.keyring()
        with self.storage.transaction() as tx:
            account = self._account(tx, account_id)
            profile = self._profile(tx, account)
            result = completeness(profile)
            if not result.complete:
                raise ProfileIncomplete.from_completeness(result)
            card = tx.cards.get(account.id)
            if card is None:
                card = self._new_card(tx, account.id, now)
            else:
                card = attrs.evolve(card, version=card.version + 1, updated_at=now, revoked_at=None)
                tx.cards.put(card)
        self._views.invalidate(card.card_ref)
        self.qr_cache.invalidate(card.card_ref)
        self.emit(
            CardIssued(
                occurred_at=now,
                account_id=account.id,
                siapkerja_id=card.number,
                version=card.version,
            )
        )
        return self._card(card, profile, ring)

    def _draw_card(self, account_id: str, now: datetime) -> CardRecord:
        """A new card record with a random number and ``card_ref`` (not stored yet)."""
        return CardRecord(
            id=self._new_id(),
            account_id=account_id,
            number=str(new_siapkerja_id(self._randbelow)),
            card_ref=int.from_bytes(self._token_bytes(8), "big"),
            version=1,
            issued_at=now,
            updated_at=now,
        )

    def _new_card(self, tx: Transaction, account_id: str, now: datetime) -> CardRecord:
        for _ in range(_MAX_DRAWS):
            record = self._draw_card(account_id, now)
            try:
                tx.cards.add(record)
            except CardConflict:
                continue
            return record
        raise CardError("exhausted")

    def _card(self, record: CardRecord, profile: Profile, ring: Keyring) -> Card:
        photo = profile.photo
        return Card(
            siapkerja_id=record.number,
            holder_name=profile.full_name,
            issued_at=record.updated_at.date(),
            qr_text=link_url(self.base_url, mint_link(ring, record.card_ref, record.version)),
            qr_version=record.version,
            photo=None if photo is None else photo.content,
            photo_type=None if photo is None else photo.media_type,
        )

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
        write per account. QR images are not rendered (they are made lazily,
        on first ``card_qr``). Accounts that already hold a card are left
        alone, so a re-run issues nothing twice.

        :param progress: called with the number of accounts handled after each batch.
        """
        now = self.clock()
        self.keyring()  # created once, before the batches
        issued = incomplete = already = 0
        pending = iter(account_ids) if account_ids is not None else self._all_account_ids()
        while True:
            batch = list(itertools.islice(pending, batch_size))
            if not batch:
                break
            with self.storage.transaction() as tx:
                # A holder's profile is decoded only when it has no card yet, and
                # dropped before the next one: a batch never holds them all.
                outcome: dict[str, str] = {}
                drawn: list[CardRecord] = []
                for holder in tx.card_holders(batch):
                    account = holder.account
                    if not account.active:
                        continue
                    if holder.card is not None:
                        outcome[account.id] = "already"
                    elif not is_complete(holder.profile or self._initial_profile(account)):
                        outcome[account.id] = "incomplete"
                    else:
                        outcome[account.id] = "issued"
                        drawn.append(self._draw_card(account.id, now))
                # One write for the batch; a card whose random number or reference
                # collided (about 2^-50 each) is drawn again, one by one.
                for refused in tx.cards.add_many(drawn):
                    self._new_card(tx, refused.account_id, now)
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
        if issued and self._listening():
            self.emit(BulkCardsIssued(occurred_at=now, issued=issued))
        return BulkIssueReport(issued=issued, incomplete=incomplete, already_issued=already)

    def _all_account_ids(self) -> Iterator[str]:
        after: str | None = None
        while True:
            with self.storage.transaction() as tx:
                page = tx.accounts.ids(after=after, limit=1000)
            if not page:
                return
            yield from page
            after = page[-1]

    def card(self, account_id: str) -> Card:
        """The account's current card (raises ``card.no_card`` before the first issue)."""
        with self.storage.transaction() as tx:
            account = self._account(tx, account_id)
            record = tx.cards.get(account.id)
            if record is None:
                raise CardError("no_card")
            profile = self._profile(tx, account)
        if not record.active:
            raise CardError("revoked")
        return self._card(record, profile, self.keyring())

    def rotate_card(self, account_id: str) -> CardRecord:
        """Bump the version: the printed or shared link QR stops working at once."""
        now = self.clock()
        with self.storage.transaction() as tx:
            record = tx.cards.get(self._account(tx, account_id).id)
            if record is None:
                raise CardError("no_card")
            record = attrs.evolve(record, version=record.version + 1, updated_at=now)
            tx.cards.put(record)
        self._views.invalidate(record.card_ref)
        self.qr_cache.invalidate(record.card_ref)
        self.emit(TokenRotated(occurred_at=now, account_id=account_id, version=record.version))
        return record

    def revoke_card(self, account_id: str) -> CardRecord:
        """Revoke the card: every token of it, link or access, is refused."""
        now = self.clock()
        with self.storage.transaction() as tx:
            record = tx.cards.get(self._account(tx, account_id).id)
            if record is None:
                raise CardError("no_card")
            record = attrs.evolve(record, revoked_at=now, updated_at=now)
            tx.cards.put(record)
        self._views.invalidate(record.card_ref)
        self.qr_cache.invalidate(record.card_ref)
        self.emit(CardRevoked(occurred_at=now, account_id=account_id))
        return record

    def card_qr(self, account_id: str, mode: str = "link", purpose: str | None = None) -> CardQr:
        with self.storage.transaction() as tx:
            record = tx.cards.get(self._account(tx, account_id).id)
        if record is None:
            raise CardError("no_card")
        if not record.active:
            raise CardError("revoked")
        ring = self.keyring()
        if mode == "link":
            token = mint_link(ring, record.card_ref, record.version)
            url = link_url(self.base_url, token)
            key = (record.card_ref, record.version, "link")
            # The URL is part of the entry: after a key rotation the same version
            # is signed by a new key, and the cached image must not be reused.
            cached = self.qr_cache.get(key, url)
            if cached is None:
                code = make_qr(url, max_version=None)
                cached = (code, qr_svg(code, scale=4))
                self.qr_cache.put(key, cached, url)
            code, svg = cached
            return CardQr(
                mode="link", token=token, url=url, qr=code, version=record.version, svg_text=svg
            )
        if mode == "access":
            if not purpose:
                raise CardError("purpose_required")
            now = self.clock()
            token = mint_access(ring, record.card_ref, purpose, now, period=self.access_period)
            step_end = (int(now.timestamp()) // self.access_period + 1) * self.access_period
            return CardQr(
                mode="access",
                token=token,
                qr=make_qr(token),
                purpose=purpose,
                expires_at=datetime.fromtimestamp(step_end, tz=now.tzinfo),
            )
        raise CardError("mode", mode=mode)

    # --- scanning -------------------------------------------------------------------------

    def _token_of(self, token_or_url: str) -> str:
        text = str(token_or_url).strip()
        if "/" in text:
            return link_token_from_url(self.base_url, text)
        return text

    def resolve(
        self,
        token: str,
        viewer: Account | Verifier | None = None,
        purpose: str | None = None,
    ) -> ProfileView:
        """Open a scanned link QR for ``viewer`` under the disclosure policy; log the access."""
        claims = verify_link(self.keyring(), self._token_of(token))
        purpose = purpose.strip() if purpose else None  # as grant_consent stores it
        now = self.clock()
        subject = self.storage.scan_subject(claims.card_ref)
        if subject is None or not subject.card.active or not subject.account.active:
            raise TokenError("revoked")
        card, account = subject.card, subject.account
        check_link_version(claims, card.version)
        profile = subject.profile or self._initial_profile(account)
        if viewer is None:  # the common scan: the public view, usually from the cache
            view = self._views.get(card, profile) or self._view_for(
                None, None, None, card, account, profile
            )
        elif isinstance(viewer, Verifier):
            with self.storage.transaction() as tx:  # consent and registration: read together
                view = self._view_for(tx, viewer, purpose, card, account, profile)
        else:
            view = self._view_for(None, viewer, purpose, card, account, profile)
        verifier = viewer if isinstance(viewer, Verifier) else None
        self.storage.log_access(
            new_access_record(
                id=self._ledger_id(),
                account_id=account.id,
                at=now,
                audience=view.audience,  # a StrEnum member is its own str value
                fields=view.disclosed,
                channel="link",
                purpose=view.purpose,
                verifier_id=None if verifier is None else verifier.id,
                verifier_name=None if verifier is None else verifier.name,
                viewer_account_id=viewer.id if isinstance(viewer, Account) else None,
            )
        )
        if self._listening():  # a scan is the hot path: build the event only if heard
            self.emit(
                CardScanned(
                    occurred_at=now,
                    account_id=account.id,
                    audience=view.audience,
                    fields=view.disclosed,
                    verifier_id=None if verifier is None else verifier.id,
                )
            )
        return view

    def _view_for(
        self,
        tx: Transaction | None,
        viewer: Account | Verifier | None,
        purpose: str | None,
        card: CardRecord,
        account: AccountRecord,
        profile: Profile,
    ) -> ProfileView:
        common = {
            "profile": profile,
            "nik": account.nik,
            "siapkerja_id": card.number,
            "card_active": card.active,
        }
        if isinstance(viewer, Account) and viewer.id == account.id:
            return build_view(audience=Audience.HOLDER, **common)  # type: ignore[arg-type]
        if isinstance(viewer, Verifier):
            assert tx is not None  # resolve() opens one for verifiers
            registered = tx.verifiers.get(viewer.id)
            if registered is None or not registered.active:
                raise DisclosureError("unknown_verifier")
            if not purpose:
                raise DisclosureError("purpose_required")
            consent = self._consent(tx, account.id, registered.id, purpose)
            if consent is not None:
                allowed = scope_fields(registered.scopes)
                if consent.fields is not None:
                    allowed &= consent.fields
                return build_view(
                    audience=Audience.VERIFIER,
                    allowed=allowed,
                    purpose=purpose,
                    verifier=registered.name,
                    **common,  # type: ignore[arg-type]
                )
            public = self._public_view(card, profile, common)
            return attrs.evolve(
                public,
                audience=Audience.VERIFIER,
                purpose=purpose,
                verifier=registered.name,
                consent_required=True,
            )
        view = self._public_view(card, profile, common)
        if isinstance(viewer, Account):
            return attrs.evolve(view, audience=Audience.ACCOUNT)
        return view

    def _public_view(
        self, card: CardRecord, profile: Profile, common: Mapping[str, Any]
    ) -> ProfileView:
        cached = self._views.get(card, profile)
        if cached is None:
            cached = build_view(audience=Audience.ANONYMOUS, **common)
            self._views.put(card, profile, cached)
        return cached

    @staticmethod
    def _consent(
        tx: Transaction, account_id: str, verifier_id: str, purpose: str
    ) -> ConsentRecord | None:
        for consent in tx.consents.for_account(account_id):
            if consent.active and consent.verifier_id == verifier_id and consent.purpose == purpose:
                return consent
        return None

    # --- check-in ---------------------------------------------------------------------------

    def check_in(self, token: str, event_id: str, station_id: str = "server") -> CheckInReceipt:
        """Verify an access code for ``event_id`` and record the first check-in of the card."""
        now = self.clock()
        claims = verify_access(
            self.keyring(), str(token).strip(), event_id, now, period=self.access_period
        )
        with self.storage.transaction() as tx:
            card = tx.cards.by_ref(claims.card_ref)
            if card is None or not card.active:
                raise TokenError("revoked")
            account = self._account(tx, card.account_id)
            first = tx.check_ins.get(card.card_ref, event_id)
            if first is not None:
                raise TokenError("replayed", first_at=first.checked_in_at.isoformat())
            record = CheckIn.record(
                card_ref=card.card_ref,
                event_id=event_id,
                station_id=station_id,
                checked_in_at=now,
                step=claims.step,
                kid=claims.kid,
            )
            tx.check_ins.add(record)
            tx.access_log.append(
                AccessRecord(
                    id=self._ledger_id(),
                    account_id=account.id,
                    at=now,
                    audience="station",
                    fields=("siapkerja_id", "full_name"),
                    channel="access",
                    purpose=event_id,
                )
            )
        self.emit(
            CheckInRecorded(
                occurred_at=now, account_id=account.id, event_id=event_id, station_id=station_id
            )
        )
        return CheckInReceipt(
            check_in=record, full_name=account.full_name, siapkerja_id=card.number
        )

    def station_keyring(self) -> Keyring:
        """The public half of the keyring, for offline stations (no secret in it)."""
        return self.keyring().public()

    def sync_check_ins(self, check_ins: Iterable[CheckIn]) -> SyncReport:
        """Merge a station's check-ins: earliest per (card, event) wins; re-syncs add nothing."""
        incoming = list(check_ins)
        unknown = 0
        with self.storage.transaction() as tx:
            known: list[CheckIn] = []
            held: dict[tuple[int, str], CheckIn] = {}
            for item in incoming:
                if tx.cards.by_ref(item.card_ref) is None:
                    unknown += 1  # a card this service never issued: kept out, counted
                    continue
                known.append(item)
                current = tx.check_ins.get(item.card_ref, item.event_id)
                if current is not None:
                    held[(item.card_ref, item.event_id)] = current
            result = merge_check_ins(held, known)
            for record in result.added:
                if (record.card_ref, record.event_id) in held:
                    tx.check_ins.replace(record)  # an earlier check-in replaces a later one
                    continue
                tx.check_ins.add(record)
                card = tx.cards.by_ref(record.card_ref)
                if card is not None:  # the holder's ledger shows station check-ins too
                    tx.access_log.append(
                        AccessRecord(
                            id=self._ledger_id(),
                            account_id=card.account_id,
                            at=record.checked_in_at,
                            audience="station",
                            fields=("siapkerja_id",),
                            channel="access",
                            purpose=record.event_id,
                            verifier_name=record.station_id,
                        )
                    )
        added = len(result.added)
        return SyncReport(
            received=len(incoming),
            added=added,
            duplicates=len(incoming) - added - unknown,
            unknown_cards=unknown,
        )

    # --- verifiers and consent --------------------------------------------------------------

    def _key_hash(self, api_key: str) -> str:
        return hmac.new(self._pepper, f"verifier\x1f{api_key}".encode(), hashlib.sha256).hexdigest()

    def register_verifier(self, name: str, scopes: Iterable[str]) -> tuple[Verifier, str]:
        """Register an institution; returns it and its API key (shown once, stored hashed)."""
        verifier = Verifier(
            id=self._new_id(), name=name, scopes=frozenset(scopes), created_at=self.clock()
        )
        api_key = "skv_" + self._token_bytes(24).hex()
        with self.storage.transaction() as tx:
            tx.verifiers.add(verifier, self._key_hash(api_key))
        self.emit(
            AccessGranted(
                occurred_at=verifier.created_at,
                verifier_id=verifier.id,
                scopes=tuple(sorted(verifier.scopes)),
            )
        )
        return verifier, api_key

    def verifier(self, api_key: str) -> Verifier:
        """The active verifier holding ``api_key``."""
        with self.storage.transaction() as tx:
            found = tx.verifiers.by_key(self._key_hash(str(api_key)))
        if found is None or not found.active:
            raise DisclosureError("unknown_verifier")
        return found

    def grant_consent(
        self,
        account_id: str,
        verifier_id: str,
        purpose: str,
        fields: Iterable[str] | None = None,
    ) -> ConsentRecord:
        if not purpose or not purpose.strip():
            raise DisclosureError("purpose_required")
        now = self.clock()
        with self.storage.transaction() as tx:
            account = self._account(tx, account_id)
            verifier = tx.verifiers.get(verifier_id)
            if verifier is None or not verifier.active:
                raise DisclosureError("unknown_verifier")
            chosen = None if fields is None else frozenset(fields) & scope_fields(verifier.scopes)
            record = ConsentRecord(
                id=self._new_id(),
                account_id=account.id,
                verifier_id=verifier.id,
                purpose=purpose.strip(),
                fields=chosen,
                granted_at=now,
            )
            tx.consents.put(record)
        self.emit(
            ConsentChanged(
                occurred_at=now,
                account_id=account_id,
                consent_id=record.id,
                verifier_id=verifier_id,
                granted=True,
            )
        )
        return record

    def withdraw_consent(self, account_id: str, consent_id: str) -> ConsentRecord:
        now = self.clock()
        with self.storage.transaction() as tx:
            record = tx.consents.get(consent_id)
            if record is None or record.account_id != account_id:
                raise DisclosureError("unknown_consent")
            if record.active:
                record = attrs.evolve(record, withdrawn_at=now)
                tx.consents.put(record)
        self.emit(
            ConsentChanged(
                occurred_at=now,
                account_id=account_id,
                consent_id=consent_id,
                verifier_id=record.verifier_id,
                granted=False,
            )
        )
        return record

    def consents(self, account_id: str) -> list[ConsentRecord]:
        with self.storage.transaction() as tx:
            return tx.consents.for_account(self._account(tx, account_id).id)

    def access_log(self, account_id: str) -> list[AccessRecord]:
        """The holder's ledger: who saw what, when, for what purpose (UU PDP Pasal 32)."""
        with self.storage.transaction() as tx:
            return tx.access_log.for_account(self._account(tx, account_id).id)

    def public_profile_data(self, view: ProfileView) -> dict[str, Any]:
        """A view as JSON-ready data (for the web binding and the API)."""
        return {
            "siapkerja_id": view.siapkerja_id,
            "full_name": view.full_name,
            "card_active": view.card_active,
            "audience": view.audience.value,
            "disclosed": list(view.disclosed),
            "nik": view.nik,
            "purpose": view.purpose,
            "verifier": view.verifier,
            "consent_required": view.consent_required,
            "data": converter.unstructure(dict(view.data)),
        }
