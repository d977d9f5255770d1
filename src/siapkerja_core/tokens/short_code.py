"""Short access codes: eight digits a gate operator can type when the camera cannot scan.

An access code (``A-…``, :mod:`~siapkerja_core.tokens.access`) is ~138 symbols:
nobody types it. When a gate's camera is refused, missing or blocked (plain
http), the holder reads out their **SIAPkerja-ID number** (printed on the card)
and an **eight-digit code** that changes with the access code's period.

Construction (version 1), for each active access key ``K`` that holds its
private half (only the service mints and checks short codes; an offline
station cannot):

* ``key = HKDF-SHA256(ikm = K's 32-byte Ed25519 seed, salt = "siapkerja.short-code",
  info = "siapkerja.short-access-code.v1" || 0x00 || kid)`` — a key of its own
  purpose, so an HMAC under it says nothing about the signing key;
* ``msg = "siapkerja.short\\0" || card_ref (8 bytes, big-endian) || purpose tag
  (:func:`~siapkerja_core.tokens.access.purpose_tag`, 8 ASCII symbols) ||
  step (8 bytes, big-endian)`` where ``step = floor(unix time / period)``
  — the access code's own time step;
* ``mac = HMAC-SHA256(key, msg)``; RFC 4226 dynamic truncation: ``o = mac[31]
  & 0x0f``, ``v = mac[o:o+4]`` as a big-endian integer with its top bit cleared;
  the code is ``v mod 10**8`` as eight digits (shown ``1234 5678``).

The newest key mints; :func:`check_short_code` accepts the current step and
the previous one (like TOTP's window: the holder read the code just before the
step turned) under every active private key, comparing in constant time and
going through every candidate (no early exit). A code of any other step, card,
purpose or a retired key does not match.

Guessing: one guess matches with probability at most ``keys * 2 / 10**8``.
The caps on wrong guesses are the gate service's
(:meth:`siapkerja_core.services.gates.Gates.admit`), and every guess needs a
registered station's credential.

Pure: no I/O; time (``now``) is injected.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from functools import lru_cache
from typing import Final

from attrs import frozen
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siapkerja_core.tokens.access import _step, purpose_tag
from siapkerja_core.tokens.base import DEFAULT_PERIOD, TokenError
from siapkerja_core.tokens.keyring import Keyring

__all__ = [
    "SHORT_CODE_DIGITS",
    "ShortCodeMatch",
    "check_short_code",
    "format_short_code",
    "make_short_code",
    "split_short_code",
]

SHORT_CODE_DIGITS: Final = 8
_MODULUS: Final = 10**SHORT_CODE_DIGITS
_SALT: Final = b"siapkerja.short-code"
_INFO: Final = b"siapkerja.short-access-code.v1\x00"
_MESSAGE: Final = b"siapkerja.short\x00"
# A typed short code, once spaces and dashes are gone: the card number's 11
# symbols (with or without its "SK" prefix) and the eight digits.
_NUMBER_SYMBOLS: Final = 11


@frozen
class ShortCodeMatch:
    """Which step and which key a short code matched (the check-in records both)."""

    step: int
    kid: str


@lru_cache(maxsize=64)
def _derived_key(seed: bytes, kid: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO + kid.encode("ascii")
    ).derive(seed)


def _code(key: bytes, card_ref: int, tag: str, step: int) -> str:
    message = _MESSAGE + card_ref.to_bytes(8, "big") + tag.encode("ascii") + step.to_bytes(8, "big")
    mac = hmac.new(key, message, hashlib.sha256).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % _MODULUS:0{SHORT_CODE_DIGITS}d}"


def _check_card_ref(card_ref: int) -> None:
    if type(card_ref) is not int or not 0 <= card_ref < 2**64:
        raise ValueError("card_ref must be an integer in [0, 2**64)")


def make_short_code(
    keyring: Keyring, card_ref: int, purpose: str, now: datetime, period: int = DEFAULT_PERIOD
) -> str:
    """The eight digits of card ``card_ref`` for ``purpose`` in the period containing ``now``.

    :raises TokenError: ``no_key`` if the keyring holds no active private access key.
    :raises ValueError: ``card_ref`` out of range, ``now`` naive, ``period`` not positive.
    """
    signer = keyring.signing_access_key
    if signer is None or signer.private_key is None:
        raise TokenError("no_key", kind="access")
    _check_card_ref(card_ref)
    step = _step(now, period)
    return _code(_derived_key(signer.private_key, signer.kid), card_ref, purpose_tag(purpose), step)


def check_short_code(
    keyring: Keyring,
    card_ref: int,
    purpose: str,
    code: str,
    now: datetime,
    period: int = DEFAULT_PERIOD,
) -> ShortCodeMatch | None:
    """The step and key ``code`` was made with, if it is this card's code for ``purpose``
    in the period of ``now`` or the one before; ``None`` otherwise.

    Every candidate (each active private access key, each of the two steps) is
    computed and compared with :func:`hmac.compare_digest`, whatever matched first.
    """
    _check_card_ref(card_ref)
    current = _step(now, period)
    wanted = code.encode("ascii", "replace")
    tag = purpose_tag(purpose)
    found: ShortCodeMatch | None = None
    for key in keyring.access_keys:
        if key.retired or key.private_key is None:
            continue
        derived = _derived_key(key.private_key, key.kid)
        for step in (current, current - 1):
            if step < 0:
                continue
            if hmac.compare_digest(_code(derived, card_ref, tag, step).encode("ascii"), wanted):
                found = found or ShortCodeMatch(step, key.kid)
    return found


def format_short_code(code: str) -> str:
    """``12345678`` as it is read aloud and shown: ``1234 5678``."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


def split_short_code(text: str) -> tuple[str, str] | None:
    """A typed short code's card number and digits, or ``None`` when ``text`` is not one.

    Spaces, dashes and dots are ignored and letters read in either case:
    ``SK-7KQ4-M2XD-9P7 1234 5678``, ``7kq4m2xd9p7 12345678``. The number is
    not checked here (its check character is :mod:`siapkerja_core.siapkerja_id`'s);
    an access code (``A-…``) is never read as a short code.
    """
    compact = "".join(c for c in text if c not in " -.\t").upper()
    if compact.startswith("SK"):
        compact = compact[2:]
    if len(compact) != _NUMBER_SYMBOLS + SHORT_CODE_DIGITS or not compact.isascii():
        return None
    number, digits = compact[:_NUMBER_SYMBOLS], compact[_NUMBER_SYMBOLS:]
    if not (digits.isdigit() and number.isalnum()):
        return None
    return number, digits
