"""The gate and class check-in screen for staff: *Petugas gerbang*.

This module owns the staff pages under ``/petugas``:

* ``/petugas`` — the gate's sign-in: pick an event or class session the service
  knows (:meth:`~siapkerja_core.services.gates.Gates.upcoming`) or type its id,
  and enter the gate's (station's) API key. The key is checked against the core
  (:meth:`~siapkerja_core.services.gates.Gates.authenticate`, a dry run that
  records nothing) and kept for this browser in the session cookie **sealed**
  (AES-GCM under a key derived with HKDF from the session secret, purpose
  ``gate-station``): the cookie is only signed, and a station key is a secret.
  Wrong keys are counted per browser and event (10 in 15 minutes) and per network
  address (100): the page is no place to guess a key.
* ``/petugas/gerbang`` — the gate screen: the holder's access code (typed, pasted,
  read by a hand-held scanner that types, or by the device camera with
  ``static/gate.js``), *Periksa* (a preview: the photo the server holds and the
  masked name, nothing recorded but the holder's ledger entry) then *Izinkan
  masuk*, or *Izinkan masuk langsung* in one step. The answer is one word in
  large text with a colour and an icon — *Boleh masuk*, *Sudah di dalam sejak
  09.15 WIB*, *Acara lain*, *Kedaluwarsa …* — and the live count inside.
  Without JavaScript the form posts and redirects (post/redirect/get): the last
  answer and a code waiting for the face check stay in the session (the code
  sealed as the key is); the page re-runs the preview when it shows the photo,
  since a photo is too large for a cookie.
* ``/petugas/gerbang/periksa.json`` — the same check for the page's script (a
  JSON body, the session's CSRF token in the ``X-CSRF-Token`` header).
* ``/petugas/keluar`` — *Keluar dari gerbang*: forget the key.

A class session is an event of kind ``class_session``: the same screen admits
to it, and the class's own admission check (enrolled trainees only) answers too.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import event_window, form_text
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_adapters.web.security import (
    PERMISSIONS_POLICY,
    Sealer,
    csrf_token,
)
from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.gates import Event, EventKind, GateError, local_zone
from siapkerja_core.services.gates import GateReceipt, StationCredential

__all__ = ["GATE_CODE_KEY", "GATE_KEY", "GATE_LAST_KEY", "GatePages", "GateScreenError", "Seal"]

logger = logging.getLogger("siapkerja.web")

GATE_KEY: Final = "gate"
"""The gate this browser is signed in to: event, station, the sealed key."""
GATE_CODE_KEY: Final = "gate_code"
"""An access code waiting for the face check (sealed), for the page without script."""
GATE_LAST_KEY: Final = "gate_last"
"""The last answer, in every language, shown by the next page (no photo: too large)."""

_PURPOSE: Final = b"siapkerja gate-station"
_MAX_CODE_TEXT: Final = 2000  # a scanner may type a whole URL; a code is ~135 symbols
_MAX_EVENT_ID: Final = 64
_MAX_KEY: Final = 200
_SIGNIN_TRIES: Final = 10
"""Sign-in tries of one browser (its session) for one event in :data:`_SIGNIN_WINDOW`."""
_SIGNIN_TRIES_PER_ADDRESS: Final = 100
"""Tries from one network address for every event: many gates may share one (a venue's
Wi-Fi, a proxy), so a stranger's wrong keys must not lock them out at 10."""
_SIGNIN_WINDOW: Final = timedelta(minutes=15)
_ACCESS_CODE: Final = re.compile(r"A-[0-9A-Za-z]{110,160}")
_LINK_TOKEN: Final = re.compile(r"L-[0-9A-Za-z]{4}-[0-9A-Za-z-]{20,80}")
# The gate's own refusals: the key is wrong, retired, re-keyed, or for another event.
_STATION_REFUSALS: Final = frozenset(
    {
        "gate.station_credential_required",
        "gate.unknown_station",
        "gate.station_retired",
        "gate.station_not_for_event",
        "gate.bad_station_signature",
    }
)
# What each refusal is called on the screen (a word or two, large) and its tone.
_ANSWERS: Final[Mapping[str, tuple[str, str]]] = {
    "gate.already_inside": ("gate.answer.already_inside", "warn"),
    "gate.wrong_event": ("gate.answer.wrong_event", "stop"),
    "gate.expired": ("gate.answer.expired", "stop"),
    "gate.revoked": ("gate.answer.revoked", "stop"),
    "gate.suspended": ("gate.answer.suspended", "stop"),
    "gate.full": ("gate.answer.full", "stop"),
    "gate.not_open": ("gate.answer.not_open", "stop"),
    "gate.closed": ("gate.answer.closed", "stop"),
    "gate.event_cancelled": ("gate.answer.cancelled", "stop"),
    "gate.unknown_event": ("gate.answer.cancelled", "stop"),
    "class.not_enrolled": ("gate.answer.not_enrolled", "stop"),
    "token.malformed": ("gate.answer.unreadable", "stop"),
    "token.forged": ("gate.answer.unreadable", "stop"),
    "token.wrong_mode": ("gate.answer.link_qr", "stop"),
    "token.revoked": ("gate.answer.revoked", "stop"),
    "gate.short_code_invalid": ("gate.answer.short_code_invalid", "stop"),
    "gate.short_code_locked": ("gate.answer.short_code_locked", "stop"),
}
_ICONS: Final[Mapping[str, str]] = {"ok": "✓", "check": "?", "warn": "!", "stop": "✕"}
_SCANNER_PERMISSIONS: Final = PERMISSIONS_POLICY.replace("camera=()", "camera=(self)")
"""The gate screen may ask for the camera (every other page may not)."""


class GateScreenError(SiapkerjaError):
    """The gate screen refuses before the core is asked.

    ``throttled`` (``retry_at``: the local time the next try is taken),
    ``choose_event`` (no event picked or typed), ``key_required`` (no key typed),
    ``code_required`` (no access code typed).
    """

    domain: ClassVar[str] = "gate_screen"
    codes: ClassVar[frozenset[str]] = frozenset(
        {"throttled", "choose_event", "key_required", "code_required"}
    )


class Seal:
    """The gate screen's :class:`~siapkerja_adapters.web.security.Sealer` of text: a
    station's API key admits people, so it travels sealed in the cookie, bound (``aad``)
    to its event, so a key sealed for one event does not open for another."""

    def __init__(self, secret: str, purpose: bytes = _PURPOSE) -> None:
        self._sealer = Sealer(secret, purpose)

    def seal(self, text: str, aad: str) -> str:
        return self._sealer.seal(text.encode("utf-8"), aad.encode("utf-8"))

    def open(self, token: object, aad: str) -> str | None:
        """The sealed text, or ``None`` when ``token`` is not one this key sealed for ``aad``."""
        plain = self._sealer.open(token, aad.encode("utf-8"), max_length=4 * _MAX_CODE_TEXT)
        try:
            return None if plain is None else plain.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def tag(self, *parts: str) -> str:
        """A keyed digest (for a counter's key: never the address itself)."""
        return self._sealer.tag(*parts)


def read_code(text: str) -> str:
    """The access code in what the field received: the code itself, or a scanner's whole
    line (a URL, a label around it). A link QR's token is passed on too, so the core
    says it is no access code; anything else goes as typed, for the core to refuse."""
    cleaned = text.strip()
    for pattern in (_ACCESS_CODE, _LINK_TOKEN):
        found = pattern.search(cleaned)
        if found is not None:
            return found.group(0)
    return cleaned


def _hhmm(moment: datetime, event: Event | None) -> str:
    local = moment.astimezone(event.zone if event is not None else local_zone(None))
    return f"{local:%H.%M} {local.tzname()}"


def _texts(key: str, **params: object) -> dict[str, str]:
    return {lang: translations.text(key, lang, **params) for lang in translations.languages()}


def _photo_uri(receipt: GateReceipt) -> str | None:
    photo = receipt.photo
    if photo is None:
        return None
    return f"data:{photo.media_type};base64,{base64.b64encode(photo.content).decode('ascii')}"


def _event_item(event: Event, lang: str) -> dict[str, str]:
    opens, closes = event_window(event.opens_at, event.closes_at, lang, event.zone)
    return {
        "id": event.id,
        "name": event.name,
        "venue": event.venue,
        "when": f"{opens} – {closes}",
        "session": "1" if event.kind is EventKind.CLASS_SESSION else "",
    }


class GatePages:
    """*Petugas gerbang*: a gate's sign-in, its check-in screen, and signing out of it.

    :param secret: the session secret; the key that seals the station key is derived
        from it (HKDF, purpose ``gate-station``). A random one when ``None`` (a gate
        then signs in again after a restart).
    """

    def __init__(self, site: Site, secret: str | None = None) -> None:
        self.site = site
        self.seal = Seal(secret or secrets.token_urlsafe(32))

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/petugas", self.signin_page, "gate_signin"),
            post_route("/petugas", self.signin, "gate_signin_submit"),
            get_route("/petugas/gerbang", self.screen, "gate"),
            post_route("/petugas/gerbang", self.check, "gate_check"),
            Route(
                "/petugas/gerbang/periksa.json",
                self.check_json,
                methods=["POST"],
                name="gate_check_json",
            ),
            post_route("/petugas/keluar", self.signout, "gate_signout"),
        ]

    # --- the gate held in the session --------------------------------------------------------

    def _gate(self, request: Request) -> tuple[dict[str, str], StationCredential] | None:
        held = request.session.get(GATE_KEY)
        if not isinstance(held, dict) or not isinstance(held.get("e"), str):
            return None
        key = self.seal.open(held.get("k"), "station\0" + held["e"])
        if key is None:  # another secret, or tampered with: sign in again
            request.session.pop(GATE_KEY, None)
            return None
        info = {k: str(v) for k, v in held.items() if k != "k" and isinstance(v, str)}
        return info, StationCredential(api_key=key)

    def _end_gate(self, request: Request) -> None:
        for key in (GATE_KEY, GATE_CODE_KEY, GATE_LAST_KEY):
            request.session.pop(key, None)

    def _headers(self) -> dict[str, str]:
        return {
            # The camera scanner's fallback decoder is WebAssembly (wasm=True); the
            # deployment's logo origin is kept (Site.policy).
            "Content-Security-Policy": self.site.policy(wasm=True),
            "Permissions-Policy": _SCANNER_PERMISSIONS,
        }

    # --- sign in ---------------------------------------------------------------------------

    async def _signin_context(self, values: Mapping[str, str], lang: str) -> dict[str, Any]:
        upcoming = await self.site.call(self.site.svc.events.upcoming, limit=100)
        return {"upcoming": [_event_item(e, lang) for e in upcoming], "values": dict(values)}

    async def signin_page(self, request: Request) -> Response:
        if self._gate(request) is not None:
            return self.site.redirect(request, "gate")
        context = await self._signin_context(
            {"event": request.query_params.get("acara", "")}, select_language(request)
        )
        return self.site.render(request, "gate_signin.html", context)

    def _throttle(self, request: Request, event_id: str) -> str:
        """Take one try of this browser's sign-ins to ``event_id`` (and of its address's);
        the browser's counter key.

        Every try takes one (a check before the key is known cannot tell a wrong one);
        a right key gives the browser its tries back (:meth:`_check_station`). The
        limits keep a typo loop or a script from hammering the page; guessing is out
        of reach anyway (a key is 192 random bits).
        """
        svc = self.site.svc
        address = request.client.host if request.client is not None else ""
        now = svc.now()
        browser = "gate-signin:" + self.seal.tag(address, event_id, csrf_token(request))
        counters = (
            (browser, _SIGNIN_TRIES),
            ("gate-signin-address:" + self.seal.tag(address), _SIGNIN_TRIES_PER_ADDRESS),
        )
        for counter, limit in counters:
            hit = svc.counters.hit(counter, limit=limit, window=_SIGNIN_WINDOW, now=now)
            if not hit.allowed:
                raise GateScreenError("throttled", retry_at=_hhmm(now + hit.retry_after, None))
        return browser

    def _event_by_code(self, event_id: str) -> Event:
        """The event ``event_id`` names, its case aside: staff type ``jobfair-jkt-2026`` for
        ``JOBFAIR-JKT-2026``. The exact id wins; else the one open event whose id matches
        without case (two that differ only by case: neither, the code is ambiguous).

        :raises GateError: ``unknown_event``.
        """
        events = self.site.svc.events
        try:
            return events.event(event_id)
        except GateError as error:
            if error.code != "unknown_event":
                raise
            wanted = event_id.casefold()
            found = [e for e in events.upcoming(limit=200) if e.id.casefold() == wanted]
            if len(found) != 1:
                raise
            return found[0]

    def _check_station(self, request: Request, event_id: str, key: str) -> tuple[Event, str]:
        """The event and the station's name, once the key proves a gate of the event."""
        svc = self.site.svc
        if not event_id:
            raise GateScreenError("choose_event")
        if not key:
            raise GateScreenError("key_required")
        counter = self._throttle(request, event_id)
        event = self._event_by_code(event_id)
        refusal = event.window_refusal(svc.now())
        if refusal is not None and refusal.code == "event_cancelled":
            raise refusal
        station = svc.events.authenticate(event.id, StationCredential(api_key=key), "", svc.now())
        svc.counters.clear(counter)
        return event, station.name

    async def signin(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        chosen = form_text(form, "event")
        typed = form_text(form, "event_id")[:_MAX_EVENT_ID]
        event_id = typed or chosen[:_MAX_EVENT_ID]
        key = form_text(form, "station_key")[:_MAX_KEY]
        try:
            event, station_name = await site.call(self._check_station, request, event_id, key)
        except SiapkerjaError as error:
            context = await self._signin_context(
                {"event": chosen, "event_id": typed}, select_language(request)
            )
            return site.form_error(
                request,
                "gate_signin.html",
                error,
                context,
                form_fields=("event_id", "station_key"),
            )
        self._end_gate(request)
        request.session[GATE_KEY] = {
            "e": event.id,
            "n": event.name,
            "v": event.venue,
            "s": station_name,
            "k": self.seal.seal(key, "station\0" + event.id),
        }
        site.flash_key(request, "success", "gate.signed_in", event=event.name)
        return site.redirect(request, "gate")

    async def signout(self, request: Request) -> Response:
        self._end_gate(request)
        self.site.flash_key(request, "success", "gate.signed_out")
        return self.site.redirect(request, "gate_signin")

    # --- the answers ----------------------------------------------------------------------

    def _event(self, event_id: str) -> Event | None:
        try:
            return self.site.svc.events.event(event_id)
        except GateError:
            return None

    def _inside(self, event_id: str) -> tuple[int | None, int | None]:
        try:
            counts = self.site.svc.events.counts(event_id)
        except GateError:
            return None, None
        return counts.inside, counts.capacity

    def _admitted(self, receipt: GateReceipt, event: Event | None) -> dict[str, Any]:
        preview = not receipt.recorded
        return {
            "tone": "check" if preview else "ok",
            "preview": preview,
            "title": _texts("gate.answer.preview" if preview else "gate.answer.admitted"),
            "detail": _texts(
                "gate.answer.preview_hint" if preview else "gate.answer.admitted_hint",
                at=_hhmm(receipt.check_in.checked_in_at, event),
            ),
            "masked_name": receipt.masked_name,
            "inside": receipt.inside,
            "capacity": receipt.capacity,
        }

    def _refused(self, error: SiapkerjaError, event_id: str) -> dict[str, Any]:
        key, tone = _ANSWERS.get(error.full_code, ("gate.answer.refused", "stop"))
        titles = {}
        for lang in translations.languages():
            # "Sudah di dalam sejak 09.15 WIB": the core's own phrase for this language
            # (with the date when it was another day), without its "pukul".
            since = error.params.get(f"since_{lang}", error.params.get("since", ""))
            titles[lang] = translations.text(
                key, lang, since=str(since).removeprefix("pukul ").strip()
            )
        inside, capacity = self._inside(event_id)
        return {
            "tone": tone,
            "preview": False,
            "title": titles,
            "detail": {lang: error.message(lang) for lang in translations.languages()},
            "masked_name": "",
            "inside": inside,
            "capacity": capacity,
        }

    def _answer(
        self, token: str, event_id: str, credential: StationCredential, *, preview: bool
    ) -> tuple[dict[str, Any], str | None]:
        """(the answer, the photo as a data URI); a station refusal is raised."""
        try:
            receipt = self.site.svc.events.admit(
                token, event_id=event_id, credential=credential, preview=preview
            )
        except SiapkerjaError as error:
            if error.full_code in _STATION_REFUSALS:
                raise
            return self._refused(error, event_id), None
        return self._admitted(receipt, self._event(event_id)), _photo_uri(receipt)

    @staticmethod
    def _in(answer: Mapping[str, Any], lang: str) -> dict[str, Any]:
        """An answer as one language shows it."""

        def pick(texts: object) -> str:
            if isinstance(texts, dict):
                return str(texts.get(lang) or texts.get("id") or "")
            return ""

        inside, capacity = answer.get("inside"), answer.get("capacity")
        return {
            "tone": answer.get("tone", "stop"),
            "icon": _ICONS.get(str(answer.get("tone")), "✕"),
            "preview": bool(answer.get("preview")),
            "title": pick(answer.get("title")),
            "detail": pick(answer.get("detail")),
            "masked_name": str(answer.get("masked_name") or ""),
            "inside": inside,
            "capacity": capacity,
            "count": _count_text(inside, capacity, lang),
        }

    def _station_refused(self, request: Request, error: SiapkerjaError) -> Response:
        self._end_gate(request)
        self.site.flash_error(request, error)
        return self.site.redirect(request, "gate_signin")

    # --- the screen -----------------------------------------------------------------------

    async def screen(self, request: Request) -> Response:
        site = self.site
        gate = self._gate(request)
        if gate is None:
            site.flash_key(request, "error", "gate.sign_in_first")
            return site.redirect(request, "gate_signin")
        info, credential = gate
        event_id = info["e"]
        lang = select_language(request)
        answer: dict[str, Any] | None = None
        photo: str | None = None
        pending = self.seal.open(request.session.get(GATE_CODE_KEY), "code\0" + event_id)
        if pending is not None:
            # The face check without script: the photo is too large for the cookie, so
            # the preview runs again for this page (the holder's ledger says so each time).
            try:
                raw, photo = await site.call(
                    self._answer, pending, event_id, credential, preview=True
                )
            except SiapkerjaError as error:
                return self._station_refused(request, error)
            if not raw["preview"]:  # refused meanwhile (expired, let in elsewhere …)
                request.session.pop(GATE_CODE_KEY, None)
                request.session[GATE_LAST_KEY] = raw
            answer = self._in(raw, lang)
        else:
            last = request.session.get(GATE_LAST_KEY)
            if isinstance(last, dict):
                answer = self._in(last, lang)
        inside, capacity = await site.call(self._inside, event_id)
        context = {
            "gate": info,
            "answer": answer,
            "photo": photo,
            "count": _count_text(inside, capacity, lang),
            "values": {"code": ""},
        }
        return site.render(request, "gate_screen.html", context, headers=self._headers())

    async def check(self, request: Request) -> Response:
        site = self.site
        gate = self._gate(request)
        if gate is None:
            site.flash_key(request, "error", "gate.sign_in_first")
            return site.redirect(request, "gate_signin")
        info, credential = gate
        event_id = info["e"]
        form = await request.form()
        action = form_text(form, "action")
        request.session.pop(GATE_LAST_KEY, None)
        pending = self.seal.open(request.session.pop(GATE_CODE_KEY, None), "code\0" + event_id)
        if action == "cancel":
            return site.redirect(request, "gate", fragment="f-code")
        typed = read_code(form_text(form, "code")[:_MAX_CODE_TEXT])
        code = typed or (pending if action == "admit" else None)
        if not code:
            error = GateScreenError("code_required")
            context = {"gate": info, "answer": None, "photo": None, "count": ""}
            return site.form_error(
                request,
                "gate_screen.html",
                error,
                {**context, "values": {"code": ""}},
                form_fields=("code",),
            )
        if action == "preview":
            request.session[GATE_CODE_KEY] = self.seal.seal(code, "code\0" + event_id)
            return site.redirect(request, "gate", fragment="answer")
        try:
            answer, _photo = await site.call(
                self._answer, code, event_id, credential, preview=False
            )
        except SiapkerjaError as error:
            return self._station_refused(request, error)
        request.session[GATE_LAST_KEY] = answer
        return site.redirect(request, "gate", fragment="answer")

    async def check_json(self, request: Request) -> Response:
        """The script's check: ``{"code", "action": "preview"|"admit"}`` → the answer."""
        site = self.site
        lang = select_language(request)
        if not _same_site(request) or not _csrf_header_ok(request):
            message = translations.text("errors.csrf", lang)
            return JSONResponse({"code": "csrf", "message": message}, status_code=403)
        gate = self._gate(request)
        if gate is None:
            return JSONResponse(
                {
                    "code": "gate.sign_in",
                    "message": translations.text("gate.sign_in_first", lang),
                    "signin": site.url(request, "gate_signin"),
                },
                status_code=401,
            )
        info, credential = gate
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        raw = body.get("code") if isinstance(body, dict) else None
        action = body.get("action") if isinstance(body, dict) else None
        code = read_code(raw[:_MAX_CODE_TEXT]) if isinstance(raw, str) else ""
        if not code or action not in ("preview", "admit"):
            error = GateScreenError("code_required")
            return JSONResponse(
                {"code": error.full_code, "message": error.message(lang)}, status_code=400
            )
        try:
            answer, photo = await site.call(
                self._answer, code, info["e"], credential, preview=action == "preview"
            )
        except SiapkerjaError as error:
            self._end_gate(request)
            return JSONResponse(
                {
                    "code": error.full_code,
                    "message": error.message(lang),
                    "signin": site.url(request, "gate_signin"),
                },
                status_code=401,
            )
        if not answer["preview"]:
            request.session[GATE_LAST_KEY] = answer  # a reload shows it too
        return JSONResponse({**self._in(answer, lang), "photo": photo, "token": code})


def _count_text(inside: object, capacity: object, lang: str) -> str:
    if not isinstance(inside, int):
        return ""
    if isinstance(capacity, int):
        return translations.text("gate.count_of", lang, inside=inside, capacity=capacity)
    return translations.text("gate.count", lang, inside=inside)


def _same_site(request: Request) -> bool:
    """The script's request comes from this site (as :func:`verify_csrf` holds forms)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    host = request.headers.get("host", "").lower()
    return origin.split("://", 1)[-1].lower() == host


def _csrf_header_ok(request: Request) -> bool:
    sent = request.headers.get("x-csrf-token", "")
    # A session without a token gets a fresh random one here, which nothing sent matches.
    expected = csrf_token(request)
    return bool(sent) and hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))
