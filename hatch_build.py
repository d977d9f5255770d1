"""Build hook: compile the gettext catalogues (``.po`` -> ``.mo``) into the package.

hatchling runs it for every wheel, editable installs included, so a plain
``pip install`` (or ``pip install -e .``) ships the compiled catalogues that
``siapkerja_core.translations`` reads with the standard library. The ``.mo``
files are build products: git ignores them, the wheel carries them as
artifacts. The compiling itself lives in ``scripts/catalogues.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _catalogues_module(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location(
        "siapkerja_catalogues", root / "scripts" / "catalogues.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compile every ``src/siapkerja_core/locale/*/LC_MESSAGES/siapkerja.po``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        module = _catalogues_module(root)
        for path in module.compile_catalogues(root / "src" / "siapkerja_core" / "locale"):
            build_data["artifacts"].append(str(path.relative_to(root)))
