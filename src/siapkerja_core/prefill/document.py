"""The prefill document: what an institution receives of a holder who consented.

A registration form at a BLK, an LPK, BNSP, Bizhub or Karirhub is filled from
the document instead of being typed again. It is cut from the disclosure
policy's :class:`~siapkerja_core.disclosure.ProfileView` for a verifier with
consent, so it holds **only** the fields the verifier's scope and the
holder's consent allow, and nothing of a field not released.

Member names follow OpenID Connect's standard claims where one exists
(``name``, ``birthdate``, ``gender``, ``email``, ``phone_number``,
``address``, ``picture``): the OIDC provider's userinfo releases the same
claims with the same names and shapes. The rest are SIAPkerja members
(``siapkerja_id``, ``nik``, ``nik_masked``, ``work``, ``skills`` …). An
absent value is left out, never ``null`` (as OIDC asks of claims). The JSON
Schema is :func:`siapkerja_core.prefill.schema.prefill_schema`;
``docs/prefill.md`` describes every member.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from attrs import frozen

from siapkerja_core.disclosure import (
    AKI_STATUS,
    IDENTITY_NIK,
    IDENTITY_NIK_MASKED,
    ProfileView,
    Verifier,
)
from siapkerja_core.profile import (
    Achievement,
    Address,
    Certificate,
    Education,
    Language,
    OccupationCode,
    Photo,
    Section,
    Sex,
    Skill,
    WorkExperience,
)

__all__ = ["SCHEMA_VERSION", "PrefillDocument", "build_document", "claims_of"]

SCHEMA_VERSION: Final = "1.0"
"""The version of the prefill document's JSON Schema the documents follow."""

_GENDER: Final = {Sex.L: "male", Sex.P: "female"}  # OIDC's values for gender
COUNTRY: Final = "ID"


def _put(target: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        target[key] = value


def _occupation(code: OccupationCode | None) -> dict[str, str] | None:
    if code is None:
        return None
    found: dict[str, str] = {}
    _put(found, "kbji", code.kbji)
    _put(found, "isco08", code.isco08)
    _put(found, "esco_uri", code.esco_uri)
    return found


def address_claim(address: Address) -> dict[str, Any]:
    """An :class:`Address` as OIDC's address claim, with the Kemendagri codes and names."""
    street = [address.street] if address.street else []
    if address.rt or address.rw:
        street.append(f"RT {address.rt or '-'}/RW {address.rw or '-'}")
    street += [address.village_name, address.district_name]
    claim: dict[str, Any] = {
        "formatted": address.one_line(),
        "street_address": ", ".join(street),
        "locality": address.regency_name,
        "region": address.province_name,
    }
    _put(claim, "postal_code", address.postal_code)
    claim["country"] = COUNTRY
    claim["village_code"] = address.village_code
    claim["village"] = address.village_name
    claim["district"] = address.district_name
    _put(claim, "rt", address.rt)
    _put(claim, "rw", address.rw)
    _put(claim, "street", address.street)
    return claim


def _skill(skill: Skill) -> dict[str, Any]:
    item = {"name": skill.name}
    _put(item, "esco_uri", skill.esco_uri)
    return item


def _language(language: Language) -> dict[str, Any]:
    return {"name": language.name, "level": language.level.value}


def _work(job: WorkExperience) -> dict[str, Any]:
    item: dict[str, Any] = {"title": job.title, "company": job.company, "start": str(job.start)}
    _put(item, "end", None if job.end is None else str(job.end))
    _put(item, "location", job.location)
    _put(item, "description", job.description)
    _put(item, "occupation", _occupation(job.occupation))
    return item


def _education(school: Education) -> dict[str, Any]:
    item: dict[str, Any] = {
        "institution": school.institution,
        "level": school.level.value,
        "start_year": school.start_year,
    }
    _put(item, "major", school.major)
    _put(item, "end_year", school.end_year)
    _put(item, "gpa", school.gpa)
    return item


def _certificate(certificate: Certificate) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": certificate.name,
        "issuer": certificate.issuer,
        "valid_from": str(certificate.valid_from),
    }
    _put(
        item,
        "valid_until",
        None if certificate.valid_until is None else str(certificate.valid_until),
    )
    _put(item, "score", certificate.score)
    return item


def _achievement(achievement: Achievement) -> dict[str, Any]:
    item: dict[str, Any] = {
        "title": achievement.title,
        "organiser": achievement.organiser,
        "date": str(achievement.date),
    }
    _put(item, "description", achievement.description)
    return item


def claims_of(view: ProfileView) -> dict[str, Any]:
    """The personal members of a view (what OIDC calls claims), in the schema's names.

    Only what ``view`` discloses: each released section becomes its members,
    an unreleased one contributes nothing. ``name`` and ``siapkerja_id`` are
    in every view.
    """
    claims: dict[str, Any] = {"siapkerja_id": view.siapkerja_id, "name": view.full_name}
    if IDENTITY_NIK in view.disclosed:
        claims["nik"] = str(view.nik)
    elif IDENTITY_NIK_MASKED in view.disclosed:
        claims["nik_masked"] = str(view.nik)
    for name in view.disclosed:
        if name in (IDENTITY_NIK, IDENTITY_NIK_MASKED, AKI_STATUS):
            continue  # identity items above; the AK/I status is no profile field
        _SECTION_CLAIMS[Section(name)](claims, view.section(name))
    return claims


def _birth(claims: dict[str, Any], value: tuple[str | None, Any]) -> None:
    place, born = value
    _put(claims, "birth_place", place)
    _put(claims, "birthdate", None if born is None else born.isoformat())


def _contact(claims: dict[str, Any], contact: Any) -> None:
    _put(claims, "email", contact.email)
    _put(claims, "phone_number", contact.phone)


def _headline(claims: dict[str, Any], headline: str | None) -> None:
    _put(claims, "headline", headline)


def _photo(claims: dict[str, Any], photo: Photo | None) -> None:
    _put(claims, "picture", None if photo is None else photo.data_uri())


def _listed(name: str, shape: Any) -> Any:
    def put(claims: dict[str, Any], items: tuple[Any, ...]) -> None:
        claims[name] = [shape(item) for item in items]

    return put


def _address(name: str) -> Any:
    def put(claims: dict[str, Any], address: Address | None) -> None:
        _put(claims, name, None if address is None else address_claim(address))

    return put


def _enum(name: str) -> Any:
    def put(claims: dict[str, Any], value: Any) -> None:
        _put(claims, name, None if value is None else value.value)

    return put


def _sex(claims: dict[str, Any], sex: Sex | None) -> None:
    _put(claims, "gender", None if sex is None else _GENDER[sex])


_SECTION_CLAIMS: Final = {
    Section.BIRTH: _birth,
    Section.SEX: _sex,
    Section.MARITAL_STATUS: _enum("marital_status"),
    Section.RELIGION: _enum("religion"),
    Section.HEADLINE: _headline,
    Section.CONTACT: _contact,
    # OIDC's address is "the preferred postal address": where the holder lives.
    Section.DOMICILE_ADDRESS: _address("address"),
    Section.KTP_ADDRESS: _address("ktp_address"),
    Section.SKILLS: _listed("skills", _skill),
    Section.LANGUAGES: _listed("languages", _language),
    Section.WORK: _listed("work", _work),
    Section.EDUCATION: _listed("education", _education),
    Section.CERTIFICATES: _listed("certificates", _certificate),
    Section.ACHIEVEMENTS: _listed("achievements", _achievement),
    Section.PHOTO: _photo,
}


@frozen(kw_only=True)
class PrefillDocument:
    """What an institution receives: the envelope and the released claims.

    ``claims`` holds the personal members (``name``, ``nik_masked``,
    ``work`` …); ``fields`` the disclosure fields released (as the holder's
    ledger records them). ``doc["work"]`` and ``"nik" in doc`` read the
    claims; :meth:`to_json` gives the whole document, :meth:`to_json_resume`
    the JSON Resume form.
    """

    issued_at: datetime
    purpose: str
    institution_id: str
    institution_name: str
    fields: tuple[str, ...]
    claims: Mapping[str, Any]
    schema_version: str = SCHEMA_VERSION

    def __contains__(self, name: object) -> bool:
        return name in self.claims

    def __getitem__(self, name: str) -> Any:
        return self.claims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.claims)

    def to_json(self) -> dict[str, Any]:
        """The document as JSON-ready data, following the published schema."""
        return {
            "schema_version": self.schema_version,
            "issued_at": self.issued_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "purpose": self.purpose,
            "institution": {"id": self.institution_id, "name": self.institution_name},
            "fields": list(self.fields),
            **_plain(self.claims),
        }

    def to_json_resume(self) -> dict[str, Any]:
        """The released claims as a JSON Resume (jsonresume.org, schema v1.0.0)."""
        from siapkerja_core.prefill.resume import json_resume

        return json_resume(self.to_json())


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build_document(
    view: ProfileView,
    *,
    verifier: Verifier,
    issued_at: datetime,
    headline_occupation: OccupationCode | None = None,
) -> PrefillDocument:
    """The document of ``view`` (a verifier's view with consent) for ``verifier``.

    :param headline_occupation: the codes of the profile's headline
        (``Biodata.occupation``), released with the headline only.
    """
    claims = claims_of(view)
    if Section.HEADLINE.value in view.disclosed and headline_occupation is not None:
        claims["headline_occupation"] = _occupation(headline_occupation)
    return PrefillDocument(
        issued_at=issued_at,
        purpose=str(view.purpose),
        institution_id=verifier.id,
        institution_name=verifier.name,
        # The AK/I status (use 1) is not part of a prefill document (schema 1.0).
        fields=tuple(f for f in view.disclosed if f != AKI_STATUS),
        claims=MappingProxyType(claims),
    )
