"""The access history: who opened the holder's profile, and the consents given to verifiers.

This module owns ``/riwayat`` (the consent requests waiting for the holder,
the access ledger, newest first and :data:`LEDGER_PAGE` entries a page — "Lebih
lama" leads on with ``?sebelum=<cursor>``, the opaque
:meth:`~siapkerja_core.records.LedgerCursor.token` of the last entry shown —
and every consent with its verifier,
purpose and fields, and the hubs the holder is signed in to through
"Masuk dengan SIAPkerja"), ``/riwayat/persetujuan/{consent_id}/tarik`` (withdraw a
consent: every hub's token resting on it dies at its next use),
``/riwayat/aplikasi/{client_id}/putuskan`` (sign out of one hub) and
``/riwayat/permintaan/{request_id}/setujui`` and ``/tolak``
(answer a request: approving here gives every field asked; the API's
``approve`` takes fewer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import zone_of
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.disclosure import (
    AKI_STATUS,
    IDENTITY_NIK,
    IDENTITY_NIK_MASKED,
    Audience,
    scope_fields,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.prefill import ConsentRequest
from siapkerja_core.profile import Section
from siapkerja_core.records import AccessRecord, LedgerCursor
from siapkerja_core.translations import N_
from siapkerja_core.views import Account

__all__ = ["LEDGER_PAGE", "HistoryPages"]

LEDGER_PAGE: Final = 50
"""How many ledger entries ``/riwayat`` shows at once: a card scanned at every gate
of a job fair has thousands, and each visit reads and renders one page of them."""

_CURSOR_PARAM: Final = "sebelum"


# How the entry came about: a QR link scan, an access-code check-in, an AK/I officer.
_CHANNELS = {
    "access": N_("history.access"),
    "aki": N_("history.aki"),
    "sso": N_("history.sso"),
}

# The ledger's field names that are not a profile section: what a gate shows
# (``masked_name``, ``card_status``), an offline gate (``siapkerja_id``) and the
# AK/I desk (``full_name``) saw.
_FIELDS = {
    IDENTITY_NIK: N_("field.nik"),
    IDENTITY_NIK_MASKED: N_("field.nik_masked"),
    AKI_STATUS: N_("field.aki"),
    "full_name": N_("field.full_name"),
    "masked_name": N_("field.masked_name"),
    "card_status": N_("field.card_status"),
    "siapkerja_id": N_("field.siapkerja_id"),
}

# What an AK/I officer did (the ledger's purpose reads "aki <action>: <office>").
_AKI_ACTIONS = {
    "list": N_("history.aki_action.list"),
    "view": N_("history.aki_action.view"),
    "legalise": N_("history.aki_action.legalise"),
    "place": N_("history.aki_action.place"),
    "remove": N_("history.aki_action.remove"),
    "print": N_("history.aki_action.print"),
}
_AKI_PURPOSE = re.compile(r"aki (?P<action>[a-z_]+): (?P<office>.+)", re.DOTALL)


def _field_label(name: str, t: Translator) -> str:
    key = _FIELDS.get(name)
    if key is not None:
        return t(key)
    try:
        return Section(name).label(t.lang)
    except ValueError:
        return name


def _aki(entry: AccessRecord) -> tuple[str, str] | None:
    """``(action, office)`` of an AK/I officer's entry, or ``None``."""
    if entry.channel != "aki" or not entry.purpose:
        return None
    found = _AKI_PURPOSE.fullmatch(entry.purpose)
    return None if found is None else (found["action"], found["office"])


def _who(entry: AccessRecord, t: Translator) -> str:
    aki = _aki(entry)
    if aki is not None:
        return t("history.aki_officer", office=aki[1])
    name = entry.verifier_name or entry.verifier_id or "?"
    if entry.audience == "station":  # a gate: "<organiser> — <event> (<gate>)"
        return t("history.station", name=name)
    if entry.audience == Audience.VERIFIER.value:
        return t("history.verifier", name=name)
    key = {
        Audience.HOLDER.value: "history.holder",
        Audience.ACCOUNT.value: "history.account",
    }.get(entry.audience, "history.anonymous")
    return t(key)


def _purpose(entry: AccessRecord, t: Translator, events: Mapping[str, str]) -> str:
    """What the access was for, in words: an AK/I action, an event by its name (the
    holder never saw its id), else the purpose as the verifier gave it."""
    aki = _aki(entry)
    if aki is not None and aki[0] in _AKI_ACTIONS:
        return t(_AKI_ACTIONS[aki[0]])
    if not entry.purpose:
        return "-"
    return events.get(entry.purpose, entry.purpose)


def _asked(request: ConsentRequest, scope: frozenset[str], t: Translator) -> list[str]:
    """Each field a request asks for (its verifier's whole scope when it named none),
    by its label and marked essential or voluntary."""
    fields = scope if request.fields is None else request.fields
    essential, voluntary = t("history.essential_mark"), t("history.voluntary_mark")
    return [
        f"{_field_label(name, t)} {essential if name in request.essential else voluntary}"
        for name in _ordered(fields | request.essential)
    ]


def _ordered(fields: frozenset[str]) -> list[str]:
    """Identity first, then the profile's sections in the profile's order."""
    order = [*_FIELDS, *(s.value for s in Section)]
    return sorted(fields, key=lambda f: (order.index(f) if f in order else len(order), f))


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
            post_route(
                "/riwayat/aplikasi/{client_id}/putuskan", self.disconnect, "history_disconnect"
            ),
            post_route("/riwayat/permintaan/{request_id}/setujui", self.approve, "history_approve"),
            post_route("/riwayat/permintaan/{request_id}/tolak", self.decline, "history_decline"),
        ]

    def _history_data(
        self, account: Account, lang: str, before: LedgerCursor | None
    ) -> dict[str, Any]:
        svc = self.site.svc
        t = Translator(lang)
        # The ledger page, consents, hubs, requests, profile and names in one read.
        overview = svc.history_overview(account.id, limit=LEDGER_PAGE, before=before)
        page = overview.page
        ledger = page.entries
        consents = sorted(overview.consents, key=lambda c: c.granted_at, reverse=True)
        names = {e.verifier_id: e.verifier_name for e in ledger if e.verifier_id}
        events = overview.events
        requests = overview.requests
        scopes: dict[str, frozenset[str]] = {}
        for verifier_id, verifier in overview.verifiers.items():
            if verifier_id not in names:
                names[verifier_id] = None if verifier is None else verifier.name
            scopes[verifier_id] = frozenset() if verifier is None else scope_fields(verifier.scopes)
        # The entries of a page disclosed one of a few sets of fields, each worded once.
        worded: dict[tuple[str, ...], str] = {}

        def fields(names: tuple[str, ...]) -> str:
            found = worded.get(names)
            if found is None:
                found = worded[names] = ", ".join(_field_label(f, t) for f in names)
            return found

        return {
            "zone": zone_of(overview.profile, account.nik),
            "older": None if page.next is None else page.next.token(),
            "paged": before is not None,
            "connected": [
                {"id": c.id, "name": c.name, "purpose": c.purpose} for c in overview.connected
            ],
            "requests": [
                {
                    "id": r.id,
                    "verifier": r.verifier_name,
                    "purpose": r.purpose,
                    "fields": _asked(r, scopes.get(r.verifier_id, frozenset()), t),
                    "expires": r.expires_at,
                }
                for r in requests
            ],
            "entries": [
                {
                    "at": e.at,
                    "who": _who(e, t),
                    "channel": t(_CHANNELS.get(e.channel, "history.link")),
                    "purpose": _purpose(e, t, events),
                    "fields": fields(e.fields)
                    # A sign-in at a hub releases the name and card number only.
                    or (t("history.sso_sign_in") if e.channel == "sso" else "-"),
                }
                for e in ledger
            ],
            "consents": [
                {
                    "id": c.id,
                    "verifier": names.get(c.verifier_id) or c.verifier_id,
                    "purpose": c.purpose,
                    "granted": c.granted_at,
                    "withdrawn": c.withdrawn_at,
                    "fields": t("history.all_fields")
                    if c.fields is None
                    else ", ".join(_field_label(f, t) for f in _ordered(c.fields)),
                }
                for c in consents
            ],
        }

    async def history(self, request: Request) -> Response:
        site = self.site
        if (kept := await site.kept_page(request, "history.html")) is not None:
            return kept  # nothing committed since it was read (no scan either): served unread
        lang = select_language(request)
        before: LedgerCursor | None = None
        cursor = request.query_params.get(_CURSOR_PARAM)
        if cursor is not None:
            try:
                before = LedgerCursor.parse(cursor)
            except SiapkerjaError as error:
                # A cursor this page never made (edited, cut short, forged): say so,
                # in the holder's language, and read nothing.
                t = Translator(lang)
                return site.render(
                    request,
                    "error.html",
                    {"title": t("errors.title"), "message": error.message(lang)},
                    status=400,
                )
        found = await site.signed_in(request, self._history_data, lang, before)
        if found is None:
            return site.to_login(request)
        account, data = found
        # Rendered again only when what it shows (read for this request) changed; the
        # cursor is part of what it shows (and of the query the cache keys on).
        context = {**data, "account": account}
        return site.render_shown(request, "history.html", context, (account, before, data))

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

    async def disconnect(self, request: Request) -> Response:
        """*Putuskan*: sign the holder out of a hub (its tokens die; the consent stays)."""
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        client_id = request.path_params["client_id"]
        try:
            client = await site.call(site.svc.sso.client, client_id)
            await site.call(site.svc.sso.sign_out, account.id, client=client)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", "history.disconnected", name=client.name)
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
