"""The card status list: which cards are revoked or suspended, for stations that work offline.

The format is the IETF Token Status List (draft-ietf-oauth-status-list, JWT
form): one entry of :data:`STATUS_BITS` bits per card, packed
least-significant bits first into a byte array, compressed with DEFLATE in
the ZLIB format and written base64url without padding (``lst``), inside a
JWT of type ``statuslist+jwt`` whose claims are ``sub`` (the list's URI),
``iat``, ``exp``, ``ttl`` and ``status_list`` (``{"bits": 2, "lst": …}``).

The JWT is a compact JWS signed with the service's access-code key (Ed25519,
``alg`` ``EdDSA``, ``kid`` the key id), so a station that already holds the
public keys for access codes (``Keyring.public_jwks``) verifies the list with
no other secret or key. The JWS is written here with ``cryptography`` directly:
it is four base64url strings and one signature, and no JOSE library is a
dependency of the core.

Entry values (the draft's registry): ``0`` valid, ``1`` invalid (the card is
revoked), ``2`` suspended. A list has at least :data:`MIN_STATUS_LIST_SIZE`
entries (131,072, as W3C's Bitstring Status List asks for herd privacy) and
always a power of two; each card holds a random index, so fetching the list
or reading an index says nothing about who is checked.

Pure: no I/O; time is passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from attrs import field, frozen
from cryptography.exceptions import InvalidSignature

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import timed
from siapkerja_core.tokens.base import TokenError
from siapkerja_core.tokens.jws import sign_jws
from siapkerja_core.tokens.keyring import Keyring
from siapkerja_core.tokens.signing import _public_key

__all__ = [
    "MIN_STATUS_LIST_SIZE",
    "STATUS_BITS",
    "STATUS_INVALID",
    "STATUS_LIST_MEDIA_TYPE",
    "STATUS_LIST_TYPE",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "StatusList",
    "StatusListError",
    "StatusListToken",
    "sign_status_list",
    "status_list_size",
    "verify_status_list",
]

STATUS_VALID: Final = 0
STATUS_INVALID: Final = 1
"""The card is revoked (the draft's ``INVALID``)."""
STATUS_SUSPENDED: Final = 2
STATUS_BITS: Final = 2
"""Bits per entry: valid, revoked and suspended need two."""
MIN_STATUS_LIST_SIZE: Final = 2**17
"""131,072 entries: the smallest list, so that one card is one among many."""
_MAX_ENTRIES: Final = 2**30  # an access code's index has six base32 symbols
_MAX_JWT_LENGTH: Final = 8 * 2**20  # far above any real list (2**30 zero entries: ~350 KB)
STATUS_LIST_TYPE: Final = "statuslist+jwt"
"""The JWT ``typ`` header of a status list token."""
STATUS_LIST_MEDIA_TYPE: Final = "application/statuslist+jwt"
"""The media type a status list token is served with."""


class StatusListError(SiapkerjaError, ValueError):
    """A status list token was refused.

    ``malformed``: not a compact JWS of type ``statuslist+jwt`` with the
    claims of a status list (``reason`` says which part); ``forged``: the
    signature does not verify, or its key is unknown or retired; ``expired``:
    past its ``exp``, or issued in the future (``exp``, ``iat``: ISO 8601).
    """

    domain = "status_list"
    codes: ClassVar[frozenset[str]] = frozenset({"malformed", "forged", "expired"})


def status_list_size(cards: int, highest_index: int = 0) -> int:
    """The entries a list needs for ``cards`` cards: a power of two, at least twice as many.

    Twice as many, so that a random draw for a new card's index hits a free
    one at least every other time; never fewer than
    :data:`MIN_STATUS_LIST_SIZE`, and always above ``highest_index``.
    """
    need = max(MIN_STATUS_LIST_SIZE, 2 * cards, highest_index + 1)
    return 1 << (need - 1).bit_length()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise StatusListError("malformed", reason=what)
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise StatusListError("malformed", reason=what) from None
    # One spelling per value: spare low bits set, or stray characters, would let
    # an altered text verify.
    if _b64(data) != text:
        raise StatusListError("malformed", reason=what)
    return data


@frozen
class StatusList:
    """A status list: ``bits`` per entry over the packed byte array ``data``.

    Entry ``i`` sits in byte ``i * bits // 8`` at bit offset ``i * bits % 8``
    (least significant first), as the draft lays it out.
    """

    bits: int
    data: bytes = field(repr=False)

    def __attrs_post_init__(self) -> None:
        if self.bits not in (1, 2, 4, 8):
            raise ValueError("bits is 1, 2, 4 or 8")

    @classmethod
    def build(
        cls, size: int, entries: Iterable[tuple[int, int]], bits: int = STATUS_BITS
    ) -> StatusList:
        """A list of ``size`` entries, all valid but ``entries`` (``(index, status)`` pairs).

        :raises ValueError: an index outside the list or a status that does not fit.
        """
        data = bytearray(size * bits // 8)
        per_byte, top = 8 // bits, (1 << bits) - 1
        for index, status in entries:
            if not 0 <= index < size or not 0 <= status <= top:
                raise ValueError(f"entry {index}={status} does not fit a list of {size}")
            byte, slot = divmod(index, per_byte)
            shift = slot * bits
            data[byte] = (data[byte] & ~(top << shift)) | (status << shift)
        return cls(bits, bytes(data))

    @property
    def size(self) -> int:
        """How many entries the list holds."""
        return len(self.data) * 8 // self.bits

    def status(self, index: int) -> int:
        """The status of entry ``index``. :raises IndexError: outside the list."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        byte, slot = divmod(index, 8 // self.bits)
        return (self.data[byte] >> (slot * self.bits)) & ((1 << self.bits) - 1)

    def count(self, status: int) -> int:
        """How many entries have ``status`` (for reports: the CLI's revoked count)."""
        nonzero = [self.status(index) for index in self.set_indexes()]
        return self.size - len(nonzero) if status == 0 else nonzero.count(status)

    def set_indexes(self) -> Iterable[int]:
        """The indexes whose status is not ``0``, in order (skips zero bytes fast)."""
        per_byte = 8 // self.bits
        top = (1 << self.bits) - 1
        for byte, value in enumerate(self.data):
            if value:
                for slot in range(per_byte):
                    if (value >> (slot * self.bits)) & top:
                        yield byte * per_byte + slot

    def to_claim(self) -> dict[str, Any]:
        """The ``status_list`` claim: ``{"bits": …, "lst": base64url(zlib(data))}``."""
        return {"bits": self.bits, "lst": _b64(zlib.compress(self.data, 9))}

    @classmethod
    def from_claim(cls, claim: object) -> StatusList:
        """The inverse of :meth:`to_claim`. :raises StatusListError: ``malformed``."""
        if not isinstance(claim, Mapping):
            raise StatusListError("malformed", reason="status_list")
        bits = claim.get("bits")
        if type(bits) is not int or bits not in (1, 2, 4, 8):
            raise StatusListError("malformed", reason="status_list.bits")
        packed = _unb64(claim.get("lst"), "status_list.lst")  # type: ignore[arg-type]
        # Bounded: a small forged-looking "lst" must not inflate into gigabytes.
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(packed, _MAX_ENTRIES * bits // 8 + 1)
        except zlib.error:
            raise StatusListError("malformed", reason="status_list.lst") from None
        if not inflater.eof or inflater.unconsumed_tail or len(data) > _MAX_ENTRIES * bits // 8:
            raise StatusListError("malformed", reason="status_list.lst")
        return cls(bits, data)


@frozen
class StatusListToken:
    """A verified status list token: its claims, the key that signed it and the list."""

    sub: str
    iat: datetime
    exp: datetime
    ttl: int
    kid: str
    status_list: StatusList
    token: str = field(repr=False)

    @property
    def max_age(self) -> int:
        """Seconds after ``iat`` the list may be relied on (its ``ttl``)."""
        return self.ttl


def sign_status_list(
    keyring: Keyring,
    status_list: StatusList,
    *,
    sub: str,
    iat: datetime,
    ttl: int,
    exp: datetime | None = None,
) -> str:
    """The status list as a signed JWT (compact JWS, EdDSA) by the newest access key.

    ``exp`` defaults to ``iat + ttl``: a list nobody re-fetched within its
    time to live is no longer relied on.

    :raises TokenError: ``no_key`` when the keyring cannot sign access codes.
    """
    key = keyring.signing_access_key
    if key is None or key.private_key is None:
        raise TokenError("no_key", kind="access")
    issued = int(iat.timestamp())
    claims = {
        "sub": sub,
        "iat": issued,
        "exp": issued + ttl if exp is None else int(exp.timestamp()),
        "ttl": ttl,
        "status_list": status_list.to_claim(),
    }
    return sign_jws("EdDSA", key.kid, key.private_key, claims, typ=STATUS_LIST_TYPE)


def _object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64(segment, what))
    except (UnicodeDecodeError, ValueError) as error:
        if isinstance(error, StatusListError):
            raise
        raise StatusListError("malformed", reason=what) from None
    if not isinstance(value, dict):
        raise StatusListError("malformed", reason=what)
    return value


def _seconds(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    if type(value) is not int or value < 0:
        raise StatusListError("malformed", reason=name)
    return value


def verify_status_list(
    keyring: Keyring, token: str, now: datetime, *, leeway: int = 60
) -> StatusListToken:
    """A genuine, unexpired status list token, checked with the (public) access keys.

    Checks, in order: the compact form, the header (``typ``
    ``statuslist+jwt``, ``alg`` ``EdDSA``, a ``kid``), the signature by that
    key, the claims (``sub``, ``iat``, ``exp``, ``ttl``, ``status_list``), and
    time: ``iat`` no later than ``now`` plus ``leeway`` seconds (clocks
    differ), ``exp`` after ``now``.

    :raises StatusListError: ``malformed``, ``forged``, ``expired``.
    """
    if not isinstance(token, str) or len(token) > _MAX_JWT_LENGTH or not token.isascii():
        raise StatusListError("malformed", reason="token")
    parts = token.split(".")
    if len(parts) != 3:
        raise StatusListError("malformed", reason="token")
    header = _object(parts[0], "header")
    if header.get("typ") != STATUS_LIST_TYPE:
        raise StatusListError("malformed", reason="typ")
    if header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
        raise StatusListError("malformed", reason="alg")
    signature = _unb64(parts[2], "signature")
    public = keyring._access_verifiers.get(header["kid"].encode("ascii", "replace"))
    if public is None or len(signature) != 64:
        raise StatusListError("forged")
    try:
        _public_key(public).verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise StatusListError("forged") from None
    claims = _object(parts[1], "payload")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise StatusListError("malformed", reason="sub")
    iat, exp, ttl = (_seconds(claims, name) for name in ("iat", "exp", "ttl"))
    status_list = StatusList.from_claim(claims.get("status_list"))
    issued, expires = datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
    moment = now.timestamp()
    if iat > moment + leeway or exp <= moment:
        raise StatusListError("expired", **timed("iat", issued), **timed("exp", expires))
    return StatusListToken(sub, issued, expires, ttl, header["kid"], status_list, token)
