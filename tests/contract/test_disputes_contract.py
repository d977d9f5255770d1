"""The case repository's contract (``tx.disputes``), on every storage.

Run against memory, SQLite (a file and in memory) and PostgreSQL with the
storage fixtures of ``test_storage_contract``: a case round-trips whole (its
evidence included); a put replaces; an account's cases come oldest first,
this transaction's writes included; the officers' list filters by status and
kind and the overdue query by deadline; a failed transaction leaves nothing;
and the NIK moves in one transaction (freeze the holder, add the claimant).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up

from siapkerja_core.disputes import (
    CaseKind,
    CaseRecord,
    CaseStatus,
    Evidence,
    EvidenceKind,
    HolderAnswer,
    Party,
)
from siapkerja_core.ports import AccountConflict, Storage
from siapkerja_core.records import AccountRecord


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """The storage suite's factories: memory, SQLite (file and memory), PostgreSQL."""
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def case(n: int, *, account_id: str = "acct-1", minutes: int = 0, **changes: object) -> CaseRecord:
    values: dict[str, object] = {
        "id": f"case-{n}",
        "kind": CaseKind.DISPUTE,
        "status": CaseStatus.AWAITING_HOLDER,
        "nik": "3273010101900001",
        "account_id": account_id,
        "created_at": NOW + timedelta(minutes=minutes),
        "updated_at": NOW + timedelta(minutes=minutes),
        "due_at": NOW + timedelta(days=7, minutes=minutes),
        "full_name": "Siti Aminah",
        "phone": "+6281234567890",
        "email": "siti@example.id",
        "password_hash": "$argon2id$fake",
    }
    values.update(changes)
    return CaseRecord(**values)  # type: ignore[arg-type]


EVIDENCE = (
    Evidence(kind=EvidenceKind.DUKCAPIL, party=Party.CLAIMANT, at=NOW, passed=True, score=97),
    Evidence(
        kind=EvidenceKind.OFFICER,
        party=Party.CLAIMANT,
        at=NOW + timedelta(hours=2),
        passed=True,
        officer_id="NIP 19800101",
        office="Disnaker Kota Bandung",
        checked_at=NOW + timedelta(hours=1),
        documents=("KTP-el", "KK"),
        note="Wajah sesuai foto KTP",
    ),
)


def test_a_case_round_trips_whole(storage: Storage) -> None:
    full = case(
        2,
        kind=CaseKind.REPROOFING,
        status=CaseStatus.AWAITING_DECISION,
        email=None,
        password_hash=None,
        evidence=EVIDENCE,
        answer=HolderAnswer.NOT_MINE,
        answered_at=NOW + timedelta(days=1),
        face_attempts=2,
    )
    with storage.transaction() as tx:
        tx.disputes.put(case(1))
        tx.disputes.put(full)
        assert tx.disputes.get("case-1") == case(1)  # reads its own writes
    with storage.transaction() as tx:
        assert tx.disputes.get("case-1") == case(1)
        assert tx.disputes.get("case-2") == full
        assert tx.disputes.get("case-404") is None


def test_a_put_replaces_the_stored_case(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.disputes.put(case(1))
    decided = case(1, status=CaseStatus.UPHELD, due_at=None, decided_by="cli:officer")
    decided = attrs.evolve(decided, new_account_id="acct-9", decided_at=NOW)
    with storage.transaction() as tx:
        tx.disputes.put(decided)
    with storage.transaction() as tx:
        assert tx.disputes.get("case-1") == decided
        assert tx.disputes.list(status=CaseStatus.AWAITING_HOLDER) == []
        assert tx.disputes.list(status=CaseStatus.UPHELD) == [decided]


def test_an_accounts_cases_come_oldest_first(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.disputes.put(case(1, minutes=5))
        tx.disputes.put(case(2, minutes=1))
        tx.disputes.put(case(3, account_id="acct-2"))
    with storage.transaction() as tx:
        tx.disputes.put(case(4, minutes=3))
        assert [c.id for c in tx.disputes.for_account("acct-1")] == ["case-2", "case-4", "case-1"]
    with storage.transaction() as tx:
        assert [c.id for c in tx.disputes.for_account("acct-2")] == ["case-3"]
        assert tx.disputes.for_account("acct-3") == []


def test_the_list_filters_and_the_overdue_query_orders_by_deadline(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.disputes.put(case(1, due_at=NOW + timedelta(days=3)))
        tx.disputes.put(case(2, minutes=1, due_at=NOW + timedelta(days=1)))
        tx.disputes.put(case(3, minutes=2, kind=CaseKind.REPROOFING, due_at=None))
        tx.disputes.put(case(4, minutes=3, status=CaseStatus.AWAITING_DECISION))
    with storage.transaction() as tx:
        assert [c.id for c in tx.disputes.list()] == ["case-1", "case-2", "case-3", "case-4"]
        assert [c.id for c in tx.disputes.list(limit=2)] == ["case-1", "case-2"]
        assert [c.id for c in tx.disputes.list(kind=CaseKind.REPROOFING)] == ["case-3"]
        due = tx.disputes.list(due_before=NOW + timedelta(days=3))
        assert [c.id for c in due] == ["case-2", "case-1"]
        assert [c.id for c in tx.disputes.list(status=CaseStatus.AWAITING_DECISION)] == ["case-4"]


def test_a_failing_transaction_leaves_no_case(storage: Storage) -> None:
    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.disputes.put(case(1))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.disputes.get("case-1") is None
        assert tx.disputes.for_account("acct-1") == []


def account(n: int, **changes: object) -> AccountRecord:
    values: dict[str, object] = {
        "id": f"acct-{n}",
        "nik": "3273010101900001",
        "full_name": "Siti Aminah",
        "email": f"user{n}@example.id",
        "phone": f"+62812345678{n:02d}",
        "password_hash": "$argon2id$fake",
        "created_at": NOW,
        "password_changed_at": NOW,
    }
    values.update(changes)
    return AccountRecord(**values)  # type: ignore[arg-type]


def test_the_nik_moves_in_one_transaction(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
    with storage.transaction() as tx, pytest.raises(AccountConflict):
        tx.accounts.add(account(2))  # the NIK is taken while the holder is active
    with storage.transaction() as tx:
        old = tx.accounts.get("acct-1")
        assert old is not None
        tx.accounts.put(attrs.evolve(old, active=False))
        tx.accounts.add(account(2))
        tx.disputes.put(case(1, status=CaseStatus.UPHELD, new_account_id="acct-2"))
    with storage.transaction() as tx:
        found = tx.accounts.find(nik="3273010101900001")
        assert found is not None
        assert found.id == "acct-2"
        frozen = tx.accounts.get("acct-1")
        assert frozen is not None
        assert not frozen.active
