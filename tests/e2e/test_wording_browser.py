"""Inputs that take what people type, on a 360 px phone in Debian's chromium (issue 14).

A person types their NIK as it is printed on the KTP, in groups with spaces:
the field keeps every digit (its ``maxlength`` allows the spaces) and the
registration goes on. An empty form shows a message at every field at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from siapkerja_core.service import Siapkerja
from support import people

PHONE_VIEWPORT = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000
SCREENS = (
    Path(os.environ.get("SIAPKERJA_SCREENS", "")) if os.environ.get("SIAPKERJA_SCREENS") else None
)


def _grouped(nik: str) -> str:
    return " ".join(nik[i : i + 4] for i in range(0, 16, 4))


def test_a_nik_typed_in_groups_keeps_every_digit_on_a_phone(
    browser: Any, site: tuple[str, Siapkerja]
) -> None:
    from playwright.sync_api import expect

    url, _svc = site
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{url}/daftar")
        # Nothing typed: every required field is flagged at once, each at its field.
        page.get_by_role("button", name="Berikutnya").click()
        page.wait_for_url(f"{url}/daftar")
        for name in ("nik", "full_name", "mother_name"):
            expect(page.locator(f"#f-{name}-error")).to_contain_text("wajib diisi")
        expect(page.locator(".error-summary li")).to_have_count(3)
        if SCREENS is not None:
            page.screenshot(path=str(SCREENS / "register-empty-360.png"), full_page=True)

        typed = _grouped(people.NIK)  # "3173 0712 0394 0042" as on the card
        nik = page.get_by_label("Nomor Induk Kependudukan (No. KTP)")
        nik.fill("")
        nik.press_sequentially(typed)  # key by key, as a thumb types: maxlength applies
        expect(nik).to_have_value(typed)
        expect(nik).to_have_attribute("inputmode", "numeric")
        expect(page.get_by_text("spasi, titik atau tanda hubung boleh")).to_be_visible()
        page.get_by_label("Nama lengkap").fill(people.NAME)
        page.get_by_label("Nama ibu kandung").fill(people.MOTHER)
        if SCREENS is not None:
            page.screenshot(path=str(SCREENS / "register-nik-360.png"), full_page=True)
        # The page fits the phone: nothing wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_VIEWPORT["width"], width
        page.get_by_role("button", name="Berikutnya").click()
        page.wait_for_url(f"{url}/daftar/kontak")
    finally:
        context.close()
