"""The register of institutions (``svc.verifiers``) and the audit, on the memory storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cards_support import build, holder

from siapkerja_core.disclosure import DisclosureError, Verifier
from siapkerja_core.institutions import (
    AuditRecord,
    InstitutionError,
    VerifierKind,
    VerifierStatus,
    check_actor,
    check_contact,
    check_institution_name,
    check_reason,
    check_region_code,
)
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account
from support.clock import ManualClock as Clock
from support.recorders import EventRecorder as Recorder

ADMIN = "cli:admin"
PURPOSE = "ak1"


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


@pytest.fixture
def galih(svc: Siapkerja) -> tuple[Account, str]:
    account, _ = holder(svc)
    return account, svc.card_qr(account.id).token


def bandung(svc: Siapkerja, **extra: object) -> tuple[Verifier, str]:
    return svc.verifiers.add(
        "Disnaker Kota Bandung",
        ["disnaker"],
        kind="disnaker",
        region_code="3273",
        actor=ADMIN,
        **extra,  # type: ignore[arg-type]
    )


# --- registering ---------------------------------------------------------------------------


def test_an_institution_is_registered_with_its_fields_and_the_action_audited(
    svc: Siapkerja,
) -> None:
    verifier, api_key = bandung(svc, contact="  Disnaker@Bandung.go.id ")
    assert verifier.kind is VerifierKind.DISNAKER
    assert verifier.region_code == "3273"
    assert verifier.contact == "disnaker@bandung.go.id"
    assert verifier.status is VerifierStatus.ACTIVE
    assert verifier.active
    assert verifier.key_rotated_at is None
    assert api_key.startswith("skv_")
    assert svc.verifiers.get(verifier.id) == verifier
    assert svc.verifier(api_key) == verifier
    [record] = svc.verifiers.audit()
    assert (record.actor, record.action, record.target_kind, record.target_id) == (
        ADMIN,
        "verifier.add",
        "verifier",
        verifier.id,
    )
    assert record.details["kind"] == "disnaker"
    assert record.details["scopes"] == "disnaker"
    assert api_key not in str(record)  # never a secret in the audit


def test_register_verifier_still_works_and_is_audited_as_the_library(svc: Siapkerja) -> None:
    verifier, api_key = svc.register_verifier("Karirhub", ["karirhub"])
    assert verifier.kind is VerifierKind.OTHER
    assert svc.verifier(api_key).id == verifier.id
    assert [(r.actor, r.action) for r in svc.verifiers.audit()] == [("library", "verifier.add")]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"kind": "hub"}, "institution.invalid_kind"),
        ({"region_code": "9999"}, "institution.invalid_region"),
        ({"region_code": "32.73.999"}, "institution.invalid_region"),
        ({"region_code": "3273011001"}, "institution.invalid_region"),  # a village: too fine
        ({"contact": "not an address"}, "institution.invalid_contact"),
        ({"contact": "javascript:alert(1)"}, "institution.invalid_contact"),
        ({"actor": "cli admin"}, "institution.invalid_actor"),
        ({"actor": ""}, "institution.invalid_actor"),
        ({"scopes": ["everything"]}, "disclosure.unknown_scope"),
        ({"scopes": []}, "disclosure.unknown_scope"),
        ({"name": "  "}, "institution.invalid_name"),
        ({"name": "Dinas\u202e"}, "institution.invalid_name"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(
    svc: Siapkerja, extra: dict[str, object], code: str
) -> None:
    arguments: dict[str, object] = {"name": "Instansi", "scopes": ["karirhub"], **extra}
    with pytest.raises((InstitutionError, DisclosureError)) as info:
        svc.verifiers.add(**arguments)  # type: ignore[arg-type]
    assert info.value.full_code == code
    assert info.value.message_id
    assert info.value.message_en
    assert svc.verifiers.list() == []
    assert svc.verifiers.audit() == []


def test_a_region_code_that_was_split_or_renamed_is_refused_for_a_new_institution() -> None:
    from siapkerja_core import regions

    retired = next(
        code
        for code in sorted(regions.district_codes())
        if (found := regions.lookup(code)) is not None and found.retired
    )
    with pytest.raises(InstitutionError) as info:
        check_region_code(retired, current=True)
    assert info.value.code == "invalid_region"
    assert check_region_code(retired) == retired  # a stored one still reads
    assert check_region_code("32.73") == "3273"


# --- listing --------------------------------------------------------------------------------


def test_the_register_is_listed_with_filters(svc: Siapkerja, clock: Clock) -> None:
    disnaker, _ = bandung(svc)
    clock.advance(seconds=1)
    portal, _ = svc.verifiers.add("Karirhub", ["karirhub"], kind="job_portal")
    clock.advance(seconds=1)
    blk, _ = svc.verifiers.add("BLK Bandung", ["blk", "karirhub"], kind=VerifierKind.BLK)
    svc.verifiers.suspend(portal.id, reason="audit")
    assert [v.id for v in svc.verifiers.list()] == [disnaker.id, portal.id, blk.id]
    assert [v.id for v in svc.verifiers.list(status="active")] == [disnaker.id, blk.id]
    assert [v.id for v in svc.verifiers.list(status=VerifierStatus.SUSPENDED)] == [portal.id]
    assert [v.id for v in svc.verifiers.list(kind="blk")] == [blk.id]
    assert [v.id for v in svc.verifiers.list(scope="karirhub")] == [portal.id, blk.id]
    with pytest.raises(InstitutionError) as info:
        svc.verifiers.list(status="paused")
    assert info.value.code == "invalid_status"


def test_an_unknown_id_is_told_apart(svc: Siapkerja) -> None:
    for call in (
        lambda: svc.verifiers.get("nope"),
        lambda: svc.verifiers.suspend("nope", reason="x"),
        lambda: svc.verifiers.rotate_key("nope"),
        lambda: svc.verifiers.activity("nope"),
        lambda: svc.verifiers.get(""),
        lambda: svc.verifiers.get("x" * 500),
    ):
        with pytest.raises(InstitutionError) as info:
            call()
        assert info.value.code == "unknown"
    assert svc.verifiers.audit() == []


# --- suspending, resuming, re-keying, retiring ------------------------------------------------


def test_a_suspended_verifier_is_refused_everywhere_until_resumed(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    verifier, api_key = bandung(svc)
    svc.grant_consent(account.id, verifier.id, PURPOSE)
    suspended = svc.verifiers.suspend(verifier.id, reason="Kunci bocor", actor=ADMIN)
    assert suspended.status is VerifierStatus.SUSPENDED
    assert not suspended.active
    for call in (
        lambda: svc.verifier(api_key),
        lambda: svc.resolve(token, verifier, purpose=PURPOSE),
        lambda: svc.grant_consent(account.id, verifier.id, "lain"),
    ):
        with pytest.raises(DisclosureError) as info:
            call()
        assert info.value.full_code == "disclosure.verifier_suspended"
    assert svc.verifiers.activity(verifier.id) == []  # nothing was seen
    svc.verifiers.resume(verifier.id, actor=ADMIN)
    assert svc.resolve(token, svc.verifier(api_key), purpose=PURPOSE).disclosed
    assert [r.action for r in svc.verifiers.audit(target=verifier.id)] == [
        "verifier.resume",
        "verifier.suspend",
        "verifier.add",
    ]
    assert svc.verifiers.audit(target=verifier.id)[1].reason == "Kunci bocor"


def test_rotating_the_key_kills_the_old_one_at_once(svc: Siapkerja, clock: Clock) -> None:
    verifier, old = bandung(svc)
    clock.advance(minutes=5)
    new = svc.verifiers.rotate_key(verifier.id, actor=ADMIN)
    assert new != old
    assert new.startswith("skv_")
    with pytest.raises(DisclosureError) as info:
        svc.verifier(old)
    assert info.value.code == "unknown_verifier"
    assert svc.verifier(new).key_rotated_at == clock.now()
    [record] = svc.verifiers.audit(actor=ADMIN, since=clock.now())
    assert record.action == "verifier.rotate_key"
    assert new not in str(record)
    assert old not in str(record)


def test_a_suspended_verifier_may_be_rekeyed_and_stays_suspended(svc: Siapkerja) -> None:
    verifier, _ = bandung(svc)
    svc.verifiers.suspend(verifier.id, reason="bocor")
    new = svc.verifiers.rotate_key(verifier.id)
    with pytest.raises(DisclosureError) as info:
        svc.verifier(new)
    assert info.value.code == "verifier_suspended"
    svc.verifiers.resume(verifier.id)
    assert svc.verifier(new).id == verifier.id


def test_retiring_is_for_good_and_keeps_consents_and_activity(
    svc: Siapkerja, galih: tuple[Account, str]
) -> None:
    account, token = galih
    verifier, api_key = bandung(svc)
    svc.grant_consent(account.id, verifier.id, PURPOSE)
    svc.resolve(token, svc.verifier(api_key), purpose=PURPOSE)
    retired = svc.verifiers.retire(verifier.id, reason="Kantor ditutup", actor=ADMIN)
    assert retired.status is VerifierStatus.RETIRED
    with pytest.raises(DisclosureError) as info:
        svc.verifier(api_key)
    assert info.value.code == "unknown_verifier"
    for call in (
        lambda: svc.verifiers.resume(verifier.id),
        lambda: svc.verifiers.rotate_key(verifier.id),
        lambda: svc.verifiers.suspend(verifier.id, reason="x"),
        lambda: svc.verifiers.retire(verifier.id, reason="x"),
    ):
        with pytest.raises(InstitutionError) as error:
            call()
        assert error.value.code == "wrong_status"
        assert error.value.params["status"] == "retired"
    assert [c.verifier_id for c in svc.consents(account.id)] == [verifier.id]
    assert len(svc.verifiers.activity(verifier.id)) == 1
    assert len(svc.verifiers.audit(target=verifier.id)) == 2  # add, retire: refusals are not


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501, "a\u200bb"])
def test_suspending_and_retiring_need_a_reason(svc: Siapkerja, reason: str | None) -> None:
    verifier, _ = bandung(svc)
    for call in (svc.verifiers.suspend, svc.verifiers.retire):
        with pytest.raises(InstitutionError) as info:
            call(verifier.id, reason=reason)  # type: ignore[arg-type]
        assert info.value.code == "invalid_reason"
    assert svc.verifiers.get(verifier.id).active
    assert len(svc.verifiers.audit()) == 1


def test_resuming_an_active_verifier_is_a_wrong_status(svc: Siapkerja) -> None:
    verifier, _ = bandung(svc)
    with pytest.raises(InstitutionError) as info:
        svc.verifiers.resume(verifier.id)
    assert info.value.code == "wrong_status"
    assert info.value.params["action"] == "verifier.resume"
    # Each language's words, not the machine's ("verifier.resume", "active").
    assert "mengaktifkan kembali instansi ini" in info.value.message_id
    assert "masih aktif" in info.value.message_id
    assert "resume this institution" in info.value.message_en
    assert "verifier.resume" not in info.value.message_id + info.value.message_en


# --- administrators ---------------------------------------------------------------------------


def test_only_an_admin_scoped_key_administers(svc: Siapkerja) -> None:
    ministry, admin_key = svc.verifiers.add(
        "Kemnaker", ["admin"], kind="ministry", actor="cli:root"
    )
    assert ministry.is_admin
    assert svc.verifiers.administrator(admin_key) == ministry
    _, other_key = bandung(svc)
    with pytest.raises(InstitutionError) as info:
        svc.verifiers.administrator(other_key)
    assert info.value.code == "admin_required"
    with pytest.raises(DisclosureError):
        svc.verifiers.administrator("skv_nope")
    svc.verifiers.suspend(ministry.id, reason="pergantian")
    with pytest.raises(DisclosureError) as refused:
        svc.verifiers.administrator(admin_key)
    assert refused.value.code == "verifier_suspended"


def test_the_admin_scope_shows_no_profile_field(svc: Siapkerja, galih: tuple[Account, str]) -> None:
    account, token = galih
    ministry, admin_key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry")
    svc.grant_consent(account.id, ministry.id, PURPOSE)
    view = svc.resolve(token, svc.verifier(admin_key), purpose=PURPOSE)
    assert view.disclosed == ()
    assert view.nik is None


# --- activity ---------------------------------------------------------------------------------


def test_activity_is_this_institutions_newest_first_with_since_and_limit(
    svc: Siapkerja, galih: tuple[Account, str], clock: Clock
) -> None:
    account, token = galih
    verifier, key = bandung(svc)
    other, other_key = svc.verifiers.add("Karirhub", ["karirhub"], kind="job_portal")
    svc.grant_consent(account.id, verifier.id, PURPOSE)
    svc.grant_consent(account.id, other.id, PURPOSE)
    times = []
    for _ in range(3):
        clock.advance(minutes=1)
        times.append(clock.now())
        svc.resolve(token, svc.verifier(key), purpose=PURPOSE)
        svc.resolve(token, svc.verifier(other_key), purpose=PURPOSE)
    svc.resolve(token)  # anonymous: nobody's activity
    found = svc.verifiers.activity(verifier.id)
    assert [r.at for r in found] == times[::-1]
    assert {r.verifier_id for r in found} == {verifier.id}
    assert found[0].account_id == account.id
    assert found[0].purpose == PURPOSE
    assert found[0].channel == "link"
    assert "nik" in found[0].fields
    assert [r.at for r in svc.verifiers.activity(verifier.id, since=times[1])] == times[:0:-1]
    assert [r.at for r in svc.verifiers.activity(verifier.id, limit=1)] == [times[2]]
    for bad in ({"limit": 0}, {"limit": True}, {"since": datetime(2026, 1, 1)}):
        with pytest.raises(InstitutionError) as info:
            svc.verifiers.activity(verifier.id, **bad)  # type: ignore[arg-type]
        assert info.value.code == "invalid_audit"


# --- the audit --------------------------------------------------------------------------------


def test_the_audit_filters_by_target_actor_and_time(svc: Siapkerja, clock: Clock) -> None:
    first, _ = bandung(svc)
    clock.advance(hours=1)
    start = clock.now()
    second, _ = svc.verifiers.add("BLK", ["blk"], kind="blk", actor="verifier:abc")
    svc.verifiers.suspend(first.id, reason="cek", actor="verifier:abc")
    assert [r.target_id for r in svc.verifiers.audit(actor="verifier:abc")] == [
        first.id,
        second.id,
    ]
    assert len(svc.verifiers.audit(since=start)) == 2
    assert len(svc.verifiers.audit(target=first.id)) == 2
    assert len(svc.verifiers.audit(target_kind="verifier")) == 3
    assert svc.verifiers.audit(target_kind="event") == []
    assert len(svc.verifiers.audit(limit=1)) == 1


def test_record_admin_action_commits_with_the_action_or_not_at_all(svc: Siapkerja) -> None:
    """The helper other services call: in the caller's transaction."""
    ctx = svc.verifiers.ctx
    verifier = Verifier(id="v-1", name="X", scopes=["blk"], created_at=svc.now())
    with svc.storage.transaction() as tx:
        tx.verifiers.add(verifier, "hash")
        record = ctx.record_admin_action(
            tx,
            actor="cli:ops",
            action="event.create",
            target_kind="event",
            target_id="jobfair-2026",
            details={"venue": "JIExpo", "capacity": 5000, "gates": ["A", "B"]},
        )
    assert svc.verifiers.audit(target="jobfair-2026") == [record]
    assert record.details == {"capacity": 5000, "gates": "A,B", "venue": "JIExpo"}

    def add_then_record_badly() -> None:
        with svc.storage.transaction() as tx:
            tx.verifiers.add(attrs.evolve(verifier, id="v-2"), "hash-2")
            ctx.record_admin_action(
                tx, actor="cli:ops", action="Not A Name", target_kind="event", target_id="x"
            )

    with pytest.raises(InstitutionError):
        add_then_record_badly()
    with pytest.raises(InstitutionError):
        svc.verifiers.get("v-2")  # rolled back with the refused record


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "verifier..add"},
        {"target_kind": ""},
        {"target_id": ""},
        {"actor": "a b"},
        {"details": {"k": object()}},
        {"details": {"": 1}},
        {"details": {str(n): n for n in range(40)}},
    ],
)
def test_an_audit_record_of_the_wrong_shape_is_refused(fields: dict[str, object]) -> None:
    base: dict[str, object] = {
        "id": "a",
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "actor": "library",
        "action": "verifier.add",
        "target_kind": "verifier",
        "target_id": "v",
    }
    with pytest.raises(InstitutionError):
        AuditRecord(**{**base, **fields})  # type: ignore[arg-type]


# --- the value object, as code written before statuses uses it ------------------------------


def test_active_is_still_a_keyword_and_a_property() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    verifier = Verifier(id="v", name="X", scopes=["karirhub"], created_at=at)
    assert verifier.active
    assert verifier.kind is VerifierKind.OTHER
    inactive = Verifier(id="v", name="X", scopes=["karirhub"], created_at=at, active=False)
    assert inactive.status is VerifierStatus.SUSPENDED
    assert attrs.evolve(verifier, active=False) == inactive
    assert attrs.evolve(inactive, active=True) == verifier
    retired = attrs.evolve(verifier, status="retired")
    assert attrs.evolve(retired, active=False).status is VerifierStatus.RETIRED
    assert attrs.evolve(verifier, key_rotated_at=at + timedelta(days=1)).active


# --- the checks never fail other than with their own error ------------------------------------


@given(st.text(max_size=300))
def test_the_checks_refuse_any_text_with_their_own_error(text: str) -> None:
    for check in (
        check_contact,
        check_actor,
        check_institution_name,
        lambda t: check_reason(t, required=True),
        check_region_code,
    ):
        try:
            result = check(text)
        except InstitutionError as error:
            refused = error
        else:
            assert result is None or (result and len(result) <= len(text))
            continue
        assert refused.message_id
        assert refused.message_en


@given(st.sampled_from(["3273", "31", "317101", "32.73"]))
def test_region_codes_at_three_levels_are_kept_without_dots(code: str) -> None:
    assert check_region_code(code) == code.replace(".", "")


def test_each_committed_action_is_announced_to_plug_ins_without_reason_or_key(
    clock: Clock, recorder: Recorder
) -> None:
    svc = build(clock, recorder)
    verifier, api_key = bandung(svc)
    svc.verifiers.suspend(verifier.id, reason="Pegawai X membocorkan kunci")
    with pytest.raises(InstitutionError):
        svc.verifiers.suspend(verifier.id, reason="lagi")  # refused: not announced
    new_key = svc.verifiers.rotate_key(verifier.id)
    announced = [e for e in recorder.events if e.name == "admin.action"]
    assert [e.action for e in announced] == [  # type: ignore[attr-defined]
        "verifier.add",
        "verifier.suspend",
        "verifier.rotate_key",
    ]
    assert [e.audit_id for e in announced] == [  # type: ignore[attr-defined]
        r.id for r in reversed(svc.verifiers.audit())
    ]
    for event in announced:
        text = repr(event)
        assert "Pegawai" not in text
        assert api_key not in text
        assert new_key not in text
