"""The JSON API's responses, declared once as pydantic models built from the core's objects.

This module owns what the API answers with: each model's ``from_core`` is
the one place where a core attrs object becomes JSON (masking included), and
the OpenAPI document's response schemas are derived from the same models.
The core stays on attrs: a NIK-only or notebook user needs neither pydantic
nor FastAPI. The profile document is in :mod:`.profile`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from siapkerja_core import Completeness as CoreCompleteness
from siapkerja_core import ProfileWarning as CoreWarning
from siapkerja_core import Stakeholder
from siapkerja_core.contact import mask_email
from siapkerja_core.records import AccessRecord as CoreAccessRecord
from siapkerja_core.records import CardRecord, ConsentRecord, RegistrationStatus
from siapkerja_core.render.card import Card as CoreCard
from siapkerja_core.services.scanning import CardQr as CoreCardQr
from siapkerja_core.views import Account as CoreAccount
from siapkerja_core.views import OtpState as CoreOtpState
from siapkerja_core.views import PasswordResetRequest as CoreResetRequest
from siapkerja_core.views import Registration as CoreRegistration
from siapkerja_core.views import mask_nik

# ISO 8601 as the API wrote it since 0.1 (``+00:00``; pydantic would write ``Z``).
Timestamp = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OtpState(_Out):
    expires_at: Timestamp
    attempts_left: Annotated[int, Field(ge=0)]
    resend_available_at: Timestamp
    sends_left_this_hour: Annotated[int, Field(ge=0)]
    delivered: bool

    @classmethod
    def from_core(cls, otp: CoreOtpState) -> OtpState:
        return cls(
            expires_at=otp.expires_at,
            attempts_left=otp.attempts_left,
            resend_available_at=otp.resend_available_at,
            sends_left_this_hour=otp.sends_left_this_hour,
            delivered=otp.delivered,
        )


class Registration(_Out):
    """A registration as the API shows it: contacts masked; once confirmed, neither the
    name nor the account (the new account's own session shows them)."""

    id: str
    status: RegistrationStatus
    full_name: str | None
    nik_masked: str
    email_masked: str | None
    phone_masked: str | None
    created_at: Timestamp
    expires_at: Timestamp
    otp: OtpState | None
    sms_failure: str | None
    account_id: str | None
    secret: Annotated[
        str | None,
        Field(
            description="Answered once, by step 1: send it as `X-Registration-Secret` on every"
            " later call on this registration; null afterwards."
        ),
    ] = None

    @classmethod
    def from_core(cls, registration: CoreRegistration, secret: str | None = None) -> Registration:
        otp, email = registration.otp, registration.email
        # After step 3 the registration says only that it is done: whoever holds its
        # id (and secret) does not learn the account's id or the name from it.
        confirmed = registration.status is RegistrationStatus.CONFIRMED
        return cls(
            id=registration.id,
            status=registration.status,
            full_name=None if confirmed else registration.full_name,
            nik_masked=mask_nik(registration.nik),
            email_masked=None if email is None else mask_email(email),
            phone_masked=registration.phone_masked,
            created_at=registration.created_at,
            expires_at=registration.expires_at,
            otp=None if otp is None else OtpState.from_core(otp),
            sms_failure=registration.sms_failure,
            account_id=None,
            secret=secret,
        )


class Account(_Out):
    """The holder's own account (the NIK masked)."""

    id: str
    full_name: str
    nik_masked: str
    email: str
    phone: str
    created_at: Timestamp

    @classmethod
    def from_core(cls, account: CoreAccount) -> Account:
        return cls(
            id=account.id,
            full_name=account.full_name,
            nik_masked=account.nik_masked,
            email=account.email,
            phone=account.phone,
            created_at=account.created_at,
        )


class Session(_Out):
    token: str
    token_type: Literal["Bearer"]
    expires_at: Timestamp
    device_token: str | None = Field(
        default=None,
        description=(
            "Set by a password sign-in: keep it on this device and send it with later"
            " sign-ins (`device_token`), so failed sign-ins by others never lock you out."
        ),
    )


class SignedIn(_Out):
    """An account with the session the call opened (its token is the one secret shown)."""

    account: Account
    session: Session

    @classmethod
    def from_core(cls, account: CoreAccount) -> SignedIn:
        session = account.session
        if session is None:  # the facade signs in on confirm, login and reset
            raise RuntimeError("the facade returned an account without a session")
        return cls(
            account=Account.from_core(account),
            session=Session(
                token=session.token,
                token_type="Bearer",  # noqa: S106 - the scheme's name, not a secret
                expires_at=session.expires_at,
                device_token=session.device_token,
            ),
        )


class PasswordResetAccepted(_Out):
    id: str
    expires_at: Timestamp
    message_id: str
    message_en: str

    @classmethod
    def from_core(cls, request: CoreResetRequest) -> PasswordResetAccepted:
        return cls(
            id=request.id,
            expires_at=request.expires_at,
            message_id=request.message_id,
            message_en=request.message_en,
        )


class MissingItem(_Out):
    key: str
    label_id: str
    label_en: str


class Completeness(_Out):
    stakeholder: Stakeholder
    percent: Annotated[int, Field(ge=0, le=100)]
    complete: bool
    missing: list[MissingItem]

    @classmethod
    def from_core(cls, result: CoreCompleteness) -> Completeness:
        return cls(
            stakeholder=result.stakeholder,
            percent=result.percent,
            complete=result.complete,
            missing=[
                MissingItem(key=item.key, label_id=item.label_id, label_en=item.label_en)
                for item in result.missing
            ],
        )


class ProfileWarning(_Out):
    code: str
    field: str
    message_id: str
    message_en: str

    @classmethod
    def from_core(cls, warning: CoreWarning) -> ProfileWarning:
        return cls(
            code=warning.code,
            field=warning.field,
            message_id=warning.message_id,
            message_en=warning.message_en,
        )


class ProfileWarnings(_Out):
    items: list[ProfileWarning]


class Card(_Out):
    siapkerja_id: str
    holder_name: str
    title: str
    issued_at: date
    qr_url: str
    qr_version: Annotated[int, Field(ge=0)]
    photo_type: str | None

    @classmethod
    def from_core(cls, card: CoreCard) -> Card:
        return cls(
            siapkerja_id=card.siapkerja_id,
            holder_name=card.holder_name,
            title=card.title,
            issued_at=card.issued_at,
            qr_url=card.qr_text,
            qr_version=card.qr_version,
            photo_type=card.photo_media_type,
        )


class CardState(_Out):
    siapkerja_id: str
    version: Annotated[int, Field(ge=0)]
    issued_at: Timestamp
    updated_at: Timestamp
    active: bool
    revoked_at: Timestamp | None

    @classmethod
    def from_core(cls, record: CardRecord) -> CardState:
        return cls(
            siapkerja_id=record.number,
            version=record.version,
            issued_at=record.issued_at,
            updated_at=record.updated_at,
            active=record.active,
            revoked_at=record.revoked_at,
        )


class CardQr(_Out):
    mode: Literal["link", "access"]
    token: str
    url: str | None
    purpose: str | None
    version: int | None
    expires_at: Timestamp | None
    svg: str

    @classmethod
    def from_core(cls, qr: CoreCardQr) -> CardQr:
        return cls(
            mode=qr.mode,
            token=qr.token,
            url=qr.url,
            purpose=qr.purpose,
            version=qr.version,
            expires_at=qr.expires_at,
            svg=qr.svg(),
        )


class AccessRecord(_Out):
    id: str
    at: Timestamp
    audience: str
    fields: list[str]
    channel: Literal["link", "access", "aki", "sso"]  # siapkerja_core.records.ACCESS_CHANNELS
    purpose: str | None
    verifier_id: str | None
    verifier_name: str | None
    viewer_account_id: str | None

    @classmethod
    def from_core(cls, record: CoreAccessRecord) -> AccessRecord:
        return cls(
            id=record.id,
            at=record.at,
            audience=str(record.audience),
            fields=list(record.fields),
            channel=record.channel,  # type: ignore[arg-type]
            purpose=record.purpose,
            verifier_id=record.verifier_id,
            verifier_name=record.verifier_name,
            viewer_account_id=record.viewer_account_id,
        )


class AccessLog(_Out):
    """A page of the holder's ledger, newest first; ``next`` the cursor of the older page."""

    items: list[AccessRecord]
    next: str | None = None


class Consent(_Out):
    id: str
    verifier_id: str
    purpose: str
    fields: list[str] | None
    granted_at: Timestamp
    withdrawn_at: Timestamp | None
    active: bool

    @classmethod
    def from_core(cls, record: ConsentRecord) -> Consent:
        return cls(
            id=record.id,
            verifier_id=record.verifier_id,
            purpose=record.purpose,
            fields=None if record.fields is None else sorted(record.fields),
            granted_at=record.granted_at,
            withdrawn_at=record.withdrawn_at,
            active=record.active,
        )


class ConsentList(_Out):
    items: list[Consent]


class Jwk(_Out):
    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    alg: Literal["EdDSA"]
    use: Literal["sig"]
    kid: str
    x: str
    iat: int


class Jwks(_Out):
    """The offline stations' verification keys (RFC 7517)."""

    keys: list[Jwk]


class ProfileView(_Out):
    """A scanned card as its viewer may see it (``data``: the disclosed sections)."""

    siapkerja_id: str
    full_name: str
    card_active: bool
    audience: Literal["anonymous", "account", "verifier", "holder"]
    disclosed: list[str]
    nik: str | None
    purpose: str | None
    verifier: str | None
    consent_required: bool
    data: dict[str, Any]
    aki: dict[str, Any] | None = Field(
        default=None, description="The AK/I status: the holder's and the disnaker scope's."
    )
