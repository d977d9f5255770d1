"""The storage and counters ports' contract, run against every adapter.

Every storage adapter must pass this file unchanged: the memory adapter now,
the SQL adapter (SQLite and PostgreSQL) when it lands — add its factory to
``STORAGE_FACTORIES``. The points checked are the ones the journey relies on:

* a transaction commits all its writes or none (no half-written data);
* a transaction reads its own writes;
* one active account per NIK, e-mail and phone, atomically: of many racing
  additions exactly one succeeds and the others get ``AccountConflict``;
* sessions end per account; counters count per fixed window, atomically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from siapkerja_adapters.memory import MemoryCounters, MemoryStorage
from siapkerja_core.model import (
    AccountRecord,
    OtpChallenge,
    OtpPurpose,
    PasswordResetRecord,
    RegistrationRecord,
    RegistrationStatus,
    SessionRecord,
)
from siapkerja_core.ports import AccountConflict, Counters, Storage

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

STORAGE_FACTORIES: dict[str, Callable[[], Storage]] = {"memory": MemoryStorage}
COUNTER_FACTORIES: dict[str, Callable[[], Counters]] = {
    "memory": MemoryCounters,
    "memory-storage": lambda: MemoryStorage().counters,
}


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Storage:
    return STORAGE_FACTORIES[request.param]()


@pytest.fixture(params=sorted(COUNTER_FACTORIES))
def counters(request: pytest.FixtureRequest) -> Counters:
    return COUNTER_FACTORIES[request.param]()


def account(n: int, *, nik: str | None = None, email: str | None = None, phone: str | None = None):
    return AccountRecord(
        id=f"acct-{n}",
        nik=nik or f"31710117084{n:05d}",
        full_name=f"Person {n}",
        email=email or f"person{n}@example.com",
        phone=phone or f"+62812{n:08d}",
        password_hash="$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        created_at=NOW,
        password_changed_at=NOW,
    )


def registration(n: int) -> RegistrationRecord:
    return RegistrationRecord(
        id=f"reg-{n}",
        nik=f"31710117084{n:05d}",
        full_name=f"Person {n}",
        status=RegistrationStatus.VERIFIED,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )


def test_storage_satisfies_the_port(storage: Storage) -> None:
    assert isinstance(storage, Storage)


def test_a_transaction_commits_everything(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
        tx.accounts.add(account(1))
        assert tx.registrations.get("reg-1") == registration(1)  # reads its own writes
        assert tx.accounts.find(nik=account(1).nik) == account(1)
    with storage.transaction() as tx:
        assert tx.registrations.get("reg-1") == registration(1)
        assert tx.accounts.get("acct-1") == account(1)
        assert tx.accounts.find(email="person1@example.com") == account(1)
        assert tx.accounts.find(phone=account(1).phone) == account(1)


def test_a_failing_transaction_writes_nothing(storage: Storage) -> None:
    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.registrations.put(registration(1))
            tx.accounts.add(account(1))
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.registrations.get("reg-1") is None
        assert tx.accounts.get("acct-1") is None
        assert tx.accounts.find(nik=account(1).nik) is None


@pytest.mark.parametrize("field", ["nik", "email", "phone"])
def test_one_active_account_per_identifier(storage: Storage, field: str) -> None:
    first = account(1)
    second = account(2, **{field: getattr(first, field)})
    with storage.transaction() as tx:
        tx.accounts.add(first)
    with pytest.raises(AccountConflict) as info, storage.transaction() as tx:
        tx.accounts.add(second)
    assert info.value.field == field
    with storage.transaction() as tx:
        assert tx.accounts.get("acct-2") is None


def test_an_update_keeps_lookups_in_step(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
    moved = account(1, phone="+6281299999999")
    with storage.transaction() as tx:
        tx.accounts.put(moved)
    with storage.transaction() as tx:
        assert tx.accounts.find(phone="+6281299999999") == moved
        assert tx.accounts.find(phone=account(1).phone) is None


@pytest.mark.parametrize("threads", [2, 20])
@pytest.mark.parametrize("field", ["nik", "email", "phone"])
def test_racing_additions_end_with_exactly_one_account(
    storage: Storage, threads: int, field: str
) -> None:
    shared = getattr(account(0), field)
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add(n: int) -> None:
        barrier.wait()
        try:
            with storage.transaction() as tx:
                tx.accounts.add(account(n, **{field: shared}))
            result = "added"
        except AccountConflict:
            result = "conflict"
        except Exception as error:  # any other outcome breaks the contract
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=add, args=(n,)) for n in range(1, threads + 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["added"] + ["conflict"] * (threads - 1)
    with storage.transaction() as tx:
        assert tx.accounts.find(**{field: shared}) is not None


def test_challenges_resets_and_sessions(storage: Storage) -> None:
    challenge = OtpChallenge(
        subject_id="reg-1",
        purpose=OtpPurpose.REGISTRATION,
        phone="+6281234567890",
        code_hash="0" * 64,
        generation=1,
        issued_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
    )
    reset = PasswordResetRecord(
        id="reset-1", account_id=None, generation=None, created_at=NOW, expires_at=NOW
    )
    sessions = [
        SessionRecord(id=f"s{n}", account_id="acct-1", created_at=NOW, expires_at=NOW)
        for n in range(3)
    ]
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.challenges.put(challenge)
        tx.resets.put(reset)
        for session in sessions:
            tx.sessions.add(session)
        tx.sessions.add(
            SessionRecord(id="other", account_id="acct-2", created_at=NOW, expires_at=NOW)
        )
    with storage.transaction() as tx:
        assert tx.challenges.get("reg-1") == challenge
        assert tx.resets.get("reset-1") == reset
        tx.sessions.delete("s0")
        assert tx.sessions.get("s0") is None
    with storage.transaction() as tx:
        assert tx.sessions.delete_for_account("acct-1") == 2
    with storage.transaction() as tx:
        assert tx.sessions.get("s1") is None
        assert tx.sessions.get("other") is not None


def test_counters_count_per_fixed_window(counters: Counters) -> None:
    hour = timedelta(hours=1)
    assert counters.count("k", window=hour, now=NOW) == 0
    assert counters.increment("k", window=hour, now=NOW) == 1
    assert counters.increment("k", window=hour, now=NOW + timedelta(minutes=59)) == 2
    assert counters.count("k", window=hour, now=NOW + timedelta(minutes=30)) == 2
    assert counters.count("k", window=hour, now=NOW + hour) == 0  # the next window
    assert counters.count("other", window=hour, now=NOW) == 0
    counters.clear("k")
    assert counters.count("k", window=hour, now=NOW) == 0


def test_counters_are_atomic(counters: Counters) -> None:
    day = timedelta(days=1)
    barrier = threading.Barrier(8)

    def bump() -> None:
        barrier.wait()
        for _ in range(250):
            counters.increment("shared", window=day, now=NOW)

    workers = [threading.Thread(target=bump) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert counters.count("shared", window=day, now=NOW) == 2000
