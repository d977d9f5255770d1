"""Scanning: the card's QR codes, resolving a link scan, token checks, the station keyring.

* A link scan (:meth:`Scanning.resolve`) shows each audience what the
  disclosure policy allows and writes one entry in the holder's access
  ledger. An access code is checked against its event; the first check-in
  per (card, event) is recorded and a replay is refused with its time.
* A token check (:meth:`Scanning.verify_token`) makes every check a scan or a
  check-in makes and records nothing: an operator checking a code must not
  appear in the holder's ledger.
* Offline stations verify access codes with the public half of the keyring
  (:meth:`Scanning.station_keyring`). Admitting a code at a gate and syncing
  a gate's signed export are event entry's
  (:mod:`siapkerja_core.services.gates`): only a registered station may.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs
import segno
from attrs import frozen

from siapkerja_core.converter import unstructure
from siapkerja_core.disclosure import (
    Audience,
    DisclosureError,
    ProfileView,
    Verifier,
    build_view,
    normalize_purpose,
    scope_fields,
)
from siapkerja_core.errors import CardError
from siapkerja_core.events import CardScanned
from siapkerja_core.gates import Event
from siapkerja_core.ports import ScanLedger, ScanSubject, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    new_access_record,
)
from siapkerja_core.render.card import Card
from siapkerja_core.render.qr import make_qr, qr_png, qr_svg, qr_terminal
from siapkerja_core.services.context import CardState, ServiceContext
from siapkerja_core.services.institutions import usable_verifier
from siapkerja_core.services.issuance import card_image, refuse_unusable
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.station import CheckIn
from siapkerja_core.tokens import (
    AccessClaims,
    Keyring,
    LinkClaims,
    TokenError,
    check_link_version,
    link_token_from_url,
    link_url,
    make_short_code,
    mint_access,
    mint_link,
    verify_access,
    verify_link,
)
from siapkerja_core.views import Account

__all__ = ["CardOverview", "CardQr", "CheckInReceipt", "Scanning", "SyncReport"]


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
    short_code: str | None = None
    """Access codes only: the eight digits a gate types with the card's number
    (:mod:`siapkerja_core.tokens.short_code`), ungrouped."""
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

    def _repr_png_(self) -> bytes:
        return self.png(scale=4)  # segno writes the PNG: no Pillow needed

    def _repr_html_(self) -> str:
        # The code with what it is: a notebook shows the mode, the link or the expiry.
        facts = [f"{self.mode} QR"]
        if self.url is not None:
            facts.append(f'<a href="{html.escape(self.url)}">{html.escape(self.url)}</a>')
        if self.purpose is not None:
            facts.append(f"purpose: {html.escape(self.purpose)}")
        if self.short_code is not None:
            facts.append(f"short code: {html.escape(self.short_code)}")
        if self.expires_at is not None:
            facts.append(f"expires {self.expires_at.isoformat(timespec='seconds')}")
        caption = " · ".join(facts)
        return (
            f'<figure class="siapkerja-qr" style="display:inline-block;margin:0">{self.svg()}'
            f'<figcaption style="font-size:small;word-break:break-all">{caption}</figcaption>'
            "</figure>"
        )


@frozen(kw_only=True)
class CardOverview:
    """What the holder's card page shows, read at once (:meth:`Scanning.card_overview`)."""

    card: Card
    """The card (as ``svc.card``): its QR is the link below."""
    link: CardQr
    """The link QR of the card's current version (as ``svc.card_qr``)."""
    profile: Profile
    """The holder's profile (as ``svc.profile``): the page's time zone comes from it."""
    upcoming: tuple[Event, ...] = ()
    """The events a code can be made for (as ``svc.events.upcoming``), read at once."""


@frozen(kw_only=True)
class CheckInReceipt:
    """What a check-in returned until 0.2 (the full name and number). Kept for imports:
    since issue 12 a gate's check-in answers a
    :class:`~siapkerja_core.services.gates.GateReceipt` (masked name, photo)."""

    check_in: CheckIn
    full_name: str
    siapkerja_id: str


@frozen(kw_only=True)
class SyncReport:
    """The outcome of an unsigned sync until 0.2. Kept for imports: since issue 12 a
    station's export is signed and ``svc.events.sync`` answers a
    :class:`~siapkerja_core.services.gates.GateSyncReport`."""

    received: int
    added: int
    duplicates: int
    unknown_cards: int


class Scanning:
    """QR codes of a card, link scans under the disclosure policy, check-ins.

    :param ctx: the shared service context.
    :param cards: the card's shared state (QR and view caches, ledger ids).
    :param profiles: reads accounts and profiles.
    :param keys: the keyring that signs and verifies tokens.
    """

    def __init__(
        self, ctx: ServiceContext, cards: CardState, *, profiles: Profiles, keys: Keys
    ) -> None:
        self.ctx = ctx
        self.cards = cards
        self.profiles = profiles
        self.keys = keys
        self._storage_seen: object = None
        self._scan_logged: (
            Callable[[int, Callable[[ScanSubject | None], AccessRecord]], None] | None
        ) = None
        self.purpose_exists: Callable[[Transaction, str], bool] | None = None
        """Whether an access code may be minted for a purpose (``svc.events`` sets it):
        ``None`` lets any purpose through."""

    def card_qr(self, account_id: str, mode: str = "link", purpose: str | None = None) -> CardQr:
        if mode not in ("link", "access"):  # the request's own fault first, then the card's
            raise CardError("mode", mode=mode)
        if purpose:
            normalize_purpose(purpose)  # a control or invisible character: the request's fault
        # Read-only: no row locks (PostgreSQL: no transaction id, so the storage's change
        # stamp stays put) and, on SQLite, no wait behind the process's writers.
        with self.ctx.storage.transaction(read_only=True) as tx:
            record = tx.cards.get(self.profiles.account(tx, account_id).id)
            if record is None:  # no card: no keyring to read (nor to create, read-only)
                raise CardError("no_card")
            # Checked here, in the read the QR needs anyway: after a rotation made
            # by another process, new tokens are signed with the new key.
            ring = self.keys.current.seen_in(tx)
            exists = self.purpose_exists
            known = mode != "access" or not purpose or exists is None or exists(tx, purpose)
        refuse_unusable(record)
        ring = self.keys.current.or_current(ring)
        if mode == "link":
            return self._link_qr(record, ring)
        # mode == "access": a 30-second code bound to a purpose
        if not purpose:
            raise CardError("purpose_required")
        if not known:
            raise CardError("unknown_purpose", purpose=purpose[:64])
        now = self.ctx.clock()
        token = mint_access(
            ring,
            record.card_ref,
            purpose,
            now,
            period=self.cards.access_period,
            status_index=record.status_index or 0,
        )
        step_end = (int(now.timestamp()) // self.cards.access_period + 1) * self.cards.access_period
        return CardQr(
            mode="access",
            token=token,
            qr=make_qr(token),
            purpose=purpose,
            expires_at=datetime.fromtimestamp(step_end, tz=now.tzinfo),
            short_code=make_short_code(
                ring, record.card_ref, purpose, now, period=self.cards.access_period
            ),
        )

    def _link_qr(self, record: CardRecord, ring: Keyring) -> CardQr:
        """The link QR of ``record``'s current version, signed with ``ring``'s link key."""
        token = mint_link(ring, record.card_ref, record.version)
        url = link_url(self.cards.base_url, token)
        key = (record.card_ref, record.version, "link")
        # The URL is part of the entry: after a key rotation the same version
        # is signed by a new key, and the cached image must not be reused.
        cached = self.cards.qr_cache.get(key, url)
        if cached is None:
            code = make_qr(url, max_version=None)
            cached = (code, qr_svg(code, scale=4))
            self.cards.qr_cache.put(key, cached, url)
        code, svg = cached
        return CardQr(
            mode="link", token=token, url=url, qr=code, version=record.version, svg_text=svg
        )

    def card_overview(
        self,
        account_id: str,
        *,
        upcoming: Callable[[Transaction], Sequence[Event]] | None = None,
    ) -> CardOverview:
        """The card, its link QR and the holder's profile, in one read-only unit of work.

        What ``svc.card``, ``svc.card_qr`` and ``svc.profile`` return, read together (the
        card page's data): one account read and one unit of work where the three calls
        took three of each, and on SQLite none of them takes the write lock. The keyring
        is checked against its stored stamp in the same read; when it changed (another
        process rotated or retired a key) it is loaded again before anything is signed.
        ``upcoming`` reads the events a code can be made for in the same unit
        (``svc.events.upcoming_in``); without it there are none.

        :raises CardError: ``card.no_account``, ``card.no_card``, ``card.revoked``,
            ``card.suspended`` (as ``svc.card``).
        """
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.profiles.account(tx, account_id)
            record = tx.cards.get(account.id)
            if record is None:
                raise CardError("no_card")
            profile = self.profiles.profile_of(tx, account)
            ring = self.keys.current.seen_in(tx)
            events = () if upcoming is None else tuple(upcoming(tx))
        refuse_unusable(record)
        ring = self.keys.current.or_current(ring)
        link = self._link_qr(record, ring)
        card = card_image(record, profile, link_url(self.cards.base_url, link.token))
        return CardOverview(card=card, link=link, profile=profile, upcoming=events)

    def _token_of(self, token_or_url: str) -> str:
        text = str(token_or_url).strip()
        if "/" in text:
            return link_token_from_url(self.cards.base_url, text)
        return text

    def resolve(
        self,
        token: str,
        viewer: Account | Verifier | None = None,
        purpose: str | None = None,
    ) -> ProfileView:
        """Open a scanned link QR for ``viewer`` under the disclosure policy; log the access."""
        if viewer is None and purpose is None:  # the common scan: its own shorter path
            return self._resolve_public(token)
        return self.resolve_with_profile(token, viewer, purpose)[0]

    def _resolve_public(self, token: str) -> ProfileView:
        """An anonymous scan: the public view, its ledger entry committed.

        What :meth:`resolve_with_profile` does for ``viewer=None``, without what
        only a viewer needs; on a storage that reads and logs in one step
        (:class:`~siapkerja_core.ports.ScanLedger`), with that step.
        """
        text = str(token).strip()
        if "/" in text:
            text = link_token_from_url(self.cards.base_url, text)
        ring = self.keys.current.cached()
        try:
            claims = verify_link(ring, text)
        except TokenError as error:
            if error.code != "forged":
                raise
            # Perhaps signed by a key another process rotated in: as keys.verified does.
            claims, ring = self.keys.verified(lambda ring: verify_link(ring, text))
        now = self.ctx.clock()
        storage = self.ctx.storage
        if storage is not self._storage_seen:
            self._storage_seen = storage
            self._scan_logged = storage.scan_logged if isinstance(storage, ScanLedger) else None
        scan_logged = self._scan_logged
        if scan_logged is None:
            view, record = self._public_entry(
                storage.scan_subject(claims.card_ref), claims, ring, text, now
            )
            storage.log_access(record)
        else:
            made: list[tuple[ProfileView, AccessRecord]] = []

            def entry(subject: ScanSubject | None) -> AccessRecord:
                # Called once or twice (ScanLedger.scan_logged): the last call's is the scan's.
                made.append(self._public_entry(subject, claims, ring, text, now))
                return made[-1][1]

            scan_logged(claims.card_ref, entry)
            view, record = made[-1]
        if self.ctx.listening():  # a scan is the hot path: build the event only if heard
            self.ctx.emit(
                CardScanned(
                    occurred_at=now,
                    account_id=record.account_id,
                    audience=view.audience,
                    fields=view.disclosed,
                    verifier_id=None,
                )
            )
        return view

    def _public_entry(
        self,
        subject: ScanSubject | None,
        claims: LinkClaims,
        ring: Keyring,
        text: str,
        now: datetime,
    ) -> tuple[ProfileView, AccessRecord]:
        """The public view of ``subject`` for the scan of ``text`` and its ledger entry.

        Depends on nothing but its arguments (and the caches of what they
        name), as :meth:`~siapkerja_core.ports.ScanLedger.scan_logged` requires.

        :raises TokenError: the card is unknown, revoked or suspended, the
            account closed, the key retired or the link's version old.
        """
        if subject is None:
            raise TokenError("revoked")
        card, account, profile, stamp = subject
        # card.active and account.active, read as the fields they are (a hot path).
        if card.revoked_at is not None or not account.active:
            raise TokenError("revoked")
        if card.suspended_at is not None:
            raise TokenError("suspended")
        if stamp != ring.stamp:  # the keys changed since this process cached them
            fresh = self._fresh_ring(stamp, ring)
            if fresh is not ring:
                claims = verify_link(fresh, text)
        if claims.version != card.version:  # check_link_version, inline
            raise TokenError("revoked")
        if profile is None:
            profile = self.profiles.initial_profile(account)
        view = self.cards.views.get(card, profile) or self._view_for(
            None, None, None, card, account, profile
        )
        record = new_access_record(
            id=self.cards.ledger_id(),
            account_id=account.id,
            at=now,
            audience=view.audience,  # a StrEnum member is its own str value
            fields=view.disclosed,
            channel="link",
            purpose=view.purpose,
            verifier_id=None,
            verifier_name=None,
            viewer_account_id=None,
        )
        return view, record

    def resolve_with_profile(
        self,
        token: str,
        viewer: Account | Verifier | None = None,
        purpose: str | None = None,
        *,
        refuse_without_consent: Exception | None = None,
    ) -> tuple[ProfileView, Profile]:
        """:meth:`resolve`, and the holder's profile the view was built from.

        :param refuse_without_consent: raised, before anything is logged, when a
            verifier has no consent for ``purpose`` (a prefill release, which
            must not fall back to the public view).
        """
        text = self._token_of(token)
        claims, ring = self.keys.verified(lambda ring: verify_link(ring, text))
        # As grant_consent stores it: a purpose matches however it was typed.
        purpose = normalize_purpose(purpose) if purpose and purpose.strip() else None
        now = self.ctx.clock()
        subject = self._current_subject(claims.card_ref)
        fresh = self._fresh_ring(subject.keyring_stamp, ring)
        if fresh is not ring:  # the keys changed since this process cached them
            claims = verify_link(fresh, text)
        card, account = subject.card, subject.account
        check_link_version(claims, card.version)
        profile = subject.profile or self.profiles.initial_profile(account)
        if viewer is None:  # the common scan: the public view, usually from the cache
            view = self.cards.views.get(card, profile) or self._view_for(
                None, None, None, card, account, profile
            )
        elif isinstance(viewer, Verifier):
            with self.ctx.storage.transaction() as tx:  # consent and registration: read together
                view = self._view_for(tx, viewer, purpose, card, account, profile)
            if view.consent_required and refuse_without_consent is not None:
                raise refuse_without_consent
        else:
            view = self._view_for(None, viewer, purpose, card, account, profile)
        verifier = viewer if isinstance(viewer, Verifier) else None
        self.ctx.storage.log_access(
            new_access_record(
                id=self.cards.ledger_id(),
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
        if self.ctx.listening():  # a scan is the hot path: build the event only if heard
            self.ctx.emit(
                CardScanned(
                    occurred_at=now,
                    account_id=account.id,
                    audience=view.audience,
                    fields=view.disclosed,
                    verifier_id=None if verifier is None else verifier.id,
                )
            )
        return view, profile

    def verify_token(
        self, token_or_url: str, *, purpose: str | None = None
    ) -> LinkClaims | AccessClaims:
        """The claims of a genuine, current token, checked as a scan or a check-in would be.

        A link token (or its URL) passes the checks of :meth:`resolve`, an
        access code (``A-…``) those of :meth:`check_in` for the event
        ``purpose``: signature with the current keyring, card active, account
        open, link version current, access code's purpose and time. Nothing is
        recorded (no ledger entry, no event, no check-in) and no key is made:
        with no keyring stored yet, every token is ``forged``.

        :raises TokenError: ``malformed``, ``forged``, ``revoked``, ``expired``,
            ``wrong_purpose``, ``wrong_mode``.
        :raises CardError: ``card.purpose_required``, an access code without ``purpose``.
        """
        text = self._token_of(token_or_url)
        if self.keys.current.stored() is None:
            raise TokenError("forged")  # a check must not mint the first keys
        if text[:2].upper() != "A-":
            link, ring = self.keys.verified(lambda ring: verify_link(ring, text))
            subject = self._current_subject(link.card_ref)
            fresh = self._fresh_ring(subject.keyring_stamp, ring)
            if fresh is not ring:
                link = verify_link(fresh, text)
            check_link_version(link, subject.card.version)
            return link
        now = self.ctx.clock()

        def verify(ring: Keyring) -> AccessClaims:
            # Without a purpose the signature is still checked first: a malformed
            # or forged code says so before the missing event is asked for.
            return verify_access(ring, text, purpose or "", now, period=self.cards.access_period)

        try:
            claims, ring = self.keys.verified(verify)
        except TokenError as error:
            if not purpose and error.code == "wrong_purpose":
                raise CardError("purpose_required") from None
            raise
        if not purpose:
            raise CardError("purpose_required")
        subject = self._current_subject(claims.card_ref)
        fresh = self._fresh_ring(subject.keyring_stamp, ring)
        return verify(fresh) if fresh is not ring else claims

    def _current_subject(self, card_ref: int) -> ScanSubject:
        """The card's committed state; an unknown or revoked card, a closed account: ``revoked``."""
        subject = self.ctx.storage.scan_subject(card_ref)
        if subject is None or not subject.card.active or not subject.account.active:
            raise TokenError("revoked")
        if subject.card.suspended_at is not None:
            raise TokenError("suspended")
        return subject

    def _fresh_ring(self, stamp: str | None, ring: Keyring) -> Keyring:
        """``ring``, or the stored keyring if the keys changed since this process cached them."""
        if stamp == ring.stamp:
            return ring
        keys = self.keys.current
        return keys.current() if stamp is None else keys.matching(stamp)

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
            return build_view(
                audience=Audience.HOLDER,
                profile_data=unstructure(profile),
                **common,  # type: ignore[arg-type]
            )
        if isinstance(viewer, Verifier):
            assert tx is not None  # resolve() opens one for verifiers
            registered = usable_verifier(tx.verifiers.get(viewer.id))
            if not purpose:
                raise DisclosureError("purpose_required")
            consent = self._consent(tx, account.id, registered.id, purpose)
            if consent is not None:
                allowed = scope_fields(registered.scopes)
                if consent.fields is not None:
                    allowed &= consent.fields
                return build_view(
                    audience=Audience.VERIFIER,
                    profile_data=unstructure(profile),
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
        cached = self.cards.views.get(card, profile)
        if cached is None:
            cached = build_view(
                audience=Audience.ANONYMOUS,
                profile_data=unstructure(profile),
                **common,
            )
            self.cards.views.put(card, profile, cached)
        return cached

    @staticmethod
    def _consent(
        tx: Transaction, account_id: str, verifier_id: str, purpose: str
    ) -> ConsentRecord | None:
        for consent in tx.consents.for_account(account_id):
            if consent.covers(verifier_id, purpose):
                return consent
        return None

    def station_keyring(self) -> Keyring:
        """The public half of the keyring, for offline stations (no secret in it)."""
        return self.keys.keyring().public()
