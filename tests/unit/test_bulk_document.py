"""The import's stored profile documents (``bulk.document``) and its SQLite page cache.

* :class:`ProfileDocuments` gives ``unstructure``'s document, the same JSON bytes,
  on profiles that share sections with the ones before them and on ones that do not;
* a whole generated register imported with it and with ``unstructure`` stores
  byte-identical profile documents and the same rows (but for the random ids and
  the ciphertexts' nonces);
* ``bulk_page_cache`` gives the connection its own cache size back, also when the
  write fails.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bulk_checked import _register

from siapkerja_adapters import connect
from siapkerja_adapters.bulk import akl_import, import_akl
from siapkerja_adapters.bulk.akl_cells import _sections
from siapkerja_adapters.bulk.akl_import import _SCRATCHES
from siapkerja_adapters.bulk.batch import validate_sections
from siapkerja_adapters.bulk.checked import SectionChecks
from siapkerja_adapters.bulk.document import ProfileDocuments
from siapkerja_adapters.bulk.jobs import issue_all_cards
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context
from siapkerja_adapters.sql.cards import (
    BULK_CHECKPOINT_PAGES,
    BULK_PAGE_CACHE_KIB,
    _Cards,
    bulk_page_cache,
)
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_core.converter import merge_profile, unstructure
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.profile import Profile

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "akl_sample.csv"


def same_json(documents: ProfileDocuments, profile: Profile) -> None:
    assert orjson.dumps(documents(profile)) == orjson.dumps(unstructure(profile))


def sample_profiles() -> list[Profile]:
    checks = SectionChecks()
    profiles = []
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for sex in ("L", "P"):
                try:
                    sections = _sections(row, SAMPLE.parent)
                    profile = validate_sections(sections, _SCRATCHES[sex], checks)
                except Exception:  # noqa: S112 (a bad row of the sample: not a profile)
                    continue
                if profile is not None:
                    profiles.append(profile)
    assert len(profiles) >= 10
    return profiles


_CHANGES: list[dict[str, Any]] = [
    {},
    {"contact": {"email": "siti@example.com", "phone": "+6281234500011"}},
    {"biodata": {"employment_status": "bekerja"}},  # written only when set
    {"languages": [{"name": "Jawa", "level": "aktif"}]},
    {"work": [{"employer": "PT Maju", "title": "Staf", "start": "2020-01"}]},
    {"visibility": {"published": ["skills"]}},
    {"ktp_address": None, "photo": None, "skills": []},
    {"stakeholder": "student"},
]


def _changed(profile: Profile, changes: dict[str, Any]) -> Profile | None:
    try:
        return merge_profile(profile, changes)
    except Exception:  # a change this profile does not take
        return None


def test_documents_are_unstructure_on_the_sample_and_its_variations() -> None:
    documents = ProfileDocuments()
    checked = 0
    for profile in sample_profiles():
        for changes in _CHANGES:
            changed = _changed(profile, changes)
            if changed is None:
                continue
            same_json(documents, changed)
            same_json(documents, changed)  # every section the last one's: all remembered
            checked += 2
    assert checked >= 60


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, len(_CHANGES) - 1)), max_size=12))
def test_documents_are_unstructure_in_any_order(picks: list[tuple[int, int]]) -> None:
    """Whatever came before (the same section objects or others), the document is the
    one ``unstructure`` makes."""
    profiles = _PROFILES
    documents = ProfileDocuments()
    for which, change in picks:
        profile = _changed(profiles[which % len(profiles)], _CHANGES[change])
        if profile is not None:
            same_json(documents, profile)


_PROFILES = sample_profiles()


def test_a_section_equal_but_not_the_same_object_is_unstructured_again() -> None:
    documents = ProfileDocuments()
    profile = _PROFILES[0]
    first = documents(profile)
    other = attrs.evolve(profile, full_name="Nama Lain")
    assert documents(other)["full_name"] == "Nama Lain"
    assert documents(profile) == first


def _stored_rows(svc: Any) -> dict[str, tuple[bytes, str | None]]:
    """Each stored profile by the account's NIK: its decrypted document, its stamp."""
    storage = svc.storage
    with storage.transaction() as tx:
        niks = {
            row.id: storage.cipher.decrypt_json(row.pii, _context(sk.accounts, "pii", row.id))[
                "nik"
            ]
            for row in tx.run(sk.accounts.select())
        }
        return {
            niks[row.account_id]: (
                storage.cipher.decrypt(
                    bytes(row.data), _context(sk.profiles, "data", row.account_id)
                ),
                row.complete,
            )
            for row in tx.run(sk.profiles.select())
        }


def test_an_import_stores_the_documents_unstructure_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _register(tmp_path / "register.csv", 240)
    stored = []
    for kind in ("documents", "unstructure"):
        if kind == "unstructure":
            monkeypatch.setattr(akl_import, "ProfileDocuments", lambda: unstructure)
        svc = connect(
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            storage="sql",
            database_url=f"sqlite:///{tmp_path / f'{kind}.sqlite3'}",
        )
        try:
            report = import_akl(svc, path, batch_size=50)
            assert report.created >= 150
            stored.append(_stored_rows(svc))
        finally:
            svc.storage.dispose()
    fast, slow = stored
    assert len(fast) >= 150
    assert fast == slow  # byte for byte: the documents and their completeness stamps


def _cache_size(svc: Any) -> int:
    with svc.storage.transaction() as tx:
        return int(tx._raw.driver_connection.execute("PRAGMA cache_size").fetchone()[0])


def test_the_bulk_page_cache_is_given_back(tmp_path: Path) -> None:
    svc = connect(
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'cache.sqlite3'}",
    )
    try:
        before = _cache_size(svc)
        assert before != -BULK_PAGE_CACHE_KIB
        with svc.storage.transaction() as tx, bulk_page_cache(tx):
            driver = tx._raw.driver_connection
            assert driver.execute("PRAGMA cache_size").fetchone()[0] == -BULK_PAGE_CACHE_KIB
        assert _cache_size(svc) == before
        with (
            pytest.raises(RuntimeError, match="the write failed"),
            svc.storage.transaction() as tx,
            bulk_page_cache(tx),
        ):
            raise RuntimeError("the write failed")
        assert _cache_size(svc) == before
        import_akl(svc, _register(tmp_path / "register.csv", 20))
        assert _cache_size(svc) == before
    finally:
        svc.storage.dispose()


_SETTINGS = ("synchronous", "cache_size", "wal_autocheckpoint", "journal_mode")


def _settings(driver: Any) -> dict[str, Any]:
    return {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in _SETTINGS}


def test_an_import_writes_with_the_bulk_settings_and_gives_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch commits with its log synced (``FULL``, never below the storage's
    ``NORMAL``), in WAL, with a larger cache and fewer checkpoints; every connection
    has its own settings back once returned to the pool."""
    svc = connect(
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'settings.sqlite3'}",
    )
    seen: list[dict[str, Any]] = []
    insert = SqlStorage.bulk_insert_accounts

    def watched(self: SqlStorage, tx: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(_settings(tx._raw.driver_connection))
        insert(self, tx, *args, **kwargs)

    monkeypatch.setattr(SqlStorage, "bulk_insert_accounts", watched)
    try:
        with svc.storage.transaction() as tx:
            before = _settings(tx._raw.driver_connection)
        assert before["synchronous"] == 1  # NORMAL, the storage's level
        report = import_akl(svc, _register(tmp_path / "register.csv", 60), batch_size=16)
        assert report.created > 0
        assert len(seen) >= 3
        assert all(
            settings
            == {
                "synchronous": 2,  # FULL
                "cache_size": -BULK_PAGE_CACHE_KIB,
                "wal_autocheckpoint": BULK_CHECKPOINT_PAGES,
                "journal_mode": "wal",
            }
            for settings in seen
        ), seen
        engine = svc.storage.engine
        connections = [engine.raw_connection() for _ in range(3)]  # the pool's, in turn
        try:
            for raw in connections:
                assert _settings(raw.driver_connection) == before
        finally:
            for raw in connections:
                raw.close()
        with svc.storage.transaction() as tx:  # after the import: the storage's own
            assert _settings(tx._raw.driver_connection) == before
    finally:
        svc.storage.dispose()


def test_bulk_issuance_through_the_job_writes_with_the_bulk_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = connect(
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'issue.sqlite3'}",
    )
    seen: list[dict[str, Any]] = []
    add_many = _Cards.add_many

    def watched(self: _Cards, records: Any) -> Any:
        seen.append(_settings(self._tx._raw.driver_connection))
        return add_many(self, records)

    try:
        with svc.storage.transaction() as tx:
            before = _settings(tx._raw.driver_connection)
        report = import_akl(svc, _register(tmp_path / "register.csv", 40))
        assert report.created > 0
        monkeypatch.setattr(_Cards, "add_many", watched)
        issued = issue_all_cards(svc, batch_size=8)
        assert issued.issued > 0
        assert seen
        assert all(settings["synchronous"] == 2 for settings in seen), seen  # FULL
        assert all(settings["wal_autocheckpoint"] == BULK_CHECKPOINT_PAGES for settings in seen), (
            seen
        )
        with svc.storage.transaction() as tx:
            assert _settings(tx._raw.driver_connection) == before
        seen.clear()
        svc.issue_cards()  # the service's own call: the storage's settings
        with svc.storage.transaction() as tx:
            assert _settings(tx._raw.driver_connection) == before
    finally:
        svc.storage.dispose()
