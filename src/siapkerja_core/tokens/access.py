"""Access mode (``A-…``): short-lived codes bound to a purpose, verifiable offline."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from functools import lru_cache

from siapkerja_core.tokens.base import (
    _ACCESS_SIG_BYTES,
    _MAX_CARD_REF,
    _MAX_STEP,
    _PURPOSE_BYTES,
    _STEP_SYMBOLS,
    _STEP_WRAP,
    _TO_HEX,
    DEFAULT_PERIOD,
    MAX_STATUS_INDEX,
    AccessClaims,
    TokenError,
    _access_match,
    _encode_bytes,
    _short_symbols,
    _symbols,
)
from siapkerja_core.tokens.keyring import Keyring
from siapkerja_core.tokens.link import _ascii_upper, _check_range, _refuse
from siapkerja_core.tokens.signing import ACCESS_ALGORITHM

__all__ = ["mint_access", "purpose_tag", "verify_access"]

# --- access mode -------------------------------------------------------------------


@lru_cache(maxsize=1024)
def purpose_tag(purpose: str) -> str:
    """The 40-bit tag of a purpose id that access codes carry instead of its text.

    The first 5 bytes of SHA-256(``"siapkerja.purpose\\0" + purpose``), in 8
    base32 symbols. It keeps the purpose's text out of the token; it does not
    keep a purpose secret from someone who can guess it (a station must be
    able to compute it without any secret).
    """
    digest = hashlib.sha256(b"siapkerja.purpose\x00" + purpose.encode("utf-8")).digest()
    return _encode_bytes(digest[:_PURPOSE_BYTES]).decode("ascii")


def _step(now: datetime, period: int) -> int:
    if type(period) is not int or period < 1:
        raise ValueError("period must be a positive number of seconds")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
    return int(now.timestamp() // period)


def mint_access(
    keyring: Keyring,
    card_ref: int,
    purpose: str,
    now: datetime,
    period: int = DEFAULT_PERIOD,
    *,
    status_index: int = 0,
) -> str:
    """The access code of card ``card_ref`` for ``purpose`` in the ``period`` containing ``now``.

    ``status_index`` is the card's entry in the status list (the service
    passes the card's own; index 0 is never given to a card, so a code minted
    without one names no card's entry).

    The code carries the low 20 bits of the time step; the signature covers
    the whole step (after the text, ``"."`` and the step's numeral), so a
    verifier rebuilds it from its own clock and an altered or stale step
    cannot verify.

    :raises TokenError: ``no_key`` if the keyring holds no active private access key.
    :raises ValueError: ``card_ref`` or ``status_index`` out of range.
    """
    key = keyring._access_signer
    if key is None or key.private_key is None:
        raise TokenError("no_key", kind="access")
    _check_range("card_ref", card_ref, _MAX_CARD_REF)
    _check_range("status_index", status_index, MAX_STATUS_INDEX)
    step = _step(now, period)
    _check_range("step", step, _MAX_STEP)
    body = b"A-%s%s%s%s%s" % (
        key.kid.encode("ascii"),
        _symbols(card_ref, 13),
        purpose_tag(purpose).encode("ascii"),
        _symbols(step % _STEP_WRAP, _STEP_SYMBOLS),
        _short_symbols(status_index),
    )
    signature = ACCESS_ALGORITHM.get_signature(key.private_key, body + b"." + _short_symbols(step))
    return (body + _encode_bytes(signature)).decode("ascii")


def verify_access(
    keyring: Keyring,
    token: str,
    purpose: str,
    now: datetime,
    period: int = DEFAULT_PERIOD,
    leeway_steps: int = 1,
) -> AccessClaims:
    """The claims of a genuine, current access code for ``purpose``. Works with a public keyring.

    A code is current when its step is within ``leeway_steps`` of the step of
    ``now``, before **or after**: a code from the future is refused like an
    old one. The code carries the low 20 bits of its step; the step is
    rebuilt as the one nearest ``now`` with those bits (a code more than
    2**19 steps away — half a year at 30 s — rebuilds to a step it was not
    signed for and reads as ``forged``). Checks run in this order: format,
    mode, key and signature, purpose, time.

    :raises TokenError: ``malformed``, ``wrong_mode`` (a link token),
        ``forged``, ``wrong_purpose``, ``expired``.
    """
    current = _step(now, period)
    raw = _ascii_upper(token)
    if raw is None or _access_match(raw) is None:
        raise _refuse(raw, "access")
    public = keyring._access_verifiers.get(raw[2:6])
    end = len(raw) - 103  # where the 103-symbol signature starts
    digits = raw.translate(_TO_HEX)
    # 103 symbols carry 515 bits: the signature, then three zero bits.
    signature = (int(digits[end:], 32) >> 3).to_bytes(_ACCESS_SIG_BYTES, "big")
    offset = (int(digits[27:31], 32) - current) % _STEP_WRAP
    if offset >= _STEP_WRAP // 2:
        offset -= _STEP_WRAP
    step = current + offset
    if (
        public is None
        or step < 0
        or not ACCESS_ALGORITHM.verify_signature(
            public, raw[:end] + b"." + _short_symbols(step), signature
        )
    ):
        raise TokenError("forged")
    tag = raw[19:27].decode("ascii")
    if not hmac.compare_digest(tag, purpose_tag(purpose)):
        raise TokenError("wrong_purpose")
    if abs(offset) > leeway_steps:
        raise TokenError("expired")
    return AccessClaims(
        int(digits[6:19], 32), tag, step, raw[2:6].decode("ascii"), int(digits[31:end], 32)
    )
