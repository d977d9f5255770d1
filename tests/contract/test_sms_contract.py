"""The message-sender contract, run on every ``sms`` adapter the built-in plug-in registers.

The contract itself ships with the package (``siapkerja_adapters.testing.sms``,
the kit third-party plug-ins use); here it runs on each built-in
registration, built by its settings factory — ``http`` against a gateway on
127.0.0.1. A new built-in SMS adapter joins this suite by being registered;
the adapter-specific checks (what ``console`` prints, ``memory``'s switches)
follow at the end of the file.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping

import pytest

from siapkerja_adapters import builtin
from siapkerja_adapters.sms import ConsoleSender, MemorySender
from siapkerja_adapters.testing import MessageSenderContract
from siapkerja_adapters.testing.sms import OTHER, TEXT, TO
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.plugins import AdapterRegistration, PluginHost
from siapkerja_core.ports import MessageSender, SmsDeliveryError
from siapkerja_core.settings import resolve_settings

REGISTRATIONS = PluginHost.create(load_entrypoints=False, plugins=[builtin]).registrations("sms")


def test_the_builtin_plugin_registers_sms_adapters() -> None:
    # Guards the parametrisation below: an empty list would run no contract at all.
    assert {r.name for r in REGISTRATIONS} >= {"console", "memory", "http"}


@pytest.fixture
def sms_gateway() -> Iterator[object]:
    from support.fake_servers import FakeSmsGateway

    gateway = FakeSmsGateway().start()
    yield gateway
    gateway.stop()


class TestBuiltinSenders(MessageSenderContract):
    """Every registered ``sms`` adapter, built from the memory profile's settings."""

    @pytest.fixture(params=REGISTRATIONS, ids=lambda r: r.name)
    def registration(self, request: pytest.FixtureRequest) -> AdapterRegistration:
        return request.param

    @pytest.fixture
    def registered_name(self, registration: AdapterRegistration) -> str:
        return registration.name

    @pytest.fixture
    def adapter_settings(
        self, request: pytest.FixtureRequest, registration: AdapterRegistration
    ) -> Mapping[str, object]:
        if registration.name != "http":
            return {}
        pytest.importorskip("httpx", reason="the http adapter needs siapkerja[http]")
        gateway = request.getfixturevalue("sms_gateway")
        return {
            "sms_url": gateway.send_url,
            "sms_token": gateway.TOKEN,
            "sms_message_id_path": "data.message_id",
            "sms_timeout": 1,
        }

    @pytest.fixture
    def sender(
        self, registration: AdapterRegistration, adapter_settings: Mapping[str, object]
    ) -> Iterator[MessageSender]:
        adapter = registration.factory(resolve_settings("memory", kwargs=adapter_settings))
        assert isinstance(adapter, MessageSender)
        yield adapter
        close = getattr(adapter, "close", None)
        if close is not None:
            close()


# --- adapter-specific -----------------------------------------------------------------


def test_console_writes_each_message_once() -> None:
    stream = io.StringIO()
    sender = ConsoleSender(stream)
    sender.send(TO, TEXT, idempotency_key="once")
    sender.send(TO, TEXT, idempotency_key="once")
    assert stream.getvalue() == f"[siapkerja sms] to {TO}: {TEXT}\n"


def test_console_defaults_to_the_current_stdout(capsys) -> None:
    ConsoleSender().send(TO, TEXT)
    assert capsys.readouterr().out == f"[siapkerja sms] to {TO}: {TEXT}\n"


def test_console_logs_the_text_at_debug_only(caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="siapkerja.sms"):
        ConsoleSender(io.StringIO()).send(TO, TEXT)
    [record] = caplog.records
    assert record.levelno == logging.DEBUG
    assert TEXT in record.getMessage()


def test_console_stream_setting(capsys) -> None:
    console = next(r for r in REGISTRATIONS if r.name == "console")
    sender = console.factory(resolve_settings(kwargs={"sms_console_stream": "stderr"}))
    sender.send(TO, TEXT)
    captured = capsys.readouterr()
    assert TEXT in captured.err
    assert captured.out == ""


def test_memory_keeps_messages_and_finds_the_last_to_a_number() -> None:
    sender = MemorySender()
    first = sender.send(TO, "one")
    sender.send(OTHER, "two")
    third = sender.send(TO, "three", idempotency_key="k")
    sender.send(TO, "three again", idempotency_key="k")
    assert [m.text for m in sender.messages] == ["one", "two", "three"]
    assert sender.last_to(TO) == third
    assert sender.last_to(TO) != first
    assert sender.last_to("+6280000000000") is None


def test_memory_fail_next_raises_then_recovers() -> None:
    sender = MemorySender()
    sender.fail_next(2)
    for _ in range(2):
        with pytest.raises(SmsDeliveryError) as info:
            sender.send(TO, TEXT, idempotency_key="retry")
        assert info.value.full_code == "sms.unavailable"
        assert isinstance(info.value, SiapkerjaError)
    assert sender.messages == []
    # A failed send does not use up its idempotency key.
    receipt = sender.send(TO, TEXT, idempotency_key="retry")
    assert sender.messages == [receipt]


def test_memory_fail_next_does_not_touch_a_delivered_key() -> None:
    sender = MemorySender()
    first = sender.send(TO, TEXT, idempotency_key="done")
    sender.fail_next()
    assert sender.send(TO, TEXT, idempotency_key="done") == first
    with pytest.raises(SmsDeliveryError):
        sender.send(TO, TEXT)


def test_memory_fail_next_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        MemorySender().fail_next(-1)


def test_sms_delivery_error_is_bilingual() -> None:
    err = SmsDeliveryError("unavailable")
    assert "tidak tersedia" in err.message_id
    assert "unavailable" in err.message_en
