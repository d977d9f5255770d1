"""Notices: the table, the texts (masked, no codes), the subscriber, idempotency per event."""

from __future__ import annotations

import re
from typing import ClassVar

import attrs
import pytest
from attrs import frozen
from journey_support import EMAIL, PHONE_E164, STRONG_PASSWORD, Clock, start_pending

from siapkerja_core import translations
from siapkerja_core.events import DomainEvent, event_names
from siapkerja_core.notices import NOTICES, notice_email, notice_sms
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

# The events other use cases add in parallel (issue 16), matched by name only.
OTHER_EVENTS = (
    "factor.enrolled",
    "factor.removed",
    "recovery_codes.generated",
    "recovery_code.used",
    "rights.requested",
    "account.restricted",
    "account.restriction_lifted",
    "consent.withdrawn_all",
    "account.erased",
    "dispute.answered",
    "dispute.decided",
    "account.frozen",
)


@frozen(kw_only=True)
class StandIn(DomainEvent):
    """A stand-in for another helper's event: only its name, account and kind matter."""

    name: ClassVar[str] = "factor.enrolled"
    account_id: str
    kind: str = "totp"


def stand_in(name: str) -> type[StandIn]:
    return type(f"StandIn_{name.replace('.', '_')}", (StandIn,), {"name": name})


def holder(svc: Siapkerja) -> Account:
    registration, code = start_pending(svc, password=STRONG_PASSWORD)
    return svc.confirm_otp(registration.id, code)


def sent(svc: Siapkerja) -> tuple[list[str], list[str]]:
    svc.deliver_outbox()
    sms = [m.text for m in svc.sms.messages if m.to == PHONE_E164]  # type: ignore[attr-defined]
    mail = [m.body for m in svc.adapters["email"].messages if m.to == EMAIL]  # type: ignore[attr-defined]
    return sms, mail


def test_the_table_covers_every_sensitive_change() -> None:
    wanted = {
        "account.phone_changed",
        "account.email_changed",
        "contact.second_added",
        "password_reset.completed",
        "sso.client_granted",
        *OTHER_EVENTS,
    }
    assert wanted == set(NOTICES)
    # dispute.opened and account.recovered are written by the disputes flow itself
    assert "dispute.opened" not in NOTICES
    assert "account.recovered" not in NOTICES
    own = {n.event for n in NOTICES.values() if n.in_transaction}
    assert own == {"account.phone_changed", "account.email_changed", "contact.second_added"}
    # this helper's own events exist as classes
    assert {"account.phone_changed", "sso.client_granted"} <= set(event_names())


@pytest.mark.parametrize("notice", list(NOTICES.values()), ids=lambda n: n.event)
def test_every_notice_has_both_languages_and_fits_an_sms(notice: object) -> None:
    key = f"notice.{notice.key}"  # type: ignore[attr-defined]
    indonesian = translations.catalogues().find(key, "id")
    english = translations.catalogues().find(key, "en")
    assert indonesian
    assert english
    assert indonesian != english
    sms = notice_sms(notice, service="SIAPkerja Kemnaker", detail="+6281******890", kind="totp")  # type: ignore[arg-type]
    assert "{" not in sms
    assert len(sms) <= 3 * 153  # at most three SMS parts
    mail = notice_email(notice, service="SIAPkerja Kemnaker", detail="x", kind="erasure")  # type: ignore[arg-type]
    subject, _, body = mail.partition("\n")
    assert subject.startswith("SIAPkerja Kemnaker")
    assert (
        translations.text(
            key, "en", service="SIAPkerja Kemnaker", detail="x", kind="erasure"
        ).split(":")[0]
        in body
    )


@pytest.mark.parametrize("name", OTHER_EVENTS)
def test_an_event_of_another_use_case_becomes_a_notice_by_its_name(
    svc: Siapkerja, name: str
) -> None:
    galih = holder(svc)
    before_sms, before_mail = sent(svc)
    svc.emit(stand_in(name)(occurred_at=svc.now(), account_id=galih.id))
    after_sms, after_mail = sent(svc)
    notice = NOTICES[name]
    assert len(after_sms) - len(before_sms) == ("phone" in notice.to)
    assert len(after_mail) - len(before_mail) == ("email" in notice.to)
    for text in after_sms[len(before_sms) :] + after_mail[len(before_mail) :]:
        assert galih.phone not in text
        assert galih.email not in text
        assert galih.nik not in text
        assert not re.search(r"(?<!\d)\d{6}(?!\d)", text)  # no code


def test_a_kind_is_put_in_words(svc: Siapkerja) -> None:
    galih = holder(svc)
    svc.emit(
        stand_in("rights.requested")(occurred_at=svc.now(), account_id=galih.id, kind="erasure")
    )
    sms, mail = sent(svc)
    assert "penghapusan" in sms[-1]
    assert "erasure request" in mail[-1]


def test_an_event_heard_twice_is_told_once(svc: Siapkerja, clock: Clock) -> None:
    galih = holder(svc)
    event = stand_in("account.restricted")(occurred_at=svc.now(), account_id=galih.id)
    svc.emit(event)
    first = sent(svc)
    clock.advance(seconds=5)
    svc.emit(event)  # the same event again, after its messages left the outbox
    assert svc.contacts.notices.on_event(event) == 0
    assert sent(svc) == first
    # another event of the same name is another notice
    svc.emit(stand_in("account.restricted")(occurred_at=svc.now(), account_id=galih.id))
    assert len(sent(svc)[0]) == len(first[0]) + 1
    marks = svc.verifiers.audit(target=galih.id, actor="notices")
    assert [r.action for r in marks] == ["notice.queued", "notice.queued"]


def test_events_without_a_notice_or_an_account_write_nothing(svc: Siapkerja) -> None:
    galih = holder(svc)
    before = sent(svc)
    writer = svc.contacts.notices
    assert (
        writer.on_event(stand_in("factor.listed")(occurred_at=svc.now(), account_id=galih.id)) == 0
    )
    assert (
        writer.on_event(stand_in("factor.enrolled")(occurred_at=svc.now(), account_id="gone")) == 0
    )
    # a notice written in its flow's transaction is not written again by the subscriber
    assert (
        writer.on_event(
            stand_in("account.phone_changed")(occurred_at=svc.now(), account_id=galih.id)
        )
        == 0
    )
    assert sent(svc) == before


def test_the_notices_setting_turns_them_off(make_svc: object, clock: Clock) -> None:
    from siapkerja_adapters.connect import connect
    from siapkerja_core.passwords import PasswordHasher

    svc = connect(
        "memory", environ={}, clock=clock.now, hasher=PasswordHasher.fast_for_tests(), notices=False
    )
    galih = holder(svc)
    before = sent(svc)
    svc.emit(stand_in("account.frozen")(occurred_at=svc.now(), account_id=galih.id))
    assert sent(svc) == before


def test_a_password_reset_is_told_by_email(svc: Siapkerja) -> None:
    from journey_support import last_code

    galih = holder(svc)
    request = svc.request_password_reset(EMAIL)
    svc.reset_password(request.id, last_code(svc, PHONE_E164), "Baru-Sekali-99")
    sms, mail = sent(svc)
    assert "kata sandi" in mail[-1]
    assert "password" in mail[-1]
    assert not any("kata sandi akun Anda baru saja diganti" in t for t in sms)
    assert galih.id


def test_the_factor_helpers_kinds_are_put_in_words(svc: Siapkerja) -> None:
    # FactorKind values of siapkerja_core.factors (merged in parallel): totp, passkey,
    # recovery_codes; a removal names which.
    galih = holder(svc)
    for kind, words in (("passkey", "passkey"), ("recovery_codes", "kode pemulihan")):
        event = stand_in("factor.removed")(occurred_at=svc.now(), account_id=galih.id, kind=kind)
        svc.emit(event)
        assert words in sent(svc)[0][-1]


def test_every_notice_is_of_an_event_the_library_emits() -> None:
    """The table was written by name beside the events' modules: each name must exist."""
    import importlib
    import pkgutil

    import siapkerja_core
    from siapkerja_core.events import DomainEvent
    from siapkerja_core.notices import NOTICES

    for info in pkgutil.walk_packages(siapkerja_core.__path__, "siapkerja_core."):
        importlib.import_module(info.name)

    def subclasses(cls: type[DomainEvent]) -> set[type[DomainEvent]]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    names = {event.name for event in subclasses(DomainEvent)}
    assert sorted(set(NOTICES) - names) == []
    for event in subclasses(DomainEvent):
        if event.name in NOTICES:
            assert "account_id" in {field.name for field in attrs.fields(event)}, event
