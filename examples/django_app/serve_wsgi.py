"""Serve the board with the standard library's WSGI server (no extra package).

``python serve_wsgi.py 8000`` (from examples/django_app). For production use
a WSGI server such as gunicorn: ``gunicorn bursa.wsgi:application``.
"""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, as a real WSGI server would serve them."""

    daemon_threads = True


def main() -> None:
    from bursa.wsgi import application

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    with make_server("127.0.0.1", port, application, server_class=ThreadingWSGIServer) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
