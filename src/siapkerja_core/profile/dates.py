"""Month-precision dates of the profile (:class:`YearMonth`, "Juni 2021") and periods."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Final

import attrs
from attrs import field, frozen

from siapkerja_core.i18n import both, month_name, text
from siapkerja_core.profile.errors import ProfileError, _invalid, _Reason
from siapkerja_core.profile.fields import _lenient, _parse_int

__all__ = ["MAX_YEAR", "MIN_YEAR", "YearMonth"]

# --------------------------------------------------------------------------
# YearMonth: "Juni 2021"
# --------------------------------------------------------------------------

_YEAR_MONTH: Final = re.compile(r"([0-9]{4})-([0-9]{2})")
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100


def _year_month_part(value: object, low: int, high: int, part: str) -> None:
    try:
        _parse_int(value, low, high)
    except _Reason as reason:
        what_id, what_en = both(f"label.date_part.{part}")
        raise ProfileError(
            "invalid_field",
            field=part,
            reason_id=f"{what_id} {reason.reason_id}",
            reason=f"{what_en} {reason.reason_en}",
        ) from None


def _check_year(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    _year_month_part(value, MIN_YEAR, MAX_YEAR, "year")


def _check_month(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    _year_month_part(value, 1, 12, "month")


@frozen(order=True)
class YearMonth:
    """A month of a year: when a job started, a certificate was awarded, ….

    Written ``"2021-06"`` in JSON (:meth:`parse`, ``str()``) and "Juni 2021"
    for people (:meth:`label`). Ordered, so periods can be compared.
    """

    year: int = field(validator=_check_year)
    month: int = field(validator=_check_month)

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """``"2021-06"`` → ``YearMonth(2021, 6)``; raises :class:`ProfileError` otherwise."""
        try:
            return _parse_year_month(text)
        except _Reason as reason:
            raise _invalid("year_month", reason.reason_id, reason.reason_en) from None

    @classmethod
    def of(cls, day: date) -> YearMonth:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self, lang: str = "id") -> str:
        """``"Juni 2021"`` (``lang="id"``) or ``"June 2021"`` (``lang="en"``)."""
        return f"{month_name(self.month, lang)} {self.year}"


def _parse_year_month(value: object) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    if isinstance(value, str):
        match = _YEAR_MONTH.fullmatch(value.strip())
        if match is None:
            raise _Reason.of("reason.year_month_format")
        year, month = int(match[1]), int(match[2])
    elif isinstance(value, tuple | list) and len(value) == 2:
        year, month = value
    else:
        raise _Reason.of("reason.year_month_format")
    try:
        return YearMonth(year, month)
    except ProfileError as error:
        raise _Reason(str(error.params["reason_id"]), str(error.params["reason"])) from None


def _to_year_month(value: YearMonth | str | tuple[int, int]) -> YearMonth:
    return _lenient(_parse_year_month, value)


def _to_optional_year_month(value: YearMonth | str | tuple[int, int] | None) -> YearMonth | None:
    return None if value is None else _lenient(_parse_year_month, value)


def _period_label(start: YearMonth, end: YearMonth | None, lang: str) -> str:
    until = end.label(lang) if end is not None else text("label.period.present", lang)
    return f"{start.label(lang)} - {until}"


# --------------------------------------------------------------------------
