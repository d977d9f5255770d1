"""The NIK (Nomor Induk Kependudukan): parsing, validation, masking.

A NIK is 16 digits ``PPRRSS DDMMYY NNNN``:

* ``PPRRSS`` — the Kemendagri district (*kecamatan*) where the NIK was first
  registered. It never changes afterwards, so a code retired by a later split
  is still a real NIK's code: we accept every code in the current edition
  **or** any edition since 2015 (:mod:`siapkerja_core.regions`).
* ``DDMMYY`` — the birth date, with 40 added to the day for women (41–71).
  Residents with an unknown birth date were recorded as 31-12 (before 2004),
  01-07 (SIAK, since 2004) or the 15th of a known month; those are ordinary
  valid dates here. The century is not written: we take the latest century in
  which the person is not born after the reference date (today by default).
* ``NNNN`` — the serial, 0001–9999 (Dukcapil starts at 0001).

A NIK is always text. Provinces 91–96 give NIKs above 2**53, which a float or
a JavaScript number silently corrupts, so ints and floats are refused.

Checks run in the order of the digits and the first failure is reported with
a stable code: ``format``, ``length``, ``region``, ``birth_date``, ``serial``.

Speed matters (bulk imports, every login by NIK): the common case — 16 ASCII
digits — takes a fast path of string slices and dictionary look-ups against
tables built once (days × months, the district code set); the cleaning of
spaced, dotted or full-width input happens only when the fast test fails.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from time import time as _clock
from types import MappingProxyType
from typing import ClassVar, Final, Literal

from attrs import field, frozen

from siapkerja_core import regions
from siapkerja_core._codegen import fast_constructor
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import both

__all__ = [
    "MAX_NIK_INPUT",
    "InvalidNik",
    "Nik",
    "NikWarning",
    "compose_nik",
    "is_valid_nik",
    "normalize_nik",
    "parse_nik",
]

Sex = Literal["L", "P"]

MAX_NIK_INPUT: Final = 32
"""The most characters a form takes for a NIK as typed: 16 digits and a separator
(space, dot or dash) between each group of four or two, with room to spare
("3173 0712 0394 0042", "31.73.07-120394-0042"). The web form's ``maxlength``."""


class InvalidNik(SiapkerjaError, ValueError):
    """The text is not a valid NIK. ``code`` says which part is wrong.

    ``params`` carry the digit positions at fault (``start``, ``end``,
    1-based and inclusive) so a form can point at them; never the digits.
    """

    __slots__ = ()  # raised for every invalid NIK of a bulk import: no instance dict
    domain = "nik"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "format",
            "length",
            "region",
            "birth_date",
            "serial",
            "type",
        }
    )

    @classmethod
    def at_digits(cls, code: str) -> InvalidNik:
        """The error for a fault in a digit group (``region``, ``birth_date``, ``serial``).

        Built without ``__init__``: ``parse_nik`` raises one for every invalid
        NIK of a bulk import, and skipping the keyword packing and checks
        (the code and its read-only params are fixed here) halves the cost.
        """
        error = cls.__new__(cls, code)  # BaseException.__new__ sets args = (code,)
        error.code = code
        error.params = _FAULT_DIGITS[code]
        return error


@frozen
class NikWarning:
    """Something a lenient parse accepted but wants the caller to know."""

    code: str
    message_id: str
    message_en: str

    @classmethod
    def of(cls, code: str) -> NikWarning:
        """The warning ``code`` worded by the catalogues (``warning.nik.<code>``)."""
        message_id, message_en = both(f"warning.nik.{code}")
        return cls(code, message_id, message_en)


def _build_day_month_table() -> dict[str, tuple[int, int, bool]]:
    """``"DDMM"`` → (day, month, female) for every day-month a NIK can carry.

    29 February is included; whether its year is a leap year is checked once
    the century is known.
    """
    days_in_month = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    table: dict[str, tuple[int, int, bool]] = {}
    for month, days in enumerate(days_in_month, start=1):
        for day in range(1, days + 1):
            table[f"{day:02d}{month:02d}"] = (day, month, False)
            table[f"{day + 40:02d}{month:02d}"] = (day, month, True)
    return table


_DAY_MONTH: Final = _build_day_month_table()
# Spaces of every width, dots, slashes, underscores and every dash a word
# processor or a phone keyboard produces (hyphen, en/em dash, minus sign).
_SEPARATORS: Final = str.maketrans(
    "", "", " .-_/\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212\t\r\n"
)


def _clean(text: object) -> str | tuple[str, dict[str, object]]:
    """The 16 ASCII digits of ``text``, or the error (code, params) why not."""
    if not isinstance(text, str):
        return "type", {"type": type(text).__name__}
    digits = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    if not digits:
        return "length", {"length": 0}
    if not (digits.isascii() and digits.isdigit()):
        return "format", {}
    if len(digits) != 16:
        return "length", {"length": len(digits)}
    return digits


def normalize_nik(text: str) -> str:
    """The 16 ASCII digits of ``text``, or raise :class:`InvalidNik` (``format``/``length``).

    Spaces, dots, dashes, slashes and underscores are dropped; full-width and
    other compatibility digits become ASCII (Unicode NFKC). Nothing else is
    checked here.
    """
    if type(text) is str and len(text) == 16 and text.isascii() and text.isdigit():
        return text
    cleaned = _clean(text)
    if isinstance(cleaned, tuple):
        raise InvalidNik(cleaned[0], **cleaned[1])
    return cleaned


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _birth_date(ddmmyy: str, today: date) -> date | None:
    """The birth date a NIK's ``DDMMYY`` means, seen from ``today`` (``None``: not a date).

    The century is the latest one that does not put the birthday after
    ``today``. For 29 February we step back one more century if that year is
    not a leap year (2000 is one, 1900 is not) — never further: nobody living
    was born two centuries ago.
    """
    day_month = _DAY_MONTH.get(ddmmyy[:4])
    if day_month is None:
        return None
    day, month, _female = day_month
    yy = int(ddmmyy[4:])
    year = today.year - (today.year - yy) % 100
    if year == today.year and (month, day) > (today.month, today.day):
        year -= 100
    if month == 2 and day == 29 and not _is_leap(year):
        year -= 100
        if not _is_leap(year):
            return None
    if year < 1:
        return None  # only an absurd reference date (before year 100) gets here
    return date(year, month, day)


class _Today:
    """Today's date, and the birth dates already worked out against it.

    ``date.today()`` asks the time zone and costs as much as the rest of a
    parse; reading the clock and comparing with the next local midnight
    costs a small fraction of that (``benchmarks/README.md``). The memo of ``DDMMYY`` → date
    holds at most 73,200 entries (the valid day-months × 100 years) and is
    dropped when the day changes, because the century choice depends on it.
    """

    __slots__ = ("births", "date", "expires")

    def __init__(self) -> None:
        self.expires = 0.0
        self.date = date.min
        self.births: dict[str, date] = {}

    def roll(self) -> None:
        self.date = date.today()
        tomorrow = self.date + timedelta(days=1)
        self.expires = datetime.combine(tomorrow, time.min).timestamp()
        self.births = {}


_today: Final = _Today()
_district_codes: frozenset[str] = frozenset()


_FAULT_DIGITS: Final[dict[str, Mapping[str, object]]] = {
    "region": MappingProxyType({"start": 1, "end": 6}),
    "birth_date": MappingProxyType({"start": 7, "end": 12}),
    "serial": MappingProxyType({"start": 13, "end": 16}),
}


_LEAP_DAY_OF: Final = {day_month: day_month in ("2902", "6902") for day_month in _DAY_MONTH}
"""``"DDMM"`` → whether it is 29 February: one look-up both validates and flags it."""


def _districts() -> frozenset[str]:
    global _district_codes  # filled once, on first use: the data load is lazy
    if not _district_codes:
        _district_codes = regions.district_codes()
    return _district_codes


def _born(ddmmyy: str, today: date | None) -> date | None:
    """The birth date of a NIK's ``DDMMYY`` against ``today`` (default: the real today)."""
    if today is not None:
        return _birth_date(ddmmyy, today)
    if _clock() >= _today.expires:
        _today.roll()
    born = _today.births.get(ddmmyy)
    if born is None:
        born = _birth_date(ddmmyy, _today.date)
        if born is not None:
            _today.births[ddmmyy] = born
    return born


def _examine(text: str, strict: bool, today: date | None) -> date | str:
    """The birth date of 16 ASCII digits if they are a valid NIK, else the first fault's code.

    The definition of validity used by :func:`parse_nik`; :func:`is_valid_nik`
    inlines a lean twin that needs no date (property tests hold the two in
    agreement on arbitrary input).
    """
    if strict and text[:6] not in (_district_codes or _districts()):
        return "region"
    ddmmyy = text[6:12]
    if today is None:
        if _clock() >= _today.expires:
            _today.roll()
        born = _today.births.get(ddmmyy)  # the memo holds valid dates only
        if born is None:
            born = _birth_date(ddmmyy, _today.date)
            if born is None:
                return "birth_date"
            _today.births[ddmmyy] = born
    else:
        born = _birth_date(ddmmyy, today)
        if born is None:
            return "birth_date"
    if text[12:] == "0000":
        return "serial"
    return born


def parse_nik(text: str, *, strict: bool = True, today: date | None = None) -> Nik:
    """Parse and validate a NIK.

    :param text: the NIK as text; spaces, dots, dashes and full-width digits
        are accepted.
    :param strict: refuse a region code found in no Kemendagri edition since
        2015 (the default). With ``strict=False`` such a NIK is accepted with
        ``region_known`` false and a ``region_unknown`` warning — for callers
        who prefer a false accept to a false reject (codes retired before
        2015, e.g. Kalimantan Utara's while under 64xx, are not in the data).
    :param today: the reference date for the century of the birth year
        (default: today).
    :raises InvalidNik: with ``code`` ``format``, ``length``, ``region``,
        ``birth_date`` or ``serial`` (``type`` if ``text`` is not a str).
    """
    # The common case, exactly 16 ASCII digits in a plain str, skips cleaning;
    # anything else (str subclasses and bytes included) is cleaned or refused.
    if type(text) is not str or len(text) != 16 or not (text.isascii() and text.isdigit()):
        text = normalize_nik(text)
    born = _examine(text, strict, today)
    if type(born) is str:
        raise InvalidNik.at_digits(born)
    # Equivalent to Nik(text, born, region_known) at about half the cost (see
    # siapkerja_core._codegen): this is the path every bulk import takes.
    return _new_nik(
        value=text,
        birth_date=born,
        region_known=strict or text[:6] in (_district_codes or _districts()),
    )


def is_valid_nik(text: str, *, strict: bool = True, today: date | None = None) -> bool:
    """Whether :func:`parse_nik` would accept ``text`` (never raises)."""
    if type(text) is not str or len(text) != 16 or not (text.isascii() and text.isdigit()):
        cleaned = _clean(text)
        if type(cleaned) is not str:
            return False
        text = cleaned
    # _examine() without building the date (only 29 February needs the century),
    # inlined: this is the bulk-validation path. Property tests hold the two in
    # agreement on arbitrary input.
    if strict and text[:6] not in (_district_codes or _districts()):
        return False
    leap_day = _LEAP_DAY_OF.get(text[6:10])
    if leap_day is None or text[12:] == "0000":
        return False
    return not leap_day or type(_examine(text, strict, today)) is not str


def compose_nik(district_code: str, birth_date: date, sex: Sex, serial: int) -> str:
    """Build the NIK a district would issue; the inverse of :func:`parse_nik`.

    Meant for fixtures and synthetic data; it checks shapes, not the region.
    """
    if len(district_code) != 6 or not district_code.isdigit():
        raise ValueError("district_code must be six digits")
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be 1..9999")
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{district_code}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


@frozen(repr=False)
class Nik:
    """A valid NIK and what its digits say.

    Build one with :func:`parse_nik`. ``str(nik)`` is the 16 digits; the
    ``repr`` is masked so a NIK does not end up whole in logs or tracebacks.
    """

    value: str
    birth_date: date
    region_known: bool = field(default=True)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Nik({self.masked()!r})"

    @property
    def province_code(self) -> str:
        return self.value[:2]

    @property
    def regency_code(self) -> str:
        return self.value[:4]

    @property
    def district_code(self) -> str:
        return self.value[:6]

    @property
    def province(self) -> regions.Region | None:
        return regions.lookup(self.value[:2])

    @property
    def regency(self) -> regions.Region | None:
        return regions.lookup(self.value[:4])

    @property
    def district(self) -> regions.Region | None:
        return regions.lookup(self.value[:6])

    @property
    def province_name(self) -> str | None:
        found = self.province
        return None if found is None else found.name

    @property
    def regency_name(self) -> str | None:
        """The regency's name — for a retired code, its last name (see ``region_retired``)."""
        found = self.regency
        return None if found is None else found.name

    @property
    def district_name(self) -> str | None:
        """The district's name — for a retired code, its last name (see ``region_retired``)."""
        found = self.district
        return None if found is None else found.name

    @property
    def region_retired(self) -> bool:
        """True if the NIK's regency or district code is no longer in the current edition.

        The NIK stays valid: it keeps the code it was issued under.
        """
        found = self.district
        return found is not None and found.retired

    @property
    def sex(self) -> Sex:
        """``"L"`` (laki-laki) or ``"P"`` (perempuan): day 41–71 means a woman."""
        return "P" if self.value[6:8] > "40" else "L"

    @property
    def serial(self) -> str:
        """The four-digit serial, as text (``"0001"``)."""
        return self.value[12:]

    @property
    def warnings(self) -> tuple[NikWarning, ...]:
        """What a lenient parse let through (empty for a strict parse)."""
        return () if self.region_known else (NikWarning.of("region_unknown"),)

    def masked(self) -> str:
        """The NIK with only its first four and last two digits showing.

        ``3171011708450001`` → ``3171**********01``: no birth date, no district.
        """
        return f"{self.value[:4]}{'*' * 10}{self.value[14:]}"


_new_nik = fast_constructor(Nik)
