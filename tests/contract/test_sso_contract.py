"""The single sign-on repositories' contract (``tx.sso_clients``, ``tx.sso_tokens``).

On every storage: memory, SQLite (a file and in memory) and PostgreSQL, with the
storage fixtures of ``test_storage_contract``:

* a client and a token round-trip whole (every field, the JWK Set, a pushed
  request's parameters, the order of redirect URIs and of ``amr``);
* a client's secret HMAC stays through ``put`` and is replaced by ``set_secret``;
* ``sso_tokens.add`` refuses a hash that exists, committed or in the same
  transaction, and the transaction goes on; of threads adding one hash at
  once exactly one commits a ``True`` (a ``state`` or an assertion's ``jti``
  is spent once);
* of threads redeeming one code at once exactly one sees it unused (``get``
  locks where the medium can);
* ``revoke_grant`` and ``revoke_for`` revoke the live tokens of the grant, the
  holder, the holder at one client, and say how many; ``for_account`` lists
  the holder's access and refresh tokens not revoked, newest first; ``purge``
  deletes what expired before the moment given;
* a failing transaction leaves nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from test_storage_contract import NOW, STORAGE_FACTORIES, _clean_up

from siapkerja_core.institutions import VerifierStatus
from siapkerja_core.ports import Storage, StorageError
from siapkerja_core.sso import AuthMethod, IdTokenAlg, SsoClient, SsoToken, TokenKind


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """The storage suite's factories: memory, SQLite (file and memory), PostgreSQL."""
    try:
        yield STORAGE_FACTORIES[request.param]()
    finally:
        _clean_up()


JWKS: dict[str, Any] = {
    "keys": [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": "rp-2026",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        },
        {
            "kty": "EC",
            "crv": "P-256",
            "kid": "rp-2025",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        },
    ]
}


def client(n: int, *, minutes: int = 0, **changes: Any) -> SsoClient:
    values: dict[str, Any] = {
        "id": f"client-{n}",
        "verifier_id": f"ver-{n}",
        "name": f"Karirhub {n}",
        "purpose": "melamar lowongan kerja",
        "fields": frozenset({"headline", "contact", "work", "skills"}),
        "essential": frozenset({"contact"}),
        # not in sorted order: the order registered is kept
        "redirect_uris": ("https://karirhub.example/z/callback", "https://karirhub.example/a/cb"),
        "post_logout_redirect_uris": ("https://karirhub.example/bye",),
        "created_at": NOW + timedelta(minutes=minutes),
    }
    values.update(changes)
    return SsoClient(**values)


def high_assurance_client(n: int, **changes: Any) -> SsoClient:
    values: dict[str, Any] = {
        "auth_method": AuthMethod.PRIVATE_KEY_JWT,
        "jwks": JWKS,
        "id_token_alg": IdTokenAlg.ES256,
        "high_assurance": True,
        "step_up": True,
        "rate_limit": 30,
        "status": VerifierStatus.SUSPENDED,
        "fields": frozenset({"nik", "ktp_address", "contact"}),
        "essential": frozenset({"nik", "contact"}),
        "post_logout_redirect_uris": (),
        "secret_rotated_at": NOW + timedelta(hours=2),
    }
    values.update(changes)
    return client(n, **values)


def token(
    token_hash: str,
    kind: TokenKind = TokenKind.ACCESS,
    *,
    minutes: int = 0,
    **changes: Any,
) -> SsoToken:
    values: dict[str, Any] = {
        "token_hash": token_hash,
        "kind": kind,
        "client_id": "client-1",
        "grant_id": "grant-1",
        "account_id": "acct-1",
        "consent_id": "consent-1",
        "fields": frozenset({"contact", "work"}),
        "scope": "openid contact work",
        "issued_at": NOW + timedelta(minutes=minutes),
        "expires_at": NOW + timedelta(minutes=minutes + 10),
    }
    values.update(changes)
    return SsoToken(**values)


def full_code(digest: str = "h-code", **changes: Any) -> SsoToken:
    """A code with every field set."""
    values: dict[str, Any] = {
        "redirect_uri": "https://karirhub.example/z/callback",
        "nonce": "n-0S6_WzA2Mj",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "auth_time": NOW - timedelta(seconds=42, microseconds=123456),
        "amr": ("pwd", "otp"),
        "expires_at": NOW + timedelta(seconds=60),
    }
    values.update(changes)
    return token(digest, TokenKind.CODE, **values)


PUSHED_PARAMS = {
    "response_type": "code",
    "client_id": "client-1",
    "redirect_uri": "https://karirhub.example/z/callback",
    "scope": "openid contact work",
    "state": "af0ifjsldkj",
    "login_hint": "galih@example.com",
    "ui_locales": "id en",
}


def pushed(digest: str = "h-pushed", **changes: Any) -> SsoToken:
    values: dict[str, Any] = {
        "account_id": None,
        "consent_id": None,
        "fields": frozenset(),
        "scope": "",
        "params": PUSHED_PARAMS,
        "expires_at": NOW + timedelta(seconds=60),
    }
    values.update(changes)
    return token(digest, TokenKind.PUSHED, **values)


def same_token(found: SsoToken | None, expected: SsoToken) -> None:
    """Equal in every field, the ones left out of ``==`` too (``params``)."""
    assert found == expected
    assert found is not None
    assert found.amr == expected.amr  # in order
    assert (None if found.params is None else dict(found.params)) == (
        None if expected.params is None else dict(expected.params)
    )


def same_client(found: SsoClient | None, expected: SsoClient) -> None:
    """Equal in every field, ``jwks`` (left out of ``==``) too."""
    assert found == expected
    assert found is not None
    assert found.redirect_uris == expected.redirect_uris  # in order
    assert found.post_logout_redirect_uris == expected.post_logout_redirect_uris
    assert found.jwks_json() == expected.jwks_json()


# --- clients -----------------------------------------------------------------------------------


def test_clients_round_trip_whole_and_list_oldest_first(storage: Storage) -> None:
    plain = client(1, minutes=5)
    strict = high_assurance_client(2, minutes=1)
    with storage.transaction() as tx:
        tx.sso_clients.add(plain, "hmac-of-secret-1")
        tx.sso_clients.add(strict, None)
        same_client(tx.sso_clients.get("client-1"), plain)  # reads its own writes
    with storage.transaction() as tx:
        same_client(tx.sso_clients.get("client-1"), plain)
        same_client(tx.sso_clients.get("client-2"), strict)
        assert tx.sso_clients.secret_hash("client-1") == "hmac-of-secret-1"
        assert tx.sso_clients.secret_hash("client-2") is None
        assert tx.sso_clients.get("client-404") is None
        assert tx.sso_clients.secret_hash("client-404") is None
        listed = tx.sso_clients.list()
    assert [c.id for c in listed] == ["client-2", "client-1"]
    same_client(listed[0], strict)
    assert listed[0].jwks is not None
    assert dict(listed[0].jwks) == JWKS
    assert listed[0].id_token_alg is IdTokenAlg.ES256
    assert listed[1].id_token_alg is IdTokenAlg.EDDSA  # the default


def test_put_keeps_the_secret_and_set_secret_replaces_it(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.sso_clients.add(client(1), "hmac-1")
        tx.sso_clients.add(client(2), "hmac-2")
    changed = attrs.evolve(
        client(1),
        redirect_uris=("https://karirhub.example/new",),
        essential=frozenset(),
        rate_limit=60,
        step_up=True,
        id_token_alg="ES256",
        status=VerifierStatus.RETIRED,
        secret_rotated_at=NOW + timedelta(days=1),
    )
    with storage.transaction() as tx:
        tx.sso_clients.put(changed)
    with storage.transaction() as tx:
        same_client(tx.sso_clients.get("client-1"), changed)
        assert changed.id_token_alg is IdTokenAlg.ES256
        assert tx.sso_clients.secret_hash("client-1") == "hmac-1"
        tx.sso_clients.set_secret("client-1", "hmac-1b")
        assert tx.sso_clients.secret_hash("client-1") == "hmac-1b"  # at once, in the transaction
    with storage.transaction() as tx:
        assert tx.sso_clients.secret_hash("client-1") == "hmac-1b"
        assert tx.sso_clients.secret_hash("client-2") == "hmac-2"  # the other client's stays
        same_client(tx.sso_clients.get("client-1"), changed)  # the secret alone changed
        tx.sso_clients.set_secret("client-1", None)
    with storage.transaction() as tx:
        assert tx.sso_clients.secret_hash("client-1") is None


def test_a_client_moving_to_private_key_jwt_keeps_its_keys(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.sso_clients.add(client(1), "hmac-1")
    moved = attrs.evolve(client(1), auth_method=AuthMethod.PRIVATE_KEY_JWT, jwks=JWKS)
    with storage.transaction() as tx:
        tx.sso_clients.put(moved)
        tx.sso_clients.set_secret("client-1", None)
    with storage.transaction() as tx:
        same_client(tx.sso_clients.get("client-1"), moved)
        assert tx.sso_clients.secret_hash("client-1") is None


# --- tokens: storing ---------------------------------------------------------------------------


def test_tokens_round_trip_whole(storage: Storage) -> None:
    code = full_code()
    reversed_amr = full_code("h-code-2", amr=("otp", "pwd"), nonce=None)
    request = pushed()
    state = token(
        "h-state",
        TokenKind.STATE,
        account_id=None,
        consent_id=None,
        fields=frozenset(),
        scope="",
        expires_at=NOW + timedelta(hours=24),
    )
    refresh = token(
        "h-refresh",
        TokenKind.REFRESH,
        auth_time=NOW - timedelta(minutes=3),
        amr=("pwd",),
        expires_at=NOW + timedelta(days=30),
    )
    tokens = (code, reversed_amr, request, state, refresh)
    with storage.transaction() as tx:
        for item in tokens:
            assert tx.sso_tokens.add(item) is True
        same_token(tx.sso_tokens.get("h-pushed"), request)  # reads its own writes
    with storage.transaction() as tx:
        for item in tokens:
            same_token(tx.sso_tokens.get(item.token_hash), item)
        assert tx.sso_tokens.get("h-404") is None


def test_put_marks_a_token_used_then_revoked(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.sso_tokens.add(full_code())
        tx.sso_tokens.add(pushed())
    used = full_code().spent(NOW + timedelta(seconds=5))
    with storage.transaction() as tx:
        tx.sso_tokens.put(used)
        same_token(tx.sso_tokens.get("h-code"), used)
        tx.sso_tokens.put(pushed().spent(NOW))
    revoked = used.revoked(NOW + timedelta(seconds=9))
    with storage.transaction() as tx:
        same_token(tx.sso_tokens.get("h-code"), used)
        same_token(tx.sso_tokens.get("h-pushed"), pushed().spent(NOW))  # params stay
        tx.sso_tokens.put(revoked)
    with storage.transaction() as tx:
        found = tx.sso_tokens.get("h-code")
    same_token(found, revoked)
    assert found is not None
    assert found.used_at == NOW + timedelta(seconds=5)
    assert found.revoked_at == NOW + timedelta(seconds=9)


def test_add_refuses_a_hash_that_exists_and_the_transaction_goes_on(storage: Storage) -> None:
    first = token("h-1", grant_id="grant-1")
    other = token("h-1", TokenKind.REFRESH, grant_id="grant-2", account_id="acct-2")
    with storage.transaction() as tx:
        assert tx.sso_tokens.add(first) is True
        assert tx.sso_tokens.add(other) is False  # in the same transaction
        assert tx.sso_tokens.get("h-1") == first
        assert tx.sso_tokens.add(token("h-2")) is True  # the transaction is still usable
    with storage.transaction() as tx:
        assert tx.sso_tokens.add(other) is False  # committed
        assert tx.sso_tokens.add(token("h-3")) is True
    with storage.transaction() as tx:
        same_token(tx.sso_tokens.get("h-1"), first)  # the refused one wrote nothing
        assert tx.sso_tokens.get("h-2") == token("h-2")
        assert tx.sso_tokens.get("h-3") == token("h-3")


def test_add_refuses_a_spent_state_even_once_used_or_revoked(storage: Storage) -> None:
    state = token("h-state", TokenKind.STATE, account_id=None, consent_id=None)
    with storage.transaction() as tx:
        tx.sso_tokens.add(state.revoked(NOW))
    with storage.transaction() as tx:
        assert tx.sso_tokens.add(state) is False
        assert tx.sso_tokens.add(attrs.evolve(state, token_hash="h-state-2")) is True


@pytest.mark.parametrize("threads", [2, 8])
def test_of_threads_adding_one_hash_exactly_one_commits_true(
    storage: Storage, threads: int
) -> None:
    barrier = threading.Barrier(threads)
    outcomes: dict[int, str] = {}
    lock = threading.Lock()

    def add(n: int) -> None:
        barrier.wait()
        try:
            with storage.transaction() as tx:
                added = tx.sso_tokens.add(token("h-jti", TokenKind.ASSERTION, grant_id=f"g-{n}"))
                if added:
                    time.sleep(0.05)  # hold the row: the others try while it is uncommitted
            result = "added" if added else "refused"
        except StorageError:  # the port allows a loser's transaction to fail instead
            result = "failed"
        except Exception as error:  # any other outcome breaks the contract
            result = f"error: {error!r}"
        with lock:
            outcomes[n] = result

    workers = [threading.Thread(target=add, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(outcomes) == threads
    winners = [n for n, result in outcomes.items() if result == "added"]
    assert len(winners) == 1, outcomes
    assert {outcomes[n] for n in outcomes if n not in winners} <= {"refused", "failed"}, outcomes
    with storage.transaction() as tx:
        stored = tx.sso_tokens.get("h-jti")
    assert stored is not None
    assert stored.grant_id == f"g-{winners[0]}"


def test_of_racing_redemptions_of_one_code_exactly_one_sees_it_unused(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.sso_tokens.add(full_code())
    threads = 4
    barrier = threading.Barrier(threads)
    winners: list[int] = []
    seen: list[bool] = []
    lock = threading.Lock()

    def redeem(n: int) -> None:
        barrier.wait()
        with storage.transaction() as tx:
            found = tx.sso_tokens.get("h-code")
            with lock:
                seen.append(found is not None)
            if found is not None and found.used_at is None:
                time.sleep(0.05)  # as a slow redemption: the others must wait, not read stale
                tx.sso_tokens.put(found.spent(NOW + timedelta(seconds=n + 1)))
                with lock:
                    winners.append(n)

    workers = [threading.Thread(target=redeem, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert seen == [True] * threads
    assert len(winners) == 1
    with storage.transaction() as tx:
        stored = tx.sso_tokens.get("h-code")
    assert stored is not None
    assert stored.used_at == NOW + timedelta(seconds=winners[0] + 1)


# --- tokens: revoking, listing, purging --------------------------------------------------------


def test_revoke_grant_revokes_the_live_tokens_of_that_grant_only(storage: Storage) -> None:
    earlier = NOW - timedelta(minutes=1)
    grant = [
        full_code("g1-code").spent(NOW),
        token("g1-access", grant_id="grant-1"),
        token("g1-refresh", TokenKind.REFRESH, grant_id="grant-1"),
        token("g1-old", grant_id="grant-1").revoked(earlier),
    ]
    other = token("g2-access", grant_id="grant-2")
    with storage.transaction() as tx:
        for item in (*grant, other):
            tx.sso_tokens.add(item)
    later = NOW + timedelta(minutes=5)
    with storage.transaction() as tx:
        assert tx.sso_tokens.revoke_grant("grant-1", later) == 3
        found = tx.sso_tokens.get("g1-access")  # the transaction reads the revocation
        assert found is not None
        assert found.revoked_at == later
    with storage.transaction() as tx:
        for item in grant[:3]:
            same_token(tx.sso_tokens.get(item.token_hash), item.revoked(later))
        old = tx.sso_tokens.get("g1-old")
        assert old is not None
        assert old.revoked_at == earlier  # revoked before: its time stays
        assert tx.sso_tokens.get("g2-access") == other
        assert tx.sso_tokens.revoke_grant("grant-1", later) == 0
        assert tx.sso_tokens.revoke_grant("grant-404", later) == 0


def test_revoke_for_revokes_a_holders_tokens_of_one_client_or_all(storage: Storage) -> None:
    tokens = [
        full_code("a1-c1-code"),
        token("a1-c1-access"),
        token("a1-c1-refresh", TokenKind.REFRESH),
        token("a1-c2-access", client_id="client-2", grant_id="grant-2"),
        token("a1-c2-old", client_id="client-2", grant_id="grant-2").revoked(NOW),
        token("a2-c1-access", account_id="acct-2", grant_id="grant-3"),
        pushed("c1-pushed"),  # no holder yet
    ]
    with storage.transaction() as tx:
        for item in tokens:
            tx.sso_tokens.add(item)
    at = NOW + timedelta(minutes=1)
    with storage.transaction() as tx:
        assert tx.sso_tokens.revoke_for("acct-1", at, client_id="client-2") == 1
    with storage.transaction() as tx:
        found = tx.sso_tokens.get("a1-c2-access")
        assert found is not None
        assert found.revoked_at == at
        assert tx.sso_tokens.get("a1-c1-access") == token("a1-c1-access")  # the other client's
        assert tx.sso_tokens.revoke_for("acct-1", at, client_id="client-404") == 0
        assert tx.sso_tokens.revoke_for("acct-1", at) == 3  # code, access, refresh of client-1
        assert tx.sso_tokens.revoke_for("acct-1", at) == 0
    with storage.transaction() as tx:
        for name in ("a1-c1-code", "a1-c1-access", "a1-c1-refresh"):
            found = tx.sso_tokens.get(name)
            assert found is not None
            assert found.revoked_at == at, name
        old = tx.sso_tokens.get("a1-c2-old")
        assert old is not None
        assert old.revoked_at == NOW
        assert tx.sso_tokens.get("a2-c1-access") == tokens[5]
        same_token(tx.sso_tokens.get("c1-pushed"), tokens[6])
        assert tx.sso_tokens.revoke_for("acct-404", at) == 0


def test_revoke_client_revokes_every_live_token_of_one_client(storage: Storage) -> None:
    tokens = [
        full_code("c1-code"),
        token("c1-access"),
        token("c1-refresh", TokenKind.REFRESH),
        token("c1-other-holder", account_id="acct-2", grant_id="grant-3"),
        token("c1-old").revoked(NOW),
        token("c2-access", client_id="client-2", grant_id="grant-2"),
    ]
    with storage.transaction() as tx:
        for item in tokens:
            tx.sso_tokens.add(item)
    at = NOW + timedelta(minutes=1)
    with storage.transaction() as tx:
        assert tx.sso_tokens.revoke_client("client-1", at) == 4
        assert tx.sso_tokens.revoke_client("client-1", at) == 0  # this transaction's own
    with storage.transaction() as tx:
        for name in ("c1-code", "c1-access", "c1-refresh", "c1-other-holder"):
            found = tx.sso_tokens.get(name)
            assert found is not None
            assert found.revoked_at == at, name
        old = tx.sso_tokens.get("c1-old")
        assert old is not None
        assert old.revoked_at == NOW  # revoked before: left as it was
        assert tx.sso_tokens.get("c2-access") == tokens[5]
        assert tx.sso_tokens.revoke_client("client-404", at) == 0


def test_for_account_lists_access_and_refresh_tokens_not_revoked_newest_first(
    storage: Storage,
) -> None:
    with storage.transaction() as tx:
        tx.sso_tokens.add(token("access-old", minutes=1))
        tx.sso_tokens.add(token("refresh", TokenKind.REFRESH, minutes=3, expires_at=NOW))
        tx.sso_tokens.add(token("access-new", client_id="client-2", grant_id="g-2", minutes=5))
        tx.sso_tokens.add(token("access-revoked", minutes=9).revoked(NOW))
        tx.sso_tokens.add(full_code("code", issued_at=NOW + timedelta(minutes=7)))
        tx.sso_tokens.add(token("other-holder", account_id="acct-2", minutes=8))
        tx.sso_tokens.add(pushed("pushed"))
        listed = [t.token_hash for t in tx.sso_tokens.for_account("acct-1")]
        assert listed == ["access-new", "refresh", "access-old"]  # its own writes
    with storage.transaction() as tx:
        found = tx.sso_tokens.for_account("acct-1")
        assert [t.token_hash for t in found] == ["access-new", "refresh", "access-old"]
        assert found[0] == token("access-new", client_id="client-2", grant_id="g-2", minutes=5)
        assert [t.token_hash for t in tx.sso_tokens.for_account("acct-2")] == ["other-holder"]
        assert tx.sso_tokens.for_account("acct-404") == []
        tx.sso_tokens.revoke_grant("g-2", NOW)
        assert [t.token_hash for t in tx.sso_tokens.for_account("acct-1")] == [
            "refresh",
            "access-old",
        ]


def test_purge_deletes_what_expired_before_the_moment(storage: Storage) -> None:
    with storage.transaction() as tx:
        for n, offset in enumerate((-60, -1, 0, 1)):
            tx.sso_tokens.add(token(f"h-{n}", expires_at=NOW + timedelta(seconds=offset)))
        tx.sso_tokens.add(pushed("h-pushed", expires_at=NOW - timedelta(seconds=5)))
    with storage.transaction() as tx:
        assert tx.sso_tokens.purge(NOW) == 3
        assert tx.sso_tokens.get("h-1") is None
    with storage.transaction() as tx:
        assert [tx.sso_tokens.get(f"h-{n}") is None for n in range(4)] == [True, True, False, False]
        assert tx.sso_tokens.get("h-pushed") is None
        assert tx.sso_tokens.purge(NOW) == 0
        assert tx.sso_tokens.add(token("h-0")) is True  # a purged hash can be stored again


# --- failures ----------------------------------------------------------------------------------


def test_a_failing_transaction_leaves_nothing(storage: Storage) -> None:
    with storage.transaction() as tx:
        tx.sso_clients.add(client(1), "hmac-1")
        tx.sso_tokens.add(full_code())
        tx.sso_tokens.add(token("h-access"))

    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with storage.transaction() as tx:
            tx.sso_clients.add(client(2), "hmac-2")
            tx.sso_clients.put(attrs.evolve(client(1), status=VerifierStatus.SUSPENDED))
            tx.sso_clients.set_secret("client-1", "hmac-1b")
            tx.sso_tokens.add(token("h-new"))
            tx.sso_tokens.put(full_code().spent(NOW))
            assert tx.sso_tokens.revoke_grant("grant-1", NOW) == 3
            assert tx.sso_tokens.revoke_for("acct-1", NOW) == 0
            assert tx.sso_tokens.purge(NOW + timedelta(days=1)) == 3
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    with storage.transaction() as tx:
        assert tx.sso_clients.get("client-2") is None
        assert tx.sso_clients.list() == [client(1)]
        assert tx.sso_clients.secret_hash("client-1") == "hmac-1"
        assert tx.sso_tokens.get("h-new") is None
        same_token(tx.sso_tokens.get("h-code"), full_code())
        assert tx.sso_tokens.get("h-access") == token("h-access")
        assert tx.sso_tokens.add(token("h-new")) is True  # the rolled-back hash is free
