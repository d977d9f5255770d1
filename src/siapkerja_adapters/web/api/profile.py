"""The holder's profile as the API answers with it, declared once as pydantic models.

This module owns the profile document of ``GET``/``PATCH /v1/me/profile``:
:func:`profile_json` turns the core's :class:`~siapkerja_core.Profile` (its
cattrs document) into JSON through :class:`Profile`, so the answer is
exactly what the OpenAPI schema derived from these models says. The bounds
on lists and the text lengths come from the core (``MAX_ITEMS``,
``MIN_YEAR``/``MAX_YEAR``, ``PHOTO_MEDIA_TYPES``, the ``MAX_*_LENGTH`` of
:mod:`siapkerja_core.profile.lengths`), which its validators use too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator
from pydantic_core import PydanticCustomError

from siapkerja_core import Section, Stakeholder
from siapkerja_core.contact import MAX_EMAIL_INPUT, MAX_PHONE_INPUT
from siapkerja_core.converter import unstructure
from siapkerja_core.profile import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ITEMS,
    MAX_LINE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORGANISATION_LENGTH,
    MAX_SCORE_LENGTH,
    MAX_STREET_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    PHOTO_MEDIA_TYPES,
    POSTAL_CODE_DIGITS,
    RT_RW_DIGITS,
    VILLAGE_CODE_DIGITS,
    EducationLevel,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Sex,
)

__all__ = ["Profile", "ProfilePatch", "ProfilePatchBody", "profile_json"]

_MONTH: Final = r"^[0-9]{4}-[0-9]{2}$"
# A village code as typed ("31.73.07.1001", spaced groups): the core drops the
# dots and spaces, then wants VILLAGE_CODE_DIGITS digits; room for a separator
# or two around each digit.
_VILLAGE_CODE_INPUT: Final = 3 * VILLAGE_CODE_DIGITS + 2
_MAX_URI: Final = 200  # an ESCO URI is 74 characters; room for spaces the core strips


def _text(max_length: int) -> Any:
    return Field(max_length=max_length)


Month = Annotated[str, Field(pattern=_MONTH, examples=["2021-06"])]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
PhotoType = Literal[PHOTO_MEDIA_TYPES]  # type: ignore[valid-type]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class OccupationCode(_Part):
    """Labour-classification codes of an occupation (format checked only; at least one)."""

    kbji: (
        Annotated[
            str,
            Field(
                max_length=16,
                description="KBJI 2014: a 4-digit unit group or an occupation (4.2 digits).",
                examples=["2512.01"],
            ),
        ]
        | None
    ) = None
    isco08: (
        Annotated[str, Field(max_length=16, description="ISCO-08 unit group.", examples=["2512"])]
        | None
    ) = None
    esco_uri: (
        Annotated[
            str,
            Field(
                max_length=_MAX_URI,
                description="ESCO occupation URI (http://data.europa.eu/esco/occupation/<uuid>).",
            ),
        ]
        | None
    ) = None


class Biodata(_Part):
    birth_place: Annotated[str, _text(MAX_LINE_LENGTH)] | None
    birth_date: date | None
    sex: Sex | None
    marital_status: MaritalStatus | None
    religion: Religion | None
    headline: Annotated[str, _text(MAX_LINE_LENGTH)] | None
    occupation: OccupationCode | None = None


class Contact(_Part):
    email: Annotated[str, _text(MAX_EMAIL_INPUT)] | None
    phone: Annotated[str, _text(MAX_PHONE_INPUT)] | None


class Address(_Part):
    village_code: Annotated[
        str,
        Field(
            max_length=_VILLAGE_CODE_INPUT,
            description="A Kemendagri village (desa/kelurahan) code.",
            examples=["3173071001"],
        ),
    ]
    street: Annotated[str, _text(MAX_STREET_LENGTH)] | None = None
    rt: Annotated[str, _text(RT_RW_DIGITS)] | None = None
    rw: Annotated[str, _text(RT_RW_DIGITS)] | None = None
    postal_code: Annotated[str, _text(POSTAL_CODE_DIGITS)] | None = None


class Skill(_Part):
    name: Annotated[str, Field(max_length=MAX_TERM_LENGTH, examples=["PHP"])]
    esco_uri: (
        Annotated[
            str,
            Field(
                max_length=_MAX_URI,
                description="ESCO skill URI (http://data.europa.eu/esco/skill/<uuid>).",
            ),
        ]
        | None
    ) = None


class Language(_Part):
    name: Annotated[str, Field(max_length=MAX_TERM_LENGTH, examples=["English"])]
    level: LanguageLevel


class WorkExperience(_Part):
    title: Annotated[str, _text(MAX_LINE_LENGTH)]
    company: Annotated[str, _text(MAX_LINE_LENGTH)]
    start: Month
    end: Month | None = None
    location: Annotated[str, _text(MAX_LINE_LENGTH)] | None = None
    description: Annotated[str, _text(MAX_DESCRIPTION_LENGTH)] | None = None
    occupation: OccupationCode | None = None


class Education(_Part):
    institution: Annotated[str, _text(MAX_ORGANISATION_LENGTH)]
    level: EducationLevel
    major: Annotated[str, _text(MAX_LINE_LENGTH)] | None = None
    start_year: Year
    end_year: Year | None = None
    gpa: Annotated[float, Field(ge=0, le=4)] | None = None


class Certificate(_Part):
    name: Annotated[str, _text(MAX_TITLE_LENGTH)]
    issuer: Annotated[str, _text(MAX_ORGANISATION_LENGTH)]
    valid_from: Month
    valid_until: Month | None = None
    score: Annotated[str, _text(MAX_SCORE_LENGTH)] | None = None


class Achievement(_Part):
    title: Annotated[str, _text(MAX_TITLE_LENGTH)]
    organiser: Annotated[str, _text(MAX_ORGANISATION_LENGTH)]
    date: Month
    description: Annotated[str, _text(MAX_DESCRIPTION_LENGTH)] | None = None


class Photo(_Part):
    content: Annotated[
        str,
        Field(
            description="The image bytes, standard base64 (100 bytes to 2 MiB).",
            json_schema_extra={"contentEncoding": "base64"},
        ),
    ]
    media_type: PhotoType | None = None


class Visibility(_Part):
    published: Annotated[list[Section], Field(json_schema_extra={"uniqueItems": True})] = []


def _listed(name: str) -> Any:
    return Field(max_length=MAX_ITEMS[name])


class Profile(_Part):
    """The holder's whole labour profile."""

    full_name: Annotated[
        str,
        Field(
            max_length=MAX_NAME_LENGTH,
            description="The Dukcapil-verified name (not editable here).",
        ),
    ]
    stakeholder: Stakeholder
    biodata: Biodata
    contact: Contact
    ktp_address: Address | None
    domicile_address: Address | None
    skills: Annotated[list[Skill], _listed("skills")]
    languages: Annotated[list[Language], _listed("languages")]
    work: Annotated[list[WorkExperience], _listed("work")]
    education: Annotated[list[Education], _listed("education")]
    certificates: Annotated[list[Certificate], _listed("certificates")]
    achievements: Annotated[list[Achievement], _listed("achievements")]
    photo: Photo | None
    visibility: Visibility


def profile_json(profile: Any) -> dict[str, Any]:
    """The core's profile as JSON, through :class:`Profile` (so it is what the schema says)."""
    return Profile.model_validate(unstructure(profile)).model_dump(mode="json")


# --------------------------------------------------------------------------
# The patch: its shape for the document; its values are the core's to check
# --------------------------------------------------------------------------


class _Partial(_Part):
    """A mapping section of a patch: only the keys it names change."""


class BiodataPatch(_Partial):
    birth_place: Annotated[str, _text(MAX_LINE_LENGTH)] | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    marital_status: MaritalStatus | None = None
    religion: Religion | None = None
    headline: (
        Annotated[str, Field(max_length=MAX_LINE_LENGTH, examples=["IT Professional"])] | None
    ) = None
    occupation: OccupationCode | None = None


class ContactPatch(_Partial):
    email: Annotated[str, _text(MAX_EMAIL_INPUT)] | None = None
    phone: Annotated[str, _text(MAX_PHONE_INPUT)] | None = None


class VisibilityPatch(_Partial):
    published: Annotated[list[Section], Field(json_schema_extra={"uniqueItems": True})] = []


SkillEntry = Annotated[str, Field(max_length=MAX_TERM_LENGTH)] | Skill
"""A skill by name alone, or as an object."""


class ProfilePatch(_Part):
    """The sections to change. A mapping for biodata, contact, an address or visibility
    changes only the keys it names; lists and the photo are replaced whole; null clears
    an optional section."""

    stakeholder: Stakeholder | None = None
    biodata: BiodataPatch | None = None
    contact: ContactPatch | None = None
    ktp_address: Address | None = None
    domicile_address: Address | None = None
    skills: Annotated[list[SkillEntry], _listed("skills")] | None = None
    languages: Annotated[list[Language], _listed("languages")] | None = None
    work: Annotated[list[WorkExperience], _listed("work")] | None = None
    education: Annotated[list[Education], _listed("education")] | None = None
    certificates: Annotated[list[Certificate], _listed("certificates")] | None = None
    achievements: Annotated[list[Achievement], _listed("achievements")] | None = None
    photo: Photo | None = None
    visibility: VisibilityPatch | None = None


def _sections(value: object) -> dict[str, Any]:
    """A patch passes as the object it is: the core checks every value and names the
    path of each bad one (``profile.invalid_field``), in both languages."""
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
    return value


ProfilePatchBody = Annotated[
    dict[str, Any], PlainValidator(_sections, json_schema_input_type=ProfilePatch)
]
"""The body of ``PATCH /v1/me/profile``: any object, documented as :class:`ProfilePatch`."""
