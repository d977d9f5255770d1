"""Registration, step 3: the SMS code (*Verifikasi*), resending it, changing the number.

This module owns ``/verifikasi`` (the six-digit code, one box per digit or
one field), ``/verifikasi/kirim-ulang`` (a new code once the cooldown has
passed), ``/verifikasi/ubah-hp`` (another mobile number, a new code) and
``/verifikasi/ubah-email`` (another e-mail, the code unchanged: a person told
at confirmation that the e-mail is taken fixes it here without starting
over). A confirmed code signs the new account in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import form_text
from siapkerja_adapters.web.pages.registration import current_registration, registration_step
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.views import Registration
from siapkerja_core.wording import wait_text

__all__ = ["VerificationPages"]

_OTP_DIGITS: Final = 6
_AWAITING_CODE: Final = RegistrationStatus.PENDING_OTP


class VerificationPages:
    """*Verifikasi*: the code, a new code, another number."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/verifikasi", self.verify, "verify"),
            post_route("/verifikasi", self.verify_submit, "verify_submit"),
            post_route("/verifikasi/kirim-ulang", self.resend, "verify_resend"),
            get_route("/verifikasi/ubah-hp", self.change_phone, "verify_change_phone"),
            post_route(
                "/verifikasi/ubah-hp", self.change_phone_submit, "verify_change_phone_submit"
            ),
            get_route("/verifikasi/ubah-email", self.change_email, "verify_change_email"),
            post_route(
                "/verifikasi/ubah-email", self.change_email_submit, "verify_change_email_submit"
            ),
        ]

    def verify_context(self, registration: Registration, lang: str = "id") -> dict[str, Any]:
        otp = registration.otp
        wait = 0
        if otp is not None:
            left = (otp.resend_available_at - self.site.svc.now()).total_seconds()
            wait = max(0, math.ceil(left))
        return {
            "registration": registration,
            "phone": registration.phone_masked,
            "delivered": otp is not None and otp.delivered,
            "sms_failure": registration.sms_failure,
            "attempts_left": None if otp is None else otp.attempts_left,
            "cooldown": wait,
            # "dalam 5 menit", never "300 detik" (the script counts down the last minute).
            "cooldown_text": wait_text(wait, now=self.site.svc.now(), lang=lang),
            "resend_at": None if otp is None else otp.resend_available_at.isoformat("T", "seconds"),
            "digits": range(1, _OTP_DIGITS + 1),
            "digit_count": _OTP_DIGITS,
        }

    async def _awaiting_code(self, request: Request) -> tuple[Registration | None, Response | None]:
        """The registration waiting for its code, or where to send the visitor instead."""
        site = self.site
        registration = await current_registration(site, request)
        return registration, registration_step(site, request, registration, _AWAITING_CODE)

    async def verify(self, request: Request) -> Response:
        registration, elsewhere = await self._awaiting_code(request)
        if elsewhere is not None or registration is None:
            return elsewhere or self.site.redirect(request, "register")
        return self.site.render(
            request, "verify.html", self.verify_context(registration, select_language(request))
        )

    async def verify_submit(self, request: Request) -> Response:
        site = self.site
        registration, elsewhere = await self._awaiting_code(request)
        if elsewhere is not None or registration is None:
            return elsewhere or site.redirect(request, "register")
        form = await request.form()
        code = form_text(form, "code") or "".join(
            form_text(form, f"d{i}") for i in range(1, _OTP_DIGITS + 1)
        )
        try:
            account = await site.call(site.svc.confirm_otp, registration.id, code)
        except SiapkerjaError as error:
            fresh = await current_registration(site, request) or registration
            return site.form_error(
                request,
                "verify.html",
                error,
                self.verify_context(fresh, select_language(request)),
                form_fields=("code_digits",),
                rename={"code": "code_digits"},
            )
        site.sign_in(request, account)
        site.flash_key(request, "success", "verify.done")
        back = site.sso_resume(request)  # registered on the way to a hub: go on to it
        return RedirectResponse(back, 303) if back else site.redirect(request, "profile")

    async def resend(self, request: Request) -> Response:
        site = self.site
        registration, elsewhere = await self._awaiting_code(request)
        if elsewhere is not None or registration is None:
            return elsewhere or site.redirect(request, "register")
        try:
            await site.call(site.svc.resend_otp, registration.id)
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "verify.html",
                error,
                self.verify_context(registration, select_language(request)),
            )
        site.flash_key(request, "success", "verify.resent")
        return site.redirect(request, "verify")

    async def change_phone(self, request: Request) -> Response:
        _, elsewhere = await self._awaiting_code(request)
        return elsewhere or self.site.render(request, "change_phone.html")

    async def change_phone_submit(self, request: Request) -> Response:
        return await self._change_contact(
            request, "phone", self.site.svc.change_phone, "change_phone.html", "verify.sent"
        )

    async def _change_contact(
        self,
        request: Request,
        name: str,
        change: Callable[..., object],
        template: str,
        done: str,
    ) -> Response:
        """Change the phone or e-mail of the registration awaiting its code (``name=``)."""
        site = self.site
        registration, elsewhere = await self._awaiting_code(request)
        if elsewhere is not None or registration is None:
            return elsewhere or site.redirect(request, "register")
        form = await request.form()
        value = form_text(form, name)
        try:
            await site.call(partial(change, registration.id, **{name: value}))
        except SiapkerjaError as error:
            return site.form_error(
                request, template, error, {"values": {name: value}}, form_fields=(name,)
            )
        site.flash_key(request, "success", done)
        return site.redirect(request, "verify")

    async def change_email(self, request: Request) -> Response:
        registration, elsewhere = await self._awaiting_code(request)
        if elsewhere is not None or registration is None:
            return elsewhere or self.site.redirect(request, "register")
        return self.site.render(
            request, "change_email.html", {"values": {"email": registration.email or ""}}
        )

    async def change_email_submit(self, request: Request) -> Response:
        return await self._change_contact(
            request,
            "email",
            self.site.svc.change_email,
            "change_email.html",
            "verify.email_changed",
        )
