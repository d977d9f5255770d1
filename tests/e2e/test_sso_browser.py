"""Issue 13's acceptance test: "Masuk dengan SIAPkerja" at two hubs, in Debian's chromium.

The provider is a real uvicorn server (development mode, memory storage);
the FastAPI relying party of ``examples/sso/fastapi_rp.py`` runs twice, on
two more loopback ports, as two hubs — a job portal (``karirhub`` scope) and
a training centre (``skillhub``), two verifiers, two clients. Galih, with a
password and a complete profile, signs in at both:

* on a 360-pixel phone, at hub A: "Masuk dengan SIAPkerja" → the provider's
  sign-in → the consent screen naming hub A and its purpose, with essential
  and voluntary claims; he unticks one voluntary claim → back at hub A,
  signed in, with a verified ID token; userinfo holds exactly the consented
  claims; the release is in his ledger, channel ``sso``, naming the hub;
* on a 1280-pixel screen, at hub B (its own consent screen), and at hub A
  again (the consent is remembered: no screen); hub A's ``sub`` differs
  from hub B's;
* the hub refuses its callback replayed (the ``state`` is spent);
* the provider refuses an authorization request without PKCE, one with a
  redirect URI not registered, and a code presented twice (which also
  revokes what the code gave);
* Galih withdraws hub A's consent on his *Riwayat akses* page: hub A's next
  userinfo call fails.

Screenshots of the consent screen at both widths go to
``/work/tmp/shots-sso-rp-*.png`` (``SIAPKERJA_SHOTS`` overrides the folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from siapkerja_core.profile import Section
from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import live_server
from support.sso_rp import PASSWORD, Hub, holder, pkce_pair, register_hub

pytest.importorskip("authlib")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sso" / "fastapi_rp.py"
SHOTS = Path(os.environ.get("SIAPKERJA_SHOTS", "/work/tmp"))
PHONE_VIEW = {"width": 360, "height": 740}
WIDE_VIEW = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

HUB_A = {
    "name": "Bursa Kerja Kota Bandung",
    "scopes": ["karirhub"],
    "purpose": "Melamar lowongan di Bursa Kerja Kota Bandung",
    "fields": ["contact", "education", "work", "skills", "headline"],
    "essential": ["contact", "education"],
}
SCOPE_A = "openid profile email education work skills"
HUB_B = {
    "name": "Pelatihan BLK Bandung",
    "scopes": ["skillhub"],
    "purpose": "Mendaftar pelatihan di BLK Bandung",
    "fields": ["contact", "education", "skills", "birth"],
    "essential": ["contact"],
}
SCOPE_B = "openid profile email education skills"

pytestmark = pytest.mark.filterwarnings(
    # joserfc (under Authlib, in the hubs) verifies EdDSA and warns that RFC 9864 renames it.
    "ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning"
)


def load_example() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("siapkerja_example_sso_rp", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class Site:
    """The provider, two hubs, and the holder."""

    def __init__(self, url: str, svc: Siapkerja, account_id: str) -> None:
        self.url, self.svc, self.account_id = url, svc, account_id
        self.hubs: dict[str, tuple[str, Hub, Any]] = {}  # "A"/"B" -> (url, client, state)


@pytest.fixture
def sso_site(site: tuple[str, Siapkerja]) -> Iterator[Site]:
    url, svc = site
    module = load_example()
    world = Site(url, svc, holder(svc))
    with contextlib.ExitStack() as stack:
        for key, spec, scope in (("A", HUB_A, SCOPE_A), ("B", HUB_B, SCOPE_B)):
            made: list[tuple[Hub, Any]] = []

            def make_app(
                base: str,
                spec: dict[str, Any] = spec,
                scope: str = scope,
                made: list[tuple[Hub, Any]] = made,
            ) -> Any:
                hub = register_hub(
                    svc,
                    redirect_uri=f"{base}/auth/callback",
                    post_logout_redirect_uris=[f"{base}/"],
                    **spec,
                )
                app = module.create_rp_app(
                    url,
                    hub.client_id,
                    hub.client_secret,
                    hub.redirect_uri,
                    name=hub.name,
                    scope=scope,
                )
                made.append((hub, app))
                return app

            server = stack.enter_context(live_server(make_app))
            world.hubs[key] = (server.url, made[0][0], made[0][1].state.hub)
        yield world


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"shots-sso-rp-{name}.png"), full_page=True)


def claims_on(page: Any, element_id: str) -> dict[str, Any]:
    return dict(json.loads(page.locator(f"#{element_id}").inner_text()))


def consent_screen(page: Any, hub: Hub, essential: list[str], voluntary: list[str]) -> None:
    """The consent screen names the hub and its purpose, and lists both kinds of claims."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=f"Masuk ke {hub.name}")).to_be_visible()
    expect(page.get_by_text(hub.purpose_label, exact=True)).to_be_visible()
    claims = page.locator("fieldset.sso-claims")
    for name in essential:
        item = claims.locator("li", has_text=Section(name).label("id"))
        expect(item).to_contain_text("wajib")
        expect(item.locator("input")).to_have_count(0)  # cannot be unticked
    for name in voluntary:
        box = page.get_by_label(Section(name).label("id"), exact=True)
        expect(box).to_be_checked()
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the consent screen scrolls sideways"


CONSOLE: dict[int, list[str]] = {}


def open_page(context: Any) -> Any:
    """A new tab whose console messages are kept (a CSP refusal is only told there)."""
    page = context.new_page()
    messages = CONSOLE.setdefault(id(page), [])
    page.on("console", lambda message: messages.append(message.text))
    return page


def back_at(page: Any, url: str) -> None:
    """Wait until the browser is back at the hub; say why not (a CSP refusal, say)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_url(url)
    except PlaywrightTimeout:
        refused = [m for m in CONSOLE.get(id(page), []) if "Content Security Policy" in m]
        raise AssertionError(
            f"not back at {url}, still at {page.url}"
            + (f"; the browser refused the way back: {refused[-1]}" if refused else "")
        ) from None


def sign_in_at_provider(page: Any) -> None:
    page.get_by_label("NIK, Email, atau Nomor Handphone").fill(people.EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()


def test_two_hubs_sign_in_with_siapkerja_in_a_real_browser(browser: Any, sso_site: Site) -> None:
    from playwright.sync_api import expect

    world, svc = sso_site, sso_site.svc
    url_a, hub_a, state_a = world.hubs["A"]
    url_b, hub_b, _ = world.hubs["B"]

    # ---- Hub A on a phone -----------------------------------------------------
    phone = browser.new_context(viewport=PHONE_VIEW, locale="id-ID")
    phone.set_default_timeout(TIMEOUT_MS)
    page = open_page(phone)
    callbacks: list[str] = []
    page.on(
        "request",
        lambda r: callbacks.append(r.url) if r.url.startswith(hub_a.redirect_uri) else None,
    )
    page.goto(f"{url_a}/")
    page.get_by_role("link", name="Masuk dengan SIAPkerja").click()
    page.wait_for_url(f"{world.url}/**")
    sign_in_at_provider(page)
    consent_screen(page, hub_a, ["contact", "education"], ["work", "skills", "headline"])
    shot(page, "consent-360")
    page.get_by_label(Section.WORK.label("id"), exact=True).uncheck()
    page.get_by_role("button", name="Izinkan").click()
    back_at(page, f"{url_a}/")
    expect(page.get_by_role("heading", name=f"Halo, {people.NAME}")).to_be_visible()
    shot(page, "hub-a-360")

    id_a, info_a = claims_on(page, "id-token"), claims_on(page, "userinfo")
    sub_a = id_a["sub"]
    assert id_a["aud"] == hub_a.client_id
    assert id_a["iss"] == world.url
    assert id_a["nonce"]  # Authlib compared it with the one it sent
    assert info_a["sub"] == sub_a
    # Exactly the consented claims: the base ones, contact, education, skills, headline.
    assert set(info_a) == {
        "sub",
        "siapkerja_id",
        "name",
        "email",
        "phone_number",
        "education",
        "skills",
        "headline",
    }
    assert "work" not in info_a  # unticked
    assert state_a.accounts.linked(id_a["iss"], sub_a) is not None  # linked by (iss, sub)

    # The ledger: the sign-in and the userinfo release, channel "sso", naming hub A.
    ledger = [e for e in svc.access_log(world.account_id) if e.channel == "sso"]
    assert ledger, svc.access_log(world.account_id)
    assert {e.verifier_id for e in ledger} == {hub_a.verifier_id}
    assert {e.verifier_name for e in ledger} == {hub_a.name}
    released = [e for e in ledger if e.fields]
    assert released
    assert "education" in released[-1].fields
    assert "work" not in released[-1].fields

    # The hub refuses its callback replayed: the state was spent on first use.
    assert len(callbacks) == 1
    replay = page.goto(callbacks[0])
    assert replay is not None
    assert replay.status == 400
    expect(page.locator("#error")).to_contain_text("mismatching_state")

    # ---- Hub B, and hub A again, on a wide screen --------------------------------
    wide = browser.new_context(viewport=WIDE_VIEW, locale="id-ID")
    wide.set_default_timeout(TIMEOUT_MS)
    desk = open_page(wide)
    desk.goto(f"{url_b}/")
    desk.get_by_role("link", name="Masuk dengan SIAPkerja").click()
    desk.wait_for_url(f"{world.url}/**")
    sign_in_at_provider(desk)
    consent_screen(desk, hub_b, ["contact"], ["education", "skills", "birth"])
    shot(desk, "consent-1280")
    desk.get_by_label(Section.SKILLS.label("id"), exact=True).uncheck()
    desk.get_by_role("button", name="Izinkan").click()
    back_at(desk, f"{url_b}/")
    id_b, info_b = claims_on(desk, "id-token"), claims_on(desk, "userinfo")
    assert id_b["aud"] == hub_b.client_id
    assert id_b["sub"] != sub_a  # pairwise: the hubs cannot correlate him
    assert info_b["siapkerja_id"] == info_a["siapkerja_id"]  # ...though it is him
    assert "skills" not in info_b
    assert "birthdate" in info_b

    # Hub A at the desk: he is signed in at SIAPkerja already, so no password.
    # Hub A asks for "work" again, which he refused: the screen comes back,
    # "work" unticked this time, the rest as he left it.
    desk.goto(f"{url_a}/")
    desk.get_by_role("link", name="Masuk dengan SIAPkerja").click()
    expect(desk.get_by_role("heading", name=f"Masuk ke {hub_a.name}")).to_be_visible()
    expect(desk.get_by_label(Section.WORK.label("id"), exact=True)).not_to_be_checked()
    expect(desk.get_by_label(Section.SKILLS.label("id"), exact=True)).to_be_checked()
    desk.get_by_role("button", name="Izinkan").click()
    back_at(desk, f"{url_a}/")
    assert claims_on(desk, "id-token")["sub"] == sub_a  # stable for the hub
    assert "work" not in claims_on(desk, "userinfo")
    shot(desk, "hub-a-1280")

    # ---- The provider's refusals -------------------------------------------------
    refusals(desk, world, url_a, hub_a)
    code_reuse(desk, world, hub_b)

    # ---- Withdrawal on Riwayat akses (the phone) ----------------------------------
    # Hub A's live sign-in is the desk's (its second consent replaced the first).
    assert desk.goto(f"{url_a}/userinfo").status == 200
    page.goto(f"{world.url}/riwayat")
    page.get_by_role(
        "button", name=f"Tarik persetujuan untuk {hub_a.name} ({hub_a.purpose})"
    ).click()
    page.wait_for_url(f"{world.url}/riwayat")
    shot(page, "riwayat-360")
    after = desk.goto(f"{url_a}/userinfo")
    assert after is not None
    assert after.status == 401
    refused = json.loads(desk.locator("body").inner_text())
    assert refused["error"] == "provider_refused"
    assert refused["status"] in (401, 403)
    # Hub B's consent is untouched.
    assert desk.goto(f"{url_b}/userinfo").status == 200
    phone.close()
    wide.close()


def authorize_url(world: Site, hub: Hub, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": hub.client_id,
        "redirect_uri": hub.redirect_uri,
        "scope": "openid email",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        **params,
    }
    return f"{world.url}/oauth2/authorize?{urlencode({k: v for k, v in query.items() if v})}"


def captured_callback(page: Any, hub: Hub, url: str) -> dict[str, str]:
    """Open ``url`` at the provider; the query it sends the browser back to the hub with.

    The request was made here, not by the hub, so the hub's callback refuses it
    (no such ``state`` in its session: a forged or unsolicited callback) and
    never redeems the code: the code stays for this test to use.
    """
    page.goto(url)
    page.wait_for_url(f"{hub.redirect_uri}?**")
    answer = dict(parse_qsl(urlsplit(page.url).query))
    if "code" in answer:
        assert "mismatching_state" in page.locator("#error").inner_text()
    return answer


def refusals(page: Any, world: Site, hub_url: str, hub: Hub) -> None:
    from playwright.sync_api import expect

    # Without PKCE: back to the hub with an error, never a code.
    answer = captured_callback(page, hub, authorize_url(world, hub))
    assert answer.get("error") == "invalid_request", answer
    assert "code" not in answer
    # code_challenge_method=plain: the same.
    _, challenge = pkce_pair()
    plain = authorize_url(world, hub, code_challenge=challenge, code_challenge_method="plain")
    answer = captured_callback(page, hub, plain)
    assert answer.get("error") == "invalid_request", answer

    # A redirect URI not registered (one character off): an error page at the
    # provider; the browser is sent nowhere.
    _, challenge = pkce_pair()
    wrong = authorize_url(
        world,
        hub,
        redirect_uri=hub.redirect_uri + "x",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    response = page.goto(wrong)
    assert response is not None
    assert response.status == 400
    assert page.url.startswith(f"{world.url}/oauth2/authorize")
    expect(
        page.get_by_role("heading", name="Permintaan masuk tidak dapat diproses")
    ).to_be_visible()
    assert not page.url.startswith(hub_url)


def code_reuse(page: Any, world: Site, hub: Hub) -> None:
    """A code presented twice: refused, and what the first exchange gave is revoked."""
    verifier, challenge = pkce_pair()
    answer = captured_callback(
        page,
        hub,
        authorize_url(world, hub, code_challenge=challenge, code_challenge_method="S256"),
    )
    code = answer["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": hub.redirect_uri,
        "code_verifier": verifier,
    }
    auth = (hub.client_id, hub.client_secret)
    with httpx.Client(timeout=15) as http:
        first = http.post(f"{world.url}/oauth2/token", data=form, auth=auth)
        assert first.status_code == 200, first.text
        access = first.json()["access_token"]
        assert (
            http.get(
                f"{world.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {access}"}
            ).status_code
            == 200
        )
        second = http.post(f"{world.url}/oauth2/token", data=form, auth=auth)
        assert second.status_code == 400
        assert second.json()["error"] == "invalid_grant"
        after = http.get(
            f"{world.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {access}"}
        )
        assert after.status_code == 401
