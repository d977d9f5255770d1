"""The problem document's wire shape and the error responses each operation declares.

This module owns :class:`Problem` (the RFC 9457 document every failure is,
rendered by :mod:`siapkerja_adapters.web.problems`) and
:func:`problem_responses`, which gives an operation's ``responses=`` for the
statuses it may answer with. The ``code`` member lists every stable error
code with its status (``x-statuses``), read from the status table itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from ..problems import PROBLEM_TYPE_BASE, STATUSES

__all__ = ["Problem", "problem_responses"]

_CODE_PATTERN: Final = r"^[a-z_]+\.[a-z_]+$"


class Problem(BaseModel):
    """An RFC 9457 problem document. ``code`` is the stable error code (the last part of
    ``type``); ``detail`` is in the language asked for with Accept-Language (Indonesian by
    default); ``message_id`` and ``message_en`` are always both present."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "otp.cooldown",
                    "title": "Wait 42 seconds before asking for a new code.",
                    "status": 429,
                    "detail": "Tunggu 42 detik sebelum meminta kode baru.",
                    "code": "otp.cooldown",
                    "message_id": "Tunggu 42 detik sebelum meminta kode baru.",
                    "message_en": "Wait 42 seconds before asking for a new code.",
                    "params": {"retry_after": 42},
                }
            ]
        }
    )

    type: str
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    code: Annotated[
        str,
        Field(
            pattern=_CODE_PATTERN,
            description="The stable error code; `x-statuses` maps each to its HTTP status.",
            json_schema_extra={"x-statuses": dict(STATUSES)},
        ),
    ]
    message_id: str
    message_en: str
    params: Annotated[
        dict[str, Any],
        Field(
            description="The values the message was rendered with (never a secret), e.g."
            " `field`, `retry_after`, `attempts_left`, `missing`, `errors` (every invalid"
            " field of a request: `{code, field, message_id, message_en}`)."
        ),
    ]


_RETRY_AFTER: Final = {
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
}

_DESCRIPTIONS: Final[Mapping[int, tuple[str, Mapping[str, Any]]]] = {
    400: ("A malformed token or request (`token.malformed`, `reset.invalid` …).", {}),
    401: (
        "No valid session or institution key (`request.authentication_required`,"
        " `request.verifier_key_required` …).",
        {
            "WWW-Authenticate": {
                "description": "Bearer, or X-Verifier-Key for an institution's operation.",
                "schema": {"type": "string"},
            }
        },
    ),
    403: ("A forged token or an unknown verifier.", {}),
    404: ("The registration, card, consent or endpoint does not exist.", {}),
    405: ("The endpoint does not take this method.", {}),
    409: ("A conflict with the current state (`registration.already_registered` …).", {}),
    410: ("Expired or revoked (`otp.expired`, `token.revoked` …).", {}),
    413: ("The body is larger than the API accepts.", {}),
    422: (
        "Fields do not pass the rules: `params.field` names the first, `params.errors`"
        " lists every one.",
        {},
    ),
    429: ("Throttled: `Retry-After` says for how long.", _RETRY_AFTER),
    500: ("A server fault (`server.internal`); nothing of it is shown.", {}),
    503: ("Dukcapil, the SMS gateway or storage is down: retry later.", _RETRY_AFTER),
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an operation that may answer these statuses with a problem.

    FastAPI documents them as ``application/json``; the API's own document
    (:func:`~siapkerja_adapters.web.api.openapi_document`) says
    ``application/problem+json``, the media type actually sent.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    # Every operation has parameters (Accept-Language at least): 422 is always possible.
    for status in sorted({*statuses, 422}):
        description, headers = _DESCRIPTIONS[status]
        response: dict[str, Any] = {"model": Problem, "description": description}
        if headers:
            response["headers"] = dict(headers)
        responses[status] = response
    return responses
