"""The people of the tests: fictional residents of the bundled offline registry.

They are rows of ``src/siapkerja_adapters/data/residents.csv`` (made by
``scripts/make_residents.py``, which keeps these fixed people), so a test may
rely on the bundled data or hand them to a registry of its own.

Galih Agan Pambayun is the brief's job seeker: his identity, his contacts, and
the ``update_profile`` arguments that complete his profile so that a card can
be issued to him.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime
from typing import Any, Final

from PIL import Image

from siapkerja_adapters import testing
from siapkerja_adapters.dukcapil_offline import Resident
from siapkerja_core import compose_nik, regions
from siapkerja_core.records import AccountRecord

# The contract's residents, one copy: the kit third-party plug-ins test with
# (siapkerja_adapters.testing) defines them.
GALIH: Final = testing.GALIH
FAUZI: Final = testing.FAUZI
RIZKI: Final = testing.RIZKI
SUTARMI: Final = testing.SUTARMI  # bundled, but inactive
# Yusnidar Roza Jambak: bundled, but inactive.
INACTIVE_NIK: Final = "1371036508603299"
INACTIVE_NAME: Final = "Yusnidar Roza Jambak"
INACTIVE_MOTHER: Final = "Hj. Nurhasanah Handayani Chaniago"

UNKNOWN_NIK: Final = testing.UNKNOWN_NIK  # valid, and held by no registry

# Galih, as the journey tests spell him.
NIK: Final = GALIH.nik
NAME: Final = GALIH.full_name
MOTHER: Final = GALIH.mother_name
EMAIL: Final = "galih.pambayun@example.com"
VILLAGE: Final = "3173071001"  # Kelurahan Palmerah, Jakarta Barat
HEADLINE: Final = "IT Professional"


def png(size: tuple[int, int] = (60, 80)) -> bytes:
    """A small portrait (a plain PNG) for the profile's photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 70, 140)).save(buffer, "PNG")
    return buffer.getvalue()


def complete_profile() -> dict[str, Any]:
    """The ``update_profile`` keyword arguments that complete Galih's job-seeker profile."""
    address = {"village_code": VILLAGE, "street": "Jl. Palmerah Barat"}
    return {
        "biodata": {
            "birth_place": GALIH.birth_place,
            "birth_date": GALIH.birth_date.isoformat(),
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": HEADLINE,
        },
        "ktp_address": address,
        "domicile_address": address,
        "skills": ["PHP"],
        "education": [{"institution": "BINUS University", "level": "S1", "start_year": 2012}],
        "photo": {"content": png()},
    }


def numbered_account(
    n: int,
    at: datetime,
    password_hash: str = "!no-password",  # noqa: S107 - no password
) -> AccountRecord:
    """Account record number ``n`` (a distinct NIK, e-mail and phone), made at ``at``:
    for storage tests that write accounts without the registration journey."""
    return AccountRecord(
        id=f"acct-{n}",
        nik=compose_nik("317307", date(1990, 1, 1), "L", n),
        full_name=f"Person {n}",
        email=f"person{n}@example.com",
        phone=f"+62812000{n:05d}",
        password_hash=password_hash,
        created_at=at,
        password_changed_at=at,
    )


def scanned_holder(svc: Any) -> tuple[str, str]:
    """Galih imported with a complete profile and an issued card: (account id, the path
    of the card's link, ``/v/<token>``), as the scan-page tests scan it."""
    account, _ = svc.import_account(nik=NIK, full_name=NAME, email=EMAIL, phone="081299999999")
    svc.update_profile(account.id, **complete_profile())
    svc.issue_card(account.id)
    return account.id, "/v/" + svc.card_qr(account.id).token


def synthetic(count: int, seed: int = 11) -> list[Resident]:
    """``count`` made-up residents with distinct valid NIKs (fixed by ``seed``).

    For load tests and benchmarks that need many people at once: NIKs over every
    current district, birth years 1960–2005, both sexes.
    """
    rng = random.Random(seed)
    districts = sorted(regions.district_codes(include_retired=False))
    found: list[Resident] = []
    seen: set[str] = set()
    while len(found) < count:
        nik = compose_nik(
            rng.choice(districts),
            date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            rng.choice("LP"),
            rng.randint(1, 9999),
        )
        if nik in seen:
            continue
        seen.add(nik)
        n = len(found)
        found.append(
            Resident(
                nik=nik,
                full_name=f"Peserta Uji {n:06d}",
                mother_name=f"Ibu Peserta {n:06d}",
                birth_place="Jakarta",
                birth_date=date(1990, 1, 1),
                sex="L",
            )
        )
    return found
