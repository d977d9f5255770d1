"""The ``sql`` storage's single sign-on (``tx.sso_clients``, ``tx.sso_tokens``).

``sk_sso_clients`` holds the registered relying parties and the HMAC of each
one's secret; ``sk_sso_tokens`` codes, access and refresh tokens, pushed
requests, spent ``state`` values and assertion ids, keyed by the HMAC the
service gives (the token itself never reaches storage). A pushed request's
parameters are encrypted (they may carry a ``login_hint``); nothing else here
is personal data. Clients and tokens are read ``FOR UPDATE`` on PostgreSQL,
so two redemptions of one code, or two rotations of one refresh token, queue
and the second sees the first's ``used_at``. ``sso_tokens.add`` inserts with
``ON CONFLICT DO NOTHING``: of two transactions adding one hash, the second
waits for the first and then inserts nothing.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _json, _Repository, reads
from siapkerja_core.sso import SsoClient, SsoToken, TokenKind

__all__ = ["SsoClients", "SsoTokens"]

_S = sk.sso_clients.c
_T = sk.sso_tokens.c


def _insert_nothing(dialect: str) -> Executable:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells whether the row went in (as accounts.add: not every driver reports
    # an INSERT's rowcount).
    return insert(sk.sso_tokens).on_conflict_do_nothing().returning(_T.token_hash)  # type: ignore[no-any-return]


_ADD_TOKEN: Final = {name: _insert_nothing(name) for name in ("postgresql", "sqlite")}


class SsoClients(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.sso_clients).where(_S.id == bindparam("id")).with_for_update()
    _SECRET: ClassVar = select(_S.secret_hash).where(_S.id == bindparam("id"))
    _UPDATE: ClassVar = update(sk.sso_clients).where(_S.id == bindparam("b_id"))
    _SET_SECRET: ClassVar = (
        update(sk.sso_clients)
        .where(_S.id == bindparam("b_id"))
        .values(secret_hash=bindparam("secret_hash"))
    )
    _ALL: ClassVar = select(sk.sso_clients).order_by(_S.created_at, _S.id)

    def add(self, client: SsoClient, secret_hash: str | None) -> None:
        self._tx.run(
            sk.sso_clients.insert(), {**_client_params(client), "secret_hash": secret_hash}
        )

    def get(self, client_id: str) -> SsoClient | None:
        row = self._tx.fetch(self._GET, {"id": client_id}).first()
        return None if row is None else _client(row)

    def secret_hash(self, client_id: str) -> str | None:
        value: str | None = self._tx.run(self._SECRET, {"id": client_id}).scalar()
        return value

    def put(self, client: SsoClient) -> None:
        values = {k: v for k, v in _client_params(client).items() if k != "id"}
        if not self._tx.run(self._UPDATE, {**values, "b_id": client.id}).rowcount:
            raise KeyError(client.id)

    def set_secret(self, client_id: str, secret_hash: str | None) -> None:
        params = {"b_id": client_id, "secret_hash": secret_hash}
        if not self._tx.run(self._SET_SECRET, params).rowcount:
            raise KeyError(client_id)

    def list(self) -> builtins.list[SsoClient]:
        return [_client(row) for row in self._tx.run(self._ALL)]


def _client_params(client: SsoClient) -> dict[str, Any]:
    return {
        "id": client.id,
        "verifier_id": client.verifier_id,
        "name": client.name,
        "purpose": client.purpose,
        "purpose_label": client.purpose_label,
        "fields": _json(sorted(client.fields)),
        "essential": _json(sorted(client.essential)),
        "redirect_uris": _json(list(client.redirect_uris)),
        "post_logout_redirect_uris": _json(list(client.post_logout_redirect_uris)),
        "auth_method": client.auth_method.value,
        "jwks": client.jwks_json(),
        "id_token_alg": client.id_token_alg.value,
        "high_assurance": client.high_assurance,
        "step_up": client.step_up,
        "rate_limit": client.rate_limit,
        "status": client.status.value,
        "created_at": client.created_at,
        "secret_rotated_at": client.secret_rotated_at,
    }


@reads(sk.sso_clients)
def _client(row: Row[Any]) -> SsoClient:
    return SsoClient(
        id=row.id,
        verifier_id=row.verifier_id,
        name=row.name,
        purpose=row.purpose,
        purpose_label=row.purpose_label,
        fields=json.loads(row.fields),
        essential=json.loads(row.essential),
        redirect_uris=json.loads(row.redirect_uris),
        post_logout_redirect_uris=json.loads(row.post_logout_redirect_uris),
        auth_method=row.auth_method,
        jwks=row.jwks,
        id_token_alg=row.id_token_alg,
        high_assurance=row.high_assurance,
        step_up=row.step_up,
        rate_limit=row.rate_limit,
        status=row.status,
        created_at=row.created_at,
        secret_rotated_at=row.secret_rotated_at,
    )


_LIVE: Final = _T.revoked_at.is_(None)
_LISTED: Final = (TokenKind.ACCESS.value, TokenKind.REFRESH.value)


class SsoTokens(_Repository):
    __slots__ = ()
    _GET: ClassVar = (
        select(sk.sso_tokens).where(_T.token_hash == bindparam("token_hash")).with_for_update()
    )
    _UPDATE: ClassVar = update(sk.sso_tokens).where(_T.token_hash == bindparam("b_token_hash"))
    _REVOKE_GRANT: ClassVar = (
        update(sk.sso_tokens)
        .where(_T.grant_id == bindparam("b_grant_id"), _LIVE)
        .values(revoked_at=bindparam("now"))
    )
    _REVOKE_FOR: ClassVar = (
        update(sk.sso_tokens)
        .where(_T.account_id == bindparam("b_account_id"), _LIVE)
        .values(revoked_at=bindparam("now"))
    )
    _REVOKE_FOR_CLIENT: ClassVar = _REVOKE_FOR.where(_T.client_id == bindparam("b_client_id"))
    _REVOKE_CLIENT: ClassVar = (
        update(sk.sso_tokens)
        .where(_T.client_id == bindparam("b_client_id"), _LIVE)
        .values(revoked_at=bindparam("now"))
    )
    _FOR: ClassVar = (
        select(sk.sso_tokens)
        # The kinds as ``OR``, not ``IN``: an ``IN`` list is an expanding parameter, which
        # only Core runs (``tx.fetch`` runs this compiled once, on the driver).
        .where(
            _T.account_id == bindparam("account_id"),
            or_(*(_T.kind == kind for kind in _LISTED)),
            _LIVE,
        )
        .order_by(_T.issued_at.desc(), _T.token_hash.desc())
    )
    _PURGE: ClassVar = delete(sk.sso_tokens).where(_T.expires_at < bindparam("before"))

    def add(self, token: SsoToken) -> bool:
        added = self._tx.run(_ADD_TOKEN[self._storage.dialect], self._params(token)).first()
        return added is not None

    def get(self, token_hash: str) -> SsoToken | None:
        row = self._tx.run(self._GET, {"token_hash": token_hash}).first()
        return None if row is None else self._token(row)

    def put(self, token: SsoToken) -> None:
        params = self._params(token)
        params["b_token_hash"] = params.pop("token_hash")
        if not self._tx.run(self._UPDATE, params).rowcount:
            raise KeyError(token.token_hash)

    def revoke_grant(self, grant_id: str, now: datetime) -> int:
        return int(self._tx.run(self._REVOKE_GRANT, {"b_grant_id": grant_id, "now": now}).rowcount)

    def revoke_for(self, account_id: str, now: datetime, *, client_id: str | None = None) -> int:
        if client_id is None:
            statement, params = self._REVOKE_FOR, {"b_account_id": account_id, "now": now}
        else:
            statement = self._REVOKE_FOR_CLIENT
            params = {"b_account_id": account_id, "b_client_id": client_id, "now": now}
        return int(self._tx.run(statement, params).rowcount)

    def revoke_client(self, client_id: str, now: datetime) -> int:
        params = {"b_client_id": client_id, "now": now}
        return int(self._tx.run(self._REVOKE_CLIENT, params).rowcount)

    def for_account(self, account_id: str) -> builtins.list[SsoToken]:
        return [self._token(row) for row in self._tx.fetch(self._FOR, {"account_id": account_id})]

    def purge(self, before: datetime) -> int:
        return int(self._tx.run(self._PURGE, {"before": before}).rowcount)

    def _params(self, token: SsoToken) -> dict[str, Any]:
        params = None
        if token.params is not None:
            params = self._storage.cipher.encrypt_json(
                dict(token.params), _context(sk.sso_tokens, "params", token.token_hash)
            )
        return {
            "token_hash": token.token_hash,
            "kind": token.kind.value,
            "client_id": token.client_id,
            "grant_id": token.grant_id,
            "account_id": token.account_id,
            "consent_id": token.consent_id,
            "fields": _json(sorted(token.fields)),
            "scope": token.scope,
            "redirect_uri": token.redirect_uri,
            "nonce": token.nonce,
            "code_challenge": token.code_challenge,
            "code_challenge_method": token.code_challenge_method,
            "auth_time": token.auth_time,
            "amr": _json(list(token.amr)),
            "issued_at": token.issued_at,
            "expires_at": token.expires_at,
            "used_at": token.used_at,
            "revoked_at": token.revoked_at,
            "params": params,
        }

    @reads(sk.sso_tokens)
    def _token(self, row: Row[Any]) -> SsoToken:
        params = None
        if row.params is not None:
            params = self._storage.cipher.decrypt_json(
                bytes(row.params), _context(sk.sso_tokens, "params", row.token_hash)
            )
        return SsoToken(
            token_hash=row.token_hash,
            kind=row.kind,
            client_id=row.client_id,
            grant_id=row.grant_id,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            account_id=row.account_id,
            consent_id=row.consent_id,
            fields=json.loads(row.fields),
            scope=row.scope,
            redirect_uri=row.redirect_uri,
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            auth_time=row.auth_time,
            amr=json.loads(row.amr),
            used_at=row.used_at,
            revoked_at=row.revoked_at,
            params=params,
        )
