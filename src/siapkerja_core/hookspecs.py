"""Hook specifications: the contract between siapkerja and its plug-ins.

This module owns the project name that ties pluggy's markers and manager
together, the two markers, and one empty, annotated function per hook. Plug-ins
(the built-in ``siapkerja_adapters.builtin`` included) implement these hooks
with ``@hookimpl``; :class:`siapkerja_core.plugins.PluginHost` calls them.

Hooks are called with keyword arguments only, and an implementation may accept
fewer arguments than its spec, so a spec can gain a parameter without breaking
existing plug-ins. Every hook here but ``siapkerja_storage_key`` (the first
value wins) is a broadcast: all implementations run; pluggy wrappers are not
supported. Each hook has a section in
``docs/plugin_hooks.md`` (``tests/test_docs.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import pluggy

if TYPE_CHECKING:
    # Type-only: plugins.py imports this module to register the specs.
    from siapkerja_core.events import DomainEvent
    from siapkerja_core.plugins import AdapterRegistration
    from siapkerja_core.settings import Settings

__all__ = [
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
    "siapkerja_adapters",
    "siapkerja_configure",
    "siapkerja_event",
    "siapkerja_storage_key",
]

PROJECT_NAME: Final = "siapkerja"
"""The pluggy project name, also the entry-point group third-party plug-ins publish under."""

hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification (used only in this module)."""

hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plug-in's hook implementation: ``@hookimpl def siapkerja_adapters(): ...``."""


@hookspec
def siapkerja_adapters() -> Iterable[AdapterRegistration] | None:
    """Register adapters: return (or yield) the adapters this plug-in provides.

    Called once per :class:`~siapkerja_core.plugins.PluginHost`, on every
    plug-in, the first time an adapter is looked up; the records of all
    plug-ins are collected. A ``(kind, name)`` pair offered by two plug-ins is
    refused with ``plugin.duplicate_adapter``. The factory runs only if the
    settings pick that adapter, so registering is cheap and imports nothing
    optional.

    :return: an iterable of :class:`~siapkerja_core.plugins.AdapterRegistration`
        records (possibly empty); ``None`` counts as none.
    """


@hookspec
def siapkerja_configure(settings: Settings) -> None:
    """Inspect the resolved settings before any adapter is built.

    Called once by ``connect()``, on every plug-in, after the settings are
    resolved and before the adapter factories run. A plug-in validates its own
    keys here and raises :class:`~siapkerja_core.errors.ConfigurationError` to
    stop ``connect()`` with a clear message. Settings are immutable: this hook
    reads them, it cannot change them.

    :return: nothing; the return value is ignored.
    :param settings: the resolved :class:`~siapkerja_core.settings.Settings`.
    """


@hookspec
def siapkerja_event(event: DomainEvent) -> None:
    """Receive a domain event: something happened in the journey.

    Called on every plug-in for every event the facade emits (audit logs and
    webhooks are plug-ins of this hook). It runs in the caller's thread, so an
    implementation that does slow I/O should queue the event and return. An
    exception raised here does not stop the journey or the other plug-ins: the
    host logs it on the ``siapkerja.plugins`` logger and goes on.

    :return: nothing; the return value is ignored.
    :param event: a :class:`~siapkerja_core.events.DomainEvent`; ``event.name``
        tells which one (``"adapter.built"``, ``"account.activated"``, …).
    """


@hookspec(firstresult=True)
def siapkerja_storage_key(settings: Settings) -> str | None:
    """Give the storage key from a key management service (a KMS, Vault).

    Called by ``connect()`` (and the ``siapkerja db`` commands) once, after
    ``siapkerja_configure``, only when the ``storage_key`` setting is unset;
    the first implementation to return a value wins (pluggy ``firstresult``).
    The value has the ``storage_key`` setting's form, ``"kid:base64key, ..."``
    (the first key encrypts, all decrypt); it is kept in the resolved
    settings as ``storage_key``, so never log it. Return ``None`` to leave the
    key to the ``storage_key_file`` setting or the per-user key file.

    :return: the ``storage_key`` value, or ``None``.
    :param settings: the resolved :class:`~siapkerja_core.settings.Settings`.
    """
