"""The storage contract of institutions: verifier fields, re-keying, an institution's activity,
and the audit of administrative actions — on memory, SQLite and PostgreSQL.

The fixtures are those of ``test_storage_contract.py`` (every storage adapter).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_storage_contract import NOW, storage  # noqa: F401 - the fixture every test takes

from siapkerja_core.disclosure import Verifier
from siapkerja_core.institutions import AuditRecord, VerifierKind, VerifierStatus
from siapkerja_core.ports import Storage, StorageError
from siapkerja_core.records import AccessRecord


def verifier(n: int, **fields: object) -> Verifier:
    return Verifier(
        id=f"ver-{n}",
        name=f"Instansi {n}",
        scopes=["karirhub"],
        created_at=NOW + timedelta(seconds=n),
        **fields,  # type: ignore[arg-type]
    )


def seen(n: int, *, verifier_id: str | None, minutes: int, account: str = "acct-1") -> AccessRecord:
    return AccessRecord(
        id=f"log-{n:04d}",
        account_id=account,
        at=NOW + timedelta(minutes=minutes),
        audience="anonymous" if verifier_id is None else "verifier",
        fields=("headline", "skills"),
        channel="link",
        purpose=None if verifier_id is None else "lamaran",
        verifier_id=verifier_id,
        verifier_name=None if verifier_id is None else "Instansi",
    )


def record(n: int, *, minutes: int = 0, **fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "id": f"audit-{n:04d}",
        "at": NOW + timedelta(minutes=minutes),
        "actor": "cli:admin",
        "action": "verifier.suspend",
        "target_kind": "verifier",
        "target_id": "ver-1",
        "reason": "Kunci bocor — diperiksa",
        "details": {"from": "active", "to": "suspended", "count": 2, "ok": True},
    }
    values.update(fields)
    return AuditRecord(**values)  # type: ignore[arg-type]


def test_a_verifiers_new_fields_are_kept(storage: Storage) -> None:  # noqa: F811
    full = verifier(
        1,
        kind=VerifierKind.DISNAKER,
        region_code="3273",
        contact="disnaker@bandung.go.id",
        status=VerifierStatus.SUSPENDED,
        key_rotated_at=NOW + timedelta(days=3),
    )
    with storage.transaction() as tx:
        tx.verifiers.add(full, "hash-1")
        tx.verifiers.add(verifier(2), "hash-2")
    with storage.transaction() as tx:
        assert tx.verifiers.get("ver-1") == full
        assert tx.verifiers.by_key("hash-1") == full
        assert tx.verifiers.get("ver-2") == verifier(2)
        assert tx.verifiers.get("ver-2").kind is VerifierKind.OTHER  # type: ignore[union-attr]
    retired = verifier(2, status=VerifierStatus.RETIRED, contact="https://bkk.example.id/kontak")
    with storage.transaction() as tx:
        tx.verifiers.put(retired)
    with storage.transaction() as tx:
        assert tx.verifiers.by_key("hash-2") == retired


def test_rekeying_replaces_the_key_hash_at_once(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.verifiers.add(verifier(1), "old")
    with storage.transaction() as tx:
        tx.verifiers.rekey("ver-1", "new")
        assert tx.verifiers.by_key("old") is None  # reads its own write
        assert tx.verifiers.by_key("new") == verifier(1)
    with storage.transaction() as tx:
        assert tx.verifiers.by_key("old") is None
        assert tx.verifiers.by_key("new") == verifier(1)
        tx.verifiers.put(verifier(1, status="suspended"))  # keeps the new hash
    with storage.transaction() as tx:
        assert tx.verifiers.by_key("new") == verifier(1, status="suspended")
    with pytest.raises(KeyError), storage.transaction() as tx:
        tx.verifiers.rekey("ver-9", "x")


def test_every_verifier_is_listed_oldest_first(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        assert tx.verifiers.list() == []
        tx.verifiers.add(verifier(3), "h3")
        tx.verifiers.add(verifier(1), "h1")
        assert [v.id for v in tx.verifiers.list()] == ["ver-1", "ver-3"]  # its own writes
    with storage.transaction() as tx:
        tx.verifiers.add(verifier(2, status="retired"), "h2")
    with storage.transaction() as tx:
        assert [v.id for v in tx.verifiers.list()] == ["ver-1", "ver-2", "ver-3"]


def test_an_institutions_activity_is_its_ledger_newest_first(storage: Storage) -> None:  # noqa: F811
    storage.log_access(seen(1, verifier_id="ver-1", minutes=1))
    storage.log_access(seen(2, verifier_id="ver-2", minutes=2))
    storage.log_access(seen(3, verifier_id=None, minutes=3))
    with storage.transaction() as tx:
        tx.access_log.append(seen(4, verifier_id="ver-1", minutes=4, account="acct-2"))
        tx.access_log.append(seen(5, verifier_id="ver-1", minutes=5))
        assert [r.id for r in tx.access_log.for_verifier("ver-1")] == [
            "log-0005",
            "log-0004",
            "log-0001",
        ]
    with storage.transaction() as tx:
        found = tx.access_log.for_verifier("ver-1")
        assert found[1] == seen(4, verifier_id="ver-1", minutes=4, account="acct-2")
        assert [r.id for r in tx.access_log.for_verifier("ver-1", limit=2)] == [
            "log-0005",
            "log-0004",
        ]
        since = NOW + timedelta(minutes=4)
        assert [r.id for r in tx.access_log.for_verifier("ver-1", since=since)] == [
            "log-0005",
            "log-0004",
        ]
        assert [r.id for r in tx.access_log.for_verifier("ver-2")] == ["log-0002"]
        assert tx.access_log.for_verifier("ver-9") == []
        assert len(tx.access_log.for_account("acct-1")) == 4  # the holder's ledger unchanged


def test_the_audit_keeps_records_and_lists_them_newest_first(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.audit.append(record(1, minutes=1, action="verifier.add", reason=None, details=None))
        tx.audit.append(record(2, minutes=2))
        assert [r.id for r in tx.audit.list()] == ["audit-0002", "audit-0001"]
    with storage.transaction() as tx:
        tx.audit.append(record(3, minutes=3, actor="verifier:abc", target_id="ver-2"))
        tx.audit.append(
            record(4, minutes=3, target_kind="event", target_id="jobfair", action="event.create")
        )
    with storage.transaction() as tx:
        everything = tx.audit.list()
        assert [r.id for r in everything] == [f"audit-{n:04d}" for n in (4, 3, 2, 1)]
        assert everything[2] == record(2, minutes=2)  # reason and details round-trip
        assert everything[3].details == {}
        assert everything[3].reason is None
        assert [r.id for r in tx.audit.list(target="ver-1")] == ["audit-0002", "audit-0001"]
        assert [r.id for r in tx.audit.list(actor="verifier:abc")] == ["audit-0003"]
        assert [r.id for r in tx.audit.list(target_kind="event")] == ["audit-0004"]
        assert [r.id for r in tx.audit.list(since=NOW + timedelta(minutes=2))] == [
            "audit-0004",
            "audit-0003",
            "audit-0002",
        ]
        assert [r.id for r in tx.audit.list(limit=1)] == ["audit-0004"]
        assert tx.audit.list(target="ver-1", actor="verifier:abc") == []


def test_an_audit_record_rolls_back_with_its_action(storage: Storage) -> None:  # noqa: F811
    class Boom(Exception):
        pass

    def act_then_fail() -> None:
        with storage.transaction() as tx:
            tx.verifiers.add(verifier(1), "h1")
            tx.audit.append(record(1))
            raise Boom

    with pytest.raises(Boom):
        act_then_fail()
    with storage.transaction() as tx:
        assert tx.audit.list() == []
        assert tx.verifiers.get("ver-1") is None


def test_the_audit_is_append_only(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.audit.append(record(1))
    with pytest.raises((ValueError, StorageError)), storage.transaction() as tx:
        tx.audit.append(record(1, reason="rewritten"))
    with storage.transaction() as tx:
        assert tx.audit.list() == [record(1)]
