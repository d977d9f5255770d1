"""The storage port: the unit of work (:class:`Transaction`), the scan's one read, the store.

:class:`Storage` opens transactions over the repositories of
:mod:`siapkerja_core.ports.repositories`; :meth:`Storage.scan_subject` and
:meth:`Storage.log_access` serve the scan's hot path without one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from siapkerja_core.ports.aki import AkiRepository
from siapkerja_core.ports.audit import AuditRepository
from siapkerja_core.ports.consent_requests import ConsentRequestRepository
from siapkerja_core.ports.contacts import SecondContactRepository
from siapkerja_core.ports.disputes import CaseRepository
from siapkerja_core.ports.factors import FactorRepository
from siapkerja_core.ports.gates import GateRepository
from siapkerja_core.ports.repositories import (
    AccessLogRepository,
    AccountRepository,
    CardRepository,
    ChallengeRepository,
    CheckInRepository,
    ConsentRepository,
    KeyringRepository,
    OutboxRepository,
    ProfileRepository,
    RegistrationRepository,
    ResetRepository,
    SessionRepository,
    VerifierRepository,
)
from siapkerja_core.ports.rights import RightsRepository
from siapkerja_core.ports.sso import SsoClientRepository, SsoTokenRepository
from siapkerja_core.ports.status_list import StatusListRepository
from siapkerja_core.ports.training import ClassRepository, ProgrammeRepository
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
)

if TYPE_CHECKING:
    from siapkerja_core.profile import Profile

__all__ = [
    "CardHolder",
    "ChangeStamp",
    "ScanLedger",
    "ScanSubject",
    "Storage",
    "Transaction",
]


class CardHolder:
    """An account with its card and stored profile (``None`` where there is none).

    What bulk jobs read for a whole batch at once (:meth:`Transaction.card_holders`).
    An adapter that must decode a profile may pass ``load`` instead of
    ``profile``: the profile is then decoded when :attr:`profile` is first
    read, so a holder the job passes over (a card already issued, an inactive
    account) costs no decoding. The same holds for the account
    (``load_account`` with ``account_id`` and ``active``), and an adapter that
    stored :func:`~siapkerja_core.completeness.completeness_stamp` beside the
    profile passes what it says as ``complete``: bulk issuance then decodes
    neither. Read :attr:`account` and :attr:`profile` inside the transaction
    that gave the holder: an adapter may fetch them only then.
    """

    __slots__ = (
        "_account",
        "_load",
        "_load_account",
        "_profile",
        "account_id",
        "active",
        "card",
        "complete",
    )

    def __init__(
        self,
        account: AccountRecord | None,
        card: CardRecord | None,
        profile: Profile | None = None,
        *,
        load: Callable[[], Profile] | None = None,
        load_account: Callable[[], AccountRecord] | None = None,
        account_id: str = "",
        active: bool = True,
        complete: bool | None = None,
    ) -> None:
        if account is not None:
            account_id, active = account.id, account.active
        elif load_account is None or not account_id:
            raise TypeError("CardHolder needs the account, or load_account and account_id")
        self._account = account
        self._load_account = load_account
        self.account_id = account_id
        self.active = active
        self.card = card
        self._profile = profile
        self._load = load
        self.complete = complete
        """Whether the stored profile is complete under the built-in rules, as the adapter
        stored it; ``None`` when it does not know (decode :attr:`profile` and check)."""

    @property
    def account(self) -> AccountRecord:
        """The account, decoded on first read when the adapter deferred it."""
        if self._account is None:
            assert self._load_account is not None
            self._account, self._load_account = self._load_account(), None
        return self._account

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
        return f"CardHolder(account_id={self.account_id!r}, card={self.card!r})"


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

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def aki(self) -> AkiRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def consent_requests(self) -> ConsentRequestRepository: ...

    @property
    def sso_clients(self) -> SsoClientRepository: ...

    @property
    def sso_tokens(self) -> SsoTokenRepository: ...

    @property
    def status_list(self) -> StatusListRepository: ...

    @property
    def gates(self) -> GateRepository: ...

    @property
    def classes(self) -> ClassRepository: ...

    @property
    def programmes(self) -> ProgrammeRepository: ...

    @property
    def factors(self) -> FactorRepository: ...

    @property
    def rights(self) -> RightsRepository: ...

    @property
    def disputes(self) -> CaseRepository: ...

    @property
    def second_contacts(self) -> SecondContactRepository: ...

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
class ScanLedger(Protocol):
    """A storage that reads a scan's subject and commits its ledger entry in one step.

    Optional (the scan falls back to :meth:`Storage.scan_subject` then
    :meth:`Storage.log_access`). A storage whose every statement is a network
    round trip (PostgreSQL) implements it to make an anonymous scan **one**
    committed round trip instead of two; SQLite's, one statement instead of a
    read into the process and an insert.
    """

    def scan_logged(
        self, card_ref: int, entry: Callable[[ScanSubject | None], AccessRecord]
    ) -> None:
        """Read the card's subject as committed and commit the ledger entry ``entry`` makes.

        ``entry`` gets the subject read now (``None``: no such card) and returns
        the entry to commit, or raises to refuse the scan: the error propagates
        and nothing is logged. The entry is committed when this returns.

        A storage may call ``entry`` first with a subject it kept from an
        earlier read, and commit what it returns in the same statement as the
        read, **only if** the rows read are those it kept (the same row
        versions, or the same value in every column the subject is decoded
        from); otherwise, or when ``entry`` raised on the kept subject, it
        calls ``entry`` again with what it read and commits that. ``entry``
        must therefore depend on nothing but its subject (and the scan it was
        made for), and the caller keeps what the last call returned.
        """
        ...


@runtime_checkable
class ChangeStamp(Protocol):
    """A storage that tells, without reading a table, whether anything was committed.

    Optional. A reader that kept what it read (a signed-in page's bytes, with
    the session it was shown to) may skip reading again while the stamp is
    unchanged: nothing it read can have changed.
    """

    def change_stamp(self) -> Hashable | None:
        """A value that stays **equal** only while nothing is committed to the storage.

        Two calls that return equal values (not ``None``) prove that no unit of
        work, ledger entry or other write was committed between them — by this
        process or by any other sharing the storage. A commit that changed nothing
        may change it too. ``None``: the storage cannot tell just now (nothing kept
        may be trusted). Cheap: no table is read.
        """
        ...


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
    * ``with storage.transaction(read_only=True) as tx:`` — a unit of work
      that only reads: one consistent snapshot of committed data that takes
      no write lock, so readers do not queue behind each other or behind
      writers (SQLite: ``BEGIN DEFERRED`` without the process's write lock;
      PostgreSQL: ``REPEATABLE READ READ ONLY``). A write through it raises
      ``StorageError("read_only")`` and nothing is written.
    * ``accounts.add`` enforces one active account per NIK, e-mail and phone,
      atomically, under concurrency: of N racing adds exactly one succeeds.
    * Failures of the medium raise :class:`StorageError`, never a driver exception.
    """

    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Transaction]:
        """Open a unit of work (``read_only``: one that only reads, see above)."""
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
