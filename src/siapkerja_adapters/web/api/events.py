"""The JSON API's event entry (``/v1/events/...``): organisers, gates and holders.

This module owns the operations of use 7 of the card and their wire shapes:

* **organisers** (``X-Verifier-Key``) create, read and cancel their events,
  register, list and retire their gates (stations), and read live counts
  and check-ins;
* **gates** admit an access code (``POST /v1/events/{event_id}/admissions``)
  with their own credential — ``X-Station-Key``, or ``X-Station-Id`` +
  ``X-Station-Signature`` + ``X-Station-Timestamp`` (Ed25519 over the
  canonical request, see :class:`~siapkerja_core.gates.StationRequest`) — and
  sync a signed offline export (``POST /v1/events/{event_id}/sync``);
* **holders** list the upcoming events they may make a code for
  (``GET /v1/events``, public fields only).

The receipt a gate gets shows the masked name, the card's status and the
holder's photo as the server holds it, never the full name or number.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.responses import Response

from siapkerja_core.disclosure import Verifier
from siapkerja_core.gates import DoubleEntry as CoreDoubleEntry
from siapkerja_core.gates import Event as CoreEvent
from siapkerja_core.gates import EventKind, SignedExport
from siapkerja_core.gates import Station as CoreStation
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import GateCounts as CoreCounts
from siapkerja_core.services.gates import GateReceipt as CoreReceipt
from siapkerja_core.services.gates import GateSyncReport as CoreSyncReport
from siapkerja_core.services.gates import StationCredential
from siapkerja_core.station import CheckIn as CoreCheckIn

from ..threads import WorkerThreads
from . import bodies as b
from .common import VERIFIER_KEY, json_response, verifier_key
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = [
    "STATION_KEY",
    "STATION_SECURITY",
    "STATION_SIGNATURE",
    "GateReceipt",
    "add_events",
    "station_credential",
]

_MAX_ID: Final = 64
_MAX_TEXT: Final = 200
_MAX_KEY: Final = 200
_MAX_EXPORT: Final = b.MAX_JSON_TEXT  # the longest string any body may hold

STATION_KEY: Final = APIKeyHeader(
    name="X-Station-Key",
    scheme_name="stationKey",
    description="A gate's API key (answered once when the organiser registered the gate).",
    auto_error=False,
)
STATION_SIGNATURE: Final = APIKeyHeader(
    name="X-Station-Signature",
    scheme_name="stationSignature",
    description="A gate holding an Ed25519 key: the base64url signature of the canonical"
    " request, the five lines `siapkerja-gate-request-v1`, event id, station id, timestamp,"
    " access code; sent with `X-Station-Id` and `X-Station-Timestamp` (unix seconds, within"
    " 120 s of the server's clock). A request is accepted once.",
    auto_error=False,
)
STATION_SECURITY: Final = [Security(STATION_KEY), Security(STATION_SIGNATURE)]


def station_credential(
    request: Request,
    x_station_id: Annotated[
        str | None,
        Header(max_length=_MAX_ID, description="The signing gate's id (with its signature)."),
    ] = None,
    x_station_timestamp: Annotated[
        str | None,
        Header(max_length=12, description="Unix seconds the request was signed at."),
    ] = None,
) -> StationCredential:
    """The gate's credential as the request's headers carry it (checked by the core)."""
    headers = request.headers
    return StationCredential(
        api_key=headers.get("x-station-key") or None,
        station_id=x_station_id or None,
        signature=headers.get("x-station-signature") or None,
        timestamp=x_station_timestamp or None,
    )


GateCredential = Annotated[StationCredential, Depends(station_credential)]
"""The credential a gate's request carries (documents the X-Station-* headers)."""


async def _organiser(
    request: Request, _key: Annotated[str | None, Security(VERIFIER_KEY)] = None
) -> Verifier:
    key = verifier_key(request)
    svc, threads = request.scope[API_CONTEXT]
    verifier: Verifier = await threads.run(svc.verifier, key)
    return verifier


Organiser = Annotated[Verifier, Depends(_organiser)]
EventId = Annotated[
    b.CleanText, Path(description="The event's id.", min_length=1, max_length=_MAX_ID)
]
StationId = Annotated[
    b.CleanText, Path(description="The gate's id.", min_length=1, max_length=_MAX_ID)
]

# --------------------------------------------------------------------------
# Wire shapes
# --------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


Kind = Literal[
    "job_fair", "training_opening", "talent_festival", "class_session", "programme_intake", "other"
]


class CreateEvent(_Body):
    id: Annotated[str, Field(max_length=_MAX_ID)] = Field(
        description="The event's id, the organiser's choice: 1-64 ASCII letters, digits,"
        " `.`, `_`, `-` (what access codes are made for).",
        examples=["JOBFAIR-JKT-2026"],
    )
    name: Annotated[str, Field(max_length=_MAX_TEXT)] = Field(examples=["Job Fair Jakarta 2026"])
    kind: Kind
    venue: Annotated[str, Field(max_length=_MAX_TEXT)] = Field(examples=["JIExpo Kemayoran"])
    opens_at: Annotated[AwareDatetime, Field(strict=False)]
    closes_at: Annotated[AwareDatetime, Field(strict=False)]
    region_code: Annotated[str, Field(max_length=13)] | None = Field(
        default=None, description="Kemendagri region code: sets WIB, WITA or WIT.", examples=["31"]
    )
    capacity: Annotated[int, Field(ge=1, le=10_000_000, strict=False)] | None = None
    class_id: Annotated[str, Field(max_length=_MAX_TEXT)] | None = None
    programme_id: Annotated[str, Field(max_length=_MAX_TEXT)] | None = None


class AddStation(_Body):
    name: Annotated[str, Field(max_length=_MAX_TEXT)] = Field(examples=["Gate A (Hall B)"])
    station_id: Annotated[str, Field(max_length=_MAX_ID)] | None = Field(
        default=None, description="The gate's id (one is made when left out).", examples=["gate-a"]
    )
    public_key: Annotated[str, Field(max_length=_MAX_KEY)] | None = Field(
        default=None,
        description="The gate's Ed25519 public key (base64url of 32 bytes): the gate signs"
        " its requests. Left out: an API key is made and answered once.",
    )


class Admit(_Body):
    token: Annotated[str, Field(max_length=b.MAX_TOKEN_LENGTH)] = Field(
        description="The access code read from the holder's QR, or the typed short code:"
        " the card number and the 8 digits under the QR (`SK-7KQ4-M2XD-9P7 1234 5678`).",
        examples=["A-…"],
    )
    preview: bool = Field(
        default=False,
        description="Make every check and record no entry (show the photo before letting in);"
        " the holder's ledger still shows that the gate saw the photo.",
    )


class SyncExport(_Body):
    station_id: Annotated[str, Field(max_length=_MAX_ID)]
    signature: Annotated[str, Field(max_length=_MAX_KEY)] = Field(
        description="Base64url Ed25519 signature of `siapkerja-gate-export-v1\\n<event>\\n"
        "<station>\\n` followed by the bytes of `check_ins`."
    )
    check_ins: Annotated[str, Field(max_length=_MAX_EXPORT)] = Field(
        description="The station's export: JSON Lines, one check-in a line."
    )


class PublicEvent(_Out):
    id: str
    name: str
    kind: Kind
    venue: str
    region_code: str | None
    opens_at: datetime
    closes_at: datetime

    @classmethod
    def from_core(cls, event: CoreEvent) -> PublicEvent:
        return cls(
            id=event.id,
            name=event.name,
            kind=event.kind.value,
            venue=event.venue,
            region_code=event.region_code,
            opens_at=event.opens_at,
            closes_at=event.closes_at,
        )


class EventList(_Out):
    items: list[PublicEvent]


class Event(PublicEvent):
    capacity: int | None
    organiser_id: str
    class_id: str | None
    programme_id: str | None
    status: Literal["scheduled", "cancelled"]
    created_at: datetime

    @classmethod
    def from_core(cls, event: CoreEvent) -> Event:
        return cls(
            **PublicEvent.from_core(event).model_dump(),
            capacity=event.capacity,
            organiser_id=event.organiser_id,
            class_id=event.class_id,
            programme_id=event.programme_id,
            status=event.status.value,
            created_at=event.created_at,
        )


class OrganiserEvents(_Out):
    items: list[Event]


class Station(_Out):
    id: str
    event_id: str
    name: str
    credential: Literal["api_key", "ed25519"]
    public_key: str | None
    status: Literal["active", "retired"]
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def from_core(cls, station: CoreStation) -> Station:
        return cls(
            id=station.id,
            event_id=station.event_id,
            name=station.name,
            credential=station.credential.value,
            public_key=station.public_key,
            status=station.status.value,
            created_at=station.created_at,
            retired_at=station.retired_at,
        )


class NewStation(_Out):
    station: Station
    api_key: str | None = Field(
        description="The gate's API key: shown this once (null for an Ed25519 gate)."
    )


class StationList(_Out):
    items: list[Station]


class EventCheckIn(_Out):
    id: str
    event_id: str
    station_id: str
    checked_in_at: datetime

    @classmethod
    def from_core(cls, check_in: CoreCheckIn) -> EventCheckIn:
        return cls(
            id=check_in.id,
            event_id=check_in.event_id,
            station_id=check_in.station_id,
            checked_in_at=check_in.checked_in_at,
        )


class EventCheckIns(_Out):
    items: list[EventCheckIn]


class GatePhoto(_Out):
    media_type: str
    data: str = Field(description="The photo's bytes, base64.")


class GateReceipt(_Out):
    """What a gate is answered: never the full name nor the card's number."""

    check_in: EventCheckIn
    recorded: bool
    event_name: str
    institution: str
    masked_name: str = Field(examples=["H. Galih A. P."])
    card_status: Literal["active"]
    photo: GatePhoto | None = Field(
        description="The holder's photo as the server holds it (not from the QR): compare"
        " it with the face in front of the gate."
    )
    inside: int
    capacity: int | None

    @classmethod
    def from_core(cls, receipt: CoreReceipt) -> GateReceipt:
        photo = receipt.photo
        return cls(
            check_in=EventCheckIn.from_core(receipt.check_in),
            recorded=receipt.recorded,
            event_name=receipt.event_name,
            institution=receipt.institution,
            masked_name=receipt.masked_name,
            card_status="active",
            photo=None
            if photo is None
            else GatePhoto(
                media_type=photo.media_type,
                data=base64.b64encode(photo.content).decode("ascii"),
            ),
            inside=receipt.inside,
            capacity=receipt.capacity,
        )


class DoubleEntry(_Out):
    card_ref: str = Field(description="The card's reference (13 base32 symbols).")
    station_id: str
    at: datetime
    first_station_id: str
    first_at: datetime

    @classmethod
    def from_core(cls, entry: CoreDoubleEntry) -> DoubleEntry:
        symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        ref = "".join(symbols[(entry.card_ref >> s) & 31] for s in range(60, -1, -5))
        return cls(
            card_ref=ref,
            station_id=entry.station_id,
            at=entry.at,
            first_station_id=entry.first_station_id,
            first_at=entry.first_at,
        )


class EventCounts(_Out):
    event_id: str
    inside: int
    capacity: int | None
    remaining: int | None
    per_station: dict[str, int]
    double_entries: list[DoubleEntry]

    @classmethod
    def from_core(cls, counts: CoreCounts) -> EventCounts:
        return cls(
            event_id=counts.event_id,
            inside=counts.inside,
            capacity=counts.capacity,
            remaining=counts.remaining,
            per_station=dict(counts.per_station),
            double_entries=[DoubleEntry.from_core(d) for d in counts.double_entries],
        )


class GateSyncReport(_Out):
    event_id: str
    station_id: str
    received: int
    added: int
    duplicates: int
    unknown_cards: int
    double_entries: list[DoubleEntry]
    synced_ids: list[str]

    @classmethod
    def from_core(cls, report: CoreSyncReport) -> GateSyncReport:
        return cls(
            event_id=report.event_id,
            station_id=report.station_id,
            received=report.received,
            added=report.added,
            duplicates=report.duplicates,
            unknown_cards=report.unknown_cards,
            double_entries=[DoubleEntry.from_core(d) for d in report.double_entries],
            synced_ids=list(report.synced_ids),
        )


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------


def add_events(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add event entry's operations to ``router``."""
    organiser_errors = problem_responses(401, 403, 404, 405, 413, 422, 500)

    @router.get(
        "/events",
        operation_id="upcoming_events",
        tags=["events"],
        summary="Upcoming events a holder may make an access code for (public fields)",
        response_model=EventList,
        response_description="Scheduled events not closed yet, by opening time.",
        responses=problem_responses(405, 413, 500),
    )
    async def upcoming_events(
        kind: Annotated[Kind | None, Query(description="Only events of this kind.")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Response:
        events = await pool.run(lambda: svc.events.upcoming(limit=limit, kind=kind))
        return json_response(
            EventList(items=[PublicEvent.from_core(e) for e in events]),
            headers={"Cache-Control": "public, max-age=60"},
        )

    @router.post(
        "/events",
        operation_id="create_event",
        tags=["events"],
        summary="Create an event (the organiser is the calling verifier)",
        status_code=201,
        response_model=Event,
        response_description="The event.",
        responses=problem_responses(401, 403, 405, 409, 413, 422, 500),
    )
    async def create_event(organiser: Organiser, body: CreateEvent) -> Response:
        event = await pool.run(
            lambda: svc.events.create_event(
                organiser,
                id=body.id,
                name=body.name,
                kind=EventKind(body.kind),
                venue=body.venue,
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                region_code=body.region_code,
                capacity=body.capacity,
                class_id=body.class_id,
                programme_id=body.programme_id,
            )
        )
        return json_response(Event.from_core(event), 201)

    @router.get(
        "/organiser/events",
        operation_id="organiser_events",
        tags=["events"],
        summary="The calling organiser's events",
        response_model=OrganiserEvents,
        response_description="The events, by opening time.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def organiser_events(organiser: Organiser) -> Response:
        events = await pool.run(svc.events.events, organiser)
        return json_response(OrganiserEvents(items=[Event.from_core(e) for e in events]))

    @router.get(
        "/events/{event_id}",
        operation_id="get_event",
        tags=["events"],
        summary="One of the organiser's events",
        response_model=Event,
        response_description="The event.",
        responses=organiser_errors,
    )
    async def get_event(organiser: Organiser, event_id: EventId) -> Response:
        event = await pool.run(svc.events.event, event_id, organiser)
        return json_response(Event.from_core(event))

    @router.post(
        "/events/{event_id}/cancel",
        operation_id="cancel_event",
        tags=["events"],
        summary="Cancel an event: its gates admit no one, no new code is made for it",
        response_model=Event,
        response_description="The cancelled event.",
        responses=organiser_errors,
    )
    async def cancel_event(organiser: Organiser, event_id: EventId) -> Response:
        event = await pool.run(svc.events.cancel_event, organiser, event_id)
        return json_response(Event.from_core(event))

    @router.post(
        "/events/{event_id}/stations",
        operation_id="add_station",
        tags=["events"],
        summary="Register a gate: an Ed25519 public key, or an API key answered once",
        status_code=201,
        response_model=NewStation,
        response_description="The gate, and its API key (shown once).",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def add_station(organiser: Organiser, event_id: EventId, body: AddStation) -> Response:
        station, api_key = await pool.run(
            lambda: svc.events.add_station(
                organiser,
                event_id,
                name=body.name,
                station_id=body.station_id,
                public_key=body.public_key,
            )
        )
        return json_response(NewStation(station=Station.from_core(station), api_key=api_key), 201)

    @router.get(
        "/events/{event_id}/stations",
        operation_id="list_stations",
        tags=["events"],
        summary="The event's gates (retired ones too)",
        response_model=StationList,
        response_description="The gates, oldest first.",
        responses=organiser_errors,
    )
    async def list_stations(organiser: Organiser, event_id: EventId) -> Response:
        stations = await pool.run(svc.events.stations, organiser, event_id)
        return json_response(StationList(items=[Station.from_core(s) for s in stations]))

    @router.post(
        "/events/{event_id}/stations/{station_id}/retire",
        operation_id="retire_station",
        tags=["events"],
        summary="Retire a gate: its credential admits no one and its exports are refused",
        response_model=Station,
        response_description="The retired gate.",
        responses=organiser_errors,
    )
    async def retire_station(
        organiser: Organiser, event_id: EventId, station_id: StationId
    ) -> Response:
        station = await pool.run(svc.events.retire_station, organiser, event_id, station_id)
        return json_response(Station.from_core(station))

    @router.get(
        "/events/{event_id}/counts",
        operation_id="event_counts",
        tags=["events"],
        summary="Live counts: inside, capacity, per gate, double entries found at sync",
        response_model=EventCounts,
        response_description="The counts.",
        responses=organiser_errors,
    )
    async def event_counts(organiser: Organiser, event_id: EventId) -> Response:
        counts = await pool.run(lambda: svc.events.counts(event_id, organiser))
        return json_response(EventCounts.from_core(counts))

    @router.get(
        "/events/{event_id}/check-ins",
        operation_id="event_check_ins",
        tags=["events"],
        summary="The event's check-ins, oldest first",
        response_model=EventCheckIns,
        response_description="The check-ins.",
        responses=organiser_errors,
    )
    async def event_check_ins(organiser: Organiser, event_id: EventId) -> Response:
        check_ins = await pool.run(svc.events.check_ins, organiser, event_id)
        return json_response(EventCheckIns(items=[EventCheckIn.from_core(c) for c in check_ins]))

    @router.post(
        "/events/{event_id}/admissions",
        operation_id="admit",
        tags=["events"],
        summary="A gate admits an access code (the gate's own credential required)",
        status_code=201,
        response_model=GateReceipt,
        response_description="Admitted (201; 200 for a preview): the masked name, the card's"
        " status and the holder's photo from the server, for the face check.",
        dependencies=STATION_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 405, 409, 410, 413, 422, 500),
    )
    async def admit(credential: GateCredential, event_id: EventId, body: Admit) -> Response:
        receipt = await pool.run(
            lambda: svc.events.admit(
                body.token, event_id=event_id, credential=credential, preview=body.preview
            )
        )
        return json_response(GateReceipt.from_core(receipt), 200 if body.preview else 201)

    @router.post(
        "/events/{event_id}/sync",
        operation_id="sync_event",
        tags=["events"],
        summary="Merge an offline gate's signed export (earliest entry wins, doubles flagged)",
        response_model=GateSyncReport,
        response_description="What the merge did.",
        responses=problem_responses(401, 404, 405, 413, 422, 500),
    )
    async def sync_event(event_id: EventId, body: SyncExport) -> Response:
        export = SignedExport(event_id, body.station_id, body.check_ins, body.signature)
        report = await pool.run(svc.events.sync, export)
        return json_response(GateSyncReport.from_core(report))
