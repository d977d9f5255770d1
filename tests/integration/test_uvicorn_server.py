"""The web binding behind a real uvicorn server, driven over loopback with httpx.

A server runs in a background thread on ``127.0.0.1`` and an ephemeral port
(``tests/support/live_server.py``: ``uvicorn.Config`` + ``Server`` on a
socket bound first, so the card's link QR can point at it), on the
``memory`` profile in development mode. The JSON API and the pages each go
the whole way — registration, the SMS code, the profile, the card — and the
card's link is then opened by a client with no session, which sees the
public view only. The server stops cleanly afterwards.

The commands around it run here too: ``siapkerja serve`` starts a real
server in a child process on the embedded default (a SQLite file in a
temporary directory), and ``token verify`` and ``keys rotate|retire|list`` work on
that same kind of file.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import uvicorn
from test_web_api import remembering
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli.keys import keys_app
from siapkerja_adapters.cli.serve import serve
from siapkerja_adapters.cli.tokens import token_app
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people as galih
from support.gates import open_events
from support.live_server import (
    LiveServer,
    bound_socket,
    live_server,
    memory_service,
    serve_memory_site,
)
from support.sms import sms_code

# Galih Agan Pambayun, a bundled fictional resident (tests/support/people.py).
NIK, NAME, MOTHER = galih.NIK, galih.NAME, galih.MOTHER
VILLAGE, HEADLINE, png = galih.VILLAGE, galih.HEADLINE, galih.png
EMAIL = galih.EMAIL
PHONE = "0812-9999-9999"
PHONE_E164 = "+6281299999999"
PASSWORD = "kopi tubruk di pal merah"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def site() -> Iterator[tuple[LiveServer, Siapkerja]]:
    with serve_memory_site() as served:
        yield served


def visible(page: str) -> str:
    without = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", without)).split())


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def assert_public_view(page: str) -> None:
    """A scanned card, seen by nobody in particular: name and headline, nothing private."""
    shown = visible(page)
    assert NAME in shown
    assert HEADLINE in shown
    assert NIK not in page
    assert EMAIL not in page
    for phone in ("081299999999", "0812-9999-9999", PHONE_E164, "81299999999"):
        assert phone not in page


# --------------------------------------------------------------------------
# The JSON API
# --------------------------------------------------------------------------


def test_the_json_api_journey_through_uvicorn(site: tuple[LiveServer, Siapkerja]) -> None:
    server, svc = site
    with remembering(httpx.Client(base_url=f"{server.url}/api", timeout=10)) as api:
        assert api.get("/v1/openapi.json").json()["openapi"].startswith("3.")
        started = api.post(
            "/v1/registrations", json={"nik": NIK, "full_name": NAME, "mother_name": MOTHER}
        )
        assert started.status_code == 201, started.text
        registration = started.json()["id"]
        assert started.headers["location"] == f"/api/v1/registrations/{registration}"
        contact = api.post(
            f"/v1/registrations/{registration}/contact",
            json={"email": EMAIL, "phone": PHONE, "password": PASSWORD},
        )
        assert contact.json()["status"] == "pending_otp"
        confirmed = api.post(
            f"/v1/registrations/{registration}/otp/confirm", json={"code": sms_code(svc)}
        )
        assert confirmed.status_code == 201, confirmed.text
        auth = {"Authorization": f"Bearer {confirmed.json()['session']['token']}"}

        # The same sections as JSON: the photo's bytes in base64, one skill more.
        sections = {
            **galih.complete_profile(),
            "skills": ["PHP", "Laravel"],
            "photo": {"content": base64.b64encode(png()).decode(), "media_type": "image/png"},
        }
        profile = api.patch("/v1/me/profile", json=sections, headers=auth)
        assert profile.status_code == 200, profile.text
        assert api.get("/v1/me/completeness", headers=auth).json()["complete"] is True
        issued = api.post("/v1/me/card", headers=auth)
        assert issued.status_code == 201, issued.text
        qr = api.get("/v1/me/card/qr", headers=auth).json()
        assert qr["url"] == f"{server.url}/v/{qr['token']}"

    # Anyone who scans the QR code: no cookie, no bearer token.
    with httpx.Client(timeout=10) as stranger:
        scanned = stranger.get(qr["url"])
        assert scanned.status_code == 200
        assert scanned.headers["content-type"].startswith("text/html")
        assert scanned.headers["x-robots-tag"] == "noindex, nofollow"
        assert_public_view(scanned.text)
        as_json = stranger.get(f"{server.url}/api/v1/scan/{qr['token']}")
        assert as_json.json()["audience"] == "anonymous"
        assert as_json.json()["nik"] is None


# --------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------


class Visitor:
    """An httpx client that keeps its cookies and posts forms with their CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10, follow_redirects=True)
        self.page = ""

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()

    def get(self, path: str) -> httpx.Response:
        response = self.client.get(path)
        self.page = response.text
        return response

    def submit(
        self,
        action: str,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        fields = {"csrf_token": csrf(self.page), **(data or {})}
        response = self.client.post(action, data=fields, files=files)
        self.page = response.text
        return response


def test_the_pages_journey_through_uvicorn(site: tuple[LiveServer, Siapkerja]) -> None:
    server, _ = site
    with Visitor(server.url) as visitor:
        pages_journey(server, visitor)


def pages_journey(server: LiveServer, visitor: Visitor) -> None:
    home = visitor.get("/")
    assert home.status_code == 200
    assert "Masuk" in visitor.page
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    css = visitor.client.get("/static/siapkerja.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")

    visitor.get("/daftar")
    step = visitor.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    assert step.url.path == "/daftar/kontak", visible(visitor.page)
    step = visitor.submit("/daftar/kontak", {"email": EMAIL, "phone": PHONE, "password": PASSWORD})
    assert step.url.path == "/verifikasi", visible(visitor.page)

    outbox = visitor.client.get("/dev/outbox").text
    found = re.search(r"kode OTP [a-z ]+ Anda (\d{6})", html.unescape(outbox))
    assert found, visible(outbox)
    digits = {f"d{i}": digit for i, digit in enumerate(found.group(1), start=1)}
    step = visitor.submit("/verifikasi", digits)
    assert step.url.path == "/profil", visible(visitor.page)

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
                "headline": HEADLINE,
            },
        ),
        ("/profil/alamat/ktp", {"desa": VILLAGE, "jalan": "Jl. Palmerah Barat"}),
        ("/profil/alamat/domisili", {"sama": "1"}),
        ("/profil/skills", {"skills": "PHP, Laravel"}),
        (
            "/profil/pendidikan/baru",
            {
                "edu_institution": "BINUS University",
                "edu_level": "S1",
                "edu_start_year": "2012",
                "edu_current": "1",
            },
        ),
    ]
    for action, data in forms:
        saved = visitor.submit(action, data)
        assert saved.url.path == "/profil", (action, visible(visitor.page))
        assert "Perubahan disimpan." in visible(visitor.page), action
    photo = visitor.submit("/profil/foto", files={"photo": ("me.png", png(), "image/png")})
    assert photo.url.path == "/profil", visible(visitor.page)

    issued = visitor.submit("/kartu/terbitkan")
    assert issued.url.path == "/kartu", visible(visitor.page)
    link = re.search(r'<p class="qr-url"><code>([^<]+)</code>', visitor.page)
    assert link, "the card page shows no link URL"
    url = html.unescape(link.group(1))
    assert url.startswith(f"{server.url}/v/")

    holder = visitor.client.get(url)
    assert NIK in holder.text  # the holder sees their own card whole

    with httpx.Client(timeout=10) as stranger:
        scanned = stranger.get(url)
        assert scanned.status_code == 200
        assert_public_view(scanned.text)


@pytest.mark.parametrize(("fetch_site", "status"), [("same-origin", 200), ("cross-site", 403)])
def test_a_browsers_own_post_says_origin_null(
    site: tuple[LiveServer, Siapkerja], fetch_site: str, status: int
) -> None:
    """Under the pages' ``Referrer-Policy: no-referrer`` a browser's own form post carries
    ``Origin: null``; its fetch metadata (``Sec-Fetch-Site``) tells whose form it was."""
    server, _ = site
    with Visitor(server.url) as visitor:
        visitor.get("/daftar")
        visitor.client.headers.update({"Origin": "null", "Sec-Fetch-Site": fetch_site})
        answer = visitor.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
        assert answer.status_code == status
        if status == 200:
            assert answer.url.path == "/daftar/kontak"


def test_the_server_stops_and_frees_its_port() -> None:
    with live_server(lambda url: create_app(memory_service(url), dev=True)) as server:
        assert httpx.get(f"{server.url}/", timeout=10).status_code == 200
        port = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


# --------------------------------------------------------------------------
# siapkerja serve, token verify, keys rotate|retire|list
# --------------------------------------------------------------------------


def _cli() -> typer.Typer:
    """The commands as the main CLI mounts them."""
    app = typer.Typer(no_args_is_help=True, add_completion=False)

    @app.callback()
    def root() -> None:
        """siapkerja (test tree)."""

    app.command("serve")(serve)
    app.add_typer(token_app, name="token")
    app.add_typer(keys_app, name="keys")
    return app


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory (the embedded default's SQLite file) and no SIAPKERJA_*."""
    for name in list(os.environ):
        if name.startswith("SIAPKERJA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(_cli(), list(args))


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["token"],
        ["token", "verify"],
        ["keys"],
        ["keys", "rotate"],
        ["keys", "list"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_serve_outside_dev_mode_asks_for_a_secret(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The development defaults are refused first (before anything is opened); allowed
    # here, the missing secret is what stops the start.
    monkeypatch.setenv("SIAPKERJA_ALLOW_UNSAFE", "all")
    result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 3  # a setting (docs/cli.md)
    assert "SIAPKERJA_SECRET_KEY" in result.stderr
    assert "--dev" in result.stderr


@pytest.fixture
def production(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """``serve`` outside ``--dev`` with a secret; uvicorn.run recorded instead of run."""
    monkeypatch.setenv("SIAPKERJA_SECRET_KEY", "integration-secret-key-0123456789abcdef")
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append(target))
    return calls


def test_serve_outside_dev_refuses_the_console_sms_and_offline_dukcapil(
    production: list[Any],
) -> None:
    result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 3, result.output  # a setting: exit code 3 (docs/cli.md)
    assert production == []  # no server started
    assert "[config.unsafe_default]" in result.stderr
    assert "Di luar --dev" in result.stderr  # both languages
    assert "Outside --dev" in result.stderr
    assert "sms = 'console' prints or keeps every SMS code" in result.stderr
    assert 'set sms = "http" with sms_url and sms_token' in result.stderr
    assert 'set dukcapil = "http" with dukcapil_url' in result.stderr
    assert 'allow_unsafe = ["sms", "dukcapil"]' in result.stderr


def test_serve_outside_dev_names_only_what_allow_unsafe_leaves_out(
    production: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIAPKERJA_ALLOW_UNSAFE", "sms")
    monkeypatch.setenv("SIAPKERJA_SMS", "memory")
    result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 3  # a setting (docs/cli.md)
    assert 'allow_unsafe = ["dukcapil"]' in result.stderr
    assert "sms = " not in result.stderr
    monkeypatch.setenv("SIAPKERJA_ALLOW_UNSAFE", "sms, dukcapil, smss")
    unknown = invoke("serve", "--no-dev", "--port", "0")
    assert unknown.exit_code == 3
    assert "[config.invalid]" in unknown.stderr
    assert "smss" in unknown.stderr
    assert production == []


def test_serve_outside_dev_starts_with_unsafe_defaults_allowed_explicitly(
    production: list[Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SIAPKERJA_ALLOW_UNSAFE", "sms,dukcapil")
    with caplog.at_level(logging.WARNING, logger="siapkerja.serve"):
        result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 0, result.output
    assert len(production) == 1
    assert "unsafe default 'sms'" in caplog.text
    assert "unsafe default 'dukcapil'" in caplog.text


def test_serve_dev_without_a_secret_warns_that_client_secrets_fail(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``serve --dev`` without SIAPKERJA_SECRET_KEY checks single sign-on client secrets
    with a random key: the warning says so, or a hub's secret fails as invalid_client."""
    monkeypatch.delenv("SIAPKERJA_SECRET_KEY", raising=False)
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append(target))
    with caplog.at_level(logging.WARNING, logger="siapkerja.web"):
        result = invoke("serve", "--dev", "--port", "0")
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert "no secret_key set" in caplog.text
    assert "single sign-on client secrets" in caplog.text
    assert "SIAPKERJA_SECRET_KEY" in caplog.text


def test_serve_outside_dev_starts_with_real_gateways(
    production: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SMS": "http",
        "SMS_URL": "http://127.0.0.1:9/send",
        "SMS_TOKEN": "t0ken",
        "DUKCAPIL": "http",
        "DUKCAPIL_URL": "http://127.0.0.1:9",
        "DUKCAPIL_CUSTOMER_ID": "kemnaker",
        "DUKCAPIL_USER_ID": "user",
        "DUKCAPIL_PASSWORD": "secret",
    }.items():
        monkeypatch.setenv(f"SIAPKERJA_{name}", value)
    result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 0, result.output
    assert len(production) == 1


def test_serve_runs_a_real_server_on_the_embedded_default(workdir: Path) -> None:
    with bound_socket() as probe:
        port = probe.getsockname()[1]  # free a moment ago; uvicorn binds it anew
    script = (
        "import typer\n"
        "from siapkerja_adapters.cli.serve import serve\n"
        "app = typer.Typer(add_completion=False)\n"
        "app.command()(serve)\n"
        "app()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", script, "--dev", "--port", str(port), "--log-level", "warning"]
    child = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                home = httpx.get(f"{url}/", timeout=2)
                break
            except httpx.TransportError:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "siapkerja serve did not start"
                time.sleep(0.1)
        assert home.status_code == 200
        assert "Masuk" in home.text
        assert httpx.get(f"{url}/dev/outbox", timeout=5).status_code == 200
        started = httpx.post(
            f"{url}/api/v1/registrations",
            json={"nik": NIK, "full_name": NAME, "mother_name": MOTHER},
            timeout=10,
        )
        assert started.status_code == 201, started.text
    finally:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    assert f"siapkerja: {url}/" in out
    assert f"{url}/dev/outbox" in out
    assert "Development mode: SMS codes appear at" in out
    assert (workdir / "siapkerja.sqlite3").exists()  # the embedded default: a SQLite file


def test_keys_rotate_then_list(workdir: Path) -> None:
    empty = invoke("keys", "list")
    assert empty.exit_code == 0
    assert "No keys yet" in empty.stdout

    first = invoke("keys", "rotate", "--json")
    assert first.exit_code == 0, first.output
    kids = json.loads(first.stdout)
    assert set(kids) == {"link", "access"}
    second = invoke("keys", "rotate")
    assert second.exit_code == 0, second.output
    new = dict(line.split()[:2] for line in second.stdout.splitlines())
    assert new.keys() == {"link", "access"}
    assert new["link"] != kids["link"]

    listed = json.loads(invoke("keys", "list", "--json").stdout)
    states = {(row["kind"], row["kid"]): row["state"] for row in listed}
    assert states[("link", new["link"])] == "signing"
    assert states[("link", kids["link"])] == "verifying"
    assert states[("access", kids["access"])] == "verifying"
    text = invoke("keys", "list").stdout
    assert "secret" not in text
    assert "private" not in text


def test_keys_list_and_retire_know_the_es256_key_of_an_access_key(workdir: Path) -> None:
    kids = json.loads(invoke("keys", "rotate", "--json").stdout)
    newer = json.loads(invoke("keys", "rotate", "--json").stdout)
    listed = json.loads(invoke("keys", "list", "--json").stdout)
    derived = {row["kid"]: row.get("es256_kid") for row in listed}
    assert derived[kids["link"]] is None  # a link key has none
    es256_kid = derived[kids["access"]]
    assert es256_kid is not None
    assert len(es256_kid) == 43
    assert es256_kid != derived[newer["access"]]
    retired = invoke("keys", "retire", es256_kid, "--json")  # case kept: a thumbprint
    assert retired.exit_code == 0, retired.output
    assert json.loads(retired.stdout)["retired"] == kids["access"]
    states = {
        row["kid"]: row["state"] for row in json.loads(invoke("keys", "list", "--json").stdout)
    }
    assert states[kids["access"]] == "retired"
    assert states[newer["access"]] == "signing"
    unknown = invoke("keys", "retire", "x" * 43)
    assert unknown.exit_code == 1


def test_keys_retire(workdir: Path) -> None:
    kids = json.loads(invoke("keys", "rotate", "--json").stdout)
    older = json.loads(invoke("keys", "rotate", "--json").stdout)
    assert older["link"] != kids["link"]

    retired = invoke("keys", "retire", kids["link"].lower())  # ids are read case-blind
    assert retired.exit_code == 0, retired.output
    assert retired.stdout.split()[:2] == ["retired", kids["link"]]
    listed = json.loads(invoke("keys", "list", "--json").stdout)
    states = {row["kid"]: row["state"] for row in listed}
    assert states[kids["link"]] == "retired"
    assert states[older["link"]] == "signing"  # not signing: nothing new was added

    signing = json.loads(invoke("keys", "retire", older["access"], "--json").stdout)
    assert signing["retired"] == older["access"]
    assert signing["access"] not in (None, older["access"])  # a signing key is replaced first
    states = {
        row["kid"]: row["state"] for row in json.loads(invoke("keys", "list", "--json").stdout)
    }
    assert states[signing["access"]] == "signing"

    unknown = invoke("keys", "retire", "ZZZZ")
    assert unknown.exit_code == 1
    assert "No signing key has the id ZZZZ" in unknown.output


@pytest.fixture
def card_holder(workdir: Path) -> tuple[Siapkerja, str]:
    """A service on the working directory's SQLite file, and an account holding a card."""
    svc = connect(environ={}, hasher=PasswordHasher.fast_for_tests(), sms="memory")
    registration = svc.register(nik=NIK, full_name=NAME, mother_name=MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(registration.id, code=sms_code(svc))
    svc.update_profile(account.id, **galih.complete_profile())
    svc.issue_card(account.id)
    return svc, account.id


def test_token_verify_a_link_and_an_access_code(card_holder: tuple[Siapkerja, str]) -> None:
    svc, account_id = card_holder
    link = svc.card_qr(account_id)
    result = invoke("token", "verify", link.url)
    assert result.exit_code == 0, result.output
    kid = svc.cards.keyring().signing_link_key.kid  # type: ignore[union-attr]
    assert result.stdout.startswith(f"OK link  kid={kid}  card_ref=")
    assert result.stdout.rstrip().endswith("version=1")
    report = json.loads(invoke("token", "verify", link.token, "--json").stdout)
    assert report == {**report, "valid": True, "mode": "link", "kid": kid, "version": 1}

    open_events(svc, "bursa-kerja-2025")
    access = svc.card_qr(account_id, mode="access", purpose="bursa-kerja-2025")
    result = invoke("token", "verify", access.token, "--purpose", "bursa-kerja-2025")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK access  kid=")
    assert "purpose=bursa-kerja-2025" in result.stdout

    wrong = invoke("token", "verify", access.token, "--purpose", "lain")
    assert wrong.exit_code == 1
    assert wrong.stdout.startswith("INVALID token.wrong_purpose  ")
    missing = invoke("token", "verify", access.token)
    assert missing.exit_code == 2
    assert "--purpose" in missing.output
    assert svc.access_log(account_id) == []  # an operator's check is not a scan


def test_token_verify_refuses_bad_tokens_bilingually(card_holder: tuple[Siapkerja, str]) -> None:
    svc, account_id = card_holder
    token = svc.card_qr(account_id).token
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    result = invoke("token", "verify", forged)
    assert result.exit_code == 1
    assert result.stdout.startswith("INVALID token.forged  Tanda tangan kode tidak sah")
    assert "The code's signature is invalid" in result.stdout
    assert token not in result.stdout  # a token is never echoed

    garbage = invoke("token", "verify", "bukan-token", "--json")
    assert garbage.exit_code == 1
    assert json.loads(garbage.stdout)["error"]["code"] == "token.malformed"

    svc.rotate_card(account_id)  # the old QR code stops working
    revoked = invoke("token", "verify", token)
    assert revoked.exit_code == 1
    assert revoked.stdout.startswith("INVALID token.revoked  ")


def test_serve_reload_builds_the_same_app_in_the_reloaded_process(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --reload`` hands its options to uvicorn's child through the environment."""
    from siapkerja_adapters.cli import serve as serve_cli

    monkeypatch.setenv("SIAPKERJA_STORAGE", "memory")
    options = {"dev": True, "config": None, "host": "127.0.0.1", "port": 8123, "root_path": ""}
    monkeypatch.setenv("_SIAPKERJA_SERVE", json.dumps(options))
    app = serve_cli.reload_factory()
    assert app.state.dev is True
    assert app.state.siapkerja.cards.base_url == "http://127.0.0.1:8123/v/"
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append({"target": target, **kw}))
    result = invoke("serve", "--dev", "--reload", "--port", "8123")
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["target"] == "siapkerja_adapters.cli.serve:reload_factory"
    assert call["factory"] is True
    assert call["reload"] is True
    assert json.loads(os.environ["_SIAPKERJA_SERVE"])["dev"] is True


def test_a_refused_start_opens_nothing_and_writes_no_key(
    production: list[Any], workdir: Path
) -> None:
    # The settings are checked before the storage is opened: a refused start on a
    # fresh machine leaves neither a database nor a generated storage key behind.
    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    before = sorted(config_home.rglob("*")) if config_home.exists() else []
    result = invoke("serve", "--no-dev", "--port", "0")
    assert result.exit_code == 3, result.output
    assert "[config.unsafe_default]" in result.stderr
    assert (sorted(config_home.rglob("*")) if config_home.exists() else []) == before
    assert not list(workdir.glob("*.sqlite3*"))


def test_serve_workers_and_trusted_proxies_reach_uvicorn(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--workers`` runs the factory in each process; ``--forwarded-allow-ips`` names the
    proxies whose X-Forwarded-For gives the client address the sign-in throttles count."""
    monkeypatch.setenv("SIAPKERJA_SECRET_KEY", "integration-secret-key-0123456789abcdef")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append({"target": target, **kw}))
    result = invoke(
        "serve", "--dev", "--workers", "4", "--forwarded-allow-ips", "10.0.0.5", "--port", "8124"
    )
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["target"] == "siapkerja_adapters.cli.serve:reload_factory"
    assert call["factory"] is True
    assert call["workers"] == 4
    assert call["reload"] is False
    assert call["forwarded_allow_ips"] == "10.0.0.5"
    assert json.loads(os.environ["_SIAPKERJA_SERVE"])["port"] == 8124
