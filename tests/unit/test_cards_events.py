"""Card, scan, check-in, consent and verifier events through the ``siapkerja_event`` hook."""

from __future__ import annotations

import attrs
import pytest
from journey_support import Clock, Recorder, residents
from test_cards_support import (
    EVENT,
    build,
    complete_profile,
    open_account,
    personal_strings,
)

from siapkerja_core.events import DomainEvent
from siapkerja_core.profile import ProfileError
from siapkerja_core.service import Siapkerja
from support.gates import check_in, open_events

CARD_EVENTS = {
    "profile.updated",
    "card.issued",
    "card.rotated",
    "card.revoked",
    "card.scanned",
    "attendance.recorded",
    "consent.changed",
    "verifier.registered",
}


@pytest.fixture
def svc(clock: Clock, recorder: Recorder) -> Siapkerja:
    return build(clock, recorder)


def card_events(recorder: Recorder) -> list[DomainEvent]:
    return [e for e in recorder.events if e.name in CARD_EVENTS]


def test_the_card_events_in_order_without_secrets(
    svc: Siapkerja, recorder: Recorder, clock: Clock
) -> None:
    open_events(svc, EVENT)  # the organiser registers, the event and its gate
    account = open_account(svc)
    complete_profile(svc, account)
    card = svc.issue_card(account.id)
    karirhub, api_key = svc.register_verifier("Karirhub", ["karirhub"])
    consent = svc.grant_consent(account.id, karirhub.id, "lamaran")
    link = svc.card_qr(account.id)
    view = svc.resolve(link.url or "")
    svc.resolve(link.token, karirhub, purpose="lamaran")
    svc.withdraw_consent(account.id, consent.id)
    svc.rotate_card(account.id)
    access = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    check_in(svc, access, EVENT)
    svc.revoke_card(account.id)

    events = card_events(recorder)
    assert [e.name for e in events] == [
        "verifier.registered",
        "profile.updated",
        "card.issued",
        "verifier.registered",
        "consent.changed",
        "card.scanned",
        "card.scanned",
        "consent.changed",
        "card.rotated",
        "attendance.recorded",
        "card.revoked",
    ]
    fields = [attrs.asdict(e) for e in events]
    assert all(e.occurred_at == clock.now() for e in events)
    assert all(f.get("account_id") in (None, account.id) for f in fields)
    updated, issued, registered, granted, scanned, verified, withdrawn = fields[1:8]
    rotated, attended, _ = fields[8:]
    assert updated["complete"] is True
    assert set(updated["sections"]) >= {"biodata", "photo", "skills"}
    assert (issued["siapkerja_id"], issued["version"]) == (card.siapkerja_id, 1)
    assert registered["verifier_id"] == karirhub.id
    assert tuple(registered["scopes"]) == ("karirhub",)
    assert (granted["granted"], withdrawn["granted"]) == (True, False)
    assert granted["consent_id"] == withdrawn["consent_id"] == consent.id
    assert scanned["audience"] == "anonymous"
    assert tuple(scanned["fields"]) == view.disclosed
    assert verified["audience"] == "verifier"
    assert verified["verifier_id"] == karirhub.id
    assert rotated["version"] == 2
    assert (attended["event_id"], attended["station_id"]) == (EVENT, "gate-1")

    secrets = [*personal_strings(account), link.token, link.url or "", access, api_key]
    mother = residents(svc, 1)[0][2]
    secrets += [link.token[-32:], access[-103:], mother, "Jakarta"]
    for event in events:
        text = repr(event) + repr(attrs.asdict(event))
        for secret in secrets:
            assert secret not in text, (event.name, secret)
            assert secret.lower() not in text.lower(), (event.name, secret)


def test_profile_updates_say_which_sections_and_whether_complete(
    svc: Siapkerja, recorder: Recorder
) -> None:
    account = open_account(svc)
    svc.update_profile(account.id, biodata={"headline": "Tukang Las"}, skills=["Las listrik"])
    event = card_events(recorder)[-1]
    assert event.name == "profile.updated"
    assert event.sections == ("biodata", "skills")  # type: ignore[attr-defined]
    assert event.complete is False  # type: ignore[attr-defined]
    assert "Tukang Las" not in repr(event)
    assert "Las listrik" not in repr(event)


def test_a_refused_change_emits_nothing(svc: Siapkerja, recorder: Recorder) -> None:
    account = open_account(svc)
    before = len(card_events(recorder))
    with pytest.raises(ProfileError):
        svc.update_profile(account.id, biodata={"birth_date": "kemarin"})
    assert len(card_events(recorder)) == before


def test_a_reissue_is_a_new_version(svc: Siapkerja, recorder: Recorder) -> None:
    account = open_account(svc)
    complete_profile(svc, account)
    svc.issue_card(account.id)
    svc.issue_card(account.id)
    issued = [e for e in card_events(recorder) if e.name == "card.issued"]
    assert [e.version for e in issued] == [1, 2]  # type: ignore[attr-defined]
    assert issued[0].siapkerja_id == issued[1].siapkerja_id  # type: ignore[attr-defined]
