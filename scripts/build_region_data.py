"""Rebuild the packaged region data from ``shared/data/regions``.

Usage::

    python scripts/build_region_data.py [SOURCE_DIR]

The source is the Kemendagri region list extracted from cahyadsn/wilayah (MIT;
see its SOURCE.md). This script:

* checks it (code shapes, parents that exist, no duplicate codes, the counts
  of the 2025 edition) and refuses to write anything if a check fails;
* writes ``src/siapkerja_core/data/regions/regions.tsv``: every province,
  regency and district code that is current **or** appears in an edition
  since 2015, with its latest name, ``c``urrent/``r``etired and the last
  edition it appeared in. Retired names are restyled like current ones
  ("KAB. MERAUKE" -> "Kabupaten Merauke");
* writes ``villages.tsv.gz`` (current villages only; gzip keeps the wheel
  small and the file is read only when a village is asked for);
* copies the licence notice and writes SOURCE.md.

Parents are not stored: a Kemendagri code's parent is its prefix.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "regions"
TARGET = ROOT / "src" / "siapkerja_core" / "data" / "regions"

EXPECTED_CURRENT = {"province": 38, "regency": 514, "district": 7285, "village": 83762}
CODE_LENGTH = {"province": 2, "regency": 4, "district": 6, "village": 10}


def restyle(name: str, level: str) -> str:
    """Give an older edition's upper-case name the 2025 edition's style."""
    name = " ".join(name.split())
    if not name.isupper():
        return name
    if level == "regency":
        name = re.sub(r"^KAB\.?\s+", "KABUPATEN ", name)
    return " ".join(word.capitalize() for word in name.split(" "))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main(source: Path) -> int:
    problems: list[str] = []
    levels = {
        "province": read(source / "provinces.csv"),
        "regency": read(source / "regencies.csv"),
        "district": read(source / "districts.csv"),
        "village": read(source / "villages.csv"),
    }
    current: dict[str, tuple[str, str]] = {}
    for level, rows in levels.items():
        if len(rows) != EXPECTED_CURRENT[level]:
            problems.append(f"{level}: {len(rows)} rows, expected {EXPECTED_CURRENT[level]}")
        for row in rows:
            code = row["code"]
            if len(code) != CODE_LENGTH[level] or not code.isdigit():
                problems.append(f"{level} code {code!r} is malformed")
            if code in current:
                problems.append(f"duplicate code {code}")
            current[code] = (level, " ".join(row["name"].split()))
    for code, (level, _name) in current.items():
        if level != "province":
            parent = code[: CODE_LENGTH[level] - (4 if level == "village" else 2)]
            if parent not in current:
                problems.append(f"{level} {code} has no parent {parent}")

    historical = read(source / "historical_codes_2015_2025.csv")
    retired: dict[str, tuple[str, str, str]] = {}
    for row in historical:
        code, level = row["code"], row["level"]
        if row["in_current_2025"] == "True":
            if code not in current:
                problems.append(f"historical row says {code} is current but it is not")
            continue
        if code in current:
            problems.append(f"{code} is marked retired but is in the current list")
        retired[code] = (level, restyle(row["latest_name"], level), row["last_edition"])
    for code, (level, _name, _last) in retired.items():
        if level != "province":
            parent = code[: CODE_LENGTH[level] - 2]
            if parent not in current and parent not in retired:
                problems.append(f"retired {level} {code} has no parent {parent}")

    if problems:
        print("refusing to write region data:", *problems[:50], sep="\n  ", file=sys.stderr)
        return 1

    TARGET.mkdir(parents=True, exist_ok=True)
    lines = []
    for code in sorted({*current, *retired}):
        if code in current:
            level, name = current[code]
            if level == "village":
                continue
            lines.append(f"{code}\t{name}\tc\t2025")
        else:
            _level, name, last = retired[code]
            lines.append(f"{code}\t{name}\tr\t{last}")
    (TARGET / "regions.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    villages = "".join(
        f"{row['code']}\t{' '.join(row['name'].split())}\n" for row in levels["village"]
    )
    # mtime=0 keeps the gzip byte-identical between rebuilds (reviewable diffs).
    with gzip.GzipFile(TARGET / "villages.tsv.gz", "wb", compresslevel=9, mtime=0) as out:
        out.write(villages.encode("utf-8"))

    shutil.copyfile(source / "LICENSE.cahyadsn-wilayah", TARGET / "LICENSE.cahyadsn-wilayah")
    counts = {lv: sum(1 for found, _ in current.values() if found == lv) for lv in CODE_LENGTH}
    retired_counts = {
        lv: sum(1 for found, *_ in retired.values() if found == lv) for lv in CODE_LENGTH
    }
    print(f"wrote {len(lines)} region rows, {counts['village']} villages")
    print(f"current {counts}, retired {retired_counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE))
