"""The JSON API's contact operations: the holder's phone, e-mail and second contact
(``/v1/me/contacts``), and recovery with the second contact (``/v1/recovery/second-contact``).

Each change is asked (a code goes to the new contact) and then confirmed with
that code; a confirmed phone or e-mail change ends every session of the account
and answers with a new one (``docs/notices.md``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from siapkerja_core.contact import MAX_EMAIL_INPUT
from siapkerja_core.limits import MAX_OTP_LENGTH
from siapkerja_core.passwords import MAX_PASSWORD_LENGTH
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.contacts import PendingContact as CorePending
from siapkerja_core.views import Account as CoreAccount

from ..threads import WorkerThreads
from . import models as m
from .common import Holder, RequestId, json_response
from .problem_shape import problem_responses

__all__ = ["CONTACT_REQUEST_MODELS", "add_contacts"]

_MAX_CONTACT: Final = MAX_EMAIL_INPUT  # a phone or an e-mail; the core refuses longer
_MAX_CODE: Final = 3 * MAX_OTP_LENGTH
_MAX_PASSWORD: Final = 8 * MAX_PASSWORD_LENGTH


class ContactTarget(StrEnum):
    """Which contact a change is of."""

    PHONE = "phone"
    EMAIL = "email"
    SECOND = "second"


def _text(description: str, example: str, *, secret: bool = False) -> Any:
    extra: dict[str, Any] = {"writeOnly": True} if secret else {}
    return Field(description=description, examples=[example], json_schema_extra=extra or None)


class _Body(BaseModel):
    """A request body as the API's others: known members only, strings that are strings."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ContactValue(_Body):
    value: Annotated[str, StringConstraints(max_length=_MAX_CONTACT)] = _text(
        "The new phone number or e-mail address (for `second`: either).", "081277770001"
    )


class ContactCode(_Body):
    code: Annotated[str, StringConstraints(max_length=_MAX_CODE)] = _text(
        "The code sent to the new contact.", "123456", secret=True
    )


class SecondContactRecovery(_Body):
    identifier: Annotated[str, StringConstraints(max_length=_MAX_CONTACT)] = _text(
        "NIK, e-mail address or (old) mobile number.", "081234567890"
    )


class SecondContactReset(_Body):
    code: Annotated[str, StringConstraints(max_length=_MAX_CODE)] = _text(
        "The code sent to the second contact.", "123456", secret=True
    )
    new_password: Annotated[str, StringConstraints(max_length=_MAX_PASSWORD)] = _text(
        "The new password.", "Perahu-Layar-Biru-42", secret=True
    )
    phone: Annotated[str, StringConstraints(max_length=_MAX_CONTACT)] = _text(
        "The new mobile number; a code is sent to it (confirm it with"
        " `POST /v1/me/contacts/phone/confirm`).",
        "081277770003",
    )


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pending(_Out):
    """A change waiting for its code."""

    target: ContactTarget
    kind: str = Field(description="`phone` or `email`.")
    masked: str
    otp: m.OtpState

    @classmethod
    def from_core(cls, pending: CorePending) -> Pending:
        return cls(
            target=ContactTarget(pending.target),
            kind=pending.kind.value,
            masked=pending.masked,
            otp=m.OtpState.from_core(pending.otp),
        )


class SecondContact(_Out):
    kind: str = Field(description="`phone` or `email`.")
    masked: str
    verified_at: m.Timestamp


class Contacts(_Out):
    """The account's contacts, masked, and the changes waiting for a code."""

    phone_masked: str
    email_masked: str
    second: SecondContact | None
    pending: list[Pending]


class SignedInContacts(_Out):
    """A confirmed phone or e-mail change: the account with its new session."""

    signed_in: m.SignedIn | None = Field(
        description="The new session (every other one ended); absent for a second contact."
    )
    contacts: Contacts


class RecoveryAccepted(_Out):
    id: str = Field(description="The request's id (the same answer for unknown identifiers).")
    expires_at: m.Timestamp


class Recovered(_Out):
    signed_in: m.SignedIn
    pending: Pending | None = Field(
        description="The phone change waiting for the code sent to the new number."
    )


def _contacts(svc: Siapkerja, account: CoreAccount) -> Contacts:
    changes = svc.contacts
    second = changes.second_contact(account.id)
    pending = [changes.pending(account.id, t.value) for t in ContactTarget]
    return Contacts(
        phone_masked=account.phone_masked,
        email_masked=account.email_masked,
        second=None
        if second is None
        else SecondContact(
            kind=second.kind.value, masked=second.masked, verified_at=second.verified_at
        ),
        pending=[Pending.from_core(p) for p in pending if p is not None],
    )


CONTACT_REQUEST_MODELS: Final = (
    ContactValue,
    ContactCode,
    SecondContactRecovery,
    SecondContactReset,
)
"""The request bodies of this module (``bodies.REQUEST_MODELS`` lists the others)."""

Target = Annotated[ContactTarget, Path(description="`phone`, `email` or `second`.")]


def add_contacts(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the contact and second-contact recovery operations to ``router``."""
    errors = problem_responses(400, 401, 405, 409, 410, 413, 422, 429, 500, 503)

    @router.get(
        "/me/contacts",
        operation_id="contacts",
        tags=["contacts"],
        summary="The account's contacts (masked), its second contact, changes waiting",
        response_model=Contacts,
        response_description="The contacts.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def contacts(account: Holder) -> Response:
        return json_response(await pool.run(_contacts, svc, account))

    @router.post(
        "/me/contacts/{target}",
        operation_id="request_contact_change",
        tags=["contacts"],
        summary="Ask for a new phone, e-mail or second contact: a code goes to it",
        status_code=202,
        response_model=Pending,
        response_description="The change, waiting for its code.",
        responses=errors,
    )
    async def request_change(account: Holder, target: Target, body: ContactValue) -> Response:
        changes = svc.contacts
        ask = {
            ContactTarget.PHONE: changes.request_phone_change,
            ContactTarget.EMAIL: changes.request_email_change,
            ContactTarget.SECOND: changes.request_second_contact,
        }[target]
        pending = await pool.run(ask, account.id, body.value)
        return json_response(Pending.from_core(pending), 202)

    @router.post(
        "/me/contacts/{target}/confirm",
        operation_id="confirm_contact_change",
        tags=["contacts"],
        summary="Confirm a change with the code sent to the new contact",
        response_model=SignedInContacts,
        response_description="The contacts; for a phone or e-mail, the new session.",
        responses=errors,
    )
    async def confirm_change(account: Holder, target: Target, body: ContactCode) -> Response:
        changes = svc.contacts
        signed_in: m.SignedIn | None = None
        if target is ContactTarget.SECOND:
            await pool.run(changes.confirm_second_contact, account.id, body.code)
            current = account
        else:
            confirm = (
                changes.confirm_phone_change
                if target is ContactTarget.PHONE
                else changes.confirm_email_change
            )
            current = await pool.run(confirm, account.id, body.code)
            signed_in = m.SignedIn.from_core(current)
        view = await pool.run(_contacts, svc, current)
        return json_response(SignedInContacts(signed_in=signed_in, contacts=view))

    @router.delete(
        "/me/second-contact",
        operation_id="remove_second_contact",
        tags=["contacts"],
        summary="Remove the second contact",
        response_model=Contacts,
        response_description="The contacts.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def remove_second(account: Holder) -> Response:
        await pool.run(svc.contacts.remove_second_contact, account.id)
        return json_response(await pool.run(_contacts, svc, account))

    @router.post(
        "/recovery/second-contact",
        operation_id="request_second_contact_recovery",
        tags=["sessions"],
        summary="Lost phone: send a code to the account's second contact",
        status_code=202,
        response_model=RecoveryAccepted,
        response_description="Accepted (the same answer whether or not a second contact exists).",
        responses=problem_responses(405, 413, 422, 500, 503),
    )
    async def request_recovery(body: SecondContactRecovery) -> Response:
        accepted = await pool.run(svc.contacts.request_recovery, body.identifier)
        return json_response(RecoveryAccepted(id=accepted.id, expires_at=accepted.expires_at), 202)

    @router.post(
        "/recovery/second-contact/{request_id}/confirm",
        operation_id="confirm_second_contact_recovery",
        tags=["sessions"],
        summary="The second contact's code, a new password and a new phone number",
        response_model=Recovered,
        response_description="Signed in; the new phone waits for its own code.",
        responses=problem_responses(400, 405, 409, 413, 422, 500, 503),
    )
    async def confirm_recovery(request_id: RequestId, body: SecondContactReset) -> Response:
        account, pending = await pool.run(
            svc.contacts.complete_recovery, request_id, body.code, body.new_password, body.phone
        )
        return json_response(
            Recovered(
                signed_in=m.SignedIn.from_core(account),
                pending=None if pending is None else Pending.from_core(pending),
            )
        )
