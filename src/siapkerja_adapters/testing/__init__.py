"""The contract kit: the port contracts a third-party adapter proves itself with.

This package owns the adapter-independent contract suites of the ports a
plug-in fills first — the message sender (``sms``), the e-mail sender
(``email``), the population registry (``dukcapil``) and the rate-limit
counters (``ratelimit``) — as base classes to
subclass in a test module, a small JSON HTTP server on 127.0.0.1 to play a
gateway in those tests, and a pytest plug-in (``pytest -p
siapkerja_adapters.testing``) with fixtures that build adapters through the
plug-in registry, as ``connect()`` does. ``docs/plugins.md`` walks a WhatsApp
sender from zero to passing contracts::

    from siapkerja_adapters.testing import MessageSenderContract

    class TestWhatsApp(MessageSenderContract):
        @pytest.fixture
        def sender(self):
            return WhatsAppSender(...)

siapkerja's own adapters run the same classes (``tests/contract``), so there
is one source for each contract. pytest is not a dependency of the library:
install ``siapkerja[testing]``. Nothing in the library imports this package.
"""

from __future__ import annotations

try:
    import pytest
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "siapkerja_adapters.testing is the contract kit for plug-in tests and needs pytest;"
        " install it with: pip install 'siapkerja[testing]'"
    ) from missing

# The contracts are plain asserts: have pytest rewrite them (for its detailed
# failure messages) even when a test module imports them without `-p`. This
# must happen before the modules are imported.
pytest.register_assert_rewrite(
    "siapkerja_adapters.testing.contract",
    "siapkerja_adapters.testing.counters",
    "siapkerja_adapters.testing.dukcapil",
    "siapkerja_adapters.testing.mail",
    "siapkerja_adapters.testing.sms",
)

from siapkerja_adapters.testing.contract import AdapterContract  # noqa: E402
from siapkerja_adapters.testing.counters import CountersContract, UnitCountersContract  # noqa: E402
from siapkerja_adapters.testing.dukcapil import (  # noqa: E402
    CONTRACT_RESIDENTS,
    FAUZI,
    GALIH,
    RIZKI,
    SUTARMI,
    UNKNOWN_NIK,
    PopulationRegistryContract,
    RegistryHarness,
)
from siapkerja_adapters.testing.mail import EmailSenderContract  # noqa: E402
from siapkerja_adapters.testing.plugin import (  # noqa: E402
    pytest_report_header,
    siapkerja_adapter,
    siapkerja_host,
)
from siapkerja_adapters.testing.servers import JsonHttpServer, Received  # noqa: E402
from siapkerja_adapters.testing.sms import MessageSenderContract  # noqa: E402

__all__ = [
    "CONTRACT_RESIDENTS",
    "FAUZI",
    "GALIH",
    "RIZKI",
    "SUTARMI",
    "UNKNOWN_NIK",
    "AdapterContract",
    "CountersContract",
    "EmailSenderContract",
    "JsonHttpServer",
    "MessageSenderContract",
    "PopulationRegistryContract",
    "Received",
    "RegistryHarness",
    "UnitCountersContract",
    "pytest_report_header",
    "siapkerja_adapter",
    "siapkerja_host",
]
