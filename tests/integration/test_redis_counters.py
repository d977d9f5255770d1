"""The ``redis`` rate-limit adapter against a real Redis server.

Redis is looked for at ``$SIAPKERJA_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``). Without it these tests skip, saying why —
unless ``SIAPKERJA_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which makes a
missing Redis a failure. Every test writes under its own random key prefix
and deletes it afterwards, so runs sharing a server do not meet.

:func:`support.services.redis_test_counters` makes the counters for these
tests and for the ``redis`` entry of the counters contract; the skip-or-fail
rule is :func:`support.services.unavailable`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.memory import MemoryCounters
from siapkerja_adapters.redis_counters import (
    DEFAULT_PREFIX,
    CountersUnavailable,
    RedisCounters,
    redis_counters_from_settings,
)
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.plugins import AdapterRegistration
from siapkerja_core.settings import Settings, resolve_settings
from support import people
from support.services import (
    purge_prefix,
    redis_client,
    redis_url,
    require_redis,
)

redis = pytest.importorskip("redis", reason="the redis adapter needs siapkerja[redis] (redis-py)")

REDIS_URL = redis_url()
UNREACHABLE_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def counters() -> Iterator[RedisCounters]:
    require_redis()
    client = redis_client()
    made = RedisCounters(client, prefix=f"siapkerja-test:{uuid.uuid4().hex}:counter:")
    yield made
    purge_prefix(client, made.prefix)


def keys_of(counters: RedisCounters) -> set[str]:
    client = redis_client()
    try:
        return {k.decode() for k in client.scan_iter(match=counters.prefix + "*")}
    finally:
        client.close()


# --- behaviour ---------------------------------------------------------------------------------


def test_agrees_with_the_memory_adapter(counters) -> None:
    memory = MemoryCounters()
    for minutes in (0, 1, 14, 15, 16, 29, 31, 40, 45, 46, 90):
        now = NOW + timedelta(minutes=minutes)
        for _ in range(2):
            assert counters.hit("x", limit=3, window=timedelta(minutes=15), now=now) == memory.hit(
                "x", limit=3, window=timedelta(minutes=15), now=now
            )
        counters.release("x", window=timedelta(minutes=15), now=now)
        memory.release("x", window=timedelta(minutes=15), now=now)


def test_one_hash_per_key_that_expires_with_its_window(counters) -> None:
    counters.hit("abc", limit=5, window=HOUR, now=NOW)
    key = f"{counters.prefix}{{abc}}"
    assert keys_of(counters) == {key}
    client = redis_client()
    try:
        assert 0 < client.pttl(key) <= 3_600_000
        stored = {k.decode(): v.decode() for k, v in client.hgetall(key).items()}
        assert stored == {"s": str(int(NOW.timestamp() * 1000)), "c": "1"}
    finally:
        client.close()
    counters.clear("abc")
    assert keys_of(counters) == set()


def test_keys_with_glob_and_brace_characters(counters) -> None:
    for key in ("a*b", "x?y", "{tag}", "[z]", "sp ace"):
        assert counters.hit(key, limit=1, window=HOUR, now=NOW).allowed
        assert not counters.hit(key, limit=1, window=HOUR, now=NOW).allowed
        counters.clear(key)
        assert counters.hit(key, limit=1, window=HOUR, now=NOW).allowed


def test_hits_are_atomic_across_clients(counters) -> None:
    # Eight "workers", each with its own connection, as web workers would have.
    workers = [RedisCounters(redis_client(), prefix=counters.prefix) for _ in range(8)]
    barrier = threading.Barrier(len(workers))
    seen: list[int] = []

    def bump(worker: RedisCounters) -> None:
        barrier.wait()
        for _ in range(100):
            hit = worker.hit("shared", limit=500, window=DAY, now=NOW)
            if hit.allowed:
                seen.append(hit.count)

    threads = [threading.Thread(target=bump, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for worker in workers:
        worker.close()
    assert sorted(seen) == list(range(1, 501))  # every slot handed out exactly once


def test_hits_are_atomic_across_processes(counters) -> None:
    script = (
        "import sys\n"
        "from datetime import datetime, timedelta\n"
        "import redis\n"
        "from siapkerja_adapters.redis_counters import RedisCounters\n"
        "c = RedisCounters(redis.Redis.from_url(sys.argv[1]), prefix=sys.argv[2])\n"
        "now = datetime.fromisoformat(sys.argv[3])\n"
        "for _ in range(200): c.hit('proc', limit=300, window=timedelta(days=1), now=now)\n"
        "c.close()\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-c", script, REDIS_URL, counters.prefix, NOW.isoformat()]
    processes = [subprocess.Popen(args, env=env) for _ in range(2)]
    assert [p.wait(timeout=30) for p in processes] == [0, 0]
    refused = counters.hit("proc", limit=300, window=DAY, now=NOW)
    assert (refused.allowed, refused.count) == (False, 300)


# --- faults: fail closed -----------------------------------------------------------------------


def unreachable() -> RedisCounters:
    return redis_counters_from_settings(
        resolve_settings("memory", kwargs={"redis_url": UNREACHABLE_URL, "redis_timeout": 0.2})
    )


def test_an_unreachable_server_raises_counters_unavailable() -> None:
    counters = unreachable()
    try:
        for call in (
            lambda: counters.hit("k", limit=5, window=HOUR, now=NOW),
            lambda: counters.release("k", window=HOUR, now=NOW),
            lambda: counters.clear("k"),
            counters.ping,
        ):
            with pytest.raises(CountersUnavailable) as caught:
                call()
            assert caught.value.full_code == "ratelimit.unavailable"
            assert isinstance(caught.value, SiapkerjaError)
    finally:
        counters.close()
    error = CountersUnavailable("unavailable")
    assert "tidak tersedia" in error.message_id
    assert "refused" in error.message_en


class UnreachableRedis:
    @hookimpl
    def siapkerja_adapters(self) -> Iterator[AdapterRegistration]:
        yield AdapterRegistration(kind="ratelimit", name="itest_redis_down", factory=_down)


def _down(_settings: Settings) -> RedisCounters:
    return unreachable()


def test_the_journey_fails_closed_when_the_counters_are_down() -> None:
    svc = connect(
        "memory",
        environ={},
        load_entrypoints=False,
        plugins=[UnreachableRedis()],
        hasher=PasswordHasher.fast_for_tests(),
        ratelimit="itest_redis_down",
    )
    # The attempt cap on Dukcapil look-ups cannot be checked: refused before any call.
    with pytest.raises(CountersUnavailable):
        svc.register(people.NIK, people.NAME, people.MOTHER)
    assert svc.sms.messages == []  # type: ignore[attr-defined]
    svc.counters.close()  # type: ignore[attr-defined]


class RedisAdapter:
    @hookimpl
    def siapkerja_adapters(self) -> Iterator[AdapterRegistration]:
        yield AdapterRegistration(
            kind="ratelimit", name="itest_redis", factory=redis_counters_from_settings
        )


def test_a_registration_journey_counts_in_redis() -> None:
    require_redis()
    prefix = f"siapkerja-test:{uuid.uuid4().hex}:counter:"
    svc = connect(
        "memory",
        environ={},
        load_entrypoints=False,
        plugins=[RedisAdapter()],
        hasher=PasswordHasher.fast_for_tests(),
        ratelimit="itest_redis",
        redis_url=REDIS_URL,
        redis_prefix=prefix,
    )
    counters = svc.counters
    assert isinstance(counters, RedisCounters)
    try:
        registration = svc.register(people.NIK, people.NAME, people.MOTHER)
        svc.submit_contact(
            registration.id,
            email="galih@example.com",
            phone="081234567890",
            password="Kuda-Lari-7x!",
        )
        message = svc.sms.last_to("+6281234567890")  # type: ignore[attr-defined]
        assert message is not None
        assert keys_of(counters), "the journey's caps are counted in Redis"
        assert all(key.startswith(prefix) for key in keys_of(counters))
    finally:
        purge_prefix(redis_client(), prefix)
        counters.close()


# --- settings -----------------------------------------------------------------------------------


def test_the_factory_defaults() -> None:
    counters = redis_counters_from_settings(resolve_settings("memory"))
    try:
        assert counters.prefix == DEFAULT_PREFIX
        kwargs = counters._client.connection_pool.connection_kwargs
        assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6379, 0)
        assert kwargs["socket_timeout"] == 0.5
    finally:
        counters.close()


def test_the_factory_with_a_real_server() -> None:
    require_redis()
    prefix = f"siapkerja-test:{uuid.uuid4().hex}:"
    counters = redis_counters_from_settings(
        resolve_settings("memory", kwargs={"redis_url": REDIS_URL, "redis_prefix": prefix})
    )
    try:
        counters.ping()
        assert counters.hit("k", limit=5, window=HOUR, now=NOW).count == 1
    finally:
        purge_prefix(counters._client, prefix)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("redis_url", "127.0.0.1:6379"),
        ("redis_url", "http://127.0.0.1:6379"),
        ("redis_timeout", "0"),
        ("redis_timeout", "fast"),
        ("redis_retries", "-1"),
    ],
)
def test_the_factory_rejects_bad_settings(key, value) -> None:
    with pytest.raises(ConfigurationError) as caught:
        redis_counters_from_settings(resolve_settings("memory", kwargs={key: value}))
    assert caught.value.params["name"] == key


@pytest.mark.parametrize(
    "kwargs",
    [
        {"redis_url": "redis://:S3cret-pw@127.0.0.1:1/0"},
        {"redis_url": UNREACHABLE_URL, "redis_password": "S3cret-pw"},
    ],
)
def test_the_password_stays_out_of_errors_and_reprs(kwargs) -> None:
    settings = resolve_settings("memory", kwargs={**kwargs, "redis_timeout": 0.2})
    if "redis_password" in kwargs:
        assert "S3cret-pw" not in repr(settings)
    counters = redis_counters_from_settings(settings)
    try:
        assert "S3cret-pw" not in repr(counters)
        with pytest.raises(CountersUnavailable) as caught:
            counters.hit("k", limit=5, window=HOUR, now=NOW)
        assert "S3cret-pw" not in str(caught.value) + repr(caught.value.params)
    finally:
        counters.close()
