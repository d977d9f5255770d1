"""The JSON API's request bodies and limits, declared once as pydantic models.

This module owns what a client may send: FastAPI validates each body
against its model here (strictly: a number is not a string, an unknown
member is refused) and the OpenAPI document's request schemas are derived
from the same models. Limits come from the core where it declares them
(``MAX_PHONE_INPUT``, ``MAX_EMAIL_INPUT``, ``MAX_NAME_LENGTH``, ``SCOPES``,
``Section``) or are derived from its limits; the rest (ids, purposes, station
names) are the API's own caps on what it reads, declared here once. A profile patch is the core's to
validate (it names the path of every bad value), so it is an open object.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

from siapkerja_adapters.web.security import MAX_BODY_BYTES
from siapkerja_core import Section
from siapkerja_core.contact import MAX_EMAIL_INPUT, MAX_PHONE_INPUT
from siapkerja_core.disclosure import MAX_PURPOSE_LENGTH
from siapkerja_core.limits import MAX_OTP_LENGTH
from siapkerja_core.passwords import MAX_PASSWORD_LENGTH
from siapkerja_core.profile import MAX_NAME_LENGTH, MAX_PHOTO_BYTES

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_ITEMS",
    "MAX_JSON_KEY",
    "MAX_JSON_TEXT",
    "MAX_PARAMETER_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MAX_QR_MODE_LENGTH",
    "MAX_TOKEN_LENGTH",
    "NIK_INPUT_PATTERN",
    "REQUEST_MODELS",
    "CleanText",
    "QrMode",
]

# The shape of any JSON body, checked before a model or the core structures it (a
# 400-level nesting once reached cattrs and answered 500): generous for every real
# body — a profile patch nests 4 deep, holds at most a few dozen items per list and
# its longest text is a photo in base64 — and small enough that walking it is cheap.
MAX_JSON_DEPTH: Final = 16
"""The deepest nesting of objects and lists in a body (the top-level object is 1)."""
MAX_JSON_ITEMS: Final = 1000
"""The most members of one object, or items of one list."""
MAX_JSON_KEY: Final = 128
"""The longest member name."""
MAX_JSON_TEXT: Final = 4 * -(-MAX_PHOTO_BYTES // 3)
"""The longest string: a photo at its size limit, in base64."""

MAX_PARAMETER_LENGTH: Final = 128
"""The longest id in a path or body (registration, reset request, consent, verifier)."""
MAX_TOKEN_LENGTH: Final = 512
"""The API's cap on a token it reads: well above the core's ``tokens.MAX_TOKEN_LENGTH``,
so a token too long to be one is the core's to refuse (``token.malformed``)."""
MAX_QR_MODE_LENGTH: Final = 16
# The API's caps on what it reads, derived from the core's limits; the core's own
# rules decide validity below them, with its own bilingual refusals.
# A name as typed may carry titles, extra spaces and punctuation the core's
# matching tidies away: twice the core's limit, so the core says why it refuses.
_MAX_NAME: Final = 2 * MAX_NAME_LENGTH
_MAX_EMAIL: Final = MAX_EMAIL_INPUT  # the core refuses longer input as contact.too_long
# A deployment may raise PasswordPolicy.max_length above its default; the core
# refuses a password over the policy's limit as password.too_long.
_MAX_PASSWORD: Final = 8 * MAX_PASSWORD_LENGTH
# A code as read from the SMS may be typed with a space or dash between digits
# (the core drops them): room for one after each digit.
_MAX_CODE: Final = 3 * MAX_OTP_LENGTH
_MAX_STATION: Final = 100
_MAX_DEVICE_TOKEN: Final = 200  # the core ignores longer ones
_MAX_IDENTIFIER: Final = _MAX_EMAIL  # a NIK, an e-mail address or a phone number


def _clean(value: str) -> str:
    """Refuse text no storage should be given: NUL, or lone surrogates (not UTF-8)."""
    if "\x00" in value or not _encodes(value):
        raise PydanticCustomError("bad_char", "contains NUL or a lone surrogate")
    return value


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


CleanText = Annotated[str, AfterValidator(_clean)]
"""A string without NUL or lone surrogates (path and query parameters)."""


def _qr_mode(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if len(value) > MAX_QR_MODE_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": MAX_QR_MODE_LENGTH},
        )
    return _clean(value)


QrMode = Annotated[str, PlainValidator(_qr_mode, json_schema_input_type=Literal["link", "access"])]
"""A QR mode: documented as its two values; any other short text is the core's to
refuse (``card.mode``, naming it), as the card's own API does."""


def _text(description: str, example: str, *, secret: bool = False) -> Any:
    extra: dict[str, Any] = {"writeOnly": True} if secret else {}
    return Field(description=description, examples=[example], json_schema_extra=extra or None)


def _bounded(max_length: int) -> Any:
    return StringConstraints(max_length=max_length)


# The fields a consent may narrow a verifier's scope to (those of any scope).
_SCOPE_FIELDS: Final = tuple(
    sorted({*(s.value for s in Section), "nik", "nik_masked", "aki"}, key=lambda f: (len(f), f))
)
ScopeField = Literal[_SCOPE_FIELDS]  # type: ignore[valid-type]


# --------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------


class _Body(BaseModel):
    """A request body: known members only, strings that are strings (no coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# A NIK as typed: sixteen digits, with the separators the core drops between them
# (nik.normalize_nik); the region and the birth date are the core's to check.
NIK_INPUT_PATTERN: Final = r"^[ ./_\-]*(?:[0-9][ ./_\-]*){16}$"


class Register(_Body):
    nik: Annotated[str, _bounded(64)] = Field(
        description="Nomor Induk Kependudukan (No. KTP): 16 digits; spaces, dots, dashes,"
        " slashes and underscores between them are dropped.",
        examples=["3173071203940042"],
        json_schema_extra={"pattern": NIK_INPUT_PATTERN},
    )
    full_name: Annotated[str, _bounded(_MAX_NAME)] = _text(
        "Nama lengkap, as on the KTP.", "Galih Agan Pambayun"
    )
    mother_name: Annotated[str, _bounded(_MAX_NAME)] = _text(
        "Nama ibu kandung (mother's maiden name).", "Sri Wahyuni"
    )


class SubmitContact(_Body):
    email: Annotated[str, _bounded(_MAX_EMAIL)] = _text(
        "Alamat Email.", "galih.pambayun@example.com"
    )
    phone: Annotated[str, _bounded(MAX_PHONE_INPUT)] = _text(
        "Nomor Handphone (an Indonesian mobile number).", "081234567890"
    )
    password: Annotated[str, _bounded(_MAX_PASSWORD)] = _text(
        "Password.", "Kuda-Lari-Kencang-7", secret=True
    )


class ChangePhone(_Body):
    phone: Annotated[str, _bounded(MAX_PHONE_INPUT)] = _text(
        "The new mobile number; a new code is sent to it.", "081298765432"
    )


class ConfirmOtp(_Body):
    code: Annotated[str, _bounded(_MAX_CODE)] = _text(
        "The code from the SMS.", "123456", secret=True
    )


class Login(_Body):
    identifier: Annotated[str, _bounded(_MAX_IDENTIFIER)] = _text(
        "NIK, e-mail address or mobile number.", "081234567890"
    )
    password: Annotated[str, _bounded(_MAX_PASSWORD)] = _text(
        "Password.", "Kuda-Lari-Kencang-7", secret=True
    )
    device_token: Annotated[str, _bounded(_MAX_DEVICE_TOKEN)] | None = Field(
        default=None,
        description=(
            "The `device_token` of this device's last successful sign-in, if the app kept"
            " it: failed sign-ins by others then never lock the holder out of this device."
        ),
        examples=["5c1e…"],
        json_schema_extra={"writeOnly": True},
    )
    reset_id: Annotated[str, _bounded(MAX_PARAMETER_LENGTH)] | None = Field(
        default=None,
        description=(
            "With `code`: the id of a password-reset request (`POST /v1/password-resets`),"
            " to sign in with the password and its SMS code while the account is throttled."
        ),
        examples=["7d0b…"],
    )
    code: Annotated[str, _bounded(_MAX_CODE)] | None = Field(
        default=None,
        description="With `reset_id`: the code from the SMS.",
        examples=["123456"],
        json_schema_extra={"writeOnly": True},
    )
    factor_code: Annotated[str, _bounded(32)] | None = Field(
        default=None,
        description=(
            "An authenticator-app or recovery code (docs/factors.md): the second factor an"
            " account with one needs, and a stand-in for the SMS step-up while throttled."
        ),
        examples=["123456"],
        json_schema_extra={"writeOnly": True},
    )


class PasswordResetRequest(_Body):
    identifier: Annotated[str, _bounded(_MAX_IDENTIFIER)] = _text(
        "NIK, e-mail address or mobile number.", "081234567890"
    )


class PasswordResetConfirm(_Body):
    code: Annotated[str, _bounded(_MAX_CODE)] = _text(
        "The code from the SMS.", "123456", secret=True
    )
    new_password: Annotated[str, _bounded(_MAX_PASSWORD)] = _text(
        "The new password.", "Perahu-Layar-Biru-42", secret=True
    )


class GrantConsent(_Body):
    verifier_id: Annotated[str, _bounded(MAX_PARAMETER_LENGTH)] = _text(
        "The verifier's id.", "9f3c2a…"
    )
    purpose: Annotated[str, _bounded(MAX_PURPOSE_LENGTH)] = _text(
        "What the verifier may see the profile for.", "rekrutmen-2026"
    )
    fields: Annotated[list[ScopeField], Field(max_length=len(_SCOPE_FIELDS))] | None = Field(
        default=None,
        description="Fewer fields than the verifier's scope allows; absent or null: all of them.",
        examples=[["skills", "education", "contact"]],
    )


class CheckIn(_Body):
    token: Annotated[str, _bounded(MAX_TOKEN_LENGTH)] = _text(
        "The access code read from the holder's QR.", "A-…"
    )
    event_id: Annotated[str, _bounded(MAX_PURPOSE_LENGTH)] = _text(
        "The event checked in at.", "jobfair-2026"
    )
    station_id: Annotated[str, _bounded(_MAX_STATION)] | None = Field(
        default=None, description='The scanning station (default "api").', examples=["gate-1"]
    )


REQUEST_MODELS: Final = (
    Register,
    SubmitContact,
    ChangePhone,
    ConfirmOtp,
    Login,
    PasswordResetRequest,
    PasswordResetConfirm,
    GrantConsent,
    CheckIn,
)
"""Every request body validated by its model (a profile patch is the core's to check)."""
