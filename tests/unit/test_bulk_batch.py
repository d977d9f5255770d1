"""The batched write of an AK/I import (``siapkerja_adapters.bulk.batch``).

Its shortcuts must give the answers of the slow paths they skip: the core's
e-mail and phone normalisation, ``merge_profile``; and a batch is stored whole
or not at all.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.bulk import AKL_COLUMNS, akl_import, batch, import_akl
from siapkerja_adapters.bulk.akl_cells import _sections
from siapkerja_adapters.bulk.batch import Ready, apply_sections, fast_email, fast_phone
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_core import compose_nik, regions
from siapkerja_core.contact import normalize_email, normalize_phone
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import StorageError
from siapkerja_core.profile import Profile

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "akl_sample.csv"


def outcome(function: Any, text: str) -> str:
    """The normalised value, or the refusal's code."""
    try:
        return str(function(text))
    except SiapkerjaError as error:
        return f"refused: {error.full_code}"


EMAILS = [
    "Siti.Rahmawati@Example.com",
    "  budi@gmail.com ",
    "a@b.co.id",
    "x+tag@kemnaker.go.id",
    "o'brien@example.org",
    "first..last@example.com",
    ".dot@example.com",
    "dot.@example.com",
    "no-at-sign.example.com",
    "two@@example.com",
    "a@b@example.com",
    "user@localhost",
    "user@example.test",
    "user@-bad-.com",
    "user@exa_mple.com",
    "user@xn--p1ai",
    "user@пример.рф",
    "Ünïcode@example.com",
    "user@EXAMPLE.COM.",
    'quoted"@example.com',
    "sp ace@example.com",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "a@" + ".".join(["b" * 63] * 4) + ".com",
    "a@" + "b" * 64 + ".com",
    "",
    "   ",
    "user@123.com",
    "user@[127.0.0.1]",
    "user@com",
]


@pytest.mark.parametrize("text", EMAILS)
def test_fast_email_answers_as_normalize_email(text: str) -> None:
    assert outcome(fast_email, text) == outcome(normalize_email, text)


def test_fast_phone_answers_as_normalize_phone_on_many_spellings() -> None:
    rng = random.Random(15)
    texts = ["", " ", "0812-34", "+62 812-3456-7890", "6281234567890", "0062812345678"]
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 13)))
        prefix = rng.choice(["08", "+628", "628", "0", "+62", "8", "+6208", "07", "021"])
        separator = rng.choice(["", " ", "-", "."])
        body = separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))
        texts.append(prefix + body)
    for text in texts:
        assert outcome(fast_phone, text) == outcome(normalize_phone, text), text


def sample_values() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return [
        dict(zip(rows[0], (cell.strip() for cell in row), strict=True))
        for row in rows[1:]
        if len(row) == len(rows[0])
    ]


def test_apply_sections_equals_merge_profile() -> None:
    compared = 0
    existing = merge_profile(
        Profile(full_name="Siti Rahmawati"),
        {
            "biodata": {"headline": "Lama", "birth_place": "Bogor", "religion": "hindu"},
            "ktp_address": {"village_code": regions.children("317307")[0].code, "rt": "9"},
            "skills": [{"name": "Menjahit"}],
        },
    )
    for values in sample_values():
        try:
            sections = _sections(values, SAMPLE.parent)
            scratch = merge_profile(akl_import._SCRATCH, sections) if sections else None
        except SiapkerjaError:
            continue  # a bad row: never applied
        ready = Ready(
            line=0,
            nik=parse_nik(SAMPLE_NIK),
            full_name="x",
            email="x@example.com",
            phone="+6281234500011",
            sections=sections,
            scratch=scratch,
        )
        for current in (Profile(full_name="Siti Rahmawati"), existing):
            assert apply_sections(current, ready) == merge_profile(current, sections)
            compared += 1
    assert compared >= 8


SAMPLE_NIK = "3173075405980011"


@pytest.fixture
def sql_svc(tmp_path: Path) -> Any:
    svc = connect(
        environ={},
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'bulk.sqlite3'}",
        hasher=PasswordHasher.fast_for_tests(),
    )
    yield svc
    svc.storage.dispose()


def register(path: Path, rows: int) -> Path:
    districts = sorted(regions.district_codes(include_retired=False))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((*AKL_COLUMNS[:4], "headline"))
        for k in range(rows):
            nik = compose_nik(districts[k // 9999], parse_nik(SAMPLE_NIK).birth_date, "P", k + 1)
            writer.writerow([nik, f"Peserta {k}", f"p{k}@example.com", f"0813{k:08d}", "Staf"])
    return path


def test_a_database_fault_keeps_whole_batches_only(
    sql_svc: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = register(tmp_path / "akl.csv", 50)
    real = SqlStorage.bulk_insert_accounts
    calls = {"n": 0}

    def failing(self: SqlStorage, tx: Any, accounts: Any, profiles: Any = (), **kw: Any) -> None:
        calls["n"] += 1
        real(self, tx, accounts, profiles, **kw)  # written, then the database fails: rolled back
        if calls["n"] == 3:
            raise StorageError("unavailable")

    monkeypatch.setattr(SqlStorage, "bulk_insert_accounts", failing)
    with pytest.raises(StorageError):
        import_akl(sql_svc, path, batch_size=10)
    with sql_svc.storage.transaction() as tx:
        ids = tx.accounts.ids(limit=100)
        assert len(ids) == 20  # two whole batches, none of the third
        assert all(tx.profiles.get(account_id) is not None for account_id in ids)
    monkeypatch.setattr(SqlStorage, "bulk_insert_accounts", real)
    again = import_akl(sql_svc, path, batch_size=10)
    assert (again.created, again.unchanged, again.bad_rows) == (30, 20, ())


def test_a_batch_raced_by_another_writer_is_stored_row_by_row(
    sql_svc: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = register(tmp_path / "akl.csv", 12)
    # Another process took the e-mail of line 6 after the batch looked its rows up:
    # the look-up saw nothing, the database's unique index refuses the batch.
    sql_svc.import_account(
        nik=compose_nik("317307", parse_nik(SAMPLE_NIK).birth_date, "L", 77),
        full_name="Orang Lain",
        email="p4@example.com",
        phone="+6281399999999",
    )
    monkeypatch.setattr(SqlStorage, "bulk_find_accounts", lambda *args, **kwargs: [])
    report = import_akl(sql_svc, path, batch_size=100)
    assert report.created == 11
    assert [(bad.line, bad.code) for bad in report.bad_rows] == [(6, "registration.email_taken")]
    with sql_svc.storage.transaction() as tx:
        assert len(tx.accounts.ids(limit=100)) == 12


def validated(sections: dict[str, Any]) -> object:
    try:
        return batch.validate_sections(sections, akl_import._SCRATCH)
    except SiapkerjaError as error:
        return (error.full_code, error.params.get("field"))


def merged(sections: dict[str, Any]) -> object:
    try:
        return merge_profile(akl_import._SCRATCH, sections)
    except SiapkerjaError as error:
        return (error.full_code, error.params.get("field"))


VILLAGE = "3173071001"


@pytest.mark.parametrize(
    "sections",
    [
        {"biodata": {"birth_date": "1990-01-01", "sex": "L", "headline": "Staf"}},
        {"ktp_address": {"village_code": VILLAGE, "rt": "3", "rw": "07"}},
        {"ktp_address": {"village_code": "9999999999"}},
        {"ktp_address": {"street": "Jl. Tanpa Desa"}},
        {"domicile_address": {"village_code": VILLAGE, "postal_code": "123"}},
        {"skills": [{"name": "PHP"}, {"name": "php"}]},
        {"skills": [{"name": "x" * 500}]},
        {"education": [{"level": "S1", "institution": "UI", "start_year": 2010, "gpa": 5.0}]},
        {"education": [{"level": "S1", "institution": "UI", "start_year": 2010, "end_year": 2005}]},
        {"education": [{"level": "SMK", "institution": "SMK 2", "start_year": 2006}]},
        {"photo": {"content": b"not an image"}},
        {"biodata": {"birth_date": "2990-01-01"}},
        {"biodata": {"headline": "x" * 1000}},
        {},
    ],
)
def test_validate_sections_answers_as_merge_profile(sections: dict[str, Any]) -> None:
    assert validated(sections) == (merged(sections) if sections else None)


def test_validate_sections_on_the_sample_rows() -> None:
    for values in sample_values():
        try:
            sections = _sections(values, SAMPLE.parent)
        except SiapkerjaError:
            continue
        assert validated(sections) == (merged(sections) if sections else None)


def test_a_batch_stores_what_the_port_reads_back(sql_svc: Any, tmp_path: Path) -> None:
    path = register(tmp_path / "akl.csv", 3)
    before = sql_svc.now()
    assert import_akl(sql_svc, path).created == 3
    with sql_svc.storage.transaction() as tx:
        account = tx.accounts.find(email="p1@example.com")
        assert account is not None
        assert tx.accounts.find(phone="+6281300000001") == account
        assert tx.accounts.find(nik=account.nik) == account
        assert account.active
        assert account.full_name == "Peserta 1"
        assert account.created_at == account.password_changed_at
        assert account.created_at.tzinfo is not None
        assert account.created_at >= before.replace(microsecond=0)
        assert tx.profiles.get(account.id).biodata.headline == "Staf"
    # The port's own rules hold against what the batch wrote.
    again = sql_svc.import_account(
        nik=account.nik, full_name="Peserta 1", email="p1@example.com", phone="081300000001"
    )
    assert again[1] is False


@pytest.mark.parametrize("nik", [SAMPLE_NIK, "3173071505900011"])  # a woman's NIK, a man's
def test_a_new_account_profile_is_the_merged_initial_profile(nik: str) -> None:
    """What the batch writes for a new account: the row's sections validated on the NIK's
    sex, with the account's name and contact — ``merge_profile`` of its initial profile."""
    from datetime import UTC, datetime

    from siapkerja_core.records import AccountRecord

    parsed = parse_nik(nik)
    account = AccountRecord(
        id="a1",
        nik=nik,
        full_name="Siti Rahmawati",
        email="siti@example.com",
        phone="+6281234500011",
        password_hash="x",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        password_changed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    initial = batch.initial_profile(account, parsed)
    compared = 0
    for values in [*sample_values(), {"skills": "PHP"}, {"birth_date": "1990-01-01"}]:
        try:
            sections = _sections(values, SAMPLE.parent)
            scratch = batch.validate_sections(sections, akl_import._SCRATCHES[parsed.sex])
        except SiapkerjaError:
            continue  # a bad row: never written
        if scratch is None:
            continue
        made = batch.new_account_profile(scratch, account)
        assert made == merge_profile(initial, sections)
        assert made.biodata.sex == (sections.get("biodata", {}).get("sex") or parsed.sex)
        compared += 1
    assert compared >= 8


def test_a_new_account_profile_checks_the_name_as_a_profile_does() -> None:
    from datetime import UTC, datetime

    from siapkerja_core.profile import ProfileError
    from siapkerja_core.records import AccountRecord

    scratch = batch.validate_sections({"skills": [{"name": "PHP"}]}, akl_import._SCRATCHES["L"])
    assert scratch is not None
    when = datetime(2026, 1, 1, tzinfo=UTC)
    account = AccountRecord(
        id="a1",
        nik=SAMPLE_NIK,
        full_name="Siti\x01Rahmawati",  # a control character: never in a profile
        email="siti@example.com",
        phone="+6281234500011",
        password_hash="x",
        created_at=when,
        password_changed_at=when,
    )
    with pytest.raises(ProfileError) as refused:
        batch.new_account_profile(scratch, account)
    with pytest.raises(ProfileError) as evolved:
        Profile(full_name=account.full_name)
    assert refused.value.full_code == evolved.value.full_code
