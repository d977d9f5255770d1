"""The holder's rights on the memory storage: receipts and deadlines, export (validated
against its published schema), correction, restriction, withdrawal, erasure and purge,
objection, the sign-in record and the breach notice."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from importlib import resources

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from journey_support import PASSWORD, Clock, Recorder
from test_cards_support import build, complete_profile, holder, open_account

from siapkerja_core import translations
from siapkerja_core.errors import RegistrationError
from siapkerja_core.rights import (
    ERASURE_HOLD,
    RESPONSE_TIME,
    RequestStatus,
    RightKind,
    RightsError,
    receipt_number,
)
from siapkerja_core.services.rights import json_resume
from siapkerja_core.sso import SsoError
from siapkerja_core.tokens.base import TokenError


def schema() -> dict[str, object]:
    text = resources.files("siapkerja_core.schemas").joinpath("export-v1.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def test_receipt_numbers_name_the_day_and_differ() -> None:
    clock = Clock()
    first = receipt_number(clock.now(), b"\x01" * 8)
    assert first.startswith(f"HAK-{clock.now():%Y%m%d}-")
    assert len(first) == 21
    assert first != receipt_number(clock.now(), b"\x02" * 8)


def test_an_objection_is_open_for_an_officer_due_in_3x24_hours(
    clock: Clock, recorder: Recorder
) -> None:
    svc = build(clock, recorder)
    account = open_account(svc)
    request = svc.rights.object(account.id, "Lamaran saya ditolak otomatis")
    assert request.status is RequestStatus.OPEN
    assert request.due_at - request.received_at == RESPONSE_TIME == timedelta(hours=72)
    assert [r.id for r in svc.rights.open_requests()] == [request.id]
    assert svc.rights.open_requests(overdue_only=True) == []
    clock.advance(hours=72, seconds=1)
    assert [r.id for r in svc.rights.open_requests(overdue_only=True)] == [request.id]
    done = svc.rights.complete(request.id, actor="cli:petugas", reason="ditinjau manusia")
    assert done.handled_by == "cli:petugas"
    assert done.completed_at == clock.now()
    assert svc.rights.open_requests() == []
    with pytest.raises(RightsError) as refused:
        svc.rights.complete(request.id, actor="cli:petugas")
    assert refused.value.code == "not_open"
    assert [a.action for a in svc.verifiers.audit(target=request.id)] == ["rights.complete"]
    assert ("rights.requested", account.id) in [
        (e.name, getattr(e, "account_id", None)) for e in recorder.events
    ]
    with pytest.raises(RightsError) as empty:
        svc.rights.object(account.id, "  ")
    assert empty.value.code == "invalid_note"


def test_the_export_validates_and_holds_the_record_of_processing(
    clock: Clock, recorder: Recorder
) -> None:
    svc = build(clock, recorder)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    svc.login(account.email, PASSWORD)
    verifier, _key = svc.register_verifier("BLK Bekasi", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    svc.resolve(token, verifier, purpose="pelatihan")
    document = svc.rights.export(account.id)
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    text = json.dumps(document)
    assert "password" not in text.replace("password_changed_at", "")
    assert document["account"]["nik"] == account.nik
    processing = document["processing"]
    assert len(processing["sign_ins"]) == 1
    assert [e["verifier_id"] for e in processing["access_log"]] == [verifier.id]
    assert document["json_resume"]["basics"]["name"] == account.full_name
    assert document["json_resume"]["education"][0]["institution"] == "BINUS University"
    assert document["rights_requests"][-1]["kind"] == "access"
    assert document["rights_requests"][-1]["status"] == "completed"


def test_json_resume_of_an_empty_profile(clock: Clock) -> None:
    svc = build(clock)
    account = open_account(svc)
    resume = json_resume(svc.profile(account.id))
    assert resume["work"] == []
    assert resume["basics"]["name"] == account.full_name


def test_restriction_refuses_verifiers_and_lifting_restores(
    clock: Clock, recorder: Recorder
) -> None:
    svc = build(clock, recorder)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    verifier, _key = svc.register_verifier("BLK Bekasi", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    svc.rights.restrict(account.id)
    assert svc.rights.restricted(account.id)
    with pytest.raises(TokenError) as refused:
        svc.resolve(token, verifier, purpose="pelatihan")
    assert refused.value.code == "suspended"
    with pytest.raises(RightsError):
        svc.rights.restrict(account.id)
    # the data are kept: the holder still reads them
    assert svc.rights.export(account.id)["account"]["restricted_at"] is not None
    svc.rights.lift_restriction(account.id)
    assert svc.resolve(token, verifier, purpose="pelatihan").disclosed
    names = [e.name for e in recorder.events]
    assert "account.restricted" in names
    assert "account.restriction_lifted" in names
    actions = [a.action for a in svc.verifiers.audit(target=account.id)]
    assert "account.restrict" in actions
    assert "account.lift_restriction" in actions


def test_lifting_keeps_an_officers_suspension(clock: Clock) -> None:
    svc = build(clock)
    account, _card = holder(svc)
    svc.suspend_card(account.id)
    clock.advance(minutes=1)
    svc.rights.restrict(account.id)
    svc.rights.lift_restriction(account.id)
    with svc.storage.transaction() as tx:
        stored = tx.cards.get(account.id)
    assert stored is not None
    assert stored.suspended_at is not None


def test_withdrawal_ends_every_consent_at_once(clock: Clock, recorder: Recorder) -> None:
    svc = build(clock, recorder)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    first, _ = svc.register_verifier("BLK Bekasi", ["blk"])
    second, _ = svc.register_verifier("LPK Maju", ["blk"])
    svc.grant_consent(account.id, first.id, "pelatihan")
    svc.grant_consent(account.id, second.id, "magang")
    svc.rights.withdraw_all(account.id)
    assert all(not c.active for c in svc.consents(account.id))
    view = svc.resolve(token, first, purpose="pelatihan")
    assert "nik" not in view.disclosed
    assert any(e.name == "consent.withdrawn_all" for e in recorder.events)


def test_correction_goes_through_dukcapil(clock: Clock) -> None:
    svc = build(clock)
    account = open_account(svc)
    with pytest.raises(RegistrationError) as wrong:
        svc.rights.correct_identity(account.id, full_name=account.full_name, mother_name="Salah")
    assert wrong.value.code == "mismatch"
    from journey_support import residents

    _nik, name, mother = residents(svc, 1)[0]
    request = svc.rights.correct_identity(account.id, full_name=name, mother_name=mother)
    assert request.kind is RightKind.CORRECTION
    assert request.status is RequestStatus.COMPLETED
    actions = [a.action for a in svc.verifiers.audit(target=account.id)]
    assert "account.identity_corrected" in actions


def test_erasure_frees_the_nik_and_purge_deletes_what_was_kept(
    clock: Clock, recorder: Recorder
) -> None:
    svc = build(clock, recorder)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    verifier, _ = svc.register_verifier("BLK Bekasi", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    svc.resolve(token, verifier, purpose="pelatihan")
    request = svc.rights.erase(account.id)
    assert request.purge_after == clock.now() + ERASURE_HOLD
    with svc.storage.transaction() as tx:
        assert tx.accounts.get(account.id) is None
        assert tx.accounts.find(nik=account.nik) is None
        assert tx.profiles.get(account.id) is None
        assert tx.consents.for_account(account.id) == []
        assert len(tx.access_log.for_account(account.id)) == 1  # kept for the hold
        kept = tx.cards.get(account.id)
        assert kept is not None
        assert kept.revoked_at is not None
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the account is gone
        svc.login(account.email, PASSWORD)
    with pytest.raises(TokenError):
        svc.resolve(token, verifier, purpose="pelatihan")
    assert svc.rights.purge() == {"accounts": 0}
    clock.advance(days=ERASURE_HOLD.days)
    totals = svc.rights.purge()
    assert totals["accounts"] == 1
    assert totals["access_log"] == 1
    assert totals["cards"] == 1
    with svc.storage.transaction() as tx:
        assert tx.access_log.for_account(account.id) == []
        assert tx.cards.get(account.id) is None
    assert svc.rights.purge()["accounts"] == 0
    # the same person may register again
    again = open_account(svc)
    assert again.nik == account.nik
    assert any(e.name == "account.erased" for e in recorder.events)


def test_sso_is_refused_while_restricted(clock: Clock) -> None:
    svc = build(clock)
    account = open_account(svc)
    complete_profile(svc, account)
    verifier, _ = svc.register_verifier("Karirhub", ["karirhub"])
    client, _secret = svc.sso.add_client(
        redirect_uris=["https://karirhub.example/cb"],
        fields=["contact"],
        purpose="karirhub",
        verifier_id=verifier.id,
    )
    svc.rights.restrict(account.id)
    with pytest.raises(SsoError) as refused:
        svc.sso.plan(client, account.id, "openid")
    assert refused.value.code == "account_restricted"
    svc.rights.lift_restriction(account.id)
    assert svc.sso.plan(client, account.id, "openid").client == client


def test_breach_notice_names_holders_data_and_actions(clock: Clock) -> None:
    svc = build(clock)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    verifier, _ = svc.register_verifier("LPK Bocor", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    start = clock.now()
    svc.resolve(token, verifier, purpose="pelatihan")
    clock.advance(hours=1)
    notice = svc.rights.breach_notice(
        start - timedelta(minutes=1),
        clock.now(),
        description="Kunci API LPK Bocor bocor.",
        actions="Kunci dicabut; pemilik data diberi tahu.",
    )
    assert notice.holders == (account.id,)
    assert notice.disclosures == 1
    assert "education" in notice.fields
    assert "Pasal 46" in notice.text_id
    assert "Article 46" in notice.text_en
    assert "LPK Bocor" in notice.text_en
    assert notice.as_json()["holder_count"] == 1
    with pytest.raises(RightsError):
        svc.rights.breach_notice(clock.now(), start, description="x", actions="y")


@given(st.datetimes(timezones=st.just(UTC)), st.binary(min_size=8, max_size=8))
def test_a_receipt_always_has_its_shape(at: datetime, token: bytes) -> None:
    assert re.fullmatch(r"HAK-\d{8}-[ABCDEFGHJKMNPQRSTVWXYZ2-9]{8}", receipt_number(at, token))


def test_every_kind_has_its_label_in_both_languages() -> None:
    catalogues = translations.catalogues()
    for kind in RightKind:
        labels = {catalogues.find(f"rights.kind.{kind.value}", lang) for lang in ("id", "en")}
        assert None not in labels
        assert len(labels) == 2, kind


def test_holders_named_in_a_breach_notice_get_an_sms(clock: Clock) -> None:
    svc = build(clock)
    account, _card = holder(svc)
    token = svc.card_qr(account.id).token
    verifier, _ = svc.register_verifier("LPK Bocor", ["blk"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    start = clock.now()
    svc.resolve(token, verifier, purpose="pelatihan")
    clock.advance(hours=1)
    notice = svc.rights.breach_notice(
        start, clock.now(), description="Kunci bocor.", actions="Kunci dicabut."
    )
    assert svc.rights.notify_breach(notice, actor="cli:petugas") == 1
    svc.deliver_outbox()
    last = list(svc.sms.messages)[-1]  # type: ignore[attr-defined]
    assert "data pribadi Anda mungkin terungkap" in last.text
    assert last.to == account.phone
    assert [a.action for a in svc.verifiers.audit(actor="cli:petugas")] == ["breach.notify"]


def test_an_erasure_with_a_password_checks_it_and_caps_wrong_ones(clock: Clock) -> None:
    svc = build(clock)
    account = open_account(svc)
    for _ in range(5):
        with pytest.raises(RightsError) as wrong:
            svc.rights.erase(account.id, password="bukan")
        assert wrong.value.code == "wrong_password"
    with pytest.raises(RightsError) as capped:
        svc.rights.erase(account.id, password=PASSWORD)
    assert capped.value.code == "throttled"
    clock.advance(hours=1)
    assert svc.rights.erase(account.id, password=PASSWORD).kind is RightKind.ERASURE
