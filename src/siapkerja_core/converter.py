"""The one cattrs converter of the core: profiles to and from JSON-ready data.

This module owns the wire shape of the domain's value objects; the objects
themselves (:mod:`siapkerja_core.profile`) know nothing about JSON. It
follows cattrs' preconf modules (``cattrs/preconf/json.py``):
:func:`configure_converter` adds our hooks to any :class:`cattrs.Converter`,
:func:`make_converter` builds a configured one, and :data:`converter` is the
module's shared instance.

The shape, in short (``docs/profile.md`` has the full example):

* dates are ISO strings (``"1994-03-12"``), months ``"YYYY-MM"``;
* enums are their values (``"L"``, ``"belum_menikah"``, ``"S1"``);
* tuples are lists; a skill is ``{"name": "PHP"}`` (a bare ``"PHP"`` is
  accepted too); the photo's bytes are standard base64;
* visibility is ``{"published": [...]}`` with the section names sorted;
* every attribute is written, ``null`` when empty.

Structuring is strict: text must be a JSON string, numbers JSON numbers
(``true`` is not ``1``), unknown keys are refused. Every failure becomes a
:class:`~siapkerja_core.profile.ProfileError` whose ``field`` is the path in
the document (``"education[0].gpa"``), found with :func:`cattrs.transform_error`;
``errors`` lists every problem found, not just the first.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from siapkerja_core._codegen import NotStoredShape, is_sequence_type, stored_builder
from siapkerja_core.disclosure import ProfileView
from siapkerja_core.i18n import both
from siapkerja_core.profile import (
    SECTIONS,
    Achievement,
    Address,
    Biodata,
    Certificate,
    Contact,
    Education,
    EducationLevel,
    EmploymentStatus,
    Language,
    LanguageLevel,
    MaritalStatus,
    OccupationCode,
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
)

__all__ = [
    "configure_converter",
    "converter",
    "make_converter",
    "merge_profile",
    "profile_view_data",
    "structure",
    "structure_profile",
    "structure_stored_contact",
    "structure_stored_profile",
    "unstructure",
]

T = TypeVar("T")

_RECORDS: Final[frozenset[type]] = frozenset(
    {
        Achievement,
        Address,
        Biodata,
        Certificate,
        Contact,
        Education,
        Language,
        OccupationCode,
        Photo,
        Profile,
        Visibility,
        WorkExperience,
    }
)
_ENUMS: Final = (
    EducationLevel,
    EmploymentStatus,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Section,
    Sex,
    Stakeholder,
)
_MERGED_BY_KEY: Final = frozenset(
    {"biodata", "contact", "ktp_address", "domicile_address", "visibility"}
)
"""Sections where ``merge_profile`` updates the given keys and keeps the others."""


class _WrongValue(ValueError):
    """Raised by the strict hooks below; carries the reason in both languages."""

    def __init__(self, reason_id: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_id = reason_id
        self.reason_en = reason_en

    @classmethod
    def of(cls, key: str, /, **params: object) -> _WrongValue:
        """The reason written in the catalogues under ``key`` (``reason.string``)."""
        return cls(*both(key, **params))


def _reason(key: str, /, **params: object) -> dict[str, str]:
    # invalid_field names the English reason ``reason``, the Indonesian one ``reason_id``.
    reason_id, reason_en = both(key, **params)
    return {"reason": reason_en, "reason_id": reason_id}


# --------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _WrongValue.of("reason.string")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _WrongValue.of("reason.whole_number")
    return value


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _WrongValue.of("reason.number")
    return float(value)


def _structure_bytes(value: object, _: type) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise _WrongValue.of("reason.base64_text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _WrongValue.of("reason.base64") from None


def _unstructure_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _structure_date(value: object, _: type) -> date:
    if type(value) is date:
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _WrongValue.of("reason.date_text")


def _structure_year_month(value: object, _: type) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    if not isinstance(value, str):
        raise _WrongValue.of("reason.year_month_text")
    return YearMonth.parse(value)


def _enum_hook(enum: type[Any]) -> Any:
    allowed = ", ".join(repr(m.value) for m in enum)

    def structure(value: object, _: type) -> Any:
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
        raise _WrongValue.of("reason.one_of", allowed=allowed)

    return structure


def _sequence_hook(t: Any, converter: cattrs.Converter) -> Any:
    """``tuple[X, ...]`` and ``frozenset[X]`` from a JSON array only (never a string)."""
    origin = get_origin(t)
    element = get_args(t)[0]
    handler = converter.get_structure_hook(element)

    def structure(value: object, _: type) -> Any:
        if not isinstance(value, list | tuple):
            raise _WrongValue.of("reason.list")
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(handler(item, element))
            except Exception as exc:  # collected, then raised together as cattrs does
                exc.add_note(
                    IterableValidationNote(f"Structuring {t} @ index {index}", index, element)
                )
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t!r}", errors, t)
        return origin(items)

    return structure


def _unstructure_visibility(value: Visibility) -> dict[str, Any]:
    return {"published": list(_published_names(value.published))}


@functools.lru_cache(maxsize=256)
def _published_names(published: frozenset[Section]) -> tuple[str, ...]:
    """The sorted names of a set of sections: a profile has one of a few sets (most the
    default), and sorting them again was a fifth of unstructuring a profile."""
    return tuple(sorted(s.value for s in published))


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the profile's wire format (see the module docstring).

    Hooks: strict ``str``/``int``/``float``; ``date`` as ISO; ``YearMonth``
    as ``"YYYY-MM"``; enums by value; ``bytes`` as base64; ``Skill`` also
    from a bare string; ``Visibility`` with sorted section names; every
    profile class structured with unknown keys refused.
    """
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bytes, _structure_bytes)
    converter.register_unstructure_hook(bytes, _unstructure_bytes)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(YearMonth, _structure_year_month)
    converter.register_unstructure_hook(YearMonth, str)
    for enum in _ENUMS:
        converter.register_structure_hook(enum, _enum_hook(enum))
        converter.register_unstructure_hook(enum, lambda member: member.value)
    converter.register_unstructure_hook(Visibility, _unstructure_visibility)
    # A biodata field added after 0.2 is written only when set: a profile that never
    # had one keeps the exact document (stored, exported, answered) it had before.
    converter.register_unstructure_hook(
        Biodata,
        make_dict_unstructure_fn(
            Biodata, converter, employment_status=override(omit_if_default=True)
        ),
    )
    converter.register_structure_hook_factory(
        is_sequence_type, lambda t: _sequence_hook(t, converter)
    )

    def structure_record(cl: type[Any]) -> Any:
        return make_dict_structure_fn(
            cl,
            converter,
            _cattrs_forbid_extra_keys=True,
            _cattrs_detailed_validation=True,
        )

    converter.register_structure_hook_factory(lambda t: t in _RECORDS, structure_record)
    skill_from_mapping = make_dict_structure_fn(
        Skill, converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )

    def structure_skill(value: object, cl: type[Skill]) -> Skill:
        if isinstance(value, str):
            return Skill(name=value)
        if not isinstance(value, Mapping):
            raise _WrongValue.of("reason.text_or_object")
        return skill_from_mapping(value, cl)

    converter.register_structure_hook(Skill, structure_skill)


def make_converter() -> cattrs.Converter:
    """A new :class:`cattrs.Converter` (detailed validation on) with our hooks."""
    result = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    configure_converter(result)
    return result


converter: Final[cattrs.Converter] = make_converter()
"""The shared converter. Use the functions below unless you need cattrs itself."""


# --------------------------------------------------------------------------
# Errors: cattrs' exception groups → one ProfileError naming the field
# --------------------------------------------------------------------------


def _has_note(exc: BaseException) -> bool:
    return any(
        type(note) in (AttributeValidationNote, IterableValidationNote)
        for note in getattr(exc, "__notes__", ())
    )


def _join(path: str, name: str) -> str:
    if not name:
        return path
    return name if path == "$" else f"{path}.{name}"


def _describe(exc: BaseException, cl: object, path: str) -> ProfileError:
    """One leaf failure at ``path`` (``"$"`` or ``"work[0].start"``) as a ProfileError."""
    if isinstance(exc, ProfileError):
        # Raised by a hook while structuring exactly this attribute (it has a cattrs
        # note), or by the class's own validators, which name the attribute.
        field_path = path if _has_note(exc) else _join(path, str(exc.params.get("field") or ""))
        return ProfileError(exc.code, **{**exc.params, "field": field_path})
    if isinstance(exc, _WrongValue):
        return ProfileError(
            "invalid_field", field=path, reason=exc.reason_en, reason_id=exc.reason_id
        )
    if isinstance(exc, KeyError):
        return ProfileError("invalid_field", field=path, **_reason("reason.required"))
    if isinstance(exc, ForbiddenExtraKeysError):
        extra = sorted(exc.extra_fields)
        if len(extra) == 1:
            return ProfileError(
                "invalid_field",
                field=_join(path, extra[0]),
                **_reason("reason.unknown_field"),
            )
        names = ", ".join(extra)
        return ProfileError(
            "invalid_field",
            field=path,
            **_reason("reason.unknown_fields", names=names),
        )
    if isinstance(cl, type) and attrs.has(cl):
        return ProfileError(
            "invalid_field",
            field=path,
            **_reason("reason.object"),
        )
    if isinstance(exc, TypeError) and "iterable" in str(exc):
        return ProfileError("invalid_field", field=path, **_reason("reason.list"))
    return ProfileError("invalid_field", field=path, **_reason("reason.invalid"))


def _to_profile_error(exc: BaseException) -> ProfileError:
    """All failures in ``exc`` as one ProfileError: the first one, with ``errors`` = all."""
    leaves: list[tuple[BaseException, object]] = []

    def remember(leaf: BaseException, cl: object) -> str:
        leaves.append((leaf, cl))
        return str(len(leaves) - 1)

    problems: list[ProfileError] = []
    for line in cattrs.transform_error(exc, "$", remember):
        index, _, path = line.partition(" @ ")
        if path.startswith("$."):
            path = path[2:]
        elif path.startswith("$["):
            path = path[1:]
        leaf, cl = leaves[int(index)]
        problems.append(_describe(leaf, cl, path))
    first = problems[0]
    return ProfileError(first.code, **{**first.params, "errors": tuple(problems)})


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def structure(data: object, cl: type[T]) -> T:
    """Build a ``cl`` (any profile class) from JSON-ready ``data``.

    :raises ProfileError: naming the path of the first problem in ``field``
        (``"$"`` is the whole document); ``errors`` holds them all.
    """
    if attrs.has(cl) and not isinstance(data, Mapping):
        raise ProfileError("invalid_field", field="$", **_reason("reason.object"))
    try:
        return converter.structure(data, cl)
    except (ClassValidationError, IterableValidationError) as exc:
        raise _to_profile_error(exc) from exc
    except (ProfileError, _WrongValue, ForbiddenExtraKeysError, KeyError, TypeError) as exc:
        raise _to_profile_error(exc) from exc


def structure_profile(data: Mapping[str, Any]) -> Profile:
    """Build a :class:`~siapkerja_core.profile.Profile` from JSON-ready ``data``.

    >>> profile = structure_profile({"full_name": "Galih Agan Pambayun"})
    >>> profile.stakeholder.value, profile.skills
    ('job_seeker', ())

    :raises ProfileError: e.g. ``invalid_field`` with ``field="work[0].start"``.
    """
    return structure(data, Profile)


# --------------------------------------------------------------------------
# Stored profiles: rebuilt without validating them again
# --------------------------------------------------------------------------


_stored_profile: Final[Callable[[Any], Profile]] = stored_builder(
    Profile,
    {
        float: float,
        date: date.fromisoformat,
        YearMonth: YearMonth.parse,
        bytes: base64.b64decode,
    },
)


def structure_stored_profile(data: Mapping[str, Any]) -> Profile:
    """A profile from what :func:`unstructure` wrote of a valid one, without validating it again.

    For storage adapters reading back their own records: a SQL row's profile
    was written from a :class:`~siapkerja_core.profile.Profile` (valid by
    construction) and is authenticated by AES-GCM, so checking and
    normalising every value again — e-mail and phone parsing above all —
    would only repeat work: this is far faster than :func:`structure_profile`
    (``benchmarks/README.md``), which matters to bulk card issuance and to a
    scan that misses the profile cache. Values are taken as written; data in
    another shape (an unknown key, a missing required one, a value that does
    not convert) goes through :func:`structure_profile` instead, so what it
    refuses is refused here too, with the same ``ProfileError``.

    Never use it for input from people or other systems: that is what
    :func:`structure_profile` is for.
    """
    try:
        return _stored_profile(data)
    except (NotStoredShape, KeyError, TypeError, ValueError):
        return structure_profile(data)


_stored_contact: Final[Callable[[Any], Contact]] = stored_builder(Contact, {})


def structure_stored_contact(data: Mapping[str, Any]) -> Contact:
    """A profile's contact from an account's stored e-mail and phone, without checking them
    again (:func:`structure_stored_profile`'s rule: values written from valid ones are taken
    as written; another shape is structured, and refused, as input is)."""
    try:
        return _stored_contact(data)
    except (NotStoredShape, KeyError, TypeError, ValueError):
        return structure(data, Contact)


def unstructure(obj: object) -> dict[str, Any]:
    """``obj`` (a profile or one of its sections) as a JSON-ready ``dict``."""
    result = converter.unstructure(obj)
    if not isinstance(result, dict):
        raise TypeError(f"unstructure() takes a profile object, not {type(obj).__name__}")
    return result


def profile_view_data(view: ProfileView) -> dict[str, Any]:
    """A scanned profile's view as JSON-ready data (the web binding's and the API's shape)."""
    return {
        "siapkerja_id": view.siapkerja_id,
        "full_name": view.full_name,
        "card_active": view.card_active,
        "audience": view.audience.value,
        "disclosed": list(view.disclosed),
        "nik": view.nik,
        "purpose": view.purpose,
        "verifier": view.verifier,
        "consent_required": view.consent_required,
        "data": converter.unstructure(dict(view.data)),
        "aki": None if view.aki is None else dict(view.aki),
    }


def merge_profile(current: Profile, changes: Mapping[str, Any]) -> Profile:
    """``current`` with the sections in ``changes`` replaced, validated as a whole.

    ``changes`` maps section names (:data:`~siapkerja_core.profile.SECTIONS`:
    ``biodata``, ``contact``, ``ktp_address``, ``domicile_address``,
    ``skills``, ``languages``, ``work``, ``education``, ``certificates``,
    ``achievements``, ``photo``, ``visibility``, ``stakeholder``) to new values,
    as JSON-ready data or as profile objects. A mapping given for ``biodata``,
    ``contact``, an address or ``visibility`` updates only the keys it names
    (``{"biodata": {"headline": "Backend Developer"}}``); lists and the photo
    are replaced whole; ``None`` clears an optional section. ``full_name`` is
    not a section: it is the Dukcapil-verified name and is not edited here.

    :raises ProfileError: ``unknown_section``, or any structuring error, with
        ``field`` naming the path in the merged document.
    """
    data = unstructure(current)
    for section, value in changes.items():
        if section not in SECTIONS:
            raise ProfileError("unknown_section", section=str(section), known=", ".join(SECTIONS))
        plain = converter.unstructure(value)
        base = data.get(section)
        if section in _MERGED_BY_KEY and isinstance(plain, Mapping) and isinstance(base, dict):
            data[section] = {**base, **plain}
        else:
            data[section] = plain
    return structure_profile(data)
