"""The service side of the status list: indexes at issuance, revoke/suspend/resume in the
published list at once, the cache, and online refusals of suspended cards.

Each test runs on memory storage and on SQLite (a throw-away file).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
from journey_support import Clock
from test_cards_support import EVENT, build, card_record, holder

from siapkerja_core.errors import CardError, ConfigurationError
from siapkerja_core.ports import CardConflict, StatusListState
from siapkerja_core.records import CardRecord
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.status_list import reserve_status_indexes
from siapkerja_core.station import OfflineStation
from siapkerja_core.tokens import TokenError, verify_access
from siapkerja_core.tokens.status_list import (
    MIN_STATUS_LIST_SIZE,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    verify_status_list,
)


@pytest.fixture(params=["memory", "sqlite"])
def svc(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Siapkerja]:
    if request.param == "memory":
        yield build(clock)
        return
    service = build(clock, storage="sql", database_url="sqlite://")
    yield service
    service.storage.dispose()  # type: ignore[attr-defined]


def entry(svc: Siapkerja, index: int) -> int:
    return svc.status_lists.current().status_list.status(index)


def test_each_card_gets_a_random_unique_index_that_its_access_code_carries(
    svc: Siapkerja, clock: Clock
) -> None:
    account, _ = holder(svc)
    record = card_record(svc, account.id)
    assert record.status_index is not None
    assert 1 <= record.status_index < MIN_STATUS_LIST_SIZE
    code = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    claims = verify_access(svc.station_keyring(), code, EVENT, clock.now())
    assert claims.status_index == record.status_index
    assert len(code) <= 140


def test_bulk_issuance_allocates_unique_indexes_in_no_particular_order(svc: Siapkerja) -> None:
    holders = [holder(svc, n)[0] for n in range(1, 13)]
    indexes = [card_record(svc, a.id).status_index for a in holders]
    assert len(set(indexes)) == len(indexes)
    assert indexes != sorted(indexes)  # issue order says nothing (1 in 12! to fail by chance)
    with svc.storage.transaction() as tx:
        state = tx.status_list.state()
    assert state is not None
    assert state.allocated >= len(indexes)
    assert state.size == MIN_STATUS_LIST_SIZE


def test_revoke_suspend_resume_and_reissue_reach_the_published_list_at_once(
    svc: Siapkerja,
) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    index = card_record(svc, account.id).status_index
    untouched = card_record(svc, other.id).status_index
    assert entry(svc, index) == STATUS_VALID
    svc.suspend_card(account.id)
    assert entry(svc, index) == STATUS_SUSPENDED
    svc.resume_card(account.id)
    assert entry(svc, index) == STATUS_VALID
    svc.revoke_card(account.id)
    assert entry(svc, index) == STATUS_INVALID
    svc.issue_card(account.id)  # issued again: valid again, same index
    assert card_record(svc, account.id).status_index == index
    assert entry(svc, index) == STATUS_VALID
    assert entry(svc, untouched) == STATUS_VALID


def test_rotation_keeps_the_index(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    before = card_record(svc, account.id)
    after = svc.rotate_card(account.id)
    assert (after.version, after.status_index) == (before.version + 1, before.status_index)


def test_the_token_is_cached_until_a_change_or_half_its_ttl(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    first = svc.status_list()
    clock.advance(seconds=100)
    assert svc.status_list() is first  # nothing changed, young enough
    assert svc.status_lists.cache_seconds(first) == 450 - 100
    clock.advance(seconds=350)  # half of the default 900 s
    second = svc.status_list()
    assert second != first
    svc.suspend_card(account.id)
    third = svc.status_list()
    assert third != second
    assert verify_status_list(svc.station_keyring(), third, clock.now()).iat == clock.now()


def test_a_key_rotation_re_signs_the_list_with_the_new_key(svc: Siapkerja) -> None:
    holder(svc)
    before = svc.status_lists.current()
    ring = svc.rotate_keys()
    after = svc.status_lists.current()
    assert after.kid == ring.signing_access_key.kid != before.kid


def test_the_list_grows_in_powers_of_two_before_it_is_half_full(svc: Siapkerja) -> None:
    with svc.storage.transaction() as tx:
        assert reserve_status_indexes(tx, 65_536) == MIN_STATUS_LIST_SIZE
        assert reserve_status_indexes(tx, 1) == 2 * MIN_STATUS_LIST_SIZE
        assert tx.status_list.state() == StatusListState(2 * MIN_STATUS_LIST_SIZE, 65_537, 0)
    assert svc.status_lists.current().status_list.size == 2 * MIN_STATUS_LIST_SIZE


def test_a_taken_index_is_a_conflict(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    taken = card_record(svc, account.id)
    clash = attrs.evolve(taken, id="x", account_id="other", number="SK-X", card_ref=1)
    with pytest.raises(CardConflict), svc.storage.transaction() as tx:
        tx.cards.add(clash)


def test_a_suspended_card_is_refused_online_with_its_own_reason(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    code = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    link = svc.card_qr(account.id).token
    svc.suspend_card(account.id)
    for call in (
        lambda: svc.check_in(code, event_id=EVENT),
        lambda: svc.resolve(link),
        lambda: svc.verify_token(link),
    ):
        with pytest.raises(TokenError) as info:
            call()
        assert info.value.code == "suspended"
    with pytest.raises(CardError) as card_error:
        svc.card_qr(account.id, mode="access", purpose=EVENT)
    assert card_error.value.code == "suspended"
    assert svc.suspend_card(account.id).suspended_at is not None  # again: unchanged
    svc.resume_card(account.id)
    assert (
        svc.check_in(code, event_id=EVENT).check_in.card_ref
        == card_record(svc, account.id).card_ref
    )


def test_a_suspension_outlives_a_reissue(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    svc.suspend_card(account.id)
    svc.issue_card(account.id)
    assert card_record(svc, account.id).suspended_at is not None


def test_suspending_without_a_card(svc: Siapkerja) -> None:
    from test_cards_support import open_account

    account = open_account(svc, 5)
    with pytest.raises(CardError) as info:
        svc.suspend_card(account.id)
    assert info.value.code == "no_card"


def test_the_station_end_to_end_revoked_online_refused_offline(
    svc: Siapkerja, clock: Clock
) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    gate = OfflineStation(
        svc.station_keyring(), EVENT, "GATE-1", clock.now, status_list=svc.status_list()
    )
    # The holder's phone made a code before the revocation reached it (offline phone).
    revoked_code = _code_for(svc, account.id, clock)
    svc.revoke_card(account.id)
    clock.advance(seconds=20)  # the gate refreshes; the code is still current
    gate.update_status_list(svc.status_list())
    with pytest.raises(TokenError) as info:
        gate.scan(revoked_code)
    assert info.value.code == "revoked"
    code = svc.card_qr(other.id, mode="access", purpose=EVENT).token
    assert gate.scan(code).card_ref == card_record(svc, other.id).card_ref
    clock.advance(seconds=900)  # no refresh for longer than the max age
    later = svc.card_qr(other.id, mode="access", purpose=EVENT).token
    with pytest.raises(TokenError) as stale:
        gate.scan(later)
    assert stale.value.code == "status_stale"


def _code_for(svc: Siapkerja, account_id: str, clock: Clock) -> str:
    """The card's access code for :data:`EVENT` now, as the holder's app makes it."""
    from siapkerja_core.tokens import mint_access

    record = card_record(svc, account_id)
    return mint_access(
        svc.cards.keyring(), record.card_ref, EVENT, clock.now(), status_index=record.status_index
    )


def test_max_age_and_uri_are_settings(clock: Clock) -> None:
    svc = build(clock, status_list_max_age="120", status_list_uri="https://x.id/sl/cards")
    holder(svc)
    current = svc.status_lists.current()
    assert (current.ttl, current.sub) == (120, "https://x.id/sl/cards")
    assert current.exp - current.iat == timedelta(seconds=120)
    assert build(clock, card_base_url="https://x.id/siapkerja/v/").status_lists.uri == (
        "https://x.id/siapkerja/api/v1/status-lists/cards"
    )
    for bad in ("0", "59", "86401", "15m", "-5"):
        with pytest.raises(ConfigurationError):
            build(clock, status_list_max_age=bad).status_lists  # noqa: B018


def test_building_the_list_for_100k_cards(clock: Clock) -> None:
    """No timing assert (benchmarks do that): it must simply finish, and right.

    On SQLite, the storage deployments run (the memory adapter's checks of a
    100k-card transaction would make the set-up, not the list, the slow part).
    Measured on the development machine (2 vCPU): see docs/status-list.md.
    """
    svc = build(clock, storage="sql", database_url="sqlite://")
    now = clock.now()
    records = [
        CardRecord(
            id=f"c{n}",
            account_id=f"a{n}",
            number=f"SK-{n:011d}",
            card_ref=n + 1,
            version=1,
            issued_at=now,
            updated_at=now,
            revoked_at=now if n % 100 == 0 else None,
            status_index=(n * 7919) % (2 * MIN_STATUS_LIST_SIZE) + 1,
        )
        for n in range(100_000)
    ]
    with svc.storage.transaction() as tx:
        assert tx.cards.add_many(records) == []
        reserve_status_indexes(tx, len(records))
    started = time.perf_counter()
    token = svc.status_list()
    elapsed = time.perf_counter() - started
    read = verify_status_list(svc.station_keyring(), token, now)
    assert read.status_list.size == 2 * MIN_STATUS_LIST_SIZE
    assert read.status_list.count(STATUS_INVALID) == 1000
    assert read.status_list.status(1) == STATUS_INVALID  # card 0
    assert read.status_list.status(7919 + 1) == STATUS_VALID  # card 1
    print(f"status list of 100k cards built and signed in {elapsed * 1000:.0f} ms")
    svc.storage.dispose()  # type: ignore[attr-defined]
