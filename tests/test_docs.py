"""The docs keep up with the code (after Datasette's tests/test_docs.py).

Every hookspec has a section in docs/plugin_hooks.md headed by its signature,
every adapter kind has a section in docs/adapters.md listing its built-in
adapters, and the example plug-in in the docs really works.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from siapkerja_adapters import builtin, connect
from siapkerja_core import hookspecs
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.plugins import ADAPTER_KINDS, PluginHost
from siapkerja_core.settings import PROFILES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def hookspec_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("siapkerja_")
        and getattr(value, f"{hookspecs.PROJECT_NAME}_spec", None) is not None
    )


def sections(path: Path, level: str = "##") -> dict[str, str]:
    """Map each heading of ``level`` to the text under it."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(rf"^{level} (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def documented_hooks() -> dict[str, list[str]]:
    """Hook name -> parameter names, read from the signature headings."""
    hooks: dict[str, list[str]] = {}
    for heading in sections(DOCS / "plugin_hooks.md"):
        match = re.fullmatch(r"`?(siapkerja_\w+)\((.*?)\)(?: -> .+)?`?", heading)
        if match:
            params = [p.split(":")[0].strip() for p in match.group(2).split(",") if p.strip()]
            hooks[match.group(1)] = params
    return hooks


def test_there_are_hookspecs() -> None:
    assert hookspec_names() == [
        "siapkerja_adapters",
        "siapkerja_configure",
        "siapkerja_event",
        "siapkerja_storage_key",
    ]


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_is_documented_with_its_signature(hook) -> None:
    documented = documented_hooks()
    assert hook in documented, f"docs/plugin_hooks.md has no '## {hook}(...)' section"
    spec_params = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert documented[hook] == spec_params


def test_no_documented_hook_is_missing_from_the_specs() -> None:
    assert sorted(documented_hooks()) == hookspec_names()


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hookspec_has_a_docstring_with_return_and_params(hook) -> None:
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec)
    assert doc
    assert ":return:" in doc
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc
    # pytest's order: behaviour, then the return, then the parameters.
    if ":param" in doc:
        assert doc.index(":return:") < doc.index(":param")


@pytest.mark.parametrize("kind", ADAPTER_KINDS)
def test_every_adapter_kind_has_a_section_listing_its_builtin_adapters(kind) -> None:
    documented = sections(DOCS / "adapters.md")
    assert kind in documented, f"docs/adapters.md has no '## {kind}' section"
    host = PluginHost.create(load_entrypoints=False, plugins=[builtin])
    for name in host.known(kind):
        assert re.search(rf"^\| `{name}` \|", documented[kind], flags=re.MULTILINE), (
            f"the built-in {kind} adapter {name!r} is not listed in docs/adapters.md"
        )


def test_adapters_doc_has_no_stale_kind() -> None:
    assert set(sections(DOCS / "adapters.md")) == set(ADAPTER_KINDS)


def test_configuration_doc_names_every_variable_and_profile() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for kind in (*ADAPTER_KINDS, "database_url"):
        assert f"SIAPKERJA_{kind.upper()}" in text
    for variable in ("SIAPKERJA_CONFIG", "SIAPKERJA_PLUGINS"):
        assert variable in text
    for profile in PROFILES:
        assert f"`{profile}`" in text


def test_the_example_plugin_works() -> None:
    text = (DOCS / "plugin_hooks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    source = next(block for block in blocks if "@hookimpl" in block)
    module = types.ModuleType("siapkerja_example")
    exec(compile(source, "docs/plugin_hooks.md", "exec"), module.__dict__)  # noqa: S102

    svc = connect(
        environ={}, load_entrypoints=False, plugins=[module], sms="null", null_sms_confirm="yes"
    )
    receipt = svc.sms.send("+6281234567890", "kode 123456", idempotency_key="a")
    assert svc.sms.send("+6281234567890", "kode 123456", idempotency_key="a") == receipt
    assert "siapkerja_example" in svc.plugins.plugin_names()

    with pytest.raises(ConfigurationError, match="null_sms_confirm"):
        connect(environ={}, load_entrypoints=False, plugins=[module], sms="null")
