"""Signing in and out: the home page's sign-in form and the sign-out confirmation.

This module owns ``/`` (sign in with a NIK, e-mail or phone number and a
password; a signed-in visitor goes on to the profile, or to ``next`` when it
is a path of this application — single sign-on sends holders here with
``next`` pointing back to the authorization request, see :func:`safe_next`) and ``/keluar`` (sign
out: the core session ends, the cookie's session starts afresh). A refused
sign-in stays generic (``login.failed``): it never says which part was wrong.

A successful sign-in leaves a **device cookie** (:data:`DEVICE_COOKIE`:
HttpOnly, ``SameSite=Lax``, ``Secure`` over HTTPS, for
:data:`DEVICE_COOKIE_MAX_AGE`) holding the core's device token; it goes back
to the core with the client's address (:class:`~siapkerja_core.limits.Client`)
on every sign-in, so that failures by someone else never lock the holder out
of a browser they signed in from before (OWASP's "device cookies").
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text, too_long
from siapkerja_adapters.web.pages.site import AUTH_KEY, Site, get_route, post_route
from siapkerja_adapters.web.security import new_session
from siapkerja_core.errors import InputError, SiapkerjaError
from siapkerja_core.limits import Client
from siapkerja_core.services.factors import FactorRequired
from siapkerja_core.views import Account

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_COOKIE_MAX_AGE",
    "PENDING_KEY",
    "LoginPages",
    "client_of",
    "safe_next",
]

DEVICE_COOKIE: Final = "siapkerja_device"
"""The cookie holding the device token of the browser's last successful sign-in."""

DEVICE_COOKIE_MAX_AGE: Final = 400 * 24 * 3600
"""400 days: the longest lifetime browsers keep a cookie for (RFC 6265bis)."""
_MAX_NEXT: Final = 4000
PENDING_KEY: Final = "factor_pending"
"""The session key of a sign-in waiting for its second factor (:mod:`.factors`): its
pending token, and under ``PENDING_KEY + "_next"`` where to go afterwards."""


def safe_next(site: Site, request: Request, value: object) -> str | None:
    """``value`` when it is a path under this application (no scheme, no host), else None.

    Where the sign-in page may send the visitor afterwards: never another site
    (``//evil.example``, ``/\\evil.example``, ``https://…``), never outside the
    application's own base path, no control characters.
    """
    if not isinstance(value, str) or not value or len(value) > _MAX_NEXT:
        return None
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    root = site.url(request, "login")  # the application's root: "<mount><base path>/"
    if not value.startswith(root) and value != root.rstrip("/"):
        return None
    if "/../" in parts.path + "/" or "/./" in parts.path + "/":
        return None
    return value


def sign_in_refusal(identifier: str, password: str) -> SiapkerjaError | None:
    """An empty or too long field of the sign-in form, each at its field (``None``: none).

    Says nothing about any account: a wrong identifier or password stays the one
    ``login.failed`` of the whole form.
    """
    found = too_long({"identifier": identifier}, {"identifier": "input.field.identifier"})
    if not identifier:
        found.append(InputError.of("required", "identifier", "input.field.identifier"))
    if not password:
        found.append(InputError.of("required", "password", "input.field.password"))
    return InputError.gather(found)


def client_of(request: Request, device: str | None) -> Client:
    """Where a sign-in comes from: the peer address Starlette saw and the device token."""
    address = request.client.host if request.client is not None else None
    return Client(address=address or None, device=device or None)


def signed_in_response(
    site: Site, request: Request, account: Account, after: str | None
) -> Response:
    """Open the browser's session and answer with where to go, setting the device cookie.

    Both the sign-in form and its second step (:mod:`.factors`) end here: ``after`` is an
    address already checked by :func:`safe_next` (or ``None`` for the profile).
    """
    site.sign_in(request, account)
    response: Response = (
        RedirectResponse(after, 303) if after else site.redirect(request, "profile")
    )
    device = account.session.device_token if account.session is not None else None
    if device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_MAX_AGE,
            path=site.url(request, "login"),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
    return response


class LoginPages:
    """Sign-in (the home page) and sign-out."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/", self.login, "login"),
            post_route("/", self.login_submit, "login_submit"),
            get_route("/keluar", self.logout, "logout"),
            post_route("/keluar", self.logout_submit, "logout_submit"),
        ]

    async def login(self, request: Request) -> Response:
        site = self.site
        after = safe_next(site, request, request.query_params.get("next"))
        # ``?lang=`` is kept in the session before a signed-in visitor is sent on: the page
        # they land on (``/profil``) is then in the language they chose.
        select_language(request)
        if await site.current_account(request) is not None:
            return RedirectResponse(after, 303) if after else site.redirect(request, "profile")
        # The same page for every anonymous visitor of this address: rendered once.
        context = {"next_url": after or "", "limits": INPUT_LIMITS}
        return site.render_public(request, "login.html", context, after)

    async def login_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        identifier = form_text(form, "identifier")
        password = form.get("password")
        client = client_of(request, request.cookies.get(DEVICE_COOKIE))
        after = safe_next(site, request, form.get("next"))
        secret = password if isinstance(password, str) else ""
        try:
            refusal = sign_in_refusal(identifier, secret)
            if refusal is not None:
                raise refusal
            account = await site.call(site.svc.login, identifier, secret, client)
        except FactorRequired as required:  # the password was right: the second step
            request.session[PENDING_KEY] = required.pending
            request.session[PENDING_KEY + "_next"] = after or ""
            return site.redirect(request, "login_factor")
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "login.html",
                error,
                {
                    "values": {"identifier": identifier},
                    "next_url": after or "",
                    "limits": INPUT_LIMITS,
                },
                form_fields=("identifier", "password"),
                # Where the holder was going (a hub's sign-in) survives the refusal.
                redirect_to=site.url(request, "login", query={"next": after}) if after else None,
            )
        return signed_in_response(site, request, account, after)

    async def logout(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.redirect(request, "login")
        return site.render(request, "logout.html", {"account": account})

    async def logout_submit(self, request: Request) -> Response:
        site = self.site
        token = request.session.get(AUTH_KEY)
        if isinstance(token, str):
            await site.call(site.svc.logout, token)
        new_session(request.session)
        site.flash_key(request, "success", "login.signed_out")
        response = site.redirect(request, "login")
        # The holder's photo may be kept a day under its own address (private, in this
        # browser): a signed-out browser must not show it to the next person.
        response.headers["Clear-Site-Data"] = '"cache"'
        return response
