"""The small bulk jobs: residents into the offline registry, counting for progress bars,
and a card for every complete profile.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from siapkerja_adapters.dukcapil_offline import OfflineRegistry, read_residents
from siapkerja_core.services.issuance import ISSUE_BATCH_SIZE, BulkIssueReport

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja
from siapkerja_adapters.bulk.errors import OfflineRegistryRequired

Progress = Callable[[int], None]
"""A progress callback: called with the number of units done since the last call."""

_RESIDENT_CHUNK: Final = 1000
_COUNT_CHUNK: Final = 1 << 20


def load_residents(
    svc: Siapkerja, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> int:
    """Load a resident CSV into the service's ``offline`` Dukcapil registry; return how many.

    The format is :data:`~siapkerja_adapters.dukcapil_offline.CSV_COLUMNS`
    (``nik,full_name,mother_name,birth_place,birth_date,sex[,active]``). The
    whole file is checked first, so a bad row loads nothing; a NIK already
    held is replaced. ``progress`` receives the number of residents added.

    :raises OfflineRegistryRequired: ``config.offline_only`` for another registry.
    :raises ResidentDataError: ``dukcapil_data.header``, ``row`` (with its line) or ``file``.
    """
    registry = svc.dukcapil
    if not isinstance(registry, OfflineRegistry):
        raise OfflineRegistryRequired("offline_only", name=svc.settings.adapter_name("dukcapil"))
    residents = read_residents(path)
    for start in range(0, len(residents), _RESIDENT_CHUNK):
        chunk = residents[start : start + _RESIDENT_CHUNK]
        for resident in chunk:
            registry.add(resident)
        if progress is not None:
            progress(len(chunk))
    return len(residents)


# --------------------------------------------------------------------------
# Counting (for progress bars)
# --------------------------------------------------------------------------


def count_lines(path: str | os.PathLike[str]) -> int:
    """The number of lines after the first (the header) — a progress bar's total.

    Counted on the bytes, without parsing: a quoted cell spanning lines counts
    each line, as :func:`import_akl`'s ``progress`` does.

    :raises OSError: the file cannot be read.
    """
    lines = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def count_accounts(svc: Siapkerja, *, page: int = 1000) -> int:
    """How many accounts :func:`issue_all_cards` goes through (ids only, paged)."""
    total = 0
    after: str | None = None
    while True:
        with svc.storage.transaction() as tx:
            ids = tx.accounts.ids(after=after, limit=page)
        if not ids:
            return total
        total += len(ids)
        after = ids[-1]


def issue_all_cards(
    svc: Siapkerja, *, batch_size: int = ISSUE_BATCH_SIZE, progress: Progress | None = None
) -> BulkIssueReport:
    """Issue a card to every complete profile without one (``svc.issue_cards``).

    ``batch_size`` cards are written per transaction; accounts that hold a
    card are skipped, so a re-run issues nothing twice. ``progress`` receives
    the number of accounts handled after each batch (total: :func:`count_accounts`).
    On SQLite its units of work run with the storage's bulk settings
    (:func:`bulk_writes`).
    """
    with bulk_writes(svc.storage):
        return svc.issue_cards(batch_size=batch_size, progress=progress)


def bulk_writes(storage: Any) -> contextlib.AbstractContextManager[None]:
    """The SQL storage's settings for the bulk writes this thread makes meanwhile
    (``siapkerja_adapters.sql.cards.bulk_writes``); nothing on another storage."""
    from siapkerja_adapters.sql.storage import SqlStorage

    if not isinstance(storage, SqlStorage):
        return contextlib.nullcontext()
    from siapkerja_adapters.sql.cards import bulk_writes as sql_bulk_writes

    return sql_bulk_writes(storage)
