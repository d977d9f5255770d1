"""The profile's completeness stamp on real SQL (SQLite, PostgreSQL), migration ``0015``.

Bulk issuance trusts the stamp a SQL storage writes beside each profile
instead of decrypting and rebuilding it. These tests show the stamp is written
by every path that stores a profile, that issuance decodes nothing where it is
current, and that a stamp it cannot trust (written before the migration, or
under other rules) sends it back to decoding, with the same outcome.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.completeness import RULES_FINGERPRINT, completeness_stamp, is_complete
from siapkerja_core.converter import merge_profile
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccountRecord
from siapkerja_core.services import CardServices, Issuance, ServiceContext
from support.people import complete_profile, numbered_account

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'stamp.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def account(n: int) -> AccountRecord:
    return numbered_account(n, NOW, "argon2-hash")


def complete(n: int) -> Profile:
    sections = complete_profile()
    sections["biodata"] = {**sections["biodata"], "sex": "L"}
    sections["contact"] = {"email": f"person{n}@example.com", "phone": f"+62812000{n:05d}"}
    profile = merge_profile(Profile(full_name=f"Person {n}"), sections)
    assert is_complete(profile)
    return profile


def stamps(storage: SqlStorage) -> dict[str, str | None]:
    with storage.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT account_id, complete FROM sk_profiles"))
        return {row[0]: row[1] for row in rows}


def issuance(storage: SqlStorage) -> Issuance:
    context = ServiceContext(
        storage=storage,
        clock=lambda: NOW,
        entropy=secrets,  # type: ignore[arg-type]  (the module is what the facade passes)
        emit=lambda _event: None,
        pepper=b"p" * 32,
    )
    return CardServices.build(context, base_url="https://skid.example/v/").issuance


def test_every_write_path_stamps_the_profile(storage: SqlStorage) -> None:
    with storage.transaction() as tx:
        tx.accounts.add(account(1))
        tx.profiles.put("acct-1", complete(1))
        tx.accounts.add(account(2))
        tx.profiles.put("acct-2", Profile(full_name="Person 2"))
    storage.bulk_put_profiles([("acct-1", complete(1))])
    with storage.transaction() as tx:
        storage.bulk_insert_accounts(tx, [account(3)], [("acct-3", complete(3))])
    assert stamps(storage) == {
        "acct-1": f"{RULES_FINGERPRINT}:1",
        "acct-2": f"{RULES_FINGERPRINT}:0",
        "acct-3": completeness_stamp(complete(3)),
    }


def test_issuance_decodes_nothing_behind_a_current_stamp(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    with storage.transaction() as tx:
        for n in (1, 2):
            tx.accounts.add(account(n))
        tx.profiles.put("acct-1", complete(1))
        tx.profiles.put("acct-2", Profile(full_name="Person 2"))

    def refuse(*_args: object) -> None:
        raise AssertionError("a profile with a current stamp was decoded")

    monkeypatch.setattr(storage, "_decode_profile", refuse)
    monkeypatch.setattr(SqlTransaction, "_holder_account", refuse)  # the account's PII too
    report = issuance(storage).issue_cards(["acct-1", "acct-2"])
    assert (report.issued, report.incomplete) == (1, 1)


@pytest.mark.parametrize("stale", [None, "0123456789ab:1", f"{RULES_FINGERPRINT}:x"])
def test_a_stamp_it_cannot_trust_is_decoded_instead(storage: SqlStorage, stale: str | None) -> None:
    with storage.transaction() as tx:
        for n in (1, 2):
            tx.accounts.add(account(n))
        tx.profiles.put("acct-1", complete(1))
        tx.profiles.put("acct-2", Profile(full_name="Person 2"))
    with storage.engine.begin() as conn:  # as written before 0015, or under other rules
        conn.execute(sa.text("UPDATE sk_profiles SET complete = :stale"), {"stale": stale})
    with storage.transaction() as tx:
        holders = list(tx.card_holders(["acct-1", "acct-2"]))
        assert [h.complete for h in holders] == [None, None]
    report = issuance(storage).issue_cards(["acct-1", "acct-2"])
    assert (report.issued, report.incomplete) == (1, 1)


def test_the_migration_adds_the_column_and_goes_down(tmp_path: Path) -> None:
    storage = SqlStorage(
        f"sqlite:///{tmp_path / 'm.sqlite3'}", key_material=KeyMaterial.generate(), migrate=False
    )
    try:
        assert upgrade(storage.engine, "0014_contacts") == "0014_contacts"
        upgrade(storage.engine, "0015_completeness")
        with storage.engine.begin() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sk_profiles")}
            assert "complete" in columns
            command.downgrade(alembic_config(conn), "0014_contacts")
            assert current_revision(conn) == "0014_contacts"
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sk_profiles")}
            assert "complete" not in columns
    finally:
        storage.dispose()
