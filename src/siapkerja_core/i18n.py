"""The core's one say on language: which one a caller asked for, and shared words.

Every user-facing text of the core comes in Indonesian and English.
:func:`is_english` is the one rule for reading a language tag (``"en"``,
``"en-US"``, ``"EN"`` → English; anything else → Indonesian, the product's
first language). The month names and the profile's section labels live here
once, for the profile's dates, the card image and the completeness report.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "MONTHS_EN",
    "MONTHS_ID",
    "SECTION_LABELS",
    "is_english",
    "month_name",
    "pick",
]

MONTHS_ID: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember"
)  # fmt: skip
"""Indonesian month names, January first."""

MONTHS_EN: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December"
)  # fmt: skip
"""English month names, January first."""

SECTION_LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "birth": ("Tempat dan tanggal lahir", "Place and date of birth"),
        "sex": ("Jenis kelamin", "Sex"),
        "marital_status": ("Status perkawinan", "Marital status"),
        "religion": ("Agama", "Religion"),
        "headline": ("Judul profil", "Headline"),
        "contact": ("Kontak", "Contact"),
        "ktp_address": ("Alamat KTP", "KTP address"),
        "domicile_address": ("Alamat domisili", "Domicile address"),
        "skills": ("Keahlian", "Skills"),
        "languages": ("Bahasa", "Languages"),
        "work": ("Pengalaman kerja", "Work experience"),
        "education": ("Pendidikan", "Education"),
        "certificates": ("Sertifikat", "Certificates"),
        "achievements": ("Pencapaian", "Achievements"),
        "photo": ("Foto", "Photo"),
    }
)
"""(Indonesian, English) label of each profile section, keyed by the section's value."""


def is_english(lang: str) -> bool:
    """Whether ``lang`` asks for English (``"en"``, ``"en-GB"`` …); otherwise Indonesian."""
    return lang.lower().startswith("en")


def pick(lang: str, indonesian: str, english: str) -> str:
    """The text for ``lang`` out of its Indonesian and English forms."""
    return english if is_english(lang) else indonesian


def month_name(month: int, lang: str = "id") -> str:
    """The name of ``month`` (1–12) in ``lang``."""
    return (MONTHS_EN if is_english(lang) else MONTHS_ID)[month - 1]
