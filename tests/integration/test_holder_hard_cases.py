"""Issue 16's four hard cases, played one after another on one service, on SQLite and PostgreSQL.

Each part has its own tests beside its code; this file plays them as the issue's
held-out script does, on one database, so that what one part writes the others
meet (a sign-in is recorded for the export; an erasure finds the factors and
the second contact; a recovery removes a factor nobody can use):

1. a holder enrols an authenticator app and signs in with it while every SMS
   fails, and resets the password with a recovery code;
2. a holder exports everything (valid against the published schema), then
   erases the account: the NIK is free again, nothing of it answers;
3. a claimant wins a NIK dispute against a stale account that never answers;
4. a holder whose phone is gone recovers through the verified second contact.

Every step leaves a line the holder (the export's record of processing) or an
officer (the audit, the case's trail) can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pyotp
import pytest
from test_sql_storage import close, connect_sql  # type: ignore[import-not-found]

from siapkerja_core.disputes import CaseStatus
from siapkerja_core.errors import LoginError, SiapkerjaError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.factors import FactorRequired
from support.clock import ManualClock
from support.sms import e164, sms_code
from support.sso import PASSWORD, PEOPLE, holder

OFFICER = "cli:petugas"
NEW_PASSWORD = "teh botol di tanah abang"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Siapkerja]:
    if request.param == "sqlite":
        service = connect_sql(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", clock=clock.now)
    else:
        url = request.getfixturevalue("postgres_url")
        service = connect_sql(url, request.getfixturevalue("postgres_schema"), clock=clock.now)
    try:
        yield service
    finally:
        close(service)


def _audit(svc: Siapkerja, account_id: str) -> list[str]:
    with svc.storage.transaction(read_only=True) as tx:
        return [r.action for r in tx.audit.list(target=account_id, limit=1000)]


def test_an_authenticator_signs_in_and_a_recovery_code_resets_while_sms_is_down(
    svc: Siapkerja, clock: ManualClock
) -> None:
    account = holder(svc, 0)
    person = PEOPLE[0]
    enrolment = svc.factors.start_totp(account.id)
    totp = pyotp.TOTP(enrolment.secret)
    svc.factors.confirm_totp(account.id, enrolment.factor_id, totp.at(svc.now()))
    codes = svc.factors.generate_recovery_codes(account.id)
    sms: Any = svc.sms
    sms.fail_next(1000)  # the gateway is down from now on

    with pytest.raises(FactorRequired):  # the password alone is no longer enough
        svc.login(person.nik, PASSWORD)
    clock.advance(seconds=31)
    signed_in = svc.login(person.nik, PASSWORD, factor_code=totp.at(svc.now()))
    assert signed_in.id == account.id

    reset = svc.request_password_reset(person.nik)  # its SMS never arrives
    svc.deliver_outbox()
    svc.factors.reset_password(reset.id, codes.codes[0], NEW_PASSWORD)
    clock.advance(seconds=31)
    assert svc.login(person.nik, NEW_PASSWORD, factor_code=totp.at(svc.now())).id == account.id

    processing = svc.rights.export(account.id)["processing"]
    assert len(processing["sign_ins"]) == 2  # the holder reads each sign-in
    assert {"factor.enrol", "recovery_codes.generate"} <= set(_audit(svc, account.id))


def test_a_holder_exports_then_erases_and_the_nik_is_free_again(svc: Siapkerja) -> None:
    account = holder(svc, 1)
    person = PEOPLE[1]
    svc.login(person.nik, PASSWORD)
    enrolment = svc.factors.start_totp(account.id)
    svc.factors.confirm_totp(
        account.id, enrolment.factor_id, pyotp.TOTP(enrolment.secret).at(svc.now())
    )
    svc.resolve(svc.card_qr(account.id).url)  # a scan for the ledger

    document = svc.rights.export(account.id)
    schema = json.loads(
        resources.files("siapkerja_core.schemas").joinpath("export-v1.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["account"]["nik"] == person.nik
    assert len(document["processing"]["access_log"]) == 1
    assert document["json_resume"]["basics"]["name"] == person.full_name

    receipt = svc.rights.erase(account.id, password=PASSWORD)
    assert receipt.receipt.startswith("HAK-")
    with pytest.raises(LoginError):
        svc.login(person.nik, PASSWORD)
    with pytest.raises(SiapkerjaError):
        svc.rights.export(account.id)
    with svc.storage.transaction(read_only=True) as tx:
        assert tx.factors.for_account(account.id) == []
        assert tx.accounts.find(nik=person.nik) is None
    assert receipt.receipt in [r.receipt for r in svc.rights.requests(account.id)]  # kept
    again = svc.register(person.nik, person.full_name, person.mother_name)  # free again
    assert again.id


def test_a_claimant_wins_a_nik_dispute_against_a_stale_account(
    svc: Siapkerja, clock: ManualClock
) -> None:
    stale = holder(svc, 2)
    person = PEOPLE[2]
    card_url = svc.card_qr(stale.id).url
    view = svc.disputes.open_claim(
        person.nik,
        person.full_name,
        person.mother_name,
        email="pemilik.asli@example.com",
        phone="081377770002",
        password=NEW_PASSWORD,
    )
    svc.disputes.confirm(view.id, sms_code(svc, "081377770002"))
    svc.deliver_outbox()
    told = svc.sms.last_to(e164("081200000052"))  # type: ignore[attr-defined]
    assert told is not None  # the current holder is told, and never answers
    svc.disputes.record_check(
        view.id,
        officer_id="NIP 199001012015011002",
        office="Disnaker Kota Bekasi",
        documents=["KTP-el"],
        actor=OFFICER,
    )
    clock.advance(days=8)  # past the holder's 7 days to answer
    decided = svc.disputes.decide(
        view.id, upheld=True, reason="KTP-el diperiksa; akun lama tidak menjawab", actor=OFFICER
    )
    assert decided.status is CaseStatus.UPHELD

    winner = svc.login(person.nik, NEW_PASSWORD)
    assert winner.id != stale.id
    with pytest.raises(LoginError):
        svc.login("081200000052", PASSWORD)  # the stale account is frozen
    with pytest.raises(SiapkerjaError):
        svc.resolve(card_url)  # its card no longer opens
    trail = [r.action for r in svc.disputes.trail(view.id)]
    assert trail[0] == "dispute.open"
    assert "dispute.decide" in trail or any(a.startswith("dispute.decide") for a in trail)


def test_a_holder_whose_phone_is_gone_recovers_through_the_second_contact(
    svc: Siapkerja,
) -> None:
    account = holder(svc, 0)  # each test has a database of its own
    person = PEOPLE[0]
    svc.contacts.request_second_contact(account.id, "pemulihan.3@example.com")
    mails: Any = svc.adapters["email"]
    svc.deliver_outbox()
    code = _code(mails.messages[-1].body)
    svc.contacts.confirm_second_contact(account.id, code)

    request = svc.contacts.request_recovery(person.nik)  # the phone is lost
    svc.deliver_outbox()
    code = _code(mails.messages[-1].body)
    recovered, pending = svc.contacts.complete_recovery(
        request.id, code, NEW_PASSWORD, "081399990003"
    )
    assert recovered.id == account.id
    assert pending is not None
    svc.contacts.confirm_phone_change(account.id, sms_code(svc, "081399990003"))
    assert svc.login("081399990003", NEW_PASSWORD).id == account.id
    actions = _audit(svc, account.id)
    assert any("second" in action for action in actions), actions
    assert any("phone" in action for action in actions), actions


def _code(text: str) -> str:
    import re

    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)
