"""The pages of ``docs/uses/`` run: every ``python`` block, in order, on memory and on SQLite.

Each page is one program: its ``python`` fenced blocks run in one namespace,
top to bottom, as a reader pasting them into a notebook would. A page starts
its service with ``connect("memory")``; the SQLite run gives it the embedded
default instead (a SQLite file in a temporary directory, its own storage key),
so an example that only works in memory fails here. Blocks fenced as
``text``, ``console`` or anything but ``python`` are not run. The examples
hold ``assert`` statements where a reader should see a result: they are the
page's tests.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import siapkerja_adapters
from siapkerja_adapters.sql.crypto import generate_key_setting

# The module, not the function of the same name that siapkerja_adapters re-exports
# (``import siapkerja_adapters.connect as m`` would give the function).
connect_module = sys.modules["siapkerja_adapters.connect"]
USES = Path(__file__).resolve().parent.parent / "docs" / "uses"
_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def pages() -> list[Path]:
    return sorted(path for path in USES.glob("*.md"))


def blocks(page: Path) -> Iterator[tuple[int, str]]:
    """``(line number, code)`` of each python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    for match in _BLOCK.finditer(text):
        yield text.count("\n", 0, match.start(1)) + 1, match.group(1)


def test_the_nine_uses_have_pages() -> None:
    assert len([p for p in pages() if p.name != "index.md"]) >= 9, [p.name for p in pages()]


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
@pytest.mark.parametrize("page", pages(), ids=lambda path: path.stem)
def test_the_examples_of_a_page_run(page: Path, storage: str, tmp_path, monkeypatch) -> None:
    code_blocks = list(blocks(page))
    if page.name != "index.md":
        assert code_blocks, f"{page.name} has no python example"
    if storage == "sqlite":
        real = connect_module.connect

        def on_sqlite(profile: str | None = None, /, **settings: object):
            settings.setdefault("database_url", f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}")
            settings.setdefault("storage_key", generate_key_setting())
            return real(None, **settings)

        monkeypatch.setattr(connect_module, "connect", on_sqlite)
        monkeypatch.setattr(siapkerja_adapters, "connect", on_sqlite)
    monkeypatch.chdir(tmp_path)  # a page that writes a file writes it here
    namespace: dict[str, object] = {"__name__": f"docs.uses.{page.stem}"}
    for line, code in code_blocks:
        # Padded so that a traceback names the line of the page itself.
        compiled = compile("\n" * (line - 1) + code, str(page), "exec")
        exec(compiled, namespace)  # noqa: S102 - the docs' own examples


@pytest.mark.parametrize("page", pages(), ids=lambda path: path.stem)
def test_a_refusal_shown_on_a_page_fails_the_page_when_it_stops_happening(page: Path) -> None:
    """A ``try: … except`` example must fail when the call succeeds: it has an ``else:``
    that raises, or its ``try`` body raises after the call. Otherwise the page's
    ``assert`` on the refusal never runs and the example could not fail."""

    for line, code in blocks(page):
        for node in ast.walk(ast.parse(code)):
            if not isinstance(node, ast.Try) or not node.handlers:
                continue
            raises = any(isinstance(child, ast.Raise) for child in node.body)
            assert node.orelse or raises, f"{page.name}:{line + node.lineno - 1}: try without else"
