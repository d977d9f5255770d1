"""64 people signing up and 64 phones scanning at once, against a real server.

Release 0.1's embedded default stalled here: one ``siapkerja serve`` on
SQLite completed 16 concurrent sign-ups at 0.5/s, with a 30 s median on the
contact step, 503s, and an unrelated scan waiting 30 s — a thread holding
the SQLite write lock asked the pool for a second connection, which other
threads, waiting for the same lock, held (issue 11).

Each scenario starts a real server in child processes on loopback
(``tests/support/load.py``): ``siapkerja serve`` on the SQLite default, the
same on PostgreSQL, and uvicorn's 4 workers over one SQLite file — with the
real Argon2 parameters of ``serve`` and the connection guard on (a second
pooled connection in a thread raises, so it shows as a 500). Then, all at
once:

* 64 sign-ups, the whole journey through the JSON API (step 1 against the
  offline Dukcapil registry, step 2 with contacts and password, the code
  read from the SMS gateway the server sends to, confirmation), while a
  phone keeps opening an issued card;
* 64 phones each opening that card's link ``/v/<token>`` a few times.

Any 5xx, transport failure or request slower than :data:`BOUND` seconds fails
the test. Each scenario is bounded: the clients time out after 60 s, and a
scenario takes 10–30 s on a 2-core machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import load, people
from support.fake_servers import FakeSmsGateway

pytestmark = pytest.mark.load

CONCURRENCY = 64
BOUND = 5.0
"""Seconds: no request of a scenario may take longer (issue 11: p99 under 5 s)."""
SCANS_EACH = 5


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql", "workers"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[load.Backend, object]]:
    """The storage under test; for PostgreSQL, a throw-away schema of the test database."""
    name: load.Backend = request.param
    if name != "postgresql":
        yield name, None
        return
    from siapkerja_adapters.sql import testing

    url = request.getfixturevalue("postgres_url")
    with testing.temporary_schema(url, prefix="sk_load_") as schema:
        yield name, (url, schema)


def refuse(*loads: load.Load) -> None:
    problems = [f"{each.name}: {problem}" for each in loads for problem in each.problems(BOUND)]
    summaries = "\n".join(str(each.summary()) for each in loads)
    assert not problems, "\n".join(problems[:20]) + "\n" + summaries


def test_64_concurrent_sign_ups_and_scans(
    backend: tuple[load.Backend, object], gateway: FakeSmsGateway, tmp_path: Path
) -> None:
    name, postgres = backend
    population = people.synthetic(CONCURRENCY + 1)
    with load.Server(name, tmp_path, population, gateway, postgres=postgres) as server:  # type: ignore[arg-type]
        holder, _ = load.sign_ups(server.url, gateway, [(0, population[0])], name="holder")
        refuse(holder)
        scan_path = load.issue_card(server.url, holder.tokens[0])

        signing_up, scanning = load.sign_ups(
            server.url,
            gateway,
            list(enumerate(population))[1:],
            name=f"{CONCURRENCY} sign-ups",
            scan_url=scan_path,
        )
        assert scanning is not None
        refuse(signing_up, scanning)
        assert signing_up.completed == CONCURRENCY
        assert scanning.completed >= 1

        scans = load.scans(
            server.url,
            scan_path,
            concurrency=CONCURRENCY,
            per_client=SCANS_EACH,
            name=f"{CONCURRENCY} scanners",
        )
        refuse(scans)
        assert scans.completed == CONCURRENCY * SCANS_EACH
        log = server.log()
    assert "Traceback" not in log, log
