"""The labour profile: every section of the scanned SIAPkerja-ID profile page.

This package owns the profile's value objects and their rules; nothing here
reads or writes JSON (that is :mod:`siapkerja_core.converter`) and nothing
decides what a complete profile is (that is :mod:`siapkerja_core.completeness`).

The sections follow the seed's page for Galih Agan Pambayun:

* :class:`Biodata` — place and date of birth, sex, marital status, religion,
  headline ("IT Professional");
* :class:`Contact` — email and mobile number, normalised by
  :mod:`siapkerja_core.contact`;
* two :class:`Address` es — as on the KTP and where the person lives
  (*domisili*), each a Kemendagri village code plus street, RT/RW and postal
  code;
* :class:`Skill`, :class:`Language` (with a :class:`LanguageLevel`),
  :class:`WorkExperience`, :class:`Education`, :class:`Certificate`,
  :class:`Achievement`;
* :class:`Photo` — the bytes, checked by their magic numbers;
* :class:`Visibility` — which sections the holder publishes on the public
  view of a scanned QR code. Contact, addresses, birth data and religion can
  never be published (UU PDP 27/2022: data minimisation).

Every value object is ``@frozen(kw_only=True)``: change one with
:func:`attrs.evolve`. Attribute converters only *normalise* (strip and
collapse spaces, accept ``"2021-06"`` for a month, ``"L"`` for
:attr:`Sex.L`); validators then refuse anything wrong with a
:class:`ProfileError` that names the attribute (``field``) and says why in
Indonesian and English.

A birth date or sex that differs from the NIK's is **not** an error: the NIK
never changes, even when Dukcapil later corrects the date it encodes.
:func:`check_against_nik` reports such differences as :class:`ProfileWarning` s.

Modules: :mod:`~siapkerja_core.profile.errors`, :mod:`~siapkerja_core.profile.enums`,
:mod:`~siapkerja_core.profile.dates`, :mod:`~siapkerja_core.profile.personal`,
:mod:`~siapkerja_core.profile.career`, :mod:`~siapkerja_core.profile.codes` (labour codes),
:mod:`~siapkerja_core.profile.photo`,
:mod:`~siapkerja_core.profile.model`, :mod:`~siapkerja_core.profile.lengths` (and the
parsing helpers in :mod:`~siapkerja_core.profile.fields`); every public name is importable from
``siapkerja_core.profile``.
"""

from siapkerja_core.profile.career import (
    Achievement,
    Certificate,
    Education,
    Language,
    Skill,
    WorkExperience,
)
from siapkerja_core.profile.codes import (
    ESCO_OCCUPATION_PREFIX,
    ESCO_SKILL_PREFIX,
    OccupationCode,
    parse_esco_uri,
    parse_isco08,
    parse_kbji,
)
from siapkerja_core.profile.dates import (
    MAX_YEAR,
    MIN_YEAR,
    YearMonth,
)
from siapkerja_core.profile.enums import (
    DEFAULT_PUBLISHED,
    NEVER_PUBLISHED,
    EducationLevel,
    EmploymentStatus,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Section,
    Sex,
    Stakeholder,
)
from siapkerja_core.profile.errors import (
    ProfileError,
    ProfileWarning,
)
from siapkerja_core.profile.lengths import (
    MAX_DESCRIPTION_LENGTH,
    MAX_LINE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORGANISATION_LENGTH,
    MAX_SCORE_LENGTH,
    MAX_STREET_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TITLE_LENGTH,
    POSTAL_CODE_DIGITS,
    RT_RW_DIGITS,
    VILLAGE_CODE_DIGITS,
)
from siapkerja_core.profile.model import (
    MAX_ITEMS,
    SECTIONS,
    Profile,
    Visibility,
    check_against_nik,
    distinct_names,
    name_key,
)
from siapkerja_core.profile.personal import (
    Address,
    Biodata,
    Contact,
    latest_birth_date,
    refuse_future_birth_date,
)
from siapkerja_core.profile.photo import (
    MAX_PHOTO_BYTES,
    MIN_PHOTO_BYTES,
    PHOTO_MEDIA_TYPES,
    Photo,
    sniff_image_type,
)

__all__ = [
    "DEFAULT_PUBLISHED",
    "ESCO_OCCUPATION_PREFIX",
    "ESCO_SKILL_PREFIX",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ITEMS",
    "MAX_LINE_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_ORGANISATION_LENGTH",
    "MAX_PHOTO_BYTES",
    "MAX_SCORE_LENGTH",
    "MAX_STREET_LENGTH",
    "MAX_TERM_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_YEAR",
    "MIN_PHOTO_BYTES",
    "MIN_YEAR",
    "NEVER_PUBLISHED",
    "PHOTO_MEDIA_TYPES",
    "POSTAL_CODE_DIGITS",
    "RT_RW_DIGITS",
    "SECTIONS",
    "VILLAGE_CODE_DIGITS",
    "Achievement",
    "Address",
    "Biodata",
    "Certificate",
    "Contact",
    "Education",
    "EducationLevel",
    "EmploymentStatus",
    "Language",
    "LanguageLevel",
    "MaritalStatus",
    "OccupationCode",
    "Photo",
    "Profile",
    "ProfileError",
    "ProfileWarning",
    "Religion",
    "Section",
    "Sex",
    "Skill",
    "Stakeholder",
    "Visibility",
    "WorkExperience",
    "YearMonth",
    "check_against_nik",
    "distinct_names",
    "latest_birth_date",
    "name_key",
    "parse_esco_uri",
    "parse_isco08",
    "parse_kbji",
    "refuse_future_birth_date",
    "sniff_image_type",
]
