"""The e-mail sender contract, on every ``email`` adapter the built-in plug-in registers.

The contract ships with the package (``siapkerja_adapters.testing.mail``, the
kit third-party plug-ins use); this file runs it on the built-in adapters and
adds their own checks.

``smtp`` runs against a real SMTP server started by the test (aiosmtpd on
127.0.0.1); ``console`` and ``memory`` from the memory profile's settings.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping

import pytest

from siapkerja_adapters import builtin
from siapkerja_adapters.mail import ConsoleMailer, MemoryMailer, SmtpMailer
from siapkerja_adapters.testing import EmailSenderContract
from siapkerja_adapters.testing.mail import BODY, SUBJECT, TO
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.plugins import PluginHost
from siapkerja_core.ports import EmailDeliveryError, EmailSender
from siapkerja_core.settings import resolve_settings
from support.smtp import SmtpServer

REGISTRATIONS = PluginHost.create(load_entrypoints=False, plugins=[builtin]).registrations("email")


def test_the_builtin_plugin_registers_email_adapters() -> None:
    assert {r.name for r in REGISTRATIONS} == {"console", "memory", "smtp"}


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _smtp_settings(server: SmtpServer) -> dict[str, object]:
    return {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "none",
        "mail_from": "noreply@siapkerja.example.id",
        "smtp_timeout": 5,
    }


def _smtp(server: SmtpServer) -> SmtpMailer:
    settings = resolve_settings("memory", kwargs=_smtp_settings(server))
    registration = next(r for r in REGISTRATIONS if r.name == "smtp")
    adapter = registration.factory(settings)
    assert isinstance(adapter, SmtpMailer)
    return adapter


class TestBuiltinMailers(EmailSenderContract):
    """Every registered ``email`` adapter; ``smtp`` against the real server."""

    @pytest.fixture(params=sorted(r.name for r in REGISTRATIONS))
    def registered_name(self, request: pytest.FixtureRequest) -> str:
        return request.param

    @pytest.fixture
    def adapter_settings(
        self, registered_name: str, smtp_server: SmtpServer
    ) -> Mapping[str, object]:
        return _smtp_settings(smtp_server) if registered_name == "smtp" else {}

    @pytest.fixture
    def mailer(self, registered_name: str, adapter_settings: Mapping[str, object]) -> EmailSender:
        registration = next(r for r in REGISTRATIONS if r.name == registered_name)
        adapter = registration.factory(resolve_settings("memory", kwargs=adapter_settings))
        assert isinstance(adapter, EmailSender)
        return adapter


# --- smtp against the real server ------------------------------------------------------


def test_smtp_delivers_a_plain_text_email(smtp_server: SmtpServer) -> None:
    mailer = _smtp(smtp_server)
    before = len(smtp_server.messages)
    mailer.send_email(TO, SUBJECT, "Isi: ganti nomor ke +6281******001", idempotency_key="n:7")
    assert len(smtp_server.messages) == before + 1
    message = smtp_server.messages[-1]
    assert message["To"] == TO
    assert message["From"] == "noreply@siapkerja.example.id"
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == "<n.7@siapkerja>"
    assert message.get_payload(decode=True).decode().strip() == "Isi: ganti nomor ke +6281******001"
    assert smtp_server.envelopes[-1] == ("noreply@siapkerja.example.id", [TO])
    # sent once: the key is used up
    mailer.send_email(TO, SUBJECT, "again", idempotency_key="n:7")
    assert len(smtp_server.messages) == before + 1


@pytest.mark.parametrize(("status", "retryable"), [(451, True), (550, False)])
def test_smtp_refusals_say_whether_a_retry_can_help(
    smtp_server: SmtpServer, status: int, retryable: bool
) -> None:
    mailer = _smtp(smtp_server)
    smtp_server.refuse_next(status)
    with pytest.raises(EmailDeliveryError) as refused:
        mailer.send_email(TO, SUBJECT, BODY, idempotency_key=f"refused-{status}")
    assert refused.value.full_code == "mail.unavailable"
    assert refused.value.params["retryable"] is retryable
    # a failed send does not use up its key
    receipt = mailer.send_email(TO, SUBJECT, BODY, idempotency_key=f"refused-{status}")
    assert receipt.to == TO


def test_smtp_unreachable_is_retryable() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=1, sender="a@b.id", security="none", timeout=1)
    with pytest.raises(EmailDeliveryError) as down:
        mailer.send_email(TO, SUBJECT, BODY)
    assert down.value.params["retryable"] is True


def test_smtp_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError) as missing:
        _settings_mailer({"mail_from": "a@b.id"})
    assert missing.value.params["name"] == "smtp_host"
    with pytest.raises(ConfigurationError) as half:
        _settings_mailer({"smtp_host": "h", "mail_from": "a@b.id", "smtp_username": "u"})
    assert half.value.params["name"] == "smtp_username"
    with pytest.raises(ConfigurationError):
        _settings_mailer({"smtp_host": "h", "mail_from": "a@b.id", "smtp_security": "ssl3"})


def _settings_mailer(values: dict[str, object]) -> SmtpMailer:
    from siapkerja_adapters.mail import smtp_mailer_from_settings

    return smtp_mailer_from_settings(resolve_settings("memory", kwargs=values))


# --- console and memory ----------------------------------------------------------------


def test_console_writes_each_message_once() -> None:
    stream = io.StringIO()
    mailer = ConsoleMailer(stream)
    mailer.send_email(TO, SUBJECT, BODY, idempotency_key="once")
    mailer.send_email(TO, SUBJECT, BODY, idempotency_key="once")
    assert stream.getvalue() == f"[siapkerja email] to {TO}: {SUBJECT}\n{BODY}\n"


def test_memory_can_fail_and_finds_the_last_message() -> None:
    mailer = MemoryMailer()
    mailer.fail_next(1)
    with pytest.raises(EmailDeliveryError):
        mailer.send_email(TO, SUBJECT, BODY, idempotency_key="k")
    mailer.send_email(TO, SUBJECT, BODY, idempotency_key="k")
    last = mailer.last_to(TO)
    assert last is not None
    assert last.body == BODY
    assert mailer.last_to("other@example.id") is None
