"""The built-in plug-in: siapkerja's own adapters, registered like anyone else's.

This module owns the list of built-in adapters. ``connect()`` passes it to
:meth:`~siapkerja_core.plugins.PluginHost.create` in ``plugins=``, and the
package also publishes it as the ``builtin`` entry point of the ``siapkerja``
group, so a third-party plug-in sees exactly the hooks this one uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from siapkerja_adapters import dukcapil_http, mail, memory, redis_counters, sms_http
from siapkerja_adapters.dukcapil_offline import offline_registry_from_settings
from siapkerja_adapters.extras import require_for_setting
from siapkerja_adapters.sms import CONSOLE_STREAMS, console_from_settings, memory_from_settings
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.plugins import AdapterRegistration
from siapkerja_core.settings import Settings

__all__ = ["PLUGIN_NAME", "siapkerja_adapters", "siapkerja_configure"]

PLUGIN_NAME: Final = "builtin"
"""Registered under its entry-point name, so an installed copy is not loaded twice."""


def _sql_storage(settings: Settings) -> object:
    # SQLAlchemy and Alembic load when the adapter is built, not when adapters are listed;
    # they are the `storage` extra, and psycopg the `postgres` one: say which is missing
    # (with the setting that asked for it) rather than fail on an import deep inside.
    require_for_setting(
        "storage",
        "sqlalchemy",
        "alembic",
        "orjson",
        setting="storage",
        value=settings.adapter_name("storage"),
    )
    url = settings.get_str("database_url", "")
    if url.startswith(("postgresql", "postgres:")):
        require_for_setting("postgres", "psycopg", setting="database_url", value=url.split(":")[0])
    from siapkerja_adapters.sql import sql_storage_from_settings

    return sql_storage_from_settings(settings)


@hookimpl
def siapkerja_adapters() -> Iterator[AdapterRegistration]:
    """Offer the built-in adapters."""
    yield AdapterRegistration(
        kind="sms",
        name="console",
        factory=console_from_settings,
        description="Print each message to the terminal (development).",
    )
    yield AdapterRegistration(
        kind="sms",
        name="memory",
        factory=memory_from_settings,
        description="Keep each message in .messages (tests, notebooks).",
    )
    yield AdapterRegistration(
        kind="storage",
        name="memory",
        factory=memory.storage_from_settings,
        description="Records in process memory: tests and notebooks (nothing survives exit).",
    )
    yield AdapterRegistration(
        kind="storage",
        name="sql",
        factory=_sql_storage,
        description="SQLite file (embedded default) or PostgreSQL, via SQLAlchemy; PII encrypted.",
    )
    yield AdapterRegistration(
        kind="ratelimit",
        name="memory",
        factory=memory.counters_from_settings,
        description="Counters in process memory (one process only).",
    )
    yield AdapterRegistration(
        kind="sms",
        name="http",
        factory=sms_http.http_sender_from_settings,
        description="A generic SMS gateway over HTTP (idempotency key, retries, outbox).",
    )
    yield AdapterRegistration(
        kind="dukcapil",
        name="http",
        factory=dukcapil_http.http_registry_from_settings,
        description="Dukcapil's CALL_VERIFY_BY_ELEMEN web service (retries, circuit breaker).",
    )
    yield AdapterRegistration(
        kind="ratelimit",
        name="redis",
        factory=redis_counters.redis_counters_from_settings,
        description="Counters in Redis, shared by every web worker (atomic, TTL-based).",
    )
    yield AdapterRegistration(
        kind="dukcapil",
        name="offline",
        factory=offline_registry_from_settings,
        description="Bundled synthetic residents plus a CSV you load (dukcapil_residents).",
    )
    yield AdapterRegistration(
        kind="email",
        name="console",
        factory=mail.console_mailer_from_settings,
        description="Print each e-mail to the terminal (development; the default).",
    )
    yield AdapterRegistration(
        kind="email",
        name="memory",
        factory=mail.memory_mailer_from_settings,
        description="Keep each e-mail in .messages (tests, notebooks).",
    )
    yield AdapterRegistration(
        kind="email",
        name="smtp",
        factory=mail.smtp_mailer_from_settings,
        description="An SMTP server via smtplib (STARTTLS, TLS or a local relay).",
    )


@hookimpl
def siapkerja_configure(settings: Settings) -> None:
    """Check the built-in adapters' own keys before anything is built."""
    if settings.sms == "console":
        settings.get_choice("sms_console_stream", "stdout", CONSOLE_STREAMS)
