"""The JSON API's registration and session operations (``/v1/registrations``, ``/v1/sessions``…).

This module owns steps 1–3 of *Daftar* (NIK, contact, the SMS code), sign-in,
sign-out and password recovery. Each operation is one facade call in a worker
thread (the facade may hash a password or wait on Dukcapil); passwords and
codes are never echoed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from siapkerja_core.limits import Client
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.factors import FactorRequired

from ..threads import WorkerThreads
from . import bodies as b
from . import models as m
from .common import (
    JSON_HEADERS,
    Holder,
    RegistrationCaller,
    RequestId,
    bearer_token,
    json_response,
)
from .factors import factor_required_problem
from .problem_shape import problem_responses

__all__ = ["add_journey"]


def add_journey(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the registration and session operations to ``router``."""
    # --- registration ---

    @router.post(
        "/registrations",
        operation_id="register",
        tags=["registration"],
        summary="Step 1: verify NIK, full name and mother's name with Dukcapil",
        status_code=201,
        response_model=m.Registration,
        response_description="The verified registration.",
        responses={
            201: {
                "headers": {
                    "Location": {"description": "The new resource.", "schema": {"type": "string"}}
                }
            },
            **problem_responses(404, 405, 409, 413, 422, 429, 500, 503),
        },
    )
    async def register(body: b.Register, request: Request) -> Response:
        registration = await pool.run(svc.register, body.nik, body.full_name, body.mother_name)
        # Below the URL asked, wherever the host put the router (mount, prefix).
        location = f"{request.url.path.rstrip('/')}/{registration.id}"
        body = m.Registration.from_core(registration, secret=registration.secret)
        return json_response(body, 201, {"Location": location})

    journey_errors = problem_responses(401, 404, 405, 409, 410, 413, 422, 429, 500, 503)

    @router.get(
        "/registrations/{registration_id}",
        operation_id="get_registration",
        tags=["registration"],
        summary="The current state of a registration",
        response_model=m.Registration,
        response_description="The registration.",
        responses=problem_responses(401, 404, 405, 413, 422, 500),
    )
    async def get_registration(registration_id: RegistrationCaller) -> Response:
        registration = await pool.run(svc.registration, registration_id)
        return json_response(m.Registration.from_core(registration))

    @router.post(
        "/registrations/{registration_id}/contact",
        operation_id="submit_contact",
        tags=["registration"],
        summary="Step 2: e-mail, mobile number and password; sends the SMS code",
        response_model=m.Registration,
        response_description="The registration, now pending_otp.",
        responses=journey_errors,
    )
    async def submit_contact(
        registration_id: RegistrationCaller, body: b.SubmitContact
    ) -> Response:
        registration = await pool.run(
            lambda: svc.submit_contact(
                registration_id, email=body.email, phone=body.phone, password=body.password
            )
        )
        return json_response(m.Registration.from_core(registration))

    @router.post(
        "/registrations/{registration_id}/otp/resend",
        operation_id="resend_otp",
        tags=["registration"],
        summary="Kirim Ulang: send a new code (the old one dies)",
        response_model=m.Registration,
        response_description="The registration with its new code state.",
        responses=journey_errors,
    )
    async def resend_otp(registration_id: RegistrationCaller) -> Response:
        return json_response(
            m.Registration.from_core(await pool.run(svc.resend_otp, registration_id))
        )

    @router.post(
        "/registrations/{registration_id}/phone",
        operation_id="change_phone",
        tags=["registration"],
        summary="Change the mobile number before confirming; a new code goes to it",
        response_model=m.Registration,
        response_description="The registration.",
        responses=journey_errors,
    )
    async def change_phone(registration_id: RegistrationCaller, body: b.ChangePhone) -> Response:
        registration = await pool.run(lambda: svc.change_phone(registration_id, phone=body.phone))
        return json_response(m.Registration.from_core(registration))

    @router.post(
        "/registrations/{registration_id}/otp/confirm",
        operation_id="confirm_otp",
        tags=["registration"],
        summary="Step 3: the code from the SMS; creates the account, signed in",
        status_code=201,
        response_model=m.SignedIn,
        response_description="The new account and its session.",
        responses=journey_errors,
    )
    async def confirm_otp(registration_id: RegistrationCaller, body: b.ConfirmOtp) -> Response:
        account = await pool.run(svc.confirm_otp, registration_id, body.code)
        return json_response(m.SignedIn.from_core(account), 201)

    # --- sessions and recovery ---

    @router.post(
        "/sessions",
        operation_id="login",
        tags=["sessions"],
        summary="Sign in with a NIK, e-mail or phone number and the password",
        status_code=201,
        response_model=m.SignedIn,
        response_description="The account and a new session.",
        responses=problem_responses(401, 405, 413, 422, 429, 500, 503),
    )
    async def login(body: b.Login, request: Request) -> Response:
        address = request.client.host if request.client is not None else None
        client = Client(address=address or None, device=body.device_token or None)
        try:
            account = await pool.run(
                svc.login,
                body.identifier,
                body.password,
                client,
                reset_id=body.reset_id,
                code=body.code,
                factor_code=body.factor_code,
            )
        except FactorRequired as required:  # 401 with the second step's ``pending`` token
            return factor_required_problem(required, request)
        return json_response(m.SignedIn.from_core(account), 201)

    @router.delete(
        "/sessions/current",
        operation_id="logout",
        tags=["sessions"],
        summary="End the session of the bearer token",
        status_code=204,
        response_class=Response,
        response_description="Signed out.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def logout(token: Annotated[str, Depends(bearer_token)], _holder: Holder) -> Response:
        # The holder dependency makes an unknown token a 401, not a silent success.
        await pool.run(svc.logout, token)
        return Response(status_code=204, headers=dict(JSON_HEADERS))

    @router.post(
        "/password-resets",
        operation_id="request_password_reset",
        tags=["sessions"],
        summary="Kendala Masuk ke Akun? Send a reset code to the account's phone",
        status_code=202,
        response_model=m.PasswordResetAccepted,
        response_description="Accepted (the same answer for unknown identifiers).",
        responses=problem_responses(405, 413, 422, 429, 500, 503),
    )
    async def request_password_reset(body: b.PasswordResetRequest) -> Response:
        accepted = await pool.run(svc.request_password_reset, body.identifier)
        return json_response(m.PasswordResetAccepted.from_core(accepted), 202)

    @router.post(
        "/password-resets/{request_id}/confirm",
        operation_id="reset_password",
        tags=["sessions"],
        summary="Set a new password with the code; every other session ends",
        response_model=m.SignedIn,
        response_description="The account, signed in with a new session.",
        responses=problem_responses(400, 405, 413, 422, 500, 503),
    )
    async def reset_password(request_id: RequestId, body: b.PasswordResetConfirm) -> Response:
        account = await pool.run(svc.reset_password, request_id, body.code, body.new_password)
        return json_response(m.SignedIn.from_core(account))
