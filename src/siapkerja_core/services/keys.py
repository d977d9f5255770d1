"""The signing keyring: cached per process, honouring key changes made anywhere.

The newest key of each kind signs; older keys keep verifying until retired
(a leaked key is retired, and every token it signed dies at once).

A keyring is read from storage and decrypted once per change, not once per
request: verifying a link token takes microseconds, reading and decrypting the
keyring far more. But the cache must never outlive a change made by another
process — ``siapkerja keys retire`` is the answer to a leaked key, and a web
worker that kept accepting the retired key until its restart would defeat it.

So every keyring carries a :attr:`~siapkerja_core.tokens.Keyring.stamp` that
storage keeps in plaintext beside it, and every key-dependent request compares
the cached keyring's stamp with the stored one — read in the same query as the
card it needs anyway (``ScanSubject.keyring_stamp``) or with one small read in
the transaction it already opens (``tx.keyring.stamp()``). A stamp that
differs reloads the keyring before the answer is given:

* a **retired** key is refused by every process at once, on its next request;
* after a **rotation**, every process signs new tokens with the new key, and a
  token signed by a key it has not seen yet (unknown key id) makes it look
  before it answers ``forged``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from siapkerja_core.ports import Storage, Transaction
from siapkerja_core.services.context import CardState, ServiceContext
from siapkerja_core.tokens import Keyring, TokenError
from siapkerja_core.tokens.keyring import KeyKind

__all__ = ["CurrentKeyring", "Keys"]

_Claims = TypeVar("_Claims")


class CurrentKeyring:
    """The keyring in storage, cached until its stored stamp changes.

    Thread-safe: a reload replaces the cached keyring in one assignment, and
    changes (:meth:`rotate`, :meth:`retire`) are serialised by a lock and by
    the storage transaction that writes them.
    """

    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], datetime],
        token_bytes: Callable[[int], bytes],
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._token_bytes = token_bytes
        self._lock = threading.Lock()
        self._ring: Keyring | None = None

    # --- reading ------------------------------------------------------------------------

    def cached(self) -> Keyring:
        """The keyring last seen, loaded (or created) on first use; no storage read after.

        Callers check it against the stored stamp before they act on a token
        (:meth:`matching`, :meth:`in_transaction`).
        """
        ring = self._ring
        return ring if ring is not None else self.reload()

    def stored(self) -> Keyring | None:
        """The keyring, cached or read from storage; ``None`` while none was ever made.

        For checks, which must not mint the first keys as a side effect.
        """
        ring = self._ring
        if ring is not None:
            return ring
        with self._lock, self._storage.transaction() as tx:
            return None if tx.keyring.get() is None else self._load(tx)

    def matching(self, stored_stamp: str | None) -> Keyring:
        """The keyring whose stamp is ``stored_stamp`` (as just read from storage).

        The cached one when the stamps agree — the common case, no read —
        otherwise the keyring is loaded again.
        """
        ring = self._ring
        if ring is not None and stored_stamp == ring.stamp:
            return ring
        return self.reload()

    def in_transaction(self, tx: Transaction) -> Keyring:
        """The current keyring, checked against the stored stamp inside ``tx``."""
        ring = self._ring
        if ring is not None and tx.keyring.stamp() == ring.stamp:
            return ring
        return self._load(tx)

    def seen_in(self, tx: Transaction) -> Keyring | None:
        """The cached keyring if its stamp is the one stored, read inside ``tx``; else ``None``.

        For a read-only unit of work (which must not write): on ``None`` (keys changed
        meanwhile, or none loaded yet) the caller takes :meth:`current` after it.
        """
        ring = self._ring
        if ring is not None and tx.keyring.stamp() == ring.stamp:
            return ring
        return None

    def current(self) -> Keyring:
        """The current keyring, checked against storage (one small read)."""
        with self._storage.transaction() as tx:
            return self.in_transaction(tx)

    def or_current(self, seen: Keyring | None) -> Keyring:
        """``seen`` (from :meth:`seen_in`), or, when it was ``None`` (keys changed, or none
        loaded yet), :meth:`current` — in a unit of work that may write its stamp."""
        return self.current() if seen is None else seen

    def reload(self) -> Keyring:
        """Read the keyring from storage again (created on first use)."""
        with self._lock, self._storage.transaction() as tx:
            return self._load(tx)

    def newer(self) -> Keyring | None:
        """The stored keyring if it changed since it was cached, else ``None``.

        For a token whose key id the cached keyring does not know: another
        process may have rotated the keys since.
        """
        ring = self._ring
        with self._storage.transaction() as tx:
            if ring is not None and tx.keyring.stamp() == ring.stamp:
                return None
            return self._load(tx)

    def _load(self, tx: Transaction) -> Keyring:
        ring = tx.keyring.get()
        if ring is None:
            ring = Keyring.generate(self._token_bytes, self._clock())
            tx.keyring.put(ring)
        elif tx.keyring.stamp() != ring.stamp:
            # Stored before stamps existed (or by an adapter that lost it):
            # write it, so the next request does not reload again.
            tx.keyring.put(ring)
        self._ring = ring
        return ring

    # --- changing -----------------------------------------------------------------------

    def rotate(self) -> Keyring:
        """Add a new newest key of each kind; older keys keep verifying until retired."""
        with self._lock, self._storage.transaction() as tx:
            current = tx.keyring.get() or Keyring.generate(self._token_bytes, self._clock())
            ring = current.rotate(self._token_bytes, self._clock())
            tx.keyring.put(ring)
        self._ring = ring
        return ring

    def retire(self, kid: str) -> Keyring:
        """Retire key ``kid``; a key that currently signs is first replaced by a new one
        of its kind (the other kind's signing key stays: a new access key would make
        every offline station refuse codes until it reloads the public keys).

        :raises KeyError: no key has that id.
        """
        with self._lock, self._storage.transaction() as tx:
            ring = tx.keyring.get() or Keyring.generate(self._token_bytes, self._clock())
            link, access = ring.signing_link_key, ring.signing_access_key
            kinds: list[KeyKind] = []
            if link is not None and link.kid == kid:
                kinds.append("link")
            if access is not None and access.kid == kid:
                kinds.append("access")
            if kinds:
                ring = ring.rotate(self._token_bytes, self._clock(), kinds=kinds)
            ring = ring.retire(kid, self._clock())
            tx.keyring.put(ring)
        self._ring = ring
        return ring


class Keys:
    """The service's keyring: what the card services sign and verify with, and its changes.

    :param ctx: the shared service context.
    :param cards: the card's shared state (its QR images die with a retired key).
    """

    def __init__(self, ctx: ServiceContext, cards: CardState) -> None:
        self.current = CurrentKeyring(ctx.storage, ctx.clock, ctx.entropy.token_bytes)
        self.qr_cache = cards.qr_cache

    def keyring(self) -> Keyring:
        """The current signing keyring (made on first use), checked against storage."""
        return self.current.current()

    def verified(self, verify: Callable[[Keyring], _Claims]) -> tuple[_Claims, Keyring]:
        """``verify`` with the cached keyring; on ``forged``, again with a newer stored one.

        A token signed by a key rotated in by another process names a key id
        this process has not seen; it is accepted once the stored keyring,
        looked up only then, knows it. The caller still checks the stamp it
        reads next (:meth:`CurrentKeyring.matching`, :meth:`CurrentKeyring.in_transaction`),
        so a retired key is refused even while it is cached.
        """
        ring = self.current.cached()
        try:
            return verify(ring), ring
        except TokenError as error:
            if error.code != "forged":
                raise
            newer = self.current.newer()
            if newer is None:
                raise
            return verify(newer), newer

    def rotate_keys(self) -> Keyring:
        """Add a new newest key of each kind; older keys keep verifying until retired."""
        return self.current.rotate()

    def retire_key(self, kid: str) -> Keyring:
        """Stop a key verifying (a leaked key: every token it signed dies at once).

        Retiring a key that currently signs first adds a fresh one, so the
        service can go on issuing codes; holders get new link QRs on request.
        Every process sharing the storage refuses the key from its next request.

        :raises TokenError: ``token.unknown_key``, no key has that id (nothing changes).
        """
        try:
            ring = self.current.retire(kid)
        except KeyError:
            # The keyring's own KeyError is a value object's; the service's callers (the
            # CLI, a notebook, an operator's script) get a code and both languages.
            raise TokenError("unknown_key", kid=kid) from None
        self.qr_cache.clear()
        return ring
