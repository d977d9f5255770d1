"""Event entry in the ``sql`` storage: ``tx.gates`` over ``sk_events``, ``sk_stations`` and
``sk_double_entries``.

``event(id, lock=True)`` reads the event ``FOR UPDATE`` on PostgreSQL, so the
admissions to one event queue on its row and a capacity check and the
check-in it allows are one step; SQLite serialises writers already (``BEGIN
IMMEDIATE``). Inserts use ``ON CONFLICT DO NOTHING … RETURNING`` so a taken
id is a :class:`~siapkerja_core.ports.GateConflict` and the transaction stays usable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _Repository, reads
from siapkerja_core.gates import DoubleEntry, Event, Station
from siapkerja_core.ports import GateConflict

__all__ = ["GateRepository"]

_E = sk.events.c
_S = sk.stations.c
_D = sk.double_entries.c

_STATEMENTS: dict[str, dict[str, Executable]] = {}


def _inserts(dialect: str) -> dict[str, Executable]:
    """The dialect's ``INSERT … ON CONFLICT DO NOTHING RETURNING`` of each table (made once)."""
    made = _STATEMENTS.get(dialect)
    if made is None:
        insert = pg_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert
        made = _STATEMENTS[dialect] = {
            "event": insert(sk.events).on_conflict_do_nothing().returning(_E.id),
            "station": insert(sk.stations).on_conflict_do_nothing().returning(_S.id),
            "double": insert(sk.double_entries).on_conflict_do_nothing().returning(_D.event_id),
        }
    return made


class GateRepository(_Repository):
    __slots__ = ()
    _EVENT: ClassVar = select(sk.events).where(_E.id == bindparam("id"))
    _EVENT_LOCKED: ClassVar = _EVENT.with_for_update()
    _UPCOMING: ClassVar = (
        select(sk.events)
        .where(_E.closes_at > bindparam("closes_after", type_=_E.closes_at.type))
        .order_by(_E.opens_at, _E.id)
        .limit(bindparam("limit"))
    )
    _UPDATE_EVENT: ClassVar = update(sk.events).where(_E.id == bindparam("b_id"))
    _STATION: ClassVar = select(sk.stations).where(
        _S.event_id == bindparam("event_id"), _S.id == bindparam("id")
    )
    _BY_KEY: ClassVar = select(sk.stations).where(_S.key_hash == bindparam("key_hash"))
    _UPDATE_STATION: ClassVar = update(sk.stations).where(
        _S.event_id == bindparam("b_event_id"), _S.id == bindparam("b_id")
    )
    _STATIONS: ClassVar = (
        select(sk.stations)
        .where(_S.event_id == bindparam("event_id"))
        .order_by(_S.created_at, _S.id)
    )
    _DOUBLES: ClassVar = (
        select(sk.double_entries)
        .where(_D.event_id == bindparam("event_id"))
        .order_by(_D.at, _D.card_ref, _D.station_id)
    )

    def event(self, event_id: str, *, lock: bool = False) -> Event | None:
        statement = self._EVENT_LOCKED if lock else self._EVENT
        row = self._tx.fetch(statement, {"id": event_id}).first()
        return None if row is None else _event(row)

    def add_event(self, event: Event) -> None:
        inserted = self._tx.run(_inserts(self._storage.dialect)["event"], _event_params(event))
        if inserted.first() is None:
            raise GateConflict(event.id)

    def put_event(self, event: Event) -> None:
        values = {k: v for k, v in _event_params(event).items() if k != "id"}
        if not self._tx.run(self._UPDATE_EVENT, {**values, "b_id": event.id}).rowcount:
            raise KeyError(event.id)

    def events(
        self,
        *,
        organiser_id: str | None = None,
        closes_after: datetime | None = None,
        limit: int = 100,
    ) -> list[Event]:
        if organiser_id is None and closes_after is not None:
            # The holder's card page asks this on every visit: one statement, compiled once.
            params = {"closes_after": closes_after, "limit": limit}
            return [_event(row) for row in self._tx.fetch(self._UPCOMING, params)]
        statement = select(sk.events)
        if organiser_id is not None:
            statement = statement.where(_E.organiser_id == organiser_id)
        if closes_after is not None:
            statement = statement.where(_E.closes_at > closes_after)
        statement = statement.order_by(_E.opens_at, _E.id).limit(limit)
        return [_event(row) for row in self._tx.run(statement)]

    def station(self, event_id: str, station_id: str) -> Station | None:
        row = self._tx.run(self._STATION, {"event_id": event_id, "id": station_id}).first()
        return None if row is None else _station(row)

    def station_by_key(self, key_hash: str) -> Station | None:
        row = self._tx.run(self._BY_KEY, {"key_hash": key_hash}).first()
        return None if row is None else _station(row)

    def add_station(self, station: Station) -> None:
        statement = _inserts(self._storage.dialect)["station"]
        if self._tx.run(statement, _station_params(station)).first() is None:
            raise GateConflict(station.id)

    def put_station(self, station: Station) -> None:
        values = {k: v for k, v in _station_params(station).items() if k not in ("id", "event_id")}
        params = {**values, "b_event_id": station.event_id, "b_id": station.id}
        if not self._tx.run(self._UPDATE_STATION, params).rowcount:
            raise KeyError(station.id)

    def stations(self, event_id: str) -> list[Station]:
        return [_station(row) for row in self._tx.run(self._STATIONS, {"event_id": event_id})]

    def add_double_entry(self, entry: DoubleEntry) -> bool:
        params = {
            "event_id": entry.event_id,
            "card_ref": entry.card_ref,
            "station_id": entry.station_id,
            "at": entry.at,
            "first_station_id": entry.first_station_id,
            "first_at": entry.first_at,
        }
        statement = _inserts(self._storage.dialect)["double"]
        return self._tx.run(statement, params).first() is not None

    def double_entries(self, event_id: str) -> list[DoubleEntry]:
        return [
            DoubleEntry(
                event_id=row.event_id,
                card_ref=row.card_ref,
                station_id=row.station_id,
                at=row.at,
                first_station_id=row.first_station_id,
                first_at=row.first_at,
            )
            for row in self._tx.run(self._DOUBLES, {"event_id": event_id})
        ]


def _event_params(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "kind": str(event.kind),
        "venue": event.venue,
        "region_code": event.region_code,
        "opens_at": event.opens_at,
        "closes_at": event.closes_at,
        "capacity": event.capacity,
        "organiser_id": event.organiser_id,
        "class_id": event.class_id,
        "programme_id": event.programme_id,
        "status": str(event.status),
        "created_at": event.created_at,
    }


@reads(sk.events)
def _event(row: Row[Any]) -> Event:
    return Event(
        id=row.id,
        name=row.name,
        kind=row.kind,
        venue=row.venue,
        region_code=row.region_code,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        capacity=row.capacity,
        organiser_id=row.organiser_id,
        class_id=row.class_id,
        programme_id=row.programme_id,
        status=row.status,
        created_at=row.created_at,
    )


def _station_params(station: Station) -> dict[str, Any]:
    return {
        "event_id": station.event_id,
        "id": station.id,
        "name": station.name,
        "credential": str(station.credential),
        "public_key": station.public_key,
        "key_hash": station.key_hash,
        "status": str(station.status),
        "created_at": station.created_at,
        "retired_at": station.retired_at,
    }


@reads(sk.stations)
def _station(row: Row[Any]) -> Station:
    return Station(
        event_id=row.event_id,
        id=row.id,
        name=row.name,
        credential=row.credential,
        public_key=row.public_key,
        key_hash=row.key_hash,
        status=row.status,
        created_at=row.created_at,
        retired_at=row.retired_at,
    )
