"""Two bulk issuances at once on real SQL (SQLite, PostgreSQL): every card issued once.

Two issuances of disjoint accounts draw their status indexes from a range barely
larger than the cards they issue, so nearly every index one of them draws is one
the other holds or will: a batch's write (``cards.add_many``) must refuse what the
other committed (reserving the batch's entries orders the two writers' batches),
its refused cards draw again, and every card must end with an index, a number and
a reference of its own. A re-run issues nothing twice.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

from test_completeness_stamp import account, complete, storage  # noqa: F401 - the fixture, on both databases

from siapkerja_adapters.sql import SqlStorage
from siapkerja_core.services import CardServices, Issuance, ServiceContext

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ACCOUNTS = 60
RANGE = 90  # status indexes drawn from 1 .. RANGE


class Narrow:
    """Random draws, but every status index falls in ``1 .. RANGE``."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def token_bytes(self, size: int) -> bytes:
        with self._lock:
            data = bytearray(self._random.randbytes(size))
            if size % 40 == 0:  # cards (Issuance.draw_cards): the status index is bytes 32-40
                for at in range(32, size, 40):
                    data[at : at + 8] = self._random.randrange(RANGE).to_bytes(8, "big")
            return bytes(data)

    def randbelow(self, bound: int) -> int:
        with self._lock:
            return self._random.randrange(min(bound, RANGE))


def issuance(storage: SqlStorage, seed: int) -> Issuance:  # noqa: F811
    context = ServiceContext(
        storage=storage,
        clock=lambda: NOW,
        entropy=Narrow(seed),
        emit=lambda _event: None,
        pepper=b"p" * 32,
    )
    return CardServices.build(context, base_url="https://skid.example/v/").issuance


def test_two_issuances_at_once_issue_every_card_once(
    storage: SqlStorage,  # noqa: F811
) -> None:
    with storage.transaction() as tx:
        for n in range(1, ACCOUNTS + 1):
            tx.accounts.add(account(n))
            tx.profiles.put(account(n).id, complete(n))
    halves = [[account(n).id for n in range(1, ACCOUNTS + 1) if n % 2 == side] for side in (0, 1)]
    barrier = threading.Barrier(2)
    issued: list[int] = []
    failures: list[BaseException] = []

    def run(side: int) -> None:
        try:
            service = issuance(storage, side)
            barrier.wait()
            issued.append(service.issue_cards(halves[side], batch_size=10).issued)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=run, args=(side,)) for side in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not failures, failures
    assert sorted(issued) == [ACCOUNTS // 2, ACCOUNTS // 2]
    with storage.transaction() as tx:
        cards = [tx.cards.get(account(n).id) for n in range(1, ACCOUNTS + 1)]
    indexes = [card.status_index for card in cards if card is not None]
    assert len(indexes) == ACCOUNTS
    assert len(set(indexes)) == ACCOUNTS
    assert all(index is not None and 1 <= index <= RANGE for index in indexes)
    assert len({card.number for card in cards if card}) == ACCOUNTS
    again = issuance(storage, 2).issue_cards()
    assert (again.issued, again.already_issued) == (0, ACCOUNTS)
