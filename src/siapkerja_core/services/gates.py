"""Event entry: organisers' events and gates, admissions at a gate, offline sync, counts.

* An **organiser** (a registered verifier) creates, changes and cancels its
  events and registers the gates (stations) of each: a station holds an API
  key (answered once, stored as an HMAC) or an Ed25519 key pair whose public
  half the organiser registers.
* A **gate admits** a holder's access code (:meth:`Gates.admit`) only with its
  own credential — the API key, or an Ed25519 signature over the canonical
  request (:class:`~siapkerja_core.gates.StationRequest`) made within
  ±120 s and never seen before. The code must be minted for this event, the
  event open and not full (checked under the event's lock: concurrent
  admissions never exceed the capacity), the card's first entry (a second
  is ``already_inside`` since HH.MM in the event's local time, with the day
  when it was not today), and every
  admission check registered for the event's kind must pass. The receipt
  shows the masked name, the card's status and the holder's **photo from
  the server** for the face check; the holder's ledger names the organiser,
  the event, the gate and those fields (a preview too: the gate saw the photo).
* An **offline gate** syncs a signed export (:meth:`Gates.sync`): earliest
  entry wins, and a card seen at two stations is flagged, not dropped.
* The **holder** mints access codes only for purposes that exist
  (:meth:`Gates.purpose_exists`); :meth:`Gates.upcoming` lists the events.

Each organiser's action (an event created, changed or cancelled; a gate
added, re-keyed or retired; an export synced) writes its audit record in
the change's transaction; an admission does not (it is in the holder's ledger).

The admission checks are the seam other uses build on (class attendance,
programme eligibility): :meth:`Gates.add_admission_check` and
:meth:`Gates.add_purpose_source`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from attrs import evolve, frozen

from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import CardError, SiapkerjaError
from siapkerja_core.events import CheckInRecorded
from siapkerja_core.gates import (
    REQUEST_WINDOW,
    Admission,
    AdmissionCheck,
    CredentialKind,
    DoubleEntry,
    Event,
    EventKind,
    EventStatus,
    GateError,
    SignedExport,
    Station,
    StationRequest,
    StationStatus,
    public_key_of,
    valid_id,
)
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.ports import Counters, GateConflict, Transaction
from siapkerja_core.profile import Photo
from siapkerja_core.records import AccessRecord
from siapkerja_core.services.context import CardState, ServiceContext
from siapkerja_core.services.institutions import acting, announce
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.siapkerja_id import InvalidSiapkerjaId, parse_siapkerja_id
from siapkerja_core.station import CheckIn, CheckInList, merge_check_ins, read_check_ins
from siapkerja_core.tokens import (
    AccessClaims,
    Keyring,
    TokenError,
    check_short_code,
    purpose_tag,
    split_short_code,
    verify_access,
)
from siapkerja_core.views import mask_name

__all__ = [
    "GATE_FIELDS",
    "GateCounts",
    "GateReceipt",
    "GateSyncReport",
    "Gates",
    "PurposeSource",
    "StationCredential",
]

GATE_FIELDS: Final = ("masked_name", "photo", "card_status")
"""What a gate is shown of the holder (and what the holder's ledger says it saw)."""

PurposeSource = Callable[[Transaction, str], bool]
"""Whether a purpose (a class session, a programme …) exists and takes access codes."""

_TOKEN_TO_GATE: Final = {"wrong_purpose": "wrong_event", "expired": "expired", "revoked": "revoked"}
_MAX_UPCOMING: Final = 200
SHORT_CODE_CARD_FAILURES: Final = 5
"""Wrong short codes a card takes at an event within :data:`SHORT_CODE_CARD_WINDOW`."""
SHORT_CODE_CARD_WINDOW: Final = timedelta(minutes=5)
SHORT_CODE_STATION_FAILURES: Final = 30
"""Wrong short codes one gate may type within :data:`SHORT_CODE_STATION_WINDOW`."""
SHORT_CODE_STATION_WINDOW: Final = timedelta(minutes=10)


@frozen(kw_only=True)
class StationCredential:
    """How a gate proves it is a registered station of the event.

    Either ``api_key`` alone, or ``station_id`` + ``signature`` (base64url
    Ed25519 over :meth:`StationRequest.canonical`) + ``timestamp`` (unix seconds).
    """

    api_key: str | None = None
    station_id: str | None = None
    signature: str | None = None
    timestamp: int | str | None = None

    @property
    def given(self) -> bool:
        return bool(self.api_key) or bool(self.station_id and self.signature)


@frozen(kw_only=True)
class GateReceipt:
    """What a gate is answered: never the full name nor the number.

    ``photo`` is the holder's profile photo **as the server holds it** (never
    read from the QR); ``None`` when the holder has none. ``recorded`` is
    ``False`` for a preview (every check made; only the holder's ledger entry written).
    """

    check_in: CheckIn
    event_id: str
    event_name: str
    station_id: str
    institution: str
    masked_name: str
    card_status: str
    photo: Photo | None
    inside: int
    capacity: int | None
    recorded: bool = True


@frozen(kw_only=True)
class GateCounts:
    """Live counts of an event: who is inside, against the capacity, per station."""

    event_id: str
    inside: int
    capacity: int | None
    per_station: Mapping[str, int]
    double_entries: tuple[DoubleEntry, ...]

    @property
    def remaining(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.inside)


@frozen(kw_only=True)
class GateSyncReport:
    """An offline export merged: counts, and the double entries found."""

    event_id: str
    station_id: str
    received: int
    added: int
    duplicates: int
    unknown_cards: int
    double_entries: tuple[DoubleEntry, ...]
    synced_ids: tuple[str, ...]


class Gates:
    """Events, their stations, admissions and sync (``svc.events``).

    :param ctx: the shared service context.
    :param cards: the card's shared state (access period, ledger ids).
    :param profiles: reads accounts and profiles.
    :param keys: the keyring that verifies access codes.
    :param counters: where each signed request's fingerprint is kept for
        :data:`~siapkerja_core.gates.REQUEST_WINDOW` either way, so a replay is refused.
    :param checks: admission checks by event kind (``None``: every kind).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        cards: CardState,
        *,
        profiles: Profiles,
        keys: Keys,
        counters: Counters,
        checks: Mapping[EventKind | str | None, Iterable[AdmissionCheck]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.cards = cards
        self.profiles = profiles
        self.keys = keys
        self.counters = counters
        self._lock = threading.Lock()
        self._checks: dict[EventKind | None, tuple[AdmissionCheck, ...]] = {}
        self._purpose_sources: tuple[PurposeSource, ...] = ()
        for kind, listed in (checks or {}).items():
            for check in listed:
                self.add_admission_check(kind, check)

    # --- the seam ----------------------------------------------------------------------

    def add_admission_check(self, kind: EventKind | str | None, check: AdmissionCheck) -> None:
        """Apply ``check`` at every admission to events of ``kind`` (``None``: of every kind).

        Checks run in the order added, after the gate's own (window, card,
        first entry, capacity), inside the admission's transaction; the
        first refusal returned is raised to the gate and nothing is written.
        """
        key = None if kind is None else EventKind(kind)
        with self._lock:
            self._checks[key] = (*self._checks.get(key, ()), check)

    def admission_checks(self, kind: EventKind | str) -> tuple[AdmissionCheck, ...]:
        """The checks an admission to an event of ``kind`` runs, in order."""
        return (*self._checks.get(None, ()), *self._checks.get(EventKind(kind), ()))

    def add_purpose_source(self, source: PurposeSource) -> None:
        """Let access codes be minted for the purposes ``source`` knows (class sessions …)."""
        with self._lock:
            self._purpose_sources = (*self._purpose_sources, source)

    def purpose_exists(self, tx: Transaction, purpose: str) -> bool:
        """Whether ``purpose`` is a scheduled event, or a purpose an added source knows."""
        if valid_id(purpose):
            event = tx.gates.event(purpose)
            if event is not None and not event.cancelled:
                return True
        return any(source(tx, purpose) for source in self._purpose_sources)

    def require_purpose(self, purpose: str) -> None:
        """:raises CardError: ``card.unknown_purpose`` unless :meth:`purpose_exists`."""
        with self.ctx.storage.transaction() as tx:
            known = self.purpose_exists(tx, purpose)
        if not known:
            raise CardError("unknown_purpose", purpose=purpose[:64])

    # --- events --------------------------------------------------------------------------

    def _organiser(self, tx: Transaction, organiser: Verifier | str) -> Verifier:
        verifier_id = organiser.id if isinstance(organiser, Verifier) else organiser
        found = tx.verifiers.get(verifier_id)
        if found is None or not found.active:
            raise GateError("not_organiser")
        return found

    def _own_event(
        self, tx: Transaction, organiser: Verifier | str, event_id: str, *, lock: bool = False
    ) -> Event:
        verifier = self._organiser(tx, organiser)
        event = tx.gates.event(event_id, lock=lock) if valid_id(event_id) else None
        if event is None:
            raise GateError("unknown_event", event_id=event_id[:64])
        if event.organiser_id != verifier.id:
            raise GateError("not_organiser")
        return event

    def create_event(
        self,
        organiser: Verifier | str,
        *,
        id: str,
        name: str,
        kind: EventKind | str,
        venue: str,
        opens_at: datetime,
        closes_at: datetime,
        region_code: str | None = None,
        capacity: int | None = None,
        class_id: str | None = None,
        programme_id: str | None = None,
        actor: str | None = None,
    ) -> Event:
        """Create an event the organiser's gates will admit to.

        ``actor`` names who acted in the audit (default ``verifier:<organiser>``).

        :raises GateError: ``invalid_event`` (``field``), ``event_exists``, ``not_organiser``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            verifier = self._organiser(tx, organiser)
            event = Event(
                id=id,
                name=name,
                kind=kind,
                venue=venue,
                opens_at=opens_at,
                closes_at=closes_at,
                organiser_id=verifier.id,
                created_at=now,
                region_code=region_code,
                capacity=capacity,
                class_id=class_id,
                programme_id=programme_id,
            )
            try:
                tx.gates.add_event(event)
            except GateConflict:
                raise GateError("event_exists", event_id=id) from None
            record = self._audit(
                tx,
                actor,
                verifier,
                "event.create",
                "event",
                event.id,
                kind=event.kind.value,
                capacity=event.capacity,
                class_id=event.class_id,
                programme_id=event.programme_id,
            )
        announce(self.ctx, record)
        return event

    def update_event(
        self, organiser: Verifier | str, event_id: str, *, actor: str | None = None, **changes: Any
    ) -> Event:
        """Change an event's name, venue, window, capacity … (not its id, kind or organiser).

        :raises GateError: ``invalid_event``, ``unknown_event``, ``not_organiser``.
        """
        allowed = {"name", "venue", "opens_at", "closes_at", "region_code", "capacity"}
        allowed |= {"class_id", "programme_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise GateError("invalid_event", field=sorted(unknown)[0])
        with self.ctx.storage.transaction() as tx:
            event = self._own_event(tx, organiser, event_id, lock=True)
            changed = evolve(event, **changes)
            tx.gates.put_event(changed)
            record = self._audit(
                tx, actor, organiser, "event.update", "event", event.id, changed=sorted(changes)
            )
        announce(self.ctx, record)
        return changed

    def cancel_event(
        self, organiser: Verifier | str, event_id: str, *, actor: str | None = None
    ) -> Event:
        """Cancel an event: its gates admit no one and no new code can be minted for it."""
        with self.ctx.storage.transaction() as tx:
            event = self._own_event(tx, organiser, event_id, lock=True)
            cancelled = evolve(event, status=EventStatus.CANCELLED)
            tx.gates.put_event(cancelled)
            record = self._audit(tx, actor, organiser, "event.cancel", "event", event.id)
        announce(self.ctx, record)
        return cancelled

    def event(self, event_id: str, organiser: Verifier | str | None = None) -> Event:
        """The event; with ``organiser``, only if it is that organiser's.

        :raises GateError: ``unknown_event``, ``not_organiser``.
        """
        with self.ctx.storage.transaction() as tx:
            if organiser is not None:
                return self._own_event(tx, organiser, event_id)
            event = tx.gates.event(event_id) if valid_id(event_id) else None
        if event is None:
            raise GateError("unknown_event", event_id=event_id[:64])
        return event

    def events(self, organiser: Verifier | str, *, limit: int = 100) -> list[Event]:
        """The organiser's events, by opening time."""
        with self.ctx.storage.transaction() as tx:
            verifier = self._organiser(tx, organiser)
            return tx.gates.events(organiser_id=verifier.id, limit=limit)

    def upcoming(self, *, limit: int = 50, kind: EventKind | str | None = None) -> list[Event]:
        """Scheduled events not closed yet, by opening time: what a holder may mint codes for."""
        wanted = None if kind is None else EventKind(kind)
        with self.ctx.storage.transaction(read_only=True) as tx:
            return self.upcoming_in(tx, limit=limit, kind=wanted)

    def upcoming_in(
        self, tx: Transaction, *, limit: int = 50, kind: EventKind | str | None = None
    ) -> list[Event]:
        """:meth:`upcoming`, read in the caller's unit of work ``tx`` (the card page's)."""
        wanted = None if kind is None else EventKind(kind)
        found = tx.gates.events(closes_after=self.ctx.clock(), limit=_MAX_UPCOMING)
        chosen = [e for e in found if not e.cancelled and (wanted is None or e.kind is wanted)]
        return chosen[: max(0, limit)]

    def _audit(
        self,
        tx: Transaction,
        actor: str | None,
        organiser: Verifier | str,
        action: str,
        target_kind: str,
        target_id: str,
        **details: Any,
    ) -> AuditRecord:
        """Record an organiser's action in the audit, in the change's transaction.

        ``organiser`` was checked by the caller; ``details`` never hold a key.
        """
        verifier = organiser if isinstance(organiser, Verifier) else tx.verifiers.get(organiser)
        return self.ctx.record_admin_action(
            tx,
            actor=acting(actor, verifier),
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            details=details,
        )

    # --- stations ------------------------------------------------------------------------

    def _station_key_hash(self, api_key: str) -> str:
        return self.ctx.mac("station-key", api_key)

    def _new_api_key(self) -> str:
        return "sks_" + self.ctx.entropy.token_bytes(24).hex()

    def add_station(
        self,
        organiser: Verifier | str,
        event_id: str,
        *,
        name: str,
        station_id: str | None = None,
        public_key: str | None = None,
        actor: str | None = None,
    ) -> tuple[Station, str | None]:
        """Register a gate of the event; ``(station, api_key)``.

        With ``public_key`` (an Ed25519 public key, base64url of its 32
        bytes) the station signs its requests and ``api_key`` is ``None``;
        without, an API key is made and answered **once** (only its HMAC is kept).

        :raises GateError: ``invalid_station`` (``field``), ``station_exists``,
            ``unknown_event``, ``not_organiser``.
        """
        now = self.ctx.clock()
        chosen_id = station_id or "gate-" + self.ctx.entropy.token_bytes(5).hex()
        api_key = None if public_key is not None else self._new_api_key()
        with self.ctx.storage.transaction() as tx:
            event = self._own_event(tx, organiser, event_id)
            station = Station(
                id=chosen_id,
                event_id=event.id,
                name=name,
                credential=CredentialKind.API_KEY if api_key else CredentialKind.ED25519,
                created_at=now,
                public_key=None if public_key is None else public_key.strip(),
                key_hash=None if api_key is None else self._station_key_hash(api_key),
            )
            try:
                tx.gates.add_station(station)
            except GateConflict:
                raise GateError("station_exists", station_id=chosen_id) from None
            record = self._audit(
                tx,
                actor,
                organiser,
                "station.add",
                "station",
                _station_target(station),
                credential=station.credential.value,
            )
        announce(self.ctx, record)
        return station, api_key

    def stations(self, organiser: Verifier | str, event_id: str) -> list[Station]:
        """The event's stations (retired ones too), oldest first."""
        with self.ctx.storage.transaction() as tx:
            event = self._own_event(tx, organiser, event_id)
            return tx.gates.stations(event.id)

    def _own_station(
        self, tx: Transaction, organiser: Verifier | str, event_id: str, station_id: str
    ) -> Station:
        event = self._own_event(tx, organiser, event_id)
        station = tx.gates.station(event.id, station_id) if valid_id(station_id) else None
        if station is None:
            raise GateError("unknown_station")
        return station

    def retire_station(
        self,
        organiser: Verifier | str,
        event_id: str,
        station_id: str,
        *,
        actor: str | None = None,
    ) -> Station:
        """Retire a gate: its credential admits no one and its exports are refused.

        Retiring a retired gate changes nothing and records nothing.
        """
        with self.ctx.storage.transaction() as tx:
            station = self._own_station(tx, organiser, event_id, station_id)
            if not station.active:
                return station
            retired = evolve(station, status=StationStatus.RETIRED, retired_at=self.ctx.clock())
            tx.gates.put_station(retired)
            record = self._audit(
                tx, actor, organiser, "station.retire", "station", _station_target(station)
            )
        announce(self.ctx, record)
        return retired

    def rekey_station(
        self,
        organiser: Verifier | str,
        event_id: str,
        station_id: str,
        *,
        public_key: str | None = None,
        actor: str | None = None,
    ) -> tuple[Station, str | None]:
        """Give a gate a new credential (a lost device): the old one stops at once."""
        api_key = None if public_key is not None else self._new_api_key()
        if public_key is not None:
            public_key_of(public_key)
        with self.ctx.storage.transaction() as tx:
            station = self._own_station(tx, organiser, event_id, station_id)
            if not station.active:
                raise GateError("station_retired")
            changed = evolve(
                station,
                credential=CredentialKind.API_KEY if api_key else CredentialKind.ED25519,
                public_key=None if public_key is None else public_key.strip(),
                key_hash=None if api_key is None else self._station_key_hash(api_key),
            )
            tx.gates.put_station(changed)
            record = self._audit(
                tx,
                actor,
                organiser,
                "station.rekey",
                "station",
                _station_target(station),
                credential=changed.credential.value,
            )
        announce(self.ctx, record)
        return changed, api_key

    # --- admission -----------------------------------------------------------------------

    def authenticate(
        self, event_id: str, credential: StationCredential, code: str, now: datetime
    ) -> Station:
        """The active station of ``event_id`` the credential proves.

        :raises GateError: ``station_credential_required``, ``unknown_station``,
            ``station_retired``, ``station_not_for_event`` (a gate registered for
            another event: the gate's fault, not the holder's code),
            ``bad_station_signature``, ``stale_request``, ``replayed_request``.
        """
        if not credential.given:
            raise GateError("station_credential_required")
        with self.ctx.storage.transaction() as tx:
            if credential.api_key:
                station = tx.gates.station_by_key(self._station_key_hash(credential.api_key))
            else:
                station_id = credential.station_id or ""
                found = valid_id(station_id) and valid_id(event_id)
                station = tx.gates.station(event_id, station_id) if found else None
        if station is None:
            raise GateError("unknown_station")
        if not station.active:
            raise GateError("station_retired")
        if station.event_id != event_id:
            # Not ``wrong_event``: that one tells the operator to ask the holder for
            # another code, while the code may be right and the gate the wrong one.
            raise GateError("station_not_for_event")
        if credential.api_key:
            return station
        if station.credential is not CredentialKind.ED25519:
            raise GateError("bad_station_signature")
        stamp = credential.timestamp
        if isinstance(stamp, str):
            stamp = int(stamp) if stamp.isascii() and stamp.isdigit() and len(stamp) < 12 else -1
        if stamp is None:
            raise GateError("bad_station_signature")
        request = StationRequest(event_id, station.id, stamp, code)
        if not station.verify(request.canonical(), credential.signature or ""):
            raise GateError("bad_station_signature")
        if abs(now - request.at()) > REQUEST_WINDOW:
            raise GateError("stale_request")
        # Seen once within the window either way: a replayed request is refused;
        # after the window the timestamp itself refuses it.
        hit = self.counters.hit(
            self.ctx.counter_key("gate-request", request.digest()),
            limit=1,
            window=2 * REQUEST_WINDOW + timedelta(seconds=1),
            now=now,
        )
        if not hit.allowed:
            raise GateError("replayed_request")
        return station

    def _verify_code(self, code: str, event_id: str, now: datetime) -> tuple[AccessClaims, Keyring]:
        def verify(ring: Keyring) -> AccessClaims:
            return verify_access(ring, code, event_id, now, period=self.cards.access_period)

        try:
            return self.keys.verified(verify)
        except TokenError as error:
            mapped = _TOKEN_TO_GATE.get(error.code)
            if mapped is None:
                raise
            raise GateError(mapped) from None

    def _short_code_slots(self, event_id: str, number: str, station: Station) -> list[str]:
        """Take a slot of the card's and the gate's wrong-short-code caps; the keys taken.

        Taken before the check and given back when the code is right (the
        :class:`~siapkerja_core.ports.Counters` pattern for a correct password),
        so only wrong codes use the caps.

        :raises GateError: ``short_code_locked`` (``minutes``) when either cap is used up.
        """
        now = self.ctx.clock()
        taken: list[str] = []
        caps = (
            (f"{event_id}\0{number}", SHORT_CODE_CARD_FAILURES, SHORT_CODE_CARD_WINDOW),
            (f"{event_id}\0{station.id}", SHORT_CODE_STATION_FAILURES, SHORT_CODE_STATION_WINDOW),
        )
        for value, limit, window in caps:
            key = self.ctx.counter_key("gate-short-code", value)
            hit = self.counters.hit(key, limit=limit, window=window, now=now)
            if not hit.allowed:
                for done, (_, _, w) in zip(taken, caps, strict=False):
                    self.counters.release(done, window=w, now=now)
                minutes = max(1, -(-int(hit.retry_after.total_seconds()) // 60))
                raise GateError("short_code_locked", minutes=minutes)
            taken.append(key)
        return taken

    def _verify_short_code(
        self, number_text: str, digits: str, event_id: str, station: Station, now: datetime
    ) -> tuple[AccessClaims, Keyring]:
        """A typed short code resolved to its card: claims as an access code's would be.

        The card is found by its number (an index, no scan); the digits must be
        that card's code for this event in the current or the previous access
        period (:func:`~siapkerja_core.tokens.check_short_code`). A wrong number,
        a wrong or old code all read ``short_code_invalid``: the gate learns
        nothing about which. Revocation, suspension and every other rule are
        :meth:`admit`'s, as for a scanned code.
        """
        try:
            number = str(parse_siapkerja_id("SK" + number_text))  # as the cards are stored
        except InvalidSiapkerjaId:
            raise GateError("short_code_invalid") from None
        taken = self._short_code_slots(event_id, number, station)
        with self.ctx.storage.transaction() as tx:
            card = tx.cards.by_number(number)
            ring = self.keys.current.in_transaction(tx)
        # An unknown number costs the same HMACs as a known one: the time taken
        # does not tell the gate which numbers are cards.
        match = check_short_code(
            ring,
            0 if card is None else card.card_ref,
            event_id,
            digits,
            now,
            period=self.cards.access_period,
        )
        if card is None or match is None:
            raise GateError("short_code_invalid")
        for key, window in zip(
            taken, (SHORT_CODE_CARD_WINDOW, SHORT_CODE_STATION_WINDOW), strict=True
        ):
            self.counters.release(key, window=window, now=now)
        claims = AccessClaims(
            card.card_ref, purpose_tag(event_id), match.step, match.kid, card.status_index or 0
        )
        return claims, ring

    def admit(
        self,
        token: str,
        *,
        event_id: str,
        credential: StationCredential,
        preview: bool = False,
    ) -> GateReceipt:
        """Admit the access code ``token`` at a gate of ``event_id``.

        ``token`` is a scanned access code (``A-…``) or a **typed short code**:
        the card's number and its eight digits (``SK-7KQ4-M2XD-9P7 1234 5678``,
        :mod:`siapkerja_core.tokens.short_code`). A short code is resolved to
        its card, then admitted by the same rules; at most
        :data:`SHORT_CODE_CARD_FAILURES` wrong ones per card and event and
        :data:`SHORT_CODE_STATION_FAILURES` per gate are tried in their windows.

        ``preview`` makes every check and records no check-in and uses no
        capacity (the gate shows the photo before the operator lets the person
        in); it still appends the holder's ledger entry, since the gate saw the photo.

        :raises GateError: the station's refusals (see :meth:`authenticate`),
            ``unknown_event``, ``event_cancelled``, ``not_open``, ``closed``,
            ``wrong_event``, ``expired``, ``revoked``, ``already_inside``, ``full``,
            ``short_code_invalid``, ``short_code_locked``.
        :raises TokenError: ``malformed``, ``forged``, ``wrong_mode``.
        :raises SiapkerjaError: a refusal of an admission check.
        """
        now = self.ctx.clock()
        code = str(token).strip()
        station = self.authenticate(event_id, credential, code, now)
        short = split_short_code(code)
        if short is None:
            claims, ring = self._verify_code(code, event_id, now)
        else:
            claims, ring = self._verify_short_code(*short, event_id, station, now)
        with self.ctx.storage.transaction() as tx:
            fresh = self.keys.current.in_transaction(tx)
            if fresh is not ring and short is not None:
                if claims.kid not in {k.kid for k in fresh.access_keys if not k.retired}:
                    raise GateError("short_code_invalid")  # its key was retired meanwhile
            elif fresh is not ring:  # rotated or retired by another process meanwhile
                try:
                    claims = verify_access(
                        fresh, code, event_id, now, period=self.cards.access_period
                    )
                except TokenError as error:
                    mapped = _TOKEN_TO_GATE.get(error.code)
                    raise (GateError(mapped) if mapped else error) from None
            event = tx.gates.event(event_id, lock=True)
            if event is None:
                raise GateError("unknown_event", event_id=event_id)
            refusal = event.window_refusal(now)
            if refusal is not None:
                raise refusal
            card = tx.cards.by_ref(claims.card_ref)
            account = None if card is None else tx.accounts.get(card.account_id)
            if card is None or not card.active or account is None or not account.active:
                raise GateError("revoked")
            if card.suspended_at is not None:  # the holder's restriction: refused, data kept
                raise GateError("suspended")
            first = tx.check_ins.get(card.card_ref, event.id)
            if first is not None:
                raise GateError(
                    "already_inside",
                    **event.local_since(first.checked_in_at, now),
                    station_id=first.station_id,
                )
            # Counted, not loaded: reading every check-in made each admission cost
            # O(people inside) — on SQLite ~9 µs more per person (benchmarks/bench_uses.py).
            inside = tx.check_ins.count(event.id)
            if event.capacity is not None and inside >= event.capacity:
                raise GateError("full", capacity=event.capacity)
            profile = tx.profiles.get(account.id)
            admission = Admission(
                tx=tx,
                event=event,
                station=station,
                account=account,
                profile=profile,
                card=card,
                now=now,
                preview=preview,
            )
            for check in self.admission_checks(event.kind):
                refused: SiapkerjaError | None = check(admission)
                if refused is not None:
                    raise refused
            organiser = tx.verifiers.get(event.organiser_id)
            institution = event.organiser_id if organiser is None else organiser.name
            record = CheckIn.record(
                card_ref=card.card_ref,
                event_id=event.id,
                station_id=station.id,
                checked_in_at=now,
                step=claims.step,
                kid=claims.kid,
            )
            # A preview shows the gate the photo and the masked name too: the holder's
            # ledger says so, even when the operator then lets no one in.
            tx.access_log.append(
                AccessRecord(
                    id=self.cards.ledger_id(),
                    account_id=account.id,
                    at=now,
                    audience="station",
                    # A typed short code showed the gate the card's number too.
                    fields=GATE_FIELDS if short is None else (*GATE_FIELDS, "siapkerja_id"),
                    channel="access",
                    purpose=event.id,
                    verifier_id=event.organiser_id,
                    verifier_name=f"{institution} — {event.name} ({station.name})",
                )
            )
            if not preview:
                tx.check_ins.add(record)
                inside += 1
        if not preview:
            self.ctx.emit(
                CheckInRecorded(
                    occurred_at=now, account_id=account.id, event_id=event.id, station_id=station.id
                )
            )
        return GateReceipt(
            check_in=record,
            event_id=event.id,
            event_name=event.name,
            station_id=station.id,
            institution=institution,
            masked_name=mask_name(account.full_name),
            card_status="active",
            photo=None if profile is None else profile.photo,
            inside=inside,
            capacity=event.capacity,
            recorded=not preview,
        )

    # --- counts and check-ins --------------------------------------------------------------

    def counts(self, event_id: str, organiser: Verifier | str | None = None) -> GateCounts:
        """Who is inside, per station, and the double entries syncs found."""
        with self.ctx.storage.transaction() as tx:
            if organiser is not None:
                event = self._own_event(tx, organiser, event_id)
            else:
                found = tx.gates.event(event_id) if valid_id(event_id) else None
                if found is None:
                    raise GateError("unknown_event", event_id=event_id[:64])
                event = found
            check_ins = tx.check_ins.for_event(event.id)
            doubles = tx.gates.double_entries(event.id)
        per_station = Counter(c.station_id for c in check_ins)
        return GateCounts(
            event_id=event.id,
            inside=len(check_ins),
            capacity=event.capacity,
            per_station=dict(sorted(per_station.items())),
            double_entries=tuple(doubles),
        )

    def check_ins(self, organiser: Verifier | str, event_id: str) -> CheckInList:
        """The event's check-ins, oldest first (``.to_frame()``: a pandas DataFrame)."""
        with self.ctx.storage.transaction() as tx:
            event = self._own_event(tx, organiser, event_id)
            found = tx.check_ins.for_event(event.id)
        return CheckInList(found)

    # --- offline sync ----------------------------------------------------------------------

    def sync(self, export: SignedExport | str, *, actor: str | None = None) -> GateSyncReport:
        """Merge an offline station's signed export.

        Refused whole (nothing written) when unsigned or wrongly signed, from
        an unknown or retired station, or holding a check-in of another event
        or station. Earliest entry per card wins; a card seen at two stations
        is kept once and flagged as a :class:`~siapkerja_core.gates.DoubleEntry`.
        The audit records the accepted export and its counts (``actor``: default
        ``verifier:<organiser>``, whose station signed it).

        :raises GateError: ``bad_export``, ``unknown_station``, ``station_retired``,
            ``bad_station_signature``, ``unknown_event``, ``wrong_event``.
        :raises CheckInError: ``checkin.malformed_record`` (a line of the body).
        """
        signed = SignedExport.parse(export) if isinstance(export, str) else export
        if not (valid_id(signed.event_id) and valid_id(signed.station_id)):
            raise GateError("bad_export")
        with self.ctx.storage.transaction() as tx:
            station = tx.gates.station(signed.event_id, signed.station_id)
            if station is None:
                raise GateError("unknown_station")
            if not station.active:
                raise GateError("station_retired")
            if not station.verify(signed.message(), signed.signature):
                raise GateError("bad_station_signature")
            event = tx.gates.event(signed.event_id, lock=True)
            if event is None:
                raise GateError("unknown_event", event_id=signed.event_id)
            incoming = read_check_ins(signed.body)
            for item in incoming:
                if item.event_id != event.id:
                    raise GateError("wrong_event")
                if item.station_id != station.id:
                    raise GateError("bad_export")
            organiser = tx.verifiers.get(event.organiser_id)
            institution = event.organiser_id if organiser is None else organiser.name
            known: list[CheckIn] = []
            held: dict[tuple[int, str], CheckIn] = {}
            unknown = 0
            for item in incoming:
                if tx.cards.by_ref(item.card_ref) is None:
                    unknown += 1
                    continue
                known.append(item)
                current = tx.check_ins.get(item.card_ref, item.event_id)
                if current is not None:
                    held[item.key] = current
            result = merge_check_ins(held, known)
            doubles: list[DoubleEntry] = []
            for record in result.added:
                previous = held.get(record.key)
                if previous is not None:
                    tx.check_ins.replace(record)  # an earlier entry replaces a later one
                    if previous.station_id != record.station_id:
                        doubles.append(_double(later=previous, first=record))
                    continue
                tx.check_ins.add(record)
                card = tx.cards.by_ref(record.card_ref)
                if card is not None:
                    tx.access_log.append(
                        AccessRecord(
                            id=self.cards.ledger_id(),
                            account_id=card.account_id,
                            at=record.checked_in_at,
                            audience="station",
                            fields=("siapkerja_id",),  # an offline gate sees the code only
                            channel="access",
                            purpose=event.id,
                            verifier_id=event.organiser_id,
                            verifier_name=f"{institution} — {event.name} ({station.name})",
                        )
                    )
            for duplicate in result.duplicates:
                kept = result.merged[duplicate.key]
                if kept.station_id != duplicate.station_id:
                    doubles.append(_double(later=duplicate, first=kept))
            flagged = tuple(d for d in doubles if tx.gates.add_double_entry(d))
            added = len(result.added)
            report = GateSyncReport(
                event_id=event.id,
                station_id=station.id,
                received=len(incoming),
                added=added,
                duplicates=len(incoming) - added - unknown,
                unknown_cards=unknown,
                double_entries=flagged,
                synced_ids=tuple(c.id for c in incoming),
            )
            audit = self._audit(
                tx,
                actor,
                event.organiser_id,
                "station.sync",
                "station",
                _station_target(station),
                received=report.received,
                added=report.added,
                duplicates=report.duplicates,
                unknown_cards=report.unknown_cards,
                double_entries=len(report.double_entries),
            )
        announce(self.ctx, audit)
        return report


def _station_target(station: Station) -> str:
    """A station's id in the audit: ``<event id>/<station id>`` (a station id is per event)."""
    return f"{station.event_id}/{station.id}"


def _double(*, later: CheckIn, first: CheckIn) -> DoubleEntry:
    return DoubleEntry(
        event_id=later.event_id,
        card_ref=later.card_ref,
        station_id=later.station_id,
        at=later.checked_in_at,
        first_station_id=first.station_id,
        first_at=first.checked_in_at,
    )
