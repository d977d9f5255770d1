"""Native integrations of the web binding with host frameworks (issue 17).

This package owns what a FastAPI, Django or Flask project uses to host the
pages and the JSON API *as its own*:

* :mod:`.fastapi` — :func:`~.fastapi.install` (the API's operations in the
  host's router and OpenAPI document, the pages mounted beside them) and the
  dependencies ``current_holder`` and ``require_scope("…")``;
* :mod:`.django` — an app for ``INSTALLED_APPS`` configured by
  ``settings.SIAPKERJA``, a ``urls.py`` to ``include()``, and
  ``manage.py siapkerja …``;
* :mod:`.flask` — the ``Siapkerja(app)`` / ``init_app(app)`` extension.

Each builds on :class:`Embedded`: the one ASGI application of the pages
(:func:`~siapkerja_adapters.web.create_app`), the session secret it signs
cookies with, and the checks the JSON API makes of a holder's session or an
institution's key — reused, not written again. The framework modules import
their framework when imported; this one imports none.
"""

from __future__ import annotations

from ._embedded import DEFAULT_PATH, Embedded, problem_parts

__all__ = ["DEFAULT_PATH", "Embedded", "problem_parts"]
