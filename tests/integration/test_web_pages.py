"""The web pages, driven like a browser without JavaScript: GET a page, read its form, POST.

Every test runs ``create_app`` on the ``memory`` profile in development mode,
so the SMS the journey "sends" is read from ``/dev/outbox`` exactly as a
developer would. The journey goes through the brief's screens — sign-in,
*Daftar*, *Verifikasi* — to a complete profile, the card, and a scan of its
QR code, anonymously and as the holder. Every response is checked for the
security headers.
"""

from __future__ import annotations

import html
import importlib
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core import regions
from siapkerja_core.disclosure import scope_fields
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.records import AccessRecord
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.programmes import bundled_programme
from siapkerja_core.views import Account
from support import people
from support.clock import ManualClock as Clock
from support.gates import ORGANISER, check_in, open_events, organiser

# Galih Agan Pambayun, a bundled fictional resident (tests/support/people.py).
NIK, NAME, MOTHER, EMAIL = people.NIK, people.NAME, people.MOTHER, people.EMAIL
PHONE = "0812-9999-9999"
PHONE_SHOWN = "081299999999"
PASSWORD = "kopi tubruk di pal merah"
CONSENT = (
    "Dengan melakukan pendaftaran, saya setuju dengan Kebijakan Privasi dan Syarat & Ketentuan"
    " Kemnaker RI."
)
HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; script-src 'self';"
    " style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


# --------------------------------------------------------------------------
# A small browser
# --------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text(page: str) -> str:
    """The visible text of a page, whitespace collapsed, entities decoded."""
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def check_headers(response: httpx.Response) -> None:
    for name, value in HEADERS.items():
        assert name in response.headers, f"{name} missing on {response.request.url}"
        assert response.headers[name].startswith(value), name
    assert "permissions-policy" in response.headers
    path = response.request.url.path
    if path == "/profil/foto" and response.status_code in (200, 304):
        # The holder's own photo: the browser keeps it, no shared cache may.
        assert response.headers["cache-control"].startswith("private, "), path
    elif not path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store", path


class Browser:
    """A TestClient that checks every response's headers and submits forms like a browser."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.page = ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        response = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        self.page = response.text
        return response

    def submit(
        self,
        action: str,
        data: dict[str, str] | None = None,
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        """POST a form of the current page (its CSRF token included)."""
        fields = {"csrf_token": csrf(self.page), **(data or {})}
        response = self.client.post(action, data=fields, files=files)
        self.page = response.text
        return response

    def otp(self) -> str:
        outbox = self.client.get("/dev/outbox").text
        found = re.search(r"kode OTP [a-z ]+ Anda (\d{6})", html.unescape(outbox))
        assert found, "no code in the outbox"
        return found.group(1)


@pytest.fixture
def clock() -> Clock:
    return Clock.from_now()


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)


def _client(app: object, **kwargs: object) -> TestClient:
    client = TestClient(app, **kwargs)  # type: ignore[arg-type]
    client.event_hooks["response"] = [check_headers]
    return client


@pytest.fixture
def browser(svc: Siapkerja) -> Iterator[Browser]:
    with _client(create_app(svc, dev=True)) as client:
        yield Browser(client)


def register(browser: Browser) -> httpx.Response:
    """Daftar, step 1 and 2, through the forms; ends on the verification page."""
    browser.get("/daftar")
    response = browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    assert response.url.path == "/daftar/kontak", text(browser.page)
    response = browser.submit(
        "/daftar/kontak", {"email": EMAIL, "phone": PHONE, "password": PASSWORD}
    )
    assert response.url.path == "/verifikasi", text(browser.page)
    return response


def confirm(browser: Browser) -> httpx.Response:
    digits = {f"d{i}": digit for i, digit in enumerate(browser.otp(), start=1)}
    response = browser.submit("/verifikasi", digits)
    assert response.url.path == "/profil", text(browser.page)
    return response


def refused(response: httpx.Response, path: str) -> None:
    """A refused form: the POST answered 303 to the form's GET page, which shows the error
    (post/redirect/get: Back and Reload never send the form again)."""
    assert response.history, "the refusal was not a redirect"
    assert response.history[0].request.method == "POST"
    assert response.history[0].status_code == 303
    assert response.request.method == "GET"
    assert response.url.path == path
    assert response.status_code == 200
    assert 'role="alert"' in response.text


def png(size: tuple[int, int] = (60, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 70, 140)).save(buffer, "PNG")
    return buffer.getvalue()


VILLAGE = regions.search("pal merah", level="village", within="317307")[0].code


def complete_profile(browser: Browser) -> None:
    browser.get("/profil")
    forms = [
        (
            "/profil/biodata",
            {
                "stakeholder": "job_seeker",
                "birth_place": "Jakarta",
                "birth_date": "1994-03-12",
                "sex": "L",
                "marital_status": "belum_menikah",
                "religion": "islam",
                "headline": "IT Professional",
            },
        ),
        (
            "/profil/alamat/ktp",
            {"desa": VILLAGE, "jalan": "Jl. Palmerah Barat", "rt": "5", "rw": "3"},
        ),
        ("/profil/alamat/domisili", {"sama": "1"}),
        ("/profil/skills", {"skills": "PHP, Symfony, AngularJS, Laravel, Linux, php"}),
        (
            "/profil/bahasa/baru",
            {"lang_name": "English", "lang_level": "menengah"},
        ),
        (
            "/profil/pekerjaan/baru",
            {
                "work_title": "Backend Developer",
                "work_company": "Company",
                "work_start": "2021-06",
                "work_current": "1",
                "work_location": "Indonesia",
            },
        ),
        (
            "/profil/pendidikan/baru",
            {
                "edu_institution": "BINUS University",
                "edu_level": "S1",
                "edu_start_year": "2016",
                "edu_end_year": "2018",
                "edu_gpa": "3,4",
            },
        ),
    ]
    for action, data in forms:
        response = browser.submit(action, data)
        assert response.status_code == 200, text(browser.page)
        assert response.url.path == "/profil", action
        assert "Perubahan disimpan." in text(browser.page), action
    response = browser.submit("/profil/foto", files={"photo": ("me.png", png(), "image/png")})
    assert response.status_code == 200, text(browser.page)


@pytest.fixture
def signed_in(browser: Browser) -> Browser:
    register(browser)
    confirm(browser)
    return browser


def test_the_profile_links_its_photo_served_to_the_holder_only(
    signed_in: Browser, svc: Siapkerja
) -> None:
    """The photo is not inlined in every render: its own URL, private, with a strong ETag
    that changes with the photo."""
    assert "/profil/foto?v=" not in signed_in.get("/profil").text  # no photo yet
    assert signed_in.client.get("/profil/foto").status_code == 404
    signed_in.submit("/profil/foto", files={"photo": ("me.png", png(), "image/png")})
    page = signed_in.get("/profil").text
    assert "data:image" not in page
    found = re.search(r'<img src="(/profil/foto\?v=([0-9a-f]+))"', page)
    assert found, "the profile does not link its photo"
    url, tag = html.unescape(found[1]), found[2]
    photo = signed_in.client.get(url)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    assert photo.content == png()
    assert photo.headers["etag"] == f'"{tag}"'
    assert photo.headers["cache-control"] == "private, max-age=86400"
    again = signed_in.client.get("/profil/foto", headers={"If-None-Match": f'"{tag}"'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["cache-control"] == "private, no-cache"  # not the tagged URL
    # Another photo: another tag, and the old one no longer matches.
    signed_in.get("/profil")
    signed_in.submit("/profil/foto", files={"photo": ("me.png", png((64, 80)), "image/png")})
    renewed = re.search(r'<img src="/profil/foto\?v=([0-9a-f]+)"', signed_in.get("/profil").text)
    assert renewed
    assert renewed[1] != tag
    stale = signed_in.client.get("/profil/foto", headers={"If-None-Match": f'"{tag}"'})
    assert stale.status_code == 200
    assert stale.content == png((64, 80))
    # Nobody else's: signed out, the photo's URL is the sign-in page.
    signed_in.client.cookies.clear()
    anonymous = signed_in.client.get(url, follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert "image" not in anonymous.headers.get("content-type", "")


@pytest.fixture
def with_card(signed_in: Browser) -> Browser:
    complete_profile(signed_in)
    response = signed_in.submit("/kartu/terbitkan")
    assert response.url.path == "/kartu"
    return signed_in


def scan_path(page: str) -> str:
    found = re.search(r'href="(/v/[^"]+)"', page)
    assert found, "the card page links no scan URL"
    return html.unescape(found.group(1))


# --------------------------------------------------------------------------
# The brief's screens
# --------------------------------------------------------------------------


def test_the_home_page_is_the_sign_in_page(browser: Browser) -> None:
    response = browser.get("/")
    assert response.status_code == 200
    page = text(browser.page)
    for label in ("NIK, Email, atau Nomor Handphone", "Password", "Masuk", "Daftar"):
        assert label in page
    assert "Kendala Masuk ke Akun?" in page
    assert 'href="/daftar"' in browser.page
    assert 'href="/pemulihan"' in browser.page
    assert '<html lang="id">' in browser.page


def test_registration_step_one_has_the_brief_labels(browser: Browser) -> None:
    browser.get("/daftar")
    page = text(browser.page)
    for label in (
        "Nomor Induk Kependudukan (No. KTP)",
        "Nama lengkap",
        "Nama ibu kandung",
        "Berikutnya",
        CONSENT,
        "Kunjungi Pusat Bantuan",
    ):
        assert label in page, label
    nik_input = re.search(r"<input id=\"f-nik\"[^>]*>", browser.page)
    assert nik_input
    assert 'inputmode="numeric"' in nik_input.group(0)
    assert '<label for="f-nik">' in browser.page
    assert '<label for="f-full_name">' in browser.page
    assert '<label for="f-mother_name">' in browser.page


def test_a_name_with_a_bidi_override_is_refused_by_the_form(browser: Browser) -> None:
    browser.get("/daftar")
    spoofed = "Galih \u202enuyabmaP Agan"
    response = browser.submit("/daftar", {"nik": NIK, "full_name": spoofed, "mother_name": MOTHER})
    assert response.url.path == "/daftar"
    page = text(browser.page)
    assert "pengatur arah teks" in page
    assert "U+202E" in page


def test_the_whole_registration_journey_through_the_forms(browser: Browser) -> None:
    browser.get("/daftar")
    response = browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    assert response.url.path == "/daftar/kontak"
    page = text(browser.page)
    for label in (
        "Alamat Email",
        "Nomor Handphone",
        "Password",
        "Daftar Sekarang",
        "Kembali",
        CONSENT,
        "Kunjungi Pusat Bantuan",
    ):
        assert label in page, label
    assert 'autocomplete="new-password"' in browser.page
    assert 'autocomplete="email"' in browser.page

    response = browser.submit(
        "/daftar/kontak", {"email": EMAIL, "phone": PHONE, "password": PASSWORD}
    )
    assert response.url.path == "/verifikasi"
    page = text(browser.page)
    for label in (
        "Verifikasi",
        "Masukkan kode OTP atau aktivasi yang dikirim ke hp kamu.",
        "Kode OTP atau aktivasi berhasil dikirim, mohon cek hp kamu.",
        "Konfirmasi",
        "Belum menerima kode? Kirim Ulang atau Ubah no HP Kamu",
        "Login dengan akun yang lain",
    ):
        assert label in page, label
    assert "Kirim Ulang tersedia dalam 1 menit." in page  # a wait in minutes, not seconds
    boxes = re.findall(r'<input id="f-d(\d)" name="d\d"[^>]*>', browser.page)
    assert boxes == ["1", "2", "3", "4", "5", "6"]
    assert browser.page.count('inputmode="numeric"') == 6
    assert 'autocomplete="one-time-code"' in browser.page

    response = confirm(browser)
    assert "Akun Anda aktif" in text(browser.page)
    assert "Profil" in text(browser.page)
    response = browser.get("/")
    assert response.url.path == "/profil"  # signed in: the home page sends you on


def test_the_code_may_also_come_as_one_field(browser: Browser) -> None:
    register(browser)
    response = browser.submit("/verifikasi", {"code": browser.otp()})
    assert response.url.path == "/profil"


def test_the_outbox_lists_the_sms_newest_first(clock: Clock, browser: Browser) -> None:
    register(browser)
    clock.advance(seconds=61)
    browser.get("/verifikasi/ubah-hp")
    browser.submit("/verifikasi/ubah-hp", {"phone": "0813 1111 2222"})
    outbox = text(browser.get("/dev/outbox").text)
    assert outbox.index("081311112222") < outbox.index(PHONE_SHOWN)


def test_step_one_errors_are_announced_and_tied_to_their_field(browser: Browser) -> None:
    browser.get("/daftar")
    response = browser.submit("/daftar", {"nik": "12345", "full_name": NAME, "mother_name": MOTHER})
    refused(response, "/daftar")
    assert 'role="alert"' in browser.page
    nik_input = re.search(r'<input id="f-nik"[^>]*>', browser.page)
    assert nik_input
    assert 'aria-invalid="true"' in nik_input.group(0)
    assert 'aria-describedby="f-nik-hint f-nik-error"' in nik_input.group(0)
    assert 'id="f-nik-error"' in browser.page
    assert 'href="#f-nik"' in browser.page  # the summary links to the field
    assert 'value="12345"' in browser.page  # what was typed stays
    assert "Kesalahan:" in browser.page  # the title says so too

    response = browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": "Siti"})
    refused(response, "/daftar")
    assert 'id="f-mother_name-error"' in browser.page
    assert "Siti" not in browser.page  # the knowledge check is not echoed
    assert "nama ibu kandung" in text(browser.page)


def test_a_wrong_code_is_announced_on_the_code(browser: Browser) -> None:
    register(browser)
    response = browser.submit("/verifikasi", {f"d{i}": "0" for i in range(1, 7)})
    refused(response, "/verifikasi")
    assert 'role="alert"' in browser.page
    assert "Kode OTP salah. Periksa SMS terakhir Anda; sisa percobaan: 4." in text(browser.page)
    assert 'id="f-code-error"' in browser.page
    assert 'aria-describedby="f-code-error"' in browser.page
    assert 'href="#f-d1"' in browser.page


def test_resend_during_the_cooldown_goes_back_to_the_code_with_the_wait(browser: Browser) -> None:
    register(browser)
    response = browser.submit("/verifikasi/kirim-ulang")
    # A 429 of a form is a refusal like another (post/redirect/get): the wait is in words.
    refused(response, "/verifikasi")
    assert "Kode baru dapat diminta dalam 1 menit." in text(browser.page)


def test_change_phone_sends_a_new_code_to_the_new_number(
    svc: Siapkerja, clock: Clock, browser: Browser
) -> None:
    register(browser)
    clock.advance(seconds=61)
    browser.get("/verifikasi/ubah-hp")
    assert "Nomor Handphone baru" in text(browser.page)
    response = browser.submit("/verifikasi/ubah-hp", {"phone": "12"})
    refused(response, "/verifikasi/ubah-hp")
    assert 'value="12"' in browser.page
    assert 'id="f-phone-error"' in browser.page
    response = browser.submit("/verifikasi/ubah-hp", {"phone": "0813 1111 2222"})
    assert response.url.path == "/verifikasi"
    assert "0813" in text(browser.page) or "****" in text(browser.page)
    assert svc.sms.messages[-1].to == "+6281311112222"  # type: ignore[attr-defined]
    confirm(browser)


def test_sign_in_sign_out_and_a_generic_refusal(browser: Browser) -> None:
    register(browser)
    confirm(browser)
    signed_out = browser.submit("/keluar")
    # The browser drops what it kept of the holder's (the photo is kept a day).
    assert signed_out.history[0].headers["clear-site-data"] == '"cache"'
    assert "Anda sudah keluar." in text(browser.page)
    response = browser.get("/profil")
    assert response.url.path == "/"  # signed out: back to the sign-in page
    assert "Silakan masuk terlebih dahulu." in text(browser.page)

    response = browser.submit("/", {"identifier": EMAIL, "password": "bukan password ini"})
    refused(response, "/")
    assert "bukan password ini" not in browser.page  # a password is never kept
    assert 'role="alert"' in browser.page
    assert "NIK/email/nomor handphone atau password salah." in text(browser.page)
    response = browser.submit("/", {"identifier": "0812 9999 9999", "password": PASSWORD})
    assert response.url.path == "/profil"
    response = browser.get("/keluar")
    assert "Keluar dari akun Anda?" in text(browser.page)


def test_sign_in_is_throttled_through_the_core(browser: Browser) -> None:
    browser.get("/")
    pages = []
    for _ in range(7):
        response = browser.submit("/", {"identifier": NIK, "password": "salah sekali lagi"})
        refused(response, "/")
        pages.append(text(browser.page))
    assert "NIK/email/nomor handphone atau password salah." in pages[0]
    # Throttled: the core's 429 is worded on the page the form went back to.
    assert pages[-1] != pages[0]
    assert "NIK/email/nomor handphone atau password salah." not in pages[-1]


def test_password_recovery(svc: Siapkerja, browser: Browser) -> None:
    register(browser)
    confirm(browser)
    browser.submit("/keluar")
    browser.get("/pemulihan")
    assert "Kendala Masuk ke Akun?" in text(browser.page)
    response = browser.submit("/pemulihan", {"identifier": NIK})
    assert response.url.path == "/pemulihan/atur-ulang"
    assert "kode verifikasi telah dikirim" in text(browser.page)
    response = browser.submit("/pemulihan/atur-ulang", {"code": "000000", "new_password": "x"})
    refused(response, "/pemulihan/atur-ulang")
    assert 'id="f-code-error"' in browser.page
    code = re.search(r"(\d{6})", svc.sms.messages[-1].text)  # type: ignore[attr-defined]
    assert code
    new_password = "teh manis hangat di sore hari"
    response = browser.submit(
        "/pemulihan/atur-ulang", {"code": code.group(1), "new_password": new_password}
    )
    assert response.url.path == "/"
    assert "Password berhasil diubah" in text(browser.page)
    response = browser.submit("/", {"identifier": EMAIL, "password": new_password})
    assert response.url.path == "/profil"


# --------------------------------------------------------------------------
# Profile, card, scan
# --------------------------------------------------------------------------


def test_profile_completion_shows_the_percentage_and_what_is_missing(signed_in: Browser) -> None:
    signed_in.get("/profil")
    page = text(signed_in.page)
    first = re.search(r"(\d+)% lengkap", page)
    assert first
    assert int(first.group(1)) < 100
    for missing in ("Tempat dan tanggal lahir", "Foto", "Keahlian (minimal satu)"):
        assert missing in page
    complete_profile(signed_in)
    page = text(signed_in.page)
    assert "100% lengkap" in page
    assert "Terbitkan SIAPkerja-ID" in page
    # The addresses' summary: the full region line, and the domicile the same as the KTP's.
    assert (
        "Kelurahan Palmerah, Kecamatan Pal Merah, Kota Adm. Jakarta Barat, Provinsi DKI Jakarta"
        in page
    )
    assert "Sama dengan alamat KTP." in page
    assert ">PHP\nSymfony\nAngularJS\nLaravel\nLinux</textarea>" in signed_in.page  # no twice
    assert "Sarjana (S1) • 3.4" in page  # "3,4" read as a GPA
    signed_in.get("/profil/pendidikan/1")
    assert 'value="3.40"' in signed_in.page


def test_profile_errors_name_their_field(signed_in: Browser) -> None:
    signed_in.get("/profil/alamat/ktp")
    response = signed_in.submit("/profil/alamat/ktp", {"desa": "1234567890", "langkah": "simpan"})
    refused(response, "/profil/alamat/ktp")
    assert 'id="f-desa-error"' in signed_in.page
    assert "Desa/Kelurahan (alamat KTP): tidak ada dalam daftar wilayah" in text(signed_in.page)
    signed_in.get("/profil/pekerjaan/baru")
    response = signed_in.submit(
        "/profil/pekerjaan/baru",
        {"work_title": "Dev", "work_company": "X", "work_start": "2021-13", "work_current": "1"},
    )
    refused(response, "/profil/pekerjaan/baru")  # the entry's own form, shown again
    assert 'id="f-work_start-error"' in signed_in.page
    assert 'value="2021-13"' in signed_in.page
    assert "Bulan mulai (Pengalaman kerja 1): bulan harus antara 1 dan 12." in text(signed_in.page)


def test_photo_type_and_size_errors_are_shown(signed_in: Browser) -> None:
    signed_in.get("/profil")
    response = signed_in.submit(
        "/profil/foto", files={"photo": ("me.png", b"<svg onload=alert(1)>" * 20, "image/png")}
    )
    refused(response, "/profil")
    assert 'id="f-photo-error"' in signed_in.page
    assert "JPEG, PNG, atau WebP" in text(signed_in.page)
    response = signed_in.submit("/profil/foto", files={"photo": ("x.png", b"\x89PNG", "image/png")})
    refused(response, "/profil")
    assert "Ukuran foto ini 4 byte" in text(signed_in.page)
    assert "2 MB" in text(signed_in.page)
    assert "bita" not in text(signed_in.page)
    response = signed_in.submit("/profil/foto", files={"photo": ("", b"", "image/png")})
    refused(response, "/profil")
    assert "Pilih berkas foto." in text(signed_in.page)


def test_an_incomplete_profile_gets_no_card(signed_in: Browser) -> None:
    signed_in.get("/kartu")
    assert "SIAPkerja-ID didapatkan setelah pengguna melengkapi Profil." in text(signed_in.page)
    response = signed_in.submit("/kartu/terbitkan")
    refused(response, "/profil")
    assert "Profil belum lengkap" in text(signed_in.page)


def test_the_card_page_shows_the_card_the_link_qr_and_the_access_code(
    svc: Siapkerja, with_card: Browser
) -> None:
    page = with_card.page
    assert "Kartu SIAPkerja-ID diterbitkan." in text(page)
    assert page.count("<svg") >= 2  # the card and the link QR
    number = re.search(r"SK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", text(page))
    assert number
    open_events(svc, "jobfair-jakarta-2026")
    offered = with_card.get("/kartu")
    assert offered.status_code == 200
    assert 'href="/kartu?acara=jobfair-jakarta-2026#access"' in with_card.page  # on offer
    unknown = with_card.get("/kartu", params={"acara": "PRAKERJA-GEL-70"})
    assert unknown.status_code == 400  # the form refused, the event named
    assert "PRAKERJA-GEL-70" in text(with_card.page)
    response = with_card.get("/kartu", params={"acara": "jobfair-jakarta-2026"})
    assert response.status_code == 200
    assert "data-access-url=" in with_card.page
    assert "Berlaku sampai" in text(with_card.page)
    payload = with_card.client.get(
        "/kartu/kode-akses.json", params={"purpose": "jobfair-jakarta-2026"}
    ).json()
    assert payload["svg"].startswith("<svg")
    assert payload["purpose"] == "jobfair-jakarta-2026"
    assert 0 < payload["expires_in"] <= payload["period"]
    receipt = check_in(svc, payload["token"], "jobfair-jakarta-2026")
    assert receipt.card_status == "active"
    assert number.group(0) not in repr(receipt)  # the gate never sees the number


def test_the_access_code_json_needs_a_signed_in_holder(browser: Browser) -> None:
    response = browser.client.get("/kartu/kode-akses.json", params={"purpose": "x"})
    assert response.status_code == 401


def test_a_suspended_card_page_says_so_and_gives_no_code(
    svc: Siapkerja, with_card: Browser
) -> None:
    with svc.storage.transaction() as tx:
        (account_id,) = list(tx.accounts.ids(limit=10))
    svc.suspend_card(account_id)
    response = with_card.get("/kartu", params={"acara": "jobfair-jakarta-2026"})
    assert response.status_code == 200
    assert "sedang ditangguhkan" in text(with_card.page)
    assert "data-access-url=" not in with_card.page
    payload = with_card.client.get("/kartu/kode-akses.json", params={"purpose": "jobfair"})
    assert payload.status_code == 400  # the pages' status for a refusal (the API's 403)
    assert payload.json()["code"] == "card.suspended"


def test_an_anonymous_scan_shows_the_public_profile_only(
    svc: Siapkerja, with_card: Browser
) -> None:
    path = scan_path(with_card.page)
    with _client(with_card.client.app) as stranger:
        response = stranger.get(path)
    assert response.status_code == 200
    page = text(response.text)
    assert NAME in page
    assert "IT Professional" in page
    for heading in ("Keahlian", "Bahasa", "Pengalaman kerja", "Pendidikan"):
        assert heading in page
    assert "BINUS University" in page
    assert "S1 • 3.4" in page
    assert "Juni 2021 - Sekarang" in page
    assert "Tingkat Menengah" in page
    for secret in (NIK, "1234", PHONE_SHOWN, "+6281299999999", EMAIL, "Jl. Palmerah Barat"):
        assert secret not in response.text, secret
    assert "Tampilan publik" in page
    assert response.headers["x-robots-tag"] == "noindex, nofollow"


def test_the_holder_sees_everything_in_the_briefs_order(with_card: Browser) -> None:
    path = scan_path(with_card.page)
    response = with_card.get(path)
    page = text(response.text)
    assert NIK in page
    assert EMAIL in page
    assert PHONE_SHOWN in page
    assert "Jakarta, 12 Maret 1994" in page
    assert "Laki-laki" in page
    assert "Belum Menikah" in page
    assert "Palmerah, Pal Merah, Kota Adm. Jakarta Barat, DKI Jakarta" in page
    order = [
        "Biodata",
        "Nomor Induk Kependudukan",
        "Tempat, tanggal lahir",
        "Jenis Kelamin",
        "Status",
        "Nomor telepon",
        "Alamat",
        "Alamat Domisili",
        "Keahlian",
        "Bahasa",
        "Pengalaman kerja",
        "Pendidikan",
    ]
    positions = [page.index(label) for label in order]
    assert positions == sorted(positions)
    assert 'src="data:image/png;base64,' in response.text


def test_a_forged_or_revoked_link_is_a_page_not_a_500(with_card: Browser) -> None:
    path = scan_path(with_card.page)
    response = with_card.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert response.status_code in (404, 410)
    assert 'role="alert"' in with_card.page
    response = with_card.get("/v/not-a-token")
    assert response.status_code == 404
    assert "bukan kode SIAPkerja yang valid" in text(with_card.page)

    with_card.get("/kartu")
    with_card.submit("/kartu/rotasi")
    assert "QR Code diperbarui" in text(with_card.page)
    response = with_card.get(path)
    assert response.status_code == 410
    assert "Kode ini sudah dicabut" in text(with_card.page)
    assert scan_path(with_card.get("/kartu").text) != path


def test_the_history_lists_scans_and_withdraws_a_consent(
    svc: Siapkerja, with_card: Browser
) -> None:
    path = scan_path(with_card.page)
    with _client(with_card.client.app) as stranger:
        stranger.get(path)
    account = svc.login(EMAIL, PASSWORD)
    verifier, _ = svc.register_verifier("BLK Jakarta", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan-2026")
    response = with_card.get("/riwayat")
    assert response.status_code == 200
    page = text(with_card.page)
    assert "Anonim (pemindai QR)" in page
    assert "BLK Jakarta" in page
    assert "pelatihan-2026" in page
    assert "Aktif" in page
    action = re.search(r'action="(/riwayat/persetujuan/[^"]+/tarik)"', with_card.page)
    assert action
    with_card.submit(action.group(1))
    assert "Persetujuan ditarik." in text(with_card.page)
    assert "Ditarik" in text(with_card.page)
    assert svc.consents(account.id)[0].withdrawn_at is not None


def test_the_history_names_hub_sign_ins_and_disconnects_a_hub(
    svc: Siapkerja, with_card: Browser
) -> None:
    account = svc.login(EMAIL, PASSWORD)
    client, _ = svc.sso.add_client(
        name="Karirhub",
        scopes=["karirhub"],
        redirect_uris=["https://karirhub.example/cb"],
        purpose="Melamar lowongan",
    )
    plan = svc.sso.plan(client, account.id, "openid email")
    consent = svc.sso.approve(client, account.id, plan)
    code = svc.sso.issue_code(
        client,
        account.id,
        consent_id=consent.id,
        fields=plan.fields,
        scope="openid email",
        redirect_uri="https://karirhub.example/cb",
        nonce="n",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        auth_time=svc.now(),
        amr=["pwd"],
    )
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    svc.sso.userinfo(tokens.access_token)
    with_card.get("/riwayat")
    page = text(with_card.page)
    assert "Masuk dengan SIAPkerja" in page  # the channel, never "Pindai tautan"
    assert "Nama dan nomor SIAPkerja-ID (saat masuk)" in page
    assert "Aplikasi yang terhubung" in page
    assert "Karirhub" in page
    action = re.search(r'action="(/riwayat/aplikasi/[^"]+/putuskan)"', with_card.page)
    assert action
    with_card.submit(action.group(1))
    assert "Anda telah dikeluarkan dari Karirhub." in text(with_card.page)
    assert "Aplikasi yang terhubung" not in text(with_card.page)
    assert svc.sso.introspect(client, tokens.access_token) == {"active": False}


def test_the_history_answers_consent_requests(svc: Siapkerja, with_card: Browser) -> None:
    link = scan_path(with_card.page).rsplit("/", 1)[-1]  # the token the institution read
    account = svc.login(EMAIL, PASSWORD)
    blk, _ = svc.register_verifier("BLK Jakarta", ["blk"])
    lpk, _ = svc.register_verifier("LPK Tak Dikenal", ["blk"])
    asked = svc.prefill.request(link, blk, "Pelatihan Las 2026", ["contact"], essential=["nik"])
    svc.prefill.request(link, lpk, "Pendataan")
    with_card.get("/riwayat")
    page = text(with_card.page)
    assert "Permintaan persetujuan" in page
    assert "NIK (wajib)" in page
    assert "pelatihan las 2026" in page

    decline = re.findall(r'action="(/riwayat/permintaan/[^"]+/tolak)"', with_card.page)
    approve = re.findall(r'action="(/riwayat/permintaan/[^"]+/setujui)"', with_card.page)
    assert len(decline) == len(approve) == 2
    approve_blk = f"/riwayat/permintaan/{asked.id}/setujui"
    (decline_lpk,) = [path for path in decline if asked.id not in path]
    assert approve_blk in approve
    with_card.submit(approve_blk)
    assert "Persetujuan dicatat." in text(with_card.page)
    assert svc.prefill.status(asked.id, blk).status == "approved"
    assert svc.prefill.document(link, blk, "Pelatihan Las 2026")["nik"] == account.nik
    with_card.submit(decline_lpk)
    assert "Permintaan ditolak." in text(with_card.page)
    assert "Tidak ada permintaan yang menunggu jawaban Anda." in text(with_card.page)
    with_card.submit(decline_lpk)  # answered already: a message, not a 500
    assert "sudah dijawab" in text(with_card.page)


# --------------------------------------------------------------------------
# Security, language, development mode, packaging
# --------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(browser: Browser) -> None:
    browser.get("/")
    response = browser.client.post("/", data={"identifier": NIK, "password": PASSWORD})
    assert response.status_code == 403
    assert "Formulir sudah kedaluwarsa" in text(response.text)
    # A token this session no longer has (a stale tab): the typed values are kept and
    # the form shown again with a fresh token; nothing was sent (see test_web_forms.py).
    response = browser.client.post(
        "/", data={"identifier": NIK, "password": PASSWORD, "csrf_token": "x" * 43}
    )
    refused(response, "/")
    assert f'value="{NIK}"' in response.text
    assert PASSWORD not in response.text
    response = browser.client.post(
        "/",
        data={"identifier": NIK, "password": PASSWORD, "csrf_token": "x" * 43},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    response = browser.client.post(
        "/",
        data={"identifier": NIK, "password": PASSWORD, "csrf_token": csrf(browser.page)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_the_session_cookie_is_signed_httponly_and_lax(svc: Siapkerja) -> None:
    app = create_app(svc, secret_key="s" * 32)
    with _client(app) as client:
        cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http (a development server)
    with _client(app, base_url="https://testserver") as client:
        response = client.get("/")
        assert "Secure" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"].startswith("max-age=")
        client.cookies.set("siapkerja_session", "eyJhdXRoIjoiZm9yZ2VkIn0.forged.sig")
        assert client.get("/profil").url.path == "/"  # a tampered cookie is no session


def test_the_outbox_does_not_exist_outside_dev_mode(svc: Siapkerja) -> None:
    with _client(create_app(svc, secret_key="s" * 32)) as client:
        response = client.get("/dev/outbox")
        assert response.status_code == 404
        assert "Halaman tidak ditemukan." in text(response.text)
        assert "Mode pengembangan" not in response.text


def test_outside_dev_mode_a_secret_is_required(svc: Siapkerja) -> None:
    with pytest.raises(ConfigurationError) as error:
        create_app(svc)
    assert error.value.full_code == "config.invalid"
    with pytest.raises(ConfigurationError):
        create_app(svc, secret_key="short")


def test_lang_en_switches_every_label_and_is_remembered(browser: Browser) -> None:
    browser.get("/daftar?lang=en")
    page = text(browser.page)
    assert '<html lang="en">' in browser.page
    assert "Identity number (NIK, on the KTP)" in page
    assert "Next" in page
    assert "Berikutnya" not in page
    browser.get("/")
    assert "Sign in" in text(browser.page)  # kept in the session
    response = browser.submit("/", {"identifier": NIK, "password": "wrong password here"})
    assert "Wrong NIK/e-mail/phone number or password." in text(response.text)
    assert 'href="/?lang=id"' in browser.page
    browser.get("/?lang=id")
    assert "Masuk" in text(browser.page)


def test_static_files_and_no_inline_script_or_style(with_card: Browser) -> None:
    script = with_card.client.get("/static/siapkerja.js")
    assert script.status_code == 200
    assert "paste" in script.text
    assert with_card.client.get("/static/siapkerja.css").status_code == 200
    for path in ("/", "/profil", "/kartu?acara=kelas-1", scan_path(with_card.page), "/riwayat"):
        page = with_card.client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path


class _Structure(HTMLParser):
    """Ids, label targets, aria references and form controls of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.references: list[str] = []
        self.controls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.ids.append(found["id"])
        if tag == "label" and "for" in found:
            self.label_for.append(found["for"])
        for name in ("aria-describedby", "aria-labelledby"):
            self.references.extend(found.get(name, "").split())
        hidden = found.get("type") in ("hidden", "submit")
        if tag in ("input", "select", "textarea") and not hidden:
            self.controls.append((tag, found.get("id", "")))


def test_every_control_has_a_label_and_every_reference_exists(with_card: Browser) -> None:
    paths = ["/", "/daftar", "/profil", "/kartu?acara=kelas-1", "/riwayat", "/dev/outbox"]
    pages = [with_card.client.get(path).text for path in paths]
    with _client(with_card.client.app) as other:
        newcomer = Browser(other)
        newcomer.get("/daftar")
        newcomer.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
        assert "NIK ini sudah terdaftar" in text(newcomer.page)
        pages.append(newcomer.page)  # step 1 with an error
        # Said Fadhil, another bundled resident, up to the verification screen.
        newcomer.submit(
            "/daftar",
            {
                "nik": "1104210212064230",
                "full_name": "Said Fadhil",
                "mother_name": "Safrina Mardhiah",
            },
        )
        newcomer.submit(
            "/daftar/kontak",
            {"email": "said@example.com", "phone": "0813 5555 1234", "password": PASSWORD},
        )
        pages.append(newcomer.page)
        newcomer.submit("/verifikasi", {"code": "000000"})
        assert 'role="alert"' in newcomer.page
        pages.append(newcomer.page)  # with an error
    for page in pages:
        structure = _Structure()
        structure.feed(page)
        assert len(structure.ids) == len(set(structure.ids)), "duplicate ids"
        for target in structure.label_for + structure.references:
            assert target in structure.ids, target
        for tag, control_id in structure.controls:
            assert control_id in structure.label_for, (tag, control_id)


def test_an_unexpected_failure_is_a_500_page_with_the_headers(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(svc, "resolve", broken)
    with _client(create_app(svc, dev=True), raise_server_exceptions=False) as client:
        response = client.get("/v/anything")
    assert response.status_code == 500
    assert "Terjadi kesalahan pada server" in text(response.text)
    assert "boom" not in response.text


def test_unknown_pages_and_methods_get_the_error_page(browser: Browser) -> None:
    response = browser.client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan." in text(response.text)
    response = browser.client.put("/daftar")
    assert response.status_code == 405


def test_an_oversized_body_is_413(browser: Browser) -> None:
    browser.get("/")
    response = browser.client.post(
        "/",
        content=b"x" * (5 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_base_path_prefixes_every_page(svc: Siapkerja) -> None:
    with _client(create_app(svc, dev=True, base_path="/siapkerja/")) as client:
        response = client.get("/siapkerja/")
        assert response.status_code == 200
        assert 'href="/siapkerja/daftar"' in response.text
        assert 'href="/siapkerja/static/siapkerja.css"' in response.text
        assert "Path=/siapkerja" in response.headers["set-cookie"]
        page = Browser(client)
        page.get("/siapkerja/daftar")
        reply = page.submit(
            "/siapkerja/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER}
        )
        assert reply.url.path == "/siapkerja/daftar/kontak"


def test_importing_without_the_web_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "starlette" or name.startswith(("starlette.", "siapkerja_adapters.web")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if it were not installed
    with pytest.raises(ImportError) as error:
        importlib.import_module("siapkerja_adapters.web")
    assert "pip install 'siapkerja[web]'" in str(error.value)
    assert "memerlukan" in str(error.value)
    assert "needs its extra" in str(error.value)


# --------------------------------------------------------------------------
# What the holder reads on the pages issue 12 touched (names, labels, WIB)
# --------------------------------------------------------------------------

# A ledger field name, a scope's or an error's key: what a person must never read.
_RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")
_ENTRY = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)


def _wib(moment: datetime, lang: str = "id") -> str:
    """A moment as the pages show it to a holder in WIB: "6 Desember 2026, 16.32 WIB"."""
    local = moment + timedelta(hours=7)
    clock = f"{local:%H:%M}" if lang == "en" else f"{local:%H.%M}"
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{local.day} {months[local.month - 1]} {local.year}, {clock} WIB"


MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _every_kind_of_entry(svc: Siapkerja, browser: Browser) -> Account:
    """The holder's ledger with an entry of every audience and channel the services write."""
    path = scan_path(browser.get("/kartu").text)
    link = path.rsplit("/", 1)[-1]
    account = svc.login(EMAIL, PASSWORD)
    with _client(browser.client.app) as stranger:
        stranger.get(path)  # link, anonymous
    svc.resolve(link, account)  # link, the holder
    karirhub, karirhub_key = svc.register_verifier("Karirhub", ["karirhub"])
    svc.grant_consent(account.id, karirhub.id, "lamaran-2026")
    svc.resolve(link, svc.verifier(karirhub_key), purpose="lamaran-2026")  # link, verifier
    blk, blk_key = svc.register_verifier("BLK Jakarta", ["blk"])
    asked = svc.prefill.request(link, blk, "Pelatihan Las", ["contact"], essential=["nik"])
    svc.prefill.approve(account.id, asked.id)
    svc.prefill.document(link, svc.verifier(blk_key), "Pelatihan Las")  # prefill release
    open_events(svc, "JOBFAIR-JKT-2026")
    code = svc.card_qr(account.id, mode="access", purpose="JOBFAIR-JKT-2026")
    check_in(svc, code.token, "JOBFAIR-JKT-2026")  # a gate, online
    officer, officer_key = svc.register_verifier("Disnaker Jakarta Barat", ["disnaker"])
    svc.aki.appoint_officer(officer.id, "3173")
    desk = svc.verifier(officer_key)
    registration = svc.aki.apply(account.id, office_code="3173")
    svc.aki.applications(desk)
    svc.aki.application(desk, registration.id)
    svc.aki.legalise(desk, registration.id)
    svc.aki.document_for(desk, registration.id)
    with svc.storage.transaction() as tx:
        # Written as GateServices.sync writes an offline gate's entry, and as a
        # scan by another signed-in account is written (both need a second device).
        synced = tx.access_log.append
        for audience, fields in (("station", ("siapkerja_id",)), ("account", ("photo",))):
            synced(
                AccessRecord(
                    id=f"ledger-{audience}",
                    account_id=account.id,
                    at=svc.now(),
                    audience=audience,
                    fields=fields,
                    channel="access" if audience == "station" else "link",
                    purpose="JOBFAIR-JKT-2026" if audience == "station" else None,
                    verifier_id=None,
                    verifier_name="Kemnaker — Acara JOBFAIR-JKT-2026 (Gate 2)"
                    if audience == "station"
                    else None,
                )
            )
    return account


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_history_entry_shows_a_raw_key_and_gates_are_named(
    svc: Siapkerja, with_card: Browser, lang: str
) -> None:
    _every_kind_of_entry(svc, with_card)
    with_card.get(f"/riwayat?lang={lang}")
    ledger = with_card.page.split('id="ledger-title"', 1)[1].split('id="consents-title"', 1)[0]
    rows = [text(row) for row in _ENTRY.findall(ledger)]
    assert len(rows) >= 12
    for row in rows:
        assert not _RAW_KEY.findall(row), row
        assert "aki " not in row, row
    gate = "Pos pemeriksaan" if lang == "id" else "Gate"
    named = f"{gate}: {ORGANISER} — Acara JOBFAIR-JKT-2026 (Gate 1)"
    assert any(named in row for row in rows)
    assert any("(Gate 2)" in row for row in rows)  # the synced one
    anonymous = "Anonim" if lang == "id" else "Anonymous"
    assert sum(anonymous in row for row in rows) == 1  # the stranger's scan only
    officer = "Petugas AK/I" if lang == "id" else "AK/I officer"
    assert sum(f"{officer}: Dinas" in row for row in rows) == 4
    legalised = "Pengesahan kartu AK/I" if lang == "id" else "AK/I card legalised"
    assert any(legalised in row for row in rows)
    masked = "Nama (disamarkan)" if lang == "id" else "Name (partly hidden)"
    assert any(masked in row for row in rows)
    assert _wib(svc.now(), lang) in text(with_card.page)
    assert "UTC" not in text(with_card.page)


def test_a_request_lists_each_field_asked_and_which_are_required(
    svc: Siapkerja, with_card: Browser
) -> None:
    link = scan_path(with_card.page).rsplit("/", 1)[-1]
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    svc.prefill.request(link, karirhub, "Lamaran Portal", essential=["nik_masked"])
    with_card.get("/riwayat")
    asked = with_card.page.split('id="requests-title"', 1)[1].split('id="ledger-title"', 1)[0]
    items = [text(item) for item in re.findall(r"<li>(.*?)</li>", asked)]
    assert "NIK (disamarkan) (wajib)" in items
    assert "Kontak (sukarela)" in items
    assert len(items) == len(scope_fields(frozenset({"karirhub"})))
    assert "Semua data cakupannya" not in text(asked)
    with_card.get("/riwayat?lang=en")
    asked = with_card.page.split('id="requests-title"', 1)[1]
    assert "NIK (masked) (required)" in text(asked)
    assert "Contact (voluntary)" in text(asked)


def test_the_card_page_lists_upcoming_events_and_refuses_an_unknown_one(
    svc: Siapkerja, with_card: Browser
) -> None:
    who = organiser(svc)
    day = (svc.now() + timedelta(days=3)).date()
    opens = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)  # 09.00 WITA
    svc.events.create_event(
        who,
        id="JOBFAIR-MKS-2026",
        name="Job Fair Makassar",
        kind="job_fair",
        venue="Celebes Convention Center",
        opens_at=opens,
        closes_at=opens + timedelta(hours=8),
        region_code="7371",  # Makassar: WITA
    )
    with_card.get("/kartu")
    events = text(with_card.page.split('id="upcoming-title"', 1)[1].split("</ul>", 1)[0])
    assert "Job Fair Makassar" in events
    assert "Celebes Convention Center" in events
    window = f"{day.day} Desember {day.year}, 09.00 WITA s.d. 17.00 WITA"
    assert window in events
    assert 'href="/kartu?acara=JOBFAIR-MKS-2026#access"' in with_card.page
    assert "misalnya JOBFAIR-JKT-2026" in text(with_card.page)

    for typed in ("jobfair-mks-2026", "PRAKERJA-GEL-70"):  # ids are case-sensitive
        refused = with_card.get("/kartu", params={"acara": typed})
        assert refused.status_code == 400
        error = re.search(r'<p class="field-error" id="f-event-error"[^>]*>(.*?)</p>', refused.text)
        assert error, "the refusal is not shown at the event field"
        assert f'kode "{typed}"' in html.unescape(error.group(1))
        assert "data-access-url=" not in refused.text
    refused = with_card.get("/kartu", params={"acara": "nope", "lang": "en"})
    assert "There is no scheduled event" in text(refused.text)

    shown = with_card.get("/kartu", params={"acara": "JOBFAIR-MKS-2026", "lang": "id"})
    assert shown.status_code == 200
    page = text(shown.text)
    assert "Kode ini untuk: Job Fair Makassar — Celebes Convention Center" in page
    assert re.search(r"Berlaku sampai \d{1,2} Desember \d{4}, \d\d\.\d\d WIB", page)
    payload = with_card.client.get(
        "/kartu/kode-akses.json", params={"purpose": "JOBFAIR-MKS-2026"}
    ).json()
    assert payload["expires_label"].endswith(" WIB")


def test_programmes_in_english_name_the_programme_and_do_not_double(
    svc: Siapkerja, with_card: Browser
) -> None:
    svc.programmes.define(bundled_programme("bsu"))
    svc.programmes.define(bundled_programme("prakerja"))
    with_card.get("/program?lang=en")
    page = text(with_card.page)
    assert "Checked by the programme — Checked by" not in page
    assert "Checked by the programme — A wage of at most" in page
    assert 'lang="id">Subsidi gaji/upah' in with_card.page  # one description, marked Indonesian
    account = svc.login(EMAIL, PASSWORD)
    with pytest.raises(SiapkerjaError) as refused:
        svc.programmes.enrol("prakerja", account.id)
    assert "programme Kartu Prakerja:" in refused.value.message("en")
    assert "program Kartu Prakerja:" in refused.value.message("id")
    assert refused.value.params["programme"] == "prakerja"  # machines keep the id
    svc.programmes.define(
        {
            "id": "bursa-kerja-2026",
            "name": "Bursa Kerja Khusus 2026",
            "requirements": [{"rule": "not_enrolled", "groups": []}],
        }
    )
    svc.programmes.enrol("bursa-kerja-2026", account.id)
    with_card.get("/program?lang=en")
    page = text(with_card.page)
    assert "Already enrolled in the programme Bursa Kerja Khusus 2026." in page
    enrolled = svc.programmes.enrolments_of(account.id)[0].enrolled_at
    assert f"since {_wib(enrolled, 'en')}" in page


def test_a_routes_path_is_computed_once_per_application(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starlette finds a path by walking every route before it (raising at each): the
    pages ask once per name and parameters, then read it back (issue 14 made the sign-in
    page's links cost more than its rendering). Two applications keep their own paths."""
    from starlette.requests import Request

    computed: list[str] = []
    original = Request.url_for

    def counted(self: Request, name: str, /, **params: Any) -> Any:
        computed.append(name)
        return original(self, name, **params)

    monkeypatch.setattr(Request, "url_for", counted)
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    plain = TestClient(create_app(svc, secret_key="k" * 32))
    below = TestClient(create_app(svc, secret_key="k" * 32, base_path="/siapkerja"))
    first = plain.get("/").text
    assert "static" in computed
    computed.clear()
    assert plain.get("/").text.count("/static/") == first.count("/static/")
    assert computed == []
    assert 'href="/siapkerja/static/' in below.get("/siapkerja/").text
