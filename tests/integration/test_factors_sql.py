"""Factors beyond SMS on real SQL (SQLite, PostgreSQL): issue 16's acceptance.

* **Acceptance:** a holder enrols an authenticator app and recovery codes; the SMS
  gateway then fails every send; the holder still signs in with the app's code,
  a replayed code is refused, and the holder resets the password with a
  recovery code (no SMS ever arrives) and signs in with the new one.
* Nothing of a factor is in the tables in the clear: not the TOTP secret, not a
  recovery code (only their HMACs), and the audit holds the enrolment.
* Migration ``0011_factors`` goes up from ``0010_sso`` and down again.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.errors import LoginError
from siapkerja_core.factors import FactorError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.factors import FactorFailed, FactorRequired
from support import people
from support.clock import ManualClock
from support.sms import sms_code

SECRET_KEY = "factors-secret-key-0123456789abcdef"
STORAGE_KEY = "k1:" + base64.urlsafe_b64encode(hashlib.sha256(b"factors").digest()).decode()
PHONE = "0812-7777-1234"
PASSWORD = "kopi tubruk di pal merah"
NEW_PASSWORD = "teh botol di tanah abang"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'factors.sqlite3'}", None
        return
    yield request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")


def _connect(url: str, schema: str | None, clock: ManualClock) -> Siapkerja:
    options: dict[str, Any] = {
        "storage": "sql",
        "database_url": url,
        "sms": "memory",
        "dukcapil": "offline",
        "ratelimit": "storage",
        "secret_key": SECRET_KEY,
        "storage_key": STORAGE_KEY,
        "database_migrate": "true",
        "database_schema": schema,
    }
    return connect(
        environ={},
        load_entrypoints=False,
        policy=JourneyPolicy(),
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        **options,
    )


def test_sign_in_and_reset_without_sms(database: tuple[str, str | None]) -> None:
    url, schema = database
    clock = ManualClock.from_now()
    svc = _connect(url, schema, clock)
    storage = svc.storage
    assert isinstance(storage, SqlStorage)
    try:
        registration = svc.register(people.NIK, people.NAME, people.MOTHER)
        registration = svc.submit_contact(
            registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD
        )
        account = svc.confirm_otp(registration.id, sms_code(svc))

        enrolment = svc.factors.start_totp(account.id)
        totp = pyotp.TOTP(enrolment.secret)
        # Refusals with the counters in the same database (ratelimit "storage").
        with pytest.raises(FactorError) as refused:
            svc.factors.confirm_totp(account.id, "no-such-enrolment", "123456")
        assert refused.value.code == "no_enrolment"
        with pytest.raises(FactorError) as refused:
            svc.factors.confirm_totp(account.id, enrolment.factor_id, "000000")
        assert refused.value.code == "invalid_code"
        svc.factors.confirm_totp(account.id, enrolment.factor_id, totp.at(clock.now()))
        codes = svc.factors.generate_recovery_codes(account.id).codes

        # The SMS gateway is down from here on: every send raises.
        sent_before = len(svc.sms.messages)  # type: ignore[attr-defined]
        svc.sms.fail_next(10_000)  # type: ignore[attr-defined]

        clock.advance(seconds=30)
        with pytest.raises(FactorRequired) as required:
            svc.login(people.EMAIL, PASSWORD)
        code = totp.at(clock.now())
        signed_in = svc.factors.complete_login(required.value.pending, code=code)
        assert signed_in.id == account.id
        assert signed_in.session is not None
        assert svc.authenticate(signed_in.session.token).id == account.id

        # A replayed code is refused, even with a fresh pending sign-in.
        with pytest.raises(FactorRequired) as again:
            svc.login(people.EMAIL, PASSWORD)
        with pytest.raises(FactorFailed):
            svc.factors.complete_login(again.value.pending, code=code)
        with pytest.raises(LoginError) as replay:
            svc.login(people.EMAIL, PASSWORD, factor_code=code)
        assert replay.value.full_code == "login.factor_failed"

        # "Kendala Masuk ke Akun?": the SMS never arrives; a recovery code resets.
        request = svc.request_password_reset(people.NIK)
        svc.deliver_outbox()
        assert len(svc.sms.messages) == sent_before  # type: ignore[attr-defined]
        reset = svc.factors.reset_password(request.id, codes[0], NEW_PASSWORD)
        assert reset.id == account.id
        assert svc.factors.recovery_codes_left(account.id) == 9
        with pytest.raises(LoginError):  # every old session ended with the reset
            svc.authenticate(signed_in.session.token)

        clock.advance(seconds=30)
        final = svc.login(people.NIK, NEW_PASSWORD, factor_code=totp.at(clock.now()))
        assert final.id == account.id

        # At rest: no secret, no recovery code in the clear; the enrolment is audited.
        with storage.engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(sa.select(sk.factors))]
        dump = repr(rows).encode() + b"".join(
            bytes(v) for row in rows for v in row if isinstance(v, bytes | memoryview)
        )
        assert enrolment.secret.encode() not in dump
        for recovery in codes:
            assert recovery.replace("-", "").encode() not in dump
            assert recovery.encode() not in dump
        with storage.transaction() as tx:
            actions = {r.action for r in tx.audit.list(target=account.id)}
        assert {"factor.enrol", "recovery_codes.generate"} <= actions
    finally:
        storage.dispose()

    # A restart (a new process) finds the factor and its replay guard.
    restarted = _connect(url, schema, clock)
    try:
        with pytest.raises(LoginError) as replay:
            restarted.login(people.NIK, NEW_PASSWORD, factor_code=totp.at(clock.now()))
        assert replay.value.full_code == "login.factor_failed"
        assert sorted(f.kind for f in restarted.factors.list(account.id)) == [
            "recovery_codes",
            "totp",
        ]
    finally:
        restarted.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'migrate.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def test_the_migration_adds_the_table_and_goes_down(storage: SqlStorage) -> None:
    assert upgrade(storage.engine, "0010_sso") == "0010_sso"
    with storage.engine.connect() as conn:
        assert "sk_factors" not in sa.inspect(conn).get_table_names()
    assert upgrade(storage.engine, "0011_factors") == "0011_factors"
    with storage.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert "sk_factors" in inspector.get_table_names()
        indexes = {i["name"] for i in inspector.get_indexes("sk_factors")}
    assert indexes == {"ix_sk_factors_account_id"}
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0010_sso")
        assert current_revision(conn) == "0010_sso"
        assert "sk_factors" not in sa.inspect(conn).get_table_names()
