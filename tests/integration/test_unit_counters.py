"""Rate-limit slots taken inside the journey's units of work (``UnitCounters``), on SQLite
and PostgreSQL.

When the counters live in the storage's database (``ratelimit = "storage"``), a
step takes its slots in its own unit of work: the send's daily caps and the
code's try in the unit that writes, a passed Dukcapil check and a right
password give their slots back in the unit that stores what they allowed, and
a free e-mail's check is a read in the unit that found it free. These tests
hold what must not change: a fault leaves nothing half-written (no code
without its SMS, no slot kept for a send that did not happen, no account
without its spent code), a refused try still counts, a right password still
ends the run of failures, and the caps stay exact under concurrency
(``test_exact_limits.py`` races the same steps). No assertion is timed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_exact_limits import together  # type: ignore[import-not-found]
from test_sql_storage import POLICY, close, connect_sql  # type: ignore[import-not-found]

from siapkerja_adapters.sql import SqlStorage
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.errors import AlreadyRegistered, LoginError, OtpError, RegistrationError
from siapkerja_core.ports import Hit, counters_within, hit_all, shares_units, slots_in
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.context import DAY
from support import people
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
EMAIL = "galih@example.com"
PHONE = "081299999999"
PHONE_E164 = "+6281299999999"


class Fault(Exception):
    """The fault these tests inject inside a unit of work."""


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "sqlite":
        service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}")
    else:
        url = request.getfixturevalue("postgres_url")
        service = connect_sql(url, request.getfixturevalue("postgres_schema"))
    try:
        yield service
    finally:
        close(service)


def slots(svc: Siapkerja, kind: str, value: str) -> int:
    """The slots taken in the live day-long window of the counter ``kind`` of ``value``."""
    key = svc.journey.context.counter_key(kind, value)
    with svc.storage.transaction(read_only=True) as tx:
        unit = counters_within(svc.counters, tx)
        assert unit is not None
        return unit.peek(key, limit=10**6, window=DAY, now=svc.journey.context.clock()).count


def counted_statements(svc: Siapkerja) -> list[str]:
    """The counters' own statements (outside any unit of work), as they are sent."""
    counters: Any = svc.counters
    run = counters._run
    sent: list[str] = []

    def counted(call: Callable[[Any], Any]) -> Any:
        sent.append("statement")
        return run(call)

    counters._run = counted
    return sent


def test_the_counters_share_the_sql_storage(svc: Siapkerja) -> None:
    assert shares_units(svc.counters, svc.storage)
    assert isinstance(svc.storage, SqlStorage)


def test_a_journey_sends_two_counter_statements_of_their_own(svc: Siapkerja) -> None:
    """Nine before: every slot was its own statement and commit. Left: the Dukcapil
    check's and the sign-in's, taken before slow work that no unit may wait for. Units
    of work: 1, 2, 2 and 3 before (the confirmation's read and the sign-in's record of
    processing were units of their own)."""
    sent = counted_statements(svc)
    storage: Any = svc.storage
    transaction = storage.transaction
    opened = [0]

    caller = threading.current_thread()

    def counting(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is caller:  # not the SMS dispatcher's
            opened[0] += 1
        return transaction(*args, **kwargs)

    storage.transaction = counting
    units: dict[str, int] = {}
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    units["register"], opened[0] = opened[0], 0
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    units["submit_contact"] = opened[0]
    code = sms_code(svc, PHONE)
    opened[0] = 0
    svc.confirm_otp(registration.id, code)
    units["confirm_otp"], opened[0] = opened[0], 0
    svc.login(people.NIK, PASSWORD)
    units["login"] = opened[0]
    del storage.transaction
    assert len(sent) == 2
    assert units == {"register": 1, "submit_contact": 2, "confirm_otp": 1, "login": 2}
    # Every slot given back or counted as before: the sends' daily caps hold one each.
    assert slots(svc, "verify-nik", people.NIK) == 0
    assert slots(svc, "email-taken", people.NIK) == 0
    assert slots(svc, "sms-phone", PHONE_E164) == 1
    assert slots(svc, "sms-nik", people.NIK) == 1


def test_a_send_takes_both_daily_caps_in_one_statement(svc: Siapkerja) -> None:
    """The send's two slots (per number, per NIK) are one statement of the writing unit."""
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    sent: list[str] = []  # the units' statements, on their driver connections
    driver_rows = SqlTransaction.driver_rows

    def counted(self: Any, sql: str, params: Any) -> Any:
        sent.append(sql)
        return driver_rows(self, sql, params)

    SqlTransaction.driver_rows = counted  # type: ignore[method-assign]
    try:
        svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    finally:
        SqlTransaction.driver_rows = driver_rows  # type: ignore[method-assign]
    upserts = [sql for sql in sent if sql.startswith("INSERT INTO sk_counters")]
    assert len(upserts) == 1
    assert slots(svc, "sms-phone", PHONE_E164) == 1
    assert slots(svc, "sms-nik", people.NIK) == 1


_WINDOW = timedelta(days=1)
_keys = itertools.count()


def _row(svc: Siapkerja, key: str) -> tuple[int, int] | None:
    counters: Any = svc.counters
    read = counters._statements().read
    with svc.storage.transaction(read_only=True) as tx:
        rows, _ = tx.driver_rows(read.sql, read.params({"key": key}))  # type: ignore[attr-defined]
    return None if not rows else (int(rows[0][0]), int(rows[0][1]))


def _hits_one_by_one(unit: Any, slots: list[tuple[str, int]], now: datetime) -> Hit | None:
    """The general path the one statement must equal: every key hit, in order; on a
    refusal the slots taken given back and the first refusal answered."""
    hits = [unit.hit(key, limit=limit, window=_WINDOW, now=now) for key, limit in slots]
    refused = [hit for hit in hits if not hit.allowed]
    if not refused:
        return None
    for (key, _), hit in zip(slots, hits, strict=True):
        if hit.allowed:
            unit.release(key, window=_WINDOW, now=now)
    return refused[0]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    taken=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    limits=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    opened=st.tuples(st.sampled_from([None, 1, 23, 25]), st.sampled_from([None, 1, 23, 25])),
)
def test_two_slots_in_one_statement_answer_as_the_hits_one_by_one(
    svc: Siapkerja,
    taken: tuple[int, int],
    limits: tuple[int, int],
    opened: tuple[int | None, int | None],
) -> None:
    """``hit_all`` of two keys (one upsert) leaves the rows and gives the answer that
    hitting each key in the unit gives (and giving the slots back on a refusal), for
    keys new, in a live window, full, or whose window ended (``opened`` hours ago)."""
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    worlds = []
    for _ in ("one statement", "one by one"):
        keys = [f"pair-{next(_keys)}", f"pair-{next(_keys)}"]
        for key, count, hours in zip(keys, taken, opened, strict=True):
            if hours is None:
                continue
            for _ in range(count):
                svc.counters.hit(key, limit=10, window=_WINDOW, now=now - timedelta(hours=hours))
        worlds.append([(key, limit) for key, limit in zip(keys, limits, strict=True)])
    answers = []
    for world, take in zip(worlds, ("fast", "general"), strict=True):
        with svc.storage.transaction() as tx:
            unit = slots_in(svc.counters, tx)
            if take == "fast":
                answers.append(hit_all(unit, world, window=_WINDOW, now=now))
            else:
                answers.append(_hits_one_by_one(unit, world, now))
    assert answers[0] == answers[1]
    rows = [[_row(svc, key) for key, _ in world] for world in worlds]
    assert rows[0] == rows[1]


def test_a_fault_in_the_send_unit_leaves_no_code_and_no_slot(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    codes = svc.journey.codes

    def broken(*_args: object, **_kwargs: object) -> None:
        raise Fault("the outbox failed after the challenge was written")

    monkeypatch.setattr(codes, "enqueue", broken)
    with pytest.raises(Fault):
        svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    after = svc.registration(registration.id)
    assert after.status is RegistrationStatus.VERIFIED  # not half-way to the code step
    assert after.otp is None  # no challenge
    assert after.phone is None  # no contact stored
    assert slots(svc, "sms-phone", PHONE_E164) == 0  # the send's slots rolled back with it
    assert slots(svc, "sms-nik", people.NIK) == 0
    svc.deliver_outbox()
    assert not svc.sms.messages  # type: ignore[attr-defined]  # no SMS was put in the outbox
    monkeypatch.undo()
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert svc.confirm_otp(registration.id, sms_code(svc, PHONE)).nik == people.NIK


def test_a_fault_in_the_confirm_unit_leaves_the_registration_waiting(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    code = sms_code(svc, PHONE)
    context = svc.journey.context

    def broken(*_args: object, **_kwargs: object) -> None:
        raise Fault("the session could not be stored")

    monkeypatch.setattr(type(context), "open_session", broken)
    with pytest.raises(Fault):
        svc.confirm_otp(registration.id, code)
    monkeypatch.undo()
    after = svc.registration(registration.id)
    assert after.status is RegistrationStatus.PENDING_OTP  # no account, code not spent
    assert after.account_id is None
    with pytest.raises(LoginError):
        svc.login(people.NIK, PASSWORD)
    assert svc.confirm_otp(registration.id, code).nik == people.NIK


def test_a_wrong_code_counts_although_its_refusal_ends_the_step(svc: Siapkerja) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    right = sms_code(svc, PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    with pytest.raises(OtpError) as refused:
        svc.confirm_otp(registration.id, wrong)
    assert refused.value.code == "invalid"
    otp = svc.registration(registration.id).otp
    assert otp is not None
    assert otp.attempts_left == svc.policy.otp_max_attempts - 1  # committed with the slot
    assert svc.confirm_otp(registration.id, right).nik == people.NIK


def test_wrong_codes_racing_in_their_units_evaluate_at_most_the_attempts(
    svc: Siapkerja,
) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    wrong = f"{(int(sms_code(svc, PHONE)) + 1) % 10**6:06d}"
    racers = 12
    outcomes = together([lambda: svc.confirm_otp(registration.id, wrong) for _ in range(racers)])
    assert all(isinstance(o, OtpError) for o in outcomes), outcomes
    codes = sorted(o.code for o in outcomes if isinstance(o, OtpError))
    cap = svc.policy.otp_max_attempts
    # The cap's tries are compared (each wrong, the last one kills the code); the rest are
    # refused without a comparison.
    assert len([c for c in codes if c != "dead"]) <= cap
    assert codes.count("dead") >= racers - cap
    otp = svc.registration(registration.id).otp
    assert otp is not None
    assert otp.attempts_left == 0


def test_an_existing_account_gives_the_checks_slot_back(svc: Siapkerja) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    svc.confirm_otp(registration.id, sms_code(svc, PHONE))
    with pytest.raises(AlreadyRegistered):
        svc.register(people.NIK, people.NAME, people.MOTHER)
    # The unit that found the account rolled back, its release with it: given back after.
    assert slots(svc, "verify-nik", people.NIK) == 0


def test_a_free_email_is_refused_while_the_checks_are_locked(svc: Siapkerja) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    key = svc.journey.context.counter_key("email-taken", people.NIK)
    cap = svc.policy.max_email_conflicts_per_nik_per_day
    now = svc.journey.context.clock()
    for _ in range(cap):
        assert svc.counters.hit(key, limit=cap, window=DAY, now=now).allowed
    with pytest.raises(RegistrationError) as locked:
        svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert locked.value.code == "email_checks_locked"
    assert slots(svc, "email-taken", people.NIK) == cap  # the read took nothing


def test_a_fault_in_the_session_unit_still_ends_the_run_of_failures(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(registration.id, sms_code(svc, PHONE))
    with pytest.raises(LoginError):
        svc.login(people.NIK, "bukan kata sandi yang benar")
    assert slots(svc, "login-fail", f"account:{account.id}") == 1
    context = svc.journey.context

    def broken(*_args: object, **_kwargs: object) -> None:
        raise Fault("the session could not be stored")

    monkeypatch.setattr(type(context), "open_session", broken)
    with pytest.raises(Fault):
        svc.login(people.NIK, PASSWORD)
    monkeypatch.undo()
    # The right password ended the run although its unit rolled back.
    assert slots(svc, "login-fail", f"account:{account.id}") == 0
    assert svc.login(people.NIK, PASSWORD).id == account.id
    assert slots(svc, "login-fail", f"account:{account.id}") == 0


def test_memory_takes_its_slots_outside_its_units_as_before() -> None:
    from siapkerja_adapters.connect import connect
    from siapkerja_core.passwords import PasswordHasher

    memory = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), policy=POLICY)
    assert not shares_units(memory.counters, memory.storage)
    registration = memory.register(people.NIK, people.NAME, people.MOTHER)
    memory.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert memory.confirm_otp(registration.id, sms_code(memory, PHONE)).nik == people.NIK


def test_a_sign_in_and_its_record_of_processing_commit_together(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unit: the session and the record's line, or neither (a fault in the line)."""
    from siapkerja_adapters.sql.rights import SqlRights

    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(registration.id, sms_code(svc, PHONE))
    signed_in = svc.login(people.NIK, PASSWORD)
    assert signed_in.session is not None

    def sign_ins() -> int:
        with svc.storage.transaction(read_only=True) as tx:
            return len(tx.rights.processing_for(account.id))

    assert sign_ins() == 1

    def broken(*_args: object, **_kwargs: object) -> None:
        raise Fault("the record of processing could not be written")

    sessions: list[str] = []
    open_session = type(svc.journey.context).open_session

    def opened(context: Any, tx: Any, account_id: str, now: Any) -> Any:
        session = open_session(context, tx, account_id, now)
        sessions.append(session.token)
        return session

    monkeypatch.setattr(type(svc.journey.context), "open_session", opened)
    monkeypatch.setattr(SqlRights, "log", broken)
    with pytest.raises(Fault):
        svc.login(people.NIK, PASSWORD)
    monkeypatch.undo()
    assert len(sessions) == 1
    with pytest.raises(LoginError):
        svc.authenticate(sessions[0])  # the session rolled back with the line
    assert sign_ins() == 1
    assert svc.authenticate(signed_in.session.token).id == account.id
