"""The profile's career sections: skills, languages, work experience, education,
certificates and achievements.
"""

from __future__ import annotations

import math
from typing import Any, Final, cast

import attrs
from attrs import field, frozen

from siapkerja_core.i18n import text
from siapkerja_core.profile.codes import OccupationCode, check_esco_skill, to_esco_skill
from siapkerja_core.profile.dates import (
    MAX_YEAR,
    MIN_YEAR,
    YearMonth,
    _parse_year_month,
    _period_label,
    _to_optional_year_month,
    _to_year_month,
)
from siapkerja_core.profile.enums import EducationLevel, LanguageLevel
from siapkerja_core.profile.errors import ProfileError, _invalid_because, _Reason
from siapkerja_core.profile.fields import (
    _checked_by,
    _clean_line,
    _clean_optional_line,
    _clean_optional_text,
    _enum_field,
    _instance_of,
    _int_between,
    _lenient,
    _text,
    _to_education_level,
    _to_language_level,
    _Validator,
)
from siapkerja_core.profile.lengths import (
    MAX_DESCRIPTION_LENGTH,
    MAX_LINE_LENGTH,
    MAX_ORGANISATION_LENGTH,
    MAX_SCORE_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TITLE_LENGTH,
)

__all__ = ["Achievement", "Certificate", "Education", "Language", "Skill", "WorkExperience"]

# Skills, languages, work, education, certificates, achievements
# --------------------------------------------------------------------------


@frozen(kw_only=True)
class Skill:
    """*Keahlian*: one skill, e.g. ``"Object-oriented Programming (OOP)"``.

    ``esco_uri`` optionally names the ESCO skill it is
    (``http://data.europa.eu/esco/skill/<uuid>``; format checked only).
    """

    name: str = field(converter=_clean_line, validator=_text(MAX_TERM_LENGTH))
    esco_uri: str | None = field(default=None, converter=to_esco_skill, validator=check_esco_skill)


@frozen(kw_only=True)
class Language:
    """*Bahasa*: a language and how well it is spoken."""

    name: str = field(converter=_clean_line, validator=_text(MAX_TERM_LENGTH))
    level: LanguageLevel = field(converter=_to_language_level, validator=_enum_field(LanguageLevel))


def _date_order(start_attribute: str) -> _Validator:
    """The end attribute must not be before ``start_attribute`` (``None`` = ongoing)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        start = getattr(instance, start_attribute)
        if value is None or type(value) is not type(start):
            return  # the type is the other validators' business
        if value < start:  # type: ignore[operator]
            raise ProfileError("date_order", field=attribute.name, start=str(start), end=str(value))

    return check


@frozen(kw_only=True)
class WorkExperience:
    """*Pengalaman kerja*: one job. ``end=None`` means it continues ("Sekarang")."""

    title: str = field(converter=_clean_line, validator=_text(MAX_LINE_LENGTH))
    company: str = field(converter=_clean_line, validator=_text(MAX_LINE_LENGTH))
    start: YearMonth = field(converter=_to_year_month, validator=_checked_by(_parse_year_month))
    end: YearMonth | None = field(
        default=None,
        converter=_to_optional_year_month,
        validator=[_checked_by(_parse_year_month, optional=True), _date_order("start")],
    )
    location: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(MAX_LINE_LENGTH, optional=True),
    )
    description: str | None = field(
        default=None,
        converter=_clean_optional_text,
        validator=_text(MAX_DESCRIPTION_LENGTH, optional=True, multiline=True),
    )
    occupation: OccupationCode | None = field(
        default=None, validator=_instance_of(OccupationCode, optional=True)
    )
    """The job's KBJI 2014 / ISCO-08 / ESCO codes, when known (hubs match on them)."""

    @property
    def current(self) -> bool:
        """True while the job continues (no end month)."""
        return self.end is None

    def period_label(self, lang: str = "id") -> str:
        """``"Juni 2021 - Sekarang"`` / ``"June 2021 - Present"``."""
        return _period_label(self.start, self.end, lang)


def _parse_gpa(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise _Reason.of("reason.gpa_number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Reason.of("reason.gpa_number")
    if not math.isfinite(value) or not 0 <= value <= 4:
        raise _Reason.of("reason.gpa_range")
    return round(float(value), 2)


def _to_gpa(value: float | str | None) -> float | None:
    return None if value is None else _lenient(_parse_gpa, value)


_check_gpa: Final = _checked_by(_parse_gpa, optional=True)
"""A GPA given must be one (0.00–4.00); it looks at the value alone."""


def _gpa_required(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finished diploma or degree needs its GPA: the one part of the GPA's rules that
    looks at the other fields (kept apart, so a given GPA is checked on its own)."""
    if value is None:
        level = instance.level
        if isinstance(level, EducationLevel) and level.is_higher and instance.end_year is not None:
            raise _invalid_because(attribute.name, "reason.gpa_required", level=level.value)


@frozen(kw_only=True)
class Education:
    """*Pendidikan*: a school or study programme.

    ``gpa`` (*IPK*, 0.00–4.00, rounded to two decimals) may be left out for SD–SMK and
    for a diploma or degree still in progress (``end_year=None``).
    """

    institution: str = field(converter=_clean_line, validator=_text(MAX_ORGANISATION_LENGTH))
    level: EducationLevel = field(
        converter=_to_education_level, validator=_enum_field(EducationLevel)
    )
    major: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(MAX_LINE_LENGTH, optional=True),
    )
    start_year: int = field(validator=_int_between(MIN_YEAR, MAX_YEAR))
    end_year: int | None = field(
        default=None,
        validator=[_int_between(MIN_YEAR, MAX_YEAR, optional=True), _date_order("start_year")],
    )
    gpa: float | None = field(
        default=None, converter=_to_gpa, validator=[_check_gpa, _gpa_required]
    )

    def period_label(self, lang: str = "id") -> str:
        """``"2016 - 2018"``; an unfinished study ends with "Sekarang"/"Present"."""
        if self.end_year is not None:
            return f"{self.start_year} - {self.end_year}"
        return f"{self.start_year} - {text('label.period.present', lang)}"


def _to_score(value: str | float | None) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if math.isfinite(value) else str(value)
    # A bool stays a bool (not "True") and is refused by the validator.
    return _clean_optional_line(cast("str | None", value))


@frozen(kw_only=True)
class Certificate:
    """*Sertifikat*: name, issuer, an optional score ("84", "N4", "B2", "Lulus").

    ``valid_until=None`` means it does not expire ("Sekarang" on the page).
    """

    name: str = field(converter=_clean_line, validator=_text(MAX_TITLE_LENGTH))
    issuer: str = field(converter=_clean_line, validator=_text(MAX_ORGANISATION_LENGTH))
    valid_from: YearMonth = field(
        converter=_to_year_month, validator=_checked_by(_parse_year_month)
    )
    valid_until: YearMonth | None = field(
        default=None,
        converter=_to_optional_year_month,
        validator=[_checked_by(_parse_year_month, optional=True), _date_order("valid_from")],
    )
    score: str | None = field(
        default=None, converter=_to_score, validator=_text(MAX_SCORE_LENGTH, optional=True)
    )

    def period_label(self, lang: str = "id") -> str:
        """``"Januari 2018 - Sekarang"`` / ``"January 2018 - Present"``."""
        return _period_label(self.valid_from, self.valid_until, lang)


@frozen(kw_only=True)
class Achievement:
    """*Pencapaian*: an award or competition result."""

    title: str = field(converter=_clean_line, validator=_text(MAX_TITLE_LENGTH))
    organiser: str = field(converter=_clean_line, validator=_text(MAX_ORGANISATION_LENGTH))
    date: YearMonth = field(converter=_to_year_month, validator=_checked_by(_parse_year_month))
    description: str | None = field(
        default=None,
        converter=_clean_optional_text,
        validator=_text(MAX_DESCRIPTION_LENGTH, optional=True, multiline=True),
    )
