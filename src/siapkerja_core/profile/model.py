"""The whole profile (:class:`Profile`), what the holder publishes (:class:`Visibility`)
and the cross-check against the NIK (:func:`check_against_nik`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

import attrs
from attrs import field, frozen

from siapkerja_core.nik import Nik, parse_nik
from siapkerja_core.profile.career import (
    Achievement,
    Certificate,
    Education,
    Language,
    Skill,
    WorkExperience,
)
from siapkerja_core.profile.enums import (
    DEFAULT_PUBLISHED,
    NEVER_PUBLISHED,
    Section,
    Sex,
    Stakeholder,
)
from siapkerja_core.profile.errors import (
    ProfileError,
    ProfileWarning,
    _invalid,
    _invalid_because,
    _Reason,
)
from siapkerja_core.profile.fields import (
    _clean_line,
    _enum_field,
    _instance_of,
    _lenient,
    _parse_enum,
    _text,
    _to_stakeholder,
    _Validator,
)
from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.profile.personal import Address, Biodata, Contact
from siapkerja_core.profile.photo import Photo

__all__ = [
    "MAX_ITEMS",
    "SECTIONS",
    "Profile",
    "Visibility",
    "check_against_nik",
    "distinct_names",
    "name_key",
]

# --------------------------------------------------------------------------
# Visibility
# --------------------------------------------------------------------------


def _parse_section(value: object) -> Section:
    return _parse_enum(Section, value)


def _section(value: Section | str) -> Section:
    try:
        return _parse_section(value)
    except _Reason as reason:
        raise _invalid("section", reason.reason_id, reason.reason_en) from None


def _to_sections(value: Iterable[Section | str]) -> frozenset[Section]:
    try:
        return frozenset(_lenient(_parse_section, item) for item in value)
    except TypeError:
        return cast("frozenset[Section]", value)


def _check_published(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, frozenset):
        raise _invalid_because(attribute.name, "reason.sections")
    for item in sorted(value, key=str):
        try:
            section = _parse_section(item)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        if section in NEVER_PUBLISHED:
            raise ProfileError("private_section", field=attribute.name, section=section.value)


def _sections_repr(value: frozenset[Section]) -> str:
    try:
        return "{" + ", ".join(repr(str(s)) for s in sorted(value)) + "}"
    except TypeError:
        return repr(value)


@frozen(kw_only=True)
class Visibility:
    """Which sections the holder publishes on the public view of a scanned QR code.

    The full name and the SIAPkerja-ID number are always shown; everything
    else is the holder's choice — except :data:`NEVER_PUBLISHED` (birth data,
    contact, both addresses, religion), which this object refuses to hold
    (``private_section``). Verifiers with the holder's consent see more
    through the disclosure policy, not through this object.
    """

    published: frozenset[Section] = field(
        default=DEFAULT_PUBLISHED,
        converter=_to_sections,
        validator=_check_published,
        repr=_sections_repr,
    )

    def is_published(self, section: Section | str) -> bool:
        """Whether ``section`` appears on the public view."""
        return _section(section) in self.published

    def publish(self, *sections: Section | str) -> Visibility:
        """A copy that also publishes ``sections``."""
        return Visibility(published=self.published | {_section(s) for s in sections})

    def hide(self, *sections: Section | str) -> Visibility:
        """A copy that no longer publishes ``sections``."""
        return Visibility(published=self.published - {_section(s) for s in sections})


# --------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------

MAX_ITEMS: Final = {
    "skills": 50,
    "languages": 20,
    "work": 50,
    "education": 20,
    "certificates": 50,
    "achievements": 50,
}
"""The most entries a list section holds (bounds hostile input)."""


def _tuple_or_raw(value: object) -> Any:
    if type(value) is tuple:  # already one (a profile rebuilt, an empty section): as is
        return value
    if isinstance(value, str | bytes | Mapping):
        return value  # iterable, but never a list of entries
    try:
        return tuple(cast("Iterable[object]", value))
    except TypeError:
        return value


def _to_skills(value: Iterable[Skill | str]) -> tuple[Skill, ...]:
    items = _tuple_or_raw(value)
    if not isinstance(items, tuple):
        return cast("tuple[Skill, ...]", items)
    return tuple(
        _lenient(lambda s: Skill(name=s), item) if isinstance(item, str) else item for item in items
    )


def _to_languages(value: Iterable[Language]) -> tuple[Language, ...]:
    return cast("tuple[Language, ...]", _tuple_or_raw(value))


def _to_work(value: Iterable[WorkExperience]) -> tuple[WorkExperience, ...]:
    return cast("tuple[WorkExperience, ...]", _tuple_or_raw(value))


def _to_education(value: Iterable[Education]) -> tuple[Education, ...]:
    return cast("tuple[Education, ...]", _tuple_or_raw(value))


def _to_certificates(value: Iterable[Certificate]) -> tuple[Certificate, ...]:
    return cast("tuple[Certificate, ...]", _tuple_or_raw(value))


def _to_achievements(value: Iterable[Achievement]) -> tuple[Achievement, ...]:
    return cast("tuple[Achievement, ...]", _tuple_or_raw(value))


def name_key(name: str) -> str:
    """How two skills (or two languages) of one profile are told apart: the same
    name in any case or width, with or without invisible characters, is one name.

    Unicode's NFKC_Casefold in substance: NFKC, so full-width letters a phone's
    keyboard or a pasted spreadsheet gives (``"ＰＨＰ"``) match their plain form;
    case folding; NFKC again (folding can undo a composition, as in ``"ΐ"``); and
    format characters (``Cf``: zero-width space, soft hyphen, direction marks)
    dropped, so ``"PHP\u200b"`` is ``"PHP"``. The name is stored as typed; only
    the comparison folds.
    """
    if name.isascii():  # no compatibility form, no format character: folding is all
        return name.casefold()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


def distinct_names(parts: Iterable[str]) -> list[str]:
    """``parts`` as names (inner spaces collapsed, blanks dropped), each once by
    :func:`name_key`, in its first spelling: a list a person typed or a register
    holds ("PHP, ＰＨＰ") as the profile keeps it, not refused as a duplicate."""
    seen: set[str] = set()
    names: list[str] = []
    for part in parts:
        name = " ".join(part.split())
        if name and (key := name_key(name)) not in seen:
            seen.add(key)
            names.append(name)
    return names


def _items(cls: type, *, unique_by_name: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if not isinstance(value, tuple):
            raise _invalid_because(name, "reason.list")
        limit = MAX_ITEMS[name]
        if len(value) > limit:
            raise _invalid_because(name, "reason.max_items", limit=limit)
        seen: set[str] = set()
        for index, item in enumerate(value):
            if not isinstance(item, cls):
                raise _invalid_because(f"{name}[{index}]", "reason.type", type=cls.__name__)
            if unique_by_name:
                label = str(getattr(item, "name", ""))
                key = name_key(label)
                if key in seen:
                    raise _invalid_because(f"{name}[{index}]", "reason.duplicate", item=repr(label))
                seen.add(key)

    return check


@frozen(kw_only=True)
class Profile:
    """A person's labour profile: every section of the scanned profile page.

    ``full_name`` is the Dukcapil-verified name of the account; the NIK is
    not part of the profile (it belongs to the account and never changes).
    List sections are tuples (lists and iterables are accepted and
    converted). ``stakeholder`` decides the completeness rules.
    """

    full_name: str = field(converter=_clean_line, validator=_text(MAX_NAME_LENGTH))
    stakeholder: Stakeholder = field(
        default=Stakeholder.JOB_SEEKER,
        converter=_to_stakeholder,
        validator=_enum_field(Stakeholder),
    )
    biodata: Biodata = field(factory=Biodata, validator=_instance_of(Biodata))
    contact: Contact = field(factory=Contact, validator=_instance_of(Contact))
    ktp_address: Address | None = field(
        default=None, validator=_instance_of(Address, optional=True)
    )
    domicile_address: Address | None = field(
        default=None, validator=_instance_of(Address, optional=True)
    )
    skills: tuple[Skill, ...] = field(
        default=(), converter=_to_skills, validator=_items(Skill, unique_by_name=True)
    )
    languages: tuple[Language, ...] = field(
        default=(), converter=_to_languages, validator=_items(Language, unique_by_name=True)
    )
    work: tuple[WorkExperience, ...] = field(
        default=(), converter=_to_work, validator=_items(WorkExperience)
    )
    education: tuple[Education, ...] = field(
        default=(), converter=_to_education, validator=_items(Education)
    )
    certificates: tuple[Certificate, ...] = field(
        default=(), converter=_to_certificates, validator=_items(Certificate)
    )
    achievements: tuple[Achievement, ...] = field(
        default=(), converter=_to_achievements, validator=_items(Achievement)
    )
    photo: Photo | None = field(default=None, validator=_instance_of(Photo, optional=True))
    visibility: Visibility = field(factory=Visibility, validator=_instance_of(Visibility))


SECTIONS: Final[tuple[str, ...]] = tuple(
    a.name for a in attrs.fields(Profile) if a.name != "full_name"
)
"""The names :func:`siapkerja_core.converter.merge_profile` accepts (all but ``full_name``)."""


# --------------------------------------------------------------------------
# NIK cross-check
# --------------------------------------------------------------------------


def check_against_nik(profile: Profile, nik: Nik | str) -> tuple[ProfileWarning, ...]:
    """Warn where the profile's birth date or sex differs from what the NIK encodes.

    Never raises for a difference: the NIK is issued once and kept for life,
    even when Dukcapil later corrects the birth date it was built from
    (PP 40/2019 Pasal 30), so the profile may rightly differ. A ``str`` NIK
    is parsed leniently (``strict=False``); a malformed one raises
    :class:`~siapkerja_core.nik.InvalidNik`. Missing profile values give no
    warning (completeness reports them).
    """
    parsed = nik if isinstance(nik, Nik) else parse_nik(nik, strict=False)
    warnings: list[ProfileWarning] = []
    born = profile.biodata.birth_date
    if born is not None and born != parsed.birth_date:
        warnings.append(
            ProfileWarning.of(
                "birth_date_differs",
                "biodata.birth_date",
                born=born.isoformat(),
                nik_born=parsed.birth_date.isoformat(),
            )
        )
    sex = profile.biodata.sex
    if sex is not None and sex != parsed.sex:
        nik_sex = Sex(parsed.sex)
        warnings.append(
            ProfileWarning.of(
                "sex_differs",
                "biodata.sex",
                sex_id=sex.label_id,
                sex_en=sex.label_en,
                nik_sex_id=nik_sex.label_id,
                nik_sex_en=nik_sex.label_en,
            )
        )
    return tuple(warnings)
