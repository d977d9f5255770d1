"""Branding: the settings' checks, the loader chain, the static overlay, theme.css, the links.

``examples/branding/`` (a regional portal's look) is served as a deployer
would run it — its TOML file, from its own directory — and every page shows
its name, its logo and favicon (its static files shadowing nothing else),
its colours (``/static/theme.css``), its changed base block (which extends
the package's ``siapkerja/base.html``) and its policy links in the consent
sentence and the footer. The unbranded site keeps the package's defaults.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import _templates, create_app
from siapkerja_adapters.web.branding import image_origins
from siapkerja_adapters.web.pages.site import Site as PageSite
from siapkerja_adapters.web.security import (
    CONTENT_SECURITY_POLICY,
    content_security_policy,
    web_origin,
)
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.settings import (
    MAX_NAME_LENGTH,
    PAGE_BACKGROUND,
    branding,
    contrast_ratio,
    contrast_with_white,
    resolve_settings,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "branding"
PACKAGE_STATIC = (
    Path(__file__).resolve().parents[2] / "src" / "siapkerja_adapters" / "web" / "static"
)
SECRET = "k" * 32


def _settings(**values: object):  # type: ignore[no-untyped-def]
    return resolve_settings("memory", kwargs=values)


def _client(**settings: object) -> TestClient:
    svc = connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        load_entrypoints=False,
        **settings,
    )
    return TestClient(create_app(svc, dev=True), base_url="http://testserver")


# --- the checks -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["green", "#12345", "#gggggg", "0b4ea2", "#0b4ea2ff"])
def test_a_colour_that_is_not_hex_is_refused_in_both_languages(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        branding(_settings(accent_colour=value))
    assert caught.value.full_code == "config.bad_colour"
    assert "accent_colour" in caught.value.message("id")
    assert "bukan warna" in caught.value.message("id")
    assert "not a colour" in caught.value.message("en")


def test_short_hex_colours_are_spelled_out_and_lower_cased() -> None:
    look = branding(_settings(primary_colour="#03A", accent_colour="#F59E0B"))
    assert look.primary_colour == "#0033aa"
    assert look.accent_colour == "#f59e0b"
    assert look.primary_dark == "#002680"


def test_a_primary_colour_white_text_cannot_be_read_on_is_refused() -> None:
    assert contrast_with_white("#ffcc00") < 4.5
    with pytest.raises(ConfigurationError) as caught:
        branding(_settings(primary_colour="#ffcc00"))
    assert caught.value.full_code == "config.low_contrast"
    assert "4.5:1" in caught.value.message("en")
    assert "terlalu terang" in caught.value.message("id")


def test_a_primary_readable_on_white_but_not_on_the_page_background_is_refused() -> None:
    assert contrast_with_white("#767676") >= 4.5  # the lightest grey that passes on white
    assert contrast_ratio("#767676", PAGE_BACKGROUND) < 4.5
    with pytest.raises(ConfigurationError) as caught:
        branding(_settings(primary_colour="#767676"))
    assert caught.value.full_code == "config.low_contrast"
    assert branding(_settings(primary_colour="#0b4ea2")).primary_colour == "#0b4ea2"


@pytest.mark.parametrize("key", ["privacy_url", "terms_url", "help_url", "logo", "favicon"])
def test_a_plain_http_address_is_refused_outside_development(key: str) -> None:
    settings = _settings(**{key: "http://portal.example/x"})
    with pytest.raises(ConfigurationError) as caught:
        branding(settings, dev=False)
    assert caught.value.full_code == "config.insecure_url"
    assert key in caught.value.message("en")
    assert "https://" in caught.value.message("id")
    assert branding(settings, dev=True)  # a laptop without TLS may use it


@pytest.mark.parametrize(
    "value", ["javascript:alert(1)", "//evil.example/x", "https://", "ftp://x.example/a"]
)
def test_an_address_that_is_not_https_or_a_site_path_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        branding(_settings(privacy_url=value), dev=True)
    assert caught.value.full_code == "config.insecure_url"


def test_a_path_on_the_site_and_a_static_file_name_are_accepted() -> None:
    look = branding(_settings(privacy_url="/privasi", logo="img/logo.png"))
    assert look.privacy_url == "/privasi"
    assert look.logo == "img/logo.png"
    assert branding(_settings()).logo == "logo.svg"  # the package's own mark


@pytest.mark.parametrize("key", ["templates_dir", "static_dir"])
def test_a_missing_directory_is_refused_when_the_app_is_built(key: str, tmp_path: Path) -> None:
    missing = tmp_path / "tidak-ada"
    with pytest.raises(ConfigurationError) as caught:
        _client(**{key: str(missing)})
    assert caught.value.full_code == "config.no_directory"
    assert str(missing) in caught.value.message("id")
    with pytest.raises(ConfigurationError):
        create_app(connect("memory", environ={}), dev=True, **{key: missing})


# --- the unbranded site -----------------------------------------------------------------


def test_the_unbranded_site_shows_the_package_defaults() -> None:
    with _client() as client:
        page = client.get("/daftar").text
        assert '<link rel="icon" href="/static/favicon.svg">' in page
        assert 'src="/static/logo.svg"' in page
        assert "Kementerian Ketenagakerjaan RI" in page
        # No URLs set: the consent sentence names the documents without links.
        assert "Kebijakan Privasi dan Syarat &amp; Ketentuan Kemnaker RI." in page
        english = client.get("/daftar?lang=en").text
        assert "the Privacy Policy and the Terms &amp; Conditions of Kemnaker RI." in english
        assert 'class="footer-links"' not in page
        theme = client.get("/static/theme.css")
        assert theme.status_code == 200
        assert theme.headers["content-type"].startswith("text/css")
        assert "--blue" not in theme.text
        assert client.get("/static/logo.svg").text.startswith("<svg")
        assert client.get("/static/favicon.svg").status_code == 200


# --- the example ------------------------------------------------------------------------


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """``examples/branding`` served from its directory, as its README says."""
    monkeypatch.chdir(EXAMPLE)
    svc = connect(
        "memory",
        config=EXAMPLE / "siapkerja.toml",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        load_entrypoints=False,
    )
    return TestClient(create_app(svc, secret_key=SECRET), base_url="https://testserver")


def test_the_example_overrides_the_base_block_and_keeps_the_original(portal: TestClient) -> None:
    with portal as client:
        page = client.get("/").text
        assert "<title>Masuk — Portal Kerja Nusantara</title>" in page
        assert 'class="brand-name">Portal Kerja Nusantara<' in page
        assert "Dinas Tenaga Kerja Provinsi Contoh" in page
        assert "Kementerian Ketenagakerjaan RI" not in page
        # The example's block, and super(): the original block's content is still there.
        assert '<p class="portal-partner">Didukung SIAPkerja</p>' in page
        assert page.count('class="brand-logo"') == 1
        # The original base.html around it: skip link, main, footer, the page's own form.
        assert 'class="skip-link" href="#main"' in page
        assert '<main id="main"' in page
        assert re.search(r'<form[^>]+method="post"', page)
        english = client.get("/?lang=en").text
        assert "Powered by SIAPkerja" in english


def test_the_example_assets_shadow_and_extend_the_static_files(portal: TestClient) -> None:
    with portal as client:
        page = client.get("/").text
        assert '<link rel="icon" href="/static/portal-favicon.svg">' in page
        assert 'src="/static/portal-logo.svg"' in page
        assert '<link rel="stylesheet" href="/static/portal.css">' in page
        own = client.get("/static/portal-logo.svg")
        assert own.status_code == 200
        assert own.text == (EXAMPLE / "static" / "portal-logo.svg").read_text()
        # The package's files are still served beneath the overlay.
        assert (
            client.get("/static/siapkerja.css").text
            == (PACKAGE_STATIC / "siapkerja.css").read_text()
        )
        assert client.get("/static/portal.css").status_code == 200
        assert client.get("/static/../siapkerja.toml").status_code == 404


def test_a_static_dir_file_replaces_the_package_file_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text("<svg><!-- ours --></svg>")
    with _client(static_dir=str(tmp_path)) as client:
        assert client.get("/static/logo.svg").text == "<svg><!-- ours --></svg>"
        assert client.get("/static/favicon.svg").text.startswith("<svg")


def test_the_example_colours_are_served_as_theme_css(portal: TestClient) -> None:
    with portal as client:
        theme = client.get("/static/theme.css")
        assert theme.status_code == 200
        assert "--blue: #14532d;" in theme.text
        assert "--blue-dark: #0f3e22;" in theme.text
        assert "--accent: #f59e0b;" in theme.text
        assert "<" not in theme.text
        etag = theme.headers["etag"]
        again = client.get("/static/theme.css", headers={"If-None-Match": etag})
        assert again.status_code == 304
        page = client.get("/").text
        # After the package's stylesheet, so its custom properties win.
        assert page.index("/static/siapkerja.css") < page.index("/static/theme.css")


def test_the_example_links_the_policies_in_the_consent_and_the_footer(
    portal: TestClient,
) -> None:
    with portal as client:
        page = client.get("/daftar").text
        assert (
            'saya setuju dengan <a href="https://portal-kerja.example/kebijakan-privasi"'
            ' rel="noopener">Kebijakan Privasi</a> dan <a href="https://portal-kerja.example/'
            'syarat-dan-ketentuan" rel="noopener">Syarat &amp; Ketentuan</a>'
            " Disnaker Provinsi Contoh."
        ) in page
        assert "Kemnaker" not in page  # the portal's policies are not the ministry's
        footer = page[page.index('<footer class="site-footer') :]
        for href, text in (
            ("https://portal-kerja.example/kebijakan-privasi", "Kebijakan Privasi"),
            ("https://portal-kerja.example/syarat-dan-ketentuan", "Syarat &amp; Ketentuan"),
            ("https://portal-kerja.example/bantuan", "Pusat Bantuan"),
        ):
            assert f'<a href="{href}" rel="noopener">{text}</a>' in footer
        english = client.get("/daftar?lang=en").text
        assert '>Privacy Policy</a> and the <a href="https://portal-kerja.example/' in english
        assert "Terms &amp; Conditions</a> of Disnaker Provinsi Contoh." in english
        assert "Kemnaker" not in english


def test_create_app_takes_directories_that_win_over_the_settings(tmp_path: Path) -> None:
    """A whole page replaced through create_app(templates_dir=...), several directories."""
    first, second, ignored = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for directory in (first, second, ignored):
        directory.mkdir()
    (first / "login.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="own">Halaman masuk kami</p>'
        "{% endblock %}"
    )
    (second / "login.html").write_text("second directory: never reached for login.html")
    (second / "error.html").write_text(
        '{% extends "siapkerja/error.html" %}{% block title %}Tidak ada{% endblock %}'
    )
    (ignored / "login.html").write_text("the setting's directory: overridden by the argument")
    svc = connect("memory", environ={}, load_entrypoints=False, templates_dir=str(ignored))
    app = create_app(svc, dev=True, templates_dir=[first, str(second)], static_dir=tmp_path)
    with TestClient(app) as client:
        page = client.get("/").text
        assert '<p id="own">Halaman masuk kami</p>' in page
        assert "never reached" not in page
        assert "overridden by the argument" not in page
        missing = client.get("/tidak-ada")
        assert missing.status_code == 404
        assert "<title>Tidak ada" in missing.text


# --- a logo at another address: the pages' policy allows exactly its origin -------------

LOGO = "https://cdn.example.org/portal/logo.png?v=2"
LOGO_ORIGIN = "https://cdn.example.org"


def _img_src(policy: str) -> list[str]:
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("img-src "))
    return directive.split()[1:]


def _only_logo_added(policy: str, unbranded: str) -> None:
    """``policy`` is ``unbranded`` with the logo's origin in img-src, and nothing more."""
    assert _img_src(policy) == ["'self'", "data:", LOGO_ORIGIN]
    assert policy.count(LOGO_ORIGIN) == 1
    assert policy.replace(" " + LOGO_ORIGIN, "") == unbranded


def _gate_station(svc: Siapkerja) -> tuple[str, str]:
    """An open event with one gate: (its id, the gate's station key)."""
    organiser, _ = svc.register_verifier("Disnaker Contoh", ["disnaker"])
    now = datetime.now(UTC)
    svc.events.create_event(
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
    _station, key = svc.events.add_station(organiser, "BURSA-2026", name="Pintu A")
    assert key is not None
    return "BURSA-2026", key


def test_a_logo_at_an_https_address_widens_img_src_by_its_origin_on_every_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        load_entrypoints=False,
        logo=LOGO,
    )
    event, key = _gate_station(svc)
    app = create_app(svc, secret_key=SECRET)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        signin = client.get("/")
        assert f'src="{LOGO}"' in signin.text
        _only_logo_added(signin.headers["content-security-policy"], CONTENT_SECURITY_POLICY)
        missing = client.get("/tidak-ada")
        assert missing.status_code == 404
        _only_logo_added(missing.headers["content-security-policy"], CONTENT_SECURITY_POLICY)
        # The gate screen sets a policy of its own (WebAssembly): the logo is in it too.
        form = client.get("/petugas").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        gate = client.post(
            "/petugas",
            data={"csrf_token": token.group(1), "event": event, "station_key": key},
        )
        assert gate.url.path == "/petugas/gerbang"
        _only_logo_added(
            gate.headers["content-security-policy"], content_security_policy(wasm=True)
        )

        # The last-resort page of a failure nobody expected carries it as well.
        def broken(*_args: object, **_kwargs: object) -> None:
            raise ZeroDivisionError("a bug, not a refusal")

        monkeypatch.setattr(svc, "resolve", broken)
        crash = client.get("/v/" + "A" * 40)
        assert crash.status_code == 500
        _only_logo_added(crash.headers["content-security-policy"], CONTENT_SECURITY_POLICY)


def test_the_unbranded_and_the_file_logo_keep_the_strict_policy() -> None:
    for settings in ({}, {"logo": "img/logo.png", "favicon": "/media/favicon.ico"}):
        with _client(**settings) as client:
            policy = client.get("/").headers["content-security-policy"]
            assert policy == CONTENT_SECURITY_POLICY
            assert _img_src(policy) == ["'self'", "data:"]


def test_logo_and_favicon_origins_are_each_named_once_with_their_port() -> None:
    look = branding(
        _settings(
            logo="https://cdn.example.org:8443/a/logo.svg",
            favicon="https://static.example.net/favicon.ico",
        )
    )
    assert image_origins(look) == ("https://cdn.example.org:8443", "https://static.example.net")
    same = branding(_settings(logo=LOGO, favicon="https://CDN.example.org/f.ico"))
    assert image_origins(same) == (LOGO_ORIGIN,)
    assert image_origins(branding(_settings())) == ()


def test_a_logo_host_a_policy_cannot_name_is_refused_in_both_languages() -> None:
    look = branding(_settings(logo="https://cdn_example;org/logo.png"))
    with pytest.raises(ConfigurationError) as caught:
        image_origins(look)
    assert caught.value.full_code == "config.insecure_url"
    assert "logo" in caught.value.message("id")
    assert "logo" in caught.value.message("en")


def test_the_policy_builder_names_only_well_formed_origins() -> None:
    policy = content_security_policy(
        ["https://hub.example", "javascript:alert(1)"],
        image_origins=["http://[::1]:8001", "https://cdn.example; script-src *", "*"],
    )
    assert _img_src(policy) == ["'self'", "data:", "http://[::1]:8001"]
    assert "form-action 'self' https://hub.example;" in policy
    assert "script-src 'self';" in policy
    assert web_origin("https://User@CDN.example.org:443/x") == "https://cdn.example.org:443"
    assert web_origin("/media/logo.png") is None


# --- running the example leaves nothing for git to pick up -------------------------------


@pytest.mark.parametrize("suffix", ["", "-shm", "-wal", "-journal"])
def test_the_database_files_the_example_leaves_are_ignored_by_git(suffix: str) -> None:
    """SQLite in WAL mode writes ``-shm`` and ``-wal`` beside the file (``-journal`` else)."""
    git = shutil.which("git")
    root = EXAMPLE.parents[1]
    if git is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    name = f"examples/branding/siapkerja.sqlite3{suffix}"
    checked = subprocess.run(
        [git, "check-ignore", "--no-index", "-q", name], cwd=root, check=False, timeout=30
    )
    assert checked.returncode == 0, f"{name} is not ignored by .gitignore"


# --- the operator's name in the consent sentence -----------------------------------------


def test_the_operator_name_is_put_in_the_consent_sentence_as_text_in_both_languages() -> None:
    with _client(operator_name="  Disnaker Kota <Contoh> & Mitra  ") as client:
        page = client.get("/daftar").text
        assert (
            "Kebijakan Privasi dan Syarat &amp; Ketentuan"
            " Disnaker Kota &lt;Contoh&gt; &amp; Mitra.</p>"
        ) in page
        english = client.get("/daftar?lang=en").text
        assert "Terms &amp; Conditions of Disnaker Kota &lt;Contoh&gt; &amp; Mitra.</p>" in english
        assert "Kemnaker RI" not in page + english


@pytest.mark.parametrize("value", ["", "   ", "Dinas\nTenaga Kerja", "D" * (MAX_NAME_LENGTH + 1)])
def test_an_operator_name_that_is_blank_too_long_or_not_one_line_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        branding(_settings(operator_name=value))
    assert caught.value.full_code == "config.bad_name"
    assert "operator_name" in caught.value.message("id")
    assert f"1 sampai {MAX_NAME_LENGTH} karakter" in caught.value.message("id")
    assert f"1 to {MAX_NAME_LENGTH} characters" in caught.value.message("en")
    assert branding(_settings(operator_name="D" * MAX_NAME_LENGTH)).operator_name


def test_a_page_that_sets_its_own_policy_keeps_the_logo_origin() -> None:
    """Single sign-on's pages widen form-action to the hub: img-src keeps the logo."""
    svc = connect("memory", environ={}, load_entrypoints=False, logo=LOGO)
    site = PageSite(svc, _templates(), image_origins=image_origins(branding(svc.settings)))
    policy = site.policy(["https://karirhub.example"])
    assert "form-action 'self' https://karirhub.example;" in policy
    _only_logo_added(policy, content_security_policy(["https://karirhub.example"]))
    _only_logo_added(site.policy(wasm=True), content_security_policy(wasm=True))
