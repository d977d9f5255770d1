"""Vendor JavaScript files from the npm registry, pinned and integrity-checked.

This script owns the table of vendored JavaScript: for each entry, the npm
package, its exact version, the file inside the package, where the copy goes
in this repository, the package's licence file and the registry's
``dist.integrity`` (a Subresource-Integrity string, ``sha512-…``) of the
package tarball. ``python scripts/vendor_js.py`` fetches each tarball with
``npm pack`` (the ordinary client, so its registry configuration and proxy
settings apply), checks the tarball against the pinned integrity — and, with
``--check-registry``, that the registry still reports the same integrity —
then copies the file and its licence beside it. ``--verify`` only checks that
the vendored copies are present and match the tarball (no writes), and
``--offline`` that they match the SHA-256 digests recorded in the table
(no network: what the tests run).

A new library is one more row in :data:`VENDORED`; bumping a version means
changing ``version`` and ``integrity`` together (``npm view PKG@VER
dist.integrity`` prints the latter).

Exit codes: 0 done, 1 a check failed (integrity, missing file), 2 npm failed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Vendored:
    """One file taken from one pinned npm package."""

    package: str
    version: str
    file: str  # path inside the package (the tarball's "package/" prefix omitted)
    destination: str  # path in this repository
    licence: str  # the package's licence file, copied beside the destination
    licence_destination: str
    integrity: str  # the registry's dist.integrity of the tarball
    file_sha256: str  # the copies' digests, for an offline check
    licence_sha256: str
    purpose: str


VENDORED: Final[tuple[Vendored, ...]] = (
    Vendored(
        package="axe-core",
        version="4.14.1",
        file="axe.min.js",
        destination="tests/e2e/vendor/axe.min.js",
        licence="LICENSE",
        licence_destination="tests/e2e/vendor/axe-core.LICENSE.txt",
        integrity=(
            "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
        ),
        file_sha256="29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
        licence_sha256="af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
        purpose="accessibility checks in the browser tests only (MPL-2.0); never served",
    ),
)


class CheckFailed(Exception):
    """A tarball, a registry answer or a vendored copy does not match the table."""


def _integrity_of(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in ("sha512", "sha384", "sha256"):
        raise CheckFailed(f"unsupported integrity algorithm {algorithm!r}")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    return digest == expected


def _npm(*args: str, cwd: Path) -> str:
    try:
        # npm from PATH, on purpose: the ordinary client with the machine's registry settings.
        done = subprocess.run(  # noqa: S603
            ["npm", *args],  # noqa: S607
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"npm {' '.join(args)} failed: {exc}") from exc
    return done.stdout


def _tarball(entry: Vendored, workdir: Path, *, check_registry: bool) -> bytes:
    spec = f"{entry.package}@{entry.version}"
    if check_registry:
        reported = json.loads(_npm("view", spec, "dist.integrity", "--json", cwd=workdir))
        if reported != entry.integrity:
            raise CheckFailed(
                f"{spec}: the registry reports {reported}, the table {entry.integrity}"
            )
    packed = json.loads(_npm("pack", spec, "--json", cwd=workdir))
    data = (workdir / packed[0]["filename"]).read_bytes()
    if not _integrity_of(data, entry.integrity):
        raise CheckFailed(f"{spec}: the tarball does not match the pinned integrity")
    return data


def _member(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(f"package/{name}")
        if member is None:
            raise CheckFailed(f"package/{name} is not a file in the tarball")
        return member.read()


def offline_problems(entry: Vendored) -> list[str]:
    """What differs between the vendored copies and the digests of the table (no network)."""
    problems = []
    for destination, digest in (
        (entry.destination, entry.file_sha256),
        (entry.licence_destination, entry.licence_sha256),
    ):
        target = ROOT / destination
        if not target.is_file():
            problems.append(f"{destination} is missing: run scripts/vendor_js.py")
        elif hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            problems.append(f"{destination} differs from {entry.package}@{entry.version}")
    return problems


def vendor(entry: Vendored, *, verify: bool, check_registry: bool) -> None:
    """Write (or, with ``verify``, compare) one entry's file and licence."""
    with tempfile.TemporaryDirectory(prefix="vendor-js-") as tmp:
        data = _tarball(entry, Path(tmp), check_registry=check_registry)
    for inner, destination in (
        (entry.file, entry.destination),
        (entry.licence, entry.licence_destination),
    ):
        content = _member(data, inner)
        target = ROOT / destination
        recorded = entry.file_sha256 if inner == entry.file else entry.licence_sha256
        if hashlib.sha256(content).hexdigest() != recorded:
            raise CheckFailed(f"{entry.package}@{entry.version}: {inner} differs from the table")
        if verify:
            if not target.is_file() or target.read_bytes() != content:
                raise CheckFailed(f"{destination} differs from {entry.package}@{entry.version}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        print(f"{entry.package}@{entry.version}: {inner} -> {destination}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--check-registry",
        action="store_true",
        help="also check that the registry reports the pinned dist.integrity",
    )
    parser.add_argument(
        "--offline", action="store_true", help="check the copies against the table's digests"
    )
    parser.add_argument("packages", nargs="*", help="only these packages (default: all)")
    args = parser.parse_args(argv)
    chosen = [e for e in VENDORED if not args.packages or e.package in args.packages]
    if args.offline:
        problems = [problem for entry in chosen for problem in offline_problems(entry)]
        for problem in problems:
            print(f"vendor_js: {problem}", file=sys.stderr)
        return 1 if problems else 0
    try:
        for entry in chosen:
            vendor(entry, verify=args.verify, check_registry=args.check_registry)
    except CheckFailed as exc:
        print(f"vendor_js: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"vendor_js: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
