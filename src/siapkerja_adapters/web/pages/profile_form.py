"""The profile forms' values: a profile as the forms show it, and a form as the facade's changes.

This module owns :func:`profile_values` (every field of the profile page,
read off a :class:`~siapkerja_core.profile.Profile`) and
:func:`profile_changes` (the ``update_profile`` keywords one section's form
asks for). The page itself is :mod:`.profile`.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from siapkerja_adapters.web.pages.forms import (
    ADDRESS_FIELDS,
    BIODATA_FIELDS,
    EDUCATION_FIELDS,
    WORK_FIELDS,
    float_or_raw,
    form_text,
    int_or_raw,
    optional,
)
from siapkerja_core.profile import NEVER_PUBLISHED, EducationLevel, Profile, Section

__all__ = ["MAX_LANGUAGE_ROWS", "PUBLISHABLE", "profile_changes", "profile_values"]

MAX_LANGUAGE_ROWS: Final = 20
PUBLISHABLE: Final = tuple(s for s in Section if s not in NEVER_PUBLISHED)
"""The sections a holder may publish, in the form's order."""


def profile_values(profile: Profile) -> dict[str, Any]:
    """Every field of the profile forms, as the form shows it."""
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
        "skills": ", ".join(s.name for s in profile.skills),
        "same_address": "1"
        if profile.ktp_address is not None and profile.ktp_address == profile.domicile_address
        else "",
        "published": [s.value for s in PUBLISHABLE if s in profile.visibility.published],
    }
    for prefix, address in (("ktp", profile.ktp_address), ("dom", profile.domicile_address)):
        for name in ADDRESS_FIELDS:
            value = None if address is None else getattr(address, name)
            values[f"{prefix}_{name}"] = value or ""
    rows = [(lang.name, lang.level.value) for lang in profile.languages]
    rows.append(("", ""))
    values["lang_rows"] = len(rows)
    for index, (name, level) in enumerate(rows):
        values[f"lang_name_{index}"] = name
        values[f"lang_level_{index}"] = level
    job = profile.work[0] if profile.work else None
    for name in WORK_FIELDS:
        value = None if job is None else getattr(job, name)
        values[f"work_{name}"] = "" if value is None else str(value)
    school = profile.education[0] if profile.education else None
    for name in EDUCATION_FIELDS:
        value = None if school is None else getattr(school, name)
        if isinstance(value, EducationLevel):
            value = value.value
        elif isinstance(value, float):
            value = f"{value:.2f}"
        values[f"edu_{name}"] = "" if value is None else str(value)
    return values


def _address_changes(form: FormData, prefix: str) -> dict[str, Any] | None:
    parts = {name: form_text(form, f"{prefix}_{name}") for name in ADDRESS_FIELDS}
    if not any(parts.values()):
        return None
    return {
        name: optional(value) if name != "village_code" else value for name, value in parts.items()
    }


def profile_changes(section: str, form: FormData, profile: Profile) -> dict[str, Any]:
    """The ``update_profile`` keywords one profile form asks for (not the photo)."""
    if section == "biodata":
        return {
            "stakeholder": form_text(form, "stakeholder") or profile.stakeholder.value,
            "biodata": {name: optional(form_text(form, name)) for name in sorted(BIODATA_FIELDS)},
        }
    if section == "addresses":
        ktp = _address_changes(form, "ktp")
        same = form_text(form, "same_address") == "1"
        return {
            "ktp_address": ktp,
            "domicile_address": ktp if same else _address_changes(form, "dom"),
        }
    if section == "skills":
        seen: set[str] = set()
        skills: list[str] = []
        for part in form_text(form, "skills").split(","):
            name = " ".join(part.split())
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                skills.append(name)
        return {"skills": skills}
    if section == "languages":
        raw_rows = form_text(form, "lang_rows")
        count = min(int(raw_rows) if raw_rows.isdigit() else 0, MAX_LANGUAGE_ROWS + 1)
        languages = [
            {"name": name, "level": form_text(form, f"lang_level_{i}")}
            for i in range(count)
            if (name := form_text(form, f"lang_name_{i}"))
        ]
        return {"languages": languages}
    if section == "work":
        entry = {name: form_text(form, f"work_{name}") for name in WORK_FIELDS}
        rest: list[Any] = list(profile.work[1:])
        if not any(entry.values()):
            return {"work": rest}
        job = {
            name: (value if name in ("title", "company", "start") else optional(value))
            for name, value in entry.items()
        }
        return {"work": [job, *rest]}
    if section == "education":
        entry = {name: form_text(form, f"edu_{name}") for name in EDUCATION_FIELDS}
        rest = list(profile.education[1:])
        if not any(entry.values()):
            return {"education": rest}
        school: dict[str, Any] = {
            "institution": entry["institution"],
            "level": entry["level"],
            "major": optional(entry["major"]),
            "start_year": int_or_raw(entry["start_year"]) or "",
            "end_year": int_or_raw(entry["end_year"]),
            "gpa": float_or_raw(entry["gpa"]),
        }
        return {"education": [school, *rest]}
    if section == "visibility":
        published = [v for v in form.getlist("published") if isinstance(v, str)]
        return {"visibility": {"published": published}}
    raise HTTPException(status_code=404)
