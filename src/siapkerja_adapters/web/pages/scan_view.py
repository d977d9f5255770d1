"""A scanned profile, ready for its template: every section worded in the page's language.

This module owns :func:`present_view`: the sections of a
:class:`~siapkerja_core.disclosure.ProfileView` in the brief's order, each
value already a label in Indonesian or English (dates, enums, addresses,
periods), so that ``scan.html`` only lays them out.

``scan.html`` shows every user-supplied text isolated (``<bdi>``, ``dir="auto"``
on its blocks), so a bidi override inside one value cannot reorder the text
around it; the name, which no markup can isolate in the ``<title>``, is shown
without the invisible characters names refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from siapkerja_adapters.web.i18n import Translator
from siapkerja_adapters.web.pages.forms import bdi, day_label, national_phone
from siapkerja_core.disclosure import ProfileView
from siapkerja_core.names import without_invisible
from siapkerja_core.profile import (
    Achievement,
    Address,
    Certificate,
    Contact,
    Education,
    Language,
    Section,
    Skill,
    WorkExperience,
)

__all__ = ["present_view"]


def _biodata_rows(view: ProfileView, t: Translator) -> tuple[list[tuple[str, str]], str | None]:
    """The facts list (label, value) and the e-mail address, if the view discloses it."""
    lang = t.lang
    rows: list[tuple[str, str]] = []
    if view.nik is not None:
        rows.append((t("scan.nik"), view.nik))
    if Section.BIRTH in view:
        place, born = view.section(Section.BIRTH)
        day = day_label(born, lang) if born is not None else ""
        rows.append((t("scan.birth"), ", ".join(p for p in (place or "", day) if p) or "-"))
    for section, key in (
        (Section.SEX, "scan.sex"),
        (Section.MARITAL_STATUS, "scan.marital_status"),
        (Section.RELIGION, "scan.religion"),
    ):
        if section in view:
            value = view.section(section)  # an enum member, or None
            rows.append((t(key), value.label(lang) if value else "-"))
    contact: Contact | None = view.section(Section.CONTACT)
    email = None
    if contact is not None:
        email = contact.email
        rows.append((t("scan.phone"), national_phone(contact.phone) or "-"))
    for section, key in (
        (Section.KTP_ADDRESS, "scan.ktp_address"),
        (Section.DOMICILE_ADDRESS, "scan.domicile_address"),
    ):
        if section in view:
            address: Address | None = view.section(section)
            rows.append((t(key), address.one_line() if address else "-"))
    return rows, email


def _photo_uri(view: ProfileView) -> str | None:
    # The view's wire data already holds the photo as base64, built once per
    # cached view; Photo.data_uri() would encode the bytes again on every scan.
    photo = view.data.get(Section.PHOTO.value)
    if not isinstance(photo, Mapping):
        return None
    return f"data:{photo['media_type']};base64,{photo['content']}"


def _listed(view: ProfileView, section: Section) -> tuple[Any, ...]:
    """A list section's value objects; empty when the view does not disclose it."""
    return view.section(section) or ()


def present_view(view: ProfileView, lang: str) -> dict[str, Any]:
    """The sections of ``view`` in the brief's order, each value already worded in ``lang``.

    Read from the view's typed sections (:meth:`ProfileView.section`): the
    profile's own value objects, with no round trip through the wire's dicts.
    """
    t = Translator(lang)
    score_label = t("scan.score", score="{score}")  # "Skor {score}", the score put in as markup
    rows, email = _biodata_rows(view, t)
    skills: tuple[Skill, ...] = _listed(view, Section.SKILLS)
    languages: tuple[Language, ...] = _listed(view, Section.LANGUAGES)
    work: tuple[WorkExperience, ...] = _listed(view, Section.WORK)
    education: tuple[Education, ...] = _listed(view, Section.EDUCATION)
    certificates: tuple[Certificate, ...] = _listed(view, Section.CERTIFICATES)
    achievements: tuple[Achievement, ...] = _listed(view, Section.ACHIEVEMENTS)
    return {
        # Names refuse invisible characters now; one stored before (a bidi override
        # reversing part of it) is shown without them — in the <title> and the alt
        # text too, where no markup can isolate it.
        "name": without_invisible(view.full_name),
        "email": email,
        "headline": view.section(Section.HEADLINE),
        "photo": _photo_uri(view),
        "biodata": rows,
        "skills": [s.name for s in skills],
        "languages": [(item.name, item.level.label(lang)) for item in languages],
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
                # The issuer and the score each in its own <bdi>: one line with "Skor".
                "detail": Markup(" • ").join(
                    p
                    for p in (
                        c.issuer and bdi(c.issuer),
                        c.score and escape(score_label).format(score=bdi(c.score)),
                    )
                    if p
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
