"""Training classes and labour programmes in the ``sql`` storage (``tx.classes``,
``tx.programmes``): the class rows and their enrolments, the programme definitions
(their rules as JSON, read back through the core's parser) and the admissions.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, ClassVar, Final

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _json, _Repository, reads
from siapkerja_core.classes import ClassEnrolment, TrainingClass
from siapkerja_core.ports import ClassConflict, ProgrammeEnrolmentConflict
from siapkerja_core.programmes import Programme, ProgrammeEnrolment, parse_programme

__all__ = ["SqlClasses", "SqlProgrammes"]

_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "sk_classes": ("id",),
    "sk_class_enrolments": ("class_id", "account_id"),
    "sk_programmes": ("id",),
    "sk_programme_enrolments": ("programme_id", "account_id"),
}


@functools.cache
def _statements(dialect: str, table: Table) -> tuple[Executable, Executable]:
    """``(upsert, insert or nothing … RETURNING)`` of ``table`` in ``dialect`` (made once)."""
    insert: Callable[[Table], Any] = (
        pg_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert
    )
    keys = _KEYS[table.name]
    statement = insert(table)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
    )
    nothing = insert(table).on_conflict_do_nothing().returning(table.c[keys[0]])
    return upsert, nothing


_CL = sk.classes.c
_CE = sk.class_enrolments.c


class SqlClasses(_Repository):
    """``tx.classes``: training classes and their enrolments."""

    __slots__ = ()
    _GET: ClassVar = select(sk.classes).where(_CL.id == bindparam("id"))
    _FOR: ClassVar = (
        select(sk.classes)
        .where(_CL.institution_id == bindparam("institution_id"))
        .order_by(_CL.starts_on, _CL.id)
    )
    _ENROLMENT: ClassVar = (
        select(sk.class_enrolments)
        .where(_CE.class_id == bindparam("class_id"), _CE.account_id == bindparam("account_id"))
        .with_for_update()
    )
    _ENROLMENTS: ClassVar = (
        select(sk.class_enrolments)
        .where(_CE.class_id == bindparam("class_id"))
        .order_by(_CE.enrolled_at, _CE.account_id)
    )
    _ENROLMENTS_OF: ClassVar = (
        select(sk.class_enrolments)
        .where(_CE.account_id == bindparam("account_id"))
        .order_by(_CE.enrolled_at, _CE.class_id)
    )
    # A class row is locked while an enrolment is decided: capacity is counted under it.
    _GET_LOCKED: ClassVar = _GET.with_for_update()

    def get(self, class_id: str) -> TrainingClass | None:
        row = self._tx.run(self._GET_LOCKED, {"id": class_id}).first()
        return None if row is None else _class(row)

    def add(self, record: TrainingClass) -> None:
        _, nothing = _statements(self._storage.dialect, sk.classes)
        if self._tx.run(nothing, _class_params(record)).first() is None:
            raise ClassConflict(record.id)

    def put(self, record: TrainingClass) -> None:
        upsert, _ = _statements(self._storage.dialect, sk.classes)
        self._tx.run(upsert, _class_params(record))

    def for_institution(self, institution_id: str) -> list[TrainingClass]:
        rows = self._tx.run(self._FOR, {"institution_id": institution_id})
        return [_class(row) for row in rows]

    def enrolment(self, class_id: str, account_id: str) -> ClassEnrolment | None:
        params = {"class_id": class_id, "account_id": account_id}
        row = self._tx.run(self._ENROLMENT, params).first()
        return None if row is None else _enrolment(row)

    def put_enrolment(self, record: ClassEnrolment) -> None:
        upsert, _ = _statements(self._storage.dialect, sk.class_enrolments)
        self._tx.run(
            upsert,
            {
                "class_id": record.class_id,
                "account_id": record.account_id,
                "enrolled_at": record.enrolled_at,
                "withdrawn_at": record.withdrawn_at,
            },
        )

    def enrolments(self, class_id: str) -> list[ClassEnrolment]:
        rows = self._tx.run(self._ENROLMENTS, {"class_id": class_id})
        return [_enrolment(row) for row in rows]

    def enrolments_of(self, account_id: str) -> list[ClassEnrolment]:
        rows = self._tx.run(self._ENROLMENTS_OF, {"account_id": account_id})
        return [_enrolment(row) for row in rows]


def _class_params(record: TrainingClass) -> dict[str, Any]:
    return {
        "id": record.id,
        "institution_id": record.institution_id,
        "institution_kind": record.institution_kind.value,
        "name": record.name,
        "vocation": record.vocation,
        "kbji_code": record.kbji_code,
        "starts_on": record.starts_on,
        "ends_on": record.ends_on,
        "min_attendance": record.min_attendance,
        "capacity": record.capacity,
        "created_at": record.created_at,
    }


@reads(sk.classes)
def _class(row: Row[Any]) -> TrainingClass:
    return TrainingClass(
        id=row.id,
        institution_id=row.institution_id,
        institution_kind=row.institution_kind,
        name=row.name,
        vocation=row.vocation,
        kbji_code=row.kbji_code,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        min_attendance=row.min_attendance,
        capacity=row.capacity,
        created_at=row.created_at,
    )


@reads(sk.class_enrolments)
def _enrolment(row: Row[Any]) -> ClassEnrolment:
    return ClassEnrolment(
        class_id=row.class_id,
        account_id=row.account_id,
        enrolled_at=row.enrolled_at,
        withdrawn_at=row.withdrawn_at,
    )


_PR = sk.programmes.c
_PE = sk.programme_enrolments.c


class SqlProgrammes(_Repository):
    """``tx.programmes``: programme definitions and admissions."""

    __slots__ = ()
    _GET: ClassVar = select(sk.programmes).where(_PR.id == bindparam("id"))
    _ALL: ClassVar = select(sk.programmes).order_by(_PR.id)
    _ENROLMENT: ClassVar = select(sk.programme_enrolments).where(
        _PE.programme_id == bindparam("programme_id"), _PE.account_id == bindparam("account_id")
    )
    _ENROLMENTS_OF: ClassVar = (
        select(sk.programme_enrolments)
        .where(_PE.account_id == bindparam("account_id"))
        .order_by(_PE.enrolled_at, _PE.programme_id)
    )
    _ENROLMENTS: ClassVar = (
        select(sk.programme_enrolments)
        .where(_PE.programme_id == bindparam("programme_id"))
        .order_by(_PE.enrolled_at, _PE.account_id)
    )

    def get(self, programme_id: str) -> Programme | None:
        row = self._tx.run(self._GET, {"id": programme_id}).first()
        return None if row is None else _programme(row)

    def put(self, record: Programme) -> None:
        upsert, _ = _statements(self._storage.dialect, sk.programmes)
        self._tx.run(
            upsert,
            {
                "id": record.id,
                "name": record.name,
                "definition": _json(record.as_data()),
                "owner_id": record.owner_id,
                "public": record.public,
                "created_at": record.created_at,
            },
        )

    def all(self) -> list[Programme]:
        return [_programme(row) for row in self._tx.run(self._ALL)]

    def enrolment(self, programme_id: str, account_id: str) -> ProgrammeEnrolment | None:
        params = {"programme_id": programme_id, "account_id": account_id}
        row = self._tx.run(self._ENROLMENT, params).first()
        return None if row is None else _programme_enrolment(row)

    def add_enrolment(self, record: ProgrammeEnrolment) -> None:
        _, nothing = _statements(self._storage.dialect, sk.programme_enrolments)
        params = {
            "programme_id": record.programme_id,
            "account_id": record.account_id,
            "exclusion_group": record.exclusion_group,
            "enrolled_at": record.enrolled_at,
            "event_id": record.event_id,
        }
        if self._tx.run(nothing, params).first() is None:
            raise ProgrammeEnrolmentConflict(record.programme_id)

    def enrolments_of(self, account_id: str) -> list[ProgrammeEnrolment]:
        rows = self._tx.run(self._ENROLMENTS_OF, {"account_id": account_id})
        return [_programme_enrolment(row) for row in rows]

    def enrolments(self, programme_id: str) -> list[ProgrammeEnrolment]:
        rows = self._tx.run(self._ENROLMENTS, {"programme_id": programme_id})
        return [_programme_enrolment(row) for row in rows]


@reads(sk.programmes)
def _programme(row: Row[Any]) -> Programme:
    # Stored from Programme.as_data(), so the core's parser reads it back as it was.
    return parse_programme(
        json.loads(row.definition), owner_id=row.owner_id, created_at=row.created_at
    )


@reads(sk.programme_enrolments)
def _programme_enrolment(row: Row[Any]) -> ProgrammeEnrolment:
    return ProgrammeEnrolment(
        programme_id=row.programme_id,
        account_id=row.account_id,
        exclusion_group=row.exclusion_group,
        enrolled_at=row.enrolled_at,
        event_id=row.event_id,
    )
