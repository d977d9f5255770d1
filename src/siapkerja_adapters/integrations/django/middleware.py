"""Django middleware: a typed error out of the project's views is the API's problem document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from siapkerja_core.errors import SiapkerjaError

from .._embedded import problem_parts


class ProblemMiddleware:
    """Answers a :class:`~siapkerja_core.errors.SiapkerjaError` (``current_holder`` without
    a session, ``require_scope`` with the wrong key …) as ``application/problem+json``."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SiapkerjaError):
            return None
        status, headers, body = problem_parts(exception, request.headers.get("Accept-Language"))
        response = HttpResponse(body, status=status)
        for key, value in headers:
            if key.lower() != "content-length":
                response[key] = value
        return response
