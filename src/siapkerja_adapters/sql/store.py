"""The ``sql`` storage adapter: the storage port on SQLAlchemy Core (SQLite, PostgreSQL).

:class:`SqlStorage` keeps the port's whole contract
(``tests/contract/test_storage_contract.py``):

* ``with storage.transaction() as tx:`` is one database transaction on one
  pooled connection: it commits when the block ends normally and rolls back
  when it raises. Transactions do not nest within a thread (as in memory).
* **Isolation.** SQLite: every unit of work starts with ``BEGIN IMMEDIATE``
  (WAL mode), so writers are serialised by the database lock and a
  read-then-write never loses an update. PostgreSQL: ``READ COMMITTED`` plus
  row locks — the repositories whose rows the same transaction goes on to
  update read them ``FOR UPDATE`` (registrations, OTP challenges, password
  resets, accounts by id, consents), and the keyring is read under an
  advisory transaction lock, so two racing confirmations of one code, or two
  processes creating the first keyring, queue instead of both winning.
  Chosen over ``SERIALIZABLE``: a unit of work is caller code inside a
  ``with`` block and cannot be replayed by the adapter on a serialisation failure.
* **One active account per NIK, e-mail and phone** is held by partial unique
  indexes on their blind indexes (``WHERE active``). ``accounts.add`` inserts
  with ``ON CONFLICT DO NOTHING`` and, when nothing was inserted, looks up
  which identifier is taken: of N racing additions exactly one succeeds and
  the others get :class:`~siapkerja_core.ports.AccountConflict` — and the
  transaction stays usable (no aborted transaction on PostgreSQL).
* **Failures** of the database (unreachable, closed, disk full, a lost
  connection) raise :class:`~siapkerja_core.ports.StorageError`, never a
  driver exception; the transaction is rolled back.
* **Personal data at rest** is encrypted (:mod:`.crypto`): NIK, full name,
  e-mail and phone of registrations and accounts, the phone of OTP
  challenges, whole profiles and the token keyring. Lookups by NIK, e-mail
  or phone go through keyed blind indexes.

``scan_subject`` answers a QR scan with one query (card, account and profile
joined); ``log_access`` and the counters are single statements committed on
their own. :attr:`SqlStorage.counters` are fixed-window counters in a table
(the ``ratelimit = "storage"`` adapter), atomic across processes through
``INSERT … ON CONFLICT DO UPDATE … RETURNING``.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from sqlalchemy import (
    Engine,
    Row,
    Table,
    bindparam,
    case,
    delete,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.crypto import BlindIndex, FieldCipher, KeyMaterial
from siapkerja_adapters.sql.engine import (
    BEGIN_OPTION,
    create_sql_engine,
    is_memory_sqlite,
    normalise_url,
)
from siapkerja_core.converter import structure_stored_profile, unstructure
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import Message
from siapkerja_core.model import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
    PasswordResetRecord,
    RegistrationRecord,
    RegistrationStatus,
    SessionRecord,
)
from siapkerja_core.ports import (
    AccountConflict,
    CardConflict,
    CardHolder,
    CheckInConflict,
    ScanSubject,
    StorageError,
)
from siapkerja_core.profile import Profile
from siapkerja_core.station import CheckIn
from siapkerja_core.tokens import Keyring

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

__all__ = ["SchemaNotReady", "SqlCounters", "SqlStorage", "SqlTransaction"]

logger = logging.getLogger("siapkerja.storage.sql")

Field = Literal["nik", "email", "phone"]
_FIELDS: Final[tuple[Field, ...]] = ("nik", "email", "phone")
_INDEX_KEY_NAME: Final = "blind_index_key"
_KEYRING_NAME: Final = "current"
_KEYRING_LOCK: Final = 0x5349_4150_4B52_4E47  # "SIAPKRNG": advisory lock of the keyring row
_PROFILE_CACHE_MAX_BLOB: Final = 64 * 1024


class SchemaNotReady(StorageError):
    """The database has no tables yet, or an older schema: run ``siapkerja db upgrade``."""

    domain = "storage"
    messages: ClassVar[Mapping[str, Message]] = {
        "not_migrated": (
            "Skema basis data belum dibuat atau sudah usang: jalankan `siapkerja db upgrade`.",
            "The database schema is missing or outdated: run `siapkerja db upgrade`.",
        ),
    }


def _storage_error(error: BaseException) -> StorageError:
    """A driver or SQLAlchemy failure as the port's typed error (the cause stays chained)."""
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    message = str(original if original is not None else error)
    if sqlstate == "42P01" or "no such table" in message:
        return SchemaNotReady("not_migrated")
    logger.warning("storage failure: %s", type(original or error).__name__)
    return StorageError("unavailable")


def _context(table: Table, column: str, key: object) -> bytes:
    """The associated data binding a ciphertext to its table, column and row."""
    return f"{table.name}\x00{column}\x00{key}".encode()


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iso_list(moments: Sequence[datetime]) -> str:
    return _json([moment.astimezone(UTC).isoformat() for moment in moments])


# --------------------------------------------------------------------------------------
# The transaction and its repositories
# --------------------------------------------------------------------------------------


class _Repository:
    __slots__ = ("_storage", "_tx")

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self._storage = tx.storage


class _Registrations(_Repository):
    __slots__ = ()
    _GET: ClassVar = (
        select(sk.registrations).where(sk.registrations.c.id == bindparam("id")).with_for_update()
    )

    def get(self, registration_id: str) -> RegistrationRecord | None:
        row = self._tx.run(self._GET, {"id": registration_id}).first()
        return None if row is None else self._storage._registration(row)

    def put(self, record: RegistrationRecord) -> None:
        cipher = self._storage.cipher
        pii = {
            "nik": record.nik,
            "full_name": record.full_name,
            "email": record.email,
            "phone": record.phone,
        }
        self._tx.run(
            self._storage.upserts["registrations"],
            {
                "id": record.id,
                "status": record.status.value,
                "pii": cipher.encrypt_json(pii, _context(sk.registrations, "pii", record.id)),
                "password_hash": record.password_hash,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
                "account_id": record.account_id,
            },
        )


class _Challenges(_Repository):
    __slots__ = ()
    _GET: ClassVar = (
        select(sk.challenges).where(sk.challenges.c.subject_id == bindparam("id")).with_for_update()
    )

    def get(self, subject_id: str) -> OtpChallenge | None:
        row = self._tx.run(self._GET, {"id": subject_id}).first()
        return None if row is None else self._storage._challenge(row)

    def put(self, challenge: OtpChallenge) -> None:
        context = _context(sk.challenges, "phone", challenge.subject_id)
        self._tx.run(
            self._storage.upserts["challenges"],
            {
                "subject_id": challenge.subject_id,
                "purpose": challenge.purpose.value,
                "phone": self._storage.cipher.encrypt(challenge.phone.encode("utf-8"), context),
                "code_hash": challenge.code_hash,
                "generation": challenge.generation,
                "issued_at": challenge.issued_at,
                "expires_at": challenge.expires_at,
                "attempts": challenge.attempts,
                "used": challenge.used,
                "resends": challenge.resends,
                "sent_at": _iso_list(challenge.sent_at),
                "delivered": challenge.delivered,
                "last_failure": challenge.last_failure,
            },
        )


_A = sk.accounts.c


class _Accounts(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.accounts).where(_A.id == bindparam("id")).with_for_update()
    _EXISTS: ClassVar = select(_A.id).where(_A.id == bindparam("id"))
    _FIND: ClassVar = {
        field: select(sk.accounts).where(
            _A[f"{field}_index"] == bindparam("value"), _A.active == true()
        )
        for field in _FIELDS
    }
    _TAKEN: ClassVar = select(_A.id, _A.nik_index, _A.email_index, _A.phone_index).where(
        _A.active == true(),
        or_(
            _A.nik_index == bindparam("nik_index"),
            _A.email_index == bindparam("email_index"),
            _A.phone_index == bindparam("phone_index"),
        ),
    )
    _IDS: ClassVar = select(_A.id).order_by(_A.id).limit(bindparam("limit"))
    _IDS_AFTER: ClassVar = (
        select(_A.id).where(_A.id > bindparam("after")).order_by(_A.id).limit(bindparam("limit"))
    )
    # Without .values(): the SET clause is the columns named in the parameters.
    _UPDATE: ClassVar = update(sk.accounts).where(_A.id == bindparam("b_id"))

    def get(self, account_id: str) -> AccountRecord | None:
        row = self._tx.run(self._GET, {"id": account_id}).first()
        return None if row is None else self._storage._account(row)

    def find(
        self, *, nik: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountRecord | None:
        options: tuple[tuple[Field, str | None], ...] = (
            ("nik", nik),
            ("email", email),
            ("phone", phone),
        )
        given = [(f, v) for f, v in options if v]
        if len(given) != 1:
            raise ValueError("find() takes exactly one of nik, email, phone")
        field, value = given[0]
        index = self._storage.blind_index(field, value)
        row = self._tx.run(self._FIND[field], {"value": index}).first()
        return None if row is None else self._storage._account(row)

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Account ids in ascending (byte) order after ``after``: keyset pagination."""
        if limit <= 0:
            return []
        if after is None:
            rows = self._tx.run(self._IDS, {"limit": limit})
        else:
            rows = self._tx.run(self._IDS_AFTER, {"after": after, "limit": limit})
        return [row.id for row in rows]

    def _taken(self, params: Mapping[str, Any], own_id: str | None) -> Field | None:
        """The first identifier (NIK, e-mail, phone) an active account other than ``own_id`` has."""
        rows = self._tx.run(self._TAKEN, params).all()
        for field in _FIELDS:
            column = f"{field}_index"
            if any(row.id != own_id and row._mapping[column] == params[column] for row in rows):
                return field
        return None

    def add(self, record: AccountRecord) -> None:
        params = self._storage._account_params(record)
        if not record.active and (field := self._taken(params, None)) is not None:
            raise AccountConflict(field)
        for _ in range(3):
            if self._tx.run(self._storage.insert_nothing["accounts"], params).first():
                return
            if self._tx.run(self._EXISTS, {"id": record.id}).first() is not None:
                raise ValueError(f"account {record.id!r} exists")
            field = self._taken(params, None)
            if field is not None:
                raise AccountConflict(field)
            # The conflicting row went away between the insert and the lookup: try again.
        raise StorageError("unavailable")

    def put(self, record: AccountRecord) -> None:
        params = self._storage._account_params(record)
        if self._tx.run(self._EXISTS, {"id": record.id}).first() is None:
            raise KeyError(record.id)
        if record.active and (field := self._taken(params, record.id)) is not None:
            raise AccountConflict(field)
        try:
            with self._tx.savepoint():
                values = {k: v for k, v in params.items() if k != "id"}
                self._tx.conn.execute(self._UPDATE, {**values, "b_id": record.id})
        except IntegrityError as error:  # a racing transaction took an identifier meanwhile
            field = _violated_field(error)
            if field is None:
                raise _storage_error(error) from error
            raise AccountConflict(field) from None
        except SQLAlchemyError as error:
            raise _storage_error(error) from error


def _violated_field(error: IntegrityError) -> Field | None:
    original = error.orig
    diag = getattr(original, "diag", None)
    described = f"{getattr(diag, 'constraint_name', '') or ''} {original}"
    for field in _FIELDS:
        if f"uq_sk_accounts_{field}_active" in described or f"{field}_index" in described:
            return field
    return None


_S = sk.sessions.c


class _Sessions(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.sessions).where(_S.id == bindparam("id"))
    _DELETE: ClassVar = delete(sk.sessions).where(_S.id == bindparam("id"))
    _DELETE_FOR: ClassVar = delete(sk.sessions).where(_S.account_id == bindparam("account_id"))

    def add(self, record: SessionRecord) -> None:
        self._tx.run(
            self._storage.upserts["sessions"],
            {
                "id": record.id,
                "account_id": record.account_id,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
            },
        )

    def get(self, session_id: str) -> SessionRecord | None:
        row = self._tx.run(self._GET, {"id": session_id}).first()
        if row is None:
            return None
        return SessionRecord(
            id=row.id,
            account_id=row.account_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def delete(self, session_id: str) -> None:
        self._tx.run(self._DELETE, {"id": session_id})

    def delete_for_account(self, account_id: str) -> int:
        return int(self._tx.run(self._DELETE_FOR, {"account_id": account_id}).rowcount)


class _Resets(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.resets).where(sk.resets.c.id == bindparam("id")).with_for_update()

    def get(self, request_id: str) -> PasswordResetRecord | None:
        row = self._tx.run(self._GET, {"id": request_id}).first()
        if row is None:
            return None
        return PasswordResetRecord(
            id=row.id,
            account_id=row.account_id,
            generation=row.generation,
            created_at=row.created_at,
            expires_at=row.expires_at,
            used=row.used,
        )

    def put(self, record: PasswordResetRecord) -> None:
        self._tx.run(
            self._storage.upserts["resets"],
            {
                "id": record.id,
                "account_id": record.account_id,
                "generation": record.generation,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
                "used": record.used,
            },
        )


class _Profiles(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.profiles.c.data).where(
        sk.profiles.c.account_id == bindparam("account_id")
    )

    def get(self, account_id: str) -> Profile | None:
        row = self._tx.run(self._GET, {"account_id": account_id}).first()
        return None if row is None else self._storage._profile(account_id, row.data)

    def put(self, account_id: str, profile: Profile) -> None:
        data = self._storage.cipher.encrypt_json(
            unstructure(profile), _context(sk.profiles, "data", account_id)
        )
        self._tx.run(self._storage.upserts["profiles"], {"account_id": account_id, "data": data})


_C = sk.cards.c


class _Cards(_Repository):
    __slots__ = ()
    _BY: ClassVar = {
        column: select(sk.cards).where(_C[column] == bindparam("value"))
        for column in ("account_id", "card_ref", "number")
    }

    def _one(self, column: str, value: object) -> CardRecord | None:
        row = self._tx.run(self._BY[column], {"value": value}).first()
        return None if row is None else _card(row)

    def get(self, account_id: str) -> CardRecord | None:
        return self._one("account_id", account_id)

    def by_ref(self, card_ref: int) -> CardRecord | None:
        if not 0 <= card_ref < 2**64:
            return None
        return self._one("card_ref", card_ref)

    def by_number(self, number: str) -> CardRecord | None:
        return self._one("number", number)

    def add(self, record: CardRecord) -> None:
        if self._tx.run(self._storage.insert_nothing["cards"], _card_params(record)).first():
            return
        if self.by_ref(record.card_ref) is not None or self.by_number(record.number):
            raise CardConflict(record.number)
        if self.get(record.account_id) is not None:
            raise ValueError(f"account {record.account_id!r} already has a card")
        raise ValueError(f"card {record.id!r} exists")

    def add_many(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        """One multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` for the lot."""
        if not records:
            return []
        rows = self._tx.run(
            self._storage.insert_nothing["cards"], [_card_params(r) for r in records]
        )
        inserted = {row.id for row in rows}
        return [record for record in records if record.id not in inserted]

    def put(self, record: CardRecord) -> None:
        self._tx.run(self._storage.upserts["cards"], _card_params(record))


def _card_params(record: CardRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "number": record.number,
        "card_ref": record.card_ref,
        "version": record.version,
        "issued_at": record.issued_at,
        "updated_at": record.updated_at,
        "revoked_at": record.revoked_at,
    }


def _card(row: Any) -> CardRecord:
    return CardRecord(
        id=row.id,
        account_id=row.account_id,
        number=row.number,
        card_ref=row.card_ref,
        version=row.version,
        issued_at=row.issued_at,
        updated_at=row.updated_at,
        revoked_at=row.revoked_at,
    )


_V = sk.verifiers.c


class _Verifiers(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.verifiers).where(_V.id == bindparam("value"))
    _BY_KEY: ClassVar = select(sk.verifiers).where(_V.key_hash == bindparam("value"))
    _UPDATE: ClassVar = update(sk.verifiers).where(_V.id == bindparam("b_id"))

    def get(self, verifier_id: str) -> Verifier | None:
        row = self._tx.run(self._GET, {"value": verifier_id}).first()
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


def _verifier_params(verifier: Verifier) -> dict[str, Any]:
    return {
        "id": verifier.id,
        "name": verifier.name,
        "scopes": _json(sorted(verifier.scopes)),
        "created_at": verifier.created_at,
        "active": verifier.active,
    }


def _verifier(row: Row[Any]) -> Verifier:
    return Verifier(
        id=row.id,
        name=row.name,
        scopes=frozenset(json.loads(row.scopes)),
        created_at=row.created_at,
        active=row.active,
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
        return [_consent(row) for row in self._tx.run(self._FOR, {"account_id": account_id})]


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


def _access_params(record: AccessRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "at": record.at,
        "audience": str(record.audience),
        "fields": _json(list(record.fields)),
        "channel": record.channel,
        "purpose": record.purpose,
        "verifier_id": record.verifier_id,
        "verifier_name": record.verifier_name,
        "viewer_account_id": record.viewer_account_id,
    }


class _AccessLog(_Repository):
    __slots__ = ()
    _FOR: ClassVar = (
        select(sk.access_log).where(_L.account_id == bindparam("account_id")).order_by(_L.at, _L.id)
    )

    def append(self, record: AccessRecord) -> None:
        self._tx.run(_LOG_INSERT, _access_params(record))

    def for_account(self, account_id: str) -> list[AccessRecord]:
        return [
            AccessRecord(
                id=row.id,
                account_id=row.account_id,
                at=row.at,
                audience=row.audience,
                fields=tuple(json.loads(row.fields)),
                channel=row.channel,
                purpose=row.purpose,
                verifier_id=row.verifier_id,
                verifier_name=row.verifier_name,
                viewer_account_id=row.viewer_account_id,
            )
            for row in self._tx.run(self._FOR, {"account_id": account_id})
        ]


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


def _check_in_params(check_in: CheckIn) -> dict[str, Any]:
    return {
        "card_ref": check_in.card_ref,
        "event_id": check_in.event_id,
        "station_id": check_in.station_id,
        "checked_in_at": check_in.checked_in_at,
        "step": check_in.step,
        "kid": check_in.kid,
    }


def _check_in(row: Row[Any]) -> CheckIn:
    return CheckIn.record(
        card_ref=row.card_ref,
        event_id=row.event_id,
        station_id=row.station_id,
        checked_in_at=row.checked_in_at,
        step=row.step,
        kid=row.kid,
    )


class _Keyrings(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.keyring.c.data).where(sk.keyring.c.name == _KEYRING_NAME)
    _STAMP: ClassVar = select(sk.keyring.c.stamp).where(sk.keyring.c.name == _KEYRING_NAME)
    _LOCK: ClassVar = text("SELECT pg_advisory_xact_lock(:key)")

    def get(self) -> Keyring | None:
        if self._storage.dialect == "postgresql":
            # No row to lock before the first keyring: two processes creating it at
            # once must queue, or each would sign with a keyring the other lost.
            self._tx.run(self._LOCK, {"key": _KEYRING_LOCK})
        row = self._tx.run(self._GET).first()
        if row is None:
            return None
        data = self._storage.cipher.decrypt_json(
            row.data, _context(sk.keyring, "data", _KEYRING_NAME)
        )
        return Keyring.from_dict(data)

    def put(self, keyring: Keyring) -> None:
        data = self._storage.cipher.encrypt_json(
            keyring.to_dict(), _context(sk.keyring, "data", _KEYRING_NAME)
        )
        self._tx.run(
            self._storage.upserts["keyring"],
            {"name": _KEYRING_NAME, "data": data, "stamp": keyring.stamp},
        )

    def stamp(self) -> str | None:
        # The plaintext stamp column: no decryption on the per-request check.
        return self._tx.run(self._STAMP).scalar()  # type: ignore[no-any-return]


# Three queries rather than one join: on PostgreSQL ``sk_accounts.id`` is in the "C"
# collation and the other tables' account ids are not, so a join on them could not
# use the cards' and profiles' indexes. Each query here has its own.
_HOLDER_ACCOUNTS: Final = (
    select(_A.id, _A.pii, _A.password_hash, _A.created_at, _A.password_changed_at, _A.active)
    .where(_A.id.in_(bindparam("ids", expanding=True)))
    .with_for_update()  # as accounts.get: a bulk run and a single issue queue per account
)
_HOLDER_CARDS: Final = select(sk.cards).where(_C.account_id.in_(bindparam("ids", expanding=True)))
_HOLDER_PROFILES: Final = select(sk.profiles.c.account_id, sk.profiles.c.data).where(
    sk.profiles.c.account_id.in_(bindparam("ids", expanding=True))
)
_HOLDERS_CHUNK: Final = 1000  # ids per query: well under every driver's parameter limit


class SqlTransaction:
    """The repositories of one unit of work (attributes named as in the ``Transaction`` port).

    Each repository is made on first use. ``conn`` is the transaction's connection.
    """

    def __init__(self, storage: SqlStorage, conn: Connection) -> None:
        self.storage = storage
        self.conn = conn

    def run(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        """Execute ``statement`` (once per mapping of a list); a failure becomes StorageError."""
        try:
            return self.conn.execute(statement, params)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.conn.begin_nested():
            yield

    @functools.cached_property
    def registrations(self) -> _Registrations:
        return _Registrations(self)

    @functools.cached_property
    def challenges(self) -> _Challenges:
        return _Challenges(self)

    @functools.cached_property
    def accounts(self) -> _Accounts:
        return _Accounts(self)

    @functools.cached_property
    def sessions(self) -> _Sessions:
        return _Sessions(self)

    @functools.cached_property
    def resets(self) -> _Resets:
        return _Resets(self)

    @functools.cached_property
    def profiles(self) -> _Profiles:
        return _Profiles(self)

    @functools.cached_property
    def cards(self) -> _Cards:
        return _Cards(self)

    @functools.cached_property
    def verifiers(self) -> _Verifiers:
        return _Verifiers(self)

    @functools.cached_property
    def consents(self) -> _Consents:
        return _Consents(self)

    @functools.cached_property
    def access_log(self) -> _AccessLog:
        return _AccessLog(self)

    @functools.cached_property
    def check_ins(self) -> _CheckIns:
        return _CheckIns(self)

    @functools.cached_property
    def keyring(self) -> _Keyrings:
        return _Keyrings(self)

    def card_holders(self, account_ids: Sequence[str]) -> Iterator[CardHolder]:
        """The existing accounts among ``account_ids``, once each, with their cards and profiles.

        Three queries per thousand ids (accounts, cards, profiles), the
        accounts locked ``FOR UPDATE`` on PostgreSQL. A profile is decrypted
        and rebuilt only when the caller reads it (not for a holder whose card
        exists), one holder at a time, and without the scan path's cache: a
        bulk run reads each once, and caching them would evict the cards
        being scanned.
        """
        storage = self.storage
        decrypt_json = storage.cipher.decrypt_json
        decode_profile = storage._decode_profile
        unique = list(dict.fromkeys(account_ids))
        for start in range(0, len(unique), _HOLDERS_CHUNK):
            chunk = unique[start : start + _HOLDERS_CHUNK]
            params = {"ids": chunk}
            accounts = {row[0]: row for row in self.run(_HOLDER_ACCOUNTS, params)}
            if not accounts:
                continue
            cards = {row.account_id: _card(row) for row in self.run(_HOLDER_CARDS, params)}
            profiles = dict(self.run(_HOLDER_PROFILES, params).all())
            for account_id in chunk:
                row = accounts.get(account_id)
                if row is None:
                    continue
                _, pii_blob, password_hash, created, changed, active = row
                pii = decrypt_json(pii_blob, _context(sk.accounts, "pii", account_id))
                account = AccountRecord(
                    id=account_id,
                    nik=pii["nik"],
                    full_name=pii["full_name"],
                    email=pii["email"],
                    phone=pii["phone"],
                    password_hash=password_hash,
                    created_at=created,
                    password_changed_at=changed,
                    active=active,
                )
                blob = profiles.get(account_id)
                load = None
                if blob is not None:  # decoded only if the caller reads it
                    load = functools.partial(decode_profile, account_id, b"", bytes(blob))
                yield CardHolder(account, cards.get(account_id), load=load)


class _Scope:
    """``with storage.transaction() as tx``: commit on success, roll back on an exception."""

    __slots__ = ("_conn", "_storage")

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage

    def __enter__(self) -> SqlTransaction:
        storage = self._storage
        local = storage._local
        if getattr(local, "active", False):
            raise RuntimeError("SQL storage transactions do not nest within a thread")
        storage._prepare(index=True)
        try:
            conn = storage.engine.connect()
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        try:
            conn.begin()
        except SQLAlchemyError as error:
            conn.close()
            raise _storage_error(error) from error
        self._conn = conn
        local.active = True
        return SqlTransaction(storage, conn)

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        conn = self._conn
        try:
            if exc_type is None:
                try:
                    conn.commit()
                except SQLAlchemyError as error:
                    raise _storage_error(error) from error
            else:
                try:
                    conn.rollback()
                except SQLAlchemyError:
                    logger.debug("rollback failed; the connection is discarded", exc_info=True)
        finally:
            try:
                conn.close()
            except SQLAlchemyError:
                logger.debug("closing a connection failed", exc_info=True)
            self._storage._local.active = False


# --------------------------------------------------------------------------------------
# The storage
# --------------------------------------------------------------------------------------

_SCAN: Final = (
    select(
        _C.id,
        _C.account_id,
        _C.number,
        _C.card_ref,
        _C.version,
        _C.issued_at,
        _C.updated_at,
        _C.revoked_at,
        _A.pii.label("a_pii"),
        _A.password_hash.label("a_password_hash"),
        _A.created_at.label("a_created_at"),
        _A.password_changed_at.label("a_password_changed_at"),
        _A.active.label("a_active"),
        sk.profiles.c.data.label("p_data"),
        # The keyring's stamp rides along: a running service notices a key
        # rotated or retired by another process without a second query.
        select(sk.keyring.c.stamp)
        .where(sk.keyring.c.name == _KEYRING_NAME)
        .scalar_subquery()
        .label("k_stamp"),
    )
    .select_from(
        sk.cards.join(sk.accounts, _A.id == _C.account_id).outerjoin(
            sk.profiles, sk.profiles.c.account_id == _C.account_id
        )
    )
    .where(_C.card_ref == bindparam("card_ref"))
)


class SqlStorage:
    """The storage port on SQLite or PostgreSQL (see the module docstring for the guarantees).

    :param url: a SQLAlchemy URL: ``sqlite:///path/to/file.sqlite3`` (created on
        first use), ``sqlite://`` (a throw-away file in a temporary directory,
        removed by :meth:`dispose` or at exit: a pool's connections cannot share
        a memory database), ``postgresql://user@host/db`` (psycopg 3 is used).
    :param key_material: the storage keys (:meth:`KeyMaterial.parse` of the
        ``storage_key`` setting): the first encrypts, all decrypt.
    :param migrate: run the migrations on first use. Default: yes for SQLite
        (the embedded default migrates itself), no for PostgreSQL (run
        ``siapkerja db upgrade`` when deploying).
    :param schema: PostgreSQL only: the schema holding the tables.
    :param engine_options: passed to :func:`~.engine.create_sql_engine`
        (``pool_size``, ``max_overflow``, ``pool_timeout``, ``pool_pre_ping``,
        ``busy_timeout``, ``connect_timeout``, ``echo``).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        key_material: KeyMaterial,
        migrate: bool | None = None,
        schema: str | None = None,
        **engine_options: Any,
    ) -> None:
        parsed = normalise_url(url)
        self._finalizer: weakref.finalize[Any, Any] | None = None
        if is_memory_sqlite(parsed):
            directory = tempfile.mkdtemp(prefix="siapkerja-sqlite-")
            self._finalizer = weakref.finalize(self, shutil.rmtree, directory, True)
            parsed = parsed.set(database=os.path.join(directory, "siapkerja.sqlite3"))
        self.engine: Engine = create_sql_engine(parsed, schema=schema, **engine_options)
        self.dialect: str = self.engine.dialect.name
        self.cipher = FieldCipher(key_material)
        self._migrate = self.dialect == "sqlite" if migrate is None else migrate
        self._local = threading.local()
        self._lock = threading.Lock()
        self._schema_ready = False
        self._index: BlindIndex | None = None
        self._closed = False
        insert = pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert
        self.upserts: dict[str, Executable] = {
            name: _upsert(insert, table, keys)
            for name, table, keys in (
                ("registrations", sk.registrations, ("id",)),
                ("challenges", sk.challenges, ("subject_id",)),
                ("sessions", sk.sessions, ("id",)),
                ("resets", sk.resets, ("id",)),
                ("profiles", sk.profiles, ("account_id",)),
                ("cards", sk.cards, ("id",)),
                ("verifiers", sk.verifiers, ("id",)),
                ("consents", sk.consents, ("id",)),
                ("check_ins", sk.check_ins, ("card_ref", "event_id")),
                ("keyring", sk.keyring, ("name",)),
            )
        }
        self.insert_nothing: dict[str, Executable] = {
            # RETURNING tells whether the row went in (rowcount of an INSERT is not
            # reported by every driver).
            "accounts": insert(sk.accounts).on_conflict_do_nothing().returning(_A.id),
            "cards": insert(sk.cards).on_conflict_do_nothing().returning(_C.id),
            "check_ins": insert(sk.check_ins).on_conflict_do_nothing().returning(_K.event_id),
            "meta": insert(sk.meta).on_conflict_do_nothing().returning(sk.meta.c.name),
        }
        self._profile_cache: Callable[[str, bytes, bytes], Profile] = functools.lru_cache(
            maxsize=4096
        )(self._decode_profile)
        self.counters = SqlCounters(self, insert)
        """Fixed-window counters in the same database (the ``storage`` rate-limit adapter)."""

    # --- the port ------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[SqlTransaction]:
        """Open a unit of work (see the module docstring)."""
        return _Scope(self)

    def scan_subject(self, card_ref: int) -> ScanSubject | None:
        """The card with this reference, its account and profile, as committed: one query."""
        if not 0 <= card_ref < 2**64:
            return None
        with self.single_statement() as conn:
            row = conn.execute(_SCAN, {"card_ref": card_ref}).first()
        if row is None:
            return None
        card = _card(row)
        pii = self.cipher.decrypt_json(row.a_pii, _context(sk.accounts, "pii", card.account_id))
        account = AccountRecord(
            id=card.account_id,
            nik=pii["nik"],
            full_name=pii["full_name"],
            email=pii["email"],
            phone=pii["phone"],
            password_hash=row.a_password_hash,
            created_at=row.a_created_at,
            password_changed_at=row.a_password_changed_at,
            active=row.a_active,
        )
        profile = None if row.p_data is None else self._profile(card.account_id, row.p_data)
        return ScanSubject(card, account, profile, row.k_stamp)

    def log_access(self, record: AccessRecord) -> None:
        """Append one ledger entry, committed on return (a single statement)."""
        with self.single_statement() as conn:
            conn.execute(_LOG_INSERT, _access_params(record))

    # --- bulk loading --------------------------------------------------------------------

    def bulk_add_accounts(self, records: Iterable[AccountRecord], *, batch_size: int = 5000) -> int:
        """Insert many new accounts fast; return how many went in.

        For migrations, restores and load tests, outside the storage port:
        each account is encrypted and blind-indexed exactly as
        ``tx.accounts.add`` does it, but a batch of ``batch_size`` goes in as
        one multi-row ``INSERT`` in its own transaction, instead of a
        statement and a conflict check per account (two to four times faster).
        The uniqueness rules hold all the same — the database enforces them —
        but a refused row fails its whole batch; the batches before it stay
        committed.

        :raises AccountConflict: an active account (stored or earlier in the
            batch) has the NIK, e-mail or phone of one in the batch.
        :raises ValueError: an account id exists already.
        """
        return self._bulk_write(
            records, sk.accounts.insert(), self._account_params, batch_size=batch_size
        )

    def bulk_put_profiles(
        self, profiles: Iterable[tuple[str, Profile]], *, batch_size: int = 5000
    ) -> int:
        """Store many ``(account_id, profile)`` pairs fast, as ``profiles.put``; return the count.

        The bulk companion of :meth:`bulk_add_accounts`: each profile is
        encrypted as ``put`` does, a batch is one multi-row upsert in its own
        transaction.
        """

        def params(item: tuple[str, Profile]) -> dict[str, Any]:
            account_id, profile = item
            context = _context(sk.profiles, "data", account_id)
            return {
                "account_id": account_id,
                "data": self.cipher.encrypt_json(unstructure(profile), context),
            }

        return self._bulk_write(profiles, self.upserts["profiles"], params, batch_size=batch_size)

    def _bulk_write(
        self,
        items: Iterable[Any],
        statement: Executable,
        params: Callable[[Any], dict[str, Any]],
        *,
        batch_size: int,
    ) -> int:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        written = 0
        pending = iter(items)
        while batch := list(itertools.islice(pending, batch_size)):
            with self.transaction() as tx:
                rows = [params(item) for item in batch]
                try:
                    tx.conn.execute(statement, rows)
                except IntegrityError as error:
                    field = _violated_field(error)
                    if field is not None:
                        raise AccountConflict(field) from None
                    raise ValueError("a row of the batch exists already") from None
                except SQLAlchemyError as error:
                    raise _storage_error(error) from error
            written += len(rows)
        return written

    # --- administration ------------------------------------------------------------------

    def upgrade(self) -> str | None:
        """Run the migrations to head (what ``siapkerja db upgrade`` does); return the revision."""
        from siapkerja_adapters.sql.migrate import upgrade

        self._check_open()
        try:
            revision = upgrade(self.engine)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        self._schema_ready = True
        return revision

    def current_revision(self) -> str | None:
        """The schema revision of the database (``None``: not migrated)."""
        from siapkerja_adapters.sql.migrate import current_revision

        self._check_open()
        try:
            with self.engine.connect() as conn:
                return current_revision(conn)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    def reencrypt(self, *, batch_size: int = 500) -> int:
        """Re-encrypt every ciphertext not under the current key; return how many were rewritten.

        Run after putting a new key first in ``storage_key``; when it returns,
        the old keys can be removed from the setting. Each batch commits on its
        own, so it can be interrupted and run again.
        """
        self._prepare(index=True)
        rewritten = 0
        current = self.cipher.current_kid
        for table, key_column, column in sk.ENCRYPTED_COLUMNS:
            key = table.c[key_column]
            value = table.c[column]
            after: str | None = None
            while True:
                query = select(key, value).order_by(key).limit(batch_size)
                if after is not None:
                    query = query.where(key > after)
                with self.transaction() as tx:
                    rows = tx.run(query).all()
                    for row in rows:
                        blob = bytes(row[1])
                        if FieldCipher.key_id(blob) == current:
                            continue
                        context = _context(table, column, row[0])
                        fresh = self.cipher.encrypt(self.cipher.decrypt(blob, context), context)
                        tx.run(update(table).where(key == row[0]).values({column: fresh}))
                        rewritten += 1
                if len(rows) < batch_size:
                    break
                after = rows[-1][0]
        self._profile_cache.cache_clear()  # type: ignore[attr-defined]
        return rewritten

    def dispose(self) -> None:
        """Close every pooled connection; the storage refuses further work (``StorageError``)."""
        self._closed = True
        self.engine.dispose()
        if self._finalizer is not None:
            self._finalizer()  # the throw-away file of ``sqlite://``

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"SqlStorage({url!r})"

    # --- internals -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("unavailable")

    def _prepare(self, *, index: bool) -> None:
        """Make sure the schema exists (auto-migrate) and the blind-index key is loaded."""
        self._check_open()
        if self._schema_ready and (self._index is not None or not index):
            return
        with self._lock:
            if not self._schema_ready:
                if self._migrate:
                    self.upgrade()
                self._schema_ready = True
            if index and self._index is None:
                self._index = BlindIndex(self._load_index_key())

    def _load_index_key(self) -> bytes:
        """The blind-index key: generated once per database, stored wrapped by the storage key."""
        import secrets

        context = _context(sk.meta, "value", _INDEX_KEY_NAME)
        query = select(sk.meta.c.value).where(sk.meta.c.name == _INDEX_KEY_NAME)
        try:
            with self.engine.begin() as conn:
                row = conn.execute(query).first()
                if row is None:
                    wrapped = self.cipher.encrypt(secrets.token_bytes(32), context)
                    conn.execute(
                        self.insert_nothing["meta"], {"name": _INDEX_KEY_NAME, "value": wrapped}
                    )
                    row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        if row is None:  # pragma: no cover - the insert or a racing one put it there
            raise StorageError("unavailable")
        return self.cipher.decrypt(bytes(row.value), context)

    def blind_index(self, field: str, value: str) -> bytes:
        index = self._index
        if index is None:
            self._prepare(index=True)
            index = self._index
            assert index is not None
        return index(field, value)

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection whose statements each commit on their own (no ``BEGIN``)."""
        self._prepare(index=False)
        try:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                else:
                    conn = conn.execution_options(**{BEGIN_OPTION: None})
                yield conn
                if self.dialect != "sqlite":
                    conn.commit()
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    def _account_params(self, record: AccountRecord) -> dict[str, Any]:
        index = self.blind_index
        pii = {
            "nik": record.nik,
            "full_name": record.full_name,
            "email": record.email,
            "phone": record.phone,
        }
        return {
            "id": record.id,
            "nik_index": index("nik", record.nik),
            "email_index": index("email", record.email),
            "phone_index": index("phone", record.phone),
            "pii": self.cipher.encrypt_json(pii, _context(sk.accounts, "pii", record.id)),
            "password_hash": record.password_hash,
            "created_at": record.created_at,
            "password_changed_at": record.password_changed_at,
            "active": record.active,
        }

    def _account(self, row: Row[Any]) -> AccountRecord:
        pii = self.cipher.decrypt_json(row.pii, _context(sk.accounts, "pii", row.id))
        return AccountRecord(
            id=row.id,
            nik=pii["nik"],
            full_name=pii["full_name"],
            email=pii["email"],
            phone=pii["phone"],
            password_hash=row.password_hash,
            created_at=row.created_at,
            password_changed_at=row.password_changed_at,
            active=row.active,
        )

    def _registration(self, row: Row[Any]) -> RegistrationRecord:
        pii = self.cipher.decrypt_json(row.pii, _context(sk.registrations, "pii", row.id))
        return RegistrationRecord(
            id=row.id,
            nik=pii["nik"],
            full_name=pii["full_name"],
            status=RegistrationStatus(row.status),
            created_at=row.created_at,
            expires_at=row.expires_at,
            email=pii["email"],
            phone=pii["phone"],
            password_hash=row.password_hash,
            account_id=row.account_id,
        )

    def _challenge(self, row: Row[Any]) -> OtpChallenge:
        context = _context(sk.challenges, "phone", row.subject_id)
        return OtpChallenge(
            subject_id=row.subject_id,
            purpose=OtpPurpose(row.purpose),
            phone=self.cipher.decrypt(row.phone, context).decode("utf-8"),
            code_hash=row.code_hash,
            generation=row.generation,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            attempts=row.attempts,
            used=row.used,
            resends=row.resends,
            sent_at=tuple(datetime.fromisoformat(t) for t in json.loads(row.sent_at)),
            delivered=row.delivered,
            last_failure=row.last_failure,
        )

    def _profile(self, account_id: str, blob: bytes) -> Profile:
        blob = bytes(blob)
        if len(blob) > _PROFILE_CACHE_MAX_BLOB:
            return self._decode_profile(account_id, b"", blob)
        # The header and nonce identify one write of one row: the cache key stays small.
        return self._profile_cache(account_id, blob[: 2 + blob[1] + 12], blob)

    def _decode_profile(self, account_id: str, _ident: bytes, blob: bytes) -> Profile:
        data = self.cipher.decrypt_json(blob, _context(sk.profiles, "data", account_id))
        # Written from a valid Profile and authenticated by AES-GCM: not validated again.
        return structure_stored_profile(data)


def _upsert(insert: Callable[[Table], Insert], table: Table, keys: Sequence[str]) -> Executable:
    statement: Any = insert(table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[table.c[k] for k in keys],
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
    )


# --------------------------------------------------------------------------------------
# Counters
# --------------------------------------------------------------------------------------

_N = sk.counters.c


class SqlCounters:
    """Fixed-window counters in the ``sk_counters`` table (the ``ratelimit`` port).

    One row per key: its window and count. ``increment`` is one atomic
    ``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING count`` that restarts the
    count when the window changed, so it holds across processes and hosts.
    """

    _COUNT: ClassVar = select(_N.window_index, _N["count"]).where(_N.key == bindparam("key"))
    _CLEAR: ClassVar = delete(sk.counters).where(_N.key == bindparam("key"))

    def __init__(self, storage: SqlStorage, insert: Callable[[Table], Insert]) -> None:
        self._storage = storage
        statement: Any = insert(sk.counters)
        self._increment = statement.on_conflict_do_update(
            index_elements=[_N.key],
            set_={
                "count": case(
                    (_N.window_index == statement.excluded.window_index, _N["count"] + 1),
                    else_=1,
                ),
                "window_index": statement.excluded.window_index,
            },
        ).returning(_N["count"])

    @staticmethod
    def _window_index(window: timedelta, now: datetime) -> int:
        return int(now.timestamp() // window.total_seconds())

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Add one to ``key`` in the window containing ``now``; return the new count."""
        params = {"key": key, "window_index": self._window_index(window, now), "count": 1}
        with self._storage.single_statement() as conn:
            return int(conn.execute(self._increment, params).scalar_one())

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        """The count of ``key`` in the window containing ``now`` (0 if none)."""
        with self._storage.single_statement() as conn:
            row = conn.execute(self._COUNT, {"key": key}).first()
        if row is None or row[0] != self._window_index(window, now):
            return 0
        return int(row[1])

    def clear(self, key: str) -> None:
        """Forget ``key`` in every window."""
        with self._storage.single_statement() as conn:
            conn.execute(self._CLEAR, {"key": key})

    def __repr__(self) -> str:
        return f"SqlCounters({self._storage!r})"
