"""Training classes and programmes in the memory storage (``tx.classes``, ``tx.programmes``).

Each repository keeps two kinds of row in one table, told apart by the first
part of the key: ``("class", id)`` and ``("enrolment", class_id, account_id)``;
``("programme", id)`` and ``("enrolment", programme_id, account_id)``. The
secondary indexes derive only from the rows of their kind.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.classes import ClassEnrolment, TrainingClass
from siapkerja_core.ports import ClassConflict, ProgrammeEnrolmentConflict
from siapkerja_core.programmes import Programme, ProgrammeEnrolment

__all__ = ["TABLES", "VIEWS", "ClassesView", "ProgrammesView"]


def _of(kind: type, attribute: str) -> Any:
    return lambda row: getattr(row, attribute) if isinstance(row, kind) else None


def _classes_table() -> Table[Any]:
    return Table(
        institution=_of(TrainingClass, "institution_id"),
        klass=_of(ClassEnrolment, "class_id"),
        account=_of(ClassEnrolment, "account_id"),
    )


def _programmes_table() -> Table[Any]:
    return Table(
        kind=lambda row: "programme" if isinstance(row, Programme) else None,
        programme=_of(ProgrammeEnrolment, "programme_id"),
        account=_of(ProgrammeEnrolment, "account_id"),
    )


class _Rows(View[Any]):
    def _rows(self, index: str, value: Hashable) -> list[Any]:
        found = (self._get(key) for key in self._keys(index, value))
        return [row for row in found if row is not None]


class ClassesView(_Rows):
    """``tx.classes`` of the memory storage."""

    def get(self, class_id: str) -> TrainingClass | None:
        row = self._get(("class", class_id))
        return row if isinstance(row, TrainingClass) else None

    def add(self, record: TrainingClass) -> None:
        if self.get(record.id) is not None:
            raise ClassConflict(record.id)
        self._put(("class", record.id), record)

    def put(self, record: TrainingClass) -> None:
        self._put(("class", record.id), record)

    def for_institution(self, institution_id: str) -> list[TrainingClass]:
        return sorted(self._rows("institution", institution_id), key=lambda c: (c.starts_on, c.id))

    def enrolment(self, class_id: str, account_id: str) -> ClassEnrolment | None:
        row = self._get(("enrolment", class_id, account_id))
        return row if isinstance(row, ClassEnrolment) else None

    def put_enrolment(self, record: ClassEnrolment) -> None:
        self._put(("enrolment", record.class_id, record.account_id), record)

    def enrolments(self, class_id: str) -> list[ClassEnrolment]:
        rows = self._rows("klass", class_id)
        return sorted(rows, key=lambda e: (e.enrolled_at, e.account_id))

    def enrolments_of(self, account_id: str) -> list[ClassEnrolment]:
        rows = self._rows("account", account_id)
        return sorted(rows, key=lambda e: (e.enrolled_at, e.class_id))


class ProgrammesView(_Rows):
    """``tx.programmes`` of the memory storage."""

    def get(self, programme_id: str) -> Programme | None:
        row = self._get(("programme", programme_id))
        return row if isinstance(row, Programme) else None

    def put(self, record: Programme) -> None:
        self._put(("programme", record.id), record)

    def all(self) -> list[Programme]:
        return sorted(self._rows("kind", "programme"), key=lambda p: p.id)

    def enrolment(self, programme_id: str, account_id: str) -> ProgrammeEnrolment | None:
        row = self._get(("enrolment", programme_id, account_id))
        return row if isinstance(row, ProgrammeEnrolment) else None

    def add_enrolment(self, record: ProgrammeEnrolment) -> None:
        if self.enrolment(record.programme_id, record.account_id) is not None:
            raise ProgrammeEnrolmentConflict(record.programme_id)
        self._put(("enrolment", record.programme_id, record.account_id), record)

    def enrolments_of(self, account_id: str) -> list[ProgrammeEnrolment]:
        rows = self._rows("account", account_id)
        return sorted(rows, key=lambda e: (e.enrolled_at, e.programme_id))

    def enrolments(self, programme_id: str) -> list[ProgrammeEnrolment]:
        rows = self._rows("programme", programme_id)
        return sorted(rows, key=lambda e: (e.enrolled_at, e.account_id))


TABLES = {"classes": _classes_table, "programmes": _programmes_table}
"""The memory storage's tables of this module, by ``Transaction`` attribute (factories)."""
VIEWS: dict[str, type[View[Any]]] = {"classes": ClassesView, "programmes": ProgrammesView}
"""The repository class of each of those attributes."""
