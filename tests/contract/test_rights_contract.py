"""The rights part of the storage contract (``tx.rights``), on memory, SQLite and PostgreSQL.

* requests round-trip (an objection's note included), list by holder oldest
  first, open ones by deadline, erasures to purge by the end of their hold;
* the record of processing is append-only and per holder;
* a restriction is recorded, read and lifted;
* ``erase`` deletes the holder's account (its NIK free again), profile,
  sessions, resets, registrations with their codes and outbox messages,
  consents, consent requests, SSO tokens — and nobody else's; ``purge``
  deletes the ledger, check-ins, AK/I and card it kept;
* everything commits and rolls back with its transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up, account, registration

from siapkerja_core.ports import Storage
from siapkerja_core.ports.rights import ERASED_AT_ONCE, PURGED_LATER
from siapkerja_core.records import (
    AccessRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
    OutboxMessage,
    PasswordResetRecord,
    SessionRecord,
)
from siapkerja_core.rights import (
    ProcessingEntry,
    RequestStatus,
    RightKind,
    RightsRequest,
)
from siapkerja_core.sso import SsoToken, TokenKind
from siapkerja_core.station import CheckIn


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


def request(n: int, kind: RightKind = RightKind.OBJECTION, *, hours: int = 0) -> RightsRequest:
    return RightsRequest.received(
        id=f"req-{n}",
        receipt=f"HAK-20261127-{n:08d}",
        account_id=f"acct-{n % 2}",
        kind=kind,
        at=NOW + timedelta(hours=hours),
    )


def test_requests_round_trip_and_list(storage: Storage) -> None:
    early = attrs.evolve(request(1, hours=5), note="Keputusan otomatis, mohon ditinjau")
    late = request(3, hours=1)
    done = request(5).completed(NOW, "holder")
    with storage.transaction() as tx:
        for r in (early, late, done):
            tx.rights.put(r)
    with storage.transaction() as tx:
        assert tx.rights.get("req-1") == early
        assert tx.rights.get("nope") is None
        assert [r.id for r in tx.rights.for_account("acct-1")] == ["req-5", "req-3", "req-1"]
        assert [r.id for r in tx.rights.open()] == ["req-3", "req-1"]
        assert [r.id for r in tx.rights.open(limit=1)] == ["req-3"]
        tx.rights.put(early.completed(NOW + timedelta(hours=6), "cli:petugas"))
    with storage.transaction() as tx:
        stored = tx.rights.get("req-1")
        assert stored is not None
        assert stored.status is RequestStatus.COMPLETED
        assert stored.handled_by == "cli:petugas"
        assert stored.note == early.note
        assert [r.id for r in tx.rights.open()] == ["req-3"]


def test_erasures_to_purge_by_the_end_of_their_hold(storage: Storage) -> None:
    erasure = attrs.evolve(
        request(2, RightKind.ERASURE).completed(NOW, "holder"),
        purge_after=NOW + timedelta(days=10),
    )
    with storage.transaction() as tx:
        tx.rights.put(erasure)
        tx.rights.put(request(4))
    with storage.transaction() as tx:
        assert tx.rights.to_purge(NOW) == []
        assert tx.rights.to_purge(NOW + timedelta(days=10)) == [erasure]
        tx.rights.put(attrs.evolve(erasure, purged_at=NOW + timedelta(days=10)))
    with storage.transaction() as tx:
        assert tx.rights.to_purge(NOW + timedelta(days=20)) == []


def test_processing_log_and_restriction(storage: Storage) -> None:
    lines = [
        ProcessingEntry(
            id=f"log-{n}", account_id="acct-1", at=NOW + timedelta(minutes=n), kind="sign_in"
        )
        for n in (2, 1)
    ]
    with storage.transaction() as tx:
        for line in lines:
            tx.rights.log(line)
        tx.rights.log(ProcessingEntry(id="other", account_id="acct-2", at=NOW, kind="sign_in"))
        tx.rights.restrict("acct-1", NOW)
    with storage.transaction() as tx:
        assert tx.rights.processing_for("acct-1") == lines[::-1]
        assert tx.rights.restricted_at("acct-1") == NOW
        assert tx.rights.restricted_at("acct-2") is None
        tx.rights.restrict("acct-1", None)
    with storage.transaction() as tx:
        assert tx.rights.restricted_at("acct-1") is None


def test_a_rolled_back_unit_keeps_nothing(storage: Storage) -> None:
    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.rights.put(request(1))
            tx.rights.restrict("acct-1", NOW)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.rights.get("req-1") is None
        assert tx.rights.restricted_at("acct-1") is None


def _card(n: int) -> CardRecord:
    return CardRecord(
        id=f"card-{n}",
        account_id=f"acct-{n}",
        number=f"SK-RGHT-{n:04d}-00X",
        card_ref=7000 + n,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
    )


def _fill(tx: object, n: int) -> None:
    """Every kind of row the holder ``acct-<n>`` can have."""
    t: object = tx
    account_id = f"acct-{n}"
    t.accounts.add(account(n))  # type: ignore[attr-defined]
    t.registrations.put(attrs.evolve(registration(n), account_id=account_id))  # type: ignore[attr-defined]
    t.challenges.put(  # type: ignore[attr-defined]
        OtpChallenge(
            subject_id=f"reg-{n}",
            purpose=OtpPurpose.REGISTRATION,
            phone=f"+62812{n:08d}",
            code_hash="h",
            generation=1,
            issued_at=NOW,
            expires_at=NOW + timedelta(minutes=5),
        )
    )
    t.outbox.add(  # type: ignore[attr-defined]
        OutboxMessage(
            id=f"msg-{n}",
            to=f"+62812{n:08d}",
            text="kode 123456",
            created_at=NOW,
            available_at=NOW,
            subject_id=f"reg-{n}",
        )
    )
    t.sessions.add(  # type: ignore[attr-defined]
        SessionRecord(id=f"sess-{n}", account_id=account_id, created_at=NOW, expires_at=NOW)
    )
    t.resets.put(  # type: ignore[attr-defined]
        PasswordResetRecord(
            id=f"reset-{n}", account_id=account_id, generation=1, created_at=NOW, expires_at=NOW
        )
    )
    t.consents.put(  # type: ignore[attr-defined]
        ConsentRecord(
            id=f"consent-{n}",
            account_id=account_id,
            verifier_id="v",
            purpose="p",
            fields=None,
            granted_at=NOW,
        )
    )
    t.sso_tokens.add(  # type: ignore[attr-defined]
        SsoToken(
            token_hash=f"tok-{n}",
            kind=TokenKind.ACCESS,
            client_id="c",
            grant_id=f"g-{n}",
            issued_at=NOW,
            expires_at=NOW + timedelta(hours=1),
            account_id=account_id,
        )
    )
    t.cards.add(_card(n))  # type: ignore[attr-defined]
    t.access_log.append(  # type: ignore[attr-defined]
        AccessRecord(
            id=f"ledger-{n}",
            account_id=account_id,
            at=NOW,
            audience="verifier",
            fields=("full_name",),
            channel="link",
        )
    )
    t.check_ins.add(  # type: ignore[attr-defined]
        CheckIn(
            card_ref=7000 + n, event_id="ev", station_id="st", checked_in_at=NOW, step=1, kid="k"
        )
    )
    t.rights.log(ProcessingEntry(id=f"line-{n}", account_id=account_id, at=NOW, kind="sign_in"))  # type: ignore[attr-defined]
    t.rights.restrict(account_id, NOW)  # type: ignore[attr-defined]


def test_erase_then_purge_delete_the_holder_and_nobody_else(storage: Storage) -> None:
    with storage.transaction() as tx:
        _fill(tx, 1)
        _fill(tx, 2)
    with storage.transaction() as tx:
        counts = tx.rights.erase("acct-1")
    assert tuple(counts) == ERASED_AT_ONCE
    for name in (
        "accounts",
        "profiles",
        "sessions",
        "password_resets",
        "registrations",
        "otp_challenges",
        "outbox",
        "consents",
        "sso_tokens",
        "processing_log",
        "restrictions",
    ):
        assert counts[name] == (0 if name == "profiles" else 1), name
    with storage.transaction() as tx:
        assert tx.accounts.get("acct-1") is None
        assert tx.accounts.find(nik=account(1).nik) is None
        assert tx.sessions.get("sess-1") is None
        assert tx.resets.get("reset-1") is None
        assert tx.registrations.get("reg-1") is None
        assert tx.challenges.get("reg-1") is None
        assert tx.outbox.get("msg-1") is None
        assert tx.consents.for_account("acct-1") == []
        assert tx.sso_tokens.for_account("acct-1") == []
        assert tx.rights.processing_for("acct-1") == []
        assert tx.rights.restricted_at("acct-1") is None
        # kept until the purge
        assert [r.id for r in tx.access_log.for_account("acct-1")] == ["ledger-1"]
        assert tx.check_ins.get(7001, "ev") is not None
        assert tx.cards.get("acct-1") is not None
        # the other holder untouched
        assert tx.accounts.get("acct-2") is not None
        assert tx.sessions.get("sess-2") is not None
        assert tx.outbox.get("msg-2") is not None
        assert tx.rights.restricted_at("acct-2") == NOW
        tx.accounts.add(account(3, nik=account(1).nik))  # the NIK is free again
    with storage.transaction() as tx:
        purged = tx.rights.purge("acct-1", 7001)
    assert tuple(purged) == PURGED_LATER
    assert purged["access_log"] == purged["check_ins"] == purged["cards"] == 1
    with storage.transaction() as tx:
        assert tx.access_log.for_account("acct-1") == []
        assert tx.check_ins.get(7001, "ev") is None
        assert tx.cards.get("acct-1") is None
        assert tx.check_ins.get(7002, "ev") is not None
        assert len(tx.access_log.for_account("acct-2")) == 1


def test_erasure_takes_the_factors_and_second_contact_and_the_purge_the_cases(
    storage: Storage,
) -> None:
    """The tables the other parts of issue 16 added: factors, the second contact, disputes."""
    from test_disputes_contract import case
    from test_factors_contract import _totp

    from siapkerja_core.ports.rights import CONTACT_CHALLENGE_PREFIXES
    from siapkerja_core.second_contact import ContactKind, SecondContact

    with storage.transaction() as tx:
        for n in (1, 2):
            account_id = f"acct-{n}"
            tx.accounts.add(account(n))
            tx.factors.put(_totp(id=f"f-{n}", account_id=account_id))
            tx.second_contacts.put(
                SecondContact(
                    account_id=account_id,
                    kind=ContactKind.PHONE,
                    value=f"+62812999900{n:02d}",
                    verified_at=NOW,
                )
            )
            tx.challenges.put(
                OtpChallenge(
                    subject_id=f"{CONTACT_CHALLENGE_PREFIXES[0]}{account_id}",
                    purpose=OtpPurpose.CONTACT_CHANGE,
                    phone=f"+62813{n:08d}",
                    code_hash="h",
                    generation=1,
                    issued_at=NOW,
                    expires_at=NOW + timedelta(minutes=5),
                )
            )
            tx.disputes.put(case(n, account_id=account_id))
    with storage.transaction() as tx:
        counts = tx.rights.erase("acct-1")
    assert (counts["factors"], counts["second_contacts"], counts["otp_challenges"]) == (1, 1, 1)
    with storage.transaction() as tx:
        assert tx.factors.for_account("acct-1") == []
        assert tx.second_contacts.get("acct-1") is None
        assert tx.challenges.get(f"{CONTACT_CHALLENGE_PREFIXES[0]}acct-1") is None
        assert len(tx.disputes.for_account("acct-1")) == 1  # kept for the hold
        assert len(tx.factors.for_account("acct-2")) == 1
        assert tx.second_contacts.get("acct-2") is not None
    with storage.transaction() as tx:
        assert tx.rights.purge("acct-1", None)["disputes"] == 1
    with storage.transaction() as tx:
        assert tx.disputes.for_account("acct-1") == []
        assert len(tx.disputes.for_account("acct-2")) == 1
