"""The second-contact repository and the outbox's channel, on every storage adapter.

Runs on the storages of ``test_storage_contract`` (memory, SQLite file, SQLite in
memory, PostgreSQL): a second contact is one row per account, replaced by a
new one, gone when deleted, and commits with its transaction; an outbox
message keeps its channel through a write, a claim and a read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_storage_contract import storage  # noqa: F401 - the parametrised fixture

from siapkerja_core.ports import Storage
from siapkerja_core.records import OutboxMessage
from siapkerja_core.second_contact import ContactKind, SecondContact

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def contact(account: str, value: str = "+6281299990002") -> SecondContact:
    kind = ContactKind.EMAIL if "@" in value else ContactKind.PHONE
    return SecondContact(account_id=account, kind=kind, value=value, verified_at=NOW)


def test_a_second_contact_is_kept_replaced_and_removed(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        assert tx.second_contacts.get("acct-1") is None
        tx.second_contacts.put(contact("acct-1"))
        assert tx.second_contacts.get("acct-1") == contact("acct-1")  # its own write
        tx.second_contacts.put(contact("acct-2", "cadangan@example.id"))
    with storage.transaction() as tx:
        assert tx.second_contacts.get("acct-1") == contact("acct-1")
        assert tx.second_contacts.get("acct-2") == contact("acct-2", "cadangan@example.id")
        tx.second_contacts.put(contact("acct-1", "baru@example.id"))
    with storage.transaction() as tx:
        assert tx.second_contacts.get("acct-1") == contact("acct-1", "baru@example.id")
        assert tx.second_contacts.delete("acct-1") is True
        assert tx.second_contacts.delete("acct-1") is False
        assert tx.second_contacts.get("acct-1") is None
    with storage.transaction() as tx:
        assert tx.second_contacts.get("acct-1") is None
        assert tx.second_contacts.get("acct-2") is not None


def test_a_second_contact_commits_with_its_transaction_or_not_at_all(
    storage: Storage,  # noqa: F811
) -> None:
    def failing_request() -> None:
        with storage.transaction() as tx:
            tx.second_contacts.put(contact("acct-3"))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    with storage.transaction() as tx:
        assert tx.second_contacts.get("acct-3") is None


def _message(n: int, channel: str) -> OutboxMessage:
    return OutboxMessage(
        id=f"notice-{n}",
        to="galih@example.id" if channel == "email" else "+6281299990002",
        text="Subjek\n\nIsi pemberitahuan",
        created_at=NOW,
        available_at=NOW,
        expires_at=NOW + timedelta(days=2),
        purpose="notice.phone_changed",
        channel=channel,
    )


def test_an_outbox_message_keeps_its_channel(storage: Storage) -> None:  # noqa: F811
    with storage.transaction() as tx:
        tx.outbox.add(_message(1, "email"))
        tx.outbox.add(_message(2, "sms"))
    with storage.transaction() as tx:
        assert tx.outbox.get("notice-1") == _message(1, "email")
        assert tx.outbox.get("notice-2") == _message(2, "sms")
        claimed = tx.outbox.claim(now=NOW, lease=timedelta(seconds=30), limit=10)
    assert {m.id: m.channel for m in claimed} == {"notice-1": "email", "notice-2": "sms"}
    with storage.transaction() as tx:
        message = tx.outbox.get("notice-1")
        assert message is not None
        tx.outbox.put(message.retry_at(NOW + timedelta(seconds=5), "mail.unavailable"))
    with storage.transaction() as tx:
        again = tx.outbox.get("notice-1")
        assert again is not None
        assert again.channel == "email"
        assert again.last_failure == "mail.unavailable"
