"""Labour-classification codes a profile entry may carry, so hubs can match them.

An occupation (a job of :class:`~siapkerja_core.profile.WorkExperience`, the
headline of :class:`~siapkerja_core.profile.Biodata`) may carry an
:class:`OccupationCode`; a :class:`~siapkerja_core.profile.Skill` may carry
an ESCO skill URI. Every code is optional, and only its **format** is checked
here: no classification is bundled, so a well-formed code that does not
exist in the classification is accepted.

* ``kbji`` — *Klasifikasi Baku Jabatan Indonesia* 2014 (Kemnaker and BPS),
  built on ISCO-08: a 4-digit unit group (``"2512"``, the same digits as
  ISCO-08) or a unit group with its 2-digit national occupation
  (``"2512.01"``, the form KBJI 2014 publishes; ``"251201"`` is accepted and
  written with the dot).
* ``isco08`` — ISCO-08 (ILO): a 4-digit unit group (``"2512"``).
* ``esco_uri`` — the European ESCO classification's concept URI, which maps
  each occupation to one ISCO-08 code:
  ``http://data.europa.eu/esco/occupation/<uuid>`` for an occupation,
  ``http://data.europa.eu/esco/skill/<uuid>`` for a skill.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import attrs
from attrs import field, frozen

from siapkerja_core.profile.errors import _invalid_because, _Reason
from siapkerja_core.profile.fields import _checked_by

__all__ = [
    "ESCO_OCCUPATION_PATTERN",
    "ESCO_OCCUPATION_PREFIX",
    "ESCO_SKILL_PATTERN",
    "ESCO_SKILL_PREFIX",
    "ISCO08_PATTERN",
    "KBJI_PATTERN",
    "OccupationCode",
    "check_esco_skill",
    "parse_esco_uri",
    "parse_isco08",
    "parse_kbji",
    "to_esco_skill",
]

ESCO_OCCUPATION_PREFIX: Final = "http://data.europa.eu/esco/occupation/"
ESCO_SKILL_PREFIX: Final = "http://data.europa.eu/esco/skill/"
_UUID: Final = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_KBJI: Final = re.compile(r"([0-9]{4})(?:\.?([0-9]{2}))?")
_ISCO08: Final = re.compile(r"[0-9]{4}")
_ESCO: Final = {
    kind: re.compile(re.escape(prefix) + _UUID)
    for kind, prefix in (("occupation", ESCO_OCCUPATION_PREFIX), ("skill", ESCO_SKILL_PREFIX))
}
KBJI_PATTERN: Final = r"^[0-9]{4}(\.[0-9]{2})?$"
"""A KBJI code as written (the JSON Schema's ``pattern``)."""
ISCO08_PATTERN: Final = r"^[0-9]{4}$"
"""An ISCO-08 unit group (the JSON Schema's ``pattern``)."""
ESCO_OCCUPATION_PATTERN: Final = "^" + re.escape(ESCO_OCCUPATION_PREFIX) + _UUID + "$"
"""An ESCO occupation URI (the JSON Schema's ``pattern``)."""
ESCO_SKILL_PATTERN: Final = "^" + re.escape(ESCO_SKILL_PREFIX) + _UUID + "$"
"""An ESCO skill URI (the JSON Schema's ``pattern``)."""


def _text_of(value: object) -> str:
    if not isinstance(value, str):
        raise _Reason.of("reason.text")
    return value.strip()


def parse_kbji(value: object) -> str:
    """A KBJI 2014 code in its written form: ``"2512"`` or ``"2512.01"`` (format only).

    >>> parse_kbji(" 251201 ")
    '2512.01'
    """
    found = _KBJI.fullmatch(_text_of(value))
    if found is None:
        raise _Reason.of("reason.kbji")
    group, occupation = found.groups()
    return group if occupation is None else f"{group}.{occupation}"


def parse_isco08(value: object) -> str:
    """An ISCO-08 unit group: four digits (format only)."""
    text = _text_of(value)
    if _ISCO08.fullmatch(text) is None:
        raise _Reason.of("reason.isco08")
    return text


def parse_esco_uri(value: object, kind: str = "occupation") -> str:
    """An ESCO concept URI of ``kind`` (``"occupation"`` or ``"skill"``), lower-cased UUID.

    >>> uri = "http://data.europa.eu/esco/skill/ABCDEF12-0000-4000-8000-000000000001"
    >>> parse_esco_uri(uri, "skill")
    'http://data.europa.eu/esco/skill/abcdef12-0000-4000-8000-000000000001'
    """
    text = _text_of(value)
    prefix = ESCO_OCCUPATION_PREFIX if kind == "occupation" else ESCO_SKILL_PREFIX
    if text.startswith(prefix):
        text = prefix + text[len(prefix) :].lower()
    if _ESCO[kind].fullmatch(text) is None:
        raise _Reason.of(f"reason.esco_{kind}")
    return text


def _lenient_code(parse: Callable[[object], str]) -> Callable[[object], object]:
    def convert(value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str) and not value.strip():
            return None
        try:
            return parse(value)
        except _Reason:
            return value  # the validator refuses it, naming the attribute

    return convert


def _esco_skill(value: object) -> str:
    return parse_esco_uri(value, "skill")


def _esco_occupation(value: object) -> str:
    return parse_esco_uri(value, "occupation")


_to_kbji: Final = _lenient_code(parse_kbji)
_to_isco08: Final = _lenient_code(parse_isco08)
_to_esco_occupation: Final = _lenient_code(_esco_occupation)
_to_esco_skill: Final = _lenient_code(_esco_skill)


def to_esco_skill(value: object) -> Any:
    """The converter of a skill's ``esco_uri`` (lenient: the validator refuses)."""
    return _to_esco_skill(value)


def _kbji_converter(value: object) -> Any:
    return _to_kbji(value)


def _isco08_converter(value: object) -> Any:
    return _to_isco08(value)


def _esco_occupation_converter(value: object) -> Any:
    return _to_esco_occupation(value)


_check_esco_skill: Final = _checked_by(_esco_skill, optional=True)


def check_esco_skill(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """The validator of a skill's ``esco_uri``: ``None`` or an ESCO skill URI.

    It never looks at the skill (the leading ``_`` says so: an AK/I import
    checks each distinct value of such a field once, ``bulk/checked.py``), and
    its check is made once here, not on every call.
    """
    _check_esco_skill(_instance, attribute, value)


def _at_least_one(instance: OccupationCode, _attribute: object, _value: object) -> None:
    if instance.kbji is None and instance.isco08 is None and instance.esco_uri is None:
        raise _invalid_because("kbji", "reason.occupation_code_empty")


@frozen(kw_only=True)
class OccupationCode:
    """The codes of one occupation: at least one of ``kbji``, ``isco08``, ``esco_uri``.

    >>> OccupationCode(kbji="2512", isco08="2512").kbji
    '2512'
    """

    kbji: str | None = field(
        default=None,
        converter=_kbji_converter,
        validator=_checked_by(parse_kbji, optional=True),
    )
    isco08: str | None = field(
        default=None,
        converter=_isco08_converter,
        validator=_checked_by(parse_isco08, optional=True),
    )
    esco_uri: str | None = field(
        default=None,
        converter=_esco_occupation_converter,
        validator=[
            _checked_by(_esco_occupation, optional=True),
            _at_least_one,
        ],
    )
