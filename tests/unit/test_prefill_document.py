"""The prefill document against its published JSON Schema, JSON Resume, and labour codes.

* The shipped schema file is the declared schema, a valid Draft 2020-12
  schema, using only the keywords the core's validator understands.
* For hypothesis-generated profiles, scopes and consents, every document the
  service emits validates (with ``jsonschema``, a test dependency, and with
  the core's own validator) and holds no member of a field not released.
* The core's validator agrees with ``jsonschema`` on broken documents too.
* The JSON Resume has the jsonresume.org v1.0.0 shape.
* KBJI / ISCO-08 / ESCO codes: what the format checks accept and refuse; old
  profiles without codes still load.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journey_support import Clock
from test_cards_support import address, build, holder

from siapkerja_core.converter import structure_profile, structure_stored_profile, unstructure
from siapkerja_core.disclosure import SCOPES, Verifier, scope_fields
from siapkerja_core.prefill import (
    SCHEMA_ID,
    prefill_schema,
    schema_text,
    shipped_schema,
    validate,
)
from siapkerja_core.prefill.schema import FIELD_NAMES, SUPPORTED_KEYWORDS
from siapkerja_core.profile import (
    EducationLevel,
    LanguageLevel,
    OccupationCode,
    ProfileError,
    Skill,
    parse_esco_uri,
    parse_isco08,
    parse_kbji,
)
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

relaxed = settings(deadline=None, max_examples=40)
VALIDATOR = jsonschema.Draft202012Validator(
    prefill_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
"""Emitted documents are checked with the formats too (e-mail, date, date-time)."""
ANNOTATING = jsonschema.Draft202012Validator(prefill_schema())
"""As Draft 2020-12 reads ``format`` by default, and as the core's validator does: an annotation."""

# Which document members each disclosure field may bring (and nothing else may appear).
MEMBERS = {
    "nik": {"nik"},
    "nik_masked": {"nik_masked"},
    "birth": {"birthdate", "birth_place"},
    "sex": {"gender"},
    "marital_status": {"marital_status"},
    "religion": {"religion"},
    "headline": {"headline", "headline_occupation"},
    "contact": {"email", "phone_number"},
    "ktp_address": {"ktp_address"},
    "domicile_address": {"address"},
    "skills": {"skills"},
    "languages": {"languages"},
    "work": {"work"},
    "education": {"education"},
    "certificates": {"certificates"},
    "achievements": {"achievements"},
    "photo": {"picture"},
}
ENVELOPE = {"schema_version", "issued_at", "purpose", "institution", "fields"}
ALWAYS = {"siapkerja_id", "name"}


def test_every_disclosure_field_maps_to_members() -> None:
    assert set(MEMBERS) == set(FIELD_NAMES)


# --- the schema itself ------------------------------------------------------------


def test_the_shipped_file_is_the_declared_schema() -> None:
    shipped = resources.files("siapkerja_core.schemas").joinpath("prefill-1.0.json")
    assert shipped.read_text("utf-8") == schema_text()
    assert shipped_schema() == prefill_schema()


def test_the_schema_is_draft_2020_12_with_its_id() -> None:
    schema = prefill_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID == "https://siapkerja.example/schemas/prefill/1.0.json"
    assert schema["properties"]["nik"]["type"] == "string"  # never a number


def _keywords(schema: Any, found: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for item in value.values():
                    _keywords(item, found)
            elif isinstance(value, dict):
                _keywords(value, found)
    return found


def test_the_schema_uses_only_keywords_the_core_validates() -> None:
    assert _keywords(prefill_schema(), set()) <= SUPPORTED_KEYWORDS


def test_prefill_schema_gives_a_copy() -> None:
    schema = prefill_schema()
    schema["properties"].clear()
    assert prefill_schema()["properties"]


# --- documents the service emits ----------------------------------------------------


@cache
def world() -> tuple[Siapkerja, Account, str, dict[str, Verifier]]:
    svc = build(Clock())
    account = holder(svc, 0)[0]
    url = svc.card_qr(account.id).url
    assert url is not None
    verifiers = {scope: svc.register_verifier(f"Lembaga {scope}", [scope])[0] for scope in SCOPES}
    return svc, account, url, verifiers


text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=30).filter(
    lambda s: s.strip()
)
uuids = st.uuids().map(str)
occupations = st.builds(
    dict,
    kbji=st.one_of(st.none(), st.from_regex(r"[0-9]{4}(\.[0-9]{2})?", fullmatch=True)),
    isco08=st.one_of(st.none(), st.from_regex(r"[0-9]{4}", fullmatch=True)),
    esco_uri=st.one_of(
        st.none(), uuids.map(lambda u: f"http://data.europa.eu/esco/occupation/{u}")
    ),
).map(lambda d: {k: v for k, v in d.items() if v is not None} or {"isco08": "7212"})
months = st.tuples(st.integers(1990, 2025), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}")
jobs = st.builds(
    lambda title, company, start, location, occupation: {
        "title": title,
        "company": company,
        "start": start,
        "location": location,
        "occupation": occupation,
    },
    text,
    text,
    months,
    st.one_of(st.none(), text),
    st.one_of(st.none(), occupations),
)
skills = st.lists(
    st.builds(
        lambda name, uri: {"name": name, "esco_uri": uri},
        text,
        st.one_of(st.none(), uuids.map(lambda u: f"http://data.europa.eu/esco/skill/{u}")),
    ),
    max_size=4,
    unique_by=lambda s: " ".join(s["name"].split()).casefold(),
)
profiles = st.fixed_dictionaries(
    {
        "headline": st.one_of(st.none(), text),
        "occupation": st.one_of(st.none(), occupations),
        "skills": skills,
        "work": st.lists(jobs, max_size=3),
        "languages": st.lists(
            st.builds(
                lambda n, lvl: {"name": n, "level": lvl},
                text,
                st.sampled_from([v.value for v in LanguageLevel]),
            ),
            max_size=2,
            unique_by=lambda s: " ".join(s["name"].split()).casefold(),
        ),
        "certificates": st.lists(
            st.builds(
                lambda n, i, f, s: {"name": n, "issuer": i, "valid_from": f, "score": s},
                text,
                text,
                months,
                st.one_of(st.none(), st.sampled_from(["84", "N4", "Lulus"])),
            ),
            max_size=2,
        ),
        "achievements": st.lists(
            st.builds(lambda t, o, d: {"title": t, "organiser": o, "date": d}, text, text, months),
            max_size=2,
        ),
        "level": st.sampled_from([v.value for v in EducationLevel]),
        "domicile": st.booleans(),
    }
)


def apply(svc: Siapkerja, account: Account, data: dict[str, Any]) -> None:
    level = data["level"]
    higher = EducationLevel(level).is_higher
    svc.update_profile(
        account.id,
        biodata={"headline": data["headline"], "occupation": data["occupation"]},
        skills=data["skills"],
        work=data["work"],
        languages=data["languages"],
        certificates=data["certificates"],
        achievements=data["achievements"],
        education=[
            {
                "institution": "SMK Negeri 1",
                "level": level,
                "start_year": 2010,
                "end_year": 2013,
                "gpa": 3.1 if higher else None,
            }
        ],
        domicile_address=address("Jl. Hypothesis 7") if data["domicile"] else None,
    )


@relaxed
@given(
    data=profiles,
    scope=st.sampled_from(sorted(SCOPES)),
    narrow=st.one_of(st.none(), st.sets(st.sampled_from(sorted(FIELD_NAMES)))),
)
def test_every_document_validates_and_holds_only_released_fields(
    data: dict[str, Any], scope: str, narrow: set[str] | None
) -> None:
    svc, account, url, verifiers = world()
    apply(svc, account, data)
    verifier = verifiers[scope]
    # One purpose per (scope, narrowing): the consent of an earlier example must not cover it.
    asked_key = "semua" if narrow is None else ",".join(sorted(narrow))
    purpose = f"tujuan {scope} {hashlib.sha256(asked_key.encode()).hexdigest()[:12]}"
    allowed = scope_fields(verifier.scopes)
    asked = None if narrow is None else sorted(narrow & allowed)
    request = svc.prefill.request(url, verifier, purpose, asked)
    svc.prefill.approve(account.id, request.id)
    document = svc.prefill.document(url, verifier, purpose).to_json()

    assert VALIDATOR.is_valid(document), list(VALIDATOR.iter_errors(document))[:3]
    assert validate(document) == []
    released = set(document["fields"])
    assert released <= allowed
    if asked is not None:
        assert released <= set(asked)
    permitted = ENVELOPE | ALWAYS | {m for f in released for m in MEMBERS[f]}
    assert set(document) <= permitted
    assert ("nik" in document) == ("nik" in released)
    if "nik" not in released:
        assert account.nik not in json.dumps(document)
    resume = svc.prefill.json_resume(url, verifier, purpose)
    assert_json_resume_shape(resume)
    assert account.nik not in json.dumps(resume)


# --- the core's validator agrees with jsonschema ----------------------------------


@cache
def sample_document() -> dict[str, Any]:
    svc, account, url, verifiers = world()
    verifier = verifiers["disnaker"]
    svc.update_profile(
        account.id,
        work=[
            {
                "title": "Tukang Las",
                "company": "PT Baja",
                "start": "2020-01",
                "occupation": {"kbji": "7212", "isco08": "7212"},
            }
        ],
    )
    svc.prefill.approve(account.id, svc.prefill.request(url, verifier, "contoh").id)
    return svc.prefill.document(url, verifier, "contoh").to_json()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


REPLACEMENTS = [None, 1, 1.5, True, "", "x" * 3000, [], {}, "2021-13", "12345", "zz"]


@relaxed
@given(data=st.data())
def test_the_core_validator_agrees_with_jsonschema_on_broken_documents(data: Any) -> None:
    document = copy.deepcopy(sample_document())
    paths = [p for p in _paths(document) if p]
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "replace":
        parent[last] = data.draw(st.sampled_from(REPLACEMENTS))
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, dict):
        parent["unexpected_member"] = "x"
    assert (validate(document) == []) == ANNOTATING.is_valid(document)


def test_the_validator_names_what_is_wrong() -> None:
    document = copy.deepcopy(sample_document())
    document["nik"] = int(document["nik"])
    del document["name"]
    document["work"][0]["occupation"]["kbji"] = "72"
    problems = validate(document)
    assert "$.nik: expected string" in problems
    assert "$.name: required" in problems
    assert any(p.startswith("$.work[0].occupation.kbji: does not match") for p in problems)


# --- JSON Resume ---------------------------------------------------------------------

RESUME_SECTIONS = {
    "$schema",
    "basics",
    "work",
    "volunteer",
    "education",
    "awards",
    "certificates",
    "publications",
    "skills",
    "languages",
    "interests",
    "references",
    "projects",
    "meta",
}
ISO8601 = re.compile(
    r"^([1-2][0-9]{3}-[0-1][0-9]-[0-3][0-9]|[1-2][0-9]{3}-[0-1][0-9]|[1-2][0-9]{3})$"
)
ITEM_MEMBERS = {
    "work": {
        "name",
        "location",
        "description",
        "position",
        "url",
        "startDate",
        "endDate",
        "summary",
        "highlights",
    },
    "education": {
        "institution",
        "url",
        "area",
        "studyType",
        "startDate",
        "endDate",
        "score",
        "courses",
    },
    "skills": {"name", "level", "keywords"},
    "languages": {"language", "fluency"},
    "certificates": {"name", "date", "url", "issuer"},
    "awards": {"title", "date", "awarder", "summary"},
}


def assert_json_resume_shape(resume: dict[str, Any]) -> None:
    """The jsonresume.org v1.0.0 shape: known sections, known members, its date pattern."""
    assert set(resume) <= RESUME_SECTIONS  # the schema's top level admits nothing else
    basics = resume["basics"]
    assert isinstance(basics["name"], str)
    assert set(basics) <= {
        "name",
        "label",
        "image",
        "email",
        "phone",
        "url",
        "summary",
        "location",
        "profiles",
    }
    assert set(basics.get("location", {})) <= {
        "address",
        "postalCode",
        "city",
        "countryCode",
        "region",
    }
    for section, members in ITEM_MEMBERS.items():
        for item in resume.get(section, []):
            assert set(item) <= members, (section, item)
            assert all(isinstance(v, str) for v in item.values()), (section, item)
            for key in ("startDate", "endDate", "date"):
                if key in item:
                    assert ISO8601.match(item[key]), (section, item)
    assert resume["meta"]["version"] == "v1.0.0"


def test_the_json_resume_of_a_full_document() -> None:
    resume = sample_resume()
    assert_json_resume_shape(resume)
    assert resume["basics"]["location"]["countryCode"] == "ID"
    assert resume["work"][0] == {
        "name": "PT Baja",
        "position": "Tukang Las",
        "startDate": "2020-01",
    }


@cache
def sample_resume() -> dict[str, Any]:
    from siapkerja_core.prefill import json_resume

    return json_resume(sample_document())


# --- labour codes ----------------------------------------------------------------------


@given(st.from_regex(r"[0-9]{4}", fullmatch=True), st.from_regex(r"[0-9]{2}", fullmatch=True))
def test_kbji_codes_of_the_published_forms_parse(group: str, occupation: str) -> None:
    assert parse_kbji(group) == group
    assert parse_kbji(f" {group}.{occupation} ") == f"{group}.{occupation}"
    assert parse_kbji(group + occupation) == f"{group}.{occupation}"
    assert parse_isco08(group) == group


@given(st.text(max_size=10))
def test_other_text_is_no_kbji_or_isco_code(value: str) -> None:
    stripped = value.strip()
    if not re.fullmatch(r"[0-9]{4}(\.?[0-9]{2})?", stripped, re.ASCII):
        with pytest.raises(ValueError):
            parse_kbji(value)
    if not re.fullmatch(r"[0-9]{4}", stripped, re.ASCII):
        with pytest.raises(ValueError):
            parse_isco08(value)


@given(st.uuids())
def test_esco_uris_are_checked_by_kind(uuid: Any) -> None:
    occupation = f"http://data.europa.eu/esco/occupation/{uuid}"
    skill = f"http://data.europa.eu/esco/skill/{uuid}"
    assert (
        parse_esco_uri(
            occupation.upper().replace(
                "HTTP://DATA.EUROPA.EU/ESCO/OCCUPATION/", "http://data.europa.eu/esco/occupation/"
            )
        )
        == occupation
    )
    assert parse_esco_uri(skill, "skill") == skill
    for wrong, kind in (
        (skill, "occupation"),
        (occupation, "skill"),
        (occupation.replace("http:", "https:"), "occupation"),
        (occupation[:-1], "occupation"),
    ):
        with pytest.raises(ValueError):
            parse_esco_uri(wrong, kind)


def test_occupation_codes_need_one_code_and_name_the_bad_one() -> None:
    with pytest.raises(ProfileError) as caught:
        structure_profile(
            {
                "full_name": "A",
                "work": [
                    {
                        "title": "T",
                        "company": "C",
                        "start": "2020-01",
                        "occupation": {"isco08": "25"},
                    }
                ],
            }
        )
    assert caught.value.field == "work[0].occupation.isco08"
    with pytest.raises(ProfileError):
        OccupationCode()
    with pytest.raises(ProfileError) as caught:
        Skill(name="PHP", esco_uri="http://data.europa.eu/esco/occupation/x")
    assert caught.value.field == "esco_uri"
    assert OccupationCode(kbji=" 2512 ", esco_uri="").kbji == "2512"


def test_profiles_stored_before_the_codes_still_load() -> None:
    old = {
        "full_name": "Galih Agan Pambayun",
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": None,
            "sex": None,
            "marital_status": None,
            "religion": None,
            "headline": "IT",
        },
        "skills": [{"name": "PHP"}],
        "work": [
            {
                "title": "Dev",
                "company": "C",
                "start": "2021-06",
                "end": None,
                "location": None,
                "description": None,
            }
        ],
    }
    for load in (structure_profile, structure_stored_profile):
        profile = load(old)
        assert profile.skills[0].esco_uri is None
        assert profile.work[0].occupation is None
        assert profile.biodata.occupation is None
    rebuilt = structure_profile(unstructure(structure_profile(old)))
    assert rebuilt == structure_profile(old)
