"""Tests of siapkerja_core.siapkerja_id: the Damm check over GF(32), parsing, issuing.

The algebra is verified exhaustively (the field, the Latin square, weak total
anti-symmetry over every (c, x, y)); the error detection it promises is then
checked on random IDs by trying every single-character substitution and
every transposition.
"""

from __future__ import annotations

import itertools
import pickle
import random
import secrets

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.siapkerja_id import (
    ALPHABET,
    DAMM32_TABLE,
    PREFIX,
    InvalidSiapkerjaId,
    SiapkerjaId,
    damm32_check,
    is_valid_siapkerja_id,
    new_siapkerja_id,
    parse_siapkerja_id,
    siapkerja_id_texts,
)

EXAMPLE = "SK-7KQ4-M2XD-9P7"  # the example of the docs and messages
N = 32
POLYNOMIAL = 0b100101  # x^5 + x^2 + 1
LAMBDA = 0b00010  # x

relaxed = settings(deadline=None, max_examples=200)


def fixed(number: int) -> SiapkerjaId:
    """The ID whose body is ``number`` (a fake ``randbelow`` that always returns it)."""
    return new_siapkerja_id(lambda _bound: number)


ids = st.integers(0, N**10 - 1).map(fixed)


def body_number(body: str) -> int:
    """The 50-bit number a body writes in base 32."""
    number = 0
    for symbol in body:
        number = number * N + ALPHABET.index(symbol)
    return number


def code_of(text: object) -> str:
    """The code ``parse_siapkerja_id`` refuses ``text`` with (try/except: called 10^5 times)."""
    try:
        parse_siapkerja_id(text)  # type: ignore[arg-type]
    except InvalidSiapkerjaId as error:
        return error.code
    pytest.fail(f"{text!r} was accepted")


def fold(symbols: str) -> int:
    interim = 0
    for symbol in symbols:
        interim = DAMM32_TABLE[interim][ALPHABET.index(symbol)]
    return interim


# --- The algebra, exhaustively ----------------------------------------------------


def poly_mod(a: int, m: int) -> int:
    """``a`` mod ``m`` as polynomials over GF(2) (bit i = coefficient of x^i)."""
    while a.bit_length() >= m.bit_length():
        a ^= m << (a.bit_length() - m.bit_length())
    return a


def gf_mul(a: int, b: int) -> int:
    """Carry-less product reduced mod the polynomial: written independently of the module."""
    product = 0
    for i in range(5):
        if b >> i & 1:
            product ^= a << i
    return poly_mod(product, POLYNOMIAL)


def test_the_polynomial_is_irreducible() -> None:
    # degree 5: reducible iff it has a factor of degree 1 or 2
    for divisor in range(0b10, 0b1000):
        assert poly_mod(POLYNOMIAL, divisor) != 0, bin(divisor)


def test_gf32_is_a_field_and_lambda_generates_it() -> None:
    for a in range(1, N):
        assert sum(gf_mul(a, b) == 1 for b in range(1, N)) == 1  # exactly one inverse
    powers = {1}
    power = 1
    for _ in range(30):
        power = gf_mul(power, LAMBDA)
        powers.add(power)
    assert powers == set(range(1, N))  # λ = x has order 31: every weight λ^k is distinct


def test_the_table_is_lambda_x_xor_y() -> None:
    assert len(DAMM32_TABLE) == N
    for x in range(N):
        assert DAMM32_TABLE[x] == tuple(gf_mul(LAMBDA, x) ^ y for y in range(N))


def test_the_table_is_a_latin_square() -> None:
    for i in range(N):
        assert sorted(DAMM32_TABLE[i]) == list(range(N))  # row
        assert sorted(DAMM32_TABLE[j][i] for j in range(N)) == list(range(N))  # column


def test_the_table_is_weakly_totally_anti_symmetric() -> None:
    t = DAMM32_TABLE
    for c, x, y in itertools.product(range(N), repeat=3):
        if t[t[c][x]][y] == t[t[c][y]][x]:
            assert x == y, (c, x, y)


@pytest.mark.parametrize("lam", [0, 1])
def test_lambda_0_or_1_would_not_work(lam: int) -> None:
    table = [[gf_mul(lam, x) ^ y for y in range(N)] for x in range(N)]
    latin = all(sorted(table[j][i] for j in range(N)) == list(range(N)) for i in range(N))
    anti = all(
        table[table[c][x]][y] != table[table[c][y]][x]
        for c, x, y in itertools.product(range(N), repeat=3)
        if x != y
    )
    assert not (latin and anti)


def test_the_check_character_is_lambda_times_the_interim_and_folds_to_zero() -> None:
    for body in ["", *ALPHABET, *("".join(p) for p in itertools.product("09AZ", repeat=3))]:
        check = damm32_check(body)
        assert ALPHABET.index(check) == gf_mul(LAMBDA, fold(body))
        assert fold(body + check) == 0


def test_damm32_check_examples() -> None:
    assert damm32_check("") == "0"
    assert damm32_check("0000000000") == "0"
    assert damm32_check("7KQ4M2XD9P") == "7"
    assert damm32_check("1") == ALPHABET[LAMBDA]  # λ·(λ·0 ⊕ 1) = λ


@pytest.mark.parametrize("body", ["7kq4", "7KQ4O", "7KQ4I", "7KQ4L", "7KQ4U", "7KQ-4", "٣"])
def test_damm32_check_takes_canonical_symbols_only(body: str) -> None:
    with pytest.raises(InvalidSiapkerjaId) as caught:
        damm32_check(body)
    assert caught.value.code == "format"
    assert isinstance(caught.value, ValueError)


# --- Error detection on random IDs ----------------------------------------------------


@relaxed
@given(ids)
def test_every_single_substitution_is_caught(sid: SiapkerjaId) -> None:
    symbols = sid.body + sid.check
    for position, symbol in itertools.product(range(len(symbols)), ALPHABET):
        if symbol == symbols[position]:
            continue
        typo = PREFIX + symbols[:position] + symbol + symbols[position + 1 :]
        assert code_of(typo) == "check", (sid, position, symbol)
        assert not is_valid_siapkerja_id(typo)


@relaxed
@given(ids)
def test_every_adjacent_transposition_is_caught(sid: SiapkerjaId) -> None:
    symbols = sid.body + sid.check
    swapped = 0
    for i in range(len(symbols) - 1):  # the last pair is (last body character, check)
        a, b = symbols[i], symbols[i + 1]
        if a == b:
            continue
        typo = PREFIX + symbols[:i] + b + a + symbols[i + 2 :]
        assert code_of(typo) == "check", (sid, i)
        swapped += 1
    assert swapped or len(set(symbols)) == 1


@relaxed
@given(ids)
def test_every_transposition_and_twin_error_is_caught(sid: SiapkerjaId) -> None:
    # Not promised by Damm in general, but by this linear quasigroup: the
    # weights λ^k of the 11 positions are pairwise distinct.
    symbols = list(sid.body + sid.check)
    for i, j in itertools.combinations(range(len(symbols)), 2):
        if symbols[i] != symbols[j]:
            typo = symbols.copy()
            typo[i], typo[j] = typo[j], typo[i]
            assert not is_valid_siapkerja_id(PREFIX + "".join(typo)), (sid, i, j)
    for i in range(len(symbols) - 1):
        if symbols[i] == symbols[i + 1]:
            for other in ALPHABET.replace(symbols[i], ""):
                typo = [*symbols[:i], other, other, *symbols[i + 2 :]]
                assert not is_valid_siapkerja_id(PREFIX + "".join(typo)), (sid, i, other)


@relaxed
@given(ids)
def test_the_canonical_form_round_trips(sid: SiapkerjaId) -> None:
    assert parse_siapkerja_id(str(sid)) == sid
    assert parse_siapkerja_id(sid.compact) == sid
    assert parse_siapkerja_id(sid.value.lower()) == sid
    assert is_valid_siapkerja_id(str(sid))
    assert SiapkerjaId(str(sid)) == sid
    assert len(sid.value) == 16
    assert sid.value == f"SK-{sid.body[:4]}-{sid.body[4:8]}-{sid.body[8:]}{sid.check}"
    assert damm32_check(sid.body) == sid.check


# --- Parsing ------------------------------------------------------------------------


def test_parse_example() -> None:
    sid = parse_siapkerja_id(EXAMPLE)
    assert str(sid) == EXAMPLE
    assert sid.value == EXAMPLE
    assert sid.body == "7KQ4M2XD9P"
    assert sid.check == "7"
    assert sid.compact == "SK7KQ4M2XD9P7"


@pytest.mark.parametrize(
    "text",
    [
        "sk-7kq4-m2xd-9p7",  # lower case
        "Sk-7Kq4-m2Xd-9P7",
        "SK7KQ4M2XD9P7",  # no hyphens
        "SK 7KQ4 M2XD 9P7",  # spaces
        "  sk 7kq4m2xd9p7 \n",
        "SK-7-K-Q-4-M-2-X-D-9-P-7",
        "SK\u20137KQ4\u2014M2XD\u22129P7",  # en dash, em dash, minus sign
        "SK\u00a07KQ4\u202fM2XD\u30009P7",  # no-break, narrow no-break, ideographic spaces
        "ＳＫ－７ＫＱ４－Ｍ２ＸＤ－９Ｐ７",  # full width
    ],
)
def test_lenient_input_is_accepted(text: str) -> None:
    assert parse_siapkerja_id(text).value == EXAMPLE
    assert is_valid_siapkerja_id(text)


def test_crockford_aliases_read_as_digits() -> None:
    sid = fixed(0)  # SK-0000-0000-000
    assert sid.value == "SK-0000-0000-000"
    assert parse_siapkerja_id("SK-OOOO-oooo-O0o") == sid
    one = parse_siapkerja_id(PREFIX + "1111111111" + damm32_check("1111111111"))
    for alias in ["I", "i", "L", "l"]:
        assert parse_siapkerja_id(one.value.replace("1", alias)) == one


@pytest.mark.parametrize(
    "text",
    [
        "XK-7KQ4-M2XD-9P7",  # another prefix
        "7KQ4-M2XD-9P7",  # no prefix
        "SK-7KQ4-M2XD-9PU",  # U is not in the alphabet
        "SK-7KQ4-M2XD-9P*",
        "SK-7KQ4.M2XD.9P7",  # dots are not separators here
        "SK-7KQ4_M2XD_9P7",
        "SK-7KQ4-M2XD-9P\u0131",  # dotless ı upper-cases to I: refused, not read as 1
        "SK-7KQ4-M2XD-9P٧",  # Arabic-Indic seven
        "",
        "S",
        "-",
    ],
)
def test_format_errors(text: str) -> None:
    assert code_of(text) == "format"
    assert not is_valid_siapkerja_id(text)


@pytest.mark.parametrize("value", [None, 7, b"SK7KQ4M2XD9P7", ["SK7KQ4M2XD9P7"]])
def test_non_text_is_a_format_error(value: object) -> None:
    assert code_of(value) == "format"
    assert not is_valid_siapkerja_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("SK", 0),
        ("SK-7KQ4-M2XD-9P", 10),  # check character left out
        ("SK-7KQ4-M2XD-9P77", 12),
        ("SK-7KQ4-M2XD", 8),
        ("SKSK-7KQ4-M2XD-9P7", 13),  # prefix typed twice
    ],
)
def test_length_errors(text: str, length: int) -> None:
    with pytest.raises(InvalidSiapkerjaId) as caught:
        parse_siapkerja_id(text)
    assert caught.value.code == "length"
    assert caught.value.params == {"length": length}
    assert f"not {length}" in caught.value.message_en
    assert f"bukan {length}" in caught.value.message_id


def test_check_error() -> None:
    with pytest.raises(InvalidSiapkerjaId) as caught:
        parse_siapkerja_id("SK-7KQ4-M2XD-9P8")
    error = caught.value
    assert error.full_code == "siapkerja_id.check"
    assert "typo" in error.message_en
    assert "salah ketik" in error.message_id
    assert isinstance(error, SiapkerjaError)
    assert isinstance(error, ValueError)
    assert pickle.loads(pickle.dumps(error)).full_code == "siapkerja_id.check"  # noqa: S301


# --- The value object -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "sk-7kq4-m2xd-9p7",  # lower case
        "SK7KQ4M2XD9P7",  # not grouped
        "SK-7KQ-4M2XD-9P7",  # grouped wrongly
        "SK-7KQ4-M2XD-9P7-",
        "SK-7KQ4-M2XD-9P8",  # wrong check
        "SK-7KQ4-M2XD-9PU",
        "SK-7KQ4-M2XD-9P",
    ],
)
def test_the_constructor_takes_the_canonical_form_only(value: str) -> None:
    with pytest.raises(InvalidSiapkerjaId):
        SiapkerjaId(value)


def test_siapkerja_id_is_a_frozen_hashable_value() -> None:
    a, b = parse_siapkerja_id(EXAMPLE), parse_siapkerja_id(EXAMPLE.lower())
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert repr(a) == f"SiapkerjaId(value='{EXAMPLE}')"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.value = "SK-0000-0000-000"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(a)) == a  # noqa: S301


# --- Issuing ----------------------------------------------------------------------------


def test_new_ids_come_from_the_injected_randomness_and_cover_the_range() -> None:
    calls: list[int] = []

    def randbelow(bound: int) -> int:
        calls.append(bound)
        return bound - 1

    top = new_siapkerja_id(randbelow)
    assert calls == [2**50]  # one draw of 50 bits
    assert top.body == "ZZZZZZZZZZ"
    assert fixed(0).body == "0000000000"
    assert fixed(1).body == "0000000001"
    assert fixed(32).body == "0000000010"
    assert body_number(fixed(123_456_789_012_345).body) == 123_456_789_012_345


@pytest.mark.parametrize("bad", [-1, 2**50, 2**60, True, 3.0, "7"])
def test_new_refuses_a_randbelow_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError, match="randbelow"):
        new_siapkerja_id(lambda _bound: bad)  # type: ignore[arg-type,return-value]


@relaxed
@given(st.lists(st.integers(0, N**10 - 1), max_size=50))
def test_texts_of_a_batch_are_what_new_writes_for_each(numbers: list[int]) -> None:
    assert siapkerja_id_texts(numbers) == [str(fixed(number)) for number in numbers]


def test_texts_of_every_symbol_in_every_place_are_valid_and_as_new_writes() -> None:
    # Each body symbol (all 32 values) in each of the ten places, and the extremes.
    numbers = [value << (5 * place) for place in range(10) for value in range(32)]
    numbers += [0, 2**50 - 1, 0x2AAAAAAAAAAAA, 0x1555555555555]
    texts = siapkerja_id_texts(numbers)
    assert texts == [str(fixed(number)) for number in numbers]
    assert all(is_valid_siapkerja_id(text) for text in texts)


@pytest.mark.parametrize("bad", [-1, 2**50, True, 3.0, "7"])
def test_texts_refuse_a_number_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError, match="SIAPkerja-ID body"):
        siapkerja_id_texts([1, bad])  # type: ignore[list-item]


def test_new_ids_are_valid_with_the_production_randomness() -> None:
    for _ in range(100):
        sid = new_siapkerja_id(secrets.randbelow)
        assert parse_siapkerja_id(str(sid)) == sid


def test_new_ids_are_distinct_and_not_sequential() -> None:
    draws = [new_siapkerja_id(random.Random(2026).randrange) for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same ID: the randomness is the caller's

    rng = random.Random(20260817)
    issued = [new_siapkerja_id(rng.randrange) for _ in range(100_000)]
    assert len(set(issued)) == len(issued)
    numbers = [body_number(sid.body) for sid in issued[:1000]]
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    assert all(abs(step) > 1 for step in steps)  # no neighbour follows its neighbour
    assert len(set(steps)) == len(steps)  # no constant stride either
    assert numbers != sorted(numbers)
    # every body position takes many symbols: nothing fixed, nothing counted up
    for position in range(10):
        assert len({sid.body[position] for sid in issued[:1000]}) == N


def _reference_new(number: int) -> SiapkerjaId:
    """The plain construction: base 32 by division, the check, the validating constructor."""
    symbols = []
    for _ in range(10):
        number, value = divmod(number, N)
        symbols.append(ALPHABET[value])
    body = "".join(reversed(symbols))
    return SiapkerjaId(f"SK-{body[:4]}-{body[4:8]}-{body[8:]}{damm32_check(body)}")


@relaxed
@given(st.integers(0, N**10 - 1))
def test_a_drawn_id_is_the_one_the_validating_constructor_makes(number: int) -> None:
    drawn = fixed(number)
    assert drawn == _reference_new(number)
    assert type(drawn) is SiapkerjaId
    assert type(drawn.value) is str
    assert parse_siapkerja_id(drawn.compact) == drawn
    assert hash(drawn) == hash(_reference_new(number))


@pytest.mark.parametrize("number", [0, 1, 31, 32, 1023, 1024, 2**40, 2**50 - 1, 0x2AAAAAAAAAAAA])
def test_a_drawn_id_at_the_edges_of_each_symbol_pair(number: int) -> None:
    assert fixed(number) == _reference_new(number)
