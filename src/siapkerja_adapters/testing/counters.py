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
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

import pytest

from siapkerja_adapters.testing.contract import AdapterContract
from siapkerja_core.ports import Counters, Hit

__all__ = ["NOW", "CountersContract"]

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
