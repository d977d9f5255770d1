"""What every contract class shares: the check that the adapter is registered by name.

A contract class names its port (``kind``, the :class:`typing.Protocol` in
``port``) and returns the adapter under test from its ``adapter_under_test``
fixture. Setting ``adapter_name`` on a subclass adds one more check: the
plug-ins installed in the environment — the ``siapkerja`` entry-point group,
filtered by ``SIAPKERJA_PLUGINS``, exactly as ``connect()`` loads them —
register that name for the port through ``siapkerja_adapters`` (an
:class:`~siapkerja_core.plugins.AdapterRegistration`), the plug-in's
``siapkerja_configure`` accepts the settings, and the
registered factory builds an adapter of the same class as the one tested.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

import pytest

from siapkerja_adapters import builtin
from siapkerja_core.plugins import PluginHost, plugin_filter
from siapkerja_core.settings import resolve_settings

__all__ = ["AdapterContract", "build_registered", "installed_host"]


def installed_host() -> PluginHost:
    """The plug-in host ``connect()`` would build here: the built-in one and the entry points."""
    return PluginHost.create(plugins=[builtin], only=plugin_filter(os.environ))


def build_registered(
    host: PluginHost, kind: str, name: str, settings: Mapping[str, object] | None = None
) -> object:
    """Build adapter ``name`` of ``kind`` from its registration, as ``connect()`` would.

    The settings are the ``memory`` profile's with ``kind = name`` and ``settings``
    on top; every plug-in's ``siapkerja_configure`` sees them first.
    """
    resolved = resolve_settings("memory", kwargs={**(settings or {}), kind: name})
    host.configure(resolved)
    return host.adapter(kind, name).factory(resolved)


def close(adapter: object) -> None:
    """Close an adapter that holds resources (an HTTP client, a connection)."""
    closer = getattr(adapter, "close", None)
    if callable(closer):
        closer()


def _adapter_settings(request: pytest.FixtureRequest) -> Mapping[str, object]:
    # Optional: an adapter whose factory needs no setting defines no fixture.
    try:
        settings = request.getfixturevalue("adapter_settings")
    except pytest.FixtureLookupError:
        return {}
    if not isinstance(settings, Mapping):
        raise TypeError("the adapter_settings fixture must return a mapping of settings")
    return settings


class AdapterContract:
    """The base of the contract classes; subclass one of them, not this.

    Fixtures a subclass (or a ``conftest.py`` next to it) provides: the
    adapter under test, under the name its contract gives (``sender``,
    ``mailer``, ``harness``, ``counters``), and, with ``adapter_name`` set,
    optionally ``adapter_settings``: the settings (a mapping) its registered
    factory is built with, such as the URL of the stand-in service.
    """

    kind: ClassVar[str]
    """The port the adapter fills: ``sms``, ``email``, ``dukcapil``, ``ratelimit``."""
    port: ClassVar[type]
    """The runtime-checkable protocol of the port."""
    adapter_name: ClassVar[str | None] = None
    """Set it (``"whatsapp"``) to check that the adapter is registered under this name."""

    @pytest.fixture
    def adapter_under_test(self) -> object:
        """The adapter the contract runs on (each contract class returns its own fixture)."""
        raise NotImplementedError

    @pytest.fixture
    def registered_name(self) -> str | None:
        """The name to look the adapter up by: ``adapter_name`` unless overridden."""
        return self.adapter_name

    def test_the_adapter_keeps_the_port(self, adapter_under_test: object) -> None:
        adapter = adapter_under_test
        assert isinstance(adapter, self.port), (
            f"{type(adapter).__name__} lacks a method of {self.port.__name__}"
        )

    def test_the_adapter_is_registered_by_name(
        self,
        request: pytest.FixtureRequest,
        adapter_under_test: object,
        registered_name: str | None,
    ) -> None:
        if registered_name is None:
            pytest.skip(
                f"{type(self).__name__} names no registered adapter (adapter_name):"
                " its registration is not checked"
            )
        adapter_settings = _adapter_settings(request)
        host = installed_host()
        registration = host.adapter(self.kind, registered_name)  # UnknownAdapter lists the known
        assert registration.description.strip(), "give the registration a one-line description"
        assert "\n" not in registration.description.strip()
        built = build_registered(host, self.kind, registered_name, adapter_settings)
        try:
            assert isinstance(built, self.port)
            tested = adapter_under_test
            assert type(built) is type(tested), (
                f"{self.kind} = {registered_name!r} builds a {type(built).__name__},"
                f" but the contract ran on a {type(tested).__name__}"
            )
        finally:
            close(built)
