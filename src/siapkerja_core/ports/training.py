"""The storage port's repositories for training classes and labour programmes.

:class:`ClassRepository` (``tx.classes``) keeps the classes of training
institutions and their enrolments; :class:`ProgrammeRepository`
(``tx.programmes``) the programme definitions and who was admitted to them.
Both are reached through a :class:`~siapkerja_core.ports.Transaction`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from siapkerja_core.classes import ClassEnrolment, TrainingClass
    from siapkerja_core.programmes import Programme, ProgrammeEnrolment

__all__ = [
    "ClassConflict",
    "ClassRepository",
    "ProgrammeEnrolmentConflict",
    "ProgrammeRepository",
]


class ClassConflict(Exception):
    """A class with the same id exists."""


class ProgrammeEnrolmentConflict(Exception):
    """The holder is already enrolled in the programme (one enrolment per holder and programme)."""


class ClassRepository(Protocol):
    """Training classes and their enrolments."""

    def get(self, class_id: str) -> TrainingClass | None: ...

    def add(self, record: TrainingClass) -> None:
        """Insert a new class. :raises ClassConflict: its id is taken."""
        ...

    def put(self, record: TrainingClass) -> None:
        """Replace the class with the same id."""
        ...

    def for_institution(self, institution_id: str) -> list[TrainingClass]:
        """The institution's classes, by start date then id."""
        ...

    def enrolment(self, class_id: str, account_id: str) -> ClassEnrolment | None: ...

    def put_enrolment(self, record: ClassEnrolment) -> None:
        """Insert or replace the enrolment of (class, account)."""
        ...

    def enrolments(self, class_id: str) -> list[ClassEnrolment]:
        """The class's enrolments, withdrawn ones included, oldest first."""
        ...

    def enrolments_of(self, account_id: str) -> list[ClassEnrolment]:
        """The holder's enrolments in every class, oldest first."""
        ...


class ProgrammeRepository(Protocol):
    """Programme definitions and the holders admitted to them."""

    def get(self, programme_id: str) -> Programme | None: ...

    def put(self, record: Programme) -> None:
        """Insert or replace the programme with the same id."""
        ...

    def all(self) -> list[Programme]:
        """Every programme, by id."""
        ...

    def enrolment(self, programme_id: str, account_id: str) -> ProgrammeEnrolment | None: ...

    def add_enrolment(self, record: ProgrammeEnrolment) -> None:
        """Record an admission. :raises ProgrammeEnrolmentConflict: one exists for the pair."""
        ...

    def enrolments_of(self, account_id: str) -> list[ProgrammeEnrolment]:
        """The holder's programme enrolments, oldest first."""
        ...

    def enrolments(self, programme_id: str) -> list[ProgrammeEnrolment]:
        """The programme's enrolments, oldest first."""
        ...
