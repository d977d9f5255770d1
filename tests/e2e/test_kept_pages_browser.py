"""The pages kept rendered, in a real browser against a production-mode server.

Development mode reloads templates and so renders every page afresh; these
tests serve ``create_app`` in production mode (a secret key, no dev pages),
where the sign-in page is rendered once with each visitor's CSRF token put in,
and the profile page is kept while what it shows is unchanged. A visitor signs
in through the kept sign-in page, edits the profile's headline twice, and sees
each edit on the next load; a second visitor's token is their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import EMAIL, MOTHER, NAME, NIK, PASSWORD, TIMEOUT_MS  # type: ignore[import-not-found]

from siapkerja_adapters.web import create_app
from siapkerja_core.service import Siapkerja
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
