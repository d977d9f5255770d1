"""The audit of the institutions' administrative actions (issue 12), on memory and SQLite.

Only ``svc.verifiers`` wrote audit records; every administrative action of
the events, classes, programmes and AK/I services now writes one in the
change's own transaction, naming the institution that acted
(``verifier:<id>``), the command line's ``cli:<user>`` when it passes one,
or ``library``. What a plausible bug would get wrong: an action missing or
recorded twice (a class session is also an event), a refused action
recorded, the wrong actor, a station's API key, a NIK, a name or an AK/I
number in the details, a gate admission or a holder's own step audited.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli.aki import aki_app
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_adapters.demo import FAUZI, GALIH, RIZKI, demo_holder
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import AdminActionRecorded
from siapkerja_core.gates import StationKeyPair
from siapkerja_core.institutions import AuditRecord, InstitutionError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import StationCredential
from siapkerja_core.station import OfflineStation
from support.clock import ManualClock
from support.recorders import EventRecorder

Row = tuple[str, str, str, str]


class Announced(EventRecorder):
    """A plug-in keeping the audit announcements (made after each commit)."""

    @property
    def seen(self) -> list[AdminActionRecorded]:
        return [e for e in self.events if isinstance(e, AdminActionRecorded)]


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Siapkerja, Announced]:
    clock = ManualClock.from_now()
    announced = Announced()
    if request.param == "memory":
        svc = connect("memory", environ={}, clock=clock.now, plugins=[announced])
    else:
        svc = connect(
            None,
            environ={},
            clock=clock.now,
            plugins=[announced],
            database_url=f"sqlite:///{tmp_path / 'audit.sqlite3'}",
            storage_key=generate_key_setting(),
        )
    return svc, announced


def audited(svc: Siapkerja) -> list[AuditRecord]:
    """The audit oldest first, without the registrations of the verifiers themselves."""
    records = svc.verifiers.audit(limit=1000)
    return [r for r in reversed(records) if r.action != "verifier.add"]


def rows(records: list[AuditRecord]) -> list[Row]:
    return [(r.action, r.target_kind, r.target_id, r.actor) for r in records]


def refused(action: object) -> SiapkerjaError:
    with pytest.raises(SiapkerjaError) as info:
        action()  # type: ignore[operator]
    return info.value


def institution(svc: Siapkerja, name: str, scopes: list[str]) -> Verifier:
    verifier, _key = svc.register_verifier(name, scopes)
    return verifier


def test_every_administrative_action_is_audited_once_in_order(
    world: tuple[Siapkerja, Announced],
) -> None:
    svc, announced = world
    galih, fauzi, rizki = demo_holder(svc, GALIH), demo_holder(svc, FAUZI), demo_holder(svc, RIZKI)
    org = institution(svc, "Disnaker Provinsi DKI Jakarta", ["disnaker"])
    blk = institution(svc, "BLK Bekasi", ["blk"])
    officer = institution(svc, "Disnaker Jakarta Pusat", ["disnaker"])
    by_org, by_blk, by_officer = (
        f"verifier:{org.id}",
        f"verifier:{blk.id}",
        f"verifier:{officer.id}",
    )
    now = svc.now()
    expected: list[Row] = []
    secrets: list[str] = []

    # Events and their gates.
    svc.events.create_event(
        org,
        id="FAIR-1",
        name="Job Fair",
        kind="job_fair",
        venue="JIExpo",
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=8),
        region_code="31",
    )
    svc.events.update_event(org.id, "FAIR-1", capacity=500, venue="JIExpo Hall B")
    _gate, key = svc.events.add_station(org, "FAIR-1", name="Pintu A", station_id="pintu-a")
    pair = StationKeyPair.generate()
    svc.events.add_station(
        org, "FAIR-1", name="Pintu C", station_id="pintu-c", public_key=pair.public_key
    )
    _gate, new_key = svc.events.rekey_station(org, "FAIR-1", "pintu-a")
    assert key is not None
    assert new_key is not None
    secrets += [key, new_key]
    expected += [
        ("event.create", "event", "FAIR-1", by_org),
        ("event.update", "event", "FAIR-1", by_org),
        ("station.add", "station", "FAIR-1/pintu-a", by_org),
        ("station.add", "station", "FAIR-1/pintu-c", by_org),
        ("station.rekey", "station", "FAIR-1/pintu-a", by_org),
    ]
    # A gate admission is in the holder's ledger, not in the audit.
    code = svc.card_qr(galih.id, mode="access", purpose="FAIR-1").token
    svc.events.admit(code, event_id="FAIR-1", credential=StationCredential(api_key=new_key))
    offline = OfflineStation(svc.station_keyring(), "FAIR-1", "pintu-c", svc.now, signing_key=pair)
    offline.scan(svc.card_qr(fauzi.id, mode="access", purpose="FAIR-1").token)
    offline.scan(svc.card_qr(galih.id, mode="access", purpose="FAIR-1").token)
    report = svc.events.sync(offline.signed_export().to_text(), actor="cli:panitia")
    svc.events.retire_station(org, "FAIR-1", "pintu-c")
    svc.events.retire_station(org, "FAIR-1", "pintu-c")  # already retired: nothing changes
    svc.events.cancel_event(org, "FAIR-1")
    expected += [
        ("station.sync", "station", "FAIR-1/pintu-c", "cli:panitia"),
        ("station.retire", "station", "FAIR-1/pintu-c", by_org),
        ("event.cancel", "event", "FAIR-1", by_org),
    ]

    # Classes: a session is an event (one record), enrolment names the account id.
    today = now.date()
    svc.grant_consent(galih.id, blk.id, "pendaftaran pelatihan")
    svc.classes.create(
        blk,
        id="LAS-1",
        name="Teknik Las",
        institution_kind="UPTD",
        vocation="Las",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        actor="cli:admin-blk",
    )
    svc.classes.enrol(blk, "LAS-1", galih.id)
    svc.classes.add_session(
        blk, "LAS-1", id="LAS-1-S1", opens_at=now, closes_at=now + timedelta(hours=4), venue="B"
    )
    svc.classes.withdraw(blk.id, "LAS-1", galih.id)
    expected += [
        ("class.create", "class", "LAS-1", "cli:admin-blk"),
        ("class.enrol", "class", "LAS-1", by_blk),
        ("event.create", "event", "LAS-1-S1", by_blk),
        ("class.withdraw", "class", "LAS-1", by_blk),
    ]

    # Programmes: an administrator defines (library), the operator redefines its own.
    data = {"id": "terbuka", "name": "Terbuka", "requirements": []}
    svc.programmes.define(data, owner=org, administrator=True)
    svc.programmes.define({**data, "name": "Terbuka 2"}, owner=org)
    svc.programmes.add_intake(
        org, "terbuka", id="TERBUKA-1", opens_at=now, closes_at=now + timedelta(hours=1), venue="L"
    )
    svc.programmes.enrol("terbuka", rizki.id, operator=org)
    expected += [
        ("programme.define", "programme", "terbuka", "library"),
        ("programme.redefine", "programme", "terbuka", by_org),
        ("event.create", "event", "TERBUKA-1", by_org),
        ("programme.enrol", "programme", "terbuka", by_org),
    ]

    # AK/I: the holder's own steps are not audited; the officer's are.
    svc.aki.appoint_officer(officer.id, "3173")
    first = svc.aki.apply(galih.id, office_code="3173")
    second = svc.aki.apply(fauzi.id, office_code="3173")
    svc.aki.legalise(officer, first.number)
    svc.aki.place(officer, first.id, employer="PT Maju Jaya")
    svc.aki.remove(officer, second.number, reason="moved", actor="cli:petugas")
    expected += [
        ("aki.appoint_officer", "verifier", officer.id, "library"),
        ("aki.legalise", "aki_registration", first.id, by_officer),
        ("aki.place", "aki_registration", first.id, by_officer),
        ("aki.remove", "aki_registration", second.id, "cli:petugas"),
    ]

    records = audited(svc)
    assert rows(records) == expected
    # Each was announced after its commit, in the same order.
    assert [(e.action, e.target_id) for e in announced.seen if e.action != "verifier.add"] == [
        (action, target) for action, _kind, target, _actor in expected
    ]
    details = {r.action + ":" + r.target_id: dict(r.details) for r in records}
    assert details["station.sync:FAIR-1/pintu-c"] == {
        "received": report.received,
        "added": report.added,
        "duplicates": report.duplicates,
        "unknown_cards": 0,
        "double_entries": 1,
    }
    assert details["event.update:FAIR-1"] == {"changed": "capacity,venue"}
    assert details["aki.place:" + first.id] == {"office_code": "3173", "status": "placed"}
    assert details["class.enrol:LAS-1"] == {"account_id": galih.id}

    # Never a secret nor something that names the person.
    forbidden = [*secrets, first.number, second.number]
    for person in (GALIH, FAUZI, RIZKI):
        forbidden += [person.nik, person.full_name, person.full_name.split()[1]]
    for record in records:
        text = repr(dict(record.details)) + (record.reason or "")
        assert not [word for word in forbidden if word in text], record


def test_a_refused_action_writes_no_audit_record(world: tuple[Siapkerja, Announced]) -> None:
    svc, announced = world
    galih = demo_holder(svc, GALIH)
    org = institution(svc, "Disnaker A", ["disnaker"])
    other = institution(svc, "Disnaker B", ["disnaker"])
    blk = institution(svc, "BLK", ["blk"])
    jakarta = institution(svc, "Disnaker Jakarta Pusat", ["disnaker"])
    bandung = institution(svc, "Disnaker Kota Bandung", ["disnaker"])
    now = svc.now()
    window = {"opens_at": now, "closes_at": now + timedelta(hours=2), "venue": "V"}
    svc.events.create_event(org, id="EV-1", name="Acara", kind="job_fair", **window)
    svc.events.add_station(org, "EV-1", name="Pintu", station_id="p1")
    svc.classes.create(
        blk,
        id="K-1",
        name="Kelas",
        institution_kind="UPTD",
        vocation="Las",
        starts_on=now.date(),
        ends_on=now.date() + timedelta(days=9),
    )
    svc.programmes.define({"id": "p", "name": "P", "requirements": []}, owner=org)
    svc.aki.appoint_officer(jakarta.id, "3173")
    svc.aki.appoint_officer(bandung.id, "3273")
    registration = svc.aki.apply(galih.id, office_code="3173")
    before = svc.verifiers.audit(limit=1000)
    seen = len(announced.seen)

    attempts = {
        "gate.not_organiser": [
            lambda: svc.events.cancel_event(other, "EV-1"),
            lambda: svc.events.update_event(other, "EV-1", capacity=1),
            lambda: svc.events.add_station(other, "EV-1", name="Palsu"),
            lambda: svc.events.rekey_station(other, "EV-1", "p1"),
            lambda: svc.events.retire_station(other, "EV-1", "p1"),
        ],
        "gate.event_exists": [
            lambda: svc.events.create_event(org, id="EV-1", name="Lagi", kind="job_fair", **window)
        ],
        "class.not_owner": [
            lambda: svc.classes.enrol(institution(svc, "BLK lain", ["blk"]), "K-1", galih.id),
        ],
        "class.no_consent": [lambda: svc.classes.enrol(blk, "K-1", galih.id)],
        "class.not_enrolled": [lambda: svc.classes.withdraw(blk, "K-1", galih.id)],
        "programme.exists": [
            lambda: svc.programmes.define({"id": "p", "name": "Q", "requirements": []}, owner=other)
        ],
        "programme.not_operator": [
            lambda: svc.programmes.enrol("p", galih.id, operator=other),
            lambda: svc.programmes.add_intake(other, "p", id="P-1", **window),
        ],
        "aki.wrong_office": [
            lambda: svc.aki.legalise(bandung, registration.number),
            lambda: svc.aki.place(bandung, registration.id, employer="PT A"),
            lambda: svc.aki.remove(bandung, registration.id, reason="moved"),
        ],
        "aki.not_officer": [lambda: svc.aki.appoint_officer(blk.id, "3173")],
        "institution.invalid_actor": [
            lambda: svc.events.cancel_event(org, "EV-1", actor="cli:two words"),
            lambda: svc.aki.legalise(jakarta, registration.id, actor=""),
        ],
    }
    for code, actions in attempts.items():
        for action in actions:
            assert refused(action).full_code == code
    after = [r for r in svc.verifiers.audit(limit=1000) if r.action != "verifier.add"]
    assert after == [r for r in before if r.action != "verifier.add"]
    assert [e.action for e in announced.seen[seen:]] == ["verifier.add"]  # "BLK lain" only
    # An invalid actor rolled the change back with its record.
    assert not svc.events.event("EV-1").cancelled
    assert svc.aki.registration(galih.id).status.value == "applied"


def test_the_actor_is_checked_and_named_as_given(world: tuple[Siapkerja, Announced]) -> None:
    svc, _announced = world
    org = institution(svc, "Disnaker", ["disnaker"])
    now = svc.now()
    svc.events.create_event(
        org,
        id="EV-2",
        name="Acara",
        kind="job_fair",
        venue="V",
        opens_at=now,
        closes_at=now + timedelta(hours=1),
        actor="  cli:operator  ",
    )
    (record,) = svc.verifiers.audit(target="EV-2")
    assert record.actor == "cli:operator"
    assert svc.verifiers.audit(actor=f"verifier:{org.id}") == []
    with pytest.raises(InstitutionError):
        svc.events.cancel_event(org, "EV-2", actor="x" * 201)


def test_the_command_line_names_its_user_or_the_key_it_was_given(tmp_path: Path) -> None:
    env = {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": generate_key_setting(),
        "SIAPKERJA_SECRET_KEY": secrets.token_hex(32),  # one key HMAC across processes
    }
    svc = connect(environ=env)
    number = svc.aki.apply(demo_holder(svc, GALIH).id, office_code="3173").number
    officer, key = svc.register_verifier("Disnaker Jakarta Pusat", ["disnaker"])
    runner = CliRunner()
    appointed = runner.invoke(aki_app, ["appoint", officer.id, "3173", "--json"], env=env)
    assert appointed.exit_code == 0, appointed.output
    legalised = runner.invoke(
        aki_app, ["legalise", number, "--json"], env={**env, "SIAPKERJA_VERIFIER_KEY": key}
    )
    assert legalised.exit_code == 0, legalised.output
    assert [(r.action, r.actor) for r in audited(svc)] == [
        ("aki.appoint_officer", cli_actor()),  # an administrator's command: no key
        ("aki.legalise", f"verifier:{officer.id}"),  # the officer's key made the call
    ]
    assert cli_actor().startswith("cli:")
    svc.storage.dispose()  # type: ignore[attr-defined]
