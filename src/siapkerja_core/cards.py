"""The card's results and errors, under the path adapters and older code import.

The use cases moved to the service layer: :mod:`siapkerja_core.services.profiles`,
:mod:`~siapkerja_core.services.issuance`, :mod:`~siapkerja_core.services.keys`,
:mod:`~siapkerja_core.services.scanning` and :mod:`~siapkerja_core.services.consent`.
Events are in :mod:`siapkerja_core.events`, :class:`CardError` in
:mod:`siapkerja_core.errors`. This module re-exports what callers used.
"""

from siapkerja_core.errors import CardError
from siapkerja_core.services.issuance import ISSUE_BATCH_SIZE, BulkIssueReport
from siapkerja_core.services.scanning import CardQr, CheckInReceipt, SyncReport

__all__ = [
    "ISSUE_BATCH_SIZE",
    "BulkIssueReport",
    "CardError",
    "CardQr",
    "CheckInReceipt",
    "SyncReport",
]
