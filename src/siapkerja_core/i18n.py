"""The core's one say on language: which one a caller asked for, and shared words.

Every user-facing text of the core comes from the gettext catalogues
(:mod:`siapkerja_core.translations`), looked up by a stable key. This module
keeps the core's short names for the two things most callers need:
:func:`language` (the one rule for reading a tag: ``"en-US"`` → ``"en"``; a
tag with no catalogue → Indonesian, the product's first language) and
:func:`text`, plus the month names (``month.1`` … ``month.12``) shared by the
profile's dates and the card image, and the citizen's way of writing a date
(``"7 Mei 2027"``) for error messages (:func:`dated`, :func:`timed`). The
profile's section labels are those of :class:`~siapkerja_core.profile.Section`
(``label.section.<value>``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

from siapkerja_core.translations import language, languages, text

__all__ = [
    "WIB",
    "both",
    "citizen_date",
    "dated",
    "is_english",
    "language",
    "languages",
    "month_name",
    "text",
    "timed",
]

WIB: Final = timezone(timedelta(hours=7), "WIB")
"""Western Indonesian Time (UTC+7, no daylight saving): the zone a citizen's date is read
in when no region says otherwise (``siapkerja_core.gates.local_zone`` knows WITA and WIT)."""


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


def citizen_date(day: date, lang: str | None = "id") -> str:
    """``day`` as a citizen writes it: ``"7 Mei 2027"`` / ``"7 May 2027"``."""
    return f"{day.day} {month_name(day.month, lang)} {day.year}"


def dated(name: str, day: date) -> dict[str, str]:
    """An error's date parameter in three spellings: ``name`` ISO 8601 (for
    machines, as the API shows ``params``), ``name_id`` and ``name_en`` the
    citizen's date each message names (a message never shows ``2027-05-07``)."""
    return {
        name: day.isoformat(),
        f"{name}_id": citizen_date(day, "id"),
        f"{name}_en": citizen_date(day, "en"),
    }


def timed(name: str, moment: datetime) -> dict[str, str]:
    """As :func:`dated` for a moment, in WIB: ``"7 Mei 2027 pukul 16.32 WIB"`` /
    ``"7 May 2027, 16.32 WIB"`` (``name`` keeps the ISO 8601 moment)."""
    local = moment.astimezone(WIB)
    clock = f"{local:%H.%M} WIB"
    return {
        name: moment.isoformat(),
        f"{name}_id": f"{citizen_date(local.date(), 'id')} pukul {clock}",
        f"{name}_en": f"{citizen_date(local.date(), 'en')}, {clock}",
    }
