"""The storage and counters ports' contract, run against every adapter.

Every storage adapter must pass this file unchanged: the memory adapter now,
the SQL adapter (SQLite and PostgreSQL) when it lands — add its factory to
``STORAGE_FACTORIES``. The points checked are the ones the journey relies on:

* a transaction commits all its writes or none (no half-written data);
* a transaction reads its own writes;
* one active account per NIK, e-mail and phone, atomically: of many racing
  additions exactly one succeeds and the others get ``AccountConflict``;
* sessions end per account; counters take slots atomically: N racing hits on a
  key capped at L allow exactly L, from threads and from processes.
* the SMS outbox commits with its transaction and hands each due message to
  one claimer at a time, under a lease.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from siapkerja_adapters.memory import MemoryCounters, MemoryStorage
from siapkerja_adapters.testing import CountersContract, UnitCountersContract
from siapkerja_core.completeness import is_complete
from siapkerja_core.converter import merge_profile
from siapkerja_core.disclosure import Verifier
from siapkerja_core.ports import (
    AccountConflict,
    CardConflict,
    CardHolder,
    CheckInConflict,
    Counters,
    ScanSubject,
    Storage,
    StorageError,
    counters_within,
    shares_units,
)
from siapkerja_core.profile import Photo, Profile
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
    OutboxMessage,
    PasswordResetRecord,
    RegistrationRecord,
    RegistrationStatus,
    SessionRecord,
)
from siapkerja_core.station import CheckIn
from siapkerja_core.tokens import Keyring
from support.people import complete_profile
from support.races import Recipe, allowed_across_processes
from support.services import postgres_url, redis_test_counters, redis_url

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

# Teardowns of the storages a factory made for the running test (run by the fixtures).
_CLEANUPS: list[Callable[[], None]] = []


def _sql_storage(url: str, **options: object) -> Storage:
    from siapkerja_adapters.sql import KeyMaterial, SqlStorage

    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, **options)
    _CLEANUPS.append(made.dispose)
    return made


def _sqlite_storage() -> Storage:
    """A SQLite file in a fresh temporary directory (removed afterwards)."""
    directory = tempfile.mkdtemp(prefix="siapkerja-contract-")
    _CLEANUPS.append(lambda: shutil.rmtree(directory, ignore_errors=True))
    return _sql_storage(f"sqlite:///{directory}/contract.sqlite3")


def _postgresql_storage() -> Storage:
    """A fresh schema of the test PostgreSQL (dropped afterwards); skipped without the service.

    ``SIAPKERJA_REQUIRE_SERVICES=1`` (``.ci/run``) turns the skip into a failure.
    """
    from siapkerja_adapters.sql import testing

    url = postgres_url()
    schema = contextlib.ExitStack()
    name = schema.enter_context(testing.temporary_schema(url))
    _CLEANUPS.append(schema.close)
    return _sql_storage(url, schema=name)


STORAGE_FACTORIES: dict[str, Callable[[], Storage]] = {
    "memory": MemoryStorage,
    "sqlite": _sqlite_storage,
    "sqlite-memory": lambda: _sql_storage("sqlite://"),  # one shared connection, in memory
    "postgresql": _postgresql_storage,
}
COUNTER_FACTORIES: dict[str, Callable[[], Counters]] = {
    "memory": MemoryCounters,
    "memory-storage": lambda: MemoryStorage().counters,
    "sqlite-storage": lambda: _sqlite_storage().counters,  # type: ignore[attr-defined]
    "postgresql-storage": lambda: _postgresql_storage().counters,  # type: ignore[attr-defined]
    "redis": lambda: _redis_counters(),
}


def _redis_counters() -> Counters:
    """Counters in the test Redis under a fresh key prefix (purged afterwards).

    Skipped without Redis; ``SIAPKERJA_REQUIRE_SERVICES=1`` makes that a failure.
    """
    pytest.importorskip("redis", reason="the redis adapter needs siapkerja[redis]")
    return redis_test_counters(_CLEANUPS)


def _clean_up() -> None:
    while _CLEANUPS:
        _CLEANUPS.pop()()


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


class TestCounters(CountersContract):
    """The shipped counters contract (``siapkerja_adapters.testing``) on the ``ratelimit``
    adapters, registration by name included."""

    @pytest.fixture(params=["memory", "redis"])
    def counters(self, request: pytest.FixtureRequest) -> Iterator[Counters]:
        try:
            yield COUNTER_FACTORIES[request.param]()
        finally:
            _clean_up()

    @pytest.fixture
    def registered_name(self, request: pytest.FixtureRequest) -> str | None:
        return str(request.node.callspec.params["counters"])

    @pytest.fixture
    def adapter_settings(self, counters: Counters) -> dict[str, object]:
        prefix = getattr(counters, "prefix", None)
        return {} if prefix is None else {"redis_url": redis_url(), "redis_prefix": prefix}


class TestStorageCounters(CountersContract):
    """The same contract on the storages' own counters, which are not ``ratelimit``
    registrations: they come with their storage, so there is no name to check."""

    test_the_adapter_is_registered_by_name = None  # type: ignore[assignment]

    @pytest.fixture(params=["memory-storage", "sqlite-storage", "postgresql-storage"])
    def counters(self, request: pytest.FixtureRequest) -> Iterator[Counters]:
        try:
            yield COUNTER_FACTORIES[request.param]()
        finally:
            _clean_up()


class TestUnitCounters(UnitCountersContract):
    """The SQL storages' counters, taken inside their units of work (``UnitCounters``)."""

    @pytest.fixture(params=["sqlite", "postgresql"])
    def unit_storage(self, request: pytest.FixtureRequest) -> Iterator[Storage]:
        try:
            yield STORAGE_FACTORIES[request.param]()
        finally:
            _clean_up()

    @pytest.fixture
    def counters(self, unit_storage: Storage) -> Counters:
        return unit_storage.counters  # type: ignore[attr-defined, no-any-return]


def test_memory_and_redis_counters_do_not_offer_unit_slots() -> None:
    """Adapters without the capability: the core keeps taking their slots outside its
    units of work (``shares_units`` is false), as before."""
    storage = MemoryStorage()
    assert not shares_units(storage.counters, storage)
    assert not shares_units(MemoryCounters(), storage)
    with storage.transaction() as tx:
        assert counters_within(storage.counters, tx) is None


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


def test_a_read_only_unit_reads_what_was_committed(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.profiles.put("acct-1", Profile(full_name="Person 1"))
    with storage.transaction(read_only=True) as tx:
        assert tx.accounts.get("acct-1") == account(1)
        assert tx.accounts.find(email="person1@example.com") == account(1)
        profile = tx.profiles.get("acct-1")
        assert profile is not None
        assert profile.full_name == "Person 1"
        assert tx.cards.get("acct-1") is None
    with storage.transaction() as tx:  # and a writer goes on as before
        tx.accounts.add(account(2))


@pytest.mark.parametrize("write", ["add", "put", "delete"])
def test_a_write_inside_a_read_only_unit_fails_and_writes_nothing(
    storage: Storage, write: str
) -> None:
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.registrations.put(registration(1))

    def write_while_reading() -> None:
        with storage.transaction(read_only=True) as tx:
            assert tx.accounts.get("acct-1") == account(1)
            if write == "add":
                tx.accounts.add(account(2))
            elif write == "put":
                tx.profiles.put("acct-1", Profile(full_name="Person 1"))
            else:
                tx.sessions.delete_for_account("acct-1")
                tx.registrations.put(registration(2))

    with pytest.raises(StorageError) as raised:
        write_while_reading()
    assert raised.value.code == "read_only"
    with storage.transaction() as tx:
        assert tx.accounts.get("acct-2") is None
        assert tx.profiles.get("acct-1") is None
        assert tx.registrations.get("reg-2") is None
    # The connection went back to the pool writable: the next units write as before.
    for n in range(3, 6):
        with storage.transaction() as tx:
            tx.accounts.add(account(n))
    with storage.transaction(read_only=True) as tx:
        assert tx.accounts.get("acct-5") == account(5)


def test_a_read_only_unit_neither_waits_for_a_writer_nor_sees_its_writes(
    storage: Storage,
) -> None:
    """A reader takes a snapshot of what was committed, while a writer holds its unit open.

    The memory adapter serialises every transaction (one lock), readers too: there
    the reader waits for the writer's commit and then sees it whole — never half.
    """
    serialised = isinstance(storage, MemoryStorage)
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
    written, release = threading.Event(), threading.Event()

    def writer() -> None:
        with storage.transaction() as tx:
            tx.accounts.add(account(2))
            written.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(10)
        seen: list[object] = []

        def reader() -> None:
            with storage.transaction(read_only=True) as tx:
                seen.append(tx.accounts.get("acct-1"))
                seen.append(tx.accounts.get("acct-2"))

        reading = threading.Thread(target=reader)
        reading.start()
        if serialised:
            reading.join(0.2)
            assert reading.is_alive(), "the memory adapter's reader ran beside a writer"
            release.set()
            thread.join(10)
        reading.join(10)
        assert not reading.is_alive(), "the read-only unit waited for the writer"
        assert seen == ([account(1), account(2)] if serialised else [account(1), None])
    finally:
        release.set()
        thread.join(10)
    with storage.transaction(read_only=True) as tx:
        assert tx.accounts.get("acct-2") == account(2)


def test_a_read_only_unit_reads_one_snapshot_across_a_commit_between_its_reads(
    storage: Storage,
) -> None:
    """The port's "one consistent snapshot": a commit between two reads of one unit is
    seen by neither (PostgreSQL under ``READ COMMITTED`` showed it to the second read).

    The memory adapter serialises units, so there the other commit waits for the reader.
    """
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
    seen: list[object] = []
    first_read, committed = threading.Event(), threading.Event()

    def reader() -> None:
        with storage.transaction(read_only=True) as tx:
            seen.append(tx.accounts.get("acct-1"))
            first_read.set()
            committed.wait(0.5 if isinstance(storage, MemoryStorage) else 10)
            seen.append(tx.accounts.get("acct-2"))
            seen.append(tx.accounts.get("acct-1"))

    reading = threading.Thread(target=reader)
    reading.start()
    try:
        assert first_read.wait(10)
        with storage.transaction() as tx:
            tx.accounts.add(account(2))
            tx.accounts.put(account(1, phone="+6281299999999"))
        committed.set()
    finally:
        committed.set()
        reading.join(10)
    assert seen == [account(1), None, account(1)]
    with storage.transaction(read_only=True) as tx:  # a new unit: a new snapshot
        assert tx.accounts.get("acct-2") == account(2)
        assert tx.accounts.get("acct-1") == account(1, phone="+6281299999999")


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


def test_a_registration_with_its_challenge_reads_as_the_two_reads(storage: Storage) -> None:
    """``registrations.with_challenge`` (one statement on SQLite) answers what
    ``registrations.get`` and ``challenges.get`` answer, the unit's own writes included."""
    challenge = OtpChallenge(
        subject_id="reg-2",
        purpose=OtpPurpose.REGISTRATION,
        phone="+6281234567890",
        code_hash="1" * 64,
        generation=2,
        issued_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
        attempts=1,
        resends=1,
        sent_at=(NOW, NOW + timedelta(seconds=70)),
        delivered=False,
        last_failure="sms.unavailable",
    )
    stray = attrs.evolve(challenge, subject_id="reg-9")  # a challenge of no registration
    with storage.transaction() as tx:
        tx.registrations.put(registration(1))
        tx.registrations.put(registration(2))
        tx.challenges.put(challenge)
        tx.challenges.put(stray)
        assert tx.registrations.with_challenge("reg-2") == (registration(2), challenge)
    for read_only in (False, True):
        with storage.transaction(read_only=read_only) as tx:
            for registration_id in ("reg-1", "reg-2", "reg-9", "reg-0"):
                expected = tx.registrations.get(registration_id)
                both = (expected, None if expected is None else tx.challenges.get(registration_id))
                assert tx.registrations.with_challenge(registration_id) == both
            assert tx.registrations.with_challenge("reg-1") == (registration(1), None)
            assert tx.registrations.with_challenge("reg-2") == (registration(2), challenge)
            assert tx.registrations.with_challenge("reg-9") == (None, None)
    with storage.transaction() as tx:
        spent = challenge.spent()
        tx.challenges.put(spent)
        assert tx.registrations.with_challenge("reg-2") == (registration(2), spent)


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


def _shared_recipe(kind: str) -> Recipe:
    """A fresh shared counters store, as a recipe a child process can open."""
    if kind == "sqlite-storage":
        directory = tempfile.mkdtemp(prefix="siapkerja-contract-")
        _CLEANUPS.append(lambda: shutil.rmtree(directory, ignore_errors=True))
        url = f"sqlite:///{directory}/contract.sqlite3"
        _sql_storage(url).counters.clear("x")  # type: ignore[attr-defined]  # migrated
        return ("sql", url, None)
    if kind == "postgresql-storage":
        from siapkerja_adapters.sql import testing

        url = postgres_url()
        schema = contextlib.ExitStack()
        name = schema.enter_context(testing.temporary_schema(url))
        _CLEANUPS.append(schema.close)
        _sql_storage(url, schema=name).counters.clear("x")  # type: ignore[attr-defined]
        return ("sql", url, name)
    counters = _redis_counters()
    return ("redis", redis_url(), counters.prefix)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["postgresql-storage", "redis", "sqlite-storage"])
def test_processes_racing_one_key_get_exactly_the_cap(kind: str) -> None:
    try:
        recipe = _shared_recipe(kind)
        counts = allowed_across_processes(recipe, "shared", limit=5, processes=6, hits=4, now=NOW)
        assert sum(counts) == 5, counts
    finally:
        _clean_up()


# --- profiles, cards, verifiers, consents, the access ledger, check-ins, keys ------------


def card(n: int, *, number: str | None = None, card_ref: int | None = None, version: int = 1):
    return CardRecord(
        id=f"card-{n}",
        account_id=f"acct-{n}",
        number=number or f"SK-TEST-{n:04d}-00X",
        card_ref=card_ref if card_ref is not None else 1000 + n,
        version=version,
        issued_at=NOW,
        updated_at=NOW,
    )


def verifier(n: int) -> Verifier:
    return Verifier(id=f"ver-{n}", name=f"Instansi {n}", scopes=["karirhub"], created_at=NOW)


def consent(n: int, *, account_id: str = "acct-1", minutes: int = 0) -> ConsentRecord:
    return ConsentRecord(
        id=f"consent-{n}",
        account_id=account_id,
        verifier_id="ver-1",
        purpose="lamaran",
        fields=None,
        granted_at=NOW + timedelta(minutes=minutes),
    )


def entry(n: int, *, account_id: str = "acct-1", minutes: int = 0) -> AccessRecord:
    return AccessRecord(
        id=f"log-{n}",
        account_id=account_id,
        at=NOW + timedelta(minutes=minutes),
        audience="anonymous",
        fields=("headline",),
        channel="link",
    )


def check_in(card_ref: int, event: str = "jobfair", *, minutes: int = 0, station: str = "S1"):
    return CheckIn.record(
        card_ref=card_ref,
        event_id=event,
        station_id=station,
        checked_in_at=NOW + timedelta(minutes=minutes),
        step=1,
        kid="K000",
    )


def keyring() -> Keyring:
    return Keyring.generate(lambda n: bytes(range(1, n + 1)), NOW)


def test_profiles_are_kept_per_account(storage: Storage) -> None:
    profile = Profile(full_name="Person 1")
    with storage.transaction() as tx:
        assert tx.profiles.get("acct-1") is None
        tx.profiles.put("acct-1", profile)
        assert tx.profiles.get("acct-1") == profile  # reads its own writes
    changed = Profile(full_name="Person 1", skills=["PHP"])
    with storage.transaction() as tx:
        assert tx.profiles.get("acct-1") == profile
        assert tx.profiles.get("acct-2") is None
        tx.profiles.put("acct-1", changed)
    with storage.transaction() as tx:
        assert tx.profiles.get("acct-1") == changed


def test_cards_are_found_by_account_reference_and_number(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1))
        assert tx.cards.by_ref(1001) == card(1)  # reads its own writes
        assert tx.cards.by_number(card(1).number) == card(1)
    with storage.transaction() as tx:
        assert tx.cards.get("acct-1") == card(1)
        assert tx.cards.by_ref(1001) == card(1)
        assert tx.cards.by_number(card(1).number) == card(1)
        assert tx.cards.get("acct-2") is None
        assert tx.cards.by_ref(1002) is None
        assert tx.cards.by_number("SK-NONE-0000-000") is None
    bumped = card(1, version=2)
    with storage.transaction() as tx:
        tx.cards.put(bumped)
    with storage.transaction() as tx:
        assert tx.cards.get("acct-1") == bumped
        assert tx.cards.by_ref(1001) == bumped
        assert tx.cards.by_number(card(1).number) == bumped


@pytest.mark.parametrize("shared", ["number", "card_ref"])
def test_card_numbers_and_references_are_unique(storage: Storage, shared: str) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1))
    clash = card(2, **{shared: getattr(card(1), shared)})
    with pytest.raises(CardConflict), storage.transaction() as tx:
        tx.cards.add(clash)
    with storage.transaction() as tx:
        assert tx.cards.get("acct-2") is None
        assert tx.cards.get("acct-1") == card(1)
        assert tx.cards.by_ref(1001) == card(1)
        assert tx.cards.by_number(card(1).number) == card(1)


def test_a_card_conflict_can_be_retried_in_the_same_transaction(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1))
    with storage.transaction() as tx:
        with pytest.raises(CardConflict):
            tx.cards.add(card(2, number=card(1).number))
        tx.cards.add(card(2))  # a new draw
    with storage.transaction() as tx:
        assert tx.cards.get("acct-2") == card(2)


def test_verifiers_are_found_by_key_hash(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.verifiers.add(verifier(1), "hash-1")
        tx.verifiers.add(verifier(2), "hash-2")
        assert tx.verifiers.by_key("hash-2") == verifier(2)
    with storage.transaction() as tx:
        assert tx.verifiers.get("ver-1") == verifier(1)
        assert tx.verifiers.by_key("hash-1") == verifier(1)
        assert tx.verifiers.by_key("hash-3") is None
        assert tx.verifiers.get("ver-3") is None
    inactive = Verifier(
        id="ver-1", name="Instansi 1", scopes=["karirhub"], created_at=NOW, active=False
    )
    with storage.transaction() as tx:
        tx.verifiers.put(inactive)  # keeps the key hash
    with storage.transaction() as tx:
        assert tx.verifiers.get("ver-1") == inactive
        assert tx.verifiers.by_key("hash-1") == inactive


def test_consents_are_listed_per_account_oldest_first(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.consents.put(consent(1, minutes=5))
        tx.consents.put(consent(2, minutes=1))
        tx.consents.put(consent(3, account_id="acct-2"))
    withdrawn = ConsentRecord(
        id="consent-1",
        account_id="acct-1",
        verifier_id="ver-1",
        purpose="lamaran",
        fields=frozenset({"contact"}),
        granted_at=NOW + timedelta(minutes=5),
        withdrawn_at=NOW + timedelta(hours=1),
    )
    with storage.transaction() as tx:
        assert [c.id for c in tx.consents.for_account("acct-1")] == ["consent-2", "consent-1"]
        tx.consents.put(withdrawn)
    with storage.transaction() as tx:
        assert tx.consents.get("consent-1") == withdrawn
        assert tx.consents.for_account("acct-1") == [consent(2, minutes=1), withdrawn]
        assert [c.id for c in tx.consents.for_account("acct-2")] == ["consent-3"]
        assert tx.consents.for_account("acct-9") == []
        assert tx.consents.get("consent-9") is None


def test_the_access_ledger_appends_and_lists_oldest_first(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.access_log.append(entry(1, minutes=10))
        tx.access_log.append(entry(2, minutes=0))
        tx.access_log.append(entry(3, account_id="acct-2"))
        assert [e.id for e in tx.access_log.for_account("acct-1")] == ["log-2", "log-1"]
    storage.log_access(entry(4, minutes=5))  # committed on return, no transaction
    with storage.transaction() as tx:
        assert tx.access_log.for_account("acct-1") == [
            entry(2, minutes=0),
            entry(4, minutes=5),
            entry(1, minutes=10),
        ]
        assert tx.access_log.for_account("acct-2") == [entry(3, account_id="acct-2")]
        assert tx.access_log.for_account("acct-9") == []


def test_log_access_is_committed_at_once_and_concurrently(storage: Storage) -> None:
    barrier = threading.Barrier(8)

    def log(worker: int) -> None:
        barrier.wait()
        for n in range(50):
            storage.log_access(entry(worker * 1000 + n, minutes=n))

    workers = [threading.Thread(target=log, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    with storage.transaction() as tx:
        entries = tx.access_log.for_account("acct-1")
    assert len(entries) == len({e.id for e in entries}) == 400
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_one_check_in_per_card_and_event(storage: Storage) -> None:
    first = check_in(1001, minutes=5)
    with storage.transaction() as tx:
        assert tx.check_ins.get(1001, "jobfair") is None
        tx.check_ins.add(first)
        assert tx.check_ins.get(1001, "jobfair") == first
    with pytest.raises(CheckInConflict), storage.transaction() as tx:
        tx.check_ins.add(check_in(1001, minutes=9, station="S2"))
    with storage.transaction() as tx:
        assert tx.check_ins.get(1001, "jobfair") == first
        tx.check_ins.add(check_in(1001, "kelas-blk"))  # another event
        tx.check_ins.add(check_in(1002, minutes=1))  # another card
    earlier = check_in(1001, minutes=2, station="S2")
    with storage.transaction() as tx:
        tx.check_ins.replace(earlier)
    with storage.transaction() as tx:
        assert tx.check_ins.get(1001, "jobfair") == earlier
        assert tx.check_ins.for_event("jobfair") == [check_in(1002, minutes=1), earlier]
        assert tx.check_ins.for_event("kelas-blk") == [check_in(1001, "kelas-blk")]
        assert tx.check_ins.for_event("none") == []
        assert (tx.check_ins.count("jobfair"), tx.check_ins.count("kelas-blk")) == (2, 1)
        assert tx.check_ins.count("none") == 0


def test_the_keyring_is_stored_whole(storage: Storage) -> None:
    ring = keyring()
    with storage.transaction() as tx:
        assert tx.keyring.get() is None
        tx.keyring.put(ring)
    rotated = ring.rotate(lambda n: bytes(range(2, n + 2)), NOW + timedelta(days=1))
    with storage.transaction() as tx:
        assert tx.keyring.get() == ring
        tx.keyring.put(rotated)
    with storage.transaction() as tx:
        stored = tx.keyring.get()
    assert stored == rotated
    assert stored is not None
    assert stored.to_dict() == rotated.to_dict()


def test_the_keyring_stamp_is_read_without_the_keyring(storage: Storage) -> None:
    ring = keyring()
    with storage.transaction() as tx:
        assert tx.keyring.stamp() is None
        tx.keyring.put(ring)
        assert tx.keyring.stamp() == ring.stamp  # reads its own writes
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.cards.add(card(1))
    subject = storage.scan_subject(1001)
    assert subject is not None
    assert subject.keyring_stamp in (ring.stamp, None)  # None: "ask tx.keyring.stamp()"
    retired = ring.retire(ring.signing_link_key.kid if ring.signing_link_key else "", NOW)
    with storage.transaction() as tx:
        tx.keyring.put(retired)
    with storage.transaction() as tx:
        assert tx.keyring.stamp() == retired.stamp != ring.stamp
    subject = storage.scan_subject(1001)
    assert subject is not None
    assert subject.keyring_stamp in (retired.stamp, None)


def test_scan_subject_reads_card_account_and_profile_as_committed(storage: Storage) -> None:
    assert storage.scan_subject(1001) is None
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.cards.add(card(1))
    subject = storage.scan_subject(1001)
    assert subject == ScanSubject(card(1), account(1), None)
    assert (subject.card, subject.account, subject.profile) == (card(1), account(1), None)
    profile = Profile(full_name="Person 1")
    with storage.transaction() as tx:
        tx.profiles.put("acct-1", profile)
        tx.cards.put(card(1, version=2))
        # Not committed yet: a scan (another request, another thread) sees the committed state.
        seen: list[ScanSubject | None] = []
        scanner = threading.Thread(target=lambda: seen.append(storage.scan_subject(1001)))
        scanner.start()
        scanner.join()
        assert seen == [ScanSubject(card(1), account(1), None)]
    assert storage.scan_subject(1001) == ScanSubject(card(1, version=2), account(1), profile)
    assert storage.scan_subject(1002) is None


def test_a_failing_transaction_writes_none_of_the_card_tables(storage: Storage) -> None:
    class Boom(Exception):
        pass

    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.cards.add(card(1))
        tx.check_ins.add(check_in(1001, minutes=5))

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.profiles.put("acct-1", Profile(full_name="Person 1"))
            tx.cards.put(card(1, version=2))
            tx.cards.add(card(2))
            tx.verifiers.add(verifier(1), "hash-1")
            tx.consents.put(consent(1))
            tx.access_log.append(entry(1))
            tx.check_ins.add(check_in(1002))
            tx.check_ins.replace(check_in(1001, minutes=1))
            tx.keyring.put(keyring())
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.profiles.get("acct-1") is None
        assert tx.cards.get("acct-1") == card(1)
        assert tx.cards.by_ref(1001) == card(1)
        assert tx.cards.get("acct-2") is None
        assert tx.cards.by_ref(1002) is None
        assert tx.cards.by_number(card(2).number) is None
        assert tx.verifiers.get("ver-1") is None
        assert tx.verifiers.by_key("hash-1") is None
        assert tx.consents.get("consent-1") is None
        assert tx.consents.for_account("acct-1") == []
        assert tx.access_log.for_account("acct-1") == []
        assert tx.check_ins.get(1002, "jobfair") is None
        assert tx.check_ins.for_event("jobfair") == [check_in(1001, minutes=5)]
        assert tx.keyring.get() is None
    assert storage.scan_subject(1001) == ScanSubject(card(1), account(1), None)
    assert storage.scan_subject(1002) is None


# --- bulk reads and writes (card issuance) -------------------------------------------


def test_card_holders_read_a_batch_with_cards_and_profiles(storage: Storage) -> None:
    profile = Profile(full_name="Person 2")
    with storage.transaction() as tx:
        for n in (1, 2, 3):
            tx.accounts.add(account(n))
        tx.cards.add(card(1))
        tx.profiles.put("acct-2", profile)
    with storage.transaction() as tx:  # a holder's account and profile are read inside it
        holders = list(tx.card_holders(["acct-3", "nobody", "acct-1", "acct-2", "acct-3"]))
        # Unknown ids are left out, a repeated one comes once, in the order given.
        assert holders == [
            CardHolder(account(3), None, None),
            CardHolder(account(1), card(1), None),
            CardHolder(account(2), None, profile),
        ]
    with storage.transaction() as tx:
        assert list(tx.card_holders([])) == []
        assert list(tx.card_holders(["nobody"])) == []


def test_add_many_refuses_taken_indexes_numbers_and_references(storage: Storage) -> None:
    """``cards.add_many`` writes the cards it can and returns the others, in the order
    given: a status index held by a stored card or by an earlier card of the batch, a
    number or reference already taken."""
    with storage.transaction() as tx:
        for n in range(1, 9):
            tx.accounts.add(account(n))
        tx.cards.add(attrs.evolve(card(1), status_index=500))
    batch = [
        attrs.evolve(card(2), status_index=500),  # held by the stored card
        attrs.evolve(card(3), status_index=600),
        attrs.evolve(card(4), status_index=600),  # given earlier in the batch
        attrs.evolve(card(5), status_index=700, number=card(1).number),
        attrs.evolve(card(6), status_index=800, card_ref=card(1).card_ref),
        attrs.evolve(card(7), status_index=900),
        card(8),  # no index (made outside issuance)
    ]
    with storage.transaction() as tx:
        refused = tx.cards.add_many(batch)
    assert [record.id for record in refused] == ["card-2", "card-4", "card-5", "card-6"]
    with storage.transaction() as tx:
        assert tx.cards.get("acct-3") == batch[1]
        assert tx.cards.get("acct-7") == batch[5]
        assert tx.cards.get("acct-8") == batch[6]
        for n in (2, 4, 5, 6):
            assert tx.cards.get(f"acct-{n}") is None
        assert tx.cards.add_many([]) == []


def test_card_holders_see_the_transactions_own_writes(storage: Storage) -> None:
    profile = Profile(full_name="Person 1")
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.profiles.put("acct-1", profile)
        tx.cards.add(card(1))
        assert list(tx.card_holders(["acct-1"])) == [CardHolder(account(1), card(1), profile)]


def test_card_holders_read_every_field_of_a_card(storage: Storage) -> None:
    # A SQL adapter may read the cards on its driver, not through the column types: the
    # reference past 2**63 (a negative BIGINT), every time in UTC, the optional ones set.
    stored = attrs.evolve(
        card(1, card_ref=2**64 - 7, version=3),
        status_index=41,
        revoked_at=NOW + timedelta(minutes=5),
        suspended_at=NOW + timedelta(minutes=2),
        updated_at=NOW + timedelta(minutes=5),
    )
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.accounts.add(account(2))
        tx.cards.add(stored)
    with storage.transaction() as tx:
        holders = list(tx.card_holders(["acct-1", "acct-2"]))
        assert holders[0].card == stored == tx.cards.get("acct-1")
        assert holders[1].card is None
    assert holders[0].card.revoked_at.utcoffset() == timedelta(0)


def test_card_holders_after_waiting_for_the_accounts_see_the_card_committed_meanwhile(
    storage: Storage,
) -> None:
    """Two issuances at once: the second waits for the accounts the first locked, and then
    must read the card the first committed (PostgreSQL's one-statement read, locking as it
    joined, read the cards from before its wait: "already has a card", a crash)."""
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
    locked, release = threading.Event(), threading.Event()

    def first() -> None:
        with storage.transaction() as tx:
            assert [h.card for h in tx.card_holders(["acct-1"])] == [None]
            tx.cards.add_many([card(1)])
            locked.set()
            release.wait(10)

    issuing = threading.Thread(target=first)
    issuing.start()
    seen: list[object] = []
    try:
        assert locked.wait(10)

        def second() -> None:
            with storage.transaction() as tx:
                seen.extend(h.card for h in tx.card_holders(["acct-1"]))

        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(0.3)  # it waits for the first's lock (the memory adapter: its unit)
        release.set()
        issuing.join(10)
        waiting.join(10)
        assert not waiting.is_alive()
    finally:
        release.set()
        issuing.join(10)
    assert seen == [card(1)]


def test_add_many_writes_every_field_and_any_text(storage: Storage) -> None:
    # A SQL adapter may write the batch in COPY's text form: the optional fields set, a
    # reference past 2**63, and ids holding what that form escapes come back as given.
    full = attrs.evolve(
        card(1, card_ref=2**64 - 1, version=2),
        status_index=None,
        revoked_at=NOW + timedelta(minutes=5),
        suspended_at=NOW + timedelta(minutes=2),
    )
    plain = attrs.evolve(card(2), status_index=7)
    odd = attrs.evolve(card(3, number="SK-TEST-\\N-00X"), account_id="acct\t3\\N\r\n")
    for batch in ([full, plain], [odd]):
        with storage.transaction() as tx:
            assert tx.cards.add_many(batch) == []
        with storage.transaction() as tx:
            assert [tx.cards.get(record.account_id) for record in batch] == batch


def test_card_holders_of_a_batch_larger_than_a_query(storage: Storage) -> None:
    # A SQL adapter reads a thousand ids per query: holders on both sides of the cut.
    ids = [f"acct-{n}" for n in range(1, 1501)]
    with storage.transaction() as tx:
        for n in (1, 1000, 1001, 1500):
            tx.accounts.add(account(n))
        tx.cards.add(card(1001))
    with storage.transaction() as tx:
        holders = list(tx.card_holders(ids))
        assert [h.account.id for h in holders] == ["acct-1", "acct-1000", "acct-1001", "acct-1500"]
    assert [h.card for h in holders] == [None, None, card(1001), None]


def test_card_holders_say_only_what_the_profile_is(storage: Storage) -> None:
    # An adapter may pass what it stored about completeness (bulk issuance then decodes
    # nothing); when it does, it must agree with the profile, and the id and activity
    # it passes beside a deferred account must be the account's.
    sections = complete_profile()
    sections["biodata"] = {**sections["biodata"], "sex": "L"}
    sections["contact"] = {"email": "galih@example.com", "phone": "+6281234567890"}
    complete = merge_profile(Profile(full_name="Galih"), sections)
    assert is_complete(complete)
    with storage.transaction() as tx:
        for n in (1, 2, 3):
            tx.accounts.add(attrs.evolve(account(n), active=n != 3))
        tx.profiles.put("acct-1", complete)
        tx.profiles.put("acct-2", Profile(full_name="Person 2"))
    with storage.transaction() as tx:
        holders = list(tx.card_holders(["acct-1", "acct-2", "acct-3"]))
        accounts = [h.account.id for h in holders]
        profiles = [h.profile for h in holders]
    assert accounts == ["acct-1", "acct-2", "acct-3"]
    assert [(h.account_id, h.active) for h in holders] == [
        ("acct-1", True),
        ("acct-2", True),
        ("acct-3", False),
    ]
    for holder, profile, expected in zip(holders, profiles, (True, False, None), strict=True):
        assert holder.complete in (expected, None)
        if profile is not None:
            assert is_complete(profile) is expected


def test_add_many_cards_returns_the_refused_and_keeps_the_rest(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.cards.add(card(1))
        assert tx.cards.add_many([]) == []
    batch = [
        card(2),
        card(3, number=card(1).number),  # number taken
        card(4, card_ref=card(1).card_ref),  # reference taken
        CardRecord(  # the account holds a card already
            id="card-other",
            account_id="acct-1",
            number="SK-TEST-9999-00X",
            card_ref=9999,
            version=1,
            issued_at=NOW,
            updated_at=NOW,
        ),
        card(5),
    ]
    with storage.transaction() as tx:
        assert tx.cards.add_many(batch) == [batch[1], batch[2], batch[3]]
        assert tx.cards.get("acct-2") == card(2)  # reads its own writes
        tx.cards.add(card(3))  # the transaction is still usable: a new draw goes in
    with storage.transaction() as tx:
        assert [tx.cards.get(f"acct-{n}") for n in (1, 2, 3, 4, 5)] == [
            card(1),
            card(2),
            card(3),
            None,
            card(5),
        ]
        assert tx.cards.by_ref(9999) is None


def test_a_failing_transaction_writes_none_of_a_bulk_batch(storage: Storage) -> None:
    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            assert tx.cards.add_many([card(1), card(2)]) == []
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.cards.get("acct-1") is None
        assert tx.cards.by_ref(card(2).card_ref) is None


def test_a_profile_with_a_large_photo_round_trips(storage: Storage) -> None:
    import random

    content = b"\xff\xd8\xff" + random.Random(7).randbytes(120_000)  # a JPEG's magic
    profile = Profile(full_name="Person 1", photo=Photo(content=content))
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.cards.add(card(1))
        tx.profiles.put("acct-1", profile)
    with storage.transaction() as tx:
        assert tx.profiles.get("acct-1") == profile
        assert [h.profile for h in tx.card_holders(["acct-1"])] == [profile]
    subject = storage.scan_subject(card(1).card_ref)
    assert subject is not None
    assert subject.profile == profile


# --- the durable SMS outbox ---------------------------------------------------------------

LEASE = timedelta(seconds=30)


def _message(n: int, *, at: datetime = NOW, subject: str | None = None) -> OutboxMessage:
    return OutboxMessage(
        id=f"msg-{n:04d}",
        to=f"+62812{n:08d}",
        text=f"Kode SIAPkerja Anda: {n:06d}",
        created_at=at,
        available_at=at,
        expires_at=at + timedelta(minutes=5),
        subject_id=subject,
        generation=None if subject is None else 1,
        purpose=None if subject is None else "registration",
    )


def test_an_outbox_message_commits_with_its_transaction_or_not_at_all(storage: Storage) -> None:
    def failing_request() -> None:
        with storage.transaction() as tx:
            tx.outbox.add(_message(1))
            raise RuntimeError("the request failed after enqueueing")

    with pytest.raises(RuntimeError):
        failing_request()
    with storage.transaction() as tx:
        assert tx.outbox.get("msg-0001") is None
        tx.outbox.add(_message(2, subject="reg-2"))
        assert tx.outbox.get("msg-0002") == _message(2, subject="reg-2")  # its own write
    with storage.transaction() as tx:
        assert tx.outbox.get("msg-0002") == _message(2, subject="reg-2")
        assert tx.outbox.count() == 1


def test_the_outbox_claims_due_messages_oldest_first_under_a_lease(storage: Storage) -> None:
    with storage.transaction() as tx:
        for n in (3, 1, 2):
            tx.outbox.add(_message(n, at=NOW + timedelta(seconds=n)))
        tx.outbox.add(_message(9, at=NOW + timedelta(hours=1)))  # not due yet
    later = NOW + timedelta(seconds=10)
    with storage.transaction() as tx:
        first = tx.outbox.claim(now=later, lease=LEASE, limit=2)
    assert [m.id for m in first] == ["msg-0001", "msg-0002"]
    assert all(m.claimed_until == later + LEASE and m.attempts == 1 for m in first)
    with storage.transaction() as tx:
        rest = tx.outbox.claim(now=later, lease=LEASE, limit=10)
        assert [m.id for m in rest] == ["msg-0003"]  # the leased ones are not offered
        assert tx.outbox.claim(now=later, lease=LEASE, limit=10) == []
    # The lease ran out (a killed worker): the message comes back, one more attempt counted.
    with storage.transaction() as tx:
        again = tx.outbox.claim(now=later + LEASE, lease=LEASE, limit=10)
    assert [(m.id, m.attempts) for m in again] == [
        ("msg-0001", 2),
        ("msg-0002", 2),
        ("msg-0003", 2),
    ]


def test_an_outbox_retry_is_rescheduled_and_a_sent_message_deleted(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.outbox.add(_message(1))
        tx.outbox.add(_message(2))
    with storage.transaction() as tx:
        one, two = tx.outbox.claim(now=NOW, lease=LEASE, limit=10)
        tx.outbox.put(one.retry_at(NOW + timedelta(minutes=1), "http_503"))
        tx.outbox.delete(two.id)
        tx.outbox.delete("msg-unknown")  # ignored
    with storage.transaction() as tx:
        assert tx.outbox.count() == 1
        stored = tx.outbox.get("msg-0001")
        assert stored is not None
        assert (stored.last_failure, stored.claimed_until) == ("http_503", None)
        assert tx.outbox.claim(now=NOW + timedelta(seconds=59), lease=LEASE, limit=10) == []
        [due] = tx.outbox.claim(now=NOW + timedelta(minutes=1), lease=LEASE, limit=10)
    assert (due.id, due.attempts, due.text) == ("msg-0001", 2, _message(1).text)


def test_concurrent_outbox_claims_never_share_a_message(storage: Storage) -> None:
    with storage.transaction() as tx:
        for n in range(60):
            tx.outbox.add(_message(n, at=NOW + timedelta(milliseconds=n)))
    later = NOW + timedelta(seconds=1)
    taken: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def claimer() -> None:
        barrier.wait()
        while True:
            with storage.transaction() as tx:
                batch = tx.outbox.claim(now=later, lease=LEASE, limit=7)
            if not batch:
                return
            with lock:
                taken.extend(m.id for m in batch)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == [f"msg-{n:04d}" for n in range(60)]  # each once, none lost
