"""The pages in the citizen's words (issue 14): inputs that take what people type, every
empty field flagged at once, a too-long value said to be too long, waits in minutes or a
clock time, times in the holder's zone without seconds, maxlength equal to the server's.

Through the web binding as a browser without JavaScript uses it (the helpers of
``test_web_pages.py``), following the redirects a person follows.
"""

from __future__ import annotations

# ruff: noqa: F811 - the fixtures of test_web_pages are imported by name
import re
from html.parser import HTMLParser

import pytest
from test_web_pages import (  # type: ignore[import-not-found]
    EMAIL,
    MOTHER,
    NAME,
    NIK,
    PASSWORD,
    Browser,
    browser,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    complete_profile,
    confirm,
    register,
    scan_path,
    signed_in,  # noqa: F401 - fixture
    svc,  # noqa: F401 - fixture
    text,
    with_card,  # noqa: F401 - fixture
)

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS
from siapkerja_core.contact import MAX_EMAIL_INPUT, MAX_PHONE_INPUT
from siapkerja_core.nik import MAX_NIK_INPUT
from siapkerja_core.passwords import MAX_PASSWORD_LENGTH
from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.service import Siapkerja
from support.gates import check_in, open_events


class _Inputs(HTMLParser):
    """Every ``<input>`` of a page: name -> its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.inputs[str(found["name"])] = found


def inputs(page: str) -> dict[str, dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(page)
    return parser.inputs


def field_error(page: str, name: str) -> str:
    """The message shown next to the field ``name`` (its ``f-NAME-error``), or ``""``."""
    found = re.search(rf'<p class="field-error" id="f-{name}-error">(.*?)</p>', page, re.S)
    return (
        text(found.group(1)).removeprefix("Kesalahan:").removeprefix("Error:").strip()
        if found
        else ""
    )


def _spaced(nik: str, separator: str) -> str:
    return separator.join(nik[i : i + 4] for i in range(0, 16, 4))


# --------------------------------------------------------------------------
# Inputs that take what people type
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        _spaced(NIK, " "),
        _spaced(NIK, "."),
        _spaced(NIK, "-"),
        f"{NIK[:2]}.{NIK[2:4]}.{NIK[4:6]}.{NIK[6:12]}.{NIK[12:]}",
        f" {_spaced(NIK, ' - ')} ",
    ],
)
def test_a_nik_typed_with_spaces_dots_or_dashes_registers(browser: Browser, typed: str) -> None:
    browser.get("/daftar")
    field = inputs(browser.page)["nik"]
    assert len(typed.strip()) <= int(str(field["maxlength"]))  # the browser keeps every digit
    assert field["inputmode"] == "numeric"
    assert field["autocomplete"] == "off"
    assert "pattern" not in field  # a pattern of 16 digits would refuse the spaces
    assert "spasi" in text(browser.page)  # the hint says spaces are fine
    response = browser.submit("/daftar", {"nik": typed, "full_name": NAME, "mother_name": MOTHER})
    assert response.url.path == "/daftar/kontak", text(browser.page)


@pytest.mark.parametrize(
    "phone",
    ["0812-9999-9999", "+62 812 9999 9999", "6281299999999", "(0812) 9999 9999", "0812.9999.9999"],
)
def test_a_phone_in_every_common_spelling_is_taken(browser: Browser, phone: str) -> None:
    browser.get("/daftar")
    browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    field = inputs(browser.page)["phone"]
    assert field["type"] == "tel"
    assert field["inputmode"] == "tel"
    assert len(phone) <= int(str(field["maxlength"]))
    response = browser.submit(
        "/daftar/kontak", {"email": EMAIL, "phone": phone, "password": PASSWORD}
    )
    assert response.url.path == "/verifikasi", text(browser.page)


def test_every_input_maxlength_is_the_servers_limit(browser: Browser) -> None:
    # The limits are the core's own constants, not numbers written twice.
    assert INPUT_LIMITS["nik"] == MAX_NIK_INPUT
    assert INPUT_LIMITS["full_name"] == INPUT_LIMITS["mother_name"] == MAX_NAME_LENGTH
    assert INPUT_LIMITS["email"] == MAX_EMAIL_INPUT
    assert INPUT_LIMITS["phone"] == MAX_PHONE_INPUT
    assert INPUT_LIMITS["password"] == INPUT_LIMITS["new_password"] == MAX_PASSWORD_LENGTH
    assert INPUT_LIMITS["identifier"] == max(MAX_NIK_INPUT, MAX_PHONE_INPUT, MAX_EMAIL_INPUT)
    seen: set[str] = set()

    def check(page: str) -> None:
        for name, attributes in inputs(page).items():
            if name in INPUT_LIMITS:
                assert attributes.get("maxlength") == str(INPUT_LIMITS[name]), name
                seen.add(name)

    for path in ("/", "/pemulihan"):
        browser.get(path)
        check(browser.page)
    browser.get("/daftar")
    check(browser.page)
    browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    check(browser.page)
    # The reset code takes the policy's number of digits.
    browser.get("/pemulihan")
    browser.submit("/pemulihan", {"identifier": NIK})
    assert inputs(browser.page)["code"]["maxlength"] == "6"
    check(browser.page)
    assert seen == set(INPUT_LIMITS)


# --------------------------------------------------------------------------
# Every field flagged, in words
# --------------------------------------------------------------------------


def test_an_empty_step_one_flags_every_field(browser: Browser) -> None:
    browser.get("/daftar")
    browser.submit("/daftar", {"nik": "", "full_name": "", "mother_name": ""})
    page = browser.page
    assert field_error(page, "nik") == "NIK wajib diisi."
    assert field_error(page, "full_name").startswith("Nama lengkap wajib diisi.")
    assert field_error(page, "mother_name").startswith("Nama ibu kandung wajib diisi.")
    summary = page.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="#f-(\w+)"', summary) == ["nik", "full_name", "mother_name"]


def test_an_empty_step_two_flags_every_field(browser: Browser) -> None:
    browser.get("/daftar")
    browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    browser.submit("/daftar/kontak", {"email": "", "phone": "", "password": ""})
    assert field_error(browser.page, "email") == "Alamat email wajib diisi."
    assert field_error(browser.page, "phone") == "Nomor HP wajib diisi."
    assert field_error(browser.page, "password") == "Kata sandi wajib diisi."


def test_an_empty_sign_in_flags_both_fields_in_english(browser: Browser) -> None:
    browser.get("/?lang=en")
    browser.submit("/", {"identifier": "", "password": ""})
    assert (
        field_error(browser.page, "identifier") == "The NIK, e-mail or mobile number is required."
    )
    assert field_error(browser.page, "password") == "The password is required."


def test_a_too_long_name_is_said_to_be_too_long_at_its_field(browser: Browser) -> None:
    browser.get("/daftar")
    long_name = "Galih " * 40
    browser.submit(
        "/daftar", {"nik": _spaced(NIK, " "), "full_name": long_name, "mother_name": MOTHER}
    )
    message = field_error(browser.page, "full_name")
    assert message.startswith("Nama lengkap terlalu panjang (paling banyak 100 karakter).")
    assert "wajib diisi" not in message
    assert field_error(browser.page, "nik") == ""
    assert inputs(browser.page)["nik"]["value"] == _spaced(NIK, " ")  # the form is kept
    browser.get("/daftar?lang=en")
    browser.submit("/daftar", {"nik": NIK, "full_name": long_name, "mother_name": MOTHER})
    assert field_error(browser.page, "full_name").startswith(
        "Full name is too long (at most 100 characters)."
    )


def test_a_short_nik_counts_the_digits_typed(browser: Browser) -> None:
    browser.get("/daftar")
    browser.submit("/daftar", {"nik": "3173 0712 0394 0", "full_name": NAME, "mother_name": MOTHER})
    assert field_error(browser.page, "nik").startswith("NIK harus 16 angka; yang terisi 13 angka.")


# --------------------------------------------------------------------------
# Waits in minutes, in both languages
# --------------------------------------------------------------------------

_RAW_SECONDS = re.compile(r"\d+ (detik|seconds?)\b")


def test_a_locked_sign_in_says_when_to_try_again(browser: Browser) -> None:
    browser.get("/")
    for _ in range(7):
        response = browser.submit("/", {"identifier": NIK, "password": "salah sekali lagi"})
    # A refused form is post/redirect/get (the JSON API keeps 429 and Retry-After).
    assert response.history[0].status_code == 303
    assert response.url.path == "/"
    page = text(browser.page)
    assert re.search(r"Coba lagi (sebentar lagi|dalam \d+ (menit|jam)|pukul|besok)", page), page
    assert not _RAW_SECONDS.search(page)
    browser.get("/?lang=en")
    response = browser.submit("/", {"identifier": NIK, "password": "salah sekali lagi"})
    page = text(browser.page)
    assert re.search(r"Try again (in a moment|in \d+ (minutes?|hours?)|at|tomorrow)", page), page
    assert not _RAW_SECONDS.search(page)


def test_an_early_resend_says_when_in_words(browser: Browser) -> None:
    register(browser)
    response = browser.submit("/verifikasi/kirim-ulang")
    assert response.history[0].status_code == 303  # post/redirect/get, the wait in words
    assert response.url.path == "/verifikasi"
    assert "Kode baru dapat diminta dalam 1 menit." in text(browser.page)
    assert not _RAW_SECONDS.search(text(browser.page))
    browser.get("/verifikasi?lang=en")
    response = browser.submit("/verifikasi/kirim-ulang")
    assert "You can ask for a new code in 1 minute." in text(browser.page)


# --------------------------------------------------------------------------
# Times: the holder's zone, no seconds, no UTC, no ISO in what a person reads
# --------------------------------------------------------------------------

_ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_MICROSECONDS = re.compile(r"T\d\d:\d\d:\d\d\.")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_page_of_the_journey_shows_a_raw_time(browser: Browser, lang: str) -> None:
    pages: list[tuple[str, str]] = []

    def visit(path: str) -> None:
        separator = "&" if "?" in path else "?"
        browser.get(f"{path}{separator}lang={lang}")
        pages.append((path, browser.page))

    browser.get("/daftar")
    pages.append(("/daftar", browser.page))
    register(browser)
    pages.append(("/verifikasi", browser.page))
    confirm(browser)
    complete_profile(browser)  # in Indonesian: it reads the Indonesian confirmations
    browser.submit("/kartu/terbitkan")
    for path in ("/profil", "/kartu", "/riwayat", "/program", "/dev/outbox"):
        visit(path)
    browser.get("/kartu")
    scan = scan_path(browser.page)
    browser.client.get(scan)  # an entry in the access history
    visit(scan)
    visit("/riwayat")
    for path, page in pages:
        shown = text(page)
        assert not _ISO.search(shown), (path, _ISO.search(shown))
        assert not _MICROSECONDS.search(page), path
        assert "UTC" not in shown, path
    history = dict(pages)["/riwayat"]
    # Each time is a <time> whose datetime attribute keeps the moment for scripts.
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">', history)
    clock_format = r"\d\d:\d\d" if lang == "en" else r"\d\d\.\d\d"
    assert re.search(rf"\d{{1,2}} \w+ \d{{4}}, {clock_format} WIB", text(history))


def test_the_apis_problem_keeps_the_seconds_and_words_the_detail(browser: Browser) -> None:
    api = browser.client
    for _ in range(8):
        response = api.post(
            "/api/v1/sessions", json={"identifier": NIK, "password": "salah sekali lagi"}
        )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "login.throttled"
    assert isinstance(body["params"]["retry_after"], int)  # the machine's number stays
    assert body["params"]["retry_after"] > 0
    assert body["detail"].startswith("Terlalu banyak percobaan masuk. Coba lagi ")
    assert not _RAW_SECONDS.search(body["detail"])
    assert not _RAW_SECONDS.search(body["message_en"])
    assert str(body["params"]["retry_after"]) not in body["detail"]


def test_a_language_chosen_on_the_home_page_survives_its_redirect(signed_in: Browser) -> None:
    """``/?lang=en`` signed in sends the holder on to ``/profil``: in English (issue 14)."""
    answer = signed_in.get("/?lang=en")
    assert answer.url.path == "/profil"
    assert '<html lang="en">' in signed_in.page
    assert signed_in.get("/profil").url.path == "/profil"
    assert '<html lang="en">' in signed_in.page  # kept for the next pages too
    signed_in.get("/?lang=id")
    assert '<html lang="id">' in signed_in.page


@pytest.mark.parametrize(
    ("lang", "gpa", "expected"),
    [
        ("id", "4,5", "IPK (Pendidikan 1): harus antara 0,00 dan 4,00."),
        ("en", "4,5", "GPA (Education 1): a GPA is between 0.00 and 4.00."),
    ],
)
def test_a_refused_gpa_is_worded_with_the_pages_decimal_mark(
    signed_in: Browser, lang: str, gpa: str, expected: str
) -> None:
    """The hint says "0,00 sampai 4,00": the Indonesian error says it the same way (issue 14)."""
    signed_in.get(f"/profil/pendidikan/baru?lang={lang}")
    hint = "0,00 sampai 4,00" if lang == "id" else "0.00 to 4.00"
    assert hint in text(signed_in.page)
    entry = {
        "edu_institution": "Universitas Indonesia",
        "edu_level": "S1",
        "edu_start_year": "2015",
        "edu_end_year": "2019",
        "edu_gpa": gpa,
    }
    signed_in.submit("/profil/pendidikan/baru", entry)
    assert expected in text(signed_in.page)
    assert field_error(signed_in.page, "edu_gpa") != ""


def test_the_english_card_page_shows_an_english_card(with_card: Browser) -> None:
    """The card graphic speaks the page's language (issue 14)."""
    with_card.get("/kartu?lang=en")
    graphic = with_card.page.split('<div class="card-svg">', 1)[1].split("</svg>", 1)[0]
    assert "Digital Manpower Card" in graphic
    assert "Scan to see the profile" in graphic
    assert "Diterbitkan" not in graphic
    assert "Pindai" not in graphic
    with_card.get("/kartu?lang=id")
    graphic = with_card.page.split('<div class="card-svg">', 1)[1].split("</svg>", 1)[0]
    assert "Kartu Digital Ketenagakerjaan" in graphic
    assert "Diterbitkan" in graphic


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("id", "Foto profil (JPEG, PNG, atau WebP; paling besar 2 MB)"),
        ("en", "Profile photo (JPEG, PNG or WebP; at most 2 MB)"),
    ],
)
def test_the_photo_field_says_its_size_in_everyday_words(
    signed_in: Browser, lang: str, label: str
) -> None:
    signed_in.get(f"/profil?lang={lang}")
    assert label in text(signed_in.page)
    assert "MiB" not in signed_in.page


def test_a_too_long_email_says_how_long_it_may_be(browser: Browser) -> None:
    browser.get("/daftar")
    browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    address = "a" * 70 + "@contoh.co.id"
    browser.submit(
        "/daftar/kontak", {"email": address, "phone": "081234567890", "password": PASSWORD}
    )
    assert field_error(browser.page, "email") == (
        "Alamat email terlalu panjang: paling banyak 254 karakter, dan paling banyak 64"
        " karakter sebelum tanda @. Periksa kembali alamatnya."
    )


def test_the_history_names_the_event_an_access_code_was_for(
    svc: Siapkerja, with_card: Browser
) -> None:
    """ "Tujuan" shows the event's name, not its id (issue 14); a purpose naming no
    event stays as the verifier gave it."""
    account = svc.login(EMAIL, PASSWORD)
    open_events(svc, "JOBFAIR-JKT-2026")
    code = svc.card_qr(account.id, mode="access", purpose="JOBFAIR-JKT-2026")
    check_in(svc, code.token, "JOBFAIR-JKT-2026")
    karirhub, key = svc.register_verifier("Karirhub", ["karirhub"])
    svc.grant_consent(account.id, karirhub.id, "lamaran-2026")
    link = scan_path(with_card.get("/kartu").text).rsplit("/", 1)[-1]
    svc.resolve(link, svc.verifier(key), purpose="lamaran-2026")
    with_card.get("/riwayat")
    ledger = with_card.page.split('id="ledger-title"', 1)[1].split('id="consents-title"', 1)[0]
    purposes = re.findall(r'data-label="Tujuan">(.*?)</td>', ledger)
    assert "Acara JOBFAIR-JKT-2026" in purposes
    assert "JOBFAIR-JKT-2026" not in purposes
    assert "lamaran-2026" in purposes
