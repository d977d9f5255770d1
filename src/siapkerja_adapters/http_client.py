"""The HTTP plumbing the gateway adapters share (Dukcapil's ``http`` registry, the ``http`` SMS).

This module owns: importing httpx on demand (the optional ``siapkerja[http]``
extra) and building the default client; classifying one attempt's failure
(:class:`AttemptFailed`: a timeout, a lost connection, a 5xx, a body that is
not JSON) with the server's ``Retry-After``; and :class:`RetryPolicy`, the
bounded retries around an attempt.

Retries are stamina's (``docs/dependencies.md``): exponential backoff from
``backoff`` seconds, doubling, capped at ``max_backoff``, plus a random
jitter of up to ``jitter`` seconds so many workers that failed together do
not retry together. A ``Retry-After`` from the server replaces the computed
wait when it is at most ``max_retry_after`` seconds; a longer one ends the
retries at once (the caller fails fast instead of holding a request open, and
the server is not asked again before it said). Tests make the waits vanish
with ``stamina.set_testing(True)``.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any, TypeVar

from siapkerja_adapters.extras import require_extra, require_for_setting
from siapkerja_core.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AttemptFailed",
    "RetryPolicy",
    "decode_json",
    "import_httpx",
    "make_client",
    "post",
    "retry_after",
    "server_error",
    "tls_verify_setting",
]

T = TypeVar("T")


class AttemptFailed(Exception):
    """One failed attempt: ``reason`` (``timeout``, ``connection:…``, ``http_503``,
    ``malformed``…), whether another attempt may help, and the server's ``Retry-After``.

    The message is the reason only: never a URL, a header or a body.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


def import_httpx(adapter: str, *, command: bool = False) -> Any:
    """The httpx module, or :class:`~siapkerja_adapters.extras.MissingExtra` when it is missing.

    The ``http`` extra brings httpx and stamina; both are imported only when a
    gateway adapter is built, so the package imports (and starts) without them.
    ``adapter`` is the setting that chose the ``http`` adapter (``sms``,
    ``dukcapil``), or with ``command`` the command that needs the extra: the
    error names it and ``pip install 'siapkerja[http]'``, in both languages.
    """
    if command:
        httpx, _stamina = require_extra(
            "http",
            "httpx",
            "stamina",
            what_id=f"Perintah {adapter}",
            what_en=f"The {adapter} command",
        )
    else:
        httpx, _stamina = require_for_setting(
            "http", "httpx", "stamina", setting=adapter, value="http"
        )
    return httpx


def tls_verify_setting(settings: Settings, key: str) -> bool | str:
    """TLS verification from ``key``: ``true`` (default), ``false`` (a self-signed gateway on a
    VPN) or the path of a CA bundle."""
    text = settings.get_str(key, "true")
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    return text  # a CA bundle path


def make_client(adapter: str, *, timeout: float, verify: bool | str) -> httpx.Client:
    """The default client: ``timeout`` seconds for connecting and for one reply; TLS ``verify``."""
    httpx_module = import_httpx(adapter)
    client: httpx.Client = httpx_module.Client(timeout=httpx_module.Timeout(timeout), verify=verify)
    return client


def post(
    client: httpx.Client,
    url: str,
    *,
    json: object,
    headers: Mapping[str, str] | None = None,
    retry_lost_connection: bool,
) -> httpx.Response:
    """One ``POST``; a timeout (retryable) or a lost connection becomes :class:`AttemptFailed`.

    :param retry_lost_connection: whether a reset or refused connection may be
        retried — safe only when the server deduplicates (an idempotency key).
    """
    import httpx

    try:
        return client.post(url, json=json, headers=None if headers is None else dict(headers))
    except httpx.TimeoutException:
        raise AttemptFailed("timeout", retryable=True) from None
    except httpx.TransportError as error:
        raise AttemptFailed(
            f"connection:{type(error).__name__}", retryable=retry_lost_connection
        ) from None


def retry_after(response: httpx.Response, *, now: Callable[[], float] = time.time) -> float | None:
    """The ``Retry-After`` header in seconds from now (delay-seconds or an HTTP date), if any."""
    text = response.headers.get("Retry-After")
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None  # unreadable: the computed backoff applies
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = moment.timestamp() - now()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def server_error(response: httpx.Response) -> AttemptFailed | None:
    """A 5xx as a retryable failure carrying its ``Retry-After``; ``None`` for any other status."""
    status = response.status_code
    if status < 500:
        return None
    return AttemptFailed(f"http_{status}", retryable=True, retry_after=retry_after(response))


def decode_json(response: httpx.Response) -> Any:
    """The reply's JSON document; a body that is not JSON is ``malformed`` (not retried)."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise AttemptFailed("malformed", retryable=False) from None


class RetryPolicy:
    """Bounded retries of an attempt with stamina (see the module docstring).

    :param retries: extra attempts after a retryable failure (0 = none).
    :param backoff: seconds before the first retry; doubled for each next one.
    :param max_backoff: the longest computed wait between two attempts.
    :param jitter: up to this many random seconds added to each computed wait.
    :param max_retry_after: the longest ``Retry-After`` waited for; a longer
        one ends the retries.
    """

    __slots__ = ("backoff", "jitter", "max_backoff", "max_retry_after", "retries")

    def __init__(
        self,
        *,
        retries: int = 2,
        backoff: float = 0.2,
        max_backoff: float = 2.0,
        jitter: float = 0.1,
        max_retry_after: float = 5.0,
    ) -> None:
        if isinstance(retries, bool) or retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries!r}")
        if min(backoff, max_backoff, jitter, max_retry_after) < 0:
            raise ValueError("backoff, max_backoff, jitter and max_retry_after must be >= 0")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.jitter = jitter
        self.max_retry_after = max_retry_after

    def _decide(self, error: Exception) -> bool | float:
        """stamina's ``on=`` hook: retry or not, and the server's wait when it gave one."""
        if not isinstance(error, AttemptFailed) or not error.retryable:
            return False
        if error.retry_after is None:
            return True  # the computed, jittered backoff
        if error.retry_after > self.max_retry_after:
            return False
        return error.retry_after

    def call(self, attempt: Callable[[], T], *, retries: int | None = None) -> T:
        """``attempt()`` until it returns, fails for good, or the retries are spent.

        :param retries: this call's extra attempts instead of the policy's.

        :raises AttemptFailed: the last failure (a non-retryable one at once).
        """
        import stamina  # the http extra, checked by import_httpx when the adapter was built

        for retrying in stamina.retry_context(
            on=self._decide,
            attempts=(self.retries if retries is None else retries) + 1,
            timeout=None,  # bounded by the attempts; each attempt by the client's timeout
            wait_initial=self.backoff,
            wait_max=self.max_backoff,
            wait_jitter=self.jitter,
            wait_exp_base=2,
        ):
            with retrying:
                return attempt()
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(retries={self.retries}, backoff={self.backoff},"
            f" max_backoff={self.max_backoff}, jitter={self.jitter})"
        )
