"""How a wait, a deadline or a moment is worded for a person.

This module owns the citizen's way of reading time: never "74964 detik",
never ``2026-12-06T09:32:11.123456+00:00``, never UTC.

* :func:`describe_wait` / :func:`wait_text` word a wait (``retry_after``
  seconds, or the moment it ends) as the rest of a sentence "Coba lagi …":
  under a minute *sebentar lagi* / *in a moment*; under an hour *dalam 5
  menit*; later the same day *dalam 3 jam* (or *pukul 23.54 WIB* when the
  rounded hours would pass midnight); the next day *besok pukul 09.15
  WIB*; further *pada 8 Desember 2026 pukul 09.15 WIB*. A wait is never
  worded shorter than it is (minutes and hours are rounded up, a clock time
  to the next minute), so a person who comes back when told is not refused
  again.
* :func:`moment_text` words a moment: ``"6 Desember 2026, 16.32 WIB"`` /
  ``"6 December 2026, 16:32 WIB"`` (Indonesian writes the clock with a dot).
* :func:`holder_zone` is the zone a holder reads times in (WIB, WITA or WIT);
  :func:`clock_text` is the clock alone; :func:`size_text` a file's size
  (``"2 MB"``, never ``"2097152 bita"``).

Everything is pure: the caller passes ``now`` and the zone (WIB, WITA or WIT:
:func:`siapkerja_core.gates.local_zone` of the holder's region), the words come
from the catalogues (``wait.*``, ``month.*``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from siapkerja_core.i18n import WIB, citizen_date, is_english
from siapkerja_core.translations import text

__all__ = [
    "Wait",
    "WaitKind",
    "clock_text",
    "describe_wait",
    "holder_zone",
    "moment_text",
    "size_text",
    "wait_text",
]

_MINUTE: Final = 60
_HOUR: Final = 3600


class WaitKind(StrEnum):
    """The shape of a worded wait, from the shortest to the longest."""

    MOMENT = "moment"
    MINUTES = "minutes"
    HOURS = "hours"
    TODAY = "today"
    TOMORROW = "tomorrow"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Wait:
    """A wait as a person is told it.

    ``count`` is the number of minutes or hours (``MINUTES``/``HOURS``, at
    least 1), else 0; ``at`` is the moment the words promise, in the person's
    zone: the wait's end for ``MOMENT``, ``now`` plus the rounded-up count for
    minutes and hours, the end rounded up to the minute for a clock time.
    """

    kind: WaitKind
    count: int
    at: datetime

    def text(self, lang: str | None = "id") -> str:
        """The words, to follow "Coba lagi" / "Try again": ``"dalam 5 menit"``."""
        if self.kind is WaitKind.MOMENT:
            return text("wait.moment", lang)
        if self.kind is WaitKind.MINUTES:
            key = "wait.minute" if self.count == 1 else "wait.minutes"
            return text(key, lang, n=self.count)
        if self.kind is WaitKind.HOURS:
            key = "wait.hour" if self.count == 1 else "wait.hours"
            return text(key, lang, n=self.count)
        clock = f"{clock_text(self.at, lang)} {_zone_name(self.at)}"
        if self.kind is WaitKind.TODAY:
            return text("wait.today", lang, clock=clock)
        if self.kind is WaitKind.TOMORROW:
            return text("wait.tomorrow", lang, clock=clock)
        return text("wait.date", lang, date=citizen_date(self.at.date(), lang), clock=clock)


def _zone_name(moment: datetime) -> str:
    return moment.tzname() or "WIB"


def _ceil_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def describe_wait(
    wait: float | timedelta | datetime,
    *,
    now: datetime,
    zone: tzinfo | None = None,
) -> Wait:
    """The shape of a wait of ``wait`` seconds (or until the moment ``wait``) from ``now``.

    :param now: an aware moment (the service's clock).
    :param zone: the person's zone; WIB when ``None``.
    A wait that is over (zero or negative) reads as *sebentar lagi*.
    """
    here = zone or WIB
    start = now.astimezone(here)
    if isinstance(wait, datetime):
        seconds = (wait - now).total_seconds()
    elif isinstance(wait, timedelta):
        seconds = wait.total_seconds()
    else:
        seconds = float(wait)
    if not math.isfinite(seconds):
        raise ValueError("a wait must be a finite number of seconds")
    seconds = max(0.0, seconds)
    end = start + timedelta(seconds=seconds)
    if seconds < _MINUTE:
        return Wait(WaitKind.MOMENT, 0, end)
    minutes = math.ceil(seconds / _MINUTE)
    if minutes < 60:
        return Wait(WaitKind.MINUTES, minutes, start + timedelta(minutes=minutes))
    hours = math.ceil(seconds / _HOUR)
    promised = start + timedelta(hours=hours)
    if promised.date() == start.date():
        return Wait(WaitKind.HOURS, hours, promised)
    at = _ceil_minute(end)
    if at.date() == start.date():
        return Wait(WaitKind.TODAY, 0, at)
    if at.date() == start.date() + timedelta(days=1):
        return Wait(WaitKind.TOMORROW, 0, at)
    return Wait(WaitKind.DATE, 0, at)


def wait_text(
    wait: float | timedelta | datetime,
    *,
    now: datetime,
    zone: tzinfo | None = None,
    lang: str | None = "id",
) -> str:
    """:func:`describe_wait` in words: ``"dalam 5 menit"``, ``"besok pukul 09.15 WIB"``."""
    return describe_wait(wait, now=now, zone=zone).text(lang)


def clock_text(moment: datetime, lang: str | None = "id") -> str:
    """The clock as ``lang`` writes it: ``"09.15"`` (Indonesian) or ``"09:15"`` (English)."""
    return f"{moment:%H:%M}" if is_english(lang) else f"{moment:%H.%M}"


def moment_text(moment: datetime, lang: str | None = "id", zone: tzinfo | None = None) -> str:
    """``"6 Desember 2026, 16.32 WIB"`` / ``"6 December 2026, 16:32 WIB"``, in ``zone``.

    A naive ``moment`` is taken as UTC (the storage's convention); no seconds.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone or WIB)
    return f"{citizen_date(local.date(), lang)}, {clock_text(local, lang)} {_zone_name(local)}"


_KB: Final = 1024
_MB: Final = 1024 * 1024


def size_text(size: int, lang: str | None = "id") -> str:
    """A file's size as people say it: ``"2 MB"``, ``"1,5 MB"`` / ``"1.5 MB"``, ``"300 KB"``.

    Binary units (what phones and file managers show) under the everyday names;
    one decimal at most, Indonesian with a decimal comma.
    """
    if size >= _MB:
        amount, unit = size / _MB, "MB"
    elif size >= _KB:
        amount, unit = size / _KB, "KB"
    else:
        return f"{size} byte"
    number = f"{math.floor(amount * 10 + 0.5) / 10:g}"
    if not is_english(lang):
        number = number.replace(".", ",")
    return f"{number} {unit}"


def holder_zone(
    domicile_region: str | None = None,
    ktp_region: str | None = None,
    nik: str | None = None,
) -> tzinfo:
    """The zone a holder reads times in: WIB, WITA or WIT of where they live.

    The domicile address's region code first (where they are now), else the
    KTP address's, else the NIK's first six digits (where the NIK was issued);
    WIB when none is known (:func:`siapkerja_core.gates.local_zone`).
    """
    from siapkerja_core.gates import local_zone  # gates imports the errors, which import us

    for code in (domicile_region, ktp_region, nik):
        if code and len(code) >= 2 and code[:2].isdigit():
            return local_zone(code)
    return WIB
