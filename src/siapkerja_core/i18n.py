"""The core's one say on language: which one a caller asked for, and shared words.

Every user-facing text of the core comes from the gettext catalogues
(:mod:`siapkerja_core.translations`), looked up by a stable key. This module
keeps the core's short names for the two things most callers need:
:func:`language` (the one rule for reading a tag: ``"en-US"`` → ``"en"``; a
tag with no catalogue → Indonesian, the product's first language) and
:func:`text`, plus the month names (``month.1`` … ``month.12``) shared by the
profile's dates and the card image. The profile's section labels are those of
:class:`~siapkerja_core.profile.Section` (``label.section.<value>``).
"""

from __future__ import annotations

from siapkerja_core.translations import language, languages, text

__all__ = ["both", "is_english", "language", "languages", "month_name", "text"]


def both(key: str, /, **params: object) -> tuple[str, str]:
    """The Indonesian and English texts of ``key``, for an error that carries both.

    Error templates name a value given in both languages as ``<name>_id`` and
    ``<name>_en`` (``reason_id=…, reason_en=…``); this looks both up at once.
    """
    return text(key, "id", **params), text(key, "en", **params)


def is_english(lang: str | None) -> bool:
    """Whether ``lang`` asks for English (``"en"``, ``"en-GB"`` …); otherwise not."""
    return language(lang) == "en"


def month_name(month: int, lang: str | None = "id") -> str:
    """The name of ``month`` (1–12) in ``lang`` (the catalogue's ``month.<n>``)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1 to 12, not {month}")
    return text(f"month.{month}", lang)
