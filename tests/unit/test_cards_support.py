"""Shared helpers of the ``test_cards_*`` tests (no tests here): accounts, profiles, cards.

A card holder is driven through the real journey (register, contacts, the SMS
code) on the ``memory`` profile with ``PasswordHasher.fast_for_tests()`` and
the manual clock of ``conftest``; :func:`complete_profile` fills in every
section a job seeker needs, with a small real PNG photo drawn by Pillow.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from typing import Any

from journey_support import Clock, Recorder, phone_number, residents, start_pending
from PIL import Image

from siapkerja_adapters.connect import connect
from siapkerja_core import regions
from siapkerja_core.nik import parse_nik
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.records import CardRecord
from siapkerja_core.render.card import Card
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

BASE_URL = "https://skid.kemnaker.go.id/v/"  # 30 characters
assert len(BASE_URL) == 30
EVENT = "jobfair-2026"
STREET = "Jl. Palmerah Barat No. 17"
DOMICILE_STREET = "Jl. Kebon Jeruk Raya 42"


def build(clock: Clock, recorder: Recorder | None = None, **settings: object) -> Siapkerja:
    """A memory service on ``clock`` whose link QR codes live under :data:`BASE_URL`."""
    settings.setdefault("card_base_url", BASE_URL)
    return connect(
        "memory",
        environ={},
        plugins=[recorder] if recorder is not None else [],
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        **settings,
    )


@cache
def photo_png() -> bytes:
    """A small real PNG (a gradient, so it is not a trivially tiny file)."""
    image = Image.new("RGB", (48, 48))
    image.putdata([(x * 5, y * 5, (x + y) * 2) for y in range(48) for x in range(48)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@cache
def village() -> str:
    return regions.children("317307")[0].code


def email_of(n: int) -> str:
    return f"pemegang{n}@example.com"


def open_account(svc: Siapkerja, n: int = 0) -> Account:
    """The ``n``-th active bundled resident, registered and confirmed (distinct contacts)."""
    nik, name, mother = residents(svc, n + 1)[n]
    registration, code = start_pending(
        svc, nik=nik, name=name, mother=mother, email=email_of(n), phone=phone_number(n)
    )
    return svc.confirm_otp(registration.id, code)


def nik_birth_date(nik: str) -> date:
    return parse_nik(nik, strict=False).birth_date


def address(street: str = STREET) -> dict[str, Any]:
    return {
        "village_code": village(),
        "street": street,
        "rt": "3",
        "rw": "7",
        "postal_code": "11480",
    }


def full_sections(account: Account) -> dict[str, Any]:
    """Every section a job seeker's profile needs, as the facade takes them."""
    return {
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": nik_birth_date(account.nik).isoformat(),
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        "ktp_address": address(STREET),
        "domicile_address": address(DOMICILE_STREET),
        "skills": [{"name": "PHP"}, {"name": "Laravel"}],
        "education": [
            {
                "institution": "BINUS University",
                "level": "S1",
                "major": "Teknik Informatika",
                "gpa": 3.4,
                "start_year": 2012,
                "end_year": 2016,
            }
        ],
        "photo": {"content": photo_png(), "media_type": "image/png"},
    }


def complete_profile(svc: Siapkerja, account: Account) -> None:
    svc.update_profile(account.id, **full_sections(account))


def holder(svc: Siapkerja, n: int = 0) -> tuple[Account, Card]:
    """An account with a complete profile and an issued card."""
    account = open_account(svc, n)
    complete_profile(svc, account)
    return account, svc.issue_card(account.id)


def card_record(svc: Siapkerja, account_id: str) -> CardRecord:
    with svc.storage.transaction() as tx:
        record = tx.cards.get(account_id)
    assert record is not None
    return record


def personal_strings(account: Account) -> list[str]:
    """What must never appear in a token, an event or a public view of ``account``."""
    national = "0" + account.phone.removeprefix("+62")
    return [
        account.nik,
        account.email,
        account.phone,
        national,
        account.phone.removeprefix("+62"),
        STREET,
        DOMICILE_STREET,
    ]
