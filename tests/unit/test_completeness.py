"""Tests of siapkerja_core.completeness: rule sets per stakeholder, percent, missing items."""

from __future__ import annotations

import pickle
import struct
from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.completeness import (
    EDUCATION,
    PHOTO,
    RULE_SETS,
    SKILLS,
    Completeness,
    MissingItem,
    ProfileIncomplete,
    Requirement,
    RuleSet,
    completeness,
    rules_for,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.profile import (
    Achievement,
    Address,
    Biodata,
    Certificate,
    Contact,
    Education,
    Language,
    Photo,
    Profile,
    Stakeholder,
    WorkExperience,
)

# A JPEG of 120 bytes: SOI, JFIF APP0, a comment segment, EOI.
_APP0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
_COMMENT = b"x" * (120 - 2 - len(_APP0) - 4 - 2)
JPEG = b"\xff\xd8" + _APP0 + b"\xff\xfe" + struct.pack(">H", len(_COMMENT) + 2) + _COMMENT
JPEG += b"\xff\xd9"

PALMERAH = "3173071001"  # Palmerah, Pal Merah, Kota Adm. Jakarta Barat


def galih(stakeholder: Stakeholder = Stakeholder.JOB_SEEKER) -> Profile:
    """Galih Agan Pambayun's profile from the seed, built with the Python API."""
    home = Address(village_code=PALMERAH, street="Jl. Palmerah Barat No. 10", rt="5", rw="3")
    return Profile(
        full_name="Galih Agan Pambayun",
        stakeholder=stakeholder,
        biodata=Biodata(
            birth_place="Jakarta",
            birth_date=date(1994, 3, 12),
            sex="L",
            marital_status="belum_menikah",
            religion="islam",
            headline="IT Professional",
        ),
        contact=Contact(email="galih.pambayun@example.com", phone="0812999999999"),
        ktp_address=home,
        domicile_address=home,
        skills=["PHP", "Symfony", "AngularJS", "Laravel", "Linux", "DevOps", "Java"],
        languages=[Language(name="English", level="menengah")],
        work=[
            WorkExperience(
                title="Backend Developer", company="Company", start="2021-06", location="Indonesia"
            )
        ],
        education=[
            Education(
                institution="BINUS University", level="S1", gpa=3.4, start_year=2016, end_year=2018
            )
        ],
        certificates=[
            Certificate(
                name="Japan Foundation Test for Basic Japanese",
                issuer="Japan Language Center",
                score="84",
                valid_from="2018-01",
            )
        ],
        achievements=[
            Achievement(
                title="Juara 3 Lomba Web Design ASC Tingkat Nasional",
                organiser="Kemnaker RI",
                date="2016-01",
            )
        ],
        photo=Photo(content=JPEG),
    )


EMPTY = Profile(full_name="Galih Agan Pambayun")


# --------------------------------------------------------------------------
# The rule sets
# --------------------------------------------------------------------------


def test_every_stakeholder_type_has_a_rule_set() -> None:
    assert set(RULE_SETS) == set(Stakeholder)
    for stakeholder, rules in RULE_SETS.items():
        assert rules.stakeholder is stakeholder
        assert rules_for(stakeholder) is rules
        assert rules_for(stakeholder.value) is rules


def test_what_each_rule_set_requires() -> None:
    common = {"birth", "sex", "email", "phone", "ktp_address", "domicile_address", "photo"}
    assert set(rules_for("job_seeker").keys) == common | {
        "marital_status",
        "religion",
        "headline",
        "skills",
        "education",
    }
    assert set(rules_for("worker").keys) == common | {
        "marital_status",
        "headline",
        "skills",
        "work",
        "education",
    }
    assert set(rules_for("trainee").keys) == common | {"education"}
    assert set(rules_for("entrepreneur").keys) == common | {"headline", "skills"}
    for rules in RULE_SETS.values():  # never required of anyone
        assert not {"languages", "certificates", "achievements"} & set(rules.keys)
    assert "work" not in rules_for("job_seeker").keys  # a first job is allowed


@pytest.mark.parametrize("stakeholder", list(Stakeholder))
def test_an_empty_profile_is_zero_percent(stakeholder: Stakeholder) -> None:
    result = completeness(attrs.evolve(EMPTY, stakeholder=stakeholder))
    assert result.percent == 0
    assert not result.complete
    assert result.stakeholder is stakeholder
    assert result.missing_keys == rules_for(stakeholder).keys


@pytest.mark.parametrize("stakeholder", list(Stakeholder))
def test_galih_is_complete_for_every_stakeholder_type(stakeholder: Stakeholder) -> None:
    result = completeness(galih(stakeholder))
    assert result == Completeness(stakeholder=stakeholder, percent=100, missing=())
    assert result.complete


def test_missing_items_are_listed_in_both_languages() -> None:
    profile = attrs.evolve(
        galih(),
        photo=None,
        skills=(),
        biodata=attrs.evolve(galih().biodata, headline=None),
    )
    result = completeness(profile)
    assert result.missing_keys == ("headline", "skills", "photo")
    assert result.labels("id") == (
        "Judul profil (misalnya IT Professional)",
        "Keahlian (minimal satu)",
        "Foto",
    )
    assert result.labels("en") == (
        "Headline (e.g. IT Professional)",
        "Skills (at least one)",
        "Photo",
    )
    assert result.missing[2] == MissingItem(key="photo", label_id="Foto", label_en="Photo")
    assert result.missing[2].label("en") == "Photo"
    # job seeker: 12 requirements, education weighs 2 → 13; 10 met → 76 %
    assert result.percent == 10 * 100 // 13


def test_weights_count() -> None:
    no_education = attrs.evolve(galih(), education=())
    assert completeness(no_education).percent == 11 * 100 // 13  # weight 2 of 13
    no_work = attrs.evolve(galih(Stakeholder.WORKER), work=())
    assert completeness(no_work).percent == 11 * 100 // 13  # worker: work weighs 2
    assert completeness(attrs.evolve(no_work, stakeholder="job_seeker")).percent == 100


def test_an_address_needs_its_street() -> None:
    bare = Address(village_code=PALMERAH)
    result = completeness(attrs.evolve(galih(), domicile_address=bare))
    assert result.missing_keys == ("domicile_address",)


def test_birth_needs_both_place_and_date() -> None:
    profile = galih()
    no_place = attrs.evolve(profile, biodata=attrs.evolve(profile.biodata, birth_place=None))
    assert completeness(no_place).missing_keys == ("birth",)


def test_the_stakeholder_decides_the_default_rules() -> None:
    trainee = attrs.evolve(EMPTY, stakeholder="trainee", education=galih().education)
    assert completeness(trainee).missing_keys == (
        "birth",
        "sex",
        "email",
        "phone",
        "ktp_address",
        "domicile_address",
        "photo",
    )
    assert completeness(trainee, rules_for("job_seeker")).stakeholder is Stakeholder.JOB_SEEKER


def test_a_custom_rule_set() -> None:
    rules = RuleSet(
        stakeholder=Stakeholder.WORKER,
        requirements=[
            SKILLS,
            PHOTO,
            attrs.evolve(EDUCATION, weight=2),
            Requirement(
                key="certificate",
                label_id="Sertifikat kompetensi",
                label_en="Competence certificate",
                check=lambda p: bool(p.certificates),
                weight=3,
            ),
        ],
    )
    result = completeness(attrs.evolve(galih(), certificates=()), rules)
    assert result.missing_keys == ("certificate",)
    assert result.percent == 4 * 100 // 7
    with pytest.raises(ValueError):
        RuleSet(stakeholder=Stakeholder.WORKER, requirements=[SKILLS, SKILLS])
    with pytest.raises(ValueError):
        RuleSet(stakeholder=Stakeholder.WORKER, requirements=[])
    with pytest.raises(ValueError):
        attrs.evolve(SKILLS, weight=0)


# --------------------------------------------------------------------------
# ProfileIncomplete
# --------------------------------------------------------------------------


def test_profile_incomplete_lists_the_labels_in_both_languages() -> None:
    result = completeness(attrs.evolve(galih(), photo=None, skills=()))
    error = ProfileIncomplete.from_completeness(result)
    assert isinstance(error, SiapkerjaError)
    assert error.full_code == "profile.incomplete"
    assert error.missing == ("skills", "photo")
    assert error.params["percent"] == result.percent
    assert error.message_id == (
        "Profil belum lengkap; lengkapi dulu: Keahlian (minimal satu); Foto."
    )
    assert error.message_en == (
        "The profile is incomplete; still missing: Skills (at least one); Photo."
    )
    assert str(error) == f"[profile.incomplete] {error.message_id} / {error.message_en}"


def test_profile_incomplete_from_keys_and_pickling() -> None:
    error = ProfileIncomplete(missing=("photo", "work", "something_new"))
    assert error.missing == ("photo", "work", "something_new")
    assert "Foto; Pengalaman kerja (minimal satu); something_new" in error.message_id
    clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (clone.missing, str(clone)) == (error.missing, str(error))


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

SECTIONS_TO_DROP = st.sets(
    st.sampled_from(
        ["photo", "skills", "education", "work", "ktp_address", "domicile_address", "contact"]
    )
)


def _drop(profile: Profile, sections: set[str]) -> Profile:
    empty = {
        "photo": None,
        "skills": (),
        "education": (),
        "work": (),
        "ktp_address": None,
        "domicile_address": None,
        "contact": Contact(),
    }
    return attrs.evolve(profile, **{s: empty[s] for s in sections})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(Stakeholder), SECTIONS_TO_DROP)
def test_percent_is_100_exactly_when_complete(stakeholder: Stakeholder, dropped: set[str]) -> None:
    result = completeness(_drop(galih(stakeholder), dropped))
    assert 0 <= result.percent <= 100
    assert result.complete == (result.percent == 100) == (not result.missing)
    assert set(result.missing_keys) <= set(rules_for(stakeholder).keys)
    fuller = completeness(galih(stakeholder))
    assert fuller.percent >= result.percent


# --- the stored completeness stamp (bulk issuance reads it instead of the profile) ----------

# The checks' source as of COMPLETENESS_REVISION 1. A storage keeps completeness_stamp beside
# each profile and bulk issuance trusts it, so a change to what a check accepts must bump
# COMPLETENESS_REVISION (the stamps written before stop being trusted) and then this digest.
CHECKS_DIGEST = ("aba5acf9ad41370d", 1)


def _checks_digest() -> str:
    import hashlib
    import importlib
    import inspect

    module = importlib.import_module("siapkerja_core.completeness")
    names = sorted(n for n in vars(module) if n.startswith("_has_") or n == "_full_address")
    source = "".join(inspect.getsource(getattr(module, name)) for name in names)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def test_a_changed_check_bumps_the_completeness_revision() -> None:
    from siapkerja_core.completeness import COMPLETENESS_REVISION

    assert (_checks_digest(), COMPLETENESS_REVISION) == CHECKS_DIGEST, (
        "a completeness check changed: bump COMPLETENESS_REVISION, then CHECKS_DIGEST"
    )


def test_the_stamp_says_complete_or_not_under_these_rules_only() -> None:
    from siapkerja_core.completeness import (
        RULES_FINGERPRINT,
        completeness_stamp,
        stamped_complete,
    )

    incomplete = Profile(full_name="Galih")
    assert completeness_stamp(incomplete) == f"{RULES_FINGERPRINT}:0"
    assert stamped_complete(completeness_stamp(incomplete)) is False
    assert stamped_complete(f"{RULES_FINGERPRINT}:1") is True
    for untrusted in (None, "", "0123456789ab:1", f"{RULES_FINGERPRINT}:2", RULES_FINGERPRINT):
        assert stamped_complete(untrusted) is None


def test_the_fingerprint_names_the_rule_sets_keys() -> None:
    import importlib

    module = importlib.import_module("siapkerja_core.completeness")
    before, original = module.RULES_FINGERPRINT, module.RULE_SETS
    rules = original[Stakeholder.TRAINEE]
    fewer = attrs.evolve(rules, requirements=rules.requirements[:-1])
    try:
        module.RULE_SETS = {**original, Stakeholder.TRAINEE: fewer}
        assert module._rules_fingerprint() != before
    finally:
        module.RULE_SETS = original
    assert module._rules_fingerprint() == before
