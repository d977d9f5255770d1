"""The ``redis`` rate-limit adapter: counters shared by every web worker.

This module owns :class:`RedisCounters` (the
:class:`~siapkerja_core.ports.Counters` port on a Redis server), its typed
error :class:`CountersUnavailable` and the factory the built-in plug-in
registers (:func:`redis_counters_from_settings`). Redis is the optional extra
``siapkerja[redis]`` (redis-py); nothing here imports it until a client is
built, so the package imports without it.

Layout (see ``docs/redis.md``): one Redis string per (key, window length,
window index) — ``siapkerja:counter:{<key>}:<window ms>:<window index>`` —
created by ``INCR`` and given a time-to-live of one window length in the
same Lua script, so the count and its expiry are one atomic step across
processes; a Redis set ``siapkerja:counter:{<key>}`` lists a key's live
windows so that :meth:`RedisCounters.clear` deletes them all without
scanning the keyspace. The braces are a Redis Cluster hash tag: every
Redis key of one counter lives in the same slot.

**Fail closed.** When Redis cannot be reached every method raises
:class:`CountersUnavailable` (``ratelimit.unavailable``) and nothing is
counted. The journey does not catch it, so the request that needed the
counter is refused: a limiter that cannot count must not let unlimited SMS
or password guesses through.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.settings import Settings

if TYPE_CHECKING:
    import redis

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_REDIS_URL",
    "CountersUnavailable",
    "RedisCounters",
    "redis_counters_from_settings",
]

logger = logging.getLogger("siapkerja.ratelimit")

DEFAULT_PREFIX: Final = "siapkerja:counter:"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
_DEFAULT_TIMEOUT: Final = 0.5
_DEFAULT_RETRIES: Final = 1

# KEYS[1]: the window's counter; KEYS[2]: the set of the key's windows. ARGV[1]: TTL in ms.
# A new window also drops windows that have expired from the set, so the set
# stays as small as the number of live windows.
_INCREMENT: Final = """
local n = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    if redis.call('EXISTS', member) == 0 then
      redis.call('SREM', KEYS[2], member)
    end
  end
  redis.call('SADD', KEYS[2], KEYS[1])
end
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return n
"""

# KEYS[1]: the set of the key's windows.
_CLEAR: Final = """
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('DEL', member)
end
return redis.call('DEL', KEYS[1])
"""


class CountersUnavailable(SiapkerjaError):
    """The rate-limit store cannot be reached; nothing was counted and the request is refused.

    Raised by :class:`RedisCounters` on any Redis failure (connection refused
    or lost, timeout, a server error). The journey fails closed on it.
    """

    __slots__ = ()
    domain = "ratelimit"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


def _window_ms(window: timedelta) -> int:
    ms = round(window.total_seconds() * 1000)
    if ms <= 0:
        raise ValueError(f"window must be positive, got {window!r}")
    return ms


def _window_index(window: timedelta, now: datetime) -> int:
    # The same arithmetic as MemoryCounters: windows start at multiples of `window` since the epoch.
    return int(now.timestamp() // window.total_seconds())


class RedisCounters:
    """Fixed-window counters in Redis (the ``redis`` ``ratelimit`` adapter).

    Atomic across threads, processes and hosts sharing the server: each
    increment is one Lua script (``INCR`` + ``PEXPIRE`` + index update). A
    window's counter expires one window length after its first count, so it
    always outlives its window whatever the callers' clocks say; counts of a
    finished window read 0 because its index differs, not because of the TTL.

    :param client: a ``redis.Redis`` client (``decode_responses`` either way).
    :param prefix: the start of every Redis key (default ``siapkerja:counter:``);
        tests and several deployments sharing one server use their own.
    :raises CountersUnavailable: from every method when Redis fails.
    """

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        from redis.exceptions import RedisError

        if not prefix:
            raise ValueError("prefix must not be empty")
        self._client = client
        self._prefix = prefix
        self._errors: tuple[type[Exception], ...] = (RedisError, OSError)
        self._increment = client.register_script(_INCREMENT)
        self._clear = client.register_script(_CLEAR)

    @property
    def prefix(self) -> str:
        """The start of every Redis key this adapter writes."""
        return self._prefix

    def _index_key(self, key: str) -> str:
        return f"{self._prefix}{{{key}}}"

    def _window_key(self, key: str, window: timedelta, now: datetime) -> str:
        return f"{self._index_key(key)}:{_window_ms(window)}:{_window_index(window, now)}"

    def _unavailable(self, operation: str, error: Exception) -> CountersUnavailable:
        # The key is an HMAC chosen by the core: safe to log, but it says nothing useful.
        logger.error("redis counters: %s failed (%s)", operation, type(error).__name__)
        return CountersUnavailable("unavailable", adapter="redis", reason=type(error).__name__)

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Add one to ``key`` in the window containing ``now``; return the new count."""
        counter = self._window_key(key, window, now)
        try:
            result: Any = self._increment(
                keys=[counter, self._index_key(key)], args=[_window_ms(window)]
            )
        except self._errors as error:
            raise self._unavailable("increment", error) from None
        return int(result)

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        """The count of ``key`` in the window containing ``now`` (0 if none)."""
        counter = self._window_key(key, window, now)
        try:
            result: Any = self._client.get(counter)
        except self._errors as error:
            raise self._unavailable("count", error) from None
        return 0 if result is None else int(result)

    def clear(self, key: str) -> None:
        """Forget ``key`` in every window."""
        try:
            self._clear(keys=[self._index_key(key)])
        except self._errors as error:
            raise self._unavailable("clear", error) from None

    def ping(self) -> None:
        """Check the server answers (a readiness probe).

        :raises CountersUnavailable: when it does not.
        """
        try:
            self._client.ping()
        except self._errors as error:
            raise self._unavailable("ping", error) from None

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisCounters(prefix={self._prefix!r})"


def redis_counters_from_settings(settings: Settings) -> RedisCounters:
    """Factory for the ``redis`` ``ratelimit`` adapter.

    Settings: ``redis_url`` (default ``redis://127.0.0.1:6379/0``; ``rediss://``
    for TLS); ``redis_password`` (keep the password here rather than in the
    URL: settings hide keys named like secrets in their repr, not URLs);
    ``redis_prefix`` (default ``siapkerja:counter:``); ``redis_timeout``
    (seconds for connecting and for each command, default 0.5);
    ``redis_retries`` (retries of a failed command, default 1). The client
    connects lazily: an unreachable server shows at the first count, as
    :class:`CountersUnavailable`.

    :raises ConfigurationError: ``config.invalid`` for a malformed setting, or
        when redis-py is not installed (``pip install 'siapkerja[redis]'``).
    """
    try:
        import redis
        from redis.backoff import ExponentialWithJitterBackoff
        from redis.retry import Retry
    except ImportError:
        raise ConfigurationError(
            "invalid",
            name="ratelimit",
            reason="the redis adapter needs redis-py: pip install 'siapkerja[redis]'",
        ) from None

    url = settings.get_str("redis_url", DEFAULT_REDIS_URL)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            "invalid",
            name="redis_url",
            reason="expected a URL such as 'redis://127.0.0.1:6379/0'",
        )
    prefix = settings.get("redis_prefix") or DEFAULT_PREFIX  # as given: blanks may be meant
    timeout = settings.get_float("redis_timeout", _DEFAULT_TIMEOUT, above=0.0)
    retries = settings.get_int("redis_retries", _DEFAULT_RETRIES, minimum=0)
    password = settings.get("redis_password") or None
    try:
        client = redis.Redis.from_url(
            url,
            **({"password": password} if password else {}),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # redis-py's own default retries ten times with backoff: an outage
            # would stall every request for seconds before failing closed.
            retry=Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), retries),
        )
    except ValueError:
        # The message may quote the URL, password included: say what is wrong, not what it was.
        raise ConfigurationError(
            "invalid", name="redis_url", reason="not a valid Redis URL"
        ) from None
    return RedisCounters(client, prefix=prefix)
