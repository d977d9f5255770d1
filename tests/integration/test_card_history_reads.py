"""The card and history pages' reads in one unit of work: the same answers as the calls they
replace, on the memory storage, SQLite and PostgreSQL.

``svc.card_overview`` is ``svc.card``, ``svc.card_qr``, ``svc.profile`` and
``svc.events.upcoming`` read together (the card page); ``svc.history_overview`` is
``svc.access_log_page``, ``svc.consents``, ``svc.sso.signed_in``, ``svc.prefill.pending``
and ``svc.profile`` with the names the history page shows. These tests hold each to the
separate calls' answers, the card's refusals (no card, suspended, revoked) to theirs, and
a rotated card to its new link at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_sql_storage import (  # type: ignore[import-not-found]
    close,
    complete_profile,
    connect_sql,
    register,
)

from siapkerja_adapters import connect
from siapkerja_core.errors import CardError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from support.gates import check_in, open_events

EVENT = "JOBFAIR-JKT-2026"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "memory":
        yield connect(
            "memory", environ={}, load_entrypoints=False, hasher=PasswordHasher.fast_for_tests()
        )
        return
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    service = connect_sql(url, schema)
    try:
        yield service
    finally:
        close(service)


def _holder_with_card(svc: Siapkerja) -> Any:
    account = register(svc)
    complete_profile(svc, account.id)
    svc.issue_card(account.id)
    return account


def test_the_card_overview_is_what_the_separate_calls_return(svc: Siapkerja) -> None:
    account = _holder_with_card(svc)
    assert svc.card_overview(account.id).upcoming == ()
    open_events(svc, EVENT, "BURSA-KERJA-BEKASI")
    overview = svc.card_overview(account.id)
    assert overview.upcoming == tuple(svc.events.upcoming(limit=50))
    assert {e.id for e in overview.upcoming} == {EVENT, "BURSA-KERJA-BEKASI"}
    assert overview.card == svc.card(account.id)
    link = svc.card_qr(account.id)
    assert overview.link == link  # mode, token, URL, version
    assert overview.link.svg() == link.svg()
    assert overview.card.qr_text == link.url
    assert overview.profile == svc.profile(account.id)
    assert svc.resolve(overview.link.token).siapkerja_id == overview.card.siapkerja_id


def test_a_rotated_card_reads_its_new_link_at_once(svc: Siapkerja) -> None:
    account = _holder_with_card(svc)
    before = svc.card_overview(account.id)
    svc.rotate_card(account.id)
    after = svc.card_overview(account.id)
    assert after.link.version == before.link.version + 1  # type: ignore[operator]
    assert after.link.token != before.link.token
    assert after.card.qr_text == after.link.url != before.card.qr_text
    assert after.link.svg() != before.link.svg()  # a new image, not the cached old one
    with pytest.raises(TokenError):
        svc.resolve(before.link.token)
    assert svc.resolve(after.link.token).siapkerja_id == after.card.siapkerja_id


def test_the_card_overview_refuses_as_the_card_does(svc: Siapkerja) -> None:
    account = register(svc)
    for call in (svc.card_overview, svc.card):
        with pytest.raises(CardError) as refused:
            call(account.id)
        assert refused.value.code == "no_card"
    complete_profile(svc, account.id)
    svc.issue_card(account.id)
    svc.suspend_card(account.id)
    for call in (svc.card_overview, svc.card):
        with pytest.raises(CardError) as refused:
            call(account.id)
        assert refused.value.code == "suspended"
    svc.resume_card(account.id)
    assert svc.card_overview(account.id).card == svc.card(account.id)
    svc.revoke_card(account.id)
    for call in (svc.card_overview, svc.card):
        with pytest.raises(CardError) as refused:
            call(account.id)
        assert refused.value.code == "revoked"
    with pytest.raises(CardError) as unknown:
        svc.card_overview("no-such-account")
    assert unknown.value.code == "no_account"


def test_the_history_overview_is_what_the_separate_calls_return(svc: Siapkerja) -> None:
    account = _holder_with_card(svc)
    token = svc.card_qr(account.id).token
    open_events(svc, EVENT)
    seen, _ = svc.register_verifier("Karirhub", ["karirhub"])
    silent, _ = svc.register_verifier("BLK Bekasi", ["skillhub"])
    asking, _ = svc.register_verifier("Skillhub", ["skillhub"])
    svc.grant_consent(account.id, seen.id, "lamaran kerja")
    svc.grant_consent(account.id, silent.id, "pelatihan")
    svc.resolve(token)  # an anonymous scan
    svc.resolve(token, viewer=seen, purpose="lamaran kerja")  # names its verifier
    check_in(svc, svc.card_qr(account.id, mode="access", purpose=EVENT).token, EVENT)
    svc.prefill.request(token, asking, "pendaftaran kelas")  # asks for its whole scope

    overview = svc.history_overview(account.id, limit=50)

    assert overview.page == svc.access_log_page(account.id, limit=50)
    assert len(overview.page.entries) >= 2
    assert overview.consents == tuple(svc.consents(account.id))
    assert overview.connected == tuple(svc.sso.signed_in(account.id))
    assert overview.requests == tuple(svc.prefill.pending(account.id))
    assert [r.verifier_id for r in overview.requests] == [asking.id]
    assert overview.profile == svc.profile(account.id)
    # The consent whose verifier no entry names, and the request naming no field.
    assert set(overview.verifiers) == {silent.id, asking.id}
    assert overview.verifiers[silent.id] == svc.verifiers.get(silent.id)
    # The check-in's entry names the event by its id; the others name no event.
    assert EVENT in {e.purpose for e in overview.page.entries}
    assert overview.events == {EVENT: svc.events.event(EVENT).name}


def test_the_history_overview_pages_as_the_ledger_does(svc: Siapkerja) -> None:
    account = _holder_with_card(svc)
    token = svc.card_qr(account.id).token
    for _ in range(5):
        svc.resolve(token)
    first = svc.history_overview(account.id, limit=2)
    assert first.page == svc.access_log_page(account.id, limit=2)
    assert first.page.next is not None
    second = svc.history_overview(account.id, limit=2, before=first.page.next)
    assert second.page == svc.access_log_page(account.id, limit=2, before=first.page.next)
    assert not {e.id for e in first.page.entries} & {e.id for e in second.page.entries}
    with pytest.raises(ValueError, match="limit"):
        svc.history_overview(account.id, limit=0)


def test_the_ledgers_decoded_fields_are_kept_bounded() -> None:
    """Each distinct fields document of the SQL ledger is decoded once, in a bounded cache."""
    from siapkerja_adapters.sql import ledger

    decode = ledger._fields_of
    first = decode('["headline", "skills"]')
    assert first == ("headline", "skills")
    assert decode('["headline", "skills"]') is first  # decoded once, shared (a tuple)
    maxsize = decode.cache_info().maxsize
    assert maxsize is not None
    for n in range(maxsize + 50):
        assert decode(f'["field-{n}"]') == (f"field-{n}",)
    assert decode.cache_info().currsize <= maxsize
