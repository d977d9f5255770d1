"""The SIAPkerja-ID pages inside a Starlette application, under ``/siapkerja``.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web]'
    uvicorn --factory mount_starlette:make_app      # from this directory
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from siapkerja_adapters import connect
from siapkerja_adapters.web.integrations import asgi_app
from siapkerja_core.service import Siapkerja


def default_service() -> Siapkerja:
    """The embedded default; the card's QR links open under the mount point."""
    base = os.environ.get("SIAPKERJA_CARD_BASE_URL", "http://127.0.0.1:8000/siapkerja/v/")
    return connect(card_base_url=base)


async def home(request: Request) -> PlainTextResponse:
    pages = request.url_for("siapkerja", path="/")
    return PlainTextResponse(f"Bursa kerja daerah. SIAPkerja: {pages.path}")


def make_app(svc: Siapkerja | None = None, *, dev: bool = True) -> Starlette:
    """The host application with the pages mounted at ``/siapkerja``."""
    pages = asgi_app(svc if svc is not None else default_service(), dev=dev)
    return Starlette(
        routes=[
            Route("/", home, name="home"),
            Mount("/siapkerja", app=pages, name="siapkerja"),
        ]
    )


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(make_app(), host="127.0.0.1", port=8000)
