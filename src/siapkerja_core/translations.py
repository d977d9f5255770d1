"""The gettext catalogues that every user-facing text comes from.

Errors, labels, the web pages and the SMS texts are looked up here by a
stable key — ``error.nik.region``, ``label.marital_status.kawin``,
``login.submit`` — in GNU gettext catalogues: ``locale/<lang>/LC_MESSAGES/
siapkerja.po`` in this package, compiled to ``.mo`` when the package is built
(``hatch_build.py``; ``python scripts/catalogues.py compile`` in a checkout).
Keys, not Indonesian sentences, are the message ids so that rewording a text
never breaks a translation or a deployer's override; the values are
``str.format`` templates (``"NIK harus 16 angka, bukan {length}"``).

A deployer changes wording or adds a language without touching code, as
Django's ``LOCALE_PATHS`` allow: put a ``<lang>/LC_MESSAGES/siapkerja.mo``
(only the keys to change) in a directory and name it in the ``locale_dirs``
setting (or call :func:`use_directories`). Those directories are searched
first, then the packaged catalogues; a key a catalogue lacks falls back to
Indonesian, the library's first language.

The language rule lives here too (:func:`language`): the primary subtag of a
tag (``"en-US"`` → ``"en"``) if a catalogue exists for it, else Indonesian.
"""

from __future__ import annotations

import gettext
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "N_",
    "PACKAGED_DIRECTORY",
    "CatalogueMissing",
    "Catalogues",
    "language",
    "languages",
    "text",
    "use_directories",
]

DOMAIN: Final = "siapkerja"
DEFAULT_LANGUAGE: Final = "id"
_MAX_RESOLVED: Final = 256
PACKAGED_DIRECTORY: Final = Path(__file__).with_name("locale")


class CatalogueMissing(RuntimeError):
    """The packaged catalogue of a language was not compiled (a checkout never built)."""


class Catalogues:
    """The catalogues of some directories (searched in order), then the packaged ones.

    Thread-safe and cached: a language's chain of catalogues is read once.
    """

    def __init__(self, directories: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.directories: tuple[Path, ...] = (*(Path(d) for d in directories), PACKAGED_DIRECTORY)
        self._chains: dict[str, gettext.NullTranslations] = {}
        self._lock = threading.Lock()
        self._languages: tuple[str, ...] | None = None
        # Tag -> language, remembered: a page asks for ~200 texts, each naming its language.
        self._resolved: dict[str, str] = {}

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language with a catalogue: Indonesian first, English, then the rest by tag."""
        if self._languages is None:
            found = {
                entry.name
                for directory in self.directories
                if directory.is_dir()
                for entry in directory.iterdir()
                if (entry / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
            }
            found.add(DEFAULT_LANGUAGE)
            order = {DEFAULT_LANGUAGE: 0, "en": 1}
            self._languages = tuple(sorted(found, key=lambda tag: (order.get(tag, 2), tag)))
        return self._languages

    def language(self, tag: str | None) -> str:
        """The catalogue language of a tag (``"en-US"``, ``"id_ID"``); else Indonesian."""
        if not tag:
            return DEFAULT_LANGUAGE
        found = self._resolved.get(tag)
        if found is not None:
            return found
        primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
        found = primary if primary in self.languages else DEFAULT_LANGUAGE
        if len(self._resolved) < _MAX_RESOLVED:  # tags come from requests: bounded
            self._resolved[tag] = found
        return found

    def lookup(self, lang: str | None) -> Callable[[str], str]:
        """``key -> template`` in ``lang`` (with the Indonesian fallback), for many lookups
        in one language: a key no catalogue holds comes back as itself."""
        return self._chain(self.language(lang)).gettext

    def text(self, key: str, lang: str | None = DEFAULT_LANGUAGE, /, **params: object) -> str:
        """The text of ``key`` in ``lang``, formatted with ``params`` (``str.format``).

        A caller holding a value in both languages passes both
        (``reason_id=…, reason_en=…``) and each template names its own; a
        deployer's third language names either.
        A key no catalogue holds comes back as the key itself, so a missing
        translation shows as ``error.nik.region`` rather than failing a page
        (``tests/unit/test_translations.py`` keeps the packaged ones complete).
        """
        template = self._chain(self.language(lang)).gettext(key)
        return template.format(**params) if params else template

    def template(self, key: str, lang: str | None = DEFAULT_LANGUAGE) -> str:
        """The unformatted template of ``key`` in ``lang``."""
        return self._chain(self.language(lang)).gettext(key)

    def find(self, key: str, lang: str | None = DEFAULT_LANGUAGE) -> str | None:
        """The template of ``key`` in ``lang``'s own catalogues only (no Indonesian fallback).

        ``None`` when none of them holds it: for a caller with a text of its
        own to fall back on (a plug-in's error templates) before Indonesian.
        """
        template = self._chain(self.language(lang), fallback=False).gettext(key)
        return None if template == key else template

    def _chain(self, lang: str, *, fallback: bool = True) -> gettext.NullTranslations:
        name = lang if fallback else f"{lang}!"
        chain = self._chains.get(name)
        if chain is not None:
            return chain
        with self._lock:
            chain = self._chains.get(name)
            if chain is None:
                chain = self._build(lang, fallback=fallback)
                self._chains[name] = chain
        return chain

    def _build(self, lang: str, *, fallback: bool) -> gettext.NullTranslations:
        wanted = [lang] if lang == DEFAULT_LANGUAGE or not fallback else [lang, DEFAULT_LANGUAGE]
        links: list[gettext.NullTranslations] = []
        for code in wanted:
            for directory in self.directories:
                path = directory / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
                if path.is_file():
                    with path.open("rb") as handle:
                        links.append(gettext.GNUTranslations(handle))
                elif directory == PACKAGED_DIRECTORY and code in ("id", "en"):
                    raise CatalogueMissing(
                        f"the packaged catalogue {path} is missing: install the package"
                        " (pip install .) or run 'python scripts/catalogues.py compile'"
                    )
        chain = gettext.NullTranslations()
        for link in links:
            chain.add_fallback(link)  # NullTranslations hands every lookup down the chain
        return chain


_lock = threading.Lock()
_active = Catalogues()


def use_directories(directories: Iterable[str | os.PathLike[str]]) -> Catalogues:
    """Search ``directories`` before the packaged catalogues, process-wide (``locale_dirs``)."""
    global _active
    with _lock:
        _active = Catalogues(directories)
    return _active


def catalogues() -> Catalogues:
    """The catalogues in use (the packaged ones unless :func:`use_directories` was called)."""
    return _active


def N_(key: str) -> str:  # noqa: N802 - gettext's conventional name for the marker
    """Mark ``key`` as a catalogue key where it is stored, not yet translated (a table of
    keys): ``scripts/catalogues.py extract`` finds it as it finds ``text("…")``."""
    return key


def text(key: str, lang: str | None = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text of ``key`` in ``lang`` from the catalogues in use (see :class:`Catalogues`)."""
    return _active.text(key, lang, **params)


def language(tag: str | None) -> str:
    """The catalogue language for a tag: its primary subtag if there is a catalogue, else ``id``."""
    return _active.language(tag)


def languages() -> tuple[str, ...]:
    """Every language the catalogues in use cover, Indonesian first."""
    return _active.languages
