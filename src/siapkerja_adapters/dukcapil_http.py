"""The ``http`` population registry: Dukcapil's ``CALL_VERIFY_BY_ELEMEN`` over HTTP.

This module owns :class:`HttpRegistry` (the
:class:`~siapkerja_core.ports.PopulationRegistry` port on httpx; its
:class:`~siapkerja_adapters.circuit_breaker.CircuitBreaker` is re-exported
here), the parsing of Dukcapil's replies (:func:`parse_reply`) and the factory
the built-in plug-in registers (:func:`http_registry_from_settings`). httpx is the optional extra
``siapkerja[http]``; it is imported when a registry is built, so the package
imports without it.

The wire shape follows public client code (research/domain.md §2.2; see
``docs/http-adapters.md``): a JSON ``POST`` to
``{base_url}/dukcapil/get_json/{customer_id}/CALL_VERIFY_BY_ELEMEN`` with
``NIK``, ``NAMA_LGKP``, ``NAMA_LGKP_IBU``, ``TRESHOLD`` (sic) and the
credentials ``USER_ID``, ``PASSWORD``, ``IP_USER``; the reply's
``content[0]`` holds one verdict per field (``"Sesuai (93)"`` /
``"Tidak Sesuai"``) or an error ``RESPONSE_CODE`` (14: found but inactive;
any other: not found), and ``quotaLimiter`` the calls left.

Faults never leak a transport exception: timeouts and 5xx are retried a
bounded number of times with jittered exponential backoff, honouring the
server's ``Retry-After`` (:mod:`siapkerja_adapters.http_client`); anything that still fails
— and a malformed reply, a reset connection, a refused request, an exhausted
quota — raises :class:`~siapkerja_core.ports.RegistryUnavailable`. After
``failure_threshold`` consecutive failed calls the circuit breaker opens and
calls fail at once, without touching the network, until a cool-down has
passed; then one trial call decides. Calls still in flight past ``timeout``
count as failures, so a hanging gateway opens the breaker while it hangs.

**Bulkhead.** At most ``max_concurrency`` calls are in flight at once (a
bounded semaphore); a call that finds no free slot within ``acquire_timeout``
fails at once with ``dukcapil.unavailable`` (reason ``busy``, a
``retry_after``): a hanging Dukcapil holds at most that many of the web
server's worker threads, never all of them. The password, the NIK and the
names are never logged and never appear in an error.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from siapkerja_adapters.circuit_breaker import CircuitBreaker
from siapkerja_adapters.http_client import (
    AttemptFailed,
    RetryPolicy,
    decode_json,
    import_httpx,
    make_client,
    post,
    server_error,
    tls_verify_setting,
)
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.ports import (
    FieldMatch,
    RegistryUnavailable,
    VerificationRequest,
    VerificationResult,
)
from siapkerja_core.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = [
    "INACTIVE_CODE",
    "CircuitBreaker",
    "HttpRegistry",
    "MalformedReply",
    "http_registry_from_settings",
    "parse_reply",
]

logger = logging.getLogger("siapkerja.dukcapil")

INACTIVE_CODE: Final = "14"
"""Dukcapil's ``RESPONSE_CODE`` for "Data Ditemukan, Status Tidak Aktif"."""

_KNOWN_CODES: Final = frozenset({"08", "11", "12", "13", "14", "15"})
_VERDICT: Final = re.compile(r"\s*(sesuai|tidak\s+sesuai)\s*(?:\(\s*(\d{1,3})\s*\))?\s*", re.I)
_QUOTA_WORDS: Final = re.compile(r"kuota|quota|limit", re.I)
_NO_MATCH: Final = FieldMatch(False)


class MalformedReply(ValueError):
    """A reply that is not the ``CALL_VERIFY_BY_ELEMEN`` shape (the message says what is wrong).

    The message names the part at fault, never a value from the reply.
    """


# --- the reply ---------------------------------------------------------------------------------


def _verdict(item: Mapping[str, Any], field: str) -> FieldMatch:
    value = item.get(field)
    if not isinstance(value, str):
        raise MalformedReply(f"content[0].{field} is missing or not a string")
    found = _VERDICT.fullmatch(value)
    if found is None:
        raise MalformedReply(f"content[0].{field} is not 'Sesuai (n)' / 'Tidak Sesuai (n)'")
    score = None if found.group(2) is None else int(found.group(2))
    if score is not None and score > 100:
        raise MalformedReply(f"content[0].{field} has a score above 100")
    return FieldMatch(found.group(1).lower() == "sesuai", score)


def _quota(document: Mapping[str, Any]) -> int | None:
    value = document.get("quotaLimiter")
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value.is_integer():
        return max(int(value), 0)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return max(int(value), 0)
    # An auxiliary field: an odd value must not turn a valid answer into an outage.
    logger.warning("dukcapil reply: quotaLimiter is not a number; ignored")
    return None


def _code(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    return text.zfill(2) if text.isdigit() else text


def parse_reply(document: object, threshold: int) -> VerificationResult:
    """Read a ``CALL_VERIFY_BY_ELEMEN`` reply (already JSON-decoded) as a verdict.

    * ``content[0].RESPONSE_CODE`` set: ``"14"`` gives ``inactive`` (the NIK
      exists; no name is confirmed), any other code ``not_found``.
    * otherwise ``NIK``, ``NAMA_LGKP`` and ``NAMA_LGKP_IBU`` must each be
      ``"Sesuai"`` / ``"Tidak Sesuai"`` with an optional ``(score)``; a field
      matches when Dukcapil says "Sesuai" and its score (if any) reaches
      ``threshold`` — a "Tidak Sesuai" is never upgraded.
    * ``quotaLimiter`` becomes ``quota_remaining``.

    :param document: the decoded JSON body.
    :param threshold: the similarity the caller asked for.
    :raises MalformedReply: for anything else (the message names the part, not the value).
    """
    if not isinstance(document, Mapping):
        raise MalformedReply("the reply is not a JSON object")
    content = document.get("content")
    if isinstance(content, Mapping):  # a single item instead of a list: seen in mocks
        content = [content]
    if not isinstance(content, list) or not content:
        raise MalformedReply("content is missing or empty")
    item = content[0]
    if not isinstance(item, Mapping):
        raise MalformedReply("content[0] is not an object")
    quota = _quota(document)

    code = _code(item.get("RESPONSE_CODE"))
    if code is not None:
        if code == INACTIVE_CODE:
            return VerificationResult(
                status="inactive",
                nik=FieldMatch(True),
                full_name=_NO_MATCH,
                mother_name=_NO_MATCH,
                quota_remaining=quota,
            )
        if code in _KNOWN_CODES:
            logger.info("dukcapil answered RESPONSE_CODE %s (not found)", code)
        else:
            logger.warning("dukcapil answered an undocumented RESPONSE_CODE %r (not found)", code)
        return VerificationResult(
            status="not_found",
            nik=_NO_MATCH,
            full_name=_NO_MATCH,
            mother_name=_NO_MATCH,
            quota_remaining=quota,
        )

    nik = _verdict(item, "NIK")
    full_name = _verdict(item, "NAMA_LGKP")
    mother_name = _verdict(item, "NAMA_LGKP_IBU")
    return VerificationResult(
        status="found",
        nik=nik,
        full_name=_at_threshold(full_name, threshold),
        mother_name=_at_threshold(mother_name, threshold),
        quota_remaining=quota,
    )


def _at_threshold(match: FieldMatch, threshold: int) -> FieldMatch:
    if match.matched and match.score is not None and match.score < threshold:
        return FieldMatch(False, match.score)
    return match


# --- the registry --------------------------------------------------------------------------


class HttpRegistry:
    """Dukcapil's ``CALL_VERIFY_BY_ELEMEN`` web service (the ``http`` ``dukcapil`` adapter).

    :param base_url: the gateway, e.g. ``https://172.16.160.177:8000`` (no trailing path).
    :param customer_id: the institution's id in the URL path (from the PKS).
    :param user_id: ``USER_ID``.
    :param password: ``PASSWORD`` — never logged, never in a repr or an error.
    :param ip_user: ``IP_USER``, the server address registered with Dukcapil
        (omitted from the request when empty).
    :param threshold: a fixed ``TRESHOLD`` to send instead of each request's
        (some agreements fix it); the verdict still requires the request's.
    :param timeout: seconds for connecting and for the whole reply of one attempt.
    :param retries: extra attempts after a timeout or a 5xx (0 = none).
    :param backoff: seconds before the first retry; doubled for each next one.
    :param max_backoff: the longest computed wait between two attempts.
    :param jitter: up to this many random seconds added to each wait.
    :param max_retry_after: the longest ``Retry-After`` waited for (a longer one
        ends the retries).
    :param breaker: the circuit breaker (default: open after 5 failed calls, or calls
        in flight past ``timeout``, for 30 s).
    :param max_concurrency: the most calls in flight at once (the bulkhead).
    :param acquire_timeout: seconds a call waits for a free slot before it is
        refused with reason ``busy``.
    :param client: an ``httpx.Client`` to use (tests, proxies, custom TLS);
        by default one is built and closed by :meth:`close`.
    :param verify: TLS verification for the default client: ``True``, ``False``
        (a self-signed gateway on a VPN) or a CA bundle path.
    """

    def __init__(
        self,
        base_url: str,
        customer_id: str,
        user_id: str,
        password: str,
        ip_user: str = "",
        *,
        threshold: int | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        max_backoff: float = 2.0,
        jitter: float = 0.1,
        max_retry_after: float = 5.0,
        breaker: CircuitBreaker | None = None,
        client: httpx.Client | None = None,
        verify: bool | str = True,
        max_concurrency: int = 8,
        acquire_timeout: float = 0.1,
    ) -> None:
        import_httpx("dukcapil")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if not customer_id or "/" in customer_id:
            raise ValueError("customer_id must be a non-empty path segment")
        if threshold is not None and not 1 <= threshold <= 100:
            raise ValueError(f"threshold must be 1-100, got {threshold!r}")
        if not timeout > 0:
            raise ValueError("timeout must be > 0")
        if isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        if acquire_timeout < 0:
            raise ValueError("acquire_timeout must be >= 0")
        self.retry = RetryPolicy(
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            jitter=jitter,
            max_retry_after=max_retry_after,
        )
        self.url = f"{base_url.rstrip('/')}/dukcapil/get_json/{customer_id}/CALL_VERIFY_BY_ELEMEN"
        self._credentials = {"USER_ID": user_id, "PASSWORD": password}
        if ip_user:
            self._credentials["IP_USER"] = ip_user
        self.threshold = threshold
        self.timeout = timeout
        self.retries = retries
        self.breaker = breaker or CircuitBreaker(call_timeout=timeout)
        self.max_concurrency = max_concurrency
        self.acquire_timeout = acquire_timeout
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._owns_client = client is None
        self._client = client or make_client("dukcapil", timeout=timeout, verify=verify)

    # --- the port ---

    def verify(self, request: VerificationRequest) -> VerificationResult:
        """Ask Dukcapil about a NIK, full name and mother's maiden name.

        :raises RegistryUnavailable: ``dukcapil.unavailable`` — timeouts or 5xx
            after the retries, a reset connection, a refused request, an
            exhausted quota, a malformed reply, the breaker is open
            (``circuit_open``) or every slot of the bulkhead is taken
            (``busy``). Its ``reason`` param says which; ``retry_after``
            (seconds) comes with the last two.
        """
        if not self._slots.acquire(timeout=self.acquire_timeout):
            logger.warning(
                "dukcapil call refused: %d calls already in flight", self.max_concurrency
            )
            raise RegistryUnavailable(
                "unavailable",
                adapter="http",
                reason="busy",
                retry_after=max(1, math.ceil(self.timeout)),
            )
        try:
            return self._verify(request)
        finally:
            self._slots.release()

    def _verify(self, request: VerificationRequest) -> VerificationResult:
        if not self.breaker.allow():
            logger.warning("dukcapil call refused: circuit breaker open")
            raise RegistryUnavailable(
                "unavailable",
                adapter="http",
                reason="circuit_open",
                retry_after=max(1, math.ceil(self.breaker.retry_after())),
            )
        body = {
            "NIK": request.nik,
            "NAMA_LGKP": request.full_name,
            "NAMA_LGKP_IBU": request.mother_name,
            "TRESHOLD": str(request.threshold if self.threshold is None else self.threshold),
            **self._credentials,
        }
        token = self.breaker.begin()
        try:
            try:
                document = self._call(body)
                result = parse_reply(document, request.threshold)
            finally:
                self.breaker.end(token)
        except AttemptFailed as failure:
            self.breaker.record_failure()
            raise RegistryUnavailable(
                "unavailable", adapter="http", reason=failure.reason
            ) from None
        except MalformedReply as error:
            self.breaker.record_failure()
            logger.error("dukcapil reply malformed: %s", error)
            raise RegistryUnavailable("unavailable", adapter="http", reason="malformed") from None
        except BaseException:
            # Never leave a half-open breaker waiting for a trial that ended in a bug.
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result

    def _call(self, body: Mapping[str, str]) -> object:
        """POST with bounded retries; the decoded JSON, or the last :class:`AttemptFailed`."""
        started = time.monotonic()
        try:
            return self.retry.call(lambda: self._attempt(body))
        except AttemptFailed as failure:
            logger.warning(
                "dukcapil call failed: %s (%.2f s, at most %d attempts)",
                failure.reason,
                time.monotonic() - started,
                self.retries + 1,
            )
            raise

    def _attempt(self, body: Mapping[str, str]) -> object:
        # A reset or refused connection is not retried (the brief of this adapter:
        # timeouts and 5xx only); the breaker counts it.
        response = post(self._client, self.url, json=dict(body), retry_lost_connection=False)
        if (failure := server_error(response)) is not None:
            raise failure
        status = response.status_code
        if status == 429:
            raise AttemptFailed("quota", retryable=False)
        if status >= 400:
            # Bad credentials, an unregistered IP, a wrong customer id: configuration.
            logger.error("dukcapil refused the request: HTTP %d (check the credentials)", status)
            raise AttemptFailed(f"http_{status}", retryable=False)
        document = decode_json(response)
        if _quota_exhausted(document):
            raise AttemptFailed("quota", retryable=False)
        return document

    # --- lifecycle ---

    def close(self) -> None:
        """Close the HTTP client (when this registry built it)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpRegistry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpRegistry(url={self.url!r}, breaker={self.breaker.state!r})"


def _quota_exhausted(document: object) -> bool:
    """An error reply that says the quota is used up (``quotaLimiter`` 0 and a quota message)."""
    if not isinstance(document, Mapping):
        return False
    content = document.get("content")
    item = content[0] if isinstance(content, list) and content else content
    if not isinstance(item, Mapping) or _code(item.get("RESPONSE_CODE")) is None:
        return False
    text = " ".join(str(item.get(k, "")) for k in ("RESPONSE", "RESPONSE_DESC"))
    return _quota(document) == 0 and _QUOTA_WORDS.search(text) is not None


# --- factory ---------------------------------------------------------------------------------


def http_registry_from_settings(settings: Settings) -> HttpRegistry:
    """Factory for the ``http`` ``dukcapil`` adapter.

    Required: ``dukcapil_url`` (``https://host:port``), ``dukcapil_customer_id``,
    ``dukcapil_user_id``, ``dukcapil_password``. Optional: ``dukcapil_ip_user``;
    ``dukcapil_threshold`` (a fixed TRESHOLD, 1-100); ``dukcapil_timeout``
    (seconds, default 5); ``dukcapil_retries`` (default 2); ``dukcapil_backoff``
    (seconds, default 0.2); ``dukcapil_breaker_failures`` (default 5);
    ``dukcapil_breaker_reset`` (seconds, default 30); ``dukcapil_verify_tls``
    (``true``, ``false`` or a CA bundle path); ``dukcapil_max_concurrency``
    (calls in flight at once, default 8) and ``dukcapil_acquire_timeout``
    (seconds a call waits for a slot, default 0.1).

    :raises ConfigurationError: ``config.invalid`` for a missing or malformed
        setting; ``config.missing_extra`` when httpx is not installed (``siapkerja[http]``).
    """
    # The extra first: without httpx no setting can help, and the error says what to install.
    import_httpx("dukcapil")
    required = "required when dukcapil = 'http'"
    url = settings.require_str("dukcapil_url", reason=required)
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(
            "invalid", name="dukcapil_url", reason="expected http://… or https://…"
        )
    customer_id = settings.require_str("dukcapil_customer_id", reason=required)
    if "/" in customer_id:
        raise ConfigurationError(
            "invalid", name="dukcapil_customer_id", reason="must not contain '/'"
        )
    timeout = settings.get_float("dukcapil_timeout", 5.0, minimum=0.001)
    breaker = CircuitBreaker(
        settings.get_int("dukcapil_breaker_failures", 5, minimum=1, maximum=10_000),
        settings.get_float("dukcapil_breaker_reset", 30.0, minimum=0.001),
        call_timeout=timeout,
    )
    return HttpRegistry(
        url,
        customer_id,
        settings.require_str("dukcapil_user_id", reason=required),
        settings.require_str("dukcapil_password", reason=required),
        settings.get_str("dukcapil_ip_user", ""),
        threshold=settings.get_int("dukcapil_threshold", None, minimum=1, maximum=100),
        timeout=timeout,
        retries=settings.get_int("dukcapil_retries", 2, minimum=0, maximum=10),
        backoff=settings.get_float("dukcapil_backoff", 0.2, minimum=0.0),
        breaker=breaker,
        verify=tls_verify_setting(settings, "dukcapil_verify_tls"),
        max_concurrency=settings.get_int("dukcapil_max_concurrency", 8, minimum=1, maximum=1000),
        acquire_timeout=settings.get_float("dukcapil_acquire_timeout", 0.1, minimum=0.0),
    )
