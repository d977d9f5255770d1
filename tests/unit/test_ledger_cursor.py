"""The ledger's page cursor: its text reads back to itself, and nothing else reads at all.

:class:`~siapkerja_core.records.LedgerCursor` travels through a URL (``/riwayat?sebelum=``,
``GET /v1/me/access-log?before=``); what comes back may have been edited by anyone.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_core.disclosure import DisclosureError
from siapkerja_core.records import LedgerCursor

_ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=128)
_times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(at=_times, record_id=_ids)
def test_a_token_reads_back_to_its_cursor(at: datetime, record_id: str) -> None:
    cursor = LedgerCursor(at=at, id=record_id)
    token = cursor.token()
    assert token.isascii()
    assert all(c.isalnum() or c in "-_" for c in token)  # safe in a URL as it is
    assert LedgerCursor.parse(token) == cursor


def test_a_time_in_another_zone_reads_back_as_the_same_instant() -> None:
    wib = datetime(2026, 11, 27, 17, 0, 0, 5, tzinfo=UTC) + timedelta(hours=7)
    at = wib.astimezone(UTC)
    assert LedgerCursor.parse(LedgerCursor(at=at, id="a").token()).at == at


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "xyz!!",
        "ÿ",
        "A" * 201,
        _b64(b"hello"),
        _b64(b"123:"),
        _b64(b":abc"),
        _b64(b"1.5:abc"),
        _b64(b"999999999999999999:abc"),  # far past year 9999
        _b64(b"-999999999999999999:abc"),
        _b64(b"123:a b"),
        _b64(b"123:a\x01b"),
        _b64(b"123:" + b"a" * 129),
        _b64("123:é".encode()),
        _b64(b"\xff\xfe"),
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(DisclosureError) as info:
        LedgerCursor.parse(text)
    assert info.value.full_code == "disclosure.cursor_invalid"
    assert info.value.message("id")
    assert info.value.message("en")


@given(st.text(max_size=60))
def test_parsing_never_raises_anything_but_its_refusal(text: str) -> None:
    code = "read"
    try:
        LedgerCursor.parse(text)
    except DisclosureError as error:
        code = error.full_code
    assert code in ("read", "disclosure.cursor_invalid")
