"""The holder's contact changes, the second contact and recovery with it (memory)."""

from __future__ import annotations

import re

import pytest
from journey_support import (
    EMAIL,
    PHONE_E164,
    STRONG_PASSWORD,
    Recorder,
    residents,
    start_pending,
    wrong_code,
)

from siapkerja_core.errors import LoginError, OtpError, RegistrationError, ResetError
from siapkerja_core.second_contact import ContactError, ContactKind
from siapkerja_core.service import Siapkerja
from support.sms import sms_code

NEW_PHONE = "+6281299990001"
SECOND_PHONE = "+6281299990002"
NEW_EMAIL = "galih.baru@example.id"


def account(svc: Siapkerja) -> object:
    registration, code = start_pending(svc, password=STRONG_PASSWORD)
    return svc.confirm_otp(registration.id, code)


def mail_code(svc: Siapkerja, address: str) -> str:
    svc.deliver_outbox()
    message = svc.adapters["email"].last_to(address)  # type: ignore[attr-defined]
    assert message is not None, f"no e-mail to {address}"
    found = re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)
    assert len(found) == 1
    return str(found[0])


def texts_to(svc: Siapkerja, number: str) -> list[str]:
    svc.deliver_outbox()
    return [m.text for m in svc.sms.messages if m.to == number]  # type: ignore[attr-defined]


def mails_to(svc: Siapkerja, address: str) -> list[str]:
    svc.deliver_outbox()
    return [m.body for m in svc.adapters["email"].messages if m.to == address]  # type: ignore[attr-defined]


def test_phone_change_needs_the_code_sent_to_the_new_phone(
    svc: Siapkerja, recorder: Recorder
) -> None:
    holder = account(svc)
    pending = svc.contacts.request_phone_change(holder.id, "0812-9999-0001")
    assert pending.target == "phone"
    assert pending.kind is ContactKind.PHONE
    assert pending.masked == "+6281******001"
    code = sms_code(svc, NEW_PHONE)
    with pytest.raises(OtpError) as wrong:
        svc.contacts.confirm_phone_change(holder.id, wrong_code(code))
    assert wrong.value.code == "invalid"
    changed = svc.contacts.confirm_phone_change(holder.id, code)
    assert changed.phone == NEW_PHONE
    assert changed.session is not None
    # the old session ended; the new one works
    with pytest.raises(LoginError):
        svc.authenticate(holder.session.token)
    assert svc.authenticate(changed.session.token).phone == NEW_PHONE
    # told to the old and the new number, and by e-mail; masked, no code
    old_notice = texts_to(svc, PHONE_E164)[-1]
    new_notice = texts_to(svc, NEW_PHONE)[-1]
    assert old_notice == new_notice
    assert "+6281******001" in old_notice
    assert NEW_PHONE not in old_notice
    assert code not in old_notice
    assert any("+6281******001" in body for body in mails_to(svc, EMAIL))
    assert "account.phone_changed" in recorder.names()
    audit = svc.verifiers.audit(target=holder.id)
    assert [r.action for r in audit][:1] == ["account.phone_change"]
    # a spent code does not work twice
    with pytest.raises(OtpError):
        svc.contacts.confirm_phone_change(holder.id, code)


def test_phone_change_conflicts_use_the_registration_errors(svc: Siapkerja) -> None:
    holder = account(svc)
    with pytest.raises(ContactError) as same:
        svc.contacts.request_phone_change(holder.id, PHONE_E164)
    assert same.value.full_code == "contact.no_change"
    nik, name, mother = residents(svc, 2)[1]
    other, code = start_pending(
        svc,
        nik=nik,
        name=name,
        mother=mother,
        email="lain@example.id",
        phone=NEW_PHONE,
        password=STRONG_PASSWORD,
    )
    svc.confirm_otp(other.id, code)
    with pytest.raises(RegistrationError) as taken:
        svc.contacts.request_phone_change(holder.id, NEW_PHONE)
    assert taken.value.code == "phone_taken"
    with pytest.raises(RegistrationError) as taken_email:
        svc.contacts.request_email_change(holder.id, "lain@example.id")
    assert taken_email.value.code == "email_taken"


def test_email_change_sends_its_code_by_email_and_tells_both_addresses(svc: Siapkerja) -> None:
    holder = account(svc)
    pending = svc.contacts.request_email_change(holder.id, NEW_EMAIL)
    assert pending.kind is ContactKind.EMAIL
    code = mail_code(svc, NEW_EMAIL)
    changed = svc.contacts.confirm_email_change(holder.id, code)
    assert changed.email == NEW_EMAIL
    assert any("ga********@example.id" in body for body in mails_to(svc, EMAIL))
    assert any("ga********@example.id" in body for body in mails_to(svc, NEW_EMAIL))
    assert any("ga********@example.id" in text for text in texts_to(svc, PHONE_E164))


def test_recovery_with_a_second_contact_while_the_phone_is_gone(svc: Siapkerja) -> None:
    holder = account(svc)
    svc.contacts.request_second_contact(holder.id, SECOND_PHONE)
    second = svc.contacts.confirm_second_contact(holder.id, sms_code(svc, SECOND_PHONE))
    assert second.kind is ContactKind.PHONE
    assert svc.contacts.second_contact(holder.id) == second
    assert any("+6281******002" in t for t in texts_to(svc, PHONE_E164))
    # the phone is lost: the code goes to the second contact
    before = len(texts_to(svc, PHONE_E164))
    request = svc.contacts.request_recovery(EMAIL)
    code = sms_code(svc, SECOND_PHONE)
    assert len(texts_to(svc, PHONE_E164)) == before  # nothing to the lost phone
    with pytest.raises(ResetError):
        svc.contacts.complete_recovery(request.id, wrong_code(code), "Baru-Sekali-99", NEW_PHONE)
    recovered, pending = svc.contacts.complete_recovery(
        request.id, code, "Baru-Sekali-99", NEW_PHONE
    )
    assert pending is not None
    assert pending.masked == "+6281******001"
    with pytest.raises(ResetError):  # one use
        svc.contacts.complete_recovery(request.id, code, "Baru-Sekali-99", NEW_PHONE)
    changed = svc.contacts.confirm_phone_change(recovered.id, sms_code(svc, NEW_PHONE))
    assert changed.phone == NEW_PHONE
    assert svc.login(EMAIL, "Baru-Sekali-99").id == holder.id
    # the second contact heard of the new phone too
    assert any("+6281******001" in t for t in texts_to(svc, SECOND_PHONE))


def test_recovery_answers_alike_without_a_second_contact(svc: Siapkerja) -> None:
    holder = account(svc)
    sent = len(svc.sms.messages)  # type: ignore[attr-defined]
    for identifier in (EMAIL, "nobody@example.id", "0812"):
        request = svc.contacts.request_recovery(identifier)
        assert request.id
        with pytest.raises(ResetError):
            svc.contacts.complete_recovery(request.id, "123456", "Baru-Sekali-99", NEW_PHONE)
    svc.deliver_outbox()
    assert len(svc.sms.messages) == sent  # type: ignore[attr-defined]
    assert svc.contacts.second_contact(holder.id) is None


def test_second_contact_must_differ_from_the_primary(svc: Siapkerja) -> None:
    holder = account(svc)
    for value in (PHONE_E164, EMAIL):
        with pytest.raises(ContactError) as refused:
            svc.contacts.request_second_contact(holder.id, value)
        assert refused.value.code == "same_as_primary"
    with pytest.raises(ContactError) as nothing:
        svc.contacts.confirm_second_contact(holder.id, "123456")
    assert nothing.value.code == "nothing_pending"
    assert svc.contacts.remove_second_contact(holder.id) is False


def test_a_resend_waits_for_the_cooldown_but_a_new_change_after_a_done_one_does_not(
    svc: Siapkerja,
) -> None:
    holder = account(svc)
    svc.contacts.request_phone_change(holder.id, NEW_PHONE)
    with pytest.raises(OtpError) as cooldown:
        svc.contacts.request_phone_change(holder.id, NEW_PHONE)
    assert cooldown.value.code == "cooldown"
    changed = svc.contacts.confirm_phone_change(holder.id, sms_code(svc, NEW_PHONE))
    pending = svc.contacts.request_phone_change(changed.id, SECOND_PHONE)  # a new change
    assert pending.otp.attempts_left == svc.policy.otp_max_attempts


def test_a_change_that_fails_writes_no_notice(svc: Siapkerja) -> None:
    holder = account(svc)
    svc.contacts.request_phone_change(holder.id, NEW_PHONE)
    code = sms_code(svc, NEW_PHONE)
    nik, name, _mother = residents(svc, 2)[1]
    svc.import_account(nik=nik, full_name=name, email="lain@example.id", phone=NEW_PHONE)
    before = texts_to(svc, PHONE_E164)
    with pytest.raises(RegistrationError) as taken:  # taken meanwhile: the insert decides
        svc.contacts.confirm_phone_change(holder.id, code)
    assert taken.value.code == "phone_taken"
    assert texts_to(svc, PHONE_E164) == before  # the notice rolled back with the change
    assert svc.authenticate(holder.session.token).phone == PHONE_E164
    assert [r.action for r in svc.verifiers.audit(target=holder.id)] == []
