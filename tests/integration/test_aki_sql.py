"""The AK/I tables on real SQL: no plaintext personal data, every lookup on an index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from siapkerja_adapters import connect
from siapkerja_adapters.demo import demo_holder
from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import aki as sql_aki
from siapkerja_adapters.sql.crypto import generate_key_setting

OFFICER = "Siti Rahmawati Kusumaningrum"
EMPLOYER = "PT Sumber Rejeki Abadi Sentosa"
POSITION = "Juru Las Bawah Air"


def test_no_plaintext_names_or_placements_in_the_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'aki.sqlite3'}"
    svc = connect(database_url=url, storage_key=generate_key_setting())
    galih = demo_holder(svc)
    verifier, key = svc.register_verifier("Disnaker Jakarta Barat", ["disnaker"])
    svc.aki.appoint_officer(verifier.id, "3173")
    officer = svc.verifier(key)
    reg = svc.aki.legalise(officer, svc.aki.apply(galih.id).id, officer_name=OFFICER)
    svc.aki.place(officer, reg.number, employer=EMPLOYER, position=POSITION)
    svc.storage.dispose()  # type: ignore[attr-defined]
    content = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("aki.sqlite3*")))
    assert reg.number.encode() in content  # the search works: the number is a lookup key
    for secret in (OFFICER, EMPLOYER, POSITION):
        assert secret.encode() not in content, secret


def _lookups() -> list[Any]:
    repo = sql_aki._Aki
    statements = [
        ("aki by id", repo._GET),
        ("aki by number", repo._BY_NUMBER),
        ("aki active of an account", repo._ACTIVE),
        ("aki of an account", repo._ACCOUNT),
        ("aki of an office", repo._OFFICE),
        ("aki officer", repo._OFFICER),
    ]
    return [pytest.param(statement, id=label) for label, statement in statements]


@pytest.mark.parametrize("statement", _lookups())
def test_every_aki_lookup_uses_an_index_on_sqlite(tmp_path: Path, statement: sa.Select) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_material=KeyMaterial.generate())
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            compiled = statement.compile(dialect=conn.dialect)
            state = compiled.construct_expanded_state({"v": "x"})
            positional = tuple(state.parameters[name] for name in state.positiontup or ())
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}", positional).all()
    finally:
        storage.dispose()
    steps = [row[-1] for row in plan]
    assert steps
    assert not [s for s in steps if s.startswith("SCAN") and "USING" not in s], steps


@pytest.mark.parametrize("statement", _lookups())
def test_every_aki_lookup_uses_an_index_on_postgresql(
    postgres_url: str, postgres_schema: str, statement: sa.Select
) -> None:
    storage = SqlStorage(
        postgres_url, key_material=KeyMaterial.generate(), migrate=True, schema=postgres_schema
    )
    try:
        storage.upgrade()
        with storage.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            compiled = statement.compile(dialect=conn.dialect)
            state = compiled.construct_expanded_state({"v": "x"})
            plan = [
                row[0]
                for row in conn.exec_driver_sql(f"EXPLAIN {state.statement}", state.parameters)
            ]
    finally:
        storage.dispose()
    assert plan
    assert not [line for line in plan if "Seq Scan" in line], plan
