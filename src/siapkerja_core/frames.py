"""Tabular results in a notebook: rows, a pandas DataFrame, an HTML table.

This module owns the one way a result made of rows — the access ledger
(:class:`~siapkerja_core.records.AccessLedger`), a class's attendance
(:class:`~siapkerja_core.classes.AttendanceReport`), a bulk report — becomes
what an analyst works with. Such a result subclasses :class:`Table`, says
which :class:`Column` s it has and gives its rows; :class:`Table` then adds

* ``to_frame()``: a :class:`pandas.DataFrame` with typed columns (times as
  ``datetime64[ns, UTC]``, counts as nullable ``Int64``, text as ``string``),
  the same columns in the same order even when there is no row;
* ``_repr_html_()``: the rows as an HTML table, which Jupyter shows.

pandas is not a dependency of the library (``pip install pandas``, or the
``notebook`` extra): it is imported only when a frame is asked for, and its
absence is a :class:`~siapkerja_core.errors.ConfigurationError`
(``config.missing_extra``) that names the command to run. Nothing here
reads or writes a file.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, Final, Literal

from siapkerja_core.errors import ConfigurationError

__all__ = [
    "Column",
    "Kind",
    "Table",
    "html_table",
    "import_pandas",
    "json_ready",
    "plain",
    "to_frame",
]

Kind = Literal["str", "int", "float", "bool", "datetime", "date", "list", "object"]
"""What a column holds; it decides the column's pandas dtype."""

# Nullable pandas dtypes: a missing value stays <NA> and the column keeps its type.
_DTYPES: Final[Mapping[str, str]] = {
    "str": "string",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
    "datetime": "datetime64[ns, UTC]",
    "date": "datetime64[ns]",
    "list": "object",
    "object": "object",  # kept as Python objects (a 64-bit card reference overflows Int64)
}

HTML_ROW_LIMIT: Final = 50
"""Rows an HTML table shows before it says how many more there are (the frame has all)."""


class Column:
    """One column of a :class:`Table`: its ``name`` (the row key) and ``kind``."""

    __slots__ = ("kind", "name")

    def __init__(self, name: str, kind: Kind = "str") -> None:
        if kind not in _DTYPES:
            raise ValueError(f"unknown column kind {kind!r}")
        self.name = name
        self.kind: Kind = kind

    def __repr__(self) -> str:
        return f"Column({self.name!r}, {self.kind!r})"


def import_pandas(feature: str = "to_frame()") -> Any:
    """The ``pandas`` module, imported now.

    :raises ConfigurationError: ``config.missing_extra`` when pandas is not installed,
        naming ``pip install pandas``.
    """
    try:
        import pandas
    except ImportError as exc:
        raise ConfigurationError(
            "missing_extra",
            what_id=f"{feature} siapkerja",
            what_en=f"siapkerja's {feature}",
            extra="notebook",
            module=exc.name or "pandas",
        ) from exc
    return pandas


def plain(value: object) -> object:
    """``value`` as a plain Python scalar: an enum's value, a tuple as a list, else unchanged."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def to_frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> Any:
    """A :class:`pandas.DataFrame` of ``rows`` with ``columns`` typed by their kind.

    :raises ConfigurationError: ``config.missing_extra`` without pandas.
    """
    pandas = import_pandas()
    rows = list(rows)
    data: dict[str, Any] = {}
    for column in columns:
        values = [plain(row.get(column.name)) for row in rows]
        dtype = _DTYPES[column.kind]
        if column.kind == "datetime":
            # utc=True: aware times become UTC; the cast fixes the unit (pandas 3 picks µs).
            series = pandas.Series(pandas.to_datetime(values, utc=True)).astype(dtype)
        elif column.kind == "date":
            series = pandas.Series(pandas.to_datetime(values)).astype(dtype)
        else:
            series = pandas.Series(values, dtype=dtype)
        data[column.name] = series
    return pandas.DataFrame(data, columns=[c.name for c in columns])


def _cell(value: object) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def html_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    caption: str | None = None,
    limit: int = HTML_ROW_LIMIT,
) -> str:
    """``rows`` as an HTML ``<table>`` (every cell escaped), at most ``limit`` rows shown."""
    out = ['<table class="siapkerja-table">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>")
    out.extend(f"<th>{html.escape(c.name)}</th>" for c in columns)
    out.append("</tr></thead><tbody>")
    for row in rows[:limit]:
        out.append("<tr>")
        out.extend(f"<td>{html.escape(_cell(row.get(c.name)))}</td>" for c in columns)
        out.append("</tr>")
    out.append("</tbody></table>")
    if len(rows) > limit:
        out.append(f"<p>… {len(rows) - limit} more rows: to_frame() has them all.</p>")
    return "".join(out)


class Table:
    """A result made of rows: ``to_frame()`` and the notebook's HTML table.

    A subclass sets ``COLUMNS`` and implements :meth:`rows` (one dict a row,
    keyed by the column names) and :meth:`to_dict` (its JSON-ready data).
    """

    __slots__ = ()

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    TABLE_CAPTION: ClassVar[str | None] = None

    def rows(self) -> list[dict[str, Any]]:
        """One dict a row, keyed by the names in ``COLUMNS``."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (plain dicts, lists, strings and numbers)."""
        raise NotImplementedError

    def to_frame(self) -> Any:
        """The rows as a :class:`pandas.DataFrame` (``COLUMNS`` in order, typed).

        :raises ConfigurationError: ``config.missing_extra`` without pandas
            (``pip install pandas``).
        """
        return to_frame(self.rows(), self.COLUMNS)

    def _repr_html_(self) -> str:
        return html_table(self.rows(), self.COLUMNS, caption=self.TABLE_CAPTION)


def json_ready(value: object) -> object:
    """``value`` with times as ISO 8601 text, enums as values and tuples as lists."""
    value = plain(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    return value
