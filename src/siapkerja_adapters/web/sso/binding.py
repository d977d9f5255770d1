"""A small Starlette binding for Authlib's OAuth 2.0 authorization server.

Authlib ships Flask and Django bindings only. This module owns the
Starlette one, framework glue and nothing of SIAPkerja:

* :class:`ReadRequest` — an HTTP request as Authlib needs it, read on the
  event loop **before** any Authlib code runs: method, URL, headers, query
  and (URL-encoded) form parameters, with their repetitions (RFC 6749 §3.1
  refuses a repeated parameter). :func:`read_request` makes one from a
  Starlette request, with limits on the body and on parameter counts and
  lengths, so hostile input becomes an OAuth ``invalid_request`` instead of
  a 500.
* :class:`StarletteOAuth2Request` / :class:`StarletteJsonRequest` — Authlib's
  request types over a :class:`ReadRequest`;
* :class:`StarletteAuthorizationServer` — Authlib's
  :class:`~authlib.oauth2.rfc6749.AuthorizationServer` with the four
  framework methods (``create_oauth2_request``, ``create_json_request``,
  ``handle_response``, ``send_signal``). Authlib is synchronous, and so is
  the service behind it: the server's methods run whole in the
  application's worker threads (:mod:`siapkerja_adapters.web.threads`),
  never on the event loop;
* :class:`OAuthResponse` — what ``handle_response`` returns (status, body,
  headers, and a ``location`` Authlib's extensions may rewrite), turned
  into a Starlette response by :func:`to_starlette`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "MAX_OAUTH_BODY",
    "MAX_PARAMETERS",
    "MAX_PARAMETER_LENGTH",
    "OAuthResponse",
    "ReadRequest",
    "StarletteAuthorizationServer",
    "StarletteJsonRequest",
    "StarletteOAuth2Request",
    "read_request",
    "to_starlette",
]

MAX_OAUTH_BODY: Final = 64 * 1024
"""The largest body an OAuth endpoint reads (a client assertion and a PAR request fit)."""
MAX_PARAMETERS: Final = 60
"""Parameters (query and form together) an OAuth request may carry."""
MAX_PARAMETER_LENGTH: Final = 8192
"""The longest parameter value (a ``client_assertion`` or an ``id_token_hint`` fit)."""
_FORM: Final = "application/x-www-form-urlencoded"


class ReadRequest:
    """An HTTP request already read: what Authlib's request types are built from.

    ``query`` and ``form`` are (name, value) pairs in order, repetitions kept.
    """

    __slots__ = ("form", "headers", "method", "query", "uri")

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: Iterable[tuple[str, str]] = (),
        form: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.method = method
        self.uri = uri
        self.headers = (
            Headers(headers=dict(headers)) if not isinstance(headers, Headers) else headers
        )
        self.query = tuple(query)
        self.form = tuple(form)

    def replaced(self, parameters: Mapping[str, str]) -> ReadRequest:
        """The same request carrying ``parameters`` instead (a pushed request's, a kept one's)."""
        return ReadRequest(self.method, self.uri, self.headers, (), tuple(parameters.items()))


def _check(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(pairs) > MAX_PARAMETERS:
        raise InvalidRequestError("Too many parameters.")
    for name, value in pairs:
        if len(name) > 100 or len(value) > MAX_PARAMETER_LENGTH:
            raise InvalidRequestError("A parameter is too long.")
        if "\x00" in name or "\x00" in value:
            raise InvalidRequestError("A parameter holds a NUL character.")
    return pairs


def parse_parameters(text: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` as pairs, refusing too many or too long ones (``invalid_request``)."""
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, max_num_fields=MAX_PARAMETERS, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError("Malformed parameters.") from None
    return _check(pairs)


async def read_request(request: Request, *, uri: str | None = None) -> ReadRequest:
    """Read ``request`` (its query, and its body when URL-encoded form data).

    :param uri: the URL Authlib is told the request came to (the issuer's
        public one; default the request's own).
    :raises InvalidRequestError: an oversized body, a body of another media type
        on a POST, malformed or too many parameters.
    """
    query = parse_parameters(request.url.query) if request.url.query else []
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        declared = request.headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > MAX_OAUTH_BODY):
            raise InvalidRequestError("The request body is too large.")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_OAUTH_BODY:
                raise InvalidRequestError("The request body is too large.")
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if body and media != _FORM:
            raise InvalidRequestError(f"The body must be {_FORM}.")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequestError("The body is not UTF-8.") from None
        form = parse_parameters(text)
    return ReadRequest(
        request.method, uri or str(request.url), request.headers, _check(query), form
    )


class _Payload(OAuth2Payload):
    """A request's parameters: the form's when it has a form, else the query's (the first
    of a repeated one wins; Authlib refuses repetitions where RFC 6749 §3.1 does)."""

    def __init__(self, read: ReadRequest) -> None:
        pairs = read.form or read.query
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._data.setdefault(name, value)
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """Authlib's request over a :class:`ReadRequest`."""

    def __init__(self, read: ReadRequest) -> None:
        super().__init__(method=read.method, uri=read.uri, headers=read.headers)
        self.read = read
        self.payload = _Payload(read)
        self._args = dict(reversed(read.query))
        self._form = dict(reversed(read.form))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class StarletteJsonRequest(JsonRequest):
    """Authlib's JSON request over a :class:`ReadRequest` (no endpoint here takes JSON)."""

    def __init__(self, read: ReadRequest) -> None:
        super().__init__(read.method, read.uri, read.headers)
        self.payload = _JsonPayload(dict(read.form))


class OAuthResponse:
    """A response Authlib made: status, body (a mapping is JSON) and headers."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: Any, headers: Iterable[tuple[str, str]]) -> None:
        self.status = status
        self.body = body
        self.headers = list(headers)

    @property
    def location(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "location":
                return value
        return None

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(n, v) for n, v in self.headers if n.lower() != "location"]
        self.headers.append(("Location", value))

    def json(self) -> Any:
        return self.body if isinstance(self.body, Mapping) else None


def to_starlette(response: OAuthResponse) -> Response:
    """The Starlette response of an :class:`OAuthResponse`."""
    body = response.body
    if isinstance(body, Mapping):
        content = json.dumps(dict(body), separators=(",", ":")).encode("utf-8")
    elif isinstance(body, str):
        content = body.encode("utf-8")
    else:
        content = bytes(body or b"")
    headers = dict(response.headers)
    media_type = headers.pop("Content-Type", None) or (
        "application/json" if isinstance(body, Mapping) else None
    )
    return Response(content, status_code=response.status, headers=headers, media_type=media_type)


class StarletteAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server bound to Starlette through :class:`ReadRequest`.

    Call its methods in a worker thread with a :class:`ReadRequest` where
    Authlib expects "the framework's request"; responses are
    :class:`OAuthResponse`. Signals go to :meth:`on_signal` (nothing by default).
    """

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        if not isinstance(request, ReadRequest):
            raise TypeError("pass a ReadRequest (read on the event loop) to the server")
        return StarletteOAuth2Request(request)

    def create_json_request(self, request: Any) -> JsonRequest:
        if not isinstance(request, ReadRequest):
            raise TypeError("pass a ReadRequest (read on the event loop) to the server")
        return StarletteJsonRequest(request)

    def handle_response(self, status: int, body: Any, headers: Iterable[tuple[str, str]]) -> Any:
        return OAuthResponse(status, body, headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.on_signal(name, **kwargs)

    def on_signal(self, name: str, **kwargs: Any) -> None:
        """A signal (``after_authenticate_client``, ``after_revoke_token``); subclasses may act."""
