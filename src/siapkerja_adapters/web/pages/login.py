"""Signing in and out: the home page's sign-in form and the sign-out confirmation.

This module owns ``/`` (sign in with a NIK, e-mail or phone number and a
password; a signed-in visitor goes on to the profile) and ``/keluar`` (sign
out: the core session ends, the cookie's session starts afresh). A refused
sign-in stays generic (``login.failed``): it never says which part was wrong.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import form_text
from siapkerja_adapters.web.pages.site import AUTH_KEY, Site, get_route, post_route
from siapkerja_adapters.web.security import new_session
from siapkerja_core.errors import SiapkerjaError

__all__ = ["LoginPages"]


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
        if await site.current_account(request) is not None:
            return site.redirect(request, "profile")
        return site.render(request, "login.html")

    async def login_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        identifier = form_text(form, "identifier")
        password = form.get("password")
        try:
            account = await site.call(
                site.svc.login, identifier, password if isinstance(password, str) else ""
            )
        except SiapkerjaError as error:
            return site.form_error(
                request, "login.html", error, {"values": {"identifier": identifier}}
            )
        site.sign_in(request, account)
        return site.redirect(request, "profile")

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
        return site.redirect(request, "login")
