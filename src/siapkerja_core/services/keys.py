"""The signing keyring: loaded once, rotated, and keys retired.

The newest key of each kind signs; older keys keep verifying until retired
(a leaked key is retired, and every token it signed dies at once). The ring
is created and stored on first use and kept in memory afterwards; rotating
or retiring writes the new ring and replaces the cached one.
"""

from __future__ import annotations

import threading

from siapkerja_core.services.context import CardState, ServiceContext
from siapkerja_core.tokens import Keyring

__all__ = ["Keys"]


class Keys:
    """Load, rotate and retire the keyring that signs link and access tokens.

    :param ctx: the shared service context.
    :param cards: the card's shared state (its QR images die with a retired key).
    """

    def __init__(self, ctx: ServiceContext, cards: CardState) -> None:
        self.storage = ctx.storage
        self.clock = ctx.clock
        self._token_bytes = ctx.entropy.token_bytes
        self.qr_cache = cards.qr_cache
        self._keyring_lock = threading.Lock()
        self._keyring_cache: Keyring | None = None

    def keyring(self) -> Keyring:
        """The signing keyring, created (and stored) on first use."""
        if self._keyring_cache is not None:
            return self._keyring_cache
        with self._keyring_lock, self.storage.transaction() as tx:
            ring = tx.keyring.get()
            if ring is None:
                ring = Keyring.generate(self._token_bytes, self.clock())
                tx.keyring.put(ring)
        self._keyring_cache = ring
        return ring

    def rotate_keys(self) -> Keyring:
        """Add a new newest key of each kind; older keys keep verifying until retired."""
        with self._keyring_lock, self.storage.transaction() as tx:
            current = tx.keyring.get() or Keyring.generate(self._token_bytes, self.clock())
            ring = current.rotate(self._token_bytes, self.clock())
            tx.keyring.put(ring)
        self._keyring_cache = ring
        return ring

    def retire_key(self, kid: str) -> Keyring:
        """Stop a key verifying (a leaked key: every token it signed dies at once).

        Retiring a key that currently signs first adds a fresh one, so the
        service can go on issuing codes; holders get new link QRs on request.
        """
        with self._keyring_lock, self.storage.transaction() as tx:
            ring = tx.keyring.get() or Keyring.generate(self._token_bytes, self.clock())
            signing = {k.kid for k in (ring.signing_link_key, ring.signing_access_key) if k}
            if kid in signing:
                ring = ring.rotate(self._token_bytes, self.clock())
            ring = ring.retire(kid, self.clock())
            tx.keyring.put(ring)
        self._keyring_cache = ring
        self.qr_cache.clear()
        return ring
