"""Training classes at BLK, BLK Komunitas and LPK Swasta, and the attendance they keep.

The brief's eighth use: the card is the *kartu absensi kelas*. This module
owns, as pure values and rules:

* :class:`TrainingClass` — a class (*kelas pelatihan*) held by an institution
  (a registered verifier with the ``blk`` or ``skillhub`` scope), with its
  institution kind (:class:`InstitutionKind`: BLK UPTP, BLK UPTD, BLK
  Komunitas, LPK Swasta), vocation, optional KBJI 2014 occupation code, dates,
  the minimum attendance a trainee needs (a percentage) and its capacity;
* :class:`ClassEnrolment` — a trainee enrolled by account id (the institution
  learned it through the holder's consent), withdrawn with the record kept;
* :func:`attendance_report` — per trainee and per class: sessions attended of
  those held, the percentage, and whether the class's minimum is met, as
  :class:`AttendanceReport` with :meth:`~AttendanceReport.rows` (a list of
  dicts, what ``pandas.DataFrame`` takes), :meth:`~AttendanceReport.columns`
  (a mapping of columns) and :meth:`~AttendanceReport.report_csv`.

The sessions themselves are events of kind ``class_session`` (the event
gates); which session a trainee attended comes from the check-ins at the
class's station. Nothing here does I/O.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.frames import Column, Table

__all__ = [
    "INSTITUTION_SCOPES",
    "MAX_CAPACITY",
    "MAX_CLASS_TEXT",
    "ROW_COLUMNS",
    "AttendanceReport",
    "ClassEnrolment",
    "ClassError",
    "ClassSummary",
    "InstitutionKind",
    "Trainee",
    "TraineeAttendance",
    "TrainingClass",
    "attendance_report",
    "csv_cell",
    "meets_minimum",
    "percent",
]

MAX_CLASS_TEXT: Final = 200
"""The longest class name or vocation."""
MAX_CAPACITY: Final = 10_000
"""The most trainees one class may hold (a sanity bound, not a rule of any regulation)."""
INSTITUTION_SCOPES: Final = frozenset({"blk", "skillhub"})
"""The verifier scopes of a training institution: a verifier with one of them may hold classes."""

_KBJI: Final = re.compile(r"\d{1,6}(?:\.\d{1,2})?")
"""A KBJI 2014 code: major group to unit group (``2512``), optionally a job (``2512.01``)."""
_CLASS_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


class ClassError(SiapkerjaError):
    """A class, an enrolment or an attendance question that cannot be answered.

    ``invalid`` names the ``field`` and why; ``not_found`` a class id;
    ``not_institution`` a verifier that is no training institution (scope
    ``blk`` or ``skillhub``); ``not_owner`` a class of another institution;
    ``not_enrolled`` a card at a class session whose holder is not enrolled;
    ``already_enrolled`` and ``full`` an enrolment refused; ``exists`` a
    class id taken; ``no_account`` an account id (or SIAPkerja-ID number) that is
    not an active account; ``no_consent`` a holder who gave the institution no consent.
    """

    domain = "class"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid",
            "not_found",
            "not_institution",
            "not_owner",
            "not_enrolled",
            "already_enrolled",
            "full",
            "exists",
            "no_account",
            "no_consent",
        }
    )


def _invalid(name: str, reason: str, **params: object) -> ClassError:
    """``class.invalid`` for ``name``, the reason the catalogue text ``class.reason.<reason>``."""
    key = f"class.reason.{reason}"
    return ClassError(
        "invalid",
        field=name,
        reason=reason,
        reason_id=translations.text(key, "id", **params),
        reason_en=translations.text(key, "en", **params),
    )


class InstitutionKind(StrEnum):
    """Which kind of training institution holds the class (*jenis lembaga pelatihan*)."""

    UPTP = "UPTP"
    """BLK Unit Pelaksana Teknis Pusat: run by the Ministry of Manpower."""
    UPTD = "UPTD"
    """BLK Unit Pelaksana Teknis Daerah: run by a province or regency."""
    BLKK = "BLKK"
    """BLK Komunitas: at a pesantren, a union or a community organisation."""
    LPKS = "LPKS"
    """LPK Swasta: a private training institution."""


def _text(name: str, *, optional: bool = False) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip():
            raise _invalid(name, "required")
        if len(value) > MAX_CLASS_TEXT or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise _invalid(name, "text")

    return check


def _clean(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _clean_optional(value: Any) -> Any:
    cleaned = _clean(value)
    return None if cleaned == "" else cleaned


def _to_kind(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, InstitutionKind):
        try:
            return InstitutionKind(value.strip().upper())
        except ValueError:
            return value
    return value


def _check_kind(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, InstitutionKind):
        raise _invalid("institution_kind", "kind")


def _check_id(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str) or not _CLASS_ID.fullmatch(value):
        raise _invalid("id", "id")


def _check_kbji(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _KBJI.fullmatch(value)):
        raise _invalid("kbji_code", "kbji")


def _check_date(name: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if type(value) is not date:
            raise _invalid(name, "date")

    return check


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


def _check_bounded(name: str, low: int, high: int) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if type(value) is not int or not low <= value <= high:
            raise _invalid(name, "range", low=low, high=high)

    return check


@frozen(kw_only=True)
class TrainingClass:
    """A training class (*kelas pelatihan*) and the rule its trainees' attendance is held to.

    ``min_attendance`` is the percentage of held sessions a trainee must
    attend (0–100); ``capacity`` how many trainees may be enrolled at once.
    Values are checked when the object is made: a bad one raises
    :class:`ClassError` ``class.invalid`` naming the ``field``.
    """

    id: str = field(converter=_clean, validator=_check_id)
    name: str = field(converter=_clean, validator=_text("name"))
    institution_id: str = field(validator=_text("institution_id"))
    institution_kind: InstitutionKind = field(converter=_to_kind, validator=_check_kind)
    vocation: str = field(converter=_clean, validator=_text("vocation"))
    """The programme or vocation taught (*kejuruan*): ``"Teknik Las"``, ``"Web Developer"``."""
    starts_on: date = field(converter=_to_date, validator=_check_date("starts_on"))
    ends_on: date = field(converter=_to_date, validator=_check_date("ends_on"))
    min_attendance: int = field(validator=_check_bounded("min_attendance", 0, 100))
    capacity: int = field(validator=_check_bounded("capacity", 1, MAX_CAPACITY))
    created_at: datetime
    kbji_code: str | None = field(default=None, converter=_clean_optional, validator=_check_kbji)
    """The KBJI 2014 occupation the class trains for (text such as ``"7212"``), if known."""

    def __attrs_post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise _invalid("ends_on", "date_order")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates as ISO text)."""
        return {
            "id": self.id,
            "name": self.name,
            "institution_id": self.institution_id,
            "institution_kind": self.institution_kind.value,
            "vocation": self.vocation,
            "kbji_code": self.kbji_code,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "min_attendance": self.min_attendance,
            "capacity": self.capacity,
            "created_at": self.created_at.isoformat(),
        }


@frozen(kw_only=True)
class ClassEnrolment:
    """A trainee in a class: enrolled at ``enrolled_at``, withdrawn (record kept) or active."""

    class_id: str
    account_id: str
    enrolled_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def withdrawn(self, now: datetime) -> ClassEnrolment:
        """Withdrawn at ``now``; an already withdrawn enrolment stays as it was."""
        return attrs.evolve(self, withdrawn_at=now) if self.active else self

    def renewed(self, now: datetime) -> ClassEnrolment:
        """Enrolled again after a withdrawal."""
        return attrs.evolve(self, enrolled_at=now, withdrawn_at=None)


# --- attendance arithmetic -------------------------------------------------------------


def percent(attended: int, held: int) -> float | None:
    """``attended`` of ``held`` as a percentage rounded to one decimal; ``None`` if none held."""
    if held <= 0:
        return None
    return round(attended * 100 / held, 1)


def meets_minimum(attended: int, held: int, minimum: int) -> bool | None:
    """Whether ``attended`` of ``held`` reaches ``minimum`` percent, compared exactly.

    Compared in integers (``attended * 100 >= minimum * held``) and not on the
    rounded percentage: 2 of 3 sessions is 66.67 %, short of a 67 % minimum,
    although it shows as 66.7. ``None`` while no session was held yet.
    """
    if held <= 0:
        return None
    return attended * 100 >= minimum * held


@frozen(kw_only=True)
class TraineeAttendance:
    """One trainee's line of the report."""

    account_id: str
    full_name: str
    siapkerja_id: str | None
    attended: int
    held: int
    percent: float | None
    meets_minimum: bool | None
    active: bool = True
    """False for a trainee who withdrew (their sessions attended still count)."""


@frozen(kw_only=True)
class ClassSummary:
    """The class's line: all trainees together.

    ``attended`` is every check-in of an enrolled trainee at a held session,
    ``possible`` is sessions held times trainees, ``percent`` the class's
    attendance rate and ``meeting_minimum`` how many trainees meet the minimum.
    """

    class_id: str
    name: str
    min_attendance: int
    sessions_held: int
    trainees: int
    attended: int
    possible: int
    percent: float | None
    meeting_minimum: int


ROW_COLUMNS: Final = (
    "class_id",
    "class_name",
    "account_id",
    "full_name",
    "siapkerja_id",
    "attended",
    "held",
    "percent",
    "min_attendance",
    "meets_minimum",
    "active",
)
"""The columns of :meth:`AttendanceReport.rows`, in order (also the CSV header)."""

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows and never runs.

    ``None`` is empty, booleans are ``true``/``false`` (machine-readable,
    language-neutral); text that a spreadsheet would take
    for a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return) is prefixed with an apostrophe (OWASP's advice against
    CSV injection). Quoting of commas, quotes and line breaks is the
    :mod:`csv` writer's job.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


@frozen(kw_only=True)
class AttendanceReport(Table):
    """Attendance per trainee and for the class (see :func:`attendance_report`).

    :meth:`rows` gives one dict per trainee (what ``pandas.DataFrame(rows)``
    takes), :meth:`columns` the same as a mapping of column name to values,
    :meth:`report_csv` the rows as CSV text with a header, :meth:`to_frame` a
    typed pandas DataFrame; a notebook shows the rows as a table.
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("class_id"),
        Column("class_name"),
        Column("account_id"),
        Column("full_name"),
        Column("siapkerja_id"),
        Column("attended", "int"),
        Column("held", "int"),
        Column("percent", "float"),
        Column("min_attendance", "int"),
        Column("meets_minimum", "bool"),
        Column("active", "bool"),
    )
    TABLE_CAPTION: ClassVar[str | None] = "Kehadiran / attendance"

    training_class: TrainingClass
    sessions: tuple[str, ...]
    """The ids of the sessions held (events of kind ``class_session``), in time order."""
    trainees: tuple[TraineeAttendance, ...]
    summary: ClassSummary

    def rows(self) -> list[dict[str, Any]]:
        """One dict per trainee, keys :data:`ROW_COLUMNS`, values plain Python scalars."""
        klass = self.training_class
        return [
            {
                "class_id": klass.id,
                "class_name": klass.name,
                "account_id": t.account_id,
                "full_name": t.full_name,
                "siapkerja_id": t.siapkerja_id,
                "attended": t.attended,
                "held": t.held,
                "percent": t.percent,
                "min_attendance": klass.min_attendance,
                "meets_minimum": t.meets_minimum,
                "active": t.active,
            }
            for t in self.trainees
        ]

    def columns(self) -> dict[str, list[Any]]:
        """The rows as columns: ``{"attended": [3, 2], ...}`` (every column, even with no rows)."""
        rows = self.rows()
        return {name: [row[name] for row in rows] for name in ROW_COLUMNS}

    def report_csv(self) -> str:
        """The rows as CSV (RFC 4180: comma, double quotes, CRLF), header first."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(ROW_COLUMNS)
        for row in self.rows():
            writer.writerow([csv_cell(row[name]) for name in ROW_COLUMNS])
        return buffer.getvalue()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data: the class, its summary, the sessions and the trainee rows."""
        return {
            "class": self.training_class.as_dict(),
            "sessions": list(self.sessions),
            "summary": attrs.asdict(self.summary),
            "trainees": self.rows(),
        }

    def to_dict(self) -> dict[str, Any]:
        """The same as :meth:`as_dict` (the name every tabular result shares)."""
        return self.as_dict()


@frozen(kw_only=True)
class Trainee:
    """Who an enrolment is for, as the report names them."""

    account_id: str
    full_name: str
    siapkerja_id: str | None = None


def attendance_report(
    training_class: TrainingClass,
    enrolments: Iterable[ClassEnrolment],
    trainees: Mapping[str, Trainee],
    sessions_held: Sequence[str],
    attended: Mapping[str, Iterable[str]],
) -> AttendanceReport:
    """The attendance of ``training_class``'s trainees over ``sessions_held``.

    :param enrolments: the class's enrolments, withdrawn ones included (a
        withdrawn trainee keeps a line, marked inactive, and is left out of
        the class summary).
    :param trainees: name and card number by account id (missing: shown by id).
    :param sessions_held: the ids of the sessions already held, in order.
    :param attended: per account id, the ids of the sessions checked in at;
        a check-in at a session not in ``sessions_held`` is not counted.
    """
    held_ids = tuple(dict.fromkeys(sessions_held))
    held_set = frozenset(held_ids)
    held = len(held_ids)
    minimum = training_class.min_attendance
    lines: list[TraineeAttendance] = []
    for enrolment in sorted(enrolments, key=lambda e: (e.enrolled_at, e.account_id)):
        if enrolment.class_id != training_class.id:
            continue
        count = len(held_set.intersection(attended.get(enrolment.account_id, ())))
        who = trainees.get(enrolment.account_id)
        lines.append(
            TraineeAttendance(
                account_id=enrolment.account_id,
                full_name=who.full_name if who is not None else "",
                siapkerja_id=who.siapkerja_id if who is not None else None,
                attended=count,
                held=held,
                percent=percent(count, held),
                meets_minimum=meets_minimum(count, held, minimum),
                active=enrolment.active,
            )
        )
    active = [line for line in lines if line.active]
    total = sum(line.attended for line in active)
    possible = held * len(active)
    summary = ClassSummary(
        class_id=training_class.id,
        name=training_class.name,
        min_attendance=minimum,
        sessions_held=held,
        trainees=len(active),
        attended=total,
        possible=possible,
        percent=percent(total, possible),
        meeting_minimum=sum(1 for line in active if line.meets_minimum),
    )
    return AttendanceReport(
        training_class=training_class, sessions=held_ids, trainees=tuple(lines), summary=summary
    )
