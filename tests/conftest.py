"""Test-wide settings.

Hypothesis' per-example deadline measures wall time, which on a loaded
two-core CI machine says more about the neighbours than about the code: the
deadline is off everywhere (performance lives in ``benchmarks/``), and
example counts stay as each test sets them.

The helpers every suite shares live in ``tests/support`` and are imported as
``support``: this directory has no ``__init__.py``, so pytest's default
``prepend`` import mode puts ``tests/`` on ``sys.path`` when it loads this
file, before any test module is collected.

Storage key files generated for the tests' SQLite files go under a temporary
``XDG_CONFIG_HOME`` (see below), not the user's configuration.

Every SQL storage of the suite refuses a second pooled connection in a
thread that holds one (``SqlStorage``'s connection guard: under load that
deadlocks): the variable is set here, before any storage is made, and the
servers the tests start in child processes inherit it.
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import settings

from siapkerja_adapters.sql.storage import CONNECTION_GUARD_ENV

# The per-user storage key files (``$XDG_CONFIG_HOME/siapkerja/keys``) of the SQLite
# databases the tests make go to a throw-away directory, never the user's own; set in
# the environment so the servers and commands the tests start as processes inherit it.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="siapkerja-test-config-")
os.environ[CONNECTION_GUARD_ENV] = "1"

settings.register_profile("siapkerja", deadline=None)
settings.load_profile("siapkerja")
