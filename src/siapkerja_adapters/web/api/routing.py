"""How the API's FastAPI routes read requests and answer failures, wherever they are mounted.

This module owns :class:`ProblemRoute`, the route class of every API
operation. Before FastAPI sees a body it is read here under the API's rules
(a JSON ``Content-Type``, at most :data:`~.bodies.MAX_BODY_BYTES` however it
is sent, UTF-8, strict JSON — no ``NaN`` —, no NUL or lone surrogate anywhere,
and within the limits of shape of :mod:`~.bodies`: nesting, items, lengths). Every
failure becomes an RFC 9457 problem document of
:mod:`~siapkerja_adapters.web.problems`: pydantic's validation errors become
ONE ``request.invalid_body`` (or ``request.invalid_parameter``) problem that
lists every invalid field in ``params.errors``, a
:class:`~siapkerja_core.errors.SiapkerjaError` its own problem, anything else
a logged 500 that shows nothing. The handling lives in the route, not in an
application's exception handlers, so the routes answer the same inside a
host's FastAPI application. It also owns the fallback that answers unknown
paths and methods with problems.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, ClassVar, Final, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Receive, Scope, Send

from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.service import Siapkerja

from ..problems import RequestError, internal_problem, negotiate_language, problem_response
from ..threads import WorkerThreads
from .bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_JSON_KEY, MAX_JSON_TEXT

__all__ = [
    "API_CONTEXT",
    "ProblemRoute",
    "any_character",
    "fallback_route",
    "is_json_media_type",
    "parse_json",
    "route_class",
]

logger = logging.getLogger("siapkerja.web.api")

API_CONTEXT: Final = "siapkerja.api"
"""The request scope's key for the (service, worker threads) an operation runs with."""

_MAX_SHOWN_FIELD: Final = 100  # an unknown member's name is echoed, but not a megabyte of it
_MAX_REFUSALS: Final = 50  # a problem lists every invalid field, up to this many

# Why a value is refused: a catalogue key (``api.reason.*``) and its params.
Reason = tuple[str, Mapping[str, object]]
_REQUIRED: Final[Reason] = ("api.reason.required", {})
_NOT_TEXT: Final[Reason] = ("api.reason.not_text", {})
_NOT_OBJECT: Final[Reason] = ("api.reason.not_object", {})
_NOT_LIST: Final[Reason] = ("api.reason.not_list", {})
_UNKNOWN: Final[Reason] = ("api.reason.unknown", {})
_NOT_JSON: Final[Reason] = ("api.reason.not_json", {})
_NOT_UTF8: Final[Reason] = ("api.reason.not_utf8", {})
_BAD_CHAR: Final[Reason] = ("api.reason.bad_char", {})


def _reason(error: Any) -> Reason:
    """A pydantic error's reason: its catalogue key and params."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or (kind == "string_type" and error.get("input") is None):
        return _REQUIRED  # null for a required member: as absent
    if kind == "string_type":
        return _NOT_TEXT
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _NOT_OBJECT
    if kind == "list_type":
        return _NOT_LIST
    if kind == "extra_forbidden":
        return _UNKNOWN
    if kind == "bad_char":
        return _BAD_CHAR
    if kind == "json_invalid":
        return _NOT_JSON
    if kind == "string_too_long" or (kind == "too_long" and isinstance(error.get("input"), str)):
        return ("api.reason.too_long_text", {"limit": ctx.get("max_length")})
    if kind == "too_long":
        return ("api.reason.too_long_items", {"limit": ctx.get("max_length")})
    if kind == "literal_error":
        return ("api.reason.one_of", {"allowed": str(ctx.get("expected", ""))})
    return ("api.reason.other", {"message": str(error.get("msg", kind))})


def _field(location: Sequence[Any]) -> tuple[str, str]:
    """(where, name) of a pydantic location: ``("body", "fields", 0)`` is body, ``fields[0]``."""
    where, *rest = location or ("body",)
    name = ""
    for part in rest:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += str(part) if not name else f".{part}"
    name = name or "$"
    if where == "body" and rest and isinstance(rest[0], int):
        name = "$"  # a JSON decoding position, not a member
    if len(name) > _MAX_SHOWN_FIELD:
        name = name[:_MAX_SHOWN_FIELD] + "…"
    return str(where), name


def _refusal(code: str, field: str, reason: Reason) -> RequestError:
    # The reason goes in both languages: the problem's params show both (a
    # deployer's language names either in its template).
    key, params = reason
    return RequestError(
        code,
        field=field,
        reason_id=translations.text(key, "id", **params),
        reason=translations.text(key, "en", **params),
    )


def invalid_request(refusals: Sequence[tuple[bool, str, Reason]]) -> RequestError:
    """ONE problem for every refusal (``in_body``, field, reason): the first names the code.

    ``params.field`` and the message name the first field; ``params.errors``
    lists every one as ``{code, field, message_id, message_en}``.
    """
    in_body = any(body for body, _, _ in refusals)
    code = "invalid_body" if in_body else "invalid_parameter"
    errors = tuple(
        _refusal("invalid_body" if body else "invalid_parameter", field, reason)
        for body, field, reason in refusals
    )
    first = next(error for error in errors if error.code == code)
    return RequestError(code, **first.params, errors=errors)


def _validation_problem(exc: RequestValidationError) -> RequestError:
    refusals = []
    for error in exc.errors():
        where, field = _field(error.get("loc", ()))
        refusals.append((where == "body", field, _reason(error)))
    return invalid_request(refusals)


# --------------------------------------------------------------------------
# Reading a body under the API's rules
# --------------------------------------------------------------------------


def _clean_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refusals_of(data: object) -> list[tuple[str, Reason]]:
    """Where a parsed body breaks the API's rules of shape, in document order: NUL or lone
    surrogates, nesting deeper than :data:`~.bodies.MAX_JSON_DEPTH`, more than
    :data:`~.bodies.MAX_JSON_ITEMS` members or items, a member name or string too long.

    Iterative, and nothing below a refused value is visited: however hostile the
    body, this stays within the limits it checks.
    """
    found: list[tuple[str, Reason]] = []
    stack: list[tuple[object, str, int]] = [(data, "$", 1)]
    while stack and len(found) < _MAX_REFUSALS:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_JSON_TEXT:
                found.append((path, ("api.reason.too_long_text", {"limit": MAX_JSON_TEXT})))
            elif not _clean_text(value):
                found.append((path, _BAD_CHAR))
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            found.append((path, ("api.reason.too_deep", {"limit": MAX_JSON_DEPTH})))
            continue
        if len(value) > MAX_JSON_ITEMS:
            found.append((path, ("api.reason.too_long_items", {"limit": MAX_JSON_ITEMS})))
            continue
        children: list[tuple[object, str, int]] = []
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_JSON_KEY:
                    found.append((path, ("api.reason.too_long_key", {"limit": MAX_JSON_KEY})))
                    continue
                if not _clean_text(key):
                    found.append((path, _BAD_CHAR))
                    continue
                children.append((item, key if path == "$" else f"{path}.{key}", depth + 1))
        else:
            children = [(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
        stack.extend(reversed(children))
    return found


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, whatever its parameters."""
    media_type = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _require_json(request: Request, raw: bytes | None) -> None:
    """A body must say it is JSON: a cross-site form or ``text/plain`` "simple" request
    (no CORS preflight) must not reach an operation. Checked before the body is read
    (``raw`` is ``None``) and after: an empty body with no type is let through, to be
    refused as missing."""
    content_type = request.headers.get("content-type")
    if content_type is None and not raw:
        return
    if content_type is None or not is_json_media_type(content_type):
        raise RequestError("unsupported_media_type", media_type=(content_type or "")[:100])


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestError("too_large", max_bytes=MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RequestError("too_large", max_bytes=MAX_BODY_BYTES)
            chunks.append(chunk)
    except HTTPException as exc:
        # The application's body limit (security.BodyLimitMiddleware) counts the
        # streamed bytes of a chunked body too, and refuses from inside the read.
        if exc.status_code == 413:
            raise RequestError("too_large", max_bytes=MAX_BODY_BYTES) from None
        raise
    return b"".join(chunks)


def parse_json(raw: bytes) -> object | None:
    """The parsed body, ``None`` when it is empty. :raises RequestError: ``invalid_body``."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refusal("invalid_body", "$", _NOT_UTF8) from None
    try:
        data: object = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise _refusal("invalid_body", "$", _NOT_JSON) from None
    refusals = _refusals_of(data)
    if refusals:
        raise invalid_request([(True, path, reason) for path, reason in refusals])
    return data


class _ReadRequest(Request):
    """A request whose body was already read and parsed under the API's rules."""

    def __init__(self, request: Request, raw: bytes, data: object | None) -> None:
        # FastAPI parses only what says it is JSON: say so, the body is checked already.
        headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
        headers.append((b"content-type", b"application/json"))
        super().__init__({**request.scope, "headers": headers}, request.receive)
        self._raw = b"" if data is None else raw
        self._data = data

    async def body(self) -> bytes:
        return self._raw

    async def json(self) -> Any:
        return self._data


class ProblemRoute(APIRoute):
    """An API operation: the body read under the API's rules, every failure a problem document."""

    service: ClassVar[Siapkerja | None] = None
    """The facade the operations call (set by :func:`route_class`); its clock
    tells ``Retry-After``."""
    threads: ClassVar[WorkerThreads | None] = None
    """Where the operations' facade calls run (set by :func:`route_class`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # "/v1/me" is not "/v1/me\n": Starlette's "$" matches before a final newline.
        self.path_regex = _whole_path(self.path_regex)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # HEAD is a GET without its body, as Starlette's own routes answer it (FastAPI's
        # do not); not a method of its own in the document.
        if scope["type"] == "http" and scope["method"] == "HEAD" and "GET" in (self.methods or ()):
            return super().matches({**scope, "method": "GET"})
        return super().matches(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD" and "GET" in (self.methods or ()):
            await self.app(scope, receive, send)  # the server sends no body for a HEAD
            return
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        reads_body = self.body_field is not None
        service, threads = type(self).service, type(self).threads
        now = None if service is None else service.now

        async def answer(request: Request) -> Response:
            lang = negotiate_language(request.headers.get("accept-language"))
            request.scope[API_CONTEXT] = (service, threads)
            try:
                if reads_body:
                    _require_json(request, None)
                    raw = await _read_body(request)
                    _require_json(request, raw)
                    request = _ReadRequest(request, raw, parse_json(raw))
                return await handler(request)
            except RequestValidationError as exc:
                return problem_response(_validation_problem(exc), lang, now=now)
            except SiapkerjaError as error:
                return problem_response(error, lang, now=now)
            except Exception:  # the unexpected: logged in full, answered without detail
                logger.exception(
                    "unexpected error answering %s %s", request.method, request.url.path
                )
                return internal_problem(lang)

        return answer


def route_class(svc: Siapkerja, threads: WorkerThreads) -> type[ProblemRoute]:
    """:class:`ProblemRoute` for operations over ``svc``, run in ``threads``."""
    return type("SiapkerjaRoute", (ProblemRoute,), {"service": svc, "threads": threads})


def fallback_route(routes: Sequence[BaseRoute]) -> Route:
    """A route answering every other path with a ``request.not_found`` problem, or a
    ``request.method_not_allowed`` one (with ``Allow``) for a known path."""

    async def endpoint(request: Request) -> Response:
        lang = negotiate_language(request.headers.get("accept-language"))
        allowed: set[str] = set()
        for route in routes:
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL and isinstance(route, Route) and route.methods:
                allowed |= route.methods
        if "GET" in allowed:
            allowed.add("HEAD")
        if allowed:
            error = RequestError("method_not_allowed", method=request.method)
            return problem_response(error, lang, headers={"Allow": ", ".join(sorted(allowed))})
        return problem_response(RequestError("not_found"), lang)

    return any_character(
        Route(
            "/{path:path}",
            endpoint,
            methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            name="api_fallback",
            include_in_schema=False,
        )
    )


RouteT = TypeVar("RouteT", Route, Mount)


def any_character(route: RouteT) -> RouteT:
    """``route`` matching paths with any character in its ``{path:path}`` part.

    Starlette's path patterns stop at a newline (``.`` without ``DOTALL``), so
    ``/api/v1/%0A/x`` fell out of the API's mount into the pages' HTML 404: the
    mount and the fallback take every path below them. Their end is the path's
    end (``\\Z``), not ``$``, which also matches before a final newline.
    """
    route.path_regex = _whole_path(route.path_regex, re.DOTALL)
    return route


def _whole_path(regex: re.Pattern[str], flags: int = 0) -> re.Pattern[str]:
    pattern = regex.pattern
    if pattern.endswith("$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern, regex.flags | flags)
