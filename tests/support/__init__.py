"""The one copy of every helper the test suites share (no tests here).

* :mod:`support.people` — Galih and the other fictional residents of the
  bundled offline registry, and Galih's complete job-seeker profile;
* :mod:`support.clock` — a manual clock the service reads instead of the time;
* :mod:`support.recorders` — a plug-in that keeps the domain events it receives;
* :mod:`support.sms` — the one-time code in the last SMS the ``memory`` sender kept;
* :mod:`support.services` — PostgreSQL and Redis for the tests, and the one
  skip-or-fail rule when they are missing (``SIAPKERJA_REQUIRE_SERVICES=1``);
* :mod:`support.live_server` — uvicorn serving an application on 127.0.0.1;
* :mod:`support.fake_servers` — Dukcapil and an SMS gateway over real HTTP.

Importable as ``support``: ``tests/`` has no ``__init__.py``, so pytest's
default ``prepend`` import mode puts ``tests/`` on ``sys.path`` when it loads
``tests/conftest.py``, before any test module is collected.
"""
