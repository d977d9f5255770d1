"""The storage contract of training classes and programmes (``tx.classes``, ``tx.programmes``).

Run on every storage adapter of ``test_storage_contract.py`` (memory, SQLite,
SQLite in memory, PostgreSQL): what the class and programme services rely on —
records read back equal, a transaction that fails writes nothing, one
enrolment per (class, holder) and one admission per (programme, holder), and
the listings in their documented order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from test_storage_contract import storage  # type: ignore[import-not-found]  # noqa: F401

from siapkerja_core.classes import ClassEnrolment, InstitutionKind, TrainingClass
from siapkerja_core.ports import ClassConflict, ProgrammeEnrolmentConflict, Storage
from siapkerja_core.profile import EmploymentStatus
from siapkerja_core.programmes import (
    AgeBetween,
    EmploymentStatusIn,
    Manual,
    NotEnrolled,
    ProfileComplete,
    Programme,
    ProgrammeEnrolment,
    RegionIn,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def a_class(class_id: str = "BLK-LAS-01", institution: str = "blk-1", **changes: object):
    values: dict[str, object] = {
        "id": class_id,
        "name": "Teknik Las SMAW, angkatan I",
        "institution_id": institution,
        "institution_kind": InstitutionKind.UPTD,
        "vocation": "Teknik Las",
        "kbji_code": "7212",
        "starts_on": date(2027, 1, 4),
        "ends_on": date(2027, 2, 26),
        "min_attendance": 80,
        "capacity": 16,
        "created_at": NOW,
    }
    values.update(changes)
    return TrainingClass(**values)  # type: ignore[arg-type]


def a_programme(programme_id: str = "prakerja") -> Programme:
    return Programme(
        id=programme_id,
        name="Kartu Prakerja",
        description="Pelatihan dan insentif",
        source="Perpres 36/2020",
        exclusion_group="prakerja",
        requirements=(
            ProfileComplete(),
            AgeBetween(min=18),
            EmploymentStatusIn(statuses=(EmploymentStatus.TIDAK_BEKERJA, EmploymentStatus.PHK)),
            RegionIn(codes=("31", "3273"), address="domicile"),
            NotEnrolled(groups=("prakerja",)),
            Manual(key="not_asn", text_id="Bukan ASN", text_en="Not a civil servant"),
        ),
        owner_id="admin-1",
        created_at=NOW,
    )


def test_a_class_reads_back_equal_and_its_id_is_unique(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.classes.add(a_class())
    with storage.transaction() as tx:
        assert tx.classes.get("BLK-LAS-01") == a_class()
        assert tx.classes.get("BLK-LAS-02") is None
        with pytest.raises(ClassConflict):
            tx.classes.add(a_class(name="Another"))
    with storage.transaction() as tx:
        tx.classes.put(a_class(capacity=20, kbji_code=None))
    with storage.transaction() as tx:
        stored = tx.classes.get("BLK-LAS-01")
        assert stored is not None
        assert (stored.capacity, stored.kbji_code) == (20, None)


def test_an_institution_lists_its_own_classes_by_start(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.classes.add(a_class("B", starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 2)))
        tx.classes.add(a_class("A", starts_on=date(2027, 5, 1), ends_on=date(2027, 5, 2)))
        tx.classes.add(a_class("C", institution="lpk-9"))
        # Its own writes, before the commit:
        assert [c.id for c in tx.classes.for_institution("blk-1")] == ["B", "A"]
    with storage.transaction() as tx:
        assert [c.id for c in tx.classes.for_institution("blk-1")] == ["B", "A"]
        assert [c.id for c in tx.classes.for_institution("lpk-9")] == ["C"]
        assert tx.classes.for_institution("nobody") == []


def test_enrolments_one_per_pair_kept_when_withdrawn(storage: Storage) -> None:  # noqa: F811
    first = ClassEnrolment(class_id="K", account_id="acct-1", enrolled_at=NOW)
    second = ClassEnrolment(class_id="K", account_id="acct-2", enrolled_at=NOW + timedelta(1))
    elsewhere = ClassEnrolment(class_id="L", account_id="acct-1", enrolled_at=NOW)
    with storage.transaction() as tx:
        for record in (second, first, elsewhere):
            tx.classes.put_enrolment(record)
    with storage.transaction() as tx:
        tx.classes.put_enrolment(first.withdrawn(NOW + timedelta(2)))
    with storage.transaction() as tx:
        assert tx.classes.enrolments("K") == [first.withdrawn(NOW + timedelta(2)), second]
        assert tx.classes.enrolment("K", "acct-1") == first.withdrawn(NOW + timedelta(2))
        assert tx.classes.enrolment("K", "acct-3") is None
        assert tx.classes.enrolments_of("acct-1") == [
            first.withdrawn(NOW + timedelta(2)),
            elsewhere,
        ]


def test_a_failing_transaction_enrols_no_one(storage: Storage) -> None:  # noqa: F811
    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.classes.add(a_class())
            enrolment = ClassEnrolment(class_id="BLK-LAS-01", account_id="a", enrolled_at=NOW)
            tx.classes.put_enrolment(enrolment)
            tx.programmes.put(a_programme())
            raise RuntimeError("the request failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.classes.get("BLK-LAS-01") is None
        assert tx.classes.enrolments("BLK-LAS-01") == []
        assert tx.programmes.get("prakerja") is None


def test_a_programme_reads_back_with_its_rules(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.programmes.put(a_programme("prakerja"))
        tx.programmes.put(a_programme("bsu-2025"))
    with storage.transaction() as tx:
        stored = tx.programmes.get("prakerja")
        assert stored == a_programme("prakerja")
        assert stored is not None
        assert stored.owner_id == "admin-1"
        assert stored.created_at == NOW
        assert [p.id for p in tx.programmes.all()] == ["bsu-2025", "prakerja"]
        assert tx.programmes.get("jkp") is None


def test_one_admission_per_programme_and_holder(storage: Storage) -> None:  # noqa: F811
    admitted = ProgrammeEnrolment(
        programme_id="prakerja",
        account_id="acct-1",
        enrolled_at=NOW,
        exclusion_group="prakerja",
        event_id="PRAKERJA-GEL-70",
    )
    with storage.transaction() as tx:
        tx.programmes.add_enrolment(admitted)
        tx.programmes.add_enrolment(
            ProgrammeEnrolment(
                programme_id="jkp", account_id="acct-1", enrolled_at=NOW + timedelta(1)
            )
        )
    with storage.transaction() as tx, pytest.raises(ProgrammeEnrolmentConflict):
        tx.programmes.add_enrolment(admitted)
    with storage.transaction() as tx:
        assert tx.programmes.enrolment("prakerja", "acct-1") == admitted
        assert tx.programmes.enrolment("prakerja", "acct-2") is None
        assert [e.programme_id for e in tx.programmes.enrolments_of("acct-1")] == [
            "prakerja",
            "jkp",
        ]
        assert tx.programmes.enrolments("prakerja") == [admitted]
