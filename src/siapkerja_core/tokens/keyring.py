"""The keys that sign tokens and the :class:`Keyring` that holds them.

The newest active key of each kind signs and every active key verifies, until
it is retired. Pure: randomness (``token_bytes``) and time (``now``) are injected.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import attrs
from attrs import field, frozen
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.tokens.base import _optional_utc, _symbols, _utc
from siapkerja_core.tokens.signing import _private_key, link_signer

__all__ = ["Ed25519Key", "HmacKey", "KeyKind", "Keyring"]

KeyKind = Literal["link", "access"]
"""A key's kind: ``link`` (HMAC, URL-link tokens) or ``access`` (Ed25519, access codes)."""

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

    def rotate(
        self,
        token_bytes: Callable[[int], bytes],
        now: datetime,
        *,
        kinds: Collection[KeyKind] = ("link", "access"),
    ) -> Keyring:
        """A new newest signing key of each of ``kinds`` (both by default); the older keys
        keep verifying. Retiring one kind's signing key renews that kind only: a new access
        key would make every offline station refuse codes until it reloads the keys."""
        if self.link_keys == () and self.access_keys and self.is_public:
            raise ValueError("a public keyring cannot rotate: rotate the service's keyring")
        taken = set(self._kids())
        link_keys, access_keys = self.link_keys, self.access_keys
        if "link" in kinds:
            link = self._fresh(lambda: HmacKey.from_secret(token_bytes(32), now), taken)
            taken.add(link.kid)
            link_keys = (*link_keys, link)
        if "access" in kinds:
            access = self._fresh(lambda: Ed25519Key.from_private_bytes(token_bytes(32), now), taken)
            access_keys = (*access_keys, access)
        return Keyring(link_keys, access_keys)

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
