"""The storage of event entry: events, their stations and the double entries found at sync.

One repository, ``tx.gates`` (:class:`GateRepository`), so that the unit of
work gains one attribute. Its records are :mod:`siapkerja_core.gates`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from siapkerja_core.gates import DoubleEntry, Event, Station

__all__ = ["GateConflict", "GateRepository"]


class GateConflict(Exception):
    """An event or a station with the same id exists."""


class GateRepository(Protocol):
    def event(self, event_id: str, *, lock: bool = False) -> Event | None:
        """The event, or ``None``. With ``lock``, the event is locked until the transaction
        ends (PostgreSQL ``FOR UPDATE``): admissions to one event queue, so a capacity
        check and the check-in it allows are one step."""
        ...

    def add_event(self, event: Event) -> None:
        """Insert an event. :raises GateConflict: its id is taken."""
        ...

    def put_event(self, event: Event) -> None:
        """Replace the event with the same id. :raises KeyError: none."""
        ...

    def events(
        self,
        *,
        organiser_id: str | None = None,
        closes_after: datetime | None = None,
        limit: int = 100,
    ) -> list[Event]:
        """Events by opening time (then id): an organiser's, or those still open after a time."""
        ...

    def station(self, event_id: str, station_id: str) -> Station | None: ...

    def station_by_key(self, key_hash: str) -> Station | None:
        """The station whose API key has this HMAC (retired ones too)."""
        ...

    def add_station(self, station: Station) -> None:
        """Insert a station. :raises GateConflict: (event, id) is taken."""
        ...

    def put_station(self, station: Station) -> None:
        """Replace the station with the same (event, id). :raises KeyError: none."""
        ...

    def stations(self, event_id: str) -> list[Station]:
        """The event's stations, oldest first."""
        ...

    def add_double_entry(self, entry: DoubleEntry) -> bool:
        """Record a double entry; ``False`` when the same (event, card, station) is held."""
        ...

    def double_entries(self, event_id: str) -> list[DoubleEntry]:
        """The event's double entries, by time."""
        ...
