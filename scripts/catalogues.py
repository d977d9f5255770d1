"""Compile, check and extract the gettext catalogues (``src/siapkerja_core/locale``).

Usage::

    python scripts/catalogues.py compile   # .po -> .mo (the build does this too)
    python scripts/catalogues.py check     # every key in every language, same placeholders
    python scripts/catalogues.py extract   # the keys the code names literally (Babel)

The ``.po`` files are the source: one per language, message ids are stable
keys (see ``siapkerja_core.translations``). ``compile`` writes the ``.mo``
files beside them; ``hatch_build.py`` calls :func:`compile_catalogues` when a
wheel (or an editable install) is built, so the ``.mo`` files are never
committed. ``extract`` runs Babel's extractor over the Python sources and the
Jinja templates for the calls that name a key literally (``text("…")``,
``t("…")``, ``N_("…")``); ``check`` fails when such a key, or one of the
keys made from error codes, is missing from a catalogue.

Babel is a build and development dependency only: the installed library reads
the compiled catalogues with the standard library's ``gettext``.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "siapkerja_core" / "locale"
DOMAIN = "siapkerja"
KEYWORDS = {"text": None, "t": None, "N_": None, "_": None}


def po_files(locale: Path = LOCALE) -> Iterator[tuple[str, Path]]:
    """``(language, path)`` of every ``.po`` file under ``locale``."""
    for path in sorted(locale.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        yield path.parent.parent.name, path


def read(path: Path) -> dict[str, str]:
    """The ``key -> template`` pairs of one ``.po`` file (header left out)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def compile_catalogues(locale: Path = LOCALE) -> list[Path]:
    """Write the ``.mo`` beside each ``.po``; return the paths written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for _, path in po_files(locale):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        target = path.with_suffix(".mo")
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(target)
    return written


def placeholders(template: str) -> set[str]:
    """The ``str.format`` fields a template uses, a language suffix left out.

    A value the caller holds in both languages comes as ``reason_id`` and
    ``reason_en``: each language's template names its own.
    """
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {re.sub(r"_(id|en)$", "", name) for name in fields}


def extract(root: Path = ROOT) -> set[str]:
    """The keys named literally in the sources and templates (Babel's extractor)."""
    from babel.messages.extract import extract_from_dir

    method_map = [
        ("src/**.py", "python"),
        ("src/**/templates/**.html", "jinja2"),
    ]
    options = {"src/**/templates/**.html": {"extensions": "jinja2.ext.do"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(root), method_map, options_map=options, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else message[0]
        if re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_\-]+)+", key):
            found.add(key)
    return found


def problems(locale: Path = LOCALE, required: set[str] | None = None) -> list[str]:
    """What is wrong with the catalogues: missing keys, differing placeholders."""
    found = dict(po_files(locale))
    if "id" not in found or "en" not in found:
        return [f"{locale}: the Indonesian and English catalogues are required"]
    catalogues = {lang: read(path) for lang, path in found.items()}
    reference = catalogues["id"]
    errors = []
    for lang, entries in catalogues.items():
        errors += [f"{lang}: missing {key}" for key in sorted(set(reference) - set(entries))]
        errors += [f"{lang}: {key} is not in Indonesian" for key in set(entries) - set(reference)]
        for key, template in entries.items():
            if not template:
                errors.append(f"{lang}: {key} is empty")
            elif key in reference and placeholders(template) != placeholders(reference[key]):
                wanted = sorted(placeholders(reference[key]))
                errors.append(f"{lang}: {key} uses {sorted(placeholders(template))}, not {wanted}")
    named = sorted((required or set()) - set(reference))
    errors += [f"id: missing {key} (named in the code)" for key in named]
    return errors


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "compile":
        for path in compile_catalogues():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if command == "extract":
        for key in sorted(extract()):
            print(key)
        return 0
    if command == "check":
        found = problems(required=extract())
        for line in found:
            print(line)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
