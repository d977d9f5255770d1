"""Property tests of siapkerja_core.nik (Hypothesis).

* a generated valid NIK round-trips through compose_nik / parse_nik;
* formatting noise (separators, full-width digits) changes nothing;
* a corrupted region, date or serial is refused with the right code;
* on any input at all, parse_nik raises nothing but InvalidNik and
  is_valid_nik agrees with it.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from siapkerja_core import regions
from siapkerja_core.nik import InvalidNik, Nik, compose_nik, is_valid_nik, parse_nik

TODAY = date(2026, 11, 27)
ALL_DISTRICTS = sorted(regions.district_codes())
DISTRICT_SET = frozenset(ALL_DISTRICTS)
FULL_WIDTH = dict(zip("0123456789", "０１２３４５６７８９", strict=True))
SEPARATORS = ["", "", "", " ", ".", "-", "  ", " - ", "\u00a0", "\u3000", "－"]

# The first parse may load the region table; keep timing out of the verdicts.
relaxed = settings(deadline=None)

districts = st.sampled_from(ALL_DISTRICTS)
sexes = st.sampled_from(["L", "P"])
serials = st.integers(1, 9999)


@st.composite
def born_and_today(draw: st.DrawFn) -> tuple[date, date]:
    """A reference date, and a birth date in the century before it (inclusive)."""
    born = draw(st.dates(min_value=date(1850, 1, 1), max_value=date(2150, 12, 31)))
    # 36,500 days is less than 100 years: the century is never ambiguous
    today = born + timedelta(days=draw(st.integers(0, 36_499)))
    return born, today


@st.composite
def valid_niks(draw: st.DrawFn) -> tuple[str, str, date, str, int]:
    district = draw(districts)
    born = draw(st.dates(min_value=date(1926, 11, 28), max_value=TODAY))
    sex = draw(sexes)
    serial = draw(serials)
    return compose_nik(district, born, sex, serial), district, born, sex, serial  # type: ignore[arg-type]


@st.composite
def noisy(draw: st.DrawFn, digits: str) -> str:
    """``digits`` with separators between them and some digits full-width."""
    out = [draw(st.sampled_from(["", " ", "  ", "\t", "\n "]))]
    for index, ch in enumerate(digits):
        out.append(FULL_WIDTH[ch] if draw(st.booleans()) else ch)
        if index < len(digits) - 1:
            out.append(draw(st.sampled_from(SEPARATORS)))
    out.append(draw(st.sampled_from(["", " ", "\n"])))
    return "".join(out)


def _outcome(text: object, **kwargs: object) -> Nik | str:
    """parse_nik's result, or the code of the InvalidNik it raised."""
    try:
        return parse_nik(text, **kwargs)  # type: ignore[arg-type]
    except InvalidNik as error:
        return error.code


def _valid_day_month(day: int, month: int) -> bool:
    if not 1 <= month <= 12:
        return False
    real = day - 40 if day > 40 else day
    return 1 <= real <= calendar.monthrange(2000, month)[1]  # 2000: 29 Feb exists


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------


@relaxed
@given(district=districts, dates=born_and_today(), sex=sexes, serial=serials)
@example(district="910101", dates=(date(2000, 2, 29), date(2099, 12, 31)), sex="P", serial=1)
@example(district="657101", dates=(date(1905, 8, 17), date(2004, 1, 1)), sex="L", serial=9999)
@example(district="967101", dates=(date(2005, 8, 17), date(2026, 11, 27)), sex="P", serial=10)
def test_valid_nik_round_trips(
    district: str, dates: tuple[date, date], sex: str, serial: int
) -> None:
    born, today = dates
    text = compose_nik(district, born, sex, serial)  # type: ignore[arg-type]
    assert len(text) == 16
    assert text.isdigit()
    parsed = parse_nik(text, today=today)
    assert is_valid_nik(text, today=today)
    assert str(parsed) == text
    assert parsed.district_code == district
    assert parsed.regency_code == district[:4]
    assert parsed.province_code == district[:2]
    assert parsed.birth_date == born
    assert parsed.sex == sex
    assert parsed.serial == f"{serial:04d}"
    assert parsed.region_known is True
    assert parsed.warnings == ()
    found = regions.district(district)
    assert found is not None
    assert parsed.district_name == found.name
    assert parsed.region_retired is found.retired
    assert parsed == Nik(text, born, True)
    assert hash(parsed) == hash(Nik(text, born, True))
    assert parse_nik(text, strict=False, today=today) == parsed
    masked = parsed.masked()
    assert masked == text[:4] + "*" * 10 + text[-2:]
    assert repr(parsed) == f"Nik({masked!r})"


# --------------------------------------------------------------------------
# Formatting noise
# --------------------------------------------------------------------------


@relaxed
@given(data=st.data(), case=valid_niks())
def test_formatting_noise_does_not_change_a_valid_result(
    data: st.DataObject, case: tuple[str, str, date, str, int]
) -> None:
    text = case[0]
    spelled = data.draw(noisy(text))
    assert parse_nik(spelled, today=TODAY) == parse_nik(text, today=TODAY)
    assert is_valid_nik(spelled, today=TODAY) is True


@relaxed
@given(data=st.data(), digits=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_formatting_noise_does_not_change_any_verdict(data: st.DataObject, digits: str) -> None:
    spelled = data.draw(noisy(digits))
    for strict in (True, False):
        expected = _outcome(digits, strict=strict, today=TODAY)
        assert _outcome(spelled, strict=strict, today=TODAY) == expected
        assert is_valid_nik(spelled, strict=strict, today=TODAY) is isinstance(expected, Nik)


# --------------------------------------------------------------------------
# Corruption is refused with the right code
# --------------------------------------------------------------------------

unknown_regions = (
    st.integers(0, 999_999).map(lambda n: f"{n:06d}").filter(lambda code: code not in DISTRICT_SET)
)


@relaxed
@given(case=valid_niks(), region=unknown_regions)
@example(case=("6571015708900001", "657101", date(1990, 8, 17), "P", 1), region="647301")
@example(case=("9301011708450001", "930101", date(1945, 8, 17), "L", 1), region="941201")
def test_unknown_region_is_refused_strict_and_flagged_lenient(
    case: tuple[str, str, date, str, int], region: str
) -> None:
    text = region + case[0][6:]
    assert _outcome(text, today=TODAY) == "region"
    assert is_valid_nik(text, today=TODAY) is False
    lenient = parse_nik(text, strict=False, today=TODAY)
    assert is_valid_nik(text, strict=False, today=TODAY) is True
    assert lenient.region_known is False
    assert [w.code for w in lenient.warnings] == ["region_unknown"]
    assert lenient.birth_date == case[2]
    assert lenient.sex == case[3]
    assert lenient.district_name is None


@relaxed
@given(case=valid_niks(), day=st.integers(0, 99), month=st.integers(0, 99))
@example(case=("3171011708450001", "317101", date(1945, 8, 17), "L", 1), day=81, month=8)
@example(case=("3171011708450001", "317101", date(1945, 8, 17), "L", 1), day=0, month=1)
@example(case=("3171011708450001", "317101", date(1945, 8, 17), "L", 1), day=17, month=13)
def test_invalid_day_or_month_is_refused(
    case: tuple[str, str, date, str, int], day: int, month: int
) -> None:
    text = f"{case[0][:6]}{day:02d}{month:02d}{case[0][10:]}"
    outcome = _outcome(text, today=TODAY)
    if _valid_day_month(day, month):
        if (day % 40, month) != (29, 2):
            assert isinstance(outcome, Nik)
            assert outcome.birth_date.day == (day - 40 if day > 40 else day)
            assert outcome.sex == ("P" if day > 40 else "L")
            assert outcome.birth_date.month == month
    else:
        assert outcome == "birth_date"
        assert _outcome(text, strict=False, today=TODAY) == "birth_date"
        assert is_valid_nik(text, today=TODAY) is False


@relaxed
@given(case=valid_niks(), yy=st.integers(0, 99), female=st.booleans())
def test_29_february_is_valid_only_in_a_leap_year(
    case: tuple[str, str, date, str, int], yy: int, female: bool
) -> None:
    text = f"{case[0][:6]}{69 if female else 29}02{yy:02d}{case[0][12:]}"
    # seen from 2026-11-27, YY 00-26 is 2000-2026 and 27-99 is 1927-1999;
    # a 29 February that is not there may fall back one century (1904 for 04)
    outcome = _outcome(text, today=TODAY)
    if yy % 4 == 0:
        assert isinstance(outcome, Nik)
        assert outcome.birth_date == date(2000 + yy if yy <= 26 else 1900 + yy, 2, 29)
        assert outcome.sex == ("P" if female else "L")
    else:
        assert outcome == "birth_date"
    assert is_valid_nik(text, today=TODAY) is isinstance(outcome, Nik)


@relaxed
@given(case=valid_niks())
def test_serial_0000_is_refused(case: tuple[str, str, date, str, int]) -> None:
    text = case[0][:12] + "0000"
    assert _outcome(text, today=TODAY) == "serial"
    assert _outcome(text, strict=False, today=TODAY) == "serial"
    assert is_valid_nik(text, today=TODAY) is False


# --------------------------------------------------------------------------
# Anything at all: only InvalidNik, and is_valid_nik agrees
# --------------------------------------------------------------------------

near_valid_alphabet = "0123456789０１２３４５６７８９ .-_/\t\u00a0aO+٣²"


@st.composite
def mutated_niks(draw: st.DrawFn) -> str:
    """A valid NIK with one to three digits changed, dropped or duplicated."""
    chars = list(draw(valid_niks())[0])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(chars) - 1))
        action = draw(st.sampled_from(["replace", "drop", "double"]))
        if action == "replace":
            chars[where] = draw(st.sampled_from("0123456789"))
        elif action == "drop" and len(chars) > 1:
            del chars[where]
        else:
            chars.insert(where, chars[where])
    return "".join(chars)


any_text = st.one_of(
    st.text(),
    st.text(alphabet=near_valid_alphabet, min_size=10, max_size=24),
    st.text(alphabet="0123456789", min_size=16, max_size=16),
    mutated_niks(),
    valid_niks().map(lambda case: case[0]),
)
reference_dates = st.one_of(
    st.none(), st.just(TODAY), st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31))
)


@relaxed
@given(text=any_text, strict=st.booleans(), today=reference_dates)
@example(text="3171012902000001", strict=True, today=date(2000, 2, 28))
@example(text="3171016902000001", strict=True, today=date(2100, 3, 1))
@example(text="3171012902010001", strict=True, today=None)
@example(text="３１７１０１２９０２０４０００１", strict=True, today=date(2004, 2, 28))
@example(text="", strict=True, today=None)
@example(text="\u00bd" * 16, strict=True, today=None)
def test_any_text_raises_only_invalid_nik_and_agrees_with_is_valid(
    text: str, strict: bool, today: date | None
) -> None:
    outcome = _outcome(text, strict=strict, today=today)
    assert is_valid_nik(text, strict=strict, today=today) is isinstance(outcome, Nik)
    if isinstance(outcome, Nik):
        assert len(outcome.value) == 16
        assert outcome.value.isascii()
        assert outcome.value.isdigit()
        assert outcome.birth_date <= (today or date.today())
        assert outcome.region_known is (outcome.value[:6] in DISTRICT_SET)
        assert outcome.sex in ("L", "P")
        assert outcome.serial != "0000"
    else:
        assert outcome in {"format", "length", "region", "birth_date", "serial"}


@relaxed
@given(
    value=st.one_of(
        st.integers(),
        st.floats(),
        st.none(),
        st.binary(),
        st.booleans(),
        st.lists(st.text(max_size=3), max_size=2),
        st.decimals(allow_nan=False),
    )
)
@example(value=9601011708450001)
@example(value=9601011708450001.0)
def test_non_text_is_always_type(value: object) -> None:
    assert _outcome(value) == "type"
    assert _outcome(value, strict=False, today=TODAY) == "type"
    assert is_valid_nik(value) is False  # type: ignore[arg-type]
