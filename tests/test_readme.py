"""The README's promises: its first lines are the two commands, and CI runs the second."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.match(r"```sh\n(.*?)\n```", text, re.DOTALL)
    assert block is not None, "README.md must open with a ```sh block of two commands"
    return block.group(1).splitlines()


def test_readme_opens_with_the_two_commands() -> None:
    run, test = readme_commands()
    assert "siapkerja demo" in run
    assert "pytest" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _run, test = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_the_demo_command_is_a_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["siapkerja"] == "siapkerja_adapters.cli:main"
    extras = project["optional-dependencies"]
    assert extras["all"][0].startswith("siapkerja[cli,card")
    assert extras["dev"][0].startswith("siapkerja[all")
