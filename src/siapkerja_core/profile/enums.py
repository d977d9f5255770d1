"""The profile's enumerations: stable JSON values, labels in Indonesian and English.

Section labels come from :data:`siapkerja_core.i18n.SECTION_LABELS`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from siapkerja_core.i18n import SECTION_LABELS, pick

__all__ = [
    "DEFAULT_PUBLISHED",
    "NEVER_PUBLISHED",
    "EducationLevel",
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
