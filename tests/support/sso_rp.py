"""Single sign-on in tests: a holder, hubs' clients, PKCE, the provider's forms walked by httpx.

:func:`holder` registers Galih through the journey (with a password, so he
can sign in at the provider) and completes his profile. :func:`register_hub`
registers a client (and its hub) as ``svc.sso.add_client`` does for an
administrator. :class:`ProviderWalk` drives the provider's own pages the way
a browser would, without one: it follows redirects, signs in on the sign-in
form, answers the consent form (unticking what it is told to) and the SMS
step-up form, and stops at the first redirect to the relying party's
redirect URI, which it returns. :func:`parse_forms` is the small HTML form
reader it uses.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx

from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code

PHONE = "0812-9999-9999"
PASSWORD = "kopi tubruk di pal merah"


def holder(svc: Siapkerja, *, card: bool = True) -> str:
    """Galih, registered with a password and a complete profile; his account id."""
    reg = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    reg = svc.submit_contact(reg.id, email=people.EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(reg.id, code=sms_code(svc))
    profile = people.complete_profile()
    profile["work"] = [
        {"title": "Pengembang PHP", "company": "PT Kopi Nusantara", "start": "2018-01"}
    ]
    svc.update_profile(account.id, **profile)
    if card:
        svc.issue_card(account.id)
    return account.id


@dataclass(frozen=True)
class Hub:
    """A registered client, as the hub configures its relying party."""

    client_id: str
    client_secret: str
    verifier_id: str
    name: str
    purpose: str
    redirect_uri: str
    purpose_label: str
    """The purpose as written: what the consent screen shows (``purpose`` is canonical)."""


def register_hub(
    svc: Siapkerja,
    *,
    name: str,
    scopes: Iterable[str],
    purpose: str,
    redirect_uri: str,
    fields: Iterable[str] | None = None,
    essential: Iterable[str] = (),
    post_logout_redirect_uris: Iterable[str] = (),
    **options: Any,
) -> Hub:
    client, secret = svc.sso.add_client(
        name=name,
        scopes=list(scopes),
        purpose=purpose,
        redirect_uris=[redirect_uri],
        fields=None if fields is None else list(fields),
        essential=list(essential),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        **options,
    )
    return Hub(
        client_id=client.id,
        client_secret=secret or "",
        verifier_id=client.verifier_id,
        name=client.name,
        purpose=client.purpose,
        redirect_uri=redirect_uri,
        purpose_label=client.purpose_label,
    )


def form_data(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(name, value) pairs, repetitions kept, as httpx takes a form."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, its S256 code_challenge), as RFC 7636 §4.1-4.2 make them."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# --------------------------------------------------------------------------
# HTML forms
# --------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)
    text: str = ""

    def names(self) -> set[str]:
        return {i["name"] for i in self.inputs if i.get("name")}

    def checkboxes(self) -> list[dict[str, str]]:
        return [i for i in self.inputs if i.get("type") == "checkbox"]

    def values(self, untick: Iterable[str] = ()) -> list[tuple[str, str]]:
        """What a browser submits: hidden and text inputs, ticked boxes (less ``untick``)."""
        dropped = set(untick)
        sent: list[tuple[str, str]] = []
        for item in self.inputs:
            name, kind = item.get("name"), item.get("type", "text")
            if not name or "disabled" in item:
                continue
            if kind in ("checkbox", "radio"):
                if "checked" in item and item.get("value", "on") not in dropped:
                    sent.append((name, item.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset"):
                sent.append((name, item.get("value", "")))
        return sent


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea"):
            values.setdefault("type", "text" if tag != "select" else "select")
            if values["type"] == "submit":
                self._form.buttons.append(values)
            else:
                self._form.inputs.append(values)
        elif self._form is not None and tag == "button":
            values.setdefault("type", "submit")
            values["text"] = ""
            self._button = values
            if values["type"] == "submit":
                self._form.buttons.append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data
        if self._form is not None:
            self._form.text += data


def parse_forms(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


# --------------------------------------------------------------------------
# The provider's pages, walked without a browser
# --------------------------------------------------------------------------

_DECLINE = ("tolak", "batal", "cancel", "deny", "decline")


class ProviderWalk:
    """A browser-less holder at the provider: sign in, consent, step-up.

    ``client`` keeps the provider's cookies across the walk (one ``httpx.Client``
    per browser). ``untick`` names the voluntary fields (checkbox values) the
    holder unticks on the consent screen.
    """

    def __init__(
        self,
        svc: Siapkerja,
        client: httpx.Client,
        *,
        identifier: str = people.EMAIL,
        password: str = PASSWORD,
    ) -> None:
        self.svc, self.client = svc, client
        self.identifier, self.password = identifier, password
        self.pages: list[str] = []  # the provider pages seen, for a failing test's message
        self.consent_pages: list[str] = []
        self.last_status: int | None = None  # of the redirect that reached ``stop_at``

    def run(
        self, url: str, *, stop_at: str, untick: Iterable[str] = (), max_steps: int = 20
    ) -> str:
        """From ``url`` until a redirect to ``stop_at`` (a prefix); that redirect's URL."""
        method, data = "GET", None
        dropped = tuple(untick)
        for _ in range(max_steps):
            if url.startswith(stop_at):
                return url
            response = self.client.request(
                method, url, data=None if data is None else form_data(data), follow_redirects=False
            )
            method, data = "GET", None
            if response.is_redirect:
                url = urljoin(str(response.url), response.headers["location"])
                self.last_status = response.status_code
                continue
            page = response.text
            self.pages.append(f"{response.status_code} {response.url}")
            form = self._form_of(page)
            if form is None:
                raise AssertionError(
                    f"stuck at {response.status_code} {response.url}: {_text(page)[:600]}"
                )
            fields = form.values()
            names = form.names()
            if "password" in names:
                fields = [
                    (k, self.identifier if k == "identifier" else v)
                    for k, v in fields
                    if k != "password"
                ] + [("password", self.password)]
            elif form.checkboxes() or _looks_like_consent(form):
                self.consent_pages.append(page)
                fields = form.values(dropped)
            elif names & {"code", "otp"} or any(
                n.startswith("d") and n[1:].isdigit() for n in names
            ):
                code = sms_code(self.svc)
                fields = [(k, v) for k, v in fields if k not in ("code", "otp")] + [("code", code)]
            button = _approve_button(form)
            if button is not None and button.get("name"):
                fields.append((button["name"], button.get("value", "")))
            url = urljoin(str(response.url), html.unescape(form.action) or str(response.url))
            method = form.method.upper()
            data = fields
            if method == "GET":
                url = str(httpx.URL(url, params=fields))
                data = None
        raise AssertionError(f"no redirect to {stop_at} after {max_steps} steps: {self.pages}")

    @staticmethod
    def _form_of(page: str) -> Form | None:
        forms = [f for f in parse_forms(page) if f.method == "post"]
        # The page's main form: not the header's sign-out or language switch.
        useful = [
            f for f in forms if not any(w in f.action for w in ("/keluar", "/bahasa", "lang"))
        ]
        return useful[0] if useful else None


def _looks_like_consent(form: Form) -> bool:
    return any(b.get("name") in ("decision", "action", "consent") for b in form.buttons)


def _approve_button(form: Form) -> dict[str, str] | None:
    for button in form.buttons:
        label = (button.get("text") or button.get("value") or "").strip().lower()
        if not any(word in label for word in _DECLINE):
            return button
    return form.buttons[0] if form.buttons else None


def _text(page: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
