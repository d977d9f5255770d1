"""The base install, for real: the wheel in a clean venv with only its own dependencies.

``pip install siapkerja`` must give the pure core and nothing more
(docs/install.md states the count), and what needs an extra must say which.
The wheel is built once from this tree (hatchling, no isolation), installed
into a fresh venv by pip from the index (and pip's cache); every check runs
in that venv's own interpreter, so nothing of the development venv leaks in.

The same venv then shows that ``phonenumberslite`` (what the base install
depends on) answers exactly as the full ``phonenumbers`` of the same version
over the phone corpus (``tests/support/phone_corpus.py``): the two
distributions install one module, so they are compared one after the other.

The sdist is built too, and must carry ``examples/`` (tests load them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DOC = ROOT / "docs" / "install.md"
CORPUS = ROOT / "tests" / "support" / "phone_corpus.py"

pytestmark = pytest.mark.slow


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "siapkerja_install_sizes", ROOT / "scripts" / "install_sizes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sizes = _load_script()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (the build backend, a dev dependency) is not installed")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def base(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh venv holding ``pip install siapkerja`` (the wheel) alone."""
    wheel = next(dist.glob("siapkerja-*.whl"))
    python = sizes.make_venv(tmp_path_factory.mktemp("venv") / "base")
    try:
        sizes.pip(python, "install", "--no-compile", str(wheel))
    except subprocess.CalledProcessError as error:  # no index and nothing in pip's cache
        pytest.skip(f"the base dependencies could not be installed: {error.stderr[-500:]}")
    return python


def clean_env() -> dict[str, str]:
    """The environment without ``PYTHONPATH`` and friends: only the venv's packages import."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}


def run(python: Path, code: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in the clean venv, away from the source tree (so ``src`` is not importable)."""
    return subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=clean_env(),
        check=False,
    )


def stated_base_count() -> tuple[int, str]:
    """The base install's dependency count and the Python it was measured on (docs/install.md)."""
    text = INSTALL_DOC.read_text(encoding="utf-8")
    row = re.search(r"^\| base \| `pip install siapkerja` \| (\d+) \|", text, re.MULTILINE)
    measured = re.search(r"measured by scripts/install_sizes\.py on CPython (\d+\.\d+)", text)
    assert row is not None, "docs/install.md lost its table row for the base install"
    assert measured is not None, "docs/install.md no longer says which Python it measured"
    return int(row[1]), measured[1]


def test_the_base_install_pulls_the_dependencies_docs_install_md_states(base: Path) -> None:
    count, measured_on = stated_base_count()
    names = sizes.installed(base)
    assert "siapkerja" in names
    for heavy in ("sqlalchemy", "alembic", "orjson", "phonenumbers", "typer", "starlette"):
        assert heavy not in names, f"{heavy} is in the base install"
    if ".".join(map(str, sys.version_info[:2])) != measured_on:
        pytest.skip(f"docs/install.md was measured on CPython {measured_on}")
    assert len(names) - 1 == count, names


def test_the_core_works_and_never_loads_the_storage(base: Path, tmp_path: Path) -> None:
    done = run(
        base,
        "import importlib.util, json, sys\n"
        "import siapkerja_core\n"
        "nik = siapkerja_core.parse_nik('3171011708450001')\n"
        "phone = siapkerja_core.normalize_phone('0812-3456-7890')\n"
        "print(json.dumps({'file': siapkerja_core.__file__, 'province': nik.province_code,"
        " 'phone': phone, 'sqlalchemy': importlib.util.find_spec('sqlalchemy') is not None,"
        " 'loaded': 'sqlalchemy' in sys.modules}))\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "site-packages" in report["file"]  # the wheel's copy, not the source tree
    assert report["province"] == "31"
    assert report["phone"] == "+6281234567890"
    assert report["sqlalchemy"] is False
    assert report["loaded"] is False


def test_connect_without_the_storage_extra_names_it(base: Path, tmp_path: Path) -> None:
    done = run(
        base,
        "import json\n"
        "from siapkerja_adapters import connect\n"
        "from siapkerja_core.errors import ConfigurationError\n"
        "try:\n"
        "    connect(environ={})\n"
        "except ConfigurationError as error:\n"
        "    print(json.dumps([error.full_code, error.message_id, error.message_en]))\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    code, message_id, message_en = json.loads(done.stdout)
    assert code == "config.missing_extra"
    assert "pip install 'siapkerja[storage]'" in message_id
    assert "pip install 'siapkerja[storage]'" in message_en
    assert message_id != message_en
    # The in-memory journey needs no extra at all.
    done = run(
        base,
        "from siapkerja_adapters import connect\n"
        "svc = connect('memory', environ={})\n"
        "print(type(svc).__name__)\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Siapkerja"


def test_the_console_script_without_the_cli_extra_says_what_to_install(
    base: Path, tmp_path: Path
) -> None:
    script = base.parent / "siapkerja"
    done = subprocess.run(
        [str(script), "nik", "check", "3171011708450001"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 3  # a missing extra: the CLI's configuration exit code (docs/cli.md)
    assert "pip install 'siapkerja[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_phonenumberslite_answers_as_the_full_phonenumbers(base: Path, tmp_path: Path) -> None:
    def answers() -> list[object]:
        done = subprocess.run(
            [str(base), str(CORPUS), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=clean_env(),
            check=True,
        )
        lines = done.stdout.splitlines()
        return [json.loads(lines[0])["phonenumbers"], *map(json.loads, lines[1:])]

    names = sizes.installed(base)
    assert "phonenumberslite" in names
    lite = answers()
    version = lite[0]
    try:
        sizes.pip(base, "uninstall", "--yes", "phonenumberslite")
        sizes.pip(base, "install", "--no-compile", f"phonenumbers=={version}")
    except subprocess.CalledProcessError as error:
        pytest.skip(f"phonenumbers=={version} could not be installed: {error.stderr[-500:]}")
    full = answers()
    assert full[0] == version
    assert len(lite) > 10_000  # the corpus: every 08xx prefix and area code, every length
    differences = [(a, b) for a, b in zip(lite[1:], full[1:], strict=True) if a != b]
    assert differences == []


def test_the_sdist_carries_the_examples(dist: Path) -> None:
    sdist = next(dist.glob("siapkerja-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    examples = {name for name in names if name.startswith(f"{top}/examples/")}
    expected = {
        f"{top}/examples/{path.relative_to(ROOT / 'examples').as_posix()}"
        for path in (ROOT / "examples").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected
    assert expected <= examples
