"""Tests of siapkerja_core.station: offline scanning, replay refusal, export and merge.

The sync promise — nothing lost, nothing doubled — is checked on a concrete
scenario (two stations see the same person; every export is synced twice)
and as a property: any interleaving and repetition of exports merges to one
check-in per (card, event), the earliest.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.station import (
    CheckIn,
    CheckInError,
    OfflineStation,
    check_in_id,
    merge_check_ins,
    read_check_ins,
)
from siapkerja_core.tokens import Keyring, TokenError, mint_access, mint_link

START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
EVENT = "JOBFAIR-JAKARTA-2026"
RING = Keyring.generate(random.Random(11).randbytes, START - timedelta(days=1))
ALICE, BUDI, CITRA = 0x0A11CE0000000001, 0x0B0D100000000002, 0xC17A000000000003


class Clock:
    """A station clock that moves only when told."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def code(card_ref: int, at: datetime, purpose: str = EVENT) -> str:
    """The access code the holder's app shows at ``at``."""
    return mint_access(RING, card_ref, purpose, at)


def station(name: str = "GATE-1", clock: Clock | None = None, **kwargs) -> OfflineStation:
    return OfflineStation(RING.public(), EVENT, name, clock or Clock(), **kwargs)


# --- scanning ----------------------------------------------------------------------


def test_scan_records_a_check_in():
    clock = Clock()
    gate = station(clock=clock)
    clock.advance(5)
    check_in = gate.scan(code(ALICE, clock.now))
    assert check_in == CheckIn(
        card_ref=ALICE,
        event_id=EVENT,
        station_id="GATE-1",
        checked_in_at=START + timedelta(seconds=5),
        step=int(START.timestamp()) // 30,
        kid=RING.signing_access_key.kid,
    )
    assert check_in.id == check_in_id(EVENT, ALICE)
    assert gate.pending() == (check_in,)


def test_replay_is_refused_with_the_time_of_the_first_check_in():
    clock = Clock()
    gate = station(clock=clock)
    token = code(ALICE, clock.now)
    first = gate.scan(token)
    clock.advance(10)
    with pytest.raises(TokenError) as same_code:
        gate.scan(token)
    assert same_code.value.code == "replayed"
    assert same_code.value.params == {"first_at": "2026-11-27T09:00:00+00:00"}
    assert "2026-11-27T09:00:00+00:00" in same_code.value.message_en
    clock.advance(120)  # a fresh code, minutes later, is still the same card at the same event
    with pytest.raises(TokenError) as fresh_code:
        gate.scan(code(ALICE, clock.now))
    assert fresh_code.value.params["first_at"] == first.checked_in_at.isoformat()
    assert gate.scan(code(BUDI, clock.now)).card_ref == BUDI
    assert len(gate.pending()) == 2


def test_scan_refuses_bad_codes_before_recording_anything():
    clock = Clock()
    gate = station(clock=clock)
    other_ring = Keyring.generate(random.Random(12).randbytes, START)
    cases = {
        "wrong_purpose": code(ALICE, clock.now, purpose="KELAS-BLK-SERANG"),
        "wrong_mode": mint_link(RING, ALICE, 1),
        "expired": code(ALICE, clock.now - timedelta(minutes=5)),
        "forged": mint_access(other_ring, ALICE, EVENT, clock.now),
        "malformed": "https://siapkerja.go.id/kartu/",
    }
    for expected, token in cases.items():
        with pytest.raises(TokenError) as info:
            gate.scan(token)
        assert info.value.code == expected
    assert gate.pending() == ()


def test_a_station_holds_only_public_keys():
    gate = OfflineStation(RING, EVENT, "GATE-1", Clock())  # given the full ring by mistake
    assert gate.keyring.is_public
    assert gate.keyring == RING.public()
    jwks_gate = OfflineStation(Keyring.from_jwks(RING.public_jwks()), EVENT, "GATE-2", Clock())
    assert jwks_gate.scan(code(ALICE, START)).card_ref == ALICE


def test_update_keyring_after_rotation():
    rotated = RING.rotate(random.Random(13).randbytes, START)
    gate = station()
    new_code = mint_access(rotated, ALICE, EVENT, START)
    with pytest.raises(TokenError) as info:
        gate.scan(new_code)
    assert info.value.code == "forged"  # the station does not know the new key yet
    gate.update_keyring(Keyring.from_jwks(rotated.public_jwks()))
    assert gate.scan(new_code).kid == rotated.signing_access_key.kid


# --- export and sync ---------------------------------------------------------------


def test_export_import_round_trip_and_mark_synced():
    clock = Clock()
    gate = station(clock=clock)
    for card in (CITRA, ALICE, BUDI):
        gate.scan(code(card, clock.now))
        clock.advance(7)
    text = gate.export()
    lines = text.splitlines()
    assert len(lines) == 3
    assert text.endswith("\n")
    assert [json.loads(line)["checked_in_at"][11:19] for line in lines] == [
        "09:00:00",
        "09:00:07",
        "09:00:14",
    ]
    assert lines[0] == json.dumps(json.loads(lines[0]), sort_keys=True, separators=(",", ":"))
    assert read_check_ins(text) == gate.pending()
    assert gate.export() == text  # stable
    assert gate.mark_synced([c.id for c in read_check_ins(text)[:2]]) == 2
    assert gate.mark_synced([check_in_id(EVENT, ALICE), "unknown"]) == 0  # already / unknown
    assert [c.card_ref for c in gate.pending()] == [BUDI]
    gate.mark_synced([c.id for c in gate.pending()])
    assert gate.pending() == ()
    assert gate.export() == ""
    assert len(gate.check_ins()) == 3


def test_two_stations_and_a_double_sync_give_one_check_in_per_card_the_earliest():
    north, south = Clock(), Clock(START + timedelta(seconds=3))
    gate_north, gate_south = station("NORTH", north), station("SOUTH", south)
    # Alice shows her code at the south gate first, then walks to the north gate
    south.advance(2)
    gate_south.scan(code(ALICE, south.now))  # 09:00:05
    north.advance(20)
    gate_north.scan(code(ALICE, north.now))  # 09:00:20: the north gate did not know
    gate_north.scan(code(BUDI, north.now))
    south.advance(30)
    gate_south.scan(code(CITRA, south.now))
    north_export, south_export = gate_north.export(), gate_south.export()

    server: dict[tuple[int, str], CheckIn] = {}
    syncs = [north_export, south_export, north_export, south_export]  # every export twice
    added_total = 0
    for export in syncs:
        result = merge_check_ins(server, read_check_ins(export))
        server = result.merged
        added_total += len(result.added)
    assert sorted(c.card_ref for c in server.values()) == sorted([ALICE, BUDI, CITRA])
    alice = server[(ALICE, EVENT)]
    assert alice.station_id == "SOUTH"
    assert alice.checked_in_at == START + timedelta(seconds=5)
    assert added_total == 4  # north's 2, then south's 2 (Alice's earlier one supersedes)

    # the other order gives the same result
    other: dict[tuple[int, str], CheckIn] = {}
    for export in reversed(syncs):
        other = merge_check_ins(other, read_check_ins(export)).merged
    assert other == server


def test_merge_counts_added_and_duplicates():
    early = CheckIn(ALICE, EVENT, "A", START, 1, "K")
    late = CheckIn(ALICE, EVENT, "B", START + timedelta(seconds=9), 1, "K")
    result = merge_check_ins({}, [late, early, late, early])
    assert result.merged == {(ALICE, EVENT): early}
    assert result.added == (early,)
    assert result.duplicates == (late, late, early)
    existing = {early.key: early}
    again = merge_check_ins(existing, [early])
    assert (again.added, again.duplicates) == ((), (early,))
    assert existing == {early.key: early}  # not modified


def test_absorb_makes_a_station_refuse_cards_seen_elsewhere():
    clock = Clock()
    elsewhere = CheckIn(ALICE, EVENT, "SERVER", START - timedelta(minutes=1), 1, "K")
    gate = station(clock=clock)
    gate.absorb([elsewhere])
    assert gate.pending() == ()  # came from the service: not exported again
    with pytest.raises(TokenError) as info:
        gate.scan(code(ALICE, clock.now))
    assert info.value.params["first_at"] == "2026-11-27T08:59:00+00:00"
    with pytest.raises(ValueError):
        gate.absorb([CheckIn(BUDI, "OTHER-EVENT", "X", START, 1, "K")])


def test_restart_from_an_export():
    clock = Clock()
    gate = station(clock=clock)
    gate.scan(code(ALICE, clock.now))
    gate.scan(code(BUDI, clock.now))
    synced_id = check_in_id(EVENT, ALICE)
    gate.mark_synced([synced_id])
    saved = "".join(c.to_json() + "\n" for c in gate.check_ins())
    restarted = station(clock=clock, records=read_check_ins(saved), synced=[synced_id])
    assert restarted.pending() == gate.pending()
    with pytest.raises(TokenError):
        restarted.scan(code(ALICE, clock.now))


# --- the check-in record -----------------------------------------------------------


def test_check_in_is_utc_and_json_safe():
    wib = timezone(timedelta(hours=7))
    check_in = CheckIn(2**64 - 1, EVENT, "GATE", datetime(2026, 11, 27, 16, 0, tzinfo=wib), 5, "K")
    assert check_in.checked_in_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert check_in.checked_in_at.tzinfo is UTC
    data = check_in.to_dict()
    assert data["card_ref"] == "FZZZZZZZZZZZZ"  # text: 2**64 is beyond a JavaScript number
    assert CheckIn.from_dict(data) == check_in
    with pytest.raises(ValueError):
        CheckIn(ALICE, EVENT, "GATE", datetime(2026, 11, 27, 9, 0), 1, "K")  # naive
    with pytest.raises(ValueError):
        CheckIn(-1, EVENT, "GATE", START, 1, "K")


def test_check_in_id_depends_on_event_and_card_only():
    one = CheckIn(ALICE, EVENT, "A", START, 1, "K")
    two = CheckIn.record(
        card_ref=ALICE,
        event_id=EVENT,
        station_id="B",
        checked_in_at=START + timedelta(hours=1),
        step=9,
        kid="Z",
    )
    assert one.key == two.key == (ALICE, EVENT)
    assert one.id == two.id
    assert len(one.id) == 26
    assert one.id != check_in_id("OTHER", ALICE) != check_in_id(EVENT, BUDI)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("not json", "JSON"),
        ("[1, 2]", "JSON"),
        ('{"card_ref": "0000000000001"}', "event_id"),
        ("replace:card_ref=ZZZZZZZZZZZZZ", "card_ref"),
        ("replace:card_ref=000000000000I", "card_ref"),
        ("replace:checked_in_at=2026-11-27T09:00:00", "checked_in_at"),
        ("replace:checked_in_at=soon", "checked_in_at"),
        ("replace:step=-1", "step"),
        ("replace:id=WRONG", "id"),
    ],
)
def test_read_check_ins_names_the_bad_line_and_field(line, field):
    good = CheckIn(ALICE, EVENT, "GATE", START, 1, "K").to_dict()
    if line.startswith("replace:"):
        name, value = line[len("replace:") :].split("=", 1)
        good[name] = int(value) if name == "step" else value
        line = json.dumps(good)
    with pytest.raises(CheckInError) as info:
        read_check_ins("\n" + CheckIn(BUDI, EVENT, "G", START, 1, "K").to_json() + "\n" + line)
    assert info.value.full_code == "checkin.malformed_record"
    assert info.value.params == {"line": 3, "field": field}
    assert info.value.message_id != info.value.message_en


# --- the merge, as a property ------------------------------------------------------

check_ins = st.builds(
    CheckIn,
    card_ref=st.sampled_from([ALICE, BUDI, CITRA]),
    event_id=st.sampled_from([EVENT, "KELAS-BLK"]),
    station_id=st.sampled_from(["NORTH", "SOUTH", "EAST"]),
    checked_in_at=st.integers(0, 600).map(lambda s: START + timedelta(seconds=s)),
    step=st.integers(0, 3),
    kid=st.sampled_from(["AAAA", "BBBB"]),
)


@settings(deadline=None, max_examples=300)
@given(st.lists(check_ins, max_size=30), st.randoms(use_true_random=False))
def test_merge_keeps_exactly_the_earliest_per_card_and_event(seen, rng):
    exports = [seen[i::3] for i in range(3)]  # three stations' exports
    syncs = [*exports, *rng.sample(exports, k=len(exports))]  # each export synced twice
    rng.shuffle(syncs)
    server: dict[tuple[int, str], CheckIn] = {}
    for export in syncs:
        result = merge_check_ins(server, export)
        assert len(result.added) + len(result.duplicates) == len(export)
        server = result.merged
    expected: dict[tuple[int, str], CheckIn] = {}
    for check_in in seen:
        key = (check_in.card_ref, check_in.event_id)
        if key not in expected or check_in.rank() < expected[key].rank():
            expected[key] = check_in
    assert server == expected  # nothing lost, nothing doubled
    assert len({c.id for c in server.values()}) == len(server)
    assert merge_check_ins(server, seen).added == ()  # idempotent
