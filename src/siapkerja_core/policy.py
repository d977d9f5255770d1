"""The journey's limits under their documented path; they live in :mod:`siapkerja_core.limits`.

(Not the disclosure policy — that is :mod:`siapkerja_core.disclosure`.)
"""

from siapkerja_core.limits import JourneyPolicy

__all__ = ["JourneyPolicy"]
