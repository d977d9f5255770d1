"""What an AK/I import reports: the counts and every bad row with its line and column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from attrs import field, frozen

from siapkerja_core.frames import Column, Table


@frozen
class BadRow:
    """A row that was not imported: its physical ``line`` in the file (header = 1).

    ``code`` is the error's stable full code (``nik.region``, ``phone.too_short``,
    ``profile.village``, ``bulk.empty`` …); ``column`` the CSV column at fault
    when known.
    """

    line: int
    code: str
    message_id: str
    message_en: str
    column: str | None = None

    def message(self, lang: str = "id") -> str:
        """The message in ``lang`` (``"id"`` or ``"en"``)."""
        return self.message_en if lang.lower().startswith("en") else self.message_id


def _bad_rows(value: Iterable[BadRow]) -> tuple[BadRow, ...]:
    return tuple(value)


@frozen(kw_only=True)
class ImportReport(Table):
    """The outcome of :func:`import_akl`.

    ``created``: new accounts; ``updated``: existing accounts whose profile
    changed; ``unchanged``: existing accounts with nothing to change (a
    re-run reports every good row here); ``bad_rows``: rows not imported,
    in file order. Its table (a notebook's display, :meth:`to_frame`) is the
    bad rows, one a line; :meth:`to_dict` has the counts too.
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("line", "int"),
        Column("code"),
        Column("column"),
        Column("message_id"),
        Column("message_en"),
    )
    TABLE_CAPTION: ClassVar[str | None] = "Baris yang ditolak / rows not imported"

    created: int
    updated: int
    unchanged: int
    bad_rows: tuple[BadRow, ...] = field(converter=_bad_rows)

    @property
    def good(self) -> int:
        """Rows imported (created, updated or unchanged)."""
        return self.created + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        """True when no row was bad."""
        return not self.bad_rows

    def rows(self) -> list[dict[str, Any]]:
        """One dict a bad row: ``line``, ``code``, ``column``, ``message_id``, ``message_en``."""
        return [
            {
                "line": bad.line,
                "code": bad.code,
                "column": bad.column,
                "message_id": bad.message_id,
                "message_en": bad.message_en,
            }
            for bad in self.bad_rows
        ]

    def to_dict(self) -> dict[str, Any]:
        """The counts and the bad rows, JSON-ready."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bad_rows": self.rows(),
        }

    def _repr_html_(self) -> str:
        counts = (
            f"<p>created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"bad rows {len(self.bad_rows)}</p>"
        )
        return counts + super()._repr_html_()
