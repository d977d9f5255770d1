"""The whole journey in a real browser: Debian's chromium, Playwright, a real uvicorn server.

A person registers through the brief's screens, found by their labels as a
screen reader would find them; reads the SMS code from the development
outbox in a second tab and pastes it into the first code box (the page's
script spreads it over all six); completes the profile through its forms,
photo upload included; opens the card; and the card's link is then opened
in a second browser context — another phone, no session — which sees the
public view: the name and headline, never the NIK, the phone or the e-mail.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from PIL import Image

from siapkerja_core.service import Siapkerja
from support import people

# Galih Agan Pambayun, a bundled fictional resident (tests/support/people.py).
NIK, NAME, MOTHER, EMAIL = people.NIK, people.NAME, people.MOTHER, people.EMAIL
PHONE = "0812-9999-9999"
PASSWORD = "kopi tubruk di pal merah"
VILLAGE, HEADLINE = people.VILLAGE, people.HEADLINE
SAVED = "Perubahan disimpan."
TIMEOUT_MS = 15_000


def photo(path: Path) -> Path:
    """A real PNG photo made by Pillow."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (120, 160), (30, 70, 140))
    for x in range(40, 80):
        for y in range(30, 80):
            image.putpixel((x, y), (230, 190, 150))
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def register(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/")
    expect(page.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
    page.get_by_role("link", name="Daftar", exact=True).click()
    page.wait_for_url(f"{url}/daftar")
    page.get_by_label("Nomor Induk Kependudukan (No. KTP)").fill(NIK)
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("Nama ibu kandung").fill(MOTHER)
    page.get_by_role("button", name="Berikutnya").click()
    page.wait_for_url(f"{url}/daftar/kontak")
    page.get_by_label("Alamat Email").fill(EMAIL)
    page.get_by_label("Nomor Handphone").fill(PHONE)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Daftar Sekarang").click()
    page.wait_for_url(f"{url}/verifikasi")
    expect(page.get_by_role("heading", name="Verifikasi")).to_be_visible()


def read_code(context: Any, url: str) -> str:
    """Open the development outbox in a new tab and read the latest code."""
    outbox = context.new_page()
    try:
        outbox.goto(f"{url}/dev/outbox")
        text = outbox.locator("main").inner_text()
    finally:
        outbox.close()
    found = re.search(r"kode OTP [a-z ]+ Anda (\d{6})", text)
    assert found, text
    return found.group(1)


def paste_code(page: Any, code: str) -> None:
    """Paste the whole code into the first box, as from an SMS app."""
    from playwright.sync_api import expect

    first = page.get_by_label("Angka ke-1 dari 6")
    first.focus()
    page.evaluate("code => navigator.clipboard.writeText(code)", code)
    page.keyboard.press("Control+V")
    for n, digit in enumerate(code, start=1):
        expect(page.get_by_label(f"Angka ke-{n} dari 6")).to_have_value(digit)


def save(page: Any, url: str, section: str) -> None:
    from playwright.sync_api import expect

    page.locator(f"section#{section}").get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#{section}")
    expect(page.get_by_text(SAVED)).to_be_visible()


def fill_biodata(page: Any, url: str) -> None:
    """The biodata section's form: birth, sex, marital status, religion, the headline."""
    biodata = page.locator("section#biodata")
    biodata.get_by_label("Tempat lahir").fill("Jakarta")
    biodata.get_by_label("Tanggal lahir").fill("1994-03-12")
    biodata.get_by_label("Jenis Kelamin").select_option("L")
    biodata.get_by_label("Status perkawinan").select_option("belum_menikah")
    biodata.get_by_label("Agama").select_option("islam")
    biodata.get_by_label("Judul profil").fill(HEADLINE)
    save(page, url, "biodata")


def fill_basics(page: Any, url: str) -> None:
    """Biodata and addresses, through their forms (the list sections have pages of their own)."""
    from playwright.sync_api import expect

    fill_biodata(page, url)

    # The addresses: the region picker, the village found by name (with or without the
    # page's script: the "Cari" button's search works both ways).
    page.get_by_role("link", name="Ubah Alamat sesuai KTP").click()
    page.get_by_label("Nama desa/kelurahan").fill("palmerah")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.get_by_role("radio", name=re.compile("^Kelurahan Palmerah,")).check()
    page.get_by_role("button", name="Pilih desa/kelurahan ini").click()
    expect(page.get_by_label("Desa/Kelurahan", exact=True)).to_have_value(VILLAGE)
    page.get_by_label("Jalan dan nomor rumah").fill("Jl. Palmerah Barat")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    page.get_by_role("link", name="Ubah Alamat Domisili").click()
    page.get_by_label("Sama dengan alamat KTP").check()
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.locator("#address-domisili")).to_contain_text("Sama dengan alamat KTP.")


def upload_photo(page: Any, url: str, picture: Path) -> None:
    from playwright.sync_api import expect

    upload = page.get_by_label("Foto profil (JPEG, PNG, atau WebP; paling besar 2 MB)")
    upload.set_input_files(str(picture))
    page.get_by_role("button", name="Unggah foto").click()
    page.wait_for_url(f"{url}/profil#photo")
    expect(page.get_by_text(SAVED)).to_be_visible()
    expect(page.get_by_role("img", name="Foto saat ini")).to_be_visible()


def complete_profile(page: Any, url: str, picture: Path) -> None:
    from playwright.sync_api import expect

    fill_basics(page, url)

    # Skills as tags (JavaScript on): a comma adds each, Enter the last.
    page.get_by_label("Tambah keahlian").fill("PHP, Laravel, Linux")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Hapus keahlian Linux")).to_be_visible()
    save(page, url, "skills")

    page.locator("section#education").get_by_role("link", name="Tambah pendidikan").click()
    page.wait_for_url(f"{url}/profil/pendidikan/baru")
    page.get_by_label("Institusi").fill("BINUS University")
    page.get_by_label("Jenjang").select_option("S1")
    page.get_by_label("Tahun masuk").fill("2012")
    page.get_by_label("Masih berlangsung").check()
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#education-1")
    expect(page.get_by_text(SAVED)).to_be_visible()

    upload_photo(page, url, picture)


def test_register_confirm_complete_and_scan_the_card(
    browser: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, _svc = site
    holder = browser.new_context(permissions=["clipboard-read", "clipboard-write"], locale="id-ID")
    holder.set_default_timeout(TIMEOUT_MS)
    try:
        page = holder.new_page()
        register(page, url)

        paste_code(page, read_code(holder, url))
        page.get_by_role("button", name="Konfirmasi").click()
        page.wait_for_url(f"{url}/profil")
        expect(page.get_by_text("Akun Anda aktif")).to_be_visible()

        complete_profile(page, url, photo(tmp_path / "foto.png"))
        page.get_by_role("button", name="Terbitkan SIAPkerja-ID").click()
        page.wait_for_url(f"{url}/kartu")
        link = page.locator("p.qr-url code").inner_text().strip()
        assert link.startswith(f"{url}/v/")
    finally:
        holder.close()

    # Someone else scans the QR code: a fresh context, no cookie, no session.
    scanner = browser.new_context(locale="id-ID")
    scanner.set_default_timeout(TIMEOUT_MS)
    try:
        scanned = scanner.new_page()
        response = scanned.goto(link)
        assert response is not None
        assert response.status == 200
        main = scanned.locator("main")
        expect(main).to_contain_text(NAME)
        expect(main).to_contain_text(HEADLINE)
        expect(main).to_contain_text("Tampilan publik")
        content = scanned.content()
        for private in (NIK, EMAIL, "081299999999", "0812-9999-9999", "+6281299999999"):
            assert private not in content, private
        scanned.screenshot(path=str(tmp_path / "scanned.png"), full_page=True)
    finally:
        scanner.close()
    assert (tmp_path / "scanned.png").stat().st_size > 1000


def test_a_form_on_another_site_cannot_post_into_the_pages(
    browser: Any, site: tuple[str, Siapkerja]
) -> None:
    """The same browser, signed in or not: a hostile page's form is refused (403).

    The hostile page hides its origin (``no-referrer``: the browser sends
    ``Origin: null``), as the pages themselves do; the browser's fetch
    metadata still marks the request cross-site.
    """
    from playwright.sync_api import expect

    url, _svc = site
    hostile = (
        '<!doctype html><meta name="referrer" content="no-referrer">'
        f'<form method="post" action="{url}/daftar">'
        f'<input name="nik" value="{NIK}"><input name="full_name" value="{NAME}">'
        f'<input name="mother_name" value="{MOTHER}"><input name="csrf_token" value="tebakan">'
        '<button type="submit">Kirim</button></form>'
    )
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{url}/daftar")  # a session cookie of the real site, as a visitor has
        page.route(
            "http://hostile.example/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=hostile),
        )
        page.goto("http://hostile.example/")
        with page.expect_response(f"{url}/daftar") as answer:
            page.get_by_role("button", name="Kirim").click()
        assert answer.value.status == 403
        expect(page.get_by_text("Formulir sudah kedaluwarsa atau tidak sah")).to_be_visible()
    finally:
        context.close()


def test_the_history_fits_a_phone_screen(
    browser: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    """At 360 px the access history's tables stack: no sideways scrolling, buttons in view."""
    from playwright.sync_api import expect

    from siapkerja_adapters.demo import GALIH, demo_holder
    from support.gates import check_in, open_events

    url, svc = site
    galih = demo_holder(svc)
    link = svc.card_qr(galih.id).token
    karirhub, _ = svc.register_verifier("Jakarta Kerja (Disnakertransgi DKI)", ["karirhub"])
    svc.prefill.request(
        link, karirhub, "Lamaran lowongan portal Jakarta Kerja", essential=["nik_masked"]
    )
    open_events(svc, "JOBFAIR-JKT-2026")
    check_in(svc, svc.card_qr(galih.id, "access", "JOBFAIR-JKT-2026").token, "JOBFAIR-JKT-2026")
    svc.resolve(link)
    phone = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 800})
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        page = phone.new_page()
        page.goto(f"{url}/")
        page.get_by_label("NIK, Email, atau Nomor Handphone").fill(GALIH.email)
        page.get_by_label("Password", exact=True).fill(GALIH.password)
        page.get_by_role("button", name="Masuk", exact=True).click()
        page.wait_for_url(re.compile(".*/profil"))
        page.goto(f"{url}/riwayat")
        approve = page.get_by_role("button", name=re.compile("^Setujui permintaan"))
        expect(approve).to_be_visible()
        expect(page.get_by_text("NIK (disamarkan) (wajib)")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways ({width} px)"
        for button in (approve, page.get_by_role("button", name=re.compile("^Tolak permintaan"))):
            box = button.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 360
        page.screenshot(path=str(tmp_path / "riwayat-360.png"), full_page=True)
    finally:
        phone.close()


def test_the_verification_code_boxes_fit_a_phone_screen(
    browser: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    """At 360 and 320 px the six OTP boxes shrink: no sideways scrolling, all six in view."""
    url, _ = site
    phone = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 800})
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        page = phone.new_page()
        register(page, url)
        for width in (360, 320):
            page.set_viewport_size({"width": width, "height": 800})
            scroll = page.evaluate("document.documentElement.scrollWidth")
            inner = page.evaluate("window.innerWidth")
            assert scroll <= inner, f"/verifikasi scrolls sideways at {width} px ({scroll} px)"
            for n in range(1, 7):
                box = page.get_by_label(f"Angka ke-{n} dari 6").bounding_box()
                assert box is not None
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= width
                assert box["width"] >= 28, f"box {n} too narrow to tap at {width} px"
            page.screenshot(path=str(tmp_path / f"verifikasi-{width}.png"), full_page=True)
    finally:
        phone.close()
