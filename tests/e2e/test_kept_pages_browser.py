"""The pages kept rendered, in a real browser against a production-mode server.

Development mode reloads templates and so renders every page afresh; these
tests serve ``create_app`` in production mode (a secret key, no dev pages),
where the sign-in page is rendered once with each visitor's CSRF token put in,
and the profile page is kept while what it shows is unchanged. A visitor signs
in through the kept sign-in page, edits the profile's headline twice, and sees
each edit on the next load; a second visitor's token is their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import EMAIL, MOTHER, NAME, NIK, PASSWORD, TIMEOUT_MS  # type: ignore[import-not-found]

from siapkerja_adapters.web import create_app
from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import live_server, memory_service

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@pytest.fixture
def production_site() -> Iterator[tuple[str, Siapkerja]]:
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append(memory_service(base_url))
        return create_app(services[0], secret_key="e2e-kept-pages-" + "k" * 32)

    with live_server(make_app) as server:
        svc = services[0]
        registration = svc.register(nik=NIK, full_name=NAME, mother_name=MOTHER)
        svc.submit_contact(registration.id, email=EMAIL, phone="0812-9999-9999", password=PASSWORD)
        svc.confirm_otp(registration.id, code=_CODE.findall(svc.sms.messages[-1].text)[0])
        yield server.url, svc


def test_sign_in_and_edits_through_kept_pages(
    browser: Any, production_site: tuple[str, Siapkerja]
) -> None:
    from playwright.sync_api import expect

    url, _svc = production_site
    visitors = [browser.new_context(locale="id-ID") for _ in range(2)]
    try:
        tokens = []
        for context in visitors:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{url}/")
            tokens.append(page.locator('input[name="csrf_token"]').first.input_value())
        assert tokens[0] != tokens[1]
        assert all(len(token) >= 32 for token in tokens)

        page = visitors[0].pages[0]
        page.get_by_label("NIK, Email, atau Nomor Handphone").fill(EMAIL)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Masuk", exact=True).click()
        page.wait_for_url(f"{url}/profil")
        expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
        for headline in ("Penjahit Kebaya", "Tukang Kayu Jati"):
            biodata = page.locator("section#biodata")
            biodata.get_by_label("Judul profil").fill(headline)
            biodata.get_by_role("button", name="Simpan").click()
            page.wait_for_url(f"{url}/profil#biodata")
            page.reload()  # the flash is gone: the page as kept
            expect(page.locator("section#biodata").get_by_label("Judul profil")).to_have_value(
                headline
            )
        # The second visitor is still anonymous: their kept sign-in page, their token.
        other = visitors[1].pages[0]
        other.reload()
        assert other.locator('input[name="csrf_token"]').first.input_value() == tokens[1]
        expect(other.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
    finally:
        for context in visitors:
            context.close()


def test_kept_pages_served_unread_end_with_a_sign_out(
    browser: Any, production_site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    """The same holder on a phone (360 px) and a desktop (1280 px), two sessions. The
    pages stand unread after their first load (nothing committed since); the phone
    signs out, and its Back button and reloads get the sign-in page, never a kept
    page, while the desktop's session is untouched. Screenshots of both."""
    from playwright.sync_api import expect

    url, svc = production_site
    folder = Path(os.environ.get("SIAPKERJA_SHOTS") or tmp_path)
    account = svc.login(EMAIL, PASSWORD)
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    screens = {
        "phone": browser.new_context(locale="id-ID", viewport={"width": 360, "height": 780}),
        "desktop": browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900}),
    }
    try:
        pages = {}
        for name, context in screens.items():
            context.set_default_timeout(TIMEOUT_MS)
            page = pages[name] = context.new_page()
            page.goto(f"{url}/")
            page.get_by_label("NIK, Email, atau Nomor Handphone").fill(EMAIL)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Masuk", exact=True).click()
            page.wait_for_url(f"{url}/profil")
            for path in ("/kartu", "/riwayat", "/program", "/profil"):
                for _ in range(2):  # read, then served unread
                    answer = page.goto(f"{url}{path}")
                    assert answer is not None, path
                    assert answer.status == 200, path
                expect(page.get_by_role("heading", level=1)).to_be_visible()
            width = 360 if name == "phone" else 1280
            for path, shot in (("/kartu", "kartu"), ("/riwayat", "riwayat")):
                page.goto(f"{url}{path}")
                page.wait_for_load_state("networkidle")
                overflow = page.evaluate("document.documentElement.scrollWidth > innerWidth")
                assert not overflow, (path, width)
                _screenshot(page, folder / f"kept-{shot}-{width}.png")
        phone = pages["phone"]
        phone.goto(f"{url}/keluar")
        phone.locator("#main").get_by_role("button", name="Keluar").click()
        phone.wait_for_url(re.compile(rf"{re.escape(url)}/(\?.*)?$"))
        phone.go_back()
        phone.reload()
        expect(phone.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
        for path in ("/kartu", "/riwayat", "/program", "/profil"):
            phone.goto(f"{url}{path}")
            expect(phone.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
        desktop = pages["desktop"]
        answer = desktop.goto(f"{url}/kartu")
        assert answer is not None
        assert answer.status == 200
        expect(desktop.get_by_role("heading", level=1)).to_be_visible()
        assert "/kartu" in desktop.url
    finally:
        for context in screens.values():
            context.close()


def _screenshot(page: Any, path: Path) -> None:
    """A full-page screenshot to look at; once more after a moment when Chromium cannot
    take it (it refused once on a loaded CI machine: "Unable to capture screenshot")."""
    from playwright.sync_api import Error

    try:
        page.screenshot(path=str(path), full_page=True)
    except Error:
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=True)
