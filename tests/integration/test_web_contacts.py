"""The contact changes and the recovery with the second contact, through the web pages,
on memory, SQLite and PostgreSQL (issue 16).

A holder signs in, changes the phone (the code goes to the new number, the old one
is told), changes the e-mail (the code goes by e-mail), adds a second contact, and
then — the phone lost — recovers from the sign-in page's recovery with the second
contact, sets a new password and a new phone, and confirms it with its own code.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_sql_storage import POLICY, close, connect_sql  # type: ignore[import-not-found]

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
PHONE = "+6281299999999"
NEW_PHONE = "+6281277770001"
LATEST_PHONE = "+6281277770003"
SECOND_PHONE = "+6281277770002"
NEW_EMAIL = "galih.baru@example.id"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "memory":
        yield connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), policy=POLICY)
        return
    if request.param == "sqlite":
        service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", email="memory")
    else:
        url = request.getfixturevalue("postgres_url")
        service = connect_sql(url, request.getfixturevalue("postgres_schema"), email="memory")
    try:
        yield service
    finally:
        close(service)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form"
    return found.group(1)


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.page = ""

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, path
        self.page = response.text
        return self.page

    def submit(self, action: str, data: dict[str, str]) -> str:
        response = self.client.post(action, data={"csrf_token": csrf(self.page), **data})
        assert response.status_code == 200, action
        self.page = response.text
        return html.unescape(self.page)


def mail_code(svc: Siapkerja, address: str) -> str:
    svc.deliver_outbox()
    message = svc.adapters["email"].last_to(address)  # type: ignore[attr-defined]
    assert message is not None
    return str(re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)[0])


def texts_to(svc: Siapkerja, number: str) -> list[str]:
    svc.deliver_outbox()
    return [m.text for m in svc.sms.messages if m.to == number]  # type: ignore[attr-defined]


def holder(svc: Siapkerja) -> str:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD)
    return svc.confirm_otp(registration.id, sms_code(svc, PHONE)).id


def test_contact_changes_and_recovery_through_the_pages(svc: Siapkerja) -> None:
    account_id = holder(svc)
    with TestClient(create_app(svc, dev=True)) as client:
        browser = Browser(client)
        browser.get("/")
        browser.submit("/", {"identifier": people.EMAIL, "password": PASSWORD})
        page = browser.get("/akun/kontak")
        assert "+6281******999" in page

        # a new phone: the code goes to it, the old number is told
        page = browser.submit("/akun/kontak/hp", {"phone": "0812-7777-0001"})
        assert "+6281******001" in page
        page = browser.submit("/akun/kontak/hp/kode", {"code": "000000"})
        assert 'role="alert"' in page
        page = browser.submit("/akun/kontak/hp/kode", {"code": sms_code(svc, NEW_PHONE)})
        assert "Nomor HP akun diganti" in page
        assert svc.contacts.pending(account_id, "phone") is None
        assert any("+6281******001" in t for t in texts_to(svc, PHONE))

        # a taken e-mail is refused on its field; a free one gets a code by e-mail
        page = browser.submit("/akun/kontak/email", {"email": "bukan email"})
        assert 'role="alert"' in page
        browser.submit("/akun/kontak/email", {"email": NEW_EMAIL})
        page = browser.submit("/akun/kontak/email/kode", {"code": mail_code(svc, NEW_EMAIL)})
        assert "Email akun diganti" in page

        # a second contact
        browser.submit("/akun/kontak/kedua", {"contact": SECOND_PHONE})
        page = browser.submit("/akun/kontak/kedua/kode", {"code": sms_code(svc, SECOND_PHONE)})
        assert "Kontak kedua disimpan" in page
        assert "+6281******002" in page

    # the phone is lost: a new browser, the recovery from the sign-in page
    lost = len(texts_to(svc, NEW_PHONE))
    with TestClient(create_app(svc, dev=True)) as client:
        browser = Browser(client)
        assert "/pemulihan/kontak-kedua" in browser.get("/pemulihan")
        browser.get("/pemulihan/kontak-kedua")
        page = browser.submit("/pemulihan/kontak-kedua", {"identifier": NEW_EMAIL})
        assert "kode telah dikirim" in page
        code = sms_code(svc, SECOND_PHONE)
        page = browser.submit(
            "/pemulihan/kontak-kedua/atur-ulang",
            {"code": code, "new_password": "Teh-Manis-Hangat-7", "phone": LATEST_PHONE},
        )
        assert "Masukkan kode yang dikirim ke nomor HP baru" in page, re.sub(r"<[^>]+>", " ", page)[
            -3000:
        ]
        page = browser.submit("/akun/kontak/hp/kode", {"code": sms_code(svc, LATEST_PHONE)})
        assert "Nomor HP akun diganti" in page
    assert len(texts_to(svc, NEW_PHONE)) == lost + 1  # only the notice reached the lost phone
    assert svc.login(LATEST_PHONE, "Teh-Manis-Hangat-7").id == account_id
    actions = [r.action for r in svc.verifiers.audit(target=account_id)]
    assert "account.recover_second_contact" in actions
    assert actions.count("account.phone_change") == 2
