"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1), end to end on SQLite:
an e-mail change's code and the notices of the change leave the durable outbox as
real SMTP messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sql_storage import close, connect_sql  # type: ignore[import-not-found]

from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code
from support.smtp import SmtpServer

PASSWORD = "kopi tubruk di pal merah"
PHONE = "+6281299999999"
NEW_EMAIL = "galih.baru@example.id"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def svc(tmp_path: Path, smtp: SmtpServer) -> Iterator[Siapkerja]:
    service = connect_sql(
        f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        email="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security="none",
        mail_from="noreply@siapkerja.example.id",
    )
    try:
        yield service
    finally:
        close(service)


def body(message: object) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[attr-defined]


def test_an_email_change_goes_through_smtp(svc: Siapkerja, smtp: SmtpServer) -> None:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(registration.id, sms_code(svc, PHONE))

    svc.contacts.request_email_change(account.id, NEW_EMAIL)
    svc.deliver_outbox()
    (code_mail,) = [m for m in smtp.messages if m["To"] == NEW_EMAIL]
    assert code_mail["Subject"] == "SIAPkerja Kemnaker: kode verifikasi"
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", body(code_mail))[0]

    svc.contacts.confirm_email_change(account.id, code)
    svc.deliver_outbox()
    notices = [m for m in smtp.messages if m["Subject"].endswith("pemberitahuan perubahan akun")]
    assert sorted(m["To"] for m in notices) == sorted([people.EMAIL, NEW_EMAIL])
    for notice in notices:
        text = body(notice)
        assert "ga********@example.id" in text  # masked, in both languages
        assert "your account's e-mail was changed" in text
        assert NEW_EMAIL not in text
        assert code not in text
    assert svc.outbox.pending() == 0
