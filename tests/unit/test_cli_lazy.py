"""The command tree is mounted lazily: ``nik check`` starts light, every command still answers.

What a user of ``siapkerja nik check`` pays for is the core's NIK module and
Typer, not SQLAlchemy, Starlette or the adapters: asserted on the modules a
real process loaded (a timing would measure the machine, not the code).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from siapkerja_adapters.cli.root import LAZY_COMMANDS, app, load_command

# Issue 17: `nik check` must start in < 200 ms; the modules that would break that
# (and that a NIK-only user may not even have installed: the storage, web, http
# and cli-only extras), plus the core's own heavy parts (crypto, hashing, QR,
# phone metadata, the plug-in host and the settings behind connect()).
_HEAVY = (
    "sqlalchemy",
    "alembic",
    "orjson",
    "starlette",
    "fastapi",
    "httpx",
    "jinja2",
    "siapkerja_adapters.sql",
    "argon2",
    "cryptography",
    "segno",
    "phonenumbers",
    "pluggy",
    "siapkerja_core.settings",
    "siapkerja_core.service",
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_nik_check_loads_no_storage_web_or_http_module() -> None:
    done = _python(
        "import sys, json\n"
        "sys.argv = ['siapkerja', 'nik', 'check', '--json', '3173014107900003']\n"
        "from siapkerja_adapters.cli import main\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
        "else:\n    code = 0\n"
        f"heavy = [m for m in {_HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}), file=sys.stderr)\n"
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": []}, done.stderr
    assert json.loads(done.stdout)["valid"] is True


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_every_lazy_command_loads_and_shows_its_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"siapkerja {name}" in result.output


def test_the_root_help_lists_every_command_once() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("nik", *LAZY_COMMANDS):
        assert f"│ {name} " in result.output, name


def test_shell_completion_offers_the_lazy_commands() -> None:
    done = _python(
        "from siapkerja_adapters.cli import main; main()",
        _SIAPKERJA_COMPLETE="complete_bash",
        COMP_WORDS="siapkerja bu",
        COMP_CWORD="1",
    )
    assert "bulk" in done.stdout.split(), (done.stdout, done.stderr)


def test_every_command_group_of_the_package_is_mounted() -> None:
    """A module's Typer app that no one mounts is a command nobody can run."""
    import importlib
    import pkgutil

    import typer

    import siapkerja_adapters.cli as cli_package

    def reachable(app: typer.Typer) -> set[int]:
        found = {id(app)}
        for group in app.registered_groups:
            if group.typer_instance is not None:
                found |= reachable(group.typer_instance)
        return found

    mounted: set[int] = set()
    for target in (
        getattr(importlib.import_module(module), name)
        for module, _, name in (path.partition(":") for path in LAZY_COMMANDS.values())
    ):
        if isinstance(target, typer.Typer):
            mounted |= reachable(target)
    mounted |= reachable(app)
    defined = {
        f"{info.name}.{name}": value
        for info in pkgutil.iter_modules(cli_package.__path__)
        for name, value in vars(
            importlib.import_module(f"{cli_package.__name__}.{info.name}")
        ).items()
        if isinstance(value, typer.Typer)
    }
    assert [name for name, value in defined.items() if id(value) not in mounted] == []


def test_a_checkout_without_compiled_catalogues_says_how_to_build_them(tmp_path):
    """``siapkerja --help`` in a fresh clone whose catalogues were never compiled.

    Mounting the commands' help imports modules whose labels come from the
    catalogues: the user gets how to compile them, in both languages, and the
    configuration exit code — not a traceback.
    """
    script = (
        "import sys, pathlib\n"
        "import siapkerja_core.translations as t\n"
        f"t.PACKAGED_DIRECTORY = pathlib.Path({str(tmp_path)!r})\n"
        "t._active = t.Catalogues()\n"
        "from siapkerja_adapters.cli import main\n"
        "sys.argv = ['siapkerja', '--help']\n"
        "main()\n"
    )
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "katalog bahasa belum dikompilasi" in done.stderr
    assert "the language catalogues are not compiled" in done.stderr
    assert "scripts/catalogues.py compile" in done.stderr
    # --json answers in JSON, as for every other error.
    as_json = script.replace(
        "['siapkerja', '--help']", "['siapkerja', 'nik', 'check', '1234', '--json']"
    )
    done = subprocess.run(
        [sys.executable, "-c", as_json], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 3, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "cli.error"
    assert error["exit_code"] == 3
    assert "scripts/catalogues.py compile" in error["message_en"]
