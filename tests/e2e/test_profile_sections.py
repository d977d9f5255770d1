"""The brief's scanned profile entered through the web alone, on a 360×740 phone.

Galih Agan Pambayun's sections as the brief's "Scan QR Code SIAPkerja-ID" screen shows
them — the job, the degree, three certificates, the achievement, the language, eight
skills — are entered through the profile's pages in Debian's chromium, once with
JavaScript (skills as tags, Hapus asking in a dialog) and once without (skills one a
line, Hapus asking on a page of its own). The card is then issued and its link opened
by a stranger's phone: the certificates and the achievement are on the scanned page.
Screenshots of the profile page at 360 and 1280 px go to ``SIAPKERJA_SHOTS`` when set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_browser import (  # type: ignore[import-not-found]
    EMAIL,
    MOTHER,
    NAME,
    NIK,
    PASSWORD,
    PHONE,
    SAVED,
    TIMEOUT_MS,
    fill_basics,
    paste_code,
    photo,
    read_code,
    register,
    upload_photo,
)

from siapkerja_core.service import Siapkerja

PHONE_SIZE = {"width": 360, "height": 740}
DESKTOP_SIZE = {"width": 1280, "height": 800}
SKILLS = [
    "PHP",
    "Symfony",
    "AngularJS",
    "Laravel",
    "Linux",
    "Object-oriented Programming (OOP)",
    "DevOps",
    "Java",
]
CERTIFICATES = [
    ("Japan Foundation Test for Basic Japanese", "Japan Language Center", "2018-01", "84"),
    ("Japanese Language Proficiency Test N4 or higher", "Japan Language Center", "2017-01", "84"),
    (
        "Manufacturing field Specified Skilled Worker (I) test",
        "Programming Center",
        "2017-01",
        "84",
    ),
]
ACHIEVEMENT = (
    "Juara 3 Lomba Web Design ASC Tingkat Nasional",
    "Kemnaker RI",
    "2016-01",
    "Lomba web design dan teknologi yang diselenggarakan oleh Kemnaker RI",
)
# The brief's screen, as the scanned page must show it.
SCANNED = [
    "Backend Developer",
    "Juni 2021 - Sekarang",
    "BINUS University",
    "2016 - 2018",
    "English",
    "Tingkat Menengah",
    *SKILLS,
    *(c[0] for c in CERTIFICATES),
    "Japan Language Center • Skor 84",
    "Programming Center • Skor 84",
    "Januari 2018 - Sekarang",
    "Januari 2017 - Sekarang",
    *ACHIEVEMENT[:2],
    "Januari 2016",
    ACHIEVEMENT[3],
]


def add_entry(
    page: Any,
    url: str,
    section: str,
    link: str,
    fields: list[tuple[str, str]],
    *,
    before_save: Callable[[Any], None] | None = None,
) -> None:
    """Tambah …: the entry's own page, its fields by label, Simpan, back on the list.

    :param before_save: called with the page once the form is filled (a screenshot, a check).
    """
    from playwright.sync_api import expect

    page.locator(f"section#{section}").get_by_role("link", name=link).click()
    page.wait_for_url(re.compile(r".*/profil/[a-z]+/baru$"))
    form = page.locator("form.entry-form")
    for label, value in fields:
        field = form.get_by_label(label).first
        kind = field.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            field.select_option(value)
        elif kind.endswith(":checkbox"):
            field.check()
        else:
            field.fill(value)
    if before_save is not None:
        before_save(page)
    form.get_by_role("button", name="Simpan").click()
    page.wait_for_url(re.compile(rf".*/profil#{section}-[0-9]+$"))
    expect(page.get_by_text(SAVED)).to_be_visible()


def enter_galih(page: Any, url: str) -> None:
    """The brief's sections, through the entry pages."""
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
            ("Lokasi", "Indonesia"),
        ],
    )
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
    )
    for name, issuer, start, score in CERTIFICATES:
        add_entry(
            page,
            url,
            "certificates",
            "Tambah sertifikat",
            [
                ("Nama sertifikat", name),
                ("Penerbit", issuer),
                ("Berlaku mulai", start),
                ("Tidak kedaluwarsa", "1"),
                ("Skor", score),
            ],
        )
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
    )
    add_entry(
        page, url, "languages", "Tambah bahasa", [("Bahasa", "English"), ("Tingkat", "menengah")]
    )


def move_and_remove(page: Any, url: str, *, js: bool) -> None:
    """A language added by mistake: moved up (Naik), then removed (Hapus asks first)."""
    from playwright.sync_api import expect

    add_entry(
        page, url, "languages", "Tambah bahasa", [("Bahasa", "Bahasa Jepang"), ("Tingkat", "dasar")]
    )
    languages = page.locator("section#languages")
    languages.get_by_role("button", name="Naik Bahasa Jepang").click()
    page.wait_for_url(f"{url}/profil#languages-1")
    expect(languages.locator("li.entry").first).to_contain_text("Bahasa Jepang")
    remove = languages.get_by_role("link", name="Hapus Bahasa Jepang")
    if js:
        page.once("dialog", lambda dialog: dialog.accept())
        remove.click()
    else:
        remove.click()
        page.wait_for_url(f"{url}/profil/bahasa/1/hapus")
        expect(page.get_by_role("heading", name="Hapus Bahasa 1?")).to_be_visible()
        page.get_by_role("button", name="Ya, hapus").click()
    page.wait_for_url(f"{url}/profil#languages")
    expect(page.get_by_text("Data dihapus.")).to_be_visible()
    expect(languages.locator("li.entry")).to_have_count(1)
    expect(languages.locator("li.entry").first).to_contain_text("English")


def enter_skills(page: Any, url: str, *, js: bool) -> None:
    from playwright.sync_api import expect

    if js:
        tags = page.get_by_label("Tambah keahlian")
        for skill in SKILLS:
            tags.fill(skill)
            tags.press("Enter")
        tags.fill("Cobol")
        tags.press("Enter")
        expect(
            page.get_by_role("status").filter(has_text="Keahlian Cobol ditambahkan.")
        ).to_be_attached()
        tags.press("Backspace")  # the empty box: the last tag goes
        expect(page.get_by_role("button", name="Hapus keahlian Cobol")).to_have_count(0)
        expect(page.get_by_role("button", name="Hapus keahlian Java")).to_be_visible()
        # A chip's own button removes it, says so, and leaves focus on the next chip.
        page.get_by_role("button", name="Hapus keahlian DevOps").click()
        expect(page.get_by_role("button", name="Hapus keahlian DevOps")).to_have_count(0)
        expect(
            page.get_by_role("status").filter(has_text="Keahlian DevOps dihapus.")
        ).to_be_attached()
        expect(page.get_by_role("button", name="Hapus keahlian Java")).to_be_focused()
        page.get_by_role("button", name="Hapus keahlian Java").click()  # Java goes too …
        tags.fill("DevOps, Java,")  # … and both come back, a comma after each
        expect(page.get_by_role("button", name="Hapus keahlian Java")).to_be_visible()
        tags.fill("php")  # already there, in another case
        tags.press("Enter")
        expect(
            page.get_by_role("status").filter(has_text="Keahlian php sudah ada.")
        ).to_be_attached()
        # The same name to the server (profile.name_key): full width, an invisible space.
        chips = page.get_by_role("button", name=re.compile("^Hapus keahlian "))
        before = chips.count()
        tags.fill("ＰＨＰ\u200b")
        tags.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Keahlian ＰＨＰ")).to_be_attached()
        expect(chips).to_have_count(before)
    else:
        page.get_by_label("Keahlian (satu per baris").fill(
            "\n".join(SKILLS[:4]) + "\n" + ", ".join(SKILLS[4:])
        )
    page.locator("section#skills").get_by_role("button", name="Simpan").click()
    page.wait_for_url(f"{url}/profil#skills")
    expect(page.get_by_text(SAVED)).to_be_visible()


def sign_up(browser: Any, url: str, *, js: bool) -> tuple[Any, Any]:
    from playwright.sync_api import expect

    context = browser.new_context(
        java_script_enabled=js,
        viewport=PHONE_SIZE,
        locale="id-ID",
        permissions=["clipboard-read", "clipboard-write"] if js else [],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    register(page, url)
    code = read_code(context, url)
    if js:
        paste_code(page, code)
    else:
        for n, digit in enumerate(code, start=1):
            page.get_by_label(f"Angka ke-{n} dari 6").fill(digit)
    page.get_by_role("button", name="Konfirmasi").click()
    page.wait_for_url(f"{url}/profil")
    expect(page.get_by_text("Akun Anda aktif")).to_be_visible()
    return context, page


def shots(page: Any, url: str, name: str) -> None:
    """The profile page, an entry's form refused and a removal's question, at 360 and 1280."""
    folder = os.environ.get("SIAPKERJA_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)

    def both_sizes(shot: str) -> None:
        for size in (PHONE_SIZE, DESKTOP_SIZE):
            page.set_viewport_size(size)
            page.screenshot(path=str(Path(folder) / f"{shot}-{size['width']}.png"), full_page=True)
        page.set_viewport_size(PHONE_SIZE)

    page.goto(f"{url}/profil")
    both_sizes(name)
    page.goto(f"{url}/profil/pendidikan/1")
    page.locator("form.entry-form").get_by_label("IPK").fill("4,5")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state()
    both_sizes(f"{name}-entry-error")
    page.goto(f"{url}/profil/sertifikat/2/hapus")
    both_sizes(f"{name}-remove")
    page.goto(f"{url}/profil")


@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_the_brief_s_profile_is_entered_on_a_phone_and_shows_when_scanned(
    browser: Any, site: tuple[str, Siapkerja], tmp_path: Path, js: bool
) -> None:
    from playwright.sync_api import expect

    url, _svc = site
    context, page = sign_up(browser, url, js=js)
    try:
        fill_basics(page, url)
        enter_galih(page, url)
        enter_skills(page, url, js=js)
        move_and_remove(page, url, js=js)
        upload_photo(page, url, photo(tmp_path / "foto.png"))
        # Nothing is wider than the phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_SIZE["width"], width
        shots(page, url, "profile-js" if js else "profile-nojs")
        page.get_by_role("button", name="Terbitkan SIAPkerja-ID").click()
        page.wait_for_url(f"{url}/kartu")
        link = page.locator("p.qr-url code").inner_text().strip()
    finally:
        context.close()

    stranger = browser.new_context(viewport=PHONE_SIZE, locale="id-ID", java_script_enabled=js)
    stranger.set_default_timeout(TIMEOUT_MS)
    try:
        scanned = stranger.new_page()
        response = scanned.goto(link)
        assert response is not None
        assert response.status == 200
        main = scanned.locator("main")
        expect(main.get_by_role("heading", name="Sertifikat")).to_be_visible()
        expect(main.get_by_role("heading", name="Pencapaian")).to_be_visible()
        shown = " ".join(main.inner_text().split())
        for words in SCANNED:
            assert words in shown, words
        assert shown.index(CERTIFICATES[0][0]) < shown.index(CERTIFICATES[2][0])
    finally:
        stranger.close()


# Names this module leans on: the registration of test_browser uses them.
_ = (EMAIL, MOTHER, NAME, NIK, PASSWORD, PHONE)
