"""A software WebAuthn authenticator (ES256, ``none`` attestation) built with ``cryptography``.

:class:`SoftAuthenticator` answers the options of a registration or an
authentication as a browser's ``navigator.credentials.create/get`` would, in the
JSON shape ``web/static/passkeys.js`` sends: client data, authenticator data,
the attested COSE key, and an ECDSA P-256 signature over
``authenticatorData || SHA-256(clientDataJSON)`` (WebAuthn L2 §6.3, §7.2).
``counter`` is the signature counter it reports (set it back to play a clone).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["SoftAuthenticator", "b64url", "challenge_of"]

_UP, _UV, _AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def challenge_of(options: str) -> str:
    """The base64url challenge of an options JSON."""
    return str(json.loads(options)["challenge"])


class SoftAuthenticator:
    """One passkey (one credential) held in memory."""

    def __init__(self, *, origin: str, rp_id: str) -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.counter = 0
        self.user_handle = b""

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def _client_data(self, kind: str, options: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge_of(options),
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def create(self, options: str, *, origin: str | None = None) -> str:
        """The JSON of ``navigator.credentials.create`` for these creation options."""
        parsed = json.loads(options)
        self.user_handle = _unb64(parsed["user"]["id"])
        self.counter += 1
        attested = (
            bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        auth_data = self._auth_data(_UP | _UV | _AT, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, origin)
        answer: dict[str, Any] = {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
        return json.dumps(answer)

    def get(self, options: str, *, origin: str | None = None, count: bool = True) -> str:
        """The JSON of ``navigator.credentials.get`` for these request options."""
        if count:
            self.counter += 1
        auth_data = self._auth_data(_UP | _UV)
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        answer: dict[str, Any] = {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
        return json.dumps(answer)
