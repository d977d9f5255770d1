"""An offline scanning station for access codes, and the merge that syncs its check-ins.

A station at an event (a job fair, a BLK class, a programme session) holds
only the **public** access keys (:meth:`Keyring.public`, or a JWK Set from
:meth:`Keyring.public_jwks`). It verifies each code offline
(:func:`~siapkerja_core.tokens.verify_access`), records the first check-in of
each card for its event, refuses a second one with the time of the first
(``token.replayed``), and keeps its check-ins until the service has them.

Syncing loses nothing and doubles nothing, however often it runs and however
many stations saw the same person:

* a check-in is keyed by (card, event) (:attr:`CheckIn.key`), and its ``id``
  is a hash of that pair only, so the same person at the same event has the
  same key and id on every station and in every export;
* :func:`merge_check_ins` keeps, per key, the **earliest** check-in, with a
  total order (time, then station, step and key id) so that the result does
  not depend on the order in which exports arrive, nor on repeats.

Pure: no I/O. The station's clock is injected; :meth:`OfflineStation.export`
returns JSON Lines text that the caller stores or sends, and
:func:`read_check_ins` parses it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, NamedTuple

from attrs import field, frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.frames import Column, Table
from siapkerja_core.gates import SignedExport, StationKeyPair
from siapkerja_core.i18n import timed
from siapkerja_core.tokens import (
    ALPHABET,
    DEFAULT_PERIOD,
    AccessClaims,
    Keyring,
    TokenError,
    verify_access,
)
from siapkerja_core.tokens.status_list import (
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusListError,
    StatusListToken,
    verify_status_list,
)

__all__ = [
    "CheckIn",
    "CheckInError",
    "CheckInKey",
    "CheckInList",
    "MergeResult",
    "OfflineStation",
    "check_in_id",
    "merge_check_ins",
    "read_check_ins",
]

_VALUE: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}

CheckInKey = tuple[int, str]
"""``(card_ref, event_id)``: one check-in per key."""


class CheckInError(SiapkerjaError, ValueError):
    """A line of a check-in export cannot be read (``line``: its 1-based number)."""

    domain = "checkin"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "malformed_record",
        }
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("checked_in_at must be timezone-aware (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC)


def _card_text(card_ref: int) -> str:
    """``card_ref`` as 13 Crockford symbols: JSON-safe (2**64 is beyond a JS number)."""
    return "".join(ALPHABET[(card_ref >> shift) & 31] for shift in range(60, -1, -5))


def _card_value(text: str) -> int:
    if len(text) != 13 or not all(symbol in _VALUE for symbol in text):
        raise ValueError("card_ref")
    value = 0
    for symbol in text:
        value = value * 32 + _VALUE[symbol]
    if value >= 2**64:
        raise ValueError("card_ref")
    return value


def check_in_id(event_id: str, card_ref: int) -> str:
    """The id of the check-in of card ``card_ref`` at ``event_id``: the same on every station.

    26 Crockford symbols of SHA-256("siapkerja.checkin", event, card): 130
    bits, so ids of different (event, card) pairs do not collide in practice.
    """
    digest = hashlib.sha256(
        b"siapkerja.checkin\x00" + event_id.encode("utf-8") + b"\x00" + card_ref.to_bytes(8, "big")
    ).digest()
    value = int.from_bytes(digest[:17], "big") >> 6  # the first 130 bits
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


@frozen
class CheckIn:
    """One card's check-in at one event, as a station saw it.

    ``id`` is :func:`check_in_id` of (``event_id``, ``card_ref``), computed,
    never given. ``checked_in_at`` is the station's clock, in UTC; ``step`` and
    ``kid`` come from the access code that was scanned (the code itself is
    not kept).
    """

    id: str = field(init=False)
    card_ref: int
    event_id: str
    station_id: str
    checked_in_at: datetime = field(converter=_utc)
    step: int
    kid: str

    def __attrs_post_init__(self) -> None:
        if type(self.card_ref) is not int or not 0 <= self.card_ref < 2**64:
            raise ValueError("card_ref must be an int in 0..2**64-1")
        object.__setattr__(self, "id", check_in_id(self.event_id, self.card_ref))

    @classmethod
    def record(
        cls,
        *,
        card_ref: int,
        event_id: str,
        station_id: str,
        checked_in_at: datetime,
        step: int,
        kid: str,
    ) -> CheckIn:
        """A new check-in (the constructor, keywords only)."""
        return cls(card_ref, event_id, station_id, checked_in_at, step, kid)

    @property
    def key(self) -> CheckInKey:
        """``(card_ref, event_id)``: what :func:`merge_check_ins` keeps one of."""
        return (self.card_ref, self.event_id)

    def rank(self) -> tuple[datetime, str, int, str]:
        """The merge order: earliest first; ties broken by station, step, key id."""
        return (self.checked_in_at, self.station_id, self.step, self.kid)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``card_ref`` as 13 base32 symbols, the time in ISO 8601)."""
        return {
            "id": self.id,
            "card_ref": _card_text(self.card_ref),
            "event_id": self.event_id,
            "station_id": self.station_id,
            "checked_in_at": self.checked_in_at.isoformat(),
            "step": self.step,
            "kid": self.kid,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckIn:
        """The inverse of :meth:`to_dict`. :raises ValueError: with the bad field's name."""
        for name in ("card_ref", "event_id", "station_id", "checked_in_at", "kid"):
            if not isinstance(data.get(name), str):
                raise ValueError(name)
        step = data.get("step")
        if type(step) is not int or step < 0:
            raise ValueError("step")
        try:
            card_ref = _card_value(data["card_ref"])
        except ValueError:
            raise ValueError("card_ref") from None
        try:
            moment = _utc(datetime.fromisoformat(data["checked_in_at"]))
        except ValueError:
            raise ValueError("checked_in_at") from None
        check_in = cls(
            card_ref=card_ref,
            event_id=data["event_id"],
            station_id=data["station_id"],
            checked_in_at=moment,
            step=step,
            kid=data["kid"],
        )
        if "id" in data and data["id"] != check_in.id:
            raise ValueError("id")
        return check_in

    def to_json(self) -> str:
        """One line of JSON: sorted keys, no spaces (a stable byte string)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


class CheckInList(list[CheckIn], Table):
    """An event's check-ins (its attendance), oldest first: a list of :class:`CheckIn` s.

    Still a plain list; in a notebook it shows as a table, and :meth:`to_frame`
    gives a pandas DataFrame, one row a check-in (``checked_in_at`` as
    ``datetime64[ns, UTC]``, ``card_ref`` as its 13 base32 symbols).
    """

    __slots__ = ()

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("checked_in_at", "datetime"),
        Column("event_id"),
        Column("station_id"),
        Column("card_ref"),
        Column("step", "int"),
        Column("kid"),
        Column("id"),
    )
    TABLE_CAPTION: ClassVar[str | None] = "Kehadiran acara / event check-ins"

    def rows(self) -> list[dict[str, Any]]:
        """One dict a check-in: :meth:`CheckIn.to_dict` with the time as a ``datetime``."""
        return [{**c.to_dict(), "checked_in_at": c.checked_in_at} for c in self]

    def to_dict(self) -> dict[str, Any]:
        """``{"check_ins": [...]}``: each :meth:`CheckIn.to_dict`."""
        return {"check_ins": [c.to_dict() for c in self]}


def read_check_ins(text: str) -> tuple[CheckIn, ...]:
    """The check-ins of a JSON Lines export (:meth:`OfflineStation.export`); blank lines skipped.

    :raises CheckInError: ``malformed_record`` with the line number and the field.
    """
    check_ins = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise CheckInError("malformed_record", line=number, field="JSON") from None
        if not isinstance(data, dict):
            raise CheckInError("malformed_record", line=number, field="JSON")
        try:
            check_ins.append(CheckIn.from_dict(data))
        except ValueError as error:
            raise CheckInError("malformed_record", line=number, field=str(error)) from None
    return tuple(check_ins)


class MergeResult(NamedTuple):
    """What :func:`merge_check_ins` did.

    ``merged``: the check-ins by key, one per (card, event), each the earliest
    seen; ``added``: the incoming check-ins now in ``merged`` (a new pair, or
    earlier than the one held, which it superseded); ``duplicates``: the
    incoming check-ins not kept (already held, or a later time). Every
    incoming check-in is in exactly one of ``added`` and ``duplicates``.
    """

    merged: dict[CheckInKey, CheckIn]
    added: tuple[CheckIn, ...]
    duplicates: tuple[CheckIn, ...]


def merge_check_ins(
    existing: Mapping[CheckInKey, CheckIn], incoming: Iterable[CheckIn]
) -> MergeResult:
    """Merge ``incoming`` check-ins into ``existing`` (by key), keeping the earliest per key.

    Pure: ``existing`` is not changed. The result does not depend on the order
    of ``incoming`` nor on repeats in it: merging the same export twice, or
    two stations' exports in either order, gives the same ``merged``.
    """
    merged = dict(existing)
    added: dict[CheckInKey, CheckIn] = {}
    duplicates: list[CheckIn] = []
    for check_in in incoming:
        key = (check_in.card_ref, check_in.event_id)
        held = merged.get(key)
        if held is None or check_in.rank() < held.rank():
            if held is not None and added.get(key) is held:
                duplicates.append(held)  # an earlier incoming one supersedes it
            merged[key] = check_in
            added[key] = check_in
        else:
            duplicates.append(check_in)
    return MergeResult(merged, tuple(added.values()), tuple(duplicates))


class OfflineStation:
    """A scanning station for one event that works without a network.

    :param keyring_public: the access public keys (a full keyring is reduced
        to its public part: a station never holds a private key).
    :param event_id: the purpose the station admits (an event, a class, a
        programme id); codes made for another purpose are ``wrong_purpose``.
    :param station_id: names this station in its check-ins.
    :param clock: the station's clock (timezone-aware datetimes).
    :param period: seconds per access-code step (as the codes were minted).
    :param leeway_steps: steps of clock difference tolerated either way.
    :param records: check-ins to start from (a restart: what an earlier
        export or a local store held), all for ``event_id``.
    :param synced: ids among ``records`` the service already has.
    :param status_list: a status list token to start from (see
        :meth:`update_status_list`).
    :param require_status_list: refuse every code (``token.status_stale``)
        while the station holds no status list. Once it holds one, the list's
        age is always enforced.
    :param status_max_age: the most seconds after its ``iat`` the station
        relies on a list (default: the list's own ``ttl``; a smaller value
        makes the station stricter, never laxer).
    :param signing_key: the station's own Ed25519 private key (base64url, as
        :class:`~siapkerja_core.gates.StationKeyPair` holds it), whose public
        half the organiser registered: :meth:`signed_export` signs with it.
    """

    def __init__(
        self,
        keyring_public: Keyring,
        event_id: str,
        station_id: str,
        clock: Callable[[], datetime],
        *,
        period: int = DEFAULT_PERIOD,
        leeway_steps: int = 1,
        records: Iterable[CheckIn] = (),
        synced: Iterable[str] = (),
        status_list: str | None = None,
        require_status_list: bool = False,
        status_max_age: int | None = None,
        signing_key: StationKeyPair | str | None = None,
    ) -> None:
        self._signing_key = (
            StationKeyPair.from_private(signing_key)
            if isinstance(signing_key, str)
            else signing_key
        )
        self._keyring = keyring_public.public()
        self.event_id = event_id
        self.station_id = station_id
        self._clock = clock
        self.period = period
        self.leeway_steps = leeway_steps
        self._records: dict[CheckInKey, CheckIn] = {}
        self._synced: set[str] = set()
        self.absorb(records, synced=False)
        self.mark_synced(synced)
        self.require_status_list = require_status_list
        self.status_max_age = status_max_age
        self._status: StatusListToken | None = None
        self._status_fetched_at: datetime | None = None
        if status_list is not None:
            self.update_status_list(status_list)

    @property
    def keyring(self) -> Keyring:
        """The public keyring codes are verified with."""
        return self._keyring

    def update_keyring(self, keyring: Keyring) -> None:
        """Trust a newer key set (e.g. from a fresh JWKS); its public part is kept."""
        self._keyring = keyring.public()

    # --- the status list ---------------------------------------------------------------

    def update_status_list(self, token: str) -> StatusListToken:
        """Hold a freshly fetched status list (``GET /api/v1/status-lists/cards``).

        Its signature is checked with the station's keyring (the same public
        keys as access codes), and its ``iat`` and ``exp`` with the station's
        clock; the fetch time is kept. A list older than the one held is
        refused (a replayed old list must not undo a revocation).

        :raises StatusListError: ``malformed``, ``forged``, ``expired`` (then the
            list held before stays).
        """
        now = self._clock()
        verified = verify_status_list(
            self._keyring, token, now, leeway=self.period * max(1, self.leeway_steps)
        )
        held = self._status
        if held is not None and verified.iat < held.iat:
            raise StatusListError(
                "expired", **timed("iat", verified.iat), **timed("exp", verified.exp)
            )
        self._status = verified
        self._status_fetched_at = now
        return verified

    @property
    def status_list(self) -> StatusListToken | None:
        """The status list held (verified), or ``None``."""
        return self._status

    @property
    def status_fetched_at(self) -> datetime | None:
        """When the held status list was taken in (the station's clock)."""
        return self._status_fetched_at

    def status_fresh_until(self) -> datetime | None:
        """When the held list stops being relied on: its ``exp``, or ``iat`` plus the
        station's ``status_max_age`` if earlier. ``None`` with no list."""
        held = self._status
        if held is None:
            return None
        limit = held.exp
        age = held.ttl if self.status_max_age is None else min(held.ttl, self.status_max_age)
        return min(limit, held.iat + timedelta(seconds=age))

    def _check_status(self, claims: AccessClaims, now: datetime) -> None:
        """Refuse a card the held list marks, or every card when the list is too old."""
        held = self._status
        if held is None:
            if self.require_status_list:
                raise TokenError("status_stale")
            return
        until = self.status_fresh_until()
        assert until is not None
        if now >= until:
            raise TokenError("status_stale")
        if claims.status_index >= held.status_list.size:
            # A card newer than the list: the list cannot vouch for it.
            raise TokenError("status_stale")
        status = held.status_list.status(claims.status_index)
        if status == STATUS_SUSPENDED:
            raise TokenError("suspended")
        if status != STATUS_VALID:
            raise TokenError("revoked")

    def scan(self, token: str) -> CheckIn:
        """Verify an access code offline and record the card's first check-in at this event.

        With a status list held, the card's entry must be valid and the list
        fresh (see :meth:`update_status_list`).

        :raises TokenError: whatever :func:`verify_access` raises;
            ``status_stale`` (no list while one is required, or the list is
            older than its maximum age, or does not reach the card's index);
            ``revoked`` or ``suspended`` (the card's entry in the list); or
            ``replayed`` (``first_at``: ISO 8601, UTC) if the card already
            checked in here — with this code or any other.
        """
        now = self._clock()
        claims = verify_access(
            self._keyring, token, self.event_id, now, self.period, self.leeway_steps
        )
        self._check_status(claims, now)
        key = (claims.card_ref, self.event_id)
        first = self._records.get(key)
        if first is not None:
            raise TokenError("replayed", first_at=first.checked_in_at.isoformat())
        check_in = CheckIn(
            card_ref=claims.card_ref,
            event_id=self.event_id,
            station_id=self.station_id,
            checked_in_at=now,
            step=claims.step,
            kid=claims.kid,
        )
        self._records[key] = check_in
        return check_in

    def check_ins(self) -> tuple[CheckIn, ...]:
        """Every check-in the station holds, oldest first."""
        return tuple(sorted(self._records.values(), key=lambda c: (c.checked_in_at, c.id)))

    def pending(self) -> tuple[CheckIn, ...]:
        """The check-ins the service does not have yet, oldest first."""
        return tuple(c for c in self.check_ins() if c.id not in self._synced)

    def export(self) -> str:
        """The pending check-ins as JSON Lines, oldest first (``""`` when none)."""
        return "".join(c.to_json() + "\n" for c in self.pending())

    def signed_export(self) -> SignedExport:
        """:meth:`export` signed with the station's key: what the service's sync accepts.

        :raises ValueError: the station was made without ``signing_key``.
        """
        if self._signing_key is None:
            raise ValueError("this station has no signing key: pass signing_key=")
        return SignedExport.sign(self._signing_key, self.event_id, self.station_id, self.export())

    def mark_synced(self, ids: Iterable[str]) -> int:
        """Record that the service has these check-ins; returns how many were pending."""
        held = {check_in.id for check_in in self._records.values()}
        newly = {i for i in ids if i in held and i not in self._synced}
        self._synced |= newly
        return len(newly)

    def absorb(self, check_ins: Iterable[CheckIn], *, synced: bool = True) -> MergeResult:
        """Take in check-ins seen elsewhere (the service, another station) for this event.

        Earliest wins, as in :func:`merge_check_ins`; with ``synced`` (the
        default, for check-ins that came from the service) they are not
        exported again. A card absorbed this way is refused as ``replayed``.

        :raises ValueError: a check-in for another event.
        """
        incoming = tuple(check_ins)
        for check_in in incoming:
            if check_in.event_id != self.event_id:
                raise ValueError("a station only holds check-ins of its own event")
        result = merge_check_ins(self._records, incoming)
        self._records = result.merged
        if synced:
            self._synced |= {c.id for c in result.added}
        else:
            self._synced -= {c.id for c in result.added}
        return result
