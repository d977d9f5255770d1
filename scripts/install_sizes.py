"""Measure what each install of siapkerja pulls: packages and megabytes, beside python-stdnum.

Usage::

    python scripts/install_sizes.py                 # build the wheel, measure every target
    python scripts/install_sizes.py base storage    # only these targets
    python scripts/install_sizes.py --wheel dist/siapkerja-….whl --json sizes.json

Each target is installed into a fresh virtual environment (made without pip,
so nothing but the install is measured) by this interpreter's pip, from the
package index and pip's cache. A target is ``base`` (``pip install
siapkerja``), an extra's name (``pip install 'siapkerja[web]'``), or
``python-stdnum`` (the peer library for NIK-like identifiers, for comparison).

For each it prints the distributions installed besides the one asked for
(``dependencies``) and the size on disk of everything installed (site-packages
and scripts, byte-code included as pip compiles it, in MB of 10^6 bytes).
The Markdown table it prints is the one in ``docs/install.md``;
``tests/integration/test_install.py`` installs ``base`` the same way and
checks the count stated there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (
    "base",
    "storage",
    "cli",
    "http",
    "redis",
    "postgres",
    "web",
    "card",
    "pdf",
    "all",
    "python-stdnum",
)
PEER = "python-stdnum"
_SKIPPED = {"pip", "setuptools", "wheel"}  # venv's own tools, if the venv has them


def build_wheel(out: Path) -> Path:
    """The wheel of this source tree, built by hatchling (installed with the dev extra)."""
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return next(out.glob("siapkerja-*.whl"))


def make_venv(where: Path) -> Path:
    """A fresh venv without pip; its interpreter."""
    venv.EnvBuilder(with_pip=False, clear=True).create(where)
    return where / ("Scripts" if os.name == "nt" else "bin") / "python"


def pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter's pip, acting on ``python``'s environment."""
    return subprocess.run(  # noqa: S603 - this interpreter's pip, our own arguments
        [sys.executable, "-m", "pip", "--python", str(python), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


def requirement(target: str, wheel: Path) -> str:
    """What ``pip install`` is given for ``target``."""
    if target == PEER:
        return PEER
    if target == "base":
        return str(wheel)
    return f"siapkerja[{target}] @ {wheel.resolve().as_uri()}"


def installed(python: Path) -> list[str]:
    """The distributions installed in ``python``'s environment (venv tools left out)."""
    listed = json.loads(pip(python, "list", "--format", "json").stdout)
    return sorted(item["name"].lower() for item in listed if item["name"].lower() not in _SKIPPED)


def size_on_disk(environment: Path) -> int:
    """Bytes of every file under the environment (the empty venv is a few kB of links)."""
    total = 0
    for folder, _dirs, files in os.walk(environment):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def measure(target: str, wheel: Path, scratch: Path) -> dict[str, object]:
    """Install ``target`` in a fresh venv under ``scratch``; what it pulled."""
    environment = scratch / target
    python = make_venv(environment)
    empty = size_on_disk(environment)
    pip(python, "install", requirement(target, wheel))  # with .pyc files, as a user gets
    names = installed(python)
    own = PEER if target == PEER else "siapkerja"
    return {
        "target": target,
        "dependencies": len([name for name in names if name != own]),
        "bytes": size_on_disk(environment) - empty,
        "packages": names,
    }


def table(rows: list[dict[str, object]]) -> str:
    """The Markdown table of ``docs/install.md``."""
    lines = [
        "| Install | Command | Dependencies | Size on disk |",
        "| --- | --- | ---: | ---: |",
    ]
    for row in rows:
        target = str(row["target"])
        if target == PEER:
            command = f"`pip install {PEER}`"
        elif target == "base":
            command = "`pip install siapkerja`"
        else:
            command = f"`pip install 'siapkerja[{target}]'`"
        megabytes = int(str(row["bytes"])) / 1e6
        lines.append(f"| {target} | {command} | {row['dependencies']} | {megabytes:.1f} MB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=list(TARGETS))
    parser.add_argument("--wheel", type=Path, help="a built wheel (default: build one)")
    parser.add_argument("--json", type=Path, help="also write the rows, package names too, here")
    args = parser.parse_args(argv)
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="siapkerja-sizes-") as temporary:
        scratch = Path(temporary)
        wheel = args.wheel or build_wheel(scratch / "dist")
        rows = []
        for target in args.targets:
            rows.append(measure(target, wheel, scratch))
            print(f"measured {target}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    version = ".".join(map(str, sys.version_info[:2]))
    print(f"<!-- measured by scripts/install_sizes.py on CPython {version}, {sys.platform} -->")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
