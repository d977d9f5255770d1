"""The web pages' language: which one a visitor sees, and the words in it.

The words themselves live in the gettext catalogues
(:mod:`siapkerja_core.translations`, keys such as ``login.submit``), so a
deployer rewords a label or adds a language without code (the
``locale_dirs`` setting). This module owns the web binding's side of that:

* :func:`read_language` — which catalogue language a tag (``?lang=en``, a
  session value) names, or ``None`` when it names none;
* :func:`select_language` — Indonesian unless the visitor chose another
  language with ``?lang=…``, a choice kept in the session;
* :class:`Translator` — what templates call as ``t("login.submit")``, and
  the languages the layout's switch offers.

The registration screens use the brief's exact wording (*Nomor Induk
Kependudukan (No. KTP)*, *Berikutnya*, *Daftar Sekarang*, *Konfirmasi* …).
Error messages are read from each error with ``error.message(lang)``.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from siapkerja_core import translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_SESSION_KEY",
    "Translator",
    "read_language",
    "select_language",
]

DEFAULT_LANGUAGE: Final = translations.DEFAULT_LANGUAGE
_SESSION_KEY: Final = "lang"
LANGUAGE_SESSION_KEY: Final = _SESSION_KEY
"""The session key of the language a visitor chose (``?lang=``)."""


def read_language(tag: object) -> str | None:
    """The catalogue language a tag names (``"en"``, ``"EN-us"``, ``" id"``), or ``None``.

    The web binding's one rule for reading a language tag, used by
    :func:`select_language` and :class:`Translator`: the core's rule
    (:func:`siapkerja_core.translations.language`), except that a tag naming
    no language with a catalogue gives ``None`` rather than Indonesian, so
    that ``?lang=fr`` leaves the visitor's kept choice alone.
    """
    if not isinstance(tag, str) or not tag.strip():
        return None
    lang = translations.language(tag)  # Indonesian also for a tag it does not know
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return lang if lang == primary else None


def select_language(request: Request) -> str:
    """The page language: ``?lang=<tag>`` (kept in the session), else the session's.

    Indonesian by default: the service is Indonesian first. Any language
    the catalogues hold can be chosen, a deployer's too (``?lang=jv``).
    """
    query: bytes = request.scope.get("query_string", b"")
    # Parsed only when it may name a language (``%`` for an encoded name): most
    # requests carry no ``lang``, and parsing was a tenth of a kept page.
    named = b"lang" in query or b"%" in query
    chosen = read_language(request.query_params.get("lang")) if named else None
    session = request.scope.get("session")
    if chosen is not None:
        if isinstance(session, dict) and session.get(_SESSION_KEY) != chosen:
            session[_SESSION_KEY] = chosen
        return chosen
    if isinstance(session, dict):
        return read_language(session.get(_SESSION_KEY)) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


_KNOWN: dict[tuple[int, str], tuple[translations.Catalogues, dict[str, str]]] = {}


def _known_texts(catalogues: translations.Catalogues, lang: str) -> dict[str, str]:
    """The templates already looked up in ``lang`` in these catalogues, by key.

    A page's ~25 texts are then a dict lookup each rather than a walk of the
    gettext fallback chain. Keyed by the catalogues object itself (checked by
    identity): catalogues switched in (``translations.use_directories``) start
    empty.
    """
    entry = _KNOWN.get((id(catalogues), lang))
    if entry is None or entry[0] is not catalogues:
        entry = _KNOWN[(id(catalogues), lang)] = (catalogues, {})
    return entry[1]


class Translator:
    """The catalogues in one language: ``t("register.step", n=1)``.

    An unknown key raises :class:`KeyError` — a typo in a template fails its
    test instead of showing a key to a visitor.
    """

    def __init__(self, lang: str) -> None:
        self.lang = read_language(lang) or DEFAULT_LANGUAGE
        self._catalogues = translations.catalogues()
        self._template = self._catalogues.lookup(self.lang)  # a page asks ~200 times
        self._known = _known_texts(self._catalogues, self.lang)

    def __call__(self, key: str, /, **params: object) -> str:
        template = self._known.get(key)
        if template is None:
            template = self._template(key)
            if template == key:
                raise KeyError(key)
            self._known[key] = template
        return template.format(**params) if params else template

    @property
    def other(self) -> str:
        """The language the switch offers first: English, or Indonesian on an English page."""
        return "id" if self.lang == "en" else "en"

    @property
    def more(self) -> tuple[str, ...]:
        """The further languages the switch offers: those a deployer added (``jv``, …)."""
        return tuple(
            lang for lang in self._catalogues.languages if lang not in (self.lang, self.other)
        )

    def name_of(self, lang: str) -> str:
        """A language's name in itself (``language.name`` of its catalogue), else its tag."""
        name = self._catalogues.template("language.name", lang)
        if name == "language.name" or (
            lang != DEFAULT_LANGUAGE
            and name == self._catalogues.template("language.name", DEFAULT_LANGUAGE)
        ):
            return lang  # the catalogue does not name its language: the tag is clearer
        return name
