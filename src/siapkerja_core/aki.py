"""The AK/I ("kartu kuning"): a job seeker's registration at a Disnaker kabupaten/kota.

The *Kartu Tanda Bukti Pendaftaran Pencari Kerja* (AK/I, Permenaker 39/2016)
is issued by the Dinas Ketenagakerjaan of a kabupaten/kota, is valid for
**two years**, and its holder reports **every six months** — the four boxes of
the yellow card — whether or not they found work (``docs/uses/aki.md``,
research notes: ``domain.md`` §4). This module owns, as pure values and
functions:

* the **AK/I number** (:class:`AkiNumber`, :func:`parse_aki_number`,
  :func:`new_aki_number`): ``AK1-3173-2026-4820571-1`` — the constant prefix
  ``AK1``, the issuing office's Kemendagri kabupaten/kota code, the year of
  application, seven random digits and a Damm check digit over the fifteen
  digits before it (every single-digit error and every swap of two adjacent
  digits is caught);
* the **registration record** (:class:`AkiRegistration`) and its rules: the
  status (``applied`` → ``legalised`` → ``placed`` | ``removed`` | ``expired``),
  the validity (:meth:`AkiRegistration.valid_until`), the four reports
  (:meth:`AkiRegistration.reports`, :func:`reports_due`) and the transitions,
  which refuse an illegal move with an :class:`AkiError`;
* the office an officer works for (:class:`AkiOfficer`).

Rules the research did not settle, chosen here and documented in
``docs/uses/aki.md``: validity runs from the legalisation date to the same
date two years later, inclusive; report *k* falls due ``6·k`` months after
legalisation (counted from that date each time, so 31 August gives 28 or 29
February, then 31 August again); a report is taken from 30 days before its due
date to 30 days after (the fourth no later than the last valid day); "today"
is the date in Western Indonesia (WIB, UTC+7).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent
from siapkerja_core.i18n import WIB, dated, text
from siapkerja_core.translations import N_

__all__ = [
    "AKI_PREFIX",
    "REPORT_COUNT",
    "REPORT_INTERVAL_MONTHS",
    "REPORT_WINDOW",
    "VALIDITY_MONTHS",
    "WIB",
    "AkiError",
    "AkiNumber",
    "AkiOfficer",
    "AkiPlacement",
    "AkiRegistration",
    "AkiRemoval",
    "AkiReport",
    "AkiStatus",
    "AkiStepTaken",
    "RemovalReason",
    "ReportState",
    "add_months",
    "aki_status_data",
    "damm_check",
    "default_office_name",
    "is_valid_aki_number",
    "local_today",
    "new_aki_number",
    "office_region",
    "parse_aki_number",
    "reports_due",
]

AKI_PREFIX: Final = "AK1"
VALIDITY_MONTHS: Final = 24
"""Two years (Permenaker 39/2016 practice, ``domain.md`` §4)."""
REPORT_INTERVAL_MONTHS: Final = 6
REPORT_COUNT: Final = VALIDITY_MONTHS // REPORT_INTERVAL_MONTHS
"""Four reports: the four boxes of the yellow card."""
REPORT_WINDOW: Final = timedelta(days=30)
"""A report is taken this long before and after its due date (an assumption, documented)."""
SERIAL_DIGITS: Final = 7
_MIN_YEAR: Final = 2000
_MAX_YEAR: Final = 2099
MAX_TEXT_LENGTH: Final = 200
"""The longest employer, position, office name or note."""

# Damm's quasigroup of order 10 (totally anti-symmetric, Damm 2004).
_DAMM: Final = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
# Separators people type between groups, and the prefix's spellings (AK1, AK/I, AK-I).
_SEPARATORS: Final = re.compile(r"[\s\-./]+")
_PREFIXES: Final = ("AK1", "AKI")
# Control, format, surrogate, private-use and unassigned characters: never in a name.
_REFUSED: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _phrases(name: str, key: str) -> dict[str, str]:
    return {f"{name}_id": text(key, "id"), f"{name}_en": text(key, "en")}


# The phrases of error.aki.transition: "Tidak dapat {action_id} … yang {status_id}".
_ACTIONS: Final = {
    "legalise": N_("aki.action.legalise"),
    "report": N_("aki.action.report"),
    "place": N_("aki.action.place"),
    "remove": N_("aki.action.remove"),
    "expire": N_("aki.action.expire"),
}
_STATUS_PHRASES: Final = {
    "applied": N_("aki.status_phrase.applied"),
    "legalised": N_("aki.status_phrase.legalised"),
    "placed": N_("aki.status_phrase.placed"),
    "removed": N_("aki.status_phrase.removed"),
    "expired": N_("aki.status_phrase.expired"),
}


class AkiError(SiapkerjaError):
    """An AK/I number that is not one, or an AK/I step that cannot be taken now."""

    domain = "aki"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "number_format",
            "number_region",
            "number_check",
            "office_unknown",
            "office_required",
            "not_found",
            "already_registered",
            "not_officer",
            "wrong_office",
            "transition",
            "report_too_early",
            "report_late",
            "report_done",
            "invalid_text",
            "placement_date",
            "unknown_reason",
            "exhausted",
            "pdf_unavailable",
            "unknown_status",
        }
    )


@frozen(kw_only=True)
class AkiStepTaken(DomainEvent):
    """A step of an AK/I registration: ``applied``, ``legalised``, ``reported``,
    ``placed``, ``removed`` or ``withdrawn`` (``aki.step``).

    For audit logs and for hubs that follow job seekers (Karirhub: a placement
    closes the registration). No name, NIK or employer: the number, the office
    and the step; ``verifier_id`` is the officer's for an officer's step.
    """

    name: ClassVar[str] = "aki.step"
    account_id: str
    registration_id: str
    number: str
    office_code: str
    step: str
    status: str
    verifier_id: str | None = None


# --- the number ---------------------------------------------------------------------------


def damm_check(digits: str) -> int:
    """The Damm check digit of ``digits`` (a string of decimal digits)."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][ord(char) - 48]
    return interim


@frozen
class AkiNumber:
    """A checked AK/I number: office (kabupaten/kota code), year, serial, check digit."""

    office_code: str
    year: int
    serial: str
    check: int

    def __str__(self) -> str:
        return f"{AKI_PREFIX}-{self.office_code}-{self.year:04d}-{self.serial}-{self.check}"


def parse_aki_number(text: object) -> AkiNumber:
    """Read an AK/I number typed any common way (case, spaces, dots, dashes, ``AK/I``).

    >>> str(parse_aki_number("ak/i 3173.2026.4820571.1"))
    'AK1-3173-2026-4820571-1'

    :raises AkiError: ``number_format`` (not 16 digits after the prefix, or a
        year outside 2000–2099), ``number_region`` (no such kabupaten/kota
        code, current or retired), ``number_check`` (a mistyped digit).
    """
    if not isinstance(text, str) or len(text) > 64:
        raise AkiError("number_format")
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    for prefix in _PREFIXES:
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
            break
    if len(compact) != 16 or not compact.isascii() or not compact.isdigit():
        raise AkiError("number_format")
    office, year, serial, check = compact[:4], int(compact[4:8]), compact[8:15], int(compact[15])
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise AkiError("number_format")
    if regions.regency(office) is None:
        raise AkiError("number_region", region=office)
    if damm_check(compact[:15]) != check:
        raise AkiError("number_check")
    return AkiNumber(office, year, serial, check)


def is_valid_aki_number(text: object) -> bool:
    """Whether ``text`` reads as an AK/I number (:func:`parse_aki_number` without the error)."""
    try:
        parse_aki_number(text)
    except AkiError:
        return False
    return True


def new_aki_number(office_code: str, year: int, randbelow: Callable[[int], int]) -> AkiNumber:
    """A fresh number for ``office_code`` and ``year``: a random serial, never a sequence.

    Random rather than sequential, as the SIAPkerja-ID: a number must not tell
    how many registered before. Uniqueness is the storage's (a clash is retried).
    """
    serial = f"{randbelow(10**SERIAL_DIGITS):0{SERIAL_DIGITS}d}"
    body = f"{office_code}{year:04d}{serial}"
    return AkiNumber(office_code, year, serial, damm_check(body))


# --- dates ----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, on the last day of a shorter month.

    ``add_months(date(2027, 8, 31), 6)`` is 29 February 2028.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def local_today(now: datetime) -> date:
    """The date in WIB of the aware time ``now``."""
    return now.astimezone(WIB).date()


# --- offices ------------------------------------------------------------------------------


def office_region(code: object) -> regions.Region:
    """The current kabupaten/kota with this code (an office issues only under a current one).

    :raises AkiError: ``office_unknown``.
    """
    if not isinstance(code, str):
        raise AkiError("office_unknown", region=str(code)[:16])
    cleaned = code.replace(".", "").strip()
    region = regions.regency(cleaned) if len(cleaned) == 4 else None
    if region is None or region.retired:
        raise AkiError("office_unknown", region=cleaned[:16])
    return region


def default_office_name(region: regions.Region) -> str:
    """``"Dinas Tenaga Kerja Kota Administrasi Jakarta Barat"``: the Dinas of the region."""
    return f"Dinas Tenaga Kerja {region.name}"


def clean_text(value: object, name: str, *, optional: bool = False) -> str | None:
    """A line of text an officer or holder typed: NFC, one space between words, no controls.

    :raises AkiError: ``invalid_text`` (naming ``name``) for a non-string, a blank
        required value, a control character or more than :data:`MAX_TEXT_LENGTH`.
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise AkiError("invalid_text", field=name, limit=MAX_TEXT_LENGTH)
    text = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch) in _REFUSED and ch not in "\t\n" for ch in text):
        raise AkiError("invalid_text", field=name, limit=MAX_TEXT_LENGTH)
    text = " ".join(text.split())
    if not text:
        if optional:
            return None
        raise AkiError("invalid_text", field=name, limit=MAX_TEXT_LENGTH)
    if len(text) > MAX_TEXT_LENGTH:
        raise AkiError("invalid_text", field=name, limit=MAX_TEXT_LENGTH)
    return text


@frozen(kw_only=True)
class AkiOfficer:
    """A verifier (scope ``disnaker``) appointed to the Disnaker of one kabupaten/kota."""

    verifier_id: str
    office_code: str
    office_name: str
    appointed_at: datetime


# --- the registration ---------------------------------------------------------------------


class AkiStatus(StrEnum):
    """Where an AK/I registration stands."""

    APPLIED = "applied"
    """The holder applied online; no officer legalised it yet."""
    LEGALISED = "legalised"
    """An officer legalised it: valid for two years, reported every six months."""
    PLACED = "placed"
    """The holder found work (recorded by an officer): the registration is closed."""
    REMOVED = "removed"
    """Taken off the register (moved, by request, not reported …): closed."""
    EXPIRED = "expired"
    """Two years passed: closed."""

    @property
    def active(self) -> bool:
        """Applied or legalised: the one registration an account may hold at a time."""
        return self in (AkiStatus.APPLIED, AkiStatus.LEGALISED)


class RemovalReason(StrEnum):
    """Why an officer took a registration off the register."""

    MOVED = "moved"
    """The holder moved to another kabupaten/kota (registers there)."""
    BY_REQUEST = "by_request"
    """The holder asked (or withdrew an application)."""
    NOT_REPORTED = "not_reported"
    """The six-monthly reports were not made."""
    EXPIRED = "expired"
    """Past its validity (an officer clearing the register)."""
    OTHER = "other"


class ReportState(StrEnum):
    """One box of the four-box grid."""

    DONE = "done"
    OPEN = "open"
    """Its window is open and it is not made yet: due now."""
    UPCOMING = "upcoming"
    MISSED = "missed"
    """Its window closed without a report."""
    CLOSED = "closed"
    """The registration ended before this box was due."""


@frozen(kw_only=True)
class AkiReport:
    """Report ``index`` (1–4): due date, the window it may be made in, and when it was made."""

    index: int
    due_on: date
    opens_on: date
    closes_on: date
    reported_on: date | None = None

    def state(self, today: date, *, ended: bool = False) -> ReportState:
        """The box as of ``today`` (``ended``: the registration is closed)."""
        if self.reported_on is not None:
            return ReportState.DONE
        if today > self.closes_on:
            return ReportState.MISSED
        if ended:
            return ReportState.CLOSED
        if today < self.opens_on:
            return ReportState.UPCOMING
        return ReportState.OPEN


def _employer(value: object) -> str:
    cleaned = clean_text(value, "employer")
    assert cleaned is not None  # required: clean_text refuses a blank one
    return cleaned


def _position(value: object) -> str | None:
    return clean_text(value, "position", optional=True)


def _note(value: object) -> str | None:
    return clean_text(value, "note", optional=True)


@frozen(kw_only=True)
class AkiPlacement:
    """Where the holder was placed: the employer, the date and optionally the position."""

    employer: str = field(converter=_employer)
    placed_on: date
    position: str | None = field(default=None, converter=_position)


@frozen(kw_only=True)
class AkiRemoval:
    """Why and when an officer removed the registration."""

    reason: RemovalReason
    removed_on: date
    note: str | None = field(default=None, converter=_note)


def _reason(value: object) -> RemovalReason:
    try:
        return RemovalReason(str(value))
    except ValueError:
        known = ", ".join(r.value for r in RemovalReason)
        raise AkiError("unknown_reason", reason=str(value)[:40], known=known) from None


_NO_REPORTS: Final[tuple[date | None, ...]] = (None,) * REPORT_COUNT


@frozen(kw_only=True)
class AkiRegistration:
    """A job seeker's AK/I registration at one Disnaker kabupaten/kota.

    ``status`` is the stored status; :meth:`status_at` is the status on a
    given day (a legalised registration past its validity is ``expired``).
    The transitions (:meth:`legalised`, :meth:`reported`, :meth:`placed`,
    :meth:`removed`, :meth:`expired`) return the next record or raise
    :class:`AkiError` ``transition`` naming the status and the action.
    """

    id: str
    account_id: str
    number: str
    office_code: str
    office_name: str
    status: AkiStatus
    applied_at: datetime
    updated_at: datetime
    legalised_on: date | None = None
    officer_id: str | None = None
    officer_name: str | None = None
    reported_on: tuple[date | None, ...] = _NO_REPORTS
    placement: AkiPlacement | None = None
    removal: AkiRemoval | None = None
    ended_on: date | None = None

    @property
    def applied_on(self) -> date:
        """The day of the application, in WIB."""
        return local_today(self.applied_at)

    @property
    def valid_until(self) -> date | None:
        """The last valid day: two years after legalisation (``None`` before it)."""
        if self.legalised_on is None:
            return None
        return add_months(self.legalised_on, VALIDITY_MONTHS)

    def status_at(self, today: date) -> AkiStatus:
        """The status on ``today``: a legalised registration past :attr:`valid_until` is expired."""
        until = self.valid_until
        if self.status is AkiStatus.LEGALISED and until is not None and today > until:
            return AkiStatus.EXPIRED
        return self.status

    def is_valid(self, today: date) -> bool:
        """Legalised and within its two years on ``today`` (from the legalisation day on)."""
        start = self.legalised_on
        return self.status_at(today) is AkiStatus.LEGALISED and start is not None and start <= today

    def reports(self) -> tuple[AkiReport, ...]:
        """The four boxes (empty before legalisation)."""
        start, until = self.legalised_on, self.valid_until
        if start is None or until is None:
            return ()
        boxes = []
        for index in range(1, REPORT_COUNT + 1):
            due = add_months(start, REPORT_INTERVAL_MONTHS * index)
            boxes.append(
                AkiReport(
                    index=index,
                    due_on=due,
                    opens_on=due - REPORT_WINDOW,
                    closes_on=min(due + REPORT_WINDOW, until),
                    reported_on=self.reported_on[index - 1],
                )
            )
        return tuple(boxes)

    # -- transitions ----------------------------------------------------------------------

    def _refuse(self, today: date, action: str) -> AkiError:
        status = self.status_at(today)
        # ``action`` / ``status`` stay the machine's words (the API's params); each
        # message names its language's phrase, never "legalise" in Indonesian.
        return AkiError(
            "transition",
            status=status.value,
            action=action,
            **_phrases("action", _ACTIONS[action]),
            **_phrases("status", _STATUS_PHRASES[status.value]),
        )

    def legalised(
        self,
        today: date,
        *,
        officer_id: str,
        officer_name: str,
        office_name: str | None = None,
        now: datetime,
    ) -> AkiRegistration:
        """Legalised by an officer on ``today``: the two years and the reports start.

        ``office_name``: the name of the officer's office, as the document will print it.
        """
        if self.status_at(today) is not AkiStatus.APPLIED:
            raise self._refuse(today, "legalise")
        return attrs.evolve(
            self,
            status=AkiStatus.LEGALISED,
            legalised_on=today,
            officer_id=officer_id,
            officer_name=clean_text(officer_name, "officer_name"),
            office_name=clean_text(office_name, "office_name", optional=True) or self.office_name,
            updated_at=now,
        )

    def reported(self, today: date, *, now: datetime) -> tuple[AkiRegistration, AkiReport]:
        """The report whose window holds ``today`` made; the record and the box.

        :raises AkiError: ``transition`` (not legalised, or closed),
            ``report_done`` (this window's report is made), ``report_too_early``
            (with the next box's ``opens_on``), ``report_late`` (the last window
            closed unreported; with the next box's ``opens_on`` if any).
        """
        if self.status_at(today) is not AkiStatus.LEGALISED:
            raise self._refuse(today, "report")
        boxes = self.reports()
        for box in boxes:
            if box.opens_on <= today <= box.closes_on:
                if box.reported_on is not None:
                    raise AkiError(
                        "report_done", report=box.index, **dated("reported_on", box.reported_on)
                    )
                made = list(self.reported_on)
                made[box.index - 1] = today
                record = attrs.evolve(self, reported_on=tuple(made), updated_at=now)
                return record, attrs.evolve(box, reported_on=today)
        upcoming = next(b for b in boxes if b.opens_on > today)  # valid: report 4 is ahead
        previous = boxes[upcoming.index - 2] if upcoming.index > 1 else None
        if previous is not None and previous.reported_on is None:
            raise AkiError(
                "report_late",
                report=previous.index,
                **dated("closed_on", previous.closes_on),
                next_report=upcoming.index,
                **dated("opens_on", upcoming.opens_on),
            )
        raise AkiError(
            "report_too_early", report=upcoming.index, **dated("opens_on", upcoming.opens_on)
        )

    def placed(
        self,
        today: date,
        *,
        employer: str,
        position: str | None = None,
        placed_on: date | None = None,
        now: datetime,
    ) -> AkiRegistration:
        """The holder found work: closed with the employer (and position) on ``placed_on``."""
        if self.status_at(today) is not AkiStatus.LEGALISED:
            raise self._refuse(today, "place")
        day = today if placed_on is None else placed_on
        if not isinstance(day, date) or day > today or day < self.applied_on:
            raise AkiError("placement_date", **dated("today", today))
        placement = AkiPlacement(employer=employer, position=position, placed_on=day)
        return attrs.evolve(
            self, status=AkiStatus.PLACED, placement=placement, ended_on=today, updated_at=now
        )

    def removed(
        self, today: date, *, reason: object, note: str | None = None, now: datetime
    ) -> AkiRegistration:
        """Taken off the register for ``reason`` (a :class:`RemovalReason` value)."""
        why = _reason(reason)
        if not self.status.active:
            raise self._refuse(today, "remove")
        removal = AkiRemoval(reason=why, removed_on=today, note=note)
        return attrs.evolve(
            self, status=AkiStatus.REMOVED, removal=removal, ended_on=today, updated_at=now
        )

    def expired(self, today: date, *, now: datetime) -> AkiRegistration:
        """Stored as expired (it is past its validity on ``today``)."""
        if self.status is not AkiStatus.LEGALISED or self.status_at(today) is not AkiStatus.EXPIRED:
            raise self._refuse(today, "expire")
        assert self.valid_until is not None
        return attrs.evolve(
            self,
            status=AkiStatus.EXPIRED,
            ended_on=self.valid_until + timedelta(days=1),
            updated_at=now,
        )


def reports_due(registration: AkiRegistration, today: date) -> tuple[AkiReport, ...]:
    """The reports the holder should make now: open windows not yet reported.

    Empty unless the registration is valid on ``today``; at most one box,
    since the windows do not overlap.
    """
    if not registration.is_valid(today):
        return ()
    return tuple(b for b in registration.reports() if b.state(today) is ReportState.OPEN)


def aki_status_data(registration: AkiRegistration | None, today: date) -> dict[str, Any]:
    """The AK/I status as JSON-ready data: what the ``disnaker`` scope and the holder see.

    ``{"status": "none"}`` when the account has no registration.
    """
    if registration is None:
        return {"status": "none"}
    ended = not registration.is_valid(today)
    due = reports_due(registration, today)
    return {
        "number": registration.number,
        "status": registration.status_at(today).value,
        "office_code": registration.office_code,
        "office_name": registration.office_name,
        "applied_on": registration.applied_on.isoformat(),
        "legalised_on": _iso(registration.legalised_on),
        "valid_until": _iso(registration.valid_until),
        "reports": [
            {
                "index": box.index,
                "due_on": box.due_on.isoformat(),
                "reported_on": _iso(box.reported_on),
                "state": box.state(today, ended=ended).value,
            }
            for box in registration.reports()
        ],
        "report_due": None if not due else due[0].index,
        "placement": None
        if registration.placement is None
        else {
            "employer": registration.placement.employer,
            "position": registration.placement.position,
            "placed_on": registration.placement.placed_on.isoformat(),
        },
        "removal": None
        if registration.removal is None
        else {
            "reason": registration.removal.reason.value,
            "removed_on": registration.removal.removed_on.isoformat(),
        },
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
