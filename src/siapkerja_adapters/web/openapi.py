"""The OpenAPI 3.1 document of the JSON API, written by hand, and the request bodies' fields.

This module owns the API's contract: :func:`openapi_document` returns the
document served at ``/v1/openapi.json``, and :data:`BODIES` describes each
request body's fields. :mod:`siapkerja_adapters.web.api` validates requests
with the same :data:`BODIES`, so the document and the checks cannot drift
apart. The shapes of the responses are those :mod:`~siapkerja_adapters.web.api`
writes; ``tests/integration/test_web_api.py`` validates them against the
schemas here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from attrs import frozen

from siapkerja_core.disclosure import SCOPES
from siapkerja_core.profile import (
    EducationLevel,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Section,
    Sex,
    Stakeholder,
)
from siapkerja_core.service import Siapkerja

from .problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, STATUSES

__all__ = [
    "BODIES",
    "MAX_BODY_BYTES",
    "MAX_PARAMETER_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MAX_TOKEN_LENGTH",
    "ListField",
    "TextField",
    "openapi_document",
]

MAX_BODY_BYTES: Final = 4 * 1024 * 1024
"""The largest request body accepted (a 2 MiB photo is about 2.8 MB in base64)."""
MAX_PARAMETER_LENGTH: Final = 128
"""The longest id in a path (registration, reset request, consent)."""
MAX_TOKEN_LENGTH: Final = 512
MAX_PURPOSE_LENGTH: Final = 200


@frozen
class TextField:
    """A string member of a request body."""

    name: str
    max_length: int
    description: str
    example: str
    required: bool = True
    secret: bool = False
    """Write-only (a password, a code): never echoed, in a response or a problem."""


@frozen
class ListField:
    """An optional list of strings (``null`` or absent: no restriction)."""

    name: str
    max_items: int
    item_max_length: int
    description: str
    example: tuple[str, ...]
    enum: tuple[str, ...] | None = None


Field = TextField | ListField

_NIK_EXAMPLE: Final = "3173071203940042"
_SCOPE_FIELDS: Final = tuple(
    sorted({*(s.value for s in Section), "nik", "nik_masked"}, key=lambda f: (len(f), f))
)

BODIES: Final[Mapping[str, tuple[Field, ...]]] = MappingProxyType(
    {
        "Register": (
            TextField("nik", 64, "Nomor Induk Kependudukan (No. KTP): 16 digits.", _NIK_EXAMPLE),
            TextField("full_name", 200, "Nama lengkap, as on the KTP.", "Galih Agan Pambayun"),
            TextField(
                "mother_name", 200, "Nama ibu kandung (mother's maiden name).", "Sri Wahyuni"
            ),
        ),
        "SubmitContact": (
            TextField("email", 320, "Alamat Email.", "galih.pambayun@example.com"),
            TextField(
                "phone", 64, "Nomor Handphone (an Indonesian mobile number).", "081234567890"
            ),
            TextField("password", 1024, "Password.", "Kuda-Lari-Kencang-7", secret=True),
        ),
        "ChangePhone": (
            TextField(
                "phone", 64, "The new mobile number; a new code is sent to it.", "081298765432"
            ),
        ),
        "ConfirmOtp": (TextField("code", 32, "The code from the SMS.", "123456", secret=True),),
        "Login": (
            TextField("identifier", 320, "NIK, e-mail address or mobile number.", "081234567890"),
            TextField("password", 1024, "Password.", "Kuda-Lari-Kencang-7", secret=True),
        ),
        "PasswordResetRequest": (
            TextField("identifier", 320, "NIK, e-mail address or mobile number.", "081234567890"),
        ),
        "PasswordResetConfirm": (
            TextField("code", 32, "The code from the SMS.", "123456", secret=True),
            TextField(
                "new_password", 1024, "The new password.", "Perahu-Layar-Biru-42", secret=True
            ),
        ),
        "GrantConsent": (
            TextField("verifier_id", MAX_PARAMETER_LENGTH, "The verifier's id.", "9f3c2a…"),
            TextField(
                "purpose",
                MAX_PURPOSE_LENGTH,
                "What the verifier may see the profile for.",
                "rekrutmen-2026",
            ),
            ListField(
                "fields",
                len(_SCOPE_FIELDS),
                32,
                "Fewer fields than the verifier's scope allows; absent or null: all of them.",
                ("skills", "education", "contact"),
                enum=_SCOPE_FIELDS,
            ),
        ),
        "CheckIn": (
            TextField(
                "token", MAX_TOKEN_LENGTH, "The access code read from the holder's QR.", "A-…"
            ),
            TextField("event_id", MAX_PURPOSE_LENGTH, "The event checked in at.", "jobfair-2026"),
            TextField(
                "station_id",
                100,
                'The scanning station (default "api").',
                "gate-1",
                required=False,
            ),
        ),
    }
)
"""Each request body's fields; the API refuses anything else with ``request.invalid_body``."""


# --------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Mapping[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"oneOf": [dict(schema), {"type": "null"}]}
    result = dict(schema)
    kind = result["type"]
    result["type"] = [kind, "null"] if isinstance(kind, str) else [*kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def _text(max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _object(
    properties: Mapping[str, Any],
    *,
    required: tuple[str, ...] | None = None,
    description: str | None = None,
    closed: bool = True,
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties) if required is None else list(required),
    }
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [member.value for member in values]}


_DATETIME: Final = {"type": "string", "format": "date-time"}
_DATE: Final = {"type": "string", "format": "date"}
_MONTH: Final = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "examples": ["2021-06"]}
_YEAR: Final = {"type": "integer", "minimum": 1900, "maximum": 2100}


def _body_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    example: dict[str, Any] = {}
    for field in fields:
        if isinstance(field, TextField):
            schema = _text(field.max_length, description=field.description)
            if field.secret:
                schema["writeOnly"] = True
            if field.required:
                required.append(field.name)
            else:
                schema = _nullable(schema)
            example[field.name] = field.example
        else:
            item = _text(field.item_max_length)
            if field.enum is not None:
                item["enum"] = list(field.enum)
            schema = _nullable({"type": "array", "items": item, "maxItems": field.max_items})
            schema["description"] = field.description
            example[field.name] = list(field.example)
        properties[field.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "examples": [example],
    }


# --------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------


def _profile_schemas() -> dict[str, Any]:
    sections = _enum(Section)
    biodata = {
        "birth_place": _nullable(_text(100)),
        "birth_date": _nullable(_DATE),
        "sex": _nullable(_enum(Sex)),
        "marital_status": _nullable(_enum(MaritalStatus)),
        "religion": _nullable(_enum(Religion)),
        "headline": _nullable(_text(100, examples=["IT Professional"])),
    }
    contact = {"email": _nullable(_text(320)), "phone": _nullable(_text(64))}
    address = {
        "village_code": _text(
            32, description="A Kemendagri village (desa/kelurahan) code.", examples=["3173071001"]
        ),
        "street": _nullable(_text(200)),
        "rt": _nullable(_text(3, examples=["005"])),
        "rw": _nullable(_text(3, examples=["003"])),
        "postal_code": _nullable(_text(5, examples=["11480"])),
    }
    skill = {"name": _text(60, examples=["PHP"])}
    language = {"name": _text(60, examples=["English"]), "level": _enum(LanguageLevel)}
    work = {
        "title": _text(100),
        "company": _text(100),
        "start": _MONTH,
        "end": _nullable(_MONTH),
        "location": _nullable(_text(100)),
        "description": _nullable(_text(2000)),
    }
    education = {
        "institution": _text(150),
        "level": _enum(EducationLevel),
        "major": _nullable(_text(100)),
        "start_year": _YEAR,
        "end_year": _nullable(_YEAR),
        "gpa": _nullable({"type": "number", "minimum": 0, "maximum": 4}),
    }
    certificate = {
        "name": _text(200),
        "issuer": _text(150),
        "valid_from": _MONTH,
        "valid_until": _nullable(_MONTH),
        "score": _nullable(_text(20)),
    }
    achievement = {
        "title": _text(200),
        "organiser": _text(150),
        "date": _MONTH,
        "description": _nullable(_text(2000)),
    }
    photo = {
        "content": _text(
            description="The image bytes, standard base64 (100 bytes to 2 MiB).",
            contentEncoding="base64",
        ),
        "media_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp"]},
    }
    visibility = {"published": {"type": "array", "items": sections, "uniqueItems": True}}

    def listed(name: str, limit: int) -> dict[str, Any]:
        return {"type": "array", "items": _ref(name), "maxItems": limit}

    profile = {
        "full_name": _text(100, description="The Dukcapil-verified name (not editable here)."),
        "stakeholder": _enum(Stakeholder),
        "biodata": _ref("Biodata"),
        "contact": _ref("Contact"),
        "ktp_address": _nullable(_ref("Address")),
        "domicile_address": _nullable(_ref("Address")),
        "skills": listed("Skill", 50),
        "languages": listed("Language", 20),
        "work": listed("WorkExperience", 50),
        "education": listed("Education", 20),
        "certificates": listed("Certificate", 50),
        "achievements": listed("Achievement", 50),
        "photo": _nullable(_ref("Photo")),
        "visibility": _ref("Visibility"),
    }
    patch = {
        "stakeholder": _enum(Stakeholder),
        "biodata": _object(biodata, required=()),
        "contact": _object(contact, required=()),
        "ktp_address": _nullable(_object(address, required=())),
        "domicile_address": _nullable(_object(address, required=())),
        "skills": {
            "type": "array",
            "items": {"oneOf": [_text(60), _ref("Skill")]},
            "maxItems": 50,
        },
        "languages": listed("Language", 20),
        "work": listed("WorkExperience", 50),
        "education": listed("Education", 20),
        "certificates": listed("Certificate", 50),
        "achievements": listed("Achievement", 50),
        "photo": _nullable(_object(photo, required=("content",))),
        "visibility": _object(visibility, required=()),
    }
    return {
        "Biodata": _object(biodata),
        "Contact": _object(contact),
        "Address": _object(address),
        "Skill": _object(skill),
        "Language": _object(language),
        "WorkExperience": _object(work, required=("title", "company", "start")),
        "Education": _object(education, required=("institution", "level", "start_year")),
        "Certificate": _object(certificate, required=("name", "issuer", "valid_from")),
        "Achievement": _object(achievement, required=("title", "organiser", "date")),
        "Photo": _object(photo, required=("content",)),
        "Visibility": _object(visibility, required=()),
        "Profile": _object(
            profile,
            description="The labour profile (docs/profile.md). Every member is written.",
        ),
        "ProfilePatch": _object(
            patch,
            required=(),
            description=(
                "The sections to change. A mapping for biodata, contact, an address or"
                " visibility changes only the keys it names; lists and the photo are"
                " replaced whole; null clears an optional section."
            ),
        ),
    }


def _result_schemas() -> dict[str, Any]:
    otp = _object(
        {
            "expires_at": _DATETIME,
            "attempts_left": {"type": "integer", "minimum": 0},
            "resend_available_at": _DATETIME,
            "sends_left_this_hour": {"type": "integer", "minimum": 0},
            "delivered": {"type": "boolean"},
        },
        description="What the verification screen shows.",
    )
    registration = _object(
        {
            "id": _text(),
            "status": {
                "type": "string",
                "enum": ["verified", "pending_otp", "confirmed", "expired"],
            },
            "full_name": _text(),
            "nik_masked": _text(examples=["3173**********42"]),
            "email_masked": _nullable(_text()),
            "phone_masked": _nullable(_text()),
            "created_at": _DATETIME,
            "expires_at": _DATETIME,
            "otp": _nullable(_ref("OtpState")),
            "sms_failure": _nullable(_text()),
            "account_id": _nullable(_text()),
        },
        description="A registration in progress (contacts masked).",
    )
    account = _object(
        {
            "id": _text(),
            "full_name": _text(),
            "nik_masked": _text(examples=["3173**********42"]),
            "email": _text(),
            "phone": _text(examples=["+6281234567890"]),
            "created_at": _DATETIME,
        },
        description="The signed-in holder's account.",
    )
    session = _object(
        {
            "token": _text(description="The bearer token: send it as Authorization: Bearer …"),
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": _DATETIME,
        }
    )
    signed_in = _object({"account": _ref("Account"), "session": _ref("Session")})
    reset = _object(
        {
            "id": _text(),
            "expires_at": _DATETIME,
            "message_id": _text(),
            "message_en": _text(),
        },
        description="The same answer whether or not the identifier belongs to an account.",
    )
    missing = _object({"key": _text(), "label_id": _text(), "label_en": _text()})
    completeness = _object(
        {
            "stakeholder": _enum(Stakeholder),
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "complete": {"type": "boolean"},
            "missing": {"type": "array", "items": _ref("MissingItem")},
        }
    )
    warning = _object(
        {"code": _text(), "field": _text(), "message_id": _text(), "message_en": _text()}
    )
    warnings = _object({"items": {"type": "array", "items": _ref("ProfileWarning")}})
    card = _object(
        {
            "siapkerja_id": _text(examples=["SK-7KQ4-M2XD-9P7"]),
            "holder_name": _text(),
            "title": _text(),
            "issued_at": _DATE,
            "qr_url": _text(description="What the card's link QR carries."),
            "qr_version": {"type": "integer", "minimum": 0},
            "photo_type": _nullable(_text()),
        },
        description="The SIAPkerja-ID card.",
    )
    card_state = _object(
        {
            "siapkerja_id": _text(),
            "version": {"type": "integer", "minimum": 0},
            "issued_at": _DATETIME,
            "updated_at": _DATETIME,
            "active": {"type": "boolean"},
            "revoked_at": _nullable(_DATETIME),
        },
        description="The card after a rotation or a revocation.",
    )
    card_qr = _object(
        {
            "mode": {"type": "string", "enum": ["link", "access"]},
            "token": _text(),
            "url": _nullable(_text()),
            "purpose": _nullable(_text()),
            "version": _nullable({"type": "integer"}),
            "expires_at": _nullable(_DATETIME),
            "svg": _text(description="The QR code as an SVG document."),
        }
    )
    access = _object(
        {
            "id": _text(),
            "at": _DATETIME,
            "audience": _text(examples=["anonymous", "verifier", "station"]),
            "fields": {"type": "array", "items": _text()},
            "channel": {"type": "string", "enum": ["link", "access"]},
            "purpose": _nullable(_text()),
            "verifier_id": _nullable(_text()),
            "verifier_name": _nullable(_text()),
            "viewer_account_id": _nullable(_text()),
        }
    )
    access_log = _object({"items": {"type": "array", "items": _ref("AccessRecord")}})
    consent = _object(
        {
            "id": _text(),
            "verifier_id": _text(),
            "purpose": _text(),
            "fields": _nullable({"type": "array", "items": _text()}),
            "granted_at": _DATETIME,
            "withdrawn_at": _nullable(_DATETIME),
            "active": {"type": "boolean"},
        }
    )
    consents = _object({"items": {"type": "array", "items": _ref("Consent")}})
    view = _object(
        {
            "siapkerja_id": _text(),
            "full_name": _text(),
            "card_active": {"type": "boolean"},
            "audience": {
                "type": "string",
                "enum": ["anonymous", "account", "verifier", "holder"],
            },
            "disclosed": {"type": "array", "items": _text()},
            "nik": _nullable(_text()),
            "purpose": _nullable(_text()),
            "verifier": _nullable(_text()),
            "consent_required": {"type": "boolean"},
            "data": {
                "type": "object",
                "description": "Each disclosed section's value, in the profile's shape.",
            },
        },
        description="What this audience may see of the scanned profile (docs/disclosure.md).",
    )
    check_in = _object(
        {
            "check_in": _object(
                {
                    "id": _text(),
                    "event_id": _text(),
                    "station_id": _text(),
                    "checked_in_at": _DATETIME,
                }
            ),
            "full_name": _text(),
            "siapkerja_id": _text(),
        }
    )
    jwk = _object(
        {
            "kty": {"type": "string", "enum": ["OKP"]},
            "crv": {"type": "string", "enum": ["Ed25519"]},
            "alg": {"type": "string", "enum": ["EdDSA"]},
            "use": {"type": "string", "enum": ["sig"]},
            "kid": _text(),
            "x": _text(description="The public key, base64url."),
            "iat": {"type": "integer"},
        }
    )
    jwks = _object({"keys": {"type": "array", "items": _ref("Jwk")}})
    return {
        "OtpState": otp,
        "Registration": registration,
        "Account": account,
        "Session": session,
        "SignedIn": signed_in,
        "PasswordResetAccepted": reset,
        "MissingItem": missing,
        "Completeness": completeness,
        "ProfileWarning": warning,
        "ProfileWarnings": warnings,
        "Card": card,
        "CardState": card_state,
        "CardQr": card_qr,
        "AccessRecord": access,
        "AccessLog": access_log,
        "Consent": consent,
        "ConsentList": consents,
        "ProfileView": view,
        "CheckInReceipt": check_in,
        "Jwk": jwk,
        "Jwks": jwks,
    }


_PROBLEM_EXAMPLE: Final = {
    "type": PROBLEM_TYPE_BASE + "otp.cooldown",
    "title": "Wait 42 seconds before asking for a new code.",
    "status": 429,
    "detail": "Tunggu 42 detik sebelum meminta kode baru.",
    "code": "otp.cooldown",
    "message_id": "Tunggu 42 detik sebelum meminta kode baru.",
    "message_en": "Wait 42 seconds before asking for a new code.",
    "params": {"retry_after": 42},
}


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": (
            "An RFC 9457 problem document. `code` is the stable error code (the last part of"
            " `type`); `detail` is in the language asked for with Accept-Language (Indonesian"
            " by default); `message_id` and `message_en` are always both present."
        ),
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {
                "type": "string",
                "pattern": "^[a-z_]+\\.[a-z_]+$",
                "description": (
                    "The stable error code; `x-statuses` lists every code the library"
                    " raises with its HTTP status (a plug-in's codes may add to it)."
                ),
                "x-statuses": dict(sorted(STATUSES.items())),
            },
            "message_id": {"type": "string"},
            "message_en": {"type": "string"},
            "params": {
                "type": "object",
                "description": (
                    "The values the message was rendered with (never a secret), e.g."
                    " `field`, `retry_after`, `attempts_left`, `missing`, `errors`."
                ),
            },
        },
        "required": [
            "type",
            "title",
            "status",
            "detail",
            "code",
            "message_id",
            "message_en",
            "params",
        ],
        "examples": [_PROBLEM_EXAMPLE],
    }


_RETRY_AFTER_HEADER: Final = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
_PROBLEM_RESPONSES: Final = {
    "400": ("BadRequest", "A malformed token or request (`token.malformed`, `reset.invalid` …)."),
    "401": ("Unauthorized", "No valid session (`request.authentication_required` …)."),
    "403": ("Forbidden", "A forged token or an unknown verifier."),
    "404": ("NotFound", "The registration, card, consent or endpoint does not exist."),
    "405": ("MethodNotAllowed", "The endpoint does not take this method."),
    "409": ("Conflict", "A conflict with the current state (`registration.already_registered` …)."),
    "410": ("Gone", "Expired or revoked (`otp.expired`, `token.revoked` …)."),
    "413": ("PayloadTooLarge", "The body is larger than the API accepts."),
    "422": ("Unprocessable", "A field does not pass the rules; `params.field` names it."),
    "429": ("TooManyRequests", "Throttled: `Retry-After` says for how long."),
    "500": ("InternalError", "A server fault (`server.internal`); nothing of it is shown."),
    "503": ("Unavailable", "Dukcapil, the SMS gateway or storage is down: retry later."),
}


def _problem_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (name, description) in _PROBLEM_RESPONSES.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}},
        }
        if status in ("429", "503"):
            response["headers"] = {"Retry-After": copy.deepcopy(_RETRY_AFTER_HEADER)}
        if status == "401":
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The Bearer challenge.",
                    "schema": {"type": "string"},
                }
            }
        responses[name] = response
    return responses


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------

_COMMON_ERRORS: Final = ("405", "413", "500")
_BEARER: Final[list[dict[str, list[str]]]] = [{"bearerAuth": []}]


def _json(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": dict(schema)}}


def _operation(
    operation_id: str,
    summary: str,
    tag: str,
    *,
    ok: tuple[str, str, str | None],
    errors: tuple[str, ...] = (),
    body: str | None = None,
    body_required: bool = True,
    auth: bool = False,
    parameters: list[dict[str, Any]] | None = None,
    description: str | None = None,
    security: list[dict[str, list[str]]] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    status, ok_description, schema_name = ok
    success: dict[str, Any] = {"description": ok_description}
    if schema_name is not None:
        success["content"] = _json(_ref(schema_name))
    if headers:
        success["headers"] = dict(headers)
    responses: dict[str, Any] = {status: success}
    wanted = set(errors) | set(_COMMON_ERRORS)
    if auth:
        wanted.add("401")
    if body is not None or parameters:
        wanted.add("422")
    for code in sorted(wanted):
        responses[code] = {"$ref": f"#/components/responses/{_PROBLEM_RESPONSES[code][0]}"}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "parameters": [{"$ref": "#/components/parameters/AcceptLanguage"}, *(parameters or [])],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": _json(_ref(body)),
        }
    if security is not None:
        operation["security"] = security
    elif auth:
        operation["security"] = _BEARER
    return operation


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PARAMETER_LENGTH},
    }


_REGISTRATION_ID: Final = _path_id("registration_id", "The registration's id.")
_LOCATION: Final = {"Location": {"description": "The new resource.", "schema": {"type": "string"}}}


def _paths() -> dict[str, Any]:
    purpose_query = {
        "name": "purpose",
        "in": "query",
        "required": False,
        "description": "The purpose of the access (a verifier must state one).",
        "schema": {"type": "string", "maxLength": MAX_PURPOSE_LENGTH},
    }
    registration_ops = {
        "/v1/registrations": {
            "post": _operation(
                "register",
                "Step 1: verify NIK, full name and mother's name with Dukcapil",
                "registration",
                ok=("201", "The verified registration.", "Registration"),
                errors=("404", "409", "429", "503"),
                body="Register",
                headers=_LOCATION,
            )
        },
        "/v1/registrations/{registration_id}": {
            "get": _operation(
                "get_registration",
                "The current state of a registration",
                "registration",
                ok=("200", "The registration.", "Registration"),
                errors=("404",),
                parameters=[_REGISTRATION_ID],
            )
        },
        "/v1/registrations/{registration_id}/contact": {
            "post": _operation(
                "submit_contact",
                "Step 2: e-mail, mobile number and password; sends the SMS code",
                "registration",
                ok=("200", "The registration, now pending_otp.", "Registration"),
                errors=("404", "409", "410", "429", "503"),
                body="SubmitContact",
                parameters=[_REGISTRATION_ID],
            )
        },
        "/v1/registrations/{registration_id}/otp/resend": {
            "post": _operation(
                "resend_otp",
                "Kirim Ulang: send a new code (the old one dies)",
                "registration",
                ok=("200", "The registration with its new code state.", "Registration"),
                errors=("404", "409", "410", "429", "503"),
                parameters=[_REGISTRATION_ID],
            )
        },
        "/v1/registrations/{registration_id}/phone": {
            "post": _operation(
                "change_phone",
                "Change the mobile number before confirming; a new code goes to it",
                "registration",
                ok=("200", "The registration.", "Registration"),
                errors=("404", "409", "410", "429", "503"),
                body="ChangePhone",
                parameters=[_REGISTRATION_ID],
            )
        },
        "/v1/registrations/{registration_id}/otp/confirm": {
            "post": _operation(
                "confirm_otp",
                "Step 3: the code from the SMS; creates the account, signed in",
                "registration",
                ok=("201", "The new account and its session.", "SignedIn"),
                errors=("404", "409", "410", "429", "503"),
                body="ConfirmOtp",
                parameters=[_REGISTRATION_ID],
            )
        },
    }
    session_ops = {
        "/v1/sessions": {
            "post": _operation(
                "login",
                "Sign in with a NIK, e-mail or phone number and the password",
                "sessions",
                ok=("201", "The account and a new session.", "SignedIn"),
                errors=("401", "429", "503"),
                body="Login",
            )
        },
        "/v1/sessions/current": {
            "delete": _operation(
                "logout",
                "End the session of the bearer token",
                "sessions",
                ok=("204", "Signed out.", None),
                auth=True,
            )
        },
        "/v1/password-resets": {
            "post": _operation(
                "request_password_reset",
                "Kendala Masuk ke Akun? Send a reset code to the account's phone",
                "sessions",
                ok=(
                    "202",
                    "Accepted (the same answer for unknown identifiers).",
                    "PasswordResetAccepted",
                ),
                errors=("429", "503"),
                body="PasswordResetRequest",
            )
        },
        "/v1/password-resets/{request_id}/confirm": {
            "post": _operation(
                "reset_password",
                "Set a new password with the code; every other session ends",
                "sessions",
                ok=("200", "The account, signed in with a new session.", "SignedIn"),
                errors=("400", "503"),
                body="PasswordResetConfirm",
                parameters=[_path_id("request_id", "The reset request's id.")],
            )
        },
    }
    me_ops = {
        "/v1/me": {
            "get": _operation(
                "me",
                "The signed-in account",
                "profile",
                ok=("200", "The account.", "Account"),
                auth=True,
            )
        },
        "/v1/me/profile": {
            "get": _operation(
                "get_profile",
                "The holder's labour profile",
                "profile",
                ok=("200", "The profile.", "Profile"),
                errors=("404",),
                auth=True,
            ),
            "patch": _operation(
                "update_profile",
                "Change sections of the profile",
                "profile",
                ok=("200", "The updated profile.", "Profile"),
                errors=("404",),
                body="ProfilePatch",
                auth=True,
            ),
        },
        "/v1/me/profile/warnings": {
            "get": _operation(
                "profile_warnings",
                "Differences from the NIK (birth date, sex): warnings, never errors",
                "profile",
                ok=("200", "The warnings.", "ProfileWarnings"),
                errors=("404",),
                auth=True,
            )
        },
        "/v1/me/completeness": {
            "get": _operation(
                "completeness",
                "How complete the profile is, and what is missing",
                "profile",
                ok=("200", "The completeness.", "Completeness"),
                errors=("404",),
                auth=True,
            )
        },
        "/v1/me/card": {
            "post": _operation(
                "issue_card",
                "Issue (or re-issue) the SIAPkerja-ID card",
                "card",
                ok=("201", "The card.", "Card"),
                errors=("404", "409", "503"),
                auth=True,
                description="A re-issue bumps the version: every older link QR stops working.",
            ),
            "get": _operation(
                "get_card",
                "The holder's current card",
                "card",
                ok=("200", "The card.", "Card"),
                errors=("404", "410", "422"),
                auth=True,
            ),
            "delete": _operation(
                "revoke_card",
                "Revoke the card: all its tokens are refused until it is issued again",
                "card",
                ok=("200", "The revoked card.", "CardState"),
                errors=("404",),
                auth=True,
            ),
        },
        "/v1/me/card/rotate": {
            "post": _operation(
                "rotate_card",
                "Bump the card's version: every older link QR stops working at once",
                "card",
                ok=("200", "The card's new state.", "CardState"),
                errors=("404",),
                auth=True,
            )
        },
        "/v1/me/card/qr": {
            "get": _operation(
                "card_qr",
                "The card's QR: a long-lived link, or a 30-second access code for a purpose",
                "card",
                ok=("200", "The QR code with its token.", "CardQr"),
                errors=("404", "410"),
                auth=True,
                parameters=[
                    {
                        "name": "mode",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["link", "access"]},
                    },
                    {**purpose_query, "description": "The event an access code is bound to."},
                ],
            )
        },
        "/v1/me/access-log": {
            "get": _operation(
                "access_log",
                "Who saw which fields of the profile, when and for what purpose",
                "consent",
                ok=("200", "The ledger.", "AccessLog"),
                errors=("404",),
                auth=True,
            )
        },
        "/v1/me/consents": {
            "get": _operation(
                "consents",
                "The holder's consents, withdrawn ones included",
                "consent",
                ok=("200", "The consents.", "ConsentList"),
                errors=("404",),
                auth=True,
            ),
            "post": _operation(
                "grant_consent",
                "Let a verifier see its scope's fields for a purpose",
                "consent",
                ok=("201", "The recorded consent.", "Consent"),
                errors=("400", "403", "404"),
                body="GrantConsent",
                auth=True,
            ),
        },
        "/v1/me/consents/{consent_id}": {
            "delete": _operation(
                "withdraw_consent",
                "Withdraw a consent (the record stays, with its end)",
                "consent",
                ok=("200", "The withdrawn consent.", "Consent"),
                errors=("404",),
                auth=True,
                parameters=[_path_id("consent_id", "The consent's id.")],
            )
        },
    }
    scan_ops = {
        "/v1/scan/{token}": {
            "get": _operation(
                "resolve",
                "Open a scanned link QR: what this viewer may see",
                "scan",
                ok=("200", "The view for this audience; the access is logged.", "ProfileView"),
                errors=("400", "401", "403", "410"),
                parameters=[
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "description": "The link token (the last part of the QR's URL).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_LENGTH},
                    },
                    purpose_query,
                ],
                security=[{}, {"bearerAuth": []}, {"verifierKey": []}],
                description=(
                    "Anonymous: the public view. With a bearer session: the holder sees"
                    " everything, another account the public view. With X-Verifier-Key and"
                    " a purpose: what the verifier's scopes and the holder's consent allow"
                    " (the key wins over a bearer token)."
                ),
            )
        },
        "/v1/check-ins": {
            "post": _operation(
                "check_in",
                "Check an access code in at an event (the first per card and event counts)",
                "scan",
                ok=("201", "The recorded check-in.", "CheckInReceipt"),
                errors=("400", "403", "409", "410"),
                body="CheckIn",
            )
        },
        "/v1/station-keys": {
            "get": {
                "operationId": "station_keys",
                "summary": "The public keys offline scanning stations verify access codes with",
                "tags": ["scan"],
                "responses": {
                    "200": {
                        "description": "A JWK Set (RFC 7517, Ed25519 keys per RFC 8037).",
                        "content": {"application/jwk-set+json": {"schema": _ref("Jwks")}},
                    },
                    "500": {"$ref": "#/components/responses/InternalError"},
                },
            }
        },
        "/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["meta"],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    return {**registration_ops, **session_ops, **me_ops, **scan_ops}


def openapi_document(
    svc: Siapkerja | None = None, *, server_url: str | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API.

    :param svc: the service (its settings name the card base URL in the description).
    :param server_url: where the API is mounted (``"/api"``); omitted: the root.
    """
    base_url = None if svc is None else svc.settings.get("card_base_url")
    intro = (
        "The SIAPkerja-ID journey as JSON: registration verified against Dukcapil, the SMS"
        " code, sign-in, the labour profile, the signed QR card, scanning with disclosure"
        " by audience, consent and check-in.\n\nErrors are `application/problem+json`"
        " (RFC 9457) carrying the library's stable error codes; `Accept-Language: en`"
        " gives English, Indonesian is the default."
    )
    if base_url:
        intro += f"\n\nLink QR codes of this deployment point under `{base_url}`."
    schemas: dict[str, Any] = {
        "Problem": _problem_schema(),
        **{name: _body_schema(fields) for name, fields in BODIES.items()},
        **_profile_schemas(),
        **_result_schemas(),
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "SIAPkerja-ID API",
            "version": "1",
            "summary": "Registration, profile and the SIAPkerja-ID card of Kemnaker's SIAPkerja.",
            "description": intro,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [
            {"name": "registration", "description": "Pendaftaran: steps 1 to 3."},
            {"name": "sessions", "description": "Sign-in, sign-out and password recovery."},
            {"name": "profile", "description": "The holder's labour profile."},
            {"name": "card", "description": "The SIAPkerja-ID card and its QR codes."},
            {"name": "consent", "description": "Consents and the access ledger (UU PDP)."},
            {"name": "scan", "description": "Scanning link QRs and checking access codes in."},
            {"name": "meta", "description": "This document."},
        ],
        "paths": _paths(),
        "components": {
            "schemas": schemas,
            "responses": _problem_responses(),
            "parameters": {
                "AcceptLanguage": {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "description": "`id` (default) or `en`: the language of a problem's detail.",
                    "schema": {"type": "string", "examples": ["en", "id"]},
                }
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The session token from POST /v1/sessions (or confirm/reset).",
                },
                "verifierKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Verifier-Key",
                    "description": (
                        "A registered verifier's API key (Karirhub, a BLK, BNSP …). Scopes: "
                        + ", ".join(SCOPES)
                        + "."
                    ),
                },
            },
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
