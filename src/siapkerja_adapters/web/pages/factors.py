"""*Keamanan akun*: the holder's second factors, the sign-in's second step, reset by factor.

This module owns

* ``/keamanan`` — the factors with when each was added and last used; enrol an
  authenticator app (``/keamanan/autentikator``: the QR and the key to type,
  then the first code), see new recovery codes once (``/keamanan/kode-pemulihan``),
  add a passkey (``/keamanan/passkey/mulai`` answers the options as JSON,
  ``static/passkeys.js`` calls ``navigator.credentials.create`` and posts the
  answer to ``/keamanan/passkey``), remove a factor (``/keamanan/hapus``);
* ``/masuk/faktor`` — the second step of a sign-in whose password was right:
  an authenticator or recovery code, or a passkey (``/masuk/faktor/passkey``
  answers the options). The pending sign-in token waits in the signed session
  cookie for its five minutes; it carries no secret of the holder;
* ``/pemulihan/faktor`` — a password reset with an authenticator or recovery
  code when the SMS did not arrive (the reset under way is the session's).

Recovery codes and a new authenticator's key are shown in the answer to the
POST that made them and never kept in the session: shown once.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text
from siapkerja_adapters.web.pages.login import (
    PENDING_KEY,
    safe_next,
    signed_in_response,
)
from siapkerja_adapters.web.pages.site import RESET_KEY, Site, get_route, post_route
from siapkerja_core.errors import InputError, SiapkerjaError
from siapkerja_core.factors import FactorError
from siapkerja_core.views import Account

__all__ = ["FactorPages"]

_MAX_CREDENTIAL: Final = 16_000


class FactorPages:
    """The security page, the sign-in's second step and the reset by factor."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/keamanan", self.security, "security"),
            post_route("/keamanan/autentikator", self.totp_start, "security_totp"),
            post_route(
                "/keamanan/autentikator/konfirmasi",
                self.totp_confirm,
                "security_totp_confirm",
                page="security",
            ),
            post_route("/keamanan/kode-pemulihan", self.codes, "security_codes"),
            post_route("/keamanan/hapus", self.remove, "security_remove"),
            post_route("/keamanan/passkey/mulai", self.passkey_begin, "security_passkey_begin"),
            post_route("/keamanan/passkey", self.passkey_register, "security_passkey"),
            get_route("/masuk/faktor", self.second_step, "login_factor"),
            post_route("/masuk/faktor", self.second_step_submit, "login_factor_submit"),
            post_route(
                "/masuk/faktor/passkey",
                self.second_step_passkey,
                "login_factor_passkey",
                page="login_factor",
            ),
            get_route("/pemulihan/faktor", self.reset, "recovery_factor"),
            post_route("/pemulihan/faktor", self.reset_submit, "recovery_factor_submit"),
        ]

    # --- the sign-in's second step ------------------------------------------------------

    def _second_step_context(self, request: Request) -> dict[str, Any]:
        return {"passkeys": self.site.svc.factors.passkeys_available, "limits": INPUT_LIMITS}

    async def second_step(self, request: Request) -> Response:
        if not isinstance(request.session.get(PENDING_KEY), str):
            return self.site.redirect(request, "login")
        return self.site.render(request, "login_factor.html", self._second_step_context(request))

    async def second_step_submit(self, request: Request) -> Response:
        site = self.site
        pending = request.session.get(PENDING_KEY)
        if not isinstance(pending, str):
            return site.redirect(request, "login")
        form = await request.form()
        code = form_text(form, "code")
        credential = form.get("credential")
        ceremony = form_text(form, "ceremony_id")
        try:
            if isinstance(credential, str) and credential and ceremony:
                if len(credential) > _MAX_CREDENTIAL:
                    raise FactorError("passkey_failed")
                account = await site.call(
                    site.svc.factors.complete_login,
                    pending,
                    ceremony_id=ceremony,
                    passkey=credential,
                )
            else:
                if not code:
                    raise InputError.of("required", "code", "factor.code")
                account = await site.call(site.svc.factors.complete_login, pending, code=code)
        except SiapkerjaError as error:
            if (
                error.full_code == "login.factor_failed"
                and site.svc.factors.checks.pending_account(pending, site.svc.now()) is None
            ):
                request.session.pop(PENDING_KEY, None)  # lapsed: start again with the password
                site.flash_error(request, error)
                return site.redirect(request, "login")
            return site.form_error(
                request,
                "login_factor.html",
                error,
                self._second_step_context(request),
                form_fields=("code",),
            )
        after = request.session.get(PENDING_KEY + "_next")
        return self.finish_sign_in(request, account, after if isinstance(after, str) else None)

    def finish_sign_in(self, request: Request, account: Account, after: str | None) -> Response:
        """The session, the device cookie and where to go, as the sign-in form does."""
        target = safe_next(self.site, request, after) if after else None
        return signed_in_response(self.site, request, account, target)

    async def second_step_passkey(self, request: Request) -> Response:
        site = self.site
        pending = request.session.get(PENDING_KEY)
        if not isinstance(pending, str):
            return JSONResponse({"error": "login.factor_failed"}, status_code=401)
        try:
            begun = await site.call(site.svc.factors.passkey_sign_in_options, pending)
        except SiapkerjaError as error:
            return JSONResponse({"error": error.full_code}, status_code=400)
        return JSONResponse({"ceremony_id": begun.ceremony_id, "options": begun.options})

    # --- the security page ----------------------------------------------------------------

    async def _account(self, request: Request) -> Account | None:
        return await self.site.current_account(request)

    def _security_context(self, account: Account) -> dict[str, Any]:
        svc = self.site.svc
        factors = svc.factors.list(account.id)
        return {
            "account": account,
            "factors": factors,
            "has_totp": any(f.kind == "totp" for f in factors),
            "codes_left": svc.factors.recovery_codes_left(account.id),
            "passkeys": svc.factors.passkeys_available,
            "limits": INPUT_LIMITS,
            "new_codes": (),
            "enrolment": None,
        }

    async def security(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        context = await site.call(self._security_context, account)
        pending = request.query_params.get("autentikator")  # an enrolment refused a code
        if pending:
            enrolment = await site.call(site.svc.factors.pending_totp, account.id, pending)
            context["enrolment"] = enrolment
        return site.render(request, "security.html", context)

    async def totp_start(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        enrolment = await site.call(site.svc.factors.start_totp, account.id)
        context = await site.call(self._security_context, account)
        return site.render(request, "security.html", {**context, "enrolment": enrolment})

    async def totp_confirm(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        factor_id, code = form_text(form, "factor_id"), form_text(form, "code")
        try:
            if not code:
                raise InputError.of("required", "code", "factor.code")
            await site.call(site.svc.factors.confirm_totp, account.id, factor_id, code)
        except SiapkerjaError as error:
            context = await site.call(self._security_context, account)
            enrolment = await site.call(site.svc.factors.pending_totp, account.id, factor_id)
            return site.form_error(
                request,
                "security.html",
                error,
                {**context, "enrolment": enrolment},
                form_fields=("code",),
                # Back to the page with the same enrolment (its QR and key) shown again.
                redirect_to=site.url(request, "security", query={"autentikator": factor_id}),
            )
        site.flash_key(request, "success", "security.totp_added")
        return site.redirect(request, "security")

    async def codes(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        made = await site.call(site.svc.factors.generate_recovery_codes, account.id)
        context = await site.call(self._security_context, account)
        return site.render(request, "security.html", {**context, "new_codes": made.codes})

    async def remove(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        try:
            await site.call(site.svc.factors.remove, account.id, form_text(form, "factor_id"))
        except SiapkerjaError as error:
            site.flash_error(request, error)
            return site.redirect(request, "security")
        site.flash_key(request, "success", "security.removed")
        return site.redirect(request, "security")

    async def passkey_begin(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return JSONResponse({"error": "login.session_invalid"}, status_code=401)
        try:
            begun = await site.call(site.svc.factors.passkey_registration_options, account.id)
        except SiapkerjaError as error:
            return JSONResponse({"error": error.full_code}, status_code=400)
        return JSONResponse({"ceremony_id": begun.ceremony_id, "options": begun.options})

    async def passkey_register(self, request: Request) -> Response:
        site = self.site
        account = await self._account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        credential = form.get("credential")
        try:
            if not isinstance(credential, str) or not credential:
                raise FactorError("passkey_failed")
            if len(credential) > _MAX_CREDENTIAL:
                raise FactorError("passkey_failed")
            await site.call(
                site.svc.factors.register_passkey,
                account.id,
                form_text(form, "ceremony_id"),
                credential,
                label=form_text(form, "label") or "Passkey",
            )
        except SiapkerjaError as error:
            site.flash_error(request, error)
            return site.redirect(request, "security")
        site.flash_key(request, "success", "security.passkey_added")
        return site.redirect(request, "security")

    # --- the reset by factor ---------------------------------------------------------------

    def _reset_context(self) -> dict[str, Any]:
        return {"limits": INPUT_LIMITS}

    async def reset(self, request: Request) -> Response:
        if not isinstance(request.session.get(RESET_KEY), str):
            return self.site.redirect(request, "recovery")
        return self.site.render(request, "reset_factor.html", self._reset_context())

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
                site.svc.factors.reset_password,
                request_id,
                code,
                password if isinstance(password, str) else "",
            )
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "reset_factor.html",
                error,
                self._reset_context(),
                form_fields=("code", "new_password"),
                rename={"password": "new_password"},
            )
        request.session.pop(RESET_KEY, None)
        site.flash_key(request, "success", "reset.done")
        return site.redirect(request, "login")
