"""Who sees what when a SIAPkerja-ID QR code is scanned: the open/closed answer, as policy.

The brief asks whether access to the scanned profile is open or closed. The
answer here is *both, by audience*:

* **anonymous** (anyone with a phone camera) and **another account** — the
  public view: the name, the SIAPkerja-ID number and the card's status,
  plus the sections the holder chose to publish (:class:`~siapkerja_core.profile.Visibility`;
  birth data, contact, addresses and religion can never be published).
  Never the NIK, not even masked; never a phone number, e-mail or address.
* a **registered verifier** — an institution with scopes (Karirhub, a BLK,
  BNSP, the Disnaker …) — sees what its scopes allow, but only for a purpose
  the holder consented to (UU 27/2022 Pasal 20–22: purpose-bound, recorded
  consent). Without that consent it gets the public view and is told that
  consent is required.
* the **holder** — everything.

The mother's maiden name is never in a view: it is not even stored.

This module owns the scope catalogue (:data:`SCOPES`), the :class:`Verifier`
and :class:`ProfileView` value objects and :func:`build_view`, a pure
function of (profile, account, card, audience). Recording the access
(the ledger the holder can read) is the service's job.
"""

from __future__ import annotations

import base64
import binascii
import html
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.institutions import (
    ADMIN_SCOPE,
    MAX_CONTACT_LENGTH,
    InstitutionError,
    VerifierKind,
    VerifierStatus,
    check_contact,
    check_region_code,
)
from siapkerja_core.profile import Profile, Section
from siapkerja_core.profile.photo import thumbnail_data_uri
from siapkerja_core.records import canonical_purpose
from siapkerja_core.views import mask_nik

__all__ = [
    "AKI_STATUS",
    "IDENTITY_NIK",
    "IDENTITY_NIK_MASKED",
    "MAX_PURPOSE_LENGTH",
    "SCOPES",
    "Audience",
    "DisclosureError",
    "ProfileView",
    "Verifier",
    "build_view",
    "normalize_purpose",
    "scope_fields",
]

IDENTITY_NIK: Final = "nik"
"""The full NIK: for scopes whose legal task needs it (certification, the Disnaker)."""
IDENTITY_NIK_MASKED: Final = "nik_masked"
"""First four and last two digits: enough to match a KTP held in front of you."""
AKI_STATUS: Final = "aki"
"""The AK/I (kartu kuning) status: the ``disnaker`` scope's and the holder's
(filled in by :mod:`siapkerja_core.services.aki`, ``ProfileView.aki``)."""

_PROFESSIONAL: Final = frozenset(
    {
        Section.HEADLINE,
        Section.SKILLS,
        Section.LANGUAGES,
        Section.WORK,
        Section.EDUCATION,
        Section.CERTIFICATES,
        Section.ACHIEVEMENTS,
        Section.PHOTO,
    }
)

SCOPES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        # Job matching (Karirhub, regional and private job portals): what an
        # employer needs to judge and reach an applicant — no identity number.
        "karirhub": frozenset(
            {*_PROFESSIONAL, Section.CONTACT, Section.DOMICILE_ADDRESS, IDENTITY_NIK_MASKED}
        ),
        # Training registration (Skillhub, BLK UPTP/UPTD, BLK Komunitas, LPK):
        # participants are enrolled by identity and contacted.
        "skillhub": frozenset(
            {
                *_PROFESSIONAL,
                Section.CONTACT,
                Section.BIRTH,
                Section.SEX,
                Section.DOMICILE_ADDRESS,
                IDENTITY_NIK,
            }
        ),
        "blk": frozenset(
            {
                *_PROFESSIONAL,
                Section.CONTACT,
                Section.BIRTH,
                Section.SEX,
                Section.DOMICILE_ADDRESS,
                IDENTITY_NIK,
            }
        ),
        # Certification (Sertihub, BNSP and its LSPs): certificates are issued to
        # a legal identity, so the NIK, birth data and KTP address are needed.
        "sertihub": frozenset(
            {
                Section.HEADLINE,
                Section.WORK,
                Section.EDUCATION,
                Section.CERTIFICATES,
                Section.PHOTO,
                Section.CONTACT,
                Section.BIRTH,
                Section.SEX,
                Section.KTP_ADDRESS,
                IDENTITY_NIK,
            }
        ),
        "bnsp": frozenset(
            {
                Section.HEADLINE,
                Section.WORK,
                Section.EDUCATION,
                Section.CERTIFICATES,
                Section.PHOTO,
                Section.CONTACT,
                Section.BIRTH,
                Section.SEX,
                Section.KTP_ADDRESS,
                IDENTITY_NIK,
            }
        ),
        # Entrepreneurship (Bizhub: TKM, TKS programmes).
        "bizhub": frozenset(
            {
                Section.HEADLINE,
                Section.SKILLS,
                Section.WORK,
                Section.EDUCATION,
                Section.PHOTO,
                Section.CONTACT,
                Section.DOMICILE_ADDRESS,
                IDENTITY_NIK_MASKED,
            }
        ),
        # Placement abroad and internships in Japan (P3MI, BP2MI, sending LPKs):
        # passports and visas are applied for by legal identity; languages and
        # certificates (JFT, JLPT, SSW tests) decide eligibility.
        "p3mi": frozenset(
            {
                *_PROFESSIONAL,
                Section.CONTACT,
                Section.BIRTH,
                Section.SEX,
                Section.MARITAL_STATUS,
                Section.KTP_ADDRESS,
                IDENTITY_NIK,
            }
        ),
        # The Dinas Ketenagakerjaan issuing the AK/I ("kartu kuning"): the card's
        # own fields (Permenaker 39/2016) — identity, status, religion, address,
        # education — and the rest of the profile.
        "disnaker": frozenset({*(s for s in Section), IDENTITY_NIK, AKI_STATUS}),
        # The administrator of institutions (the ministry): no profile field at
        # all, only the right to call the admin API (docs/institutions.md).
        ADMIN_SCOPE: frozenset(),
    }
)
"""Each verifier scope and the fields it may see (sections and identity items)."""


class Audience(StrEnum):
    ANONYMOUS = "anonymous"
    ACCOUNT = "account"
    """Signed in, but not the holder: the public view."""
    VERIFIER = "verifier"
    HOLDER = "holder"


class DisclosureError(SiapkerjaError):
    domain = "disclosure"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unknown_scope",
            "unknown_verifier",
            "verifier_suspended",
            "purpose_required",
            "purpose_invalid",
            "unknown_consent",
            "cursor_invalid",
        }
    )


MAX_PURPOSE_LENGTH: Final = 200
"""The longest consent purpose, in its canonical form."""
# Control characters (tab and newline included), format characters (zero-width
# spaces, bidirectional overrides), surrogates, private-use and unassigned code
# points: nothing a purpose typed by a person holds, and what makes two purposes
# look alike to the holder while differing to the library.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def normalize_purpose(purpose: object) -> str:
    """A consent purpose in its canonical form (:func:`~siapkerja_core.records.canonical_purpose`).

    Granting consent and a verifier's scan both go through it, so a purpose
    matches however it was spaced, cased or composed.

    >>> normalize_purpose("  Rekrutmen   2026 ")
    'rekrutmen 2026'

    :raises DisclosureError: ``purpose_required`` (absent or blank),
        ``purpose_invalid`` (a control or invisible character, or longer than
        :data:`MAX_PURPOSE_LENGTH`).
    """
    if not isinstance(purpose, str) or not purpose.strip():
        raise DisclosureError("purpose_required")
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in purpose):
        raise DisclosureError("purpose_invalid", limit=MAX_PURPOSE_LENGTH)
    canonical = canonical_purpose(purpose)
    if not canonical:
        raise DisclosureError("purpose_required")
    if len(canonical) > MAX_PURPOSE_LENGTH:
        raise DisclosureError("purpose_invalid", limit=MAX_PURPOSE_LENGTH)
    return canonical


def _to_scopes(scopes: Iterable[str]) -> frozenset[str]:
    return frozenset(scopes)


def _known_scopes(_instance: object, _attribute: object, scopes: frozenset[str]) -> None:
    unknown = sorted(scopes - SCOPES.keys())
    if not scopes:
        raise DisclosureError("unknown_scope", scope="", known=", ".join(SCOPES))
    if unknown:
        raise DisclosureError("unknown_scope", scope=unknown[0], known=", ".join(SCOPES))


def _to_kind(kind: VerifierKind | str) -> VerifierKind:
    try:
        return VerifierKind(kind)
    except ValueError:
        raise InstitutionError(
            "invalid_kind", kind=str(kind)[:40], known=", ".join(VerifierKind)
        ) from None


def _to_status(status: VerifierStatus | str) -> VerifierStatus:
    try:
        return VerifierStatus(status)
    except ValueError:
        raise InstitutionError(
            "invalid_status", status=str(status)[:40], known=", ".join(VerifierStatus)
        ) from None


def _optional_region(_instance: object, _attribute: object, code: str | None) -> None:
    if code is not None and check_region_code(code) != code:
        raise InstitutionError("invalid_region", region=code[:20])


def _optional_contact(_instance: object, _attribute: object, contact: str | None) -> None:
    if contact is not None and check_contact(contact) != contact:
        raise InstitutionError("invalid_contact", limit=MAX_CONTACT_LENGTH)


@frozen(kw_only=True, init=False)
class Verifier:
    """A registered institution that scans SIAPkerja-ID codes (Karirhub, a BLK, BNSP …).

    ``kind`` says what it is, ``region_code`` where it serves (a Kemendagri
    code: the kabupaten/kota of a Disnaker), ``contact`` where a holder asks
    it questions (an e-mail address or a URL). Only an ``active`` verifier's
    key is accepted; ``active`` is kept as a property, and as a keyword of the
    constructor (``active=False`` is a suspended verifier), for code written
    before statuses existed. ``key_rotated_at`` is when its API key was last
    replaced (``None``: the key it was registered with).
    """

    id: str
    name: str
    scopes: frozenset[str] = field(converter=_to_scopes, validator=_known_scopes)
    created_at: datetime
    kind: VerifierKind = field(default=VerifierKind.OTHER, converter=_to_kind)
    region_code: str | None = field(default=None, validator=_optional_region)
    contact: str | None = field(default=None, validator=_optional_contact)
    status: VerifierStatus = field(default=VerifierStatus.ACTIVE, converter=_to_status)
    key_rotated_at: datetime | None = None

    def __init__(
        self,
        *,
        id: str,
        name: str,
        scopes: Iterable[str],
        created_at: datetime,
        kind: VerifierKind | str = VerifierKind.OTHER,
        region_code: str | None = None,
        contact: str | None = None,
        status: VerifierStatus | str | None = None,
        key_rotated_at: datetime | None = None,
        active: bool | None = None,
    ) -> None:
        # ``active`` (the field before statuses) wins when given, so that code
        # written for it, ``attrs.evolve(verifier, active=False)`` included, still
        # suspends; a retired verifier stays retired when made inactive.
        if active is True:
            status = VerifierStatus.ACTIVE
        elif active is False and (status is None or _to_status(status) is VerifierStatus.ACTIVE):
            status = VerifierStatus.SUSPENDED
        elif status is None:
            status = VerifierStatus.ACTIVE
        self.__attrs_init__(
            id=id,
            name=name,
            scopes=scopes,
            created_at=created_at,
            kind=kind,
            region_code=region_code,
            contact=contact,
            status=status,
            key_rotated_at=key_rotated_at,
        )

    @property
    def active(self) -> bool:
        """Whether its key is accepted (neither suspended nor retired)."""
        return self.status is VerifierStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        """Whether it may administer institutions (the ``admin`` scope)."""
        return ADMIN_SCOPE in self.scopes


def scope_fields(scopes: frozenset[str]) -> frozenset[str]:
    """Every field the union of ``scopes`` allows."""
    allowed: set[str] = set()
    for scope in scopes:
        allowed |= SCOPES[scope]
    return frozenset(allowed)


class _Elided:
    """Stands for a long value in a repr: ``<image/png photo, 1843 bytes>``."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.text}>"


_REPR_TEXT_LIMIT: Final = 80  # longer strings (base64 photos, files) are elided in a repr
_HTML_CELL_LIMIT: Final = 160


def _photo_of(value: object) -> tuple[bytes, str] | None:
    """The bytes and media type of a converter-shaped photo ``{"content", "media_type"}``."""
    if not isinstance(value, Mapping) or set(value) != {"content", "media_type"}:
        return None
    content, media_type = value["content"], value["media_type"]
    if not isinstance(content, str) or not isinstance(media_type, str):
        return None
    try:
        return base64.b64decode(content, validate=True), media_type
    except (binascii.Error, ValueError):
        return None


def _elide(value: object) -> object:
    """``value`` for a repr: photos as their type and size, long strings as their length."""
    photo = _photo_of(value)
    if photo is not None:
        return _Elided(f"{photo[1]} photo, {len(photo[0])} bytes")
    if isinstance(value, Mapping):
        return {k: _elide(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_elide(v) for v in value]
    if isinstance(value, str) and len(value) > _REPR_TEXT_LIMIT:
        return _Elided(f"{len(value)} characters")
    return value


def _short_repr(data: Mapping[str, Any]) -> str:
    return repr(_elide(data))


def _html_cell(value: object) -> str:
    text = _summary(value)
    if len(text) > _HTML_CELL_LIMIT:
        text = text[: _HTML_CELL_LIMIT - 1] + "…"
    return text


def _summary(value: object) -> str:
    """A section's value on one line: ``name: PHP; name: Laravel``, empty members left out."""
    photo = _photo_of(value)
    if photo is not None:
        return f"{photo[1]}, {len(photo[0])} bytes"
    if isinstance(value, Mapping):
        return ", ".join(
            f"{k}: {_summary(v)}" for k, v in value.items() if v is not None and v not in ("", [])
        )
    if isinstance(value, list | tuple):
        return "; ".join(_summary(v) for v in value) or "-"
    return str(_elide(value))


@frozen(kw_only=True)
class ProfileView:
    """What one audience sees of a scanned profile.

    ``data`` maps each disclosed section name to its JSON-ready value (the
    converter's shape, for the JSON API); :meth:`section` gives the same
    sections as the profile's typed value objects, for pages that render them
    without a round trip through dicts. ``disclosed`` lists the section and
    identity fields shown, in a stable order — the same list the access
    ledger records.
    """

    siapkerja_id: str
    full_name: str
    card_active: bool
    audience: Audience
    disclosed: tuple[str, ...]
    # The repr shows the photo as its type and size, never its base64 (megabytes).
    data: Mapping[str, Any] = field(repr=_short_repr)
    nik: str | None = None
    """The full NIK (holder, or a verifier whose scope needs it) or the masked one, or None."""
    purpose: str | None = None
    verifier: str | None = None
    consent_required: bool = False
    """True when a verifier scanned without the holder's consent for this purpose."""
    aki: Mapping[str, Any] | None = None
    """The AK/I status (:func:`siapkerja_core.aki.aki_status_data`) when ``"aki"`` is disclosed."""
    _source: Profile | None = field(default=None, repr=False, eq=False, alias="source")
    # The profile the view was cut from: read only through section(), which
    # hands out disclosed sections and nothing else.

    def __contains__(self, name: object) -> bool:
        return name in self.disclosed

    def _repr_html_(self) -> str:
        # A notebook's view: who, the card, each disclosed section on one line, and the
        # photo as a small thumbnail (THUMBNAIL_MAX_BYTES at most), never the full image.
        e = html.escape
        facts = [
            e(self.siapkerja_id),
            "kartu aktif / card active" if self.card_active else "kartu tidak aktif / inactive",
            f"audience: {e(str(self.audience.value))}",
        ]
        if self.purpose:
            facts.append(f"purpose: {e(self.purpose)}")
        if self.verifier:
            facts.append(f"verifier: {e(self.verifier)}")
        out = ['<div class="siapkerja-profile-view">']
        photo = _photo_of(self.data.get("photo"))
        if photo is not None:
            uri = thumbnail_data_uri(*photo)
            if uri is not None:
                out.append(f'<img src="{uri}" alt="photo" style="float:right;max-height:120px">')
        out.append(f"<strong>{e(self.full_name)}</strong><br>{' · '.join(facts)}")
        rows: list[tuple[str, object]] = [("nik", self.nik)] if self.nik else []
        rows += [(name, value) for name, value in self.data.items()]
        if self.aki is not None:
            rows.append(("aki", dict(self.aki)))
        out.append('<table class="siapkerja-table">')
        out.extend(
            f"<tr><th>{e(name)}</th><td>{e(_html_cell(value))}</td></tr>" for name, value in rows
        )
        out.append("</table></div>")
        return "".join(out)

    def with_aki(self, status: Mapping[str, Any]) -> ProfileView:
        """This view with the AK/I ``status``, if its audience may see it (else unchanged)."""
        if AKI_STATUS not in self.disclosed:
            return self
        return attrs.evolve(self, aki=MappingProxyType(dict(status)))

    def section(self, section: Section | str) -> Any:
        """The typed value of a disclosed section, or ``None`` when it is not disclosed.

        Lists are tuples of the profile's value objects (``WorkExperience`` …),
        addresses an :class:`~siapkerja_core.profile.Address`, enums their
        members; ``birth`` is ``(birth_place, birth_date)``.
        """
        key = Section(section)
        if self._source is None or key.value not in self.disclosed:
            return None
        parts = _BIODATA_PARTS.get(key)
        if parts is None:
            return getattr(self._source, key.value)
        values = tuple(getattr(self._source.biodata, part) for part in parts)
        return values if len(values) > 1 else values[0]


# Sections the public view may show at most (Visibility refuses the others).
_PUBLIC_SECTIONS: Final = frozenset(Section) - {
    Section.BIRTH,
    Section.CONTACT,
    Section.KTP_ADDRESS,
    Section.DOMICILE_ADDRESS,
    Section.RELIGION,
}

# Section name -> how to read it off a Profile (biodata parts are single fields).
_BIODATA_PARTS: Final = {
    Section.BIRTH: ("birth_place", "birth_date"),
    Section.SEX: ("sex",),
    Section.MARITAL_STATUS: ("marital_status",),
    Section.RELIGION: ("religion",),
    Section.HEADLINE: ("headline",),
}


def _section_data(profile_data: Mapping[str, Any], section: Section) -> Any:
    parts = _BIODATA_PARTS.get(section)
    biodata = profile_data["biodata"]
    if parts is not None:
        values = {part: biodata.get(part) for part in parts}
        return values if len(values) > 1 else values[parts[0]]
    return profile_data[section.value]


def _order(fields: frozenset[str]) -> tuple[str, ...]:
    sections = [s.value for s in Section if s in fields]
    identity = [f for f in (IDENTITY_NIK, IDENTITY_NIK_MASKED, AKI_STATUS) if f in fields]
    return (*identity, *sections)


def build_view(
    *,
    profile: Profile,
    nik: str,
    siapkerja_id: str,
    card_active: bool,
    audience: Audience,
    allowed: frozenset[str] | None = None,
    purpose: str | None = None,
    verifier: str | None = None,
    consent_required: bool = False,
    profile_data: Mapping[str, Any],
) -> ProfileView:
    """The view of ``profile`` for ``audience``.

    :param allowed: for a verifier, the fields its scopes and the consent allow.
    :param profile_data: ``profile`` as JSON-ready data (the wire shape of
        :func:`siapkerja_core.converter.unstructure`): the policy picks sections
        out of it and never converts anything itself.
    """
    data_source = profile_data
    if audience is Audience.HOLDER:
        fields = frozenset({*Section, IDENTITY_NIK, AKI_STATUS})
    elif audience is Audience.VERIFIER and allowed is not None:
        # Exactly what the scope and the consent allow (data minimisation: the
        # ledger then records no more than the purpose needed).
        fields = allowed
    else:
        fields = frozenset(s for s in profile.visibility.published if s in _PUBLIC_SECTIONS)
    if IDENTITY_NIK in fields:
        shown_nik: str | None = nik
        fields = fields - {IDENTITY_NIK_MASKED}
    elif IDENTITY_NIK_MASKED in fields:
        shown_nik = mask_nik(nik)
    else:
        shown_nik = None
    data = {
        section.value: _section_data(data_source, section)
        for section in Section
        if section in fields
    }
    return ProfileView(
        siapkerja_id=siapkerja_id,
        full_name=profile.full_name,
        card_active=card_active,
        audience=audience,
        disclosed=_order(fields),
        data=MappingProxyType(data),
        nik=shown_nik,
        purpose=purpose,
        verifier=verifier,
        consent_required=consent_required,
        source=profile,
    )
