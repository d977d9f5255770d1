"""Bulk work on SQLite and PostgreSQL: an AK/I import's rate, issuance against the insert floor.

Run: ``python benchmarks/bench_bulk.py [--quick | --large] [--rows N] [--json PATH]``
(``nox -s bench`` runs it; ``nox -s bench -- --large`` with a million accounts).

The issue's targets (issue 15), each judged through ``_targets.judge`` on
both databases:

1. **Bulk import ≥ 10,000 accounts/s**: ``import_akl`` (what ``siapkerja bulk
   import`` runs) over a generated AK/I register, every row a new person —
   once with the account columns only (``nik,full_name,email,phone``) and
   once with every column filled (a complete job-seeker profile, photo as a
   ``data:`` URI). Both lines are judged against the same target.
2. **Bulk issuance ≥ 0.5× the raw insert floor**: ``svc.issue_cards()`` over
   the complete profiles just imported, in cards/s, over the floor measured
   in the same run: the very card rows it wrote, read back and inserted by
   ``executemany`` on the driver's own cursor (2,000 rows a transaction, as
   issuance writes them) into an empty copy of the cards table with the
   same indexes. SQLAlchemy Core's ``executemany`` of the same rows is
   printed beside it (the storage's own layer: a gentler floor).

SQLite is a file in a temporary directory; PostgreSQL a throw-away schema at
``$SIAPKERJA_TEST_POSTGRES_URL`` (skipped with the reason when unreachable).
Default size 100,000 accounts, ``--quick`` 10,000, ``--large`` 1,000,000
(the full-profile import is ``--rows`` capped at 100,000 but for ``--large``:
at about a thousand rows a second it is what takes longest). The register
is generated before the clock starts. Targets are reported, never asserted:
the script exits 0.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import io
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _targets import judge
from bench_storage import connect_sql, postgresql_database, sqlite_database
from siapkerja_adapters.bulk import AKL_COLUMNS, import_akl
from siapkerja_core import compose_nik, regions

IMPORT_TARGET = 10_000.0
ISSUE_TARGET = 0.5
FLOOR_BATCH = 2000
_DOMAINS = ("gmail.com", "yahoo.co.id", "outlook.com", "kemnaker.go.id", "ymail.com")
_FIRST = ("Siti", "Budi", "Dewi", "Rudi", "Agus", "Rina", "Joko", "Sri", "Andi", "Putri")
_LAST = ("Rahmawati", "Santoso", "Lestari", "Hartono", "Wijaya", "Saputra", "Nugroho", "Utami")
_SCHOOLS = ("Universitas Indonesia", "BINUS University", "ITB", "UGM", "Universitas Airlangga")
_MAJORS = ("Akuntansi", "Informatika", "Teknik Mesin", "Manajemen", "Hukum")


def photo_uri() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), (20, 80, 150)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def write_register(path: Path, rows: int, *, offset: int, complete: bool) -> None:
    """An AK/I register of ``rows`` new people (numbered from ``offset``): the account
    columns only, or every column (a complete profile)."""
    districts = sorted(regions.district_codes(include_retired=False))
    villages = [village.code for village in regions.children("317307")]
    photo = photo_uri()
    columns = AKL_COLUMNS if complete else AKL_COLUMNS[:4]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for k in range(offset, offset + rows):
            born = date(1970 + k % 35, 1 + k % 12, 1 + k % 28)
            sex = "L" if k % 2 else "P"
            nik = compose_nik(districts[k // 9999], born, sex, k % 9999 + 1)
            name = f"{_FIRST[k % 10]} {_LAST[k % 8]} {k:07d}"
            cells = {
                "nik": nik,
                "full_name": name,
                "email": f"{_FIRST[k % 10].lower()}.{k}@{_DOMAINS[k % 5]}",
                "phone": f"0813{k:08d}" if k % 3 else f"+62 852-{k:08d}",
            }
            if complete:
                village = villages[k % len(villages)]
                cells |= {
                    "birth_place": "Jakarta",
                    "birth_date": born.isoformat() if k % 2 else born.strftime("%d-%m-%Y"),
                    "sex": sex,
                    "marital_status": ("Belum Kawin", "Kawin", "Cerai Hidup")[k % 3],
                    "religion": ("Islam", "Kristen", "Katolik", "Hindu", "Buddha")[k % 5],
                    "ktp_village_code": village,
                    "ktp_street": f"Jl. Palmerah Barat No. {k % 200 + 1}",
                    "ktp_rt": str(k % 20 + 1),
                    "ktp_rw": str(k % 9 + 1),
                    "ktp_postal_code": "11480",
                    "domicile_village_code": village,
                    "domicile_street": f"Jl. Anggrek No. {k % 150 + 1}",
                    "education_level": "S1",
                    "education_institution": _SCHOOLS[k % 5],
                    "education_major": _MAJORS[k % 5],
                    "education_gpa": f"{2 + k % 200 / 100:.2f}",
                    "education_start_year": str(1990 + k % 25),
                    "education_end_year": str(1994 + k % 25),
                    "skills": "Microsoft Excel;Akuntansi" if k % 2 else "PHP;Linux",
                    "headline": "Staf Akuntansi" if k % 2 else "Backend Developer",
                    "photo": photo,
                }
            writer.writerow([cells.get(column, "") for column in columns])


def timed_import(svc: Any, path: Path) -> dict[str, float]:
    """``import_akl`` of ``path``: wall-clock rate (judged) and this process's CPU seconds
    (shown: on a machine shared with other work, what the import itself cost)."""
    start, cpu = time.perf_counter(), time.process_time()
    report = import_akl(svc, path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "created": report.created,
        "bad": len(report.bad_rows),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "per_second": report.created / seconds,
        "per_cpu_second": report.created / cpu if cpu else 0.0,
    }


def floor(svc: Any) -> dict[str, float]:
    """The raw insert floor: the issued card rows, inserted again into an empty copy of the
    cards table (same columns and indexes), 2,000 a transaction as issuance writes them.

    ``per_second`` (the floor judged): the driver's own ``cursor.executemany`` of the
    rows as tuples — sqlite3's, psycopg's (pipelined). ``core_per_second``: SQLAlchemy
    Core's ``conn.execute(table.insert(), rows)``, the layer the storage writes
    through, printed beside it.
    """
    from sqlalchemy import MetaData, select

    from siapkerja_adapters.sql import schema as sk

    copy = sk.cards.to_metadata(MetaData(), name="bench_cards_floor")
    copy.primary_key.name = "bench_floor_pk"
    for index in copy.indexes:
        index.name = f"bench_floor_{'_'.join(column.name for column in index.columns)}"
    engine = svc.storage.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(sk.cards))]
    result: dict[str, float] = {"rows": len(rows)}
    for kind in ("core", "driver"):
        with engine.begin() as conn:
            copy.drop(conn, checkfirst=True)
            copy.create(conn)
        if kind == "core":
            start = time.perf_counter()
            for first in range(0, len(rows), FLOOR_BATCH):
                with engine.begin() as conn:  # BEGIN (the storage's engine emits it on SQLite)
                    conn.execute(copy.insert(), rows[first : first + FLOOR_BATCH])
            result["core_per_second"] = len(rows) / (time.perf_counter() - start)
        else:
            names = [column.name for column in copy.columns]
            with engine.begin() as conn:
                raw_rows = [
                    tuple(row)
                    for row in conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM sk_cards")  # noqa: S608
                ]
            marker = "?" if sqlite else "%s"
            insert = (
                f"INSERT INTO bench_cards_floor ({', '.join(names)})"  # noqa: S608 (our columns)
                f" VALUES ({', '.join([marker] * len(names))})"
            )
            raw = engine.raw_connection()
            try:
                start = time.perf_counter()
                for first in range(0, len(raw_rows), FLOOR_BATCH):
                    cursor = raw.cursor()
                    if sqlite:  # the storage's connections are in autocommit: BEGIN it
                        cursor.execute("BEGIN")
                    cursor.executemany(insert, raw_rows[first : first + FLOOR_BATCH])
                    if sqlite:
                        cursor.execute("COMMIT")
                    cursor.close()
                    raw.commit()
                seconds = time.perf_counter() - start
                result["per_second"] = len(raw_rows) / seconds
                result["seconds"] = seconds
            finally:
                raw.close()
    with engine.begin() as conn:
        copy.drop(conn)
    return result


def issue(svc: Any) -> dict[str, float]:
    start = time.perf_counter()
    report = svc.issue_cards()
    seconds = time.perf_counter() - start
    return {"issued": report.issued, "seconds": seconds, "per_second": report.issued / seconds}


def run_backend(
    name: str, url: str, schema: str | None, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    svc = connect_sql(url, schema)
    try:
        with svc.storage.transaction():
            pass  # migrations and keys, before the clock starts
        # Issuance runs over the complete profiles alone (every account gets a card);
        # the account-columns import follows, into a database that holds them.
        result: dict[str, Any] = {"complete": timed_import(svc, folder / "complete.csv")}
        result["issue"] = issue(svc)
        result["floor"] = floor(svc)
        result["accounts"] = timed_import(svc, folder / "accounts.csv")
    finally:
        svc.storage.dispose()
    result["issue_ratio"] = result["issue"]["per_second"] / result["floor"]["per_second"]
    report(name, result)
    return result


def report(name: str, result: dict[str, Any]) -> None:
    for key, label in (("accounts", "account columns"), ("complete", "complete AK/I rows")):
        line = result[key]
        verdict = judge(
            "bench_bulk",
            f"import ({label})",
            line["per_second"],
            IMPORT_TARGET,
            higher=True,
            backend=name,
            unit="/s",
            errors=int(line["bad"]),
            detail=f"{line['created']:,} accounts in {line['seconds']:.1f} s",
        )
        print(
            f"{name}: import, {label:18s} {line['created']:>9,} in {line['seconds']:6.1f} s"
            f" = {line['per_second']:8,.0f}/s (target ≥ {IMPORT_TARGET:,.0f}/s)  {verdict}"
            f"  [{line['per_cpu_second']:,.0f} per CPU-second of this process]"
        )
    cards, raw = result["issue"], result["floor"]
    ratio = result["issue_ratio"]
    verdict = judge(
        "bench_bulk",
        "issue_cards ÷ raw insert",
        ratio,
        ISSUE_TARGET,
        higher=True,
        backend=name,
        detail=f"{cards['per_second']:,.0f} cards/s; floor {raw['per_second']:,.0f} rows/s",
    )
    print(
        f"{name}: issue_cards {cards['issued']:,} in {cards['seconds']:.1f} s"
        f" = {cards['per_second']:,.0f} cards/s; the driver's executemany"
        f" {raw['per_second']:,.0f} rows/s;"
        f" ratio {ratio:.2f}x (target ≥ {ISSUE_TARGET}x)  {verdict}"
        f"  [SQLAlchemy Core's executemany {raw['core_per_second']:,.0f} rows/s:"
        f" {cards['per_second'] / raw['core_per_second']:.2f}x]"
    )


@contextlib.contextmanager
def registers(accounts: int, complete: int) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="siapkerja-bulk-") as directory:
        folder = Path(directory)
        write_register(folder / "accounts.csv", accounts, offset=0, complete=False)
        write_register(folder / "complete.csv", complete, offset=accounts, complete=True)
        yield folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="10,000 accounts")
    size.add_argument("--large", action="store_true", help="1,000,000 accounts")
    parser.add_argument("--rows", type=int, help="accounts imported (each of the two files)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    accounts = args.rows or (10_000 if args.quick else 1_000_000 if args.large else 100_000)
    complete = accounts if args.large or args.rows else min(accounts, 100_000)
    backends = args.backend or ["sqlite", "postgresql"]
    started = time.perf_counter()
    print(
        f"Bulk import and issuance: {accounts:,} accounts (account columns),"
        f" {complete:,} complete AK/I rows, then a card each:"
    )
    results: dict[str, Any] = {}
    with registers(accounts, complete) as folder:
        for name, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
            if name not in backends:
                continue
            with database() as target:
                if target is None:
                    results[name] = {"skipped": True}
                    continue
                url, schema = target
                results[name] = run_backend(name, url, schema, args, folder)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - started:.0f} s, peak RSS {peak:,.0f} MiB")
    results["peak_rss_mib"] = peak
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
