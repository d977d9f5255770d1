"""Tests of siapkerja_core.contact: phone/email normalisation, errors and masking."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import siapkerja_core
from siapkerja_core.contact import (
    InvalidEmail,
    InvalidPhone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from siapkerja_core.errors import SiapkerjaError

FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")

# --------------------------------------------------------------------------
# normalize_phone: accepted spellings (the table of research/otp.md §3)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62081234567890", "+6281234567890"),
        ("62081234567890", "+6281234567890"),
        ("812 3456 7890", "+6281234567890"),
        ("０８１２３４５６７８９０", "+6281234567890"),
        ("0811 1234 567", "+628111234567"),
        ("08567890123", "+628567890123"),
        ("0881 2345 6789", "+6288123456789"),
        # further spellings the brief asks for
        ("+62 0812 3456 7890", "+6281234567890"),
        ("62 0812 3456 7890", "+6281234567890"),
        ("(0812) 3456.7890", "+6281234567890"),
        ("+62 (812) 3456-7890", "+6281234567890"),
        ("0812.3456.7890", "+6281234567890"),
        ("0812–3456–7890", "+6281234567890"),  # en dashes
        ("＋６２ ８１２ ３４５６ ７８９０", "+6281234567890"),  # full-width plus too
        ("  0812 3456 7890\u00a0", "+6281234567890"),  # surrounding/no-break spaces
        ("0812\u200b3456\u200b7890", "+6281234567890"),  # zero-width spaces
        ("0812345678", "+62812345678"),  # shortest mobile length (9 national digits)
        ("0812-3456-78901", "+62812345678901"),  # longest (12 national digits)
        # "62" without "+" before a short mobile: phonenumbers alone would read a
        # valid 06xx fixed line here; we take the +62 reading because it is a mobile.
        ("62811000000", "+62811000000"),
        ("62 812 345 678", "+62812345678"),
    ],
)
def test_accepted_spellings(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


# --------------------------------------------------------------------------
# normalize_phone: refusals
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("abc", "format"),
        ("0812abc4567890", "format"),  # phonenumbers would read letters as keypad digits
        ("08123456789x", "format"),  # phonenumbers would drop the trailing x
        ("0812 3456 7890 ext 5", "format"),
        ("0812+34567890", "format"),  # a plus not at the start
        ("+", "format"),
        ("---", "format"),
        ("0812#34567890", "format"),
        ("+999 1234 5678", "format"),  # no such country code
        ("0062 812 3456 7890", "international_prefix"),
        ("+0062 812 3456 7890", "international_prefix"),
        ("0062-81234567890", "international_prefix"),
        ("+62 8999 123", "too_short"),
        ("0812345", "too_short"),
        ("081234567", "too_short"),
        ("+620", "too_short"),
        ("08123456789012", "too_long"),
        ("0899999999999999999", "too_long"),
        ("0" * 65, "too_long"),  # beyond MAX_PHONE_INPUT, refused before parsing
        ("021-12345678", "not_mobile"),
        ("+62 21 1234 5678", "not_mobile"),
        ("0800 1234567", "not_mobile"),  # toll free
        ("+65 9123 4567", "country"),
        ("+1 650 253 0000", "country"),
        ("+44 20 7946 0958", "country"),
        ("+62 1234567890", "invalid"),
        ("0802345678", "invalid"),
        ("+65 1234", "invalid"),  # not even a valid foreign number
    ],
)
def test_refused_phone_codes(text: str, code: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(text)
    assert info.value.code == code
    assert info.value.full_code == f"phone.{code}"


def test_international_prefix_message_says_what_to_write() -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone("0062 812 3456 7890")
    assert "+62" in info.value.message_id
    assert "+62" in info.value.message_en
    assert " 0 " in info.value.message_en


def test_country_params_carry_only_the_country_code() -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone("+65 9123 4567")
    assert dict(info.value.params) == {"country_code": 65}
    assert "+65" in info.value.message_id
    assert "+65" in info.value.message_en
    assert "9123" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["0812abc4567890", "0062 812 3456 7890", "+62 8999 123", "021-12345678", "08123456789012"],
)
def test_phone_errors_do_not_echo_the_number(text: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(text)
    assert dict(info.value.params) == {}
    assert "8999" not in str(info.value)
    assert "3456" not in str(info.value)
    assert "1234" not in str(info.value)


def test_errors_are_siapkerja_errors_and_picklable() -> None:
    with pytest.raises(SiapkerjaError) as info:
        normalize_phone("+65 9123 4567")
    copy = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert isinstance(copy, InvalidPhone)
    assert (copy.code, dict(copy.params)) == ("country", {"country_code": 65})
    with pytest.raises(SiapkerjaError) as info_email:
        normalize_email("a@b")
    assert isinstance(info_email.value, InvalidEmail)
    copy_email = pickle.loads(pickle.dumps(info_email.value))  # noqa: S301 - our own bytes
    assert copy_email.full_code == "email.domain"


# --------------------------------------------------------------------------
# Messages in both languages
# --------------------------------------------------------------------------

PHONE_CODES = {
    "empty",
    "format",
    "international_prefix",
    "too_short",
    "too_long",
    "not_mobile",
    "country",
    "invalid",
}
EMAIL_CODES = {"empty", "syntax", "too_long", "domain"}


def test_documented_code_sets() -> None:
    assert InvalidPhone.domain == "phone"
    assert InvalidEmail.domain == "email"
    assert set(InvalidPhone.messages) == PHONE_CODES
    assert set(InvalidEmail.messages) == EMAIL_CODES


@pytest.mark.parametrize(
    "error",
    [InvalidPhone(code, country_code=65) for code in sorted(PHONE_CODES)]
    + [InvalidEmail(code, max=254, local_max=64) for code in sorted(EMAIL_CODES)],
    ids=lambda e: e.full_code,
)
def test_messages_exist_in_both_languages(error: SiapkerjaError) -> None:
    indonesian, english = error.message_id, error.message_en
    assert indonesian.strip()
    assert english.strip()
    assert indonesian != english
    assert "{" not in indonesian
    assert "{" not in english
    assert error.message("en") == english
    assert error.message("id") == indonesian
    assert str(error) == f"[{error.full_code}] {indonesian} / {english}"


# --------------------------------------------------------------------------
# Property tests: phone
# --------------------------------------------------------------------------

# Operator prefixes (after "08") from research/otp.md §3 — used only to build test data.
OPERATOR_PREFIXES = [
    *("11", "12", "13", "21", "22", "23", "52", "53"),  # Telkomsel
    *("14", "15", "16", "55", "56", "57", "58"),  # Indosat
    *("17", "18", "19", "59", "77", "78"),  # XL
    *("81", "82", "83", "84", "85", "86", "87", "88", "89"),  # Smartfren
]

SEPARATORS = ["", " ", "-", ".", "  ", " - ", "\u2013", "\u00a0"]


@st.composite
def mobile_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(national digits after the leading 0, expected E.164)."""
    prefix = draw(st.sampled_from(OPERATOR_PREFIXES))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=9))
    national = "8" + prefix + rest
    return national, "+62" + national


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A mobile number spelled the many ways people type it, and its E.164."""
    national, expected = draw(mobile_numbers())
    lead = draw(st.sampled_from(["0", "+62", "62", "+62 0", "62 0", "+62-", "(0", "(+62)"]))
    # Split the national digits into random groups joined by random separators.
    cuts = sorted(draw(st.sets(st.integers(1, len(national) - 1), max_size=4)))
    groups = [national[a:b] for a, b in zip([0, *cuts], [*cuts, len(national)], strict=True)]
    body = "".join(group + draw(st.sampled_from(SEPARATORS)) for group in groups)
    if lead == "(0":
        text = f"(0{groups[0]}) " + body[len(groups[0]) :]
    else:
        text = lead + draw(st.sampled_from(SEPARATORS)) + body
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    padding = draw(st.sampled_from(["", " ", "\t", "\u3000"]))
    return padding + text + padding, expected


@given(mobile_numbers())
def test_generated_mobile_numbers_are_valid(pair: tuple[str, str]) -> None:
    national, expected = pair
    assert normalize_phone("0" + national) == expected


@given(spellings())
@example(("０８１２-３４５６-７８９０", "+6281234567890"))
@example(("+62 0812 3456 7890", "+6281234567890"))
def test_any_spelling_normalises_to_the_same_e164(pair: tuple[str, str]) -> None:
    text, expected = pair
    assert normalize_phone(text) == expected


@given(spellings())
def test_phone_normalisation_is_idempotent(pair: tuple[str, str]) -> None:
    once = normalize_phone(pair[0])
    assert normalize_phone(once) == once


@given(st.text(max_size=40))
@example("0062")
@example("+")
@example("٠٨١٢٣٤٥٦٧٨٩٠")  # Arabic-Indic digits
def test_phone_never_fails_other_than_invalid_phone(text: str) -> None:
    try:
        result = normalize_phone(text)
    except InvalidPhone as error:
        code = error.code
    else:
        assert result.startswith("+628")
        assert result[1:].isdigit()
        assert normalize_phone(result) == result
        return
    assert code in PHONE_CODES


# --------------------------------------------------------------------------
# mask_phone
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+6281234567890", "+6281******890"),
        ("+628111234567", "+6281*****567"),
        ("+62812345678", "+6281****678"),
        ("+62812345678901", "+6281*******901"),
    ],
)
def test_mask_phone_examples(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


@pytest.mark.parametrize(
    "bad",
    ["", "081234567890", "+6581234567", "+62812", "+62８１２３４５６７８９０", "+62 812 3456 7890"],
)
def test_mask_phone_refuses_what_it_cannot_mask_safely(bad: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        mask_phone(bad)
    assert info.value.code == "format"


@given(mobile_numbers())
def test_mask_phone_reveals_at_most_five_national_digits(pair: tuple[str, str]) -> None:
    _, e164 = pair
    masked = mask_phone(e164)
    assert masked.startswith("+62")
    national = masked[3:]
    assert len(national) == len(e164) - 3
    assert sum(ch.isdigit() for ch in national) == 5
    assert national[:2] == e164[3:5]
    assert national[-3:] == e164[-3:]
    assert set(national[2:-3]) == {"*"}


# --------------------------------------------------------------------------
# normalize_email
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("galih.pambayun@gmail.com", "galih.pambayun@gmail.com"),
        ("Galih.Pambayun@GMAIL.COM", "galih.pambayun@gmail.com"),
        ("  siti@kemnaker.go.id \n", "siti@kemnaker.go.id"),
        ("x@xn--bcher-kva.de", "x@bücher.de"),  # IDNA A-label decoded
        ("x@BÜCHER.de", "x@bücher.de"),
        ("Dewi+kerja@Yahoo.co.id", "dewi+kerja@yahoo.co.id"),
        ("A\u030a@x.id", "\u00e5@x.id"),  # NFC: A + combining ring -> å (then lower-cased)
        ("a" * 64 + "@x.id", "a" * 64 + "@x.id"),
    ],
)
def test_email_normalisation(text: str, expected: str) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  \t", "empty"),
        ("galih", "syntax"),
        ("@gmail.com", "syntax"),
        ("galih@", "syntax"),
        ("ga lih@gmail.com", "syntax"),
        ("galih@@gmail.com", "syntax"),
        ("galih..p@gmail.com", "syntax"),
        ('"galih"@gmail.com', "syntax"),  # quoted local parts are not allowed
        ("Galih <galih@gmail.com>", "syntax"),  # display names are not allowed
        ("galih@[192.0.2.1]", "syntax"),  # IP literals are not allowed
        ("galih＠gmail.com", "syntax"),  # full-width at-sign
        ("a" * 65 + "@x.id", "too_long"),
        ("a@" + "b" * 64 + ".id", "too_long"),  # a DNS label over 63
        ("a@" + ("b" * 60 + ".") * 5 + "id", "too_long"),
        ("a" * 600, "too_long"),  # beyond MAX_EMAIL_INPUT
        ("galih@localhost", "domain"),
        ("galih@gmail", "domain"),
        ("galih@printer.local", "domain"),
        ("galih@foo.test", "domain"),
        ("galih@foo.invalid", "domain"),
        ("galih@x.123", "domain"),
    ],
)
def test_refused_email_codes(text: str, code: str) -> None:
    with pytest.raises(InvalidEmail) as info:
        normalize_email(text)
    assert info.value.code == code
    limits = {"max": 254, "local_max": 64} if code == "too_long" else {}
    assert dict(info.value.params) == limits  # never the address itself


def test_a_too_long_email_is_told_its_limits() -> None:
    """ "Alamat email terlalu panjang" says how long an address may be (issue 14)."""
    with pytest.raises(InvalidEmail) as info:
        normalize_email("a" * 65 + "@contoh.co.id")
    assert info.value.message("id") == (
        "Alamat email terlalu panjang: paling banyak 254 karakter, dan paling banyak 64"
        " karakter sebelum tanda @. Periksa kembali alamatnya."
    )
    assert info.value.message("en") == (
        "The e-mail address is too long: at most 254 characters, and at most 64 before the @."
        " Check it again."
    )


def test_email_error_keeps_library_detail_as_cause() -> None:
    from email_validator import EmailNotValidError

    with pytest.raises(InvalidEmail) as info:
        normalize_email("galih@localhost")
    assert isinstance(info.value.__cause__, EmailNotValidError)


@given(st.emails())
@example("İbu.Ani@Contoh.co.id")  # dotted capital I lower-cases to two code points
@example("ÅSA@xn--bcher-kva.de")
@example("Info@Kemnaker.go.id")
def test_email_normalisation_is_idempotent(address: str) -> None:
    try:
        once = normalize_email(address)
    except InvalidEmail:
        return
    assert normalize_email(once) == once
    local, _, domain = once.rpartition("@")
    assert local == local.lower()
    assert domain == domain.lower()


@given(st.emails())
def test_email_case_does_not_matter(address: str) -> None:
    try:
        expected = normalize_email(address)
    except InvalidEmail:
        return
    assert normalize_email(address.upper()) == expected
    assert normalize_email(address.swapcase()) == expected


@given(st.text(max_size=80))
@example("a@b@c.id")
@example("\u0000@x.id")
def test_email_never_fails_other_than_invalid_email(text: str) -> None:
    try:
        result = normalize_email(text)
    except InvalidEmail as error:
        code = error.code
    else:
        assert normalize_email(result) == result
        return
    assert code in EMAIL_CODES


# --------------------------------------------------------------------------
# mask_email
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("galih.pambayun@gmail.com", "ga************@gmail.com"),
        ("siti@kemnaker.go.id", "si**@kemnaker.go.id"),
        ("abc@x.id", "a**@x.id"),
        ("ab@x.id", "a*@x.id"),
        ("a@x.id", "*@x.id"),
    ],
)
def test_mask_email_examples(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize("bad", ["", "galih", "@gmail.com"])
def test_mask_email_refuses_non_addresses(bad: str) -> None:
    with pytest.raises(InvalidEmail) as info:
        mask_email(bad)
    assert info.value.code == "syntax"


@given(st.emails())
def test_mask_email_reveals_at_most_two_characters(address: str) -> None:
    local, _, domain = address.rpartition("@")
    masked = mask_email(address)
    masked_local, _, masked_domain = masked.rpartition("@")
    assert masked_domain == domain
    assert len(masked_local) == len(local)
    shown = masked_local.rstrip("*")
    assert len(shown) <= min(2, len(local) // 2)
    assert local.startswith(shown)
    assert set(masked_local[len(shown) :]) <= {"*"}


# --------------------------------------------------------------------------
# Import cost
# --------------------------------------------------------------------------


def test_importing_contact_does_not_import_the_libraries() -> None:
    src = Path(siapkerja_core.__file__).resolve().parent.parent
    code = (
        "import sys; import siapkerja_core.contact; "
        "bad = [m for m in ('phonenumbers', 'email_validator') if m in sys.modules]; "
        "sys.exit(', '.join(bad) or None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
