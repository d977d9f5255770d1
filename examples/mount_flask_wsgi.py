"""The SIAPkerja-ID pages beside a Flask application, under ``/siapkerja``, over WSGI.

The pages are an ASGI application; ``wsgi_app`` wraps it with ``a2wsgi``
and werkzeug's ``DispatcherMiddleware`` sends ``/siapkerja/...`` to it (with
``SCRIPT_NAME=/siapkerja``) and everything else to Flask. Run it with any
WSGI server (development mode: SMS codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web,wsgi]' flask
    flask --app mount_flask_wsgi:make_app run       # from this directory
    gunicorn 'mount_flask_wsgi:make_app()'
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from siapkerja_adapters import connect
from siapkerja_adapters.web.integrations import wsgi_app
from siapkerja_core.service import Siapkerja


def default_service() -> Siapkerja:
    """The embedded default; the card's QR links open under the mount point."""
    base = os.environ.get("SIAPKERJA_CARD_BASE_URL", "http://127.0.0.1:8000/siapkerja/v/")
    return connect(card_base_url=base)


def make_app(svc: Siapkerja | None = None, *, dev: bool = True) -> Flask:
    """The Flask application, with the pages dispatched at ``/siapkerja``."""
    app = Flask(__name__)

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "bursa kerja daerah", "siapkerja": "/siapkerja/"}

    pages = wsgi_app(svc if svc is not None else default_service(), dev=dev)
    # Flask stays the WSGI entry point (flask run, app.test_client() keep working).
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/siapkerja": pages}
    )
    return app


if __name__ == "__main__":
    make_app().run(host="127.0.0.1", port=8000)
