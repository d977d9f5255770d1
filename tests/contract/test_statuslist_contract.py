"""The status-list part of the storage contract, on memory, SQLite and PostgreSQL.

* a card's ``status_index`` is unique: ``add`` refuses a taken one with
  ``CardConflict``, ``add_many`` leaves it out, ``put`` cannot move a card onto
  another's index; ``suspended_at`` and the index round-trip;
* ``tx.status_list``: the state is created on first reservation, counts what
  is reserved, only grows, and its revision is bumped by ``touch``; it commits
  and rolls back with its transaction;
* ``statuses()`` yields exactly the revoked (1) and suspended (2) cards,
  this transaction's writes included;
* racing issuers (threads) reserving and drawing indexes end with every card
  stored and no index shared.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest
from test_storage_contract import STORAGE_FACTORIES, _clean_up

from siapkerja_core.ports import CardConflict, StatusListState, Storage
from siapkerja_core.records import CardRecord
from siapkerja_core.services.status_list import draw_status_index, reserve_status_indexes
from siapkerja_core.tokens.status_list import MIN_STATUS_LIST_SIZE

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def card(n: int, index: int | None, **changes: object) -> CardRecord:
    record = CardRecord(
        id=f"card-{n}",
        account_id=f"acct-{n}",
        number=f"SK-STAT-{n:04d}-00X",
        card_ref=5000 + n,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
        status_index=index,
    )
    return attrs.evolve(record, **changes)


def test_the_index_and_suspension_round_trip(storage: Storage) -> None:
    stored = card(1, 4242, suspended_at=NOW)
    with storage.transaction() as tx:
        tx.cards.add(stored)
    with storage.transaction() as tx:
        assert tx.cards.get("acct-1") == stored
        assert tx.cards.by_ref(5001) == stored
        resumed = stored.resumed(NOW)
        tx.cards.put(resumed)
    with storage.transaction() as tx:
        assert tx.cards.get("acct-1") == resumed
    subject = storage.scan_subject(5001)
    assert subject is None or subject.card == resumed  # no account row here: may be None


def test_a_taken_index_is_a_conflict_everywhere(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1, 77))
        tx.cards.add(card(2, None))
        tx.cards.add(card(3, None))  # no index: many cards may lack one (made outside issuance)
    with pytest.raises(CardConflict), storage.transaction() as tx:
        tx.cards.add(card(4, 77))
    with storage.transaction() as tx:
        refused = tx.cards.add_many([card(5, 78), card(6, 77), card(7, 78)])
        assert [r.id for r in refused] == ["card-6", "card-7"]
    with pytest.raises(CardConflict), storage.transaction() as tx:
        tx.cards.put(card(2, 77))  # moving a card onto another's index
    with storage.transaction() as tx:
        assert tx.cards.get("acct-2") == card(2, None)
        assert tx.cards.get("acct-4") is None
        assert tx.cards.get("acct-5") == card(5, 78)


def test_the_state_is_created_counts_grows_and_is_touched(storage: Storage) -> None:
    with storage.transaction() as tx:
        assert tx.status_list.state() is None
        assert tx.status_list.reserve(3, 0) == StatusListState(MIN_STATUS_LIST_SIZE, 3, 0)
        assert tx.status_list.reserve(2, 2**18) == StatusListState(2**18, 5, 0)
        assert tx.status_list.reserve(0, 2**17) == StatusListState(2**18, 5, 0)  # never shrinks
    with storage.transaction() as tx:
        assert tx.status_list.touch() == StatusListState(2**18, 5, 1)

    def change_then_fail() -> None:
        with storage.transaction() as tx:
            tx.status_list.touch()
            tx.status_list.reserve(10, 2**20)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    with storage.transaction() as tx:
        assert tx.status_list.state() == StatusListState(2**18, 5, 1)


def test_statuses_are_the_revoked_and_suspended_cards(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1, 10))
        tx.cards.add(card(2, 20, revoked_at=NOW))
        tx.cards.add(card(3, 30, suspended_at=NOW))
        tx.cards.add(card(4, 40, revoked_at=NOW, suspended_at=NOW))  # revoked wins
        tx.cards.add(card(5, None, revoked_at=NOW))  # no index: not in the list
        assert sorted(tx.status_list.statuses()) == [(20, 1), (30, 2), (40, 1)]
    with storage.transaction() as tx:
        tx.cards.put(card(1, 10, suspended_at=NOW))
        tx.cards.put(card(2, 20))
        assert sorted(tx.status_list.statuses()) == [(10, 2), (30, 2), (40, 1)]


def test_racing_issuers_never_share_an_index(storage: Storage) -> None:
    """Eight threads issue 25 cards each, drawing from a tiny range to force collisions."""
    if type(storage).__name__ == "SqlStorage" and storage.dialect == "sqlite":  # type: ignore[attr-defined]
        threads, per_thread = 4, 15  # one writer at a time anyway: fewer, to stay quick
    else:
        threads, per_thread = 8, 25
    total = threads * per_thread
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    class Narrow:
        """Draws from ``1 .. 2 * total``: about every other draw collides near the end."""

        def __init__(self, seed: int) -> None:
            self._random = random.Random(seed)

        def randbelow(self, bound: int) -> int:
            return self._random.randrange(min(bound, 2 * total))

        def token_bytes(self, size: int) -> bytes:
            return self._random.randbytes(size)

    def issue(worker: int) -> None:
        entropy = Narrow(worker)
        try:
            barrier.wait()
            for k in range(per_thread):
                n = worker * 1000 + k
                for _ in range(64):
                    try:
                        with storage.transaction() as tx:
                            size = reserve_status_indexes(tx, 1)
                            tx.cards.add(card(n, draw_status_index(entropy, size)))
                        break
                    except CardConflict:
                        continue
                else:
                    raise AssertionError("no free index found")
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=issue, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures, failures
    indexes = []
    with storage.transaction() as tx:
        for worker in range(threads):
            for k in range(per_thread):
                record = tx.cards.get(f"acct-{worker * 1000 + k}")
                assert record is not None
                indexes.append(record.status_index)
        state = tx.status_list.state()
    assert len(set(indexes)) == len(indexes) == total
    assert state is not None
    assert state.allocated >= total
