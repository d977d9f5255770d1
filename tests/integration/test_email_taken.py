"""An e-mail another account uses is refused at the contact step, before any SMS (issue 14).

On every storage (memory, SQLite, PostgreSQL — the fixtures of
``test_sql_storage.py``): the registrant learns it before a code is spent,
in words that name no one; the check at confirmation stays (two
registrations of one e-mail race there, the insert decides); and a
registration waiting for its code can change its e-mail (the code stays
valid).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sql_storage import POLICY, close, connect_sql  # type: ignore[import-not-found]

from siapkerja_adapters.connect import connect
from siapkerja_core.errors import RegistrationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.service import Siapkerja
from support.sms import sms_code as last_code

PASSWORD = "kopi tubruk di pal merah"
TAKEN = "galih.pambayun@example.com"
SECOND_PHONE = "+6281333334444"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "memory":
        yield connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), policy=POLICY)
        return
    if request.param == "sqlite":
        service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}")
    else:
        url = request.getfixturevalue("postgres_url")
        service = connect_sql(url, request.getfixturevalue("postgres_schema"))
    try:
        yield service
    finally:
        close(service)


def residents(svc: Siapkerja, count: int) -> list[tuple[str, str, str]]:
    found = [(r.nik, r.full_name, r.mother_name) for r in svc.dukcapil if r.active]  # type: ignore[attr-defined]
    assert len(found) >= count
    return found[:count]


def pending(svc: Siapkerja, who: tuple[str, str, str], email: str, phone: str) -> str:
    registration = svc.register(*who)
    svc.submit_contact(registration.id, email=email, phone=phone, password=PASSWORD)
    return registration.id


def test_an_email_taken_is_refused_before_the_sms(svc: Siapkerja) -> None:
    owner, other = residents(svc, 2)
    first = pending(svc, owner, TAKEN, "081211112222")
    svc.confirm_otp(first, last_code(svc))
    second = svc.register(*other)
    with pytest.raises(RegistrationError) as caught:
        svc.submit_contact(second.id, email=TAKEN.upper(), phone="081333334444", password=PASSWORD)
    assert caught.value.full_code == "registration.email_taken"
    for lang in ("id", "en"):  # names no one: neither the account nor its contacts
        assert "galih" not in caught.value.message(lang).lower()
        assert "1111" not in caught.value.message(lang)
    svc.deliver_outbox()
    assert svc.sms.last_to(SECOND_PHONE) is None  # type: ignore[attr-defined]
    refused = svc.registration(second.id)
    assert refused.status is RegistrationStatus.VERIFIED
    assert refused.otp is None  # no code was issued, none waits to be sent
    svc.submit_contact(second.id, email="lain@example.com", phone="081333334444", password=PASSWORD)
    assert len(last_code(svc, SECOND_PHONE)) == svc.policy.otp_length


def test_confirmation_still_decides_a_race_and_the_email_can_be_changed(
    svc: Siapkerja,
) -> None:
    one, two = residents(svc, 2)
    first = pending(svc, one, TAKEN, "081211112222")
    first_code = last_code(svc)
    second = pending(svc, two, TAKEN, "081333334444")  # both passed the contact step
    second_code = last_code(svc)
    svc.confirm_otp(first, first_code)
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp(second, second_code)
    assert caught.value.full_code == "registration.email_taken"
    with pytest.raises(RegistrationError) as taken:
        svc.change_email(second, email=TAKEN)
    assert taken.value.full_code == "registration.email_taken"
    changed = svc.change_email(second, email=" Dua.Lain@Example.com ")
    assert changed.email == "dua.lain@example.com"
    assert changed.otp is not None  # the code already sent stays the one to type
    account = svc.confirm_otp(second, second_code)
    assert account.email == "dua.lain@example.com"


def test_the_email_changes_only_while_the_code_is_awaited(svc: Siapkerja) -> None:
    (one,) = residents(svc, 1)
    registration = svc.register(*one)
    with pytest.raises(RegistrationError) as caught:
        svc.change_email(registration.id, email="x@example.com")
    assert caught.value.full_code == "registration.wrong_step"


def test_saying_an_email_is_taken_is_capped_per_nik(svc: Siapkerja) -> None:
    """The early answer is an oracle: each refusal keeps a slot of the NIK's daily cap, a free
    e-mail gives its slot back, and past the cap the step answers ``email_checks_locked``
    (a wait in words) — also for a free e-mail, and for the e-mail change while the code waits."""
    owner, other = residents(svc, 2)
    first = pending(svc, owner, TAKEN, "081211112222")
    svc.confirm_otp(first, last_code(svc))
    second = svc.register(*other)
    cap = svc.policy.max_email_conflicts_per_nik_per_day
    for _ in range(3):  # free e-mails that fail later (a weak password) cost nothing
        with pytest.raises(Exception, match="password"):
            svc.submit_contact(
                second.id, email="bebas@example.com", phone=SECOND_PHONE, password="123"
            )
    for _ in range(cap):
        with pytest.raises(RegistrationError) as caught:
            svc.submit_contact(second.id, email=TAKEN, phone=SECOND_PHONE, password=PASSWORD)
        assert caught.value.code == "email_taken"
    for email in (TAKEN, "bebas@example.com"):
        with pytest.raises(RegistrationError) as caught:
            svc.submit_contact(second.id, email=email, phone=SECOND_PHONE, password=PASSWORD)
        assert caught.value.code == "email_checks_locked"
        assert int(caught.value.params["retry_after"]) > 0
        assert "detik" not in caught.value.message("id", now=svc.now())
