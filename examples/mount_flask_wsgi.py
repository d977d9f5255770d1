"""The SIAPkerja-ID pages beside a Flask application, under ``/siapkerja``, over WSGI.

The pages are an ASGI application; ``wsgi_app`` wraps it with ``a2wsgi``
and werkzeug's ``DispatcherMiddleware`` sends ``/siapkerja/...`` to it (with
``SCRIPT_NAME=/siapkerja``) and everything else to Flask. Run it with any
WSGI server (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web,wsgi]' flask
    flask --app mount_flask_wsgi:make_app run --port 8000   # from this directory
    gunicorn 'mount_flask_wsgi:make_app()'

The card's QR codes open at ``PUBLIC_URL/siapkerja/v/...``: set
``PUBLIC_URL`` to the address people reach this application at (default
``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from siapkerja_adapters.web.integrations import wsgi_app
from siapkerja_core.service import Siapkerja

PATH = "/siapkerja"
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")


def make_app(
    svc: Siapkerja | None = None, *, public_url: str = PUBLIC_URL, dev: bool = True
) -> Flask:
    """The Flask application, with the pages dispatched at ``/siapkerja``."""
    app = Flask(__name__)

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": f"{PATH}/"}

    # path and public_url: card_base_url set (or checked) so the QR opens under the mount.
    pages = wsgi_app(svc, path=PATH, public_url=public_url, dev=dev)
    # Flask stays the WSGI entry point (flask run, app.test_client() keep working).
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {PATH: pages}
    )
    return app


if __name__ == "__main__":
    make_app().run(host="127.0.0.1", port=8000)
