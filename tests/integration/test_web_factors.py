"""*Keamanan akun* and the factor paths of the web pages, through a TestClient.

A holder enrols an authenticator app on ``/keamanan`` (QR and key shown, the first
code turns it on), makes recovery codes (shown once, never again on the page),
signs out and in again through the second step (``/masuk/faktor``), resets the
password with a recovery code on ``/pemulihan/faktor`` while the SMS gateway
fails, and removes a factor. Passkeys: the page offers them only when the site's
public address is set, and the options endpoint answers JSON for the script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pyotp
import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock

PASSWORD = "kopi tubruk di pal merah"
NEW_PASSWORD = "teh manis hangat di sore hari"


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no form on the page"
    return found.group(1)


def _post(client: TestClient, page: str, path: str, **data: str) -> tuple[str, str]:
    answer = client.post(path, data={"csrf_token": _token(page), **data})
    return answer.url.path, answer.text


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture
def svc(clock: ManualClock) -> Siapkerja:
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        clock=clock.now,
        public_base_url="https://siapkerja.example.go.id",
    )


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_app(svc, dev=True)) as made:
        yield made


def _signed_in_holder(svc: Siapkerja, client: TestClient) -> str:
    account, _ = svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=people.EMAIL, phone="081277771234"
    )
    request = svc.request_password_reset(people.EMAIL)
    svc.deliver_outbox()
    code = re.search(r"(\d{6})", svc.sms.messages[-1].text)  # type: ignore[attr-defined]
    assert code
    svc.reset_password(request.id, code.group(1), PASSWORD)
    page = client.get("/").text
    path, _ = _post(client, page, "/", identifier=people.EMAIL, password=PASSWORD)
    assert path == "/profil"
    return account.id


def test_the_security_page_enrols_an_app_and_shows_codes_once(
    svc: Siapkerja, client: TestClient, clock: ManualClock
) -> None:
    account_id = _signed_in_holder(svc, client)
    page = client.get("/keamanan").text
    assert "Keamanan akun" in page
    assert 'href="/keamanan"' in page  # in the account navigation
    assert "Belum ada." in page

    path, page = _post(client, page, "/keamanan/autentikator")
    assert "<svg" in page
    secret = re.search(r'<code class="number">([A-Z2-7 ]+)</code>', page)
    assert secret
    key = secret.group(1).replace(" ", "")
    factor_id = re.search(r'name="factor_id" value="([0-9a-f]+)"', page)
    assert factor_id
    path, page = _post(
        client, page, "/keamanan/autentikator/konfirmasi", factor_id=factor_id.group(1), code="1"
    )
    assert key[:4] in page  # the QR and key again, with the error
    assert "Kode salah, sudah dipakai, atau kedaluwarsa." in page
    path, page = _post(
        client,
        page,
        "/keamanan/autentikator/konfirmasi",
        factor_id=factor_id.group(1),
        code=pyotp.TOTP(key).at(clock.now()),
    )
    assert path == "/keamanan"
    assert "Aplikasi autentikator sudah aktif." in page
    assert key[:8] not in page

    path, page = _post(client, page, "/keamanan/kode-pemulihan")
    codes = re.findall(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>", page)
    assert len(codes) == 10
    again = client.get("/keamanan").text
    assert not any(code in again for code in codes)  # shown once
    assert "sisa 10" in again
    assert sorted(f.kind for f in svc.factors.list(account_id)) == ["recovery_codes", "totp"]

    # Signed out, in again: the password, then the second step.
    _post(client, again, "/keluar")
    page = client.get("/").text
    path, page = _post(client, page, "/", identifier=people.NIK, password=PASSWORD)
    assert path == "/masuk/faktor"
    assert "Verifikasi langkah kedua" in page
    assert 'data-passkey="get"' in page  # the public address is set: passkeys offered
    path, page = _post(client, page, "/masuk/faktor", code="000000")
    assert path == "/masuk/faktor"
    assert 'role="alert"' in page
    clock.advance(seconds=30)
    path, page = _post(client, page, "/masuk/faktor", code=pyotp.TOTP(key).at(clock.now()))
    assert path == "/profil"
    assert "siapkerja_device" in client.cookies

    # The SMS gateway fails from here on; the reset goes by a recovery code.
    svc.sms.fail_next(1000)  # type: ignore[attr-defined]
    page = client.get("/keamanan").text
    _post(client, page, "/keluar")
    page = client.get("/pemulihan").text
    path, page = _post(client, page, "/pemulihan", identifier=people.NIK)
    assert path == "/pemulihan/atur-ulang"
    assert 'href="/pemulihan/faktor"' in page
    page = client.get("/pemulihan/faktor").text
    assert "kode pemulihan" in page.casefold()
    path, page = _post(
        client, page, "/pemulihan/faktor", code="zzzz-zzzz-zzzz", new_password=NEW_PASSWORD
    )
    assert path == "/pemulihan/faktor"
    path, page = _post(client, page, "/pemulihan/faktor", code=codes[0], new_password=NEW_PASSWORD)
    assert path == "/"
    assert svc.factors.recovery_codes_left(account_id) == 9


def test_a_factor_is_removed_from_the_page(
    svc: Siapkerja, client: TestClient, clock: ManualClock
) -> None:
    account_id = _signed_in_holder(svc, client)
    svc.factors.generate_recovery_codes(account_id)
    [codes] = svc.factors.list(account_id)
    page = client.get("/keamanan").text
    path, page = _post(client, page, "/keamanan/hapus", factor_id=codes.id)
    assert path == "/keamanan"
    assert "Faktor keamanan sudah dihapus." in page
    assert svc.factors.list(account_id) == []
    path, page = _post(client, page, "/keamanan/hapus", factor_id="not-mine")
    assert "tidak ditemukan" in page


def test_the_passkey_options_are_json_for_the_script(svc: Siapkerja, client: TestClient) -> None:
    _signed_in_holder(svc, client)
    page = client.get("/keamanan").text
    assert 'src="/static/passkeys.js"' in page
    answer = client.post("/keamanan/passkey/mulai", data={"csrf_token": _token(page)})
    assert answer.status_code == 200
    begun = answer.json()
    assert begun["ceremony_id"]
    assert json.loads(begun["options"])["rp"]["id"] == "siapkerja.example.go.id"
    refused = client.post(
        "/keamanan/passkey/mulai", data={"csrf_token": "wrong"}, follow_redirects=False
    )
    assert refused.status_code in (303, 403)  # the CSRF check, before any ceremony
    assert "ceremony_id" not in refused.text
    assert client.get("/static/passkeys.js").status_code == 200


def test_the_pages_need_a_signed_in_holder(client: TestClient) -> None:
    answer = client.get("/keamanan")
    assert answer.url.path == "/"
    assert client.get("/masuk/faktor").url.path == "/"
    assert client.get("/pemulihan/faktor").url.path == "/pemulihan"
