"""Galih Agan Pambayun, the brief's job seeker, as the integration tests set him up.

A bundled fictional resident of the offline registry
(``src/siapkerja_adapters/data/residents.csv``): his identity, and the profile
changes that make his profile complete, so a test can issue him a card.
"""

from __future__ import annotations

import io
from typing import Any, Final

from PIL import Image

NIK: Final = "3173071203940042"
NAME: Final = "Galih Agan Pambayun"
MOTHER: Final = "Sri Wahyuni"
VILLAGE: Final = "3173071001"  # Kelurahan Palmerah, Jakarta Barat
HEADLINE: Final = "IT Professional"


def png(size: tuple[int, int] = (60, 80)) -> bytes:
    """A small portrait (a plain PNG) for the profile's photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 70, 140)).save(buffer, "PNG")
    return buffer.getvalue()


def complete_profile() -> dict[str, Any]:
    """The ``update_profile`` keyword arguments that complete his job-seeker profile."""
    address = {"village_code": VILLAGE, "street": "Jl. Palmerah Barat"}
    return {
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": "1994-03-12",
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
