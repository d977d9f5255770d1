"""No lost work, in a real browser on a 360 px phone (issue 14).

A refused form answers with a redirect to its page (post/redirect/get): after
it, Back and Reload are plain GETs — chromium never asks "Confirm Form
Resubmission" and sends nothing again. The verification page offers
"Ubah e-mail" beside "Ubah no HP". Screenshots go to ``$SIAPKERJA_SHOTS`` when
set (to look at them), else to the test's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe import check_accessibility  # type: ignore[import-not-found]
from test_browser import (  # type: ignore[import-not-found]
    EMAIL,
    MOTHER,
    NAME,
    NIK,
    PASSWORD,
    TIMEOUT_MS,
    paste_code,
    read_code,
    register,
)

from siapkerja_core.service import Siapkerja

PHONE_SCREEN = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    # bypass_csp: axe-core is injected as a script the pages' policy would refuse.
    context = browser.new_context(locale="id-ID", viewport=PHONE_SCREEN, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("SIAPKERJA_SHOTS")
    return Path(folder) if folder else tmp_path


def test_back_and_reload_after_a_refused_form_send_nothing_again(
    phone: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, _ = site
    page = phone.new_page()
    sent: list[tuple[str, str]] = []
    page.on("request", lambda request: sent.append((request.method, request.url)))
    page.goto(f"{url}/")
    page.get_by_role("link", name="Daftar", exact=True).click()
    page.wait_for_url(f"{url}/daftar")
    page.get_by_label("Nomor Induk Kependudukan (No. KTP)").fill("3173 0712 0394 00")
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("Nama ibu kandung").fill(MOTHER)
    sent.clear()
    page.get_by_role("button", name="Berikutnya").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert [m for m, _ in sent if m == "POST"] == ["POST"]
    assert sent[-1][0] == "GET"  # the refusal is shown by a GET of the form's page
    assert page.url == f"{url}/daftar"
    expect(page.get_by_label("Nama lengkap")).to_have_value(NAME)
    expect(page.get_by_label("Nama ibu kandung")).to_have_value("")  # never sent back
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= PHONE_SCREEN["width"], f"/daftar scrolls sideways ({scroll} px)"
    page.screenshot(path=str(shots(tmp_path) / "prg-refused-360.png"), full_page=True)
    check_accessibility(page, context="a refused /daftar at 360 px")

    sent.clear()
    page.reload()  # a page that was a POST's answer would send the form again here
    expect(page.get_by_label("Nomor Induk Kependudukan (No. KTP)")).to_be_visible()
    assert sent
    assert all(method == "GET" for method, _ in sent), sent

    sent.clear()
    page.go_back()
    expect(page.get_by_label("Nomor Induk Kependudukan (No. KTP)")).to_be_visible()
    assert all(method == "GET" for method, _ in sent), sent
    assert page.url.startswith(f"{url}/")

    page.get_by_label("Nomor Induk Kependudukan (No. KTP)").fill(NIK)
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("Nama ibu kandung").fill(MOTHER)
    page.get_by_role("button", name="Berikutnya").click()
    page.wait_for_url(f"{url}/daftar/kontak")


def test_the_verification_page_offers_ubah_email(
    phone: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, _ = site
    page = phone.new_page()
    register(page, url)
    expect(page.get_by_role("link", name="Ubah no HP", exact=False)).to_be_visible()
    link = page.get_by_role("link", name="Ubah e-mail")
    expect(link).to_be_visible()
    page.screenshot(path=str(shots(tmp_path) / "verify-360.png"), full_page=True)
    check_accessibility(page, context="/verifikasi with Ubah e-mail at 360 px")
    link.click()
    page.wait_for_url(f"{url}/verifikasi/ubah-email")
    field = page.get_by_label("Alamat e-mail baru")
    field.fill("bukan-email")
    page.get_by_role("button", name="Simpan e-mail").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.url == f"{url}/verifikasi/ubah-email"
    expect(field).to_have_value("bukan-email")
    page.screenshot(path=str(shots(tmp_path) / "change-email-360.png"), full_page=True)
    check_accessibility(page, context="a refused /verifikasi/ubah-email at 360 px")
    field.fill("galih.baru@example.com")
    page.get_by_role("button", name="Simpan e-mail").click()
    page.wait_for_url(f"{url}/verifikasi")
    expect(page.get_by_text("Alamat e-mail sudah diubah.")).to_be_visible()


def test_a_form_sent_after_the_session_ended_comes_back_after_signing_in(
    phone: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, _ = site
    page = phone.new_page()
    register(page, url)
    paste_code(page, read_code(phone, url))
    page.get_by_role("button", name="Konfirmasi").click()
    page.wait_for_url(f"{url}/profil")
    phone.clear_cookies()  # the session ends while the page is open
    page.locator("#f-headline").fill("Kepala gudang")
    page.locator("form:has(#f-headline) button[type=submit]").click()
    page.wait_for_url(f"{url}/?next=%2Fprofil")
    expect(
        page.get_by_text("Sesi Anda berakhir. Masuk lagi; isian Anda kami simpan.")
    ).to_be_visible()
    page.screenshot(path=str(shots(tmp_path) / "session-ended-360.png"), full_page=True)
    check_accessibility(page, context="the sign-in page after the session ended")
    page.locator("#f-identifier").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    page.wait_for_url(f"{url}/profil")
    expect(page.locator("#f-headline")).to_have_value("Kepala gudang")
    expect(page.locator(".error-summary")).to_contain_text("periksa, lalu kirim lagi")
    page.screenshot(path=str(shots(tmp_path) / "form-kept-360.png"))
    check_accessibility(page, context="the profile with its kept values")
