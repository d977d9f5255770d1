"""Verifiers, the holder's consent, and the access ledger the holder reads.

A verifier (an institution with scopes) is registered with an API key shown
once and stored only as an HMAC. Consent is specific to a verifier and a
purpose, recorded and provable, and withdrawing it keeps the record (UU
27/2022 Pasal 9, 22, 24). The ledger tells the holder who saw which fields,
when and for what (Pasal 32).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from siapkerja_core.disclosure import DisclosureError, Verifier, normalize_purpose, scope_fields
from siapkerja_core.events import ConsentChanged
from siapkerja_core.ports import Transaction
from siapkerja_core.records import (
    MAX_LEDGER_PAGE,
    AccessLedger,
    AccessLedgerPage,
    ConsentRecord,
    LedgerCursor,
)
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.institutions import Institutions, usable_verifier
from siapkerja_core.services.profiles import Profiles

__all__ = ["Consent"]


def check_ledger_limit(limit: int) -> None:
    """:raises ValueError: a ledger page's ``limit`` not 1 to ``MAX_LEDGER_PAGE``."""
    if not 1 <= limit <= MAX_LEDGER_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_LEDGER_PAGE}, not {limit}")


def ledger_page(
    tx: Transaction, account_id: str, limit: int, before: LedgerCursor | None
) -> AccessLedgerPage:
    """At most ``limit`` of the account's ledger entries, newest first, from ``before`` on,
    read in ``tx``: one more is read, so ``next`` is set only when an older entry exists."""
    found = tx.access_log.newest_for_account(account_id, limit=limit + 1, before=before)
    shown = tuple(found[:limit])
    more = len(found) > limit
    return AccessLedgerPage(shown, LedgerCursor.after(shown[-1]) if more else None)


class Consent:
    """Register verifiers, record consent, read the access ledger.

    :param ctx: the shared service context.
    :param profiles: finds the active account.
    """

    def __init__(self, ctx: ServiceContext, *, profiles: Profiles) -> None:
        self.ctx = ctx
        self.profiles = profiles

    def register_verifier(self, name: str, scopes: Iterable[str]) -> tuple[Verifier, str]:
        """Register an institution; returns it and its API key (shown once, stored hashed).

        The register itself is :class:`~siapkerja_core.services.institutions.Institutions`
        (``svc.verifiers``), which also records the action in the audit.
        """
        return Institutions(self.ctx).add(name, scopes)

    def verifier(self, api_key: str) -> Verifier:
        """The active verifier holding ``api_key`` (``disclosure.verifier_suspended`` if not)."""
        return Institutions(self.ctx).by_key(str(api_key))

    def grant_consent(
        self,
        account_id: str,
        verifier_id: str,
        purpose: str,
        fields: Iterable[str] | None = None,
    ) -> ConsentRecord:
        purpose = normalize_purpose(purpose)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = self.record_consent(tx, account_id, verifier_id, purpose, fields, now)
        self.consent_granted(record)
        return record

    def record_consent(
        self,
        tx: Transaction,
        account_id: str,
        verifier_id: str,
        purpose: str,
        fields: Iterable[str] | None,
        now: datetime,
    ) -> ConsentRecord:
        """Write the consent of :meth:`grant_consent` inside ``tx`` (``purpose`` normalised).

        For a use case that records a consent together with other writes (an
        approved consent request); it calls :meth:`consent_granted` after the commit.
        """
        account = self.profiles.account(tx, account_id)
        verifier = usable_verifier(tx.verifiers.get(verifier_id))
        chosen = None if fields is None else frozenset(fields) & scope_fields(verifier.scopes)
        record = ConsentRecord(
            id=self.ctx.new_id(),
            account_id=account.id,
            verifier_id=verifier.id,
            purpose=purpose,
            fields=chosen,
            granted_at=now,
        )
        tx.consents.put(record)
        return record

    def consent_granted(self, record: ConsentRecord) -> None:
        """Announce a committed consent (the ``ConsentChanged`` event)."""
        self.ctx.emit(
            ConsentChanged(
                occurred_at=record.granted_at,
                account_id=record.account_id,
                consent_id=record.id,
                verifier_id=record.verifier_id,
                granted=True,
            )
        )

    def withdraw_consent(self, account_id: str, consent_id: str) -> ConsentRecord:
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.consents.get(consent_id)
            if record is None or record.account_id != account_id:
                raise DisclosureError("unknown_consent")
            if record.active:
                record = record.withdrawn(now)
                tx.consents.put(record)
        self.ctx.emit(
            ConsentChanged(
                occurred_at=now,
                account_id=account_id,
                consent_id=consent_id,
                verifier_id=record.verifier_id,
                granted=False,
            )
        )
        return record

    def consents(self, account_id: str) -> list[ConsentRecord]:
        with self.ctx.storage.transaction(read_only=True) as tx:  # reads: no row locks
            return tx.consents.for_account(self.profiles.account(tx, account_id).id)

    def access_log(self, account_id: str) -> AccessLedger:
        """The holder's ledger: who saw what, when, for what purpose (UU PDP Pasal 32)."""
        with self.ctx.storage.transaction(read_only=True) as tx:  # reads: no row locks
            entries = tx.access_log.for_account(self.profiles.account(tx, account_id).id)
        return AccessLedger(entries)

    def access_log_page(
        self, account_id: str, *, limit: int = 50, before: LedgerCursor | None = None
    ) -> AccessLedgerPage:
        """At most ``limit`` entries of the holder's ledger, newest first, from ``before`` on.

        One more entry than shown is read, so ``next`` is set only when an older
        entry exists.
        """
        check_ledger_limit(limit)
        # Read-only: no row locks (PostgreSQL: no transaction id, so the storage's change
        # stamp stays put) and, on SQLite, no wait behind the process's writers.
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.profiles.account(tx, account_id)
            return ledger_page(tx, account.id, limit, before)
