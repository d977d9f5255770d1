"""*Privasi & hak atas data*: the holder's rights under UU 27/2022 on one page.

This module owns ``/privasi`` (the receipts of the holder's requests and one
form per right), ``/privasi/unduh`` ("Unduh data saya": the export as a JSON
file, its schema at ``/schemas/export/v1.json``), ``/privasi/batasi`` and
``/privasi/buka`` (restrict processing, lift it), ``/privasi/tarik-semua``
(withdraw every consent), ``/privasi/keberatan`` (object to an automated
decision: an officer answers within 3×24 hours) and ``/privasi/hapus`` (erase
the account; the session ends).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import account_zone, form_text
from siapkerja_adapters.web.pages.site import AUTH_KEY, Site, get_route, post_route
from siapkerja_adapters.web.security import new_session
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.views import Account

__all__ = ["PrivacyPages"]

_MAX_PASSWORD = 1024


class PrivacyPages:
    """The holder's rights: download, restrict, withdraw, object, erase; the receipts."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/privasi", self.page, "privacy"),
            get_route("/privasi/unduh", self.download, "privacy_download"),
            post_route("/privasi/batasi", self.restrict, "privacy_restrict"),
            post_route("/privasi/buka", self.lift, "privacy_lift"),
            post_route("/privasi/tarik-semua", self.withdraw_all, "privacy_withdraw_all"),
            post_route("/privasi/keberatan", self.objection, "privacy_objection"),
            post_route("/privasi/hapus", self.erase, "privacy_erase"),
        ]

    def _data(self, account: Account) -> dict[str, Any]:
        svc = self.site.svc
        return {
            "zone": account_zone(svc, account),
            "restricted": svc.rights.restricted(account.id),
            "receipts": list(reversed(svc.rights.requests(account.id))),
        }

    async def page(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        data = await site.call(self._data, account)
        return site.render(request, "privacy.html", {**data, "account": account})

    async def download(self, request: Request) -> Response:
        """*Unduh data saya*: the export as a file (recorded as an access request)."""
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        document = await site.call(site.svc.rights.export, account.id)
        name = f"siapkerja-data-{document['generated_at'][:10]}.json"
        return Response(
            json.dumps(document, ensure_ascii=False, indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    async def _act(self, request: Request, action: str) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        rights = site.svc.rights
        calls = {
            "restrict": rights.restrict,
            "lift": rights.lift_restriction,
            "withdraw_all": rights.withdraw_all,
        }
        try:
            done = await site.call(calls[action], account.id)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", f"rights.done_{action}", receipt=done.receipt)
        return site.redirect(request, "privacy")

    async def restrict(self, request: Request) -> Response:
        return await self._act(request, "restrict")

    async def lift(self, request: Request) -> Response:
        return await self._act(request, "lift")

    async def withdraw_all(self, request: Request) -> Response:
        return await self._act(request, "withdraw_all")

    async def objection(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        note = form_text(site.submitted(request), "note")
        try:
            done = await site.call(site.svc.rights.object, account.id, note)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", "rights.done_objection", receipt=done.receipt)
        return site.redirect(request, "privacy")

    async def erase(self, request: Request) -> Response:
        """*Hapus akun*: only with the box ticked and the password again; then the session
        ends."""
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        form = site.submitted(request)
        if form_text(form, "confirm") != "yes":
            site.flash_key(request, "error", "rights.erase_unconfirmed")
            return site.redirect(request, "privacy")
        password = form.get("password")
        password = password if isinstance(password, str) else ""
        try:
            done = await site.call(
                lambda: site.svc.rights.erase(account.id, password=password[:_MAX_PASSWORD])
            )
        except SiapkerjaError as error:
            site.flash_error(request, error)
            return site.redirect(request, "privacy")
        request.session.pop(AUTH_KEY, None)
        new_session(request.session)
        site.flash_key(request, "success", "rights.done_erase", receipt=done.receipt)
        return site.redirect(request, "login")
