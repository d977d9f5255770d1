"""The message-sender contract, run on every ``sms`` adapter the built-in plug-in registers.

A new built-in SMS adapter joins this suite by being registered; the
adapter-specific checks (what ``console`` prints, ``memory``'s switches)
follow at the end of the file.
"""

from __future__ import annotations

import io
import logging
import threading
from datetime import UTC, datetime

import pytest

from siapkerja_adapters import builtin
from siapkerja_adapters.sms import ConsoleSender, MemorySender
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.plugins import AdapterRegistration, PluginHost
from siapkerja_core.ports import MessageSender, SentMessage, SmsDeliveryError
from siapkerja_core.settings import resolve_settings

TO = "+6281234567890"
OTHER = "+6285700001111"
TEXT = "Kode verifikasi SIAPkerja: 482913"

REGISTRATIONS = PluginHost.create(load_entrypoints=False, plugins=[builtin]).registrations("sms")


def test_the_builtin_plugin_registers_sms_adapters() -> None:
    # Guards the parametrisation below: an empty list would run no contract at all.
    assert {r.name for r in REGISTRATIONS} >= {"console", "memory"}


def http_sender(request: pytest.FixtureRequest) -> MessageSender:
    """The http adapter, built by its settings factory, against a gateway on 127.0.0.1."""
    pytest.importorskip("httpx", reason="the http adapter needs siapkerja[http]")
    from siapkerja_adapters.sms_http import http_sender_from_settings
    from support.fake_servers import FakeSmsGateway

    gateway = FakeSmsGateway().start()
    request.addfinalizer(gateway.stop)
    adapter = http_sender_from_settings(
        resolve_settings(
            "memory",
            kwargs={
                "sms_url": gateway.send_url,
                "sms_token": gateway.TOKEN,
                "sms_message_id_path": "data.message_id",
                "sms_timeout": 1,
            },
        )
    )
    request.addfinalizer(adapter.close)
    return adapter


# Every registered adapter built from the memory profile's settings, except
# http, which needs a gateway: it runs against the fake one.
SENDERS = [pytest.param(r, id=r.name) for r in REGISTRATIONS if r.name != "http"]
SENDERS.append(pytest.param(None, id="http"))


@pytest.fixture(params=SENDERS)
def sender(request) -> MessageSender:
    registration: AdapterRegistration | None = request.param
    if registration is None:
        adapter = http_sender(request)
    else:
        adapter = registration.factory(resolve_settings("memory"))
    assert isinstance(adapter, MessageSender)
    return adapter


def test_send_returns_a_receipt_for_the_same_message(sender) -> None:
    before = datetime.now(UTC)
    receipt = sender.send(TO, TEXT)
    assert isinstance(receipt, SentMessage)
    assert (receipt.to, receipt.text) == (TO, TEXT)
    assert isinstance(receipt.message_id, str)
    assert receipt.message_id
    assert receipt.sent_at.tzinfo is not None
    assert before <= receipt.sent_at <= datetime.now(UTC)


def test_each_send_gets_its_own_message_id(sender) -> None:
    ids = {sender.send(TO, TEXT).message_id for _ in range(5)}
    ids.add(sender.send(OTHER, TEXT, idempotency_key="k").message_id)
    assert len(ids) == 6


def test_the_same_idempotency_key_returns_the_first_receipt(sender) -> None:
    first = sender.send(TO, TEXT, idempotency_key="otp-1")
    again = sender.send(TO, TEXT, idempotency_key="otp-1")
    other = sender.send(TO, TEXT, idempotency_key="otp-2")
    assert again == first
    assert other.message_id != first.message_id


def test_idempotency_holds_across_threads(sender) -> None:
    receipts: list[SentMessage] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        barrier.wait()
        receipts.append(sender.send(TO, TEXT, idempotency_key="race"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.message_id for r in receipts}) == 1


def test_the_text_is_never_logged_above_debug(sender, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        sender.send(TO, TEXT)
    assert all(TEXT not in r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


def test_the_receipt_repr_hides_the_text(sender) -> None:
    receipt = sender.send(TO, TEXT)
    assert "482913" not in repr(receipt)
    assert TO in repr(receipt)


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
