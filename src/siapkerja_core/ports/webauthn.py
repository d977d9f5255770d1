"""The WebAuthn port: the passkey ceremonies' cryptography, filled by an adapter.

The core keeps the state (which challenge, which credentials, the signature
counter); an adapter (:mod:`siapkerja_adapters.webauthn`, py_webauthn) builds
the options a browser passes to ``navigator.credentials`` and verifies what the
authenticator answered. Every value crossing the port is JSON text or bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from attrs import frozen

__all__ = ["VerifiedCredential", "WebAuthnCeremonies", "WebAuthnRefused"]


class WebAuthnRefused(Exception):
    """The authenticator's answer did not verify (the reason is for logs, not for people)."""


@frozen(kw_only=True)
class VerifiedCredential:
    """A registration that verified: what is stored of the new passkey."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...] = ()


@runtime_checkable
class WebAuthnCeremonies(Protocol):
    def registration_options(
        self,
        *,
        rp_id: str,
        rp_name: str,
        user_id: bytes,
        user_name: str,
        user_display_name: str,
        challenge: bytes,
        exclude: Sequence[bytes],
    ) -> str:
        """The ``PublicKeyCredentialCreationOptions`` as JSON (binary values base64url)."""
        ...

    def verify_registration(
        self, *, credential: str, challenge: bytes, rp_id: str, origin: str
    ) -> VerifiedCredential:
        """Verify the browser's ``create()`` answer (JSON). :raises WebAuthnRefused:"""
        ...

    def authentication_options(
        self, *, rp_id: str, challenge: bytes, allow: Sequence[bytes]
    ) -> str:
        """The ``PublicKeyCredentialRequestOptions`` as JSON."""
        ...

    def credential_id(self, credential: str) -> bytes:
        """The raw credential id a ``get()`` answer (JSON) names. :raises WebAuthnRefused:"""
        ...

    def verify_authentication(
        self,
        *,
        credential: str,
        challenge: bytes,
        rp_id: str,
        origin: str,
        public_key: bytes,
        sign_count: int,
    ) -> int:
        """Verify a ``get()`` answer; the authenticator's new signature counter.

        Refuses a counter that did not grow when either value is non-zero (a
        cloned authenticator). :raises WebAuthnRefused:
        """
        ...
