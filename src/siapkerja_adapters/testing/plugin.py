"""The pytest plug-in of the contract kit: ``pytest -p siapkerja_adapters.testing``.

It adds two fixtures and a report-header line; the contract classes work
without it. ``siapkerja_host`` is the plug-in host ``connect()`` would build
in this environment (the built-in plug-in and every installed ``siapkerja``
entry point, filtered by ``SIAPKERJA_PLUGINS``); ``siapkerja_adapter`` builds
an adapter from its registration by kind and name, so a contract test can
prove the adapter a user would get from ``sms = "whatsapp"``:

    @pytest.fixture
    def sender(self, siapkerja_adapter, gateway):
        return siapkerja_adapter("sms", "whatsapp", whatsapp_url=gateway.url)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from siapkerja_adapters.testing.contract import build_registered, close, installed_host
from siapkerja_core.plugins import ADAPTER_KINDS, PluginHost

__all__ = ["pytest_report_header", "siapkerja_adapter", "siapkerja_host"]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which siapkerja plug-ins the tests see (entry points included)."""
    try:
        host = installed_host()
        offered = ", ".join(
            f"{kind}: {'/'.join(host.known(kind))}" for kind in ADAPTER_KINDS if host.known(kind)
        )
    except Exception as failure:  # a broken plug-in must not hide the test report
        return [f"siapkerja plug-ins: failed to load ({failure})"]
    return [f"siapkerja plug-ins: {', '.join(host.plugin_names())} ({offered})"]


@pytest.fixture
def siapkerja_host() -> PluginHost:
    """The plug-in host ``connect()`` would build here (built-in and entry points)."""
    return installed_host()


@pytest.fixture
def siapkerja_adapter(siapkerja_host: PluginHost) -> Iterator[Callable[..., object]]:
    """Build an adapter by kind and name from its registration; closed after the test.

    ``siapkerja_adapter("sms", "whatsapp", whatsapp_url=...)``: the settings are
    the ``memory`` profile's with the keyword arguments on top, and every
    plug-in's ``siapkerja_configure`` checks them first.
    """
    built: list[object] = []

    def build(kind: str, name: str, **settings: object) -> object:
        adapter = build_registered(siapkerja_host, kind, name, settings)
        built.append(adapter)
        return adapter

    yield build
    for adapter in reversed(built):
        close(adapter)
