"""The SIAPkerja-ID pages inside a FastAPI application, under ``/siapkerja``.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web]' fastapi
    uvicorn --factory mount_fastapi:make_app        # from this directory

The host keeps its own routes and OpenAPI document (``/docs``); the pages'
JSON API has its own at ``/siapkerja/api/v1/openapi.json``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from siapkerja_adapters import connect
from siapkerja_adapters.web.integrations import for_fastapi
from siapkerja_core.service import Siapkerja


def default_service() -> Siapkerja:
    """The embedded default; the card's QR links open under the mount point."""
    base = os.environ.get("SIAPKERJA_CARD_BASE_URL", "http://127.0.0.1:8000/siapkerja/v/")
    return connect(card_base_url=base)


def make_app(svc: Siapkerja | None = None, *, dev: bool = True) -> FastAPI:
    """The host application with the pages mounted at ``/siapkerja``."""
    app = FastAPI(title="Bursa kerja daerah")

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": "/siapkerja/"}

    # Same as app.mount("/siapkerja", create_app(svc, dev=dev), name="siapkerja").
    for_fastapi(app, svc if svc is not None else default_service(), path="/siapkerja", dev=dev)
    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(make_app(), host="127.0.0.1", port=8000)
