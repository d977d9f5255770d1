"""Test-wide settings.

Hypothesis' per-example deadline measures wall time, which on a loaded
two-core CI machine says more about the neighbours than about the code: the
deadline is off everywhere (performance lives in ``benchmarks/``), and
example counts stay as each test sets them.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("siapkerja", deadline=None)
settings.load_profile("siapkerja")
