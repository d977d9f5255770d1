"""What an AK/I import reports: the counts and every bad row with its line and column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from attrs import field, frozen

if TYPE_CHECKING:
    pass


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
class ImportReport:
    """The outcome of :func:`import_akl`.

    ``created``: new accounts; ``updated``: existing accounts whose profile
    changed; ``unchanged``: existing accounts with nothing to change (a
    re-run reports every good row here); ``bad_rows``: rows not imported,
    in file order.
    """

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
