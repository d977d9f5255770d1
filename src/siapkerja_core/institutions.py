"""The institution register's values and the audit of administrative actions.

This module owns what an administrator of institutions (verifiers) works
with, as pure values:

* :class:`VerifierKind` — what kind of institution a verifier is (a Disnaker,
  a BLK, an LPK, a P3MI, an LSP …), and :class:`VerifierStatus` — active,
  suspended (its key refused until resumed) or retired (for good);
* :data:`ADMIN_SCOPE` — the scope of an administrator: it grants no profile
  field, only the right to administer institutions;
* :class:`AuditRecord` — one administrative action (who, when, what, on
  which target, why), append-only, written in the same transaction as the
  action it records;
* :class:`InstitutionError` — the ``institution`` domain's refusals;
* the checks on an institution's region code, contact and name, and on an
  audit record's actor, action and target.

The :class:`~siapkerja_core.disclosure.Verifier` itself stays in
:mod:`siapkerja_core.disclosure`; the use cases are
:mod:`siapkerja_core.services.institutions`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Final

from attrs import field, frozen

from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "ADMIN_SCOPE",
    "LIBRARY_ACTOR",
    "MAX_CONTACT_LENGTH",
    "MAX_INSTITUTION_NAME",
    "MAX_REASON_LENGTH",
    "AuditRecord",
    "InstitutionError",
    "VerifierKind",
    "VerifierStatus",
    "check_actor",
    "check_contact",
    "check_institution_name",
    "check_reason",
    "check_region_code",
]

ADMIN_SCOPE: Final = "admin"
"""The administrator's scope: no profile field, the right to administer institutions."""
LIBRARY_ACTOR: Final = "library"
"""The actor of an action made through the library without naming one (a notebook)."""
MAX_INSTITUTION_NAME: Final = 200
MAX_CONTACT_LENGTH: Final = 254
MAX_REASON_LENGTH: Final = 500
_MAX_ACTOR: Final = 200
_MAX_DETAILS: Final = 32


class VerifierKind(StrEnum):
    """What kind of institution a verifier is (the nine uses name them)."""

    DISNAKER = "disnaker"
    """A Dinas Ketenagakerjaan (province or kabupaten/kota): the AK/I."""
    BLK = "blk"
    """A Balai Latihan Kerja (UPTP, UPTD) or BLK Komunitas."""
    LPK = "lpk"
    """A private training institution (Lembaga Pelatihan Kerja Swasta)."""
    P3MI = "p3mi"
    """A placement company for migrant workers (Perusahaan Penempatan PMI)."""
    LSP = "lsp"
    """A certification body licensed by BNSP (Lembaga Sertifikasi Profesi)."""
    BIZHUB = "bizhub"
    """Bizhub: entrepreneurship programmes (TKM, TKS)."""
    JOB_PORTAL = "job_portal"
    """Karirhub, a regional or a private job portal."""
    EVENT_ORGANISER = "event_organiser"
    """Who runs a job fair, a training opening, a talent festival."""
    PROGRAMME = "programme"
    """A national programme's operator (JKP, BSU, Prakerja)."""
    MINISTRY = "ministry"
    """Kemnaker itself (the administrator, typically)."""
    OTHER = "other"
    """Anything else, and every verifier registered before kinds existed."""


class VerifierStatus(StrEnum):
    """Where a verifier stands: only an ``active`` one's key is accepted."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    """Refused until resumed (a leak being looked into, an unpaid agreement …)."""
    RETIRED = "retired"
    """Refused for good; its consents and its activity stay on record."""


class InstitutionError(SiapkerjaError):
    """An administrative action on an institution that cannot be done, or a bad value."""

    domain = "institution"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unknown",
            "admin_required",
            "wrong_status",
            "invalid_kind",
            "invalid_status",
            "invalid_region",
            "invalid_contact",
            "invalid_name",
            "invalid_actor",
            "invalid_reason",
            "invalid_audit",
        }
    )


def _visible(text: str) -> bool:
    """No control or invisible character (they make two texts look alike)."""
    return not any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} for char in text)


def check_institution_name(name: object) -> str:
    """An institution's name, stripped. :raises InstitutionError: ``invalid_name``."""
    if not isinstance(name, str):
        raise InstitutionError("invalid_name", limit=MAX_INSTITUTION_NAME)
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_INSTITUTION_NAME or not _visible(cleaned):
        raise InstitutionError("invalid_name", limit=MAX_INSTITUTION_NAME)
    return cleaned


def check_region_code(code: object, *, current: bool = False) -> str:
    """A Kemendagri province, regency (kabupaten/kota) or district code, without dots.

    ``current=True`` also refuses a code that has since been split or renamed
    (a new institution is registered under today's code; one stored earlier
    keeps the code it had).

    :raises InstitutionError: ``invalid_region``.
    """
    if not isinstance(code, str):
        raise InstitutionError("invalid_region", region=str(code)[:20])
    cleaned = code.replace(".", "").strip()
    region = regions.lookup(cleaned) if cleaned.isdigit() and len(cleaned) <= 6 else None
    if region is None or (current and region.retired):
        raise InstitutionError("invalid_region", region=cleaned[:20])
    return region.code


_URL: Final = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def check_contact(contact: object) -> str:
    """Where a holder asks an institution questions: an e-mail address or an http(s) URL.

    :raises InstitutionError: ``invalid_contact``.
    """
    if not isinstance(contact, str):
        raise InstitutionError("invalid_contact", limit=MAX_CONTACT_LENGTH)
    text = contact.strip()
    if not text or len(text) > MAX_CONTACT_LENGTH or not _visible(text):
        raise InstitutionError("invalid_contact", limit=MAX_CONTACT_LENGTH)
    if _URL.fullmatch(text):
        return text
    from siapkerja_core.contact import InvalidEmail, normalize_email

    try:
        return normalize_email(text)
    except InvalidEmail:
        raise InstitutionError("invalid_contact", limit=MAX_CONTACT_LENGTH) from None


def check_actor(actor: object) -> str:
    """Who performed an action: ``verifier:<id>``, ``cli:<user>``, ``library`` …

    :raises InstitutionError: ``invalid_actor``.
    """
    if not isinstance(actor, str):
        raise InstitutionError("invalid_actor", limit=_MAX_ACTOR)
    text = actor.strip()
    if not text or len(text) > _MAX_ACTOR or not _visible(text) or any(c.isspace() for c in text):
        raise InstitutionError("invalid_actor", limit=_MAX_ACTOR)
    return text


def check_reason(reason: object, *, required: bool) -> str | None:
    """Why an action was taken (required to suspend or retire).

    :raises InstitutionError: ``invalid_reason`` (absent when required, blank,
        too long, or with a control or invisible character).
    """
    if reason is None and not required:
        return None
    if not isinstance(reason, str):
        raise InstitutionError("invalid_reason", limit=MAX_REASON_LENGTH)
    text = " ".join(reason.split())
    if not text:
        if required:
            raise InstitutionError("invalid_reason", limit=MAX_REASON_LENGTH)
        return None
    if len(text) > MAX_REASON_LENGTH or not _visible(text):
        raise InstitutionError("invalid_reason", limit=MAX_REASON_LENGTH)
    return text


# An action and a target kind are dotted lowercase names: "verifier.suspend", "event".
_NAME: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_Detail = str | int | float | bool | None


def _name(_instance: object, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or len(value) > 64 or not _NAME.fullmatch(value):
        raise InstitutionError("invalid_audit", field=attribute.name)


def _target_id(_instance: object, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not 0 < len(value) <= 200 or not _visible(value):
        raise InstitutionError("invalid_audit", field=attribute.name)


def _freeze_details(details: Mapping[str, Any] | None) -> Mapping[str, _Detail]:
    if details is None:
        return MappingProxyType({})
    if not isinstance(details, Mapping) or len(details) > _MAX_DETAILS:
        raise InstitutionError("invalid_audit", field="details")
    frozen_details: dict[str, _Detail] = {}
    for key, value in details.items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InstitutionError("invalid_audit", field="details")
        if isinstance(value, list | tuple | frozenset | set):
            # A list of names (scopes, fields): kept as one sorted, comma-joined text.
            items = sorted(str(item) for item in value)
            value = ",".join(items)
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise InstitutionError("invalid_audit", field="details")
        if isinstance(value, str) and len(value) > 1000:
            raise InstitutionError("invalid_audit", field="details")
        frozen_details[key] = value
    return MappingProxyType(dict(sorted(frozen_details.items())))


def _actor(_instance: object, _attribute: Any, value: str) -> None:
    check_actor(value)


@frozen(kw_only=True)
class AuditRecord:
    """One administrative action, as the audit keeps it (append-only).

    ``actor`` is who did it (``verifier:<id>`` for an administrator's API key,
    ``cli:<OS user>`` for the command line, ``library`` by default);
    ``action`` a dotted name (``verifier.suspend``); the target is
    ``target_kind`` (``verifier``, ``event``, ``station`` …) and
    ``target_id``. ``details`` holds small JSON values (lists become one
    sorted comma-joined text); never a secret such as an API key.
    """

    id: str
    at: datetime
    actor: str = field(validator=_actor)
    action: str = field(validator=_name)
    target_kind: str = field(validator=_name)
    target_id: str = field(validator=_target_id)
    reason: str | None = None
    details: Mapping[str, _Detail] = field(
        factory=dict, converter=_freeze_details, hash=False, repr=lambda d: repr(dict(d))
    )
