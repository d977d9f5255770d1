"""The storage port's repositories: one protocol per kind of record, and their conflicts.

A repository is reached through a :class:`~siapkerja_core.ports.Transaction`
(the unit of work); the conflicts it raises are how a uniqueness rule of the
storage surfaces in the core.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    LedgerCursor,
    OtpChallenge,
    OutboxMessage,
    PasswordResetRecord,
    RegistrationRecord,
    SessionRecord,
)

if TYPE_CHECKING:
    from siapkerja_core.disclosure import Verifier
    from siapkerja_core.profile import Profile
    from siapkerja_core.station import CheckIn
    from siapkerja_core.tokens import Keyring

__all__ = [
    "AccessLogRepository",
    "AccountConflict",
    "AccountRepository",
    "CardConflict",
    "CardRepository",
    "ChallengeRepository",
    "CheckInConflict",
    "CheckInRepository",
    "ConsentRepository",
    "KeyringRepository",
    "OutboxRepository",
    "ProfileRepository",
    "RegistrationRepository",
    "ResetRepository",
    "SessionRepository",
    "StorageError",
    "VerifierRepository",
]


class AccountConflict(Exception):
    """Adding an account would give a second active account the same ``field`` value.

    ``field`` is ``"nik"``, ``"email"`` or ``"phone"``. Storage raises it
    atomically: of two racing additions exactly one succeeds.
    """

    def __init__(self, field: Literal["nik", "email", "phone"]) -> None:
        super().__init__(field)
        self.field = field


class StorageError(SiapkerjaError):
    """Storage failed (connection lost, disk full, …); the transaction was rolled back.

    ``read_only``: a write was tried in a read-only unit of work
    (``storage.transaction(read_only=True)``) — a programming error; nothing
    was written.
    """

    domain = "storage"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
            "read_only",
        }
    )


class RegistrationRepository(Protocol):
    def get(self, registration_id: str) -> RegistrationRecord | None: ...

    def with_challenge(
        self, registration_id: str
    ) -> tuple[RegistrationRecord | None, OtpChallenge | None]:
        """The registration and the OTP challenge whose subject it is, read together:
        what ``get`` and ``challenges.get`` answer (``(None, None)`` without the
        registration), each row locked as they lock it, in one statement where the
        adapter can (the journey reads both before sending a code and confirming one)."""
        ...

    def put(self, record: RegistrationRecord) -> None:
        """Insert or replace by ``id``."""
        ...


class ChallengeRepository(Protocol):
    """OTP challenges, one per subject (a registration id or ``reset:<account id>``)."""

    def get(self, subject_id: str) -> OtpChallenge | None: ...

    def put(self, challenge: OtpChallenge) -> None:
        """Insert or replace by ``subject_id``."""
        ...


class OutboxRepository(Protocol):
    """The durable SMS outbox: messages written with the state that needs them.

    ``add`` joins the caller's transaction, so a message exists exactly when
    the challenge it carries the code of was committed ("nothing lost", and
    nothing sent for a rolled-back request). Dispatchers take messages with
    ``claim`` in a short transaction of their own, send outside any
    transaction, then ``delete`` or ``put`` (a rescheduled retry).
    """

    def add(self, message: OutboxMessage) -> None:
        """Insert a new message (its ``id`` is new)."""
        ...

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages (``OutboxMessage.due``), oldest first, leased.

        Each returned message is stored as ``message.claimed(now, lease)`` and
        returned so. Concurrent claimers never get the same message while its
        lease runs: PostgreSQL skips rows another claimer holds locked
        (``FOR UPDATE SKIP LOCKED``), SQLite and memory serialise the claim.
        """
        ...

    def get(self, message_id: str) -> OutboxMessage | None: ...

    def put(self, message: OutboxMessage) -> None:
        """Replace a stored message (a retry rescheduled, a lease released)."""
        ...

    def delete(self, message_id: str) -> None:
        """Forget a message (sent, superseded or given up); unknown ids are ignored."""
        ...

    def count(self) -> int:
        """How many messages are waiting (due or not, leased or not)."""
        ...


class AccountRepository(Protocol):
    def get(self, account_id: str) -> AccountRecord | None: ...

    def find(
        self, *, nik: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountRecord | None:
        """The active account with this NIK, e-mail or phone (exactly one keyword)."""
        ...

    def add(self, record: AccountRecord) -> None:
        """Insert a new account.

        :raises AccountConflict: if an active account has the same NIK, e-mail
            or phone — checked atomically with the insert.
        """
        ...

    def put(self, record: AccountRecord) -> None:
        """Replace an existing account (same ``id``)."""
        ...

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Account ids in ascending order, after ``after`` (keyset pagination for bulk jobs)."""
        ...


class SessionRepository(Protocol):
    def add(self, record: SessionRecord) -> None: ...

    def get(self, session_id: str) -> SessionRecord | None: ...

    def delete(self, session_id: str) -> None: ...

    def delete_for_account(self, account_id: str) -> int:
        """End every session of the account; return how many there were."""
        ...


class ResetRepository(Protocol):
    def get(self, request_id: str) -> PasswordResetRecord | None: ...

    def put(self, record: PasswordResetRecord) -> None: ...


class ProfileRepository(Protocol):
    def get(self, account_id: str) -> Profile | None: ...

    def put(self, account_id: str, profile: Profile) -> None: ...


class CardConflict(Exception):
    """A card with the same ``number``, ``card_ref`` or ``status_index`` exists (random draws
    collided): retry."""


class CardRepository(Protocol):
    def get(self, account_id: str) -> CardRecord | None:
        """The account's card (one per account)."""
        ...

    def by_ref(self, card_ref: int) -> CardRecord | None: ...

    def by_number(self, number: str) -> CardRecord | None: ...

    def add(self, record: CardRecord) -> None:
        """Insert a card. :raises CardConflict: the number, card_ref or status_index is taken."""
        ...

    def add_many(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        """Insert new cards at once (bulk issuance); return those that did not go in.

        A card is left out, not raised, when ``add`` would refuse it (its
        number, ``card_ref`` or ``status_index`` taken, its id or its account already holding
        one): the caller adds those one by one to learn why.
        """
        ...

    def put(self, record: CardRecord) -> None:
        """Replace the card with the same ``id``."""
        ...


class VerifierRepository(Protocol):
    def get(self, verifier_id: str) -> Verifier | None: ...

    def by_key(self, key_hash: str) -> Verifier | None:
        """The verifier whose API key has this HMAC."""
        ...

    def add(self, verifier: Verifier, key_hash: str) -> None: ...

    def put(self, verifier: Verifier) -> None:
        """Replace the verifier with the same ``id``, keeping its key hash."""
        ...

    def rekey(self, verifier_id: str, key_hash: str) -> None:
        """Replace the verifier's key hash: the old key stops matching at once."""
        ...

    def list(self) -> builtins.list[Verifier]:
        """Every verifier (retired ones included), oldest first."""
        ...


class ConsentRepository(Protocol):
    def get(self, consent_id: str) -> ConsentRecord | None: ...

    def put(self, record: ConsentRecord) -> None: ...

    def for_account(self, account_id: str) -> list[ConsentRecord]:
        """Every consent of the holder, oldest first (withdrawn ones included)."""
        ...


class AccessLogRepository(Protocol):
    def append(self, record: AccessRecord) -> None:
        """Add an entry; the ledger is append-only."""
        ...

    def for_account(self, account_id: str) -> list[AccessRecord]:
        """The holder's whole ledger, oldest first.

        Unbounded: for what must give everything (the data download under UU PDP);
        a page a person reads takes :meth:`newest_for_account`.
        """
        ...

    def newest_for_account(
        self, account_id: str, *, limit: int, before: LedgerCursor | None = None
    ) -> list[AccessRecord]:
        """At most ``limit`` entries of the holder's ledger, newest first.

        Ordered by ``at`` then ``id``, both descending; with ``before``, only the
        entries strictly after it in that order (older, or of the same instant with a
        smaller id) — so pages read one after another miss no entry and repeat none.
        """
        ...

    def for_verifier(
        self, verifier_id: str, *, since: datetime | None = None, limit: int = 100
    ) -> list[AccessRecord]:
        """What one institution asked for, newest first: at most ``limit``, from ``since`` on."""
        ...


class CheckInRepository(Protocol):
    def get(self, card_ref: int, event_id: str) -> CheckIn | None: ...

    def add(self, check_in: CheckIn) -> None:
        """Record a check-in. :raises CheckInConflict: one exists for (card, event)."""
        ...

    def replace(self, check_in: CheckIn) -> None:
        """Replace the check-in of the same (card, event) — an earlier one found by a sync."""
        ...

    def for_event(self, event_id: str) -> list[CheckIn]: ...

    def count(self, event_id: str) -> int:
        """How many check-ins the event has, read without loading them (every admission asks)."""
        ...


class CheckInConflict(Exception):
    """A check-in for the same (card, event) is already recorded."""


class KeyringRepository(Protocol):
    def get(self) -> Keyring | None:
        """The signing keyring, or ``None`` before the first card."""
        ...

    def put(self, keyring: Keyring) -> None:
        """Store ``keyring`` as the current one, with its :attr:`~Keyring.stamp`."""
        ...

    def stamp(self) -> str | None:
        """The stored keyring's :attr:`~Keyring.stamp`, read without its secrets.

        ``None`` before the first keyring (or for a keyring stored before stamps
        existed). Running services call this on every key-dependent request to
        notice a rotation or retirement made by another process, so it must be
        one small read: no decryption.
        """
        ...
