"""``svc.classes`` and ``svc.programmes`` through the facade, with the event gates.

Each test starts from one service (memory storage, a manual clock) holding
Galih, Fauzi and Rizki with their cards, and makes its own institution, so
tests do not see each other's classes. What is checked is what an attacker or a
plausible bug would get wrong: an institution enrolling a stranger or in
another's class, a session of someone else counted or admitting, a preview
that enrols, an ineligible holder recorded, a refusal that writes.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.demo import FAUZI, GALIH, RIZKI, demo_holder
from siapkerja_core.classes import ClassError
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import CardError
from siapkerja_core.gates import Admission, GateError
from siapkerja_core.ports import ProgrammeEnrolmentConflict
from siapkerja_core.programmes import ProgrammeError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import StationCredential
from siapkerja_core.services.programmes import bundled_programme
from siapkerja_core.views import Account
from support.clock import ManualClock

_SERIAL = itertools.count(1)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock.from_now()
        self.svc: Siapkerja = connect("memory", clock=self.clock.now)
        self.galih = demo_holder(self.svc, GALIH)
        self.fauzi = demo_holder(self.svc, FAUZI)
        self.rizki = demo_holder(self.svc, RIZKI)

    def institution(self, scopes: tuple[str, ...] = ("blk",)) -> Verifier:
        verifier, _key = self.svc.register_verifier(f"BLK {next(_SERIAL)}", list(scopes))
        return verifier

    def consent(self, holder: Account, institution: Verifier) -> None:
        self.svc.grant_consent(holder.id, institution.id, "pendaftaran pelatihan")

    def klass(self, institution: Verifier, **changes: object) -> str:
        class_id = f"K-{next(_SERIAL)}"
        today = self.svc.now().date()
        values: dict[str, object] = {
            "id": class_id,
            "name": "Teknik Las",
            "institution_kind": "UPTD",
            "vocation": "Las",
            "starts_on": today,
            "ends_on": today + timedelta(days=30),
            "min_attendance": 50,
            "capacity": 2,
        }
        values.update(changes)
        self.svc.classes.create(institution, **values)  # type: ignore[arg-type]
        return class_id

    def session(
        self, institution: Verifier, class_id: str, *, hours_ago: float = 1
    ) -> tuple[str, str]:
        opens_at = self.svc.now() - timedelta(hours=hours_ago)
        session_id = f"{class_id}-S{next(_SERIAL)}"
        self.svc.classes.add_session(
            institution,
            class_id,
            id=session_id,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(hours=4),
            venue="Bengkel",
        )
        _station, key = self.svc.events.add_station(institution, session_id, name="Pemindai")
        assert key is not None
        return session_id, key

    def scan(self, holder: Account, event_id: str, key: str, *, preview: bool = False):
        code = self.svc.card_qr(holder.id, mode="access", purpose=event_id).token
        return self.svc.events.admit(
            code, event_id=event_id, credential=StationCredential(api_key=key), preview=preview
        )


@pytest.fixture(scope="module")
def world() -> World:
    return World()


# --- classes ----------------------------------------------------------------------------------


def test_only_a_training_institution_runs_classes(world: World) -> None:
    karirhub = world.institution(("karirhub",))
    with pytest.raises(ClassError) as refused:
        world.klass(karirhub)
    assert refused.value.full_code == "class.not_institution"
    with pytest.raises(ClassError):
        world.svc.classes.create(
            "no-such-verifier",
            id="X",
            name="X",
            institution_kind="LPKS",
            vocation="X",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 1, 2),
        )
    lpk = world.institution(("skillhub",))
    assert world.svc.classes.get(lpk, world.klass(lpk, institution_kind="LPKS")).capacity == 2


def test_a_class_id_is_taken_once(world: World) -> None:
    blk = world.institution()
    class_id = world.klass(blk)
    with pytest.raises(ClassError) as refused:
        world.klass(world.institution(), id=class_id)
    assert refused.value.full_code == "class.exists"
    assert world.svc.classes.get(blk, class_id).institution_id == blk.id


def test_an_institution_sees_and_changes_only_its_own_classes(world: World) -> None:
    blk, other = world.institution(), world.institution()
    class_id = world.klass(blk)
    world.consent(world.galih, other)
    for action in (
        lambda: world.svc.classes.get(other, class_id),
        lambda: world.svc.classes.enrol(other, class_id, world.galih.id),
        lambda: world.svc.classes.report(other, class_id),
        lambda: world.svc.classes.add_session(
            other,
            class_id,
            id=f"{class_id}-X",
            opens_at=world.svc.now(),
            closes_at=world.svc.now() + timedelta(hours=1),
            venue="X",
        ),
    ):
        with pytest.raises(ClassError) as refused:
            action()
        assert refused.value.full_code == "class.not_owner"
    assert [k.id for k in world.svc.classes.all(other)] == []
    with pytest.raises(ClassError) as missing:
        world.svc.classes.get(blk, "NO-SUCH-CLASS")
    assert missing.value.full_code == "class.not_found"


def test_enrolment_needs_the_holders_consent_and_a_place(world: World) -> None:
    blk = world.institution()
    class_id = world.klass(blk, capacity=2)
    with pytest.raises(ClassError) as refused:
        world.svc.classes.enrol(blk, class_id, world.galih.id)
    assert refused.value.full_code == "class.no_consent"
    for holder in (world.galih, world.fauzi, world.rizki):
        world.consent(holder, blk)
    number = world.svc.card(world.galih.id).siapkerja_id
    assert world.svc.classes.enrol(blk, class_id, number).account_id == world.galih.id
    with pytest.raises(ClassError) as twice:
        world.svc.classes.enrol(blk, class_id, world.galih.id)
    assert twice.value.full_code == "class.already_enrolled"
    world.svc.classes.enrol(blk, class_id, world.fauzi.id)
    with pytest.raises(ClassError) as full:
        world.svc.classes.enrol(blk, class_id, world.rizki.id)
    assert full.value.full_code == "class.full"
    assert full.value.params["capacity"] == 2
    # A withdrawal frees the place; the withdrawn trainee may come back later.
    world.svc.classes.withdraw(blk, class_id, world.fauzi.id)
    world.svc.classes.enrol(blk, class_id, world.rizki.id)
    with pytest.raises(ClassError):
        world.svc.classes.enrol(blk, class_id, world.fauzi.id)
    world.svc.classes.withdraw(blk, class_id, world.rizki.id)
    again = world.svc.classes.enrol(blk, class_id, world.fauzi.id)
    assert again.active
    for trainee in ("nobody", "SK-0000-0000-000", ""):
        with pytest.raises(ClassError) as unknown:
            world.svc.classes.enrol(blk, class_id, trainee)
        assert unknown.value.full_code == "class.no_account"


def test_a_withdrawn_consent_enrols_no_one(world: World) -> None:
    blk = world.institution()
    class_id = world.klass(blk)
    consent = world.svc.grant_consent(world.rizki.id, blk.id, "pendaftaran")
    world.svc.withdraw_consent(world.rizki.id, consent.id)
    with pytest.raises(ClassError) as refused:
        world.svc.classes.enrol(blk, class_id, world.rizki.id)
    assert refused.value.full_code == "class.no_consent"


def test_a_session_admits_enrolled_trainees_only_and_a_refusal_records_nothing(
    world: World,
) -> None:
    blk = world.institution()
    class_id = world.klass(blk)
    world.consent(world.galih, blk)
    world.svc.classes.enrol(blk, class_id, world.galih.id)
    session_id, key = world.session(blk, class_id)
    assert world.scan(world.galih, session_id, key).recorded
    with pytest.raises(ClassError) as refused:
        world.scan(world.rizki, session_id, key)
    assert refused.value.full_code == "class.not_enrolled"
    assert world.svc.events.counts(session_id).inside == 1
    # Withdrawn: refused at the next session.
    world.svc.classes.withdraw(blk, class_id, world.galih.id)
    later_id, later_key = world.session(blk, class_id)
    with pytest.raises(ClassError):
        world.scan(world.galih, later_id, later_key)


def test_a_session_another_organiser_names_the_class_in_admits_and_counts_nothing(
    world: World,
) -> None:
    blk, rogue = world.institution(), world.institution()
    class_id = world.klass(blk)
    world.consent(world.galih, blk)
    world.svc.classes.enrol(blk, class_id, world.galih.id)
    now = world.svc.now()
    world.svc.events.create_event(
        rogue,
        id=f"{class_id}-ROGUE",
        name="X",
        kind="class_session",
        venue="X",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=1),
        class_id=class_id,
    )
    _station, key = world.svc.events.add_station(rogue, f"{class_id}-ROGUE", name="X")
    assert key is not None
    with pytest.raises(ClassError) as refused:
        world.scan(world.galih, f"{class_id}-ROGUE", key)
    assert refused.value.full_code == "class.not_owner"
    assert world.svc.classes.sessions(blk, class_id) == []
    assert world.svc.classes.report(blk, class_id).summary.sessions_held == 0


def test_the_report_counts_sessions_once_opened(world: World) -> None:
    blk = world.institution()
    class_id = world.klass(blk, min_attendance=50)
    for holder in (world.galih, world.fauzi):
        world.consent(holder, blk)
        world.svc.classes.enrol(blk, class_id, holder.id)
    first, first_key = world.session(blk, class_id, hours_ago=2)
    second, second_key = world.session(blk, class_id, hours_ago=1)
    future, _ = world.session(blk, class_id, hours_ago=-24)
    world.scan(world.galih, first, first_key)
    world.scan(world.galih, second, second_key)
    world.scan(world.fauzi, second, second_key)
    report = world.svc.classes.report(blk, class_id)
    assert report.sessions == (first, second)
    assert future in [s.id for s in world.svc.classes.sessions(blk, class_id)]
    lines = {t.account_id: t for t in report.trainees}
    assert (lines[world.galih.id].attended, lines[world.galih.id].percent) == (2, 100.0)
    assert (lines[world.fauzi.id].attended, lines[world.fauzi.id].meets_minimum) == (1, True)
    assert lines[world.galih.id].siapkerja_id == world.svc.card(world.galih.id).siapkerja_id
    assert report.summary.percent == 75.0
    # A day later the third session has opened, unattended: everyone's share drops.
    world.clock.advance(hours=25)
    later = world.svc.classes.report(blk, class_id)
    assert later.summary.sessions_held == 3
    assert {t.account_id: t.meets_minimum for t in later.trainees} == {
        world.galih.id: True,
        world.fauzi.id: False,
    }
    world.clock.advance(hours=-25)
    assert world.svc.classes.classes_of(world.fauzi.id)[-1].id == class_id


# --- programmes -------------------------------------------------------------------------------


def test_check_names_programme_and_account_errors(world: World) -> None:
    with pytest.raises(ProgrammeError) as missing:
        world.svc.programmes.check("no-such-programme", world.galih.id)
    assert missing.value.full_code == "programme.not_found"
    world.svc.programmes.define({"id": "kosong", "name": "Kosong", "requirements": []})
    with pytest.raises(CardError):
        world.svc.programmes.check("kosong", "no-such-account")


def test_the_facts_come_from_the_profile_and_the_account(world: World) -> None:
    world.svc.programmes.define(
        {
            "id": "fakta",
            "name": "Fakta",
            "requirements": [
                {"rule": "profile_complete"},
                {"rule": "phone_verified"},
                {"rule": "region_in", "codes": ["3173"], "address": "ktp"},
            ],
        }
    )
    assert world.svc.programmes.check("fakta", world.galih.id).eligible
    # A number typed into the profile is not the one the SMS confirmed.
    world.svc.update_profile(world.rizki.id, contact={"phone": "081277778888"})
    answer = world.svc.programmes.check("fakta", world.rizki.id)
    assert [r.rule for r in answer.failed] == ["phone_verified"]
    world.svc.update_profile(world.rizki.id, contact={"phone": RIZKI.phone})
    assert world.svc.programmes.check("fakta", world.rizki.id).eligible


def test_an_imported_account_never_confirmed_its_phone(world: World) -> None:
    account, _created = world.svc.import_account(
        nik="3173074707900003",
        full_name="Siti Import",
        email="siti.import@example.com",
        phone="081311112222",
    )
    world.svc.programmes.define(
        {"id": "telepon", "name": "Telepon", "requirements": [{"rule": "phone_verified"}]}
    )
    assert not world.svc.programmes.check("telepon", account.id).eligible


def test_an_institution_redefines_only_its_own_programme(world: World) -> None:
    owner, other = world.institution(("disnaker",)), world.institution(("disnaker",))
    data = {"id": f"milik-{next(_SERIAL)}", "name": "Milik", "requirements": []}
    world.svc.programmes.define(data, owner=owner)
    with pytest.raises(ProgrammeError) as refused:
        world.svc.programmes.define(data, owner=other)
    assert refused.value.full_code == "programme.exists"
    # An administrator's redefinition keeps the operator.
    again = world.svc.programmes.define({**data, "name": "Milik baru"})
    assert again.owner_id == owner.id
    assert world.svc.programmes.get(data["id"]).name == "Milik baru"
    with pytest.raises(GateError):
        world.svc.programmes.define(data, owner="no-such-verifier")


def test_an_intake_admits_and_enrols_the_eligible_and_refuses_the_rest(world: World) -> None:
    operator = world.institution(("disnaker",))
    programme_id = f"muda-{next(_SERIAL)}"
    world.svc.programmes.define(
        {
            "id": programme_id,
            "name": "Muda",
            "exclusion_group": programme_id,
            "requirements": [
                {"rule": "age_between", "min": 18, "max": 35},
                {"rule": "not_enrolled", "groups": [programme_id]},
            ],
        },
        owner=operator,
    )
    now = world.svc.now()
    intake = world.svc.programmes.add_intake(
        operator,
        programme_id,
        id=f"{programme_id}-1",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        venue="Loket",
    )
    assert intake.kind.value == "programme_intake"
    _station, key = world.svc.events.add_station(operator, intake.id, name="Loket 1")
    assert key is not None
    # A preview makes every check and enrols no one.
    assert not world.scan(world.galih, intake.id, key, preview=True).recorded
    assert all(
        e.programme_id != programme_id for e in world.svc.programmes.enrolments_of(world.galih.id)
    )
    assert world.scan(world.galih, intake.id, key).recorded
    enrolled = world.svc.programmes.enrolments(operator, programme_id)
    assert [(e.account_id, e.event_id) for e in enrolled] == [(world.galih.id, intake.id)]
    with pytest.raises(ProgrammeError) as refused:
        world.scan(world.fauzi, intake.id, key)
    assert refused.value.full_code == "programme.not_eligible"
    assert refused.value.params["rules"] == ["age_between"]
    assert world.svc.events.counts(intake.id).inside == 1
    assert len(world.svc.programmes.enrolments(operator, programme_id)) == 1
    # Enrolled once: a second intake of the same programme refuses the holder.
    second = world.svc.programmes.add_intake(
        operator,
        programme_id,
        id=f"{programme_id}-2",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        venue="Loket",
    )
    _station, second_key = world.svc.events.add_station(operator, second.id, name="Loket 1")
    assert second_key is not None
    with pytest.raises(ProgrammeError) as twice:
        world.scan(world.galih, second.id, second_key)
    assert twice.value.full_code == "programme.already_enrolled"


def test_only_the_operator_runs_a_programmes_intake(world: World) -> None:
    operator, rogue = world.institution(("disnaker",)), world.institution(("disnaker",))
    world.svc.programmes.define(bundled_programme("jkp"), owner=operator)
    now = world.svc.now()
    with pytest.raises(ProgrammeError) as refused:
        world.svc.programmes.add_intake(
            rogue,
            "jkp",
            id="JKP-ROGUE",
            opens_at=now,
            closes_at=now + timedelta(hours=1),
            venue="X",
        )
    assert refused.value.full_code == "programme.not_operator"
    with pytest.raises(ProgrammeError):
        world.svc.programmes.enrolments(rogue, "jkp")
    # An event the rogue made itself, naming the programme, enrols no one.
    world.svc.events.create_event(
        rogue,
        id="JKP-ROGUE-2",
        name="X",
        kind="programme_intake",
        venue="X",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        programme_id="jkp",
    )
    _station, key = world.svc.events.add_station(rogue, "JKP-ROGUE-2", name="X")
    assert key is not None
    with pytest.raises(ProgrammeError) as rogue_intake:
        world.scan(world.rizki, "JKP-ROGUE-2", key)
    assert rogue_intake.value.full_code == "programme.not_operator"
    assert all(e.programme_id != "jkp" for e in world.svc.programmes.enrolments_of(world.rizki.id))


def test_operator_enrolment_without_a_station_checks_eligibility(world: World) -> None:
    operator = world.institution(("disnaker",))
    programme_id = f"daring-{next(_SERIAL)}"
    world.svc.programmes.define(
        {
            "id": programme_id,
            "name": "Daring",
            "requirements": [{"rule": "age_between", "max": 40}],
        },
        owner=operator,
    )
    with pytest.raises(ProgrammeError) as refused:
        world.svc.programmes.enrol(programme_id, world.fauzi.id, operator=operator)
    assert refused.value.full_code == "programme.not_eligible"
    enrolled = world.svc.programmes.enrol(programme_id, world.rizki.id, operator=operator)
    assert enrolled.event_id is None
    with pytest.raises(ProgrammeError) as twice:
        world.svc.programmes.enrol(programme_id, world.rizki.id, operator=operator)
    assert twice.value.full_code == "programme.already_enrolled"
    with pytest.raises(ProgrammeError) as rogue:
        world.svc.programmes.enrol(programme_id, world.galih.id, operator=world.institution())
    assert rogue.value.full_code == "programme.not_operator"


def test_the_aki_answer_comes_from_the_registrations_or_another_system(world: World) -> None:
    world.svc.programmes.define(
        {"id": "aki", "name": "AK/I", "requirements": [{"rule": "aki_registered"}]}
    )
    # By default the service's own AK/I registrations answer: Galih has none yet.
    assert not world.svc.programmes.check("aki", world.galih.id).eligible
    asked: list[tuple[str, date]] = []

    def registry(account_id: str, today: date) -> bool | None:
        asked.append((account_id, today))
        return account_id == world.galih.id

    world.svc.programmes.use_aki_registrations(registry)
    try:
        assert world.svc.programmes.check("aki", world.galih.id).eligible
        assert not world.svc.programmes.check("aki", world.fauzi.id).eligible
        assert asked[0][0] == world.galih.id
        assert isinstance(asked[0][1], date)
    finally:
        world.svc.programmes.use_aki_registrations(None)


def test_a_racing_admission_at_another_desk_is_refused_as_enrolled(world: World) -> None:
    operator = world.institution(("disnaker",))
    programme_id = f"balapan-{next(_SERIAL)}"
    world.svc.programmes.define(
        {"id": programme_id, "name": "Balapan", "requirements": []}, owner=operator
    )
    now = world.svc.now()
    intake = world.svc.programmes.add_intake(
        operator,
        programme_id,
        id=f"{programme_id}-1",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        venue="Loket",
    )
    station, _key = world.svc.events.add_station(operator, intake.id, name="Loket 2")

    class RacedProgrammes:
        """The other desk's enrolment commits between this desk's read and its write."""

        def __init__(self, real: Any) -> None:
            self.real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def enrolment(self, programme_id: str, account_id: str) -> None:
            return None

        def add_enrolment(self, record: Any) -> None:
            raise ProgrammeEnrolmentConflict(record.programme_id)

    class RacedTransaction:
        def __init__(self, real: Any) -> None:
            self.real = real
            self.programmes = RacedProgrammes(real.programmes)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    with world.svc.storage.transaction() as tx:
        account = tx.accounts.get(world.galih.id)
        card = tx.cards.get(world.galih.id)
        assert account is not None
        assert card is not None
        admission = Admission(
            tx=RacedTransaction(tx),  # type: ignore[arg-type]
            event=intake,
            station=station,
            account=account,
            profile=None,
            card=card,
            now=now,
        )
        refused = world.svc.programmes.admission_check(admission)
    assert refused is not None
    assert refused.full_code == "programme.already_enrolled"
