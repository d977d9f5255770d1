"""The ``http`` SMS adapter: a generic SMS gateway over HTTP, with an outbox.

This module owns :class:`HttpSender` (the
:class:`~siapkerja_core.ports.MessageSender` port on httpx), the outbox's
:class:`PendingMessage` and :class:`FlushReport`, and the factory the
built-in plug-in registers (:func:`http_sender_from_settings`). httpx is the
optional extra ``siapkerja[http]``.

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

Nothing lost: a send that still fails after its retries raises
:class:`~siapkerja_core.ports.SmsDeliveryError` *and* stays in the outbox;
:meth:`HttpSender.flush` (run it periodically) sends it again with the same
key. The outbox is bounded — in size, in attempts and in age (a one-time
code is worthless after its lifetime) — and a newer message to the same
number supersedes pending ones (it carries the current code). Whatever is
dropped is logged at ERROR. The outbox lives in process memory.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import attrs

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
    "FlushReport",
    "HttpSender",
    "PendingMessage",
    "http_sender_from_settings",
]

logger = logging.getLogger("siapkerja.sms")

DEFAULT_BODY_TEMPLATE: Final = '{"to": "{to}", "text": "{text}", "reference": "{idempotency_key}"}'
"""The JSON body sent when no template is configured."""

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_PLACEHOLDERS: Final = ("{to}", "{text}", "{idempotency_key}")
_RECEIPTS_KEPT: Final = 4096


@attrs.frozen
class PendingMessage:
    """A message in the outbox: its send failed and :meth:`HttpSender.flush` will retry it.

    ``text`` holds a one-time code, so it is left out of the repr.
    """

    to: str
    text: str = attrs.field(repr=False)
    idempotency_key: str
    queued_at: datetime
    attempts: int
    last_failure: str


@attrs.frozen
class FlushReport:
    """What one :meth:`HttpSender.flush` did.

    ``sent``: receipts of the messages delivered now; ``pending``: messages
    still in the outbox after a failed attempt; ``dropped``: messages given
    up (too old, too many attempts) — each logged at ERROR.
    """

    sent: tuple[SentMessage, ...] = ()
    pending: int = 0
    dropped: int = 0


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
        waited for; a longer one ends the retries and the message waits in the outbox.
    :param outbox_limit: messages the outbox holds at most (the oldest is dropped).
    :param outbox_max_age: a pending message older than this is dropped (an
        OTP's lifetime: default 5 minutes).
    :param outbox_max_attempts: attempts (the first send included) before a
        pending message is dropped.
    :param supersede: a newer message to the same number drops pending ones.
    :param headers: extra request headers.
    :param client: an ``httpx.Client`` to use; by default one is built and closed by :meth:`close`.
    :param verify: TLS verification for the default client (``True``, ``False`` or a CA path).
    :param clock: the aware current time (receipts, outbox ages).
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
        outbox_limit: int = 1000,
        outbox_max_age: timedelta = timedelta(minutes=5),
        outbox_max_attempts: int = 5,
        supersede: bool = True,
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
        if outbox_limit < 1 or outbox_max_attempts < 1 or outbox_max_age <= timedelta(0):
            raise ValueError("outbox_limit, outbox_max_attempts and outbox_max_age must be > 0")
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
        self.outbox_limit = outbox_limit
        self.outbox_max_age = outbox_max_age
        self.outbox_max_attempts = outbox_max_attempts
        self.supersede = supersede
        self._clock = clock or _system_clock
        self._owns_client = client is None
        self._client = client or make_client("sms", timeout=timeout, verify=verify)
        self._cond = threading.Condition()
        self._sending: set[str] = set()
        self._receipts: OrderedDict[str, SentMessage] = OrderedDict()
        self._outbox: OrderedDict[str, PendingMessage] = OrderedDict()

    # --- the port ---

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Send ``text`` to ``to`` through the gateway (see ``MessageSender``).

        :raises SmsDeliveryError: ``sms.unavailable`` after the retries; the
            message is then in the outbox (``queued`` param) unless the
            gateway refused it outright.
        """
        key = idempotency_key or f"siapkerja-{uuid.uuid4().hex}"
        with self._cond:
            while key in self._sending:
                self._cond.wait()
            if key in self._receipts:
                return self._receipts[key]
            previous = self._outbox.pop(key, None)
            self._sending.add(key)
        try:
            receipt = self._deliver(to, text, key, retries=self.retries)
        except AttemptFailed as failure:
            attempts = 1 if previous is None else previous.attempts + 1
            queued_at = self._clock() if previous is None else previous.queued_at
            queued = self._queue(
                PendingMessage(
                    to=to,
                    text=text,
                    idempotency_key=key,
                    queued_at=queued_at,
                    attempts=attempts,
                    last_failure=failure.reason,
                )
            )
            raise SmsDeliveryError(
                "unavailable", adapter="http", reason=failure.reason, queued=queued
            ) from None
        else:
            if self.supersede:
                with self._cond:
                    self._supersede(to, keep=key)
            return receipt
        finally:
            with self._cond:
                self._sending.discard(key)
                self._cond.notify_all()

    # --- the outbox ---

    def pending(self) -> list[PendingMessage]:
        """The messages waiting in the outbox, oldest first."""
        with self._cond:
            return list(self._outbox.values())

    def discard(self, idempotency_key: str) -> bool:
        """Drop a pending message (e.g. its code was replaced); whether it was there."""
        with self._cond:
            return self._outbox.pop(idempotency_key, None) is not None

    def flush(self, *, limit: int | None = None) -> FlushReport:
        """Send the outbox again, oldest first: one attempt per message, same idempotency key.

        Messages past ``outbox_max_age`` are dropped without a try; a message
        that fails its ``outbox_max_attempts``-th attempt is dropped too.

        :param limit: try at most this many messages now (``None``: all).
        """
        sent: list[SentMessage] = []
        dropped = 0
        tried = 0
        now = self._clock()
        with self._cond:
            queue = list(self._outbox.values())
        for message in queue:
            if limit is not None and tried >= limit:
                break
            with self._cond:
                if self._outbox.get(message.idempotency_key) is not message:
                    continue  # sent, superseded or taken over by a send() meanwhile
                if now - message.queued_at > self.outbox_max_age:
                    del self._outbox[message.idempotency_key]
                    self._log_dropped(message, "expired")
                    dropped += 1
                    continue
                del self._outbox[message.idempotency_key]
                self._sending.add(message.idempotency_key)
            tried += 1
            try:
                receipt = self._deliver(
                    message.to, message.text, message.idempotency_key, retries=0
                )
            except AttemptFailed as failure:
                retry = attrs.evolve(
                    message, attempts=message.attempts + 1, last_failure=failure.reason
                )
                if retry.attempts >= self.outbox_max_attempts:
                    self._log_dropped(retry, "attempts")
                    dropped += 1
                else:
                    with self._cond:
                        self._outbox[retry.idempotency_key] = retry
            else:
                sent.append(receipt)
            finally:
                with self._cond:
                    self._sending.discard(message.idempotency_key)
                    self._cond.notify_all()
        with self._cond:
            remaining = len(self._outbox)
        if sent or dropped:
            logger.info(
                "sms outbox flushed: %d sent, %d dropped, %d pending", len(sent), dropped, remaining
            )
        return FlushReport(sent=tuple(sent), pending=remaining, dropped=dropped)

    def _queue(self, message: PendingMessage) -> bool:
        if message.attempts >= self.outbox_max_attempts:
            self._log_dropped(message, "attempts")
            return False
        with self._cond:
            if self.supersede:
                self._supersede(message.to, keep=message.idempotency_key)
            self._outbox[message.idempotency_key] = message
            while len(self._outbox) > self.outbox_limit:
                _, oldest = self._outbox.popitem(last=False)
                self._log_dropped(oldest, "outbox_full")
        logger.warning(
            "sms %s not sent (%s); kept in the outbox",
            message.idempotency_key,
            message.last_failure,
        )
        return True

    def _supersede(self, to: str, *, keep: str) -> None:
        # Called with the lock held.
        for key in [k for k, m in self._outbox.items() if m.to == to and k != keep]:
            logger.info("sms %s superseded by a newer message to the same number", key)
            del self._outbox[key]

    @staticmethod
    def _log_dropped(message: PendingMessage, why: str) -> None:
        logger.error(
            "sms %s dropped from the outbox (%s) after %d attempt(s); last failure: %s",
            message.idempotency_key,
            why,
            message.attempts,
            message.last_failure,
        )

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
        """Close the HTTP client (when this sender built it). The outbox is kept."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpSender(url={self.url!r}, pending={len(self._outbox)})"


def http_sender_from_settings(settings: Settings) -> HttpSender:
    """Factory for the ``http`` ``sms`` adapter.

    Required: ``sms_url``. Optional: ``sms_token``; ``sms_auth_header``
    (default ``Authorization``); ``sms_auth_scheme`` (default ``Bearer``;
    ``none`` for a bare token); ``sms_body_template`` (JSON, default
    :data:`DEFAULT_BODY_TEMPLATE`); ``sms_message_id_path`` (default
    ``message_id``); ``sms_timeout`` (seconds, default 5); ``sms_retries``
    (default 2); ``sms_backoff`` (seconds, default 0.2); ``sms_outbox_limit``
    (default 1000); ``sms_outbox_max_age`` (seconds, default 300);
    ``sms_outbox_max_attempts`` (default 5); ``sms_verify_tls``.

    :raises ConfigurationError: ``config.invalid`` for a missing or malformed
        setting, or when httpx is not installed.
    """
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
        outbox_limit=settings.get_int("sms_outbox_limit", 1000, minimum=1, maximum=1_000_000),
        outbox_max_age=settings.get_duration(
            "sms_outbox_max_age", timedelta(minutes=5), minimum=timedelta(seconds=1)
        ),
        outbox_max_attempts=settings.get_int("sms_outbox_max_attempts", 5, minimum=1, maximum=100),
        verify=tls_verify_setting(settings, "sms_verify_tls"),
    )
