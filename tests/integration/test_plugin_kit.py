"""The kit for plug-in authors, used as a third party uses it.

``examples/plugins/siapkerja-whatsapp`` is a separate project: it is built
and installed with pip (a real wheel, its ``siapkerja`` entry point
included) into a directory of its own, and its own tests — the three-line
contract test and its fake WhatsApp API on 127.0.0.1 — run with pytest in a
subprocess that sees this repository's source. They must pass; and a sender
that breaks the contract must fail it, so the shipped suite can fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plugins" / "siapkerja-whatsapp"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a copy of the example project, the directory pip installed it into)."""
    pytest.importorskip("hatchling", reason="the example builds with hatchling (the dev extra)")
    base = tmp_path_factory.mktemp("plugin-kit")
    project = base / "siapkerja-whatsapp"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    site = base / "site"
    # No index and no build isolation: the build backend and httpx come from this venv.
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
            *("--no-build-isolation", "--target", str(site), str(project)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return project, site


def run_its_tests(project: Path, site: Path, report: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SIAPKERJA_PLUGINS", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def outcomes(report: Path) -> dict[str, str]:
    """test name -> passed / failed / error / skipped, read from the JUnit XML report."""
    found = {}
    # Our own pytest's report, not untrusted input.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[case.get("name", "")] = kinds[0] if kinds else "passed"
    return found


def test_the_entry_point_is_installed(installed: tuple[Path, Path]) -> None:
    _, site = installed
    [dist] = site.glob("siapkerja_whatsapp-*.dist-info")
    assert "[siapkerja]\nwhatsapp = siapkerja_whatsapp" in (dist / "entry_points.txt").read_text()


def test_the_sample_adapter_passes_the_shipped_contract(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    project, site = installed
    result = run_its_tests(project, site, tmp_path / "report.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    # The kit's pytest plug-in names what the entry points brought.
    assert "sms: console/http/memory/whatsapp" in result.stdout
    found = outcomes(tmp_path / "report.xml")
    assert set(found.values()) == {"passed"}, found
    assert {
        "test_the_adapter_is_registered_by_name",
        "test_the_same_idempotency_key_returns_the_first_receipt",
        "test_the_text_is_never_logged_above_debug",
    } <= set(found)


# Broken senders, each a subclass of the sample's own, swapped in for the `sender` fixture.
FORGETFUL = '''
class BrokenSender(WhatsAppSender):
    """Drops the receipt of a used idempotency key: a retried OTP is sent again."""

    def send(self, to, text, *, idempotency_key=None):
        return super().send(to, text)
'''
LEAKY = '''
import logging


class BrokenSender(WhatsAppSender):
    """Logs the one-time code at INFO."""

    def send(self, to, text, *, idempotency_key=None):
        logging.getLogger("siapkerja_whatsapp").info("sending %r to %s", text, to)
        return super().send(to, text, idempotency_key=idempotency_key)
'''
SWAP = """

@pytest.fixture
def sender(whatsapp_api):
    adapter = BrokenSender(
        whatsapp_api.PHONE_NUMBER_ID, whatsapp_api.TOKEN, url=whatsapp_api.base_url
    )
    yield adapter
    adapter.close()
"""


@pytest.mark.parametrize(
    ("broken", "failing"),
    [
        pytest.param(
            FORGETFUL,
            {
                "test_the_same_idempotency_key_returns_the_first_receipt",
                "test_idempotency_holds_across_threads",
            },
            id="drops-the-receipt",
        ),
        pytest.param(LEAKY, {"test_the_text_is_never_logged_above_debug"}, id="logs-the-code"),
    ],
)
def test_a_sender_that_breaks_the_contract_fails_it(
    installed: tuple[Path, Path], tmp_path: Path, broken: str, failing: set[str]
) -> None:
    project, site = installed
    variant = tmp_path / "variant"
    shutil.copytree(project, variant)
    conftest = variant / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text() + broken + SWAP)
    result = run_its_tests(variant, site, tmp_path / "report.xml")
    assert result.returncode == 1, result.stdout + result.stderr
    found = outcomes(tmp_path / "report.xml")
    assert failing <= {name for name, outcome in found.items() if outcome == "failure"}, found
    # The receipt itself is still right: only the broken promise fails.
    assert found["test_send_returns_a_receipt_for_the_same_message"] == "passed"


def test_docs_plugins_md_shows_the_example_files_themselves() -> None:
    # The page includes the files (pymdownx.snippets, check_paths: a missing one fails
    # the strict build) instead of copies that could drift from what runs here.
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    included = set(re.findall(r'--8<-- "([^"]+)"', page))
    shown = {
        f"examples/plugins/siapkerja-whatsapp/{name}"
        for name in (
            "pyproject.toml",
            "src/siapkerja_whatsapp/__init__.py",
            "tests/conftest.py",
            "tests/test_contract.py",
        )
    }
    assert included == shown
    assert all((ROOT / path).is_file() for path in included)


CONNECT = """
from siapkerja_adapters import connect
from siapkerja_core.errors import ConfigurationError

try:
    connect("memory", environ={}, sms="whatsapp")
except ConfigurationError as refused:
    print("refused", refused.full_code, refused.params["name"])
svc = connect(
    "memory", environ={}, sms="whatsapp", whatsapp_phone_number_id="1", whatsapp_token="t"
)
print("built", type(svc.sms).__name__, svc.plugins.provider("sms", "whatsapp"))
"""


def test_connect_finds_the_installed_plugin_by_its_entry_point(
    installed: tuple[Path, Path],
) -> None:
    _, site = installed
    env = {k: v for k, v in os.environ.items() if k not in ("SIAPKERJA_PLUGINS", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    result = subprocess.run(
        [sys.executable, "-c", CONNECT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # Its siapkerja_configure hook names the missing key before anything is built.
    assert result.stdout.splitlines() == [
        "refused config.invalid whatsapp_phone_number_id",
        "built WhatsAppSender whatsapp",
    ]
