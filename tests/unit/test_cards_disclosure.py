"""Who sees what of a scanned card, consent for verifiers, and the holder's access ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from journey_support import Clock
from test_cards_support import (
    EVENT,
    build,
    holder,
    nik_birth_date,
    open_account,
    personal_strings,
)

from siapkerja_core.disclosure import Audience, DisclosureError, ProfileView, Verifier
from siapkerja_core.profile import NEVER_PUBLISHED, Section
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from siapkerja_core.views import Account, mask_nik
from support.gates import check_in, open_events

PUBLIC_DEFAULT = (
    "headline",
    "skills",
    "languages",
    "work",
    "education",
    "certificates",
    "achievements",
    "photo",
)
KARIRHUB = (
    "nik_masked",
    "headline",
    "contact",
    "domicile_address",
    "skills",
    "languages",
    "work",
    "education",
    "certificates",
    "achievements",
    "photo",
)
SERTIHUB = (
    "nik",
    "birth",
    "sex",
    "headline",
    "contact",
    "ktp_address",
    "work",
    "education",
    "certificates",
    "photo",
)
PURPOSE = "lamaran-kerja"


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


@pytest.fixture
def galih(svc: Siapkerja) -> tuple[Account, str]:
    """The holder and the current link token of their card."""
    account, _ = holder(svc)
    return account, svc.card_qr(account.id).token


def assert_public(view: ProfileView, account: Account, disclosed: tuple[str, ...]) -> None:
    assert view.full_name == account.full_name
    assert view.card_active
    assert view.nik is None
    assert view.disclosed == disclosed
    assert set(view.data) == set(disclosed)
    assert not set(view.disclosed) & {s.value for s in NEVER_PUBLISHED}
    assert not {"nik", "nik_masked"} & set(view.disclosed)
    text = repr(view)
    for value in [*personal_strings(account), mask_nik(account.nik)]:
        assert value not in text, value
    assert nik_birth_date(account.nik).isoformat() not in text
    assert "islam" not in text


def test_anonymous_sees_the_public_view(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    view = svc.resolve(token)
    assert view.audience is Audience.ANONYMOUS
    assert view.siapkerja_id == svc.card(account.id).siapkerja_id
    assert_public(view, account, PUBLIC_DEFAULT)
    assert view.data["headline"] == "IT Professional"
    assert [s["name"] for s in view.data["skills"]] == ["PHP", "Laravel"]
    assert not view.consent_required
    assert view.purpose is None


def test_the_public_view_follows_the_holders_choices(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    svc.resolve(token)  # a cached public view must not survive the change
    svc.update_profile(account.id, visibility={"published": ["sex", "skills", "marital_status"]})
    view = svc.resolve(token)
    assert view.disclosed == ("sex", "marital_status", "skills")
    assert view.data["marital_status"] == "belum_menikah"
    assert_public(view, account, ("sex", "marital_status", "skills"))
    svc.update_profile(account.id, skills=[{"name": "Rust"}])
    assert [s["name"] for s in svc.resolve(token).data["skills"]] == ["Rust"]
    svc.update_profile(account.id, visibility={"published": []})
    empty = svc.resolve(token)
    assert empty.disclosed == ()
    assert empty.full_name == account.full_name
    assert empty.siapkerja_id


def test_another_account_sees_the_public_view(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    other = open_account(svc, 1)
    anonymous = svc.resolve(token)
    view = svc.resolve(token, other)
    assert view.audience is Audience.ACCOUNT
    assert view.disclosed == anonymous.disclosed
    assert dict(view.data) == dict(anonymous.data)
    assert_public(view, account, PUBLIC_DEFAULT)


def test_the_holder_sees_everything(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    view = svc.resolve(token, account)
    assert view.audience is Audience.HOLDER
    assert view.nik == account.nik
    # The AK/I status too (use 1): the holder's own, "none" before an application.
    assert view.disclosed == ("nik", "aki", *(s.value for s in Section))
    assert view.aki == {"status": "none"}
    assert view.data["contact"]["email"] == account.email
    assert view.data["ktp_address"]["street"] == "Jl. Palmerah Barat No. 17"
    assert view.data["birth"]["birth_date"] == nik_birth_date(account.nik).isoformat()
    assert view.data["religion"] == "islam"


def test_a_verifier_without_consent_gets_the_public_view(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    view = svc.resolve(token, karirhub, purpose=PURPOSE)
    assert view.audience is Audience.VERIFIER
    assert view.consent_required
    assert view.verifier == "Karirhub"
    assert view.purpose == PURPOSE
    assert_public(view, account, PUBLIC_DEFAULT)


def test_karirhub_with_consent_sees_contact_and_the_masked_nik(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, PURPOSE)
    assert consent.active
    assert consent.fields is None
    view = svc.resolve(token, karirhub, purpose=PURPOSE)
    assert not view.consent_required
    assert view.disclosed == KARIRHUB
    assert view.nik == mask_nik(account.nik)
    assert view.nik != account.nik
    assert account.nik not in repr(view)
    assert view.data["contact"]["email"] == account.email
    assert "birth" not in view.data
    assert "ktp_address" not in view.data
    assert "religion" not in view.data
    assert nik_birth_date(account.nik).isoformat() not in repr(view)
    # A consent is bound to its purpose: another purpose is still closed.
    other = svc.resolve(token, karirhub, purpose="survei-gaji")
    assert other.consent_required
    assert other.disclosed == PUBLIC_DEFAULT


def test_sertihub_with_consent_sees_the_full_nik_and_birth_data(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    sertihub, _ = svc.register_verifier("LSP Informatika", ["sertihub"])
    svc.grant_consent(account.id, sertihub.id, "sertifikasi-2026")
    view = svc.resolve(token, sertihub, purpose="sertifikasi-2026")
    assert view.disclosed == SERTIHUB
    assert view.nik == account.nik
    assert view.data["birth"] == {
        "birth_place": "Jakarta",
        "birth_date": nik_birth_date(account.nik).isoformat(),
    }
    assert "domicile_address" not in view.data
    assert "skills" not in view.data


def test_a_consent_for_fewer_fields_shows_only_those(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(
        account.id, karirhub.id, PURPOSE, fields=["contact", "headline", "birth"]
    )
    assert consent.fields == {"contact", "headline"}  # birth is outside the scope
    view = svc.resolve(token, karirhub, purpose=PURPOSE)
    assert view.disclosed == ("headline", "contact")
    assert set(view.data) == {"headline", "contact"}
    assert view.nik is None


def test_a_withdrawn_consent_closes_the_view_again(
    svc: Siapkerja, galih: tuple[Account, str], clock: Clock
) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, PURPOSE)
    assert svc.resolve(token, karirhub, purpose=PURPOSE).disclosed == KARIRHUB
    clock.advance(hours=1)
    withdrawn = svc.withdraw_consent(account.id, consent.id)
    assert not withdrawn.active
    assert withdrawn.withdrawn_at == clock.now()
    view = svc.resolve(token, karirhub, purpose=PURPOSE)
    assert view.consent_required
    assert_public(view, account, PUBLIC_DEFAULT)
    assert [c.id for c in svc.consents(account.id)] == [consent.id]  # the record stays
    assert not svc.consents(account.id)[0].active


def test_only_the_holder_withdraws_their_consent(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, _ = galih
    other = open_account(svc, 1)
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, PURPOSE)
    with pytest.raises(DisclosureError) as info:
        svc.withdraw_consent(other.id, consent.id)
    assert info.value.full_code == "disclosure.unknown_consent"
    assert svc.consents(account.id)[0].active


def test_unregistered_and_inactive_verifiers_are_refused(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    stranger = Verifier(
        id="not-registered",
        name="Tidak Terdaftar",
        scopes=["disnaker"],
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(DisclosureError) as info:
        svc.resolve(token, stranger, purpose=PURPOSE)
    assert info.value.full_code == "disclosure.unknown_verifier"

    karirhub, api_key = svc.register_verifier("Karirhub", ["karirhub"])
    svc.grant_consent(account.id, karirhub.id, PURPOSE)
    with svc.storage.transaction() as tx:
        tx.verifiers.put(attrs.evolve(karirhub, active=False))
    with pytest.raises(DisclosureError) as info:
        svc.resolve(token, karirhub, purpose=PURPOSE)
    # An inactive verifier is a suspended one (docs/institutions.md): told so, not "unknown".
    assert info.value.full_code == "disclosure.verifier_suspended"
    with pytest.raises(DisclosureError) as info:
        svc.verifier(api_key)
    assert info.value.full_code == "disclosure.verifier_suspended"
    with pytest.raises(DisclosureError):
        svc.grant_consent(account.id, karirhub.id, "lain")
    assert [e.audience for e in svc.access_log(account.id)] == []  # refused: nothing seen


def test_a_verifier_must_state_a_purpose(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    svc.grant_consent(account.id, karirhub.id, PURPOSE)
    for purpose in (None, ""):
        with pytest.raises(DisclosureError) as info:
            svc.resolve(token, karirhub, purpose=purpose)
        assert info.value.full_code == "disclosure.purpose_required"
    with pytest.raises(DisclosureError) as info:
        svc.grant_consent(account.id, karirhub.id, "  ")
    assert info.value.full_code == "disclosure.purpose_required"


@pytest.mark.parametrize(
    ("granted", "scanned"),
    [
        ("Rekrutmen 2026", "rekrutmen 2026"),
        ("rekrutmen  2026 ", " REKRUTMEN 2026"),
        ("\uff52\uff45\uff4b\uff52\uff55\uff54\uff4d\uff45\uff4e 2026", "rekrutmen 2026"),
        ("rekrutmen\u00a02026", "rekrutmen 2026"),
    ],
)
def test_a_purpose_is_one_however_it_is_typed(
    svc: Siapkerja, galih: tuple[Account, str], granted: str, scanned: str
) -> None:
    """Spacing, case and compatibility forms do not make another purpose (issue 11)."""
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, granted)
    assert consent.purpose == "rekrutmen 2026"  # stored in its canonical form
    view = svc.resolve(token, karirhub, purpose=scanned)
    assert not view.consent_required
    assert view.purpose == "rekrutmen 2026"
    assert [entry.purpose for entry in svc.access_log(account.id)] == ["rekrutmen 2026"]


@pytest.mark.parametrize(
    "purpose",
    [
        "rekrutmen\n2026",
        "rekrutmen\t2026",
        "rekrutmen\x00",
        "rekrut\u200bmen",  # zero-width space: looks like "rekrutmen", is not
        "rekrutmen\u202e6202",  # a right-to-left override
        "x" * 201,
    ],
)
def test_a_purpose_with_control_characters_is_refused(
    svc: Siapkerja, galih: tuple[Account, str], purpose: str
) -> None:
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    with pytest.raises(DisclosureError) as info:
        svc.grant_consent(account.id, karirhub.id, purpose)
    assert info.value.full_code == "disclosure.purpose_invalid"
    svc.grant_consent(account.id, karirhub.id, "rekrutmen")
    with pytest.raises(DisclosureError) as info:
        svc.resolve(token, karirhub, purpose=purpose)
    assert info.value.full_code == "disclosure.purpose_invalid"
    assert svc.consents(account.id)[0].purpose == "rekrutmen"


def test_a_consent_stored_before_normalising_still_matches(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    """A record written by 0.2 (stripped only) is compared in the canonical form too."""
    account, token = galih
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, "rekrutmen")
    with svc.storage.transaction() as tx:
        tx.consents.put(attrs.evolve(consent, purpose="Rekrutmen"))
    assert not svc.resolve(token, karirhub, purpose="rekrutmen").consent_required


def test_a_verifier_is_found_by_its_api_key(svc: Siapkerja) -> None:
    karirhub, api_key = svc.register_verifier("Karirhub", ["karirhub"])
    other, other_key = svc.register_verifier("BLK Bekasi", ["blk", "skillhub"])
    assert api_key != other_key
    assert svc.verifier(api_key) == karirhub
    assert svc.verifier(other_key) == other
    assert other.scopes == {"blk", "skillhub"}
    for wrong in (api_key + "x", api_key[:-1], "", other_key.upper()):
        with pytest.raises(DisclosureError) as info:
            svc.verifier(wrong)
        assert info.value.full_code == "disclosure.unknown_verifier"


def test_unknown_scopes_are_refused(svc: Siapkerja) -> None:
    with pytest.raises(DisclosureError) as info:
        svc.register_verifier("X", ["semua"])
    assert info.value.full_code == "disclosure.unknown_scope"
    with pytest.raises(DisclosureError):
        svc.register_verifier("X", [])


# --- the access ledger --------------------------------------------------------------------


def test_every_scan_and_check_in_appends_one_entry(
    svc: Siapkerja, galih: tuple[Account, str], clock: Clock
) -> None:
    account, token = galih
    other = open_account(svc, 1)
    karirhub, _ = svc.register_verifier("Karirhub", ["karirhub"])
    scans = [
        lambda: svc.resolve(token),
        lambda: svc.resolve(token, other),
        lambda: svc.resolve(token, account),
        lambda: svc.resolve(token, karirhub, purpose=PURPOSE),
    ]
    views = []
    for scan in scans:
        clock.advance(seconds=5)
        before = len(svc.access_log(account.id))
        views.append(scan())
        log = svc.access_log(account.id)
        assert len(log) == before + 1
        entry = log[-1]
        assert entry.account_id == account.id
        assert entry.at == clock.now()
        assert entry.audience == views[-1].audience.value
        assert entry.fields == views[-1].disclosed
        assert entry.purpose == views[-1].purpose
        assert entry.channel == "link"
    svc.grant_consent(account.id, karirhub.id, PURPOSE)
    clock.advance(seconds=5)
    consented = svc.resolve(token, karirhub, purpose=PURPOSE)
    clock.advance(seconds=5)
    open_events(svc, EVENT)
    access = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    check_in(svc, access, EVENT)

    log = svc.access_log(account.id)
    assert len(log) == 6
    assert [e.at for e in log] == sorted(e.at for e in log)  # oldest first
    assert [e.audience for e in log] == [
        "anonymous",
        "account",
        "holder",
        "verifier",
        "verifier",
        "station",
    ]
    assert log[0].verifier_id is None
    assert log[1].viewer_account_id == other.id
    assert log[3].verifier_id == karirhub.id
    assert log[3].verifier_name == "Karirhub"
    assert log[3].fields == PUBLIC_DEFAULT  # no consent yet: the public fields
    assert log[4].fields == consented.disclosed == KARIRHUB
    assert log[4].purpose == PURPOSE
    assert log[5].purpose == EVENT
    assert log[5].channel == "access"
    assert log[5].fields == ("masked_name", "photo", "card_status")  # what the gate saw
    assert log[5].verifier_name is not None
    assert log[5].verifier_name.startswith("Kemnaker — Pusat Pasar Kerja")  # the organiser
    assert svc.access_log(other.id) == []  # the ledger is per holder


def test_the_ledger_never_holds_a_token(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    url = svc.card_qr(account.id).url
    assert url is not None
    svc.resolve(url)
    svc.resolve(token, account)
    open_events(svc, EVENT)
    access = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    check_in(svc, access, EVENT)
    entries = svc.access_log(account.id)
    assert len(entries) == 3
    text = repr(entries) + repr([attrs.asdict(e) for e in entries])
    for secret in (token, token[-32:], access, access[-103:], url):
        assert secret not in text
        assert secret.lower() not in text.lower()


def test_a_refused_token_logs_nothing(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    svc.rotate_card(account.id)
    with pytest.raises(TokenError):
        svc.resolve(token)
    assert svc.access_log(account.id) == []


def test_scans_in_the_same_instant_stay_in_the_order_made(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    # The clock does not move: the ledger must still read in append order
    # (eleven anonymous scans, then the holder's own).
    account, token = galih
    for _ in range(11):
        svc.resolve(token)
    svc.resolve(token, account)
    audiences = [e.audience for e in svc.access_log(account.id)]
    assert audiences == ["anonymous"] * 11 + ["holder"]


def test_views_hand_out_disclosed_sections_as_typed_objects(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    public = svc.resolve(token)
    assert [skill.name for skill in public.section(Section.SKILLS)] == ["PHP", "Laravel"]
    assert public.section("headline") == "IT Professional"
    for hidden in (Section.CONTACT, Section.KTP_ADDRESS, Section.BIRTH, Section.RELIGION):
        assert public.section(hidden) is None, hidden
    other = svc.resolve(token, open_account(svc, 1))  # the public view, evolved
    assert other.section(Section.CONTACT) is None
    assert other.section(Section.SKILLS) == public.section(Section.SKILLS)
    holder = svc.resolve(token, account)
    assert holder.section(Section.CONTACT).email == account.email
    assert holder.section(Section.KTP_ADDRESS).street == "Jl. Palmerah Barat No. 17"
    assert holder.section(Section.BIRTH)[1] == nik_birth_date(account.nik)
    assert "source" not in repr(holder)
