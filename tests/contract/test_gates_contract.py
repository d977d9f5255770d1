"""The storage port's contract for event entry (``tx.gates``), on memory, SQLite and PostgreSQL.

* events, stations and double entries round-trip, commit with their
  transaction or not at all, and a taken id is a ``GateConflict`` that leaves
  the transaction usable;
* a station is found by its API key's HMAC, events by organiser and by time.

The capacity race (concurrent admissions never exceed an event's capacity)
runs through the service on SQLite and PostgreSQL in
``tests/integration/test_gates_race.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up  # type: ignore[import-not-found]

from siapkerja_core.gates import DoubleEntry, Event, EventStatus, Station, StationStatus
from siapkerja_core.ports import GateConflict, Storage


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def event(event_id: str = "JF-2026", *, organiser: str = "org-1", days: int = 0) -> Event:
    return Event(
        id=event_id,
        name="Job Fair",
        kind="job_fair",
        venue="JIExpo",
        opens_at=NOW + timedelta(days=days),
        closes_at=NOW + timedelta(days=days, hours=8),
        organiser_id=organiser,
        created_at=NOW,
        region_code="31",
        capacity=100,
        class_id="kelas-7",
    )


def api_station(station_id: str = "gate-a", event_id: str = "JF-2026") -> Station:
    return Station(
        id=station_id,
        event_id=event_id,
        name="Pintu A",
        credential="api_key",
        created_at=NOW,
        key_hash=f"hash-{event_id}-{station_id}",
    )


def test_events_and_stations_round_trip(storage: Storage) -> None:
    signing = Station(
        id="gate-b",
        event_id="JF-2026",
        name="Pintu B",
        credential="ed25519",
        created_at=NOW,
        public_key="gYNRcpfi0KYb7FnbZgrS2jSZk8BiFzVPogqnWYxWQwk",
    )
    with storage.transaction() as tx:
        tx.gates.add_event(event())
        tx.gates.add_station(api_station())
        tx.gates.add_station(signing)
        assert tx.gates.event("JF-2026") == event()  # reads its own writes
    with storage.transaction() as tx:
        assert tx.gates.event("JF-2026") == event()
        assert tx.gates.event("JF-2026", lock=True) == event()
        assert tx.gates.event("nope") is None
        assert tx.gates.station("JF-2026", "gate-b") == signing
        assert tx.gates.station("OTHER", "gate-b") is None
        assert tx.gates.station_by_key("hash-JF-2026-gate-a") == api_station()
        assert tx.gates.station_by_key("hash-unknown") is None
        assert tx.gates.stations("JF-2026") == [api_station(), signing]
        cancelled = Event(**{**_fields(event()), "status": EventStatus.CANCELLED})
        tx.gates.put_event(cancelled)
        retired = Station(
            **{**_fields(api_station()), "status": StationStatus.RETIRED, "retired_at": NOW}
        )
        tx.gates.put_station(retired)
    with storage.transaction() as tx:
        assert tx.gates.event("JF-2026") == cancelled
        assert tx.gates.station("JF-2026", "gate-a") == retired
        with pytest.raises(KeyError):
            tx.gates.put_event(event("NOPE"))
        with pytest.raises(KeyError):
            tx.gates.put_station(api_station("nope"))


def _fields(record: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(record, recurse=False)  # type: ignore[arg-type]


def test_a_taken_id_is_a_conflict_and_the_transaction_goes_on(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.gates.add_event(event())
        tx.gates.add_station(api_station())
    with storage.transaction() as tx:
        with pytest.raises(GateConflict):
            tx.gates.add_event(event())
        with pytest.raises(GateConflict):
            tx.gates.add_station(api_station())
        tx.gates.add_event(event("JF-2027"))  # still usable (no aborted transaction)
        tx.gates.add_station(api_station("gate-a", "JF-2027"))  # same id, another event
    with storage.transaction() as tx:
        assert tx.gates.event("JF-2027") is not None
        assert [s.event_id for s in tx.gates.stations("JF-2027")] == ["JF-2027"]


def test_a_failed_transaction_writes_no_event(storage: Storage) -> None:
    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.gates.add_event(event())
            tx.gates.add_station(api_station())
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.gates.event("JF-2026") is None
        assert tx.gates.station_by_key("hash-JF-2026-gate-a") is None


def test_events_by_organiser_and_by_time(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.gates.add_event(event("C", days=2))
        tx.gates.add_event(event("A", days=-3))  # closed long ago
        tx.gates.add_event(event("B", days=1, organiser="org-2"))
    with storage.transaction() as tx:
        assert [e.id for e in tx.gates.events()] == ["A", "B", "C"]
        assert [e.id for e in tx.gates.events(organiser_id="org-1")] == ["A", "C"]
        assert [e.id for e in tx.gates.events(closes_after=NOW)] == ["B", "C"]
        assert [e.id for e in tx.gates.events(limit=1)] == ["A"]


def test_double_entries_are_kept_once_each(storage: Storage) -> None:
    entry = DoubleEntry(
        event_id="JF-2026",
        card_ref=2**64 - 1,
        station_id="gate-b",
        at=NOW + timedelta(minutes=5),
        first_station_id="gate-a",
        first_at=NOW,
    )
    with storage.transaction() as tx:
        assert tx.gates.add_double_entry(entry)
        assert not tx.gates.add_double_entry(entry)
    with storage.transaction() as tx:
        assert tx.gates.double_entries("JF-2026") == [entry]
        assert tx.gates.double_entries("other") == []
