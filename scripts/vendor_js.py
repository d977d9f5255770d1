"""Vendor JavaScript packages from the npm registry into the package's static files (or the tests').

Usage::

    python scripts/vendor_js.py           # fetch each package of PACKAGES, check, copy its files
    python scripts/vendor_js.py --check   # the copied files still match the manifest (offline)

The web binding serves everything itself (its Content-Security-Policy allows
scripts from its own origin only), so a browser library it uses is copied into
``src/siapkerja_adapters/web/static/vendor/<package>/`` and committed: an
installed siapkerja never reaches a CDN, and a deployer reviews the exact bytes.

Each package is pinned in :data:`PACKAGES` by version **and** by the registry's
``dist.integrity`` (the SHA-512 of its tarball). The tarball is fetched with the
ordinary client (``npm pack``); its digest must equal both the pinned one and the
one the registry states now (``npm view … dist.integrity``), or nothing is
written. Then the listed files and the package's licence are copied, and
``static/vendor/MANIFEST.json`` records the version, the integrity and the
SHA-256 of every copied file, which ``--check`` (and a test) compares offline.

A package used by the tests only (axe-core, for the browser tests'
accessibility checks) goes under ``tests/e2e/vendor/`` instead — its
``root`` — with a manifest of its own there: it is never served nor shipped
in the wheel.

To update a package: change its version, run ``npm view <name>@<version>
dist.integrity``, pin the answer, run this script, and look at the diff.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
VENDOR: Final = ROOT / "src" / "siapkerja_adapters" / "web" / "static" / "vendor"
MANIFEST: Final = VENDOR / "MANIFEST.json"
TESTS_VENDOR: Final = ROOT / "tests" / "e2e" / "vendor"
"""Where the tests' own libraries go (never served)."""


def manifest_of(root: Path) -> Path:
    """The manifest of the vendored files under ``root``."""
    return root / "MANIFEST.json"


@dataclass(frozen=True)
class Package:
    """One npm package: what to fetch, how to trust it, and what to copy.

    :ivar files: path inside the tarball (below ``package/``) -> name under
        ``static/vendor/<folder>/``.
    :ivar why: what the web binding uses it for (kept in the manifest).
    :ivar root: the directory its folder goes under: the static files (served),
        or :data:`TESTS_VENDOR` for a library the tests alone use.
    """

    name: str
    version: str
    integrity: str
    licence: str
    folder: str
    files: Mapping[str, str]
    why: str
    licence_file: str = "LICENSE"
    extra: Mapping[str, str] = field(default_factory=dict)
    root: Path = VENDOR


PACKAGES: Final[tuple[Package, ...]] = (
    # The gate screen's QR reader when the browser has no native BarcodeDetector
    # (Chromium on Linux and Windows, Firefox, Safari before 17): the Barcode
    # Detection API as a ponyfill over ZXing-C++ compiled to WebAssembly. Its IIFE
    # build sets window.BarcodeDetectionAPI; static/gate.js points it at the .wasm
    # below (never the CDN it defaults to).
    Package(
        name="barcode-detector",
        version="3.2.2",
        integrity="sha512-/4QOrrNrCRmDSBWiiP4aC72dnkuXUEdcFRidHgbPRXUpy82XcCMvJssI6fEs6JT42LS7DvBVZO70qasJbYKyrA==",
        licence="MIT",
        folder="barcode-detector",
        files={"dist/iife/ponyfill.js": "ponyfill.js"},
        why="gate screen: BarcodeDetector ponyfill (QR reading from the camera)",
    ),
    # The WebAssembly reader the ponyfill above loads: the same version it was built
    # against (its ZXING_WASM_VERSION), the reader-only build (smaller than "full").
    Package(
        name="zxing-wasm",
        version="3.1.3",
        integrity="sha512-3lC9BJk4fR5ZJxcGjb0hVnDFOW7KpLXHIebiBmVd4FDRQZVeObztoTKxRUPxlWwSgxrMRONK0u50hBD1aTYEKg==",
        licence="MIT",
        folder="zxing-wasm",
        files={"dist/reader/zxing_reader.wasm": "zxing_reader.wasm"},
        why="gate screen: ZXing-C++ QR reader (WebAssembly) behind barcode-detector",
    ),
    # The browser tests' accessibility checks (tests/e2e/axe.py): injected into the
    # page under test by Playwright, never served by the application.
    Package(
        name="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        licence="MPL-2.0",
        folder="axe-core",
        files={"axe.min.js": "axe.min.js"},
        why="browser tests only: WCAG checks of every page (tests/e2e/axe.py)",
        root=TESTS_VENDOR,
    ),
)


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (apt-get install npm)")
    # The arguments are this script's own (a package name and version from PACKAGES).
    completed = subprocess.run(  # noqa: S603
        [npm, *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=300
    )
    return completed.stdout.strip()


def fetch(package: Package, work: Path) -> bytes:
    """The package's tarball, its digest checked against the pin and the registry."""
    spec = f"{package.name}@{package.version}"
    stated = json.loads(_npm("view", spec, "dist.integrity", "--json", cwd=work))
    if stated != package.integrity:
        raise SystemExit(
            f"{spec}: the registry states {stated}, the pin is {package.integrity}: not vendored"
        )
    name = _npm("pack", spec, "--silent", cwd=work).splitlines()[-1]
    data = (work / name).read_bytes()
    actual = sri_sha512(data)
    if actual != package.integrity:
        raise SystemExit(f"{spec}: the tarball's digest is {actual}, not {package.integrity}")
    return data


def vendor(package: Package, tarball: bytes, work: Path) -> dict[str, object]:
    """Copy the package's files and licence; its manifest entry."""
    archive = work / f"{package.folder}.tgz"
    archive.write_bytes(tarball)
    target = package.root / package.folder
    target.mkdir(parents=True, exist_ok=True)
    wanted = {**package.files, package.licence_file: "LICENSE", **package.extra}
    copied: dict[str, str] = {}
    with tarfile.open(archive) as tar:
        for inner, outer in wanted.items():
            member = tar.getmember(f"package/{inner}")
            if not member.isfile():
                raise SystemExit(f"{package.name}: {inner} is not a file in the tarball")
            source = tar.extractfile(member)
            assert source is not None
            data = source.read()
            (target / outer).write_bytes(data)
            copied[f"{package.folder}/{outer}"] = hashlib.sha256(data).hexdigest()
    return {
        "name": package.name,
        "version": package.version,
        "integrity": package.integrity,
        "licence": package.licence,
        "why": package.why,
        "files": copied,
    }


def _roots() -> list[Path]:
    return list(dict.fromkeys(package.root for package in PACKAGES))


def check() -> list[str]:
    """What differs between the manifests, :data:`PACKAGES` and the files on disk."""
    problems: list[str] = []
    for root in _roots():
        problems.extend(_check_root(root))
    return problems


def _check_root(root: Path) -> list[str]:
    problems: list[str] = []
    manifest_file = manifest_of(root)
    if not manifest_file.is_file():
        return [f"{manifest_file} is missing: run scripts/vendor_js.py"]
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    entries = {entry["name"]: entry for entry in manifest["packages"]}
    for package in (p for p in PACKAGES if p.root == root):
        entry = entries.get(package.name)
        if entry is None:
            problems.append(f"{package.name}: not vendored")
            continue
        if (entry["version"], entry["integrity"]) != (package.version, package.integrity):
            vendored = entry["version"]
            problems.append(f"{package.name}: vendored {vendored}, pinned {package.version}")
        for path, digest in entry["files"].items():
            file = root / path
            if not file.is_file():
                problems.append(f"{path}: missing")
            elif hashlib.sha256(file.read_bytes()).hexdigest() != digest:
                problems.append(f"{path}: changed since it was vendored")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify offline, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    entries: dict[Path, list[dict[str, object]]] = {root: [] for root in _roots()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for package in PACKAGES:
            entries[package.root].append(vendor(package, fetch(package, work), work))
            print(f"vendored {package.name}@{package.version}")
    for root, listed in entries.items():
        manifest_of(root).write_text(
            json.dumps({"packages": listed}, indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
