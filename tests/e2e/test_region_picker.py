"""The region picker in a real browser on a 360 x 740 phone, with JavaScript and without.

With the script, the holder types a village name into the search (a WAI-ARIA
combobox), chooses a match with the arrow keys and Enter only, and sees the
four levels filled from the JSON endpoints; choosing another province loads
its regencies in place; typing a name's first letters in a focused list picks
it (options start with the name: "Dago (Kelurahan)"); a search cut at ten says
how many matched inside the levels chosen. Without it
(``java_script_enabled=False``) the same address is chosen one *Pilih* at a
time, the typed street carried through every reload but never in the address
bar. Either way the saved address shows on ``/profil``. Screenshots
at 360 and 1280 px go to ``$SIAPKERJA_SHOTS`` when set, else to the test's
temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
PHONE = "081299999999"
PALMERAH = "3173071001"
PALMERAH_LINE = (
    "Kelurahan Palmerah, Kecamatan Pal Merah, Kota Adm. Jakarta Barat, Provinsi DKI Jakarta"
)
PHONE_SIZE = {"width": 360, "height": 740}
DESKTOP_SIZE = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIAPKERJA_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page: Any, folder: Path, name: str) -> None:
    """A screenshot, once the page is checked to fit its screen (no sideways scrolling)."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def holder(svc: Siapkerja) -> None:
    """Galih, registered and confirmed through the facade (the journey is another test's)."""
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD)
    svc.confirm_otp(registration.id, sms_code(svc, PHONE))


def sign_in(browser: Any, url: str, **options: Any) -> Any:
    context = browser.new_context(viewport=PHONE_SIZE, locale="id-ID", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{url}/")
    page.get_by_label("NIK, Email, atau Nomor Handphone").fill(people.EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    page.wait_for_url(f"{url}/profil")
    return page


def test_with_javascript_search_and_choose_by_keyboard_then_save(
    browser: Any, site: tuple[str, Siapkerja], shots: Path
) -> None:
    from playwright.sync_api import expect

    url, svc = site
    holder(svc)
    page = sign_in(browser, url)
    page.get_by_role("link", name="Ubah Alamat sesuai KTP").click()
    page.wait_for_url(f"{url}/profil/alamat/ktp")
    province, regency = (
        page.get_by_label("Provinsi", exact=True),
        page.get_by_label("Kabupaten/Kota", exact=True),
    )
    district, village = (
        page.get_by_label("Kecamatan", exact=True),
        page.get_by_label("Desa/Kelurahan", exact=True),
    )
    # The script loads the next level itself: the reload buttons are gone.
    expect(page.get_by_role("button", name="Pilih", exact=True).first).to_be_hidden()

    # Another province's regencies load in place, the levels below emptied.
    province.select_option("32")
    expect(regency).to_be_enabled()
    expect(regency.locator("option", has_text="Bogor (Kabupaten)")).to_have_count(1)
    expect(regency.locator("option[title='Kota Bogor']")).to_have_text("Bogor (Kota)")
    expect(district).to_be_disabled()
    expect(page.get_by_role("status").filter(has_text="Kabupaten/Kota dimuat")).to_have_count(1)

    # A search cut at ten says so, counting inside the province chosen.
    search = page.get_by_role("combobox", name="Nama desa/kelurahan")
    search.fill("sukamaju")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(10)
    more = page.locator(".results-more")
    expect(more).to_contain_text("10 pertama dari 35 desa/kelurahan yang cocok")
    expect(page.get_by_role("status")).to_contain_text("10 pertama dari 35")
    for option in listbox.get_by_role("option").all():
        expect(option).to_contain_text("Provinsi Jawa Barat")
    shot(page, shots, "picker-search-more-360")
    search.press("Escape")
    search.fill("")
    expect(more).to_be_hidden()

    # Typing a name in a focused list picks it: the name comes first in every option.
    regency.focus()
    page.keyboard.type("Bandung", delay=30)
    expect(regency).to_have_value("3204")  # Bandung (Kabupaten), the first of the two
    page.keyboard.press("Tab")  # the change is committed on leaving the list
    expect(district).to_be_enabled()
    page.locator("#f-kabupaten").select_option("3273")
    expect(district.locator("option[value='327302']")).to_have_count(1)
    district.select_option("327302")  # Coblong
    expect(village).to_be_enabled()
    village.focus()
    page.keyboard.type("Dago", delay=30)
    expect(village).to_have_value("3273021004")
    expect(village.locator("option[value='3273021004']")).to_have_text("Dago (Kelurahan)")
    expect(village.locator("option[value='3273021004']")).to_have_attribute(
        "title", "Kelurahan Dago"
    )

    # The search: type, then arrow keys and Enter only. (Nothing is called Palmerah in
    # Coblong, nor in Jawa Barat: the search then covers all of Indonesia.)
    search.focus()
    page.keyboard.type("palmerah", delay=20)
    expect(listbox.get_by_role("option").first).to_have_text(PALMERAH_LINE)
    expect(search).to_have_attribute("aria-expanded", "true")
    shot(page, shots, "picker-search-360")
    page.keyboard.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", "f-cari-opt-0")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(province).to_have_value("31")
    expect(regency).to_have_value("3173")
    expect(district).to_have_value("317307")
    expect(village).to_have_value(PALMERAH)
    expect(page.locator("#chosen-line")).to_have_text(PALMERAH_LINE)
    assert page.url == f"{url}/profil/alamat/ktp"  # no reload: the search's Enter was ours

    page.get_by_label("Jalan dan nomor rumah").fill("Jl. Palmerah Barat No. 7")
    page.get_by_label("RT", exact=True).fill("5")
    page.get_by_label("RW", exact=True).fill("3")
    postal = page.get_by_label("Kode pos")
    postal.fill("11480")
    shot(page, shots, "picker-chosen-360")
    postal.press("Enter")  # saves (the script's), not the search's reload
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.get_by_text("Perubahan disimpan.")).to_be_visible()
    summary = page.locator("#address-ktp")
    expect(summary).to_contain_text(PALMERAH_LINE)
    expect(summary).to_contain_text("RT 005/RW 003")
    expect(summary).to_contain_text("Kode pos 11480")

    # The domicile: the same as the KTP's; ticking it hides the fields.
    page.get_by_role("link", name="Ubah Alamat Domisili").click()
    page.wait_for_url(f"{url}/profil/alamat/domisili")
    street = page.get_by_label("Jalan dan nomor rumah")
    expect(street).to_be_visible()
    page.get_by_label("Sama dengan alamat KTP").check()
    expect(street).to_be_hidden()
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.locator("#address-domisili")).to_contain_text("Sama dengan alamat KTP.")
    page.locator("#addresses").scroll_into_view_if_needed()
    shot(page, shots, "profile-addresses-360")

    page.set_viewport_size(DESKTOP_SIZE)
    shot(page, shots, "profile-addresses-1280")
    page.goto(f"{url}/profil/alamat/ktp")
    shot(page, shots, "picker-1280")
    page.context.close()


def test_without_javascript_one_level_at_a_time_then_save(
    browser: Any, site: tuple[str, Siapkerja], shots: Path
) -> None:
    from playwright.sync_api import expect

    url, svc = site
    holder(svc)
    page = sign_in(browser, url, java_script_enabled=False)
    page.goto(f"{url}/profil/alamat/ktp")
    street = page.get_by_label("Jalan dan nomor rumah")
    street.fill("Jl. Palmerah Barat No. 7")  # typed first: it must survive every step
    page.get_by_label("RT", exact=True).fill("5a")

    # Saved too early: each problem in words, at its field, nothing typed lost.
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Desa/Kelurahan (alamat KTP): wajib dipilih.")
    expect(page.locator("#f-desa-error")).to_contain_text("wajib dipilih")
    expect(page.locator("#f-rt-error")).to_contain_text("RT (alamat KTP): harus 1 sampai 3 angka")
    expect(street).to_have_value("Jl. Palmerah Barat No. 7")
    shot(page, shots, "picker-nojs-refused-360")
    summary.get_by_role("link", name="Desa/Kelurahan (alamat KTP): wajib dipilih.").click()
    page.get_by_label("RT", exact=True).fill("5")

    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(request.url))

    def step(level: str, code: str) -> None:
        row = page.locator(f"[data-level={level}]")
        row.get_by_role("combobox").select_option(code)
        row.get_by_role("button", name="Pilih").click()
        page.wait_for_load_state()
        # What was typed stays in the form, and out of the address bar.
        assert "Palmerah+Barat" not in page.url
        assert "jalan=" not in page.url
        assert "rt=" not in page.url

    step("provinsi", "31")
    expect(page.get_by_label("Kabupaten/Kota", exact=True)).to_be_enabled()
    step("kabupaten", "3173")
    step("kecamatan", "317307")
    expect(street).to_have_value("Jl. Palmerah Barat No. 7")
    page.get_by_label("Desa/Kelurahan", exact=True).select_option(PALMERAH)
    shot(page, shots, "picker-nojs-360")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    summary = page.locator("#address-ktp")
    expect(summary).to_contain_text(PALMERAH_LINE)
    expect(summary).to_contain_text("Jl. Palmerah Barat No. 7")

    # The search, without the script: matches offered with their full line.
    page.get_by_role("link", name="Ubah Alamat Domisili").click()
    page.get_by_label("Nama desa/kelurahan").fill("kebon jeruk")
    page.get_by_role("button", name="Cari").click()
    page.wait_for_load_state()
    choice = page.get_by_role("radio", name="Kelurahan Kebon Jeruk, Kecamatan Kebon Jeruk")
    choice.check()
    code = choice.get_attribute("value") or ""
    shot(page, shots, "picker-nojs-search-360")
    page.get_by_role("button", name="Pilih desa/kelurahan ini").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Kecamatan", exact=True)).to_have_value(code[:6])
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.locator("#address-domisili")).to_contain_text("Kelurahan Kebon Jeruk")
    # No address the browser asked for (so none in an access log or the history)
    # carried the street or the RT.
    assert addresses
    for address in addresses:
        assert "Palmerah" not in address or "cari=" in address, address
        assert "jalan=" not in address
        assert "rt=" not in address
    page.context.close()
