"""``svc.prefill``: consent requests answered by the holder, and the prefill document.

Through the facade on the memory storage with a manual clock: an institution
asks, the holder approves (possibly narrowing), declines or lets the request
expire; the document holds exactly the scope's fields narrowed by the
consent, is refused without consent, and each release is one ledger entry.
"""

from __future__ import annotations

import pytest
from journey_support import Clock, Recorder
from test_cards_support import EVENT, build, holder

from siapkerja_core.disclosure import DisclosureError, Verifier, scope_fields
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.prefill import (
    MAX_PENDING_REQUESTS,
    PrefillDocument,
    RequestStatus,
    validate,
)
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from siapkerja_core.views import Account

PURPOSE = "Pendaftaran pelatihan Las Listrik 2026"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


@pytest.fixture
def galih(svc: Siapkerja) -> Account:
    return holder(svc, 0)[0]


@pytest.fixture
def link(svc: Siapkerja, galih: Account) -> str:
    url = svc.card_qr(galih.id).url
    assert url is not None
    return url


@pytest.fixture
def blk(svc: Siapkerja) -> Verifier:
    return svc.register_verifier("BLK Bekasi", ["blk"])[0]


def ledger_size(svc: Siapkerja, account: Account) -> int:
    return len(svc.access_log(account.id))


def fails(code: str, action) -> SiapkerjaError:  # type: ignore[no-untyped-def]
    with pytest.raises(SiapkerjaError) as caught:
        action()
    assert caught.value.full_code == code, caught.value
    return caught.value


def test_the_institution_asks_the_holder_approves_the_institution_receives(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(link, blk, PURPOSE)
    assert request.status is RequestStatus.PENDING
    assert request.fields is None  # the whole scope
    assert request.verifier_name == "BLK Bekasi"
    assert request.purpose == "pendaftaran pelatihan las listrik 2026"
    assert [r.id for r in svc.prefill.pending(galih.id)] == [request.id]

    before = ledger_size(svc, galih)
    fails("prefill.consent_required", lambda: svc.prefill.document(link, blk, PURPOSE))
    assert ledger_size(svc, galih) == before  # nothing released, nothing logged

    consent = svc.prefill.approve(galih.id, request.id)
    assert consent.fields is None
    assert consent in svc.consents(galih.id)  # an ordinary consent
    assert svc.prefill.pending(galih.id) == []
    answered = svc.prefill.status(request.id, blk)
    assert answered.status is RequestStatus.APPROVED
    assert answered.consent_id == consent.id

    document = svc.prefill.document(link, blk, PURPOSE)
    assert isinstance(document, PrefillDocument)
    assert set(document.fields) == scope_fields(blk.scopes)
    assert document["nik"] == galih.nik
    assert isinstance(document["nik"], str)
    assert document["name"] == galih.full_name
    assert document["gender"] in ("male", "female")
    assert "religion" not in document  # not in the BLK scope
    assert "ktp_address" not in document
    assert "address" in document  # the domicile
    assert validate(document.to_json()) == []
    entries = svc.access_log(galih.id)
    assert len(entries) == before + 1
    assert entries[-1].verifier_name == "BLK Bekasi"
    assert entries[-1].purpose == "pendaftaran pelatihan las listrik 2026"
    assert entries[-1].fields == document.fields


def test_each_release_is_one_ledger_entry(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    svc.prefill.approve(galih.id, svc.prefill.request(link, blk, PURPOSE).id)
    before = ledger_size(svc, galih)
    svc.prefill.document(link, blk, PURPOSE)
    svc.prefill.json_resume(link, blk, PURPOSE)
    assert ledger_size(svc, galih) == before + 2


def test_the_holder_narrows_the_voluntary_fields_but_not_the_essential(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(
        link, blk, PURPOSE, ["contact", "skills", "work"], essential=["nik"]
    )
    assert request.fields == {"nik", "contact", "skills", "work"}  # essential ones are asked too
    fails(
        "prefill.essential_refused",
        lambda: svc.prefill.approve(galih.id, request.id, ["skills"]),
    )
    assert svc.consents(galih.id) == []  # nothing written
    assert svc.prefill.status(request.id, blk).status is RequestStatus.PENDING

    # A field not asked for is not given (the holder gives at most what was asked).
    consent = svc.prefill.approve(galih.id, request.id, ["nik", "skills", "photo"])
    assert consent.fields == {"nik", "skills"}
    document = svc.prefill.document(link, blk, PURPOSE)
    assert document.fields == ("nik", "skills")
    assert set(document.to_json()) == {
        "schema_version",
        "issued_at",
        "purpose",
        "institution",
        "fields",
        "siapkerja_id",
        "name",
        "nik",
        "skills",
    }
    for absent in ("email", "phone_number", "work", "address", "picture", "birthdate"):
        assert absent not in document


def test_fields_outside_the_scope_are_refused_when_asked(
    svc: Siapkerja, galih: Account, link: str
) -> None:
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    error = fails(
        "prefill.fields_outside_scope",
        lambda: svc.prefill.request(link, karirhub, "lamaran", ["nik", "skills"]),
    )
    assert error.params["fields"] == "nik"
    fails(
        "prefill.fields_outside_scope",
        lambda: svc.prefill.request(link, karirhub, "lamaran", essential=["religion"]),
    )
    assert svc.prefill.pending(galih.id) == []


def test_karirhub_gets_the_masked_nik_never_the_nik(
    svc: Siapkerja, galih: Account, link: str
) -> None:
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    svc.prefill.approve(galih.id, svc.prefill.request(link, karirhub, "lamaran").id)
    document = svc.prefill.document(link, karirhub, "lamaran")
    assert "nik" not in document
    assert document["nik_masked"] == galih.nik[:4] + "*" * 10 + galih.nik[14:]
    assert galih.nik not in str(document.to_json())
    assert galih.nik not in str(document.to_json_resume())


def test_a_declined_request_releases_nothing_and_stays_declined(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(link, blk, PURPOSE)
    declined = svc.prefill.decline(galih.id, request.id)
    assert declined.status is RequestStatus.DECLINED
    assert svc.prefill.status(request.id, blk).status is RequestStatus.DECLINED
    fails("prefill.request_closed", lambda: svc.prefill.approve(galih.id, request.id))
    fails("prefill.request_closed", lambda: svc.prefill.decline(galih.id, request.id))
    fails("prefill.consent_required", lambda: svc.prefill.document(link, blk, PURPOSE))
    assert svc.consents(galih.id) == []


def test_an_unanswered_request_expires(
    svc: Siapkerja, clock: Clock, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(link, blk, PURPOSE)
    clock.advance(days=7)
    assert svc.prefill.pending(galih.id) == []
    assert svc.prefill.status(request.id, blk).status is RequestStatus.EXPIRED
    fails("prefill.request_expired", lambda: svc.prefill.approve(galih.id, request.id))
    # Asking again makes a new request.
    again = svc.prefill.request(link, blk, PURPOSE)
    assert again.id != request.id
    assert [r.id for r in svc.prefill.pending(galih.id)] == [again.id]


def test_asking_again_returns_the_waiting_request(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    first = svc.prefill.request(link, blk, PURPOSE, ["skills"])
    token = link.rsplit("/", 1)[-1]
    assert svc.prefill.request(token, blk, f"  {PURPOSE.upper()} ", ["skills"]).id == first.id
    other = svc.prefill.request(link, blk, PURPOSE, ["skills", "work"])
    assert other.id != first.id
    assert len(svc.prefill.pending(galih.id)) == 2


def test_a_verifier_cannot_flood_the_holder(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    for n in range(MAX_PENDING_REQUESTS):
        svc.prefill.request(link, blk, f"kelas {n}")
    fails("prefill.too_many_pending", lambda: svc.prefill.request(link, blk, "satu lagi"))
    assert len(svc.prefill.pending(galih.id)) == MAX_PENDING_REQUESTS


def test_requests_belong_to_their_institution_and_their_holder(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(link, blk, PURPOSE)
    other_verifier, _ = svc.register_verifier("LPK Lain", ["blk"])
    fails("prefill.unknown_request", lambda: svc.prefill.status(request.id, other_verifier))
    other_holder = holder(svc, 1)[0]
    fails("prefill.unknown_request", lambda: svc.prefill.approve(other_holder.id, request.id))
    fails("prefill.unknown_request", lambda: svc.prefill.decline(other_holder.id, request.id))
    fails("prefill.unknown_request", lambda: svc.prefill.approve(galih.id, "no-such-request"))
    assert svc.prefill.pending(other_holder.id) == []


def test_only_a_genuine_current_link_is_asked_about(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    access = svc.card_qr(galih.id, mode="access", purpose=EVENT).token
    fails("token.wrong_mode", lambda: svc.prefill.request(access, blk, PURPOSE))
    fails("token.wrong_mode", lambda: svc.prefill.document(access, blk, PURPOSE))
    with pytest.raises(TokenError):
        svc.prefill.request(link[:-3] + "xyz", blk, PURPOSE)
    svc.rotate_card(galih.id)  # the old link stops working at once
    with pytest.raises(TokenError):
        svc.prefill.request(link, blk, PURPOSE)


def test_an_unregistered_verifier_or_a_bad_purpose_is_refused(
    svc: Siapkerja, link: str, blk: Verifier
) -> None:
    stranger = Verifier(id="nope", name="Palsu", scopes=["disnaker"], created_at=blk.created_at)
    fails("disclosure.unknown_verifier", lambda: svc.prefill.request(link, stranger, PURPOSE))
    fails("disclosure.unknown_verifier", lambda: svc.prefill.document(link, stranger, PURPOSE))
    fails("disclosure.purpose_required", lambda: svc.prefill.request(link, blk, "  "))
    fails("disclosure.purpose_invalid", lambda: svc.prefill.request(link, blk, "a\u200bb"))


def test_a_withdrawn_consent_stops_the_documents(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    consent = svc.prefill.approve(galih.id, svc.prefill.request(link, blk, PURPOSE).id)
    svc.prefill.document(link, blk, PURPOSE)
    svc.withdraw_consent(galih.id, consent.id)
    before = ledger_size(svc, galih)
    fails("prefill.consent_required", lambda: svc.prefill.document(link, blk, PURPOSE))
    assert ledger_size(svc, galih) == before
    # A consent covers its purpose only.
    svc.prefill.approve(galih.id, svc.prefill.request(link, blk, PURPOSE).id)
    fails("prefill.consent_required", lambda: svc.prefill.document(link, blk, "tujuan lain"))


def test_a_suspended_institution_cannot_be_approved(
    svc: Siapkerja, galih: Account, link: str, blk: Verifier
) -> None:
    request = svc.prefill.request(link, blk, PURPOSE)
    with svc.storage.transaction() as tx:
        tx.verifiers.put(Verifier(**{**_fields(blk), "active": False}))
    with pytest.raises(DisclosureError):
        svc.prefill.approve(galih.id, request.id)
    assert svc.consents(galih.id) == []
    assert svc.prefill.status(request.id, blk).status is RequestStatus.PENDING


def _fields(verifier: Verifier) -> dict[str, object]:
    return {
        "id": verifier.id,
        "name": verifier.name,
        "scopes": verifier.scopes,
        "created_at": verifier.created_at,
        "active": verifier.active,
    }


def test_the_headline_codes_travel_with_the_headline_only(
    svc: Siapkerja, galih: Account, link: str
) -> None:
    svc.update_profile(galih.id, biodata={"occupation": {"kbji": "2512.01", "isco08": "2512"}})
    bizhub, _ = svc.register_verifier("Bizhub", ["bizhub"])
    svc.prefill.approve(galih.id, svc.prefill.request(link, bizhub, "tkm pemula").id)
    document = svc.prefill.document(link, bizhub, "tkm pemula")
    assert document["headline_occupation"] == {"kbji": "2512.01", "isco08": "2512"}
    narrowed = svc.prefill.request(link, bizhub, "tkm lanjutan", ["skills"])
    svc.prefill.approve(galih.id, narrowed.id)
    assert "headline_occupation" not in svc.prefill.document(link, bizhub, "tkm lanjutan")


def test_requests_and_answers_are_announced_without_personal_data(clock: Clock) -> None:
    recorder = Recorder()
    svc = build(clock, recorder)
    galih = holder(svc, 0)[0]
    url = svc.card_qr(galih.id).url
    assert url is not None
    blk, _ = svc.register_verifier("BLK Bekasi", ["blk"])
    first = svc.prefill.request(url, blk, PURPOSE, ["skills", "nik"])
    svc.prefill.request(url, blk, PURPOSE, ["skills", "nik"])  # the same: no new event
    second = svc.prefill.request(url, blk, "kelas lain")
    svc.prefill.approve(galih.id, first.id)
    svc.prefill.decline(galih.id, second.id)
    events = [e for e in recorder.events if e.name.startswith("consent.")]
    assert [(e.name, getattr(e, "status", None)) for e in events] == [
        ("consent.requested", None),
        ("consent.requested", None),
        ("consent.changed", None),
        ("consent.request_answered", "approved"),
        ("consent.request_answered", "declined"),
    ]
    assert events[0].fields == ("nik", "skills")  # type: ignore[attr-defined]
    assert events[1].fields == ()  # type: ignore[attr-defined]
    text = repr(events)
    for secret in (galih.nik, galih.email, galih.phone, galih.full_name):
        assert secret not in text
