"""``UtcDateTime`` on SQLite: the one-step conversions equal SQLAlchemy's generic chain.

A time is written as text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC) and read back
aware in UTC. Both directions have a written-out fast form (a UTC time is
formatted without converting first; a read parses and sets the zone in one
function); each must give exactly what the generic chain gives — the text
the dialect's ``DATETIME`` writes for the time in UTC, and
``process_result_value`` of what the dialect parses — for every time, in
every zone, or text order (time order) and the records read back would change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from siapkerja_adapters.sql import schema as sk

DIALECT: Any = sqlite.dialect()

# ``UTC`` itself (the fast form), UTC-equal zones that are not it, and others.
zones = st.sampled_from(
    [UTC, timezone(timedelta(0)), ZoneInfo("UTC"), ZoneInfo("Asia/Jakarta")]
) | st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
# Times whose conversion to UTC stays within datetime's years 1..9999.
moments = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=zones
)


def _fast_bind() -> Any:
    process = sk.UtcDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert process is not None
    return process


def _generic_bind(moment: datetime) -> Any:
    dialect_datetime = sa.DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert dialect_datetime is not None
    return dialect_datetime(sk.UtcDateTime().process_bind_param(moment, DIALECT))


@given(moments)
def test_a_time_is_written_as_the_generic_chain_writes_it(moment: datetime) -> None:
    assert _fast_bind()(moment) == _generic_bind(moment)


@given(moments)
def test_a_time_is_read_back_as_the_generic_chain_reads_it(moment: datetime) -> None:
    text = _generic_bind(moment)
    fast = sk.UtcDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    parse = sa.DateTime(timezone=True).dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert fast is not None
    assert parse is not None
    read = fast(text)
    assert read == sk.UtcDateTime().process_result_value(parse(text), DIALECT)
    assert read == moment
    assert read.tzinfo is UTC


def test_the_fast_forms_keep_none_and_refuse_a_naive_time() -> None:
    fast_read = sk.UtcDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert fast_read is not None
    assert fast_read(None) is None
    assert _fast_bind()(None) is None
    with pytest.raises(ValueError, match="aware"):
        _fast_bind()(datetime(2026, 12, 7, 12, 0))


# Texts around the library's own form: other lengths, an offset or a "Z", a "T",
# fewer digits, garbage. Whatever the fast read does with them must be what the
# generic chain does (the same moment, or the same refusal).
_texts = st.one_of(
    moments.map(lambda moment: _generic_bind(moment)),
    st.builds(
        lambda moment, tail, sep: moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep) + tail,
        moments,
        st.sampled_from(["", "Z", "+00:00", "+07:00", "-0130", "1", ".5"]),
        st.sampled_from([" ", "T"]),
    ),
    st.text(alphabet="0123456789-:. TZ+", min_size=24, max_size=28),
)


@given(_texts)
def test_any_text_is_read_as_the_generic_chain_reads_it(text: str) -> None:
    fast = sk.UtcDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    parse = sa.DateTime(timezone=True).dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert fast is not None
    assert parse is not None
    try:
        expected = sk.UtcDateTime().process_result_value(parse(text), DIALECT)
    except ValueError:
        with pytest.raises(ValueError):
            fast(text)
        return
    read = fast(text)
    assert read == expected
    assert read is not None
    assert read.tzinfo is UTC
    assert read.replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_the_librarys_own_text_is_read_without_the_dialects_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The library's text (26 characters, UTC, no offset) is read in one call, its
    # zone set by the parse itself; the dialect's parse and ``replace(tzinfo=)``
    # cost several times that on every time of every row read.
    from sqlalchemy.engine import processors

    calls: list[str] = []
    original = processors.str_to_datetime

    def counted(value: Any) -> Any:
        calls.append(value)
        return original(value)

    monkeypatch.setattr(processors, "str_to_datetime", counted)
    fast = sk.UtcDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert fast is not None
    assert fast("2026-12-07 16:36:18.217092") == datetime(2026, 12, 7, 16, 36, 18, 217092, UTC)
    assert calls == []
    # Any other form still goes through the dialect's parse.
    assert fast("2026-12-07 16:36:18") == datetime(2026, 12, 7, 16, 36, 18, tzinfo=UTC)
    assert calls == ["2026-12-07 16:36:18"]


@given(st.lists(moments, max_size=5))
def test_a_challenges_send_times_are_written_as_json_dumps_wrote_them(
    sent: list[datetime],
) -> None:
    # ``_iso_list`` went from ``json.dumps`` (compact, ensure_ascii off) to orjson: the
    # stored text of ``sent_at`` must not change, nor what reading it gives back.
    import json

    from siapkerja_adapters.sql.base import _iso_list

    text = _iso_list(sent)
    assert text == json.dumps(
        [moment.astimezone(UTC).isoformat() for moment in sent],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert [datetime.fromisoformat(t) for t in json.loads(text)] == sent
