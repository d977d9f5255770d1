"""The profile forms' values: a profile as the forms show it, and a form as the facade's changes.

This module owns :func:`profile_values` (the fields of the profile page's
own forms, read off a :class:`~siapkerja_core.profile.Profile`),
:func:`profile_changes` (the ``update_profile`` keywords one of those forms
asks for), and the list sections edited one entry at a time — work
experience, education, certificates, achievements, languages
(:data:`ENTRY_SECTIONS`): an entry's form values (:func:`entry_values`), the
entry a form asks for (:func:`entry_changes`), the line the list shows
(:func:`entry_summary`), the fingerprint that guards a per-entry form against
a stale tab (:func:`fingerprint`), and the refusal worded for a person
(:class:`ProfileFieldError`, :func:`worded_entry_error`): "IPK (Pendidikan 2):
…", never the core's document path. The page itself is :mod:`.profile`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from siapkerja_adapters.web.pages.forms import (
    ACHIEVEMENT_FIELDS,
    BIODATA_FIELDS,
    CERTIFICATE_FIELDS,
    EDUCATION_FIELDS,
    LANGUAGE_FIELDS,
    WORK_FIELDS,
    bdi,
    float_or_raw,
    form_text,
    int_or_raw,
    month_or_raw,
    optional,
)
from siapkerja_core.converter import converter
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import both, is_english
from siapkerja_core.profile import (
    MAX_ITEMS,
    NEVER_PUBLISHED,
    Achievement,
    Certificate,
    Education,
    EducationLevel,
    Language,
    LanguageLevel,
    Profile,
    ProfileError,
    Section,
    WorkExperience,
    YearMonth,
    distinct_names,
    name_key,
)
from siapkerja_core.profile.dates import MAX_YEAR, MIN_YEAR
from siapkerja_core.profile.lengths import (
    MAX_DESCRIPTION_LENGTH,
    MAX_LINE_LENGTH,
    MAX_ORGANISATION_LENGTH,
    MAX_SCORE_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TITLE_LENGTH,
)

__all__ = [
    "ENTRY_SECTIONS",
    "MAX_SKILLS_TEXT",
    "PUBLISHABLE",
    "EntryField",
    "EntrySection",
    "ProfileFieldError",
    "edited",
    "end_required_error",
    "entries_of",
    "entry_changes",
    "entry_summary",
    "entry_values",
    "fingerprint",
    "missing_end",
    "profile_changes",
    "profile_values",
    "section_by_slug",
    "skill_names",
    "skills_error",
    "stale_entry_error",
    "submitted_values",
    "too_many_error",
    "with_problem",
    "worded_entry_error",
]

PUBLISHABLE: Final = tuple(s for s in Section if s not in NEVER_PUBLISHED)
"""The sections a holder may publish, in the form's order."""
MAX_SKILLS_TEXT: Final = (MAX_TERM_LENGTH + 2) * MAX_ITEMS["skills"]
"""The longest skills text the form takes: every skill at its longest, one a line."""
_FINGERPRINT_CHARS: Final = 16


# --------------------------------------------------------------------------
# The list sections: what each entry's form holds
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryField:
    """One input of an entry's form.

    ``kind`` decides the input and how its text is read: ``text``, ``textarea``,
    ``month`` (a :class:`YearMonth`, "2021-06" or "06/2021"), ``year``, ``gpa``
    (a comma or a point), ``select`` (``options`` is the enum). ``max_length``
    is the core's own limit (:mod:`siapkerja_core.profile.lengths`), shown as
    the input's ``maxlength`` so the hint and the refusal cannot disagree.
    """

    name: str
    kind: str = "text"
    max_length: int | None = None
    required: bool = False
    options: type[EducationLevel] | type[LanguageLevel] | None = None
    autocomplete: str = "off"


@dataclass(frozen=True)
class EntrySection:
    """A list section edited one entry at a time: ``key`` is the profile's (and the API's)
    section, ``slug`` its address under ``/profil/``, ``prefix`` its form fields' prefix."""

    key: str
    slug: str
    prefix: str
    fields: tuple[EntryField, ...]
    ongoing: str | None = None
    """The field an "ongoing" checkbox clears (the end of a job still held)."""

    @property
    def limit(self) -> int:
        """The core's cap on the number of entries (:data:`~siapkerja_core.profile.MAX_ITEMS`)."""
        return int(MAX_ITEMS[self.key])

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def form_name(self, name: str) -> str:
        """The form's input name of field ``name`` (``"edu_gpa"``)."""
        return f"{self.prefix}_{name}"

    @property
    def ongoing_name(self) -> str:
        """The checkbox's input name (``"work_current"``)."""
        return f"{self.prefix}_current"

    def label_key(self, name: str) -> str:
        return f"profile_entry.{self.key}.{name}"

    def entry_label(self, index: int) -> tuple[str, str]:
        """ "Pendidikan 2" / "Education 2": the ``index``-th entry (0-based), in both languages."""
        return both(f"profile_entry.{self.key}.entry", n=index + 1)


ENTRY_SECTIONS: Final[Mapping[str, EntrySection]] = {
    s.key: s
    for s in (
        EntrySection(
            "languages",
            "bahasa",
            "lang",
            (
                EntryField(
                    "name", max_length=MAX_TERM_LENGTH, required=True, autocomplete="language"
                ),
                EntryField("level", "select", required=True, options=LanguageLevel),
            ),
        ),
        EntrySection(
            "work",
            "pekerjaan",
            "work",
            (
                EntryField(
                    "title",
                    max_length=MAX_LINE_LENGTH,
                    required=True,
                    autocomplete="organization-title",
                ),
                EntryField(
                    "company",
                    max_length=MAX_LINE_LENGTH,
                    required=True,
                    autocomplete="organization",
                ),
                EntryField("start", "month", required=True),
                EntryField("end", "month"),
                EntryField("location", max_length=MAX_LINE_LENGTH),
                EntryField("description", "textarea", MAX_DESCRIPTION_LENGTH),
            ),
            ongoing="end",
        ),
        EntrySection(
            "education",
            "pendidikan",
            "edu",
            (
                EntryField("institution", max_length=MAX_ORGANISATION_LENGTH, required=True),
                EntryField("level", "select", required=True, options=EducationLevel),
                EntryField("major", max_length=MAX_LINE_LENGTH),
                EntryField("start_year", "year", required=True),
                EntryField("end_year", "year"),
                EntryField("gpa", "gpa"),
            ),
            ongoing="end_year",
        ),
        EntrySection(
            "certificates",
            "sertifikat",
            "cert",
            (
                EntryField("name", max_length=MAX_TITLE_LENGTH, required=True),
                EntryField("issuer", max_length=MAX_ORGANISATION_LENGTH, required=True),
                EntryField("valid_from", "month", required=True),
                EntryField("valid_until", "month"),
                EntryField("score", max_length=MAX_SCORE_LENGTH),
            ),
            ongoing="valid_until",
        ),
        EntrySection(
            "achievements",
            "pencapaian",
            "ach",
            (
                EntryField("title", max_length=MAX_TITLE_LENGTH, required=True),
                EntryField("organiser", max_length=MAX_ORGANISATION_LENGTH, required=True),
                EntryField("date", "month", required=True),
                EntryField("description", "textarea", MAX_DESCRIPTION_LENGTH),
            ),
        ),
    )
}
"""The list sections, in the order of the scanned page (the brief's screen)."""

# forms.profile_field maps an error path to an input by these names: they must be the same.
for _key, _names in (
    ("work", WORK_FIELDS),
    ("education", EDUCATION_FIELDS),
    ("certificates", CERTIFICATE_FIELDS),
    ("achievements", ACHIEVEMENT_FIELDS),
    ("languages", LANGUAGE_FIELDS),
):
    if ENTRY_SECTIONS[_key].field_names != _names:
        raise RuntimeError(f"the {_key} form's fields differ from forms.py's")

_BY_SLUG: Final = {s.slug: s for s in ENTRY_SECTIONS.values()}

Entry = WorkExperience | Education | Certificate | Achievement | Language


def section_by_slug(slug: str) -> EntrySection:
    """The section at ``/profil/<slug>/…``; 404 for any other."""
    section = _BY_SLUG.get(slug)
    if section is None:
        raise HTTPException(status_code=404)
    return section


def entries_of(profile: Profile, section: EntrySection) -> tuple[Entry, ...]:
    entries: tuple[Entry, ...] = getattr(profile, section.key)
    return entries


def fingerprint(entry: object) -> str:
    """A short hash of ``entry``'s canonical JSON: a per-entry form carries the one of the
    entry it was drawn for, so a form from a stale tab (the list changed since) is refused
    rather than applied to whichever entry now sits at its index."""
    canonical = json.dumps(converter.unstructure(entry), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:_FINGERPRINT_CHARS]


# --------------------------------------------------------------------------
# An entry as its form shows it, a form as the entry it asks for
# --------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, EducationLevel | LanguageLevel):
        return value.value
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def entry_values(section: EntrySection, entry: object | None) -> dict[str, str]:
    """The entry form's values: ``entry``'s (empty for a new one), with its fingerprint."""
    values = {
        section.form_name(f.name): _shown(None if entry is None else getattr(entry, f.name))
        for f in section.fields
    }
    if section.ongoing is not None:
        ongoing = entry is not None and getattr(entry, section.ongoing) is None
        values[section.ongoing_name] = "1" if ongoing else ""
    values["fp"] = "" if entry is None else fingerprint(entry)
    return values


def submitted_values(section: EntrySection, form: FormData) -> dict[str, str]:
    """What the entry form was sent with, to show again when it is refused."""
    names = [section.form_name(n) for n in section.field_names]
    if section.ongoing is not None:
        names.append(section.ongoing_name)
    return {name: form_text(form, name) for name in [*names, "fp"]}


def entry_changes(section: EntrySection, form: FormData) -> dict[str, Any]:
    """The entry an entry form asks for, as the core reads it (its refusals name fields).

    Each value is converted only as far as it surely is what the person meant
    ("3,45" → 3.45, "06/2021" → "2021-06"); anything else goes to the core as
    typed, which refuses it with the field's reason.
    """
    ongoing = section.ongoing is not None and form_text(form, section.ongoing_name) == "1"
    entry: dict[str, Any] = {}
    for f in section.fields:
        raw = form_text(form, section.form_name(f.name))
        if f.name == section.ongoing and ongoing:
            value: Any = None
        elif f.kind == "month":
            value = month_or_raw(raw) if raw else ("" if f.required else None)
        elif f.kind == "year":
            value = int_or_raw(raw)
            value = "" if value is None and f.required else value
        elif f.kind == "gpa":
            value = float_or_raw(raw)
        elif f.required:
            value = raw
        else:
            value = optional(raw)
        entry[f.name] = value
    return entry


def edited(current: object, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with the form's fields replaced: what the form does not show (a job's
    KBJI/ESCO ``occupation``, set through the API) is kept, not dropped by a web edit."""
    return {**converter.unstructure(current), **entry}


def missing_end(section: EntrySection, entry: Mapping[str, Any], form: FormData) -> bool:
    """No end given and "ongoing" not ticked: the person forgot one of the two.

    The core reads a missing end as "until now" (*Sekarang*); a form that left it
    empty by mistake would publish a job as current, so the web asks instead.
    """
    if section.ongoing is None or section.key == "education":
        # A study with no graduation year is "still studying": the field's own label says so.
        return False
    return entry.get(section.ongoing) is None and form_text(form, section.ongoing_name) != "1"


# --------------------------------------------------------------------------
# What the list shows of an entry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntrySummary:
    """An entry as the list (and the scanned page) shows it."""

    title: str
    lines: tuple[str, ...]


def entry_summary(entry: object, lang: str) -> EntrySummary:
    """Title, organisation and period, as the scanned page words them."""
    if isinstance(entry, WorkExperience):
        return EntrySummary(
            entry.title,
            tuple(x for x in (entry.company, entry.period_label(lang), entry.location) if x),
        )
    if isinstance(entry, Education):
        detail = entry.level.label(lang)
        if entry.gpa is not None:
            detail += f" • {entry.gpa:g}"
        return EntrySummary(
            entry.institution,
            tuple(x for x in (detail, entry.major, entry.period_label(lang)) if x),
        )
    if isinstance(entry, Certificate):
        # One line joins two of the holder's values and the app's "Skor": each value in
        # its own <bdi>, so neither can reorder the words around it (the line's <bdi>
        # alone let an override in the issuer run over "• Skor").
        detail = bdi(entry.issuer)
        if entry.score:
            score_id, score_en = both("profile_entry.score", score="{score}")
            label = score_en if is_english(lang) else score_id
            detail += Markup(" • ") + escape(label).format(score=bdi(entry.score))
        return EntrySummary(entry.name, (detail, entry.period_label(lang)))
    if isinstance(entry, Achievement):
        return EntrySummary(entry.title, (entry.organiser, entry.date.label(lang)))
    if isinstance(entry, Language):
        return EntrySummary(entry.name, (entry.level.label(lang),))
    raise TypeError(f"not a list entry: {type(entry).__name__}")


# --------------------------------------------------------------------------
# Refusals worded for a person
# --------------------------------------------------------------------------


class ProfileFieldError(ProfileError):
    """A profile refusal as the web words it: the field's label and the entry, not a path.

    Codes: ``field`` ("Tanggal lahir: tidak boleh setelah hari ini.", a field of the
    biodata form), ``entry_field`` ("IPK (Pendidikan 2): harus berupa angka.", ``field``
    still the core's path so the form ties it to its input), ``stale_entry``
    (the entry changed in another tab), ``too_many_entries``. The API keeps
    the core's :class:`ProfileError` with its paths.
    """

    codes = frozenset({"field", "entry_field", "stale_entry", "too_many_entries"})


_INDEXED: Final = re.compile(r"([a-z_]+)\[([0-9]+)\](?:\.([a-z_]+))?")
_MONTH_FORMAT: Final = both("reason.year_month_format")


def _reason(problem: ProfileError) -> tuple[str, str]:
    if problem.code == "date_order":
        start = str(problem.params.get("start", ""))
        try:
            start_id, start_en = (YearMonth.parse(start).label(lang) for lang in ("id", "en"))
        except ProfileError:
            start_id = start_en = start
        return (
            both("profile_entry.reason.end_before", start=start_id)[0],
            both("profile_entry.reason.end_before", start=start_en)[1],
        )
    reason_id = str(problem.params.get("reason_id", problem.message("id")))
    reason_en = str(problem.params.get("reason", problem.message("en")))
    if (reason_id, reason_en) == _MONTH_FORMAT:
        return both("profile_entry.reason.month", min=MIN_YEAR, max=MAX_YEAR)
    return reason_id, reason_en


def _without_label(reason: str, label: str) -> str:
    if reason.casefold().startswith(label.casefold() + " "):
        return reason[len(label) + 1 :]
    return reason


def _worded(problem: ProfileError, section: EntrySection) -> ProfileError:
    path = problem.field or ""
    if path == section.key and problem.code == "invalid_field":
        section_id, section_en = both(f"profile_entry.{section.key}.heading")
        return ProfileFieldError(
            "too_many_entries",
            field=path,
            section_id=section_id,
            section_en=section_en,
            limit=section.limit,
        )
    match = _INDEXED.fullmatch(path)
    if match is None or match[1] != section.key:
        return problem
    index = int(match[2])
    name = match[3] or section.fields[0].name  # "languages[1]": a name listed twice
    if name not in section.field_names:
        return problem
    label_id, label_en = both(section.label_key(name))
    entry_id, entry_en = section.entry_label(index)
    reason_id, reason_en = _reason(problem)
    # "IPK (Pendidikan 2): IPK harus antara …": the label is said once.
    reason_id = _without_label(reason_id, label_id)
    reason_en = _without_label(reason_en, label_en)
    return ProfileFieldError(
        "entry_field",
        field=f"{section.key}[{index}].{name}",
        label_id=label_id,
        label_en=label_en,
        entry_id=entry_id,
        entry_en=entry_en,
        reason_id=reason_id,
        reason=reason_en,
    )


def worded_entry_error(error: ProfileError, section: EntrySection) -> ProfileError:
    """``error`` (every problem of it) worded by field label and entry number."""
    problems = tuple(_worded(p, section) for p in error.errors)
    first = problems[0]
    if len(problems) == 1:
        return first
    return type(first)(first.code, **{**first.params, "errors": problems})


_SKILLS: Final = EntrySection(
    "skills", "keahlian", "skills", (EntryField("name", max_length=MAX_TERM_LENGTH),)
)
"""Skills are one form (tags), but a refusal is worded as for an entry: "Keahlian 3: …"."""


def skills_error(error: ProfileError) -> ProfileError:
    """The skills form's refusal worded by the skill's number, not ``skills[2]``."""
    return worded_entry_error(error, _SKILLS)


def _biodata_worded(problem: ProfileError) -> ProfileError:
    section, _, name = (problem.field or "").partition(".")
    if section != "biodata" or name not in BIODATA_FIELDS or problem.code != "invalid_field":
        return problem
    label_id, label_en = both(f"profile.{name}")
    reason_id, reason_en = _reason(problem)
    return ProfileFieldError(
        "field",
        field=problem.field,
        label_id=label_id,
        label_en=label_en,
        reason_id=_without_label(reason_id, label_id),
        reason=_without_label(reason_en, label_en),
    )


def biodata_error(error: ProfileError) -> ProfileError:
    """The biodata form's refusal worded by the field's label ("Tanggal lahir: …"), not
    by the core's path (``biodata.birth_date``); the path stays, to tie it to its input."""
    problems = tuple(_biodata_worded(p) for p in error.errors)
    first = problems[0]
    if len(problems) == 1:
        return first
    return type(first)(first.code, **{**first.params, "errors": problems})


def with_problem(error: SiapkerjaError | None, problem: ProfileError) -> SiapkerjaError:
    """``error``'s problems (if any) and ``problem`` after them, as one refusal."""
    if not isinstance(error, ProfileError):
        return problem if error is None else error
    problems = (*error.errors, problem)
    first = problems[0]
    return type(first)(first.code, **{**first.params, "errors": problems})


def stale_entry_error() -> ProfileFieldError:
    return ProfileFieldError("stale_entry", field="$")


def too_many_error(section: EntrySection) -> ProfileFieldError:
    section_id, section_en = both(f"profile_entry.{section.key}.heading")
    return ProfileFieldError(
        "too_many_entries",
        field="$",
        section_id=section_id,
        section_en=section_en,
        limit=section.limit,
    )


def end_required_error(section: EntrySection, index: int) -> ProfileFieldError:
    """No end and "ongoing" not ticked (:func:`missing_end`), worded at the end's field."""
    name = section.ongoing or ""
    label_id, label_en = both(section.label_key(name))
    entry_id, entry_en = section.entry_label(index)
    ongoing_id, ongoing_en = both(section.label_key("current"))
    return ProfileFieldError(
        "entry_field",
        field=f"{section.key}[{index}].{name}",
        label_id=label_id,
        label_en=label_en,
        entry_id=entry_id,
        entry_en=entry_en,
        reason_id=both("profile_entry.reason.end_required", ongoing=ongoing_id)[0],
        reason=both("profile_entry.reason.end_required", ongoing=ongoing_en)[1],
    )


# --------------------------------------------------------------------------
# The page's own forms: biodata, addresses, skills, visibility
# --------------------------------------------------------------------------


def profile_values(profile: Profile) -> dict[str, Any]:
    """Every field of the profile page's own forms, as the form shows it."""
    b = profile.biodata
    values: dict[str, Any] = {
        "stakeholder": profile.stakeholder.value,
        "birth_place": b.birth_place or "",
        "birth_date": b.birth_date.isoformat() if b.birth_date else "",
        "sex": b.sex.value if b.sex else "",
        "marital_status": b.marital_status.value if b.marital_status else "",
        "religion": b.religion.value if b.religion else "",
        "headline": b.headline or "",
        "employment_status": b.employment_status.value if b.employment_status else "",
        "skills": "\n".join(s.name for s in profile.skills),
        "published": [s.value for s in PUBLISHABLE if s in profile.visibility.published],
    }
    return values


_SKILL_SEPARATORS: Final = re.compile(r"[,\n;]")


def skill_names(text: str) -> list[str]:
    """The skills a text lists, one a line or separated by commas, each once (any case or width)."""
    return distinct_names(_SKILL_SEPARATORS.split(text))


def profile_changes(section: str, form: FormData, profile: Profile) -> dict[str, Any]:
    """The ``update_profile`` keywords one of the page's own forms asks for (not the photo)."""
    if section == "biodata":
        return {
            "stakeholder": form_text(form, "stakeholder") or profile.stakeholder.value,
            "biodata": {name: optional(form_text(form, name)) for name in sorted(BIODATA_FIELDS)},
        }
    if section == "skills":
        # A skill kept keeps its ESCO URI (set through the API): the form shows names only.
        known = {name_key(skill.name): skill for skill in profile.skills}
        skills: list[Any] = []
        for name in skill_names(form_text(form, "skills")):
            old = known.get(name_key(name))
            if old is None or old.esco_uri is None:
                skills.append(name)
            else:
                skills.append({"name": name, "esco_uri": old.esco_uri})
        return {"skills": skills}
    if section == "visibility":
        published = [v for v in form.getlist("published") if isinstance(v, str)]
        return {"visibility": {"published": published}}
    raise HTTPException(status_code=404)
