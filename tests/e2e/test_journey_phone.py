"""Issue 14's acceptance run: the whole journey on a 360×740 phone, then at the gate.

One run in Debian's chromium, as the issue's "Done when" asks:

* a job seeker on a phone (360×740, touch, ``id-ID``) signs up — *Daftar* with
  the NIK typed in groups as it is printed on the KTP, an empty form refused
  once, the contacts, the SMS code from the development outbox pasted on the
  verification page — and enters the brief's sample profile (Galih Agan
  Pambayun, a resident of the bundled offline Dukcapil) through the web alone:
  biodata; the KTP address through the region picker's search, chosen with the
  keyboard; the domicile "the same as the KTP"; eight skills as tags; two
  languages, two jobs, two schools, the brief's three certificates (one moved
  up with *Naik*) and his achievement; one entry edited; a photo; which
  sections the public sees. He issues his card and opens its access code for a
  job fair;
* a stranger's phone (no cookie) opens the card's link and sees the brief's
  scanned profile: the certificates, the achievement, the work, the education,
  the skills and the languages — and none of the NIK, the e-mail, the number;
* gate staff on another phone sign in to the fair's gate with its station key,
  type the holder's access code, check the face and read "Boleh masuk" in large
  letters; the same code again reads "Sudah di dalam sejak …";
* the holder then reads his access history and the programmes;
* the main pages again at 1280×800 (sign-in, profile, card, scanned page, gate).

Every page and state on the way is checked where it stands: axe-core finds no
serious or critical violation, the page does not scroll sideways and nothing
sticks out of its box, and a full-page screenshot is taken. With
``SIAPKERJA_SCREENS=docs/screens`` the screenshots (``journey-NN-….png``, at
CSS pixels, reduced to a 256-colour palette) and the index table of
``docs/screens/README.md`` are rewritten; otherwise they go to the test's
temporary directory, so a test run leaves the tree clean.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Final

from axe import check_accessibility
from PIL import Image
from test_browser import (  # type: ignore[import-not-found]
    EMAIL,
    HEADLINE,
    MOTHER,
    NAME,
    NIK,
    PASSWORD,
    SAVED,
    fill_biodata,
    paste_code,
    photo,
    read_code,
    save,
    upload_photo,
)
from test_gate_screen import (  # type: ignore[import-not-found]
    FAIR,
    assert_large,
    open_fair,
    refusals_of,
    sign_in,
    verdict,
)
from test_phone_layouts import _OVERFLOW_JS, _SMALL_TARGETS_JS  # type: ignore[import-not-found]
from test_profile_sections import (  # type: ignore[import-not-found]
    ACHIEVEMENT,
    CERTIFICATES,
    SCANNED,
    SKILLS,
    add_entry,
    enter_skills,
)
from test_region_picker import PALMERAH, PALMERAH_LINE  # type: ignore[import-not-found]

from siapkerja_core.service import Siapkerja
from siapkerja_core.services.programmes import bundled_programme

PHONE: Final = {"width": 360, "height": 740}
DESKTOP: Final = {"width": 1280, "height": 800}
TIMEOUT_MS: Final = 15_000
SCREENS_ENV: Final = "SIAPKERJA_SCREENS"
INDEX_START, INDEX_END = "<!-- journey:start -->", "<!-- journey:end -->"
# Boxes, round buttons and the photo's file button, as the page draws them.
_BOXES_JS: Final = """() => [...document.querySelectorAll(
    "input[type=checkbox], input[type=radio], input[type=file]")]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  .map(el => {
    const box = el.getBoundingClientRect();
    return [el.type, el.outerHTML.slice(0, 80), box.width, box.height];
  })"""

# As printed on the KTP: four groups of four.
NIK_TYPED: Final = " ".join(NIK[i : i + 4] for i in range(0, 16, 4))
PHONE_TYPED: Final = "0812-9999-9999"
EARLIER_JOB: Final = ("Web Developer", "PT Solusi Digital Nusantara", "2018-07", "2021-05")
SCHOOL: Final = ("SMA Negeri 78 Jakarta", "SMA", "2009", "2012")
SECOND_LANGUAGE: Final = ("Bahasa Jepang", "dasar")
# What the stranger must read on the scanned page, beyond the brief's screen (SCANNED).
SCANNED_TOO: Final = [
    NAME,
    HEADLINE,
    "Laki-laki",
    "Belum Menikah",
    EARLIER_JOB[0],
    EARLIER_JOB[1],
    SCHOOL[0],
    SECOND_LANGUAGE[0],
    "Dasar",
]


class Screens:
    """Checks each page where it stands and keeps its screenshot under a numbered name."""

    def __init__(self, folder: Path, *, publish: bool) -> None:
        self.folder = folder
        self.publish = publish
        self.index: list[tuple[str, str]] = []

    def look(self, page: Any, slug: str, what: str) -> None:
        """axe-core, no sideways scrolling, nothing sticking out; then the screenshot."""
        page.wait_for_load_state("load")
        name = f"journey-{len(self.index) + 1:02d}-{slug}.png"
        width = page.viewport_size["width"]
        check_accessibility(page, context=f"{name}: {what}")
        layout = page.evaluate(_OVERFLOW_JS)
        assert layout["inner"] == width, f"{name}: the page is laid out {layout['inner']} wide"
        assert layout["scroll"] <= layout["inner"], (
            f"{name}: scrolls sideways ({layout['scroll']} > {layout['inner']} px)"
        )
        assert not layout["bad"], f"{name}: " + "\n".join(layout["bad"])
        if width == PHONE["width"]:
            small = [f"{h:.0f} px tall: {html}" for html, h in page.evaluate(_SMALL_TARGETS_JS)]
            for kind, html, w, h in page.evaluate(_BOXES_JS):
                if kind == "file" and h < 44 - 0.5:
                    small.append(f"{h:.0f} px tall: {html}")
                elif kind != "file" and min(w, h) < 24 - 0.5:  # WCAG 2.5.8's minimum
                    small.append(f"{w:.0f}x{h:.0f} px: {html}")
            assert not small, f"{name}: too small to tap:\n" + "\n".join(small)
        path = self.folder / name
        page.screenshot(path=str(path), full_page=True, scale="css", animations="disabled")
        if self.publish:
            # A palette keeps a long phone page at a few hundred kB; text stays sharp.
            with Image.open(path) as shot:
                reduced = shot.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
            reduced.save(path, optimize=True)
        self.index.append((name, what))

    def write_index(self) -> None:
        """Drop the screenshots of an older run and rewrite the README's table."""
        names = {name for name, _ in self.index}
        for old in self.folder.glob("journey-*.png"):
            if old.name not in names:
                old.unlink()
        readme = self.folder / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, rest = text.split(INDEX_START, 1)
        _, tail = rest.split(INDEX_END, 1)
        rows = "\n".join(f"| [`{name}`]({name}) | {what} |" for name, what in self.index)
        table = f"\n| File | What it shows |\n| --- | --- |\n{rows}\n"
        readme.write_text(f"{head}{INDEX_START}{table}{INDEX_END}{tail}", encoding="utf-8")


def phone_context(browser: Any, **options: Any) -> Any:
    """A phone: 360×740 CSS pixels at twice the density, touch, Indonesian; axe may be added."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        bypass_csp=True,
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def desktop_context(browser: Any) -> Any:
    context = browser.new_context(
        viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta", bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_up(page: Any, url: str, screens: Screens) -> None:
    """Sign-in page → Daftar (refused empty once) → contacts → verification → the profile."""
    from playwright.sync_api import expect

    page.goto(f"{url}/")
    expect(page.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
    screens.look(page, "masuk", "Sign-in page (Masuk), the first screen")
    page.get_by_role("link", name="Daftar", exact=True).click()
    page.wait_for_url(f"{url}/daftar")
    page.get_by_role("button", name="Berikutnya").click()  # nothing typed yet
    expect(page.locator(".error-summary")).to_be_visible()
    nik = page.get_by_label("Nomor Induk Kependudukan (No. KTP)")
    expect(nik).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Nama lengkap")).to_have_attribute("aria-invalid", "true")
    screens.look(
        page, "daftar-ditolak", "Daftar, form 1 sent empty: each field says what is missing"
    )
    nik.press_sequentially(NIK_TYPED)  # typed, as a thumb types it: maxlength must not cut it
    expect(nik).to_have_value(NIK_TYPED)
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("Nama ibu kandung").fill(MOTHER)
    screens.look(page, "daftar", "Daftar, form 1: the NIK typed in groups as on the KTP")
    page.get_by_role("button", name="Berikutnya").click()
    page.wait_for_url(f"{url}/daftar/kontak")
    page.get_by_label("Alamat Email").fill(EMAIL)
    page.get_by_label("Nomor Handphone").fill(PHONE_TYPED)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    screens.look(page, "daftar-kontak", "Daftar, form 2: e-mail, mobile number, password")
    page.get_by_role("button", name="Daftar Sekarang").click()
    page.wait_for_url(f"{url}/verifikasi")
    expect(page.get_by_role("heading", name="Verifikasi")).to_be_visible()

    outbox = page.context.new_page()
    outbox.goto(f"{url}/dev/outbox")
    screens.look(outbox, "dev-outbox", "Development outbox: the SMS the phone would receive")
    outbox.close()
    paste_code(page, read_code(page.context, url))
    screens.look(page, "verifikasi", "Verifikasi: the SMS code pasted, spread over the six boxes")
    page.get_by_role("button", name="Konfirmasi").click()
    page.wait_for_url(f"{url}/profil")
    expect(page.get_by_text("Akun Anda aktif")).to_be_visible()
    screens.look(page, "profil-baru", "The new account's profile: what is left to fill in")


def addresses(page: Any, url: str, screens: Screens) -> None:
    """The KTP address through the picker's search, by keyboard; the domicile the same."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Ubah Alamat sesuai KTP").click()
    page.wait_for_url(f"{url}/profil/alamat/ktp")
    search = page.get_by_role("combobox", name="Nama desa/kelurahan")
    search.focus()
    page.keyboard.type("Palmerah")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option").first).to_have_text(PALMERAH_LINE)
    screens.look(page, "alamat-ktp-cari", "Region picker: 'Palmerah' searched, the matches listed")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(page.get_by_label("Desa/Kelurahan", exact=True)).to_have_value(PALMERAH)
    expect(page.locator("#chosen-line")).to_have_text(PALMERAH_LINE)
    page.get_by_label("Jalan dan nomor rumah").fill("Jl. Palmerah Barat No. 7")
    page.get_by_label("RT", exact=True).fill("5")
    page.get_by_label("RW", exact=True).fill("3")
    page.get_by_label("Kode pos").fill("11480")
    screens.look(page, "alamat-ktp", "Region picker: the four levels filled from the village")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.locator("#address-ktp")).to_contain_text(PALMERAH_LINE)

    page.get_by_role("link", name="Ubah Alamat Domisili").click()
    page.wait_for_url(f"{url}/profil/alamat/domisili")
    # The way back, its arrow drawn but not read out (as on the entry pages).
    expect(page.get_by_role("link", name="Kembali ke profil", exact=True)).to_be_visible()
    page.get_by_label("Sama dengan alamat KTP").check()
    expect(page.get_by_label("Jalan dan nomor rumah")).to_be_hidden()
    screens.look(page, "alamat-domisili", "Domicile: 'Sama dengan alamat KTP' ticked")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#addresses")
    expect(page.locator("#address-domisili")).to_contain_text("Sama dengan alamat KTP.")


def lists(page: Any, url: str, screens: Screens) -> None:
    """Several entries in every list section, each through its own page."""
    from playwright.sync_api import expect

    def shot(slug: str, what: str) -> Any:
        return lambda p: screens.look(p, slug, what)

    # Work: the current job first (its location typed wrong, edited below), then an earlier one.
    add_entry(
        page,
        url,
        "work",
        "Tambah pengalaman kerja",
        [
            ("Jabatan", "Backend Developer"),
            ("Perusahaan", "Company"),
            ("Bulan mulai", "2021-06"),
            ("Masih bekerja di sini", "1"),
            ("Lokasi", "Jakarta"),
        ],
        before_save=shot("pekerjaan-baru", "Add work experience: the current job"),
    )
    title, company, start, end = EARLIER_JOB
    add_entry(
        page,
        url,
        "work",
        "Tambah pengalaman kerja",
        [
            ("Jabatan", title),
            ("Perusahaan", company),
            ("Bulan mulai", start),
            ("Bulan selesai", end),
            ("Lokasi", "Jakarta"),
        ],
    )
    work = page.locator("section#work")
    work.get_by_role("link", name="Ubah Backend Developer").click()
    page.wait_for_url(f"{url}/profil/pekerjaan/1")
    page.locator("form.entry-form").get_by_label("Lokasi").fill("Indonesia")
    screens.look(page, "pekerjaan-ubah", "Edit a work entry: the location corrected")
    page.locator("form.entry-form").get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#work-1")
    expect(work.locator("li.entry").first).to_contain_text("Indonesia")

    add_entry(
        page,
        url,
        "education",
        "Tambah pendidikan",
        [
            ("Institusi", "BINUS University"),
            ("Jenjang", "S1"),
            ("Tahun masuk", "2016"),
            ("Tahun lulus", "2018"),
            ("IPK", "3,4"),
        ],
        before_save=shot(
            "pendidikan-baru", "Add education: BINUS University, S1, IPK 3,4 (a comma)"
        ),
    )
    school, level, entered, left = SCHOOL
    add_entry(
        page,
        url,
        "education",
        "Tambah pendidikan",
        [
            ("Institusi", school),
            ("Jenjang", level),
            ("Tahun masuk", entered),
            ("Tahun lulus", left),
        ],
    )

    # The certificates: the brief's second one entered last, then moved up with Naik.
    first, second, third = CERTIFICATES
    for n, (name, issuer, valid_from, score) in enumerate((first, third, second)):
        add_entry(
            page,
            url,
            "certificates",
            "Tambah sertifikat",
            [
                ("Nama sertifikat", name),
                ("Penerbit", issuer),
                ("Berlaku mulai", valid_from),
                ("Tidak kedaluwarsa", "1"),
                ("Skor", score),
            ],
            before_save=shot("sertifikat-baru", "Add a certificate") if n == 0 else None,
        )
    certificates = page.locator("section#certificates")
    certificates.get_by_role("button", name=f"Naik {second[0]}").click()
    page.wait_for_url(f"{url}/profil#certificates-2")
    entries = certificates.locator("li.entry")
    for n, certificate in enumerate(CERTIFICATES):
        expect(entries.nth(n)).to_contain_text(certificate[0])

    title, organiser, month, description = ACHIEVEMENT
    add_entry(
        page,
        url,
        "achievements",
        "Tambah pencapaian",
        [
            ("Nama pencapaian", title),
            ("Penyelenggara", organiser),
            ("Bulan", month),
            ("Deskripsi", description),
        ],
        before_save=shot("pencapaian-baru", "Add an achievement, with its description"),
    )
    add_entry(
        page,
        url,
        "languages",
        "Tambah bahasa",
        [("Bahasa", "English"), ("Tingkat", "menengah")],
        before_save=shot("bahasa-baru", "Add a language and its level"),
    )
    add_entry(
        page,
        url,
        "languages",
        "Tambah bahasa",
        [("Bahasa", SECOND_LANGUAGE[0]), ("Tingkat", SECOND_LANGUAGE[1])],
    )


def publish(page: Any, url: str) -> None:
    """The professional sections are public by default; sex and marital status are added."""
    from playwright.sync_api import expect

    visibility = page.locator("section#visibility")
    for section in ("Sertifikat", "Pencapaian", "Pengalaman kerja", "Pendidikan"):
        expect(visibility.get_by_label(section, exact=True)).to_be_checked()
    visibility.get_by_label("Jenis kelamin", exact=True).check()
    visibility.get_by_label("Status perkawinan", exact=True).check()
    visibility.get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#visibility")
    expect(page.get_by_text(SAVED)).to_be_visible()


def test_a_job_seeker_s_whole_journey_on_a_phone_then_the_gate(
    browser: Any, site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, svc = site
    configured = os.environ.get(SCREENS_ENV)
    folder = Path(configured) if configured else tmp_path / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    screens = Screens(folder, publish=bool(configured))
    # The organisers' part: an event and its gate's key; two programmes open to the public.
    station_key = open_fair(svc)
    for programme in ("prakerja", "jkp"):
        svc.programmes.define(bundled_programme(programme))

    holder = phone_context(browser, permissions=["clipboard-read", "clipboard-write"])
    stranger = phone_context(browser)
    staff = phone_context(browser)
    desktop = desktop_context(browser)
    try:
        # 1. Registration, verification.
        page = holder.new_page()
        # Script errors on the pages of the journey's tabs (each list fills as they come).
        errors = [refusals_of(page)]
        sign_up(page, url, screens)

        # 2. Every section of the profile, through the web alone.
        fill_biodata(page, url)
        page.locator("section#biodata").get_by_label("Status pekerjaan").select_option("bekerja")
        save(page, url, "biodata")
        addresses(page, url, screens)
        enter_skills(page, url, js=True)
        lists(page, url, screens)
        upload_photo(page, url, photo(tmp_path / "foto.png"))
        publish(page, url)
        page.goto(f"{url}/profil")
        screens.look(page, "profil-lengkap", "The profile complete: every section, several entries")

        # 3. The card, its access code for the fair, its link.
        page.get_by_role("button", name="Terbitkan SIAPkerja-ID").click()
        page.wait_for_url(f"{url}/kartu")
        screens.look(page, "kartu", "The SIAPkerja-ID card, its link QR and the events")
        link = page.locator("p.qr-url code").inner_text().strip()
        assert link.startswith(f"{url}/v/"), link
        page.get_by_role("link", name=re.compile("Job Fair Jakarta 2026")).click()
        page.wait_for_url(re.compile(rf".*/kartu\?acara={FAIR}#access$"))
        access = page.locator("[data-access-url]")
        expect(access.locator("[data-access-qr] svg")).to_be_visible()
        screens.look(page, "kartu-kode-akses", "The card page's access code for the job fair")
        # The code inside the QR, as the page's own script fetches it.
        answer = page.request.get(url + (access.get_attribute("data-access-url") or ""))
        assert answer.ok, answer.status
        access_code = answer.json()["token"]

        # 3b. A stranger scans the card's QR code: no cookie, no session.
        scanned = stranger.new_page()
        errors.append(refusals_of(scanned))
        response = scanned.goto(link)
        assert response is not None
        assert response.status == 200
        main = scanned.locator("main")
        for heading in ("Sertifikat", "Pencapaian", "Pengalaman kerja", "Pendidikan"):
            expect(main.get_by_role("heading", name=heading)).to_be_visible()
        shown = " ".join(main.inner_text().split())
        for words in [*SCANNED, *SKILLS, *SCANNED_TOO]:
            assert words in shown, f"{words!r} not on the scanned page: {shown}"
        # The certificates in the order the holder set (Naik), the jobs newest first.
        positions = [shown.index(certificate[0]) for certificate in CERTIFICATES]
        assert positions == sorted(positions), positions
        assert shown.index("Backend Developer") < shown.index(EARLIER_JOB[0])
        content = scanned.content()
        for private in (NIK, NIK_TYPED, EMAIL, "081299999999", PHONE_TYPED, "Palmerah Barat"):
            assert private not in content, private
        screens.look(scanned, "dipindai", "The scanned page as a stranger sees it (public view)")

        # 4. Gate staff on their own phone: the event, the key, the holder's code.
        gate = staff.new_page()
        errors.append(refusals_of(gate))
        gate.goto(f"{url}/petugas")
        screens.look(gate, "petugas-masuk", "Gate staff sign-in: the event and the station key")
        sign_in(gate, _Station(url, station_key))
        screens.look(gate, "gerbang", "The gate screen, ready for a code")
        gate.get_by_role("textbox", name="Kode akses").fill(access_code)
        gate.get_by_role("button", name="Periksa", exact=True).click()
        verdict(gate).get_by_text("Cocokkan wajah dengan foto").wait_for()
        assert (
            gate.locator("[data-gate-answer] img.gate-photo").evaluate("img => img.naturalWidth")
            > 0
        )
        screens.look(gate, "gerbang-cocokkan", "Gate: the holder's photo and masked name")
        gate.get_by_role("button", name="Izinkan masuk", exact=True).click()
        verdict(gate).get_by_text("Boleh masuk").wait_for()
        assert_large(verdict(gate))
        screens.look(gate, "gerbang-boleh-masuk", "Gate: 'Boleh masuk' in large letters")
        gate.get_by_role("textbox", name="Kode akses").fill(access_code)
        gate.get_by_role("button", name="Izinkan masuk langsung").click()
        verdict(gate).get_by_text("Sudah di dalam sejak").wait_for()
        assert_large(verdict(gate))
        assert re.search(r"Sudah di dalam sejak \d{2}\.\d{2} WIB", verdict(gate).inner_text())
        screens.look(gate, "gerbang-sudah-di-dalam", "Gate: the same code again, already inside")
        assert svc.events.counts(FAIR).inside == 1

        # 5. Back on the holder's phone: who looked, where he went; the programmes.
        page.goto(f"{url}/riwayat")
        expect(page.locator("main")).to_contain_text("Job Fair Jakarta 2026")
        screens.look(page, "riwayat", "Access history: the scan and the check-in")
        page.goto(f"{url}/program")
        expect(page.locator("main")).to_contain_text("Kartu Prakerja")
        screens.look(page, "program", "Programmes: am I eligible, requirement by requirement")

        # 6. The main pages on a desktop.
        wide = desktop.new_page()
        wide.goto(f"{url}/")
        screens.look(wide, "desktop-masuk", "Desktop 1280×800: sign-in")
        wide.get_by_label("NIK, Email, atau Nomor Handphone").fill(EMAIL)
        wide.get_by_label("Password", exact=True).fill(PASSWORD)
        wide.get_by_role("button", name="Masuk", exact=True).click()
        wide.wait_for_url(f"{url}/profil")
        screens.look(wide, "desktop-profil", "Desktop 1280×800: the complete profile")
        wide.goto(f"{url}/kartu")
        screens.look(wide, "desktop-kartu", "Desktop 1280×800: the card")
        outsider = desktop_context(browser)
        try:
            public = outsider.new_page()
            public.goto(link)
            expect(public.locator("main")).to_contain_text(ACHIEVEMENT[0])
            screens.look(public, "desktop-dipindai", "Desktop 1280×800: the scanned page")
        finally:
            outsider.close()
        wide_gate = desktop.new_page()
        sign_in(wide_gate, _Station(url, station_key))
        wide_gate.get_by_role("textbox", name="Kode akses").fill(access_code)
        wide_gate.get_by_role("button", name="Izinkan masuk langsung").click()
        verdict(wide_gate).get_by_text("Sudah di dalam sejak").wait_for()
        screens.look(wide_gate, "desktop-gerbang", "Desktop 1280×800: the gate's answer")
        assert [error for seen in errors for error in seen] == []
    finally:
        for context in (holder, stranger, staff, desktop):
            context.close()
    if configured:
        screens.write_index()


class _Station:
    """What the gate's sign-in needs: the site and the station's key."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
