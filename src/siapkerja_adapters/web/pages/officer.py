"""The officer's dashboard of the holder's rights: *Permintaan hak pemilik data*.

This module owns ``/petugas/hak``: signed in with the API key of an
administrator (an active verifier holding the ``admin`` scope, as the admin
API asks), the open requests of holders under UU 27/2022, the earliest
deadline (3×24 hours after receipt) first and the overdue flagged, each with
*Tandai selesai* (``/petugas/hak/{request_id}/selesai``, audited as
``verifier:<id>``); ``/petugas/hak/keluar`` forgets the key.

It also owns :class:`OfficerSignIn`, the one sign-in of every officers' desk
(this one and the disputes desk, ``/petugas/sengketa``): the key is kept in
the session cookie sealed, as the gate screen keeps a station's
(:class:`~siapkerja_adapters.web.pages.gate.Seal`), and checked on every page,
so a suspended or retired key stops working at once.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import form_text
from siapkerja_adapters.web.pages.gate import Seal
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError

__all__ = ["OFFICER_KEY", "OfficerPages", "OfficerSignIn"]

OFFICER_KEY: Final = "officer"
"""The session's sealed administrator key: one sign-in for every officers' desk."""
_PURPOSE: Final = b"siapkerja officer key"
_AAD: Final = "officer"
_MAX_KEY: Final = 200
_MAX_REASON: Final = 500


class OfficerSignIn:
    """An administrator's API key, typed once and kept sealed in the session.

    :param secret: the session secret; the key sealing the administrator's API key
        is derived from it. A random one when ``None`` (then only desks sharing this
        object share the sign-in).
    """

    def __init__(self, site: Site, secret: str | None = None) -> None:
        self.site = site
        self.seal = Seal(secret or secrets.token_urlsafe(32), _PURPOSE)

    async def current(self, request: Request) -> Verifier | None:
        """The administrator whose key the session holds, or ``None`` (checked now)."""
        key = self.seal.open(request.session.get(OFFICER_KEY), _AAD)
        if key is None:
            request.session.pop(OFFICER_KEY, None)
            return None
        try:
            officer: Verifier = await self.site.call(self.site.svc.verifiers.administrator, key)
        except SiapkerjaError:  # retired, suspended, re-keyed meanwhile: sign in again
            request.session.pop(OFFICER_KEY, None)
            return None
        return officer

    async def sign_in(self, request: Request, key: str) -> Verifier:
        """Check ``key`` and keep it sealed. :raises SiapkerjaError: not an administrator's."""
        officer: Verifier = await self.site.call(
            self.site.svc.verifiers.administrator, key[:_MAX_KEY]
        )
        request.session[OFFICER_KEY] = self.seal.seal(key[:_MAX_KEY], _AAD)
        return officer

    @staticmethod
    def sign_out(request: Request) -> None:
        request.session.pop(OFFICER_KEY, None)


class OfficerPages:
    """The open rights requests for an administrator.

    :param officers: the officers' sign-in, shared with the other desks.
    """

    def __init__(self, site: Site, officers: OfficerSignIn) -> None:
        self.site = site
        self.officers = officers

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/petugas/hak", self.page, "officer_rights"),
            post_route("/petugas/hak", self.signin, "officer_rights_signin"),
            post_route(
                "/petugas/hak/{request_id}/selesai", self.complete, "officer_rights_complete"
            ),
            post_route("/petugas/hak/keluar", self.signout, "officer_rights_signout"),
        ]

    def _listing(self) -> dict[str, Any]:
        svc = self.site.svc
        now = svc.now()
        return {
            "requests": [
                {
                    "id": r.id,
                    "receipt": r.receipt,
                    "kind": r.kind.value,
                    "account_id": r.account_id,
                    "received": r.received_at,
                    "due": r.due_at,
                    "overdue": r.overdue(now),
                    "note": r.note,
                }
                for r in svc.rights.open_requests()
            ]
        }

    async def page(self, request: Request) -> Response:
        site = self.site
        officer = await self.officers.current(request)
        if officer is None:
            return site.render(request, "officer_signin.html", {})
        listing = await site.call(self._listing)
        return site.render(request, "officer_rights.html", {**listing, "officer": officer.name})

    async def signin(self, request: Request) -> Response:
        site = self.site
        try:
            await self.officers.sign_in(request, form_text(site.submitted(request), "admin_key"))
        except SiapkerjaError as error:
            site.flash_error(request, error)
        return site.redirect(request, "officer_rights")

    async def complete(self, request: Request) -> Response:
        site = self.site
        officer = await self.officers.current(request)
        if officer is None:
            return site.redirect(request, "officer_rights")
        reason = form_text(site.submitted(request), "reason")[:_MAX_REASON] or None
        try:
            done = await site.call(
                lambda: site.svc.rights.complete(
                    request.path_params["request_id"],
                    actor=f"verifier:{officer.id}",
                    reason=reason,
                )
            )
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", "officer.completed", receipt=done.receipt)
        return site.redirect(request, "officer_rights")

    async def signout(self, request: Request) -> Response:
        self.officers.sign_out(request)
        return self.site.redirect(request, "officer_rights")
