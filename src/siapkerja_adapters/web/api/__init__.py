"""The JSON API: every operation of the facade over HTTP, under ``/v1``.

The operations are a FastAPI router (:func:`api_router`, in
:mod:`~siapkerja_adapters.web.api.routes`) over the wire shapes of
:mod:`~siapkerja_adapters.web.api.models`, declared once as pydantic models:
FastAPI validates requests against them, the responses are serialised from
them and the OpenAPI document (:func:`openapi_document`, served at
``/v1/openapi.json``) is derived from them. Errors are the problem documents
of :mod:`~siapkerja_adapters.web.problems`.

This package owns the stand-alone application (:func:`create_api_app`, what
``create_app()`` mounts at ``/api``), the routes for a Starlette host
(:func:`api_routes`) and the served document.

    >>> from siapkerja_adapters import connect
    >>> from siapkerja_adapters.web.api import create_api_app
    >>> app = create_api_app(connect("memory", environ={}))
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount

from siapkerja_core.service import Siapkerja

from ..problems import PROBLEM_MEDIA_TYPE, internal_problem, negotiate_language
from ..threads import WorkerThreads
from .common import JSON_HEADERS, PUBLIC_HEADERS, TAGS
from .routes import api_router
from .routing import ProblemRoute, any_character, fallback_route

__all__ = [
    "CLEAN_TEXT_PATTERN",
    "JSON_HEADERS",
    "api_router",
    "api_routes",
    "create_api_app",
    "openapi_document",
]

_INFO: Final[dict[str, Any]] = {
    "title": "SIAPkerja-ID API",
    "version": "1",
    "summary": "SIAPkerja-ID: the journey, the profile, the card and the nine uses run on it.",
    "description": (
        "The SIAPkerja-ID card of Kemnaker as JSON, for holders, institutions and gates."
        "\n\n* **Journey**: registration checked with Dukcapil (NIK, name, mother's name),"
        " the SMS code (OTP), sign-in and password reset."
        "\n* **Holder** (`Authorization: Bearer`): the labour profile, the card and its QR"
        " (a link, or a 30-second access code), the access log, consents, and the answers to"
        " institutions' consent requests."
        "\n* **Scans**: a link QR shows each viewer only what it may see; a registered"
        " institution sees its scope's fields when the holder consented to the purpose."
        "\n* **The nine uses**: AK/I (kartu kuning) at the Disnaker, training, work abroad,"
        " certification, Bizhub, job seeking (consent requests and the prefill document),"
        " event entry, class attendance and programme requirements (JKP, BSU, Prakerja)."
        "\n* **Institutions** (`X-Verifier-Key`): Disnaker, BLK, LSP, P3MI, hubs and"
        " organisers; an administrator (the `admin` scope) registers, suspends, re-keys and"
        " retires them and the hubs' single sign-on clients, and every action is audited."
        "\n* **Gates** (`X-Station-Key` or an Ed25519 signature): admit access codes at"
        " events, class sessions and programme intakes, online or synced later."
        "\n* **Status list**: the signed list of revoked and suspended cards, for offline"
        " stations."
        "\n\nErrors are `application/problem+json` (RFC 9457) with the library's stable error"
        " codes. Messages are in Indonesian by default; send `Accept-Language: en` for English."
        " A request that fails validation gets ONE problem that lists every invalid field in"
        " `params.errors`."
    ),
    "license_info": {"name": "MIT", "identifier": "MIT"},
}


def create_api_app(
    svc: Siapkerja,
    threads: WorkerThreads | None = None,
    scan_threads: WorkerThreads | None = None,
) -> FastAPI:
    """A FastAPI application serving only the API (at ``/v1/...``) and its document.

    Unknown paths and methods get ``request.not_found`` and
    ``request.method_not_allowed`` problems. Facade calls run in ``threads``
    (a pool of its own if ``None``), scans in ``scan_threads`` (default: ``threads``).
    """

    async def server_error(request: Request, _exc: Exception) -> Response:
        return internal_problem(negotiate_language(request.headers.get("accept-language")))

    app = FastAPI(
        openapi_url=None,  # served below: at /v1/, with the servers of the mount point
        docs_url=None,
        redoc_url=None,
        separate_input_output_schemas=False,
        exception_handlers={500: server_error},
    )
    # The operations themselves, not an included router: the fallback below
    # and api_routes' callers see every route (FastAPI's include_router
    # keeps them behind one lazily resolved entry).
    app.router.routes.extend(api_router(svc, threads, scan_threads).routes)
    app.router.route_class = ProblemRoute  # the document's route: problems, HEAD
    documents: dict[str, dict[str, Any]] = {}

    @app.get(
        "/v1/openapi.json",
        operation_id="openapi",
        tags=["meta"],
        summary="This document",
        response_description="The OpenAPI 3.1 document.",
    )
    async def openapi(request: Request) -> Response:
        server = str(request.scope.get("root_path", "")).rstrip("/")
        document = documents.get(server)
        if document is None:
            document = documents[server] = openapi_document(svc, server_url=server or None)
        return JSONResponse(document, headers=dict(PUBLIC_HEADERS))

    app.router.routes.append(fallback_route(list(app.router.routes)))
    return app


def api_routes(svc: Siapkerja, threads: WorkerThreads | None = None) -> list[BaseRoute]:
    """The API as routes to mount under a prefix: ``Mount("/api", routes=api_routes(svc))``.

    One route: the application of :func:`create_api_app` (so the API's own
    404 and 405 problems answer every path below the prefix).
    """
    return [any_character(Mount("", app=create_api_app(svc, threads), name="api"))]


@cache
def _document(server_url: str | None) -> dict[str, Any]:
    # The document depends on the declarations only, not on a service's state.
    app = create_api_app(None)  # type: ignore[arg-type]  # routes are only inspected
    document = get_openapi(
        **_INFO,
        routes=app.routes,
        tags=list(TAGS),
        servers=None if server_url is None else [{"url": server_url}],
        separate_input_output_schemas=False,
    )
    _send_problems_as_problem_json(document)
    _bodies_may_be_refused_for_their_type(document)
    _strings_are_clean_text(document)
    return document


def openapi_document(svc: Siapkerja | None = None, server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, derived from its routes and models.

    :param svc: unused (the document depends on the declarations only); kept
        for the callers of 0.1.
    :param server_url: the mount point (``"/api"``), listed as the server.
    :return: a fresh copy, the caller's to change.
    """
    return copy.deepcopy(_document(server_url))


def _send_problems_as_problem_json(document: dict[str, Any]) -> None:
    """Error responses say the media type they are sent with, ``application/problem+json``."""
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if status[0] in "45" and content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _bodies_may_be_refused_for_their_type(document: dict[str, Any]) -> None:
    """An operation reading a body answers 415 to one not sent as JSON."""
    for item in document["paths"].values():
        for operation in item.values():
            responses = operation.get("responses", {})
            if "requestBody" in operation and "415" not in responses:
                responses["415"] = copy.deepcopy(responses["413"])
                responses["415"]["description"] = (
                    "The body is not sent as JSON (`Content-Type: application/json`)."
                )
                operation["responses"] = dict(sorted(responses.items()))


CLEAN_TEXT_PATTERN: Final = r"^[^\u0000]*$"
"""No NUL: what the API refuses in any string it reads (with lone surrogates, which
no regex of JSON Schema can name: they are not Unicode text, RFC 8259 §8.2)."""


def _strings_are_clean_text(document: dict[str, Any]) -> None:
    """Every string the document describes says it holds no NUL.

    The API refuses them anywhere (``api.reason.bad_char``), before any model;
    saying so in each string's ``pattern`` keeps generated clients, and the
    schema-based fuzzing in the tests, from calling valid what is refused.
    A string with a format, a pattern or fixed values of its own is left as is.
    """
    stack: list[Any] = [document["components"]["schemas"]]
    for item in document["paths"].values():
        for operation in item.values():
            stack.extend(operation.get("parameters", ()))
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "string" and not node.keys() & {
                "pattern",
                "format",
                "enum",
                "const",
            }:
                node["pattern"] = CLEAN_TEXT_PATTERN
            stack.extend(value for key, value in node.items() if key not in ("examples", "example"))
