"""The population-registry (Dukcapil) contract, run on every built-in ``dukcapil`` adapter.

The contract ships with the package (``siapkerja_adapters.testing.dukcapil``,
the kit third-party plug-ins use). Each built-in adapter joins through a
*harness* in :data:`HARNESSES`: a callable that receives the residents the
contract needs and returns a
:class:`~siapkerja_adapters.testing.RegistryHarness` — the registry holding
(at least) those residents, and a way to make its next call fail. The HTTP
adapter's starts a Dukcapil-style server on 127.0.0.1 seeded with the same
residents and breaks it on demand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from siapkerja_adapters import builtin
from siapkerja_adapters.dukcapil_offline import (
    OfflineRegistry,
    Resident,
    offline_registry_from_settings,
)
from siapkerja_adapters.testing import (
    PopulationRegistryContract,
    RegistryHarness,
)
from siapkerja_core.plugins import PluginHost
from siapkerja_core.ports import PopulationRegistry
from siapkerja_core.settings import resolve_settings


def offline_harness(residents: tuple[Resident, ...]) -> RegistryHarness:
    registry = OfflineRegistry(residents, include_bundled=False)
    return RegistryHarness(registry, registry.fail_next)


def offline_bundled_harness(residents: tuple[Resident, ...]) -> RegistryHarness:
    # The adapter as connect() builds it: the settings factory and the bundled data only.
    registry = offline_registry_from_settings(resolve_settings("memory"))
    for resident in residents:
        assert registry.get(resident.nik) == resident, "the bundled set lost a fixed person"
    return RegistryHarness(registry, registry.fail_next)


def http_harness(residents: tuple[Resident, ...]) -> RegistryHarness:
    # The http adapter, built by its settings factory, against a Dukcapil-style
    # server on 127.0.0.1 (tests/support/fake_servers.py) holding the residents.
    pytest.importorskip("httpx", reason="the http adapter needs siapkerja[http]")
    from siapkerja_adapters.dukcapil_http import http_registry_from_settings
    from support.fake_servers import FakeDukcapil

    server = FakeDukcapil(residents).start()
    settings = resolve_settings(
        "memory",
        kwargs={
            "dukcapil_url": server.url,
            "dukcapil_customer_id": server.CUSTOMER_ID,
            "dukcapil_user_id": server.USER_ID,
            "dukcapil_password": server.PASSWORD,
            "dukcapil_ip_user": server.IP_USER,
            "dukcapil_timeout": 1,
            "dukcapil_retries": 1,
            "dukcapil_backoff": 0,
        },
    )
    registry = http_registry_from_settings(settings)

    def close() -> None:
        registry.close()
        server.stop()

    # Two 503s: the first attempt and its one retry.
    return RegistryHarness(registry, lambda: server.fail_next(2), close)


HARNESSES = [
    pytest.param(offline_harness, id="offline"),
    pytest.param(offline_bundled_harness, id="offline-bundled"),
    pytest.param(http_harness, id="http"),
]


def test_every_registered_dukcapil_adapter_has_a_harness() -> None:
    registered = {
        r.name
        for r in PluginHost.create(load_entrypoints=False, plugins=[builtin]).registrations(
            "dukcapil"
        )
    }
    covered = {param.id.split("-")[0] for param in HARNESSES}
    assert registered <= covered


class TestBuiltinRegistries(PopulationRegistryContract):
    """Every registered ``dukcapil`` adapter, through its harness."""

    @pytest.fixture(params=HARNESSES)
    def harness(
        self, request: pytest.FixtureRequest, residents: tuple[Resident, ...]
    ) -> Iterator[RegistryHarness]:
        made: RegistryHarness = request.param(residents)
        try:
            assert isinstance(made.registry, PopulationRegistry)
            yield made
        finally:
            made.close()

    @pytest.fixture
    def registered_name(self, request: pytest.FixtureRequest) -> str:
        # offline_bundled_harness -> "offline": the adapter the harness builds
        return request.node.callspec.params["harness"].__name__.split("_")[0]

    @pytest.fixture
    def adapter_settings(self, registered_name: str) -> Mapping[str, object]:
        if registered_name != "http":
            return {}
        pytest.importorskip("httpx", reason="the http adapter needs siapkerja[http]")
        from support.fake_servers import FakeDukcapil

        # Building the client connects to nothing: any address will do.
        return {
            "dukcapil_url": "http://127.0.0.1:9",
            "dukcapil_customer_id": FakeDukcapil.CUSTOMER_ID,
            "dukcapil_user_id": FakeDukcapil.USER_ID,
            "dukcapil_password": FakeDukcapil.PASSWORD,
            "dukcapil_ip_user": FakeDukcapil.IP_USER,
        }
