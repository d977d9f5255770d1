"""The documentation site stays strict, complete and current.

* **It builds strictly**: ``mkdocs build --strict`` (MkDocs Material,
  mkdocstrings) runs here into a temporary directory and any warning fails —
  CI runs only pytest, so this test is how the build stays strict in CI.
* **The hexagon** of docs/architecture.md names every port protocol of
  ``siapkerja_core.ports`` and every module of ``siapkerja_adapters``, and no
  module that does not exist.
* **No stale promise**: no page (nor the README) says a thing "will follow",
  "comes later", is "not yet" there … unless the thing it promises is listed
  below and truly absent from the code.
* **The API reference is complete**: every public name of both packages is
  rendered from its docstring.
* **The configuration reference** is what ``scripts/config_reference.py``
  writes from the code.
* **docs/operations.md** shows only ``siapkerja`` commands and options that
  exist.

The checkers are plain functions over text; the last block feeds each one a
synthetic offending input to show it can fail.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import itertools
import os
import pkgutil
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SRC = ROOT / "src"
CORE, ADAPTERS = "siapkerja_core", "siapkerja_adapters"


# --- the build ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One strict build of the site for the whole module (it takes half a minute)."""
    out = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        "NO_MKDOCS_2_WARNING": "1",  # Material's banner about MkDocs 2, not a build warning
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result, out


def test_the_docs_build_strictly_without_a_warning(site) -> None:
    result, out = site
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert (out / "index.html").exists()
    assert (out / "getting-started" / "index.html").exists()


def test_the_theme_is_material_with_mermaid() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^theme:\n  name: material$", config, re.MULTILINE)
    assert re.search(r"^strict: true$", config, re.MULTILINE)
    assert "name: mermaid" in config


def test_the_nav_has_the_sections_and_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    sections = re.findall(r"^  - ([^:]+):$", config, re.MULTILINE)
    assert sections[:6] == [
        "Getting started",
        "User guide",
        "Uses",
        "Integration",
        "Operations",
        "Reference",
    ]
    listed = set(re.findall(r"^ +- (?:.+: )?([\w/.-]+\.md)$", config, re.MULTILINE))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages - listed == set(), "pages missing from the nav of mkdocs.yml"


# --- the hexagon ----------------------------------------------------------------------

# The outermost subgraphs of the hexagon and the package their modules live in.
HEXAGON_PACKAGES = {"driving": ADAPTERS, "core": CORE, "driven": ADAPTERS}
_LABEL = re.compile(r'\["(.*?)"\]|\{\{"(.*?)"\}\}')
_MODULE = re.compile(r"(?<![\w/.])((?:[a-z_][a-z0-9_]*/)*[a-z_][a-z0-9_]*(?:\.py|/))")
_PROTOCOL = re.compile(r"\b[A-Z][A-Za-z]+\b")


def hexagon_text() -> str:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## The hexagon\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```mermaid\n(.*?)```", section, re.DOTALL)
    assert block is not None, "docs/architecture.md: no mermaid block under '## The hexagon'"
    return block.group(1)


def read_diagram(diagram: str) -> tuple[list[tuple[str, str]], set[str]]:
    """(package, module path) of each module named, and the names under ``ports``."""
    modules: list[tuple[str, str]] = []
    protocols: set[str] = set()
    stack: list[str] = []
    for raw in diagram.splitlines():
        line = raw.strip()
        opening = re.match(r"subgraph (\w+)", line)
        if line == "end":
            stack.pop()
            continue
        # <br/> breaks a label's lines; it is no module.
        labels = [re.sub(r"<[^>]*>", " ", "".join(groups)) for groups in _LABEL.findall(line)]
        if stack or opening:
            outer = stack[0] if stack else opening.group(1)  # type: ignore[union-attr]
            if outer not in HEXAGON_PACKAGES:
                raise ValueError(f"subgraph {outer!r} is neither of {sorted(HEXAGON_PACKAGES)}")
            for label in labels:
                modules += [(HEXAGON_PACKAGES[outer], m) for m in _MODULE.findall(label)]
                if stack and stack[-1] == "ports" and not opening:
                    protocols.update(_PROTOCOL.findall(label))
        if opening:
            stack.append(opening.group(1))
    return modules, protocols


def missing_from_diagram(diagram: str, adapters: set[str], ports: set[str]) -> list[str]:
    """What the packages hold but the diagram does not name."""
    modules, protocols = read_diagram(diagram)
    named = {path.split("/")[0].removesuffix(".py") for pkg, path in modules if pkg == ADAPTERS}
    return sorted(f"{ADAPTERS}.{m}" for m in adapters - named) + sorted(ports - protocols)


def not_in_packages(diagram: str, src: Path, ports: set[str]) -> list[str]:
    """What the diagram names but the packages do not hold."""
    modules, protocols = read_diagram(diagram)
    wrong = []
    for package, path in modules:
        where = src / package / path
        exists = (where / "__init__.py").is_file() if path.endswith("/") else where.is_file()
        if not exists:
            wrong.append(f"{package}/{path}")
    return wrong + sorted(protocols - ports)


def adapter_modules() -> set[str]:
    import siapkerja_adapters

    return {m.name for m in pkgutil.iter_modules(siapkerja_adapters.__path__)}


def port_protocols() -> set[str]:
    import siapkerja_core.ports

    names = set()
    for info in pkgutil.iter_modules(siapkerja_core.ports.__path__):
        module = importlib.import_module(f"siapkerja_core.ports.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and getattr(value, "_is_protocol", False)
                and value.__module__ == module.__name__
            ):
                names.add(name)
    return names


def test_the_hexagon_names_every_port_and_adapter_module() -> None:
    assert missing_from_diagram(hexagon_text(), adapter_modules(), port_protocols()) == []


def test_the_hexagon_names_nothing_that_does_not_exist() -> None:
    assert not_in_packages(hexagon_text(), SRC, port_protocols()) == []


# --- stale promises -------------------------------------------------------------------

PROMISES = re.compile(
    r"\bwill (?:follow|come|be added|land|arrive)\b"
    r"|\b(?:follows?|comes?) (?:later|soon|next)\b"
    r"|(?<!as )(?<!what )\bfollow(?:s)?[.;]"
    r"|\bcoming (?:soon|later|next)\b"
    r"|\bnot yet (?:implemented|available|supported|written|done|there|wired|shipped)\b"
    r"|\b(?:in|with|for) (?:a|the) (?:later|future|next) (?:release|version|issue)\b"
    r"|\b(?:later|future) releases?\b"
    r"|\bTODO\b|\bTBD\b",
    re.IGNORECASE,
)
# An honest promise: (page, words of its line) -> the dotted name it promises,
# which must NOT exist yet. Once it exists, the promise is stale and this fails.
ALLOWED_PROMISES: dict[tuple[str, str], str] = {}


def prose(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a Markdown page outside its fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield number, line


def promises(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in prose(text) if PROMISES.search(line)]


def exists(dotted: str) -> bool:
    module, _, attribute = dotted.rpartition(".")
    for name, attr in ((dotted, None), (module, attribute)):
        try:
            found = importlib.import_module(name)
        except ImportError:
            continue
        if attr is None or hasattr(found, attr):
            return True
    return False


def doc_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_no_page_promises_what_the_code_already_has() -> None:
    stale = []
    for path in doc_pages():
        page = path.relative_to(ROOT).as_posix()
        for number, line in promises(path.read_text(encoding="utf-8")):
            allowed = [
                name
                for (where, words), name in ALLOWED_PROMISES.items()
                if where == page and words in line
            ]
            if not allowed:
                stale.append(f"{page}:{number}: {line}")
            stale += [
                f"{page}:{number}: {name} exists now: {line}" for name in allowed if exists(name)
            ]
    assert stale == [], "promises of what exists (reword them) or unlisted promises"


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_readme_and_index_link_the_web_pages(page) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    prefix = "docs/" if page == "README.md" else ""
    for target in ("mounting.md", "web.md", "api-http.md", "getting-started.md"):
        assert f"]({prefix}{target})" in text, f"{page} does not link {target}"


def test_adapters_doc_names_sqlite_the_default_storage() -> None:
    from siapkerja_core.settings import PROFILES

    assert PROFILES["default"]["storage"] == "sql"
    text = (DOCS / "adapters.md").read_text(encoding="utf-8")
    row = re.search(r"^\| `sql` \|(.*)$", text, re.MULTILINE)
    assert row is not None
    assert "embedded default" in row.group(1)
    assert "SQLite" in row.group(1)


# --- the API reference ----------------------------------------------------------------


def reference_ids(name: str, package: str) -> set[str]:
    """The anchors mkdocstrings may give the public ``package.name``."""
    module = importlib.import_module(package)
    value = getattr(module, name)
    ids = set()
    if inspect.ismodule(value):
        return {value.__name__}
    lazy = getattr(module, "_LAZY", {})
    ids.add(f"{lazy.get(name, getattr(value, '__module__', package))}.{name}")
    if getattr(value, "__module__", None) and getattr(value, "__qualname__", None):
        ids.add(f"{value.__module__}.{value.__qualname__}")
    return ids


def public_names() -> list[tuple[str, str]]:
    import siapkerja_adapters
    import siapkerja_core

    return [(CORE, n) for n in siapkerja_core.__all__] + [
        (ADAPTERS, n) for n in siapkerja_adapters.__all__
    ]


def test_every_public_name_is_in_the_api_reference(site) -> None:
    result, out = site
    assert result.returncode == 0, result.stderr
    html = (out / "api" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([\w.]+)"', html))
    missing = [
        f"{package}.{name}"
        for package, name in public_names()
        if not reference_ids(name, package) & anchors
    ]
    assert missing == [], "add them (or their module) to docs/api.md, with a docstring"
    for required in (
        "siapkerja_core.errors",
        "siapkerja_core.render.card.Card",
        "siapkerja_core.plugins.AdapterRegistration",
        "siapkerja_adapters.web.create_app",
        "siapkerja_adapters.web.integrations",
    ):
        assert required in anchors, required


# Entries mkdocstrings cannot render, written in docs/api.md with their anchor:
# the dotted name -> the file whose attribute docstring the entry quotes.
HAND_WRITTEN = {"siapkerja_core.hookspecs.hookimpl": "src/siapkerja_core/hookspecs.py"}


def attribute_docstring(path: Path, name: str) -> str:
    """The docstring written under the module attribute ``name`` (PEP 257's convention)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    for node, following in itertools.pairwise(body):
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if (
            isinstance(target, ast.Name)
            and target.id == name
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
        ):
            return str(following.value.value)
    raise LookupError(f"{path}: no docstring under {name}")


@pytest.mark.parametrize("dotted", sorted(HAND_WRITTEN))
def test_a_hand_written_entry_quotes_its_docstring_exactly(dotted) -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    assert f"{{ #{dotted} }}" in text
    doc = attribute_docstring(ROOT / HAND_WRITTEN[dotted], dotted.rpartition(".")[2])
    assert f"> {doc}\n" in text


# --- the configuration reference ------------------------------------------------------


def test_the_configuration_reference_is_what_the_script_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "config_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_configuration_reference_has_every_settings_field() -> None:
    import attrs

    from siapkerja_core.settings import ENV_PREFIX, Settings

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for field in attrs.fields(Settings):
        if field.name not in {"extra", "profile", "sources"}:
            assert f"| `{field.name}` | `{ENV_PREFIX}{field.name.upper()}` |" in text


def test_the_configuration_script_finds_keys_in_the_code(tmp_path, monkeypatch) -> None:
    """A key read in the code shows up with its type, default and bounds."""
    spec = importlib.util.spec_from_file_location(
        "config_reference", ROOT / "scripts" / "config_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    config_reference = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the script runs.
    monkeypatch.setitem(sys.modules, spec.name, config_reference)
    spec.loader.exec_module(config_reference)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "thing.py").write_text(
        'NAME = "thing_retries"\n'
        "def build(settings):\n"
        "    return settings.get_int(NAME, 3, minimum=0, maximum=9)\n",
        encoding="utf-8",
    )
    keys = config_reference.scan(tmp_path)
    assert set(keys) == {"thing_retries"}
    key = keys["thing_retries"]
    assert key.defaults == {"3"}
    assert key.bounds == {"0–9"}
    assert key.modules == {"pkg.thing"}


# --- docs/operations.md ---------------------------------------------------------------

_IN_CODE = re.compile(r"(?:^|&&|;|\$\(|\s)(siapkerja(?: [^\s#;&|)`]+)*)")
_INLINE = re.compile(r"`(siapkerja(?: [^`]+)?)`")


def commands_in(text: str) -> list[list[str]]:
    """Each ``siapkerja …`` command of a page: in its shell blocks and its inline code."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            shell = line.strip().removeprefix("```") in {"sh", "console", "bash", "shell"}
        elif fenced and shell:
            lines += _IN_CODE.findall(line.split(" #", 1)[0].removeprefix("$ "))
        elif not fenced:
            lines += _INLINE.findall(line)
    return [words[1:] for words in map(shlex.split, lines) if words[1:]]


def unknown_commands(commands: list[list[str]]) -> list[str]:
    """The commands (and options) that the ``siapkerja`` command line does not have."""
    import typer

    from siapkerja_adapters.cli import app

    # Typer may bring its own copy of click: read groups by what they do, not their class.
    root = typer.main.get_command(app)
    wrong = []
    for words in commands:
        command, rest = root, list(words)
        while rest and hasattr(command, "get_command") and not rest[0].startswith("-"):
            # The groups load their commands lazily: ask, do not read .commands.
            sub = command.get_command(command.context_class(command), rest[0])
            if sub is None:
                break
            command, rest = sub, rest[1:]
        is_group = hasattr(command, "get_command")
        if command is root or (is_group and rest and not rest[0].startswith("-")):
            wrong.append(" ".join(["siapkerja", *words]))
            continue
        options = {opt for param in command.params for opt in param.opts} | {"--help", "-h"}
        wrong += [
            " ".join(["siapkerja", *words]) + f" ({word.split('=')[0]}?)"
            for word in rest
            if word.startswith("--") and word.split("=")[0] not in options
        ]
    return wrong


def test_operations_page_covers_the_operators_work() -> None:
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for topic in ("PostgreSQL", "Redis", "worker", "outbox", "rotation", "Backups", "keyring"):
        assert topic in text, topic
    for link in ("scaling.md", "storage.md", "tokens.md", "worker.md", "redis.md"):
        assert f"({link}" in text, link
    named = {" ".join(words[:2]) for words in commands_in(text)}
    for command in ("db upgrade", "worker", "keys rotate", "keys retire"):
        assert any(name.startswith(command) for name in named), command


@pytest.mark.parametrize("page", ["operations.md", "getting-started.md"])
def test_every_command_a_page_shows_exists(page) -> None:
    pytest.importorskip("typer")
    commands = commands_in((DOCS / page).read_text(encoding="utf-8"))
    assert unknown_commands(commands) == []


# --- the checkers can fail ------------------------------------------------------------

SYNTHETIC = """flowchart LR
    subgraph driving["siapkerja_adapters: driving"]
        web["web/ and gone.py"]
    end
    subgraph core["siapkerja_core"]
        subgraph ports["ports/"]
            p["Storage · Imaginary"]
        end
    end
"""


def test_a_diagram_missing_a_module_or_port_is_caught() -> None:
    missing = missing_from_diagram(SYNTHETIC, {"web", "sql"}, {"Storage", "Counters"})
    assert missing == [f"{ADAPTERS}.sql", "Counters"]


def test_a_diagram_naming_what_does_not_exist_is_caught() -> None:
    wrong = not_in_packages(SYNTHETIC, SRC, {"Storage"})
    assert wrong == [f"{ADAPTERS}/gone.py", "Imaginary"]


def test_a_diagram_with_an_unknown_outer_subgraph_is_refused() -> None:
    with pytest.raises(ValueError, match="elsewhere"):
        read_diagram('subgraph elsewhere["x"]\n  a["sql/"]\nend\n')


@pytest.mark.parametrize(
    "line",
    [
        "Records live in memory; SQL storage, HTTP adapters and the web binding follow.",
        "The Redis counters will follow in 0.2.",
        "Passkeys are not yet implemented.",
        "PostgreSQL comes later.",
        "Export to CSV in a later release.",
    ],
)
def test_a_promise_is_caught(line) -> None:
    assert promises(f"# Page\n\n{line}\n") == [(3, line)]


@pytest.mark.parametrize(
    "line",
    [
        "The details are as follows: one, two.",
        "Every later sign-in counts.",
        "```",
    ],
)
def test_ordinary_words_are_not_promises(line) -> None:
    assert promises(f"{line}\n") == []


def test_a_promise_in_a_code_block_is_not_prose() -> None:
    assert promises("```sh\n# TODO: later\n```\n") == []


def test_an_unknown_command_is_caught() -> None:
    pytest.importorskip("typer")
    commands = commands_in("Run `siapkerja keys spin` then `siapkerja worker --twice`.")
    assert unknown_commands(commands) == [
        "siapkerja keys spin",
        "siapkerja worker --twice (--twice?)",
    ]
