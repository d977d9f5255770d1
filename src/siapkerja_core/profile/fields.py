"""Parsing helpers shared by the profile's converters (lenient) and validators (strict).

A converter never raises: it returns what it cannot convert unchanged, and the
validator then refuses it with a :class:`~siapkerja_core.profile.ProfileError`
that names the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

import attrs

from siapkerja_core.profile.enums import (
    EducationLevel,
    EmploymentStatus,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Sex,
    Stakeholder,
    _LabelledEnum,
)
from siapkerja_core.profile.errors import ProfileError, _invalid, _invalid_because, _Reason

__all__ = []

_T = TypeVar("_T")
_E = TypeVar("_E", bound="_LabelledEnum")

# --------------------------------------------------------------------------
# Parsing helpers shared by converters (lenient) and validators (strict)
# --------------------------------------------------------------------------
# A converter never raises: it returns what it cannot convert unchanged, and
# the attribute's validator — which knows the attribute's name — refuses it
# with a ProfileError naming the field. attrs runs converters first.

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_CONTROL_LINE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_TEXT: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(line: str) -> bool:
    """Whether ``line`` holds a character no one-line profile field accepts (C0/C1 controls,
    lone surrogates): the test every single-line text of a profile passes."""
    return _CONTROL_LINE.search(line) is not None


def _lenient(parse: Callable[[Any], _T], value: object) -> _T:
    try:
        return parse(value)
    except (_Reason, ProfileError):
        # Left for the validator, which reports it with the attribute's name.
        return cast("_T", value)


def _checked_by(parse: Callable[[Any], object], *, optional: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        try:
            parse(value)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        except ProfileError as error:  # e.g. YearMonth(2021, 13): reword for this field
            raise _invalid(
                attribute.name,
                str(error.params.get("reason_id", error.message_id)),
                str(error.params.get("reason", error.message_en)),
            ) from None

    return check


def _clean_line(value: str) -> str:
    """NFC, surrounding space stripped, inner runs of whitespace collapsed to one space."""
    try:
        return " ".join(unicodedata.normalize("NFC", value).split())
    except TypeError:
        return value


def _clean_optional_line(value: str | None) -> str | None:
    """As :func:`_clean_line`; ``None`` and blank text become ``None``."""
    if value is None:
        return None
    cleaned = _clean_line(value)
    return None if cleaned == "" else cleaned


def _clean_optional_text(value: str | None) -> str | None:
    """Multi-line text: each line cleaned, blank lines at the ends dropped; blank → ``None``."""
    if value is None:
        return None
    try:
        normalized = unicodedata.normalize("NFC", value)
    except TypeError:
        return value
    lines = [" ".join(line.split()) for line in normalized.splitlines()]
    cleaned = "\n".join(lines).strip("\n")
    return None if cleaned == "" else cleaned


def _text(max_length: int, *, optional: bool = False, multiline: bool = False) -> _Validator:
    control = _CONTROL_TEXT if multiline else _CONTROL_LINE

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise _invalid_because(name, "reason.text")
        if not value:
            raise _invalid_because(name, "reason.required")
        if len(value) > max_length:
            raise _invalid_because(name, "reason.max_length", length=max_length)
        if control.search(value):
            raise _invalid_because(name, "reason.control_characters")

    return check


def _parse_int(value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Reason.of("reason.whole_number")
    if not low <= value <= high:
        raise _Reason.of("reason.between", low=low, high=high)
    return value


def _int_between(low: int, high: int, *, optional: bool = False) -> _Validator:
    return _checked_by(lambda v: _parse_int(v, low, high), optional=optional)


def _instance_of(cls: type, *, optional: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (value is None and optional) or isinstance(value, cls):
            return
        raise _invalid_because(attribute.name, "reason.type", type=cls.__name__)

    return check


def _parse_enum(enum: type[_E], value: object) -> _E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(m.value) for m in enum)
    raise _Reason.of("reason.one_of", allowed=allowed)


def _enum_field(enum: type[_LabelledEnum], *, optional: bool = False) -> _Validator:
    return _checked_by(lambda v: _parse_enum(enum, v), optional=optional)


def _to_sex(value: Sex | str | None) -> Sex | None:
    return None if value is None else _lenient(lambda v: _parse_enum(Sex, v), value)


def _to_marital_status(value: MaritalStatus | str | None) -> MaritalStatus | None:
    return None if value is None else _lenient(lambda v: _parse_enum(MaritalStatus, v), value)


def _to_religion(value: Religion | str | None) -> Religion | None:
    return None if value is None else _lenient(lambda v: _parse_enum(Religion, v), value)


def _to_employment_status(value: EmploymentStatus | str | None) -> EmploymentStatus | None:
    return None if value is None else _lenient(lambda v: _parse_enum(EmploymentStatus, v), value)


def _to_language_level(value: LanguageLevel | str) -> LanguageLevel:
    return _lenient(lambda v: _parse_enum(LanguageLevel, v), value)


def _to_education_level(value: EducationLevel | str) -> EducationLevel:
    return _lenient(lambda v: _parse_enum(EducationLevel, v), value)


def _to_stakeholder(value: Stakeholder | str) -> Stakeholder:
    return _lenient(lambda v: _parse_enum(Stakeholder, v), value)
