"""The longest text each profile field takes: the one source of these limits.

The profile's validators use them (``_text(MAX_LINE_LENGTH)``), and so do the
JSON API's models (``siapkerja_adapters.web.api``), so a schema's
``maxLength`` and the core's refusal can never drift apart. Lengths count
characters after the converters' clean-up (spaces stripped and collapsed).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_LINE_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_ORGANISATION_LENGTH",
    "MAX_SCORE_LENGTH",
    "MAX_STREET_LENGTH",
    "MAX_TERM_LENGTH",
    "MAX_TITLE_LENGTH",
    "POSTAL_CODE_DIGITS",
    "RT_RW_DIGITS",
    "VILLAGE_CODE_DIGITS",
]

MAX_NAME_LENGTH: Final = 100
"""A person's name: the profile's ``full_name``, and the names a registration takes."""
MAX_LINE_LENGTH: Final = 100
"""A one-line entry: place of birth, headline, job title, company, location, major."""
MAX_TERM_LENGTH: Final = 60
"""A skill's or a language's name."""
MAX_ORGANISATION_LENGTH: Final = 150
"""A school, a certificate's issuer, an achievement's organiser."""
MAX_TITLE_LENGTH: Final = 200
"""A certificate's name, an achievement's title."""
MAX_STREET_LENGTH: Final = 200
"""An address's street line."""
MAX_DESCRIPTION_LENGTH: Final = 2000
"""A free-text description (several lines) of a job or an achievement."""
MAX_SCORE_LENGTH: Final = 20
"""A certificate's score ("TOEFL 550", "A")."""
RT_RW_DIGITS: Final = 3
"""An RT or RW number: 1 to 3 digits, stored zero-padded to 3."""
POSTAL_CODE_DIGITS: Final = 5
"""An Indonesian postal code."""
VILLAGE_CODE_DIGITS: Final = 10
"""A Kemendagri village (desa/kelurahan) code, without its dots."""
