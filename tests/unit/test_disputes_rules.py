"""Disputes and re-proofing on the ``memory`` profile: the rules of each step, one by one.

The whole journeys (and every storage) are ``tests/integration/test_disputes*.py``;
here: the stored shape round-trips (Hypothesis), unconfirmed cases expire, an
open case blocks a second, the face match's absence and its cap, an officer's
check of the wrong shape, a decision that fails half-way leaves nothing done,
and a holder answers only their own dispute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_adapters.connect import connect
from siapkerja_adapters.dukcapil_offline import face_image
from siapkerja_core.disputes import (
    CaseKind,
    CaseRecord,
    CaseStatus,
    DisputeError,
    Evidence,
    EvidenceKind,
    HolderAnswer,
    Party,
    case_from_data,
    case_to_data,
)
from siapkerja_core.errors import RegistrationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import PopulationRegistry, VerificationRequest, VerificationResult
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock
from support.sms import sms_code
from support.sso import PEOPLE, holder

PASSWORD = "sawah hijau di lembang"
OFFICER = "cli:petugas"

# --- the stored shape ------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
short = st.text(min_size=1, max_size=40)
evidence = st.builds(
    Evidence,
    kind=st.sampled_from(EvidenceKind),
    party=st.sampled_from(Party),
    at=moments,
    passed=st.booleans(),
    score=st.none() | st.integers(0, 100),
    officer_id=st.none() | short,
    office=st.none() | short,
    checked_at=st.none() | moments,
    documents=st.lists(short, max_size=3).map(tuple),
    note=st.none() | short,
)
cases = st.builds(
    CaseRecord,
    id=short,
    kind=st.sampled_from(CaseKind),
    status=st.sampled_from(CaseStatus),
    nik=st.from_regex(r"[0-9]{16}", fullmatch=True),
    account_id=short,
    created_at=moments,
    updated_at=moments,
    due_at=st.none() | moments,
    full_name=short,
    phone=short,
    email=st.none() | short,
    password_hash=st.none() | short,
    evidence=st.lists(evidence, max_size=4).map(tuple),
    answer=st.none() | st.sampled_from(HolderAnswer),
    answered_at=st.none() | moments,
    decided_at=st.none() | moments,
    decided_by=st.none() | short,
    reason=st.none() | short,
    new_account_id=st.none() | short,
    face_attempts=st.integers(0, 3),
)


@given(cases)
def test_the_stored_shape_round_trips(case: CaseRecord) -> None:
    assert case_from_data(case_to_data(case)) == case


def test_a_note_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(DisputeError) as refused:
        Evidence(
            kind=EvidenceKind.OFFICER,
            party=Party.CLAIMANT,
            at=datetime.now(UTC),
            passed=True,
            note="x" * 501,
        )
    assert refused.value.full_code == "dispute.invalid_note"


# --- the service -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture
def svc(clock: ManualClock) -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)


def claim(svc: Siapkerja, phone: str = "081399990001", *, confirm: bool = True) -> str:
    person = PEOPLE[0]
    view = svc.disputes.open_claim(
        person.nik,
        person.full_name,
        person.mother_name,
        email=f"klaim{phone[-4:]}@example.com",
        phone=phone,
        password=PASSWORD,
    )
    if confirm:
        svc.disputes.confirm(view.id, sms_code(svc, phone))
    return view.id


def test_an_unconfirmed_claim_expires_and_tells_no_one(svc: Siapkerja, clock: ManualClock) -> None:
    old = holder(svc, 0, card=False)
    case_id = claim(svc, confirm=False)
    code = sms_code(svc, "081399990001")
    clock.advance(seconds=svc.policy.registration_ttl.total_seconds() + 1)
    assert svc.disputes.view(case_id).status is CaseStatus.EXPIRED
    with pytest.raises(DisputeError) as late:
        svc.disputes.confirm(case_id, code)
    assert late.value.full_code == "dispute.expired"
    assert svc.disputes.holder_cases(old.id) == []


def test_an_open_dispute_blocks_a_second_one_but_not_a_pending_one(svc: Siapkerja) -> None:
    holder(svc, 0, card=False)
    pending = claim(svc, "081399990002", confirm=False)
    claim(svc, "081399990001")
    with pytest.raises(DisputeError) as second:
        claim(svc, "081399990003", confirm=False)
    assert second.value.full_code == "dispute.already_open"
    with pytest.raises(DisputeError) as raced:  # the pending one cannot open beside it
        svc.disputes.confirm(pending, sms_code(svc, "081399990002"))
    assert raced.value.full_code == "dispute.already_open"


def test_an_email_of_another_account_is_refused(svc: Siapkerja) -> None:
    holder(svc, 0, card=False)
    other = holder(svc, 1, card=False)
    person = PEOPLE[0]
    with pytest.raises(DisputeError) as taken:
        svc.disputes.open_claim(
            person.nik,
            person.full_name,
            person.mother_name,
            email=other.email,
            phone="081399990001",
            password=PASSWORD,
        )
    assert taken.value.full_code == "dispute.email_taken"
    for _ in range(svc.policy.max_email_conflicts_per_nik_per_day - 1):
        with pytest.raises(DisputeError):
            svc.disputes.open_claim(
                person.nik,
                person.full_name,
                person.mother_name,
                email=other.email,
                phone="081399990001",
                password=PASSWORD,
            )
    with pytest.raises(RegistrationError) as capped:  # no oracle of which e-mails are used
        svc.disputes.open_claim(
            person.nik,
            person.full_name,
            person.mother_name,
            email="free@example.com",
            phone="081399990001",
            password=PASSWORD,
        )
    assert capped.value.full_code == "registration.email_checks_locked"


@attrs.define
class VerifyOnly:
    """A registry without face matching (most deployments: it needs a Dukcapil partnership)."""

    inner: PopulationRegistry

    def verify(self, request: VerificationRequest) -> VerificationResult:
        return self.inner.verify(request)


def test_without_a_face_matcher_the_officer_check_is_the_way(svc: Siapkerja) -> None:
    holder(svc, 0, card=False)
    case_id = claim(svc)
    svc.disputes.registry = VerifyOnly(svc.dukcapil)
    assert not svc.disputes.view(case_id).face_matching
    with pytest.raises(DisputeError) as refused:
        svc.disputes.match_face(case_id, face_image(PEOPLE[0].nik))
    assert refused.value.full_code == "dispute.face_unavailable"


def test_face_matches_are_capped_per_case(svc: Siapkerja) -> None:
    holder(svc, 0, card=False)
    case_id = claim(svc)
    for left in (2, 1, 0):
        assert svc.disputes.match_face(case_id, b"not me").face_attempts_left == left
    with pytest.raises(DisputeError) as capped:
        svc.disputes.match_face(case_id, face_image(PEOPLE[0].nik))
    assert capped.value.full_code == "dispute.face_attempts"
    assert not svc.disputes.get(case_id).strong_evidence()


def test_an_officer_check_needs_who_where_and_what(svc: Siapkerja) -> None:
    holder(svc, 0, card=False)
    case_id = claim(svc)
    for officer, office, documents in (
        ("", "Disnaker", ["KTP-el"]),
        ("NIP", "", ["KTP-el"]),
        ("NIP", "Disnaker", [" "]),
    ):
        with pytest.raises(DisputeError) as refused:
            svc.disputes.record_check(
                case_id, officer_id=officer, office=office, documents=documents, actor=OFFICER
            )
        assert refused.value.full_code == "dispute.invalid_officer"


def test_a_decision_that_fails_half_way_leaves_the_old_account_untouched(
    svc: Siapkerja, clock: ManualClock
) -> None:
    old = holder(svc, 0)
    case_id = claim(svc)
    svc.disputes.record_check(
        case_id, officer_id="NIP", office="Disnaker", documents=["KTP-el"], actor=OFFICER
    )
    clock.advance(days=8)
    holder(svc, 1, card=False)  # meanwhile someone registers the claimant's new phone
    with svc.storage.transaction() as tx:
        taken = tx.accounts.find(email="sso1@example.com")
        assert taken is not None
        tx.accounts.put(attrs.evolve(taken, phone="+6281399990001"))
    with pytest.raises(DisputeError) as failed:
        svc.disputes.decide(case_id, upheld=True, reason="KTP asli", actor=OFFICER)
    assert failed.value.full_code == "dispute.phone_taken"
    with svc.storage.transaction() as tx:
        kept = tx.accounts.get(old.id)
        card = tx.cards.get(old.id)
    assert kept is not None
    assert kept.active
    assert card is not None
    assert card.revoked_at is None
    assert svc.disputes.get(case_id).status is CaseStatus.AWAITING_HOLDER
    assert [r.action for r in svc.disputes.trail(case_id)][-1] == "dispute.evidence"


def test_a_holder_answers_only_their_own_dispute_and_late_answers_count(
    svc: Siapkerja, clock: ManualClock
) -> None:
    old = holder(svc, 0, card=False)
    stranger = holder(svc, 1, card=False)
    case_id = claim(svc)
    with pytest.raises(DisputeError) as foreign:
        svc.disputes.answer(stranger.id, case_id, "mine")
    assert foreign.value.full_code == "dispute.not_found"
    with pytest.raises(DisputeError) as wrong:
        svc.disputes.answer(old.id, case_id, "maybe")
    assert wrong.value.full_code == "dispute.invalid_answer"
    clock.advance(days=8)
    assert [c.id for c in svc.disputes.overdue()] == [case_id]
    view = svc.disputes.answer(old.id, case_id, "mine")
    assert view.status is CaseStatus.AWAITING_DECISION
    assert view.due_at == svc.now() + timedelta(days=3)
    assert svc.disputes.overdue() == []
    clock.advance(days=3)
    assert [c.id for c in svc.disputes.overdue()] == [case_id]  # the officer is late now
