"""Ports: the protocols the core needs from the outside world.

This module owns the contracts adapters implement (``typing.Protocol``
classes), the values that cross them and the errors they may raise: the
message sender (SMS), the population registry (Dukcapil), storage (a unit of
work over repositories) and counters (rate limits). Every adapter of a port
is checked by the same contract suite in ``tests/contract``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

import attrs

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
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
    "CardHolder",
    "CardRepository",
    "ChallengeRepository",
    "CheckInConflict",
    "CheckInRepository",
    "ConsentRepository",
    "Counters",
    "FieldMatch",
    "KeyringRepository",
    "MessageSender",
    "PopulationRegistry",
    "ProfileRepository",
    "RegistrationRepository",
    "RegistryUnavailable",
    "ResetRepository",
    "ScanSubject",
    "SentMessage",
    "SessionRepository",
    "SmsDeliveryError",
    "Storage",
    "StorageError",
    "Transaction",
    "VerificationRequest",
    "VerificationResult",
    "VerifierRepository",
]


@attrs.frozen
class SentMessage:
    """The receipt of one text message handed to the SMS service.

    ``message_id`` is the service's identifier (unique per message);
    ``sent_at`` is aware. ``text`` holds a one-time code, so it is left out of
    the repr: a receipt printed to a log does not leak the code.
    """

    to: str
    text: str = attrs.field(repr=False)
    message_id: str
    sent_at: datetime


class SmsDeliveryError(SiapkerjaError):
    """The SMS service could not take the message; nothing was sent.

    Retrying later (with the same idempotency key) is safe.
    """

    domain = "sms"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


@runtime_checkable
class MessageSender(Protocol):
    """Delivers a short text message to a mobile phone (the ``sms`` port).

    Contract every adapter keeps:

    * ``to`` is an E.164 number (``"+6281234567890"``); the core normalises
      numbers before calling, so an adapter does not re-parse them.
    * On success it returns a :class:`SentMessage` whose ``to`` and ``text``
      are the ones given. On failure it raises :class:`SmsDeliveryError` and
      nothing counts as sent.
    * ``idempotency_key``: a second send with a key already used returns the
      first receipt and sends nothing, so a retried request never texts twice.
      A failed send does not use up its key.
    * ``text`` holds a one-time code: an adapter never logs it above DEBUG.
    """

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Send ``text`` to ``to`` and return the receipt.

        :param to: the recipient, in E.164 form.
        :param text: the message body (contains a one-time code).
        :param idempotency_key: identifies the logical message across retries.
        :raises SmsDeliveryError: ``sms.unavailable`` when the service refuses or fails.
        """
        ...


# --- population registry (Dukcapil) -------------------------------------------------


@attrs.frozen(kw_only=True)
class VerificationRequest:
    """What the core asks the registry to verify.

    Names arrive already normalised by :func:`siapkerja_core.names.normalize_name`
    (upper case, titles removed) — Dukcapil scores fuzzy matches, and stray
    titles ("H.", "S.Kom.") only lower the score. ``threshold`` (1–100) is the
    similarity the caller requires, passed on as Dukcapil's ``TRESHOLD``.
    """

    nik: str
    full_name: str = attrs.field(repr=False)
    mother_name: str = attrs.field(repr=False)
    threshold: int


@attrs.frozen
class FieldMatch:
    """One field's verdict: ``matched`` ("Sesuai") and, for fuzzy fields, the score 0–100."""

    matched: bool
    score: int | None = None


@attrs.frozen(kw_only=True)
class VerificationResult:
    """The registry's answer, one verdict per field and never the stored values.

    ``status`` is ``"found"`` (the per-field verdicts apply), ``"not_found"``
    (no such NIK, or Dukcapil's "invalid" answers) or ``"inactive"`` (the data
    exist but the resident's status is inactive — Dukcapil response code 14).
    ``quota_remaining`` is Dukcapil's ``quotaLimiter`` when the registry
    reports it.
    """

    status: Literal["found", "not_found", "inactive"]
    nik: FieldMatch
    full_name: FieldMatch
    mother_name: FieldMatch
    quota_remaining: int | None = None


class RegistryUnavailable(SiapkerjaError):
    """The population registry could not answer; nothing was decided, try again later."""

    domain = "dukcapil"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


@runtime_checkable
class PopulationRegistry(Protocol):
    """Verifies a person against the population register (the ``dukcapil`` port).

    Contract: ``verify`` never reveals a stored value, only per-field verdicts;
    it raises :class:`RegistryUnavailable` when it cannot answer (timeouts,
    5xx, malformed replies, quota exhausted), never a transport exception.
    """

    def verify(self, request: VerificationRequest) -> VerificationResult:
        """Check NIK, full name and mother's maiden name.

        :param request: the values to verify and the required similarity.
        :return: the per-field verdicts.
        :raises RegistryUnavailable: ``dukcapil.unavailable``.
        """
        ...


# --- storage (unit of work) -------------------------------------------------------------


class AccountConflict(Exception):
    """Adding an account would give a second active account the same ``field`` value.

    ``field`` is ``"nik"``, ``"email"`` or ``"phone"``. Storage raises it
    atomically: of two racing additions exactly one succeeds.
    """

    def __init__(self, field: Literal["nik", "email", "phone"]) -> None:
        super().__init__(field)
        self.field = field


class StorageError(SiapkerjaError):
    """Storage failed (connection lost, disk full, …); the transaction was rolled back."""

    domain = "storage"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


class RegistrationRepository(Protocol):
    def get(self, registration_id: str) -> RegistrationRecord | None: ...

    def put(self, record: RegistrationRecord) -> None:
        """Insert or replace by ``id``."""
        ...


class ChallengeRepository(Protocol):
    """OTP challenges, one per subject (a registration id or ``reset:<account id>``)."""

    def get(self, subject_id: str) -> OtpChallenge | None: ...

    def put(self, challenge: OtpChallenge) -> None:
        """Insert or replace by ``subject_id``."""
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
    """A card with the same ``number`` or ``card_ref`` exists (random draws collided): retry."""


class CardRepository(Protocol):
    def get(self, account_id: str) -> CardRecord | None:
        """The account's card (one per account)."""
        ...

    def by_ref(self, card_ref: int) -> CardRecord | None: ...

    def by_number(self, number: str) -> CardRecord | None: ...

    def add(self, record: CardRecord) -> None:
        """Insert a card. :raises CardConflict: the number or card_ref is taken."""
        ...

    def add_many(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        """Insert new cards at once (bulk issuance); return those that did not go in.

        A card is left out, not raised, when ``add`` would refuse it (its
        number or ``card_ref`` taken, its id or its account already holding
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

    def put(self, verifier: Verifier) -> None: ...


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
        """The holder's ledger, oldest first."""
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


class CardHolder:
    """An account with its card and stored profile (``None`` where there is none).

    What bulk jobs read for a whole batch at once (:meth:`Transaction.card_holders`).
    An adapter that must decode a profile may pass ``load`` instead of
    ``profile``: the profile is then decoded when :attr:`profile` is first
    read, so a holder the job passes over (a card already issued, an inactive
    account) costs no decoding.
    """

    __slots__ = ("_load", "_profile", "account", "card")

    def __init__(
        self,
        account: AccountRecord,
        card: CardRecord | None,
        profile: Profile | None = None,
        *,
        load: Callable[[], Profile] | None = None,
    ) -> None:
        self.account = account
        self.card = card
        self._profile = profile
        self._load = load

    @property
    def profile(self) -> Profile | None:
        """The stored profile, decoded on first read when the adapter deferred it."""
        if self._load is not None:
            self._profile, self._load = self._load(), None
        return self._profile

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CardHolder):
            return NotImplemented
        return (self.account, self.card, self.profile) == (other.account, other.card, other.profile)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CardHolder(account={self.account!r}, card={self.card!r})"


class Transaction(Protocol):
    """The repositories seen inside one unit of work."""

    @property
    def registrations(self) -> RegistrationRepository: ...

    @property
    def challenges(self) -> ChallengeRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def resets(self) -> ResetRepository: ...

    @property
    def profiles(self) -> ProfileRepository: ...

    @property
    def cards(self) -> CardRepository: ...

    @property
    def verifiers(self) -> VerifierRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def access_log(self) -> AccessLogRepository: ...

    @property
    def check_ins(self) -> CheckInRepository: ...

    @property
    def keyring(self) -> KeyringRepository: ...

    def card_holders(self, account_ids: Sequence[str]) -> Iterator[CardHolder]:
        """Each existing account among ``account_ids`` with its card and profile (bulk jobs).

        What ``accounts.get``, ``cards.get`` and ``profiles.get`` would return
        for each id — this transaction's own writes included, the accounts
        locked as ``accounts.get`` locks them — read for a whole batch at
        once instead of three reads per account. Each account comes once, in
        the order of the ids; unknown ids are left out. Consume the iterator
        inside the transaction: an adapter may decode each profile only as
        it is reached, so a batch never holds all its profiles at once.
        """
        ...


class ScanSubject(NamedTuple):
    """What a QR scan needs in one read: the card, its holder and the holder's profile.

    A named tuple rather than an attrs class: it is built on every scan, and
    it never leaves the scan (the cost of a frozen attrs object showed in the
    scan benchmark).
    """

    card: CardRecord
    account: AccountRecord
    profile: Profile | None
    keyring_stamp: str | None = None
    """The stored keyring's stamp, read in the same query (``tx.keyring.stamp()``).

    ``None`` when the adapter does not read it here: the service then asks
    ``tx.keyring.stamp()`` itself, so a retired key is refused either way.
    """


@runtime_checkable
class Storage(Protocol):
    """Persistent records behind a unit of work (the ``storage`` port).

    Contract every adapter keeps (``tests/contract/test_storage_contract.py``):

    * ``with storage.transaction() as tx:`` — everything written through
      ``tx`` commits together when the block ends normally and is discarded
      when it raises: no half-written data.
    * Transactions are isolated: a transaction reads its own writes and never
      another's uncommitted ones, and two transactions that read then write
      the same record do not both win (memory: serialised; SQL: row locks or
      a retry).
    * ``accounts.add`` enforces one active account per NIK, e-mail and phone,
      atomically, under concurrency: of N racing adds exactly one succeeds.
    * Failures of the medium raise :class:`StorageError`, never a driver exception.
    """

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Open a unit of work."""
        ...

    def scan_subject(self, card_ref: int) -> ScanSubject | None:
        """The card with this reference, its account and profile, as committed (one read).

        The hot path of a QR scan: no transaction is needed to read one card's
        current state, and a SQL adapter answers it with one query.
        """
        ...

    def log_access(self, record: AccessRecord) -> None:
        """Append one entry to the access ledger, committed on return.

        An entry stands alone (append-only, never updated), so it needs no
        enclosing unit of work.
        """
        ...


# --- counters (rate limits) ----------------------------------------------------------------


@runtime_checkable
class Counters(Protocol):
    """Fixed-window counters for caps and throttles (the ``ratelimit`` port).

    A window of length ``window`` starts at every multiple of it since the
    epoch (a day window is a UTC calendar day). Keys are opaque strings
    chosen by the core (HMACs — never a NIK or a phone number). Contract:
    ``increment`` is atomic across processes sharing the adapter; counts of
    a finished window read as 0; ``now`` is passed in so that tests control time.
    """

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Add one to ``key`` in the window containing ``now``; return the new count."""
        ...

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        """The count of ``key`` in the window containing ``now`` (0 if none)."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key`` in every window."""
        ...
