"""The card page: the SIAPkerja-ID card, its link QR, access codes, issuing and rotating.

This module owns ``/kartu`` (the card and its link QR, and with ``?acara=``
an access code for an event, and under its QR the short code a gate types
when its camera cannot scan), ``/kartu/kode-akses.json`` (a fresh access
code and short code for the page's script, which refreshes them at the code's pace),
``/kartu/terbitkan`` (issue the card; a profile not complete enough is shown
its missing fields) and ``/kartu/rotasi`` (a new link QR; the old one stops
opening the profile).
"""

from __future__ import annotations

import math
from typing import Any, Final

from attrs import frozen
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import (
    account_zone,
    event_window,
    page_status,
    time_label,
    zone_of,
)
from siapkerja_adapters.web.pages.profile import ProfilePages
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.errors import CardError, SiapkerjaError
from siapkerja_core.gates import Event
from siapkerja_core.render.card import Card
from siapkerja_core.tokens import format_short_code
from siapkerja_core.views import Account

__all__ = ["CardPages", "CardSvg"]

_MAX_EVENT_LENGTH: Final = 64


@frozen
class CardSvg:
    """The card's SVG in the page's language, drawn when the template shows it.

    The page's data holds this, not the drawing: a page kept by
    :meth:`~siapkerja_adapters.web.pages.site.Site.render_shown` compares the
    card itself (every field it is drawn from, its QR's link included) and is
    served without drawing it again; a page rendered draws it then.
    """

    card: Card
    lang: str

    def __html__(self) -> str:
        return self.card.in_language(self.lang).to_svg()

    def __str__(self) -> str:
        return self.__html__()


def _event_item(event: Event, lang: str) -> dict[str, str]:
    """An upcoming event as the card page lists it: its window in the event's own zone."""
    opens, closes = event_window(event.opens_at, event.closes_at, lang, event.zone)
    return {
        "id": event.id,
        "name": event.name,
        "venue": event.venue,
        "opens": opens,
        "closes": closes,
        "label": f"{event.name} — {event.venue}",
    }


class CardPages:
    """*Kartu SIAPkerja-ID*: the card and its codes.

    :param profile: the profile pages, which show why a card cannot be issued yet.
    """

    def __init__(self, site: Site, profile: ProfilePages) -> None:
        self.site = site
        self.profile = profile

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/kartu", self.card, "card"),
            get_route("/kartu/kode-akses.json", self.access_code, "card_access_code"),
            post_route("/kartu/terbitkan", self.issue, "card_issue"),
            post_route("/kartu/rotasi", self.rotate, "card_rotate"),
        ]

    def _card_data(self, account: Account, event: str, lang: str = "id") -> dict[str, Any]:
        svc = self.site.svc
        try:
            # The card, its link QR, the profile (for the zone) and the events in one read.
            overview = svc.card_overview(account.id)
        except CardError as error:
            return {
                "card": None,
                "card_error": None if error.code == "no_card" else error,
                "completeness": svc.completeness(account.id),
            }
        card, link = overview.card, overview.link
        upcoming = overview.upcoming
        data: dict[str, Any] = {
            "card": card,
            "card_svg": CardSvg(card, lang),  # the card in the page's language
            "link": link,
            "link_svg": link.svg(),
            "event": event,
            "access": None,
            "period": svc.cards.access_period,
            # The events a code can be made for: the holder picks one, not an id of
            # their own invention (an unknown one is card.unknown_purpose).
            "upcoming": [_event_item(e, lang) for e in upcoming],
            "zone": zone_of(overview.profile, account.nik),
        }
        if event:
            chosen = next((e for e in upcoming if e.id == event), None)
            # A class or a programme is a purpose too: named by its code.
            data["access_for"] = event if chosen is None else _event_item(chosen, lang)["label"]
            access = svc.card_qr(account.id, mode="access", purpose=event)
            data["access"] = access
            data["access_svg"] = access.svg()
            data["access_expires_at"] = access.expires_at
            left = (
                0.0
                if access.expires_at is None
                else (access.expires_at - svc.now()).total_seconds()
            )
            data["access_expires_in"] = max(1, math.ceil(left))
            # For a gate whose camera cannot scan: typed with the card's number.
            data["short_code"] = format_short_code(access.short_code or "")
        return data

    async def card(self, request: Request) -> Response:
        site = self.site
        event = request.query_params.get("acara", "").strip()[:_MAX_EVENT_LENGTH]
        lang = select_language(request)
        # Not with an access code: it lives 30 s and the page counts it down.
        if not event and (kept := await site.kept_page(request, "card.html")) is not None:
            return kept  # nothing committed since it was read: served unread
        found = await site.signed_in(request, self._card_data_or_refusal, event, lang)
        if found is None:
            return site.to_login(request)
        account, (data, error) = found
        if error is not None:
            data = await site.call(self._card_data, account, "", lang)
            context = {**data, "account": account, "values": {"event": event}}
            return site.form_error(request, "card.html", error, context, form_fields=("event",))
        context = {**data, "account": account, "values": {"event": event}}
        # Rendered again only when what it shows (read for this request) changed.
        return site.render_shown(request, "card.html", context, (account, data))

    def _card_data_or_refusal(
        self, account: Account, event: str, lang: str
    ) -> tuple[dict[str, Any], SiapkerjaError | None]:
        """:meth:`_card_data`, or the refusal of the code asked for (``event``)."""
        try:
            return self._card_data(account, event, lang), None
        except SiapkerjaError as error:
            return {}, error

    async def access_code(self, request: Request) -> Response:
        """JSON for the card page's script: a fresh access code and its QR as SVG."""
        site = self.site
        lang = select_language(request)
        account = await site.current_account(request)
        if account is None:
            message = Translator(lang)("errors.sign_in")
            return JSONResponse({"code": "login.required", "message": message}, status_code=401)
        purpose = request.query_params.get("purpose", "").strip()[:_MAX_EVENT_LENGTH]
        try:
            access = await site.call(site.svc.card_qr, account.id, "access", purpose)
        except SiapkerjaError as error:
            status, headers = page_status(error, site.svc.now())
            return JSONResponse(
                {"code": error.full_code, "message": error.message(lang)},
                status_code=status,
                headers=headers,
            )
        expires = access.expires_at
        seconds = 0 if expires is None else (expires - site.svc.now()).total_seconds()
        return JSONResponse(
            {
                "purpose": access.purpose,
                "token": access.token,
                "svg": access.svg(),
                "expires_at": None if expires is None else expires.isoformat(),
                "expires_label": time_label(
                    expires, lang, await site.call(account_zone, site.svc, account)
                ),
                "expires_in": max(1, math.ceil(seconds)),
                "short_code": format_short_code(access.short_code or ""),
                "period": site.svc.cards.access_period,
            }
        )

    async def issue(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        try:
            await site.call(site.svc.issue_card, account.id)
        except SiapkerjaError as error:  # ProfileIncomplete above all
            return await self.profile.refused(request, account, error)
        site.flash_key(request, "success", "card.issued")
        return site.redirect(request, "card")

    async def rotate(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        try:
            await site.call(site.svc.rotate_card, account.id)
        except SiapkerjaError as error:
            site.flash_error(request, error)
        else:
            site.flash_key(request, "success", "card.rotated")
        return site.redirect(request, "card")
