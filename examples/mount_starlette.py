"""The SIAPkerja-ID pages inside a Starlette application, under ``/siapkerja``.

Run it (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web]'
    uvicorn --factory mount_starlette:make_app      # from this directory

The card's QR codes open at ``PUBLIC_URL/siapkerja/v/...``: set
``PUBLIC_URL`` to the address people reach this application at (default
``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from siapkerja_adapters.web.integrations import asgi_app
from siapkerja_core.service import Siapkerja

PATH = "/siapkerja"
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")


async def home(request: Request) -> PlainTextResponse:
    pages = request.url_for("siapkerja", path="/")
    return PlainTextResponse(f"Bursa kerja daerah. SIAPkerja: {pages.path}")


def make_app(
    svc: Siapkerja | None = None, *, public_url: str = PUBLIC_URL, dev: bool = True
) -> Starlette:
    """The host application with the pages mounted at ``/siapkerja``."""
    # path and public_url: card_base_url set (or checked) so the QR opens under the mount.
    pages = asgi_app(svc, path=PATH, public_url=public_url, dev=dev)
    return Starlette(
        routes=[
            Route("/", home, name="home"),
            Mount(PATH, app=pages, name="siapkerja"),
        ]
    )


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(make_app(), host="127.0.0.1", port=8000)
