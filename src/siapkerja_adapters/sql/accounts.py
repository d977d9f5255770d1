"""The people's records in the ``sql`` storage: registrations, OTP challenges, accounts
(unique active NIK, e-mail and phone through blind indexes), sessions and password resets.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Row, bindparam, delete, or_, select, true, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import (
    _FIELDS,
    Field,
    _context,
    _iso_list,
    _Repository,
    _storage_error,
    reads,
)
from siapkerja_core.ports import AccountConflict, StorageError
from siapkerja_core.records import (
    AccountRecord,
    OtpChallenge,
    OtpPurpose,
    PasswordResetRecord,
    RegistrationRecord,
    RegistrationStatus,
    SessionRecord,
)

if TYPE_CHECKING:
    from siapkerja_adapters.sql.storage import SqlStorage


_R_FIELDS = tuple(column.name for column in sk.registrations.c)
_C_FIELDS = tuple(column.name for column in sk.challenges.c)
# A row of each table, as a joined row's two halves read by name.
_RegistrationRow: Any = namedtuple("_RegistrationRow", _R_FIELDS)  # type: ignore[misc]
_ChallengeRow: Any = namedtuple("_ChallengeRow", _C_FIELDS)  # type: ignore[misc]


class _Registrations(_Repository):
    __slots__ = ()
    _GET: ClassVar = (
        select(sk.registrations).where(sk.registrations.c.id == bindparam("id")).with_for_update()
    )
    # SQLite: the registration and its challenge in one statement (SQLite locks no rows:
    # the unit's write lock already orders the writers).
    _WITH_CHALLENGE: ClassVar = (
        select(
            *(column.label(f"r_{column.name}") for column in sk.registrations.c),
            *(column.label(f"c_{column.name}") for column in sk.challenges.c),
        )
        .select_from(
            sk.registrations.outerjoin(
                sk.challenges, sk.challenges.c.subject_id == sk.registrations.c.id
            )
        )
        .where(sk.registrations.c.id == bindparam("id"))
    )

    def get(self, registration_id: str) -> RegistrationRecord | None:
        row = self._tx.fetch(self._GET, {"id": registration_id}).first()
        return None if row is None else _registration(self._storage, row)

    def with_challenge(
        self, registration_id: str
    ) -> tuple[RegistrationRecord | None, OtpChallenge | None]:
        """Both rows in one ``LEFT JOIN`` on SQLite. PostgreSQL reads them as ``get`` and
        ``challenges.get`` do, each locked ``FOR UPDATE`` in a writing unit: a lock on the
        nullable side of an outer join is refused there, and the outbox's dispatcher
        changes a challenge under the challenge's lock alone."""
        if self._storage.dialect != "sqlite":
            record = self.get(registration_id)
            if record is None:
                return None, None
            return record, self._tx.challenges.get(registration_id)
        row = self._tx.fetch(self._WITH_CHALLENGE, {"id": registration_id}).first()
        if row is None:
            return None, None
        split = len(_R_FIELDS)
        record = _registration(self._storage, _RegistrationRow(*row[:split]))
        challenge_row: Any = _ChallengeRow(*row[split:])
        if challenge_row.subject_id is None:  # no challenge yet (the outer join's NULLs)
            return record, None
        return record, _challenge(self._storage, challenge_row)

    def put(self, record: RegistrationRecord) -> None:
        cipher = self._storage.cipher
        pii = {
            "nik": record.nik,
            "full_name": record.full_name,
            "email": record.email,
            "phone": record.phone,
        }
        self._tx.fetch(
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
        row = self._tx.fetch(self._GET, {"id": subject_id}).first()
        return None if row is None else _challenge(self._storage, row)

    def put(self, challenge: OtpChallenge) -> None:
        context = _context(sk.challenges, "phone", challenge.subject_id)
        self._tx.fetch(
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
        row = self._tx.fetch(self._GET, {"id": account_id}).first()
        return None if row is None else _account(self._storage, row)

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
        row = self._tx.fetch(self._FIND[field], {"value": index}).first()
        return None if row is None else _account(self._storage, row)

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Account ids in ascending (byte) order after ``after``: keyset pagination."""
        if limit <= 0:
            return []
        from siapkerja_adapters.sql.transaction import _driver_form  # (it imports this module)

        statement, params = (
            (self._IDS, {"limit": limit})
            if after is None
            else (self._IDS_AFTER, {"after": after, "limit": limit})
        )
        form = _driver_form(self._storage.engine, statement, tuple(params))
        if form is None or form.prepared.columns[0] is not None:  # pragma: no cover
            return [row.id for row in self._tx.fetch(statement, params)]
        # The driver's rows as they come: the id needs no conversion, and making a row
        # object of each was most of a page of a bulk issuance's thousand ids.
        raw, _ = self._tx.driver_rows(form.prepared.sql, form.params(params))
        return [row[0] for row in raw]

    def _taken(self, params: Mapping[str, Any], own_id: str | None) -> Field | None:
        """The first identifier (NIK, e-mail, phone) an active account other than ``own_id`` has."""
        rows = self._tx.fetch(self._TAKEN, params).all()
        for field in _FIELDS:
            column = f"{field}_index"
            if any(row.id != own_id and row._mapping[column] == params[column] for row in rows):
                return field
        return None

    def add(self, record: AccountRecord) -> None:
        params = _account_params(self._storage, record)
        if not record.active and (field := self._taken(params, None)) is not None:
            raise AccountConflict(field)
        for _ in range(3):
            if self._tx.fetch(self._storage.insert_nothing["accounts"], params).first():
                return
            if self._tx.fetch(self._EXISTS, {"id": record.id}).first() is not None:
                raise ValueError(f"account {record.id!r} exists")
            field = self._taken(params, None)
            if field is not None:
                raise AccountConflict(field)
            # The conflicting row went away between the insert and the lookup: try again.
        raise StorageError("unavailable")

    def put(self, record: AccountRecord) -> None:
        params = _account_params(self._storage, record)
        if self._tx.fetch(self._EXISTS, {"id": record.id}).first() is None:
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
                raise _storage_error(error, read_only_unit=self._tx.read_only) from error
            raise AccountConflict(field) from None
        except SQLAlchemyError as error:
            raise _storage_error(error, read_only_unit=self._tx.read_only) from error


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
        self._tx.fetch(
            self._storage.upserts["sessions"],
            {
                "id": record.id,
                "account_id": record.account_id,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
            },
        )

    def get(self, session_id: str) -> SessionRecord | None:
        row = self._tx.fetch(self._GET, {"id": session_id}).first()
        if row is None:
            return None
        return SessionRecord(
            id=row.id,
            account_id=row.account_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def delete(self, session_id: str) -> None:
        self._tx.fetch(self._DELETE, {"id": session_id})

    def delete_for_account(self, account_id: str) -> int:
        return int(self._tx.fetch(self._DELETE_FOR, {"account_id": account_id}).rowcount)


class _Resets(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.resets).where(sk.resets.c.id == bindparam("id")).with_for_update()

    def get(self, request_id: str) -> PasswordResetRecord | None:
        row = self._tx.fetch(self._GET, {"id": request_id}).first()
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
        self._tx.fetch(
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


# --- rows of the people's tables, decrypted and encrypted with the storage's keys ---


def _account_params(
    storage: SqlStorage,
    record: AccountRecord,
    *,
    index: Callable[[str, str], bytes] | None = None,
) -> dict[str, Any]:
    index = index or storage.blind_index
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
        "pii": storage.cipher.encrypt_json(pii, _context(sk.accounts, "pii", record.id)),
        "password_hash": record.password_hash,
        "created_at": record.created_at,
        "password_changed_at": record.password_changed_at,
        "active": record.active,
    }


@reads(sk.accounts)
def _account(storage: SqlStorage, row: Row[Any]) -> AccountRecord:
    pii = storage.cipher.decrypt_json(row.pii, _context(sk.accounts, "pii", row.id))
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


@reads(sk.registrations)
def _registration(storage: SqlStorage, row: Any) -> RegistrationRecord:
    pii = storage.cipher.decrypt_json(row.pii, _context(sk.registrations, "pii", row.id))
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


@reads(sk.challenges)
def _challenge(storage: SqlStorage, row: Any) -> OtpChallenge:
    context = _context(sk.challenges, "phone", row.subject_id)
    return OtpChallenge(
        subject_id=row.subject_id,
        purpose=OtpPurpose(row.purpose),
        phone=storage.cipher.decrypt(row.phone, context).decode("utf-8"),
        code_hash=row.code_hash,
        generation=row.generation,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        attempts=row.attempts,
        used=row.used,
        resends=row.resends,
        sent_at=tuple(datetime.fromisoformat(t) for t in orjson.loads(row.sent_at)),
        delivered=row.delivered,
        last_failure=row.last_failure,
    )
