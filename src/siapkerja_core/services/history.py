"""The holder's history page's data, read at once: the ledger page, consents, hubs, requests.

``svc.history_overview`` returns what ``svc.access_log_page``, ``svc.consents``,
``svc.sso.signed_in``, ``svc.prefill.pending`` and ``svc.profile`` return, and
the registered names the page shows beside them, from **one** read-only unit of
work: the separate calls took a unit of work and an account read each (and on
SQLite the write lock for some), and an event's name one more apiece.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import frozen

from siapkerja_core.disclosure import Verifier
from siapkerja_core.gates import valid_id
from siapkerja_core.ports import Transaction
from siapkerja_core.prefill import ConsentRequest
from siapkerja_core.profile import Profile
from siapkerja_core.records import (
    AccessLedgerPage,
    ConsentRecord,
    LedgerCursor,
)
from siapkerja_core.services.consent import check_ledger_limit, ledger_page
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.sso import SsoClient

__all__ = ["History", "HistoryOverview", "signed_in_clients"]


@frozen(kw_only=True)
class HistoryOverview:
    """What the holder's history page shows (:meth:`History.overview`)."""

    page: AccessLedgerPage
    """The ledger page asked for, newest first (as ``svc.access_log_page``)."""
    consents: tuple[ConsentRecord, ...]
    """Every consent, withdrawn ones included (as ``svc.consents``)."""
    connected: tuple[SsoClient, ...]
    """The hubs holding live tokens of the holder (as ``svc.sso.signed_in``)."""
    requests: tuple[ConsentRequest, ...]
    """The requests waiting for the holder's answer (as ``svc.prefill.pending``)."""
    profile: Profile
    """The holder's profile (as ``svc.profile``): the page's time zone comes from it."""
    verifiers: Mapping[str, Verifier | None]
    """The registered verifier (``None``: no longer registered) of each consent whose
    verifier no entry of the page names (the entries carry its name), and of each
    waiting request that names no field (its verifier's scope is what it asks)."""
    events: Mapping[str, str]
    """The name of each event a purpose of the page's entries names (its id → name);
    a purpose naming no event is left out."""


def signed_in_clients(
    tx: Transaction,
    account_id: str,
    now: datetime,
    consents: list[ConsentRecord] | None = None,
) -> list[SsoClient]:
    """The clients holding live tokens of the holder, read in ``tx`` (``svc.sso.signed_in``).

    A token whose consent was withdrawn is dead already (refused at its next use),
    so its hub is not listed. ``consents``: the holder's, when the caller read them.
    """
    tokens = [t for t in tx.sso_tokens.for_account(account_id) if t.live_at(now)]
    if not tokens:
        return []
    if consents is None:
        consents = tx.consents.for_account(account_id)
    active = {c.id: c.active for c in consents}
    seen = dict.fromkeys(t.client_id for t in tokens if active.get(t.consent_id or ""))
    found = [tx.sso_clients.get(client_id) for client_id in seen]
    return [c for c in found if c is not None]


class History:
    """The holder's history page's reads.

    :param ctx: the shared service context.
    :param profiles: finds the active account and reads its profile.
    """

    def __init__(self, ctx: ServiceContext, *, profiles: Profiles) -> None:
        self.ctx = ctx
        self.profiles = profiles

    def overview(
        self, account_id: str, *, limit: int = 50, before: LedgerCursor | None = None
    ) -> HistoryOverview:
        """The history page's data in one read-only unit of work.

        :raises CardError: ``card.no_account`` (no active account).
        :raises ValueError: ``limit`` not 1 to ``MAX_LEDGER_PAGE``.
        """
        check_ledger_limit(limit)
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self.profiles.account(tx, account_id)
            page = ledger_page(tx, account.id, limit, before)
            shown = page.entries
            consents = tx.consents.for_account(account.id)
            connected = signed_in_clients(tx, account.id, now, consents)
            requests = tuple(
                r for r in tx.consent_requests.pending_for(account.id) if r.open_at(now)
            )
            profile = self.profiles.profile_of(tx, account)
            named = {e.verifier_id for e in shown if e.verifier_id}
            wanted = {c.verifier_id for c in consents} - named
            wanted |= {r.verifier_id for r in requests if r.fields is None}
            verifiers = {verifier_id: tx.verifiers.get(verifier_id) for verifier_id in wanted}
            events: dict[str, str] = {}
            # An event's id is the purpose of its codes; an AK/I entry's purpose (words
            # with spaces) or a verifier's own words are no id and read nothing.
            for purpose in {e.purpose for e in shown if e.purpose and valid_id(e.purpose)}:
                event = tx.gates.event(purpose)
                if event is not None:
                    events[purpose] = event.name
        return HistoryOverview(
            page=page,
            consents=tuple(consents),
            connected=tuple(connected),
            requests=requests,
            profile=profile,
            verifiers=verifiers,
            events=events,
        )
