"""The prefill document as a JSON Resume (jsonresume.org, schema v1.0.0).

Job portals and résumé tools read JSON Resume: ``basics``, ``work``,
``education``, ``skills``, ``languages``, ``certificates``, ``awards``. The
résumé holds only what the prefill document released (it is made from the
document, never from the profile), so a scope that did not release the
contact has no e-mail in ``basics``. The NIK is never put in a résumé.
Dates are JSON Resume's ``YYYY-MM`` / ``YYYY``; labels are Indonesian.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from siapkerja_core.profile import EducationLevel, LanguageLevel

__all__ = ["JSON_RESUME_VERSION", "json_resume"]

JSON_RESUME_VERSION: Final = "v1.0.0"
"""The JSON Resume schema version the résumé follows (``meta.version``)."""
_SCHEMA_URL: Final = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"


def _put(target: dict[str, Any], key: str, value: object) -> None:
    if value is not None and value != "" and value != [] and value != {}:
        target[key] = value


def _location(address: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not address:
        return None
    location: dict[str, str] = {}
    _put(location, "address", address.get("street_address"))
    _put(location, "postalCode", address.get("postal_code"))
    _put(location, "city", address.get("locality"))
    _put(location, "countryCode", address.get("country"))
    _put(location, "region", address.get("region"))
    return location


def _basics(document: Mapping[str, Any]) -> dict[str, Any]:
    basics: dict[str, Any] = {"name": document["name"]}
    _put(basics, "label", document.get("headline"))
    _put(basics, "image", document.get("picture"))
    _put(basics, "email", document.get("email"))
    _put(basics, "phone", document.get("phone_number"))
    _put(basics, "location", _location(document.get("address") or document.get("ktp_address")))
    return basics


def _work(job: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"name": job["company"], "position": job["title"]}
    _put(item, "location", job.get("location"))
    _put(item, "startDate", job["start"])
    _put(item, "endDate", job.get("end"))
    _put(item, "summary", job.get("description"))
    return item


def _education(school: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "institution": school["institution"],
        "studyType": EducationLevel(school["level"]).label("id"),
        "startDate": str(school["start_year"]),
    }
    _put(item, "area", school.get("major"))
    end = school.get("end_year")
    _put(item, "endDate", None if end is None else str(end))
    gpa = school.get("gpa")
    _put(item, "score", None if gpa is None else f"{gpa:.2f}/4.00")
    return item


def _certificate(certificate: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": certificate["name"],
        "date": certificate["valid_from"],
        "issuer": certificate["issuer"],
    }
    return item


def _award(achievement: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "title": achievement["title"],
        "date": achievement["date"],
        "awarder": achievement["organiser"],
    }
    _put(item, "summary", achievement.get("description"))
    return item


def json_resume(document: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Resume of a prefill document (its JSON form, :meth:`PrefillDocument.to_json`)."""
    resume: dict[str, Any] = {"$schema": _SCHEMA_URL, "basics": _basics(document)}
    if "work" in document:
        resume["work"] = [_work(job) for job in document["work"]]
    if "education" in document:
        resume["education"] = [_education(school) for school in document["education"]]
    if "skills" in document:
        resume["skills"] = [{"name": skill["name"]} for skill in document["skills"]]
    if "languages" in document:
        resume["languages"] = [
            {"language": item["name"], "fluency": LanguageLevel(item["level"]).label("id")}
            for item in document["languages"]
        ]
    if "certificates" in document:
        resume["certificates"] = [_certificate(item) for item in document["certificates"]]
    if "achievements" in document:
        resume["awards"] = [_award(item) for item in document["achievements"]]
    resume["meta"] = {"version": JSON_RESUME_VERSION, "lastModified": document["issued_at"][:19]}
    return resume
