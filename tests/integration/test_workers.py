"""Several production workers behind one port share everything a request needs.

A deployment that outgrows one process runs ``siapkerja serve --workers N``
in production mode (``--no-dev``) with one ``SIAPKERJA_SECRET_KEY``, on
SQLite or on PostgreSQL with the rate-limit counters in Redis
(``docs/scaling.md``). Any request may reach any worker, so a sign-up whose
three steps land on different processes must complete, a code sent by one
worker must verify in another, and every anonymous scan, whichever worker
answered it, must be in the holder's ledger once it has been answered.

Each scenario starts a real server in child processes on loopback
(``tests/support/load.py``, as the load test does) with two workers: 16
people sign up at once, one of them gets a card, and 16 phones open it 5
times each. Nothing here is timed: the load test and ``bench_load.py`` own
the bounds and the rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import load, people, services
from support.fake_servers import FakeSmsGateway

pytestmark = pytest.mark.load

WORKERS = 2
PEOPLE = 16
PHONES = 16
SCANS_EACH = 5


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def setup(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """The backend and what it needs: a throw-away schema and Redis for PostgreSQL."""
    if request.param == "sqlite":
        yield {"backend": "sqlite"}
        return
    from siapkerja_adapters.sql import testing

    url = request.getfixturevalue("postgres_url")
    redis_url = services.require_redis()
    with testing.temporary_schema(url, prefix="sk_workers_") as schema:
        yield {"backend": "postgresql", "postgres": (url, schema), "redis_url": redis_url}


def no_errors(*loads: load.Load) -> None:
    problems = [f"{each.name}: {problem}" for each in loads for problem in each.problems(3600.0)]
    assert not problems, "\n".join(problems[:20])


def test_production_workers_share_sign_ups_codes_and_the_ledger(
    setup: dict[str, object],
    gateway: FakeSmsGateway,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    population = people.synthetic(PEOPLE + 1, seed=15)
    server = load.Server(
        setup["backend"],  # type: ignore[arg-type]
        tmp_path,
        population,
        gateway,
        postgres=setup.get("postgres"),  # type: ignore[arg-type]
        redis_url=setup.get("redis_url"),  # type: ignore[arg-type]
        workers=WORKERS,
        dev=False,
    )
    if server.redis_prefix is not None:  # the server's counters, under a prefix of its own
        request.addfinalizer(
            lambda: services.purge_prefix(services.redis_client(), server.redis_prefix)
        )
    with server:
        assert len(server.pids()) >= 1 + WORKERS  # the supervisor and its workers
        assert "--no-dev" in server.command
        holder, _ = load.sign_ups(server.url, gateway, [(0, population[0])], name="holder")
        no_errors(holder)
        scan_path = load.issue_card(server.url, holder.tokens[0])
        before = server.ledger_entries()

        signing_up, _ = load.sign_ups(
            server.url, gateway, list(enumerate(population))[1:], name="sign-ups"
        )
        no_errors(signing_up)
        assert signing_up.completed == PEOPLE

        scans = load.scans(server.url, scan_path, concurrency=PHONES, per_client=SCANS_EACH)
        no_errors(scans)
        assert scans.completed == PHONES * SCANS_EACH
        log = server.log()
    # Stopped: every answered scan is committed, whichever worker answered it.
    assert server.ledger_entries() - before == PHONES * SCANS_EACH
    assert "Traceback" not in log, log
