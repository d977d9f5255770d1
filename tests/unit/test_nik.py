"""Example tests of siapkerja_core.nik: parsing, validation, masking.

The cases follow research/domain.md §1.2 (edge cases) and §1.4 (the defects
of peer validators, each turned into a check that our parser gets it right).
Where the century matters the reference date is fixed with ``today=``.
"""

from __future__ import annotations

import copy
import gzip
import pickle
from datetime import date
from decimal import Decimal
from importlib.resources import files

import attrs
import pytest

from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import (
    InvalidNik,
    Nik,
    NikWarning,
    compose_nik,
    is_valid_nik,
    normalize_nik,
    parse_nik,
)

TODAY = date(2026, 11, 27)
GAMBIR = "3171011708450001"  # Gambir, Jakarta Pusat; man born 17-08-1945; serial 0001
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def nik(district: str = "317101", ddmmyy: str = "170845", serial: str = "0001") -> str:
    return f"{district}{ddmmyy}{serial}"


def fault(text: object, **kwargs: object) -> InvalidNik:
    """The error parse_nik raises for ``text``; is_valid_nik must agree."""
    with pytest.raises(InvalidNik) as caught:
        parse_nik(text, **kwargs)  # type: ignore[arg-type]
    assert is_valid_nik(text, **kwargs) is False  # type: ignore[arg-type]
    return caught.value


def accepted(text: str, **kwargs: object) -> Nik:
    result = parse_nik(text, **kwargs)  # type: ignore[arg-type]
    assert is_valid_nik(text, **kwargs) is True  # type: ignore[arg-type]
    return result


# --------------------------------------------------------------------------
# Input shapes: separators, full-width digits, type
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "3171011708450001",
        "3171 0117 0845 0001",
        "317101 170845 0001",
        "31.71.01.170845.0001",
        "3171-0117-0845-0001",
        "31-71-01 17.08.45 0001",
        "  3171011708450001\n",
        "\t3171011708450001",
        "3171\u00a00117\u00a00845\u00a00001",
        "３１７１０１１７０８４５０００１",
        "３１７１ ０１１７ ０８４５ ０００１",
        "3171０１１7０８４5０001",
        "３１７１－０１１７－０８４５－０００１",  # full-width hyphen-minus
        "３１７１\u3000０１１７\u3000０８４５\u3000０００１",  # ideographic space
    ],
)
def test_separators_and_full_width_digits_are_accepted(text: str) -> None:
    assert normalize_nik(text) == GAMBIR
    parsed = accepted(text, today=TODAY)
    assert str(parsed) == GAMBIR
    assert parsed == parse_nik(GAMBIR, today=TODAY)
    assert parsed.birth_date == date(1945, 8, 17)


def test_normalize_nik_returns_plain_ascii_digits() -> None:
    out = normalize_nik("３１７１ ０１１７ ０８４５ ０００１")
    assert out == GAMBIR
    assert out.isascii()
    assert type(out) is str


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "length", {"length": 0}),
        ("   ", "length", {"length": 0}),
        (" . - ", "length", {"length": 0}),
        ("317101170845001", "length", {"length": 15}),
        ("31710117084500011", "length", {"length": 17}),
        ("3171 0117 0845 000", "length", {"length": 15}),
        ("1", "length", {"length": 1}),
        ("3171O11708450001", "format", {}),  # letter O, not zero
        ("3171O1170845000", "format", {}),  # a bad character is reported before the length
        ("+3171011708450001", "format", {}),
        ("3171011708450001a", "format", {}),
        ("NIK: 3171011708450001", "format", {}),
        ("abcdefghijklmnop", "format", {}),
    ],
)
def test_format_and_length_faults(text: str, code: str, params: dict[str, object]) -> None:
    error = fault(text, today=TODAY)
    assert error.code == code
    assert dict(error.params) == params
    with pytest.raises(InvalidNik) as caught:
        normalize_nik(text)
    assert caught.value.code == code


def test_length_message_says_how_many_digits() -> None:
    error = fault("317101170845001")
    assert error.message_id.startswith("NIK harus 16 angka; yang terisi 15 angka.")
    assert error.message_en.startswith("A NIK has 16 digits; 15 were entered.")


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (3171011708450001, "int"),
        (3171011708450001.0, "float"),
        (9601011708450001, "int"),
        (Decimal("3171011708450001"), "Decimal"),
        (b"3171011708450001", "bytes"),
        (bytearray(b"3171011708450001"), "bytearray"),
        (None, "NoneType"),
        (True, "bool"),
        (["3171011708450001"], "list"),
    ],
)
def test_non_text_is_refused_with_type(value: object, type_name: str) -> None:
    error = fault(value, today=TODAY)
    assert error.code == "type"
    assert error.full_code == "nik.type"
    assert error.params == {"type": type_name}
    assert type_name in error.message_id
    assert type_name in error.message_en
    with pytest.raises(InvalidNik) as caught:
        normalize_nik(value)  # type: ignore[arg-type]
    assert caught.value.code == "type"


def test_str_subclass_is_text() -> None:
    class NikText(str):
        __slots__ = ()

    parsed = accepted(NikText(GAMBIR), today=TODAY)
    assert parsed.value == GAMBIR
    assert type(parsed.value) is str


# --------------------------------------------------------------------------
# Large NIKs (Papua, provinces 91-96): above 2**53, must keep every digit
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "province", "regency", "district"),
    [
        ("9103011708450001", "Papua", "Kabupaten Jayapura", "Sentani"),
        ("9202031708450001", "Papua Barat", "Kabupaten Manokwari", "Warmare"),
        ("9301011708450001", "Papua Selatan", "Kabupaten Merauke", "Merauke"),
        ("9401011708450001", "Papua Tengah", "Kabupaten Nabire", "Nabire"),
        ("9501011708450001", "Papua Pegunungan", "Kabupaten Jayawijaya", "Wamena"),
        ("9601011708450001", "Papua Barat Daya", "Kabupaten Sorong", "Makbon"),
        ("9671015708909999", "Papua Barat Daya", "Kota Sorong", "Sorong"),
    ],
)
def test_papua_niks_above_2_pow_53_keep_every_digit(
    text: str, province: str, regency: str, district: str
) -> None:
    assert int(text) > 2**53
    parsed = accepted(text, today=TODAY)
    assert str(parsed) == text
    assert parsed.value == text
    assert parsed.serial == text[12:]
    assert (parsed.province_name, parsed.regency_name, parsed.district_name) == (
        province,
        regency,
        district,
    )
    assert parsed.region_retired is False


def test_the_float_corruption_that_motivates_text_only() -> None:
    text = "9601011708450001"
    corrupted = f"{int(float(text)):d}"
    assert corrupted == "9601011708450000"  # what a float or a JS number does
    assert fault(float(text)).code == "type"
    assert str(accepted(text, today=TODAY)).endswith("0001")


# --------------------------------------------------------------------------
# Region (digits 1-6): current, retired, unknown; Kemendagri, not BPS
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("district", "province", "regency", "district_name"),
    [
        # python-stdnum (BPS codes) rejects these current Kemendagri regencies
        ("657101", "Kalimantan Utara", "Kota Tarakan", "Tarakan Barat"),
        ("930101", "Papua Selatan", "Kabupaten Merauke", "Merauke"),
        ("967101", "Papua Barat Daya", "Kota Sorong", "Sorong"),
        ("321801", "Jawa Barat", "Kabupaten Pangandaran", "Parigi"),
        # business-id-nik rejects every 65xx NIK
        ("650101", "Kalimantan Utara", "Kabupaten Bulungan", "Tanjung Palas"),
        # stdnum's BPS table names other places for these codes
        ("110101", "Aceh", "Kabupaten Aceh Selatan", "Bakongan"),
        ("317101", "Daerah Khusus Ibukota Jakarta", "Kota Administrasi Jakarta Pusat", "Gambir"),
        # Pikobar once accepted only Jawa Barat (32)
        ("320101", "Jawa Barat", "Kabupaten Bogor", "Cibinong"),
    ],
)
def test_current_kemendagri_regions_are_accepted_with_their_names(
    district: str, province: str, regency: str, district_name: str
) -> None:
    parsed = accepted(nik(district), today=TODAY)
    assert parsed.province_code == district[:2]
    assert parsed.regency_code == district[:4]
    assert parsed.district_code == district
    assert parsed.province_name == province
    assert parsed.regency_name == regency
    assert parsed.district_name == district_name
    assert parsed.region_known is True
    assert parsed.region_retired is False
    assert parsed.warnings == ()
    assert parsed.province == regions.Region(district[:2], province)
    assert parsed.regency == regions.Region(district[:4], regency)
    assert parsed.district == regions.Region(district, district_name)


def test_every_kalimantan_utara_district_is_accepted() -> None:
    codes = sorted(c for c in regions.district_codes() if c.startswith("65"))
    assert len(codes) == 55
    for code in codes:
        parsed = accepted(nik(code), today=TODAY)
        assert parsed.province_name == "Kalimantan Utara"


@pytest.mark.parametrize(
    ("district", "regency", "district_name", "last_edition"),
    [
        ("910101", "Kabupaten Merauke", "Merauke", 2022),  # now 9301 (Papua Selatan)
        ("927101", "Kota Sorong", "Sorong", 2023),  # now 9671 (Papua Barat Daya)
        ("920101", "Kabupaten Sorong", "Makbon", 2023),  # now 9601
    ],
)
def test_retired_regions_stay_valid_and_keep_their_last_name(
    district: str, regency: str, district_name: str, last_edition: int
) -> None:
    parsed = accepted(nik(district), today=TODAY)
    assert parsed.region_known is True
    assert parsed.region_retired is True
    assert parsed.warnings == ()
    assert parsed.regency_name == regency
    assert parsed.district_name == district_name
    assert parsed.province_name == regions.lookup(district[:2]).name  # type: ignore[union-attr]
    assert parsed.district == regions.Region(district, district_name, True, last_edition)
    assert parsed.regency is not None
    assert parsed.regency.retired is True


@pytest.mark.parametrize(
    "district",
    [
        "647301",  # 6473: in stdnum's BPS table, in no Kemendagri list since 2015
        "941201",  # 9412: likewise
        "017101",  # first digit 0: no province 0x (Pikobar's rule, right for the first digit)
        "000000",
        "990101",  # no province 99
        "317199",  # real regency, no such district
        "317100",
        "310001",  # real province, no regency 00
        "123456",
    ],
)
def test_unknown_region_is_refused_in_strict_mode(district: str) -> None:
    assert district not in regions.district_codes()
    error = fault(nik(district), today=TODAY)
    assert error.code == "region"
    assert error.full_code == "nik.region"
    assert error.params == {"start": 1, "end": 6}
    assert "wilayah" in error.message_id
    assert "region" in error.message_en


def test_unknown_region_is_refused_by_default_strict() -> None:
    with pytest.raises(InvalidNik) as caught:
        parse_nik(nik("647301"), today=TODAY)
    assert caught.value.code == "region"
    assert is_valid_nik(nik("647301"), today=TODAY) is False
    assert is_valid_nik(nik("647301"), strict=False, today=TODAY) is True


def test_lenient_mode_accepts_an_unknown_region_with_a_warning() -> None:
    # a Tarakan NIK issued before 2012, while Tarakan was still 6473 in Kaltim
    text = nik("647301", "570890", "0042")
    parsed = accepted(text, strict=False, today=TODAY)
    assert parsed.region_known is False
    assert parsed.region_retired is False
    assert str(parsed) == text
    assert parsed.birth_date == date(1990, 8, 17)
    assert parsed.sex == "P"
    assert parsed.serial == "0042"
    assert parsed.province_name == "Kalimantan Timur"
    assert parsed.regency_name is None
    assert parsed.district_name is None
    assert parsed.regency is None
    assert parsed.district is None
    assert len(parsed.warnings) == 1
    warning = parsed.warnings[0]
    assert isinstance(warning, NikWarning)
    assert warning.code == "region_unknown"
    assert warning.message_id
    assert warning.message_en
    assert warning.message_id != warning.message_en
    assert parsed == Nik(text, date(1990, 8, 17), False)
    assert parsed != Nik(text, date(1990, 8, 17), True)


def test_lenient_mode_on_a_known_region_has_no_warning() -> None:
    parsed = accepted(GAMBIR, strict=False, today=TODAY)
    assert parsed.region_known is True
    assert parsed.warnings == ()
    assert parsed == parse_nik(GAMBIR, today=TODAY)


def test_lenient_mode_still_checks_date_and_serial() -> None:
    assert fault(nik("647301", "320845"), strict=False, today=TODAY).code == "birth_date"
    assert fault(nik("647301", "170845", "0000"), strict=False, today=TODAY).code == "serial"
    assert fault("6473011708", strict=False).code == "length"


# --------------------------------------------------------------------------
# Birth date (digits 7-12): day, month, sex, century
# --------------------------------------------------------------------------


def test_female_day_57_is_day_17_and_sex_p() -> None:
    # npm nik-parser says "pria" and 1990-09-26 for this NIK
    parsed = accepted(nik("657101", "570890"), today=TODAY)
    assert parsed.sex == "P"
    assert parsed.birth_date == date(1990, 8, 17)
    assert parsed.birth_date.day == 17


def test_male_day_17_is_sex_l() -> None:
    parsed = accepted(nik("657101", "170890"), today=TODAY)
    assert parsed.sex == "L"
    assert parsed.birth_date == date(1990, 8, 17)


@pytest.mark.parametrize(
    ("ddmmyy", "born", "sex"),
    [
        ("010190", date(1990, 1, 1), "L"),
        ("310190", date(1990, 1, 31), "L"),
        ("410190", date(1990, 1, 1), "P"),
        ("420190", date(1990, 1, 2), "P"),  # nusantara-valid wrote "2", failing every woman
        ("710190", date(1990, 1, 31), "P"),
        ("300490", date(1990, 4, 30), "L"),
        ("700490", date(1990, 4, 30), "P"),
        ("281290", date(1990, 12, 28), "L"),
        ("681290", date(1990, 12, 28), "P"),
        ("400190", None, None),
        ("720190", None, None),
    ],
)
def test_day_bounds_and_sex(ddmmyy: str, born: date | None, sex: str | None) -> None:
    if born is None:
        assert fault(nik(ddmmyy=ddmmyy), today=TODAY).code == "birth_date"
        return
    parsed = accepted(nik(ddmmyy=ddmmyy), today=TODAY)
    assert parsed.birth_date == born
    assert parsed.sex == sex


@pytest.mark.parametrize("day", ["00", *map(str, range(32, 41)), *map(str, range(72, 100))])
def test_impossible_days_are_refused(day: str) -> None:
    # stdnum takes day % 40 and so accepts 81-91 as days 1-11
    error = fault(nik(ddmmyy=f"{day}0845"), today=TODAY)
    assert error.code == "birth_date"
    assert error.params == {"start": 7, "end": 12}
    assert "lahir" in error.message_id
    assert "birth date" in error.message_en


@pytest.mark.parametrize("month", ["00", "13", "14", "20", "45", "99"])
@pytest.mark.parametrize("day", ["17", "57"])
def test_impossible_months_are_refused(day: str, month: str) -> None:
    assert fault(nik(ddmmyy=f"{day}{month}45"), today=TODAY).code == "birth_date"


@pytest.mark.parametrize(
    "ddmm",
    ["3104", "3106", "3109", "3111", "7104", "7106", "7109", "7111", "3002", "3102", "7002"],
)
def test_days_past_the_end_of_the_month_are_refused(ddmm: str) -> None:
    assert fault(nik(ddmmyy=f"{ddmm}90"), today=TODAY).code == "birth_date"


@pytest.mark.parametrize("yy", ["01", "02", "03", "05", "21", "23", "25", "50", "89", "99"])
def test_29_february_of_a_non_leap_year_is_refused(yy: str) -> None:
    assert fault(nik(ddmmyy=f"2902{yy}"), today=TODAY).code == "birth_date"
    assert fault(nik(ddmmyy=f"6902{yy}"), today=TODAY).code == "birth_date"


@pytest.mark.parametrize(
    ("ddmmyy", "today", "born"),
    [
        ("290200", TODAY, date(2000, 2, 29)),
        ("290204", TODAY, date(2004, 2, 29)),
        ("290224", TODAY, date(2024, 2, 29)),
        ("690296", TODAY, date(1996, 2, 29)),
        ("290228", TODAY, date(1928, 2, 29)),
        # 2004-02-29 is still ahead: the previous century, 1904, was a leap year
        ("290204", date(2004, 2, 28), date(1904, 2, 29)),
        ("290204", date(2004, 2, 29), date(2004, 2, 29)),
        # 2100 is no leap year: 29-02-00 seen from 2100 is 2000
        ("290200", date(2100, 3, 1), date(2000, 2, 29)),
    ],
)
def test_29_february_of_a_leap_year(ddmmyy: str, today: date, born: date) -> None:
    assert accepted(nik(ddmmyy=ddmmyy), today=today).birth_date == born


def test_29_february_00_before_it_happened_is_refused() -> None:
    # 2000-02-29 is in the future and 1900 had no 29 February
    assert fault(nik(ddmmyy="290200"), today=date(2000, 2, 28)).code == "birth_date"


@pytest.mark.parametrize(
    ("ddmmyy", "today", "born"),
    [
        # stdnum, npm nik-parser: a 2005 birth year read as 1905
        ("170805", TODAY, date(2005, 8, 17)),
        ("170805", date(2004, 1, 1), date(1905, 8, 17)),
        ("170805", date(2005, 8, 16), date(1905, 8, 17)),
        ("170805", date(2005, 8, 17), date(2005, 8, 17)),
        ("570805", TODAY, date(2005, 8, 17)),
        ("010100", TODAY, date(2000, 1, 1)),
        ("311299", TODAY, date(1999, 12, 31)),
        ("271126", TODAY, date(2026, 11, 27)),  # born today
        ("281126", TODAY, date(1926, 11, 28)),  # tomorrow would be the future
        ("311226", TODAY, date(1926, 12, 31)),
        ("010127", TODAY, date(1927, 1, 1)),
        ("170845", TODAY, date(1945, 8, 17)),
        ("170845", date(2045, 8, 16), date(1945, 8, 17)),
        ("170845", date(2045, 8, 17), date(2045, 8, 17)),
    ],
)
def test_century_is_the_latest_not_in_the_future(ddmmyy: str, today: date, born: date) -> None:
    parsed = accepted(nik(ddmmyy=ddmmyy), today=today)
    assert parsed.birth_date == born
    assert parsed.birth_date <= today


def test_default_reference_date_is_today() -> None:
    for yy in range(100):
        parsed = parse_nik(nik(ddmmyy=f"0101{yy:02d}"))
        now = date.today()
        assert parsed.birth_date <= now
        assert parsed.birth_date.year % 100 == yy
        assert now.year - 100 <= parsed.birth_date.year <= now.year


@pytest.mark.parametrize(
    ("ddmmyy", "born", "sex"),
    [
        ("010760", date(1960, 7, 1), "L"),  # SIAK (since 2004): 1 July
        ("410760", date(1960, 7, 1), "P"),
        ("311260", date(1960, 12, 31), "L"),  # SIMDUK (before 2004): 31 December
        ("711260", date(1960, 12, 31), "P"),
        ("150360", date(1960, 3, 15), "L"),  # month known: the 15th
        ("550360", date(1960, 3, 15), "P"),
        ("150260", date(1960, 2, 15), "L"),
        ("010726", date(2026, 7, 1), "L"),
        ("311225", date(2025, 12, 31), "L"),
    ],
)
def test_unknown_birth_date_conventions_are_valid(ddmmyy: str, born: date, sex: str) -> None:
    parsed = accepted(nik(ddmmyy=ddmmyy), today=TODAY)
    assert parsed.birth_date == born
    assert parsed.sex == sex


# --------------------------------------------------------------------------
# Serial (digits 13-16)
# --------------------------------------------------------------------------


def test_serial_0000_is_refused() -> None:
    # python-stdnum accepts it; Dukcapil starts at 0001
    error = fault(nik(serial="0000"), today=TODAY)
    assert error.code == "serial"
    assert error.full_code == "nik.serial"
    assert error.params == {"start": 13, "end": 16}
    assert "0000" in error.message_id
    assert "0000" in error.message_en


@pytest.mark.parametrize("serial", ["0001", "0010", "0100", "1000", "1230", "9990", "9999"])
def test_serials_0001_to_9999_are_accepted(serial: str) -> None:
    # a last digit 0 is legal (Pikobar refused it)
    parsed = accepted(nik(serial=serial), today=TODAY)
    assert parsed.serial == serial
    assert str(parsed)[-4:] == serial


# --------------------------------------------------------------------------
# The first fault in digit order is reported
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "strict", "code"),
    [
        ("6473013213450000", True, "region"),
        ("6473013213450000", False, "birth_date"),
        ("3171013213450000", True, "birth_date"),
        ("3171010013450000", True, "birth_date"),
        ("3171011708450000", True, "serial"),
        ("6473011708450000", False, "serial"),
        ("0000000000000000", True, "region"),
        ("0000000000000000", False, "birth_date"),
        ("3171X13213450000", True, "format"),
        ("64730132134500", True, "length"),
        ("64730132134500X", True, "format"),
    ],
)
def test_first_fault_in_digit_order(text: str, strict: bool, code: str) -> None:
    assert fault(text, strict=strict, today=TODAY).code == code


# --------------------------------------------------------------------------
# The Nik value
# --------------------------------------------------------------------------


def test_nik_fields_and_derived_parts() -> None:
    parsed = accepted(GAMBIR, today=TODAY)
    assert parsed.value == GAMBIR
    assert parsed.province_code == "31"
    assert parsed.regency_code == "3171"
    assert parsed.district_code == "317101"
    assert parsed.birth_date == date(1945, 8, 17)
    assert parsed.sex == "L"
    assert parsed.serial == "0001"
    assert parsed.region_known is True
    assert parsed.region_retired is False


def test_str_is_the_16_digits_and_repr_is_masked() -> None:
    parsed = accepted("3171 0157 0845 0012", today=TODAY)
    assert str(parsed) == "3171015708450012"
    assert f"{parsed}" == "3171015708450012"
    assert parsed.masked() == "3171**********12"
    assert repr(parsed) == "Nik('3171**********12')"
    for shown in (repr(parsed), parsed.masked(), repr([parsed]), repr({"nik": parsed})):
        assert "570845" not in shown
        assert "317101" not in shown


@pytest.mark.parametrize(
    "text", [GAMBIR, "9601015708909999", "9101011708450001", "6571017112991234"]
)
def test_masked_shows_at_most_four_then_two_digits(text: str) -> None:
    masked = accepted(text, today=TODAY).masked()
    assert len(masked) == 16
    assert masked[:4] == text[:4]
    assert masked[-2:] == text[-2:]
    assert set(masked[4:-2]) == {"*"}
    assert sum(ch.isdigit() for ch in masked) == 6
    assert text[6:12] not in masked


def test_fast_path_result_equals_a_normally_built_nik() -> None:
    parsed = parse_nik(GAMBIR, today=TODAY)
    built = Nik(GAMBIR, date(1945, 8, 17), True)
    assert parsed == built
    assert built == parsed
    assert hash(parsed) == hash(built)
    assert {parsed, built} == {built}
    assert attrs.asdict(parsed) == {
        "value": GAMBIR,
        "birth_date": date(1945, 8, 17),
        "region_known": True,
    }
    assert attrs.astuple(parsed) == attrs.astuple(built)
    assert Nik(GAMBIR, date(1945, 8, 17)) == parsed  # region_known defaults to True
    assert parsed != Nik(GAMBIR, date(2045, 8, 17), True)
    assert parsed != Nik("3171011708450002", date(1945, 8, 17), True)


def test_slow_path_result_equals_a_normally_built_nik() -> None:
    parsed = parse_nik("３１７１ ０１１７ ０８４５ ０００１", today=TODAY)
    assert parsed == Nik(GAMBIR, date(1945, 8, 17), True)
    assert hash(parsed) == hash(Nik(GAMBIR, date(1945, 8, 17), True))


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("value", "3171011708450002"), ("birth_date", date(2000, 1, 1)), ("region_known", False)],
)
def test_nik_is_frozen(attribute: str, value: object) -> None:
    parsed = parse_nik(GAMBIR, today=TODAY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(parsed, attribute, value)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(parsed, attribute)
    assert parsed == Nik(GAMBIR, date(1945, 8, 17), True)


def test_nik_has_no_instance_dict() -> None:
    parsed = parse_nik(GAMBIR, today=TODAY)
    assert not hasattr(parsed, "__dict__")
    with pytest.raises((AttributeError, attrs.exceptions.FrozenInstanceError)):
        parsed.extra = 1  # type: ignore[attr-defined]


def test_nik_pickles_copies_and_evolves() -> None:
    parsed = parse_nik(GAMBIR, today=TODAY)
    assert pickle.loads(pickle.dumps(parsed)) == parsed  # noqa: S301 - our own bytes
    assert copy.copy(parsed) == parsed
    assert copy.deepcopy(parsed) == parsed
    evolved = attrs.evolve(parsed, region_known=False)
    assert evolved == Nik(GAMBIR, date(1945, 8, 17), False)
    assert evolved.warnings[0].code == "region_unknown"


# --------------------------------------------------------------------------
# InvalidNik
# --------------------------------------------------------------------------


def test_invalid_nik_is_a_value_error_and_a_siapkerja_error() -> None:
    error = fault(nik(serial="0000"))
    assert isinstance(error, ValueError)
    assert isinstance(error, SiapkerjaError)
    assert error.domain == "nik"


@pytest.mark.parametrize(
    "text",
    [
        nik("647301", "170845", "0001"),
        nik("317101", "320845", "0001"),
        nik("317101", "170845", "0000"),
        "9601011708450",
    ],
)
def test_error_never_repeats_the_digits(text: str) -> None:
    error = fault(text, today=TODAY)
    for shown in (str(error), repr(error), error.message_id, error.message_en, repr(error.args)):
        assert text not in shown
        assert text[6:12] not in shown
    assert all(not isinstance(v, str) or not v.isdigit() for v in error.params.values())


def test_error_str_has_both_languages() -> None:
    error = fault(nik("647301"), today=TODAY)
    assert str(error) == f"[nik.region] {error.message_id} / {error.message_en}"
    assert error.message("en") == error.message_en
    assert error.message("id") == error.message_id


def test_error_pickles() -> None:
    error = fault(nik(ddmmyy="001345"), today=TODAY)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(again) is InvalidNik
    assert again.code == "birth_date"
    assert again.params == {"start": 7, "end": 12}
    assert str(again) == str(error)


# --------------------------------------------------------------------------
# Peers' other defects
# --------------------------------------------------------------------------


def test_parse_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # business-id-nik prints the NIK to stdout
    parse_nik(GAMBIR, today=TODAY)
    is_valid_nik(GAMBIR, today=TODAY)
    with pytest.raises(InvalidNik):
        parse_nik(nik("647301"), today=TODAY)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ""


def test_unknown_district_is_false_not_a_type_error() -> None:
    # npm nik-parser's isValid() throws TypeError for an unknown kecamatan
    assert is_valid_nik(nik("317199")) is False
    assert is_valid_nik(nik("999999")) is False


def test_regency_name_is_a_name_not_a_type_flag() -> None:
    # business-id-nik's loc_eng_name returns "1" or "2"
    assert accepted(nik("320101"), today=TODAY).regency_name == "Kabupaten Bogor"
    assert accepted(nik("317101"), today=TODAY).regency_name == "Kota Administrasi Jakarta Pusat"


def test_date_is_checked_not_only_the_region() -> None:
    # npm nik-parser: isValid() checks only length and region
    assert fault(nik("317101", "999999"), today=TODAY).code == "birth_date"


# --------------------------------------------------------------------------
# compose_nik
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("district", "born", "sex", "serial", "expected"),
    [
        ("317101", date(1945, 8, 17), "L", 1, "3171011708450001"),
        ("657101", date(1990, 8, 17), "P", 42, "6571015708900042"),
        ("317101", date(1990, 1, 2), "P", 9999, "3171014201909999"),
        ("317101", date(2005, 1, 2), "L", 10, "3171010201050010"),
        ("910101", date(2000, 2, 29), "P", 1, "9101016902000001"),
    ],
)
def test_compose_nik(district: str, born: date, sex: str, serial: int, expected: str) -> None:
    composed = compose_nik(district, born, sex, serial)  # type: ignore[arg-type]
    assert composed == expected
    parsed = accepted(composed, today=TODAY)
    assert (parsed.district_code, parsed.birth_date, parsed.sex, parsed.serial) == (
        district,
        born,
        sex,
        f"{serial:04d}",
    )


@pytest.mark.parametrize(
    ("district", "serial"),
    [("31710", 1), ("3171011", 1), ("31710a", 1), ("317101", 0), ("317101", 10000)],
)
def test_compose_nik_checks_shapes(district: str, serial: int) -> None:
    with pytest.raises(ValueError):
        compose_nik(district, date(1990, 1, 1), "L", serial)


# --------------------------------------------------------------------------
# The whole region data, as a held-out corpus
# --------------------------------------------------------------------------


def _packaged_regions() -> dict[str, tuple[str, bool]]:
    """code -> (name, retired), read straight from the packaged file."""
    text = (files("siapkerja_core") / "data" / "regions" / "regions.tsv").read_text("utf-8")
    rows = {}
    for line in text.splitlines():
        code, name, status, _last = line.split("\t")
        rows[code] = (name, status == "r")
    return rows


@pytest.mark.slow
def test_every_district_code_gives_a_valid_nik_with_the_right_names() -> None:
    table = _packaged_regions()
    codes = regions.district_codes()
    assert len(codes) == 7285 + 594
    assert codes == {c for c in table if len(c) == 6}
    for index, code in enumerate(sorted(codes)):
        sex = "P" if index % 2 else "L"
        born = date(1940 + index % 86, 1 + index % 12, 1 + index % 28)
        serial = 1 + index % 9999
        text = compose_nik(code, born, sex, serial)
        parsed = parse_nik(text, today=TODAY)
        assert is_valid_nik(text, today=TODAY), text
        assert str(parsed) == text
        assert parsed.birth_date == born
        assert parsed.sex == sex
        assert parsed.serial == f"{serial:04d}"
        assert parsed.province_name == table[code[:2]][0]
        assert parsed.regency_name == table[code[:4]][0]
        assert parsed.district_name == table[code][0]
        assert parsed.region_retired is table[code][1]
        assert parsed.region_known is True
        assert parsed.warnings == ()


@pytest.mark.slow
def test_every_current_regency_and_province_is_reachable_by_a_nik() -> None:
    table = _packaged_regions()
    districts = regions.district_codes(include_retired=False)
    regencies = {c[:4] for c in districts}
    assert regencies == {c for c, (_n, r) in table.items() if len(c) == 4 and not r}
    assert len(regencies) == 514
    assert len({c[:2] for c in districts}) == 38


@pytest.mark.slow
def test_no_village_code_prefix_is_refused() -> None:
    # The first six digits of every village code are its district: all valid NIK regions.
    data = files("siapkerja_core") / "data" / "regions" / "villages.tsv.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        prefixes = {line[:6] for line in handle}
    assert len(prefixes) == 7285
    for prefix in prefixes:
        assert is_valid_nik(nik(prefix), today=TODAY), prefix
