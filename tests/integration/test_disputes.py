"""Disputes over a NIK and identity re-proofing, end to end on memory, SQLite and PostgreSQL.

The acceptance of issue 16's two hard cases: a claimant wins a NIK dispute
against a stale account (its holder does not answer in time, or answers
"not mine"); the claimant then signs in with the NIK; the stale account
cannot sign in, its card no longer resolves, its SSO tokens are revoked; the
audit trail shows every step with its time. And a holder who lost phone and
e-mail recovers by re-proofing with an officer's check (or a face match).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from test_sql_storage import POLICY, close, connect_sql  # type: ignore[import-not-found]

from siapkerja_adapters.connect import connect
from siapkerja_adapters.dukcapil_offline import face_image
from siapkerja_core.disputes import CaseStatus, DisputeError, HolderAnswer
from siapkerja_core.errors import LoginError, RegistrationError, SiapkerjaError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import SsoToken, TokenKind
from support.clock import ManualClock
from support.recorders import EventRecorder
from support.sms import e164, sms_code
from support.sso import PEOPLE, holder

CLAIM_PASSWORD = "sawah hijau di lembang"
NEW_PHONE = "081399990001"
OFFICER = "cli:petugas"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def svc(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock, recorder: EventRecorder
) -> Iterator[Siapkerja]:
    common = {"clock": clock.now, "plugins": [recorder]}
    if request.param == "memory":
        yield connect(
            "memory",
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            policy=POLICY,
            **common,  # type: ignore[arg-type]
        )
        return
    if request.param == "sqlite":
        service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", **common)
    else:
        url = request.getfixturevalue("postgres_url")
        service = connect_sql(url, request.getfixturevalue("postgres_schema"), **common)
    try:
        yield service
    finally:
        close(service)


def stale_account_with_sso_token(svc: Siapkerja) -> tuple[str, str]:
    """Person 0's account with a card and a live SSO access token: (account id, card token)."""
    account = holder(svc, 0)
    now = svc.now()
    with svc.storage.transaction() as tx:
        tx.sso_tokens.add(
            SsoToken(
                token_hash="hash-of-an-access-token",
                kind=TokenKind.ACCESS,
                client_id="client-1",
                grant_id="grant-1",
                issued_at=now,
                expires_at=now + timedelta(hours=1),
                account_id=account.id,
            )
        )
    return account.id, svc.card_qr(account.id).token


def claim(svc: Siapkerja) -> str:
    person = PEOPLE[0]
    view = svc.disputes.open_claim(
        person.nik,
        person.full_name,
        person.mother_name,
        email="klaim@example.com",
        phone=NEW_PHONE,
        password=CLAIM_PASSWORD,
    )
    assert view.secret is not None
    assert view.status is CaseStatus.PENDING_OTP
    opened = svc.disputes.confirm(view.id, sms_code(svc, NEW_PHONE))
    assert opened.status is CaseStatus.AWAITING_HOLDER
    return view.id


@pytest.mark.parametrize("holder_answers", [False, True])
def test_a_claimant_wins_a_nik_dispute_against_a_stale_account(
    svc: Siapkerja, clock: ManualClock, recorder: EventRecorder, holder_answers: bool
) -> None:
    old_id, card_token = stale_account_with_sso_token(svc)
    old_phone = svc.card(old_id)  # the card resolves before
    assert old_phone is not None
    person = PEOPLE[0]
    # Registration refuses the taken NIK: the claim is the way on.
    with pytest.raises(RegistrationError) as refused:
        svc.register(person.nik, person.full_name, person.mother_name)
    assert refused.value.full_code == "registration.already_registered"

    case_id = claim(svc)
    svc.deliver_outbox()
    notice = svc.sms.last_to(e164("081200000050"))  # type: ignore[attr-defined]
    assert notice is not None
    assert case_id[:8].upper() in notice.text  # the holder is told, with the case
    assert "klaim" in notice.text.lower()
    # The holder sees the case on their pages and none of the claimant's contacts.
    [seen] = svc.disputes.holder_cases(old_id)
    assert seen.id == case_id
    assert seen.evidence == ()
    # An officer may not decide while the holder still has time, nor without strong evidence.
    with pytest.raises(DisputeError) as early:
        svc.disputes.decide(case_id, upheld=True, reason="KTP asli", actor=OFFICER)
    assert early.value.full_code == "dispute.wrong_step"
    if holder_answers:
        answered = svc.disputes.answer(old_id, case_id, HolderAnswer.NOT_MINE)
        assert answered.status is CaseStatus.AWAITING_DECISION
    else:
        clock.advance(days=8)
        assert [c.id for c in svc.disputes.overdue()] == [case_id]
    with pytest.raises(DisputeError) as weak:
        svc.disputes.decide(case_id, upheld=True, reason="KTP asli", actor=OFFICER)
    assert weak.value.full_code == "dispute.evidence_required"
    svc.disputes.record_check(
        case_id,
        officer_id="NIP 198001012005011001",
        office="Disnaker Kota Bandung",
        documents=["KTP-el", "KK"],
        actor=OFFICER,
    )
    decided = svc.disputes.decide(
        case_id, upheld=True, reason="KTP-el asli dan wajah sesuai", actor=OFFICER
    )
    assert decided.status is CaseStatus.UPHELD
    assert decided.new_account_id is not None
    assert svc.disputes.get(case_id).password_hash is None  # the new account's now, no copy

    # The claimant signs in with the NIK; the stale account cannot.
    account = svc.login(person.nik, CLAIM_PASSWORD)
    assert account.id == decided.new_account_id
    with pytest.raises(LoginError):
        svc.login("sso0@example.com", "any password at all")
    # Its card no longer resolves, its SSO tokens are revoked.
    with pytest.raises(SiapkerjaError) as dead:
        svc.resolve(card_token)
    assert dead.value.full_code == "token.revoked"
    with svc.storage.transaction() as tx:
        assert tx.sso_tokens.for_account(old_id) == []
        token = tx.sso_tokens.get("hash-of-an-access-token")
        assert token is not None
        assert token.revoked_at is not None
        assert tx.sessions.delete_for_account(old_id) == 0  # none left
    svc.deliver_outbox()
    told = svc.sms.last_to(e164(NEW_PHONE))  # type: ignore[attr-defined]
    assert told is not None
    assert "diterima" in told.text

    # Every step is in the audit trail, with its time.
    trail = svc.disputes.trail(case_id)
    actions = [r.action for r in trail]
    answer = ["dispute.answer"] if holder_answers else []
    assert actions == [
        "dispute.open",
        "dispute.evidence",  # the claimant's Dukcapil match
        *answer,
        "dispute.evidence",  # the officer's check
        "account.freeze",
        "dispute.decide",
        "account.create",
    ]
    assert all(r.at is not None for r in trail)
    assert [r.at for r in trail] == sorted(r.at for r in trail)
    names = recorder.names()
    for name in ("dispute.opened", "account.frozen", "dispute.decided"):
        assert name in names
    assert ("dispute.answered" in names) is holder_answers


def test_a_holder_who_answers_mine_keeps_the_account_when_the_officer_rejects(
    svc: Siapkerja, recorder: EventRecorder
) -> None:
    old_id, card_token = stale_account_with_sso_token(svc)
    case_id = claim(svc)
    person = PEOPLE[0]
    view = svc.disputes.answer(
        old_id,
        case_id,
        "mine",
        full_name=person.full_name,
        mother_name=person.mother_name,
    )
    assert [e.kind.value for e in view.evidence] == ["dukcapil"]
    assert view.evidence[0].passed
    with pytest.raises(DisputeError):  # answered once
        svc.disputes.answer(old_id, case_id, "not_mine")
    decided = svc.disputes.decide(case_id, upheld=False, reason="Pemilik lama", actor=OFFICER)
    assert decided.status is CaseStatus.REJECTED
    assert svc.resolve(card_token) is not None  # untouched
    svc.deliver_outbox()
    told = svc.sms.last_to(e164(NEW_PHONE))  # type: ignore[attr-defined]
    assert told is not None
    assert "ditolak" in told.text
    assert "dispute.decided" in recorder.names()
    assert "account.frozen" not in recorder.names()


def test_a_holder_without_phone_and_email_recovers_with_an_officer_check(
    svc: Siapkerja, recorder: EventRecorder
) -> None:
    account = holder(svc, 1)
    person = PEOPLE[1]
    # An authenticator app on the phone that was lost: it would ask for a code nobody has.
    enrolment = svc.factors.start_totp(account.id)
    code = pyotp.TOTP(enrolment.secret).at(svc.now())
    svc.factors.confirm_totp(account.id, enrolment.factor_id, code)
    view = svc.disputes.start_reproofing(
        person.nik,
        person.full_name,
        person.mother_name,
        phone="081377770001",
        email="baru@example.com",
        password="payung teduh di bogor",
    )
    opened = svc.disputes.confirm(view.id, sms_code(svc, "081377770001"))
    assert opened.status is CaseStatus.AWAITING_EVIDENCE
    svc.deliver_outbox()
    warned = svc.sms.last_to(e164("081200000051"))  # type: ignore[attr-defined]
    assert warned is not None
    assert "permintaan mengganti nomor HP" in warned.text  # told at once, not only at the end
    case = svc.disputes.record_check(
        view.id,
        officer_id="NIP 199001012015011002",
        office="Disnaker Kota Bekasi",
        documents=["KTP-el"],
        actor=OFFICER,
    )
    assert case.status is CaseStatus.RECOVERED
    signed_in = svc.login("081377770001", "payung teduh di bogor")  # no second step asked
    assert signed_in.id == account.id
    assert svc.factors.kinds(account.id) == ()
    assert signed_in.email == "baru@example.com"
    svc.deliver_outbox()
    old = svc.sms.last_to(e164("081200000051"))  # type: ignore[attr-defined]
    assert old is not None
    assert "verifikasi identitas" in old.text  # the old phone is told
    assert "account.recovered" in recorder.names()
    actions = [r.action for r in svc.disputes.trail(view.id)]
    assert actions[0] == "reproofing.open"
    assert "account.recover" in actions


def test_a_face_match_completes_a_reproofing_and_a_wrong_face_does_not(svc: Siapkerja) -> None:
    account = holder(svc, 2, card=False)
    person = PEOPLE[2]
    view = svc.disputes.start_reproofing(
        person.nik, person.full_name, person.mother_name, phone="081366660001"
    )
    svc.disputes.confirm(view.id, sms_code(svc, "081366660001"))
    wrong = svc.disputes.match_face(view.id, b"someone else's photo")
    assert wrong.status is CaseStatus.AWAITING_EVIDENCE
    assert wrong.face_attempts_left == 2
    right = svc.disputes.match_face(view.id, face_image(person.nik))
    assert right.status is CaseStatus.RECOVERED
    with svc.storage.transaction() as tx:
        stored = tx.accounts.get(account.id)
        assert stored is not None
        assert stored.phone == "+6281366660001"
        assert stored.email == account.email  # no new e-mail given: kept


def test_the_mothers_name_alone_opens_nothing_and_an_unregistered_nik_is_sent_to_register(
    svc: Siapkerja,
) -> None:
    person = PEOPLE[2]
    with pytest.raises(DisputeError) as none:
        svc.disputes.open_claim(
            person.nik,
            person.full_name,
            person.mother_name,
            email="x@example.com",
            phone="081355550001",
            password=CLAIM_PASSWORD,
        )
    assert none.value.full_code == "dispute.no_account"
    holder(svc, 2, card=False)
    with pytest.raises(RegistrationError) as wrong:
        svc.disputes.open_claim(
            person.nik,
            person.full_name,
            "BUKAN IBUNYA",
            email="x@example.com",
            phone="081355550001",
            password=CLAIM_PASSWORD,
        )
    assert wrong.value.full_code == "registration.mismatch"
