"""A Flask job board hosting SIAPkerja-ID through the ``Siapkerja`` extension.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[flask]'
    flask --app app:make_app run --port 8000        # from examples/flask_app

The extension dispatches ``/siapkerja/...`` (the pages and the JSON API) in
front of Flask, so ``flask run``, any WSGI server and ``app.test_client()``
serve both. ``current_holder()`` is the holder signed in through the API's
bearer token (or the pages' cookie, below ``/siapkerja``). Configuration is
``app.config``: ``SIAPKERJA_PUBLIC_URL`` (the card's QR codes open at
``PUBLIC_URL/siapkerja/v/...``) and any ``SIAPKERJA_<SETTING>``.
"""

from __future__ import annotations

import os

from flask import Flask

from siapkerja_adapters.integrations.flask import Siapkerja, current_holder, require_scope
from siapkerja_core.service import Siapkerja as Service

PATH = "/siapkerja"
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")

siapkerja = Siapkerja()


def make_app(
    svc: Service | None = None, *, public_url: str = PUBLIC_URL, dev: bool = True
) -> Flask:
    """The board, with the pages and the API dispatched at ``/siapkerja``."""
    app = Flask(__name__)
    app.config.update(
        SIAPKERJA_PATH=PATH,
        SIAPKERJA_PUBLIC_URL=public_url,
        SIAPKERJA_DEV=dev,
        # Without a service of its own: everything in memory, for a try-out.
        SIAPKERJA_PROFILE=os.environ.get("SIAPKERJA_PROFILE", "memory"),
    )

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": f"{PATH}/"}

    @app.get("/lamaran/saya")
    def my_applications() -> dict[str, object]:
        # No session: a 401 problem document, rendered by the extension.
        return {"holder": current_holder().full_name, "lamaran": []}

    @app.get("/laporan/penempatan")
    def placements() -> dict[str, int]:
        require_scope("disnaker")
        return {"ditempatkan": 0}

    if svc is None:
        siapkerja.init_app(app)
    else:
        Siapkerja(app, svc)
    return app
