"""The rules records carry, checked without storage: codes, cards, consent, registrations."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from siapkerja_core.errors import OtpError
from siapkerja_core.records import (
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
    RegistrationRecord,
    RegistrationStatus,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def code_hash(generation: int, code: str = "123456") -> str:
    return hashlib.sha256(f"{generation}:{code}".encode()).hexdigest()


def issue(
    previous: OtpChallenge | None = None, *, at: datetime = NOW, resend: bool = False
) -> OtpChallenge:
    recent = () if previous is None else previous.sends_within(at, timedelta(hours=1))
    return OtpChallenge.issue(
        previous,
        subject_id="reg-1",
        purpose=OtpPurpose.REGISTRATION,
        phone="+6281234567890",
        code_hash=code_hash,
        now=at,
        ttl=TTL,
        recent=recent,
        resend=resend,
    )


def test_a_first_code_is_generation_one_and_live_until_its_ttl() -> None:
    challenge = issue()
    assert (challenge.generation, challenge.resends, challenge.sent_at) == (1, 0, (NOW,))
    assert challenge.code_hash == code_hash(1)
    assert challenge.is_live(NOW + TTL - timedelta(seconds=1))
    assert not challenge.is_live(NOW + TTL)


def test_a_resend_moves_one_generation_on_and_keeps_the_sending_history() -> None:
    first = issue()
    later = NOW + timedelta(minutes=2)
    second = issue(first, at=later, resend=True)
    assert (second.generation, second.resends) == (2, 1)
    assert second.sent_at == (NOW, later)
    assert second.code_hash == code_hash(2)
    # A phone change issues a new code without counting as a resend.
    assert issue(second, at=later).resends == 1


def test_sends_outside_the_window_are_not_recent() -> None:
    challenge = issue()
    assert challenge.sends_within(NOW + timedelta(minutes=59), timedelta(hours=1)) == (NOW,)
    assert challenge.sends_within(NOW + timedelta(hours=1), timedelta(hours=1)) == ()


def test_the_next_send_waits_the_policy_cooldown_unless_the_last_send_failed() -> None:
    challenge = issue()

    def cooldown(resends: int) -> timedelta:
        return timedelta(seconds=60 * 2**resends)

    assert challenge.next_send_at(cooldown) == NOW + timedelta(seconds=60)
    failed = challenge.with_failed_send("sms.unavailable")
    assert failed.next_send_at(cooldown) == failed.issued_at
    assert (failed.delivered, failed.sent_at, failed.last_failure) == (
        False,
        (),
        "sms.unavailable",
    )


def test_the_live_code_is_accepted() -> None:
    assert issue().check(code_hash(1), now=NOW, max_attempts=3) is None


def test_a_wrong_code_is_counted_and_refused_with_the_attempts_left() -> None:
    challenge = issue()
    counted = challenge.check(code_hash(1, "000000"), now=NOW, max_attempts=3)
    assert counted is not None
    assert counted.attempts == 1
    refusal = counted.refusal(3)
    assert (refusal.code, refusal.params["attempts_left"]) == ("invalid", 2)
    last = counted.after_wrong_code().after_wrong_code()
    assert last.refusal(3).code == "dead"
    with pytest.raises(OtpError) as dead:
        last.check(code_hash(1), now=NOW, max_attempts=3)  # even the right code, now
    assert dead.value.code == "dead"


@pytest.mark.parametrize(
    ("challenge", "at"),
    [(issue(), NOW + TTL), (issue().spent(), NOW)],
    ids=["expired", "used"],
)
def test_an_expired_or_used_code_is_refused_without_counting(
    challenge: OtpChallenge, at: datetime
) -> None:
    with pytest.raises(OtpError) as refused:
        challenge.check(code_hash(1), now=at, max_attempts=3)
    assert refused.value.code == "expired"


def test_codes_are_compared_in_constant_time() -> None:
    import inspect

    assert "hmac.compare_digest(" in inspect.getsource(OtpChallenge.check)


def card() -> CardRecord:
    return CardRecord(
        id="card-1",
        account_id="acct-1",
        number="SK-7KQ4-M2XD-9P7",
        card_ref=1001,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
    )


def test_rotating_a_card_bumps_its_version_and_keeps_it_active() -> None:
    later = NOW + timedelta(days=1)
    rotated = card().rotated(later)
    assert (rotated.version, rotated.updated_at, rotated.active) == (2, later, True)
    assert rotated.issued_at == NOW


def test_a_revoked_card_is_inactive_until_reissued_with_a_new_version() -> None:
    later = NOW + timedelta(days=1)
    revoked = card().revoked(later)
    assert not revoked.active
    assert (revoked.version, revoked.revoked_at) == (1, later)
    reissued = revoked.reissued(later + timedelta(days=1))
    assert reissued.active
    assert reissued.version == 2


def consent() -> ConsentRecord:
    return ConsentRecord(
        id="consent-1",
        account_id="acct-1",
        verifier_id="karirhub",
        purpose="lamaran-123",
        fields=None,
        granted_at=NOW,
    )


def test_consent_covers_only_its_verifier_and_purpose_while_active() -> None:
    given = consent()
    assert given.covers("karirhub", "lamaran-123")
    assert not given.covers("karirhub", "lamaran-999")
    assert not given.covers("blk", "lamaran-123")
    withdrawn = given.withdrawn(NOW + timedelta(hours=1))
    assert not withdrawn.covers("karirhub", "lamaran-123")
    assert withdrawn.withdrawn(NOW + timedelta(hours=2)) is withdrawn  # the first time stays


def test_an_unconfirmed_registration_expires_and_a_confirmed_one_does_not() -> None:
    record = RegistrationRecord(
        id="reg-1",
        nik="3173071203940001",
        full_name="Galih Agan Pambayun",
        status=RegistrationStatus.PENDING_OTP,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    assert record.status_at(NOW) is RegistrationStatus.PENDING_OTP
    assert record.status_at(NOW + timedelta(days=1)) is RegistrationStatus.EXPIRED
    confirmed = RegistrationRecord(
        id="reg-1",
        nik=record.nik,
        full_name=record.full_name,
        status=RegistrationStatus.CONFIRMED,
        created_at=NOW,
        expires_at=record.expires_at,
    )
    assert confirmed.status_at(NOW + timedelta(days=2)) is RegistrationStatus.CONFIRMED
