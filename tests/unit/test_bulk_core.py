"""Importing accounts from a trusted register and issuing cards in bulk, through the facade."""

from __future__ import annotations

import pytest
from test_cards_support import complete_profile  # type: ignore[import-not-found]

from siapkerja_adapters import connect
from siapkerja_core import compose_nik
from siapkerja_core.errors import AlreadyRegistered, LoginError
from siapkerja_core.passwords import PasswordHasher


@pytest.fixture
def svc():
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


def person(n: int) -> dict[str, str]:
    from datetime import date

    return {
        "nik": compose_nik("317307", date(1990, 1, 1 + n % 28), "L", n + 1),
        "full_name": f"Peserta {n}",
        "email": f"peserta{n}@example.com",
        "phone": f"0812{n:08d}",
    }


def test_import_is_idempotent_and_leaves_no_usable_password(svc) -> None:
    account, created = svc.import_account(**person(1))
    assert created
    again, created_again = svc.import_account(**person(1))
    assert (again.id, created_again) == (account.id, False)
    with pytest.raises(LoginError) as failed:
        svc.login(identifier=person(1)["nik"], password="anything at all")
    assert failed.value.code == "failed"
    other = dict(person(1), phone="081299990000")
    with pytest.raises(AlreadyRegistered):
        svc.import_account(**other)


def test_recovery_gives_an_imported_account_its_first_password(svc) -> None:
    svc.import_account(**person(2))
    request = svc.request_password_reset(person(2)["email"])
    text = svc.sms.last_to("+62812" + "00000002").text
    code = next(word for word in text.replace(",", " ").split() if word.isdigit())
    svc.reset_password(request.id, code, "teh manis hangat sekali")
    assert svc.login(identifier=person(2)["email"], password="teh manis hangat sekali")


def test_issue_cards_for_complete_profiles_only_once(svc) -> None:
    accounts = [svc.import_account(**person(n))[0] for n in range(10)]
    ids = [account.id for account in accounts]
    for account in accounts[:6]:
        complete_profile(svc, account)
    seen: list[int] = []
    report = svc.issue_cards(batch_size=4, progress=seen.append)
    assert (report.issued, report.incomplete, report.already_issued) == (6, 4, 0)
    assert sum(seen) == 10
    numbers = {svc.card(account_id).siapkerja_id for account_id in ids[:6]}
    assert len(numbers) == 6
    rerun = svc.issue_cards()
    assert (rerun.issued, rerun.already_issued) == (0, 6)
