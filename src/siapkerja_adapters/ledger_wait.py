"""Answering a scan once its ledger entry is committed, without a thread waiting for it.

A scan (``svc.resolve``) appends the holder's ledger entry and returns once it
is committed: on a web server each scan then holds a worker thread through
the commit. This module owns the other way, for the web binding's scan page:
the caller sets :data:`DEFERRED_LEDGER` to a :class:`Deferral` around its
``resolve`` call; a storage that supports it (the ``sql`` storage) queues the
entry and returns at once, and calls ``Deferral.notify`` when the commit that
holds it is done. The caller must not answer before that: the durability of
an answered scan is unchanged (``tests/integration/test_scan_crash.py``).
A storage that does not support it ignores the variable and commits as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Final

__all__ = ["DEFERRED_LEDGER", "Deferral"]


class Deferral:
    """Where a storage reports the commit of a ledger entry it queued (``used`` once it did).

    :param notify: called once, in the storage's committer thread, with ``None``
        when the entry is committed or the error that failed its commit.
    :param later: runs a call after the work ready now (an event loop's
        ``call_soon``): the storage starts a commit through it, so the entries of
        the requests the loop is serving at this moment share that commit.
    """

    __slots__ = ("later", "notify", "used")

    def __init__(
        self,
        notify: Callable[[BaseException | None], None],
        later: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        self.notify = notify
        self.later = later
        self.used = False


DEFERRED_LEDGER: Final[ContextVar[Deferral | None]] = ContextVar(
    "siapkerja_deferred_ledger", default=None
)
"""Set around a ``resolve`` whose caller waits for the ledger's commit itself."""
