"""The card status list: allocating each card's index, suspending and resuming cards, and
publishing the signed list that offline stations cache.

* **Indexes.** A new card draws a random index in the list (never 0, never in
  order of issue); the index is unique on the card rows, so a taken one is
  drawn again like a card number. Each issuing transaction reserves its
  indexes in the list's state first, and the list doubles before it is half
  full, so a draw hits a free index at least every other time.
* **Statuses.** Revoking, re-issuing a revoked card, suspending and resuming
  change a card's entry; each does it in its own transaction and bumps the
  list's revision there, so no process serves a list older than a committed
  change once it asks again.
* **Publication.** :meth:`StatusLists.token` is the list as a signed JWT
  (:mod:`siapkerja_core.tokens.status_list`), built from storage and cached:
  re-signed when the revision, the size or the keys changed, and when half
  its ``ttl`` (the ``status_list_max_age`` setting) has passed, so a fetched
  list always has at least half its life left.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Final

from attrs import frozen

from siapkerja_core.errors import CardError
from siapkerja_core.ports import StatusListState, Transaction
from siapkerja_core.records import CardRecord
from siapkerja_core.services.context import CardState, Entropy, ServiceContext
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.tokens.status_list import (
    MIN_STATUS_LIST_SIZE,
    StatusList,
    StatusListToken,
    sign_status_list,
    status_list_size,
    verify_status_list,
)

__all__ = [
    "DEFAULT_STATUS_LIST_MAX_AGE",
    "StatusLists",
    "draw_status_index",
    "reserve_status_indexes",
]

DEFAULT_STATUS_LIST_MAX_AGE: Final = 900
"""Seconds a published status list may be relied on (its ``ttl``) unless configured: 15 min."""


def reserve_status_indexes(tx: Transaction, count: int) -> int:
    """Reserve ``count`` new indexes in ``tx``; the size of the list to draw them from.

    The list doubles (``status_list_size``) once the reserved indexes would
    fill more than half of it; indexes already given stay inside it.
    """
    state = tx.status_list.reserve(count, 0)
    need = status_list_size(state.allocated)
    if need > state.size:
        state = tx.status_list.reserve(0, need)
    return state.size


def draw_status_index(entropy: Entropy, size: int) -> int:
    """A random index in ``1 .. size - 1`` (0 is kept for codes minted without a card's index)."""
    return 1 + entropy.randbelow(size - 1)


@frozen
class _Signed:
    token: str
    issued_at: datetime
    revision: int
    size: int
    stamp: str


class StatusLists:
    """The card status list: suspension, resumption and the published, signed list.

    :param ctx: the shared service context.
    :param cards: the card's shared state (caches invalidated on a change).
    :param profiles: reads accounts.
    :param keys: the keyring whose access key signs the list.
    :param uri: the list's URI (its ``sub`` claim: where stations fetch it).
    :param max_age: seconds the list may be relied on (its ``ttl``; ``exp`` is ``iat + ttl``).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        cards: CardState,
        *,
        profiles: Profiles,
        keys: Keys,
        uri: str,
        max_age: int = DEFAULT_STATUS_LIST_MAX_AGE,
    ) -> None:
        self.ctx = ctx
        self.cards = cards
        self.profiles = profiles
        self.keys = keys
        self.uri = uri
        self.max_age = max_age
        self._signed: _Signed | None = None
        self._lock = threading.Lock()

    # --- publication -------------------------------------------------------------------

    def token(self) -> str:
        """The current status list as a signed JWT (``application/statuslist+jwt``).

        One small read when the cached list is still good (same revision, size
        and keys, younger than half its ``ttl``); otherwise the statuses are
        read and the list is signed again.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            ring = self.keys.current.in_transaction(tx)
            state = tx.status_list.state() or StatusListState(MIN_STATUS_LIST_SIZE)
            signed = self._signed
            if (
                signed is not None
                and signed.revision == state.revision
                and signed.size == state.size
                and signed.stamp == ring.stamp
                and (now - signed.issued_at).total_seconds() * 2 < self.max_age
                and now >= signed.issued_at
            ):
                return signed.token
            entries = list(tx.status_list.statuses())
        size = status_list_size(0, max((index for index, _ in entries), default=0))
        status_list = StatusList.build(max(size, state.size), entries)
        issued_at = datetime.fromtimestamp(int(now.timestamp()), UTC)
        token = sign_status_list(ring, status_list, sub=self.uri, iat=issued_at, ttl=self.max_age)
        with self._lock:
            self._signed = _Signed(token, issued_at, state.revision, state.size, ring.stamp)
        return token

    def current(self) -> StatusListToken:
        """The current list, decoded and checked as a station would (``iat``, ``exp``, size …)."""
        token = self.token()
        return verify_status_list(self.keys.keyring().public(), token, self.ctx.clock())

    def cache_seconds(self, token: str | None = None) -> int:
        """How long an HTTP cache may keep the list just served: until it would be re-signed.

        Half the ``ttl`` from its ``iat``: a cache never hands a station a list
        with less than half its life left.
        """
        signed = self._signed
        if signed is None or (token is not None and signed.token != token):
            return 0
        left = self.max_age // 2 - (self.ctx.clock() - signed.issued_at).total_seconds()
        return max(0, int(left))

    # --- statuses ----------------------------------------------------------------------

    def suspend_card(self, account_id: str) -> CardRecord:
        """Suspend the card: its codes are refused online at once and offline once the
        stations hold a list signed after now (within ``max_age``). Already suspended:
        unchanged."""
        return self._change(account_id, suspend=True)

    def resume_card(self, account_id: str) -> CardRecord:
        """End the card's suspension. Not suspended: unchanged."""
        return self._change(account_id, suspend=False)

    def _change(self, account_id: str, *, suspend: bool) -> CardRecord:
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.cards.get(self.profiles.account(tx, account_id).id)
            if record is None:
                raise CardError("no_card")
            if (record.suspended_at is not None) == suspend:
                return record
            record = record.suspended(now) if suspend else record.resumed(now)
            tx.cards.put(record)
            tx.status_list.touch()
        self.cards.invalidate(record.card_ref)
        return record
