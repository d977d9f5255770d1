"""The pages' router: a request finds its candidate routes by a dict lookup.

This module owns :class:`IndexedRouter`. Starlette's router asks each route
in turn whether it matches (a regular expression per route, ~40 page routes):
the later a page's route, the longer every request to it waits. Here the
routes a static path can reach are listed once, when the router is built, in
the router's own order, and a request whose path is one of them asks only
those. A path with parameters (``/profil/alamat/ktp``) asks only the routes
whose first segment is that path's (``profil``), with those whose first
segment is itself a parameter. The semantics are Starlette's: the first full
match wins; a path only partly matched (a method the route does not take: the
405), a trailing slash to redirect, anything no candidate fully matches goes
through Starlette's own linear matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

__all__ = ["IndexedRouter"]


def _route(route: BaseRoute) -> bool:
    """A :class:`Route` (a subclass too, such as the pages' ``PageRoute``) matching as
    Starlette's does: by its path's pattern and method."""
    return isinstance(route, Route) and type(route).matches is Route.matches


def _mount(route: BaseRoute) -> bool:
    return isinstance(route, Mount) and type(route).matches is Mount.matches


def _static_index(routes: Sequence[BaseRoute]) -> dict[str, tuple[BaseRoute, ...]]:
    """Every parameterless page path → the routes that may match it, in order.

    A route whose matching may depend on more than its path (neither a
    :class:`Route` nor a :class:`Mount`, or one overriding ``matches``) is a
    candidate for every path.
    """
    paths = [
        route.path
        for route in routes
        if _route(route)
        and isinstance(route, Route)
        and not route.param_convertors
        and route.path.startswith("/")
    ]
    index: dict[str, tuple[BaseRoute, ...]] = {}
    for path in dict.fromkeys(paths):
        index[path] = tuple(
            route
            for route in routes
            if not (_route(route) or _mount(route))
            or (isinstance(route, Route | Mount) and route.path_regex.match(path))
        )
    return index


def _first_segment(path: str) -> str | None:
    """A route's first path segment when it is fixed text (``None``: a parameter, or a
    route matching on more than its path — a candidate for every first segment)."""
    if not path.startswith("/"):
        return None
    first = path[1:].split("/", 1)[0]
    return None if "{" in first else first


def _segment_index(
    routes: Sequence[BaseRoute],
) -> tuple[dict[str, tuple[BaseRoute, ...]], tuple[BaseRoute, ...]]:
    """First segment → the routes a path starting with it may match, in order; and the
    routes any path may match (the candidates of a first segment no route names)."""

    def first(route: BaseRoute) -> str | None:
        if (_route(route) or _mount(route)) and isinstance(route, Route | Mount):
            return _first_segment(route.path)
        return None

    named = [first(route) for route in routes]
    anywhere = tuple(route for route, segment in zip(routes, named, strict=True) if segment is None)
    index = {
        segment: tuple(
            route for route, own in zip(routes, named, strict=True) if own in (None, segment)
        )
        for segment in dict.fromkeys(s for s in named if s is not None)
    }
    return index, anywhere


class IndexedRouter(Router):
    """A :class:`~starlette.routing.Router` that finds a request's candidate routes by a
    dict lookup (the static path, else its first segment) before falling back to
    Starlette's linear matching."""

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes=list(routes), **kwargs)
        self._index = _static_index(self.routes)
        self._by_segment, self._anywhere = _segment_index(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            candidates = self._index.get(path)
            if candidates is None and path.startswith("/"):
                first = path[1:].split("/", 1)[0]
                candidates = self._by_segment.get(first, self._anywhere)
            if candidates is not None:
                for route in candidates:
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        if "router" not in scope:
                            scope["router"] = self
                        scope["route"] = route
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
        await super().app(scope, receive, send)
