"""The JSON API inside a FastAPI host: the host's own OpenAPI document lists its operations.

``include_api(app, svc)`` (or ``app.include_router(api_router(svc))``) makes
the API's operations the host's: they appear in ``app.openapi()["paths"]``
with their models, real requests work under the host's prefix, and failures
stay the API's problem documents whatever the host's exception handlers say.
"""

from __future__ import annotations

from typing import Any

import pytest

fastapi = pytest.importorskip("fastapi")

from fastapi import FastAPI  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import PlainTextResponse  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from test_web_api import build, is_problem, remembering, residents, secret_of  # noqa: E402

from siapkerja_adapters.web import api_router  # noqa: E402
from siapkerja_adapters.web.api import openapi_document  # noqa: E402
from siapkerja_adapters.web.integrations import include_api  # noqa: E402


def host_app() -> tuple[FastAPI, Any]:
    svc = build()
    app = FastAPI(title="Bursa kerja daerah")

    @app.get("/lowongan")
    def vacancies() -> list[str]:
        return ["Programmer PHP"]

    async def teapot(_request: Request, _exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("the host's handler", status_code=418)

    # A host's own handler for validation errors must not reach the API's operations.
    app.add_exception_handler(RequestValidationError, teapot)
    include_api(app, svc, prefix="/api")
    return app, svc


def test_the_host_document_lists_the_api_operations() -> None:
    app, _svc = host_app()
    document = app.openapi()
    paths = document["paths"]
    assert "/lowongan" in paths
    ours = {
        f"/api{path}": sorted(item)
        for path, item in openapi_document(None)["paths"].items()
        if path != "/v1/openapi.json"  # the host serves its own document
    }
    for path, methods in ours.items():
        assert path in paths, path
        assert sorted(paths[path]) == methods, path
    schemas = document["components"]["schemas"]
    assert {"Register", "Registration", "SignedIn", "Problem", "Profile"} <= set(schemas)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_a_real_journey_through_the_host() -> None:
    app, svc = host_app()
    client = remembering(TestClient(app))
    assert client.get("/lowongan").json() == ["Programmer PHP"]
    nik, name, mother = residents(svc)[0]
    response = client.post(
        "/api/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"].startswith("/api/v1/registrations/")
    assert response.headers["cache-control"] == "no-store"
    again = client.get(response.headers["location"])
    assert again.status_code == 200
    assert again.json()["id"] == response.json()["id"]
    # Refusals are the API's problems, not the host's handler nor FastAPI's {"detail": …}.
    body = is_problem(
        client.post("/api/v1/registrations", json={"nik": 1}), 422, "request.invalid_body"
    )
    assert [e["field"] for e in body["params"]["errors"]] == ["nik", "full_name", "mother_name"]
    is_problem(client.get("/api/v1/me"), 401, "request.authentication_required")


def test_api_router_alone() -> None:
    svc = build()
    app = FastAPI()
    app.include_router(api_router(svc), prefix="/siapkerja")
    assert "/siapkerja/v1/me/card/qr" in app.openapi()["paths"]
    client = TestClient(app)
    is_problem(
        client.get("/siapkerja/v1/registrations/nope", headers=secret_of(svc, "nope")),
        404,
        "registration.not_found",
    )
