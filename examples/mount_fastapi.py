"""The SIAPkerja-ID pages inside a FastAPI application, under ``/siapkerja``.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web]' fastapi
    uvicorn --factory mount_fastapi:make_app        # from this directory

The host keeps its own routes and OpenAPI document (``/docs``); the pages'
JSON API has its own at ``/siapkerja/api/v1/openapi.json``. The card's QR
codes open at ``PUBLIC_URL/siapkerja/v/...``: set ``PUBLIC_URL`` to the
address people reach this application at (default ``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from siapkerja_adapters.web.integrations import for_fastapi
from siapkerja_core.service import Siapkerja

PATH = "/siapkerja"
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")


def make_app(
    svc: Siapkerja | None = None, *, public_url: str = PUBLIC_URL, dev: bool = True
) -> FastAPI:
    """The host application with the pages mounted at ``/siapkerja``."""
    app = FastAPI(title="Bursa kerja daerah")

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": f"{PATH}/"}

    # Without svc, connect() with card_base_url = public_url + PATH + "/v/"; with one,
    # its card_base_url is checked against them (refused outside dev mode).
    for_fastapi(app, svc, path=PATH, public_url=public_url, dev=dev)
    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(make_app(), host="127.0.0.1", port=8000)
