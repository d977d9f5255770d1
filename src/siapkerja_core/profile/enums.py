"""The profile's enumerations: stable JSON values, labels from the catalogues.

A member's label is the catalogue text ``label.<enum>.<value>``
(``label.marital_status.belum_menikah``, ``label.section.work``), so a
deployer rewords it or adds a language without code
(:mod:`siapkerja_core.translations`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from siapkerja_core import translations

__all__ = [
    "DEFAULT_PUBLISHED",
    "NEVER_PUBLISHED",
    "EducationLevel",
    "EmploymentStatus",
    "LanguageLevel",
    "MaritalStatus",
    "Religion",
    "Section",
    "Sex",
    "Stakeholder",
]

# --------------------------------------------------------------------------
# Enumerations (values are stable JSON; labels are for people)
# --------------------------------------------------------------------------

_KEYS: dict[tuple[type, str], str] = {}
"""Each member's catalogue key, made once (labels are read on every page and scan)."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _LabelledEnum(StrEnum):
    """A string enum whose members are labelled by the catalogues (``label.<enum>.<value>``)."""

    @property
    def label_key(self) -> str:
        """The catalogue key of the label (``"label.marital_status.belum_menikah"``)."""
        key = _KEYS.get((type(self), self.value))
        if key is None:
            key = f"label.{_snake(type(self).__name__)}.{self.value.lower()}"
            _KEYS[(type(self), self.value)] = key
        return key

    @property
    def label_id(self) -> str:
        """The label in Indonesian."""
        return translations.text(self.label_key, "id")

    @property
    def label_en(self) -> str:
        """The label in English."""
        return translations.text(self.label_key, "en")

    def label(self, lang: str = "id") -> str:
        """The label in ``lang``: any catalogue language (a tag like ``"en-US"`` works)."""
        return translations.text(self.label_key, lang)


class Sex(_LabelledEnum):
    """*Jenis kelamin* as on the KTP and in the NIK."""

    L = "L"
    P = "P"


class MaritalStatus(_LabelledEnum):
    """*Status perkawinan*, the four KTP statuses (the KTP prints "Kawin" for married)."""

    BELUM_MENIKAH = "belum_menikah"
    MENIKAH = "menikah"
    CERAI_HIDUP = "cerai_hidup"
    CERAI_MATI = "cerai_mati"


class Religion(_LabelledEnum):
    """*Agama* as recorded by Dukcapil, including *Kepercayaan terhadap Tuhan YME*."""

    ISLAM = "islam"
    KRISTEN = "kristen"
    KATOLIK = "katolik"
    HINDU = "hindu"
    BUDDHA = "buddha"
    KHONGHUCU = "khonghucu"
    KEPERCAYAAN = "kepercayaan"


class EmploymentStatus(_LabelledEnum):
    """*Status pekerjaan*: what programme requirements ask (Prakerja, BSU, JKP).

    Declared by the holder; a programme that must know for sure checks its
    own records (a BPJS Ketenagakerjaan membership, a termination letter).
    """

    BEKERJA = "bekerja"
    """Employed (a wage or salary worker)."""
    TIDAK_BEKERJA = "tidak_bekerja"
    """Not working and looking for work."""
    PHK = "phk"
    """Lost their job (*pemutusan hubungan kerja*)."""
    WIRAUSAHA = "wirausaha"
    """Self-employed, running a business."""
    PELAJAR = "pelajar"
    """In formal education (a pupil or a student)."""


class LanguageLevel(_LabelledEnum):
    """How well a language is spoken."""

    DASAR = "dasar"
    MENENGAH = "menengah"
    MAHIR = "mahir"
    PENUTUR_ASLI = "penutur_asli"


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


class Stakeholder(_LabelledEnum):
    """Who the profile belongs to; decides which sections a complete profile needs."""

    JOB_SEEKER = "job_seeker"
    WORKER = "worker"
    TRAINEE = "trainee"
    ENTREPRENEUR = "entrepreneur"


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
