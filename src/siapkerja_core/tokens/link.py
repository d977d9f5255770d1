"""Link mode (``L-…``): long-lived tokens in a URL, naming a card and a version.

Re-issuing bumps the version and every older QR stops working at once
(:func:`check_link_version` raises ``revoked``).
"""

from __future__ import annotations

from siapkerja_core.tokens.base import (
    _LINK_SIG_BYTES,
    _MAX_CARD_REF,
    _QR_ALNUM,
    _TO_HEX,
    MAX_TOKEN_LENGTH,
    MAX_VERSION,
    MODE_ALPHANUMERIC,
    MODE_BYTE,
    LinkClaims,
    TokenError,
    _access_match,
    _link_claims,
    _link_match,
    _short_symbols,
    _symbols,
)
from siapkerja_core.tokens.keyring import Keyring
from siapkerja_core.tokens.signing import LINK_ALGORITHM

__all__ = [
    "check_link_version",
    "link_token_from_url",
    "link_url",
    "mint_link",
    "qr_segments",
    "verify_link",
]

# --- link mode ---------------------------------------------------------------------


def _check_range(name: str, value: int, top: int) -> None:
    if type(value) is not int or not 0 <= value <= top:
        raise ValueError(f"{name} must be an int in 0..{top}")


def mint_link(keyring: Keyring, card_ref: int, version: int) -> str:
    """The link token of version ``version`` of card ``card_ref`` (text only; see :func:`link_url`).

    :raises TokenError: ``no_key`` if the keyring has no active link key.
    :raises ValueError: ``card_ref`` not in 0..2**64-1 or ``version`` not in 0..MAX_VERSION.
    """
    key = keyring._link_signer
    if key is None:
        raise TokenError("no_key", kind="link")
    if type(card_ref) is not int or not 0 <= card_ref <= _MAX_CARD_REF:
        _check_range("card_ref", card_ref, _MAX_CARD_REF)
    if type(version) is not int or not 0 <= version <= MAX_VERSION:
        _check_range("version", version, MAX_VERSION)
    body = b"L-%s-%s-%s" % (
        key.kid.encode("ascii"),
        _symbols(card_ref, 13),
        _short_symbols(version),
    )
    signature = LINK_ALGORITHM.get_signature(key._derived, body)
    return (body + b"-" + _symbols(int.from_bytes(signature, "big"), 32)).decode("ascii")


def _ascii_upper(token: object) -> bytes | None:
    """The token as upper-case ASCII bytes, or ``None`` if it cannot be one of ours.

    ``isascii`` comes first: ``str.upper`` maps some non-ASCII letters onto
    ASCII ones (``"ſ".upper() == "S"``); ``bytes.upper`` touches ASCII only.
    """
    if type(token) is not str or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    return token.encode("ascii").upper()


def _refuse(raw: bytes | None, expected: str) -> TokenError:
    """The error for a token that does not match the ``expected`` mode's pattern."""
    if raw is not None:
        if expected == "link" and _access_match(raw) is not None:
            return TokenError("wrong_mode", expected="link", found="access")
        if expected == "access" and _link_match(raw) is not None:
            return TokenError("wrong_mode", expected="access", found="link")
    return TokenError("malformed")


def verify_link(keyring: Keyring, token: str) -> LinkClaims:
    """The claims of a genuine link token.

    It checks the format and the signature only; whether the version is the
    card's current one is the service's question (:func:`check_link_version`).

    :raises TokenError: ``malformed``, ``wrong_mode`` (an access code),
        ``forged`` (bad signature, unknown or retired key).
    """
    # _ascii_upper(token), inline: this is the hot path.
    if type(token) is not str or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("malformed")
    raw = token.encode("ascii").upper()
    if _link_match(raw) is None:
        raise _refuse(raw, "link")
    derived = keyring._link_verifiers.get(raw[2:6])
    if derived is None:
        raise TokenError("forged")
    digits = raw.translate(_TO_HEX)  # base32hex, which int(..., 32) reads
    end = len(raw) - 33  # the "-" before the 32-symbol signature
    signature = int(digits[end + 1 :], 32).to_bytes(_LINK_SIG_BYTES, "big")
    if not LINK_ALGORITHM.verify_signature(derived, raw[:end], signature):
        raise TokenError("forged")
    return _link_claims(int(digits[7:20], 32), int(digits[21:end], 32), raw[2:6].decode("ascii"))


def check_link_version(claims: LinkClaims, current_version: int | None) -> LinkClaims:
    """``claims`` if they name the card's current version; ``current_version=None``: revoked card.

    :raises TokenError: ``revoked`` for an old (or unknown newer) version or a revoked card.
    """
    if current_version is None or claims.version != current_version:
        raise TokenError("revoked")
    return claims


def link_url(base_url: str, token: str) -> str:
    """The URL a link QR carries: ``base_url`` followed by the token.

    A ``/`` is added between them unless ``base_url`` already ends with ``/``,
    ``=`` or ``#`` (``https://x.id/v/``, ``https://x.id/v?t=``).
    """
    if base_url.endswith(("/", "=", "#")):
        return base_url + token
    return f"{base_url}/{token}"


def link_token_from_url(base_url: str, url: str) -> str:
    """The token of a URL made by :func:`link_url` (scheme and host compared case-insensitively).

    :raises TokenError: ``malformed`` if ``url`` is not under ``base_url``.
    """
    prefix = link_url(base_url, "")
    split = prefix.find("/", prefix.find("//") + 2) if "//" in prefix else 0
    split = len(prefix) if split < 0 else split
    if (
        len(url) > len(prefix)
        and url[:split].lower() == prefix[:split].lower()
        and url[split : len(prefix)] == prefix[split:]
    ):
        return url[len(prefix) :]
    raise TokenError("malformed")


def qr_segments(url: str) -> list[tuple[str, int]]:
    """QR segments for ``url``: ``[(text, mode), ...]`` for ``segno.make_qr``.

    The longest tail of ``url`` in the QR alphanumeric set (upper-case
    letters, digits, `` $%*+-./:``) — the token, and whatever alphanumeric
    text precedes it — goes in alphanumeric mode (5.5 bits a character); the
    rest, typically a lower-case base URL, stays as given in byte mode (8
    bits), because a URL's path is case-sensitive. A whole URL in the set is
    one alphanumeric segment; a tail too short to pay for the mode switch
    stays in byte mode. Modes are QR mode indicators, equal to segno's
    ``consts.MODE_BYTE`` and ``consts.MODE_ALPHANUMERIC``.
    """
    cut = len(url)
    while cut > 0 and url[cut - 1] in _QR_ALNUM:
        cut -= 1
    if cut == 0:
        return [(url, MODE_ALPHANUMERIC)]
    if len(url) - cut < 8:  # 13 bits of mode switch buy back 2.5 bits a character
        return [(url, MODE_BYTE)]
    return [(url[:cut], MODE_BYTE), (url[cut:], MODE_ALPHANUMERIC)]
