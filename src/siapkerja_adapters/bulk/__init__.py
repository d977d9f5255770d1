"""Bulk operations: residents into the offline registry, AK/I registers, cards for everyone.

This package owns the bulk API behind ``siapkerja bulk …`` (the CLI is
:mod:`siapkerja_adapters.cli.bulk`):

* :func:`load_residents` — a resident CSV into the ``offline`` Dukcapil
  registry, every row or nothing (:func:`~siapkerja_adapters.dukcapil_offline.read_residents`);
* :func:`import_akl` — accounts and profiles from an AK/I-style CSV (the
  *kartu kuning* register a Disnaker keeps, ``docs/bulk.md`` has the columns):
  bad rows are reported with their line numbers and the import goes on, good
  rows are kept ``IMPORT_BATCH_SIZE`` to a transaction (one multi-row write,
  ``COPY`` on PostgreSQL: :mod:`~siapkerja_adapters.bulk.batch`), and running
  the same file again — after an interruption too — changes nothing already
  committed;
* :func:`issue_all_cards` — a card for every complete profile, through the
  facade's batched :meth:`~siapkerja_core.service.Siapkerja.issue_cards`
  (``batch_size`` cards per transaction, never one per card).

Progress is reported through a plain callback (``progress(n)``, ``n`` units
done since the last call), so this module needs neither rich nor Typer; the
CLI turns the calls into a progress bar.
"""

from siapkerja_adapters.bulk.akl_cells import AKL_COLUMNS, REQUIRED_COLUMNS
from siapkerja_adapters.bulk.akl_import import IMPORT_BATCH_SIZE, import_akl
from siapkerja_adapters.bulk.errors import BulkDataError, OfflineRegistryRequired
from siapkerja_adapters.bulk.jobs import (
    Progress,
    count_accounts,
    count_lines,
    issue_all_cards,
    load_residents,
)
from siapkerja_adapters.bulk.report import BadRow, ImportReport

__all__ = [
    "AKL_COLUMNS",
    "IMPORT_BATCH_SIZE",
    "REQUIRED_COLUMNS",
    "BadRow",
    "BulkDataError",
    "ImportReport",
    "OfflineRegistryRequired",
    "Progress",
    "count_accounts",
    "count_lines",
    "import_akl",
    "issue_all_cards",
    "load_residents",
]
