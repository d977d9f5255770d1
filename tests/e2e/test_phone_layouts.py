"""Every page of the journey fits a 360 px phone and a desktop, and passes axe-core.

A job seeker with a 100-character name and a 254-character e-mail (the
longest an address can be) walks the journey in Debian's chromium — sign-in,
both *Daftar* forms, the verification page, the development outbox, the
profile, the card, the access history (with scans in it), the programmes, the
holder's scanned page, recovery, sign-out and an error page — and each page is
looked at 360x740 and at 1280x800:

* no horizontal scroll: ``document.documentElement.scrollWidth <= innerWidth``;
* no element sticks out sideways of the box it sits in (the main column,
  a panel, a fieldset, …), and the OTP fieldset stays inside its panel;
* axe-core (WCAG 2.0/2.1 A and AA) finds no serious or critical violation.

The single sign-on consent screen, the staff's gate screen (sign-in, refusal,
the face check, the answer) and ``examples/branding`` (its colours read from
the computed styles) are looked at the same way.

Screenshots of every page at both widths go to ``$SIAPKERJA_SHOTS_DIR`` when
it is set (a person looks at them), else to the test's temporary directory.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest
from axe import check_accessibility

from siapkerja_adapters import connect
from siapkerja_adapters.demo import demo_profile
from siapkerja_adapters.dukcapil_offline import Resident
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support.live_server import live_server
from support.load import write_residents

PHONE: Final = {"width": 360, "height": 740}
DESKTOP: Final = {"width": 1280, "height": 800}
TIMEOUT_MS: Final = 15_000

LONG_NAME: Final = (
    "Raden Mas Galih Agan Pambayun Wicaksono Hadiningrat Sastrowardoyo Kusumanegara "
    "Purbaya Adiningrat Jaya"
)[:100]
LONG_EMAIL: Final = (
    "galih.agan.pambayun.wicaksono.hadiningrat.sastrowardoyo.kusum"
    "@pusat-pelatihan-kerja-dan-produktivitas-kementerian-ketenagaker"
    ".balai-besar-pengembangan-pelatihan-vokasi-dan-produktivitas-sem." + "k" * 55 + ".co.id"
)
HOLDER: Final = Resident(
    nik="3173071203940042",  # Galih's NIK (a valid Jakarta Barat NIK), with the long name
    full_name=LONG_NAME,
    mother_name="Sri Wahyuni Kusumawardhani",
    birth_place="Jakarta",
    birth_date=date(1994, 3, 12),
    sex="L",
)
PASSWORD: Final = "kopi tubruk di pal merah"

# Inside these an element may be wider than its parent: they scroll on purpose.
_OVERFLOW_JS: Final = """() => {
  const width = window.innerWidth;
  const bad = [];
  const scrollers = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += "#" + el.id;
    if (el.className && typeof el.className === "string") {
      d += "." + el.className.trim().split(/\\s+/).join(".");
    }
    return d;
  };
  const span = (box) => `${Math.round(box.left)}-${Math.round(box.right)}`;
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (style.position === "absolute" || style.position === "fixed") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || scrollers(el)) continue;
    // The box it sits in: a parent drawn as display: contents has none of its own.
    let container = el.parentElement;
    while (container !== document.body && getComputedStyle(container).display === "contents") {
      container = container.parentElement;
    }
    const parent = container.getBoundingClientRect();
    const inBody = container === document.body;
    if (box.right > width + 0.5 || box.left < -0.5) {
      bad.push(`${describe(el)} spans ${span(box)} in a ${width} px window`);
    } else if (!inBody && (box.right > parent.right + 1 || box.left < parent.left - 1)) {
      const holder = describe(container);
      bad.push(`${describe(el)} (${span(box)}) sticks out of ${holder} (${span(parent)})`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: width, bad: bad.slice(0, 12)};
}"""

_OTP_JS: Final = """() => {
  const fieldset = document.querySelector("fieldset.otp");
  if (!fieldset) return null;
  const panel = fieldset.closest(".panel") || fieldset.parentElement;
  const f = fieldset.getBoundingClientRect(), p = panel.getBoundingClientRect();
  const boxes = [...fieldset.querySelectorAll("input")].map(i => i.getBoundingClientRect());
  const within = (b) => b.left >= f.left - 0.5 && b.right <= f.right + 0.5
    && b.top >= f.top - 0.5 && b.bottom <= f.bottom + 0.5;
  return {
    fieldset: [f.left, f.top, f.right, f.bottom], panel: [p.left, p.top, p.right, p.bottom],
    boxes_inside: boxes.every(within),
    boxes_apart: boxes.every((b, i) => i === 0 || b.left >= boxes[i - 1].right - 0.5),
  };
}"""


# Controls a thumb must hit on a phone; links inside a sentence are exempt (WCAG 2.5.8).
_SMALL_TARGETS_JS: Final = """() => {
  const selector = "button, .button, select, nav a, "
    + "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file])";
  return [...document.querySelectorAll(selector)]
    .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
    .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
    .filter(([, height]) => height < 44 - 0.5);
}"""


@pytest.fixture
def long_site(tmp_path: Path) -> Iterator[tuple[str, Siapkerja]]:
    """A development site whose registry holds the long-named holder."""
    residents = write_residents(tmp_path / "residents.csv", [HOLDER])
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append(
            connect(
                "memory",
                environ={},
                hasher=PasswordHasher.fast_for_tests(),
                card_base_url=f"{base_url}/v/",
                dukcapil_residents=str(residents),
            )
        )
        return create_app(services[0], dev=True)

    with live_server(make_app) as server:
        yield server.url, services[0]


class Looker:
    """Checks one page at both widths: overflow, containment, axe-core; takes screenshots."""

    def __init__(self, shots: Path) -> None:
        self.shots = shots
        self.seen: list[str] = []
        self.failures: list[str] = []
        self.minor: set[str] = set()  # moderate and minor findings, printed for a person

    def look(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")
            where = f"{name} at {size['width']} px"
            page.screenshot(path=str(self.shots / f"{name}-{label}.png"), full_page=True)
            layout = page.evaluate(_OVERFLOW_JS)
            if layout["scroll"] > layout["inner"]:
                self.failures.append(
                    f"{where}: scrolls sideways ({layout['scroll']} > {layout['inner']} px)"
                )
            self.failures.extend(f"{where}: {problem}" for problem in layout["bad"])
            if label == "phone":
                for html, height in page.evaluate(_SMALL_TARGETS_JS):
                    self.failures.append(f"{where}: {height:.0f} px tall, under 44: {html}")
            otp = page.evaluate(_OTP_JS)
            if otp is not None:
                f, p = otp["fieldset"], otp["panel"]
                inside = f[0] >= p[0] - 0.5 and f[2] <= p[2] + 0.5 and f[3] <= p[3] + 0.5
                if not (inside and otp["boxes_inside"] and otp["boxes_apart"]):
                    self.failures.append(f"{where}: the code boxes overlap their panel: {otp}")
            try:
                for minor in check_accessibility(page, context=where):
                    self.minor.add(f"{minor['id']} ({minor.get('impact')}) on {name}")
            except AssertionError as exc:
                self.failures.append(str(exc))
        page.set_viewport_size(PHONE)
        self.seen.append(name)


def _full_profile() -> dict[str, Any]:
    """The brief's profile, every list section with entries, some words very long."""
    sections = demo_profile()
    sections["work"] = [
        {
            "title": "Backend Developer",
            "company": "PT Pengembangan Perangkat Lunak Nusantara Sejahtera Abadi Jaya",
            "start": "2021-06",
            "location": "Indonesia",
        },
        {"title": "Programmer", "company": "Company", "start": "2018-01", "end": "2021-05"},
    ]
    language_center, japanese = "Japan Language Center", "Japanese Language Proficiency Test"
    sections["certificates"] = [
        {"name": name, "issuer": issuer, "valid_from": start, "score": "84"}
        for name, issuer, start in (
            ("Japan Foundation Test for Basic Japanese", language_center, "2018-01"),
            (f"{japanese} N4 or higher", language_center, "2017-01"),
            ("Manufacturing field Specified Skilled Worker (I) test", "Programming", "2017-01"),
        )
    ]
    sections["achievements"] = [
        {
            "title": "Juara 3 Lomba Web Design ASC Tingkat Nasional",
            "organiser": "Kemnaker RI",
            "date": "2016-01",
            "description": "Lomba web design dan teknologi yang diselenggarakan oleh Kemnaker RI "
            "https://contoh.example/" + "sangat-panjang-" * 8,
        }
    ]
    return sections


def _shots(tmp_path: Path) -> Path:
    configured = os.environ.get("SIAPKERJA_SHOTS_DIR")
    shots = Path(configured) if configured else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def _code(url: str, context: Any) -> str:
    outbox = context.new_page()
    try:
        outbox.goto(f"{url}/dev/outbox")
        text = outbox.locator("main").inner_text()
    finally:
        outbox.close()
    found = re.findall(r"\b(\d{6})\b", text)
    assert found, text
    return found[0]


def test_every_page_fits_a_phone_and_passes_axe(
    browser: Any, long_site: tuple[str, Siapkerja], tmp_path: Path
) -> None:
    url, svc = long_site
    looker = Looker(_shots(tmp_path))
    anonymous = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
    holder = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
    for context in (anonymous, holder):
        context.set_default_timeout(TIMEOUT_MS)
    try:
        page = holder.new_page()
        page.goto(f"{url}/")
        looker.look(page, "01-sign-in")
        # The first Tab reaches the skip link, shown on screen with a visible focus ring.
        page.keyboard.press("Tab")
        skip = page.evaluate(
            """() => {
              const el = document.activeElement, box = el.getBoundingClientRect();
              const style = getComputedStyle(el);
              return {cls: el.className, href: el.getAttribute("href"), left: box.left,
                      right: box.right, outline: style.outlineStyle, width: style.outlineWidth};
            }"""
        )
        assert skip["cls"] == "skip-link", skip
        assert skip["href"] == "#main", skip
        assert skip["left"] >= 0, skip
        assert skip["right"] <= PHONE["width"], skip
        assert skip["outline"] != "none", skip
        assert skip["width"] != "0px", skip
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"

        page.goto(f"{url}/daftar")
        # Refused first (an empty form): the page with its errors must fit too.
        page.get_by_role("button", name="Berikutnya").click()
        page.wait_for_url(re.compile(r"/daftar(\?.*)?$"))
        page.wait_for_selector(".field-error, .error-summary")
        looker.look(page, "02-daftar-ditolak")
        page.get_by_label("Nomor Induk Kependudukan (No. KTP)").fill(HOLDER.nik)
        page.get_by_label("Nama lengkap").fill(LONG_NAME)
        page.get_by_label("Nama ibu kandung").fill(HOLDER.mother_name)
        looker.look(page, "02-daftar")
        page.get_by_role("button", name="Berikutnya").click()
        page.wait_for_url(f"{url}/daftar/kontak")

        page.get_by_label("Alamat Email").fill(LONG_EMAIL)
        page.get_by_label("Nomor Handphone").fill("0812-9999-9999")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        looker.look(page, "03-daftar-kontak")
        page.get_by_role("button", name="Daftar Sekarang").click()
        page.wait_for_url(f"{url}/verifikasi")
        looker.look(page, "04-verifikasi")
        page.goto(f"{url}/verifikasi/ubah-hp")
        looker.look(page, "04-verifikasi-ubah-hp")
        page.goto(f"{url}/verifikasi")

        outbox = holder.new_page()
        outbox.goto(f"{url}/dev/outbox")
        looker.look(outbox, "05-dev-outbox")
        outbox.close()

        for n, digit in enumerate(_code(url, holder), start=1):
            page.get_by_label(f"Angka ke-{n} dari 6").fill(digit)
        page.get_by_role("button", name="Konfirmasi").click()
        page.wait_for_url(f"{url}/profil")
        looker.look(page, "06-profil-baru")

        # The profile's forms are another test's subject: filled here through the facade.
        account = svc.login(LONG_EMAIL, PASSWORD)
        svc.update_profile(account.id, **_full_profile())
        page.goto(f"{url}/profil")
        looker.look(page, "07-profil-lengkap")

        page.get_by_role("button", name="Terbitkan SIAPkerja-ID").click()
        page.wait_for_url(f"{url}/kartu")
        looker.look(page, "08-kartu")
        link = page.locator("p.qr-url code").inner_text().strip()

        page.goto(link)  # the holder sees everything: the long e-mail, the addresses
        looker.look(page, "09-dipindai-pemilik")
        scanned = anonymous.new_page()
        scanned.goto(link)
        looker.look(scanned, "10-dipindai-publik")

        page.goto(f"{url}/riwayat")
        looker.look(page, "11-riwayat")
        page.goto(f"{url}/privasi")
        looker.look(page, "11-privasi")
        page.goto(f"{url}/program")
        looker.look(page, "12-program")
        page.goto(f"{url}/akun/kontak")  # the holder's contacts (issue 16)
        looker.look(page, "12b-kontak")
        page.goto(f"{url}/keluar")
        looker.look(page, "13-keluar")

        _admin, admin_key = svc.register_verifier("Kemnaker", ["admin"])
        svc.rights.object(account.id, "Lamaran saya ditolak otomatis " + "sangat-panjang-" * 8)
        officer = anonymous.new_page()
        officer.goto(f"{url}/petugas/hak")
        looker.look(officer, "18-petugas-hak-masuk")
        officer.get_by_label("Kunci API administrator").fill(admin_key)
        officer.get_by_role("button", name="Masuk", exact=True).click()
        officer.wait_for_selector("table")
        looker.look(officer, "18-petugas-hak")

        other = anonymous.new_page()
        other.goto(f"{url}/pemulihan")
        looker.look(other, "14-pemulihan")
        other.goto(f"{url}/pemulihan/kontak-kedua")
        looker.look(other, "14b-pemulihan-kontak-kedua")
        response = other.goto(f"{url}/tidak-ada-halaman-ini")
        assert response is not None
        assert response.status == 404
        looker.look(other, "15-tidak-ditemukan")
        other.goto(f"{url}/oauth2/authorize?client_id=tidak-terdaftar&response_type=code")
        looker.look(other, "16-sso-galat")
        other.goto(f"{url}/?lang=en")
        looker.look(other, "17-sign-in-english")
    finally:
        holder.close()
        anonymous.close()
    print("axe-core, moderate or minor:", *sorted(looker.minor), sep="\n  ")
    assert not looker.failures, "\n".join(looker.failures)
    assert len(looker.seen) == 24, looker.seen


def test_the_checks_fail_on_a_page_that_overflows_and_is_unreadable(
    browser: Any, tmp_path: Path
) -> None:
    """The layout and axe-core checks above are not blind: a bad page fails both."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content(
            '<!doctype html><html lang="id"><title>Buruk</title><body><main>'
            '<fieldset class="otp" style="width:500px"><legend>Kode</legend>'
            '<input style="width:480px"></fieldset>'
            '<p style="color:#ccc;background:#fff">teks pucat</p><img src="x.png">'
            '<button style="height:20px;padding:0">Kecil</button></main>'
        )
        looker = Looker(_shots(tmp_path))
        looker.look(page, "00-buruk")
    finally:
        context.close()
    report = "\n".join(looker.failures)
    assert "scrolls sideways" in report
    assert "fieldset.otp" in report
    assert "color-contrast" in report
    assert "image-alt" in report
    assert "under 44" in report


EXAMPLE: Final = Path(__file__).resolve().parents[2] / "examples" / "branding"


def test_the_branding_example_is_applied_in_the_browser(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/branding: its colours reach the computed styles, its links and logo show."""
    monkeypatch.chdir(EXAMPLE)  # its settings name directories relative to it

    def make_app(base_url: str) -> Any:
        svc = connect(
            "memory",
            config=EXAMPLE / "siapkerja.toml",
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            card_base_url=f"{base_url}/v/",
        )
        return create_app(svc, dev=True)

    looker = Looker(_shots(tmp_path))
    with live_server(make_app) as server:
        context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(f"{server.url}/daftar")
            looker.look(page, "20-merek-daftar")
            styles = page.evaluate(
                """() => {
                  const header = getComputedStyle(document.querySelector(".site-header"));
                  const button = getComputedStyle(document.querySelector(".button"));
                  const logo = document.querySelector(".brand-logo");
                  return {header: header.backgroundColor, stripe: header.borderBottomColor,
                          button: button.backgroundColor, logo: logo.naturalWidth,
                          partner: document.querySelector(".portal-partner").textContent};
                }"""
            )
            assert styles["header"] == "rgb(20, 83, 45)"  # primary_colour #14532d
            assert styles["button"] == "rgb(20, 83, 45)"
            assert styles["stripe"] == "rgb(245, 158, 11)"  # accent_colour #f59e0b
            assert styles["logo"] > 0  # the example's SVG loaded from its static_dir
            assert styles["partner"] == "Didukung SIAPkerja"
            consent = page.locator("p.consent")
            assert consent.get_by_role("link", name="Kebijakan Privasi").get_attribute("href") == (
                "https://portal-kerja.example/kebijakan-privasi"
            )
            assert consent.get_by_role("link", name="Syarat & Ketentuan").get_attribute("href") == (
                "https://portal-kerja.example/syarat-dan-ketentuan"
            )
            footer = page.locator("footer")
            assert footer.get_by_role("link", name="Pusat Bantuan").is_visible()
            page.goto(f"{server.url}/")
            looker.look(page, "21-merek-masuk")
        finally:
            context.close()
    assert not looker.failures, "\n".join(looker.failures)


@contextlib.contextmanager
def _logo_server(directory: Path) -> Iterator[tuple[str, list[str]]]:
    """A second HTTP server (another port: another origin) serving ``directory``.

    Yields its base URL and the paths it was asked for.
    """
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def do_GET(self) -> None:
            asked.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:  # quiet under pytest
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="logo-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


_CSP_WATCH: Final = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_a_logo_at_another_origin_loads_under_the_pages_own_policy(
    browser: Any, tmp_path: Path
) -> None:
    """Issue 14: a logo at an absolute address was blocked by ``img-src 'self' data:``.

    The browser enforces the policy here (no ``bypass_csp``): the sign-in page, the
    registration page, an error page and the gate screen show the logo from a second
    server, and neither the console nor a ``securitypolicyviolation`` event reports
    anything.
    """
    assets = tmp_path / "cdn"
    assets.mkdir()
    (assets / "logo.svg").write_bytes((EXAMPLE / "static" / "portal-logo.svg").read_bytes())
    (assets / "favicon.svg").write_bytes((EXAMPLE / "static" / "portal-favicon.svg").read_bytes())
    services: list[Siapkerja] = []
    with _logo_server(assets) as (cdn, asked):

        def make_app(base_url: str) -> Any:
            svc = connect(
                "memory",
                environ={},
                hasher=PasswordHasher.fast_for_tests(),
                card_base_url=f"{base_url}/v/",
                logo=f"{cdn}/logo.svg",  # http: allowed in development mode only
                favicon=f"{cdn}/favicon.svg",
            )
            services.append(svc)
            return create_app(svc, dev=True)

        with live_server(make_app) as server:
            assert server.url.rsplit(":", 1)[1] != cdn.rsplit(":", 1)[1]  # two origins
            organiser, _ = services[0].register_verifier("Disnaker Contoh", ["disnaker"])
            now = datetime.now(UTC)
            services[0].events.create_event(
                organiser,
                id="BURSA-2026",
                name="Bursa Kerja Contoh",
                kind="job_fair",
                venue="Gedung Serbaguna",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(hours=8),
                region_code="31",
                capacity=100,
            )
            _station, key = services[0].events.add_station(organiser, "BURSA-2026", name="Pintu A")
            assert key is not None
            context = browser.new_context(locale="id-ID", viewport=PHONE)  # CSP enforced
            context.set_default_timeout(TIMEOUT_MS)
            context.add_init_script(_CSP_WATCH)
            console: list[str] = []
            seen: dict[str, float] = {}
            try:
                page = context.new_page()
                page.on("console", lambda message: console.append(message.text))

                def logo_width(name: str) -> None:
                    page.wait_for_load_state("load")
                    seen[name] = page.evaluate(
                        "() => document.querySelector('.brand-logo').naturalWidth"
                    )
                    assert page.evaluate("() => window.__cspViolations") == [], name

                page.goto(f"{server.url}/")
                logo_width("masuk")
                page.screenshot(path=str(_shots(tmp_path) / "22-logo-lain-asal.png"))
                page.goto(f"{server.url}/daftar")
                logo_width("daftar")
                page.goto(f"{server.url}/tidak-ada")
                logo_width("404")
                page.goto(f"{server.url}/petugas")
                page.get_by_label("Bursa Kerja Contoh").check()
                page.get_by_label("Kunci pos pemeriksaan").fill(key)
                page.get_by_role("button", name="Masuk ke gerbang").click()
                page.wait_for_url("**/petugas/gerbang")
                logo_width("gerbang")
            finally:
                context.close()
    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
    assert all(width > 0 for width in seen.values()), seen  # each logo loaded
    assert "/logo.svg" in asked


def test_the_sso_consent_screen_fits_a_phone_and_passes_axe(browser: Any, tmp_path: Path) -> None:
    """ "Masuk dengan SIAPkerja": the consent screen a hub sends the holder to."""
    from urllib.parse import urlencode

    from support.sso import PASSWORD as SSO_PASSWORD
    from support.sso import holder, provider, register

    looker = Looker(_shots(tmp_path))
    with provider() as op:
        holder(op.svc, 0)
        request = register(op).request("openid profile email")
        context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(f"{op.url}/")
            page.get_by_label("NIK, Email, atau Nomor Handphone").fill("sso0@example.com")
            page.get_by_label("Password", exact=True).fill(SSO_PASSWORD)
            page.get_by_role("button", name="Masuk", exact=True).click()
            page.wait_for_url(re.compile(r"/profil"))
            page.goto(f"{op.url}/oauth2/authorize?{urlencode(request.params)}")
            page.wait_for_url(re.compile(r"/oauth2/authorize/lanjut"))
            looker.look(page, "30-sso-persetujuan")
        finally:
            context.close()
    assert not looker.failures, "\n".join(looker.failures)


def test_the_gate_screen_fits_a_phone_and_passes_axe(browser: Any, tmp_path: Path) -> None:
    """The staff's gate pages (issue 14's gate screen): sign-in, refusal, screen, answers."""
    from test_gate_screen import Gate, sign_in, verdict

    from support.live_server import serve_memory_site

    looker = Looker(_shots(tmp_path))
    with serve_memory_site() as (server, svc):
        gate = Gate(server.url, svc)
        context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(f"{gate.url}/petugas")
            looker.look(page, "40-petugas-masuk")
            page.get_by_label("Job Fair Jakarta 2026").check()
            page.get_by_label("Kunci pos pemeriksaan").fill("sks_" + "0" * 48)
            page.get_by_role("button", name="Masuk ke gerbang").click()
            page.locator("#f-station_key-error").wait_for()
            looker.look(page, "41-petugas-ditolak")
            sign_in(page, gate)
            looker.look(page, "42-gerbang")
            page.get_by_role("textbox", name="Kode akses").fill(gate.code())
            page.get_by_role("button", name="Periksa", exact=True).click()
            verdict(page).get_by_text("Cocokkan wajah dengan foto").wait_for()
            looker.look(page, "43-gerbang-cocokkan")
            page.get_by_role("button", name="Izinkan masuk", exact=True).click()
            verdict(page).get_by_text("Boleh masuk").wait_for()
            looker.look(page, "44-gerbang-boleh-masuk")
        finally:
            context.close()
    assert not looker.failures, "\n".join(looker.failures)
