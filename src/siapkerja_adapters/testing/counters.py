"""The rate-limit counters contract (the ``ratelimit`` port), for any adapter.

Subclass :class:`CountersContract` and give it a ``counters`` fixture: a
fresh, empty store (a key prefix of its own on a shared server). The checks
are those of :class:`~siapkerja_core.ports.Counters`: a window opens with its
first hit and ``retry_after`` is exact, ``release`` gives back a slot of the
live window only, ``clear`` forgets a key, and threads racing one key get
exactly the cap. Time is passed in (``now``), so nothing here waits.

Across processes and hosts the same atomicity is required; that check needs
a way to open the store from a child process, so it stays with each adapter
(siapkerja's own run it in ``tests/contract/test_storage_contract.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

import pytest

from siapkerja_adapters.testing.contract import AdapterContract
from siapkerja_core.ports import (
    Counters,
    Hit,
    Storage,
    Transaction,
    UnitCounters,
    counters_within,
    shares_units,
    slots_in,
)

__all__ = ["NOW", "CountersContract", "UnitCountersContract"]

NOW: Final = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
"""The contract's clock: an aware instant, passed to every call."""


class CountersContract(AdapterContract):
    """The contract of the ``ratelimit`` port; provide the ``counters`` fixture."""

    kind: ClassVar[str] = "ratelimit"
    port: ClassVar[type] = Counters

    @pytest.fixture
    def adapter_under_test(self, counters: Counters) -> Counters:
        return counters

    def test_a_window_opens_with_its_first_hit_and_retry_after_is_true(
        self, counters: Counters
    ) -> None:
        window = timedelta(minutes=15)
        start = NOW + timedelta(seconds=78)  # not a multiple of the window since the epoch
        for n in range(1, 6):
            assert counters.hit("k", limit=5, window=window, now=start) == Hit(True, n)
        refused = counters.hit("k", limit=5, window=window, now=start + timedelta(minutes=1))
        assert not refused.allowed
        assert refused.count == 5
        # until the window opened at `start` ends
        assert refused.retry_after == timedelta(minutes=14)
        retry_at = start + timedelta(minutes=1) + refused.retry_after
        early = counters.hit("k", limit=5, window=window, now=retry_at - timedelta(seconds=1))
        assert not early.allowed
        assert counters.hit("k", limit=5, window=window, now=retry_at) == Hit(True, 1)
        assert counters.hit("other", limit=5, window=window, now=start) == Hit(True, 1)
        counters.clear("k")
        assert counters.hit("k", limit=5, window=window, now=retry_at) == Hit(True, 1)

    def test_release_gives_back_a_slot_of_the_live_window_only(self, counters: Counters) -> None:
        window = timedelta(hours=1)
        assert counters.hit("k", limit=2, window=window, now=NOW).allowed
        assert counters.hit("k", limit=2, window=window, now=NOW).allowed
        assert not counters.hit("k", limit=2, window=window, now=NOW).allowed
        counters.release("k", window=window, now=NOW)
        assert counters.hit("k", limit=2, window=window, now=NOW) == Hit(True, 2)
        counters.release("k", window=window, now=NOW + window)  # that window has ended: no-op
        assert counters.hit("k", limit=2, window=window, now=NOW + window) == Hit(True, 1)
        counters.release("never-hit", window=window, now=NOW)
        assert counters.hit("never-hit", limit=1, window=window, now=NOW) == Hit(True, 1)

    def test_threads_racing_one_key_get_exactly_the_cap(self, counters: Counters) -> None:
        threads, rounds = 8, 5
        barrier = threading.Barrier(threads)
        allowed: list[bool] = []

        def race() -> None:
            barrier.wait()
            for _ in range(rounds):
                hit = counters.hit("shared", limit=5, window=timedelta(minutes=15), now=NOW)
                allowed.append(hit.allowed)

        workers = [threading.Thread(target=race) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert len(allowed) == threads * rounds
        assert sum(allowed) == 5


def _failing_unit(storage: Storage, action: Callable[[Transaction], object]) -> None:
    """``action`` in a unit of work of ``storage`` that then fails (``LookupError``)."""
    with storage.transaction() as tx:
        action(tx)
        raise LookupError("the unit fails: what it did is rolled back")


class UnitCountersContract:
    """The optional capability of counters that share a storage (``UnitCounters``).

    Provide the fixtures ``unit_storage`` (a storage) and ``counters`` (counters
    whose ``shares(unit_storage)`` is true, e.g. the ``sql`` storage's own). The
    slots taken in a unit of work are the same slots as the counters' own
    calls, committed or rolled back with the unit, and the cap holds when
    threads race one key, each in a unit of its own and beside plain hits.
    Run :class:`CountersContract` on the same counters as well.
    """

    def test_the_counters_share_the_storage(
        self, counters: Counters, unit_storage: Storage
    ) -> None:
        assert isinstance(counters, UnitCounters)
        assert shares_units(counters, unit_storage)
        assert not shares_units(counters, object())  # type: ignore[arg-type]

    def test_a_slot_taken_in_a_unit_commits_and_rolls_back_with_it(
        self, counters: Counters, unit_storage: Storage
    ) -> None:
        window = timedelta(hours=1)
        with unit_storage.transaction() as tx:
            slots = slots_in(counters, tx)
            assert slots.hit("u", limit=2, window=window, now=NOW) == Hit(True, 1)
        taken: list[Hit] = []
        with pytest.raises(LookupError):
            _failing_unit(
                unit_storage,
                lambda tx: taken.append(
                    slots_in(counters, tx).hit("u", limit=2, window=window, now=NOW)
                ),
            )
        assert taken == [Hit(True, 2)]  # taken in the unit, then rolled back with it
        # One slot taken (the committed unit's): the second is free, the third refused.
        assert counters.hit("u", limit=2, window=window, now=NOW) == Hit(True, 2)
        with unit_storage.transaction() as tx:
            refused = slots_in(counters, tx).hit("u", limit=2, window=window, now=NOW)
        assert refused == Hit(False, 2, window)

    def test_release_and_clear_in_a_unit(self, counters: Counters, unit_storage: Storage) -> None:
        window = timedelta(hours=1)
        assert counters.hit("r", limit=2, window=window, now=NOW).allowed
        assert counters.hit("r", limit=2, window=window, now=NOW).allowed
        with pytest.raises(LookupError):
            _failing_unit(
                unit_storage,
                lambda tx: slots_in(counters, tx).release("r", window=window, now=NOW),
            )
        assert not counters.hit("r", limit=2, window=window, now=NOW).allowed
        with unit_storage.transaction() as tx:
            slots_in(counters, tx).release("r", window=window, now=NOW)
        assert counters.hit("r", limit=2, window=window, now=NOW) == Hit(True, 2)
        with unit_storage.transaction() as tx:
            slots_in(counters, tx).clear("r")
        assert counters.hit("r", limit=2, window=window, now=NOW) == Hit(True, 1)

    def test_peek_answers_as_a_hit_would_and_takes_nothing(
        self, counters: Counters, unit_storage: Storage
    ) -> None:
        window = timedelta(minutes=15)
        with unit_storage.transaction(read_only=True) as tx:
            slots = counters_within(counters, tx)
            assert slots is not None
            assert slots.peek("p", limit=2, window=window, now=NOW) == Hit(True, 0)
        counters.hit("p", limit=2, window=window, now=NOW)
        counters.hit("p", limit=2, window=window, now=NOW)
        later = NOW + timedelta(minutes=5)
        with unit_storage.transaction(read_only=True) as tx:
            slots = counters_within(counters, tx)
            assert slots is not None
            assert slots.peek("p", limit=3, window=window, now=later) == Hit(True, 2)
            assert slots.peek("p", limit=2, window=window, now=later) == Hit(
                False, 2, timedelta(minutes=10)
            )
            assert slots.peek("p", limit=2, window=window, now=NOW + window) == Hit(True, 0)
        # Nothing was taken: the same refusal, the same count.
        assert counters.hit("p", limit=2, window=window, now=later) == Hit(
            False, 2, timedelta(minutes=10)
        )

    def test_units_racing_one_key_beside_plain_hits_get_exactly_the_cap(
        self, counters: Counters, unit_storage: Storage
    ) -> None:
        threads, rounds, cap = 8, 5, 7
        barrier = threading.Barrier(threads)
        allowed: list[bool] = []
        errors: list[BaseException] = []
        window = timedelta(minutes=15)

        def race(index: int) -> None:
            try:
                barrier.wait(timeout=30)
                for _ in range(rounds):
                    if index % 2:
                        hit = counters.hit("race", limit=cap, window=window, now=NOW)
                    else:
                        with unit_storage.transaction() as tx:
                            slots = slots_in(counters, tx)
                            hit = slots.hit("race", limit=cap, window=window, now=NOW)
                    allowed.append(hit.allowed)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        workers = [threading.Thread(target=race, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers), "a unit never ended"
        assert not errors
        assert len(allowed) == threads * rounds
        assert sum(allowed) == cap
