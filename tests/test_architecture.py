"""The dependency rule of DESIGN.md §1, read from the source with ``ast``.

* The core (``siapkerja_core``) imports only the standard library and the pure
  libraries of its own ``dependencies`` in ``pyproject.toml`` — never
  ``siapkerja_adapters``, a database driver, an HTTP client or a web framework.
* The domain modules (values and policy: ``nik``, ``profile``, ``tokens``,
  ``disclosure`` …) import no service module and no wire module: they are
  what the services and the wire formats are made of, not the other way round.
* The adapters use no private (``_name``) core name: what they need from the
  core is public API, so the core may change its insides freely.
* The test modules take their shared helpers (manual clock, live server,
  helpers of another directory) from ``tests/support``, never a copy.

Every import is counted, including those inside functions and under
``TYPE_CHECKING``: a lazy import is still a dependency. Modules are matched by
their first name below the package, so the rules hold when a module becomes a
package (``siapkerja_core/profile.py`` → ``siapkerja_core/profile/…``).

The checkers are plain functions over source text, and the second half of
this file feeds each one a synthetic offending import to show it can fail.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
CORE, ADAPTERS = "siapkerja_core", "siapkerja_adapters"

# The import names of the core's pure dependencies, by distribution name in
# pyproject's [project].dependencies (checked below to stay in step with it).
PURE_CORE_DEPENDENCIES = {
    "attrs": "attrs",
    "cattrs": "cattrs",
    "pluggy": "pluggy",
    # The metadata-only build of phonenumbers: the same import name (docs/install.md).
    "phonenumberslite": "phonenumbers",
    "email-validator": "email_validator",
    "argon2-cffi": "argon2",
    "itsdangerous": "itsdangerous",
    "cryptography": "cryptography",
    "segno": "segno",
    "pyotp": "pyotp",
}
# Declared in the core's dependencies but not pure: none since issue 17 (the
# default storage's SQLAlchemy, Alembic and orjson moved to the `storage` extra,
# so the base install is the pure core alone). The core must never import them.
IMPURE_CORE_DEPENDENCIES: set[str] = set()
# Never in the core, whatever pyproject says.
FORBIDDEN_IN_CORE = {
    "sqlalchemy",
    "alembic",
    "httpx",
    "starlette",
    "redis",
    "psycopg",
    "fastapi",
    "pydantic",
    ADAPTERS,
}
# Optional extras the core may use only lazily (inside a function or under
# TYPE_CHECKING), so that importing the core never needs them.
LAZY_CORE_EXTRAS = {
    "PIL": "card",  # Card.to_png draws with Pillow (the `card` extra)
    "fpdf": "pdf",  # AkiDocument.to_pdf draws with fpdf2 (the `pdf` extra)
    "pandas": "notebook",  # to_frame() (siapkerja_core.frames; the `notebook` extra)
}

# The domain modules (values and policy), by their first name below siapkerja_core.
DOMAIN_MODULES = {
    "nik",
    "aki",
    "regions",
    "names",
    "contact",
    "passwords",
    "siapkerja_id",
    "profile",
    "tokens",
    "disclosure",
    "completeness",
    "events",
    "errors",
}
SERVICE_MODULES = {"services", "service", "journey", "cards"}
WIRE_MODULES = {"converter"}

# Today's known offenders, as (importing module, imported module) pairs: none (the
# disclosure views stopped using the converter when the core split landed).
DOMAIN_ALLOWED: set[tuple[str, str]] = set()
# Adapters reaching a private core name, as (adapter module, "core.module:_name"): none today.
PRIVATE_ALLOWED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    """One imported module (``target``) of ``module``, with the names taken from it."""

    module: str
    target: str
    names: tuple[str, ...]
    line: int
    lazy: bool  # inside a function or under ``if TYPE_CHECKING``

    def where(self) -> str:
        return f"{self.module}:{self.line}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in ``source`` (the text of ``module``), relative ones made absolute."""
    found: list[Import] = []
    package = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, (), node.lineno, lazy) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, target, names, node.lineno, lazy))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, True)
            for statement in node.orelse:
                visit(statement, lazy)
        else:
            inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for child in ast.iter_child_nodes(node):
                visit(child, inner)

    visit(ast.parse(source), False)
    return found


def modules_referenced(imp: Import) -> Iterator[str]:
    """The modules an import may load: the target, and ``target.name`` for each name taken."""
    yield imp.target
    for name in imp.names:
        yield f"{imp.target}.{name}"


def _within(name: str, prefixes: Iterable[str]) -> str | None:
    """The first of ``prefixes`` that ``name`` is, or lies under (``a.b`` lies under ``a``)."""
    for prefix in prefixes:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def core_dependency_violations(
    imports: Iterable[Import], allowed: Iterable[str] = PURE_CORE_DEPENDENCIES.values()
) -> list[str]:
    """Core imports outside the standard library, the core and its pure dependencies."""
    pure = set(allowed) - FORBIDDEN_IN_CORE
    problems = []
    for imp in imports:
        top = imp.target.split(".")[0]
        if top == CORE or top == "__future__" or top in sys.stdlib_module_names:
            continue
        if top in pure:
            continue
        if top in LAZY_CORE_EXTRAS and imp.lazy:
            continue
        problems.append(f"{imp.where()} imports {imp.target}")
    return problems


def domain_violations(
    imports: Iterable[Import], allowed: set[tuple[str, str]] = DOMAIN_ALLOWED
) -> list[str]:
    """Domain modules importing a service module or a wire module."""
    services = [f"{CORE}.{name}" for name in sorted(SERVICE_MODULES | WIRE_MODULES)]
    domain = [f"{CORE}.{name}" for name in sorted(DOMAIN_MODULES)]
    problems = []
    for imp in imports:
        if _within(imp.module, domain) is None:
            continue
        hits = {_within(referenced, services) for referenced in modules_referenced(imp)}
        problems.extend(
            f"{imp.where()} (a domain module) imports {hit}"
            for hit in sorted(hit for hit in hits if hit is not None)
            if (imp.module, hit) not in allowed
        )
    return problems


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_name_violations(
    imports: Iterable[Import], allowed: set[tuple[str, str]] = PRIVATE_ALLOWED
) -> list[str]:
    """Adapter imports of a private core module or of a private name of the core."""
    problems = []
    for imp in imports:
        if _within(imp.module, [ADAPTERS]) is None or _within(imp.target, [CORE]) is None:
            continue
        if any(_private(part) for part in imp.target.split(".")):
            used = [f"{imp.target}:"] if not imp.names else [f"{imp.target}:{n}" for n in imp.names]
        else:
            used = [f"{imp.target}:{name}" for name in imp.names if _private(name)]
        problems.extend(
            f"{imp.where()} uses the private {name}"
            for name in used
            if (imp.module, name) not in allowed
        )
    return problems


def source_modules(package: str) -> Iterator[tuple[str, Path, bool]]:
    """(dotted name, path, is a package) of every module of ``package`` under src/."""
    for path in sorted((SRC / package).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        yield ".".join(parts[:-1] if is_package else parts), path, is_package


def imports_of_package(package: str) -> list[Import]:
    return [
        imp
        for module, path, is_package in source_modules(package)
        for imp in imports_of(path.read_text(encoding="utf-8"), module, is_package=is_package)
    ]


# --------------------------------------------------------------------------
# The rules, on the source tree
# --------------------------------------------------------------------------


def test_the_source_tree_is_found() -> None:
    # Guards every rule below: an empty scan would pass them all.
    assert len(list(source_modules(CORE))) > 10
    assert len(list(source_modules(ADAPTERS))) > 10


def test_the_pure_allow_list_is_the_core_dependencies_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = set()
    for requirement in project["dependencies"]:
        name = requirement.split(";")[0].split("[")[0]
        for separator in "<>=!~ ":
            name = name.split(separator)[0]
        declared.add(name.strip().lower())
    assert declared == set(PURE_CORE_DEPENDENCIES) | IMPURE_CORE_DEPENDENCIES
    assert not set(PURE_CORE_DEPENDENCIES.values()) & FORBIDDEN_IN_CORE


def test_the_core_imports_only_the_standard_library_and_pure_libraries() -> None:
    assert core_dependency_violations(imports_of_package(CORE)) == []


def test_the_core_never_imports_the_adapters() -> None:
    offenders = [
        imp.where()
        for imp in imports_of_package(CORE)
        if any(_within(name, [ADAPTERS]) for name in modules_referenced(imp))
    ]
    assert offenders == []


def test_domain_modules_import_no_service_and_no_wire_module() -> None:
    assert domain_violations(imports_of_package(CORE)) == []


def test_adapters_use_no_private_core_name() -> None:
    assert private_name_violations(imports_of_package(ADAPTERS)) == []


# --------------------------------------------------------------------------
# Each checker fails on an offending import
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy",
        "from httpx import Client",
        "from starlette.requests import Request",
        "import redis.asyncio",
        "from siapkerja_adapters import connect",
        "def draw():\n    import fastapi",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pydantic import BaseModel",
        "import PIL",  # an optional extra, imported at module level
    ],
)
def test_the_core_rule_catches_an_impure_import(source: str) -> None:
    imports = imports_of(source, f"{CORE}.profile.values")
    assert core_dependency_violations(imports) != []
    # Even when pyproject would list it: the forbidden set wins.
    assert core_dependency_violations(imports, [*PURE_CORE_DEPENDENCIES.values(), "sqlalchemy"])


@pytest.mark.parametrize(
    "source",
    [
        "import json\nfrom attrs import frozen\nimport pyotp",
        "from siapkerja_core.errors import SiapkerjaError\nfrom . import regions",
        "def png():\n    from PIL import Image",
    ],
)
def test_the_core_rule_lets_the_standard_library_and_pure_libraries_pass(source: str) -> None:
    assert core_dependency_violations(imports_of(source, f"{CORE}.card")) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (f"{CORE}.nik", "from siapkerja_core.journey import Journey"),
        (f"{CORE}.profile.sections", "from siapkerja_core.services.profiles import update"),
        (f"{CORE}.tokens.keyring", "from siapkerja_core import service"),
        (f"{CORE}.tokens", "from ..converter import converter"),
        (f"{CORE}.events", "import siapkerja_core.cards"),
        (f"{CORE}.completeness", "def f():\n    from siapkerja_core.converter import x"),
    ],
)
def test_the_domain_rule_catches_a_service_or_wire_import(module: str, source: str) -> None:
    imports = imports_of(source, module, is_package=module.endswith(".tokens"))
    assert domain_violations(imports) != []


def test_the_domain_rule_leaves_services_and_allowed_offenders_alone() -> None:
    service = imports_of("from siapkerja_core.converter import x", f"{CORE}.services.scanning")
    assert domain_violations(service) == []
    known = imports_of("from siapkerja_core.converter import x", f"{CORE}.disclosure")
    offender = {(f"{CORE}.disclosure", f"{CORE}.converter")}
    assert domain_violations(known, allowed=offender) == []
    assert domain_violations(known) != []  # the allow-list is empty today


@pytest.mark.parametrize(
    "source",
    [
        "from siapkerja_core.cards import _scan_view",
        "from siapkerja_core._fastinit import fast_init",
        "import siapkerja_core._fastinit",
        "from siapkerja_core import _fastinit",
        "from siapkerja_core.tokens._keys import Keyring",
    ],
)
def test_the_private_rule_catches_a_private_core_name(source: str) -> None:
    imports = imports_of(source, f"{ADAPTERS}.web.pages")
    assert private_name_violations(imports) != []


def test_the_private_rule_allows_public_names_dunders_and_the_adapters_own() -> None:
    source = (
        "from siapkerja_core import __version__, parse_nik\n"
        "from siapkerja_adapters.dukcapil_http import _integer\n"
        "from siapkerja_core.tokens import Keyring"
    )
    assert private_name_violations(imports_of(source, f"{ADAPTERS}.sms_http")) == []


def test_relative_imports_are_made_absolute() -> None:
    [one, two] = imports_of("from . import a\nfrom ..b import c", "pkg.sub.mod")
    assert (one.target, one.names) == ("pkg.sub", ("a",))
    assert (two.target, two.names) == ("pkg.b", ("c",))
    [three] = imports_of("from .x import y", "pkg.sub", is_package=True)
    assert three.target == "pkg.sub.x"


# --------------------------------------------------------------------------
# The test suites share one copy of each helper (tests/support)
# --------------------------------------------------------------------------

TESTS = ROOT / "tests"


def helper_copies(source: str, where: str) -> list[str]:
    """What in a test module should come from ``tests/support`` instead."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            # sys.path.append(...) / sys.path.insert(...): reaching another directory's helpers
            inner = node.value
            if (
                isinstance(inner.value, ast.Name)
                and (inner.value.id, inner.attr) == ("sys", "path")
                and node.attr in {"append", "insert", "extend"}
            ):
                problems.append(f"{where}:{node.lineno} changes sys.path")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "uvicorn"
            and node.attr in {"Server", "Config"}
        ):
            problems.append(f"{where}:{node.lineno} starts its own uvicorn server")
        if isinstance(node, ast.ClassDef):
            methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
            if {"now", "advance"} <= methods:
                problems.append(f"{where}:{node.lineno} defines its own manual clock")
    return problems


def test_test_modules_use_the_shared_helpers() -> None:
    problems = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.is_relative_to(TESTS / "support") or path == Path(__file__):
            continue
        problems += helper_copies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nsys.path.append('tests/integration')",
        "import sys\nsys.path.insert(0, 'x')",
        "import uvicorn\nserver = uvicorn.Server(uvicorn.Config(app))",
        "class Clock:\n    def now(self): ...\n    def advance(self, **kw): ...",
    ],
)
def test_a_helper_copy_is_caught(source: str) -> None:
    assert helper_copies(source, "tests/unit/test_x.py") != []
