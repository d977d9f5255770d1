"""The labour profile: every section of the scanned SIAPkerja-ID profile page.

This module owns the profile's value objects and their rules; nothing here
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
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeVar, cast

import attrs
from attrs import Factory, field, frozen

from siapkerja_core import regions
from siapkerja_core.contact import (
    InvalidEmail,
    InvalidPhone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from siapkerja_core.errors import Message, SiapkerjaError
from siapkerja_core.i18n import SECTION_LABELS, month_name, pick
from siapkerja_core.nik import Nik, parse_nik

__all__ = [
    "DEFAULT_PUBLISHED",
    "MAX_PHOTO_BYTES",
    "MIN_PHOTO_BYTES",
    "NEVER_PUBLISHED",
    "PHOTO_MEDIA_TYPES",
    "SECTIONS",
    "Achievement",
    "Address",
    "Biodata",
    "Certificate",
    "Contact",
    "Education",
    "EducationLevel",
    "Language",
    "LanguageLevel",
    "MaritalStatus",
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
    "sniff_image_type",
]

_T = TypeVar("_T")
_E = TypeVar("_E", bound="_LabelledEnum")

# --------------------------------------------------------------------------
# Errors and warnings
# --------------------------------------------------------------------------


class ProfileError(SiapkerjaError, ValueError):
    """A profile value that cannot be accepted. ``field`` names where it is.

    Codes: ``invalid_field`` (with ``reason``/``reason_id``), ``village``,
    ``date_order``, ``photo_type``, ``photo_size``, ``private_section``,
    ``unknown_section``. Built directly, ``field`` is the attribute name
    (``"gpa"``); from :func:`siapkerja_core.converter.structure_profile` it is
    the path in the document (``"education[0].gpa"``, ``"$"`` for the whole
    document) and ``errors`` holds every problem found, not just the first.
    """

    domain = "profile"
    messages: ClassVar[Mapping[str, Message]] = {
        "invalid_field": (
            "Isian {field} tidak valid: {reason_id}.",
            "Field {field} is invalid: {reason}.",
        ),
        "village": (
            "Isian {field}: {village_code!r} bukan kode desa/kelurahan Kemendagri.",
            "Field {field}: {village_code!r} is not a Kemendagri village (desa/kelurahan) code.",
        ),
        "date_order": (
            "Isian {field}: akhir ({end}) tidak boleh sebelum awal ({start}).",
            "Field {field}: the end ({end}) cannot be before the start ({start}).",
        ),
        "photo_type": (
            "Isian {field}: {reason_id}.",
            "Field {field}: {reason}.",
        ),
        "photo_size": (
            "Isian {field}: foto berukuran {size} bita; yang diterima {min_size} bita"
            " sampai {max_size} bita (2 MiB).",
            "Field {field}: the photo has {size} bytes; {min_size} to {max_size} bytes"
            " (2 MiB) are accepted.",
        ),
        "private_section": (
            "Isian {field}: bagian {section!r} berisi data pribadi dan tidak dapat"
            " ditampilkan untuk umum.",
            "Field {field}: the {section!r} section holds personal data and can never be"
            " published.",
        ),
        "unknown_section": (
            "Bagian profil {section!r} tidak dikenal. Yang tersedia: {known}.",
            "Unknown profile section {section!r}. Known: {known}.",
        ),
    }

    def __init__(self, code: str, **params: object) -> None:
        if "reason" in params and "reason_id" not in params:
            params["reason_id"] = params["reason"]  # a caller that gave one language
        super().__init__(code, **params)

    @property
    def field(self) -> str | None:
        """Where the problem is: an attribute name, or a document path."""
        value = self.params.get("field")
        return None if value is None else str(value)

    @property
    def errors(self) -> tuple[ProfileError, ...]:
        """Every problem found (structuring reports them all); ``(self,)`` otherwise."""
        found = self.params.get("errors")
        return cast("tuple[ProfileError, ...]", found) if isinstance(found, tuple) else (self,)


def _invalid(field_name: str, reason_id: str, reason_en: str) -> ProfileError:
    return ProfileError("invalid_field", field=field_name, reason=reason_en, reason_id=reason_id)


@frozen(kw_only=True)
class ProfileWarning:
    """Something worth telling the holder that is not an error.

    ``code`` is stable (``birth_date_differs``, ``sex_differs``); ``field`` is
    the profile path concerned.
    """

    code: str
    field: str
    message_id: str
    message_en: str

    def message(self, lang: str = "id") -> str:
        """The message in ``lang`` (``"id"`` or ``"en"``)."""
        return pick(lang, self.message_id, self.message_en)


class _Reason(ValueError):
    """Why a value failed to parse, in both languages (private: becomes a ProfileError)."""

    def __init__(self, reason_id: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_id = reason_id
        self.reason_en = reason_en


# --------------------------------------------------------------------------
# Enumerations (values are stable JSON; labels are for people)
# --------------------------------------------------------------------------

_LABELS: dict[tuple[str, str], tuple[str, str]] = {}


class _LabelledEnum(StrEnum):
    """A string enum whose members carry an Indonesian and an English label."""

    @property
    def label_id(self) -> str:
        """The label in Indonesian."""
        return _LABELS[(type(self).__name__, self.value)][0]

    @property
    def label_en(self) -> str:
        """The label in English."""
        return _LABELS[(type(self).__name__, self.value)][1]

    def label(self, lang: str = "id") -> str:
        """The label in ``lang`` (``"id"`` or ``"en"``)."""
        return pick(lang, self.label_id, self.label_en)


def _labels(enum: type[_LabelledEnum], **labels: tuple[str, str]) -> None:
    members = {m.name: m for m in enum}
    if set(labels) != set(members):
        raise AssertionError(f"labels of {enum.__name__} do not match its members")
    for name, pair in labels.items():
        _LABELS[(enum.__name__, members[name].value)] = pair


class Sex(_LabelledEnum):
    """*Jenis kelamin* as on the KTP and in the NIK."""

    L = "L"
    P = "P"


_labels(Sex, L=("Laki-laki", "Male"), P=("Perempuan", "Female"))


class MaritalStatus(_LabelledEnum):
    """*Status perkawinan*, the four KTP statuses (the KTP prints "Kawin" for married)."""

    BELUM_MENIKAH = "belum_menikah"
    MENIKAH = "menikah"
    CERAI_HIDUP = "cerai_hidup"
    CERAI_MATI = "cerai_mati"


_labels(
    MaritalStatus,
    BELUM_MENIKAH=("Belum Menikah", "Not married"),
    MENIKAH=("Menikah", "Married"),
    CERAI_HIDUP=("Cerai Hidup", "Divorced"),
    CERAI_MATI=("Cerai Mati", "Widowed"),
)


class Religion(_LabelledEnum):
    """*Agama* as recorded by Dukcapil, including *Kepercayaan terhadap Tuhan YME*."""

    ISLAM = "islam"
    KRISTEN = "kristen"
    KATOLIK = "katolik"
    HINDU = "hindu"
    BUDDHA = "buddha"
    KHONGHUCU = "khonghucu"
    KEPERCAYAAN = "kepercayaan"


_labels(
    Religion,
    ISLAM=("Islam", "Islam"),
    KRISTEN=("Kristen", "Christianity (Protestant)"),
    KATOLIK=("Katolik", "Catholicism"),
    HINDU=("Hindu", "Hinduism"),
    BUDDHA=("Buddha", "Buddhism"),
    KHONGHUCU=("Khonghucu", "Confucianism"),
    KEPERCAYAAN=("Kepercayaan terhadap Tuhan YME", "Belief in One Almighty God (Kepercayaan)"),
)


class LanguageLevel(_LabelledEnum):
    """How well a language is spoken."""

    DASAR = "dasar"
    MENENGAH = "menengah"
    MAHIR = "mahir"
    PENUTUR_ASLI = "penutur_asli"


_labels(
    LanguageLevel,
    DASAR=("Tingkat Dasar", "Basic"),
    MENENGAH=("Tingkat Menengah", "Intermediate"),
    MAHIR=("Tingkat Mahir", "Advanced"),
    PENUTUR_ASLI=("Penutur Asli", "Native speaker"),
)


class EducationLevel(_LabelledEnum):
    """*Jenjang pendidikan*, from primary school to doctorate."""

    SD = "SD"
    SMP = "SMP"
    SMA = "SMA"
    SMK = "SMK"
    D1 = "D1"
    D2 = "D2"
    D3 = "D3"
    D4 = "D4"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"

    @property
    def is_higher(self) -> bool:
        """True for diplomas and degrees (D1–S3), which carry a GPA (*IPK*)."""
        return self.value[0] in "DS" and self.value[1].isdigit()


_labels(
    EducationLevel,
    SD=("Sekolah Dasar (SD)", "Primary school"),
    SMP=("Sekolah Menengah Pertama (SMP)", "Junior secondary school"),
    SMA=("Sekolah Menengah Atas (SMA)", "Senior secondary school"),
    SMK=("Sekolah Menengah Kejuruan (SMK)", "Vocational secondary school"),
    D1=("Diploma 1 (D1)", "One-year diploma (D1)"),
    D2=("Diploma 2 (D2)", "Two-year diploma (D2)"),
    D3=("Diploma 3 (D3)", "Three-year diploma (D3)"),
    D4=("Diploma 4 / Sarjana Terapan (D4)", "Applied bachelor's degree (D4)"),
    S1=("Sarjana (S1)", "Bachelor's degree (S1)"),
    S2=("Magister (S2)", "Master's degree (S2)"),
    S3=("Doktor (S3)", "Doctorate (S3)"),
)


class Stakeholder(_LabelledEnum):
    """Who the profile belongs to; decides which sections a complete profile needs."""

    JOB_SEEKER = "job_seeker"
    WORKER = "worker"
    TRAINEE = "trainee"
    ENTREPRENEUR = "entrepreneur"


_labels(
    Stakeholder,
    JOB_SEEKER=("Pencari kerja", "Job seeker"),
    WORKER=("Pekerja", "Worker"),
    TRAINEE=("Peserta pelatihan", "Trainee"),
    ENTREPRENEUR=("Wirausaha", "Entrepreneur"),
)


class Section(_LabelledEnum):
    """A part of the profile the holder may or may not publish (see :class:`Visibility`)."""

    BIRTH = "birth"
    SEX = "sex"
    MARITAL_STATUS = "marital_status"
    RELIGION = "religion"
    HEADLINE = "headline"
    CONTACT = "contact"
    KTP_ADDRESS = "ktp_address"
    DOMICILE_ADDRESS = "domicile_address"
    SKILLS = "skills"
    LANGUAGES = "languages"
    WORK = "work"
    EDUCATION = "education"
    CERTIFICATES = "certificates"
    ACHIEVEMENTS = "achievements"
    PHOTO = "photo"


_labels(Section, **{member.name: SECTION_LABELS[member.value] for member in Section})

NEVER_PUBLISHED: Final[frozenset[Section]] = frozenset(
    {
        Section.BIRTH,
        Section.CONTACT,
        Section.KTP_ADDRESS,
        Section.DOMICILE_ADDRESS,
        Section.RELIGION,
    }
)
"""Sections no :class:`Visibility` can publish: identifying or sensitive personal data."""

DEFAULT_PUBLISHED: Final[frozenset[Section]] = frozenset(
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
"""What a new profile publishes: the professional sections and the photo."""


# --------------------------------------------------------------------------
# Parsing helpers shared by converters (lenient) and validators (strict)
# --------------------------------------------------------------------------
# A converter never raises: it returns what it cannot convert unchanged, and
# the attribute's validator — which knows the attribute's name — refuses it
# with a ProfileError naming the field. attrs runs converters first.

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_CONTROL_LINE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_TEXT: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _lenient(parse: Callable[[Any], _T], value: object) -> _T:
    try:
        return parse(value)
    except (_Reason, ProfileError):
        # Left for the validator, which reports it with the attribute's name.
        return cast("_T", value)


def _checked_by(parse: Callable[[Any], object], *, optional: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        try:
            parse(value)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        except ProfileError as error:  # e.g. YearMonth(2021, 13): reword for this field
            raise _invalid(
                attribute.name,
                str(error.params.get("reason_id", error.message_id)),
                str(error.params.get("reason", error.message_en)),
            ) from None

    return check


def _clean_line(value: str) -> str:
    """NFC, surrounding space stripped, inner runs of whitespace collapsed to one space."""
    try:
        return " ".join(unicodedata.normalize("NFC", value).split())
    except TypeError:
        return value


def _clean_optional_line(value: str | None) -> str | None:
    """As :func:`_clean_line`; ``None`` and blank text become ``None``."""
    if value is None:
        return None
    cleaned = _clean_line(value)
    return None if cleaned == "" else cleaned


def _clean_optional_text(value: str | None) -> str | None:
    """Multi-line text: each line cleaned, blank lines at the ends dropped; blank → ``None``."""
    if value is None:
        return None
    try:
        normalized = unicodedata.normalize("NFC", value)
    except TypeError:
        return value
    lines = [" ".join(line.split()) for line in normalized.splitlines()]
    cleaned = "\n".join(lines).strip("\n")
    return None if cleaned == "" else cleaned


def _text(max_length: int, *, optional: bool = False, multiline: bool = False) -> _Validator:
    control = _CONTROL_TEXT if multiline else _CONTROL_LINE

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise _invalid(name, "harus berupa teks", "must be text")
        if not value:
            raise _invalid(name, "wajib diisi", "is required")
        if len(value) > max_length:
            raise _invalid(
                name,
                f"paling banyak {max_length} karakter",
                f"must have at most {max_length} characters",
            )
        if control.search(value):
            raise _invalid(name, "berisi karakter kendali", "contains control characters")

    return check


def _parse_int(value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Reason("harus berupa bilangan bulat", "must be a whole number")
    if not low <= value <= high:
        raise _Reason(f"harus antara {low} dan {high}", f"must be between {low} and {high}")
    return value


def _int_between(low: int, high: int, *, optional: bool = False) -> _Validator:
    return _checked_by(lambda v: _parse_int(v, low, high), optional=optional)


def _instance_of(cls: type, *, optional: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (value is None and optional) or isinstance(value, cls):
            return
        raise _invalid(
            attribute.name,
            f"harus berupa {cls.__name__}",
            f"must be a {cls.__name__}",
        )

    return check


def _parse_enum(enum: type[_E], value: object) -> _E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(m.value) for m in enum)
    raise _Reason(f"harus salah satu dari {allowed}", f"must be one of {allowed}")


def _enum_field(enum: type[_LabelledEnum], *, optional: bool = False) -> _Validator:
    return _checked_by(lambda v: _parse_enum(enum, v), optional=optional)


def _to_sex(value: Sex | str | None) -> Sex | None:
    return None if value is None else _lenient(lambda v: _parse_enum(Sex, v), value)


def _to_marital_status(value: MaritalStatus | str | None) -> MaritalStatus | None:
    return None if value is None else _lenient(lambda v: _parse_enum(MaritalStatus, v), value)


def _to_religion(value: Religion | str | None) -> Religion | None:
    return None if value is None else _lenient(lambda v: _parse_enum(Religion, v), value)


def _to_language_level(value: LanguageLevel | str) -> LanguageLevel:
    return _lenient(lambda v: _parse_enum(LanguageLevel, v), value)


def _to_education_level(value: EducationLevel | str) -> EducationLevel:
    return _lenient(lambda v: _parse_enum(EducationLevel, v), value)


def _to_stakeholder(value: Stakeholder | str) -> Stakeholder:
    return _lenient(lambda v: _parse_enum(Stakeholder, v), value)


# --------------------------------------------------------------------------
# YearMonth: "Juni 2021"
# --------------------------------------------------------------------------

_YEAR_MONTH: Final = re.compile(r"([0-9]{4})-([0-9]{2})")
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100


def _year_month_part(value: object, low: int, high: int, what_id: str, what_en: str) -> None:
    try:
        _parse_int(value, low, high)
    except _Reason as reason:
        raise ProfileError(
            "invalid_field",
            field=what_en,
            reason_id=f"{what_id} {reason.reason_id}",
            reason=f"{what_en} {reason.reason_en}",
        ) from None


def _check_year(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    _year_month_part(value, MIN_YEAR, MAX_YEAR, "tahun", "year")


def _check_month(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    _year_month_part(value, 1, 12, "bulan", "month")


@frozen(order=True)
class YearMonth:
    """A month of a year: when a job started, a certificate was awarded, ….

    Written ``"2021-06"`` in JSON (:meth:`parse`, ``str()``) and "Juni 2021"
    for people (:meth:`label`). Ordered, so periods can be compared.
    """

    year: int = field(validator=_check_year)
    month: int = field(validator=_check_month)

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """``"2021-06"`` → ``YearMonth(2021, 6)``; raises :class:`ProfileError` otherwise."""
        try:
            return _parse_year_month(text)
        except _Reason as reason:
            raise _invalid("year_month", reason.reason_id, reason.reason_en) from None

    @classmethod
    def of(cls, day: date) -> YearMonth:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self, lang: str = "id") -> str:
        """``"Juni 2021"`` (``lang="id"``) or ``"June 2021"`` (``lang="en"``)."""
        return f"{month_name(self.month, lang)} {self.year}"


def _parse_year_month(value: object) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    if isinstance(value, str):
        match = _YEAR_MONTH.fullmatch(value.strip())
        if match is None:
            raise _Reason(
                "harus berformat TTTT-BB (misalnya 2021-06)", "must be YYYY-MM (e.g. 2021-06)"
            )
        year, month = int(match[1]), int(match[2])
    elif isinstance(value, tuple | list) and len(value) == 2:
        year, month = value
    else:
        raise _Reason(
            "harus berformat TTTT-BB (misalnya 2021-06)", "must be YYYY-MM (e.g. 2021-06)"
        )
    try:
        return YearMonth(year, month)
    except ProfileError as error:
        raise _Reason(str(error.params["reason_id"]), str(error.params["reason"])) from None


def _to_year_month(value: YearMonth | str | tuple[int, int]) -> YearMonth:
    return _lenient(_parse_year_month, value)


def _to_optional_year_month(value: YearMonth | str | tuple[int, int] | None) -> YearMonth | None:
    return None if value is None else _lenient(_parse_year_month, value)


def _period_label(start: YearMonth, end: YearMonth | None, lang: str) -> str:
    until = end.label(lang) if end is not None else pick(lang, "Sekarang", "Present")
    return f"{start.label(lang)} - {until}"


# --------------------------------------------------------------------------
# Biodata
# --------------------------------------------------------------------------


def _parse_birth_date(value: object) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _Reason(
                "harus berformat TTTT-BB-HH (misalnya 1994-03-12)",
                "must be YYYY-MM-DD (e.g. 1994-03-12)",
            ) from None
    if type(value) is not date:  # a datetime is a date too, but not a birth date
        raise _Reason("harus berupa tanggal", "must be a date")
    if value.year < MIN_YEAR:
        raise _Reason(f"tidak boleh sebelum tahun {MIN_YEAR}", f"cannot be before {MIN_YEAR}")
    return value


def _to_birth_date(value: date | str | None) -> date | None:
    return None if value is None else _lenient(_parse_birth_date, value)


def _birth_date_repr(value: date | None) -> str:
    return "None" if value is None else "'****-**-**'"


@frozen(kw_only=True)
class Biodata:
    """*Biodata*: who the person is, beyond the Dukcapil-verified name.

    Every attribute is optional so that a profile can be filled in steps;
    :mod:`siapkerja_core.completeness` says what is still missing. The
    ``repr`` hides the birth date.
    """

    birth_place: str | None = field(
        default=None, converter=_clean_optional_line, validator=_text(100, optional=True)
    )
    birth_date: date | None = field(
        default=None,
        converter=_to_birth_date,
        validator=_checked_by(_parse_birth_date, optional=True),
        repr=_birth_date_repr,
    )
    sex: Sex | None = field(
        default=None, converter=_to_sex, validator=_enum_field(Sex, optional=True)
    )
    marital_status: MaritalStatus | None = field(
        default=None,
        converter=_to_marital_status,
        validator=_enum_field(MaritalStatus, optional=True),
    )
    religion: Religion | None = field(
        default=None, converter=_to_religion, validator=_enum_field(Religion, optional=True)
    )
    headline: str | None = field(
        default=None, converter=_clean_optional_line, validator=_text(100, optional=True)
    )


# --------------------------------------------------------------------------
# Contact
# --------------------------------------------------------------------------


def _parse_email(value: object) -> str:
    if not isinstance(value, str):
        raise _Reason("harus berupa teks", "must be text")
    try:
        return normalize_email(value)
    except InvalidEmail as error:
        raise _Reason(error.message_id.rstrip("."), error.message_en.rstrip(".")) from None


def _parse_phone(value: object) -> str:
    if not isinstance(value, str):
        raise _Reason("harus berupa teks", "must be text")
    try:
        return normalize_phone(value)
    except InvalidPhone as error:
        raise _Reason(error.message_id.rstrip("."), error.message_en.rstrip(".")) from None


def _to_email(value: str | None) -> str | None:
    return None if value is None else _lenient(_parse_email, value)


def _to_phone(value: str | None) -> str | None:
    return None if value is None else _lenient(_parse_phone, value)


def _canonical(parse: Callable[[object], str]) -> _Validator:
    """The value must parse *and* already be in its canonical form."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        try:
            canonical = parse(value)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        if canonical != value:
            raise _invalid(attribute.name, "belum dinormalkan", "is not in canonical form")

    return check


def _email_repr(value: str | None) -> str:
    return "None" if value is None else repr(mask_email(value))


def _phone_repr(value: str | None) -> str:
    return "None" if value is None else repr(mask_phone(value))


@frozen(kw_only=True)
class Contact:
    """Email (normalised) and Indonesian mobile number (E.164). The ``repr`` masks both."""

    email: str | None = field(
        default=None, converter=_to_email, validator=_canonical(_parse_email), repr=_email_repr
    )
    phone: str | None = field(
        default=None, converter=_to_phone, validator=_canonical(_parse_phone), repr=_phone_repr
    )


# --------------------------------------------------------------------------
# Address
# --------------------------------------------------------------------------

_REGENCY_SHORT: Final = (
    ("Kabupaten Administrasi ", "Kab. Adm. "),
    ("Kota Administrasi ", "Kota Adm. "),
    ("Kabupaten ", "Kab. "),
)
_PROVINCE_SHORT: Final = (
    ("Daerah Khusus Ibukota ", "DKI "),
    ("Daerah Istimewa ", "DI "),
)


def _shorten(name: str, table: tuple[tuple[str, str], ...]) -> str:
    for long, short in table:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _to_village_code(value: str) -> str:
    try:
        return "".join(value.split()).replace(".", "")
    except AttributeError:
        return value


def _check_village_code(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise _invalid(
            attribute.name,
            "kode desa/kelurahan harus 10 angka (misalnya 3173071001)",
            "a village code has 10 digits (e.g. 3173071001)",
        )
    if regions.village(value) is None:
        raise ProfileError("village", field=attribute.name, village_code=value)


def _parse_rt_rw(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Reason("harus berupa teks angka", "must be digits")
    digits = value.strip()
    if not (1 <= len(digits) <= 3 and digits.isascii() and digits.isdigit()):
        raise _Reason("harus 1 sampai 3 angka (misalnya 005)", "must be 1 to 3 digits (e.g. 005)")
    if int(digits) == 0:
        raise _Reason("tidak boleh 000", "cannot be 000")
    return digits.zfill(3)


def _to_rt_rw(value: str | int | None) -> str | None:
    return None if value is None else _lenient(_parse_rt_rw, value)


_POSTAL_CODE: Final = re.compile(r"[1-9][0-9]{4}")


def _parse_postal_code(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or _POSTAL_CODE.fullmatch(value.strip()) is None:
        raise _Reason(
            "kode pos harus 5 angka (misalnya 11480)", "a postal code has 5 digits (e.g. 11480)"
        )
    return value.strip()


def _to_postal_code(value: str | int | None) -> str | None:
    return None if value is None else _lenient(_parse_postal_code, value)


def _hidden_repr(value: object) -> str:
    return "None" if value is None else "'***'"


@frozen(kw_only=True)
class Address:
    """An Indonesian address, down to the Kemendagri village (*desa/kelurahan*) code.

    ``village_code`` is required (dots and spaces are dropped); ``street``,
    ``rt``/``rw`` (zero-padded to 3 digits) and ``postal_code`` are optional.
    The region names come from :mod:`siapkerja_core.regions`. The ``repr``
    hides the street, RT and RW.
    """

    village_code: str = field(converter=_to_village_code, validator=_check_village_code)
    street: str | None = field(
        default=None,
        converter=_clean_optional_line,
        validator=_text(200, optional=True),
        repr=_hidden_repr,
    )
    rt: str | None = field(
        default=None,
        converter=_to_rt_rw,
        validator=_checked_by(_parse_rt_rw, optional=True),
        repr=_hidden_repr,
    )
    rw: str | None = field(
        default=None,
        converter=_to_rt_rw,
        validator=_checked_by(_parse_rt_rw, optional=True),
        repr=_hidden_repr,
    )
    postal_code: str | None = field(
        default=None,
        converter=_to_postal_code,
        validator=_checked_by(_parse_postal_code, optional=True),
    )

    def _names(self) -> list[str]:
        return [r.name for r in regions.path(self.village_code)]

    @property
    def village_name(self) -> str:
        """*Desa/kelurahan*, e.g. ``"Palmerah"``."""
        return self._names()[3]

    @property
    def district_name(self) -> str:
        """*Kecamatan*, e.g. ``"Pal Merah"``."""
        return self._names()[2]

    @property
    def regency_name(self) -> str:
        """*Kabupaten/kota*, e.g. ``"Kota Administrasi Jakarta Barat"``."""
        return self._names()[1]

    @property
    def province_name(self) -> str:
        """*Provinsi*, e.g. ``"Daerah Khusus Ibukota Jakarta"``."""
        return self._names()[0]

    @property
    def region_line(self) -> str:
        """The regions on one line, village first, as on the profile page.

        ``"Palmerah, Pal Merah, Kota Adm. Jakarta Barat, DKI Jakarta"``.
        """
        province, regency, district, village = self._names()
        return ", ".join(
            (
                village,
                district,
                _shorten(regency, _REGENCY_SHORT),
                _shorten(province, _PROVINCE_SHORT),
            )
        )

    def one_line(self) -> str:
        """The full address on one line: street, RT/RW, regions, postal code."""
        parts = [self.street] if self.street else []
        if self.rt or self.rw:
            parts.append(f"RT {self.rt or '-'}/RW {self.rw or '-'}")
        parts.append(self.region_line)
        line = ", ".join(parts)
        return f"{line} {self.postal_code}" if self.postal_code else line


# --------------------------------------------------------------------------
# Skills, languages, work, education, certificates, achievements
# --------------------------------------------------------------------------


@frozen(kw_only=True)
class Skill:
    """*Keahlian*: one skill, e.g. ``"Object-oriented Programming (OOP)"``."""

    name: str = field(converter=_clean_line, validator=_text(60))


@frozen(kw_only=True)
class Language:
    """*Bahasa*: a language and how well it is spoken."""

    name: str = field(converter=_clean_line, validator=_text(60))
    level: LanguageLevel = field(converter=_to_language_level, validator=_enum_field(LanguageLevel))


def _date_order(start_attribute: str) -> _Validator:
    """The end attribute must not be before ``start_attribute`` (``None`` = ongoing)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        start = getattr(instance, start_attribute)
        if value is None or type(value) is not type(start):
            return  # the type is the other validators' business
        if value < start:  # type: ignore[operator]
            raise ProfileError("date_order", field=attribute.name, start=str(start), end=str(value))

    return check


@frozen(kw_only=True)
class WorkExperience:
    """*Pengalaman kerja*: one job. ``end=None`` means it continues ("Sekarang")."""

    title: str = field(converter=_clean_line, validator=_text(100))
    company: str = field(converter=_clean_line, validator=_text(100))
    start: YearMonth = field(converter=_to_year_month, validator=_checked_by(_parse_year_month))
    end: YearMonth | None = field(
        default=None,
        converter=_to_optional_year_month,
        validator=[_checked_by(_parse_year_month, optional=True), _date_order("start")],
    )
    location: str | None = field(
        default=None, converter=_clean_optional_line, validator=_text(100, optional=True)
    )
    description: str | None = field(
        default=None,
        converter=_clean_optional_text,
        validator=_text(2000, optional=True, multiline=True),
    )

    @property
    def current(self) -> bool:
        """True while the job continues (no end month)."""
        return self.end is None

    def period_label(self, lang: str = "id") -> str:
        """``"Juni 2021 - Sekarang"`` / ``"June 2021 - Present"``."""
        return _period_label(self.start, self.end, lang)


def _parse_gpa(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise _Reason(
                "harus berupa angka (misalnya 3.40)", "must be a number (e.g. 3.40)"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Reason("harus berupa angka (misalnya 3.40)", "must be a number (e.g. 3.40)")
    if not math.isfinite(value) or not 0 <= value <= 4:
        raise _Reason("IPK harus antara 0.00 dan 4.00", "a GPA is between 0.00 and 4.00")
    return round(float(value), 2)


def _to_gpa(value: float | str | None) -> float | None:
    return None if value is None else _lenient(_parse_gpa, value)


def _check_gpa(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        level = instance.level
        if isinstance(level, EducationLevel) and level.is_higher and instance.end_year is not None:
            raise _invalid(
                attribute.name,
                f"IPK wajib diisi untuk {level.value} yang sudah selesai",
                f"a GPA is required for a completed {level.value}",
            )
        return
    _checked_by(_parse_gpa)(instance, attribute, value)


@frozen(kw_only=True)
class Education:
    """*Pendidikan*: a school or study programme.

    ``gpa`` (*IPK*, 0.00–4.00, rounded to two decimals) may be left out for SD–SMK and
    for a diploma or degree still in progress (``end_year=None``).
    """

    institution: str = field(converter=_clean_line, validator=_text(150))
    level: EducationLevel = field(
        converter=_to_education_level, validator=_enum_field(EducationLevel)
    )
    major: str | None = field(
        default=None, converter=_clean_optional_line, validator=_text(100, optional=True)
    )
    start_year: int = field(validator=_int_between(MIN_YEAR, MAX_YEAR))
    end_year: int | None = field(
        default=None,
        validator=[_int_between(MIN_YEAR, MAX_YEAR, optional=True), _date_order("start_year")],
    )
    gpa: float | None = field(default=None, converter=_to_gpa, validator=_check_gpa)

    def period_label(self, lang: str = "id") -> str:
        """``"2016 - 2018"``; an unfinished study ends with "Sekarang"/"Present"."""
        if self.end_year is not None:
            return f"{self.start_year} - {self.end_year}"
        return f"{self.start_year} - {'Present' if lang.lower().startswith('en') else 'Sekarang'}"


def _to_score(value: str | float | None) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if math.isfinite(value) else str(value)
    # A bool stays a bool (not "True") and is refused by the validator.
    return _clean_optional_line(cast("str | None", value))


@frozen(kw_only=True)
class Certificate:
    """*Sertifikat*: name, issuer, an optional score ("84", "N4", "B2", "Lulus").

    ``valid_until=None`` means it does not expire ("Sekarang" on the page).
    """

    name: str = field(converter=_clean_line, validator=_text(200))
    issuer: str = field(converter=_clean_line, validator=_text(150))
    valid_from: YearMonth = field(
        converter=_to_year_month, validator=_checked_by(_parse_year_month)
    )
    valid_until: YearMonth | None = field(
        default=None,
        converter=_to_optional_year_month,
        validator=[_checked_by(_parse_year_month, optional=True), _date_order("valid_from")],
    )
    score: str | None = field(default=None, converter=_to_score, validator=_text(20, optional=True))

    def period_label(self, lang: str = "id") -> str:
        """``"Januari 2018 - Sekarang"`` / ``"January 2018 - Present"``."""
        return _period_label(self.valid_from, self.valid_until, lang)


@frozen(kw_only=True)
class Achievement:
    """*Pencapaian*: an award or competition result."""

    title: str = field(converter=_clean_line, validator=_text(200))
    organiser: str = field(converter=_clean_line, validator=_text(150))
    date: YearMonth = field(converter=_to_year_month, validator=_checked_by(_parse_year_month))
    description: str | None = field(
        default=None,
        converter=_clean_optional_text,
        validator=_text(2000, optional=True, multiline=True),
    )


# --------------------------------------------------------------------------
# Photo
# --------------------------------------------------------------------------

MIN_PHOTO_BYTES: Final = 100
"""Smaller than this is no photo of a face (a real 3×4 JPEG is kilobytes)."""
MAX_PHOTO_BYTES: Final = 2 * 1024 * 1024
"""2 MiB: the upper bound for a profile photo."""
PHOTO_MEDIA_TYPES: Final = ("image/jpeg", "image/png", "image/webp")
"""The accepted formats. SVG is refused on purpose: it can carry scripts."""

_MEDIA_ALIASES: Final = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


def sniff_image_type(content: bytes) -> str | None:
    """The media type of ``content`` by its magic bytes: JPEG, PNG or WebP, else ``None``.

    PNG must also start with its ``IHDR`` chunk and WebP with a ``VP8``
    chunk, so a text file that happens to begin with the magic is not taken.
    """
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR":
        return "image/png"
    if (
        content[:4] == b"RIFF"
        and content[8:12] == b"WEBP"
        and content[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    ):
        return "image/webp"
    return None


def _to_bytes(value: bytes | bytearray | memoryview) -> bytes:
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


def _check_photo_content(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bytes):
        raise _invalid(attribute.name, "harus berupa bita", "must be bytes")
    if not MIN_PHOTO_BYTES <= len(value) <= MAX_PHOTO_BYTES:
        raise ProfileError(
            "photo_size",
            field=attribute.name,
            size=len(value),
            min_size=MIN_PHOTO_BYTES,
            max_size=MAX_PHOTO_BYTES,
        )
    if sniff_image_type(value) is None:
        raise ProfileError(
            "photo_type",
            field=attribute.name,
            reason_id="foto harus berformat JPEG, PNG, atau WebP",
            reason="the photo must be a JPEG, PNG or WebP image",
        )


def _detected_media_type(photo: Photo) -> str:
    content = photo.content
    found = sniff_image_type(content) if isinstance(content, bytes) else None
    return found or ""


def _to_media_type(value: str) -> str:
    try:
        cleaned = value.strip().lower()
    except AttributeError:
        return value
    return _MEDIA_ALIASES.get(cleaned, cleaned)


def _check_media_type(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    detected = _detected_media_type(instance)
    if value != detected:
        raise ProfileError(
            "photo_type",
            field=attribute.name,
            reason_id=f"tipe yang dinyatakan ({value}) tidak sesuai dengan isi berkas ({detected})",
            reason=f"the declared type ({value}) contradicts the content ({detected})",
            declared=str(value),
            detected=detected,
        )


@frozen(kw_only=True)
class Photo:
    """The profile photo: JPEG, PNG or WebP, 100 bytes to 2 MiB.

    ``media_type`` is read from the bytes' magic numbers when left out; a
    declared type that contradicts them is refused (``photo_type``), so a
    script renamed ``.jpg`` never reaches a browser as an image. The
    ``repr`` shows the type and size, never the bytes.
    """

    content: bytes = field(converter=_to_bytes, validator=_check_photo_content, repr=False)
    media_type: str = field(
        default=Factory(_detected_media_type, takes_self=True),
        converter=_to_media_type,
        validator=_check_media_type,
    )

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.content)

    def data_uri(self) -> str:
        """``data:image/jpeg;base64,…`` for an ``<img src>``."""
        import base64

        return f"data:{self.media_type};base64,{base64.b64encode(self.content).decode('ascii')}"


# --------------------------------------------------------------------------
# Visibility
# --------------------------------------------------------------------------


def _parse_section(value: object) -> Section:
    return _parse_enum(Section, value)


def _section(value: Section | str) -> Section:
    try:
        return _parse_section(value)
    except _Reason as reason:
        raise _invalid("section", reason.reason_id, reason.reason_en) from None


def _to_sections(value: Iterable[Section | str]) -> frozenset[Section]:
    try:
        return frozenset(_lenient(_parse_section, item) for item in value)
    except TypeError:
        return cast("frozenset[Section]", value)


def _check_published(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, frozenset):
        raise _invalid(attribute.name, "harus berupa himpunan bagian", "must be a set of sections")
    for item in sorted(value, key=str):
        try:
            section = _parse_section(item)
        except _Reason as reason:
            raise _invalid(attribute.name, reason.reason_id, reason.reason_en) from None
        if section in NEVER_PUBLISHED:
            raise ProfileError("private_section", field=attribute.name, section=section.value)


def _sections_repr(value: frozenset[Section]) -> str:
    try:
        return "{" + ", ".join(repr(str(s)) for s in sorted(value)) + "}"
    except TypeError:
        return repr(value)


@frozen(kw_only=True)
class Visibility:
    """Which sections the holder publishes on the public view of a scanned QR code.

    The full name and the SIAPkerja-ID number are always shown; everything
    else is the holder's choice — except :data:`NEVER_PUBLISHED` (birth data,
    contact, both addresses, religion), which this object refuses to hold
    (``private_section``). Verifiers with the holder's consent see more
    through the disclosure policy, not through this object.
    """

    published: frozenset[Section] = field(
        default=DEFAULT_PUBLISHED,
        converter=_to_sections,
        validator=_check_published,
        repr=_sections_repr,
    )

    def is_published(self, section: Section | str) -> bool:
        """Whether ``section`` appears on the public view."""
        return _section(section) in self.published

    def publish(self, *sections: Section | str) -> Visibility:
        """A copy that also publishes ``sections``."""
        return Visibility(published=self.published | {_section(s) for s in sections})

    def hide(self, *sections: Section | str) -> Visibility:
        """A copy that no longer publishes ``sections``."""
        return Visibility(published=self.published - {_section(s) for s in sections})


# --------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------

MAX_ITEMS: Final = {
    "skills": 50,
    "languages": 20,
    "work": 50,
    "education": 20,
    "certificates": 50,
    "achievements": 50,
}
"""The most entries a list section holds (bounds hostile input)."""


def _tuple_or_raw(value: object) -> Any:
    if isinstance(value, str | bytes | Mapping):
        return value  # iterable, but never a list of entries
    try:
        return tuple(cast("Iterable[object]", value))
    except TypeError:
        return value


def _to_skills(value: Iterable[Skill | str]) -> tuple[Skill, ...]:
    items = _tuple_or_raw(value)
    if not isinstance(items, tuple):
        return cast("tuple[Skill, ...]", items)
    return tuple(
        _lenient(lambda s: Skill(name=s), item) if isinstance(item, str) else item for item in items
    )


def _to_languages(value: Iterable[Language]) -> tuple[Language, ...]:
    return cast("tuple[Language, ...]", _tuple_or_raw(value))


def _to_work(value: Iterable[WorkExperience]) -> tuple[WorkExperience, ...]:
    return cast("tuple[WorkExperience, ...]", _tuple_or_raw(value))


def _to_education(value: Iterable[Education]) -> tuple[Education, ...]:
    return cast("tuple[Education, ...]", _tuple_or_raw(value))


def _to_certificates(value: Iterable[Certificate]) -> tuple[Certificate, ...]:
    return cast("tuple[Certificate, ...]", _tuple_or_raw(value))


def _to_achievements(value: Iterable[Achievement]) -> tuple[Achievement, ...]:
    return cast("tuple[Achievement, ...]", _tuple_or_raw(value))


def _items(cls: type, *, unique_by_name: bool = False) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if not isinstance(value, tuple):
            raise _invalid(name, "harus berupa daftar", "must be a list")
        limit = MAX_ITEMS[name]
        if len(value) > limit:
            raise _invalid(
                name, f"paling banyak {limit} entri", f"must have at most {limit} entries"
            )
        seen: set[str] = set()
        for index, item in enumerate(value):
            if not isinstance(item, cls):
                raise _invalid(
                    f"{name}[{index}]",
                    f"harus berupa {cls.__name__}",
                    f"must be a {cls.__name__}",
                )
            if unique_by_name:
                label = str(getattr(item, "name", ""))
                key = label.casefold()
                if key in seen:
                    raise _invalid(
                        f"{name}[{index}]",
                        f"{label!r} tercantum dua kali",
                        f"{label!r} is listed twice",
                    )
                seen.add(key)

    return check


@frozen(kw_only=True)
class Profile:
    """A person's labour profile: every section of the scanned profile page.

    ``full_name`` is the Dukcapil-verified name of the account; the NIK is
    not part of the profile (it belongs to the account and never changes).
    List sections are tuples (lists and iterables are accepted and
    converted). ``stakeholder`` decides the completeness rules.
    """

    full_name: str = field(converter=_clean_line, validator=_text(100))
    stakeholder: Stakeholder = field(
        default=Stakeholder.JOB_SEEKER,
        converter=_to_stakeholder,
        validator=_enum_field(Stakeholder),
    )
    biodata: Biodata = field(factory=Biodata, validator=_instance_of(Biodata))
    contact: Contact = field(factory=Contact, validator=_instance_of(Contact))
    ktp_address: Address | None = field(
        default=None, validator=_instance_of(Address, optional=True)
    )
    domicile_address: Address | None = field(
        default=None, validator=_instance_of(Address, optional=True)
    )
    skills: tuple[Skill, ...] = field(
        default=(), converter=_to_skills, validator=_items(Skill, unique_by_name=True)
    )
    languages: tuple[Language, ...] = field(
        default=(), converter=_to_languages, validator=_items(Language, unique_by_name=True)
    )
    work: tuple[WorkExperience, ...] = field(
        default=(), converter=_to_work, validator=_items(WorkExperience)
    )
    education: tuple[Education, ...] = field(
        default=(), converter=_to_education, validator=_items(Education)
    )
    certificates: tuple[Certificate, ...] = field(
        default=(), converter=_to_certificates, validator=_items(Certificate)
    )
    achievements: tuple[Achievement, ...] = field(
        default=(), converter=_to_achievements, validator=_items(Achievement)
    )
    photo: Photo | None = field(default=None, validator=_instance_of(Photo, optional=True))
    visibility: Visibility = field(factory=Visibility, validator=_instance_of(Visibility))


SECTIONS: Final[tuple[str, ...]] = tuple(
    a.name for a in attrs.fields(Profile) if a.name != "full_name"
)
"""The names :func:`siapkerja_core.converter.merge_profile` accepts (all but ``full_name``)."""


# --------------------------------------------------------------------------
# NIK cross-check
# --------------------------------------------------------------------------


def check_against_nik(profile: Profile, nik: Nik | str) -> tuple[ProfileWarning, ...]:
    """Warn where the profile's birth date or sex differs from what the NIK encodes.

    Never raises for a difference: the NIK is issued once and kept for life,
    even when Dukcapil later corrects the birth date it was built from
    (PP 40/2019 Pasal 30), so the profile may rightly differ. A ``str`` NIK
    is parsed leniently (``strict=False``); a malformed one raises
    :class:`~siapkerja_core.nik.InvalidNik`. Missing profile values give no
    warning (completeness reports them).
    """
    parsed = nik if isinstance(nik, Nik) else parse_nik(nik, strict=False)
    warnings: list[ProfileWarning] = []
    born = profile.biodata.birth_date
    if born is not None and born != parsed.birth_date:
        warnings.append(
            ProfileWarning(
                code="birth_date_differs",
                field="biodata.birth_date",
                message_id=(
                    f"Tanggal lahir di profil ({born.isoformat()}) berbeda dengan tanggal pada"
                    f" NIK ({parsed.birth_date.isoformat()}). NIK tidak berubah meskipun data"
                    " kelahiran dikoreksi; periksa kembali bila ini salah ketik."
                ),
                message_en=(
                    f"The profile's birth date ({born.isoformat()}) differs from the NIK's"
                    f" ({parsed.birth_date.isoformat()}). A NIK never changes, even after a"
                    " correction; check again if this is a typing error."
                ),
            )
        )
    sex = profile.biodata.sex
    if sex is not None and sex != parsed.sex:
        nik_sex = Sex(parsed.sex)
        warnings.append(
            ProfileWarning(
                code="sex_differs",
                field="biodata.sex",
                message_id=(
                    f"Jenis kelamin di profil ({sex.label_id}) berbeda dengan yang tercatat pada"
                    f" NIK ({nik_sex.label_id})."
                ),
                message_en=(
                    f"The profile's sex ({sex.label_en}) differs from the one the NIK encodes"
                    f" ({nik_sex.label_en})."
                ),
            )
        )
    return tuple(warnings)
