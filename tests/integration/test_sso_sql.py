"""The single sign-on tables on real SQL (SQLite, PostgreSQL), beyond the port's contract.

* migration ``0010_sso`` goes up from ``0009_aki`` and down again, and an
  older database keeps working across it;
* every lookup of ``tx.sso_clients`` / ``tx.sso_tokens`` uses an index;
* a pushed request's parameters (a ``login_hint`` may be an e-mail or a phone)
  are not in the database file in the clear; the storage key still opens and
  rotates with tokens that have no parameters (``params`` NULL);
* a whole sign-in through ``svc.sso`` works on SQLite and PostgreSQL and
  leaves no code, token or client secret in the tables, only their HMACs; a
  replayed code ends the grant; a restart finds the client and its secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql import sso as sql_sso
from siapkerja_adapters.sql.crypto import FieldCipher, generate_key_setting
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.sso import SsoClient, SsoToken, TokenKind

BEFORE = "0009_aki"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LOGIN_HINT = "galih.pratama.sso@example.co.id"
SSO_TABLES = {"sk_sso_clients", "sk_sso_tokens"}


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'sso.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def _client() -> SsoClient:
    return SsoClient(
        id="client-1",
        verifier_id="ver-1",
        name="Karirhub",
        purpose="melamar lowongan kerja",
        fields=frozenset({"contact", "work"}),
        redirect_uris=("https://karirhub.example/cb",),
        created_at=NOW,
    )


def _token(token_hash: str, kind: TokenKind = TokenKind.ACCESS, **changes: Any) -> SsoToken:
    values: dict[str, Any] = {
        "token_hash": token_hash,
        "kind": kind,
        "client_id": "client-1",
        "grant_id": "grant-1",
        "account_id": "acct-1",
        "issued_at": NOW,
        "expires_at": NOW + timedelta(minutes=10),
    }
    values.update(changes)
    return SsoToken(**values)


def _pushed(digest: str = "h-pushed") -> SsoToken:
    params = {"response_type": "code", "client_id": "client-1", "login_hint": LOGIN_HINT}
    return _token(digest, TokenKind.PUSHED, account_id=None, params=params)


# --- the migration ----------------------------------------------------------------------------


def test_the_migration_adds_the_tables_to_a_0009_database_and_goes_down(
    storage: SqlStorage,
) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    with storage.engine.connect() as conn:
        assert not SSO_TABLES & set(sa.inspect(conn).get_table_names())
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION  # the head (0010_sso or later)
    with storage.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert set(inspector.get_table_names()) >= SSO_TABLES
        indexes = {i["name"] for i in inspector.get_indexes("sk_sso_tokens")}
    assert indexes == {
        "ix_sk_sso_tokens_grant_id",
        "ix_sk_sso_tokens_account_id_client_id",
        "ix_sk_sso_tokens_client_id",
        "ix_sk_sso_tokens_expires_at",
    }
    with storage.transaction() as tx:
        tx.sso_clients.add(_client(), "hmac-1")
        assert tx.sso_tokens.add(_pushed()) is True
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
        assert current_revision(conn) == BEFORE
        assert not SSO_TABLES & set(sa.inspect(conn).get_table_names())
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION  # and up again, empty
    with storage.transaction() as tx:
        assert tx.sso_clients.list() == []
        assert tx.sso_tokens.get("h-pushed") is None
        assert tx.sso_tokens.add(_pushed()) is True


# --- indexes ----------------------------------------------------------------------------------


def _lookups() -> list[Any]:
    clients, tokens = sql_sso.SsoClients, sql_sso.SsoTokens
    statements: list[tuple[str, sa.Executable, dict[str, Any]]] = [
        ("client", clients._GET, {"id": "c"}),
        ("client secret", clients._SECRET, {"id": "c"}),
        ("client secret update", clients._SET_SECRET, {"b_id": "c", "secret_hash": "h"}),
        ("token", tokens._GET, {"token_hash": "h"}),
        ("revoke a grant", tokens._REVOKE_GRANT, {"b_grant_id": "g", "now": NOW}),
        ("revoke a holder's", tokens._REVOKE_FOR, {"b_account_id": "a", "now": NOW}),
        (
            "revoke a holder's at one client",
            tokens._REVOKE_FOR_CLIENT,
            {"b_account_id": "a", "b_client_id": "c", "now": NOW},
        ),
        ("revoke a client's", tokens._REVOKE_CLIENT, {"b_client_id": "c", "now": NOW}),
        ("tokens of a holder", tokens._FOR, {"account_id": "a"}),
        ("purge", tokens._PURGE, {"before": NOW}),
    ]
    return [pytest.param(stmt, params, id=label) for label, stmt, params in statements]


@pytest.mark.parametrize(("statement", "params"), _lookups())
def test_every_sso_lookup_uses_an_index_on_sqlite(
    tmp_path: Path, statement: sa.Executable, params: dict[str, Any]
) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
            state = compiled.construct_expanded_state(params)
            positional = tuple(state.parameters[name] for name in state.positiontup or ())
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}", positional).all()
    finally:
        storage.dispose()
    steps = [row[-1] for row in plan]
    assert steps
    assert not [s for s in steps if s.startswith("SCAN") and "USING" not in s], steps


@pytest.mark.parametrize(("statement", "params"), _lookups())
def test_every_sso_lookup_uses_an_index_on_postgresql(
    postgres_url: str, postgres_schema: str, statement: sa.Executable, params: dict[str, Any]
) -> None:
    storage = SqlStorage(
        postgres_url, key_material=KeyMaterial.generate(), migrate=True, schema=postgres_schema
    )
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")  # small tables: ask for an index
            compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
            state = compiled.construct_expanded_state(params)
            explain = f"EXPLAIN {state.statement}"
            plan = [row[0] for row in conn.exec_driver_sql(explain, state.parameters)]
    finally:
        storage.dispose()
    assert plan
    assert not [line for line in plan if "Seq Scan" in line], plan


# --- personal data and keys -------------------------------------------------------------------


def test_a_pushed_requests_parameters_are_not_stored_in_the_clear(tmp_path: Path) -> None:
    storage = SqlStorage(
        f"sqlite:///{tmp_path / 'sso.sqlite3'}", key_material=KeyMaterial.generate()
    )
    try:
        with storage.transaction() as tx:
            tx.sso_tokens.add(_pushed())
            tx.sso_tokens.add(_token("h-access", nonce="nonce-in-the-clear"))
        with storage.transaction() as tx:
            found = tx.sso_tokens.get("h-pushed")
        assert found is not None
        assert found.params is not None
        assert found.params["login_hint"] == LOGIN_HINT
    finally:
        storage.dispose()
    content = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("sso.sqlite3*")))
    assert b"nonce-in-the-clear" in content  # the search works: a nonce is no personal data
    assert LOGIN_HINT.encode() not in content


def test_a_ciphertext_moved_to_another_token_does_not_decrypt(tmp_path: Path) -> None:
    from siapkerja_adapters.sql import StorageKeyError

    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    try:
        with storage.transaction() as tx:
            tx.sso_tokens.add(_pushed("h-1"))
            tx.sso_tokens.add(_pushed("h-2"))
        params = sk.sso_tokens.c.params
        with storage.engine.begin() as conn:
            stolen = conn.execute(
                sa.select(params).where(sk.sso_tokens.c.token_hash == "h-1")
            ).scalar_one()
            conn.execute(
                sa.update(sk.sso_tokens)
                .where(sk.sso_tokens.c.token_hash == "h-2")
                .values(params=stolen)
            )
        with pytest.raises(StorageKeyError), storage.transaction() as tx:
            tx.sso_tokens.get("h-2")
    finally:
        storage.dispose()


def test_keys_rotate_over_tokens_with_and_without_parameters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sso.sqlite3'}"
    old, new = generate_key_setting("old"), generate_key_setting("new")
    first = SqlStorage(url, key_material=KeyMaterial.parse(old))
    try:
        with first.transaction() as tx:
            tx.sso_tokens.add(_token("h-access"))  # params NULL: sorted before the pushed one
            tx.sso_tokens.add(_pushed("h-pushed"))
    finally:
        first.dispose()
    rotated = SqlStorage(url, key_material=KeyMaterial.parse(f"{new},{old}"))
    try:
        rotated.check_key()
        samples = {s[0].name: s for s in rotated.stored_samples()}
        assert samples["sk_sso_tokens"][2] == "h-pushed"  # the NULL row is no sample
        assert rotated.reencrypt(batch_size=1) >= 1
        assert rotated.reencrypt() == 0
        with rotated.engine.connect() as conn:
            blob = conn.execute(
                sa.select(sk.sso_tokens.c.params).where(sk.sso_tokens.c.token_hash == "h-pushed")
            ).scalar_one()
        assert FieldCipher.key_id(bytes(blob)) == "new"
    finally:
        rotated.dispose()
    only_new = SqlStorage(url, key_material=KeyMaterial.parse(new))
    try:
        only_new.check_key()
        with only_new.transaction() as tx:
            found = tx.sso_tokens.get("h-pushed")
            assert tx.sso_tokens.get("h-access") == _token("h-access")
        assert found is not None
        assert found.params is not None
        assert dict(found.params)["login_hint"] == LOGIN_HINT
    finally:
        only_new.dispose()


# --- svc.sso on SQL ---------------------------------------------------------------------------

REDIRECT = "https://karirhub.example/callback"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sso.sqlite3'}", None
        return
    yield request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")


def _sso_service(url: str, schema: str | None, key: str) -> Any:
    from siapkerja_adapters import connect

    return connect(
        environ={},
        load_entrypoints=False,
        database_url=url,
        database_schema=schema,
        database_migrate="true",
        storage_key=key,
        secret_key="sso-sql-secret-key-0123456789abcdef",
        sms="memory",
        dukcapil="offline",
    )


def _stored_text(svc: Any) -> bytes:
    """Every value of the two SSO tables, as text."""
    rows: list[str] = []
    with svc.storage.engine.connect() as conn:
        for table in (sk.sso_clients, sk.sso_tokens):
            rows += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
    return "\n".join(rows).encode()


def test_a_sign_in_through_svc_sso_on_sql_stores_no_token_or_secret(
    database: tuple[str, str | None],
) -> None:
    from siapkerja_adapters.demo import demo_holder
    from siapkerja_core.errors import SiapkerjaError

    url, schema = database
    key = generate_key_setting()
    svc = _sso_service(url, schema, key)
    try:
        galih = demo_holder(svc, card=False)
        client, secret = svc.sso.add_client(
            name="Karirhub",
            scopes=["karirhub"],
            redirect_uris=[REDIRECT],
            purpose="Melamar lowongan di Karirhub",
            fields=["contact", "work", "skills"],
            essential=["contact"],
        )
        assert secret is not None
        uri, _ = svc.sso.push_request(client, {"scope": "openid email", "login_hint": LOGIN_HINT})
        assert svc.sso.pushed_request(client.id, uri)["login_hint"] == LOGIN_HINT
        assert svc.sso.spend_state(client, "state-af0ifjsldkj")
        assert not svc.sso.spend_state(client, "state-af0ifjsldkj")
        plan = svc.sso.plan(client, galih.id, "openid email work")
        consent = svc.sso.approve(client, galih.id, plan, None)
        code = svc.sso.issue_code(
            client,
            galih.id,
            consent_id=consent.id,
            fields=plan.fields,
            scope="openid email work",
            redirect_uri=REDIRECT,
            nonce="n-1",
            code_challenge="x" * 43,
            code_challenge_method="S256",
            auth_time=svc.now(),
            amr=["pwd", "otp"],
        )
        grant = svc.sso.redeem_code(client, code)
        assert grant.amr == ("pwd", "otp")
        first = svc.sso.issue_tokens(client, grant)
        assert first.refresh_token is not None
        second = svc.sso.refresh(client, first.refresh_token)
        assert svc.sso.userinfo(second.access_token)["email"] == galih.email
        assert [c.id for c in svc.sso.signed_in(galih.id)] == [client.id]
        stored = _stored_text(svc)
        given = {
            "client secret": secret,
            "code": code,
            "request_uri": uri.rsplit(":", 1)[-1],
            "first access token": first.access_token,
            "first refresh token": first.refresh_token,
            "second access token": second.access_token,
            "second refresh token": second.refresh_token,
            "login hint": LOGIN_HINT,
            "state": "state-af0ifjsldkj",  # no secret, but kept as an HMAC all the same
        }
        for label, value in given.items():
            assert value
            assert value.encode() not in stored, label
        assert b"n-1" in stored  # the search works: the nonce is stored as given
        # A replayed code ends the grant: every token of it, across the tables' indexes.
        with pytest.raises(SiapkerjaError) as info:
            svc.sso.redeem_code(client, code)
        assert info.value.full_code == "sso.invalid_grant"
        with pytest.raises(SiapkerjaError) as info:
            svc.sso.userinfo(second.access_token)
        assert info.value.full_code == "sso.invalid_token"
        assert svc.sso.signed_in(galih.id) == []
    finally:
        svc.storage.dispose()
    again = _sso_service(url, schema, key)  # a restart: the client and its secret are there
    try:
        found = again.sso.usable_client(client.id)
        assert found == client
        assert again.sso.check_client_secret(found, secret)
    finally:
        again.storage.dispose()
