"""The event loop's PostgreSQL stamp rounds (:class:`~siapkerja_adapters.sql.stamp.LoopStamp`).

A request must only get a snapshot taken after it arrived: one arriving while a
round trip is in flight waits for the next round, which answers everyone who
arrived during the one before. The round trip here is a stand-in that records
when each query started and lets the test finish it. Each scenario runs on an
event loop of its own, in a thread of its own (the e2e tests' Playwright holds
one running in the main thread).
"""

from __future__ import annotations

import asyncio

import pytest

from siapkerja_adapters.sql.stamp import LoopStamp
from support.load import run_on_own_loop


class Rounds(LoopStamp):
    """A LoopStamp whose query the test releases: the n-th query answers ``"s<n>"``."""

    def __init__(self) -> None:
        super().__init__({})
        self.started: list[int] = []
        self.release: list[asyncio.Event] = []
        self.clock = 0  # bumped by the test as requests arrive

    async def _query(self) -> str | None:
        number = len(self.started)
        self.started.append(self.clock)
        gate = asyncio.Event()
        self.release.append(gate)
        await gate.wait()
        return f"s{number}"


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_request_never_gets_a_snapshot_older_than_itself() -> None:
    async def scenario() -> None:
        stamp = Rounds()
        first = asyncio.create_task(stamp.read())
        await _settle()
        assert stamp.started == [0]  # a round trip at once
        stamp.clock = 1  # these arrive while it is in flight
        late = [asyncio.create_task(stamp.read()) for _ in range(15)]
        await _settle()
        assert len(stamp.started) == 1  # they wait: no snapshot of before their time
        stamp.release[0].set()
        await _settle()
        assert await first == "s0"
        assert stamp.started == [0, 1]  # one next round, started after they arrived
        assert not any(task.done() for task in late)
        stamp.release[1].set()
        assert await asyncio.gather(*late) == ["s1"] * 15
        await _settle()
        again = asyncio.create_task(stamp.read())  # nothing in flight: a round of its own
        await _settle()
        stamp.release[2].set()
        assert await again == "s2"
        assert len(stamp.started) == 3

    run_on_own_loop(scenario)


def test_a_cancelled_request_leaves_the_round_to_the_others() -> None:
    async def scenario() -> None:
        stamp = Rounds()
        a = asyncio.create_task(stamp.read())
        b = asyncio.create_task(stamp.read())  # waits for the next round
        c = asyncio.create_task(stamp.read())
        await _settle()
        b.cancel()
        stamp.release[0].set()
        await _settle()
        stamp.release[1].set()
        assert await a == "s0"
        assert await c == "s1"
        with pytest.raises(asyncio.CancelledError):
            await b

    run_on_own_loop(scenario)


def test_a_closed_stamp_answers_none() -> None:
    stamp = LoopStamp({})
    stamp.close()
    assert run_on_own_loop(stamp.read) is None
