"""``svc.aki`` on the memory storage with a manual clock: two years of one registration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_adapters import connect
from siapkerja_adapters.demo import FAUZI, GALIH, RIZKI, demo_holder
from siapkerja_core.aki import (
    AkiError,
    AkiRegistration,
    AkiStatus,
    AkiStepTaken,
    ReportState,
    add_months,
)
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import CardError
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock
from support.recorders import EventRecorder

START = datetime(2027, 8, 31, 3, 0, tzinfo=UTC)  # 10:00 WIB, 31 August


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def svc(clock: ManualClock) -> Siapkerja:
    return connect("memory", environ={}, clock=clock.now)


def officer_of(svc: Siapkerja, office: str) -> Verifier:
    verifier, key = svc.register_verifier(f"Disnaker {office}", ["disnaker"])
    svc.aki.appoint_officer(verifier.id, office)
    return svc.verifier(key)


def test_two_years_of_reports_through_the_service(svc: Siapkerja, clock: ManualClock) -> None:
    galih = demo_holder(svc)
    officer = officer_of(svc, "3173")
    reg = svc.aki.apply(galih.id)
    reg = svc.aki.legalise(officer, reg.id)
    assert reg.legalised_on == date(2027, 8, 31)
    dues = [b.due_on for b in reg.reports()]
    assert dues == [date(2028, 2, 29), date(2028, 8, 31), date(2029, 2, 28), date(2029, 8, 31)]
    for due in dues:
        clock.current = datetime(due.year, due.month, due.day, 3, tzinfo=UTC)
        assert [b.due_on for b in svc.aki.reports_due(galih.id)] == [due]
        box = svc.aki.report(galih.id)
        assert (box.due_on, box.reported_on) == (due, due)
        assert svc.aki.reports_due(galih.id) == ()
    stored = svc.aki.registration(galih.id)
    assert stored.reported_on == tuple(dues)
    clock.current = datetime(2029, 9, 1, 3, tzinfo=UTC)  # a day past the validity
    assert svc.aki.registration(galih.id).status_at(date(2029, 9, 1)) is AkiStatus.EXPIRED
    assert svc.aki.status_data(galih.id)["status"] == "expired"
    with pytest.raises(AkiError) as refused:
        svc.aki.report(galih.id)
    assert refused.value.params["status"] == "expired"
    # Applying again closes the expired one and starts anew.
    again = svc.aki.apply(galih.id)
    assert again.number != reg.number
    assert again.number.startswith("AK1-3173-2029-")
    history = svc.aki.history(galih.id)
    assert [r.status for r in history] == [AkiStatus.EXPIRED, AkiStatus.APPLIED]
    assert history[0].ended_on == date(2029, 9, 1)


def test_a_report_missed_and_the_next_made(svc: Siapkerja, clock: ManualClock) -> None:
    galih = demo_holder(svc)
    reg = svc.aki.legalise(officer_of(svc, "3173"), svc.aki.apply(galih.id).id)
    clock.current = datetime(2028, 4, 1, 3, tzinfo=UTC)  # report 1 closed 30 March
    with pytest.raises(AkiError) as late:
        svc.aki.report(galih.id)
    assert late.value.code == "report_late"
    assert late.value.params["closed_on"] == "2028-03-30"
    clock.current = datetime(2028, 8, 1, 3, tzinfo=UTC)  # report 2 opened 1 August
    assert svc.aki.report(galih.id).index == 2
    states = [r["state"] for r in svc.aki.status_data(galih.id)["reports"]]  # type: ignore[index]
    assert states == ["missed", "done", "upcoming", "upcoming"]
    assert reg.is_valid(date(2028, 8, 1))


def test_what_an_application_needs(svc: Siapkerja) -> None:
    bare = demo_holder(svc, RIZKI, profile=False, card=False)
    with pytest.raises(CardError) as no_card:
        svc.aki.apply(bare.id)
    assert no_card.value.code == "no_card"
    galih = demo_holder(svc)
    svc.update_profile(galih.id, domicile_address=None, ktp_address=None)
    with pytest.raises(AkiError) as no_office:
        svc.aki.apply(galih.id)
    assert no_office.value.code == "office_required"
    chosen = svc.aki.apply(galih.id, office_code="32.73")
    assert (chosen.office_code, chosen.office_name) == ("3273", "Dinas Tenaga Kerja Kota Bandung")
    # Legalised, it carries the name its officer's office was appointed under.
    verifier, key = svc.register_verifier("Disnaker Bandung", ["disnaker"])
    svc.aki.appoint_officer(verifier.id, "3273", "Disnaker Kota Bandung (UPT Cibeunying)")
    legal = svc.aki.legalise(svc.verifier(key), chosen.number)
    assert legal.office_name == "Disnaker Kota Bandung (UPT Cibeunying)"
    with pytest.raises(AkiError) as nobody:
        svc.aki.registration(demo_holder(svc, FAUZI).id)
    assert nobody.value.code == "not_found"


def test_nothing_is_written_when_an_application_is_refused(svc: Siapkerja) -> None:
    galih = demo_holder(svc)
    for office in ("9999", "32", "3273x"):
        with pytest.raises(AkiError):
            svc.aki.apply(galih.id, office_code=office)
    assert svc.aki.history(galih.id) == []


def test_the_holder_withdraws_and_applies_elsewhere(svc: Siapkerja) -> None:
    galih = demo_holder(svc)
    first = svc.aki.apply(galih.id)
    withdrawn = svc.aki.withdraw(galih.id)
    assert withdrawn.status is AkiStatus.REMOVED
    assert withdrawn.removal is not None
    assert withdrawn.removal.reason.value == "by_request"
    second = svc.aki.apply(galih.id, office_code="3273")
    assert second.id != first.id
    bandung = officer_of(svc, "3273")
    jakarta = officer_of(svc, "3173")
    assert [r.id for r in svc.aki.applications(bandung)] == [second.id]
    assert svc.aki.applications(jakarta) == []
    assert [r.id for r in svc.aki.applications(jakarta, status="removed")] == [first.id]
    with pytest.raises(AkiError) as unknown:
        svc.aki.applications(jakarta, status="lost")
    assert unknown.value.code == "unknown_status"


def test_officers_are_disnaker_verifiers_appointed_to_a_current_office(svc: Siapkerja) -> None:
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    with pytest.raises(AkiError) as not_officer:
        svc.aki.appoint_officer(karirhub.id, "3273")
    assert not_officer.value.code == "not_officer"
    with pytest.raises(AkiError):
        svc.aki.appoint_officer("nobody", "3273")
    disnaker, _ = svc.register_verifier("Disnaker", ["disnaker"])
    with pytest.raises(AkiError) as office:
        svc.aki.appoint_officer(disnaker.id, "1")
    assert office.value.code == "office_unknown"
    with pytest.raises(AkiError):
        svc.aki.officer(disnaker)  # not appointed
    appointed = svc.aki.appoint_officer(disnaker.id, "3273")
    assert svc.aki.officer(disnaker) == appointed
    assert appointed.office_name == "Dinas Tenaga Kerja Kota Bandung"


def test_a_wrong_office_changes_nothing_and_logs_nothing(svc: Siapkerja) -> None:
    galih = demo_holder(svc)
    reg = svc.aki.apply(galih.id)
    before = svc.access_log(galih.id)
    bandung = officer_of(svc, "3273")
    for action in (
        lambda: svc.aki.application(bandung, reg.number),
        lambda: svc.aki.legalise(bandung, reg.id),
        lambda: svc.aki.place(bandung, reg.number, employer="PT A"),
        lambda: svc.aki.remove(bandung, reg.number, reason="moved"),
        lambda: svc.aki.document_for(bandung, reg.number),
    ):
        with pytest.raises(AkiError) as refused:
            action()
        assert refused.value.code == "wrong_office"
    assert svc.aki.registration(galih.id) == reg
    assert svc.access_log(galih.id) == before


def test_the_officer_prints_the_document_and_it_is_logged(svc: Siapkerja) -> None:
    galih = demo_holder(svc)
    officer = officer_of(svc, "3173")
    reg = svc.aki.legalise(officer, svc.aki.apply(galih.id).number)
    doc = svc.aki.document_for(officer, reg.number)
    assert doc.number == reg.number
    assert doc.nik == GALIH.nik
    assert doc.qr_text == svc.card(galih.id).qr_text
    assert [s.value for s in doc.report_states] == ["upcoming"] * 4
    printed = [
        e for e in svc.access_log(galih.id) if e.purpose and e.purpose.startswith("aki print")
    ]
    assert len(printed) == 1
    assert "nik" in printed[0].fields


@settings(max_examples=60, deadline=None)
@given(
    legalised=st.dates(date(2026, 1, 1), date(2032, 12, 31)),
    offset=st.integers(-10, 800),
)
def test_on_any_day_a_report_is_made_or_refused_for_a_reason(legalised: date, offset: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    record = AkiRegistration(
        id="r",
        account_id="a",
        number="AK1-3273-2026-0000001-0",
        office_code="3273",
        office_name="x",
        status=AkiStatus.APPLIED,
        applied_at=now,
        updated_at=now,
    ).legalised(legalised, officer_id="v", officer_name="o", now=now)
    today = legalised + timedelta(days=offset)
    open_boxes = [b for b in record.reports() if b.state(today) is ReportState.OPEN]
    assert len(open_boxes) <= 1
    assert record.valid_until == add_months(legalised, 24)
    if open_boxes and record.is_valid(today):
        made, box = record.reported(today, now=now)
        assert open_boxes == [record.reports()[box.index - 1]]
        assert box.opens_on <= today <= box.closes_on <= record.valid_until  # type: ignore[operator]
        assert made.reported_on[box.index - 1] == today
        return
    with pytest.raises(AkiError) as refused:
        record.reported(today, now=now)
    if record.is_valid(today):
        assert refused.value.code in {"report_too_early", "report_late"}
    elif today < legalised:  # a day before it was legalised: the first box is ahead
        assert refused.value.code == "report_too_early"
    else:
        assert refused.value.code == "transition"


def test_an_office_lists_oldest_first_at_most_limit(svc: Siapkerja, clock: ManualClock) -> None:
    officer = officer_of(svc, "3173")
    first = svc.aki.apply(demo_holder(svc).id)
    clock.advance(minutes=5)
    second = svc.aki.apply(demo_holder(svc, FAUZI).id, office_code="3173")
    assert [r.id for r in svc.aki.applications(officer)] == [first.id, second.id]
    assert [r.id for r in svc.aki.applications(officer, limit=1)] == [first.id]
    assert [r.id for r in svc.aki.applications(officer, limit=0)] == [first.id]  # at least one
    svc.aki.legalise(officer, first.id)
    assert [r.id for r in svc.aki.applications(officer, status="applied")] == [second.id]
    clock.current = datetime(2029, 9, 1, 3, tzinfo=UTC)  # the legalised one has expired
    assert [r.id for r in svc.aki.applications(officer, status="expired")] == [first.id]
    assert svc.aki.applications(officer, status="legalised") == []


def test_every_step_is_announced_without_personal_data(clock: ManualClock) -> None:
    recorder = EventRecorder()
    svc = connect("memory", environ={}, clock=clock.now, plugins=[recorder])
    galih = demo_holder(svc)
    officer = officer_of(svc, "3173")
    reg = svc.aki.apply(galih.id)
    svc.aki.legalise(officer, reg.number)
    clock.current = datetime(2028, 2, 29, 3, tzinfo=UTC)
    svc.aki.report(galih.id)
    svc.aki.place(officer, reg.number, employer="PT Maju Jaya")
    steps = [e for e in recorder.events if isinstance(e, AkiStepTaken)]
    assert [(e.step, e.status) for e in steps] == [
        ("applied", "applied"),
        ("legalised", "legalised"),
        ("reported", "legalised"),
        ("placed", "placed"),
    ]
    assert [e.verifier_id for e in steps] == [None, officer.id, None, officer.id]
    assert {e.number for e in steps} == {reg.number}
    assert GALIH.nik not in repr(steps)
    assert "Maju Jaya" not in repr(steps)
    with pytest.raises(AkiError):
        svc.aki.report(galih.id)  # closed: refused, and nothing announced
    assert len([e for e in recorder.events if isinstance(e, AkiStepTaken)]) == 4
