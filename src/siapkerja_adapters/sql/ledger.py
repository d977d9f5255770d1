"""Who may see what, and who saw: verifiers, consents, the access ledger and the
check-ins of access-code scans in the ``sql`` storage.
"""

from __future__ import annotations

import builtins
import functools
import json
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, func, or_, select, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _json, _Repository, reads
from siapkerja_core.disclosure import Verifier
from siapkerja_core.ports import CheckInConflict
from siapkerja_core.records import ACCESS_CHANNELS, AccessRecord, ConsentRecord, LedgerCursor
from siapkerja_core.station import CheckIn

_V = sk.verifiers.c


class _Verifiers(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.verifiers).where(_V.id == bindparam("value"))
    _BY_KEY: ClassVar = select(sk.verifiers).where(_V.key_hash == bindparam("value"))
    _UPDATE: ClassVar = update(sk.verifiers).where(_V.id == bindparam("b_id"))
    _REKEY: ClassVar = (
        update(sk.verifiers)
        .where(_V.id == bindparam("b_id"))
        .values(key_hash=bindparam("key_hash"))
    )
    _ALL: ClassVar = select(sk.verifiers).order_by(_V.created_at, _V.id)

    def get(self, verifier_id: str) -> Verifier | None:
        row = self._tx.fetch(self._GET, {"value": verifier_id}).first()
        return None if row is None else _verifier(row)

    def by_key(self, key_hash: str) -> Verifier | None:
        row = self._tx.run(self._BY_KEY, {"value": key_hash}).first()
        return None if row is None else _verifier(row)

    def add(self, verifier: Verifier, key_hash: str) -> None:
        self._tx.run(
            self._storage.upserts["verifiers"], {**_verifier_params(verifier), "key_hash": key_hash}
        )

    def put(self, verifier: Verifier) -> None:
        values = {k: v for k, v in _verifier_params(verifier).items() if k != "id"}
        if not self._tx.run(self._UPDATE, {**values, "b_id": verifier.id}).rowcount:
            raise KeyError(verifier.id)

    def rekey(self, verifier_id: str, key_hash: str) -> None:
        if not self._tx.run(self._REKEY, {"b_id": verifier_id, "key_hash": key_hash}).rowcount:
            raise KeyError(verifier_id)

    def list(self) -> builtins.list[Verifier]:
        return [_verifier(row) for row in self._tx.run(self._ALL)]


def _verifier_params(verifier: Verifier) -> dict[str, Any]:
    return {
        "id": verifier.id,
        "name": verifier.name,
        "scopes": _json(sorted(verifier.scopes)),
        "created_at": verifier.created_at,
        "active": verifier.active,
        "kind": verifier.kind.value,
        "region_code": verifier.region_code,
        "contact": verifier.contact,
        "status": verifier.status.value,
        "key_rotated_at": verifier.key_rotated_at,
    }


@reads(sk.verifiers)
def _verifier(row: Row[Any]) -> Verifier:
    return Verifier(
        id=row.id,
        name=row.name,
        scopes=frozenset(json.loads(row.scopes)),
        created_at=row.created_at,
        kind=row.kind,
        region_code=row.region_code,
        contact=row.contact,
        status=row.status,
        key_rotated_at=row.key_rotated_at,
    )


_CO = sk.consents.c


class _Consents(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.consents).where(_CO.id == bindparam("id")).with_for_update()
    _FOR: ClassVar = (
        select(sk.consents)
        .where(_CO.account_id == bindparam("account_id"))
        .order_by(_CO.granted_at, _CO.id)
    )

    def get(self, consent_id: str) -> ConsentRecord | None:
        row = self._tx.run(self._GET, {"id": consent_id}).first()
        return None if row is None else _consent(row)

    def put(self, record: ConsentRecord) -> None:
        self._tx.run(
            self._storage.upserts["consents"],
            {
                "id": record.id,
                "account_id": record.account_id,
                "verifier_id": record.verifier_id,
                "purpose": record.purpose,
                "fields": None if record.fields is None else _json(sorted(record.fields)),
                "granted_at": record.granted_at,
                "withdrawn_at": record.withdrawn_at,
            },
        )

    def for_account(self, account_id: str) -> list[ConsentRecord]:
        return [_consent(row) for row in self._tx.fetch(self._FOR, {"account_id": account_id})]


@reads(sk.consents)
def _consent(row: Row[Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        account_id=row.account_id,
        verifier_id=row.verifier_id,
        purpose=row.purpose,
        fields=None if row.fields is None else frozenset(json.loads(row.fields)),
        granted_at=row.granted_at,
        withdrawn_at=row.withdrawn_at,
    )


_L = sk.access_log.c
_LOG_INSERT: Final = sk.access_log.insert()


@functools.lru_cache(maxsize=256)
def _fields_json(fields: tuple[str, ...]) -> str:
    # A scan's disclosed fields are one of a few tuples (the public view's, a scope's):
    # encoded once each, not on every scan.
    return _json(list(fields))


def _access_params(record: AccessRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "at": record.at,
        "audience": str(record.audience),
        "fields": _fields_json(tuple(record.fields)),
        "channel": record.channel,
        "purpose": record.purpose,
        "verifier_id": record.verifier_id,
        "verifier_name": record.verifier_name,
        "viewer_account_id": record.viewer_account_id,
    }


@functools.lru_cache(maxsize=256)
def _fields_of(document: str) -> tuple[str, ...]:
    # The inverse of _fields_json: a page of the ledger holds a few distinct documents
    # many times over, each decoded once (the tuple is immutable, so shared safely).
    fields = json.loads(document)
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise ValueError("an access record's fields are a list of names")  # storage.corrupt
    return tuple(fields)


@reads(sk.access_log)
def _access_record(row: Row[Any]) -> AccessRecord:
    if row.channel not in ACCESS_CHANNELS:  # a value only a hand or a disk fault writes
        raise ValueError("an access record's channel")  # storage.corrupt, never the value
    return AccessRecord(
        id=row.id,
        account_id=row.account_id,
        at=row.at,
        audience=row.audience,
        fields=_fields_of(row.fields),
        channel=row.channel,
        purpose=row.purpose,
        verifier_id=row.verifier_id,
        verifier_name=row.verifier_name,
        viewer_account_id=row.viewer_account_id,
    )


class _AccessLog(_Repository):
    __slots__ = ()
    _FOR: ClassVar = (
        select(sk.access_log).where(_L.account_id == bindparam("account_id")).order_by(_L.at, _L.id)
    )
    # A page of the holder's ledger, newest first, read backwards on the (account_id, at)
    # index and stopped at ``limit``; the next page starts strictly after the last row
    # shown, in (at, id) order. ``at <= before_at`` bounds the index range, the rest of
    # the condition breaks the tie between entries of the same instant.
    _NEWEST: ClassVar = (
        select(sk.access_log)
        .where(_L.account_id == bindparam("account_id"))
        .order_by(_L.at.desc(), _L.id.desc())
        .limit(bindparam("limit"))
    )
    _NEWEST_BEFORE: ClassVar = (
        select(sk.access_log)
        .where(
            _L.account_id == bindparam("account_id"),
            _L.at <= bindparam("before_at", type_=_L.at.type),
            or_(
                _L.at < bindparam("before_at", type_=_L.at.type),
                _L.id < bindparam("before_id"),
            ),
        )
        .order_by(_L.at.desc(), _L.id.desc())
        .limit(bindparam("limit"))
    )
    # Newest first, on ix_sk_access_log_verifier_id_at. That index is partial (WHERE
    # verifier_id IS NOT NULL): `verifier_id = :x` implies it; a condition that did not
    # (IS NOT DISTINCT FROM, an OR) would scan the ledger.
    _FOR_VERIFIER: ClassVar = (
        select(sk.access_log)
        .where(_L.verifier_id == bindparam("verifier_id"), _L.at >= bindparam("since"))
        .order_by(_L.at.desc(), _L.id.desc())
        .limit(bindparam("limit"))
    )

    def append(self, record: AccessRecord) -> None:
        self._tx.run(_LOG_INSERT, _access_params(record))

    def for_account(self, account_id: str) -> list[AccessRecord]:
        return [_access_record(row) for row in self._tx.run(self._FOR, {"account_id": account_id})]

    def newest_for_account(
        self, account_id: str, *, limit: int, before: LedgerCursor | None = None
    ) -> list[AccessRecord]:
        if before is None:
            params: dict[str, Any] = {"account_id": account_id, "limit": max(limit, 0)}
            return [_access_record(row) for row in self._tx.fetch(self._NEWEST, params)]
        params = {
            "account_id": account_id,
            "limit": max(limit, 0),
            "before_at": before.at,
            "before_id": before.id,
        }
        return [_access_record(row) for row in self._tx.fetch(self._NEWEST_BEFORE, params)]

    def for_verifier(
        self, verifier_id: str, *, since: datetime | None = None, limit: int = 100
    ) -> list[AccessRecord]:
        params = {
            "verifier_id": verifier_id,
            "since": since if since is not None else _EPOCH,
            "limit": limit,
        }
        return [_access_record(row) for row in self._tx.run(self._FOR_VERIFIER, params)]


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


_K = sk.check_ins.c


class _CheckIns(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.check_ins).where(
        _K.card_ref == bindparam("card_ref"), _K.event_id == bindparam("event_id")
    )
    _FOR: ClassVar = (
        select(sk.check_ins)
        .where(_K.event_id == bindparam("event_id"))
        .order_by(_K.checked_in_at, _K.card_ref)
    )
    # Answered from the (event_id, checked_in_at) index alone, no row decoded.
    _COUNT: ClassVar = (
        select(func.count()).select_from(sk.check_ins).where(_K.event_id == bindparam("event_id"))
    )

    def get(self, card_ref: int, event_id: str) -> CheckIn | None:
        if not 0 <= card_ref < 2**64:
            return None
        row = self._tx.run(self._GET, {"card_ref": card_ref, "event_id": event_id}).first()
        return None if row is None else _check_in(row)

    def add(self, check_in: CheckIn) -> None:
        params = _check_in_params(check_in)
        if self._tx.run(self._storage.insert_nothing["check_ins"], params).first() is None:
            raise CheckInConflict(check_in.event_id)

    def replace(self, check_in: CheckIn) -> None:
        self._tx.run(self._storage.upserts["check_ins"], _check_in_params(check_in))

    def for_event(self, event_id: str) -> list[CheckIn]:
        return [_check_in(row) for row in self._tx.run(self._FOR, {"event_id": event_id})]

    def count(self, event_id: str) -> int:
        return int(self._tx.run(self._COUNT, {"event_id": event_id}).scalar_one())


def _check_in_params(check_in: CheckIn) -> dict[str, Any]:
    return {
        "card_ref": check_in.card_ref,
        "event_id": check_in.event_id,
        "station_id": check_in.station_id,
        "checked_in_at": check_in.checked_in_at,
        "step": check_in.step,
        "kid": check_in.kid,
    }


@reads(sk.check_ins)
def _check_in(row: Row[Any]) -> CheckIn:
    return CheckIn.record(
        card_ref=row.card_ref,
        event_id=row.event_id,
        station_id=row.station_id,
        checked_in_at=row.checked_in_at,
        step=row.step,
        kid=row.kid,
    )
