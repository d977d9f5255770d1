"""Passkeys through py_webauthn (``webauthn`` on PyPI): the WebAuthn port's adapter.

:class:`PyWebAuthn` fills :class:`~siapkerja_core.ports.webauthn.WebAuthnCeremonies`:
options as the JSON ``navigator.credentials.create/get`` take (after the small
decoding in ``web/static/passkeys.js``), and verification of what the
authenticator answered — the challenge, the relying party id, the origin, the
signature, and the signature counter (py_webauthn refuses a counter that did
not grow when either is non-zero). Attestation is not asked for (``none``):
the service needs proof of possession, not the maker of the device.

The relying party comes from settings: ``rp_id`` is the host of
``public_base_url`` (``siapkerja.kemnaker.go.id``), ``origin`` its scheme and
host (``https://siapkerja.kemnaker.go.id``); see :func:`relying_party`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from siapkerja_core.ports.webauthn import VerifiedCredential, WebAuthnRefused
from siapkerja_core.service import Siapkerja

__all__ = ["PUBLIC_BASE_URL_SETTING", "PyWebAuthn", "configure_passkeys", "relying_party"]

PUBLIC_BASE_URL_SETTING: Final = "public_base_url"
"""The site's public address (``https://siapkerja.kemnaker.go.id``): the relying party."""


def relying_party(public_base_url: str) -> tuple[str, str]:
    """``(rp_id, origin)`` of a site's public base URL (``https://host[:port]/...``)."""
    parts = urlsplit(public_base_url)
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {public_base_url!r}")
    origin = f"{parts.scheme}://{parts.netloc}"
    return parts.hostname, origin


def configure_passkeys(svc: Siapkerja) -> bool:
    """Plug py_webauthn into ``svc.factors`` with the relying party from the settings.

    The site's address is ``public_base_url``, else ``card_base_url``'s origin. Passkeys
    stay off (``False``) without one, when its host is an IP address (WebAuthn's RP id
    is a domain), or without py_webauthn (the ``web`` extra). An embedder that already
    called ``svc.factors.use_webauthn`` keeps its choice.
    """
    if svc.factors.passkeys_available:
        return True
    settings = svc.settings
    url = settings.get(PUBLIC_BASE_URL_SETTING) or settings.get("card_base_url")
    if not url:
        return False
    try:
        rp_id, origin = relying_party(str(url))
        ipaddress.ip_address(rp_id)
    except ValueError:
        pass  # a domain: passkeys can work
    else:
        return False
    try:
        import webauthn  # noqa: F401
    except ImportError:
        return False
    svc.factors.use_webauthn(PyWebAuthn(), rp_id=rp_id, origin=origin)
    return True


class PyWebAuthn:
    """The WebAuthn ceremonies through py_webauthn (imported on first use)."""

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
        import webauthn
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            PublicKeyCredentialDescriptor,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        options = webauthn.generate_registration_options(
            rp_id=rp_id,
            rp_name=rp_name,
            user_id=user_id,
            user_name=user_name,
            user_display_name=user_display_name,
            challenge=challenge,
            exclude_credentials=[PublicKeyCredentialDescriptor(id=raw) for raw in exclude],
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
        )
        return webauthn.options_to_json(options)

    def verify_registration(
        self, *, credential: str, challenge: bytes, rp_id: str, origin: str
    ) -> VerifiedCredential:
        import webauthn
        from webauthn.helpers.exceptions import WebAuthnException

        try:
            verified = webauthn.verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise WebAuthnRefused(str(error)) from None
        transports: tuple[str, ...] = ()
        try:
            import json

            listed = json.loads(credential).get("response", {}).get("transports") or []
            transports = tuple(str(t) for t in listed if isinstance(t, str))[:8]
        except (ValueError, AttributeError):
            pass
        return VerifiedCredential(
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
        )

    def authentication_options(
        self, *, rp_id: str, challenge: bytes, allow: Sequence[bytes]
    ) -> str:
        import webauthn
        from webauthn.helpers.structs import (
            PublicKeyCredentialDescriptor,
            UserVerificationRequirement,
        )

        options = webauthn.generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            allow_credentials=[PublicKeyCredentialDescriptor(id=raw) for raw in allow],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return webauthn.options_to_json(options)

    def credential_id(self, credential: str) -> bytes:
        from webauthn.helpers import parse_authentication_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        try:
            return parse_authentication_credential_json(credential).raw_id
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise WebAuthnRefused(str(error)) from None

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
        import webauthn
        from webauthn.helpers.exceptions import WebAuthnException

        try:
            verified = webauthn.verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=public_key,
                credential_current_sign_count=sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise WebAuthnRefused(str(error)) from None
        return int(verified.new_sign_count)

    def __repr__(self) -> str:
        return "PyWebAuthn()"
