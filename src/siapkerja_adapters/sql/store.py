"""The ``sql`` storage under its first module path, kept for code that imports it from here.

The adapter now lives in one module per concern: :mod:`.storage` (:class:`SqlStorage`),
:mod:`.transaction` (the unit of work), :mod:`.accounts`, :mod:`.cards`, :mod:`.ledger`,
:mod:`.keyring` (the repositories), :mod:`.counters` and :mod:`.base`.
"""

from siapkerja_adapters.sql.base import SchemaNotReady
from siapkerja_adapters.sql.counters import SqlCounters
from siapkerja_adapters.sql.storage import SqlStorage
from siapkerja_adapters.sql.transaction import SqlTransaction

__all__ = ["SchemaNotReady", "SqlCounters", "SqlStorage", "SqlTransaction"]
