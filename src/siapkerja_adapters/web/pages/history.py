"""The access history: who opened the holder's profile, and the consents given to verifiers.

This module owns ``/riwayat`` (the consent requests waiting for the holder,
the access ledger, newest first, and every consent with its verifier,
purpose and fields), ``/riwayat/persetujuan/{consent_id}/tarik`` (withdraw a
consent) and ``/riwayat/permintaan/{request_id}/setujui`` and ``/tolak``
(answer a request: approving here gives every field asked; the API's
``approve`` takes fewer).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import time_label
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.disclosure import AKI_STATUS, IDENTITY_NIK, IDENTITY_NIK_MASKED, Audience
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.profile import Section
from siapkerja_core.records import AccessRecord
from siapkerja_core.translations import N_
from siapkerja_core.views import Account

__all__ = ["HistoryPages"]


# How the entry came about: a QR link scan, an access-code check-in, an AK/I officer.
_CHANNELS = {"access": N_("history.access"), "aki": N_("history.aki")}


def _field_label(name: str, t: Translator) -> str:
    if name == IDENTITY_NIK:
        return t("field.nik")
    if name == IDENTITY_NIK_MASKED:
        return t("field.nik_masked")
    if name == AKI_STATUS:
        return t("field.aki")
    try:
        return Section(name).label(t.lang)
    except ValueError:
        return name


def _who(entry: AccessRecord, t: Translator) -> str:
    if entry.audience == Audience.VERIFIER.value:
        return t("history.verifier", name=entry.verifier_name or entry.verifier_id or "?")
    key = {
        Audience.HOLDER.value: "history.holder",
        Audience.ACCOUNT.value: "history.account",
    }.get(entry.audience, "history.anonymous")
    return t(key)


class HistoryPages:
    """*Riwayat akses*: the ledger and the consents."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/riwayat", self.history, "history"),
            post_route(
                "/riwayat/persetujuan/{consent_id}/tarik", self.withdraw, "history_withdraw"
            ),
            post_route("/riwayat/permintaan/{request_id}/setujui", self.approve, "history_approve"),
            post_route("/riwayat/permintaan/{request_id}/tolak", self.decline, "history_decline"),
        ]

    def _history_data(self, account: Account, lang: str) -> dict[str, Any]:
        svc = self.site.svc
        t = Translator(lang)
        ledger = sorted(svc.access_log(account.id), key=lambda e: e.at, reverse=True)
        consents = sorted(svc.consents(account.id), key=lambda c: c.granted_at, reverse=True)
        names = {e.verifier_id: e.verifier_name for e in ledger if e.verifier_id}
        missing = {c.verifier_id for c in consents} - set(names)
        if missing:
            # The facade has no lookup by id yet: read the registered names in one unit of work.
            with svc.storage.transaction() as tx:
                for verifier_id in missing:
                    verifier = tx.verifiers.get(verifier_id)
                    names[verifier_id] = None if verifier is None else verifier.name
        requests = svc.prefill.pending(account.id)
        return {
            "requests": [
                {
                    "id": r.id,
                    "verifier": r.verifier_name,
                    "purpose": r.purpose,
                    "fields": t("history.all_fields")
                    if r.fields is None
                    else ", ".join(
                        _field_label(f, t)
                        + (" " + t("history.essential_mark") if f in r.essential else "")
                        for f in sorted(r.fields)
                    ),
                    "expires": time_label(r.expires_at),
                }
                for r in requests
            ],
            "entries": [
                {
                    "at": time_label(e.at),
                    "who": _who(e, t),
                    "channel": t(_CHANNELS.get(e.channel, "history.link")),
                    "purpose": e.purpose or "-",
                    "fields": ", ".join(_field_label(f, t) for f in e.fields) or "-",
                }
                for e in ledger
            ],
            "consents": [
                {
                    "id": c.id,
                    "verifier": names.get(c.verifier_id) or c.verifier_id,
                    "purpose": c.purpose,
                    "granted": time_label(c.granted_at),
                    "withdrawn": time_label(c.withdrawn_at) if c.withdrawn_at else None,
                    "fields": t("history.all_fields")
                    if c.fields is None
                    else ", ".join(_field_label(f, t) for f in sorted(c.fields)),
                }
                for c in consents
            ],
        }

    async def history(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        data = await site.call(self._history_data, account, select_language(request))
        return site.render(request, "history.html", {**data, "account": account})

    async def withdraw(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        consent_id = request.path_params["consent_id"]
        try:
            await site.call(site.svc.withdraw_consent, account.id, consent_id)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", "history.withdrawn")
        return site.redirect(request, "history")

    async def _answer(self, request: Request, action: str) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        request_id = request.path_params["request_id"]
        answer = site.svc.prefill.approve if action == "approve" else site.svc.prefill.decline
        try:
            await site.call(answer, account.id, request_id)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", f"history.request_{action}d")
        return site.redirect(request, "history")

    async def approve(self, request: Request) -> Response:
        """*Setujui*: consent to every field the request asked for."""
        return await self._answer(request, "approve")

    async def decline(self, request: Request) -> Response:
        """*Tolak*: refuse the request; the institution receives nothing."""
        return await self._answer(request, "decline")
