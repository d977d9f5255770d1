"""Event entry: events, gates with their own credential, the refusals, the admission seam.

Issue 12: a check-in needed no credential, accepted any event id, and answered
the holder's full name and number. These tests pin what replaced it: a code
is minted only for an event that exists, admitted only by a registered gate
of that event (API key, or an Ed25519 signature of the request made within
±120 s and never replayed), within the event's window and capacity, once per
card; the gate sees a masked name and the server's photo; the checks other
uses register (class enrolment, programme eligibility) run before anything
is written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from journey_support import Clock
from test_cards_support import build, card_record, holder

from siapkerja_core.errors import CardError, SiapkerjaError
from siapkerja_core.gates import (
    Admission,
    Event,
    EventKind,
    GateError,
    SignedExport,
    StationKeyPair,
    StationRequest,
    local_zone,
    valid_id,
)
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import GateReceipt, StationCredential
from siapkerja_core.station import OfflineStation
from siapkerja_core.tokens import TokenError
from siapkerja_core.views import Account, mask_name

FAIR = "JOBFAIR-JKT-2026"


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


class Fair:
    """An organiser, its job fair (open now, for 8 hours) and a gate holding an API key."""

    def __init__(self, svc: Siapkerja, *, capacity: int | None = None, region: str = "31") -> None:
        self.svc = svc
        self.organiser, _ = svc.register_verifier("Disnaker Provinsi DKI Jakarta", ["disnaker"])
        now = svc.now()
        self.event = svc.events.create_event(
            self.organiser,
            id=FAIR,
            name="Job Fair Jakarta 2026",
            kind="job_fair",
            venue="JIExpo Kemayoran",
            opens_at=now - timedelta(minutes=30),
            closes_at=now + timedelta(hours=8),
            region_code=region,
            capacity=capacity,
        )
        self.gate, key = svc.events.add_station(self.organiser, FAIR, name="Pintu A")
        assert key is not None
        self.key = key

    def code(self, account: Account, purpose: str = FAIR) -> str:
        return self.svc.card_qr(account.id, mode="access", purpose=purpose).token

    def admit(self, token: str, **kwargs: object) -> GateReceipt:
        credential = StationCredential(api_key=self.key)
        return self.svc.events.admit(token, event_id=FAIR, credential=credential, **kwargs)  # type: ignore[arg-type]


def refused(action: object) -> SiapkerjaError:
    with pytest.raises(SiapkerjaError) as info:
        action()  # type: ignore[operator]
    return info.value


# --- the holder ---------------------------------------------------------------------


def test_a_code_is_minted_only_for_an_event_that_exists(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    error = refused(lambda: svc.card_qr(account.id, mode="access", purpose="PRAKERJA-GEL-70"))
    assert error.full_code == "card.unknown_purpose"
    assert "PRAKERJA-GEL-70" in error.message("en")
    fair = Fair(svc)
    assert fair.code(account).startswith("A-")
    svc.events.cancel_event(fair.organiser, FAIR)
    error = refused(lambda: fair.code(account))
    assert error.full_code == "card.unknown_purpose"  # a cancelled event takes no new codes


def test_upcoming_lists_scheduled_events_not_closed(svc: Siapkerja, clock: Clock) -> None:
    fair = Fair(svc)
    later = svc.events.create_event(
        fair.organiser,
        id="TALENT-FEST-2027",
        name="Talent Festival",
        kind=EventKind.TALENT_FESTIVAL,
        venue="Bandung",
        opens_at=clock.now() + timedelta(days=30),
        closes_at=clock.now() + timedelta(days=31),
        region_code="32",
    )
    assert [e.id for e in svc.events.upcoming()] == [FAIR, later.id]
    assert [e.id for e in svc.events.upcoming(kind="talent_festival")] == [later.id]
    clock.advance(hours=9)  # the fair has closed
    assert [e.id for e in svc.events.upcoming()] == [later.id]
    svc.events.cancel_event(fair.organiser, later.id)
    assert svc.events.upcoming() == []


# --- the gate's credential ----------------------------------------------------------


def test_a_check_in_without_a_gate_credential_is_refused(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    token = fair.code(account)
    assert refused(lambda: svc.check_in(token, event_id=FAIR)).full_code == (
        "gate.station_credential_required"
    )
    guessed = refused(lambda: svc.check_in(token, event_id=FAIR, station_key="sks_guess"))
    assert guessed.full_code == "gate.unknown_station"
    assert svc.events.counts(FAIR).inside == 0
    receipt = svc.check_in(token, event_id=FAIR, station_key=fair.key)
    assert receipt.check_in.station_id == fair.gate.id


def test_a_code_for_one_event_is_refused_at_every_other(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    other = svc.events.create_event(
        fair.organiser,
        id="PELATIHAN-BLK-BEKASI",
        name="Pembukaan Pelatihan",
        kind="training_opening",
        venue="BLK Bekasi",
        opens_at=svc.now() - timedelta(hours=1),
        closes_at=svc.now() + timedelta(hours=1),
    )
    _, other_key = svc.events.add_station(fair.organiser, other.id, name="Pintu BLK")
    token = fair.code(account)
    # The other event's own gate: the code is not for it.
    error = refused(lambda: svc.check_in(token, event_id=other.id, station_key=other_key))
    assert error.full_code == "gate.wrong_event"
    # The fair's gate claiming the other event: a gate admits to its own event only,
    # and the refusal blames the gate, not the holder's code.
    error = refused(lambda: svc.check_in(token, event_id=other.id, station_key=fair.key))
    assert error.full_code == "gate.station_not_for_event"
    # The right code at a gate of another event: still the gate's fault.
    error = refused(lambda: svc.check_in(token, event_id=FAIR, station_key=other_key))
    assert error.full_code == "gate.station_not_for_event"
    assert svc.events.counts(other.id).inside == 0
    assert svc.access_log(account.id) == []
    fair.admit(token)


def test_a_signed_request_is_accepted_once_within_two_minutes(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    fair = Fair(svc)
    keys = StationKeyPair.generate()
    gate, api_key = svc.events.add_station(
        fair.organiser, FAIR, name="Pintu B", station_id="pintu-b", public_key=keys.public_key
    )
    assert api_key is None
    assert gate.credential == "ed25519"

    def signed(token: str, at: datetime, signer: StationKeyPair = keys) -> StationCredential:
        stamp = int(at.timestamp())
        request = StationRequest(FAIR, "pintu-b", stamp, token)
        return StationCredential(
            station_id="pintu-b", signature=signer.sign_request(request), timestamp=stamp
        )

    token = fair.code(account)
    now = clock.now()
    for bad, code in (
        (signed(token, now, StationKeyPair.generate()), "bad_station_signature"),  # another key
        (signed(token, now - timedelta(seconds=121)), "stale_request"),
        (signed(token, now + timedelta(seconds=121)), "stale_request"),
        (signed(fair.code(other), now), "bad_station_signature"),  # signed another code
    ):
        error = refused(lambda bad=bad: svc.events.admit(token, event_id=FAIR, credential=bad))
        assert error.full_code == f"gate.{code}"
    good = signed(token, now - timedelta(seconds=119))
    receipt = svc.events.admit(token, event_id=FAIR, credential=good)
    assert receipt.station_id == "pintu-b"
    replay = refused(lambda: svc.events.admit(token, event_id=FAIR, credential=good))
    assert replay.full_code == "gate.replayed_request"  # before any card rule is looked at


def test_a_retired_or_rekeyed_gate_admits_no_one(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    fair = Fair(svc)
    station, new_key = svc.events.rekey_station(fair.organiser, FAIR, fair.gate.id)
    assert new_key is not None
    assert new_key != fair.key
    error = refused(lambda: fair.admit(fair.code(account)))
    assert error.full_code == "gate.unknown_station"  # the old key died at once
    fair.key = new_key
    fair.admit(fair.code(account))
    svc.events.retire_station(fair.organiser, FAIR, station.id)
    assert refused(lambda: fair.admit(fair.code(other))).full_code == "gate.station_retired"


def test_only_the_organiser_manages_its_event(svc: Siapkerja) -> None:
    Fair(svc)
    stranger, _ = svc.register_verifier("Karirhub", ["karirhub"])
    for action in (
        lambda: svc.events.add_station(stranger, FAIR, name="Pintu palsu"),
        lambda: svc.events.cancel_event(stranger, FAIR),
        lambda: svc.events.counts(FAIR, stranger),
        lambda: svc.events.stations(stranger, FAIR),
        lambda: svc.events.event(FAIR, stranger),
    ):
        assert refused(action).full_code == "gate.not_organiser"
    assert refused(lambda: svc.events.event("NO-SUCH")).full_code == "gate.unknown_event"


# --- the refusals at the gate ---------------------------------------------------------


def test_the_window_says_when_in_the_events_own_time(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    fair = Fair(svc, region="7371")  # Makassar: WITA
    svc.events.update_event(
        fair.organiser,
        FAIR,
        opens_at=datetime(2025, 3, 3, 1, 30, tzinfo=UTC),  # 09.30 WITA
        closes_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
    )
    token = fair.code(account)
    error = refused(lambda: fair.admit(token))
    assert error.full_code == "gate.not_open"
    assert error.params["opens_at"] == "09.30 WITA"
    assert "09.30 WITA" in error.message("id")
    clock.advance(hours=8)  # 09:00 UTC: closed
    error = refused(lambda: fair.admit(fair.code(account)))
    assert (error.full_code, error.params["closed_at"]) == ("gate.closed", "17.00 WITA")


def test_already_inside_since_the_first_entry_at_any_gate(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    first = fair.admit(fair.code(account)).check_in.checked_in_at
    clock.advance(minutes=7)
    _, second_key = svc.events.add_station(fair.organiser, FAIR, name="Pintu B")
    error = refused(lambda: svc.check_in(fair.code(account), event_id=FAIR, station_key=second_key))
    assert error.full_code == "gate.already_inside"
    assert error.params["since"] == f"{first + timedelta(hours=7):%H.%M} WIB"
    assert svc.events.counts(FAIR).inside == 1


def test_already_inside_names_the_day_when_it_was_not_today(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    first = fair.admit(fair.code(account)).check_in.checked_in_at
    local = first + timedelta(hours=7)  # WIB
    error = refused(lambda: fair.admit(fair.code(account)))
    assert error.message_id == f"Kartu ini sudah masuk sejak pukul {local:%H.%M} WIB."
    assert error.message_en == f"This card has been inside since {local:%H.%M} WIB."
    clock.advance(hours=30)  # the fair lasts days: the same card the next day
    svc.events.update_event(fair.organiser, FAIR, closes_at=svc.now() + timedelta(days=2))
    error = refused(lambda: fair.admit(fair.code(account)))
    months_id = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
    months_id += ["September", "Oktober", "November", "Desember"]
    months_en = ["January", "February", "March", "April", "May", "June", "July", "August"]
    months_en += ["September", "October", "November", "December"]
    day, m = local.day, local.month - 1
    assert error.message_id == (
        f"Kartu ini sudah masuk sejak {day} {months_id[m]} pukul {local:%H.%M} WIB."
    )
    assert error.message_en == (
        f"This card has been inside since {day} {months_en[m]}, {local:%H.%M} WIB."
    )
    assert error.params["since"] == f"{local:%H.%M} WIB"


def test_a_full_event_refuses_the_next_and_still_knows_who_is_inside(svc: Siapkerja) -> None:
    people = [holder(svc, n)[0] for n in range(3)]
    fair = Fair(svc, capacity=2)
    for person in people[:2]:
        fair.admit(fair.code(person))
    error = refused(lambda: fair.admit(fair.code(people[2])))
    assert (error.full_code, error.params["capacity"]) == ("gate.full", 2)
    # Someone inside scanning again hears that, not "full".
    assert refused(lambda: fair.admit(fair.code(people[0]))).code == "already_inside"
    counts = svc.events.counts(FAIR)
    assert (counts.inside, counts.capacity, counts.remaining) == (2, 2, 0)


def test_expired_revoked_and_forged_codes(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    fair = Fair(svc)
    old = fair.code(account)
    clock.advance(seconds=90)
    assert refused(lambda: fair.admit(old)).full_code == "gate.expired"
    token = fair.code(other)
    svc.revoke_card(other.id)
    assert refused(lambda: fair.admit(token)).full_code == "gate.revoked"
    flipped = old[:10] + ("1" if old[10] != "1" else "2") + old[11:]
    error = refused(lambda: fair.admit(flipped))
    assert isinstance(error, TokenError)
    assert error.code == "forged"


def test_a_suspended_card_is_refused_at_the_gate_and_admitted_once_resumed(
    svc: Siapkerja,
) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    token = fair.code(account)
    svc.suspend_card(account.id)
    assert refused(lambda: fair.admit(token)).full_code == "gate.suspended"
    assert svc.events.counts(fair.event.id).inside == 0
    svc.resume_card(account.id)
    assert fair.admit(token).check_in.card_ref is not None


def test_a_cancelled_event_admits_no_one(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    token = fair.code(account)
    svc.events.cancel_event(fair.organiser, FAIR)
    assert refused(lambda: fair.admit(token)).full_code == "gate.event_cancelled"


# --- the receipt and the ledger ---------------------------------------------------------


def test_the_gate_sees_a_masked_name_and_the_servers_photo(svc: Siapkerja) -> None:
    account, card = holder(svc)
    fair = Fair(svc)
    receipt = fair.admit(fair.code(account))
    assert receipt.masked_name == mask_name(account.full_name)
    assert account.full_name not in repr(receipt)
    assert card.siapkerja_id not in repr(receipt)
    assert receipt.card_status == "active"
    assert receipt.photo is not None
    assert receipt.photo == svc.profile(account.id).photo  # the server's, not the QR's
    assert (receipt.inside, receipt.institution) == (1, "Disnaker Provinsi DKI Jakarta")
    entry = svc.access_log(account.id)[-1]
    assert (entry.audience, entry.channel, entry.purpose) == ("station", "access", FAIR)
    assert entry.fields == ("masked_name", "photo", "card_status")
    assert entry.verifier_id == fair.organiser.id
    assert entry.verifier_name == "Disnaker Provinsi DKI Jakarta — Job Fair Jakarta 2026 (Pintu A)"


def test_a_preview_checks_everything_and_only_tells_the_holders_ledger(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    fair = Fair(svc, capacity=1)
    token = fair.code(account)
    preview = fair.admit(token, preview=True)
    assert preview.recorded is False
    assert preview.photo is not None
    assert svc.events.counts(FAIR).inside == 0  # no check-in, no place of the capacity
    assert svc.events.check_ins(fair.organiser, FAIR) == []
    # The gate saw the photo and the masked name: the holder learns it.
    (seen,) = svc.access_log(account.id)
    assert seen.audience == "station"
    assert seen.purpose == FAIR
    assert set(seen.fields) == {"masked_name", "photo", "card_status"}
    assert seen.verifier_id == fair.organiser.id
    assert "Job Fair Jakarta 2026" in (seen.verifier_name or "")
    assert "Disnaker Provinsi DKI Jakarta" in (seen.verifier_name or "")
    assert "Pintu A" in (seen.verifier_name or "")
    assert fair.admit(token, preview=True).recorded is False  # capacity 1 still free
    assert fair.admit(token).recorded is True
    assert len(svc.access_log(account.id)) == 3


@pytest.mark.parametrize(
    ("full_name", "masked"),
    [
        ("H. Galih Agan Pambayun, S.Kom.", "H. Galih A. P."),
        ("Siti Aminah", "Siti A."),
        ("Sukarno", "Sukarno"),
        ("M. Rizki Ramadhan", "M. Rizki R."),
        ("", ""),
        # Stored before names refused them: a bidi override is left out, not masked.
        ("Budi \u202eosotnaS Wijaya", "Budi o. W."),
        ("\u202eSiti Aminah", "Siti A."),
    ],
)
def test_mask_name(full_name: str, masked: str) -> None:
    assert mask_name(full_name) == masked


# --- the admission seam ---------------------------------------------------------------


def test_admission_checks_run_per_kind_before_anything_is_written(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    seen: list[Admission] = []
    refused_ref = card_record(svc, account.id).card_ref

    def refuse_galih(admission: Admission) -> SiapkerjaError | None:
        seen.append(admission)
        if admission.card.card_ref == refused_ref:
            return GateError("full", capacity=0)  # any typed refusal
        return None

    svc.events.add_admission_check("class_session", lambda _a: GateError("closed", closed_at="-"))
    svc.events.add_admission_check(EventKind.JOB_FAIR, refuse_galih)
    error = refused(lambda: fair.admit(fair.code(account)))
    assert error.full_code == "gate.full"
    assert svc.events.counts(FAIR).inside == 0
    assert svc.access_log(account.id) == []
    (admission,) = seen
    assert (admission.event.id, admission.station.id) == (FAIR, fair.gate.id)
    assert admission.account.id == account.id
    assert admission.profile is not None
    assert admission.now == svc.now()
    assert len(svc.events.admission_checks("job_fair")) == 1
    assert len(svc.events.admission_checks("other")) == 0


def test_a_purpose_source_lets_codes_be_minted_for_more_than_events(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    svc.events.add_purpose_source(lambda _tx, purpose: purpose.startswith("KELAS-"))
    assert svc.card_qr(account.id, mode="access", purpose="KELAS-BLK-7").token.startswith("A-")
    with pytest.raises(CardError):
        svc.card_qr(account.id, mode="access", purpose="SESI-LAIN")


# --- offline gates ------------------------------------------------------------------


def test_an_offline_gate_syncs_a_signed_export_once(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    fair = Fair(svc)
    keys = StationKeyPair.generate()
    svc.events.add_station(
        fair.organiser, FAIR, name="Pintu C", station_id="pintu-c", public_key=keys.public_key
    )
    gate = OfflineStation(svc.station_keyring(), FAIR, "pintu-c", clock.now, signing_key=keys)
    gate.scan(fair.code(account))
    clock.advance(seconds=40)
    fair.admit(fair.code(account))  # the same person at the online gate, later
    gate.scan(fair.code(other))
    report = svc.events.sync(gate.signed_export().to_text())
    assert (report.received, report.added, report.duplicates) == (2, 2, 0)
    (double,) = report.double_entries  # flagged: first offline, then online
    assert (double.first_station_id, double.station_id) == ("pintu-c", fair.gate.id)
    assert svc.events.counts(FAIR).inside == 2
    assert svc.events.sync(gate.signed_export()).added == 0  # re-sync adds nothing


def test_an_export_for_another_event_is_refused(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    fair = Fair(svc)
    keys = StationKeyPair.generate()
    svc.events.add_station(
        fair.organiser, FAIR, name="Pintu C", station_id="pintu-c", public_key=keys.public_key
    )
    svc.events.create_event(
        fair.organiser,
        id="LAIN",
        name="Acara lain",
        kind="other",
        venue="Jakarta",
        opens_at=clock.now() - timedelta(hours=1),
        closes_at=clock.now() + timedelta(hours=1),
    )
    gate = OfflineStation(svc.station_keyring(), "LAIN", "pintu-c", clock.now, signing_key=keys)
    gate.scan(svc.card_qr(account.id, mode="access", purpose="LAIN").token)
    # Signed for "LAIN", but the key is registered for the fair's gate only.
    assert refused(lambda: svc.events.sync(gate.signed_export())).code == "unknown_station"
    forged = SignedExport.sign(keys, FAIR, "pintu-c", gate.export())  # claims the fair
    assert refused(lambda: svc.events.sync(forged)).code == "wrong_event"
    assert svc.events.counts(FAIR).inside == 0


# --- pure rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "zone"),
    [(None, "WIB"), ("31", "WIB"), ("3171", "WIB"), ("51", "WITA"), ("7371", "WITA"),
     ("64", "WITA"), ("94", "WIT"), ("8171", "WIT"), ("61", "WIB")],
)  # fmt: skip
def test_the_zone_of_a_region(region: str | None, zone: str) -> None:
    assert local_zone(region).tzname(None) == zone


@pytest.mark.parametrize(
    "bad",
    ["", " FAIR", "FAIR 2026", "a" * 65, "-FAIR", "JOBFAIR/2026", "ÉVÉNEMENT", "x\x00"],
)
def test_event_ids_are_short_ascii_without_spaces(bad: str) -> None:
    assert not valid_id(bad)
    with pytest.raises(GateError) as info:
        Event(
            id=bad,
            name="x",
            kind="other",
            venue="x",
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
            closes_at=datetime(2026, 1, 2, tzinfo=UTC),
            organiser_id="o",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert (info.value.code, info.value.params["field"]) == ("invalid_event", "id")


def test_an_event_refuses_a_bad_window_kind_or_capacity() -> None:
    base = {
        "id": "E",
        "name": "x",
        "kind": "job_fair",
        "venue": "x",
        "opens_at": datetime(2026, 1, 1, tzinfo=UTC),
        "closes_at": datetime(2026, 1, 2, tzinfo=UTC),
        "organiser_id": "o",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    for change, field in (
        ({"closes_at": datetime(2026, 1, 1, tzinfo=UTC)}, "closes_at"),
        ({"opens_at": datetime(2026, 1, 1)}, "opens_at"),
        ({"kind": "party"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"region_code": "DKI"}, "region_code"),
    ):
        with pytest.raises(GateError) as info:
            Event(**{**base, **change})  # type: ignore[arg-type]
        assert info.value.params["field"] == field


_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True)
_codes = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=200
)


@given(_ids, _ids, st.integers(min_value=0, max_value=10**11 - 1), _codes)
def test_the_canonical_request_round_trips(
    event_id: str, station_id: str, stamp: int, code: str
) -> None:
    request = StationRequest(event_id, station_id, stamp, code)
    assert StationRequest.parse(request.canonical()) == request


@given(st.binary(max_size=300))
def test_parsing_any_bytes_gives_the_same_bytes_or_a_refusal(data: bytes) -> None:
    try:
        request = StationRequest.parse(data)
    except GateError as error:
        refusal = error.code
    else:
        refusal = None
        assert request.canonical() == data  # one text per request: nothing else verifies
    assert refusal in (None, "bad_station_signature")


@given(st.lists(st.sampled_from(["siapkerja-gate-request-v1", "E", "S", "12", "A-x", "", " "])))
def test_near_misses_of_the_form_are_refused(parts: list[str]) -> None:
    data = "\n".join(parts).encode()
    try:
        request = StationRequest.parse(data)
    except GateError:
        return
    assert request.canonical() == data


def test_a_signature_binds_every_line() -> None:
    keys = StationKeyPair.generate()
    request = StationRequest("E", "S", 1_700_000_000, "A-CODE")
    signature = keys.sign_request(request)
    from siapkerja_core.gates import Station

    station = Station(
        id="S",
        event_id="E",
        name="s",
        credential="ed25519",
        public_key=keys.public_key,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert station.verify(request.canonical(), signature)
    for other in (
        StationRequest("F", "S", 1_700_000_000, "A-CODE"),
        StationRequest("E", "T", 1_700_000_000, "A-CODE"),
        StationRequest("E", "S", 1_700_000_001, "A-CODE"),
        StationRequest("E", "S", 1_700_000_000, "A-CODF"),
    ):
        assert not station.verify(other.canonical(), signature)
    assert not station.verify(request.canonical(), "not base64!")
    assert not station.verify(request.canonical(), signature[:-4])
