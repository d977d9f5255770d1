"""Races on the counters port from several processes (the contract's process test).

A *recipe* names a shared counters store so that a child process can open its
own connection to it: ``("sql", url, schema)`` or ``("redis", url, prefix)``.
Children are started with the ``spawn`` method (no inherited connection
pools or locks) and all hit the same key after one barrier.
"""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from typing import Any

Recipe = tuple[str, str, str | None]


def open_counters(recipe: Recipe) -> Any:
    """The counters a recipe names, opened afresh in this process."""
    kind, url, extra = recipe
    if kind == "sql":
        from siapkerja_adapters.sql import KeyMaterial, SqlStorage

        options: dict[str, Any] = {} if extra is None else {"schema": extra}
        storage = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, **options)
        return storage.counters
    if kind == "redis":
        import redis

        from siapkerja_adapters.redis_counters import RedisCounters

        assert extra is not None
        return RedisCounters(redis.Redis.from_url(url), prefix=extra)
    raise ValueError(kind)


def _child(
    recipe: Recipe, key: str, limit: int, hits: int, now: str, barrier: Any, results: Any
) -> None:
    counters = open_counters(recipe)
    at = datetime.fromisoformat(now)
    counters.hit("warm-up", limit=1, window=timedelta(seconds=1), now=at)  # connect first
    barrier.wait(timeout=60)
    allowed = 0
    for _ in range(hits):
        hit = counters.hit(key, limit=limit, window=timedelta(minutes=15), now=at)
        allowed += hit.allowed
    results.put(allowed)


def allowed_across_processes(
    recipe: Recipe, key: str, *, limit: int, processes: int, hits: int, now: datetime
) -> list[int]:
    """How many hits each of ``processes`` children (``hits`` each) was allowed."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(
            target=_child, args=(recipe, key, limit, hits, now.isoformat(), barrier, results)
        )
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    counts = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    return counts
