"""The typed errors of the bulk jobs: a registry that is not ``offline``, a bad AK/I cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.i18n import both

if TYPE_CHECKING:
    from siapkerja_adapters.bulk.report import ImportReport


class OfflineRegistryRequired(ConfigurationError):
    """Residents can only be loaded into the ``offline`` Dukcapil registry.

    Code ``config.offline_only`` (a :class:`ConfigurationError`, so callers
    catching configuration problems catch it too).
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "offline_only",
        }
    )


class BulkDataError(SiapkerjaError, ValueError):
    """An AK/I CSV, or one of its rows, cannot be used.

    File-level codes (raised, nothing more is read): ``header`` and ``file``;
    ``report`` (the command line's ``--report`` file cannot be written, or is the
    input itself).
    Row-level codes (recorded as a :class:`BadRow`, the import goes on):
    ``columns``, ``empty``, ``value``, ``nik_number``, ``duplicate``,
    ``photo``, ``csv``, ``open_quote`` and ``line_break`` (these two carry
    ``first`` and ``last``, the lines the row spans). ``column`` names the
    column at fault. Params never carry a value read from the file (personal
    data), only positions and reasons.
    """

    domain = "bulk"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "header",
            "file",
            "report",
            "columns",
            "empty",
            "value",
            "nik_number",
            "duplicate",
            "photo",
            "csv",
            "open_quote",
            "line_break",
        }
    )

    partial: ImportReport | None = None
    """For a ``file`` error raised part-way through an import (a byte that is not
    UTF-8): what the rows before it became — their counts and bad rows, which were
    read and are kept. ``None`` for every other error."""

    @property
    def column(self) -> str | None:
        """The column at fault, when there is one."""
        value = self.params.get("column")
        return None if value is None else str(value)


def in_both(name: str, key: str, **params: object) -> dict[str, str]:
    """``{name}_id`` and ``{name}_en``: the catalogue text ``key`` in both languages.

    A ``bulk.*`` error's templates each name the reason in their own language.
    """
    text_id, text_en = both(key, **params)
    return {f"{name}_id": text_id, f"{name}_en": text_en}


def os_reason(error: OSError, reasons: Mapping[type[OSError], str]) -> dict[str, str]:
    """``reason_id`` and ``reason_en`` of a file operation that failed: the catalogue's
    text for the first of ``reasons`` (an :class:`OSError` subclass → a ``bulk.reason.*``
    key) ``error`` is, else the system's own words, which no catalogue has."""
    for kind, key in reasons.items():
        if isinstance(error, kind):
            return in_both("reason", key)
    reason = error.strerror or type(error).__name__
    return {"reason_id": reason, "reason_en": reason}


def _value_error(column: str, key: str, **params: object) -> BulkDataError:
    """A ``bulk.value`` error: ``column``'s value is refused for the reason ``key``."""
    return BulkDataError("value", column=column, **in_both("reason", key, **params))
