"""The cards' COPY text on PostgreSQL (``sql.cards._copy_text``): what it writes, and when
it leaves the rows to psycopg (a value that COPY's text form would have to escape)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy.dialects import postgresql

from siapkerja_adapters.sql.cards import _copy_text
from siapkerja_core.records import CardRecord

NOW = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)
DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def card(n: int, **changes: Any) -> CardRecord:
    record = CardRecord(
        id=f"{n:032x}",
        account_id=f"acct-{n}",
        number=f"SK-TEST-{n:04d}-00X",
        card_ref=1000 + n,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
        status_index=n,
    )
    return attrs.evolve(record, **changes)


def test_rows_are_tab_separated_with_nulls_and_signed_references() -> None:
    later = NOW + timedelta(hours=1)
    rows = [
        card(1),
        card(2, card_ref=2**64 - 1, status_index=None, revoked_at=later, suspended_at=later),
    ]
    assert _copy_text(rows, DIALECT) == (
        f"{1:032x}\tacct-1\tSK-TEST-0001-00X\t1001\t1\t{NOW.isoformat()}\t{NOW.isoformat()}"
        "\t\\N\t1\t\\N\n"
        f"{2:032x}\tacct-2\tSK-TEST-0002-00X\t-1\t1\t{NOW.isoformat()}\t{NOW.isoformat()}"
        f"\t{later.isoformat()}\t\\N\t{later.isoformat()}\n"
    )
    assert _copy_text([], DIALECT) == ""


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\rb", "a\\b", "\\N", "a\\Nb"])
def test_a_value_the_text_form_escapes_leaves_the_rows_to_the_driver(text: str) -> None:
    for changed in ({"account_id": text}, {"number": text}, {"id": text}):
        assert _copy_text([card(1), card(2, **changed)], DIALECT) is None


def test_a_naive_time_is_refused_as_the_column_type_refuses_it() -> None:
    with pytest.raises(ValueError, match="aware"):
        _copy_text([card(1, issued_at=NOW.replace(tzinfo=None))], DIALECT)


def test_an_out_of_range_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        _copy_text([card(1, card_ref=2**64)], DIALECT)
