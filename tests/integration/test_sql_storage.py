"""The ``sql`` storage adapter on a real SQLite file and a real PostgreSQL.

What is checked here, beyond the port's contract (``tests/contract``):

* migrations: ``siapkerja db upgrade``/``current``, the migrated schema equals
  ``schema.metadata``, SQLite migrates itself;
* the whole journey through ``connect(storage="sql", ...)``, and a second
  ``connect`` on the same database (a restart) sees the account, the profile
  and the card, and login works;
* personal data at rest: no NIK, phone, e-mail or name in the SQLite file's
  bytes nor in a ``pg_dump --data-only``;
* twenty processes confirming registrations of one NIK at once on PostgreSQL
  end with exactly one account, every other process a typed refusal;
* failures of the database are ``StorageError`` and write nothing; keys rotate;
* every lookup a repository makes uses an index.
"""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import queue
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql import (
    KeyMaterial,
    SchemaNotReady,
    SqlStorage,
    StorageKeyError,
    StorageKeyUnavailable,
    generate_key_setting,
)
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.counters import SqlCounters
from siapkerja_adapters.sql.crypto import BlindIndex
from siapkerja_adapters.sql.keys import default_key_file
from siapkerja_adapters.sql.migrate import current_revision, head_revision
from siapkerja_adapters.sql.storage import _SCAN
from siapkerja_core.errors import AlreadyRegistered, ConfigurationError, RegistrationError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.ports import AccountConflict, StorageError
from siapkerja_core.profile import Profile
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    RegistrationRecord,
    RegistrationStatus,
)
from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code as last_code

SECRET_KEY = "integration-secret-key-0123456789abcdef"
# Fixed, not drawn at import: the spawned racers import this module again.
STORAGE_KEY = "k1:" + base64.urlsafe_b64encode(hashlib.sha256(b"integration").digest()).decode()
# Galih, a resident of the bundled offline registry (the demo's person), with his titles.
NIK, MOTHER, EMAIL = people.NIK, people.MOTHER, people.EMAIL
FULL_NAME = f"H. {people.NAME}, S.Kom."
PHONE = "0812-9999-9999"
PHONE_E164 = "+6281299999999"
PASSWORD = "kopi tubruk di pal merah"
POLICY = JourneyPolicy(max_sends_per_nik_per_day=100, max_sends_per_phone_per_day=100)


def connect_sql(url: str, schema: str | None = None, **settings: Any) -> Siapkerja:
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
        **settings,
    }
    return connect(environ={}, load_entrypoints=False, policy=POLICY, **options)


def close(svc: Siapkerja) -> None:
    storage = svc.storage
    assert isinstance(storage, SqlStorage)
    storage.dispose()


PROFILE: dict[str, Any] = {
    "biodata": {
        "birth_place": "Jakarta",
        "birth_date": "1994-03-12",
        "marital_status": "belum_menikah",
        "religion": "islam",
        "headline": "IT Professional",
    },
    "skills": [{"name": "PHP"}, {"name": "Linux"}],
    "languages": [{"name": "English", "level": "menengah"}],
    "education": [
        {
            "institution": "BINUS University",
            "level": "S1",
            "major": "Informatika",
            "gpa": 3.4,
            "start_year": 2016,
            "end_year": 2018,
        }
    ],
}


def _png(width: int = 24, height: int = 30) -> bytes:
    """A small valid PNG (a gradient), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 9 % 256, y * 7 % 256, x * y % 256)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def complete_profile(svc: Siapkerja, account_id: str) -> None:
    from siapkerja_core import regions

    village = regions.search("pal merah", level="village", within="317307")[0].code
    address = {"village_code": village, "street": "Jl. Palmerah Barat", "rt": "5", "rw": "3"}
    svc.update_profile(
        account_id,
        ktp_address=address,
        domicile_address=address,
        photo={"content": _png(), "media_type": "image/png"},
        **PROFILE,
    )


def register(svc: Siapkerja, *, email: str = EMAIL, phone: str = PHONE) -> Any:
    reg = svc.register(nik=NIK, full_name=FULL_NAME, mother_name=MOTHER)
    reg = svc.submit_contact(reg.id, email=email, phone=phone, password=PASSWORD)
    return svc.confirm_otp(reg.id, code=last_code(svc))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
        return
    url = request.getfixturevalue("postgres_url")
    yield url, request.getfixturevalue("postgres_schema")


# --- migrations --------------------------------------------------------------------------


def test_the_schema_revision_is_alembics_head() -> None:
    assert head_revision() == sk.SCHEMA_REVISION


def test_db_upgrade_and_current_through_the_cli(
    database: tuple[str, str | None], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from siapkerja_adapters.cli.db import db_app

    url, schema = database
    env = {"SIAPKERJA_STORAGE_KEY": STORAGE_KEY, "SIAPKERJA_DATABASE_SCHEMA": schema or ""}
    runner = CliRunner()
    before = runner.invoke(db_app, ["current", "--database-url", url], env=env)
    assert before.exit_code == 1, before.output
    assert "not migrated" in before.output
    upgraded = runner.invoke(db_app, ["upgrade", "--database-url", url], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert sk.SCHEMA_REVISION in upgraded.output
    again = runner.invoke(db_app, ["upgrade", "--database-url", url], env=env)  # idempotent
    assert again.exit_code == 0, again.output
    after = runner.invoke(db_app, ["current", "--database-url", url], env=env)
    assert after.exit_code == 0, after.output
    assert f"{sk.SCHEMA_REVISION} (head)" in after.output


def test_the_migrated_schema_equals_the_metadata(database: tuple[str, str | None]) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": sk.VERSION_TABLE}
            )
            differences = compare_metadata(context, sk.metadata)
    finally:
        storage.dispose()
    assert differences == []


def test_postgresql_waits_for_db_upgrade(postgres_url: str, postgres_schema: str) -> None:
    storage = SqlStorage(postgres_url, key_material=KeyMaterial.generate(), schema=postgres_schema)
    try:
        with pytest.raises(SchemaNotReady) as info, storage.transaction() as tx:
            tx.accounts.find(nik=NIK)
        assert info.value.full_code == "storage.not_migrated"
        assert isinstance(info.value, StorageError)
        storage.upgrade()
        with storage.transaction() as tx:
            assert tx.accounts.find(nik=NIK) is None
    finally:
        storage.dispose()


def test_storages_migrating_at_once_in_one_process_all_reach_head(
    tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    """Alembic's migration context is one module-level proxy: two migrations in two
    threads (SQLite files, a PostgreSQL schema — no database lock between them) broke
    each other (``table … already exists``, ``KeyError: 'script'``) until the process's
    own lock made them take turns."""
    import threading

    urls: list[tuple[str, str | None]] = [
        (f"sqlite:///{tmp_path}/db{n}.sqlite3", None) for n in range(5)
    ]
    urls.append((postgres_url, postgres_schema))
    storages = [
        SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
        for url, schema in urls
    ]
    start = threading.Barrier(len(storages))
    failures: list[BaseException] = []

    def migrate(storage: SqlStorage) -> None:
        start.wait(10)
        try:
            storage.upgrade()
        except BaseException as error:  # collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in storages]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        for storage in storages:
            with storage.engine.connect() as conn:
                assert current_revision(conn) == sk.SCHEMA_REVISION
    finally:
        for storage in storages:
            storage.dispose()


@pytest.mark.parametrize(
    ("url", "schema", "reason"),
    [
        (
            "sqlite:///{tmp}/db.sqlite3",
            "siapkerja",
            "a schema is PostgreSQL's; the database is sqlite",
        ),
        ("postgresql://postgres@127.0.0.1/test", "1-bad name", "a PostgreSQL schema name"),
    ],
)
def test_a_schema_setting_says_what_is_wrong_with_it(
    tmp_path: Path, url: str, schema: str, reason: str
) -> None:
    """A valid schema name beside a SQLite URL (``SIAPKERJA_DATABASE_SCHEMA`` left set)
    was refused as if the name were wrong (an outside tester's finding)."""
    with pytest.raises(ConfigurationError) as refused:
        connect(
            environ={},
            load_entrypoints=False,
            storage="sql",
            database_url=url.format(tmp=tmp_path),
            database_schema=schema,
            storage_key=generate_key_setting(),
            sms="memory",
            dukcapil="offline",
        )
    assert refused.value.params["name"] == "database_schema"
    assert reason in refused.value.params["reason"]


def test_the_sqlite_default_creates_and_migrates_its_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "siapkerja.sqlite3"
    svc = connect_sql(f"sqlite:///{path}", storage_key=None, database_migrate=None)
    try:
        account = register(svc)
    finally:
        close(svc)
    assert path.exists()
    # The key is generated (no data existed) outside the data directory, never beside it.
    assert not path.with_name(path.name + ".key").exists()
    key_file = default_key_file(str(path))
    assert key_file.exists()
    assert not key_file.is_relative_to(path.parent)
    assert (key_file.stat().st_mode & 0o777) == 0o600
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        version = sa.select(sa.column("version_num")).select_from(sa.table(sk.VERSION_TABLE))
        revision = conn.execute(version).scalar()
    engine.dispose()
    assert (journal, revision) == ("wal", sk.SCHEMA_REVISION)
    again = connect_sql(f"sqlite:///{path}", storage_key=None)  # the key file is read back
    try:
        assert again.login(identifier=NIK, password=PASSWORD).id == account.id
    finally:
        close(again)


# --- the journey, and a restart --------------------------------------------------------------


def test_the_journey_survives_a_reconnect(database: tuple[str, str | None]) -> None:
    url, schema = database
    svc = connect_sql(url, schema)
    try:
        account = register(svc)
        assert svc.login(identifier=EMAIL, password=PASSWORD).id == account.id
        complete_profile(svc, account.id)
        assert svc.completeness(account.id).complete
        card = svc.issue_card(account.id)
        qr = svc.card_qr(account.id, mode="link")
        assert svc.resolve(qr.url).siapkerja_id == card.siapkerja_id
        with pytest.raises(AlreadyRegistered):
            svc.register(nik=NIK, full_name=FULL_NAME, mother_name=MOTHER)
        profile = svc.profile(account.id)
    finally:
        close(svc)

    restarted = connect_sql(url, schema)  # a new process would do exactly this
    try:
        for identifier in (NIK, EMAIL, "+62 812 9999 9999"):
            assert restarted.login(identifier=identifier, password=PASSWORD).id == account.id
        assert restarted.profile(account.id) == profile
        assert restarted.card(account.id).siapkerja_id == card.siapkerja_id
        view = restarted.resolve(qr.token)  # the keyring and the card survived
        assert view.siapkerja_id == card.siapkerja_id
        assert len(restarted.access_log(account.id)) == 2
        with pytest.raises(AlreadyRegistered):
            restarted.register(nik=NIK, full_name=FULL_NAME, mother_name=MOTHER)
    finally:
        close(restarted)


# --- personal data at rest -------------------------------------------------------------------


def _secrets_of_the_journey() -> dict[str, list[bytes]]:
    """Each secret value, in the spellings it could take in a file or a dump."""
    values = {
        "nik": NIK,
        "email": EMAIL,
        "phone": PHONE_E164,
        "phone-local": "081299999999",
        "name": "Galih Agan Pambayun",
        "mother": MOTHER,
    }
    spelled: dict[str, list[bytes]] = {}
    for label, value in values.items():
        raw = value.encode("utf-8")
        spelled[label] = [raw, raw.upper(), raw.hex().encode("ascii")]  # bytea dumps as hex
    return spelled


def _journey_with_a_card(url: str, schema: str | None) -> str:
    svc = connect_sql(url, schema)
    try:
        account = register(svc)
        complete_profile(svc, account.id)
        card = svc.issue_card(account.id)
        svc.resolve(svc.card_qr(account.id).token)
    finally:
        close(svc)
    return card.siapkerja_id


def test_no_plaintext_pii_in_the_sqlite_file(tmp_path: Path) -> None:
    number = _journey_with_a_card(f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None)
    content = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("siapkerja.sqlite3*")))
    assert number.encode() in content  # the search works: the card number is not PII
    for label, spellings in _secrets_of_the_journey().items():
        for spelling in spellings:
            assert spelling not in content, f"{label} found in the SQLite file"


def _pg_dump(url: str, schema: str) -> bytes:
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is not None:
        done = subprocess.run(
            [pg_dump, "--data-only", "--schema", schema, "--dbname", libpq_url],
            capture_output=True,
            check=False,
            timeout=120,
        )
        if done.returncode == 0:
            return done.stdout
    # No usable pg_dump (missing, or another major version): COPY every table out.
    engine = sa.create_engine(url)
    chunks: list[bytes] = []
    try:
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for table in sk.metadata.sorted_tables:
                with cursor.copy(f'COPY "{schema}"."{table.name}" TO STDOUT') as copy:
                    chunks.extend(bytes(block) for block in copy)
    finally:
        engine.dispose()
    return b"".join(chunks)


def test_no_plaintext_pii_in_a_postgresql_dump(postgres_url: str, postgres_schema: str) -> None:
    number = _journey_with_a_card(postgres_url, postgres_schema)
    dump = _pg_dump(postgres_url, postgres_schema)
    assert number.encode() in dump  # the search works: the card number is not PII
    for label, spellings in _secrets_of_the_journey().items():
        for spelling in spellings:
            assert spelling not in dump, f"{label} found in the PostgreSQL dump"


# --- twenty processes, one NIK ---------------------------------------------------------------

RACERS = 20


def _confirm_in_a_process(
    url: str,
    schema: str,
    registration_id: str,
    code: str,
    barrier: Any,
    results: Any,
) -> None:
    """One racer: connect, warm up, wait for the others, confirm its registration."""
    try:
        svc = connect_sql(url, schema)
        with svc.storage.transaction() as tx:  # open the pool, load the index key
            tx.accounts.find(nik="0000000000000000")
        barrier.wait(timeout=120)
        try:
            account = svc.confirm_otp(registration_id, code=code)
            results.put(("account", account.id))
        except AlreadyRegistered as error:
            results.put(("already_registered", error.full_code))
        except RegistrationError as error:
            results.put(("registration_error", error.full_code))
        finally:
            close(svc)
    except BaseException as error:  # anything else breaks the guarantee
        results.put(("other", f"{type(error).__name__}: {error}"))


def test_twenty_processes_confirming_one_nik_end_with_one_account(
    postgres_url: str, postgres_schema: str
) -> None:
    svc = connect_sql(postgres_url, postgres_schema)
    pending: list[tuple[str, str]] = []
    try:
        for n in range(RACERS):  # twenty registrations of one NIK, each with its own contacts
            reg = svc.register(nik=NIK, full_name=FULL_NAME, mother_name=MOTHER)
            reg = svc.submit_contact(
                reg.id,
                email=f"racer{n}@example.com",
                phone=f"+62 812 3000 {n:04d}",
                password=PASSWORD,
            )
            pending.append((reg.id, last_code(svc)))
    finally:
        close(svc)

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(RACERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=_confirm_in_a_process,
            args=(postgres_url, postgres_schema, reg_id, code, barrier, results),
        )
        for reg_id, code in pending
    ]
    for process in processes:
        process.start()
    outcomes: list[tuple[str, str]] = []
    try:
        outcomes.extend(results.get(timeout=300) for _ in processes)
    except queue.Empty:
        pass
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["account"] + ["already_registered"] * (RACERS - 1), outcomes
    assert all(p.exitcode == 0 for p in processes)

    check = connect_sql(postgres_url, postgres_schema)
    try:
        winner = next(detail for kind, detail in outcomes if kind == "account")
        assert check.login(identifier=NIK, password=PASSWORD).id == winner
        storage = check.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(sk.accounts)).scalar() == 1
    finally:
        close(check)


def test_account_ids_page_in_byte_order(database: tuple[str, str | None]) -> None:
    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    ids = ["b-2", "B-1", "a_10", "a-9", "a.1", "0f", "Z"]
    try:
        with storage.transaction() as tx:
            for n, account_id in enumerate(ids):
                tx.accounts.add(
                    AccountRecord(
                        id=account_id,
                        nik=f"31710117084{n:05d}",
                        full_name=f"Person {n}",
                        email=f"person{n}@example.com",
                        phone=f"+62812{n:08d}",
                        password_hash="x",
                        created_at=datetime.now(UTC),
                        password_changed_at=datetime.now(UTC),
                        active=n % 2 == 0,  # inactive accounts are listed too
                    )
                )
        pages: list[list[str]] = []
        after: str | None = None
        while True:
            with storage.transaction() as tx:
                page = tx.accounts.ids(after=after, limit=3)
            if not page:
                break
            pages.append(page)
            after = page[-1]
    finally:
        storage.dispose()
    assert [i for page in pages for i in page] == sorted(ids)  # Python's (code point) order
    assert [len(page) for page in pages] == [3, 3, 1]


# --- failures ----------------------------------------------------------------------------------


def test_an_unreachable_postgresql_is_a_storage_error() -> None:
    storage = SqlStorage(
        "postgresql://postgres@127.0.0.1:1/test",
        key_material=KeyMaterial.generate(),
        connect_timeout=2,
    )
    try:
        with pytest.raises(StorageError), storage.transaction() as tx:
            tx.accounts.find(nik=NIK)
        # With the blind-index key at hand, the unit of work's own connect is what fails.
        storage._index = BlindIndex(b"k" * 32)
        with pytest.raises(StorageError), storage.transaction() as tx:
            tx.accounts.find(nik=NIK)
        with pytest.raises(StorageError):
            storage.scan_subject(1)
        with pytest.raises(StorageError):
            storage.counters.hit("k", limit=1, window=timedelta(hours=1), now=datetime.now(UTC))
    finally:
        storage.dispose()


def test_the_journey_reports_an_unusable_sqlite_file_as_a_storage_error(tmp_path: Path) -> None:
    svc = connect_sql(f"sqlite:///{tmp_path}")  # a directory, not a database file
    try:
        with pytest.raises(StorageError) as info:
            svc.register(nik=NIK, full_name=FULL_NAME, mother_name=MOTHER)
        assert info.value.full_code == "storage.unavailable"
    finally:
        close(svc)


def test_a_closed_storage_refuses_work(tmp_path: Path) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    with storage.transaction() as tx:
        tx.accounts.find(nik=NIK)
    storage.dispose()
    with pytest.raises(StorageError), storage.transaction():
        pass
    entry = AccessRecord(
        id="e1",
        account_id="a",
        at=datetime.now(UTC),
        audience="anonymous",
        fields=(),
        channel="link",
    )
    with pytest.raises(StorageError):
        storage.log_access(entry)


def _registration(n: int) -> RegistrationRecord:
    moment = datetime.now(UTC)
    return RegistrationRecord(
        id=f"reg-{n}",
        nik=NIK,
        full_name=FULL_NAME,
        status=RegistrationStatus.VERIFIED,
        created_at=moment,
        expires_at=moment + timedelta(days=1),
    )


def test_a_connection_lost_mid_transaction_writes_nothing(
    postgres_url: str, postgres_schema: str
) -> None:
    storage = SqlStorage(
        postgres_url, key_material=KeyMaterial.generate(), migrate=True, schema=postgres_schema
    )
    killer = sa.create_engine(postgres_url)

    def write_and_lose_the_connection() -> None:
        with storage.transaction() as tx:
            tx.registrations.put(_registration(1))
            pid = tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.begin() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            tx.registrations.put(_registration(2))

    try:
        with pytest.raises(StorageError):
            write_and_lose_the_connection()
        with storage.transaction() as tx:  # the pool recovered; nothing was written
            assert tx.registrations.get("reg-1") is None
            assert tx.registrations.get("reg-2") is None
    finally:
        killer.dispose()
        storage.dispose()


# --- keys ---------------------------------------------------------------------------------------


def test_storage_keys_rotate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}"
    old = generate_key_setting("old")
    new = generate_key_setting("new")
    svc = connect_sql(url, storage_key=old)
    try:
        account = register(svc)
    finally:
        close(svc)

    # The old key is gone: nothing can be read, so the storage refuses to open at all.
    with pytest.raises(StorageKeyUnavailable) as info:
        connect_sql(url, storage_key=new)
    assert info.value.full_code == "config.storage_key_missing"
    assert info.value.params["kid"] == "old"

    rotated = connect_sql(url, storage_key=f"{new},{old}")  # new encrypts, old decrypts
    try:
        assert rotated.login(identifier=NIK, password=PASSWORD).id == account.id
        storage = rotated.storage
        assert isinstance(storage, SqlStorage)
        assert storage.reencrypt(batch_size=2) > 0
        assert storage.reencrypt() == 0
    finally:
        close(rotated)

    only_new = connect_sql(url, storage_key=new)  # after re-encryption the old key can go
    try:
        assert only_new.login(identifier=EMAIL, password=PASSWORD).id == account.id
    finally:
        close(only_new)


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(tmp_path: Path) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    try:
        with storage.transaction() as tx:
            tx.registrations.put(_registration(1))
            tx.registrations.put(_registration(2))
        with storage.engine.begin() as conn:
            stolen = conn.execute(
                sa.select(sk.registrations.c.pii).where(sk.registrations.c.id == "reg-1")
            ).scalar_one()
            conn.execute(
                sa.update(sk.registrations)
                .where(sk.registrations.c.id == "reg-2")
                .values(pii=stolen)
            )
        with pytest.raises(StorageKeyError) as info, storage.transaction() as tx:
            tx.registrations.get("reg-2")
        assert info.value.full_code == "storage.tampered"
    finally:
        storage.dispose()


# --- indexes --------------------------------------------------------------------------------------


def _lookups(dialect: str) -> list[Any]:
    """Every lookup statement of the repositories on ``dialect``, with parameters, as pytest
    params."""
    from siapkerja_adapters.sql import accounts, cards, keyring, ledger, status_list, transaction

    blob = b"\x00" * 32
    statements: list[tuple[str, sa.Executable, dict[str, Any]]] = [
        (f"account by {field}", stmt, {"value": blob})
        for field, stmt in accounts._Accounts._FIND.items()
    ]
    statements += [
        (
            "identifiers taken",
            accounts._Accounts._TAKEN,
            {"nik_index": blob, "email_index": blob, "phone_index": blob},
        ),
        ("account by id", accounts._Accounts._GET, {"id": "a"}),
        ("account ids, first page", accounts._Accounts._IDS, {"limit": 10}),
        ("account ids, next page", accounts._Accounts._IDS_AFTER, {"after": "a", "limit": 10}),
        ("registration", accounts._Registrations._GET, {"id": "r"}),
        ("challenge", accounts._Challenges._GET, {"id": "r"}),
        ("reset", accounts._Resets._GET, {"id": "r"}),
        ("session", accounts._Sessions._GET, {"id": "s"}),
        ("sessions of an account", accounts._Sessions._DELETE_FOR, {"account_id": "a"}),
        ("profile", cards._Profiles._GET, {"account_id": "a"}),
        ("verifier", ledger._Verifiers._GET, {"value": "v"}),
        ("verifier by key", ledger._Verifiers._BY_KEY, {"value": "k"}),
        ("consent", ledger._Consents._GET, {"id": "c"}),
        ("consents of an account", ledger._Consents._FOR, {"account_id": "a"}),
        ("ledger of an account", ledger._AccessLog._FOR, {"account_id": "a"}),
        ("ledger of a verifier", ledger._AccessLog._FOR_VERIFIER, _VERIFIER_LEDGER),
        ("ledger page, newest", ledger._AccessLog._NEWEST, {"account_id": "a", "limit": 50}),
        (
            "ledger page, older",
            ledger._AccessLog._NEWEST_BEFORE,
            {
                "account_id": "a",
                "limit": 50,
                "before_at": datetime(2026, 11, 27, tzinfo=UTC),
                "before_id": "x",
            },
        ),
        ("check-in", ledger._CheckIns._GET, {"card_ref": 1, "event_id": "e"}),
        ("check-ins of an event", ledger._CheckIns._FOR, {"event_id": "e"}),
        ("keyring", keyring._Keyrings._GET, {}),
        ("status list state", status_list._StatusLists._GET, {}),
        ("counter", SqlCounters._READ, {"key": "k"}),
        ("counter release", SqlCounters._RELEASE, {"b_key": "k", "window_ms": 1, "now_ms": 2}),
        ("scan", _SCAN, {"card_ref": 1}),
    ]
    # A bulk batch's ids or indexes go as one JSON array (the driver's "?" on SQLite).
    if dialect == "sqlite":
        statements += [
            (
                "cards written, by id",
                sa.text(cards._STORED_SQLITE.replace("?", ":ids")),
                {"ids": '["a", "b"]'},
            ),
            (
                "status indexes taken",
                sa.text(cards._TAKEN_INDEXES_SQLITE.replace("?", ":ids")),
                {"ids": "[1, 2]"},
            ),
        ]
    else:
        statements.append(("status indexes taken", cards._TAKEN_INDEXES_PG, {"indexes": "[1, 2]"}))
    holders = transaction._HOLDER_QUERIES[dialect]
    statements += [
        (f"card holders: {name}", stmt, {"ids": '["a", "b"]'})
        for name, stmt in zip(holders._fields, holders, strict=True)
    ]
    statements += [
        (f"card by {column}", stmt, {"value": 1 if column in ("card_ref", "status_index") else "x"})
        for column, stmt in cards._Cards._BY.items()
    ]
    return [pytest.param(stmt, params, id=label) for label, stmt, params in statements]


_VERIFIER_LEDGER: dict[str, Any] = {
    "verifier_id": "v",
    "since": datetime(2026, 1, 1, tzinfo=UTC),
    "limit": 100,
}


@pytest.mark.parametrize(("statement", "params"), _lookups("sqlite"))
def test_every_lookup_uses_an_index_on_sqlite(
    tmp_path: Path, statement: sa.Executable, params: dict[str, Any]
) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
            state = compiled.construct_expanded_state(params)  # IN (…) lists expanded
            positional = tuple(state.parameters[name] for name in state.positiontup)
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}", positional).all()
    finally:
        storage.dispose()
    steps = [row[-1] for row in plan]
    assert steps
    # json_each's rows are the parameter's JSON array, not a table: scanning them is the point.
    tables = [s for s in steps if "VIRTUAL TABLE" not in s]  # json_each, aliased or not
    assert not [s for s in tables if s.startswith("SCAN") and "USING" not in s], steps


@pytest.mark.parametrize(("statement", "params"), _lookups("postgresql"))
def test_every_lookup_uses_an_index_on_postgresql(
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
            state = compiled.construct_expanded_state(params)  # IN (…) lists expanded
            explain = f"EXPLAIN {state.statement}"
            plan = [row[0] for row in conn.exec_driver_sql(explain, state.parameters)]
    finally:
        storage.dispose()
    assert plan
    assert not [line for line in plan if "Seq Scan" in line], plan


def _pg_literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def _ledger_lookups() -> list[tuple[str, sa.Executable, dict[str, Any]]]:
    from siapkerja_adapters.sql import ledger

    L = sk.access_log.c  # noqa: N806
    return [
        ("ix_sk_access_log_verifier_id_at", ledger._AccessLog._FOR_VERIFIER, _VERIFIER_LEDGER),
        ("ix_sk_access_log_account_id_at", ledger._AccessLog._FOR, {"account_id": "a"}),
        # The erasure's purge (rights.py): a holder's entries, by account.
        (
            "ix_sk_access_log_account_id_at",
            sa.delete(sk.access_log).where(L.account_id == sa.bindparam("account_id")),
            {"account_id": "a"},
        ),
    ]


def test_the_ledgers_lookups_use_its_indexes_and_anonymous_scans_skip_one(
    database: tuple[str, str | None],
) -> None:
    """The ledger is nearly all anonymous scans: its verifier index is partial, ``WHERE
    verifier_id IS NOT NULL``, so such a row writes no page of it. Every lookup on the
    ledger must still use its index — the verifier's, whose ``verifier_id = :x`` implies
    the predicate, also as PostgreSQL's generic plan of a prepared statement (``$1``) —
    and no other index than the primary key and these two is written per entry."""
    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            postgresql = conn.dialect.name == "postgresql"
            if postgresql:
                conn.exec_driver_sql("SET enable_seqscan = off")  # small tables: ask for an index
                conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
                indexes = dict(
                    conn.exec_driver_sql(
                        "SELECT indexname, indexdef FROM pg_indexes"
                        " WHERE tablename = 'sk_access_log' AND schemaname = current_schema()"
                    ).all()
                )
            else:
                indexes = dict(
                    conn.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master"
                        " WHERE type = 'index' AND tbl_name = 'sk_access_log'"
                    ).all()
                )
            for n, (index, statement, params) in enumerate(_ledger_lookups()):
                compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
                state = compiled.construct_expanded_state(params)
                if postgresql:
                    # Positional, as a prepared statement's generic plan sees its parameters.
                    sql, values = state.statement, list(state.parameters.values())
                    for i, name in enumerate(state.parameters, start=1):
                        sql = sql.replace(f"%({name})s", f"${i}")
                    conn.exec_driver_sql(f"PREPARE ledger_{n} AS {sql}")
                    # EXECUTE's arguments as literals: EXPLAIN takes no parameters of its own.
                    args = ", ".join(_pg_literal(v) for v in values)
                    explain = f"EXPLAIN EXECUTE ledger_{n}({args})"
                    plan = [row[0] for row in conn.exec_driver_sql(explain)]
                else:
                    positional = tuple(state.parameters[name] for name in state.positiontup)
                    explain = f"EXPLAIN QUERY PLAN {state.statement}"
                    plan = [row[-1] for row in conn.exec_driver_sql(explain, positional)]
                assert [line for line in plan if index in line], plan
                assert not [
                    line for line in plan if "Seq Scan" in line or line == "SCAN sk_access_log"
                ]
    finally:
        storage.dispose()
    partial = indexes.pop("ix_sk_access_log_verifier_id_at")
    assert partial.replace("(", "").replace(")", "").endswith("WHERE verifier_id IS NOT NULL")
    full = indexes.pop("ix_sk_access_log_account_id_at")
    assert "WHERE" not in full
    assert len(indexes) == 1, indexes  # the primary key's


def test_the_ledger_indexes_migration_goes_down_to_the_full_index(
    database: tuple[str, str | None],
) -> None:
    from alembic import command

    from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade

    def verifier_index(conn: sa.Connection) -> str:
        if conn.dialect.name == "postgresql":
            sql = (
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname = 'ix_sk_access_log_verifier_id_at'"
            )
        else:
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_sk_access_log_verifier_id_at'"
        return str(conn.exec_driver_sql(sql).scalar_one())

    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        assert upgrade(storage.engine, "0015_completeness") == "0015_completeness"
        with storage.engine.begin() as conn:
            assert "WHERE" not in verifier_index(conn)
        assert upgrade(storage.engine) == sk.SCHEMA_REVISION
        with storage.engine.begin() as conn:
            assert "WHERE" in verifier_index(conn)
            command.downgrade(alembic_config(conn), "0015_completeness")
            assert current_revision(conn) == "0015_completeness"
            assert "WHERE" not in verifier_index(conn)
        assert upgrade(storage.engine) == sk.SCHEMA_REVISION  # and up again
    finally:
        storage.dispose()


# --- timestamps on SQLite -------------------------------------------------------------

_WIB = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 17, 30, 5, 123456, tzinfo=_WIB),
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_sqlite_timestamps_are_the_text_sqlalchemy_writes(moment: datetime) -> None:
    # UtcDateTime formats in one step on SQLite; it must write exactly what the
    # generic chain (UTC, then the dialect's DATETIME) writes, or text order breaks.
    dialect = sa.dialects.sqlite.dialect()  # type: ignore[attr-defined]
    fast = sk.UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    generic = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None
    assert generic is not None
    assert fast(moment) == generic(moment.astimezone(UTC).replace(tzinfo=None))
    assert fast(None) is None
    with pytest.raises(ValueError, match="aware"):
        fast(moment.replace(tzinfo=None))


# --- bulk loading ---------------------------------------------------------------------


def _bulk_account(n: int, **changes: Any) -> AccountRecord:
    return AccountRecord(
        **{
            "id": f"bulk-{n:04d}",
            "nik": f"31710117084{n:05d}",
            "full_name": f"Person {n}",
            "email": f"person{n}@example.com",
            "phone": f"+62812{n:08d}",
            "password_hash": "x",
            "created_at": datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
            "password_changed_at": datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
            **changes,
        }
    )


def test_bulk_loading_stores_what_the_port_stores(database: tuple[str, str | None]) -> None:
    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    records = [_bulk_account(n, active=n != 5) for n in range(1, 26)]
    profiles = [(r.id, Profile(full_name=r.full_name, skills=["PHP"])) for r in records]
    try:
        assert storage.bulk_add_accounts(iter(records), batch_size=10) == 25
        assert storage.bulk_put_profiles(iter(profiles), batch_size=7) == 25
        with storage.transaction() as tx:
            assert [tx.accounts.get(r.id) for r in records] == records
            assert tx.accounts.find(nik=records[0].nik) == records[0]  # blind indexes
            assert tx.accounts.find(email=records[11].email) == records[11]
            assert tx.accounts.find(phone=records[24].phone) == records[24]
            assert tx.accounts.find(nik=records[4].nik) is None  # inactive
            assert [tx.profiles.get(r.id) for r in records] == [p for _, p in profiles]
            # The uniqueness rule still holds against what was bulk-loaded.
            with pytest.raises(AccountConflict):
                tx.accounts.add(_bulk_account(99, email=records[3].email))
    finally:
        storage.dispose()


def test_a_refused_bulk_row_fails_its_batch_only(database: tuple[str, str | None]) -> None:
    url, schema = database
    storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=True, schema=schema)
    try:
        first = [_bulk_account(n) for n in range(1, 5)]
        clash = [_bulk_account(5), _bulk_account(6, phone=first[0].phone), _bulk_account(7)]
        with pytest.raises(AccountConflict) as conflict:
            storage.bulk_add_accounts(first + clash, batch_size=4)
        assert conflict.value.field == "phone"
        with pytest.raises(ValueError, match="exists"):
            storage.bulk_add_accounts(
                [
                    _bulk_account(8),
                    _bulk_account(
                        1, nik="3171011708400077", email="x@example.com", phone="+6281299990000"
                    ),
                ]
            )
        with storage.transaction() as tx:
            assert [tx.accounts.get(r.id) is not None for r in first] == [True] * 4
            assert [tx.accounts.get(f"bulk-{n:04d}") for n in (5, 6, 7, 8)] == [None] * 4
    finally:
        storage.dispose()


def test_the_sqlite_timestamp_remembered_is_the_one_asked_for() -> None:
    # The processor remembers the last datetime it formatted (a batch binds one
    # "now" to every row): a different datetime, even an equal one in another
    # zone, must still get its own text.
    dialect = sa.dialects.sqlite.dialect()  # type: ignore[attr-defined]
    process = sk.UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    first = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    later = first + timedelta(microseconds=1)
    same_instant = first.astimezone(_WIB)
    texts = [process(moment) for moment in (first, first, later, first, same_instant, None, later)]
    assert texts == [
        "2026-11-27 10:00:00.000000",
        "2026-11-27 10:00:00.000000",
        "2026-11-27 10:00:00.000001",
        "2026-11-27 10:00:00.000000",
        "2026-11-27 10:00:00.000000",
        None,
        "2026-11-27 10:00:00.000001",
    ]
