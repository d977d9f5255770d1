"""The storage port's repositories of single sign-on (:mod:`siapkerja_core.sso`).

``tx.sso_clients`` holds the registered relying parties and the HMAC of each
one's secret; ``tx.sso_tokens`` the codes, access and refresh tokens and
pushed requests, by the HMAC of the token (never the token itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from siapkerja_core.sso import SsoClient, SsoToken

__all__ = ["SsoClientRepository", "SsoTokenRepository"]


class SsoClientRepository(Protocol):
    """Registered relying parties (``tx.sso_clients``)."""

    def add(self, client: SsoClient, secret_hash: str | None) -> None:
        """Insert a new client with the HMAC of its secret (``None``: ``private_key_jwt``)."""
        ...

    def get(self, client_id: str) -> SsoClient | None:
        """The client, whatever its status; locked for update where the medium can lock."""
        ...

    def secret_hash(self, client_id: str) -> str | None:
        """The HMAC of the client's current secret (``None``: none, or no such client)."""
        ...

    def put(self, client: SsoClient) -> None:
        """Replace the stored client with the same id (its secret stays)."""
        ...

    def set_secret(self, client_id: str, secret_hash: str | None) -> None:
        """Replace the client's secret HMAC (the old secret stops working)."""
        ...

    def list(self) -> list[SsoClient]:
        """Every client, oldest first."""
        ...


class SsoTokenRepository(Protocol):
    """Codes, tokens and pushed requests (``tx.sso_tokens``)."""

    def add(self, token: SsoToken) -> bool:
        """Insert a new token; ``False`` (and nothing written) when one with the same hash
        exists, committed or in this transaction. Atomic: of two transactions adding the
        same hash at once, one gets ``False`` or fails to commit — never both ``True``
        with both committed (a ``state`` or an assertion's ``jti`` is spent once)."""
        ...

    def get(self, token_hash: str) -> SsoToken | None:
        """The token with this hash; locked for update where the medium can lock,
        so two redemptions of one code or one refresh token queue."""
        ...

    def put(self, token: SsoToken) -> None:
        """Replace the stored token with the same hash (marking it used or revoked)."""
        ...

    def revoke_grant(self, grant_id: str, now: datetime) -> int:
        """Revoke every live token of the grant; how many were revoked."""
        ...

    def revoke_for(self, account_id: str, now: datetime, *, client_id: str | None = None) -> int:
        """Revoke every live token of the holder (of one client only, if given)."""
        ...

    def revoke_client(self, client_id: str, now: datetime) -> int:
        """Revoke every live token of the client (it is suspended or removed); how many."""
        ...

    def for_account(self, account_id: str) -> list[SsoToken]:
        """The holder's access and refresh tokens that are not revoked, newest first
        (for the holder's pages: which hubs are signed in)."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete tokens that expired before ``before``; how many."""
        ...
