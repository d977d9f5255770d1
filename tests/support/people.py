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
from datetime import date
from typing import Any, Final

from PIL import Image

from siapkerja_adapters.dukcapil_offline import Resident
from siapkerja_core import compose_nik, regions

GALIH: Final = Resident(
    nik="3173071203940042",
    full_name="Galih Agan Pambayun",
    mother_name="Sri Wahyuni",
    birth_place="Jakarta",
    birth_date=date(1994, 3, 12),
    sex="L",
)
FAUZI: Final = Resident(
    nik="3273010411680317",
    full_name="H. Ahmad Fauzi",
    mother_name="Hj. Siti Maryam",
    birth_place="Bandung",
    birth_date=date(1968, 11, 4),
    sex="L",
)
RIZKI: Final = Resident(
    nik="3507010801992301",
    full_name="M. Rizki Ramadhan",
    mother_name="Siti Aminah",
    birth_place="Malang",
    birth_date=date(1999, 1, 8),
    sex="L",
)
SUTARMI: Final = Resident(  # bundled, but inactive
    nik="3310017112500006",
    full_name="Sutarmi",
    mother_name="Painem",
    birth_place="Klaten",
    birth_date=date(1950, 12, 31),
    sex="P",
    active=False,
)
# Yusnidar Roza Jambak: bundled, but inactive.
INACTIVE_NIK: Final = "1371036508603299"
INACTIVE_NAME: Final = "Yusnidar Roza Jambak"
INACTIVE_MOTHER: Final = "Hj. Nurhasanah Handayani Chaniago"

UNKNOWN_NIK: Final = "3173071203940043"  # valid, and held by no registry

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
