"""The profile through the facade: partial updates, field-named errors, completeness, warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from journey_support import Clock
from test_cards_support import (
    STREET,
    build,
    complete_profile,
    full_sections,
    nik_birth_date,
    open_account,
    photo_png,
)

from siapkerja_core.completeness import ProfileIncomplete
from siapkerja_core.errors import CardError
from siapkerja_core.profile import ProfileError, Section, Sex, latest_birth_date
from siapkerja_core.service import Siapkerja

JOB_SEEKER_KEYS = (
    "birth",
    "sex",
    "marital_status",
    "religion",
    "headline",
    "email",
    "phone",
    "ktp_address",
    "domicile_address",
    "skills",
    "education",
    "photo",
)


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


def test_a_new_profile_starts_from_the_account(svc: Siapkerja) -> None:
    account = open_account(svc)
    profile = svc.profile(account.id)
    assert profile.full_name == account.full_name
    assert profile.contact.email == account.email
    assert profile.contact.phone == account.phone
    nik_sex = Sex.P if int(account.nik[6:8]) > 40 else Sex.L
    assert profile.biodata.sex is nik_sex
    assert profile.skills == ()
    assert profile.photo is None


def test_completeness_of_a_new_profile_lists_what_is_missing(svc: Siapkerja) -> None:
    account = open_account(svc)
    result = svc.completeness(account.id)
    assert not result.complete
    assert 0 < result.percent < 100
    assert result.missing_keys == (
        "birth",
        "marital_status",
        "religion",
        "headline",
        "ktp_address",
        "domicile_address",
        "skills",
        "education",
        "photo",
    )
    assert all(item.label_id and item.label_en for item in result.missing)


def test_partial_updates_keep_the_other_keys_and_sections(svc: Siapkerja) -> None:
    account = open_account(svc)
    svc.update_profile(account.id, biodata={"headline": "Backend Developer"})
    profile = svc.update_profile(account.id, biodata={"birth_place": "Bandung"})
    assert profile.biodata.headline == "Backend Developer"
    assert profile.biodata.birth_place == "Bandung"
    assert profile.contact.email == account.email  # untouched section

    svc.update_profile(account.id, ktp_address=full_sections(account)["ktp_address"])
    profile = svc.update_profile(account.id, ktp_address={"street": "Jl. Baru 9"})
    assert profile.ktp_address is not None
    assert profile.ktp_address.street == "Jl. Baru 9"
    assert profile.ktp_address.rt == "003"  # the rest of the address stays
    assert profile.ktp_address.postal_code == "11480"

    svc.update_profile(account.id, skills=["PHP", "Laravel"])
    profile = svc.update_profile(account.id, skills=[{"name": "Go"}])
    assert [s.name for s in profile.skills] == ["Go"]  # lists are replaced whole
    assert svc.profile(account.id) == profile  # stored


@pytest.mark.parametrize(
    ("sections", "field", "code"),
    [
        ({"biodata": {"birth_date": "1994-13-40"}}, "birth_date", "invalid_field"),
        ({"biodata": {"religion": "jedi"}}, "religion", "invalid_field"),
        (
            {"education": [{"institution": "UI", "level": "S1", "start_year": 2010, "gpa": 9.5}]},
            "education[0].gpa",
            "invalid_field",
        ),
        ({"ktp_address": {"village_code": "9999999999", "street": "X"}}, "village_code", None),
        ({"contact": {"email": "bukan-email"}}, "email", "invalid_field"),
        ({"visibility": {"published": ["contact"]}}, "published", "private_section"),
        ({"photo": {"content": b"x" * 500, "media_type": "image/png"}}, "photo", None),
    ],
)
def test_errors_name_the_field_and_change_nothing(
    svc: Siapkerja, sections: dict[str, object], field: str, code: str | None
) -> None:
    account = open_account(svc)
    before = svc.profile(account.id)
    with pytest.raises(ProfileError) as info:
        svc.update_profile(account.id, **sections)
    error = info.value
    assert error.full_code.startswith("profile.")
    if code is not None:
        assert error.code == code
    assert error.field is not None
    assert field in error.field, (error.field, str(error))
    assert svc.profile(account.id) == before


def test_an_unknown_section_is_refused(svc: Siapkerja) -> None:
    account = open_account(svc)
    with pytest.raises(ProfileError) as info:
        svc.update_profile(account.id, hobbies=["catur"])
    assert info.value.full_code == "profile.unknown_section"


def test_a_photo_round_trips(svc: Siapkerja) -> None:
    account = open_account(svc)
    profile = svc.update_profile(account.id, photo={"content": photo_png()})
    assert profile.photo is not None
    assert profile.photo.content == photo_png()
    assert profile.photo.media_type == "image/png"


def test_issue_card_refuses_an_incomplete_profile_until_complete(svc: Siapkerja) -> None:
    account = open_account(svc)
    sections = full_sections(account)
    percents = []
    for name in sections:
        result = svc.completeness(account.id)
        percents.append(result.percent)
        with pytest.raises(ProfileIncomplete) as info:
            svc.issue_card(account.id)
        assert info.value.code == "incomplete"
        assert info.value.full_code == "profile.incomplete"
        assert info.value.missing == result.missing_keys
        assert info.value.missing
        svc.update_profile(account.id, **{name: sections[name]})
    result = svc.completeness(account.id)
    assert result.complete
    assert result.percent == 100
    assert result.missing == ()
    assert percents == sorted(percents)
    assert percents[0] < percents[-1] < 100
    card = svc.issue_card(account.id)
    assert card.holder_name == account.full_name


def test_removing_a_required_section_makes_it_incomplete_again(svc: Siapkerja) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    svc.update_profile(account.id, skills=[])
    assert svc.completeness(account.id).missing_keys == ("skills",)
    with pytest.raises(ProfileIncomplete) as info:
        svc.issue_card(account.id)
    assert info.value.missing == ("skills",)


def test_a_birth_date_differing_from_the_nik_is_only_a_warning(svc: Siapkerja) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    assert svc.profile_warnings(account.id) == ()
    other = nik_birth_date(account.nik) + timedelta(days=3)
    profile = svc.update_profile(account.id, biodata={"birth_date": other.isoformat()})
    assert profile.biodata.birth_date == other  # accepted
    warnings = svc.profile_warnings(account.id)
    assert [(w.code, w.field) for w in warnings] == [("birth_date_differs", "biodata.birth_date")]
    assert other.isoformat() in warnings[0].message("en")
    assert svc.completeness(account.id).complete
    svc.issue_card(account.id)  # a warning never blocks the card


def test_a_birth_date_after_today_is_refused_and_nothing_is_written(
    svc: Siapkerja, clock: Clock
) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    before = svc.profile(account.id)
    # 01:00 UTC is 10:00 in WIT (UTC+9): today there is the clock's UTC date.
    tomorrow = clock.now().date() + timedelta(days=1)
    with pytest.raises(ProfileError) as info:
        svc.update_profile(account.id, biodata={"birth_date": tomorrow.isoformat()})
    assert info.value.code == "invalid_field"
    assert info.value.field == "biodata.birth_date"
    assert "cannot be after today" in info.value.message("en")
    assert "tidak boleh setelah hari ini" in info.value.message("id")
    assert svc.profile(account.id) == before
    with pytest.raises(ProfileError):  # not a century later either (a two-digit-year slip)
        svc.update_profile(account.id, biodata={"birth_date": "2999-01-01"})
    assert svc.profile(account.id) == before


def test_a_birth_date_of_today_in_papua_is_accepted_while_utc_is_still_yesterday(
    svc: Siapkerja, clock: Clock
) -> None:
    account = open_account(svc)
    clock.current = datetime(2025, 3, 3, 16, 0, tzinfo=UTC)  # 01:00 on the 4th in Jayapura
    born = date(2025, 3, 4)
    assert (
        svc.update_profile(account.id, biodata={"birth_date": born.isoformat()}).biodata.birth_date
        == born
    )
    assert latest_birth_date(clock.now()) == born
    with pytest.raises(ProfileError):
        svc.update_profile(account.id, biodata={"birth_date": "2025-03-05"})


def test_a_birth_date_kept_from_before_does_not_block_other_edits(
    svc: Siapkerja, clock: Clock
) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    kept = clock.now().date() + timedelta(days=2)
    clock.advance(days=3)
    svc.update_profile(account.id, biodata={"birth_date": kept.isoformat()})
    clock.advance(days=-3)  # a clock set back (or a value imported before the check)
    profile = svc.update_profile(account.id, skills=[{"name": "Las listrik"}])
    assert profile.biodata.birth_date == kept


def test_a_sex_differing_from_the_nik_is_a_warning(svc: Siapkerja) -> None:
    account = open_account(svc)
    current = svc.profile(account.id).biodata.sex
    flipped = Sex.P if current is Sex.L else Sex.L
    svc.update_profile(account.id, biodata={"sex": flipped.value})
    assert [w.code for w in svc.profile_warnings(account.id)] == ["sex_differs"]


def test_visibility_is_updated_partially(svc: Siapkerja) -> None:
    account = open_account(svc)
    profile = svc.update_profile(account.id, visibility={"published": ["headline", "sex"]})
    assert profile.visibility.published == {Section.HEADLINE, Section.SEX}


def test_unknown_accounts_are_refused(svc: Siapkerja) -> None:
    for call in (
        lambda: svc.profile("nobody"),
        lambda: svc.update_profile("nobody", biodata={"headline": "X"}),
        lambda: svc.completeness("nobody"),
        lambda: svc.profile_warnings("nobody"),
        lambda: svc.issue_card("nobody"),
    ):
        with pytest.raises(CardError) as info:
            call()
        assert info.value.full_code == "card.no_account"


def test_the_stored_street_is_the_one_given(svc: Siapkerja) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    profile = svc.profile(account.id)
    assert profile.ktp_address is not None
    assert profile.ktp_address.street == STREET
    assert profile.biodata.birth_date == nik_birth_date(account.nik)
    assert isinstance(profile.biodata.birth_date, date)
