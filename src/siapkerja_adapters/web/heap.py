"""A server process's start-up heap, kept out of the garbage collector's full passes.

A web server builds most of what it will ever hold before its first request:
every imported module, the routes, the templates' environment, the region
tables, the service and its adapters — objects that live as long as the
process. CPython's cyclic garbage collector walks all of them on each of its
full passes, and under load it makes one every second or so: a pass over a
freshly built application held the event loop for about a tenth of a second,
so every request in flight waited that long (measured in
``benchmarks/README.md``, ninth round).

:func:`freeze_startup_heap` collects once and then moves everything alive
into the collector's permanent generation (:func:`gc.freeze`, which CPython
offers for this): later passes walk only what was made after it. Objects made
before it are still freed when their last reference goes; only a reference
cycle among them would stay (there is none left at that moment: the
collection just before found them all).

``siapkerja serve`` calls it in every worker once the application is built.
An application that mounts :func:`~siapkerja_adapters.web.create_app` in its
own server may call it the same way once its own start-up is done.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_heap"]


def freeze_startup_heap() -> None:
    """Collect, then keep every object alive now out of the collector's later passes."""
    gc.collect()
    gc.freeze()
