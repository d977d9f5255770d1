"""Tests of siapkerja_core.profile and siapkerja_core.converter.

Galih Agan Pambayun's profile is the scanned page of the seed, filled in
where the page is silent (birth date from his NIK, street, RT/RW, postal
code, religion, photo).
"""

from __future__ import annotations

import base64
import copy
import json
import pickle
import string
import struct
import zlib
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siapkerja_core import regions
from siapkerja_core.converter import (
    converter,
    make_converter,
    merge_profile,
    structure,
    structure_profile,
    unstructure,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.profile import (
    DEFAULT_PUBLISHED,
    MAX_PHOTO_BYTES,
    NEVER_PUBLISHED,
    SECTIONS,
    Achievement,
    Address,
    Biodata,
    Certificate,
    Contact,
    Education,
    EducationLevel,
    Language,
    LanguageLevel,
    MaritalStatus,
    Photo,
    Profile,
    ProfileError,
    Religion,
    Section,
    Sex,
    Skill,
    Stakeholder,
    Visibility,
    WorkExperience,
    YearMonth,
    check_against_nik,
    sniff_image_type,
)
from support import people

GALIH_NIK = people.NIK  # the bundled fictional resident: born 1994-03-12, male


# --------------------------------------------------------------------------
# Tiny but well-formed images
# --------------------------------------------------------------------------


def png_bytes(padding: int = 0) -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, tEXt, IEND), padded by its tEXt chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    idat = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    text = b"Comment\x00" + b"siapkerja test image" + b"." * padding
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"tEXt", text)
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(size: int = 160) -> bytes:
    """SOI, a JFIF APP0 header, comment segments padding to ``size`` bytes, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    data = b"\xff\xd8" + app0
    remaining = size - len(data) - 2  # EOI
    while remaining > 0:
        text = min(remaining - 4, 65533)  # a segment: marker (2), length (2), text
        if text < 0 or remaining - (text + 4) in (1, 2, 3):
            text = max(remaining - 4 - 4, 0)  # leave room for one more whole segment
        data += b"\xff\xfe" + struct.pack(">H", text + 2) + b"x" * text
        remaining -= text + 4
    data += b"\xff\xd9"
    assert len(data) == size, (len(data), size)
    return data


def webp_bytes() -> bytes:
    """A RIFF/WEBP container with a lossless (VP8L) chunk header."""
    payload = b"\x2f" + b"\x00" * 120
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


JPEG = jpeg_bytes()
PNG = png_bytes(padding=40)


# --------------------------------------------------------------------------
# Galih's profile, as JSON-ready data
# --------------------------------------------------------------------------

PALMERAH = next(r.code for r in regions.children("317307") if r.name == "Palmerah")

CERTIFICATES = [
    ("Japan Foundation Test for Basic Japanese", "Japan Language Center", "2018-01"),
    ("Japanese Language Proficiency Test N4 or higher", "Japan Language Center", "2017-01"),
    ("Manufacturing field Specified Skilled Worker (I) test", "Programming Center", "2017-01"),
]
SKILLS = [
    "PHP",
    "Symfony",
    "AngularJS",
    "Laravel",
    "Linux",
    "Object-oriented Programming (OOP)",
    "DevOps",
    "Java",
]


def galih_data() -> dict[str, Any]:
    address = {
        "village_code": PALMERAH,
        "street": "Jl. Palmerah Barat No. 10",
        "rt": "005",
        "rw": "003",
        "postal_code": "11480",
    }
    return {
        "full_name": "Galih Agan Pambayun",
        "stakeholder": "job_seeker",
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": "1994-03-12",
            "sex": "L",
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
            "occupation": None,
        },
        "contact": {"email": "galih.pambayun@example.com", "phone": "+62812999999999"},
        "ktp_address": address,
        "domicile_address": dict(address),
        "skills": [{"name": name, "esco_uri": None} for name in SKILLS],
        "languages": [{"name": "English", "level": "menengah"}],
        "work": [
            {
                "title": "Backend Developer",
                "company": "Company",
                "start": "2021-06",
                "end": None,
                "location": "Indonesia",
                "description": None,
                "occupation": None,
            }
        ],
        "education": [
            {
                "institution": "BINUS University",
                "level": "S1",
                "major": None,
                "start_year": 2016,
                "end_year": 2018,
                "gpa": 3.4,
            }
        ],
        "certificates": [
            {
                "name": name,
                "issuer": issuer,
                "valid_from": start,
                "valid_until": None,
                "score": "84",
            }
            for name, issuer, start in CERTIFICATES
        ],
        "achievements": [
            {
                "title": "Juara 3 Lomba Web Design ASC Tingkat Nasional",
                "organiser": "Kemnaker RI",
                "date": "2016-01",
                "description": (
                    "Lomba web design dan teknologi yang diselenggarakan oleh Kemnaker RI"
                ),
            }
        ],
        "photo": {"content": base64.b64encode(JPEG).decode(), "media_type": "image/jpeg"},
        "visibility": {"published": sorted(s.value for s in DEFAULT_PUBLISHED)},
    }


@pytest.fixture
def galih() -> Profile:
    return structure_profile(galih_data())


# --------------------------------------------------------------------------
# Galih: from the plain dict and back
# --------------------------------------------------------------------------


def test_palmerah_is_a_real_village_of_pal_merah() -> None:
    assert PALMERAH == "3173071001"
    assert [r.name for r in regions.path(PALMERAH)] == [
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Barat",
        "Pal Merah",
        "Palmerah",
    ]


def test_galih_builds_with_every_section_of_the_page(galih: Profile) -> None:
    assert galih.full_name == "Galih Agan Pambayun"
    assert galih.stakeholder is Stakeholder.JOB_SEEKER
    bio = galih.biodata
    assert bio.headline == "IT Professional"
    assert bio.birth_place == "Jakarta"
    assert bio.birth_date == date(1994, 3, 12)
    assert bio.sex is Sex.L
    assert bio.sex.label_id == "Laki-laki"
    assert bio.marital_status is MaritalStatus.BELUM_MENIKAH
    assert bio.marital_status.label_id == "Belum Menikah"
    assert bio.religion is Religion.ISLAM
    assert galih.contact.phone == "+62812999999999"
    for address in (galih.ktp_address, galih.domicile_address):
        assert address is not None
        assert address.region_line == "Palmerah, Pal Merah, Kota Adm. Jakarta Barat, DKI Jakarta"
        assert address.village_name == "Palmerah"
        assert address.district_name == "Pal Merah"
        assert address.regency_name == "Kota Administrasi Jakarta Barat"
        assert address.province_name == "Daerah Khusus Ibukota Jakarta"
    assert [s.name for s in galih.skills] == SKILLS
    (english,) = galih.languages
    assert english.name == "English"
    assert english.level is LanguageLevel.MENENGAH
    assert english.level.label_id == "Tingkat Menengah"
    assert english.level.label_en == "Intermediate"
    (job,) = galih.work
    assert (job.title, job.company, job.location) == ("Backend Developer", "Company", "Indonesia")
    assert job.start == YearMonth(2021, 6)
    assert job.end is None
    assert job.current
    assert job.period_label() == "Juni 2021 - Sekarang"
    assert job.period_label("en") == "June 2021 - Present"
    (school,) = galih.education
    assert school.institution == "BINUS University"
    assert school.level is EducationLevel.S1
    assert school.gpa == 3.4
    assert school.period_label() == "2016 - 2018"
    assert [(c.name, c.issuer, c.score) for c in galih.certificates] == [
        (name, issuer, "84") for name, issuer, _ in CERTIFICATES
    ]
    assert galih.certificates[0].period_label() == "Januari 2018 - Sekarang"
    assert galih.certificates[1].period_label() == "Januari 2017 - Sekarang"
    (award,) = galih.achievements
    assert award.organiser == "Kemnaker RI"
    assert award.date.label() == "Januari 2016"
    assert galih.photo is not None
    assert galih.photo.media_type == "image/jpeg"
    assert galih.visibility.published == DEFAULT_PUBLISHED


def test_galih_round_trips_through_the_plain_dict(galih: Profile) -> None:
    data = unstructure(galih)
    assert data == galih_data()
    assert structure_profile(data) == galih
    assert structure_profile(json.loads(json.dumps(data))) == galih


def test_unstructure_is_json_ready_and_sorted_where_sets_are(galih: Profile) -> None:
    data = unstructure(galih)
    assert json.loads(json.dumps(data)) == data
    assert data["visibility"]["published"] == sorted(data["visibility"]["published"])
    assert unstructure(galih.biodata)["birth_date"] == "1994-03-12"
    with pytest.raises(TypeError):
        unstructure("not a profile object")


def test_inputs_are_normalised() -> None:
    data = galih_data()
    data["full_name"] = "  Galih   Agan Pambayun "
    data["contact"] = {"email": " Galih.Pambayun@EXAMPLE.com", "phone": "0812-9999-99999"}
    data["ktp_address"] = {**data["ktp_address"], "village_code": "31.73.07.1001", "rt": "5"}
    data["skills"] = ["PHP", " Java "]  # bare strings are accepted for skills
    profile = structure_profile(data)
    assert profile.full_name == "Galih Agan Pambayun"
    assert profile.contact == Contact(email="galih.pambayun@example.com", phone="+62812999999999")
    assert profile.ktp_address is not None
    assert profile.ktp_address.village_code == "3173071001"
    assert profile.ktp_address.rt == "005"
    assert [s.name for s in profile.skills] == ["PHP", "Java"]


def test_python_construction_accepts_values_and_converts() -> None:
    job = WorkExperience(title="Backend Developer", company="Company", start="2021-06")
    assert job.start == YearMonth(2021, 6)
    bio = Biodata(sex="P", marital_status="menikah", birth_date="1990-01-31")
    assert bio.sex is Sex.P
    assert bio.birth_date == date(1990, 1, 31)
    profile = Profile(full_name="Sari", skills=["Excel"], stakeholder="worker")
    assert profile.skills == (Skill(name="Excel"),)
    assert profile.stakeholder is Stakeholder.WORKER
    assert attrs.evolve(profile, skills=("Word",)).skills == (Skill(name="Word"),)


def test_address_one_line_and_repr_hide_nothing_they_should_not() -> None:
    address = Address(village_code=PALMERAH, street="Jl. Palmerah Barat No. 10", rt=5, rw=3)
    assert address.one_line() == (
        "Jl. Palmerah Barat No. 10, RT 005/RW 003, Palmerah, Pal Merah,"
        " Kota Adm. Jakarta Barat, DKI Jakarta"
    )
    assert "Palmerah Barat" not in repr(address)
    with_code = attrs.evolve(address, postal_code="11480")
    assert with_code.one_line().endswith("DKI Jakarta 11480")


def test_region_line_shortens_kabupaten_and_daerah_istimewa() -> None:
    sleman = next(r for r in regions.children("3404"))  # a district of Kab. Sleman, DIY
    village = regions.children(sleman.code)[0]
    line = Address(village_code=village.code).region_line
    assert line.endswith(", Kab. Sleman, DI Yogyakarta")


def test_reprs_mask_personal_data(galih: Profile) -> None:
    text = repr(galih)
    for secret in ("galih.pambayun@example.com", "+62812999999999", "1994", "Palmerah Barat"):
        assert secret not in text
    assert repr(galih.photo) == "Photo(media_type='image/jpeg')"


# --------------------------------------------------------------------------
# Errors name the field path
# --------------------------------------------------------------------------


def _set(data: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at a dotted path with ``[i]`` indexes (``work[0].start``)."""
    target: Any = data
    parts = path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    last = parts[-1]
    if last.startswith("["):
        target[int(last[1:-1])] = value
    else:
        target[last] = value


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("education[0].gpa", 4.5, "invalid_field", "education[0].gpa"),
        ("education[0].gpa", "3.4", "invalid_field", "education[0].gpa"),
        ("education[0].gpa", None, "invalid_field", "education[0].gpa"),
        ("education[0].level", "S4", "invalid_field", "education[0].level"),
        ("education[0].end_year", 2015, "date_order", "education[0].end_year"),
        ("education[0].start_year", True, "invalid_field", "education[0].start_year"),
        ("work[0].start", "2021-13", "invalid_field", "work[0].start"),
        ("work[0].start", "Juni 2021", "invalid_field", "work[0].start"),
        ("work[0].start", 202106, "invalid_field", "work[0].start"),
        ("work[0].end", "2020-12", "date_order", "work[0].end"),
        ("work[0].title", "", "invalid_field", "work[0].title"),
        ("work[0].title", "   ", "invalid_field", "work[0].title"),
        ("work[0].title", "x" * 101, "invalid_field", "work[0].title"),
        ("work[0].title", "Backend\x00Developer", "invalid_field", "work[0].title"),
        ("work[0].company", None, "invalid_field", "work[0].company"),
        ("certificates[2].valid_until", "2016-12", "date_order", "certificates[2].valid_until"),
        ("certificates[0].score", True, "invalid_field", "certificates[0].score"),
        ("achievements[0].date", "2016", "invalid_field", "achievements[0].date"),
        ("biodata.birth_date", "12-03-1994", "invalid_field", "biodata.birth_date"),
        ("biodata.birth_date", "1899-12-31", "invalid_field", "biodata.birth_date"),
        ("biodata.sex", "M", "invalid_field", "biodata.sex"),
        ("biodata.marital_status", "Kawin", "invalid_field", "biodata.marital_status"),
        ("biodata.religion", "Budha", "invalid_field", "biodata.religion"),
        ("biodata", "Jakarta", "invalid_field", "biodata"),
        ("contact.email", "nama@email", "invalid_field", "contact.email"),
        ("contact.phone", "021-5360000", "invalid_field", "contact.phone"),
        ("ktp_address.village_code", "3173071099", "village", "ktp_address.village_code"),
        ("ktp_address.village_code", "317307", "invalid_field", "ktp_address.village_code"),
        ("domicile_address.rt", "1234", "invalid_field", "domicile_address.rt"),
        ("domicile_address.rw", "000", "invalid_field", "domicile_address.rw"),
        ("domicile_address.postal_code", "0148", "invalid_field", "domicile_address.postal_code"),
        ("languages[0].level", "fasih", "invalid_field", "languages[0].level"),
        ("skills", "PHP", "invalid_field", "skills"),
        ("skills[1]", {"name": "php"}, "invalid_field", "skills[1]"),
        ("skills[3]", 7, "invalid_field", "skills[3]"),
        ("stakeholder", "boss", "invalid_field", "stakeholder"),
        ("photo.content", "not base64!", "invalid_field", "photo.content"),
        ("photo.media_type", "image/png", "photo_type", "photo.media_type"),
        ("visibility.published", ["skills", "contact"], "private_section", "visibility.published"),
        ("visibility.published[0]", "everything", "invalid_field", "visibility.published[0]"),
        ("full_name", None, "invalid_field", "full_name"),
    ],
)
def test_each_error_names_its_field_path(path: str, value: object, code: str, field: str) -> None:
    data = galih_data()
    _set(data, path, value)
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    error = caught.value
    assert (error.code, error.field) == (code, field)
    assert error.full_code == f"profile.{code}"
    assert field in error.message_id
    assert field in error.message_en
    assert error.message_id != error.message_en


def test_missing_and_unknown_keys_are_named() -> None:
    data = galih_data()
    del data["languages"][0]["level"]
    data["education"][0]["gap"] = 3.4
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    fields = {(e.field, e.params["reason"]) for e in caught.value.errors}
    assert ("languages[0].level", "is required") in fields
    assert ("education[0].gap", "is not a known field") in fields


def test_every_problem_is_listed_not_only_the_first() -> None:
    data = galih_data()
    data["work"][0]["start"] = "2021-13"
    data["education"][0]["gpa"] = 9
    data["biodata"]["sex"] = "X"
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    assert sorted(e.field or "" for e in caught.value.errors) == [
        "biodata.sex",
        "education[0].gpa",
        "work[0].start",
    ]
    assert caught.value.field in {"biodata.sex", "education[0].gpa", "work[0].start"}


def test_a_document_that_is_not_an_object_is_refused_at_the_root() -> None:
    for junk in ([], "profile", None, 42):
        with pytest.raises(ProfileError) as caught:
            structure_profile(junk)  # type: ignore[arg-type]
        assert caught.value.field == "$"


def test_structure_builds_single_sections_too() -> None:
    job = structure({"title": "Guru", "company": "SD 1", "start": "2020-07"}, WorkExperience)
    assert job.end is None
    with pytest.raises(ProfileError) as caught:
        structure(
            {"title": "Guru", "company": "SD 1", "start": "2020-07", "end": "2019-01"},
            WorkExperience,
        )
    assert (caught.value.code, caught.value.field) == ("date_order", "end")


def test_direct_construction_names_the_attribute() -> None:
    with pytest.raises(ProfileError) as caught:
        Education(institution="BINUS University", level="S1", start_year=2016, gpa=4.01)
    assert (caught.value.code, caught.value.field) == ("invalid_field", "gpa")
    with pytest.raises(ProfileError) as caught:
        Address(village_code="9999999999")
    assert (caught.value.code, caught.value.field) == ("village", "village_code")
    with pytest.raises(ProfileError) as caught:
        YearMonth(2021, 0)
    assert caught.value.field == "month"


def test_gpa_rules_by_level() -> None:
    assert Education(institution="SMKN 1", level="SMK", start_year=2012, end_year=2015).gpa is None
    ongoing = Education(institution="UI", level="S2", start_year=2024)
    assert ongoing.gpa is None
    assert ongoing.period_label() == "2024 - Sekarang"
    assert Education(institution="UI", level="S1", start_year=2016, gpa="3,45").gpa == 3.45
    assert Education(institution="UI", level="S1", start_year=2016, gpa=4).gpa == 4.0
    assert Education(institution="UI", level="S1", start_year=2016, gpa=3.456).gpa == 3.46
    with pytest.raises(ProfileError, match="GPA is required"):
        Education(institution="UI", level="D3", start_year=2016, end_year=2019)


def test_profile_error_messages_and_pickling() -> None:
    error = ProfileError("invalid_field", field="work[0].start", reason="must be YYYY-MM")
    assert isinstance(error, SiapkerjaError)
    assert isinstance(error, ValueError)
    assert str(error).startswith("[profile.invalid_field] Isian work[0].start tidak valid")
    assert error.errors == (error,)
    data = galih_data()
    data["work"][0]["start"] = "nope"
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    clone = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes
    assert (clone.code, clone.field, str(clone)) == (
        caught.value.code,
        caught.value.field,
        str(caught.value),
    )


# --------------------------------------------------------------------------
# Photo
# --------------------------------------------------------------------------


def test_tiny_images_are_recognised_by_their_bytes() -> None:
    assert sniff_image_type(JPEG) == "image/jpeg"
    assert sniff_image_type(PNG) == "image/png"
    assert sniff_image_type(webp_bytes()) == "image/webp"
    assert sniff_image_type(b"GIF89a" + b"\x00" * 200) is None
    assert sniff_image_type(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200) is None  # no IHDR
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 200) is None


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (webp_bytes(), "image/webp")],
)
def test_photo_type_is_read_from_the_bytes(content: bytes, media_type: str) -> None:
    photo = Photo(content=content)
    assert photo.media_type == media_type
    assert photo.size == len(content)
    assert Photo(content=content, media_type=media_type.upper()) == photo
    assert photo.data_uri().startswith(f"data:{media_type};base64,")


def test_image_jpg_is_an_alias_and_bytearrays_are_accepted() -> None:
    assert Photo(content=bytearray(JPEG), media_type="image/jpg").media_type == "image/jpeg"


@pytest.mark.parametrize(
    "declared", ["image/png", "image/webp", "image/gif", "image/svg+xml", "text/html"]
)
def test_a_declared_type_that_contradicts_the_bytes_is_refused(declared: str) -> None:
    with pytest.raises(ProfileError) as caught:
        Photo(content=JPEG, media_type=declared)
    assert (caught.value.code, caught.value.field) == ("photo_type", "media_type")
    assert caught.value.params["detected"] == "image/jpeg"


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a" + b"\x00" * 200,
        b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 200 + b"</svg>",
        b"%PDF-1.7" + b"\x00" * 200,
        b"\x00" * 500,
    ],
)
def test_other_formats_are_refused(content: bytes) -> None:
    with pytest.raises(ProfileError) as caught:
        Photo(content=content)
    assert (caught.value.code, caught.value.field) == ("photo_type", "content")


def test_photo_size_bounds() -> None:
    assert Photo(content=jpeg_bytes(100)).size == 100
    assert Photo(content=jpeg_bytes(MAX_PHOTO_BYTES // 2)).size == MAX_PHOTO_BYTES // 2
    big = jpeg_bytes(60_000) + b"\x00" * (MAX_PHOTO_BYTES - 60_000)  # trailing data is fine
    assert Photo(content=big).size == MAX_PHOTO_BYTES
    for content in (jpeg_bytes(99), big + b"\x00"):
        with pytest.raises(ProfileError) as caught:
            Photo(content=content)
        assert caught.value.code == "photo_size"
        assert caught.value.params["size"] == len(content)
    with pytest.raises(ProfileError) as caught:
        Photo(content="not bytes")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_field"


def test_photo_through_the_converter() -> None:
    data = galih_data()
    data["photo"] = {"content": base64.b64encode(PNG).decode()}  # type detected
    profile = structure_profile(data)
    assert profile.photo is not None
    assert profile.photo.media_type == "image/png"
    data["photo"] = {"content": base64.b64encode(jpeg_bytes(99)).decode()}
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    assert (caught.value.code, caught.value.field) == ("photo_size", "photo.content")


# --------------------------------------------------------------------------
# Visibility
# --------------------------------------------------------------------------


def test_default_visibility_publishes_the_professional_sections() -> None:
    visibility = Visibility()
    assert visibility.published == DEFAULT_PUBLISHED
    for section in ("headline", "skills", "languages", "work", "education", "photo"):
        assert visibility.is_published(section)
    for section in NEVER_PUBLISHED:
        assert not visibility.is_published(section)
    assert not visibility.is_published(Section.SEX)


@pytest.mark.parametrize("section", sorted(NEVER_PUBLISHED))
def test_private_sections_can_never_be_published(section: Section) -> None:
    with pytest.raises(ProfileError) as caught:
        Visibility(published={section, Section.SKILLS})
    assert caught.value.code == "private_section"
    assert caught.value.params["section"] == section.value
    with pytest.raises(ProfileError):
        Visibility().publish(section)


def test_publish_and_hide() -> None:
    visibility = Visibility().hide("photo", Section.WORK).publish("sex")
    assert not visibility.is_published("photo")
    assert visibility.is_published(Section.SEX)
    assert repr(Visibility(published=["work", "skills"])) == (
        "Visibility(published={'skills', 'work'})"
    )
    with pytest.raises(ProfileError):
        visibility.is_published("everything")


# --------------------------------------------------------------------------
# NIK cross-check: warnings, never errors
# --------------------------------------------------------------------------


def test_a_matching_nik_gives_no_warning(galih: Profile) -> None:
    assert check_against_nik(galih, GALIH_NIK) == ()
    assert check_against_nik(galih, parse_nik(GALIH_NIK)) == ()


def test_a_different_birth_date_is_a_bilingual_warning(galih: Profile) -> None:
    corrected = attrs.evolve(
        galih, biodata=attrs.evolve(galih.biodata, birth_date=date(1994, 3, 21))
    )
    (warning,) = check_against_nik(corrected, GALIH_NIK)
    assert (warning.code, warning.field) == ("birth_date_differs", "biodata.birth_date")
    assert "1994-03-21" in warning.message_id
    assert "1994-03-12" in warning.message_id
    assert "NIK" in warning.message_en
    assert warning.message("en") == warning.message_en
    assert warning.message_id != warning.message_en


def test_a_different_sex_is_a_warning_too(galih: Profile) -> None:
    other = attrs.evolve(galih, biodata=attrs.evolve(galih.biodata, sex="P"))
    (warning,) = check_against_nik(other, GALIH_NIK)
    assert warning.code == "sex_differs"
    assert "Perempuan" in warning.message_id
    assert "Laki-laki" in warning.message_id
    female_nik = GALIH_NIK[:6] + "52" + GALIH_NIK[8:]  # day + 40
    assert check_against_nik(other, female_nik) == ()


def test_missing_birth_data_gives_no_warning() -> None:
    assert check_against_nik(Profile(full_name="Galih Agan Pambayun"), GALIH_NIK) == ()


# --------------------------------------------------------------------------
# merge_profile: the facade's update_profile(acct.id, **sections)
# --------------------------------------------------------------------------


def test_merge_updates_named_keys_of_object_sections(galih: Profile) -> None:
    merged = merge_profile(galih, {"biodata": {"headline": "Backend Developer"}})
    assert merged.biodata.headline == "Backend Developer"
    assert merged.biodata.birth_place == "Jakarta"  # kept
    assert merged.work == galih.work


def test_merge_replaces_lists_and_accepts_objects(galih: Profile) -> None:
    job = WorkExperience(title="Lead", company="Other", start="2024-01")
    merged = merge_profile(galih, {"work": [job, *galih.work], "skills": ["Go"], "photo": None})
    assert merged.work == (job, *galih.work)
    assert merged.skills == (Skill(name="Go"),)
    assert merged.photo is None
    merged = merge_profile(merged, {"photo": Photo(content=PNG), "stakeholder": "worker"})
    assert merged.photo is not None
    assert merged.photo.media_type == "image/png"
    assert merged.stakeholder is Stakeholder.WORKER


def test_merge_validates_the_whole_result(galih: Profile) -> None:
    with pytest.raises(ProfileError) as caught:
        merge_profile(galih, {"work": [{"title": "x", "company": "y", "start": "2024-13"}]})
    assert caught.value.field == "work[0].start"
    with pytest.raises(ProfileError) as caught:
        merge_profile(galih, {"biodata": {"birth_date": "yesterday"}})
    assert caught.value.field == "biodata.birth_date"


def test_merge_refuses_unknown_sections_and_the_verified_name(galih: Profile) -> None:
    for section in ("full_name", "nik", "mother_name"):
        with pytest.raises(ProfileError) as caught:
            merge_profile(galih, {section: "x"})
        assert caught.value.code == "unknown_section"
    assert "full_name" not in SECTIONS
    assert "photo" in SECTIONS


def test_merging_nothing_changes_nothing(galih: Profile) -> None:
    assert merge_profile(galih, {}) == galih


# --------------------------------------------------------------------------
# The converter module
# --------------------------------------------------------------------------


def test_make_converter_gives_an_independent_equivalent_converter(galih: Profile) -> None:
    other = make_converter()
    assert other is not converter
    assert other.unstructure(galih) == unstructure(galih)
    assert other.structure(unstructure(galih), Profile) == galih


def test_plain_cattrs_would_have_been_lenient_ours_is_not() -> None:
    data = galih_data()
    data["education"][0]["start_year"] = "2016"  # a string, not a number
    with pytest.raises(ProfileError) as caught:
        structure_profile(data)
    assert caught.value.field == "education[0].start_year"


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

_WORDS = st.text(
    alphabet=string.ascii_letters + string.digits + "éÉöçñÅ-.,()&'/",
    min_size=1,
    max_size=8,
)
LINES = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)
MONTHS = st.builds(YearMonth, st.integers(1900, 2100), st.integers(1, 12))
VILLAGES = st.sampled_from(
    [r.code for r in regions.children("317307")] + ["3404012001", "9103011001", "1101012001"]
)


@st.composite
def periods(draw: st.DrawFn) -> tuple[YearMonth, YearMonth | None]:
    start, end = sorted((draw(MONTHS), draw(MONTHS)))
    return start, draw(st.none() | st.just(end))


@st.composite
def work(draw: st.DrawFn) -> WorkExperience:
    start, end = draw(periods())
    return WorkExperience(
        title=draw(LINES),
        company=draw(LINES),
        start=start,
        end=end,
        location=draw(st.none() | LINES),
        description=draw(st.none() | st.lists(LINES, min_size=1, max_size=3).map("\n".join)),
    )


@st.composite
def education(draw: st.DrawFn) -> Education:
    level = draw(st.sampled_from(EducationLevel))
    start = draw(st.integers(1900, 2100))
    end = draw(st.none() | st.integers(start, 2100))
    gpa = st.floats(0, 4).map(lambda x: round(x, 2))
    needs_gpa = level.is_higher and end is not None
    return Education(
        institution=draw(LINES),
        level=level,
        major=draw(st.none() | LINES),
        start_year=start,
        end_year=end,
        gpa=draw(gpa if needs_gpa else st.none() | gpa),
    )


@st.composite
def certificates(draw: st.DrawFn) -> Certificate:
    start, end = draw(periods())
    return Certificate(
        name=draw(LINES),
        issuer=draw(LINES),
        valid_from=start,
        valid_until=end,
        score=draw(st.none() | st.sampled_from(["84", "N4", "6.5", "Lulus"])),
    )


ADDRESSES = st.builds(
    Address,
    village_code=VILLAGES,
    street=st.none() | LINES,
    rt=st.none() | st.integers(1, 999).map(str),
    rw=st.none() | st.integers(1, 999),
    postal_code=st.none() | st.integers(10000, 99999).map(str),
)
PUBLISHABLE = sorted(set(Section) - NEVER_PUBLISHED)

PROFILES = st.builds(
    Profile,
    full_name=LINES,
    stakeholder=st.sampled_from(Stakeholder),
    biodata=st.builds(
        Biodata,
        birth_place=st.none() | LINES,
        birth_date=st.none() | st.dates(date(1900, 1, 1), date(2100, 12, 31)),
        sex=st.none() | st.sampled_from(Sex),
        marital_status=st.none() | st.sampled_from(MaritalStatus),
        religion=st.none() | st.sampled_from(Religion),
        headline=st.none() | LINES,
    ),
    contact=st.builds(
        Contact,
        email=st.none() | st.sampled_from(["a@b.co.id", "Galih.P@Example.com"]),
        phone=st.none() | st.sampled_from(["081234567890", "+62 811 1234 567"]),
    ),
    ktp_address=st.none() | ADDRESSES,
    domicile_address=st.none() | ADDRESSES,
    skills=st.lists(
        st.builds(Skill, name=LINES), max_size=5, unique_by=lambda s: s.name.casefold()
    ),
    languages=st.lists(
        st.builds(Language, name=LINES, level=st.sampled_from(LanguageLevel)),
        max_size=3,
        unique_by=lambda s: s.name.casefold(),
    ),
    work=st.lists(work(), max_size=3),
    education=st.lists(education(), max_size=3),
    certificates=st.lists(certificates(), max_size=3),
    achievements=st.lists(
        st.builds(
            Achievement,
            title=LINES,
            organiser=LINES,
            date=MONTHS,
            description=st.none() | LINES,
        ),
        max_size=2,
    ),
    photo=st.none() | st.sampled_from([Photo(content=JPEG), Photo(content=PNG)]),
    visibility=st.builds(Visibility, published=st.frozensets(st.sampled_from(PUBLISHABLE))),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROFILES)
def test_structure_inverts_unstructure(profile: Profile) -> None:
    data = unstructure(profile)
    assert structure_profile(data) == profile
    assert structure_profile(json.loads(json.dumps(data))) == profile
    assert merge_profile(profile, {}) == profile


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([*SECTIONS, "full_name"]), JSON, st.data())
def test_junk_anywhere_is_a_profile_error_never_a_crash(
    section: str, junk: object, data: st.DataObject
) -> None:
    document = copy.deepcopy(galih_data())
    if data.draw(st.booleans()) and isinstance(document.get(section), dict):
        key = data.draw(st.sampled_from(sorted(document[section])))
        document[section][key] = junk
    else:
        document[section] = junk
    try:
        outcome: Profile | ProfileError = structure_profile(document)
    except ProfileError as error:
        outcome = error
    if isinstance(outcome, ProfileError):
        assert outcome.field is not None
        assert outcome.message_id
        assert outcome.message_en
    else:
        assert isinstance(outcome, Profile)


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("PHP", "php"),
        ("PHP", "ＰＨＰ"),
        ("Bahasa Jepang", "ｂａｈａｓａ　ｊｅｐａｎｇ"),
        ("Straße", "STRASSE"),
        ("PHP", "PHP\u200b"),
        ("karate", "ka\u00adrate"),
        ("LHP", "\u202eLHP"),
        ("\u0390", "\u03aa\u0301"),
    ],
)
def test_a_skill_named_twice_in_another_case_width_or_invisibly_is_refused(
    first: str, again: str
) -> None:
    with pytest.raises(ProfileError) as raised:
        Profile(full_name="Sari", skills=[first, again])
    assert raised.value.field == "skills[1]"
    # Each is kept as typed when alone.
    assert Profile(full_name="Sari", skills=[again]).skills[0].name == " ".join(again.split())


@given(st.text(max_size=30))
def test_name_key_folds_width_and_case_and_is_plain_casefold_on_ascii(name: str) -> None:
    import unicodedata

    from siapkerja_core.profile import name_key

    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    assert name_key(name) == "".join(c for c in folded if unicodedata.category(c) != "Cf")
    assert name_key(name_key(name)) == name_key(name)  # a key is its own key
