"""The memory storage's single sign-on repositories (``tx.sso_clients``, ``tx.sso_tokens``).

A client row is the :class:`~siapkerja_core.sso.SsoClient` with the HMAC of
its secret; a token row is the :class:`~siapkerja_core.sso.SsoToken`, keyed
by the HMAC of the token and indexed by grant and by holder. Transactions
are serialised by the storage's lock, so ``add`` of one hash in two
transactions sees the first one's commit.
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable
from datetime import datetime

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.sso import SsoClient, SsoToken, TokenKind

__all__ = ["SsoClients", "SsoTokens", "sso_client_table", "sso_token_table"]

_HELD: frozenset[TokenKind] = frozenset({TokenKind.ACCESS, TokenKind.REFRESH})


def sso_client_table() -> Table[tuple[SsoClient, str | None]]:
    return Table()


def _holder(token: SsoToken) -> Hashable | None:
    return token.account_id


def sso_token_table() -> Table[SsoToken]:
    """Tokens by hash, indexed by grant and by holder (codes too: signing out kills them)."""
    return Table(grant=lambda t: t.grant_id, account=_holder)


class SsoClients(View[tuple[SsoClient, "str | None"]]):
    def add(self, client: SsoClient, secret_hash: str | None) -> None:
        if self._get(client.id) is not None:
            raise KeyError(client.id)
        self._put(client.id, (client, secret_hash))

    def get(self, client_id: str) -> SsoClient | None:
        row = self._get(client_id)
        return None if row is None else row[0]

    def secret_hash(self, client_id: str) -> str | None:
        row = self._get(client_id)
        return None if row is None else row[1]

    def put(self, client: SsoClient) -> None:
        row = self._get(client.id)
        if row is None:
            raise KeyError(client.id)
        self._put(client.id, (client, row[1]))

    def set_secret(self, client_id: str, secret_hash: str | None) -> None:
        row = self._get(client_id)
        if row is None:
            raise KeyError(client_id)
        self._put(client_id, (row[0], secret_hash))

    def list(self) -> builtins.list[SsoClient]:
        rows = (self._get(key) for key in set(self._table.rows) | set(self._overlay))
        return sorted((r[0] for r in rows if r is not None), key=lambda c: (c.created_at, c.id))


class SsoTokens(View[SsoToken]):
    def add(self, token: SsoToken) -> bool:
        if self._get(token.token_hash) is not None:
            return False
        self._put(token.token_hash, token)
        return True

    def get(self, token_hash: str) -> SsoToken | None:
        return self._get(token_hash)

    def put(self, token: SsoToken) -> None:
        self._put(token.token_hash, token)

    def _revoke(self, keys: set[Hashable], now: datetime, client_id: str | None = None) -> int:
        count = 0
        for key in keys:
            token = self._get(key)
            if token is None or token.revoked_at is not None:
                continue
            if client_id is not None and token.client_id != client_id:
                continue
            self._put(key, token.revoked(now))
            count += 1
        return count

    def revoke_grant(self, grant_id: str, now: datetime) -> int:
        return self._revoke(self._keys("grant", grant_id), now)

    def revoke_for(self, account_id: str, now: datetime, *, client_id: str | None = None) -> int:
        return self._revoke(self._keys("account", account_id), now, client_id)

    def revoke_client(self, client_id: str, now: datetime) -> int:
        # A rare administrative action: a walk over every token is acceptable.
        keys = set(self._table.rows) | set(self._overlay)
        return self._revoke(keys, now, client_id)

    def for_account(self, account_id: str) -> builtins.list[SsoToken]:
        found = (self._get(key) for key in self._keys("account", account_id))
        live = [t for t in found if t is not None and t.kind in _HELD and t.revoked_at is None]
        return sorted(live, key=lambda t: (t.issued_at, t.token_hash), reverse=True)

    def purge(self, before: datetime) -> int:
        keys = set(self._table.rows) | set(self._overlay)
        count = 0
        for key in keys:
            token = self._get(key)
            if token is not None and token.expires_at < before:
                self._delete(key)
                count += 1
        return count
