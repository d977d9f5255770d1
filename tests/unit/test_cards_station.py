"""Offline stations with the service's public keys, and syncing their check-ins back.

The sync scenario: five holders A-E at one event. Station 1 and station 2
scan overlapping people offline while the server checks some in itself; the
stations' pending check-ins are synced twice, in both orders. Whatever the
order, the event ends with exactly one check-in per card, the earliest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from journey_support import Clock
from test_cards_support import EVENT, build, card_record, holder

from siapkerja_core.gates import GateError, SignedExport, StationKeyPair
from siapkerja_core.service import Siapkerja
from siapkerja_core.station import CheckIn, OfflineStation, read_check_ins
from siapkerja_core.tokens import TokenError
from siapkerja_core.views import Account
from support.gates import check_in, open_events, organiser


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


def access(svc: Siapkerja, account: Account, purpose: str = EVENT) -> str:
    open_events(svc, purpose)
    return svc.card_qr(account.id, mode="access", purpose=purpose).token


def offline_gate(svc: Siapkerja, clock: Clock, station_id: str) -> OfflineStation:
    """An offline gate of EVENT holding its own key, registered by the organiser."""
    open_events(svc, EVENT)
    keys = StationKeyPair.generate()
    svc.events.add_station(
        organiser(svc), EVENT, name=station_id, station_id=station_id, public_key=keys.public_key
    )
    return OfflineStation(svc.station_keyring(), EVENT, station_id, clock.now, signing_key=keys)


def test_the_station_keyring_holds_no_secret(svc: Siapkerja) -> None:
    holder(svc)
    svc.rotate_keys()
    ring = svc.station_keyring()
    assert ring.is_public
    assert ring.link_keys == ()
    assert ring.access_keys
    assert all(key.private_key is None for key in ring.access_keys)
    data = ring.to_dict()
    assert data["link"] == []
    assert all("private_key" not in key and "secret" not in key for key in data["access"])
    assert ring.signing_access_key is None  # it cannot mint
    full = svc.cards.keyring()
    assert {k.public_key for k in ring.access_keys} == {k.public_key for k in full.access_keys}


def test_a_station_verifies_service_codes_offline(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    station = OfflineStation(svc.station_keyring(), EVENT, "GATE-1", clock.now)
    clock.advance(seconds=3)
    check_in = station.scan(access(svc, account))
    assert check_in.card_ref == card_record(svc, account.id).card_ref
    assert check_in.station_id == "GATE-1"
    assert check_in.event_id == EVENT
    assert check_in.checked_in_at == clock.now()
    first = check_in.checked_in_at
    clock.advance(seconds=40)
    with pytest.raises(TokenError) as info:
        station.scan(access(svc, account))  # a fresh code of the same card
    assert info.value.code == "replayed"
    assert info.value.params["first_at"] == first.isoformat()
    assert station.pending() == (check_in,)


def test_a_station_refuses_what_it_must(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    station = OfflineStation(svc.station_keyring(), EVENT, "GATE-1", clock.now)
    cases = {
        access(svc, account, "acara-lain"): "wrong_purpose",
        svc.card_qr(account.id).token: "wrong_mode",
    }
    old = access(svc, account)
    for token, expected in cases.items():
        with pytest.raises(TokenError) as info:
            station.scan(token)
        assert info.value.code == expected
    clock.advance(seconds=60)
    with pytest.raises(TokenError) as info:
        station.scan(old)
    assert info.value.code == "expired"
    assert station.pending() == ()


def test_a_station_with_an_old_key_set_does_not_know_new_keys(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    station = OfflineStation(svc.station_keyring(), EVENT, "GATE-1", clock.now)
    svc.rotate_keys()
    token = access(svc, account)
    with pytest.raises(TokenError) as info:
        station.scan(token)
    assert info.value.code == "forged"
    station.update_keyring(svc.station_keyring())
    assert station.scan(token).event_id == EVENT


# --- syncing ----------------------------------------------------------------------------


def _scenario(
    svc: Siapkerja, clock: Clock
) -> tuple[OfflineStation, OfflineStation, dict[str, Account], datetime]:
    people = {name: holder(svc, n)[0] for n, name in enumerate("ABCDE")}
    start = clock.now()
    one = offline_gate(svc, clock, "GATE-1")
    two = offline_gate(svc, clock, "GATE-2")

    def at(seconds: int) -> None:
        clock.current = start + timedelta(seconds=seconds)

    at(0)
    one.scan(access(svc, people["A"]))
    at(5)
    two.scan(access(svc, people["B"]))
    at(10)
    check_in(svc, access(svc, people["A"]), EVENT)  # later than GATE-1
    at(12)
    one.scan(access(svc, people["B"]))  # later than GATE-2
    at(15)
    one.scan(access(svc, people["C"]))
    at(20)
    two.scan(access(svc, people["C"]))  # later than GATE-1
    at(25)
    check_in(svc, access(svc, people["D"]), EVENT)
    at(28)
    two.scan(access(svc, people["D"]))  # later than the server
    at(29)
    two.scan(access(svc, people["E"]))  # only here
    at(300)
    return one, two, people, start


def _report(svc: Siapkerja, station: OfflineStation) -> tuple[int, int, int, int]:
    report = svc.events.sync(station.signed_export())
    return (report.received, report.added, report.duplicates, report.unknown_cards)


SYNC_REPORTS = {
    "GATE-1": [(3, 3, 0, 0), (4, 2, 2, 0), (3, 0, 3, 0), (4, 0, 4, 0)],
    "GATE-2": [(4, 3, 1, 0), (3, 2, 1, 0), (4, 0, 4, 0), (3, 0, 3, 0)],
}


@pytest.mark.parametrize("first_station", ["GATE-1", "GATE-2"])
def test_syncing_in_any_order_keeps_the_earliest_and_loses_nothing(
    svc: Siapkerja, clock: Clock, first_station: str
) -> None:
    one, two, people, start = _scenario(svc, clock)
    order = (one, two) if first_station == "GATE-1" else (two, one)
    reports = [_report(svc, station) for station in (*order, *order)]
    # (received, added, duplicates, unknown_cards) of each sync
    assert reports == SYNC_REPORTS[first_station]

    with svc.storage.transaction() as tx:
        recorded = tx.check_ins.for_event(EVENT)
    by_ref = {c.card_ref: c for c in recorded}
    assert len(recorded) == len(by_ref) == 5  # one per card, nobody lost
    expected = {"A": (0, "GATE-1"), "B": (5, "GATE-2"), "C": (15, "GATE-1")}
    expected |= {"D": (25, "gate-1"), "E": (29, "GATE-2")}
    for name, (seconds, station_id) in expected.items():
        got = by_ref[card_record(svc, people[name].id).card_ref]
        assert (got.checked_in_at, got.station_id) == (
            start + timedelta(seconds=seconds),
            station_id,
        ), name

    # The server now refuses A again, inside since the station's (earlier) time.
    with pytest.raises(GateError) as info:
        check_in(svc, access(svc, people["A"]), EVENT)
    assert info.value.code == "already_inside"
    assert info.value.params["station_id"] == "GATE-1"

    # B at GATE-2 then at GATE-1, C at GATE-1 then GATE-2, A at GATE-1 then the
    # server's gate, D at the server's gate then GATE-2: flagged, none dropped.
    doubles = {
        (d.card_ref, d.first_station_id, d.station_id)
        for d in svc.events.counts(EVENT).double_entries
    }
    ref = {name: card_record(svc, people[name].id).card_ref for name in "ABCD"}
    assert doubles == {
        (ref["A"], "GATE-1", "gate-1"),
        (ref["B"], "GATE-2", "GATE-1"),
        (ref["C"], "GATE-1", "GATE-2"),
        (ref["D"], "gate-1", "GATE-2"),
    }


def test_a_synced_export_round_trips_and_marks_nothing_twice(svc: Siapkerja, clock: Clock) -> None:
    one, two, _, _ = _scenario(svc, clock)
    exported = read_check_ins(one.export())
    assert exported == one.pending()
    report = svc.events.sync(one.signed_export().to_text())
    assert report.added == 3
    assert one.mark_synced(report.synced_ids) == 3
    assert one.pending() == ()
    assert svc.events.sync(one.signed_export()).received == 0
    assert svc.events.sync(two.signed_export()).added == 2


def test_an_unsigned_or_forged_export_is_refused_whole(svc: Siapkerja, clock: Clock) -> None:
    one, two, _, _ = _scenario(svc, clock)
    signed = one.signed_export()
    body = signed.body
    cases = {
        "unsigned": SignedExport(EVENT, "GATE-1", body, ""),
        "another's signature": SignedExport(EVENT, "GATE-1", body, two.signed_export().signature),
        "body changed": SignedExport(
            EVENT, "GATE-1", body.replace("GATE-1", "GATE-2"), signed.signature
        ),
        "claimed by another gate": SignedExport(EVENT, "GATE-2", body, signed.signature),
    }
    for name, export in cases.items():
        with pytest.raises(GateError) as info:
            svc.events.sync(export)
        assert info.value.code == "bad_station_signature", name
    with pytest.raises(GateError) as info:
        svc.events.sync(SignedExport(EVENT, "GATE-9", body, signed.signature))
    assert info.value.code == "unknown_station"
    with pytest.raises(GateError) as info:
        svc.events.sync("not an export")
    assert info.value.code == "bad_export"
    assert svc.events.counts(EVENT).inside == 2  # only the server's own check-ins


def test_check_ins_of_unknown_cards_are_counted_not_kept(svc: Siapkerja, clock: Clock) -> None:
    holder(svc)
    gate = offline_gate(svc, clock, "GATE-9")
    stranger = CheckIn.record(
        card_ref=12345,
        event_id=EVENT,
        station_id="GATE-9",
        checked_in_at=clock.now(),
        step=1,
        kid="0000",
    )
    gate.absorb([stranger], synced=False)
    report = svc.events.sync(gate.signed_export())
    assert (report.received, report.added, report.duplicates, report.unknown_cards) == (
        1,
        0,
        0,
        1,
    )
    with svc.storage.transaction() as tx:
        assert tx.check_ins.for_event(EVENT) == []


def test_a_station_absorbs_the_servers_check_ins(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    receipt = check_in(svc, access(svc, account), EVENT)
    station = OfflineStation(svc.station_keyring(), EVENT, "GATE-1", clock.now)
    with svc.storage.transaction() as tx:
        station.absorb(tx.check_ins.for_event(EVENT))
    clock.advance(seconds=31)
    with pytest.raises(TokenError) as info:
        station.scan(access(svc, account))
    assert info.value.params["first_at"] == receipt.check_in.checked_in_at.isoformat()
    assert station.pending() == ()
