"""National labour programmes (JKP, BSU, Prakerja …) and their eligibility rules, as data.

The brief's ninth use: the card is the access code a programme's desk (or
its online intake) checks against the programme's requirements. This module
owns, as pure values and rules:

* the requirement records (:data:`Requirement`): ``profile_complete``,
  ``age_between`` (whole years from the NIK's birth date on the evaluation
  day), ``employment_status_in``, ``region_in`` (a Kemendagri code prefix of
  the domicile or KTP address), ``phone_verified``, ``aki_registered`` (an
  active AK/I job-seeker registration, asked through a callable the service
  is given: unknown is not met), ``not_enrolled`` (not already in this
  programme or one of the listed exclusion groups) and ``manual`` (checked by
  the programme's own records: reported ``to_verify``, never decided here);
* :class:`Programme` — a programme with its requirements, read from JSON or
  TOML data (:func:`parse_programme`, :func:`load_programme`) and written back
  (:meth:`Programme.as_data`) so a definition round-trips;
* :class:`Facts` — what is known of one holder, gathered by the service;
* :func:`evaluate` — ``(programme, facts, today) -> Eligibility``, naming each
  requirement and why it failed, in Indonesian and English (the catalogue
  texts ``programme.rule.<rule>.<outcome>``).

Nothing here does I/O: reading a definition file is the caller's job.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, Literal, Protocol

from attrs import field, frozen

from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.profile import EmploymentStatus

__all__ = [
    "MAX_REQUIREMENTS",
    "RULES",
    "AgeBetween",
    "AkiRegistered",
    "AkiRegistrations",
    "Eligibility",
    "EmploymentStatusIn",
    "Facts",
    "Manual",
    "NotEnrolled",
    "Outcome",
    "PhoneVerified",
    "ProfileComplete",
    "Programme",
    "ProgrammeEnrolment",
    "ProgrammeError",
    "RegionIn",
    "Requirement",
    "RequirementResult",
    "age_on",
    "evaluate",
    "load_programme",
    "parse_programme",
    "parse_requirements",
]

MAX_REQUIREMENTS: Final = 50
"""The most requirements one programme may list."""
_MAX_TEXT: Final = 500
_MAX_LIST: Final = 100
_PROGRAMME_ID: Final = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
_KEY: Final = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
_REGION: Final = re.compile(r"\d{2}(?:\d{2}){0,4}")
"""A Kemendagri code without dots: province (2), regency (4), district (6), village (10)."""


class ProgrammeError(SiapkerjaError):
    """A programme definition refused, a programme unknown, or a holder not eligible.

    ``invalid`` names where in the definition (``at``: ``requirements[2].min``)
    and why (``reason_id``/``reason_en``); ``not_found`` a programme id;
    ``exists`` a programme id taken by another institution; ``not_eligible``
    lists every failed requirement in ``failed`` (``[{"rule", "reason_id",
    "reason_en"}]``) and their keys in ``rules``; ``already_enrolled`` the
    holder is in the programme; ``not_operator`` an institution acting on a
    programme it does not operate (its owner).
    """

    domain = "programme"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid",
            "not_found",
            "exists",
            "not_eligible",
            "already_enrolled",
            "not_operator",
        }
    )


def _bad(at: str, reason: str, **params: object) -> ProgrammeError:
    key = f"programme.reason.{reason}"
    return ProgrammeError(
        "invalid",
        at=at,
        reason_id=translations.text(key, "id", **params),
        reason_en=translations.text(key, "en", **params),
    )


class Outcome(StrEnum):
    """How one requirement came out for one holder."""

    MET = "met"
    NOT_MET = "not_met"
    TO_VERIFY = "to_verify"
    """A ``manual`` requirement: the programme checks it in its own records."""


# --- the facts about one holder ------------------------------------------------------


@frozen(kw_only=True)
class Facts:
    """What the service knows of one holder when a programme asks.

    :param nik: the account's NIK (its birth date gives the age).
    :param profile_complete: the profile is complete (:mod:`~siapkerja_core.completeness`).
    :param employment_status: as declared in the profile's biodata, if at all.
    :param domicile_region: the domicile address's village code, if given.
    :param ktp_region: the KTP address's village code, if given.
    :param phone_verified: the profile's phone is the one confirmed by SMS.
    :param aki_registered: an active AK/I registration: ``True``, ``False``, or
        ``None`` when nothing can tell (no AK/I registry wired).
    :param programmes: the programmes the holder is enrolled in.
    :param groups: the exclusion groups of those programmes.
    """

    account_id: str
    nik: str
    profile_complete: bool = False
    employment_status: EmploymentStatus | None = None
    domicile_region: str | None = None
    ktp_region: str | None = None
    phone_verified: bool = False
    aki_registered: bool | None = None
    programmes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


def age_on(birth_date: date, today: date) -> int:
    """Whole years from ``birth_date`` to ``today``: one more on each birthday.

    Someone born on 29 February turns a year older on 1 March in other years
    (their birthday has not come on 28 February).
    """
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (1 if before_birthday else 0)


# --- requirement records ---------------------------------------------------------------


def _text(rule: str, variant: str, lang: str, **params: object) -> str:
    return translations.text(f"programme.rule.{rule}.{variant}", lang, **params)


@frozen(kw_only=True)
class RequirementResult:
    """One requirement's outcome for one holder, with the reason in both languages."""

    rule: str
    """The requirement's kind (``age_between``) or, for ``manual``, its key."""
    outcome: Outcome
    reason_id: str
    reason_en: str

    @property
    def met(self) -> bool:
        return self.outcome is Outcome.MET

    def reason(self, lang: str = "id") -> str:
        return self.reason_en if lang.lower().startswith("en") else self.reason_id

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "outcome": self.outcome.value,
            "reason_id": self.reason_id,
            "reason_en": self.reason_en,
        }


def _result(
    rule: str,
    outcome: Outcome,
    *,
    variant: str | None = None,
    key: str | None = None,
    **params: object,
) -> RequirementResult:
    """The result of ``rule``, its reason the catalogue text ``programme.rule.<rule>.<variant>``
    (the variant defaults to the outcome: ``met``, ``not_met``, ``to_verify``)."""
    name = variant or outcome.value
    return RequirementResult(
        rule=key or rule,
        outcome=outcome,
        reason_id=_text(rule, name, "id", **params),
        reason_en=_text(rule, name, "en", **params),
    )


@frozen(kw_only=True)
class ProfileComplete:
    """The holder's profile is complete (what a SIAPkerja-ID card needs)."""

    rule: ClassVar[str] = "profile_complete"

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        met = facts.profile_complete
        return _result(self.rule, Outcome.MET if met else Outcome.NOT_MET)

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule}


@frozen(kw_only=True)
class AgeBetween:
    """Aged ``min`` to ``max`` whole years (both inclusive, either optional) on the day."""

    rule: ClassVar[str] = "age_between"
    min: int | None = None
    max: int | None = None

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        born = parse_nik(facts.nik, strict=False, today=today).birth_date
        age = age_on(born, today)
        if self.min is not None and age < self.min:
            return _result(self.rule, Outcome.NOT_MET, variant="too_young", age=age, min=self.min)
        if self.max is not None and age > self.max:
            return _result(self.rule, Outcome.NOT_MET, variant="too_old", age=age, max=self.max)
        return _result(self.rule, Outcome.MET, age=age)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule}
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        return data


@frozen(kw_only=True)
class EmploymentStatusIn:
    """The employment status declared in the profile is one of ``statuses``."""

    rule: ClassVar[str] = "employment_status_in"
    statuses: tuple[EmploymentStatus, ...]

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        allowed_id = ", ".join(s.label("id") for s in self.statuses)
        allowed_en = ", ".join(s.label("en") for s in self.statuses)
        status = facts.employment_status
        if status is None:
            return _result(
                self.rule,
                Outcome.NOT_MET,
                variant="missing",
                allowed_id=allowed_id,
                allowed_en=allowed_en,
            )
        outcome = Outcome.MET if status in self.statuses else Outcome.NOT_MET
        return _result(
            self.rule,
            outcome,
            allowed_id=allowed_id,
            allowed_en=allowed_en,
            status_id=status.label("id"),
            status_en=status.label("en"),
        )

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule, "statuses": [s.value for s in self.statuses]}


AddressChoice = Literal["domicile", "ktp", "either"]


@frozen(kw_only=True)
class RegionIn:
    """The address (domicile, KTP, or either) lies in one of ``codes`` (Kemendagri prefixes)."""

    rule: ClassVar[str] = "region_in"
    codes: tuple[str, ...]
    address: AddressChoice = "either"

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        places = {
            "domicile": (facts.domicile_region,),
            "ktp": (facts.ktp_region,),
            "either": (facts.domicile_region, facts.ktp_region),
        }[self.address]
        codes = ", ".join(self.codes)
        met = any(
            place is not None and place.startswith(code) for place in places for code in self.codes
        )
        return _result(self.rule, Outcome.MET if met else Outcome.NOT_MET, codes=codes)

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule, "codes": list(self.codes), "address": self.address}


@frozen(kw_only=True)
class PhoneVerified:
    """The profile's phone number is the one the holder confirmed with an SMS code."""

    rule: ClassVar[str] = "phone_verified"

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        return _result(self.rule, Outcome.MET if facts.phone_verified else Outcome.NOT_MET)

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule}


@frozen(kw_only=True)
class AkiRegistered:
    """An active AK/I (*kartu kuning*) job-seeker registration at a Disnaker.

    Answered by the service's :class:`AkiRegistrations`; while none is wired the
    answer is unknown, and unknown is not met (with a reason saying so).
    """

    rule: ClassVar[str] = "aki_registered"

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        if facts.aki_registered is None:
            return _result(self.rule, Outcome.NOT_MET, variant="unknown")
        return _result(self.rule, Outcome.MET if facts.aki_registered else Outcome.NOT_MET)

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule}


@frozen(kw_only=True)
class NotEnrolled:
    """Not enrolled in this programme, nor in a programme of one of ``groups``.

    Prakerja is received once per person: its definition lists its own group.
    """

    rule: ClassVar[str] = "not_enrolled"
    groups: tuple[str, ...] = ()

    def evaluate(
        self, facts: Facts, today: date, programme_id: str = "", programme_name: str = ""
    ) -> RequirementResult:
        clash = sorted(facts.groups.intersection(self.groups))
        if programme_id in facts.programmes or clash:
            # The holder reads the programme's name; a clash names the exclusion group.
            own = programme_name or programme_id
            where = ", ".join([own] if programme_id in facts.programmes else clash)
            return _result(self.rule, Outcome.NOT_MET, where=where)
        return _result(self.rule, Outcome.MET)

    def as_data(self) -> dict[str, Any]:
        return {"rule": self.rule, "groups": list(self.groups)}


@frozen(kw_only=True)
class Manual:
    """A requirement the programme checks in its own records (a wage, a BPJS membership).

    Never decided here: reported ``to_verify`` with its description, so the
    holder knows what the programme will still check.
    """

    rule: ClassVar[str] = "manual"
    key: str
    text_id: str
    text_en: str

    def evaluate(self, facts: Facts, today: date) -> RequirementResult:
        return _result(
            self.rule, Outcome.TO_VERIFY, key=self.key, text_id=self.text_id, text_en=self.text_en
        )

    def as_data(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "key": self.key,
            "text_id": self.text_id,
            "text_en": self.text_en,
        }


Requirement = (
    ProfileComplete
    | AgeBetween
    | EmploymentStatusIn
    | RegionIn
    | PhoneVerified
    | AkiRegistered
    | NotEnrolled
    | Manual
)
"""One requirement record: ``as_data()`` gives its JSON form, :func:`parse_requirements`
reads it back."""

RULES: Final = (
    "profile_complete",
    "age_between",
    "employment_status_in",
    "region_in",
    "phone_verified",
    "aki_registered",
    "not_enrolled",
    "manual",
)
"""Every requirement kind a definition may name in ``rule``."""


class AkiRegistrations(Protocol):
    """Whether the holder has an active AK/I registration on ``today``.

    ``True`` or ``False`` when known, ``None`` when it cannot be told. The
    service answers from its own AK/I registrations (use 1) unless one of these
    is given with ``svc.programmes.use_aki_registrations(...)``.
    """

    def __call__(self, account_id: str, today: date) -> bool | None: ...


# --- programmes ------------------------------------------------------------------------


@frozen(kw_only=True)
class Programme:
    """A national or regional labour programme and its requirements.

    :param exclusion_group: the group enrolment in this programme puts the
        holder in (``"prakerja"``): a ``not_enrolled`` requirement naming it
        refuses anyone already in a programme of the group.
    :param owner_id: the verifier (institution) that defined it; ``None`` for
        one defined by an administrator.
    """

    id: str
    name: str
    requirements: tuple[Requirement, ...]
    description: str = ""
    exclusion_group: str | None = None
    source: str = ""
    """Where the criteria come from (a regulation, a public page)."""
    public: bool = True
    owner_id: str | None = None
    created_at: datetime | None = field(default=None, eq=False)

    def as_data(self) -> dict[str, Any]:
        """The definition as JSON-ready data (what :func:`parse_programme` reads back)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "public": self.public,
            "requirements": [r.as_data() for r in self.requirements],
        }
        if self.exclusion_group is not None:
            data["exclusion_group"] = self.exclusion_group
        return data


@frozen(kw_only=True)
class ProgrammeEnrolment:
    """A holder admitted to a programme (at its station, or by its operator)."""

    programme_id: str
    account_id: str
    enrolled_at: datetime
    exclusion_group: str | None = None
    event_id: str | None = None
    """The intake event whose station admitted the holder, if any."""


@frozen(kw_only=True)
class Eligibility:
    """The answer for one holder: eligible, and each requirement's outcome.

    Eligible when no requirement is ``not_met``; ``manual`` ones stay
    ``to_verify`` (the programme checks them itself) and do not block.
    """

    programme_id: str
    eligible: bool
    results: tuple[RequirementResult, ...]
    evaluated_on: date
    programme_name: str = ""
    """What the holder reads in a refusal (the id when empty)."""

    @property
    def failed(self) -> tuple[RequirementResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.NOT_MET)

    @property
    def to_verify(self) -> tuple[RequirementResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.TO_VERIFY)

    def as_dict(self) -> dict[str, Any]:
        return {
            "programme_id": self.programme_id,
            "eligible": self.eligible,
            "evaluated_on": self.evaluated_on.isoformat(),
            "results": [r.as_dict() for r in self.results],
        }

    def refusal(self) -> ProgrammeError:
        """The error naming every failed requirement (``programme.not_eligible``)."""
        failed = self.failed
        return ProgrammeError(
            "not_eligible",
            programme=self.programme_id,
            programme_name=self.programme_name or self.programme_id,
            rules=[r.rule for r in failed],
            failed=[r.as_dict() for r in failed],
            reasons_id=" ".join(r.reason_id for r in failed),
            reasons_en=" ".join(r.reason_en for r in failed),
        )


def evaluate(programme: Programme, facts: Facts, today: date) -> Eligibility:
    """Every requirement of ``programme`` for the holder of ``facts`` on ``today``."""
    results = []
    for requirement in programme.requirements:
        if isinstance(requirement, NotEnrolled):
            results.append(requirement.evaluate(facts, today, programme.id, programme.name))
        else:
            results.append(requirement.evaluate(facts, today))
    eligible = all(r.outcome is not Outcome.NOT_MET for r in results)
    return Eligibility(
        programme_id=programme.id,
        eligible=eligible,
        results=tuple(results),
        evaluated_on=today,
        programme_name=programme.name,
    )


# --- reading definitions ---------------------------------------------------------------


def _string(value: object, at: str, *, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str):
        raise _bad(at, "text")
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > _MAX_TEXT:
        raise _bad(at, "text")
    if any(ord(c) < 32 or ord(c) == 127 for c in value if c not in "\t\n\r"):
        raise _bad(at, "text")
    if pattern is not None and not pattern.fullmatch(cleaned):
        raise _bad(at, "pattern")
    return cleaned


def _optional_string(data: Mapping[str, Any], key: str, at: str) -> str:
    value = data.get(key, "")
    if value == "":
        return ""
    return _string(value, f"{at}{key}")


def _age(value: object, at: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= 150:
        raise _bad(at, "age")
    return value


def _list(value: object, at: str) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > _MAX_LIST:
        raise _bad(at, "list", limit=_MAX_LIST)
    return value


def _keys(data: Mapping[str, Any], allowed: Iterable[str], at: str) -> None:
    unknown = sorted(set(data) - {"rule", *allowed})
    if unknown:
        raise _bad(f"{at}.{unknown[0]}", "unknown_key")


def _requirement(data: object, at: str) -> Requirement:
    if not isinstance(data, Mapping):
        raise _bad(at, "object")
    rule = data.get("rule")
    if rule not in RULES:
        raise _bad(f"{at}.rule", "rule", known=", ".join(RULES))
    if rule == "profile_complete":
        _keys(data, (), at)
        return ProfileComplete()
    if rule == "phone_verified":
        _keys(data, (), at)
        return PhoneVerified()
    if rule == "aki_registered":
        _keys(data, (), at)
        return AkiRegistered()
    if rule == "age_between":
        _keys(data, ("min", "max"), at)
        low, high = _age(data.get("min"), f"{at}.min"), _age(data.get("max"), f"{at}.max")
        if low is None and high is None:
            raise _bad(at, "age_bounds")
        if low is not None and high is not None and low > high:
            raise _bad(f"{at}.max", "age_order")
        return AgeBetween(min=low, max=high)
    if rule == "employment_status_in":
        _keys(data, ("statuses",), at)
        statuses = []
        for index, item in enumerate(_list(data.get("statuses"), f"{at}.statuses")):
            try:
                statuses.append(EmploymentStatus(item))
            except (ValueError, TypeError):
                raise _bad(
                    f"{at}.statuses[{index}]",
                    "status",
                    known=", ".join(s.value for s in EmploymentStatus),
                ) from None
        return EmploymentStatusIn(statuses=tuple(dict.fromkeys(statuses)))
    if rule == "region_in":
        _keys(data, ("codes", "address"), at)
        codes = []
        for index, item in enumerate(_list(data.get("codes"), f"{at}.codes")):
            if not isinstance(item, str) or not _REGION.fullmatch(item.replace(".", "")):
                raise _bad(f"{at}.codes[{index}]", "region")
            codes.append(item.replace(".", ""))
        address = data.get("address", "either")
        if address not in ("domicile", "ktp", "either"):
            raise _bad(f"{at}.address", "address")
        return RegionIn(codes=tuple(dict.fromkeys(codes)), address=address)
    if rule == "not_enrolled":
        _keys(data, ("groups",), at)
        raw = data.get("groups", [])
        if not isinstance(raw, list) or len(raw) > _MAX_LIST:
            raise _bad(f"{at}.groups", "list", limit=_MAX_LIST)
        groups = [_string(g, f"{at}.groups[{i}]", pattern=_KEY) for i, g in enumerate(raw)]
        return NotEnrolled(groups=tuple(dict.fromkeys(groups)))
    # manual
    _keys(data, ("key", "text_id", "text_en"), at)
    return Manual(
        key=_string(data.get("key"), f"{at}.key", pattern=_KEY),
        text_id=_string(data.get("text_id"), f"{at}.text_id"),
        text_en=_string(data.get("text_en"), f"{at}.text_en"),
    )


def parse_requirements(data: object, at: str = "requirements") -> tuple[Requirement, ...]:
    """Requirement records from JSON-ready data (a list of ``{"rule": …}`` objects).

    :raises ProgrammeError: ``programme.invalid`` naming where (``at``) and why.
    """
    if not isinstance(data, list) or len(data) > MAX_REQUIREMENTS:
        raise _bad(at, "list", limit=MAX_REQUIREMENTS)
    found = [_requirement(item, f"{at}[{index}]") for index, item in enumerate(data)]
    manual_keys = [r.key for r in found if isinstance(r, Manual)]
    if len(manual_keys) != len(set(manual_keys)):
        raise _bad(at, "duplicate_key")
    return tuple(found)


_PROGRAMME_KEYS: Final = frozenset(
    {"id", "name", "description", "source", "public", "exclusion_group", "requirements"}
)


def parse_programme(
    data: object, *, owner_id: str | None = None, created_at: datetime | None = None
) -> Programme:
    """A :class:`Programme` from JSON-ready data (see ``docs/uses/programmes.md``).

    :raises ProgrammeError: ``programme.invalid`` naming where and why.
    """
    if not isinstance(data, Mapping):
        raise _bad("$", "object")
    unknown = sorted(set(data) - _PROGRAMME_KEYS)
    if unknown:
        raise _bad(unknown[0], "unknown_key")
    public = data.get("public", True)
    if not isinstance(public, bool):
        raise _bad("public", "boolean")
    group = data.get("exclusion_group")
    return Programme(
        id=_string(data.get("id"), "id", pattern=_PROGRAMME_ID),
        name=_string(data.get("name"), "name"),
        description=_optional_string(data, "description", ""),
        source=_optional_string(data, "source", ""),
        public=public,
        exclusion_group=None if group is None else _string(group, "exclusion_group", pattern=_KEY),
        requirements=parse_requirements(data.get("requirements")),
        owner_id=owner_id,
        created_at=created_at,
    )


def load_programme(
    text: str | bytes,
    format: Literal["json", "toml"] = "json",
    *,
    owner_id: str | None = None,
    created_at: datetime | None = None,
) -> Programme:
    """A programme from the text of a JSON or TOML definition (the caller reads the file).

    :raises ProgrammeError: ``programme.invalid`` (``at="$"``) for text that is
        not JSON/TOML, else as :func:`parse_programme`.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        data = tomllib.loads(text) if format == "toml" else json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad("$", "syntax", format=format.upper()) from None
    return parse_programme(data, owner_id=owner_id, created_at=created_at)


def results_by_rule(results: Sequence[RequirementResult]) -> dict[str, RequirementResult]:
    """Results keyed by rule (the last one wins for a repeated rule)."""
    return {r.rule: r for r in results}
