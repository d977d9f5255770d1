"""The factor repository's contract (``tx.factors``), on every storage.

Memory, SQLite (a file and in memory) and PostgreSQL, with the storage fixtures of
``test_storage_contract``:

* a record of each kind round-trips whole (secret, step, hashes, passkey values);
* ``for_account`` lists an account's records oldest first, this transaction's own
  writes included, and no other account's;
* ``delete`` and ``delete_for_account`` say what they removed;
* a failing transaction leaves nothing;
* of threads spending one TOTP step at once (``get`` then ``put`` of a greater
  ``last_step``) exactly one sees the old step: ``get`` locks where the medium can;
* on SQL the TOTP secret is not in the database in the clear.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up

from siapkerja_core.factors import FactorKind, FactorRecord, FactorStatus
from siapkerja_core.ports import Storage

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def _totp(id: str = "f-totp", account_id: str = "acc-1", **changes: object) -> FactorRecord:
    record = FactorRecord(
        id=id,
        account_id=account_id,
        kind=FactorKind.TOTP,
        status=FactorStatus.ACTIVE,
        label="Aplikasi autentikator",
        created_at=NOW,
        secret=SECRET,
        last_step=1000,
    )
    return attrs.evolve(record, **changes)


def _records() -> list[FactorRecord]:
    return [
        _totp(),
        FactorRecord(
            id="f-codes",
            account_id="acc-1",
            kind=FactorKind.RECOVERY_CODES,
            label="Kode pemulihan",
            created_at=NOW + timedelta(seconds=1),
            last_used_at=NOW + timedelta(minutes=3),
            code_hashes=("a" * 64, "b" * 64),
        ),
        FactorRecord(
            id="f-passkey",
            account_id="acc-1",
            kind=FactorKind.PASSKEY,
            label="Ponsel saya",
            created_at=NOW + timedelta(seconds=2),
            credential_id="Y3JlZGVudGlhbA",
            public_key="cHVibGljLWtleQ",
            sign_count=7,
            transports=("internal", "hybrid"),
        ),
        FactorRecord(
            id="f-challenge",
            account_id="acc-1",
            kind=FactorKind.CHALLENGE,
            status=FactorStatus.PENDING,
            label="authentication",
            created_at=NOW + timedelta(seconds=3),
            expires_at=NOW + timedelta(minutes=5),
            secret="Y2hhbGxlbmdl",
        ),
    ]


def test_records_round_trip_whole_and_list_in_order(storage: Storage) -> None:
    records = _records()
    with storage.transaction() as tx:
        for record in reversed(records):
            tx.factors.put(record)
        tx.factors.put(_totp(id="f-other", account_id="acc-2"))
        assert [r.id for r in tx.factors.for_account("acc-1")] == [r.id for r in records]
    with storage.transaction() as tx:
        for record in records:
            assert tx.factors.get(record.id) == record
        assert tx.factors.for_account("acc-1") == records
        assert [r.id for r in tx.factors.for_account("acc-2")] == ["f-other"]
        assert tx.factors.for_account("acc-3") == []
        assert tx.factors.get("missing") is None


def test_put_replaces_and_delete_says_what_it_removed(storage: Storage) -> None:
    with storage.transaction() as tx:
        for record in _records():
            tx.factors.put(record)
    with storage.transaction() as tx:
        tx.factors.put(_totp(last_step=1001, last_used_at=NOW))
        assert tx.factors.delete("f-codes") is True
        assert tx.factors.delete("f-codes") is False
    with storage.transaction() as tx:
        assert tx.factors.get("f-totp") == _totp(last_step=1001, last_used_at=NOW)
        assert tx.factors.delete_for_account("acc-1") == 3
        assert tx.factors.for_account("acc-1") == []
    with storage.transaction() as tx:
        assert tx.factors.get("f-passkey") is None


def test_a_failing_transaction_leaves_nothing(storage: Storage) -> None:
    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.factors.put(_totp())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.factors.get("f-totp") is None


def test_of_racing_uses_of_one_step_exactly_one_wins(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.factors.put(_totp())
    wins: list[int] = []
    barrier = threading.Barrier(4)

    def spend() -> None:
        barrier.wait()
        with storage.transaction() as tx:
            current = tx.factors.get("f-totp")
            assert current is not None
            if current.last_step is not None and current.last_step >= 1001:
                return
            tx.factors.put(attrs.evolve(current, last_step=1001))
            wins.append(1)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1


@pytest.fixture(params=sorted(name for name in STORAGE_FACTORIES if name != "memory"))
def sql_storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """The storages that write to a medium (the memory storage keeps Python objects)."""
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def test_the_secret_is_not_stored_in_the_clear(sql_storage: Storage) -> None:
    storage = sql_storage
    engine: Any = storage.engine  # type: ignore[attr-defined]
    with storage.transaction() as tx:
        tx.factors.put(_totp())
    with engine.connect() as conn:
        from siapkerja_adapters.sql import schema as sk

        row = conn.execute(sk.factors.select()).one()
    assert SECRET.encode() not in bytes(row.secret)
    assert SECRET not in repr(tuple(row))
