"""The SIAPkerja-ID number: issuing, parsing, validation and its check character.

A SIAPkerja-ID reads ``SK-7KQ4-M2XD-9P7``:

* ``SK`` — a constant prefix, so the number is never mistaken for a NIK, a
  phone number or another ministry's identifier. It is not part of the check.
* ten **body** characters — 50 random bits, written in Crockford base32
  (``0123456789ABCDEFGHJKMNPQRSTVWXYZ``: no I, L, O or U). The body is drawn
  from randomness the caller injects; it is neither sequential (a number must
  not reveal how many people registered before, nor invite guessing the
  next one) nor derived from the NIK (the card is shown to employers, and a
  NIK must not be recoverable from it).
* one **check** character, the Damm check over GF(32) described below. It
  catches every single-character error and every transposition of two
  characters, the check character included.

The canonical form is upper case, grouped 4-4-3 after the prefix; the last
group carries the check character. Input is read leniently, the way Crockford
base32 is meant to be: letters of either case, ``I`` and ``L`` read as ``1``,
``O`` as ``0``, and spaces and dashes ignored — someone reading the number off
a card over the phone will type it every way.

This module owns the format and the arithmetic only. Uniqueness is the
storage's job: 2**50 numbers make a collision rare, not impossible, so the
storage adapter retries on a duplicate key.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable
from typing import ClassVar, Final

from attrs import Attribute, field, frozen

from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "ALPHABET",
    "DAMM32_TABLE",
    "PREFIX",
    "InvalidSiapkerjaId",
    "SiapkerjaId",
    "damm32_check",
    "is_valid_siapkerja_id",
    "new_siapkerja_id",
    "parse_siapkerja_id",
    "siapkerja_id_texts",
]

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: digits and letters without I, L, O, U; a symbol's index is its value."""

PREFIX: Final = "SK"
BODY_LENGTH: Final = 10  # 10 symbols x 5 bits = 50 random bits
_ID_SPACE: Final = 32**BODY_LENGTH

_VALUE: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's reading rule: the letters left out of the alphabet because they
# look like digits are read as those digits.
_ALIASES: Final = str.maketrans("ILO", "110")
# Spaces of every width and every dash a word processor or a phone keyboard
# produces (hyphen, non-breaking hyphen, figure/en/em dash, minus sign).
_SEPARATORS: Final = str.maketrans(
    "", "", " -\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212\t\r\n"
)


class InvalidSiapkerjaId(SiapkerjaError, ValueError):
    """The text is not a valid SIAPkerja-ID. ``code`` says why.

    ``format``: a character outside the alphabet, or no ``SK`` prefix;
    ``length``: not 11 characters after the prefix; ``check``: the check
    character does not match — almost always a typo.
    """

    domain = "siapkerja_id"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "format",
            "length",
            "check",
        }
    )


# --- The check character: the Damm algorithm over a quasigroup of order 32 ---
#
# Damm's check needs a quasigroup (a Latin square) that is weakly totally
# anti-symmetric. His published tables have order 10; for 32 symbols we build
# one from the field GF(32) = GF(2)[x] / (x^5 + x^2 + 1):
#
#     a ∘ b = λ·a ⊕ b      with λ = x (the element 0b00010), ⊕ the field addition (XOR)
#
# See _build_table() for the proof. Folding a sequence from 0,
# ((0 ∘ a1) ∘ a2) ∘ ... ∘ an, gives the "interim" Σ λ^(n-i)·ai; the check
# character c is the one with interim ∘ c = 0, i.e. c = λ·interim (in
# characteristic 2, λ·interim ⊕ λ·interim = 0). A valid body-plus-check folds
# to 0.

_POLYNOMIAL: Final = 0b100101  # x^5 + x^2 + 1, irreducible (even primitive) over GF(2)
_LAMBDA: Final = 0b00010  # the element x


def _gf32_times(a: int, b: int) -> int:
    """The product of ``a`` and ``b`` in GF(32) (shift-and-add, reduced mod the polynomial)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _POLYNOMIAL
    return product


def _build_table() -> tuple[tuple[int, ...], ...]:
    """The 32x32 table of ``a ∘ b = λ·a ⊕ b`` over GF(32).

    **A quasigroup.** Each row ``b ↦ λ·a ⊕ b`` is a translation, hence a
    bijection. Each column ``a ↦ λ·a ⊕ b`` is a bijection because λ ≠ 0 has an
    inverse in the field. So every symbol appears once in every row and every
    column: a Latin square.

    **Weakly totally anti-symmetric**: ``(c ∘ a) ∘ b = (c ∘ b) ∘ a ⇒ a = b``.
    Expanding, ``λ²c ⊕ λa ⊕ b = λ²c ⊕ λb ⊕ a``, so ``(λ ⊕ 1)·(a ⊕ b) = 0``.
    λ ≠ 1 makes ``λ ⊕ 1`` non-zero, and a field has no zero divisors, so
    ``a ⊕ b = 0``: ``a = b``.

    Hence, with λ ∉ {0, 1} (and any irreducible polynomial):

    * a single substitution ``a → a'`` at any position changes the fold there
      (rows are bijections) and the change survives every later step (columns
      are bijections): the fold is no longer 0;
    * a swap of adjacent ``a ≠ b`` changes ``(r ∘ a) ∘ b`` (anti-symmetry),
      and again the change survives.

    The check character is folded like any other, so both hold for errors
    involving it. Because this quasigroup is linear, the fold is also the
    weighted sum Σ λ^k·ai with pairwise distinct weights for up to 31
    positions (λ = x generates the 31 non-zero elements): a swap of *any* two
    different characters, and a "twin" error ``aa → bb``, are caught too.
    """
    return tuple(tuple(_gf32_times(_LAMBDA, a) ^ b for b in range(32)) for a in range(32))


DAMM32_TABLE: Final = _build_table()
"""``DAMM32_TABLE[a][b]`` is ``a ∘ b``, symbol values 0-31 (see :data:`ALPHABET`)."""
_TIMES_LAMBDA: Final = tuple(_gf32_times(_LAMBDA, a) for a in range(32))


def _fold(symbols: str) -> int | None:
    """The Damm interim of canonical symbols from 0, or ``None`` if one is not in the alphabet."""
    interim = 0
    for symbol in symbols:
        value = _VALUE.get(symbol)
        if value is None:
            return None
        interim = DAMM32_TABLE[interim][value]
    return interim


def damm32_check(body: str) -> str:
    """The check character of ``body`` (canonical symbols of :data:`ALPHABET`, any length).

    It is ``λ·interim``, the symbol that brings the fold of ``body`` to 0.
    No cleaning is done here: lower case and Crockford's aliases (``I``,
    ``L``, ``O``) are refused like any other foreign character.

    :raises InvalidSiapkerjaId: ``format`` if a character is not in the alphabet.
    """
    interim = _fold(body)
    if interim is None:
        raise InvalidSiapkerjaId("format")
    return ALPHABET[_TIMES_LAMBDA[interim]]


def _canonical(compact: str) -> str:
    """``SK`` + 11 symbols → ``SK-XXXX-XXXX-XXC``."""
    return f"{compact[:2]}-{compact[2:6]}-{compact[6:10]}-{compact[10:]}"


def _require_canonical(_instance: object, _attribute: Attribute[str], value: str) -> None:
    # The constructor takes only what str() gives back, so that two equal IDs
    # are always equal objects (equality and hashing compare ``value``).
    if type(value) is not str:
        raise InvalidSiapkerjaId("format")
    compact = value.replace("-", "")
    if _fault(compact) is not None or value != _canonical(compact):
        raise InvalidSiapkerjaId("format")


@frozen
class SiapkerjaId:
    """A valid SIAPkerja-ID, in canonical form (``SK-7KQ4-M2XD-9P7``).

    Get one from :func:`parse_siapkerja_id` (user input) or
    :func:`new_siapkerja_id` (issuing). The constructor accepts only the
    canonical form and raises :class:`InvalidSiapkerjaId` otherwise.
    """

    value: str = field(validator=_require_canonical)

    def __str__(self) -> str:
        return self.value

    @property
    def compact(self) -> str:
        """The 13 characters without hyphens (``SK7KQ4M2XD9P7``), e.g. for a QR payload."""
        return self.value.replace("-", "")

    @property
    def body(self) -> str:
        """The ten random characters."""
        return self.compact[2:12]

    @property
    def check(self) -> str:
        """The check character (the last one)."""
        return self.value[-1]


def _compact(text: str) -> str:
    """``text`` without separators, upper case, Crockford aliases resolved (nothing checked)."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    if not cleaned.isascii():
        # Kept as is, to fail the alphabet test: upper-casing non-ASCII text
        # can produce ASCII letters (dotless ı → I) we should not accept.
        return cleaned
    return cleaned.upper().translate(_ALIASES)


def _fault(compact: str) -> tuple[str, dict[str, object]] | None:
    """Why a compact ID is invalid, as (code, params), or ``None`` if it is valid."""
    if not compact.startswith(PREFIX):
        return "format", {}
    symbols = compact[len(PREFIX) :]
    interim = _fold(symbols)
    if interim is None:
        return "format", {}
    if len(symbols) != BODY_LENGTH + 1:
        return "length", {"length": len(symbols)}
    if interim != 0:
        return "check", {}
    return None


def parse_siapkerja_id(text: str) -> SiapkerjaId:
    """Parse and validate a SIAPkerja-ID typed, read aloud or scanned.

    Case is ignored, ``I``/``L`` read as ``1`` and ``O`` as ``0``, spaces and
    dashes are dropped; full-width characters are read as ASCII.

    :raises InvalidSiapkerjaId: ``format`` (no ``SK`` prefix, or a character
        outside the alphabet — also for a non-``str``), ``length`` (not 11
        characters after ``SK``) or ``check`` (a typo, most likely).
    """
    if type(text) is not str:
        raise InvalidSiapkerjaId("format")
    compact = _compact(text)
    fault = _fault(compact)
    if fault is not None:
        raise InvalidSiapkerjaId(fault[0], **fault[1])
    return SiapkerjaId(_canonical(compact))


def is_valid_siapkerja_id(text: str) -> bool:
    """Whether :func:`parse_siapkerja_id` would accept ``text`` (never raises)."""
    return type(text) is str and _fault(_compact(text)) is None


_BODY_SHIFTS: Final = tuple(range(5 * (BODY_LENGTH - 1), -1, -5))  # most significant first
_SYMBOL_PAIRS: Final = tuple(a + b for a in ALPHABET for b in ALPHABET)  # 10 bits → 2 symbols
_new_object: Final = object.__new__
_set_value: Final = SiapkerjaId.__dict__["value"].__set__  # the slot, as attrs sets it


def new_siapkerja_id(randbelow: Callable[[int], int]) -> SiapkerjaId:
    """A new SIAPkerja-ID with a random body.

    :param randbelow: returns a uniform integer in ``[0, n)``; pass
        ``secrets.randbelow`` in production (tests pass a seeded
        ``random.Random(seed).randrange``). It is called once, with ``2**50``.

    The ID is not checked for uniqueness: that needs the storage, which must
    insert under a unique constraint and draw again on a collision.

    :raises ValueError: if ``randbelow`` returns something out of range.
    """
    number = randbelow(_ID_SPACE)
    if type(number) is not int or not 0 <= number < _ID_SPACE:
        raise ValueError(f"randbelow({_ID_SPACE}) returned {number!r}")
    # Bulk issuance draws one per card, so this is straight-line work on the
    # 50 bits: two symbols per 10-bit step, the Damm fold on the 5-bit values
    # as they are, and no second check of what was built right here (a test
    # holds it equal to the validating constructor for every shape of input).
    table = DAMM32_TABLE
    interim = 0
    for shift in _BODY_SHIFTS:
        interim = table[interim][(number >> shift) & 31]
    pairs = _SYMBOL_PAIRS
    value = (
        f"{PREFIX}-{pairs[number >> 40]}{pairs[(number >> 30) & 1023]}"
        f"-{pairs[(number >> 20) & 1023]}{pairs[(number >> 10) & 1023]}"
        f"-{pairs[number & 1023]}{ALPHABET[_TIMES_LAMBDA[interim]]}"
    )
    made = _new_object(SiapkerjaId)
    _set_value(made, value)
    return made


@functools.cache
def _damm_pairs() -> tuple[int, ...]:
    """The Damm fold two symbols at a time: entry ``interim << 10 | pair`` is the interim
    after the pair's two 5-bit symbols (high first) from ``interim``.

    Built on first use (2-3 ms: bulk issuance pays it once, an import of the module
    never)."""
    table = DAMM32_TABLE
    return tuple(
        table[table[interim][pair >> 5]][pair & 31] for interim in range(32) for pair in range(1024)
    )


def siapkerja_id_texts(numbers: Iterable[int]) -> list[str]:
    """The canonical text of the SIAPkerja-ID whose body is each of ``numbers`` (drawn
    uniformly in ``[0, 2**50)`` by the caller): what ``str(new_siapkerja_id(...))``
    gives for each, without an object a number.

    For bulk issuance, which draws thousands at once: the check character folds the
    body two symbols (10 bits) a step through :func:`_damm_pairs`, five steps, not
    ten (the fold was most of ``new_siapkerja_id``'s time).

    :raises ValueError: a number out of range (or not an ``int``).
    """
    fold = _damm_pairs()
    pairs = _SYMBOL_PAIRS
    check = tuple(ALPHABET[_TIMES_LAMBDA[interim]] for interim in range(32))
    texts = []
    for number in numbers:
        if type(number) is not int or not 0 <= number < _ID_SPACE:
            raise ValueError(f"a SIAPkerja-ID body is in [0, {_ID_SPACE}): {number!r}")
        first, second = number >> 40, (number >> 30) & 1023
        third, fourth, fifth = (number >> 20) & 1023, (number >> 10) & 1023, number & 1023
        interim = fold[fold[fold[fold[first] << 10 | second] << 10 | third] << 10 | fourth]
        texts.append(
            f"{PREFIX}-{pairs[first]}{pairs[second]}-{pairs[third]}{pairs[fourth]}"
            f"-{pairs[fifth]}{check[fold[interim << 10 | fifth]]}"
        )
    return texts
