"""Event entry: events, the gates (stations) that admit to them, and what a gate refuses.

This module owns the records of use 7 of the card (a job fair, the opening of
a training, a Talent Festival …) and the pure rules around them:

* :class:`Event` — chosen id, kind, venue, time window, capacity, organiser
  (a registered verifier), status; its local time zone (WIB, WITA or WIT
  from its region, WIB when unknown) for the times a refusal shows.
* :class:`Station` — a gate of one event holding **its own credential**:
  an Ed25519 public key (the station keeps the private key and signs each
  online request and each offline export) or an API key stored only as an
  HMAC. A check-in is never an anonymous call.
* :class:`StationRequest` — the canonical text a station signs for an
  online admission (event, station, time, access code), and its parser.
* :class:`SignedExport` — an offline station's JSON Lines export with the
  station's Ed25519 signature over its bytes.
* :class:`GateError` — every refusal, with a stable code.
* :class:`Admission` and :data:`AdmissionCheck` — the seam through which
  other rules (class enrolment, programme eligibility) refuse an entry: a
  check gets the whole context of one admission and returns a refusal or
  ``None``.

Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final

from attrs import field, frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import WIB, month_name

if TYPE_CHECKING:
    from siapkerja_core.ports import Transaction
    from siapkerja_core.profile import Profile
    from siapkerja_core.records import AccountRecord, CardRecord

__all__ = [
    "REQUEST_WINDOW",
    "Admission",
    "AdmissionCheck",
    "CredentialKind",
    "DoubleEntry",
    "Event",
    "EventKind",
    "EventStatus",
    "GateError",
    "Refusal",
    "SignedExport",
    "Station",
    "StationKeyPair",
    "StationRequest",
    "StationStatus",
    "local_zone",
    "public_key_of",
    "valid_id",
]

REQUEST_WINDOW: Final = timedelta(seconds=120)
"""How far a signed request's timestamp may be from the server's clock, either way."""

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_TEXT: Final = 200
_REQUEST_HEADER: Final = "siapkerja-gate-request-v1"
_EXPORT_HEADER: Final = "siapkerja-gate-export-v1"
_EXPORT_MEMBERS: Final = ("event_id", "station_id", "signature")


class GateError(SiapkerjaError, ValueError):
    """An event or a gate refuses: the entry, the request, the record or the caller.

    Refusals at the gate: ``not_open`` (``opens_at``: local time and zone),
    ``closed``, ``full`` (``capacity``), ``already_inside`` (``since``: local
    time and zone), ``wrong_event``, ``expired``, ``revoked``. The gate's own
    credential: ``station_credential_required``, ``unknown_station``,
    ``station_retired``, ``bad_station_signature``, ``stale_request``,
    ``replayed_request``, ``station_not_for_event`` (a gate of another event).
    A typed short code: ``short_code_invalid`` (wrong, old, or no such card number),
    ``short_code_locked`` (too many wrong ones for the card or the gate: ``minutes``).
    Records: ``unknown_event``, ``event_cancelled``,
    ``invalid_event`` / ``invalid_station`` (``field``), ``event_exists``,
    ``station_exists``, ``not_organiser``, ``bad_export``.
    """

    domain = "gate"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "not_open",
            "closed",
            "full",
            "already_inside",
            "wrong_event",
            "expired",
            "revoked",
            "suspended",
            "unknown_event",
            "unknown_station",
            "station_retired",
            "bad_station_signature",
            "station_credential_required",
            "station_not_for_event",
            "stale_request",
            "replayed_request",
            "event_cancelled",
            "invalid_event",
            "invalid_station",
            "event_exists",
            "station_exists",
            "not_organiser",
            "bad_export",
            "short_code_invalid",
            "short_code_locked",
        }
    )


def valid_id(value: object) -> bool:
    """Whether ``value`` is an event or station id: ASCII letters, digits, ``.``, ``_``, ``-``;
    1 to 64 characters, starting with a letter or digit (no spaces)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


# --- time zones ---------------------------------------------------------------------

_WITA: Final = timezone(timedelta(hours=8), "WITA")
_WIT: Final = timezone(timedelta(hours=9), "WIT")
# Province codes (Kemendagri) by zone; every other province is on WIB. Indonesia
# keeps no daylight saving time, so fixed offsets are exact.
_WITA_PROVINCES: Final = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
_WIT_PROVINCES: Final = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})


def local_zone(region_code: str | None) -> tzinfo:
    """WIB, WITA or WIT for a region code (its province, the first two digits); WIB if unknown."""
    province = (region_code or "")[:2]
    if province in _WIT_PROVINCES:
        return _WIT
    if province in _WITA_PROVINCES:
        return _WITA
    return WIB


# --- events -----------------------------------------------------------------------


class EventKind(StrEnum):
    JOB_FAIR = "job_fair"
    TRAINING_OPENING = "training_opening"
    TALENT_FESTIVAL = "talent_festival"
    CLASS_SESSION = "class_session"
    PROGRAMME_INTAKE = "programme_intake"
    OTHER = "other"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def _invalid(kind: str, name: str) -> GateError:
    return GateError(f"invalid_{kind}", field=name)


def _check_id(kind: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if not valid_id(value):
            raise _invalid(kind, attribute.name)

    return check


def _check_text(kind: str, *, optional: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if value is None and optional:
            return
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > _MAX_TEXT
            or any(ord(c) < 32 or ord(c) == 127 for c in value)
        ):
            raise _invalid(kind, attribute.name)

    return check


def _aware(kind: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise _invalid(kind, attribute.name)

    return check


def _to_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return value


def _event_kind(value: Any) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        raise _invalid("event", "kind") from None


def _event_status(value: Any) -> EventStatus:
    try:
        return EventStatus(value)
    except ValueError:
        raise _invalid("event", "status") from None


def _check_capacity(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and (type(value) is not int or not 1 <= value <= 10_000_000):
        raise _invalid("event", "capacity")


def _check_region(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and (
        not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 13
    ):
        raise _invalid("event", "region_code")


@frozen(kw_only=True)
class Event:
    """An event gates admit to. ``id`` is the organiser's choice (it is what access codes
    are minted for); ``organiser_id`` is the registered verifier that runs it.

    :raises GateError: ``invalid_event`` naming the field.
    """

    id: str = field(validator=_check_id("event"))
    name: str = field(validator=_check_text("event"))
    kind: EventKind = field(converter=_event_kind)
    venue: str = field(validator=_check_text("event"))
    opens_at: datetime = field(converter=_to_utc, validator=_aware("event"))
    closes_at: datetime = field(converter=_to_utc, validator=_aware("event"))
    organiser_id: str = field(validator=_check_text("event"))
    created_at: datetime = field(converter=_to_utc, validator=_aware("event"))
    region_code: str | None = field(default=None, validator=_check_region)
    capacity: int | None = field(default=None, validator=_check_capacity)
    class_id: str | None = field(default=None, validator=_check_text("event", optional=True))
    programme_id: str | None = field(default=None, validator=_check_text("event", optional=True))
    status: EventStatus = field(default=EventStatus.SCHEDULED, converter=_event_status)

    def __attrs_post_init__(self) -> None:
        if self.closes_at <= self.opens_at:
            raise _invalid("event", "closes_at")

    @property
    def cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    @property
    def zone(self) -> tzinfo:
        """The event's local time zone (WIB, WITA or WIT; WIB when the region is unknown)."""
        return local_zone(self.region_code)

    def local_time(self, moment: datetime) -> str:
        """``moment`` as the gate says it: ``"08.30 WIB"`` (Indonesian style, the zone named)."""
        local = moment.astimezone(self.zone)
        return f"{local:%H.%M} {local.tzname()}"

    def local_since(self, moment: datetime, now: datetime) -> dict[str, str]:
        """``moment`` for a refusal's ``since``, in both languages: the time alone
        when it was today in the event's zone, else with the day and month (an
        event may last days: "sejak pukul 16.32" would be yesterday's or today's).

        ``since`` is the time alone (as before); ``since_id`` / ``since_en`` the
        phrase each message names: ``"5 Desember pukul 16.32 WIB"`` /
        ``"5 December, 16.32 WIB"``.
        """
        local = moment.astimezone(self.zone)
        time = self.local_time(moment)
        if local.date() == now.astimezone(self.zone).date():
            return {"since": time, "since_id": f"pukul {time}", "since_en": time}
        day = local.day
        return {
            "since": time,
            "since_id": f"{day} {month_name(local.month, 'id')} pukul {time}",
            "since_en": f"{day} {month_name(local.month, 'en')}, {time}",
        }

    def window_refusal(self, now: datetime) -> GateError | None:
        """``not_open`` before ``opens_at``, ``closed`` from ``closes_at``; ``None`` inside."""
        if self.cancelled:
            return GateError("event_cancelled", event_id=self.id)
        if now < self.opens_at:
            return GateError("not_open", opens_at=self.local_time(self.opens_at))
        if now >= self.closes_at:
            return GateError("closed", closed_at=self.local_time(self.closes_at))
        return None


# --- stations ---------------------------------------------------------------------


class CredentialKind(StrEnum):
    API_KEY = "api_key"
    ED25519 = "ed25519"


class StationStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


def _credential_kind(value: Any) -> CredentialKind:
    try:
        return CredentialKind(value)
    except ValueError:
        raise _invalid("station", "credential") from None


def _station_status(value: Any) -> StationStatus:
    try:
        return StationStatus(value)
    except ValueError:
        raise _invalid("station", "status") from None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("base64url") from None


def public_key_of(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key in ``text`` (32 raw bytes, base64url).

    :raises GateError: ``invalid_station`` (``field="public_key"``).
    """
    try:
        raw = _unb64url(text.strip())
        if len(raw) != 32:
            raise ValueError("length")
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, AttributeError):
        raise _invalid("station", "public_key") from None


def _check_public_key(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None:
        if not isinstance(value, str):
            raise _invalid("station", "public_key")
        public_key_of(value)


@frozen(kw_only=True)
class Station:
    """A gate of one event and its credential.

    ``credential`` says which one it holds: ``ed25519`` (``public_key``,
    base64url of the 32 raw bytes; the private key never leaves the
    station) or ``api_key`` (``key_hash``, the HMAC of a key shown once).
    """

    id: str = field(validator=_check_id("station"))
    event_id: str = field(validator=_check_id("station"))
    name: str = field(validator=_check_text("station"))
    credential: CredentialKind = field(converter=_credential_kind)
    created_at: datetime = field(converter=_to_utc, validator=_aware("station"))
    public_key: str | None = field(default=None, validator=_check_public_key)
    key_hash: str | None = field(default=None, repr=False)
    status: StationStatus = field(default=StationStatus.ACTIVE, converter=_station_status)
    retired_at: datetime | None = field(default=None, converter=_to_utc)

    def __attrs_post_init__(self) -> None:
        if self.credential is CredentialKind.ED25519 and self.public_key is None:
            raise _invalid("station", "public_key")
        if self.credential is CredentialKind.API_KEY and not self.key_hash:
            raise _invalid("station", "key_hash")

    @property
    def active(self) -> bool:
        return self.status is StationStatus.ACTIVE

    def verify(self, message: bytes, signature: str) -> bool:
        """Whether ``signature`` (base64url) is this station's Ed25519 signature of ``message``."""
        if self.public_key is None:
            return False
        try:
            raw = _unb64url(signature.strip())
        except ValueError:
            return False
        if len(raw) != 64:
            return False
        try:
            public_key_of(self.public_key).verify(raw, message)
        except InvalidSignature:
            return False
        return True


@frozen
class StationKeyPair:
    """A station's Ed25519 key pair: ``private_key`` stays on the station, ``public_key``
    (both base64url of the raw bytes) is what the organiser registers."""

    private_key: str = field(repr=False)
    public_key: str

    @classmethod
    def generate(cls) -> StationKeyPair:
        return cls.from_private(_b64url(_raw_private(Ed25519PrivateKey.generate())))

    @classmethod
    def from_private(cls, private_key: str) -> StationKeyPair:
        key = _private_key(private_key)
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(private_key, _b64url(public))

    def sign(self, message: bytes) -> str:
        """The base64url Ed25519 signature of ``message``."""
        return _b64url(_private_key(self.private_key).sign(message))

    def sign_request(self, request: StationRequest) -> str:
        return self.sign(request.canonical())


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _private_key(text: str) -> Ed25519PrivateKey:
    raw = _unb64url(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


# --- the signed online request -------------------------------------------------------


def _check_code(_instance: Any, _attribute: Any, value: Any) -> None:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > 512
        or not value.isascii()
        or any(c.isspace() or not c.isprintable() for c in value)
    ):
        raise GateError("bad_station_signature")


def _check_timestamp(_instance: Any, _attribute: Any, value: Any) -> None:
    if type(value) is not int or not 0 <= value < 10**11:
        raise GateError("bad_station_signature")


def _check_request_id(_instance: Any, _attribute: Any, value: Any) -> None:
    if not valid_id(value):
        raise GateError("bad_station_signature")


@frozen
class StationRequest:
    """What a station signs to admit one code online.

    The canonical form is five lines joined by ``\\n`` (no trailing newline),
    ASCII only::

        siapkerja-gate-request-v1
        <event id>
        <station id>
        <unix time, whole seconds>
        <the access code as scanned>

    :meth:`canonical` writes it, :meth:`parse` reads it back (and refuses
    anything that is not exactly that form).
    """

    event_id: str = field(validator=_check_request_id)
    station_id: str = field(validator=_check_request_id)
    timestamp: int = field(validator=_check_timestamp)
    code: str = field(validator=_check_code)

    def canonical(self) -> bytes:
        return "\n".join(
            (_REQUEST_HEADER, self.event_id, self.station_id, str(self.timestamp), self.code)
        ).encode("ascii")

    @classmethod
    def parse(cls, data: bytes) -> StationRequest:
        """The request whose canonical form is ``data``.

        :raises GateError: ``bad_station_signature`` for anything else.
        """
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise GateError("bad_station_signature") from None
        parts = text.split("\n")
        if len(parts) != 5 or parts[0] != _REQUEST_HEADER:
            raise GateError("bad_station_signature")
        _, event_id, station_id, stamp, code = parts
        if not stamp.isdigit() or (len(stamp) > 1 and stamp[0] == "0"):
            raise GateError("bad_station_signature")
        return cls(event_id, station_id, int(stamp), code)

    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def digest(self) -> str:
        """A short fingerprint of the request, for refusing a replay of it."""
        return hashlib.sha256(self.canonical()).hexdigest()[:32]


# --- the signed offline export --------------------------------------------------------


@frozen
class SignedExport:
    """An offline station's check-ins (JSON Lines, ``body``) signed by the station.

    The signature (Ed25519, base64url) covers :meth:`message`: a header line,
    the event id, the station id, then the body's bytes exactly. As text
    (:meth:`to_text`) the export is one JSON line ``{"event_id", "signature",
    "station_id", "v": 1}`` followed by the body.
    """

    event_id: str
    station_id: str
    body: str
    signature: str

    @staticmethod
    def message_for(event_id: str, station_id: str, body: str) -> bytes:
        return f"{_EXPORT_HEADER}\n{event_id}\n{station_id}\n".encode() + body.encode("utf-8")

    def message(self) -> bytes:
        return self.message_for(self.event_id, self.station_id, self.body)

    @classmethod
    def sign(cls, keys: StationKeyPair, event_id: str, station_id: str, body: str) -> SignedExport:
        return cls(
            event_id, station_id, body, keys.sign(cls.message_for(event_id, station_id, body))
        )

    def to_text(self) -> str:
        header = {
            "event_id": self.event_id,
            "signature": self.signature,
            "station_id": self.station_id,
            "v": 1,
        }
        return json.dumps(header, sort_keys=True, separators=(",", ":")) + "\n" + self.body

    @classmethod
    def parse(cls, text: str) -> SignedExport:
        """Read :meth:`to_text`. :raises GateError: ``bad_export`` when it is not that form."""
        head, newline, body = text.partition("\n")
        try:
            header = json.loads(head)
        except ValueError:
            raise GateError("bad_export") from None
        if (
            not newline
            or not isinstance(header, dict)
            or header.get("v") != 1
            or not all(
                isinstance(header.get(k), str) for k in ("event_id", "station_id", "signature")
            )
        ):
            raise GateError("bad_export")
        return cls(header["event_id"], header["station_id"], body, header["signature"])


# --- double entries -----------------------------------------------------------------


@frozen(kw_only=True)
class DoubleEntry:
    """A card seen entering at two stations (found when an offline export is synced).

    The earlier check-in stays the check-in; this records the other one so an
    organiser can look (a shared code, a second person). ``first_station_id``
    and ``first_at`` are the check-in kept; ``station_id`` and ``at`` the other.
    """

    event_id: str
    card_ref: int
    station_id: str
    at: datetime = field(converter=_to_utc)
    first_station_id: str
    first_at: datetime = field(converter=_to_utc)


# --- the admission seam ---------------------------------------------------------------

Refusal = SiapkerjaError
"""What an admission check answers to refuse: any typed error (a class's own, a GateError)."""


@frozen(kw_only=True)
class Admission:
    """Everything one admission is decided on, handed to each :data:`AdmissionCheck`.

    ``tx`` is the admission's unit of work (read more records through it: an
    enrolment, a programme's rules); the check-in is written in it only if
    every check passes. ``profile`` is ``None`` when the holder never edited one.
    """

    tx: Transaction
    event: Event
    station: Station
    account: AccountRecord
    profile: Profile | None
    card: CardRecord
    now: datetime
    preview: bool = False
    """Every check is made and no entry will be written (only the holder's ledger
    entry): a check that records (a programme's enrolment) records only when this is false."""


AdmissionCheck = Callable[[Admission], "Refusal | None"]
"""A rule an event's gates apply: a refusal (raised to the gate) or ``None`` to let pass."""
