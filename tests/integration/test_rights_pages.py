"""The holder's privacy page (``/privasi``) on SQLite: download, restrict and lift,
withdraw, object, erase — each answered with its receipt."""

from __future__ import annotations

import base64
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock
from support.sms import sms_code

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "kopi tubruk di pal merah"


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Siapkerja]:
    made = connect(
        environ={},
        load_entrypoints=False,
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'pages.sqlite3'}",
        sms="memory",
        dukcapil="offline",
        secret_key="rights-pages-secret-0123456789abcdef",
        storage_key="k1:" + base64.urlsafe_b64encode(b"p" * 32).decode(),
        database_migrate="true",
        hasher=PasswordHasher.fast_for_tests(),
        clock=ManualClock.from_now().now,
    )
    yield made
    made.storage.dispose()  # type: ignore[attr-defined]


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found[1]


@pytest.fixture
def browser(svc: Siapkerja) -> Iterator[TestClient]:
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    registration = svc.submit_contact(
        registration.id, email=people.EMAIL, phone="0812-9999-9999", password=PASSWORD
    )
    svc.confirm_otp(registration.id, code=sms_code(svc))
    with TestClient(create_app(svc, secret_key="s" * 32)) as client:
        page = client.get("/")
        signed_in = client.post(
            "/",
            data={"identifier": people.EMAIL, "password": PASSWORD, "csrf_token": csrf(page.text)},
        )
        assert signed_in.status_code == 200, signed_in.text
        yield client


def post(client: TestClient, path: str, **data: str) -> str:
    page = client.get("/privasi")
    response = client.post(path, data={"csrf_token": csrf(page.text), **data})
    assert response.status_code == 200, response.text
    return response.text


def test_the_privacy_page_acts_and_gives_receipts(svc: Siapkerja, browser: TestClient) -> None:
    page = browser.get("/privasi")
    assert page.status_code == 200
    assert "Unduh data saya" in page.text
    assert 'href="/privasi"' in browser.get("/riwayat").text
    download = browser.get("/privasi/unduh")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert json.loads(download.text)["account"]["nik"] == people.NIK
    restricted = post(browser, "/privasi/batasi")
    assert "Pemrosesan dibatasi. Tanda terima: HAK-" in restricted
    assert "Akhiri pembatasan" in restricted
    lifted = post(browser, "/privasi/buka")
    assert "Pembatasan berakhir" in lifted
    assert "Semua persetujuan ditarik" in post(browser, "/privasi/tarik-semua")
    assert "petugas menjawab paling lambat 3×24 jam" in post(
        browser, "/privasi/keberatan", note="Ditolak otomatis"
    )
    receipts = browser.get("/privasi").text
    for kind in ("Salinan data", "Pembatasan", "Akhir pembatasan", "Keberatan"):
        assert kind in receipts
    assert "Sedang diproses" in receipts  # the objection waits for an officer


def test_erasure_needs_the_box_and_ends_the_session(svc: Siapkerja, browser: TestClient) -> None:
    refused = post(browser, "/privasi/hapus")
    assert "Centang kotak konfirmasi" in refused
    assert svc.rights.requests(svc.login(people.EMAIL, PASSWORD).id) == []
    wrong = post(browser, "/privasi/hapus", confirm="yes", password="bukan password")
    assert "Password salah; akun tidak dihapus." in wrong
    erased = post(browser, "/privasi/hapus", confirm="yes", password=PASSWORD)
    assert "Akun Anda telah dihapus" in erased
    after = browser.get("/privasi", follow_redirects=False)
    assert after.status_code in (302, 303)


def test_the_officer_dashboard_lists_flags_and_completes(
    svc: Siapkerja, browser: TestClient
) -> None:
    post(browser, "/privasi/keberatan", note="Ditolak otomatis")
    _admin, key = svc.register_verifier("Kemnaker", ["admin"])
    _other, not_admin = svc.register_verifier("BLK Bekasi", ["skillhub"])
    with TestClient(create_app(svc, secret_key="s" * 32)) as officer:
        page = officer.get("/petugas/hak")
        assert "Kunci API administrator" in page.text
        refused = officer.post(
            "/petugas/hak", data={"admin_key": not_admin, "csrf_token": csrf(page.text)}
        )
        assert "Kunci API administrator" in refused.text  # still the sign-in
        signed_in = officer.post(
            "/petugas/hak", data={"admin_key": key, "csrf_token": csrf(page.text)}
        )
        assert signed_in.status_code == 200
        assert "Ditolak otomatis" in signed_in.text
        assert "Lewat tenggat" not in signed_in.text
        assert key not in officer.cookies.get("session", "")  # sealed, not signed only
        (request,) = svc.rights.open_requests()
        done = officer.post(
            f"/petugas/hak/{request.id}/selesai",
            data={"reason": "Ditinjau", "csrf_token": csrf(signed_in.text)},
        )
        assert f"Permintaan {request.receipt} selesai." in done.text
        assert "Tidak ada permintaan terbuka." in done.text
        audit = svc.verifiers.audit(target=request.id)
        assert [a.action for a in audit] == ["rights.complete"]
        assert audit[0].actor == f"verifier:{_admin.id}"
