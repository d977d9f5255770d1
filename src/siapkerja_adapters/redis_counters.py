"""The ``redis`` rate-limit adapter: counters shared by every web worker.

This module owns :class:`RedisCounters` (the
:class:`~siapkerja_core.ports.Counters` port on a Redis server), its typed
error :class:`CountersUnavailable` and the factory the built-in plug-in
registers (:func:`redis_counters_from_settings`). Redis is the optional extra
``siapkerja[redis]`` (redis-py); nothing here imports it until a client is
built, so the package imports without it.

Layout (see ``docs/redis.md``): one Redis hash per key,
``siapkerja:counter:{<key>}``, with the fields ``s`` (when its window opened,
milliseconds since the epoch) and ``c`` (the slots taken). A Lua script
checks the window and the limit and takes the slot in one atomic step across
processes; the hash expires one window length after its window opened. The
braces are a Redis Cluster hash tag.

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

from siapkerja_adapters.extras import require_for_setting
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.ports import Hit
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

# KEYS[1]: the key's hash. ARGV: now (ms), window (ms), limit. Returns {allowed, count, wait ms}.
_HIT: Final = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local fields = redis.call('HMGET', KEYS[1], 's', 'c')
local start = tonumber(fields[1])
local count = tonumber(fields[2]) or 0
if start == nil or start + window <= now then
  if limit <= 0 then
    return {0, 0, window}
  end
  redis.call('HSET', KEYS[1], 's', ARGV[1], 'c', 1)
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 1, 0}
end
if count < limit then
  return {1, redis.call('HINCRBY', KEYS[1], 'c', 1), 0}
end
return {0, count, start + window - now}
"""

# KEYS[1]: the key's hash. ARGV: now (ms), window (ms).
_RELEASE: Final = """
local fields = redis.call('HMGET', KEYS[1], 's', 'c')
local start = tonumber(fields[1])
local count = tonumber(fields[2]) or 0
if start ~= nil and count > 0 and start + tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'c', -1)
end
return 0
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


def _now_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


class RedisCounters:
    """Rate-limit slots in Redis (the ``redis`` ``ratelimit`` adapter).

    Atomic across threads, processes and hosts sharing the server: each hit
    is one Lua script (read the window, compare with the limit, take the
    slot, set the expiry). A key's hash expires one window length after its
    window opened; a finished window reads as ended because of its start, not
    because of the TTL, so callers' clocks decide, as on the other adapters.

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
        self._hit = client.register_script(_HIT)
        self._release = client.register_script(_RELEASE)

    @property
    def prefix(self) -> str:
        """The start of every Redis key this adapter writes."""
        return self._prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}{{{key}}}"

    def _unavailable(self, operation: str, error: Exception) -> CountersUnavailable:
        # The key is an HMAC chosen by the core: safe to log, but it says nothing useful.
        logger.error("redis counters: %s failed (%s)", operation, type(error).__name__)
        return CountersUnavailable("unavailable", adapter="redis", reason=type(error).__name__)

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` if fewer than ``limit`` are taken in its live window."""
        args = [_now_ms(now), _window_ms(window), limit]
        try:
            result: Any = self._hit(keys=[self._key(key)], args=args)
        except self._errors as error:
            raise self._unavailable("hit", error) from None
        allowed, count, wait = (int(part) for part in result)
        return Hit(bool(allowed), count, timedelta(milliseconds=max(0, wait)))

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window (nothing if it ended or is empty)."""
        try:
            self._release(keys=[self._key(key)], args=[_now_ms(now), _window_ms(window)])
        except self._errors as error:
            raise self._unavailable("release", error) from None

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        try:
            self._client.delete(self._key(key))
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

    :raises ConfigurationError: ``config.invalid`` for a malformed setting;
        ``config.missing_extra`` when redis-py is not installed (``siapkerja[redis]``).
    """
    # redis-py is the `redis` extra: without it, say so and name the setting that chose it.
    (redis,) = require_for_setting("redis", "redis", setting="ratelimit", value="redis")
    from redis.backoff import ExponentialWithJitterBackoff
    from redis.retry import Retry

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
