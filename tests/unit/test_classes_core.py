"""The class rules, pure: a class's values, the attendance arithmetic, the report's shapes.

What a plausible bug would break: rounding the percentage before comparing it
with the minimum, counting a check-in at a session not held (or of another
class), a withdrawn trainee in the class's summary, a CSV cell a spreadsheet
runs as a formula or a name with a comma that splits a row.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_core.classes import (
    ROW_COLUMNS,
    ClassEnrolment,
    ClassError,
    InstitutionKind,
    Trainee,
    TrainingClass,
    attendance_report,
    csv_cell,
    meets_minimum,
    percent,
)

NOW = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)


def a_class(**changes: object) -> TrainingClass:
    values: dict[str, object] = {
        "id": "LAS-01",
        "name": "Teknik Las",
        "institution_id": "blk-1",
        "institution_kind": "UPTD",
        "vocation": "Las",
        "starts_on": date(2027, 1, 4),
        "ends_on": date(2027, 2, 26),
        "min_attendance": 75,
        "capacity": 16,
        "created_at": NOW,
    }
    values.update(changes)
    return TrainingClass(**values)  # type: ignore[arg-type]


def enrolment(account_id: str, *, days: int = 0, withdrawn: bool = False) -> ClassEnrolment:
    made = ClassEnrolment(
        class_id="LAS-01", account_id=account_id, enrolled_at=NOW + timedelta(days=days)
    )
    return made.withdrawn(NOW + timedelta(days=30)) if withdrawn else made


# --- the class's values ----------------------------------------------------------------------


def test_a_class_takes_its_kind_in_any_case_and_dates_as_text() -> None:
    klass = a_class(institution_kind="blkk", starts_on="2027-01-04", kbji_code=" 7212 ")
    assert klass.institution_kind is InstitutionKind.BLKK
    assert klass.starts_on == date(2027, 1, 4)
    assert klass.kbji_code == "7212"
    assert a_class(kbji_code="").kbji_code is None


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"id": "bad id"}, "id", "id"),
        ({"id": ""}, "id", "id"),
        ({"name": "  "}, "name", "required"),
        ({"name": "x" * 201}, "name", "text"),
        ({"vocation": "Las\x00"}, "vocation", "text"),
        ({"institution_kind": "BLK"}, "institution_kind", "kind"),
        ({"kbji_code": "72-12"}, "kbji_code", "kbji"),
        ({"starts_on": "4 Jan 2027"}, "starts_on", "date"),
        ({"starts_on": NOW}, "starts_on", "date"),  # a datetime is not a day
        ({"ends_on": date(2027, 1, 3)}, "ends_on", "date_order"),
        ({"min_attendance": 101}, "min_attendance", "range"),
        ({"min_attendance": -1}, "min_attendance", "range"),
        ({"min_attendance": True}, "min_attendance", "range"),
        ({"capacity": 0}, "capacity", "range"),
        ({"capacity": 10_001}, "capacity", "range"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    changes: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(ClassError) as refused:
        a_class(**changes)
    assert refused.value.full_code == "class.invalid"
    assert refused.value.params["field"] == field
    assert refused.value.params["reason"] == reason
    assert refused.value.message_id != refused.value.message_en
    assert "{" not in refused.value.message_id + refused.value.message_en


def test_an_enrolment_is_withdrawn_once_and_renewed() -> None:
    first = enrolment("a")
    gone = first.withdrawn(NOW + timedelta(days=1))
    assert not gone.active
    assert gone.withdrawn(NOW + timedelta(days=9)) == gone  # the first withdrawal stands
    back = gone.renewed(NOW + timedelta(days=2))
    assert back.active
    assert back.enrolled_at == NOW + timedelta(days=2)


# --- the arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attended", "held", "minimum", "shown", "meets"),
    [
        (2, 3, 67, 66.7, False),  # 66.67 % shows as 66.7 but is short of 67
        (2, 3, 66, 66.7, True),
        (3, 4, 75, 75.0, True),  # exactly the minimum meets it
        (2, 4, 75, 50.0, False),
        (0, 5, 0, 0.0, True),  # no minimum: anyone meets it
        (1, 3, 33, 33.3, True),
        (1, 3, 34, 33.3, False),
        (0, 0, 80, None, None),  # nothing held yet: no verdict
    ],
)
def test_the_percentage_shows_rounded_and_the_minimum_is_compared_exactly(
    attended: int, held: int, minimum: int, shown: float | None, meets: bool | None
) -> None:
    assert percent(attended, held) == shown
    assert meets_minimum(attended, held, minimum) is meets


@given(st.integers(0, 500), st.integers(1, 500), st.integers(0, 100))
def test_meeting_the_minimum_never_depends_on_rounding(
    attended: int, held: int, minimum: int
) -> None:
    attended = min(attended, held)
    exact = attended / held * 100
    assert meets_minimum(attended, held, minimum) is (exact >= minimum - 1e-9)


def test_the_report_counts_held_sessions_of_the_class_only() -> None:
    report = attendance_report(
        a_class(),
        [enrolment("galih"), enrolment("fauzi", days=1), enrolment("rizki", days=2)],
        {"galih": Trainee(account_id="galih", full_name="Galih", siapkerja_id="SK-1")},
        ["S1", "S2", "S2", "S3", "S4"],  # a repeated id counts once
        {
            "galih": {"S1", "S2", "S3", "S4", "S9"},  # S9 was not held (or is another class's)
            "fauzi": ["S1", "S3"],
            "nobody": ["S1"],  # not enrolled: no line
        },
    )
    assert report.sessions == ("S1", "S2", "S3", "S4")
    lines = {t.account_id: t for t in report.trainees}
    assert list(lines) == ["galih", "fauzi", "rizki"]  # by enrolment
    assert (lines["galih"].attended, lines["galih"].held, lines["galih"].percent) == (4, 4, 100.0)
    assert (lines["fauzi"].attended, lines["fauzi"].percent, lines["fauzi"].meets_minimum) == (
        2,
        50.0,
        False,
    )
    assert (lines["rizki"].attended, lines["rizki"].meets_minimum) == (0, False)
    assert lines["fauzi"].full_name == ""
    assert lines["fauzi"].siapkerja_id is None
    summary = report.summary
    assert (summary.sessions_held, summary.trainees, summary.attended, summary.possible) == (
        4,
        3,
        6,
        12,
    )
    assert (summary.percent, summary.meeting_minimum) == (50.0, 1)


def test_a_withdrawn_trainee_keeps_a_line_but_leaves_the_summary() -> None:
    report = attendance_report(
        a_class(),
        [enrolment("a"), enrolment("b", withdrawn=True)],
        {},
        ["S1", "S2"],
        {"a": ["S1", "S2"], "b": ["S1"]},
    )
    assert [(t.account_id, t.active, t.attended) for t in report.trainees] == [
        ("a", True, 2),
        ("b", False, 1),
    ]
    assert (report.summary.trainees, report.summary.attended, report.summary.possible) == (
        1,
        2,
        2,
    )
    assert report.summary.percent == 100.0


def test_an_enrolment_of_another_class_is_left_out() -> None:
    other = ClassEnrolment(class_id="OTHER", account_id="x", enrolled_at=NOW)
    report = attendance_report(a_class(), [other], {}, ["S1"], {"x": ["S1"]})
    assert report.trainees == ()
    assert report.summary.percent is None  # nobody to count


def test_before_any_session_there_is_no_verdict() -> None:
    report = attendance_report(a_class(), [enrolment("a")], {}, [], {})
    assert report.trainees[0].percent is None
    assert report.trainees[0].meets_minimum is None
    assert report.summary.sessions_held == 0
    assert report.summary.percent is None


# --- rows, columns, CSV ------------------------------------------------------------------------


def tricky_report():
    names = {
        "a": Trainee(account_id="a", full_name='H. Galih "Agan", S.Kom.', siapkerja_id="SK-1"),
        "b": Trainee(account_id="b", full_name='=HYPERLINK("http://x")', siapkerja_id=None),
        "c": Trainee(account_id="c", full_name="Baris\nbaru", siapkerja_id="SK-3"),
    }
    return attendance_report(
        a_class(name="Las, angkatan I"),
        [enrolment("a"), enrolment("b", days=1), enrolment("c", days=2)],
        names,
        ["S1", "S2", "S3"],
        {"a": ["S1", "S2", "S3"], "b": ["S1"]},
    )


def test_rows_are_flat_dicts_of_plain_values_one_per_trainee() -> None:
    report = tricky_report()
    rows = report.rows()
    assert len(rows) == 3
    for row in rows:
        assert tuple(row) == ROW_COLUMNS
        assert all(v is None or type(v) in (str, int, float, bool) for v in row.values())
    assert json.loads(json.dumps(rows)) == rows  # plain data: JSON, pandas, csv alike
    assert rows[0]["meets_minimum"] is True
    assert rows[1]["percent"] == 33.3


def test_columns_are_the_rows_turned_round() -> None:
    report = tricky_report()
    columns = report.columns()
    assert tuple(columns) == ROW_COLUMNS
    assert columns["attended"] == [3, 1, 0]
    assert [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=False)
    ] == (report.rows())
    empty = attendance_report(a_class(), [], {}, [], {})
    assert empty.columns() == {name: [] for name in ROW_COLUMNS}


def test_the_csv_reads_back_cell_for_cell_and_runs_no_formula() -> None:
    report = tricky_report()
    text = report.report_csv()
    assert "\r\n" in text
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == list(ROW_COLUMNS)
    assert len(parsed) == 4  # a line break inside a name does not make a row
    first, formula, broken = parsed[1:]
    assert first[ROW_COLUMNS.index("class_name")] == "Las, angkatan I"
    assert first[ROW_COLUMNS.index("full_name")] == 'H. Galih "Agan", S.Kom.'
    assert first[ROW_COLUMNS.index("meets_minimum")] == "true"
    assert formula[ROW_COLUMNS.index("full_name")] == '\'=HYPERLINK("http://x")'
    assert formula[ROW_COLUMNS.index("siapkerja_id")] == ""
    assert broken[ROW_COLUMNS.index("full_name")] == "Baris\nbaru"
    assert broken[ROW_COLUMNS.index("percent")] == "0.0"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (66.7, "66.7"),
        ("=1+1", "'=1+1"),
        ("+62812", "'+62812"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Galih", "Galih"),
        ("a=b", "a=b"),
    ],
)
def test_a_cell_is_never_a_formula(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


@given(st.text(max_size=40))
def test_any_name_survives_the_csv(name: str) -> None:
    report = attendance_report(
        a_class(),
        [enrolment("a")],
        {"a": Trainee(account_id="a", full_name=name)},
        ["S1"],
        {"a": ["S1"]},
    )
    row = list(csv.reader(io.StringIO(report.report_csv(), newline="")))[1]
    assert len(row) == len(ROW_COLUMNS)
    assert row[ROW_COLUMNS.index("full_name")] == csv_cell(name)
