"""PostgreSQL and Redis for the tests, and the one rule when they are missing.

The rule: a test that needs a service it cannot reach is skipped, saying why
and how to provide it — unless ``SIAPKERJA_REQUIRE_SERVICES=1`` (set by
``.ci/run``), which makes it fail instead, so CI cannot pass by skipping.

PostgreSQL is found at ``$SIAPKERJA_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), Redis at
``$SIAPKERJA_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).
"""

from __future__ import annotations

import functools
import os
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from siapkerja_adapters.sql import testing

if TYPE_CHECKING:
    from siapkerja_adapters.redis_counters import RedisCounters

REDIS_URL_ENV = "SIAPKERJA_TEST_REDIS_URL"


def unavailable(problem: str, *, remedy: str) -> NoReturn:
    """Skip the running test because of ``problem`` — or fail it when services are required."""
    if testing.services_required():
        pytest.fail(f"{problem} (required: {testing.REQUIRE_SERVICES_ENV}=1)")
    pytest.skip(f"{problem}; {remedy} ({testing.REQUIRE_SERVICES_ENV}=1 makes this a failure)")


def postgres_url() -> str:
    """The URL of a reachable PostgreSQL (skips, or fails in CI, when there is none)."""
    url = testing.postgres_test_url()
    problem = testing.postgres_unavailable(url)
    if problem is not None:
        unavailable(problem, remedy=f"start PostgreSQL or set {testing.POSTGRES_URL_ENV}")
    return url


def redis_url() -> str:
    """The Redis URL the tests use (reachable or not: see :func:`require_redis`)."""
    from siapkerja_adapters.redis_counters import DEFAULT_REDIS_URL

    return os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL


@functools.cache
def _redis_problem(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used (``None``: it can). Probed once per process."""
    try:
        import redis
    except ImportError:
        return "redis-py is not installed (pip install 'siapkerja[redis]')"
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return f"Redis is not reachable at {url}: {type(error).__name__}: {error}"
    finally:
        client.close()
    return None


def require_redis() -> str:
    """The URL of a reachable Redis (skips, or fails in CI, when there is none)."""
    url = redis_url()
    problem = _redis_problem(url)
    if problem is not None:
        unavailable(problem, remedy=f"start redis-server or set {REDIS_URL_ENV}")
    return url


def purge_prefix(client: Any, prefix: str) -> None:
    """Delete every key under ``prefix``, then close ``client`` (a ``redis.Redis``)."""
    try:
        keys = list(client.scan_iter(match=prefix.replace("*", r"\*") + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def redis_client() -> Any:
    """A client of the test Redis (``redis.Redis``), with the tests' timeouts."""
    import redis

    return redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)


def redis_test_counters(cleanups: list[Callable[[], None]] | None = None) -> RedisCounters:
    """Counters under a fresh random prefix, for one test; skips (or fails) without Redis.

    The prefix is purged by a callable appended to ``cleanups`` (the caller
    runs it after the test), or else when the counters are garbage-collected.
    """
    from siapkerja_adapters.redis_counters import RedisCounters

    require_redis()
    client = redis_client()
    counters = RedisCounters(client, prefix=f"siapkerja-test:{uuid.uuid4().hex}:counter:")
    if cleanups is not None:
        cleanups.append(functools.partial(purge_prefix, client, counters.prefix))
    else:
        weakref.finalize(counters, purge_prefix, client, counters.prefix)
    return counters
