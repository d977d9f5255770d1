"""scripts/vendor_js.py: the vendored JavaScript matches its pinned table, offline."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_js", ROOT / "scripts" / "vendor_js.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_js"] = module
    spec.loader.exec_module(module)
    return module


vendor_js = _script()


@pytest.mark.parametrize("entry", vendor_js.VENDORED, ids=lambda e: e.package)
def test_the_vendored_copies_match_the_table(entry) -> None:  # type: ignore[no-untyped-def]
    assert vendor_js.offline_problems(entry) == []
    assert entry.integrity.startswith("sha512-")
    assert (ROOT / entry.licence_destination).read_text(encoding="utf-8").strip()


def test_a_changed_copy_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = vendor_js.VENDORED[0]
    fake = tmp_path / entry.destination
    fake.parent.mkdir(parents=True)
    fake.write_text("/* not axe */")
    monkeypatch.setattr(vendor_js, "ROOT", tmp_path)
    problems = vendor_js.offline_problems(entry)
    assert any("differs" in p for p in problems)
    assert any("missing" in p for p in problems)  # the licence was not copied
    assert vendor_js.main(["--offline"]) == 1


def test_integrity_is_checked_against_the_sri_string() -> None:
    data = b"package tarball"
    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert vendor_js._integrity_of(data, good)
    assert not vendor_js._integrity_of(data + b"!", good)
    with pytest.raises(vendor_js.CheckFailed):
        vendor_js._integrity_of(data, "md5-abc")
