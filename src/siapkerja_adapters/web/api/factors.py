"""The JSON API's second factors (``/v1/me/factors…``, ``/v1/sessions/factor``, reset by factor).

This module owns the holder's factors (list, enrol an authenticator app, confirm
it with its first code, make recovery codes, remove one), the second step of a
sign-in that answered ``login.factor_required`` (its problem document carries
the ``pending`` token), and the password reset with an authenticator or recovery
code instead of the SMS code. Each operation is one facade call in a worker thread.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from siapkerja_core.factors import FactorSummary
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.factors import FactorRequired

from ..problems import negotiate_language, problem_response
from ..threads import WorkerThreads
from . import models as m
from .common import JSON_HEADERS, Holder, json_response
from .problem_shape import problem_responses

__all__ = ["add_factors", "factor_required_problem"]

_Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
_Id = Annotated[str, Path(min_length=1, max_length=64, description="The factor's id.")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FactorCode(_Body):
    code: _Code = Field(
        description="A 6-digit authenticator code, or a recovery code (xxxx-xxxx-xxxx).",
        examples=["123456"],
        json_schema_extra={"writeOnly": True},
    )


class SecondStep(FactorCode):
    pending: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(
        description="The `pending` member of the `login.factor_required` problem.",
        json_schema_extra={"writeOnly": True},
    )


class ResetByFactor(FactorCode):
    new_password: Annotated[str, StringConstraints(max_length=1000)] = Field(
        description="The new password.", json_schema_extra={"writeOnly": True}
    )


class Factor(BaseModel):
    id: str
    kind: str = Field(description="`totp`, `passkey` or `recovery_codes`.")
    label: str
    created_at: datetime
    last_used_at: datetime | None
    remaining: int | None = Field(description="Recovery codes left (`recovery_codes` only).")

    @classmethod
    def from_core(cls, summary: FactorSummary) -> Factor:
        return cls(
            id=summary.id,
            kind=summary.kind,
            label=summary.label,
            created_at=summary.created_at,
            last_used_at=summary.last_used_at,
            remaining=summary.remaining,
        )


class FactorList(BaseModel):
    items: list[Factor]


class TotpEnrolmentOut(BaseModel):
    factor_id: str
    secret: str = Field(description="The base32 key, to type into the app (shown once).")
    uri: str = Field(description="The `otpauth://` provisioning URI the QR encodes.")
    qr_svg: str = Field(description="That QR as an SVG document.")
    expires_at: datetime


class RecoveryCodesOut(BaseModel):
    codes: list[str] = Field(description="Ten one-time codes, shown once; earlier ones end.")
    generated_at: datetime


def factor_required_problem(error: FactorRequired, request: Request) -> Response:
    """The ``login.factor_required`` problem with the second step's ``pending`` token."""
    lang = negotiate_language(request.headers.get("accept-language"))
    response = problem_response(error, lang)
    body: dict[str, Any] = json.loads(bytes(response.body))
    body["pending"] = error.pending
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=response.status_code,
        headers=headers,
        media_type=response.media_type,
    )


def add_factors(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the factor operations to ``router``."""
    holder_errors = problem_responses(401, 404, 405, 413, 422, 429, 500)

    @router.post(
        "/sessions/factor",
        operation_id="complete_login",
        tags=["sessions"],
        summary="The second step of a sign-in: an authenticator or recovery code",
        status_code=201,
        response_model=m.SignedIn,
        response_description="The account and a new session.",
        responses=problem_responses(401, 405, 413, 422, 429, 500),
    )
    async def complete_login(body: Annotated[SecondStep, Body()]) -> Response:
        account = await pool.run(svc.factors.complete_login, body.pending, code=body.code)
        return json_response(m.SignedIn.from_core(account), 201)

    @router.post(
        "/password-resets/{request_id}/confirm-by-factor",
        operation_id="reset_password_by_factor",
        tags=["sessions"],
        summary="Set a new password with an authenticator or recovery code (no SMS)",
        response_model=m.SignedIn,
        response_description="The account, signed in with a new session.",
        responses=problem_responses(400, 405, 413, 422, 500),
    )
    async def reset_by_factor(
        request_id: Annotated[str, Path(min_length=1, max_length=64)],
        body: Annotated[ResetByFactor, Body()],
    ) -> Response:
        account = await pool.run(
            svc.factors.reset_password, request_id, body.code, body.new_password
        )
        return json_response(m.SignedIn.from_core(account))

    @router.get(
        "/me/factors",
        operation_id="list_factors",
        tags=["sessions"],
        summary="The holder's second factors (no secret)",
        response_model=FactorList,
        response_description="The factors, oldest first.",
        responses=holder_errors,
    )
    async def list_factors(account: Holder) -> Response:
        found = await pool.run(svc.factors.list, account.id)
        return json_response(FactorList(items=[Factor.from_core(f) for f in found]))

    @router.post(
        "/me/authenticator",
        operation_id="start_totp",
        tags=["sessions"],
        summary="Begin enrolling an authenticator app: its key, URI and QR (shown once)",
        status_code=201,
        response_model=TotpEnrolmentOut,
        response_description="The enrolment, waiting for the app's first code.",
        responses=holder_errors,
    )
    async def start_totp(account: Holder) -> Response:
        made = await pool.run(svc.factors.start_totp, account.id)
        out = TotpEnrolmentOut(
            factor_id=made.factor_id,
            secret=made.secret,
            uri=made.uri,
            qr_svg=made.qr_svg,
            expires_at=made.expires_at,
        )
        return json_response(out, 201)

    @router.post(
        "/me/authenticator/{factor_id}/confirm",
        operation_id="confirm_totp",
        tags=["sessions"],
        summary="Turn the authenticator app on with its first code",
        response_model=Factor,
        response_description="The factor, active.",
        responses=problem_responses(401, 404, 405, 409, 413, 422, 429, 500),
    )
    async def confirm_totp(
        account: Holder, factor_id: _Id, body: Annotated[FactorCode, Body()]
    ) -> Response:
        summary = await pool.run(svc.factors.confirm_totp, account.id, factor_id, body.code)
        return json_response(Factor.from_core(summary))

    @router.post(
        "/me/recovery-codes",
        operation_id="generate_recovery_codes",
        tags=["sessions"],
        summary="Ten new recovery codes (shown once); earlier codes stop working",
        status_code=201,
        response_model=RecoveryCodesOut,
        response_description="The codes.",
        responses=holder_errors,
    )
    async def generate_codes(account: Holder) -> Response:
        made = await pool.run(svc.factors.generate_recovery_codes, account.id)
        out = RecoveryCodesOut(codes=list(made.codes), generated_at=made.generated_at)
        return json_response(out, 201)

    @router.delete(
        "/me/factors/{factor_id}",
        operation_id="remove_factor",
        tags=["sessions"],
        summary="Remove one of the holder's factors",
        status_code=204,
        response_class=Response,
        response_description="Removed.",
        responses=holder_errors,
    )
    async def remove_factor(account: Holder, factor_id: _Id) -> Response:
        await pool.run(svc.factors.remove, account.id, factor_id)
        return Response(status_code=204, headers=dict(JSON_HEADERS))
