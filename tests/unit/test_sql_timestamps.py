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
