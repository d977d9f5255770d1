"""The profile's list sections on the web, without JavaScript: every entry added, edited, moved
and removed through its own page and form; a stale tab refused; a full list refused in words;
errors named by the field's label and the entry's number in Indonesian and English; an IPK
with a comma; months as people type them; skills one a line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_web_pages import (  # type: ignore[import-not-found]
    EMAIL,
    PASSWORD,
    Browser,
    browser,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    confirm,
    register,
    svc,  # noqa: F401 - fixture
    text,
)

from siapkerja_adapters.web.pages.profile_form import ENTRY_SECTIONS
from siapkerja_core.profile import MAX_ITEMS
from siapkerja_core.profile.lengths import MAX_TITLE_LENGTH
from siapkerja_core.service import Siapkerja


@pytest.fixture
def holder(browser: Browser) -> Browser:  # noqa: F811
    register(browser)
    confirm(browser)
    return browser


# Two entries per section (slug, section id, the two forms, a word of each, an edit).
SECTIONS: list[tuple[str, str, dict[str, str], dict[str, str], str, str, dict[str, str]]] = [
    (
        "pekerjaan",
        "work",
        {
            "work_title": "Backend Developer",
            "work_company": "Company",
            "work_start": "2021-06",
            "work_current": "1",
            "work_location": "Indonesia",
        },
        {
            "work_title": "Web Developer",
            "work_company": "Studio",
            "work_start": "03/2019",
            "work_end": "Mei 2021",
            "work_description": "PHP dan Laravel",
        },
        "Backend Developer",
        "Web Developer",
        {"work_title": "Senior Web Developer"},
    ),
    (
        "pendidikan",
        "education",
        {
            "edu_institution": "BINUS University",
            "edu_level": "S1",
            "edu_start_year": "2016",
            "edu_end_year": "2018",
            "edu_gpa": "3,4",
        },
        {
            "edu_institution": "SMK Negeri 1 Jakarta",
            "edu_level": "SMK",
            "edu_start_year": "2013",
            "edu_end_year": "2016",
        },
        "BINUS University",
        "SMK Negeri 1 Jakarta",
        {"edu_major": "Rekayasa Perangkat Lunak"},
    ),
    (
        "sertifikat",
        "certificates",
        {
            "cert_name": "Japan Foundation Test for Basic Japanese",
            "cert_issuer": "Japan Language Center",
            "cert_valid_from": "2018-01",
            "cert_current": "1",
            "cert_score": "84",
        },
        {
            "cert_name": "Japanese Language Proficiency Test N4 or higher",
            "cert_issuer": "Japan Language Center",
            "cert_valid_from": "Januari 2017",
            "cert_current": "1",
            "cert_score": "84",
        },
        "Japan Foundation Test for Basic Japanese",
        "Japanese Language Proficiency Test N4 or higher",
        {"cert_score": "N4"},
    ),
    (
        "pencapaian",
        "achievements",
        {
            "ach_title": "Juara 3 Lomba Web Design ASC Tingkat Nasional",
            "ach_organiser": "Kemnaker RI",
            "ach_date": "2016-01",
            "ach_description": (
                "Lomba web design dan teknologi yang diselenggarakan oleh Kemnaker RI"
            ),
        },
        {
            "ach_title": "Peserta Hackathon Nasional",
            "ach_organiser": "Kominfo",
            "ach_date": "2015-08",
        },
        "Juara 3 Lomba Web Design ASC Tingkat Nasional",
        "Peserta Hackathon Nasional",
        {"ach_organiser": "Kementerian Kominfo"},
    ),
    (
        "bahasa",
        "languages",
        {"lang_name": "English", "lang_level": "menengah"},
        {"lang_name": "Bahasa Jepang", "lang_level": "dasar"},
        "English",
        "Bahasa Jepang",
        {"lang_level": "mahir"},
    ),
]


def section_text(page: str, section: str) -> str:
    found = re.search(rf'<section[^>]* id="{section}".*?</section>', page, re.S)
    assert found, f"no section {section}"
    return text(found.group(0))


def fingerprints(page: str, section: str) -> list[str]:
    found = re.search(rf'<section[^>]* id="{section}".*?</section>', page, re.S)
    assert found
    return re.findall(r'data-fp="([0-9a-f]+)"', found.group(0))


def add(visitor: Browser, slug: str, data: dict[str, str]) -> Any:
    visitor.get(f"/profil/{slug}/baru")
    return visitor.submit(f"/profil/{slug}/baru", data)


@pytest.mark.parametrize(
    ("slug", "section", "first", "second", "first_word", "second_word", "change"), SECTIONS
)
def test_each_section_adds_edits_moves_and_removes_entries(
    holder: Browser,
    slug: str,
    section: str,
    first: dict[str, str],
    second: dict[str, str],
    first_word: str,
    second_word: str,
    change: dict[str, str],
) -> None:
    holder.get("/profil")
    assert f'href="/profil/{slug}/baru"' in holder.page  # Tambah, a plain link
    for data, word in ((first, first_word), (second, second_word)):
        response = add(holder, slug, data)
        assert response.url.path == "/profil", text(holder.page)
        assert "Perubahan disimpan." in text(holder.page)
        assert word in section_text(holder.page, section)
    shown = section_text(holder.page, section)
    assert shown.index(first_word) < shown.index(second_word)

    # Ubah: the second entry's own page, its values in the inputs, saved in place.
    holder.get(f"/profil/{slug}/2")
    assert holder.page.count('name="fp"') == 1
    values = {**second, **change}
    response = holder.submit(f"/profil/{slug}/2", {**values, "fp": form_fp(holder.page)})
    assert response.url.path == "/profil"
    shown = section_text(holder.page, section)
    assert next(iter(change.values())) in shown or section == "languages"
    assert shown.index(first_word) < shown.index(second_word)

    # Naik: the second moves up; the answer's address names where it went.
    fps = fingerprints(holder.page, section)
    response = holder.client.post(
        f"/profil/{slug}/2/pindah",
        data={"csrf_token": csrf_of(holder.page), "fp": fps[1], "arah": "naik"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/profil#{section}-1")
    holder.get("/profil")
    shown = section_text(holder.page, section)
    assert shown.index(second_word) < shown.index(first_word)

    # Hapus without JavaScript: a page that asks first, naming the entry.
    holder.get(f"/profil/{slug}/1/hapus")
    assert second_word in text(holder.page)
    assert "Ya, hapus" in text(holder.page)
    response = holder.submit(f"/profil/{slug}/1/hapus", {"fp": form_fp(holder.page)})
    assert response.url.path == "/profil"
    assert "Data dihapus." in text(holder.page)
    shown = section_text(holder.page, section)
    assert second_word not in shown
    assert first_word in shown


def form_fp(page: str) -> str:
    found = re.search(r'name="fp" value="([0-9a-f]*)"', page)
    assert found, "no fingerprint on the form"
    return found.group(1)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_a_form_from_a_stale_tab_is_refused_not_applied_to_another_entry(holder: Browser) -> None:
    add(holder, "sertifikat", SECTIONS[2][2])
    add(holder, "sertifikat", SECTIONS[2][3])
    holder.get("/profil")
    old = fingerprints(holder.page, "certificates")
    stale_page = holder.page

    # Another tab removes the first certificate: the second now sits at place 1.
    holder.get("/profil/sertifikat/1/hapus")
    holder.submit("/profil/sertifikat/1/hapus", {"fp": form_fp(holder.page)})

    # The stale tab asks to remove "certificate 1" (the one already gone): refused.
    holder.page = stale_page
    holder.submit("/profil/sertifikat/1/hapus", {"fp": old[0]})
    page = text(holder.page)
    assert "Data ini sudah berubah di tab lain; muat ulang halaman" in page
    assert "Japanese Language Proficiency Test N4 or higher" in section_text(
        holder.page, "certificates"
    )

    # …and to move it, or to save the edit form it opened before: refused, typed values kept.
    holder.page = stale_page
    holder.submit("/profil/sertifikat/1/pindah", {"fp": old[0], "arah": "turun"})
    assert "sudah berubah di tab lain" in text(holder.page)
    holder.submit(
        "/profil/sertifikat/1",
        {**SECTIONS[2][2], "cert_score": "90", "fp": old[0]},
    )
    assert "Data ini sudah berubah di tab lain" in text(holder.page)
    assert 'value="90"' in holder.page
    holder.get("/profil")
    assert "Skor 84" in section_text(holder.page, "certificates")
    assert "Skor 90" not in section_text(holder.page, "certificates")


def test_a_full_list_is_refused_in_words(holder: Browser) -> None:
    limit = MAX_ITEMS["languages"]
    for n in range(limit):
        response = add(holder, "bahasa", {"lang_name": f"Bahasa {n}", "lang_level": "dasar"})
        assert response.url.path == "/profil", text(holder.page)
    page = section_text(holder.page, "languages")
    assert f"Sudah {limit} entri, batas terbanyak" in page
    assert 'href="/profil/bahasa/baru"' not in holder.page
    holder.get("/profil/bahasa/baru")
    assert f"Sudah {limit} entri, batas terbanyak" in text(holder.page)
    holder.get("/profil/bahasa/1")
    response = holder.submit("/profil/bahasa/baru", {"lang_name": "Sunda", "lang_level": "dasar"})
    # Post/redirect/get: the refusal is read on the new-entry page, which for a full list
    # says so instead of offering a form.
    assert response.history[0].status_code == 303
    assert response.url.path == "/profil/bahasa/baru"
    assert f"Bahasa: paling banyak {limit} entri" in text(holder.page)
    holder.get("/profil")
    assert "Sunda" not in section_text(holder.page, "languages")


@pytest.mark.parametrize(
    ("lang", "expected", "developer"),
    [
        ("id", "IPK (Pendidikan 2): ", "Isian education"),
        ("en", "GPA (Education 2): ", "Field education"),
    ],
)
def test_errors_name_the_field_and_the_entry_in_words(
    holder: Browser, lang: str, expected: str, developer: str
) -> None:
    add(holder, "pendidikan", SECTIONS[1][2])
    holder.get(f"/profil/pendidikan/baru?lang={lang}")
    holder.submit(
        "/profil/pendidikan/baru",
        {
            "edu_institution": "Universitas Indonesia",
            "edu_level": "S2",
            "edu_start_year": "2019",
            "edu_end_year": "2021",
            "edu_gpa": "4,5",
        },
    )
    page = text(holder.page)
    assert expected in page
    assert developer not in page
    assert "education[" not in holder.page
    assert 'id="f-edu_gpa-error"' in holder.page  # tied to its input
    assert 'aria-describedby="f-edu_gpa-hint f-edu_gpa-error"' in holder.page
    assert 'value="4,5"' in holder.page  # as typed


def test_end_before_start_and_a_forgotten_end_are_named(holder: Browser) -> None:
    add(
        holder,
        "pekerjaan",
        {"work_title": "Dev", "work_company": "X", "work_start": "06/2021", "work_end": "2020-01"},
    )
    page = text(holder.page)
    assert "Bulan selesai (Pengalaman kerja 1): tidak boleh sebelum Juni 2021." in page
    add(holder, "pekerjaan", {"work_title": "Dev", "work_company": "X", "work_start": "2021-06"})
    assert (
        'Bulan selesai (Pengalaman kerja 1): isi bulannya, atau centang "Masih bekerja di sini".'
        in text(holder.page)
    )
    add(holder, "pekerjaan", {"work_title": "", "work_company": "X", "work_start": "2021-06"})
    assert "Jabatan (Pengalaman kerja 1): " in text(holder.page)
    assert 'id="f-work_title-error"' in holder.page
    add(holder, "pekerjaan", {"work_title": "Dev", "work_company": "X", "work_start": "Juni"})
    assert "Bulan mulai (Pengalaman kerja 1): tulis bulan dan tahun" in text(holder.page)


def test_gpa_with_a_comma_and_months_as_people_write_them(holder: Browser) -> None:
    add(
        holder,
        "pendidikan",
        {
            "edu_institution": "BINUS University",
            "edu_level": "S1",
            "edu_start_year": "2016",
            "edu_end_year": "2018",
            "edu_gpa": "3,45",
        },
    )
    assert "Sarjana (S1) • 3.45" in section_text(holder.page, "education")
    holder.get("/profil/pendidikan/1")
    assert 'value="3.45"' in holder.page
    add(
        holder,
        "sertifikat",
        {
            "cert_name": "TOEFL",
            "cert_issuer": "ETS",
            "cert_valid_from": "Jan 2017",
            "cert_valid_until": "01/2019",
        },
    )
    assert "Januari 2017 - Januari 2019" in section_text(holder.page, "certificates")


def test_skills_one_a_line_or_by_commas_without_javascript(holder: Browser) -> None:
    holder.get("/profil")
    assert 'maxlength="' in re.search(r"<textarea[^>]*f-skills[^>]*>", holder.page).group(0)
    holder.submit(
        "/profil/skills",
        {"skills": "PHP\nSymfony, AngularJS\nObject-oriented Programming (OOP)\nphp\n\n"},
    )
    assert "Perubahan disimpan." in text(holder.page)
    assert ">PHP\nSymfony\nAngularJS\nObject-oriented Programming (OOP)</textarea>" in holder.page
    holder.submit("/profil/skills", {"skills": "PHP\n" + "x" * 61})
    page = text(holder.page)
    assert "Keahlian (ke-2): " in page
    assert "skills[" not in holder.page


ESCO_SKILL = "http://data.europa.eu/esco/skill/0a2f7f0e-1111-4222-8333-444455556666"


def test_a_web_edit_keeps_what_its_form_does_not_show(
    holder: Browser,
    svc: Siapkerja,  # noqa: F811
) -> None:
    account = svc.login(EMAIL, PASSWORD)
    svc.update_profile(
        account.id,
        work=[
            {
                "title": "Backend Developer",
                "company": "Company",
                "start": "2021-06",
                "occupation": {"kbji": "2512"},
            }
        ],
        skills=[{"name": "PHP", "esco_uri": ESCO_SKILL}, "Linux"],
    )
    holder.get("/profil/pekerjaan/1")
    values = {**SECTIONS[0][2], "work_location": "Jakarta", "fp": form_fp(holder.page)}
    holder.submit("/profil/pekerjaan/1", values)
    assert "Perubahan disimpan." in text(holder.page)
    holder.submit("/profil/skills", {"skills": "php\nLinux\nJava"})
    profile = svc.profile(account.id)
    assert profile.work[0].location == "Jakarta"
    assert profile.work[0].occupation is not None
    assert profile.work[0].occupation.kbji == "2512"
    assert [(s.name, s.esco_uri) for s in profile.skills] == [
        ("php", ESCO_SKILL),
        ("Linux", None),
        ("Java", None),
    ]


def test_the_lists_speak_english_and_a_missing_entry_is_not_found(holder: Browser) -> None:
    add(holder, "sertifikat", SECTIONS[2][2])
    holder.get("/profil?lang=en")
    page = section_text(holder.page, "certificates")
    assert "Japan Language Center • Score 84" in page
    assert "January 2018 - Present" in page
    assert "Add a certificate" in page
    assert "Remove Japan Foundation Test for Basic Japanese" in page  # the button's whole name
    holder.get("/profil/sertifikat/1/hapus")
    assert "Remove Certificate 1?" in text(holder.page)
    assert holder.get("/profil/sertifikat/2").status_code == 404
    assert holder.get("/profil/sertifikat/2/hapus").status_code == 404
    assert holder.get("/profil/lisensi/baru").status_code == 404


def test_the_inputs_hints_are_the_cores_limits(holder: Browser) -> None:
    for section in ENTRY_SECTIONS.values():
        holder.get(f"/profil/{section.slug}/baru")
        for field in section.fields:
            found = re.search(
                rf'<(input|textarea|select) id="f-{section.form_name(field.name)}"[^>]*>',
                holder.page,
            )
            assert found, field
            tag = found.group(0)
            if field.max_length is not None:
                assert f'maxlength="{field.max_length}"' in tag, (section.key, field.name)
            if field.kind in ("year", "gpa"):
                assert 'pattern="' in tag
                assert "inputmode=" in tag
    longest = "N" * MAX_TITLE_LENGTH
    add(holder, "sertifikat", {**SECTIONS[2][2], "cert_name": longest})
    assert "Perubahan disimpan." in text(holder.page)
    add(holder, "sertifikat", {**SECTIONS[2][2], "cert_name": longest + "N"})
    assert "Nama sertifikat (Sertifikat 2): " in text(holder.page)
    assert 'id="f-cert_name-error"' in holder.page


def test_free_text_with_a_direction_override_stays_in_its_own_entry(holder: Browser) -> None:
    # A right-to-left override typed into an entry (or pasted from elsewhere) is kept as
    # written, but must not reorder the page after it: each entry's text is a <bdi>.
    add(
        holder,
        "pekerjaan",
        {
            "work_title": "Staf \u202eludaG",
            "work_company": "PT \u202eAyaJ",
            "work_start": "2021-06",
            "work_current": "1",
        },
    )
    holder.get("/profil")
    assert (
        '<strong class="entry-title" dir="auto"><bdi>Staf \u202eludaG</bdi></strong>' in holder.page
    )
    assert "<bdi>PT \u202eAyaJ</bdi>" in holder.page
    # Every override in the page's text is inside a <bdi>, which ends it (attributes
    # hold text, not layout).
    for piece in re.sub(r'="[^"]*"', '=""', holder.page).split("\u202e")[1:]:
        assert piece.find("<") == piece.find("</bdi>")
    assert re.search(r"<h1>[^<]*: <bdi>[^<]+</bdi></h1>", holder.page)
    holder.get("/profil/pekerjaan/1/hapus")  # the page that asks before removing
    assert "<bdi>Staf \u202eludaG</bdi></strong>" in holder.page


def test_an_issuer_and_a_score_with_overrides_cannot_reverse_the_words_between_them(
    holder: Browser,
) -> None:
    # One line joins the holder's issuer, the app's "Skor" and the holder's score: each
    # value is isolated (U+2068 … U+2069), so an override in the issuer ends with it.
    add(
        holder,
        "sertifikat",
        {
            "cert_name": "JLPT \u202eN4",
            "cert_issuer": "abc\u202eXYZ-123",
            "cert_valid_from": "2018-01",
            "cert_current": "1",
            "cert_score": "8\u202e4 B2",
        },
    )
    holder.get("/profil")
    line = "<bdi><bdi>abc\u202eXYZ-123</bdi> • Skor <bdi>8\u202e4 B2</bdi></bdi>"
    assert line in holder.page
    # The confirm dialog and the actions' name hold the title isolated too (plain text).
    assert 'data-remove-confirm="Hapus &#34;\u2068JLPT \u202eN4\u2069&#34;' in holder.page
    holder.get("/profil/sertifikat/1/hapus")
    assert line in holder.page


def test_a_skill_typed_again_full_width_is_kept_once(holder: Browser) -> None:
    holder.get("/profil")
    holder.submit("/profil/skills", {"skills": "PHP\nＰＨＰ, ｐｈｐ\nExcel"})
    assert "Perubahan disimpan." in text(holder.page)
    assert ">PHP\nExcel</textarea>" in holder.page
