"""A passkey in a real browser: Chromium's virtual authenticator over the DevTools protocol.

The site is served at ``http://localhost:<port>`` (a secure context whose host is
a domain, as WebAuthn's relying party id must be) with ``public_base_url`` set to
it. A holder signs in, adds a passkey on *Keamanan akun* — ``passkeys.js`` asks
for the options, calls ``navigator.credentials.create``, the virtual
authenticator (``WebAuthn.addVirtualAuthenticator``: internal, resident keys,
user verification) answers, and py_webauthn verifies it — signs out, and signs
in again with the password and then the passkey as the second step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import LiveServer, bound_socket

PASSWORD = "kopi tubruk di pal merah"
TIMEOUT_MS = 15_000


@pytest.fixture
def localhost_site() -> Iterator[tuple[str, Siapkerja]]:
    sock = bound_socket()
    port = sock.getsockname()[1]
    base = f"http://localhost:{port}"
    svc = connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        card_base_url=f"{base}/v/",
        public_base_url=base,
    )
    server = LiveServer(create_app(svc, dev=True), sock)
    server.start()
    try:
        yield base, svc
    finally:
        server.stop()


def _holder(svc: Siapkerja) -> str:
    account, _ = svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=people.EMAIL, phone="081277771234"
    )
    request = svc.request_password_reset(people.EMAIL)
    svc.deliver_outbox()
    code = re.search(r"(\d{6})", svc.sms.messages[-1].text)  # type: ignore[attr-defined]
    assert code
    svc.reset_password(request.id, code.group(1), PASSWORD)
    return account.id


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("NIK, Email, atau Nomor Handphone").fill(people.EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()


def _fits(page: Any) -> bool:
    """No horizontal scroll at the page's width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_passkey_is_added_and_signs_in(
    browser: Any, localhost_site: tuple[str, Siapkerja]
) -> None:
    from playwright.sync_api import expect

    base, svc = localhost_site
    account_id = _holder(svc)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    try:
        _sign_in(page, base)
        page.wait_for_url(f"{base}/profil")
        page.get_by_role("link", name="Keamanan akun").click()
        page.wait_for_url(f"{base}/keamanan")
        page.get_by_label("Nama passkey (mis. Ponsel saya)").fill("Chromium")
        page.get_by_role("button", name="Tambah passkey").click()
        expect(page.get_by_text("Passkey sudah ditambahkan.")).to_be_visible()
        [passkey] = svc.factors.list(account_id)
        assert passkey.kind == "passkey"
        assert passkey.label == "Chromium"
        # At 360 px (a phone) the page does not scroll sideways, with the QR of a new
        # authenticator and the new recovery codes on it.
        page.set_viewport_size({"width": 360, "height": 740})
        page.get_by_role("button", name="Tambah aplikasi autentikator").click()
        expect(page.get_by_text("Pindai kode QR dengan aplikasi autentikator")).to_be_visible()
        assert _fits(page)
        page.get_by_role("button", name="Buat kode pemulihan").click()
        expect(page.get_by_role("heading", name="Kode pemulihan baru")).to_be_visible()
        assert _fits(page)
        page.set_viewport_size({"width": 1280, "height": 800})

        page.get_by_role("button", name="Keluar").click()
        _sign_in(page, base)
        page.wait_for_url(f"{base}/masuk/faktor")
        page.set_viewport_size({"width": 360, "height": 740})
        assert _fits(page)
        page.get_by_role("button", name="Pakai passkey").click()
        page.wait_for_url(f"{base}/profil")
        [used] = [f for f in svc.factors.list(account_id) if f.kind == "passkey"]
        assert used.last_used_at is not None
    finally:
        context.close()
