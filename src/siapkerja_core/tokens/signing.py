"""The itsdangerous signing algorithms: HMAC-SHA-256 cut to 160 bits for link
tokens, Ed25519 (through ``cryptography``) for access codes.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from itsdangerous.signer import HMACAlgorithm, Signer, SigningAlgorithm

from siapkerja_core.tokens.base import _LINK_SIG_BYTES, ACCESS_SALT, LINK_SALT

__all__ = [
    "ACCESS_ALGORITHM",
    "LINK_ALGORITHM",
    "Ed25519Algorithm",
    "TruncatedHMACAlgorithm",
    "link_signer",
]

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
