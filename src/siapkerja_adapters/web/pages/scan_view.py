"""A scanned profile, ready for its template: every section worded in the page's language.

This module owns :func:`present_view`: the sections of a
:class:`~siapkerja_core.disclosure.ProfileView` in the brief's order, each
value already a label in Indonesian or English (dates, enums, addresses,
periods), so that ``scan.html`` only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from siapkerja_adapters.web.i18n import Translator
from siapkerja_adapters.web.pages.forms import day_label, national_phone
from siapkerja_core.converter import structure
from siapkerja_core.disclosure import ProfileView
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.profile import (
    Achievement,
    Address,
    Certificate,
    Education,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Section,
    Sex,
    WorkExperience,
)

__all__ = ["present_view"]


def _address_line(data: Mapping[str, Any]) -> str:
    try:
        return structure(dict(data), Address).one_line()
    except SiapkerjaError:
        return str(data.get("village_code", ""))


def _biodata_rows(view: ProfileView, t: Translator) -> tuple[list[tuple[str, str]], str | None]:
    """The facts list (label, value) and the e-mail address, if the view discloses it."""
    lang = t.lang
    data = view.data
    rows: list[tuple[str, str]] = []
    if view.nik is not None:
        rows.append((t("scan.nik"), view.nik))
    birth = data.get(Section.BIRTH.value)
    if isinstance(birth, Mapping):
        place = birth.get("birth_place") or ""
        born = birth.get("birth_date")
        day = day_label(date.fromisoformat(born), lang) if isinstance(born, str) else ""
        rows.append((t("scan.birth"), ", ".join(p for p in (place, day) if p) or "-"))
    for section, key, enum in (
        (Section.SEX, "scan.sex", Sex),
        (Section.MARITAL_STATUS, "scan.marital_status", MaritalStatus),
        (Section.RELIGION, "scan.religion", Religion),
    ):
        if section.value in data:
            value = data[section.value]
            rows.append((t(key), enum(value).label(lang) if value else "-"))
    contact = data.get(Section.CONTACT.value)
    email = None
    if isinstance(contact, Mapping):
        email = contact.get("email")
        rows.append((t("scan.phone"), national_phone(contact.get("phone")) or "-"))
    for section, key in (
        (Section.KTP_ADDRESS, "scan.ktp_address"),
        (Section.DOMICILE_ADDRESS, "scan.domicile_address"),
    ):
        if section.value in data:
            address = data[section.value]
            rows.append((t(key), _address_line(address) if address else "-"))
    return rows, email


def present_view(view: ProfileView, lang: str) -> dict[str, Any]:
    """The sections of ``view`` in the brief's order, each value already worded in ``lang``."""
    t = Translator(lang)
    data = view.data
    rows, email = _biodata_rows(view, t)
    photo = data.get(Section.PHOTO.value)
    photo_uri = (
        f"data:{photo['media_type']};base64,{photo['content']}"
        if isinstance(photo, Mapping)
        else None
    )
    work = [structure(item, WorkExperience) for item in data.get(Section.WORK.value) or ()]
    education = [structure(item, Education) for item in data.get(Section.EDUCATION.value) or ()]
    certificates = [
        structure(item, Certificate) for item in data.get(Section.CERTIFICATES.value) or ()
    ]
    achievements = [
        structure(item, Achievement) for item in data.get(Section.ACHIEVEMENTS.value) or ()
    ]
    return {
        "name": view.full_name,
        "email": email,
        "headline": data.get(Section.HEADLINE.value),
        "photo": photo_uri,
        "biodata": rows,
        "skills": [s["name"] for s in data.get(Section.SKILLS.value) or ()],
        "languages": [
            (item["name"], LanguageLevel(item["level"]).label(lang))
            for item in data.get(Section.LANGUAGES.value) or ()
        ],
        "work": [
            {
                "title": w.title,
                "company": w.company,
                "period": w.period_label(lang),
                "location": w.location,
                "description": w.description,
            }
            for w in work
        ],
        "education": [
            {
                "institution": e.institution,
                "detail": " • ".join(
                    p for p in (e.level.value, None if e.gpa is None else f"{e.gpa:g}") if p
                ),
                "major": e.major,
                "period": e.period_label(lang),
            }
            for e in education
        ],
        "certificates": [
            {
                "name": c.name,
                "detail": " • ".join(
                    p for p in (c.issuer, c.score and t("scan.score", score=c.score)) if p
                ),
                "period": c.period_label(lang),
            }
            for c in certificates
        ],
        "achievements": [
            {
                "title": a.title,
                "organiser": a.organiser,
                "date": a.date.label(lang),
                "description": a.description,
            }
            for a in achievements
        ],
    }
