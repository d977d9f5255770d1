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

A caller on an event loop may go one step further (``Deferral(..., on_loop=True)``,
only with a storage whose ``scans_on_loop`` is true: the ``sql`` storage). The
storage then must not wait for any I/O: when the scan's subject is kept from
an earlier scan, it queues the entry made from it *guarded* — the commit
inserts it only if the card, account and profile rows are still the ones the
subject was kept from — and otherwise raises
:class:`WouldWait` before doing anything. A guarded entry that its commit did
not insert (the rows changed meanwhile) is reported as ``notify(NotLogged())``:
nothing of the scan was written, and the caller resolves it again the usual way.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Final

__all__ = ["DEFERRED_LEDGER", "Deferral", "NotLogged", "WouldWait"]


class WouldWait(Exception):
    """The storage would have to wait for I/O to make the scan: nothing was done; resolve it
    again where waiting is allowed (a worker thread)."""


class NotLogged(Exception):
    """A guarded entry was not inserted: the rows it was made from changed before its commit.

    Nothing of the scan was written; the caller resolves it again the usual way.
    """


class Deferral:
    """Where a storage reports the commit of a ledger entry it queued (``used`` once it did).

    :param notify: called once, in the storage's committer thread, with ``None``
        when the entry is committed or the error that failed its commit.
    :param later: runs a call after the work ready now (an event loop's
        ``call_soon``): the storage starts a commit through it, so the entries of
        the requests the loop is serving at this moment share that commit.
    :param on_loop: the call runs on an event loop: the storage must not wait for I/O
        (it raises :class:`WouldWait` instead) and may queue a guarded entry
        (``notify(NotLogged())`` when its commit did not insert it).
    """

    __slots__ = ("later", "notify", "on_loop", "used")

    def __init__(
        self,
        notify: Callable[[BaseException | None], None],
        later: Callable[[Callable[[], None]], object] | None = None,
        *,
        on_loop: bool = False,
    ) -> None:
        self.notify = notify
        self.later = later
        self.on_loop = on_loop
        self.used = False


DEFERRED_LEDGER: Final[ContextVar[Deferral | None]] = ContextVar(
    "siapkerja_deferred_ledger", default=None
)
"""Set around a ``resolve`` whose caller waits for the ledger's commit itself."""
