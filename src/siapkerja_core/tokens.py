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
    A-KKKK-CCCCCCCCCCCCC-PPPPPPPP-TTTTTT-S{103}                   140 (30-s steps)

``KKKK`` key id, ``C…`` the card reference (64 bits, 13 symbols), ``V`` the
version (1-7 symbols), ``P…`` a 40-bit tag of the purpose (its text is not in
the token), ``T…`` the time step (1-8 symbols), ``S…`` the signature over
everything before its separator. A token names a card only by ``card_ref``,
an opaque random number the service assigns to each card: never the
SIAPkerja-ID number, never the NIK, never a name.

Reading is case-insensitive and otherwise strict: no Crockford aliases
(``O`` for ``0``), no ignorable dashes, no padding. One token has exactly one
spelling up to case, so an altered token never verifies.

The keyring (:class:`Keyring`) holds both kinds of key; the newest active key
of each kind signs and every active key verifies, until it is retired. Every
token carries the id (``kid``) of the key that signed it.

Pure: no I/O; randomness (``token_bytes``) and time (``now``) are injected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Final, TypeVar

import attrs
from attrs import field, frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from itsdangerous.signer import HMACAlgorithm, Signer, SigningAlgorithm

from siapkerja_core.errors import ConfigurationError, Message, SiapkerjaError

__all__ = [
    "ACCESS_ALGORITHM",
    "ACCESS_SALT",
    "ALPHABET",
    "DEFAULT_PERIOD",
    "LINK_ALGORITHM",
    "LINK_SALT",
    "MAX_VERSION",
    "MODE_ALPHANUMERIC",
    "MODE_BYTE",
    "AccessClaims",
    "Ed25519Algorithm",
    "Ed25519Key",
    "HmacKey",
    "Keyring",
    "LinkClaims",
    "TokenError",
    "TruncatedHMACAlgorithm",
    "check_link_version",
    "link_signer",
    "link_token_from_url",
    "link_url",
    "mint_access",
    "mint_link",
    "purpose_tag",
    "qr_segments",
    "verify_access",
    "verify_link",
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
    (``kind``), e.g. a station's public keyring asked to mint.
    """

    domain = "token"
    messages: ClassVar[Mapping[str, Message]] = {
        "malformed": (
            "Kode ini bukan kode SIAPkerja yang valid (formatnya tidak dikenali).",
            "This is not a valid SIAPkerja code (unrecognised format).",
        ),
        "forged": (
            "Tanda tangan kode tidak sah: kode palsu, rusak, atau kuncinya sudah tidak berlaku.",
            "The code's signature is invalid: it is forged, damaged, or its key is no longer"
            " valid.",
        ),
        "expired": (
            "Kode sudah kedaluwarsa atau belum berlaku; tampilkan kode yang terbaru.",
            "The code has expired or is not valid yet; show the current code.",
        ),
        "revoked": (
            "Kode ini sudah dicabut: kartunya diterbitkan ulang atau dinonaktifkan.",
            "This code has been revoked: the card was re-issued or deactivated.",
        ),
        "wrong_mode": (
            "Jenis kode salah: kode tautan profil dan kode akses (presensi) tidak dapat saling"
            " menggantikan.",
            "Wrong kind of code: a profile link and an access (check-in) code cannot stand in"
            " for each other.",
        ),
        "wrong_purpose": (
            "Kode ini dibuat untuk kegiatan lain.",
            "This code was made for a different event or purpose.",
        ),
        "replayed": (
            "Kartu ini sudah tercatat hadir pada {first_at}.",
            "This card already checked in at {first_at}.",
        ),
        "no_key": (
            "Keyring ini tidak punya kunci penanda tangan {kind} yang aktif.",
            "This keyring has no active {kind} signing key.",
        ),
    }


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
_MAX_TOKEN_LENGTH: Final = 200
_LINK_SIG_BYTES: Final = 20  # 160 bits = exactly 32 symbols, no padding bits
_ACCESS_SIG_BYTES: Final = 64  # 512 bits = 103 symbols, the last 3 bits zero
_PURPOSE_BYTES: Final = 5  # 40 bits = exactly 8 symbols

# The token patterns, matched against the upper-cased ASCII bytes of a token.
# Fields sit at fixed offsets, except the last numeral before the signature:
#   L-KKKK-CCCCCCCCCCCCC-V{1,7}-S{32}            kid [2:6], card [7:20]
#   A-KKKK-CCCCCCCCCCCCC-PPPPPPPP-T{1,8}-S{103}  kid [2:6], card [7:20], tag [21:29]
_CARD: Final = f"[0-9A-F]{_SYMBOL}{{12}}"  # 13 symbols = 65 bits, top bit zero
_LINK_RE: Final = re.compile(
    rf"L-{_SYMBOL}{{4}}-{_CARD}-(?:0|{_LEAD}{_SYMBOL}{{0,6}})-{_SYMBOL}{{32}}".encode("ascii")
)
# 64 signature bytes = 512 bits = 103 symbols whose last 3 bits must be zero,
# so the last symbol is one of 0, 8, G, R (values 0, 8, 16, 24).
_ACCESS_RE: Final = re.compile(
    rf"A-{_SYMBOL}{{4}}-{_CARD}-{_SYMBOL}{{8}}-(?:0|{_LEAD}{_SYMBOL}{{0,7}})"
    rf"-{_SYMBOL}{{102}}[08GR]".encode("ascii")
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
# bytes.translate is 2-3x faster than a table look-up per symbol pair.
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


# --- itsdangerous signing algorithms -----------------------------------------------


_IPAD: Final = bytes(byte ^ 0x36 for byte in range(256))
_OPAD: Final = bytes(byte ^ 0x5C for byte in range(256))


class TruncatedHMACAlgorithm(HMACAlgorithm):
    """itsdangerous' HMAC algorithm, with the tag cut to its first ``size`` bytes.

    Truncating an HMAC is a standard construction (RFC 2104 §5; NIST SP
    800-107r1 §5.3.3): a forger must still guess ``8 * size`` bits. Link
    tokens use HMAC-SHA-256 cut to 160 bits — as long as HMAC-SHA-1,
    itsdangerous' default, but FIPS-friendly — which is exactly 32 base32
    symbols. Plugged into an :class:`itsdangerous.Signer` (see
    :func:`link_signer`) it gives the same signatures as the tokens carry.

    The value is ``hmac.new(key, value, digest).digest()[:size]``, computed
    the way RFC 2104 §4 suggests for speed: the hash states after
    ``K xor ipad`` and ``K xor opad`` are computed once per key (up to 256
    keys) and copied for each message.
    """

    def __init__(self, digest_method: Any = hashlib.sha256, size: int = _LINK_SIG_BYTES) -> None:
        super().__init__(digest_method)
        self.size = size
        self._pads: dict[bytes, tuple[Any, Any]] = {}

    def _prepare(self, key: bytes) -> tuple[Any, Any]:
        inner, outer = self.digest_method(), self.digest_method()
        block = inner.block_size
        padded = (self.digest_method(key).digest() if len(key) > block else key).ljust(block, b"\0")
        inner.update(padded.translate(_IPAD))
        outer.update(padded.translate(_OPAD))
        if len(self._pads) >= 256:
            self._pads.clear()
        self._pads[key] = (inner, outer)
        return inner, outer

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        inner, outer = self._pads.get(key) or self._prepare(key)
        inner = inner.copy()
        inner.update(value)
        outer = outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: self.size]  # type: ignore[no-any-return]

    def verify_signature(self, key: bytes, value: bytes, sig: bytes) -> bool:
        return hmac.compare_digest(sig, self.get_signature(key, value))


@lru_cache(maxsize=64)
def _private_key(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=64)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


class Ed25519Algorithm(SigningAlgorithm):
    """An itsdangerous ``SigningAlgorithm`` over Ed25519 (pyca/cryptography).

    ``SigningAlgorithm`` is itsdangerous' extension point for other algorithms
    (added in 0.22 "to allow asymmetrical algorithms"; the maintainers point
    there in pallets/itsdangerous#417). Its two methods take a key as bytes:
    here :meth:`get_signature` takes the 32-byte raw **private** key and
    :meth:`verify_signature` the 32-byte raw **public** key. (An
    ``itsdangerous.Signer`` passes the same derived key to both, which is why
    access tokens call the algorithm directly.) Ed25519 has no key
    derivation, so the salt goes into the message instead: every signed
    message starts with ``context`` (``ACCESS_SALT + b"\\x00"``). Loaded keys
    are cached (64 of each).
    """

    def __init__(self, context: bytes = b"") -> None:
        self.context = context

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return _private_key(key).sign(self.context + value)

    def verify_signature(self, key: bytes, value: bytes, sig: bytes) -> bool:
        try:
            _public_key(key).verify(sig, self.context + value)
        except InvalidSignature:
            return False
        return True


LINK_ALGORITHM: Final = TruncatedHMACAlgorithm(hashlib.sha256, _LINK_SIG_BYTES)
ACCESS_ALGORITHM: Final = Ed25519Algorithm(ACCESS_SALT + b"\x00")


def link_signer(secret: bytes) -> Signer:
    """The :class:`itsdangerous.Signer` that link tokens are signed with.

    Salt ``siapkerja.link``, ``key_derivation="hmac"``, SHA-256, the tag cut
    to 160 bits. ``link_signer(secret).derive_key()`` is the key an
    :class:`HmacKey` derives once and keeps; the token's signature, in
    base64, passes ``Signer.verify_signature`` on the text before it.
    """
    return Signer(
        secret,
        salt=LINK_SALT,
        key_derivation="hmac",
        digest_method=hashlib.sha256,
        algorithm=LINK_ALGORITHM,
    )


# --- keys --------------------------------------------------------------------------


def _kid(domain: bytes, material: bytes) -> str:
    digest = hashlib.sha256(b"siapkerja.kid\x00" + domain + b"\x00" + material).digest()
    return _symbols(int.from_bytes(digest[:3], "big") >> 4, 4).decode("ascii")  # first 20 bits


def _check_kid(instance: HmacKey | Ed25519Key, expected: str) -> None:
    if instance.kid != expected:
        raise ValueError(f"kid {instance.kid!r} does not belong to this key (expected {expected})")


@frozen
class HmacKey:
    """A link-token key: a secret of at least 32 bytes, shared by the service only.

    ``kid`` is four symbols derived from a hash of the secret
    (:meth:`from_secret` computes it; the constructor checks it). The
    itsdangerous-derived signing key is computed once and kept.
    """

    kid: str
    secret: bytes = field(repr=False)
    created_at: datetime = field(converter=_utc)
    retired_at: datetime | None = field(default=None, converter=_optional_utc)
    _derived: bytes = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ValueError("an HMAC secret has at least 32 bytes")
        _check_kid(self, _kid(b"link", self.secret))
        object.__setattr__(self, "_derived", link_signer(self.secret).derive_key())

    @classmethod
    def from_secret(cls, secret: bytes, created_at: datetime) -> HmacKey:
        return cls(kid=_kid(b"link", secret), secret=secret, created_at=created_at)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@frozen
class Ed25519Key:
    """An access-code key: an Ed25519 public key, with its private key on the service only.

    ``kid`` is four symbols derived from a hash of the public key. A station's
    keyring holds these with ``private_key=None``.
    """

    kid: str
    public_key: bytes
    created_at: datetime = field(converter=_utc)
    private_key: bytes | None = field(default=None, repr=False)
    retired_at: datetime | None = field(default=None, converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        if len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key has 32 bytes")
        _check_kid(self, _kid(b"access", self.public_key))
        if self.private_key is not None:
            if len(self.private_key) != 32:
                raise ValueError("an Ed25519 private key has 32 bytes")
            derived = _private_key(self.private_key).public_key().public_bytes_raw()
            if derived != self.public_key:
                raise ValueError("the Ed25519 private key does not match the public key")

    @classmethod
    def from_private_bytes(cls, private_key: bytes, created_at: datetime) -> Ed25519Key:
        """The key pair of a 32-byte seed (e.g. ``token_bytes(32)``)."""
        public = Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()
        return cls(
            kid=_kid(b"access", public),
            public_key=public,
            created_at=created_at,
            private_key=private_key,
        )

    @classmethod
    def from_public_bytes(cls, public_key: bytes, created_at: datetime) -> Ed25519Key:
        return cls(kid=_kid(b"access", public_key), public_key=public_key, created_at=created_at)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def public(self) -> Ed25519Key:
        """This key without its private half."""
        return self if self.private_key is None else attrs.evolve(self, private_key=None)


_K = TypeVar("_K", HmacKey, Ed25519Key)


def _newest(keys: tuple[_K, ...]) -> _K | None:
    """The newest active key that can sign (latest ``created_at``; a tie goes to the later one)."""
    best: _K | None = None
    for key in keys:
        if key.retired or (isinstance(key, Ed25519Key) and key.private_key is None):
            continue
        if best is None or key.created_at >= best.created_at:
            best = key
    return best


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _stamp(link_keys: tuple[HmacKey, ...], access_keys: tuple[Ed25519Key, ...]) -> str:
    # Key ids are hashes of the key material, so (kind, kid, retired) names a
    # keyring's state; the ids are public anyway (every token carries one).
    state = ";".join(
        [f"L{k.kid}{'-' if k.retired else '+'}" for k in link_keys]
        + [f"A{k.kid}{'-' if k.retired else '+'}" for k in access_keys]
    )
    return hashlib.blake2b(state.encode("ascii"), digest_size=8).hexdigest()


@frozen
class Keyring:
    """The token keys: HMAC keys for links, Ed25519 keys for access codes.

    The newest active key of each kind signs; every active key verifies; a
    retired key neither signs nor verifies (its tokens become ``forged``).
    Keyrings are immutable: :meth:`rotate`, :meth:`retire` and :meth:`public`
    return new ones. Key ids are unique across both kinds.
    """

    link_keys: tuple[HmacKey, ...] = ()
    access_keys: tuple[Ed25519Key, ...] = ()
    # kid (ASCII bytes, as in a token) -> derived HMAC key / raw public key
    _link_verifiers: dict[bytes, bytes] = field(init=False, repr=False, eq=False)
    _access_verifiers: dict[bytes, bytes] = field(init=False, repr=False, eq=False)
    _link_signer: HmacKey | None = field(init=False, repr=False, eq=False)
    _access_signer: Ed25519Key | None = field(init=False, repr=False, eq=False)
    _stamp: str = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        kids = self._kids()
        if len(set(kids)) != len(kids):
            raise ValueError("key ids must be unique within a keyring")
        setter = object.__setattr__
        link = {k.kid.encode("ascii"): k._derived for k in self.link_keys if not k.retired}
        access = {k.kid.encode("ascii"): k.public_key for k in self.access_keys if not k.retired}
        setter(self, "_link_verifiers", link)
        setter(self, "_access_verifiers", access)
        setter(self, "_link_signer", _newest(self.link_keys))
        setter(self, "_access_signer", _newest(self.access_keys))
        setter(self, "_stamp", _stamp(self.link_keys, self.access_keys))

    def _kids(self) -> list[str]:
        return [key.kid for key in self.link_keys] + [key.kid for key in self.access_keys]

    # -- making and changing keyrings --

    @classmethod
    def generate(cls, token_bytes: Callable[[int], bytes], now: datetime) -> Keyring:
        """A new keyring with one key of each kind (``token_bytes``: ``secrets.token_bytes``)."""
        return cls().rotate(token_bytes, now)

    def rotate(self, token_bytes: Callable[[int], bytes], now: datetime) -> Keyring:
        """A new newest signing key of both kinds; the older keys keep verifying."""
        if self.link_keys == () and self.access_keys and self.is_public:
            raise ValueError("a public keyring cannot rotate: rotate the service's keyring")
        taken = set(self._kids())
        link = self._fresh(lambda: HmacKey.from_secret(token_bytes(32), now), taken)
        taken.add(link.kid)
        access = self._fresh(lambda: Ed25519Key.from_private_bytes(token_bytes(32), now), taken)
        return Keyring((*self.link_keys, link), (*self.access_keys, access))

    @staticmethod
    def _fresh(make: Callable[[], Any], taken: set[str]) -> Any:
        for _ in range(64):  # a 20-bit kid collides with a few keys about once in 10**5
            key = make()
            if key.kid not in taken:
                return key
        raise RuntimeError("token_bytes keeps returning the same bytes")

    def retire(self, kid: str, now: datetime) -> Keyring:
        """Retire key ``kid``: it no longer signs or verifies. Already retired: unchanged."""
        found = False

        def _retire(key: Any) -> Any:
            nonlocal found
            if key.kid != kid:
                return key
            found = True
            return key if key.retired else attrs.evolve(key, retired_at=now)

        ring = Keyring(
            tuple(_retire(k) for k in self.link_keys),
            tuple(_retire(k) for k in self.access_keys),
        )
        if not found:
            raise KeyError(kid)
        return ring

    def public(self) -> Keyring:
        """The station's keyring: access public keys only (no HMAC secrets, no private keys)."""
        return Keyring((), tuple(key.public() for key in self.access_keys))

    # -- reading --

    @property
    def is_public(self) -> bool:
        """True when the keyring holds no secret material at all."""
        return not self.link_keys and all(k.private_key is None for k in self.access_keys)

    @property
    def signing_link_key(self) -> HmacKey | None:
        """The key that signs new link tokens (``None``: there is none)."""
        return self._link_signer

    @property
    def signing_access_key(self) -> Ed25519Key | None:
        """The key that signs new access codes (``None``: e.g. a station's keyring)."""
        return self._access_signer

    @property
    def stamp(self) -> str:
        """A short fingerprint of which keys exist and which are retired (no secret in it).

        Any rotation or retirement changes it. Storage keeps it beside the
        keyring, so a running service compares its cached keyring's stamp with
        the stored one — one small read, no decryption — and reloads when they
        differ (see ``docs/tokens.md``, "Key changes reach every process").
        """
        return self._stamp

    # -- storage --

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, secrets in base64: for a secret store, never a log."""
        return {
            "format": "siapkerja.keyring/1",
            "link": [
                {
                    "kid": k.kid,
                    "secret": _b64(k.secret),
                    "created_at": k.created_at.isoformat(),
                    "retired_at": _iso(k.retired_at),
                }
                for k in self.link_keys
            ],
            "access": [
                {
                    "kid": k.kid,
                    "public_key": _b64(k.public_key),
                    **({} if k.private_key is None else {"private_key": _b64(k.private_key)}),
                    "created_at": k.created_at.isoformat(),
                    "retired_at": _iso(k.retired_at),
                }
                for k in self.access_keys
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Keyring:
        """The inverse of :meth:`to_dict`. :raises ConfigurationError: ``config.invalid``."""
        try:
            if data.get("format") != "siapkerja.keyring/1":
                raise ValueError("unknown format (expected siapkerja.keyring/1)")
            link = tuple(
                HmacKey(
                    kid=entry["kid"],
                    secret=base64.b64decode(entry["secret"], validate=True),
                    created_at=datetime.fromisoformat(entry["created_at"]),
                    retired_at=_parse_optional(entry.get("retired_at")),
                )
                for entry in data.get("link", ())
            )
            access = tuple(
                Ed25519Key(
                    kid=entry["kid"],
                    public_key=base64.b64decode(entry["public_key"], validate=True),
                    private_key=_decode_optional(entry.get("private_key")),
                    created_at=datetime.fromisoformat(entry["created_at"]),
                    retired_at=_parse_optional(entry.get("retired_at")),
                )
                for entry in data.get("access", ())
            )
            return cls(link, access)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ConfigurationError("invalid", name="tokens.keyring", reason=_why(error)) from None

    def public_jwks(self) -> dict[str, Any]:
        """The active access public keys as a JWK Set (RFC 7517/8037) for stations.

        Each key: ``kty`` OKP, ``crv`` Ed25519, ``x`` (base64url), ``kid``,
        ``alg`` EdDSA, ``use`` sig and ``iat`` (the key's creation, Unix
        seconds). Retired keys are left out, so a station that reloads the set
        stops trusting them.
        """
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": k.kid,
                    "x": base64.urlsafe_b64encode(k.public_key).decode("ascii").rstrip("="),
                    "iat": int(k.created_at.timestamp()),
                }
                for k in self.access_keys
                if not k.retired
            ]
        }

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> Keyring:
        """A public keyring from :meth:`public_jwks`. :raises ConfigurationError: invalid."""
        try:
            keys = []
            for jwk in jwks["keys"]:
                if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                    raise ValueError("only OKP/Ed25519 keys are supported")
                x = jwk["x"]
                keys.append(
                    Ed25519Key(
                        kid=jwk["kid"],
                        public_key=base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)),
                        created_at=datetime.fromtimestamp(int(jwk.get("iat", 0)), UTC),
                    )
                )
            return cls((), tuple(keys))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ConfigurationError("invalid", name="tokens.jwks", reason=_why(error)) from None


def _why(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error) or type(error).__name__


def _parse_optional(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _decode_optional(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


# --- claims ------------------------------------------------------------------------


@frozen
class LinkClaims:
    """What a verified link token says: which card, which version, signed by which key."""

    card_ref: int
    version: int
    kid: str


@frozen
class AccessClaims:
    """What a verified access code says. ``purpose_tag`` is :func:`purpose_tag` of the purpose."""

    card_ref: int
    purpose_tag: str
    step: int
    kid: str

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
    if type(token) is not str or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
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
    if type(token) is not str or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
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
) -> str:
    """The access code of card ``card_ref`` for ``purpose`` in the ``period`` containing ``now``.

    :raises TokenError: ``no_key`` if the keyring holds no active private access key.
    """
    key = keyring._access_signer
    if key is None or key.private_key is None:
        raise TokenError("no_key", kind="access")
    _check_range("card_ref", card_ref, _MAX_CARD_REF)
    step = _step(now, period)
    _check_range("step", step, _MAX_STEP)
    body = b"A-%s-%s-%s-%s" % (
        key.kid.encode("ascii"),
        _symbols(card_ref, 13),
        purpose_tag(purpose).encode("ascii"),
        _short_symbols(step),
    )
    signature = ACCESS_ALGORITHM.get_signature(key.private_key, body)
    return (body + b"-" + _encode_bytes(signature)).decode("ascii")


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
    old one. Checks run in this order: format, mode, key and signature,
    purpose, time.

    :raises TokenError: ``malformed``, ``wrong_mode`` (a link token),
        ``forged``, ``wrong_purpose``, ``expired``.
    """
    current = _step(now, period)
    raw = _ascii_upper(token)
    if raw is None or _access_match(raw) is None:
        raise _refuse(raw, "access")
    public = keyring._access_verifiers.get(raw[2:6])
    end = len(raw) - 104  # the "-" before the 103-symbol signature
    digits = raw.translate(_TO_HEX)
    # 103 symbols carry 515 bits: the signature, then three zero bits.
    signature = (int(digits[end + 1 :], 32) >> 3).to_bytes(_ACCESS_SIG_BYTES, "big")
    if public is None or not ACCESS_ALGORITHM.verify_signature(public, raw[:end], signature):
        raise TokenError("forged")
    tag = raw[21:29].decode("ascii")
    if not hmac.compare_digest(tag, purpose_tag(purpose)):
        raise TokenError("wrong_purpose")
    step = int(digits[30:end], 32)
    if abs(step - current) > leeway_steps:
        raise TokenError("expired")
    return AccessClaims(int(digits[7:20], 32), tag, step, raw[2:6].decode("ascii"))
