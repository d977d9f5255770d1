"""What both token modes share: :class:`TokenError`, the alphabet, the salts and
limits, the base32 encoding of fields, and the claims a verified token yields.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import ClassVar, Final

from attrs import frozen

from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "ACCESS_SALT",
    "ALPHABET",
    "DEFAULT_PERIOD",
    "LINK_SALT",
    "MAX_STATUS_INDEX",
    "MAX_TOKEN_LENGTH",
    "MAX_VERSION",
    "MODE_ALPHANUMERIC",
    "MODE_BYTE",
    "AccessClaims",
    "LinkClaims",
    "TokenError",
]

# --- errors ------------------------------------------------------------------------


class TokenError(SiapkerjaError):
    """A token was refused. ``code`` says why; the token itself is never echoed.

    ``malformed``: not a SIAPkerja token at all (characters, fields, lengths);
    ``forged``: the signature does not verify, or its key is unknown or
    retired; ``expired``: an access code outside its time window (too old, or
    from the future); ``revoked``: a link to an old version of a card, or to a
    revoked card; ``wrong_mode``: a link token where an access code was
    expected, or the reverse; ``wrong_purpose``: an access code made for
    another event; ``replayed``: this card already checked in (``first_at``,
    ISO 8601); ``no_key``: the keyring has no active signing key of that kind
    (``kind``), e.g. a station's public keyring asked to mint; ``suspended``:
    the card is suspended; ``status_stale``: an offline station's status list
    is missing, older than its maximum age or shorter than the card's index,
    so it cannot tell whether the card was revoked and admits no one;
    ``unknown_key``: no key of the service's keyring has the id asked to retire
    (``kid``).
    """

    domain = "token"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "malformed",
            "forged",
            "expired",
            "revoked",
            "wrong_mode",
            "wrong_purpose",
            "replayed",
            "no_key",
            "suspended",
            "status_stale",
            "unknown_key",
        }
    )


# --- the text alphabet -------------------------------------------------------------

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32 (no I, L, O, U); a symbol's index is its value."""

# int(text, 32) reads base32hex (RFC 4648 §7): the same values in another alphabet.
_HEX32: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_TO_HEX: Final = bytes.maketrans(ALPHABET.encode("ascii"), _HEX32.encode("ascii"))
_SYMBOL: Final = "[0-9A-HJKMNP-TV-Z]"
_LEAD: Final = "[1-9A-HJKMNP-TV-Z]"  # a numeral's first symbol: no leading zero

MODE_BYTE: Final = 4
"""QR mode indicator of byte mode (``segno.consts.MODE_BYTE``)."""
MODE_ALPHANUMERIC: Final = 2
"""QR mode indicator of alphanumeric mode (``segno.consts.MODE_ALPHANUMERIC``)."""
_QR_ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

LINK_SALT: Final = b"siapkerja.link"
ACCESS_SALT: Final = b"siapkerja.access"
DEFAULT_PERIOD: Final = 30
MAX_VERSION: Final = 32**7 - 1
"""The largest card version a link token can carry (seven symbols, 35 bits)."""
_MAX_CARD_REF: Final = 2**64 - 1
_MAX_STEP: Final = 32**8 - 1
MAX_STATUS_INDEX: Final = 32**6 - 1
"""The largest status-list index an access code can carry (six symbols, 30 bits)."""
_STEP_SYMBOLS: Final = 4  # an access code carries the low 20 bits of its time step
_STEP_WRAP: Final = 32**_STEP_SYMBOLS
MAX_TOKEN_LENGTH: Final = 200
"""The longest text a token check reads; anything longer is ``token.malformed``."""
_LINK_SIG_BYTES: Final = 20  # 160 bits = exactly 32 symbols, no padding bits
_ACCESS_SIG_BYTES: Final = 64  # 512 bits = 103 symbols, the last 3 bits zero
_PURPOSE_BYTES: Final = 5  # 40 bits = exactly 8 symbols

# The token patterns, matched against the upper-cased ASCII bytes of a token.
# Fields sit at fixed offsets, except the last numeral before the signature:
#   L-KKKK-CCCCCCCCCCCCC-V{1,7}-S{32}            kid [2:6], card [7:20]
#   A-KKKKCCCCCCCCCCCCCPPPPPPPPTTTTI{1,6}S{103}  kid [2:6], card [6:19], tag [19:27],
#                                               step (low 20 bits) [27:31], index [31:-103]
_CARD: Final = f"[0-9A-F]{_SYMBOL}{{12}}"  # 13 symbols = 65 bits, top bit zero
_LINK_RE: Final = re.compile(
    rf"L-{_SYMBOL}{{4}}-{_CARD}-(?:0|{_LEAD}{_SYMBOL}{{0,6}})-{_SYMBOL}{{32}}".encode("ascii")
)
# 64 signature bytes = 512 bits = 103 symbols whose last 3 bits must be zero,
# so the last symbol is one of 0, 8, G, R (values 0, 8, 16, 24). Every field
# has a fixed width but the status index (1-6 symbols, no leading zero), so
# the length says where it ends: no separators needed.
_ACCESS_RE: Final = re.compile(
    rf"A-{_SYMBOL}{{4}}{_CARD}{_SYMBOL}{{8}}{_SYMBOL}{{4}}(?:0|{_LEAD}{_SYMBOL}{{0,5}})"
    rf"{_SYMBOL}{{102}}[08GR]".encode("ascii")
)
_link_match: Final = _LINK_RE.fullmatch
_access_match: Final = _ACCESS_RE.fullmatch


def _spread_steps(size: int) -> tuple[tuple[int, int, int], ...]:
    """Mask-and-shift steps moving ``size`` 5-bit groups (a power of two) one per byte.

    Halving blocks each step: in every lane of ``16 * b`` bits, the block of
    ``b`` groups at bits ``[5b, 10b)`` moves up to ``[8b, 13b)`` (shift ``3b``)
    while the block at ``[0, 5b)`` stays. After the step with ``b = 1`` group
    ``i`` sits in byte ``i``, and ``bytes.translate`` turns values into symbols.
    """
    steps = []
    block = size // 2
    while block >= 1:
        lane, lanes = 16 * block, size // (2 * block)
        low = sum(((1 << 5 * block) - 1) << (i * lane) for i in range(lanes))
        steps.append((low, low << 5 * block, 3 * block))
        block //= 2
    return tuple(steps)


# Encoding to base32 is the slow direction in Python (base64.b32encode is
# pure Python): spreading the groups with a few big-int operations and one
# bytes.translate beats a table look-up per symbol pair (benchmarks/README.md).
# Decoding is int(text, 32) in C.
_STEPS: Final = {size: _spread_steps(size) for size in (1, 2, 4, 8, 16, 32, 64, 128)}
_LAYOUT: Final = {
    width: (size, _STEPS[size])
    for width in range(1, 129)
    for size in (1 << (width - 1).bit_length(),)
}
_BYTE_SYMBOL: Final = ALPHABET.encode("ascii").ljust(256, b"?")


def _symbols(value: int, width: int) -> bytes:
    """``value`` (< 32**width) as a Crockford numeral of exactly ``width`` symbols (ASCII)."""
    size, steps = _LAYOUT[width]
    for low, high, shift in steps:
        value = (value & low) | ((value & high) << shift)
    return value.to_bytes(size, "big")[-width:].translate(_BYTE_SYMBOL)


def _short_symbols(value: int) -> bytes:
    """``value`` as a Crockford numeral without leading zeros (``b"0"`` for 0)."""
    return _symbols(value, max(1, (value.bit_length() + 4) // 5))


def _encode_bytes(data: bytes) -> bytes:
    """``data`` in Crockford base32, big-endian, unpadded; the spare low bits are zero."""
    width = (8 * len(data) + 4) // 5
    return _symbols(int.from_bytes(data, "big") << (5 * width - 8 * len(data)), width)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC)


def _optional_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


# --- claims ------------------------------------------------------------------------


@frozen
class LinkClaims:
    """What a verified link token says: which card, which version, signed by which key."""

    card_ref: int
    version: int
    kid: str


@frozen
class AccessClaims:
    """What a verified access code says. ``purpose_tag`` is :func:`purpose_tag` of the purpose.

    ``status_index`` is the card's entry in the published status list
    (:mod:`siapkerja_core.tokens.status_list`): an offline station looks the
    card up there without asking the service.
    """

    card_ref: int
    purpose_tag: str
    step: int
    kid: str
    status_index: int = 0

    def issued_at(self, period: int = DEFAULT_PERIOD) -> datetime:
        """The start of the time step the code was made in."""
        return datetime.fromtimestamp(self.step * period, UTC)


_new = object.__new__
_set_link = (
    LinkClaims.__dict__["card_ref"].__set__,
    LinkClaims.__dict__["version"].__set__,
    LinkClaims.__dict__["kid"].__set__,
)


def _link_claims(card_ref: int, version: int, kid: str) -> LinkClaims:
    # Equal to LinkClaims(card_ref, version, kid) without the frozen-__init__
    # indirection (object.__setattr__ per field): the verify hot path.
    claims = _new(LinkClaims)
    _set_link[0](claims, card_ref)
    _set_link[1](claims, version)
    _set_link[2](claims, kid)
    return claims
