"""Concurrent admissions never exceed an event's capacity, on SQLite and PostgreSQL.

Two services on one database (each with its own connections, as two
processes would be) admit, from many threads at once, more holders than the
event holds — each holder's code three times. Exactly ``capacity`` are
admitted; the others are ``full`` or ``already_inside``; nobody is admitted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sql_storage import close, connect_sql  # type: ignore[import-not-found]

from siapkerja_adapters.demo import DEMO_PEOPLE, demo_holder
from siapkerja_core.gates import GateError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import StationCredential
from support.gates import gate_key, open_events


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Siapkerja, Siapkerja]]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    first = connect_sql(url, schema)
    second = connect_sql(url, schema)
    try:
        yield first, second
    finally:
        close(first)
        close(second)


def test_concurrent_admissions_never_exceed_the_capacity(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    first, second = pair
    holders = [demo_holder(first, person) for person in DEMO_PEOPLE]
    capacity = len(holders) - 1
    open_events(first, "RACE", capacity=capacity)
    credential = StationCredential(api_key=gate_key(first, "RACE"))
    codes = [first.card_qr(h.id, mode="access", purpose="RACE").token for h in holders] * 3
    barrier = threading.Barrier(len(codes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def admit(svc: Siapkerja, code: str) -> None:
        barrier.wait()
        try:
            svc.events.admit(code, event_id="RACE", credential=credential)
            outcome = "admitted"
        except GateError as error:
            outcome = error.code
        with lock:
            outcomes.append(outcome)

    threads = [
        threading.Thread(target=admit, args=(pair[n % 2], code)) for n, code in enumerate(codes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(codes)
    assert outcomes.count("admitted") == capacity
    assert set(outcomes) <= {"admitted", "full", "already_inside"}
    counts = second.events.counts("RACE")
    assert (counts.inside, counts.remaining) == (capacity, 0)
