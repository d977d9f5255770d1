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

Last, the framework examples: for each host, a fresh venv holds the wheel
with only the extra ``docs/mounting.md`` tells that host's users to install
(``web`` for FastAPI, ``django``, ``flask``; one venv per extra, so what one
extra pulls cannot hide what another lacks). In that venv, from a copy of
``examples/``, each project starts as its docs start it, under a real server
on 127.0.0.1 (uvicorn; ``flask run``; ``manage.py runserver``, uvicorn on
``asgi.py`` and on ``asgi_routed.py``, ``serve_wsgi.py``), and answers over
HTTP (urllib, nothing installed for the test): the host's page, our sign-in
page and its stylesheet under ``/siapkerja/``, a registration through our
API, the host's route refusing a caller without a session, and the FastAPI
host's ``/openapi.json`` listing our operations.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from types import ModuleType

import pytest

from support import people
from support.live_server import until_up

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DOC = ROOT / "docs" / "install.md"
MOUNTING_DOC = ROOT / "docs" / "mounting.md"
CORPUS = ROOT / "tests" / "support" / "phone_corpus.py"
EXAMPLES = ROOT / "examples"
PREFIX = "/siapkerja"

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


# --------------------------------------------------------------------------
# The framework examples, each in a venv holding the wheel and its documented extra
# --------------------------------------------------------------------------


def documented_extra(host: str) -> str:
    """The extra ``docs/mounting.md``'s table tells ``host``'s users to install."""
    text = MOUNTING_DOC.read_text(encoding="utf-8")
    row = re.search(
        rf"^\| \[{host}\]\(#{host.lower()}\) \|.*\| `pip install 'siapkerja\[([\w,]+)\]'` \|$",
        text,
        re.MULTILINE,
    )
    assert row is not None, f"docs/mounting.md lost its install line for {host}"
    return row[1]


@pytest.fixture(scope="module")
def host_venv(
    request: pytest.FixtureRequest, dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The interpreter of a fresh venv holding the wheel with ``request.param``'s extra only."""
    host: str = request.param
    extra = documented_extra(host)
    wheel = next(dist.glob("siapkerja-*.whl"))
    python = sizes.make_venv(tmp_path_factory.mktemp("venv") / host.lower())
    try:
        sizes.pip(
            python, "install", "--no-compile", f"siapkerja[{extra}] @ {wheel.resolve().as_uri()}"
        )
    except subprocess.CalledProcessError as error:  # no index and nothing in pip's cache
        pytest.skip(f"siapkerja[{extra}] could not be installed: {error.stderr[-500:]}")
    return python


def free_port() -> int:
    """A port nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# No proxy: http_proxy in the environment must not route 127.0.0.1 elsewhere.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, data: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers and text of a GET (or a JSON POST of ``data``); errors are answers too."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url)  # noqa: S310 - our own server, checked above
    if data is not None:
        request.data = json.dumps(data).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


@contextlib.contextmanager
def serving(
    command: list[str], *, cwd: Path, home: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """``command`` (``{port}`` filled in) listening on 127.0.0.1 in the clean venv; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in clean_env().items()
        if not key.startswith(("SIAPKERJA_", "DJANGO_", "VIRTUAL_ENV"))
    }
    # Anything the library writes below the home directory (a storage key) stays in tmp.
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), PUBLIC_URL=url)
    env.update(extra_env or {})
    logged = home / "server.log"
    with logged.open("wb") as log:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        with until_up(process, url, logged, _answers) as running:
            yield running


def _answers(url: str) -> bool:
    try:
        return fetch(url + "/")[0] == 200
    except OSError:
        return False


def examples_copy(tmp_path: Path) -> Path:
    """A copy of ``examples/``, away from the source tree."""
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def answers_as_a_host(url: str, home_text: str) -> None:
    status, _headers, text = fetch(url + "/")
    assert status == 200
    assert home_text in text
    status, headers, text = fetch(f"{url}{PREFIX}/")
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/html")
    assert "Masuk" in text
    assert f'href="{PREFIX}/static/siapkerja.css' in text
    status, headers, _text = fetch(f"{url}{PREFIX}/static/siapkerja.css")  # the wheel's data
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    status, headers, text = fetch(
        f"{url}{PREFIX}/api/v1/registrations",
        {"nik": people.NIK, "full_name": people.NAME, "mother_name": people.MOTHER},
    )
    assert status == 201, text
    assert json.loads(text)["secret"]
    status, headers, text = fetch(url + "/lamaran/saya")
    assert status == 401, text
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(text)["code"] == "request.authentication_required"


@pytest.mark.parametrize("host_venv", ["FastAPI"], indirect=True)
def test_the_fastapi_example_under_uvicorn(host_venv: Path, tmp_path: Path) -> None:
    project = examples_copy(tmp_path) / "fastapi_app"
    uvicorn = str(host_venv.parent / "uvicorn")
    command = [uvicorn, "--factory", "app:make_app", "--host", "127.0.0.1", "--port", "{port}"]
    # The example's own service: connect() on the default storage, a SQLite file here.
    settings = {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'bursa.sqlite3'}",
        "SIAPKERJA_SECRET_KEY": "kunci-rahasia-bursa-kerja-0123456789",
    }
    with serving(command, cwd=project, home=tmp_path, extra_env=settings) as url:
        answers_as_a_host(url, "bursa kerja daerah")
        status, _headers, text = fetch(url + "/openapi.json")
    assert status == 200
    paths = json.loads(text)["paths"]
    assert f"{PREFIX}/api/v1/registrations" in paths
    assert "/lamaran/saya" in paths
    assert (tmp_path / "bursa.sqlite3").exists()


@pytest.mark.parametrize("host_venv", ["Flask"], indirect=True)
def test_the_flask_example_under_flask_run(host_venv: Path, tmp_path: Path) -> None:
    project = examples_copy(tmp_path) / "flask_app"
    flask = str(host_venv.parent / "flask")
    command = [flask, "--app", "app:make_app", "run", "--host", "127.0.0.1", "--port", "{port}"]
    with serving(command, cwd=project, home=tmp_path) as url:
        answers_as_a_host(url, "bursa kerja daerah")


DJANGO_SERVERS = {
    "runserver": ["{python}", "manage.py", "runserver", "127.0.0.1:{port}", "--noreload"],
    "asgi": ["{uvicorn}", "bursa.asgi:application", "--host", "127.0.0.1", "--port", "{port}"],
    "asgi-routed": [
        "{uvicorn}",
        "bursa.asgi_routed:application",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ],
    "wsgi": ["{python}", "serve_wsgi.py", "{port}"],
}


@pytest.mark.parametrize("host_venv", ["Django"], indirect=True)
@pytest.mark.parametrize("server", list(DJANGO_SERVERS))
def test_the_django_example(host_venv: Path, server: str, tmp_path: Path) -> None:
    project = examples_copy(tmp_path) / "django_app"
    bin_dir = host_venv.parent
    command = [
        part.format(python=host_venv, uvicorn=bin_dir / "uvicorn", port="{port}")
        for part in DJANGO_SERVERS[server]
    ]
    # As the docs start it: no DJANGO_SETTINGS_MODULE (manage.py and asgi.py set it),
    # the settings' try-out defaults (DEBUG, the memory profile).
    with serving(command, cwd=project, home=tmp_path) as url:
        answers_as_a_host(url, "Bursa kerja daerah (Django).")
