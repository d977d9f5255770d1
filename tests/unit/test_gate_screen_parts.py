"""The gate screen's parts that need no server: the seal, the code reader, the vendored scanner.

* :class:`~siapkerja_adapters.web.pages.gate.Seal` — a station key sealed for one
  event opens for that event only, under that secret only, and not after a change.
* :func:`~siapkerja_adapters.web.pages.gate.read_code` — a scanner's whole line.
* ``static/vendor`` — the copied files still match what ``scripts/vendor_js.py``
  fetched and checked (offline), and the WebAssembly reader is the very build the
  ponyfill expects (its ``ZXING_WASM_SHA256``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters.web.pages.gate import Seal, read_code

ROOT = Path(__file__).resolve().parents[2]


def vendor_script() -> Any:
    spec = importlib.util.spec_from_file_location("vendor_js", ROOT / "scripts" / "vendor_js.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_sealed_key_opens_for_its_event_under_its_secret_only() -> None:
    seal = Seal("one-secret-of-the-session-0123456789")
    key = "sks_" + "ab" * 24
    sealed = seal.seal(key, "station\0FAIR")
    assert key not in sealed
    assert key[4:] not in sealed
    assert seal.open(sealed, "station\0FAIR") == key
    assert seal.open(sealed, "station\0OTHER") is None
    assert Seal("another-secret-of-the-session-0123").open(sealed, "station\0FAIR") is None
    # Another purpose derives another key from the same secret.
    assert (
        Seal("one-secret-of-the-session-0123456789", b"other").open(sealed, "station\0FAIR") is None
    )
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert seal.open(flipped, "station\0FAIR") is None
    for junk in (None, 42, "", "!!!", "x" * 10_000):
        assert seal.open(junk, "station\0FAIR") is None
    assert seal.seal(key, "a") != seal.seal(key, "a")  # a fresh nonce each time


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("  hello  ", "hello"),
        ("A-" + "0" * 130, "A-" + "0" * 130),
        ("kode: A-" + "Z" * 130 + " (SIAPkerja)", "A-" + "Z" * 130),
        (
            "https://x.test/v/L-ABCD-0123456789ABC-1-" + "Q" * 32,
            "L-ABCD-0123456789ABC-1-" + "Q" * 32,
        ),
    ],
)
def test_read_code_takes_the_code_out_of_a_scanners_line(typed: str, read: str) -> None:
    assert read_code(typed) == read


def test_the_vendored_scanner_matches_its_manifest() -> None:
    assert vendor_script().check() == []


def test_the_vendored_wasm_is_the_build_the_ponyfill_expects() -> None:
    vendor = ROOT / "src" / "siapkerja_adapters" / "web" / "static" / "vendor"
    ponyfill = (vendor / "barcode-detector" / "ponyfill.js").read_text(encoding="utf-8")
    expected = re.search(r"ZXING_WASM_SHA256=(\w+)", ponyfill)
    assert expected is not None
    digest = re.search(rf"\b{expected.group(1)}=`([0-9a-f]{{64}})`", ponyfill)
    assert digest is not None
    wasm = (vendor / "zxing-wasm" / "zxing_reader.wasm").read_bytes()
    assert hashlib.sha256(wasm).hexdigest() == digest.group(1)
    version = re.search(r"ZXING_WASM_VERSION=(\w+)", ponyfill)
    assert version is not None
    pinned = {p.name: p.version for p in vendor_script().PACKAGES}
    assert f"{version.group(1)}=`{pinned['zxing-wasm']}`" in ponyfill
