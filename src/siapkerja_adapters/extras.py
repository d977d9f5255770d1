"""The optional extras: what each brings, and the one error for a missing one.

The base install (``pip install siapkerja``) is the pure core; storage, the
web binding, the CLI, the HTTP gateways, Redis and PostgreSQL are extras
(``docs/install.md``). This module owns what happens when code needs an extra
that is not installed: adapters chosen in settings raise
:class:`MissingExtra` (``config.missing_extra``, a
:class:`~siapkerja_core.errors.ConfigurationError`) naming the setting that
asked for it and ``pip install 'siapkerja[<extra>]'``, in Indonesian and
English; the framework helpers raise the :class:`ImportError` of
:func:`missing_extra`, with the same advice.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

from siapkerja_core.errors import ConfigurationError

__all__ = ["EXTRAS", "MissingExtra", "missing_extra", "require_extra", "require_for_setting"]

EXTRAS: Final[dict[str, tuple[str, str]]] = {
    # extra -> what it enables (Indonesian, English)
    "storage": (
        "Penyimpanan bawaan (berkas SQLite atau PostgreSQL lewat SQLAlchemy)",
        "The default storage (a SQLite file or PostgreSQL through SQLAlchemy)",
    ),
    "postgres": ("Penyimpanan PostgreSQL (psycopg)", "PostgreSQL storage (psycopg)"),
    "http": (
        "Adapter HTTP (gateway SMS, layanan Dukcapil)",
        "The HTTP adapters (SMS gateway, Dukcapil web service)",
    ),
    "redis": ("Penghitung Redis", "The Redis counters"),
    "web": ("Antarmuka web", "The web binding"),
    "cli": ("Antarmuka baris perintah", "The command line"),
    "card": ("Gambar kartu (Pillow)", "Card images (Pillow)"),
    "pdf": ("Dokumen AK/I dalam PDF (fpdf2)", "The AK/I document as PDF (fpdf2)"),
    "wsgi": ("Integrasi WSGI (Flask, Django WSGI)", "The WSGI integration (Flask, Django WSGI)"),
    "django": ("Integrasi Django", "The Django integration"),
    "flask": ("Integrasi Flask", "The Flask integration"),
    "notebook": (
        "Tabel pandas dan gambar kartu di notebook",
        "pandas tables and card images in a notebook",
    ),
    "testing": ("Kit kontrak untuk penulis plug-in", "The contract kit for plug-in authors"),
}
"""Each extra the distribution declares (``pyproject.toml``) and what it enables."""


class MissingExtra(ConfigurationError):
    """An adapter or command needs an extra that is not installed.

    Code ``config.missing_extra``; params ``what_id``/``what_en`` (who needs
    it: a setting and its value, or a command), ``extra`` and ``module`` (the
    first module that failed to import). A :class:`ConfigurationError`, so
    callers catching configuration problems catch it too.
    """

    # The code is the core's (ConfigurationError): the core raises it too (pandas).


def require_extra(extra: str, *modules: str, what_id: str, what_en: str) -> list[ModuleType]:
    """Import ``modules`` (all of the extra that the caller needs); each module, in order.

    :raises MissingExtra: naming ``extra`` and the first module that is missing.
    """
    imported = []
    for module in modules:
        try:
            imported.append(importlib.import_module(module))
        except ImportError as error:
            raise MissingExtra(
                "missing_extra",
                what_id=what_id,
                what_en=what_en,
                extra=extra,
                module=error.name or module,
            ) from None
    return imported


def require_for_setting(extra: str, *modules: str, setting: str, value: str) -> list[ModuleType]:
    """:func:`require_extra` for the adapter that ``setting = value`` chose (``sms = 'http'``)."""
    return require_extra(
        extra,
        *modules,
        what_id=f"Pengaturan {setting} = {value!r}",
        what_en=f"The setting {setting} = {value!r}",
    )


def missing_extra(extra: str, error: ImportError) -> ImportError:
    """The :class:`ImportError` raised when a helper's package is missing.

    It names ``pip install 'siapkerja[<extra>]'`` in Indonesian and English,
    and the module that failed to import.
    """
    what_id, what_en = EXTRAS.get(extra, (f"Integrasi {extra}", f"The {extra} integration"))
    module = error.name or "?"
    return ImportError(
        f"{what_id} siapkerja memerlukan paket tambahan: pip install 'siapkerja[{extra}]'"
        f" [{module} tidak terpasang]. / {what_en} of siapkerja needs its extra:"
        f" pip install 'siapkerja[{extra}]' [{module} is not installed].",
        name=error.name,
    )
