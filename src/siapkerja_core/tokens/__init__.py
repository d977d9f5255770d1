"""Signed QR tokens for the SIAPkerja-ID card: link mode and access mode.

Two kinds of token, each with its own itsdangerous salt and its own keys:

* **link** (``L-…``) — long-lived, in a URL under a configurable base URL. It
  names a card (``card_ref``) and a ``version``; the service keeps the current
  version of every card, so re-issuing bumps the version and every older QR
  stops working at once (:func:`check_link_version` raises ``revoked``).
  HMAC-SHA-256 through itsdangerous, cut to 160 bits: only the service, which
  holds the secret, mints and verifies link tokens.
* **access** (``A-…``) — short-lived (a new code every 30 s by default) and
  bound to a purpose (an event, a class, a programme). Ed25519 through
  ``cryptography``, plugged into itsdangerous as a ``SigningAlgorithm``, so a
  scanning station that holds only public keys verifies codes offline
  (:mod:`siapkerja_core.station`).

Layouts (``-`` separates fields; after the mode letter ``L`` or ``A`` every
symbol is Crockford base32 upper case, ``0-9A-Z`` without ``I L O U``; the
whole token is in the QR alphanumeric set)::

    L-KKKK-CCCCCCCCCCCCC-V-SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS      55-61 characters
    A-KKKKCCCCCCCCCCCCCPPPPPPPPTTTTI{1,6}S{103}                  135-140 (138 typical)

``KKKK`` key id, ``C…`` the card reference (64 bits, 13 symbols), ``V`` the
version (1-7 symbols), ``P…`` a 40-bit tag of the purpose (its text is not in
the token), ``TTTT`` the low 20 bits of the time step, ``I…`` the card's
status-list index (1-6 symbols), ``S…`` the signature: of a link token over
everything before its separator; of an access code over everything before it
followed by ``.`` and the whole time step. An access code has no separators
after ``A-``: its fields have fixed widths but the index, whose end the
code's length gives. A token names a card only by ``card_ref``,
an opaque random number the service assigns to each card: never the
SIAPkerja-ID number, never the NIK, never a name.

Reading is case-insensitive and otherwise strict: no Crockford aliases
(``O`` for ``0``), no ignorable dashes, no padding. One token has exactly one
spelling up to case, so an altered token never verifies.

The keyring (:class:`Keyring`) holds both kinds of key; the newest active key
of each kind signs and every active key verifies, until it is retired. Every
token carries the id (``kid``) of the key that signed it.

Pure: no I/O; randomness (``token_bytes``) and time (``now``) are injected.

Modules: :mod:`~siapkerja_core.tokens.base` (errors, alphabet, claims),
:mod:`~siapkerja_core.tokens.signing`, :mod:`~siapkerja_core.tokens.keyring`,
:mod:`~siapkerja_core.tokens.link`, :mod:`~siapkerja_core.tokens.access` and
:mod:`~siapkerja_core.tokens.short_code` (the typed eight-digit form of an access code);
every public name is importable from ``siapkerja_core.tokens``. The card
status list that offline stations cache is in
:mod:`~siapkerja_core.tokens.status_list`; the access keys as JOSE keys (the
Ed25519 key, and a P-256 key derived from its seed for ES256 ID tokens) in
:mod:`~siapkerja_core.tokens.jose_keys`.
"""

from siapkerja_core.tokens.access import (
    mint_access,
    purpose_tag,
    verify_access,
)
from siapkerja_core.tokens.base import (
    ACCESS_SALT,
    ALPHABET,
    DEFAULT_PERIOD,
    LINK_SALT,
    MAX_STATUS_INDEX,
    MAX_TOKEN_LENGTH,
    MAX_VERSION,
    MODE_ALPHANUMERIC,
    MODE_BYTE,
    AccessClaims,
    LinkClaims,
    TokenError,
)
from siapkerja_core.tokens.jose_keys import (
    ES256_INFO,
    Es256Key,
    derive_p256_scalar,
    es256_key,
    jwk_thumbprint,
    signing_jwks,
)
from siapkerja_core.tokens.keyring import (
    Ed25519Key,
    HmacKey,
    Keyring,
)
from siapkerja_core.tokens.link import (
    check_link_version,
    link_token_from_url,
    link_url,
    mint_link,
    qr_segments,
    verify_link,
)
from siapkerja_core.tokens.short_code import (
    SHORT_CODE_DIGITS,
    ShortCodeMatch,
    check_short_code,
    format_short_code,
    make_short_code,
    split_short_code,
)
from siapkerja_core.tokens.signing import (
    ACCESS_ALGORITHM,
    LINK_ALGORITHM,
    Ed25519Algorithm,
    TruncatedHMACAlgorithm,
    link_signer,
)

# The documented name of the error: tracebacks and pickles say
# ``siapkerja_core.tokens.TokenError``, the path users import it from.
TokenError.__module__ = __name__

__all__ = [
    "ACCESS_ALGORITHM",
    "ACCESS_SALT",
    "ALPHABET",
    "DEFAULT_PERIOD",
    "ES256_INFO",
    "LINK_ALGORITHM",
    "LINK_SALT",
    "MAX_STATUS_INDEX",
    "MAX_TOKEN_LENGTH",
    "MAX_VERSION",
    "MODE_ALPHANUMERIC",
    "MODE_BYTE",
    "SHORT_CODE_DIGITS",
    "AccessClaims",
    "Ed25519Algorithm",
    "Ed25519Key",
    "Es256Key",
    "HmacKey",
    "Keyring",
    "LinkClaims",
    "ShortCodeMatch",
    "TokenError",
    "TruncatedHMACAlgorithm",
    "check_link_version",
    "check_short_code",
    "derive_p256_scalar",
    "es256_key",
    "format_short_code",
    "jwk_thumbprint",
    "link_signer",
    "link_token_from_url",
    "link_url",
    "make_short_code",
    "mint_access",
    "mint_link",
    "purpose_tag",
    "qr_segments",
    "signing_jwks",
    "split_short_code",
    "verify_access",
    "verify_link",
]
