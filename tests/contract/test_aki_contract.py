"""The AK/I repository's contract (``tx.aki``), run on memory, SQLite and PostgreSQL.

What the AK/I use cases rely on: a registration round-trips whole (the
encrypted document included); a number is issued once; an account holds at
most one *active* registration, atomically — of N racing applications exactly
one gets in, and the others get :class:`~siapkerja_core.ports.AkiConflict`;
a closed registration frees the account; an office lists its own; officers'
offices are kept and moved; a failed transaction leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import attrs
import pytest
from test_storage_contract import STORAGE_FACTORIES, _clean_up

from siapkerja_core.aki import AkiOfficer, AkiRegistration, AkiStatus, damm_check
from siapkerja_core.ports import AkiConflict, Storage

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 6)


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def number(serial: int, office: str = "3273") -> str:
    body = f"{office}2026{serial:07d}"
    return f"AK1-{office}-2026-{serial:07d}-{damm_check(body)}"


def registration(n: int, *, account: str = "acct-1", office: str = "3273") -> AkiRegistration:
    return AkiRegistration(
        id=f"aki-{n}",
        account_id=account,
        number=number(n, office),
        office_code=office,
        office_name=f"Dinas Tenaga Kerja {office}",
        status=AkiStatus.APPLIED,
        applied_at=NOW.replace(minute=n % 60),
        updated_at=NOW,
    )


def test_a_registration_round_trips_through_every_transition(storage: Storage) -> None:
    record = registration(1)
    with storage.transaction() as tx:
        tx.aki.add(record)
    with storage.transaction() as tx:
        assert tx.aki.get(record.id) == record
        assert tx.aki.by_number(record.number) == record
        assert tx.aki.active_for("acct-1") == record
    legalised = record.legalised(TODAY, officer_id="v-1", officer_name="Siti Rahma", now=NOW)
    reported = attrs.evolve(legalised, reported_on=(date(2027, 6, 1), None, None, None))
    placed = reported.placed(
        date(2027, 7, 1), employer="PT Maju Jaya — Cabang Cimahi", position="Operator", now=NOW
    )
    for state in (legalised, reported, placed):
        with storage.transaction() as tx:
            tx.aki.put(state)
        with storage.transaction() as tx:
            assert tx.aki.get(record.id) == state
    with storage.transaction() as tx:
        assert tx.aki.active_for("acct-1") is None  # placed: closed
        assert tx.aki.for_account("acct-1") == [placed]


def test_a_removal_with_a_note_round_trips(storage: Storage) -> None:
    record = registration(2)
    removed = record.removed(TODAY, reason="moved", note="Pindah ke Kota Cimahi", now=NOW)
    with storage.transaction() as tx:
        tx.aki.add(record)
        tx.aki.put(removed)
    with storage.transaction() as tx:
        assert tx.aki.get(record.id) == removed
        assert tx.aki.get("nobody") is None
        assert tx.aki.by_number(number(999)) is None


def test_a_number_is_issued_once(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.aki.add(registration(3, account="acct-a"))
    with pytest.raises(AkiConflict) as raised, storage.transaction() as tx:
        tx.aki.add(attrs.evolve(registration(3, account="acct-b"), id="aki-other"))
    assert raised.value.field == "number"


def test_one_active_registration_per_account_and_a_closed_one_frees_it(storage: Storage) -> None:
    first = registration(4)
    with storage.transaction() as tx:
        tx.aki.add(first)
    with pytest.raises(AkiConflict) as raised, storage.transaction() as tx:
        tx.aki.add(registration(5))
    assert raised.value.field == "account"
    with storage.transaction() as tx:
        tx.aki.put(first.removed(TODAY, reason="by_request", now=NOW))
        tx.aki.add(registration(6))  # the account is free again, in the same transaction
    with storage.transaction() as tx:
        assert tx.aki.active_for("acct-1") == registration(6)
        assert [r.id for r in tx.aki.for_account("acct-1")] == ["aki-4", "aki-6"]


def test_the_transaction_stays_usable_after_a_conflict(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.aki.add(registration(7))
        with pytest.raises(AkiConflict):
            tx.aki.add(registration(8))
        tx.aki.add(registration(9, account="acct-2"))
    with storage.transaction() as tx:
        assert tx.aki.active_for("acct-2") is not None


def test_a_failed_transaction_leaves_nothing(storage: Storage) -> None:
    officer = AkiOfficer(verifier_id="v-1", office_code="3273", office_name="X", appointed_at=NOW)

    def fail() -> None:
        with storage.transaction() as tx:
            tx.aki.add(registration(10))
            tx.aki.put_officer(officer)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    with storage.transaction() as tx:
        assert tx.aki.get("aki-10") is None
        assert tx.aki.active_for("acct-1") is None
        assert tx.aki.officer("v-1") is None


def test_an_office_lists_its_own(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.aki.add(registration(11, account="a"))
        tx.aki.add(registration(12, account="b"))
        tx.aki.add(registration(13, account="c", office="3173"))
        tx.aki.put(registration(12, account="b").removed(TODAY, reason="moved", now=NOW))
    with storage.transaction() as tx:
        active = {AkiStatus.APPLIED, AkiStatus.LEGALISED}
        assert [r.id for r in tx.aki.for_office("3273", statuses=active)] == ["aki-11"]
        assert [r.id for r in tx.aki.for_office("3273")] == ["aki-11", "aki-12"]
        removed = tx.aki.for_office("3273", statuses={AkiStatus.REMOVED})
        assert [r.id for r in removed] == ["aki-12"]
        assert [r.id for r in tx.aki.for_office("3273", limit=1)] == ["aki-11"]  # the oldest
        assert tx.aki.for_office("3273", limit=0) == []
        assert [r.id for r in tx.aki.for_office("3173")] == ["aki-13"]
        assert tx.aki.for_office("1101") == []


def test_officers_are_appointed_and_moved(storage: Storage) -> None:
    first = AkiOfficer(
        verifier_id="v-1", office_code="3273", office_name="Disnaker Kota Bandung", appointed_at=NOW
    )
    with storage.transaction() as tx:
        tx.aki.put_officer(first)
    moved = attrs.evolve(first, office_code="3277", office_name="Disnaker Kota Cimahi")
    with storage.transaction() as tx:
        assert tx.aki.officer("v-1") == first
        tx.aki.put_officer(moved)
    with storage.transaction() as tx:
        assert tx.aki.officer("v-1") == moved
        assert tx.aki.officer("v-2") is None


@pytest.mark.parametrize("threads", [2, 12])
def test_racing_applications_of_one_account_end_with_exactly_one(
    storage: Storage, threads: int
) -> None:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def apply(n: int) -> None:
        barrier.wait()
        try:
            with storage.transaction() as tx:
                if tx.aki.active_for("acct-race") is None:
                    tx.aki.add(registration(100 + n, account="acct-race"))
                    result = "added"
                else:
                    result = "conflict"  # saw the winner's committed row
        except AkiConflict as conflict:
            result = "conflict" if conflict.field == "account" else f"wrong: {conflict.field}"
        except Exception as error:  # any other outcome breaks the contract
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=apply, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["added"] + ["conflict"] * (threads - 1)
    with storage.transaction() as tx:
        assert len(tx.aki.for_account("acct-race")) == 1


@pytest.mark.parametrize("threads", [2, 12])
def test_racing_additions_of_one_number_end_with_exactly_one(
    storage: Storage, threads: int
) -> None:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add(n: int) -> None:
        record = attrs.evolve(registration(500, account=f"acct-{n}"), id=f"aki-n-{n}")
        barrier.wait()
        try:
            with storage.transaction() as tx:
                tx.aki.add(record)
            result = "added"
        except AkiConflict as conflict:
            result = "conflict" if conflict.field == "number" else f"wrong: {conflict.field}"
        except Exception as error:
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=add, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["added"] + ["conflict"] * (threads - 1)
