"""The ``http`` SMS adapter: a generic SMS gateway over HTTP.

This module owns :class:`HttpSender` (the
:class:`~siapkerja_core.ports.MessageSender` port on httpx) and the factory
the built-in plug-in registers (:func:`http_sender_from_settings`). httpx is
the optional extra ``siapkerja[http]``.

The gateway is described by settings, not code (``docs/http-adapters.md``):
its URL, an auth header, a JSON body template with ``{to}``, ``{text}`` and
``{idempotency_key}`` placeholders, and where the message id sits in its
reply (``message_id_path``, e.g. ``data.message_id``).

Retries (:mod:`siapkerja_adapters.http_client`): timeouts, lost connections,
5xx and 429 are retried with jittered exponential backoff, and a gateway's
``Retry-After`` is honoured.

No double sends: every request carries an ``Idempotency-Key`` header (the
caller's key, or a fresh one per logical message), so a retry after a
timeout or a reset — when the gateway may already have taken the message —
is deduplicated by the gateway; within the process, concurrent sends with
one key wait for each other and share one receipt.

Nothing lost is not this module's job: a send that still fails after its
retries raises :class:`~siapkerja_core.ports.SmsDeliveryError` with
``retryable`` (false for a refusal: a 4xx other than 429, a malformed reply)
and ``retry_after`` (the gateway's, in seconds), and the durable outbox
(:mod:`siapkerja_core.services.outbox`, in the database) schedules the next
attempt with the same idempotency key.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from siapkerja_adapters.http_client import (
    AttemptFailed,
    RetryPolicy,
    decode_json,
    import_httpx,
    make_client,
    post,
    retry_after,
    server_error,
    tls_verify_setting,
)
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.ports import SentMessage, SmsDeliveryError
from siapkerja_core.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_BODY_TEMPLATE",
    "HttpSender",
    "http_sender_from_settings",
]

logger = logging.getLogger("siapkerja.sms")

DEFAULT_BODY_TEMPLATE: Final = '{"to": "{to}", "text": "{text}", "reference": "{idempotency_key}"}'
"""The JSON body sent when no template is configured."""

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_PLACEHOLDERS: Final = ("{to}", "{text}", "{idempotency_key}")
_RECEIPTS_KEPT: Final = 4096


def _render(template: object, values: Mapping[str, str]) -> object:
    """Fill the placeholders inside the template's string values (never its syntax)."""
    if isinstance(template, str):
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
        return template
    if isinstance(template, list):
        return [_render(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _render(item, values) for key, item in template.items()}
    return template


def _placeholders_in(template: object) -> set[str]:
    if isinstance(template, str):
        return {p for p in _PLACEHOLDERS if p in template}
    if isinstance(template, list):
        return set().union(*(_placeholders_in(item) for item in template))
    if isinstance(template, dict):
        return set().union(*(_placeholders_in(item) for item in template.values()))
    return set()


def parse_body_template(template: str) -> object:
    """Parse and check a body template: JSON whose string values use ``{to}`` and ``{text}``.

    :raises ValueError: not JSON, or a required placeholder is missing.
    """
    try:
        parsed = json.loads(template)
    except ValueError:
        raise ValueError("the SMS body template is not valid JSON") from None
    missing = {"{to}", "{text}"} - _placeholders_in(parsed)
    if missing:
        raise ValueError(f"the SMS body template lacks {', '.join(sorted(missing))}")
    return parsed


def _message_id(document: object, path: tuple[str, ...]) -> str | None:
    current = document
    for part in path:
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    if isinstance(current, str) and current.strip():
        return current.strip()
    if isinstance(current, int) and not isinstance(current, bool):
        return str(current)
    return None


def _system_clock() -> datetime:
    return datetime.now(UTC)


class HttpSender:
    """Sends through a generic HTTP SMS gateway (the ``http`` ``sms`` adapter).

    :param url: the gateway's send endpoint (``POST``, JSON body).
    :param token: the credential; sent as ``{auth_header}: {auth_scheme} {token}``
        (no scheme: the bare token). Never logged.
    :param auth_header: default ``Authorization``; e.g. ``X-API-Key``.
    :param auth_scheme: default ``Bearer``; ``""`` sends the bare token.
    :param body_template: a JSON document whose string values may hold
        ``{to}``, ``{text}`` and ``{idempotency_key}`` (``{to}`` and ``{text}``
        required); values are substituted inside strings, so a text with
        quotes or newlines cannot break the JSON.
    :param message_id_path: dotted path of the message id in the reply
        (``message_id``, ``data.message_id``, ``messages.0.id``).
    :param timeout: seconds for connecting and for the reply of one attempt.
    :param retries: extra attempts after a timeout, a lost connection, a 5xx
        or a 429 (safe: the idempotency key is the same).
    :param backoff: seconds before the first retry, doubled each time (capped by ``max_backoff``).
    :param jitter: up to this many random seconds added to each wait.
    :param max_retry_after: the longest ``Retry-After`` (of a 429 or a 5xx)
        waited for; a longer one ends the retries (the durable outbox waits for it).
    :param headers: extra request headers.
    :param client: an ``httpx.Client`` to use; by default one is built and closed by :meth:`close`.
    :param verify: TLS verification for the default client (``True``, ``False`` or a CA path).
    :param clock: the aware current time (receipts).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        auth_header: str = "Authorization",
        auth_scheme: str = "Bearer",
        body_template: str = DEFAULT_BODY_TEMPLATE,
        message_id_path: str = "message_id",
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        max_backoff: float = 2.0,
        jitter: float = 0.1,
        max_retry_after: float = 5.0,
        headers: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        verify: bool | str = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        import_httpx("sms")
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        if not timeout > 0:
            raise ValueError("timeout must be > 0")
        self.retry = RetryPolicy(
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            jitter=jitter,
            max_retry_after=max_retry_after,
        )
        if not message_id_path.strip():
            raise ValueError("message_id_path must not be empty")
        self.url = url
        self._template = parse_body_template(body_template)
        self._id_path = tuple(message_id_path.strip().split("."))
        self._headers = {"Accept": "application/json", **(headers or {})}
        if token:
            self._headers[auth_header] = f"{auth_scheme} {token}" if auth_scheme else token
        self.timeout = timeout
        self.retries = retries
        self._clock = clock or _system_clock
        self._owns_client = client is None
        self._client = client or make_client("sms", timeout=timeout, verify=verify)
        self._cond = threading.Condition()
        self._sending: set[str] = set()
        self._receipts: OrderedDict[str, SentMessage] = OrderedDict()

    # --- the port ---

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Send ``text`` to ``to`` through the gateway (see ``MessageSender``).

        :raises SmsDeliveryError: ``sms.unavailable`` after the retries, with
            ``reason``, ``retryable`` (whether a later attempt may help) and
            ``retry_after`` (seconds the gateway asked to wait, or ``None``).
        """
        key = idempotency_key or f"siapkerja-{uuid.uuid4().hex}"
        with self._cond:
            while key in self._sending:
                self._cond.wait()
            if key in self._receipts:
                return self._receipts[key]
            self._sending.add(key)
        try:
            return self._deliver(to, text, key, retries=self.retries)
        except AttemptFailed as failure:
            logger.warning("sms %s not sent (%s)", key, failure.reason)
            raise SmsDeliveryError(
                "unavailable",
                adapter="http",
                reason=failure.reason,
                retryable=failure.retryable,
                retry_after=failure.retry_after,
            ) from None
        finally:
            with self._cond:
                self._sending.discard(key)
                self._cond.notify_all()

    # --- the wire ---

    def _deliver(self, to: str, text: str, key: str, *, retries: int) -> SentMessage:
        body = _render(self._template, {"{to}": to, "{text}": text, "{idempotency_key}": key})
        headers = {**self._headers, IDEMPOTENCY_HEADER: key}
        message_id = self.retry.call(lambda: self._attempt(body, headers), retries=retries)
        receipt = SentMessage(to=to, text=text, message_id=message_id, sent_at=self._clock())
        with self._cond:
            self._receipts[key] = receipt
            while len(self._receipts) > _RECEIPTS_KEPT:
                self._receipts.popitem(last=False)
        logger.info("sms %s sent as %s", key, message_id)
        logger.debug("sms %s text: %s", key, text)
        return receipt

    def _attempt(self, body: object, headers: Mapping[str, str]) -> str:
        # A lost connection is retried: the gateway may have the message already,
        # and the same idempotency key makes a second send safe.
        response = post(
            self._client, self.url, json=body, headers=headers, retry_lost_connection=True
        )
        if (failure := server_error(response)) is not None:
            raise failure
        status = response.status_code
        if status == 429:
            raise AttemptFailed(f"http_{status}", retryable=True, retry_after=retry_after(response))
        if status >= 400:
            logger.error("sms gateway refused the request: HTTP %d", status)
            raise AttemptFailed(f"http_{status}", retryable=False)
        message_id = _message_id(decode_json(response), self._id_path)
        if message_id is None:
            logger.error("sms gateway reply has no message id at %r", ".".join(self._id_path))
            raise AttemptFailed("malformed", retryable=False)
        return message_id

    # --- lifecycle ---

    def close(self) -> None:
        """Close the HTTP client (when this sender built it)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpSender(url={self.url!r})"


def http_sender_from_settings(settings: Settings) -> HttpSender:
    """Factory for the ``http`` ``sms`` adapter.

    Required: ``sms_url``. Optional: ``sms_token``; ``sms_auth_header``
    (default ``Authorization``); ``sms_auth_scheme`` (default ``Bearer``;
    ``none`` for a bare token); ``sms_body_template`` (JSON, default
    :data:`DEFAULT_BODY_TEMPLATE`); ``sms_message_id_path`` (default
    ``message_id``); ``sms_timeout`` (seconds, default 5); ``sms_retries``
    (default 2); ``sms_backoff`` (seconds, default 0.2); ``sms_verify_tls``.

    :raises ConfigurationError: ``config.invalid`` for a missing or malformed
        setting; ``config.missing_extra`` when httpx is not installed (``siapkerja[http]``).
    """
    # The extra first: without httpx no setting can help, and the error says what to install.
    import_httpx("sms")
    url = settings.require_str("sms_url", reason="required when sms = 'http'")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError("invalid", name="sms_url", reason="expected http://… or https://…")
    template = settings.get("sms_body_template", DEFAULT_BODY_TEMPLATE)
    try:
        parse_body_template(template)
    except ValueError as error:
        raise ConfigurationError("invalid", name="sms_body_template", reason=str(error)) from None
    # Set but blank means a bare token, as "none" does: not get_str, which would default it.
    scheme = settings.get("sms_auth_scheme", "Bearer").strip()
    return HttpSender(
        url,
        token=settings.get_str("sms_token"),
        auth_header=settings.get_str("sms_auth_header", "Authorization"),
        auth_scheme="" if scheme.lower() in ("", "none") else scheme,
        body_template=template,
        message_id_path=settings.get_str("sms_message_id_path", "message_id"),
        timeout=settings.get_float("sms_timeout", 5.0, minimum=0.001),
        retries=settings.get_int("sms_retries", 2, minimum=0, maximum=10),
        backoff=settings.get_float("sms_backoff", 0.2, minimum=0.0),
        verify=tls_verify_setting(settings, "sms_verify_tls"),
    )
