"""What every operation of the JSON API shares: headers, security schemes, parameters.

This module owns the API's response headers, its tags, the three security
schemes (``Authorization: Bearer <session token>``; ``X-Verifier-Key`` for a
registered verifier reading a scanned card; ``X-Registration-Secret`` for
whoever started a registration), the ``Accept-Language`` parameter, the path
parameters' declarations, :data:`Holder`, the signed-in account a bearer
token stands for, and :data:`RegistrationCaller`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import Depends, Header, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel
from starlette.responses import Response

from siapkerja_core.disclosure import SCOPES
from siapkerja_core.errors import LoginError
from siapkerja_core.views import Account as CoreAccount

from ..problems import RequestError
from . import bodies as b
from .routing import API_CONTEXT

__all__ = [
    "BEARER",
    "JSON_HEADERS",
    "PUBLIC_HEADERS",
    "REGISTRATION_SECRET",
    "TAGS",
    "VERIFIER_KEY",
    "ConsentId",
    "Holder",
    "JwkSetResponse",
    "Purpose",
    "RegistrationCaller",
    "RegistrationId",
    "RequestId",
    "accept_language",
    "bearer_token",
    "json_response",
    "parse_bearer",
    "parse_verifier_key",
    "signed_in_account",
    "verifier_key",
]

JSON_HEADERS: Final[Mapping[str, str]] = {"Cache-Control": "no-store"}
"""Every answer may hold personal data or a token: no cache keeps it."""
PUBLIC_HEADERS: Final[Mapping[str, str]] = {"Cache-Control": "public, max-age=300"}

TAGS: Final = (
    {"name": "registration", "description": "Pendaftaran: steps 1 to 3."},
    {"name": "sessions", "description": "Sign-in, sign-out and password recovery."},
    {"name": "profile", "description": "The holder's labour profile."},
    {"name": "card", "description": "The SIAPkerja-ID card and its QR codes."},
    {"name": "consent", "description": "Consents and the access ledger (UU PDP)."},
    {"name": "scan", "description": "Scanning link QRs and checking access codes in."},
    {"name": "aki", "description": "Use 1: the AK/I (kartu kuning) at a Disnaker kab/kota."},
    {"name": "institutions", "description": "Institutions (verifiers), their keys and the audit."},
    {"name": "sso-clients", "description": "Masuk dengan SIAPkerja: the hubs' sign-on clients."},
    {"name": "events", "description": "Event entry: organisers, their gates, admissions."},
    {"name": "classes", "description": "Classes at BLK, BLKK and LPKS: trainees, attendance."},
    {"name": "programmes", "description": "JKP, BSU, Prakerja …: requirements, eligibility."},
    {"name": "disputes", "description": "NIK disputes and identity re-proofing, officers' side."},
    {"name": "meta", "description": "This document."},
)

BEARER: Final = HTTPBearer(
    scheme_name="bearerAuth",
    description="The session token from POST /v1/sessions (or confirm/reset).",
    auto_error=False,
)
VERIFIER_KEY: Final = APIKeyHeader(
    name="X-Verifier-Key",
    scheme_name="verifierKey",
    description="A registered verifier's API key (Karirhub, a BLK, BNSP …). Scopes: "
    + ", ".join(SCOPES)
    + ".",
    auto_error=False,
)

REGISTRATION_SECRET: Final = APIKeyHeader(
    name="X-Registration-Secret",
    scheme_name="registrationSecret",
    description="The `secret` of the registration, answered once by POST /v1/registrations:"
    " every later call on the registration sends it.",
    auto_error=False,
)


class JwkSetResponse(JSONResponse):
    media_type = "application/jwk-set+json"


def accept_language(
    accept_language: Annotated[
        str | None,
        Header(
            description="`id` (default) or `en`: the language of a problem's detail.",
            examples=["en", "id"],
        ),
    ] = None,
) -> None:
    """Documents the header; the route class reads it (a problem may precede this)."""


def bearer_token(request: Request, _scheme: Annotated[Any, Security(BEARER)] = None) -> str:
    """The request's bearer token, not checked yet.

    :raises RequestError: ``authentication_required`` without ``Authorization``.
    :raises LoginError: ``session_invalid`` for another scheme or an empty token.
    """
    return parse_bearer(request.headers.get("authorization"))


def parse_bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, not checked yet.

    Shared with the host frameworks' integrations (``current_holder``), so a
    header reads the same there as in the API.

    :raises RequestError: ``authentication_required`` for no header.
    :raises LoginError: ``session_invalid`` for another scheme or an empty token.
    """
    header = (header or "").strip()
    if not header:
        raise RequestError("authentication_required")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise LoginError("session_invalid")
    return token


def verifier_key(request: Request) -> str:
    """The request's ``X-Verifier-Key``, not checked yet: every operation an
    institution calls (organiser, class, programme, AK/I officer, prefill, admin)
    reads it here, so a missing key is the same problem everywhere.

    :raises RequestError: ``verifier_key_required`` (401) without the header: it
        names ``X-Verifier-Key``, not the holder's bearer session.
    """
    return parse_verifier_key(request.headers.get("x-verifier-key"))


def parse_verifier_key(header: str | None) -> str:
    """An ``X-Verifier-Key`` header's key, not checked yet (shared with the integrations).

    :raises RequestError: ``verifier_key_required`` for no key.
    """
    key = (header or "").strip()
    if not key:
        raise RequestError("verifier_key_required")
    return key


def json_response(
    model: BaseModel | Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``model`` (a response model, or JSON data) as a JSON answer no cache keeps."""
    content = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    return JSONResponse(content, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def _id(description: str) -> Any:
    return Path(description=description, min_length=1, max_length=b.MAX_PARAMETER_LENGTH)


RegistrationId = Annotated[b.CleanText, _id("The registration's id.")]
RequestId = Annotated[b.CleanText, _id("The reset request's id.")]
ConsentId = Annotated[b.CleanText, _id("The consent's id.")]
Purpose = Annotated[
    b.CleanText | None,
    Query(max_length=b.MAX_PURPOSE_LENGTH, description="The event an access code is bound to."),
]


async def signed_in_account(
    request: Request, token: Annotated[str, Depends(bearer_token)]
) -> CoreAccount:
    """The signed-in account: a 401 problem without a valid session.

    A dependency, so the session is checked before the body is validated: a
    stranger learns nothing of what a body should hold.
    """
    svc, threads = request.scope[API_CONTEXT]
    account: CoreAccount = await threads.run(svc.authenticate, token)
    return account


Holder = Annotated[CoreAccount, Depends(signed_in_account)]
"""A parameter whose value is the signed-in account."""


def registration_caller(
    request: Request,
    registration_id: RegistrationId,
    secret: Annotated[str | None, Security(REGISTRATION_SECRET)] = None,
) -> str:
    """The registration's id, once the caller proved it started it: a 401 problem
    (``registration.secret_required``) otherwise, whether or not the id exists.

    A dependency, checked before the body is validated. The check is one HMAC:
    it runs on the event loop.
    """
    svc, _threads = request.scope[API_CONTEXT]
    svc.check_registration_secret(registration_id, secret)
    return registration_id


RegistrationCaller = Annotated[str, Depends(registration_caller)]
"""The id of a registration whose secret the request carries."""
