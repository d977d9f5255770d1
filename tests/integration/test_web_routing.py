"""The pages' indexed router answers every request exactly as Starlette's router.

:class:`~siapkerja_adapters.web.routing.IndexedRouter` finds a parameterless
path's routes by a dict lookup, and a parameterised path's by its first
segment. Each test sends the same requests to it and to Starlette's own
:class:`~starlette.routing.Router` over the same routes and compares status,
body and ``Location``: static paths, a GET and a POST of one
address side by side, a method neither takes (405), path parameters, a static
path shadowed by an earlier parameterised route or mount, trailing slashes
(redirects), unknown paths; then the application's own routes.
"""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.routing import IndexedRouter
from siapkerja_core.passwords import PasswordHasher


def _answer(label: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        params = ",".join(f"{k}={v}" for k, v in sorted(request.path_params.items()))
        route = request.scope["route"]
        return PlainTextResponse(f"{label} {request.method} {params} {type(route).__name__}")

    return endpoint


def _routes() -> list[BaseRoute]:
    inner = Router(routes=[Route("/", _answer("inner-root")), Route("/x", _answer("inner-x"))])
    return [
        Route("/", _answer("home-get"), methods=["GET"]),
        Route("/", _answer("home-post"), methods=["POST"]),
        Route("/daftar", _answer("daftar"), methods=["GET"]),
        Route("/item/{n:int}", _answer("item")),
        Route("/item/new", _answer("item-new")),  # shadowed by nothing: int does not match
        Route("/{name}/edit", _answer("edit")),
        Route("/profil/edit", _answer("profil-edit")),  # shadowed by /{name}/edit
        Mount("/api", app=inner),
        Route("/api/x", _answer("api-x-shadowed")),  # shadowed by the mount
        Route("/slash/", _answer("slash")),
        Route("/later", _answer("later-post"), methods=["POST"]),
        Route("/later", _answer("later-get"), methods=["GET"]),
    ]


REQUESTS = [
    (method, path)
    for path in (
        "/",
        "/daftar",
        "/daftar/",
        "/item/3",
        "/item/new",
        "/profil/edit",
        "/api/x",
        "/api/",
        "/api",
        "/slash",
        "/slash/",
        "/later",
        "/nowhere",
        "/nowhere/edit",  # no route names "nowhere": the parameterised first segment's
        "/item/x",
        "/item/3/",
        "/api/y",
        "/daftar%0A",
    )
    for method in ("GET", "POST", "PUT", "HEAD")
]


def _replies(client: TestClient) -> list[tuple[int, str, str | None]]:
    replies = []
    for method, path in REQUESTS:
        reply = client.request(method, path, follow_redirects=False)
        replies.append((reply.status_code, reply.text, reply.headers.get("location")))
    return replies


def test_the_indexed_router_answers_as_starlettes() -> None:
    expected = _replies(TestClient(Router(routes=_routes())))
    got = _replies(TestClient(IndexedRouter(_routes())))
    assert got == expected
    # The index was used and is what Starlette's order gives.
    router = IndexedRouter(_routes())
    assert [r.path for r in router._index["/profil/edit"]] == ["/{name}/edit", "/profil/edit"]
    assert [r.path for r in router._index["/later"]] == ["/later", "/later"]
    # A path with parameters: the routes of its first segment and the parameterised ones.
    assert [r.path for r in router._by_segment["item"]] == [
        "/item/{n:int}",
        "/item/new",
        "/{name}/edit",
    ]
    assert [r.path for r in router._anywhere] == ["/{name}/edit"]


@pytest.mark.parametrize("base_path", ["", "/siapkerja"])
def test_the_application_routes_as_before(base_path: str) -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    app = create_app(svc, secret_key="s" * 32, base_path=base_path)
    client = TestClient(app)
    for path, status in (
        ("/", 200),
        ("/daftar", 200),
        ("/daftar/", 307),
        ("/profil", 303),
        ("/masuk-tidak-ada", 404),
        ("/static/theme.css", 200),
    ):
        reply = client.get(base_path + path, follow_redirects=False)
        assert reply.status_code == status, path
        assert reply.headers["x-frame-options"] == "DENY", path
    assert client.put(base_path + "/daftar", follow_redirects=False).status_code == 405


def test_the_pages_routes_are_indexed() -> None:
    """The pages' GET and POST routes (``PageRoute``, ``FormRoute``: Route subclasses
    that match as Route does) are in the index, the sign-in page and the region search
    among them; a route class overriding ``matches`` stays a candidate everywhere."""
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    app = create_app(svc, secret_key="s" * 32)
    mount = app.router.routes[-1]
    router = mount.app
    while not isinstance(router, IndexedRouter):  # below the session's middlewares
        router = router.app
    for path in ("/", "/daftar", "/profil", "/kartu", "/wilayah/cari"):
        assert path in router._index, path
    # The address picker (``/profil/alamat/{kind}``) asks the profile's routes only.
    candidates = [getattr(r, "path", "") for r in router._by_segment["profil"]]
    assert "/profil/alamat/{kind}" in candidates
    assert all(path.startswith("/profil") for path in candidates), candidates
    assert [type(r).__name__ for r in router._index["/"]][:2] == ["PageRoute", "FormRoute"]

    class Picky(Route):
        def matches(self, scope):  # type: ignore[no-untyped-def]
            return super().matches(scope)

    picky = Picky("/{anything}", _answer("picky"))
    index = IndexedRouter([Route("/a", _answer("a")), picky])._index
    assert index == {"/a": (index["/a"][0], picky)}
