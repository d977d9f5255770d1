"""The AK/I's rules as pure values: the number, the dates, the reports, the transitions."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from siapkerja_core import regions
from siapkerja_core.aki import (
    AkiError,
    AkiRegistration,
    AkiStatus,
    ReportState,
    add_months,
    aki_status_data,
    is_valid_aki_number,
    local_today,
    new_aki_number,
    office_region,
    parse_aki_number,
    reports_due,
)

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
OFFICES = sorted(r.code for p in regions.children() for r in regions.children(p.code))


def applied(**changes: object) -> AkiRegistration:
    values: dict[str, object] = {
        "id": "r1",
        "account_id": "a1",
        "number": "AK1-3273-2026-0000001-0",
        "office_code": "3273",
        "office_name": "Dinas Tenaga Kerja Kota Bandung",
        "status": AkiStatus.APPLIED,
        "applied_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return AkiRegistration(**values)  # type: ignore[arg-type]


def legalised_on(day: date) -> AkiRegistration:
    record = applied(applied_at=datetime(day.year, day.month, day.day, 2, tzinfo=UTC))
    return record.legalised(day, officer_id="v1", officer_name="Siti Rahma", now=NOW)


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # into a leap February
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # into a common February
        (date(2027, 8, 31), 12, date(2028, 8, 31)),  # counted from the start, not chained
        (date(2028, 2, 29), 24, date(2030, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),  # across the year
        (date(2026, 1, 31), -1, date(2025, 12, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_the_reports_of_31_august_fall_on_the_end_of_february_and_back() -> None:
    record = legalised_on(date(2027, 8, 31))
    assert [b.due_on for b in record.reports()] == [
        date(2028, 2, 29),
        date(2028, 8, 31),
        date(2029, 2, 28),
        date(2029, 8, 31),
    ]
    assert record.valid_until == date(2029, 8, 31)


def test_validity_is_two_years_inclusive() -> None:
    record = legalised_on(date(2028, 2, 29))
    assert record.valid_until == date(2030, 2, 28)
    assert record.is_valid(date(2030, 2, 28))
    assert not record.is_valid(date(2030, 3, 1))
    assert record.status_at(date(2030, 3, 1)) is AkiStatus.EXPIRED
    assert record.status is AkiStatus.LEGALISED  # stored status unchanged until expired()
    assert not record.is_valid(date(2028, 2, 28))  # not valid before its legalisation
    stored = record.expired(date(2030, 3, 1), now=NOW)
    assert (stored.status, stored.ended_on) == (AkiStatus.EXPIRED, date(2030, 3, 1))


def test_an_application_is_not_valid_and_has_no_reports() -> None:
    record = applied()
    assert record.valid_until is None
    assert record.reports() == ()
    assert not record.is_valid(date(2026, 12, 6))
    assert reports_due(record, date(2026, 12, 6)) == ()


def test_today_is_counted_in_wib() -> None:
    assert local_today(datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == date(2026, 12, 6)
    assert local_today(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) == date(2026, 12, 7)


# --- reports ------------------------------------------------------------------------------------


def test_a_report_window_opens_30_days_before_and_closes_30_days_after() -> None:
    record = legalised_on(date(2026, 12, 6))
    first = record.reports()[0]
    assert (first.opens_on, first.due_on, first.closes_on) == (
        date(2027, 5, 7),
        date(2027, 6, 6),
        date(2027, 7, 6),
    )
    last = record.reports()[3]
    assert last.closes_on == record.valid_until == last.due_on  # not past the validity
    with pytest.raises(AkiError) as early:
        record.reported(date(2027, 5, 6), now=NOW)
    assert early.value.code == "report_too_early"
    assert early.value.params["opens_on"] == "2027-05-07"  # machines keep ISO 8601
    assert early.value.message_id.endswith("dibuka 7 Mei 2027.")
    assert early.value.message_en.endswith("opens on 7 May 2027.")
    made, box = record.reported(date(2027, 5, 7), now=NOW)
    assert box.reported_on == date(2027, 5, 7)
    assert made.reported_on == (date(2027, 5, 7), None, None, None)
    with pytest.raises(AkiError) as twice:
        made.reported(date(2027, 7, 6), now=NOW)
    assert twice.value.code == "report_done"
    assert reports_due(made, date(2027, 6, 1)) == ()


def test_a_missed_report_is_late_and_the_next_one_still_counts() -> None:
    record = legalised_on(date(2026, 12, 6))
    assert [b.index for b in reports_due(record, date(2027, 7, 6))] == [1]
    with pytest.raises(AkiError) as late:
        record.reported(date(2027, 7, 7), now=NOW)
    assert late.value.code == "report_late"
    assert late.value.params["report"] == 1
    assert late.value.params["next_report"] == 2
    assert record.reports()[0].state(date(2027, 7, 7)) is ReportState.MISSED
    made, box = record.reported(date(2027, 12, 1), now=NOW)
    assert box.index == 2
    states = [s["state"] for s in aki_status_data(made, date(2027, 12, 1))["reports"]]
    assert states == ["missed", "done", "upcoming", "upcoming"]


def test_no_report_before_legalisation_or_after_expiry() -> None:
    with pytest.raises(AkiError) as before:
        applied().reported(date(2027, 6, 6), now=NOW)
    assert (before.value.code, before.value.params["status"]) == ("transition", "applied")
    record = legalised_on(date(2026, 12, 6))
    with pytest.raises(AkiError) as after:
        record.reported(date(2028, 12, 7), now=NOW)
    assert after.value.params["status"] == "expired"


# --- transitions ----------------------------------------------------------------------------


def test_the_moves_a_registration_may_make() -> None:
    today = date(2026, 12, 6)
    record = applied()
    legal = record.legalised(today, officer_id="v1", officer_name="  Siti   Rahma ", now=NOW)
    assert legal.officer_name == "Siti Rahma"
    with pytest.raises(AkiError, match="legalise"):
        legal.legalised(today, officer_id="v1", officer_name="x", now=NOW)
    with pytest.raises(AkiError):
        record.placed(today, employer="PT A", now=NOW)  # placed only once legalised
    placed = legal.placed(today, employer="PT Sinar Jaya", position=None, now=NOW)
    assert placed.status is AkiStatus.PLACED
    assert placed.placement is not None
    assert placed.placement.placed_on == today
    assert not placed.status.active
    for move in (
        lambda r: r.removed(today, reason="moved", now=NOW),
        lambda r: r.placed(today, employer="PT B", now=NOW),
        lambda r: r.legalised(today, officer_id="v", officer_name="x", now=NOW),
    ):
        with pytest.raises(AkiError) as refused:
            move(placed)
        assert refused.value.code == "transition"
    removed = record.removed(today, reason="by_request", note="Sudah bekerja", now=NOW)
    assert (removed.status, removed.removal.reason.value) == (AkiStatus.REMOVED, "by_request")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("move", "status", "message_id", "message_en"),
    [
        (
            lambda r, d: r.legalised(d, officer_id="v", officer_name="x", now=NOW),
            "legalised",
            "Tidak dapat mengesahkan pendaftaran AK/I yang sudah disahkan.",
            "Cannot legalise an AK/I registration that is already legalised.",
        ),
        (
            lambda r, d: r.reported(d + timedelta(days=800), now=NOW),
            "expired",
            "Tidak dapat mencatat laporan untuk pendaftaran AK/I yang sudah habis masa berlakunya.",
            "Cannot record a report for an AK/I registration that has expired.",
        ),
    ],
)
def test_a_refused_move_speaks_each_language_not_the_codes(
    move: Any, status: str, message_id: str, message_en: str
) -> None:
    today = date(2026, 12, 6)
    with pytest.raises(AkiError) as refused:
        move(legalised_on(today), today)
    assert refused.value.params["status"] == status
    assert refused.value.message_id == message_id
    assert refused.value.message_en == message_en


def test_every_move_and_status_has_its_words() -> None:
    today = date(2026, 12, 6)
    for record in (applied(), legalised_on(today)):
        for action in ("legalise", "report", "place", "remove", "expire"):
            error = record._refuse(today, action)
            for english in ("legalise", "applied", "legalised", "expired", "report"):
                assert english not in error.message_id.replace("AK/I", "")


def test_bad_placements_and_reasons_are_refused() -> None:
    today = date(2026, 12, 6)
    legal = legalised_on(today)
    for employer in ("", "   ", "PT\x00A", "x" * 201, 5):
        with pytest.raises(AkiError) as refused:
            legal.placed(today, employer=employer, now=NOW)  # type: ignore[arg-type]
        assert refused.value.code == "invalid_text"
    with pytest.raises(AkiError) as future:
        legal.placed(today, employer="PT A", placed_on=today + timedelta(days=1), now=NOW)
    assert future.value.code == "placement_date"
    with pytest.raises(AkiError) as reason:
        legal.removed(today, reason="bored", now=NOW)
    assert reason.value.code == "unknown_reason"
    assert "moved" in reason.value.params["known"]  # type: ignore[operator]


def test_offices_are_current_kabupaten_or_kota() -> None:
    assert office_region("3273").name == "Kota Bandung"
    assert office_region("32.73").code == "3273"
    for code in ("32", "327301", "9999", "", "abcd", None, 3273):
        with pytest.raises(AkiError) as refused:
            office_region(code)
        assert refused.value.code == "office_unknown"
    retired = next(c for c in regions.children("91", include_retired=True) if c.retired)
    with pytest.raises(AkiError):
        office_region(retired.code)  # a code split away issues nothing new


# --- the number -------------------------------------------------------------------------------


def test_the_number_reads_every_common_spelling() -> None:
    canonical = "AK1-3173-2026-4820571-1"
    for typed in (
        canonical,
        "ak1 3173 2026 4820571 1",
        "AK/I 3173.2026.4820571.1",
        "AKI-3173-2026-4820571-1",
        "3173202648205711",
        " AK1-3173-2026-4820571-1\n",
        "AK1-3173-2026-48205７1-1",  # a full-width digit (NFKC)
    ):
        assert str(parse_aki_number(typed)) == canonical, typed


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "number_format"),
        ("AK1-3173-2026-482057-1", "number_format"),  # 15 digits
        ("AK1-3173-1999-4820571-1", "number_format"),  # a year before 2000
        ("AK1-9999-2026-4820571-1", "number_region"),
        ("AK1-3173-2026-4820571-2", "number_check"),
        ("AK1-3173-2026-4820517-1", "number_check"),  # two digits swapped
        ("SK-7KQ4-M2XD-9P7", "number_format"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(typed: str, code: str) -> None:
    with pytest.raises(AkiError) as refused:
        parse_aki_number(typed)
    assert refused.value.code == code
    assert not is_valid_aki_number(typed)


offices = st.sampled_from(OFFICES)
years = st.integers(2000, 2099)
serials = st.integers(0, 10**7 - 1)


@given(offices, years, serials)
def test_a_new_number_parses_back_to_itself(office: str, year: int, serial: int) -> None:
    number = new_aki_number(office, year, lambda bound: serial % bound)
    assert parse_aki_number(str(number)) == number
    assert str(number).startswith(f"AK1-{office}-{year}-")


@given(offices, years, serials, st.data())
def test_every_single_digit_error_is_caught(
    office: str, year: int, serial: int, data: st.DataObject
) -> None:
    digits = str(new_aki_number(office, year, lambda bound: serial % bound))[4:].replace("-", "")
    position = data.draw(st.integers(0, 15))
    replacement = data.draw(st.sampled_from(string.digits))
    assume(replacement != digits[position])
    typo = digits[:position] + replacement + digits[position + 1 :]
    assert not is_valid_aki_number(typo)


@given(offices, years, serials, st.integers(0, 14))
def test_every_swap_of_two_neighbouring_digits_is_caught(
    office: str, year: int, serial: int, position: int
) -> None:
    digits = str(new_aki_number(office, year, lambda bound: serial % bound))[4:].replace("-", "")
    swapped = digits[:position] + digits[position + 1] + digits[position] + digits[position + 2 :]
    assume(swapped != digits)
    assert not is_valid_aki_number(swapped)  # the check digit's own swap included


@given(st.text(max_size=80))
def test_any_text_is_a_number_or_a_typed_refusal(text: str) -> None:
    if is_valid_aki_number(text):
        assert is_valid_aki_number(str(parse_aki_number(text)))
        return
    with pytest.raises(AkiError) as refused:
        parse_aki_number(text)
    assert refused.value.code in {"number_format", "number_region", "number_check"}
    assert refused.value.message_id
    assert refused.value.message_en
