"""The consent-request repository's contract (``tx.consent_requests``), on every storage.

Run against memory, SQLite (a file and in memory) and PostgreSQL with the
storage fixtures of ``test_storage_contract``: a request round-trips whole;
a holder's pending list holds only the requests stored as pending, oldest
first, this transaction's writes included; a failed transaction leaves
nothing; and of several transactions answering one request at once, exactly
one finds it pending (the others read the answer, not a stale copy).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up

from siapkerja_core.ports import Storage
from siapkerja_core.prefill import ConsentRequest, RequestStatus


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """The storage suite's factories: memory, SQLite (file and memory), PostgreSQL."""
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def request(n: int, *, account_id: str = "acct-1", minutes: int = 0, **changes: object):
    values: dict[str, object] = {
        "id": f"req-{n}",
        "account_id": account_id,
        "verifier_id": "ver-1",
        "verifier_name": "BLK Bekasi",
        "purpose": "pendaftaran pelatihan 2026",
        "fields": frozenset({"nik", "contact", "skills"}),
        "essential": frozenset({"nik"}),
        "created_at": NOW + timedelta(minutes=minutes),
        "expires_at": NOW + timedelta(days=7, minutes=minutes),
    }
    values.update(changes)
    return ConsentRequest(**values)  # type: ignore[arg-type]


def test_a_request_round_trips_whole(storage: Storage) -> None:
    whole_scope = request(2, fields=None, essential=frozenset())
    approved = request(3).approved(NOW, consent_id="consent-9", granted=frozenset({"nik"}))
    with storage.transaction() as tx:
        for item in (request(1), whole_scope, approved):
            tx.consent_requests.put(item)
        assert tx.consent_requests.get("req-1") == request(1)  # reads its own writes
    with storage.transaction() as tx:
        assert tx.consent_requests.get("req-1") == request(1)
        assert tx.consent_requests.get("req-2") == whole_scope
        assert tx.consent_requests.get("req-3") == approved
        assert tx.consent_requests.get("req-404") is None


def test_pending_lists_only_waiting_requests_of_the_holder_oldest_first(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.consent_requests.put(request(1, minutes=5))
        tx.consent_requests.put(request(2, minutes=1))
        tx.consent_requests.put(request(3, account_id="acct-2"))
        tx.consent_requests.put(request(4, minutes=2).declined(NOW))
    with storage.transaction() as tx:
        assert [r.id for r in tx.consent_requests.pending_for("acct-1")] == ["req-2", "req-1"]
        answered = request(2, minutes=1).approved(NOW, consent_id="c-1", granted=None)
        tx.consent_requests.put(answered)
        assert [r.id for r in tx.consent_requests.pending_for("acct-1")] == ["req-1"]
    with storage.transaction() as tx:
        assert [r.id for r in tx.consent_requests.pending_for("acct-1")] == ["req-1"]
        assert [r.id for r in tx.consent_requests.pending_for("acct-2")] == ["req-3"]
        assert tx.consent_requests.pending_for("acct-3") == []


def test_a_failing_transaction_leaves_no_request(storage: Storage) -> None:
    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.consent_requests.put(request(1))
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.consent_requests.get("req-1") is None
        assert tx.consent_requests.pending_for("acct-1") == []


def test_of_racing_answers_to_one_request_exactly_one_finds_it_pending(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.consent_requests.put(request(1))
    threads = 4
    barrier = threading.Barrier(threads)
    winners: list[int] = []
    lock = threading.Lock()

    def answer(n: int) -> None:
        barrier.wait()
        with storage.transaction() as tx:
            found = tx.consent_requests.get("req-1")
            assert found is not None
            if found.status is RequestStatus.PENDING:
                tx.consent_requests.put(
                    found.approved(NOW, consent_id=f"consent-{n}", granted=None)
                )
                with lock:
                    winners.append(n)

    workers = [threading.Thread(target=answer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(winners) == 1
    with storage.transaction() as tx:
        stored = tx.consent_requests.get("req-1")
    assert stored is not None
    assert stored.consent_id == f"consent-{winners[0]}"
