"""Event entry in the memory storage: events, stations and double entries in one table.

Rows are keyed by kind: ``("event", id)``, ``("station", event_id, id)`` and
``("double", event_id, card_ref, station_id)``; two indexes find a station by
its API key's HMAC and a row by its event. Transactions are serialised by the
storage's lock, so locking an event (``lock=True``) needs nothing more.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.gates import DoubleEntry, Event, Station
from siapkerja_core.ports import GateConflict

__all__ = ["GateView", "gates_table"]


def _key_hash(row: Any) -> Hashable | None:
    return row.key_hash if isinstance(row, Station) else None


def _event_of(row: Any) -> Hashable | None:
    return row.event_id if isinstance(row, Station | DoubleEntry) else None


def gates_table() -> Table[Any]:
    """A new, empty table of event-entry rows."""
    return Table(key=_key_hash, event=_event_of)


class GateView(View[Any]):
    """``tx.gates`` of a memory transaction."""

    def event(self, event_id: str, *, lock: bool = False) -> Event | None:
        found = self._get(("event", event_id))
        return found if isinstance(found, Event) else None

    def add_event(self, event: Event) -> None:
        if self.event(event.id) is not None:
            raise GateConflict(event.id)
        self._put(("event", event.id), event)

    def put_event(self, event: Event) -> None:
        if self.event(event.id) is None:
            raise KeyError(event.id)
        self._put(("event", event.id), event)

    def _all_events(self) -> list[Event]:
        keys = {k for k in self._table.rows if k[0] == "event"}  # type: ignore[index]
        keys |= {k for k in self._overlay if k[0] == "event"}  # type: ignore[index]
        found = (self._get(k) for k in keys)
        return [e for e in found if isinstance(e, Event)]

    def events(
        self,
        *,
        organiser_id: str | None = None,
        closes_after: datetime | None = None,
        limit: int = 100,
    ) -> list[Event]:
        chosen = [
            e
            for e in self._all_events()
            if (organiser_id is None or e.organiser_id == organiser_id)
            and (closes_after is None or e.closes_at > closes_after)
        ]
        return sorted(chosen, key=lambda e: (e.opens_at, e.id))[:limit]

    def station(self, event_id: str, station_id: str) -> Station | None:
        found = self._get(("station", event_id, station_id))
        return found if isinstance(found, Station) else None

    def station_by_key(self, key_hash: str) -> Station | None:
        found = self._first("key", key_hash)
        return found if isinstance(found, Station) else None

    def add_station(self, station: Station) -> None:
        if self.station(station.event_id, station.id) is not None:
            raise GateConflict(station.id)
        self._put(("station", station.event_id, station.id), station)

    def put_station(self, station: Station) -> None:
        if self.station(station.event_id, station.id) is None:
            raise KeyError(station.id)
        self._put(("station", station.event_id, station.id), station)

    def _of_event(self, event_id: str, kind: type) -> list[Any]:
        found = (self._get(k) for k in self._keys("event", event_id))
        return [row for row in found if isinstance(row, kind)]

    def stations(self, event_id: str) -> list[Station]:
        rows: list[Station] = self._of_event(event_id, Station)
        return sorted(rows, key=lambda s: (s.created_at, s.id))

    def add_double_entry(self, entry: DoubleEntry) -> bool:
        key = ("double", entry.event_id, entry.card_ref, entry.station_id)
        if self._get(key) is not None:
            return False
        self._put(key, entry)
        return True

    def double_entries(self, event_id: str) -> list[DoubleEntry]:
        rows: list[DoubleEntry] = self._of_event(event_id, DoubleEntry)
        return sorted(rows, key=lambda d: (d.at, d.card_ref, d.station_id))
