"""What a notebook shows: tables and frames, the card's and QR's images, a short profile
view, completeness, and errors without their traceback (issue 17, "Notebook niceties").

Everything runs on a real in-memory service (``connect("memory")``) and real pandas and
Pillow; "pandas (or Pillow) is not installed" is shown by hiding the module from the
import system, which is what a missing package looks like to the code.
"""

from __future__ import annotations

import base64
import io
import json
import random
import sys
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from PIL import Image

from siapkerja_adapters import connect
from siapkerja_adapters.bulk.report import BadRow, ImportReport
from siapkerja_adapters.demo import demo_holder
from siapkerja_core.classes import (
    ROW_COLUMNS,
    ClassEnrolment,
    Trainee,
    TrainingClass,
    attendance_report,
)
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.frames import Column, html_table, to_frame
from siapkerja_core.profile import ProfileError
from siapkerja_core.profile.photo import THUMBNAIL_MAX_BYTES, thumbnail_data_uri
from siapkerja_core.records import AccessLedger
from siapkerja_core.services import BulkIssueReport
from siapkerja_core.station import CheckIn, CheckInList

NOW = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def journey():  # one holder with a profile, a card and one scan in the ledger
    svc = connect("memory")
    holder = demo_holder(svc)
    view = svc.resolve(svc.card_qr(holder.id).url, holder)
    return svc, holder, view


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``import <module>`` fail as it does when the package is not installed."""
    for name in list(sys.modules):
        if name.split(".")[0] in modules:
            monkeypatch.delitem(sys.modules, name)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


# --- the shared table helper -------------------------------------------------------------

COLUMNS = (
    Column("at", "datetime"),
    Column("name"),
    Column("count", "int"),
    Column("share", "float"),
    Column("ok", "bool"),
    Column("day", "date"),
    Column("tags", "list"),
)
ROWS = [
    {
        "at": NOW,
        "name": "Galih",
        "count": 3,
        "share": 0.5,
        "ok": True,
        "day": date(2027, 1, 4),
        "tags": ("a", "b"),
    },
    {"at": NOW + timedelta(hours=1), "name": None, "count": None, "share": None, "ok": None},
]


def test_a_frame_has_typed_columns_in_order() -> None:
    frame = to_frame(ROWS, COLUMNS)
    assert list(frame.columns) == [c.name for c in COLUMNS]
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {
        "at": "datetime64[ns, UTC]",
        "name": "string",
        "count": "Int64",
        "share": "Float64",
        "ok": "boolean",
        "day": "datetime64[ns]",
        "tags": "object",
    }
    assert frame["at"][1] == pd.Timestamp(NOW + timedelta(hours=1))
    assert frame["count"].isna().tolist() == [False, True]
    assert frame["tags"][0] == ["a", "b"]


def test_an_empty_frame_keeps_its_columns_and_types() -> None:
    frame = to_frame([], COLUMNS)
    assert frame.empty
    assert list(frame.columns) == [c.name for c in COLUMNS]
    assert str(frame.dtypes["at"]) == "datetime64[ns, UTC]"


def test_without_pandas_a_frame_is_a_typed_error_naming_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide(monkeypatch, "pandas")
    with pytest.raises(ConfigurationError) as caught:
        to_frame(ROWS, COLUMNS)
    error = caught.value
    assert error.full_code == "config.missing_extra"
    assert "pip install 'siapkerja[notebook]'" in error.message_id
    assert "pip install 'siapkerja[notebook]'" in error.message_en
    assert error.params["module"] == "pandas"
    assert error.message_id != error.message_en


def test_an_html_table_escapes_its_cells_and_caps_its_rows() -> None:
    rows = [{"name": f"<b>{i}</b>"} for i in range(5)]
    table = html_table(rows, (Column("name"),), caption="A & B", limit=3)
    assert "&lt;b&gt;0&lt;/b&gt;" in table
    assert "&lt;b&gt;3&lt;/b&gt;" not in table
    assert "2 more rows" in table
    assert "<caption>A &amp; B</caption>" in table


def test_a_column_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        Column("x", "money")  # type: ignore[arg-type]


# --- the ledger, attendance, bulk reports ------------------------------------------------


def test_the_ledger_is_still_a_list_and_becomes_a_frame(journey) -> None:
    svc, holder, _ = journey
    ledger = svc.access_log(holder.id)
    assert isinstance(ledger, AccessLedger)
    assert isinstance(ledger, list)
    assert ledger == list(ledger)
    assert len(ledger) >= 1
    frame = ledger.to_frame()
    assert len(frame) == len(ledger)
    assert str(frame.dtypes["at"]) == "datetime64[ns, UTC]"
    assert frame["audience"][0] == "holder"
    assert frame["channel"][0] == "link"
    assert "photo" in frame["fields"][0]
    data = ledger.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is
    assert data["entries"][0]["at"] == ledger[0].at.isoformat()
    assert "<table" in ledger._repr_html_()


def test_an_empty_ledger_still_has_its_columns() -> None:
    frame = AccessLedger().to_frame()
    assert list(frame.columns)[:3] == ["at", "audience", "verifier_name"]
    assert str(frame.dtypes["at"]) == "datetime64[ns, UTC]"


def a_report():
    klass = TrainingClass(
        id="LAS-01",
        name="Teknik Las",
        institution_id="blk-1",
        institution_kind="UPTD",
        vocation="Las",
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 2, 26),
        min_attendance=75,
        capacity=16,
        created_at=NOW,
    )
    return attendance_report(
        klass,
        [
            ClassEnrolment(class_id="LAS-01", account_id="a", enrolled_at=NOW),
            ClassEnrolment(class_id="LAS-01", account_id="b", enrolled_at=NOW),
        ],
        {"a": Trainee(account_id="a", full_name="Galih", siapkerja_id="SK-1")},
        ["S1", "S2"],
        {"a": ["S1", "S2"], "b": ["S1"]},
    )


def test_the_attendance_report_becomes_a_frame_with_its_csv_columns() -> None:
    report = a_report()
    frame = report.to_frame()
    assert tuple(frame.columns) == ROW_COLUMNS
    assert frame["attended"].tolist() == [2, 1]
    assert str(frame.dtypes["attended"]) == "Int64"
    assert str(frame.dtypes["meets_minimum"]) == "boolean"
    assert frame["percent"].tolist() == [100.0, 50.0]
    assert report.to_dict() == report.as_dict()
    assert "Galih" in report._repr_html_()


def test_an_events_check_ins_become_a_frame() -> None:
    check_ins = CheckInList(
        [
            CheckIn(
                card_ref=2**63 + 5,
                event_id="E1",
                station_id="A",
                checked_in_at=NOW,
                step=1,
                kid="K",
            )
        ]
    )
    frame = check_ins.to_frame()
    assert str(frame.dtypes["checked_in_at"]) == "datetime64[ns, UTC]"
    assert frame["card_ref"][0] == check_ins[0].to_dict()["card_ref"]  # 64 bits, as text
    assert check_ins.to_dict() == {"check_ins": [check_ins[0].to_dict()]}


def test_bulk_reports_become_frames(journey) -> None:
    svc, holder, _ = journey
    issued = svc.issue_cards([holder.id])
    assert isinstance(issued, BulkIssueReport)
    assert issued.to_frame().to_dict("records") == [issued.to_dict()]
    report = ImportReport(
        created=1,
        updated=0,
        unchanged=0,
        bad_rows=[BadRow(3, "nik.region", "NIK salah", "Bad NIK", column="nik")],
    )
    frame = report.to_frame()
    assert frame["line"].tolist() == [3]
    assert frame["column"].tolist() == ["nik"]
    assert report.to_dict()["created"] == 1
    assert "created 1" in report._repr_html_()


# --- the card and its QR ------------------------------------------------------------------


def test_the_card_shows_as_png_in_a_notebook(journey) -> None:
    svc, holder, _ = journey
    png = svc.card(holder.id)._repr_png_()
    assert png is not None
    assert png.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(png)).size == (506, 319)


def test_without_pillow_the_card_leaves_png_to_the_svg(journey, monkeypatch) -> None:
    svc, holder, _ = journey
    card = svc.card(holder.id)
    hide(monkeypatch, "PIL")
    assert card._repr_png_() is None
    assert card._repr_svg_().startswith("<svg")


def test_the_qr_shows_as_png_svg_and_html(journey) -> None:
    svc, holder, _ = journey
    qr = svc.card_qr(holder.id)
    assert qr._repr_png_().startswith(PNG_MAGIC)
    assert "<svg" in qr._repr_svg_()
    shown = qr._repr_html_()
    assert "<svg" in shown
    assert "link QR" in shown
    assert qr.url in shown


# --- the profile view: never the photo's base64 --------------------------------------------


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: ``side`` x ``side`` random pixels (about 3 bytes each)."""
    rng = random.Random(17)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def big_photo_view():
    svc = connect("memory")
    holder = demo_holder(svc, card=False)  # the demo profile, then a big photo in it
    photo = noise_png(780)  # about 1.8 MB: under the 2 MiB the profile takes
    assert 1_500_000 < len(photo) <= 2 * 1024 * 1024
    svc.update_profile(holder.id, photo={"content": photo, "media_type": "image/png"})
    svc.issue_card(holder.id)
    view = svc.resolve(svc.card_qr(holder.id).url, holder)
    return view, photo


def test_the_views_repr_shows_the_photos_size_not_its_bytes(big_photo_view) -> None:
    view, photo = big_photo_view
    text = repr(view)
    assert len(text) < 4000
    assert f"<image/png photo, {len(photo)} bytes>" in text
    assert base64.b64encode(photo[:300]).decode()[:100] not in text


def test_the_views_html_has_a_small_thumbnail(big_photo_view) -> None:
    view, _ = big_photo_view
    shown = view._repr_html_()
    assert 'src="data:image/jpeg;base64,' in shown
    assert len(shown) < THUMBNAIL_MAX_BYTES * 4 // 3 + 8000
    assert view.full_name in shown
    assert "skills" in shown


def test_without_pillow_a_big_photo_is_left_out_of_the_html(big_photo_view, monkeypatch) -> None:
    view, photo = big_photo_view
    hide(monkeypatch, "PIL")
    shown = view._repr_html_()
    assert "<img" not in shown
    assert len(shown) < 8000
    assert f"image/png, {len(photo)} bytes" in shown


def test_a_small_photo_is_embedded_as_it_is_without_pillow(monkeypatch) -> None:
    small = noise_png(8)
    hide(monkeypatch, "PIL")
    uri = thumbnail_data_uri(small, "image/png")
    assert uri == "data:image/png;base64," + base64.b64encode(small).decode()


# --- completeness --------------------------------------------------------------------------


def test_completeness_shows_a_bar_and_what_is_missing() -> None:
    svc = connect("memory")
    holder = demo_holder(svc, profile=False, card=False)
    result = svc.completeness(holder.id)
    assert not result.complete
    bar = result._repr_svg_()
    assert bar.startswith("<svg")
    assert f"{result.percent}%" in bar
    shown = result._repr_html_()
    for item in result.missing:
        assert f"<code>{item.key}</code>" in shown
        assert item.label("en") in shown


# --- errors in IPython ---------------------------------------------------------------------


def test_an_error_renders_in_a_few_lines_with_code_both_languages_and_fields() -> None:
    svc = connect("memory")
    with pytest.raises(SiapkerjaError) as caught:
        svc.register(nik="3173071203940042", full_name="Orang Lain", mother_name="Siapa")
    lines = caught.value._render_traceback_()
    assert lines[0] == "RegistrationError: [registration.mismatch]"
    assert lines[1] == f"  id: {caught.value.message_id}"
    assert lines[2] == f"  en: {caught.value.message_en}"
    assert "  fields: full_name, mother_name" in lines
    assert len(lines) <= 6


def test_a_refused_profile_lists_every_field_at_fault() -> None:
    svc = connect("memory")
    holder = demo_holder(svc, profile=False, card=False)
    with pytest.raises(ProfileError) as caught:
        svc.update_profile(
            holder.id,
            biodata={"birth_date": "31-02-1990"},
            education=[{"institution": "X", "level": "S9"}],
        )
    lines = caught.value._render_traceback_()
    assert lines[0] == "ProfileError: [profile.invalid_field]"
    listed = [line for line in lines if line.startswith("  - ")]
    assert len(listed) == len(caught.value.errors) >= 2
    assert any("biodata.birth_date" in line for line in listed)
    assert any("education[0].level" in line for line in listed)
    assert len(lines) < 12  # not the converter's frames
