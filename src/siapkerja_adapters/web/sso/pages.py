"""The holder's side of "Masuk dengan SIAPkerja": the authorization endpoint and its screens.

This module owns ``/oauth2/authorize`` (GET and POST) and the screens a
holder passes on the way back to the hub:

1. **sign in** — the existing sign-in page (``/``) with a safe ``next`` that
   brings the holder back here (``prompt=login`` and an exceeded ``max_age``
   sign the holder out first, so the sign-in is fresh);
2. **SMS code** (step-up) — when the client asks it or a sensitive field is
   requested (``/oauth2/authorize/sms``, with a resend button);
3. **consent** — the hub's name and purpose (as the administrator wrote it),
   each claim in plain words (the card number only to a holder with a card),
   essential ones marked *wajib* and fixed, voluntary ones as checkboxes;
   *Izinkan* / *Tolak* (``/oauth2/authorize/izin``, CSRF-protected);

and then the redirect back with ``code``, ``state`` and ``iss``. The pending
request is kept **in the session** (the signed cookie, bound to this
browser) under a random id, never in hidden fields a visitor could edit;
it is validated again by Authlib at every step. The SMS code and consent
screens are shown only at the pending request's own address
(``/oauth2/authorize/lanjut?id=…``): the authorization request and every form
answer 303 there (POST/redirect/GET), so a reload or a language switch never
replays the request (its ``state``) or a form. A form's refusal (a wrong SMS
code) is kept in the pending entry and shown there once.

A request whose client or ``redirect_uri`` is wrong is shown as an error page
and never redirected; any other error goes back to the client's
``redirect_uri`` with ``error``, ``state`` and ``iss`` (RFC 9207).
``prompt=none`` answers ``login_required``, ``interaction_required`` or
``consent_required`` instead of showing a screen.

It also owns the confirmation screen of RP-initiated logout
(``/oauth2/logout``).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    InvalidRequestURIError,
    LoginRequiredError,
)
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import form_text
from siapkerja_adapters.web.pages.history import _FIELDS as FIELD_LABELS
from siapkerja_adapters.web.pages.site import (
    AUTH_KEY,
    AUTH_TIME_KEY,
    SSO_KEY,
    SSO_LOGOUT_KEY,
    SSO_PENDING_TTL,
    Site,
    get_route,
    post_route,
)
from siapkerja_adapters.web.security import new_session
from siapkerja_adapters.web.sso.binding import (
    OAuthResponse,
    ReadRequest,
    read_request,
    to_starlette,
)
from siapkerja_adapters.web.sso.server import Holder, SsoServer, oauth_error
from siapkerja_core import translations
from siapkerja_core.errors import CardError, OtpError, SiapkerjaError
from siapkerja_core.profile import Section
from siapkerja_core.sso import AMR_OTP, AMR_PASSWORD, BASE_CLAIMS, SsoError
from siapkerja_core.views import Account

if TYPE_CHECKING:
    from siapkerja_adapters.web.sso import SsoProvider

__all__ = ["PENDING_TTL", "SsoPages", "field_label"]

logger = logging.getLogger("siapkerja.web")

PENDING_TTL: Final = SSO_PENDING_TTL
"""Seconds a pending authorization request waits in the session for the holder."""
_MAX_PENDING: Final = 3
"""Pending requests one browser keeps at once (a few tabs); the oldest goes first."""
_KEPT: Final = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
)
"""The parameters a pending request keeps: what the next steps validate again and the
code carries. The rest (``login_hint``, ``ui_locales``, ``display`` …) is accepted and
not used."""
_MAX_VALUE: Final = 512
"""The longest ``state``, ``nonce``, ``scope`` or ``prompt`` accepted (the session is a cookie)."""
_MAX_SESSION_SHARE: Final = 2500
"""Bytes of JSON the pending requests may take in the session cookie (browsers keep 4 KB)."""
_LOGOUT_KEY: Final = SSO_LOGOUT_KEY
_BASE_LABELS: Final = {"siapkerja_id": "field.siapkerja_id", "name": "field.full_name"}


def field_label(name: str, t: Translator) -> str:
    """A disclosure field (or base claim) in plain words, in the page's language."""
    key = FIELD_LABELS.get(name) or _BASE_LABELS.get(name)
    if key is not None:
        return t(key)
    try:
        return Section(name).label(t.lang)
    except ValueError:
        return name


def _ordered(fields: frozenset[str]) -> list[str]:
    order = [*FIELD_LABELS, *(s.value for s in Section)]
    return sorted(fields, key=lambda f: (order.index(f) if f in order else len(order), f))


class SsoPages:
    """``/oauth2/authorize`` and the holder's screens; ``/oauth2/logout``."""

    def __init__(self, site: Site, provider: SsoProvider) -> None:
        self.site = site
        self.provider = provider

    @property
    def server(self) -> SsoServer:
        return self.provider.server

    def routes(self) -> list[BaseRoute]:
        return [
            Route(
                "/oauth2/authorize", self.authorize, methods=["GET", "POST"], name="sso_authorize"
            ),
            get_route("/oauth2/authorize/lanjut", self.resume, "sso_resume"),
            post_route("/oauth2/authorize/sms", self.step_up_submit, "sso_step_up"),
            post_route(
                "/oauth2/authorize/sms/kirim-ulang", self.step_up_resend, "sso_step_up_resend"
            ),
            post_route("/oauth2/authorize/izin", self.consent_submit, "sso_consent"),
            Route("/oauth2/logout", self.logout, methods=["GET", "POST"], name="sso_logout"),
            post_route("/oauth2/logout/konfirmasi", self.logout_submit, "sso_logout_submit"),
        ]

    # --- pages and redirects --------------------------------------------------------------

    def error_page(
        self, request: Request, error: OAuth2Error | str, status: int = 400, *, logout: bool = False
    ) -> Response:
        """The request cannot go back to the client: say so here, never redirect.

        :param logout: a sign-out request's error (the page says so, not "sign-in").
        """
        code = error if isinstance(error, str) else str(error.error)
        description = "" if isinstance(error, str) else str(error.description or "")
        context = {"code": code, "description": description, "logout": logout}
        return self.site.render(request, "sso_error.html", context, status=status)

    def _pending(self, request: Request) -> dict[str, Any]:
        kept = request.session.get(SSO_KEY)
        if not isinstance(kept, dict):
            return {}
        now = self._now()
        return {
            k: v
            for k, v in kept.items()
            if isinstance(v, dict) and isinstance(v.get("t"), int) and now - v["t"] < PENDING_TTL
        }

    def _keep(self, request: Request, rid: str, entry: dict[str, Any]) -> None:
        pending = self._pending(request)
        pending[rid] = entry
        while len(pending) > 1 and (
            len(pending) > _MAX_PENDING or len(json.dumps(pending)) > _MAX_SESSION_SHARE
        ):
            oldest = min(pending, key=lambda k: pending[k]["t"])
            del pending[oldest]
        request.session[SSO_KEY] = pending

    def _drop(self, request: Request, rid: str) -> None:
        pending = self._pending(request)
        pending.pop(rid, None)
        request.session[SSO_KEY] = pending

    @staticmethod
    def _put_error(entry: dict[str, Any], error: SiapkerjaError) -> None:
        """Keep a form's refusal, in every language, for the pending page to show once."""
        entry["err"] = {lang: error.message(lang) for lang in translations.languages()}

    def _take_error(
        self, request: Request, rid: str, entry: dict[str, Any], lang: str
    ) -> str | None:
        """The refusal kept by :meth:`_put_error`, in ``lang``; shown once."""
        kept = entry.pop("err", None)
        if not isinstance(kept, dict):
            return None
        self._keep(request, rid, entry)
        text = kept.get(lang) or next(iter(kept.values()), None)
        return text if isinstance(text, str) else None

    async def _read_base(self, request: Request) -> ReadRequest:
        return ReadRequest(
            "GET", self.provider.issuer(request) + "/oauth2/authorize", request.headers
        )

    async def _redirect(self, request: Request, read: ReadRequest, error: OAuth2Error) -> Response:
        """An error after the redirect URI was validated: back to the client, with ``iss``."""
        if not error.redirect_uri:
            return self.error_page(request, error)
        response: OAuthResponse = await self.provider.run(
            request, self.server.error_redirect, read, error
        )
        return to_starlette(response)

    # --- the authorization endpoint -------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """``GET|POST /oauth2/authorize``: validate, remember, and go on to the next screen."""
        provider = self.provider
        try:
            read = await read_request(request, uri=provider.issuer(request) + "/oauth2/authorize")
        except OAuth2Error as error:
            return self.error_page(request, error)
        params = dict(reversed(read.form or read.query))  # the first of a repeated one
        pushed = False
        if "request_uri" in params:
            try:
                params = await provider.run(
                    request, self._pushed, params.get("client_id"), params["request_uri"]
                )
            except OAuth2Error as error:
                return self.error_page(request, error)
            pushed = True
            read = read.replaced(params)
        account = await self.site.current_account(request)
        try:
            grant = await provider.run(request, self._validate_new, read, account, pushed)
        except OAuth2Error as error:
            return await self._redirect(request, read, error)
        kept = {k: v for k, v in params.items() if k in _KEPT and isinstance(v, str)}
        kept["redirect_uri"] = grant.redirect_uri
        prompts = set(kept.get("prompt", "").split())
        if account is not None and "login" in prompts and "none" not in prompts:
            await self._sign_out_here(request)  # prompt=login: a fresh sign-in, whoever it is
            account = None
        entry: dict[str, Any] = {
            "p": kept,
            "t": self._now(),
            "par": pushed,
            "n": grant.request.client.model.name,
        }
        rid = secrets.token_urlsafe(12)
        self._keep(request, rid, entry)
        return await self._advance(request, rid, entry, account, show=False)

    def _pushed(self, client_id: str | None, request_uri: str) -> dict[str, str]:
        """In a worker thread: the parameters pushed under ``request_uri`` (RFC 9126 §4)."""
        if not isinstance(client_id, str) or not client_id:
            raise InvalidRequestError("client_id is required with request_uri.")
        try:
            params = dict(self.server.sso.pushed_request(client_id, request_uri))
        except SsoError:
            raise InvalidRequestURIError("The request_uri is unknown, used or expired.") from None
        if params.get("client_id", client_id) != client_id:
            raise InvalidRequestURIError("The request_uri belongs to another client.")
        params["client_id"] = client_id
        return params

    def _validate_new(self, read: ReadRequest, account: Account | None, pushed: bool) -> Any:
        """In a worker thread: Authlib's validation, then the provider's own rules
        (PAR for high-assurance clients, ``state`` required and never reused).

        Nothing is stored: the ``state`` is only checked unused here, and spent when
        the code is issued (:class:`~.server.CodeGrant`), so anonymous requests cost
        no storage and cannot spend a holder's state ahead of them."""
        server = self.server
        grant = server.check_authorization(read, account)
        client = grant.request.client
        state = grant.request.payload.state
        redirect = grant.redirect_uri
        if client.model.high_assurance and not pushed:
            raise InvalidRequestError(
                "This client must push its authorization requests (PAR).", redirect_uri=redirect
            )
        if not state:
            raise InvalidRequestError("state is required.", redirect_uri=redirect)
        data = grant.request.payload.data
        for name in ("state", "nonce", "scope", "prompt"):
            if len(data.get(name) or "") > _MAX_VALUE:
                raise InvalidRequestError(
                    f"{name} is too long.", redirect_uri=redirect, state=state
                )
        if data.get("response_mode", "query") != "query":
            raise InvalidRequestError(
                "Only the query response mode is supported.", redirect_uri=redirect, state=state
            )
        max_age = data.get("max_age")
        if max_age is not None and (not max_age.isdigit() or len(max_age) > 9):
            raise InvalidRequestError(
                "max_age must be a number of seconds.", redirect_uri=redirect, state=state
            )
        if server.sso.state_used(client.model, state):  # a read: spent when the code is issued
            raise InvalidRequestError(
                "This state was used before.", redirect_uri=redirect, state=state
            )
        return grant

    # --- the steps ------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.site.svc.now().timestamp())

    async def _sign_out_here(self, request: Request) -> None:
        """End the provider session, keeping the pending requests and the language."""
        token = request.session.get(AUTH_KEY)
        if isinstance(token, str):
            await self.site.call(self.site.svc.logout, token)
        new_session(request.session, keep=("lang", SSO_KEY))

    def _needs_sign_in(
        self, request: Request, entry: Mapping[str, Any], account: Account | None
    ) -> bool:
        """No holder, a sign-in of unknown age, or one older than ``max_age``."""
        if account is None:
            return True
        signed_at = request.session.get(AUTH_TIME_KEY)
        if not isinstance(signed_at, int):
            return True
        max_age = entry["p"].get("max_age")
        return (
            isinstance(max_age, str)
            and max_age.isdigit()
            and self._now() - signed_at > int(max_age)
        )

    def _to_pending(self, request: Request, rid: str, entry: dict[str, Any]) -> Response:
        """303 to the pending request's own page (``/oauth2/authorize/lanjut?id=…``)."""
        self._keep(request, rid, entry)
        return RedirectResponse(self.site.url(request, "sso_resume", query={"id": rid}), 303)

    async def _advance(
        self,
        request: Request,
        rid: str,
        entry: dict[str, Any],
        account: Account | None,
        *,
        show: bool = True,
    ) -> Response:
        """Sign-in, SMS code, consent or the code itself: whichever comes next.

        :param show: render the SMS code or consent screen here; ``False`` (the
            authorization request, a form's POST) answers 303 to the pending page
            instead, so a reload or a language switch never replays a request or a form.
        """
        site, provider = self.site, self.provider
        params: dict[str, str] = entry["p"]
        read = (await self._read_base(request)).replaced(params)
        prompts = set(params.get("prompt", "").split())
        if self._needs_sign_in(request, entry, account):
            if "none" in prompts:
                return await self._redirect(
                    request, read, LoginRequiredError(redirect_uri=params["redirect_uri"])
                )
            if account is not None:  # max_age: this sign-in is too old
                await self._sign_out_here(request)
            self._keep(request, rid, entry)
            site.flash_key(request, "success", "sso.login.for_client", client=entry.get("n", ""))
            back = site.url(request, "sso_resume", query={"id": rid})
            return RedirectResponse(site.url(request, "login", query={"next": back}), 303)
        assert account is not None
        try:
            grant, plan = await provider.run(request, self._plan, read, account)
        except OAuth2Error as error:
            self._drop(request, rid)
            return await self._redirect(request, read, error)
        if plan.step_up and entry.get("otp") != account.id:
            if "none" in prompts:
                self._drop(request, rid)
                return await self._redirect(
                    request, read, InteractionRequiredError(redirect_uri=grant.redirect_uri)
                )
            if not show:
                return self._to_pending(request, rid, entry)
            return await self._step_up_page(request, rid, entry, account, grant)
        if plan.remembered is None or "consent" in prompts:
            if "none" in prompts:
                self._drop(request, rid)
                return await self._redirect(
                    request, read, ConsentRequiredError(redirect_uri=grant.redirect_uri)
                )
            if not show:
                return self._to_pending(request, rid, entry)
            return await self._consent_page(request, rid, entry, grant, plan, account)
        return await self._finish(request, rid, entry, account, plan.remembered, plan.fields)

    def _plan(self, read: ReadRequest, account: Account) -> tuple[Any, Any]:
        """In a worker thread: the request validated again, and the service's consent plan."""
        grant = self.server.check_authorization(read, account)
        prompt = grant.request.payload.data.get("prompt")
        try:
            plan = self.server.sso.plan(
                grant.request.client.model, account.id, grant.request.payload.scope, prompt=prompt
            )
        except SsoError as error:
            failure = oauth_error(error)
            failure.redirect_uri = grant.redirect_uri
            raise failure from None
        return grant, plan

    async def _finish(
        self,
        request: Request,
        rid: str,
        entry: Mapping[str, Any],
        account: Account,
        consent_id: str,
        fields: frozenset[str],
    ) -> Response:
        """Issue the code and go back to the client."""
        signed_at = request.session.get(AUTH_TIME_KEY)
        auth_time = datetime.fromtimestamp(signed_at if isinstance(signed_at, int) else 0, UTC)
        amr = [AMR_PASSWORD] + ([AMR_OTP] if entry.get("otp") == account.id else [])
        holder = Holder(
            account.id, consent_id=consent_id, fields=fields, auth_time=auth_time, amr=amr
        )
        read = (await self._read_base(request)).replaced(entry["p"])
        self._drop(request, rid)
        response: OAuthResponse = await self.provider.run(
            request, self.server.authorize, read, holder
        )
        return to_starlette(response)

    async def _entry(
        self, request: Request, rid: object
    ) -> tuple[dict[str, Any] | None, Account | None]:
        entry = self._pending(request).get(rid) if isinstance(rid, str) else None
        account = await self.site.current_account(request)
        return entry, account

    async def resume(self, request: Request) -> Response:
        """``GET /oauth2/authorize/lanjut?id=…``: back from the sign-in page (or a reload)."""
        rid = request.query_params.get("id")
        entry, account = await self._entry(request, rid)
        if entry is None or rid is None:
            return self.error_page(request, "request_expired")
        return await self._advance(request, rid, entry, account)

    # --- the SMS code ---------------------------------------------------------------------

    async def _step_up_page(
        self,
        request: Request,
        rid: str,
        entry: dict[str, Any],
        account: Account,
        grant: Any,
    ) -> Response:
        site = self.site
        lang = select_language(request)
        shown = self._take_error(request, rid, entry, lang)
        error: SiapkerjaError | None = None
        if entry.get("sent") != account.id:
            try:
                state = await site.call(site.svc.sso.send_step_up_code, account.id)
            except SiapkerjaError as failure:
                error = failure
            else:
                entry["sent"] = account.id
                entry["phone"] = state.masked_phone
                self._keep(request, rid, entry)
        context = {
            "rid": rid,
            "client_name": grant.request.client.model.name,
            "phone": entry.get("phone") or account.phone_masked,
            "step_error": shown if error is None else error.message(lang),
        }
        return site.render(request, "sso_step_up.html", context)

    async def step_up_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        rid = form_text(form, "id")
        entry, account = await self._entry(request, rid)
        if entry is None:
            return self.error_page(request, "request_expired")
        if account is None:
            return await self._advance(request, rid, entry, account, show=False)
        code = form_text(form, "code")
        try:
            await site.call(site.svc.sso.check_step_up_code, account.id, code)
        except (OtpError, SsoError) as error:
            self._put_error(entry, error)
            return self._to_pending(request, rid, entry)
        entry["otp"] = account.id  # the pending page knows the step-up was passed
        self._keep(request, rid, entry)
        return await self._advance(request, rid, entry, account, show=False)

    async def step_up_resend(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        rid = form_text(form, "id")
        entry, account = await self._entry(request, rid)
        if entry is None:
            return self.error_page(request, "request_expired")
        if account is not None:
            try:
                state = await site.call(site.svc.sso.resend_step_up_code, account.id)
            except SiapkerjaError as error:
                site.flash_error(request, error)
            else:
                entry["sent"] = account.id
                entry["phone"] = state.masked_phone
                self._keep(request, rid, entry)
                site.flash_key(request, "success", "sso.step_up.resent")
        return RedirectResponse(site.url(request, "sso_resume", query={"id": rid}), 303)

    # --- consent --------------------------------------------------------------------------

    async def _consent_page(
        self,
        request: Request,
        rid: str,
        entry: dict[str, Any],
        grant: Any,
        plan: Any,
        account: Account,
    ) -> Response:
        lang = select_language(request)
        t = Translator(lang)
        error = self._take_error(request, rid, entry, lang)
        client = grant.request.client.model
        host = urlsplit(grant.redirect_uri).hostname or ""
        previous = plan.previously_granted
        try:
            await self.site.call(self.site.svc.card, account.id)
        except CardError:  # no card, or not active: no siapkerja_id claim to promise
            base = [name for name in BASE_CLAIMS if name != "siapkerja_id"]
        else:
            base = list(BASE_CLAIMS)
        context = {
            "rid": rid,
            "account": account,
            "client_name": client.name,
            "purpose": client.purpose_label,  # as the administrator wrote it
            "host": host,
            "base": [field_label(name, t) for name in base],
            "essential": [(f, field_label(f, t)) for f in _ordered(plan.essential)],
            "voluntary": [
                (f, field_label(f, t), previous is None or f in previous)
                for f in _ordered(plan.voluntary)
            ],
            "consent_error": error,
        }
        return self.site.render(request, "sso_consent.html", context)

    async def consent_submit(self, request: Request) -> Response:
        """*Izinkan* records the consent and issues the code; *Tolak* answers access_denied."""
        site, provider = self.site, self.provider
        form = await request.form()
        rid = form_text(form, "id")
        entry, account = await self._entry(request, rid)
        if entry is None:
            return self.error_page(request, "request_expired")
        if account is None:
            return await self._advance(request, rid, entry, account, show=False)
        read = (await self._read_base(request)).replaced(entry["p"])
        if form_text(form, "decision") != "allow":
            self._drop(request, rid)
            response: OAuthResponse = await provider.run(request, self.server.authorize, read, None)
            return to_starlette(response)
        try:
            grant, plan = await provider.run(request, self._plan, read, account)
        except OAuth2Error as error:
            self._drop(request, rid)
            return await self._redirect(request, read, error)
        if plan.step_up and entry.get("otp") != account.id:
            return await self._advance(request, rid, entry, account, show=False)
        chosen = [v for v in form.getlist("field") if isinstance(v, str)]
        try:
            record = await site.call(
                site.svc.sso.approve,
                grant.request.client.model,
                account.id,
                plan,
                [*chosen, *plan.essential],
            )
            granted = plan.granted([*chosen, *plan.essential])
        except SiapkerjaError as error:
            self._put_error(entry, error)
            return self._to_pending(request, rid, entry)
        return await self._finish(request, rid, entry, account, record.id, granted)

    # --- RP-initiated logout --------------------------------------------------------------

    async def logout(self, request: Request) -> Response:
        """``GET|POST /oauth2/logout``: validate, then ask the holder to confirm."""
        site, provider = self.site, self.provider
        try:
            read = await read_request(request, uri=provider.issuer(request) + "/oauth2/logout")
        except OAuth2Error as error:
            return self.error_page(request, error, logout=True)
        try:
            checked = await provider.run(request, self._check_logout, read)
        except OAuth2Error as error:
            return self.error_page(request, error, logout=True)
        redirect, client_id, client_name = checked
        account = await site.current_account(request)
        if account is None:
            if redirect:
                return RedirectResponse(redirect, 303)
            return site.render(request, "sso_signed_out.html")
        request.session[_LOGOUT_KEY] = {"r": redirect, "c": client_id, "t": self._now()}
        return site.render(
            request, "sso_logout.html", {"account": account, "client_name": client_name}
        )

    def _check_logout(self, read: ReadRequest) -> tuple[str | None, str | None, str | None]:
        """In a worker thread: Authlib's end-session validation (the redirect only if exact)."""
        checked = self.server.validate_endpoint_request("end_session", read)
        client = checked.client
        return (
            checked.redirect_uri,
            None if client is None else client.model.id,
            None if client is None else client.model.name,
        )

    async def logout_submit(self, request: Request) -> Response:
        """The holder confirmed: end the provider session and the client's tokens."""
        site = self.site
        kept = request.session.get(_LOGOUT_KEY)
        kept = kept if isinstance(kept, dict) and isinstance(kept.get("t"), int) else {}
        if kept and self._now() - kept["t"] > PENDING_TTL:
            kept = {}
        account = await site.current_account(request)
        client = kept.get("c")
        if account is not None and isinstance(client, str):
            # The hub that asked: its tokens end too (other hubs keep theirs).
            try:
                model = await site.call(site.svc.sso.client, client)
                await site.call(site.svc.sso.sign_out, account.id, client=model)
            except SiapkerjaError:
                logger.warning("signing out of the client's tokens failed", exc_info=True)
        token = request.session.get(AUTH_KEY)
        if isinstance(token, str):
            await site.call(site.svc.logout, token)
        new_session(request.session)
        redirect = kept.get("r")
        if isinstance(redirect, str) and redirect:
            return RedirectResponse(redirect, 303)
        return site.render(request, "sso_signed_out.html")
