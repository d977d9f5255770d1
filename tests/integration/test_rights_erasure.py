"""Erased data is gone from the bytes: the SQLite file (and its WAL) and a ``pg_dump``.

Storage encrypts personal data, so the holder's NIK, name, e-mail and phone are
never in the bytes in the clear (searched anyway). The strong check is on what
storage did write: the ciphertexts of the holder's account, profile,
registration and messages, and the blind indexes of their NIK, e-mail and phone.
Each is found in the bytes before the erasure — so the search works — and in
none after it: on SQLite because the erasure runs with ``PRAGMA secure_delete``
and checkpoints and truncates the WAL afterwards (``SqlStorage.scrub``); on
PostgreSQL because a dump holds only live rows.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_sql_storage import _pg_dump

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import schema as sk
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
PHONE = "0812-9999-9999"
E164 = "+6281299999999"


def make_service(database_url: str, schema: str | None = None) -> Siapkerja:
    extra = {} if schema is None else {"database_schema": schema}
    return connect(
        environ={},
        load_entrypoints=False,
        storage="sql",
        database_url=database_url,
        sms="memory",
        dukcapil="offline",
        secret_key="rights-erasure-secret-0123456789abcdef",
        storage_key="k1:" + base64.urlsafe_b64encode(b"e" * 32).decode(),
        database_migrate="true",
        hasher=PasswordHasher.fast_for_tests(),
        clock=ManualClock.from_now().now,
        card_base_url="https://skid.kemnaker.go.id/v/",
        **extra,
    )


def a_holders_life(svc: Siapkerja) -> str:
    """Register, sign in, complete the profile, get a card, consent, be scanned."""
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    registration = svc.submit_contact(
        registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD
    )
    account = svc.confirm_otp(registration.id, code=sms_code(svc))
    svc.login(people.EMAIL, PASSWORD)
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    verifier, _ = svc.register_verifier("BLK Bekasi", ["skillhub"])
    svc.grant_consent(account.id, verifier.id, "pelatihan")
    svc.resolve(svc.card_qr(account.id).token, verifier, purpose="pelatihan")
    return account.id


def stored_traces(svc: Siapkerja, account_id: str) -> dict[str, bytes]:
    """A 32-byte run of each ciphertext and blind index storage wrote for the holder."""
    engine = svc.storage.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        account = conn.execute(sa.select(sk.accounts).where(sk.accounts.c.id == account_id)).one()
        profile = conn.execute(
            sa.select(sk.profiles.c.data).where(sk.profiles.c.account_id == account_id)
        ).scalar_one()
        registration = conn.execute(
            sa.select(sk.registrations.c.pii).where(sk.registrations.c.account_id == account_id)
        ).scalar_one()
    traces = {
        "account ciphertext": bytes(account.pii),
        "profile ciphertext": bytes(profile),
        "registration ciphertext": bytes(registration),
        "NIK blind index": bytes(account.nik_index),
        "e-mail blind index": bytes(account.email_index),
        "phone blind index": bytes(account.phone_index),
    }
    # A run from inside the value: a long one (the profile, its photo) spills over
    # pages, but its first bytes sit in one place.
    return {label: value[8:40] for label, value in traces.items()}


def plaintexts() -> dict[str, list[bytes]]:
    return {
        "NIK": [people.NIK.encode()],
        "name": [people.NAME.encode(), people.NAME.encode("utf-16-le")],
        "e-mail": [people.EMAIL.encode()],
        "phone": [E164.encode(), PHONE.encode(), b"081299999999"],
    }


def sqlite_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.glob("rights.sqlite3*")))


def assert_gone(content: bytes, traces: dict[str, bytes], *, encode: Any = bytes) -> None:
    for label, run in traces.items():
        assert encode(run) not in content, f"{label} still in the bytes"
    for label, spellings in plaintexts().items():
        for spelling in spellings:
            assert spelling not in content, f"{label} in the bytes"


def test_erased_data_is_gone_from_the_sqlite_file(tmp_path: Path) -> None:
    svc = make_service(f"sqlite:///{tmp_path / 'rights.sqlite3'}")
    try:
        account_id = a_holders_life(svc)
        traces = stored_traces(svc, account_id)
        svc.storage.scrub()  # type: ignore[attr-defined]  # everything into the main file
        before = sqlite_bytes(tmp_path)
        for label, run in traces.items():
            assert run in before, f"the search cannot work: {label} not found before"
        svc.rights.erase(account_id)
        after = sqlite_bytes(tmp_path)
        assert_gone(after, traces)
        engine = svc.storage.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(sk.accounts)).scalar() == 0
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert (tmp_path / "rights.sqlite3-wal").stat().st_size == 0
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_without_secure_delete_the_bytes_would_stay(tmp_path: Path) -> None:
    """Why the erasure turns secure_delete on: a plain DELETE leaves the ciphertexts."""
    svc = make_service(f"sqlite:///{tmp_path / 'rights.sqlite3'}")
    try:
        account_id = a_holders_life(svc)
        traces = stored_traces(svc, account_id)
        engine = svc.storage.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA secure_delete=OFF")
            conn.execute(sa.delete(sk.accounts).where(sk.accounts.c.id == account_id))
            conn.execute(sa.delete(sk.profiles).where(sk.profiles.c.account_id == account_id))
        svc.storage.scrub()  # type: ignore[attr-defined]
        after = sqlite_bytes(tmp_path)
        assert any(run in after for run in traces.values())
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_erased_data_is_gone_from_a_postgresql_dump(
    postgres_url: str, postgres_schema: str
) -> None:
    svc = make_service(postgres_url, postgres_schema)
    try:
        account_id = a_holders_life(svc)
        traces = stored_traces(svc, account_id)
        before = _pg_dump(postgres_url, postgres_schema)
        for label, run in traces.items():
            assert run.hex().encode() in before, f"the search cannot work: {label} not found"
        svc.rights.erase(account_id)
        after = _pg_dump(postgres_url, postgres_schema)
        assert_gone(after, traces, encode=lambda run: run.hex().encode())
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_nik_is_free_after_erasure(tmp_path: Path, backend: str) -> None:
    del backend
    svc = make_service(f"sqlite:///{tmp_path / 'rights.sqlite3'}")
    try:
        account_id = a_holders_life(svc)
        svc.rights.erase(account_id)
        again = a_holders_life(svc)
        assert again != account_id
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]
