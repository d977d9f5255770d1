"""A FastAPI job board hosting SIAPkerja-ID natively: its API in the board's OpenAPI document.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web]'
    uvicorn --factory app:make_app                  # from examples/fastapi_app

``install`` includes the JSON API's operations in this application's router
(``/openapi.json`` and ``/docs`` list ``/siapkerja/api/v1/...``) and mounts
the pages at ``/siapkerja``. The board's own routes use ``CurrentHolder`` (the
holder signed in through the API's bearer token, or the pages' cookie below
``/siapkerja``) and ``require_scope`` (an institution's ``X-Verifier-Key``).
The card's QR codes open at ``PUBLIC_URL/siapkerja/v/...``.
"""

from __future__ import annotations

import os

from fastapi import Depends, FastAPI

from siapkerja_adapters.integrations.fastapi import CurrentHolder, install, require_scope
from siapkerja_core.service import Siapkerja

PATH = "/siapkerja"
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")


def make_app(
    svc: Siapkerja | None = None, *, public_url: str = PUBLIC_URL, dev: bool = True
) -> FastAPI:
    """The board, with the pages and the API at ``/siapkerja``."""
    app = FastAPI(title="Bursa kerja daerah")

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": f"{PATH}/"}

    @app.get("/lamaran/saya")
    def my_applications(holder: CurrentHolder) -> dict[str, object]:
        # The signed-in holder, checked by the service as the JSON API checks it.
        return {"holder": holder.full_name, "lamaran": []}

    @app.get("/laporan/penempatan", dependencies=[Depends(require_scope("disnaker"))])
    def placements() -> dict[str, int]:
        # Only an institution whose key holds the "disnaker" scope gets here.
        return {"ditempatkan": 0}

    # Without svc: connect() with card_base_url = public_url + PATH + "/v/".
    install(app, svc, path=PATH, public_url=public_url, dev=dev)
    return app
