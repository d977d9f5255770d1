"""Password recovery: ask for a reset code, then set a new password with it.

This module owns ``/pemulihan`` (a NIK, e-mail or phone number; the answer
never says whether an account exists) and ``/pemulihan/atur-ulang`` (the
code and the new password), with the reset under way kept in the session.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text, too_long
from siapkerja_adapters.web.pages.site import RESET_KEY, Site, get_route, post_route
from siapkerja_core.errors import InputError, SiapkerjaError

__all__ = ["RecoveryPages"]


class RecoveryPages:
    """*Pemulihan*: requesting a reset and resetting."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/pemulihan", self.recovery, "recovery"),
            post_route("/pemulihan", self.recovery_submit, "recovery_submit"),
            get_route("/pemulihan/atur-ulang", self.reset, "recovery_reset"),
            post_route("/pemulihan/atur-ulang", self.reset_submit, "recovery_reset_submit"),
        ]

    async def recovery(self, request: Request) -> Response:
        return self.site.render(request, "recovery.html", {"limits": INPUT_LIMITS})

    async def recovery_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        identifier = form_text(form, "identifier")
        try:
            refusal = InputError.gather(
                too_long({"identifier": identifier}, {"identifier": "input.field.identifier"})
                or (
                    []
                    if identifier
                    else [InputError.of("required", "identifier", "input.field.identifier")]
                )
            )
            if refusal is not None:
                raise refusal
            answer = await site.call(site.svc.request_password_reset, identifier)
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "recovery.html",
                error,
                {"values": {"identifier": identifier}, "limits": INPUT_LIMITS},
                form_fields=("identifier",),
            )
        request.session[RESET_KEY] = answer.id
        site.flash_key(request, "success", "recovery.sent")
        return site.redirect(request, "recovery_reset")

    def _reset_context(self) -> dict[str, object]:
        """The reset form's limits: the code's digits (the policy's) and the password's."""
        return {"limits": INPUT_LIMITS, "code_length": self.site.svc.policy.otp_length}

    async def reset(self, request: Request) -> Response:
        if not isinstance(request.session.get(RESET_KEY), str):
            return self.site.redirect(request, "recovery")
        return self.site.render(request, "reset.html", self._reset_context())

    async def reset_submit(self, request: Request) -> Response:
        site = self.site
        request_id = request.session.get(RESET_KEY)
        if not isinstance(request_id, str):
            return site.redirect(request, "recovery")
        form = await request.form()
        code = form_text(form, "code")
        password = form.get("new_password")
        try:
            await site.call(
                site.svc.reset_password,
                request_id,
                code,
                password if isinstance(password, str) else "",
            )
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "reset.html",
                error,
                self._reset_context(),
                form_fields=("code", "new_password"),
                rename={"password": "new_password"},
            )
        request.session.pop(RESET_KEY, None)
        site.flash_key(request, "success", "reset.done")
        return site.redirect(request, "login")
