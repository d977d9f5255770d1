"""The programme rules, pure: ages at the boundary days, each rule's outcome, the verdict,
the definitions' parser (with hypothesis) and the bundled JKP, BSU and Prakerja.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.nik import compose_nik
from siapkerja_core.profile import EmploymentStatus, Sex
from siapkerja_core.programmes import (
    RULES,
    AgeBetween,
    AkiRegistered,
    EmploymentStatusIn,
    Facts,
    Manual,
    NotEnrolled,
    Outcome,
    PhoneVerified,
    ProfileComplete,
    Programme,
    ProgrammeError,
    RegionIn,
    age_on,
    evaluate,
    load_programme,
    parse_programme,
    parse_requirements,
)
from siapkerja_core.services.programmes import BUNDLED_PROGRAMMES, bundled_programme

GALIH_NIK = "3173071203940042"  # born 12 March 1994
FAUZI_NIK = "3273010411680317"  # born 4 November 1968


def facts(nik: str = GALIH_NIK, **changes: Any) -> Facts:
    return Facts(account_id="acct", nik=nik, **changes)


def programme(*requirements: Any, programme_id: str = "p") -> Programme:
    return Programme(id=programme_id, name="P", requirements=tuple(requirements))


# --- ages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(1994, 3, 12), date(2030, 3, 11), 35),  # the eve of the birthday
        (date(1994, 3, 12), date(2030, 3, 12), 36),  # the birthday itself
        (date(1994, 3, 12), date(2030, 12, 31), 36),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # no 29 February in 2026: not yet
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_in_whole_years_turns_on_the_birthday(born: date, today: date, age: int) -> None:
    assert age_on(born, today) == age


def test_age_between_is_inclusive_at_both_ends_from_the_nik() -> None:
    rule = AgeBetween(min=18, max=35)
    # Galih: 35 on the eve of his 36th birthday, refused on it.
    assert rule.evaluate(facts(), date(2030, 3, 11)).met
    late = rule.evaluate(facts(), date(2030, 3, 12))
    assert late.outcome is Outcome.NOT_MET
    assert "36" in late.reason_id
    assert "35" in late.reason_en
    # 18 on the 18th birthday exactly, not the day before.
    young = compose_nik("317307", date(2008, 6, 1), Sex.L, 1)
    assert not rule.evaluate(facts(young), date(2026, 5, 31)).met
    assert rule.evaluate(facts(young), date(2026, 6, 1)).met


def test_a_womans_nik_gives_her_birth_date_not_day_plus_forty() -> None:
    woman = compose_nik("317307", date(2000, 7, 20), Sex.P, 12)
    assert woman[6:8] == "60"
    rule = AgeBetween(min=26)
    assert not rule.evaluate(facts(woman), date(2026, 7, 19)).met
    assert rule.evaluate(facts(woman), date(2026, 7, 20)).met


def test_only_one_bound_may_be_given() -> None:
    assert AgeBetween(min=18).evaluate(facts(FAUZI_NIK), date(2026, 12, 6)).met
    old = AgeBetween(max=53).evaluate(facts(FAUZI_NIK), date(2026, 12, 6))
    assert not old.met
    assert "58" in old.reason_en


# --- each rule -------------------------------------------------------------------------------

DAY = date(2026, 12, 6)


def test_employment_status_missing_listed_or_not() -> None:
    rule = EmploymentStatusIn(statuses=(EmploymentStatus.PHK, EmploymentStatus.TIDAK_BEKERJA))
    missing = rule.evaluate(facts(), DAY)
    assert not missing.met
    assert "biodata" in missing.reason_en
    assert rule.evaluate(facts(employment_status=EmploymentStatus.PHK), DAY).met
    student = rule.evaluate(facts(employment_status=EmploymentStatus.PELAJAR), DAY)
    assert not student.met
    assert "Student" in student.reason_en
    assert "Laid off" in student.reason_en


@pytest.mark.parametrize(
    ("address", "domicile", "ktp", "met"),
    [
        ("either", "3173071001", None, True),
        ("either", None, "3173071001", True),
        ("either", "3274010001", "3507010001", False),
        ("domicile", None, "3173071001", False),
        ("ktp", "3173071001", None, False),
        ("ktp", None, "3173071001", True),
        ("either", None, None, False),
    ],
)
def test_region_is_a_code_prefix_of_the_chosen_address(
    address: Any, domicile: str | None, ktp: str | None, met: bool
) -> None:
    rule = RegionIn(codes=("31", "3273"), address=address)
    result = rule.evaluate(facts(domicile_region=domicile, ktp_region=ktp), DAY)
    assert result.met is met


def test_a_district_code_does_not_match_a_neighbouring_prefix() -> None:
    rule = RegionIn(codes=("317307",))
    assert not rule.evaluate(facts(domicile_region="3173081001"), DAY).met
    assert rule.evaluate(facts(domicile_region="3173071001"), DAY).met


def test_aki_unknown_is_not_met_with_its_own_reason() -> None:
    rule = AkiRegistered()
    unknown = rule.evaluate(facts(aki_registered=None), DAY)
    no = rule.evaluate(facts(aki_registered=False), DAY)
    assert unknown.outcome is no.outcome is Outcome.NOT_MET
    assert unknown.reason_en != no.reason_en
    assert rule.evaluate(facts(aki_registered=True), DAY).met


def test_not_enrolled_in_the_programme_or_its_groups() -> None:
    rule = NotEnrolled(groups=("prakerja",))
    assert rule.evaluate(facts(), DAY, "prakerja").met
    same = rule.evaluate(facts(programmes=frozenset({"prakerja"})), DAY, "prakerja")
    assert not same.met
    assert "prakerja" in same.reason_en
    grouped = rule.evaluate(facts(groups=frozenset({"prakerja"})), DAY, "prakerja-2027")
    assert not grouped.met
    other = facts(programmes=frozenset({"bsu"}), groups=frozenset({"bsu"}))
    assert rule.evaluate(other, DAY, "prakerja").met


def test_the_verdict_names_every_failed_rule_and_manual_ones_do_not_block() -> None:
    prakerja = programme(
        ProfileComplete(),
        PhoneVerified(),
        AgeBetween(min=18, max=35),
        Manual(key="wage", text_id="Upah", text_en="Wage"),
        programme_id="prakerja",
    )
    fine = evaluate(prakerja, facts(profile_complete=True, phone_verified=True), DAY)
    assert fine.eligible
    assert [r.rule for r in fine.to_verify] == ["wage"]
    assert fine.failed == ()
    bad = evaluate(prakerja, facts(FAUZI_NIK), DAY)
    assert not bad.eligible
    assert [r.rule for r in bad.failed] == ["profile_complete", "phone_verified", "age_between"]
    refusal = bad.refusal()
    assert refusal.full_code == "programme.not_eligible"
    assert refusal.params["rules"] == ["profile_complete", "phone_verified", "age_between"]
    for result in bad.failed:
        assert result.reason_id in refusal.message_id
        assert result.reason_en in refusal.message_en
    assert bad.as_dict()["results"][3]["outcome"] == "to_verify"
    assert evaluate(programme(), facts(), DAY).eligible  # no requirement: anyone


def test_every_reason_is_rendered_in_both_languages() -> None:
    every = programme(
        ProfileComplete(),
        AgeBetween(min=18, max=20),
        EmploymentStatusIn(statuses=(EmploymentStatus.BEKERJA,)),
        RegionIn(codes=("35",)),
        PhoneVerified(),
        AkiRegistered(),
        NotEnrolled(),
        Manual(key="k", text_id="teks", text_en="text"),
    )
    for answer in (
        evaluate(every, facts(), DAY),
        evaluate(every, facts(profile_complete=True, aki_registered=True), DAY),
    ):
        for result in answer.results:
            assert result.reason_id
            assert result.reason_en
            assert result.reason_id != result.reason_en
            assert "{" not in result.reason_id + result.reason_en
            assert not result.reason_id.startswith("programme.rule.")


# --- the definitions' parser --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "at"),
    [
        ([{"rule": "nope"}], "requirements[0].rule"),
        ([{"rule": "profile_complete", "extra": 1}], "requirements[0].extra"),
        ([{"rule": "age_between"}], "requirements[0]"),
        ([{"rule": "age_between", "min": 40, "max": 30}], "requirements[0].max"),
        ([{"rule": "age_between", "min": "18"}], "requirements[0].min"),
        ([{"rule": "age_between", "min": True}], "requirements[0].min"),
        ([{"rule": "age_between", "min": 18.0}], "requirements[0].min"),
        ([{"rule": "employment_status_in", "statuses": ["ASN"]}], "requirements[0].statuses[0]"),
        ([{"rule": "employment_status_in", "statuses": []}], "requirements[0].statuses"),
        ([{"rule": "region_in", "codes": ["3"]}], "requirements[0].codes[0]"),
        ([{"rule": "region_in", "codes": ["31"], "address": "home"}], "requirements[0].address"),
        ([{"rule": "not_enrolled", "groups": "prakerja"}], "requirements[0].groups"),
        ([{"rule": "not_enrolled", "groups": ["Pra Kerja"]}], "requirements[0].groups[0]"),
        ([{"rule": "manual", "key": "k", "text_id": "t"}], "requirements[0].text_en"),
        (
            [
                {"rule": "manual", "key": "k", "text_id": "a", "text_en": "a"},
                {"rule": "manual", "key": "k", "text_id": "b", "text_en": "b"},
            ],
            "requirements",
        ),
        ([1], "requirements[0]"),
        ({"rule": "profile_complete"}, "requirements"),
        ([{"rule": "profile_complete"}] * 51, "requirements"),
    ],
)
def test_a_bad_requirement_is_refused_naming_where(data: object, at: str) -> None:
    with pytest.raises(ProgrammeError) as refused:
        parse_requirements(data)
    assert refused.value.full_code == "programme.invalid"
    assert refused.value.params["at"] == at
    assert refused.value.message_id != refused.value.message_en


@pytest.mark.parametrize(
    ("data", "at"),
    [
        ([], "$"),
        ({"name": "X", "requirements": []}, "id"),
        ({"id": "Prakerja", "name": "X", "requirements": []}, "id"),
        ({"id": "p", "requirements": []}, "name"),
        ({"id": "p", "name": "X"}, "requirements"),
        ({"id": "p", "name": "X", "requirements": [], "public": "yes"}, "public"),
        ({"id": "p", "name": "X", "requirements": [], "owner": "me"}, "owner"),
        ({"id": "p", "name": "X", "requirements": [], "exclusion_group": "A B"}, "exclusion_group"),
    ],
)
def test_a_bad_programme_is_refused_naming_where(data: object, at: str) -> None:
    with pytest.raises(ProgrammeError) as refused:
        parse_programme(data)
    assert refused.value.params["at"] == at


def test_text_that_is_not_json_or_toml_is_refused() -> None:
    for text, kind in (("{", "json"), ("id = ", "toml"), (b"\xff\xfe", "json")):
        with pytest.raises(ProgrammeError) as refused:
            load_programme(text, kind)  # type: ignore[arg-type]
        assert refused.value.params["at"] == "$"


def test_json_and_toml_read_the_same_programme() -> None:
    from_json = load_programme(
        json.dumps(
            {
                "id": "vokasi",
                "name": "Vokasi",
                "requirements": [
                    {"rule": "region_in", "codes": ["35.07"]},
                    {"rule": "aki_registered"},
                ],
            }
        )
    )
    from_toml = load_programme(
        'id = "vokasi"\nname = "Vokasi"\n[[requirements]]\nrule = "region_in"\ncodes = ["35.07"]\n'
        '[[requirements]]\nrule = "aki_registered"\n',
        "toml",
    )
    assert from_json == from_toml
    assert from_json.requirements[0] == RegionIn(codes=("3507",))


# Valid requirement records, as an operator would write them.
_KEYS = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,20}", fullmatch=True)
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
    lambda t: t.strip() and " ".join(t.split()) == t
)
_AGES = st.integers(0, 150)
_REQUIREMENT = st.one_of(
    st.just({"rule": "profile_complete"}),
    st.just({"rule": "phone_verified"}),
    st.just({"rule": "aki_registered"}),
    st.tuples(_AGES, _AGES).map(lambda a: {"rule": "age_between", "min": min(a), "max": max(a)}),
    _AGES.map(lambda a: {"rule": "age_between", "min": a}),
    st.lists(st.sampled_from([s.value for s in EmploymentStatus]), min_size=1, unique=True).map(
        lambda s: {"rule": "employment_status_in", "statuses": s}
    ),
    st.tuples(
        st.lists(st.from_regex(r"\d{2}(\d{2}){0,4}", fullmatch=True), min_size=1, unique=True),
        st.sampled_from(["domicile", "ktp", "either"]),
    ).map(lambda c: {"rule": "region_in", "codes": c[0], "address": c[1]}),
    st.lists(_KEYS, unique=True, max_size=3).map(lambda g: {"rule": "not_enrolled", "groups": g}),
)


@given(
    st.lists(_REQUIREMENT, max_size=10),
    st.lists(st.tuples(_KEYS, _TEXT, _TEXT), max_size=3, unique_by=lambda m: m[0]),
    st.booleans(),
)
@settings(max_examples=150)
def test_a_definition_round_trips_through_its_data_and_json(
    rules: list[dict[str, Any]], manual: list[tuple[str, str, str]], public: bool
) -> None:
    data = {
        "id": "program-uji",
        "name": "Program uji",
        "public": public,
        "exclusion_group": "uji",
        "requirements": [
            *rules,
            *({"rule": "manual", "key": k, "text_id": i, "text_en": e} for k, i, e in manual),
        ],
    }
    parsed = parse_programme(data)
    assert len(parsed.requirements) == len(data["requirements"])
    again = parse_programme(parsed.as_data())
    assert again == parsed
    assert load_programme(json.dumps(parsed.as_data())) == parsed


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "rule",
                    "min",
                    "max",
                    "statuses",
                    "codes",
                    "address",
                    "groups",
                    "key",
                    "text_id",
                    "text_en",
                    "id",
                    "name",
                    "requirements",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
_ALMOST = st.fixed_dictionaries(
    {"id": st.just("p"), "name": st.just("P")},
    optional={
        "requirements": st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "rule",
                        "min",
                        "max",
                        "statuses",
                        "codes",
                        "address",
                        "groups",
                        "key",
                        "text_id",
                        "text_en",
                    ]
                ),
                st.sampled_from(RULES) | _JSON,
                max_size=4,
            ),
            max_size=4,
        ),
        "public": _JSON,
        "exclusion_group": _JSON,
    },
)


@given(_JSON | _ALMOST)
@settings(max_examples=300)
def test_any_data_is_a_programme_or_a_programme_error(data: object) -> None:
    refusals: list[ProgrammeError] = []
    try:
        parsed = parse_programme(data)
    except ProgrammeError as refused:  # any other exception fails the test
        refusals.append(refused)
    else:
        assert parse_programme(parsed.as_data()) == parsed
    for refused in refusals:
        assert refused.code == "invalid"
        assert isinstance(refused.params["at"], str)
        assert str(refused)  # renders in both languages


@given(st.text(max_size=200) | st.binary(max_size=200), st.sampled_from(["json", "toml"]))
@settings(max_examples=200)
def test_any_text_is_a_programme_or_a_programme_error(text: str | bytes, kind: str) -> None:
    refusals: list[ProgrammeError] = []
    try:
        load_programme(text, kind)  # type: ignore[arg-type]
    except ProgrammeError as refused:  # any other exception fails the test
        refusals.append(refused)
    assert all(r.code == "invalid" for r in refusals)


# --- the bundled examples -----------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED_PROGRAMMES)
def test_the_bundled_programmes_load_and_say_where_they_come_from(name: str) -> None:
    found = bundled_programme(name)
    assert found.id == name
    assert found.source
    assert found.exclusion_group == name
    assert parse_programme(found.as_data()) == found
    manual = [r for r in found.requirements if isinstance(r, Manual)]
    assert manual, "what the profile cannot know is the programme's to check"
    assert any(isinstance(r, ProfileComplete) for r in found.requirements)


def test_the_bundled_criteria() -> None:
    prakerja = bundled_programme("prakerja")
    ages = [r for r in prakerja.requirements if isinstance(r, AgeBetween)]
    assert ages == [AgeBetween(min=18)]
    statuses = next(r for r in prakerja.requirements if isinstance(r, EmploymentStatusIn))
    assert EmploymentStatus.PELAJAR not in statuses.statuses  # not in formal education
    assert NotEnrolled(groups=("prakerja",)) in prakerja.requirements  # once per person
    bsu = bundled_programme("bsu")
    assert "wage_ceiling" in [r.key for r in bsu.requirements if isinstance(r, Manual)]
    jkp = bundled_programme("jkp")
    status = next(r for r in jkp.requirements if isinstance(r, EmploymentStatusIn))
    assert status.statuses == (EmploymentStatus.PHK,)
    with pytest.raises(ProgrammeError):
        bundled_programme("../etc/passwd")
