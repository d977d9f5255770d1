"""The contract kit's own promises (``siapkerja_adapters.testing``).

* Importing it without pytest fails with a message that says what to install,
  and nothing else in the library imports it: pytest stays a test-only need.
* Its checks of the registration fail when the name is unknown or the
  registered factory builds another class than the one tested; its pytest
  plug-in builds adapters through the registry.
* Its JSON server records requests and fails on demand.

The nested runs start pytest in a subprocess on small test files, as a
third-party project would run them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from siapkerja_adapters.testing import JsonHttpServer, Received

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
KIT = "siapkerja_adapters.testing"


def test_importing_the_kit_without_pytest_says_what_to_install() -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.modules['pytest'] = None; import {KIT}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
    )
    assert result.returncode == 1
    assert "ImportError: siapkerja_adapters.testing" in result.stderr
    assert "pip install 'siapkerja[testing]'" in result.stderr


def kit_imports(source: str) -> list[int]:
    """The lines of ``source`` that import the kit (``import`` or ``from … import``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        if any(name == KIT or name.startswith(KIT + ".") for name in names):
            lines.append(node.lineno)
    return lines


def test_nothing_in_the_library_imports_the_kit() -> None:
    kit = SRC / "siapkerja_adapters" / "testing"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if not path.is_relative_to(kit)
        for line in kit_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        "import siapkerja_adapters.testing",
        "from siapkerja_adapters.testing import MessageSenderContract",
        "from siapkerja_adapters import testing",
        "def f():\n    from siapkerja_adapters.testing.sms import TO",
    ],
)
def test_the_import_scan_can_fail(source: str) -> None:
    assert kit_imports(source) != []


NESTED = """
import pytest

from siapkerja_adapters.sms import MemorySender
from siapkerja_adapters.testing import MessageSenderContract


class TestThroughTheRegistry(MessageSenderContract):
    adapter_name = "memory"

    @pytest.fixture
    def sender(self, siapkerja_adapter):
        return siapkerja_adapter("sms", "memory")


class TestUnknownName(MessageSenderContract):
    adapter_name = "whatsapp"

    @pytest.fixture
    def sender(self):
        return MemorySender()


class TestAnotherClassRegistered(MessageSenderContract):
    adapter_name = "console"

    @pytest.fixture
    def sender(self):
        return MemorySender()


class TestNoName(MessageSenderContract):
    @pytest.fixture
    def sender(self):
        return MemorySender()


def test_the_host_is_the_one_connect_builds(siapkerja_host):
    assert "builtin" in siapkerja_host.plugin_names()
"""


def test_the_registration_check_and_the_plugin_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_nested.py").write_text(textwrap.dedent(NESTED))
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k != "SIAPKERJA_PLUGINS"}
    env["PYTHONPATH"] = str(SRC)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", KIT, "-p", "no:cacheprovider"),
            *("-W", "error", f"--junitxml={report}", "test_nested.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "siapkerja plug-ins: builtin (" in result.stdout
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 - our own report
        tags = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome[f"{case.get('classname', '').rsplit('.', 1)[-1]}.{case.get('name')}"] = (
            tags[0] if tags else "passed"
        )
    registered = "test_the_adapter_is_registered_by_name"
    assert outcome[f"TestThroughTheRegistry.{registered}"] == "passed"
    assert outcome[f"TestUnknownName.{registered}"] == "failure"
    assert outcome[f"TestAnotherClassRegistered.{registered}"] == "failure"
    assert outcome[f"TestNoName.{registered}"] == "skipped"
    assert outcome["test_nested.test_the_host_is_the_one_connect_builds"] == "passed"
    # Apart from the registration, MemorySender keeps the contract everywhere.
    others = {k: v for k, v in outcome.items() if registered not in k}
    assert set(others.values()) == {"passed"}, result.stdout
    assert "Unknown sms adapter 'whatsapp'. Known: console, http, memory" in result.stdout
    assert "builds a ConsoleSender, but the contract ran on a MemorySender" in result.stdout


class Echo(JsonHttpServer):
    def handle(self, request: Received) -> tuple[int, object]:
        return 201, {"got": request.json(), "path": request.path}


def test_the_json_server_records_and_fails_on_demand() -> None:
    httpx = pytest.importorskip("httpx")
    with Echo() as server, httpx.Client(base_url=server.url) as client:
        answer = client.post("/send", json={"to": "+62"}, headers={"X-Key": "k"})
        assert (answer.status_code, answer.json()) == (201, {"got": {"to": "+62"}, "path": "/send"})
        server.fail_next(2, status=429)
        assert [client.post("/send", json={}).status_code for _ in range(3)] == [429, 429, 201]
        assert len(server.requests) == 4
        assert server.requests[0].headers["x-key"] == "k"
    with pytest.raises(RuntimeError):
        _ = server.url  # stopped
