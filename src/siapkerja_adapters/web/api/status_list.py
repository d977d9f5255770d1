"""The published card status list (``GET /v1/status-lists/cards``).

Offline stations fetch the list here (with the public keys of
``/v1/station-keys``) and refuse, without a network, any card the list marks
revoked or suspended. The answer is the signed JWT itself
(``application/statuslist+jwt``, draft-ietf-oauth-status-list), public and
cacheable until the service would sign a new one anyway, so an HTTP cache in
front never hands a station a list with less than half its life left.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens.status_list import STATUS_LIST_MEDIA_TYPE

from ..threads import WorkerThreads
from .problem_shape import problem_responses

__all__ = ["StatusListResponse", "add_status_list"]

_EXAMPLE = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6IjM2TUEiLCJ0eXAiOiJzdGF0dXNsaXN0K2p3dCJ9."
    "eyJleHAiOjE3OTk5OTk5OTksImlhdCI6MTc5OTk5OTA5OSwic3ViIjoiLi4uIn0.c2ln"
)


class StatusListResponse(Response):
    media_type = STATUS_LIST_MEDIA_TYPE


def add_status_list(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the status list's operation to ``router``."""

    @router.get(
        "/status-lists/cards",
        operation_id="card_status_list",
        tags=["scan"],
        summary="The signed list of revoked and suspended cards, for offline stations",
        description=(
            "A Token Status List (draft-ietf-oauth-status-list) as a JWT of type "
            "`statuslist+jwt`, signed (EdDSA) with the access-code key whose public half "
            "`/v1/station-keys` serves. Two bits per card: 0 valid, 1 revoked, 2 suspended; "
            "each card's index is in its access code. At least 131,072 entries, indexes "
            "random: fetching the list reveals no one. `exp` is `iat` plus `ttl` (the "
            "`status_list_max_age` setting); stations refuse every code once their list "
            "is older than that."
        ),
        response_class=StatusListResponse,
        responses={
            200: {
                "description": "The status list token (compact JWS).",
                "content": {
                    STATUS_LIST_MEDIA_TYPE: {
                        "schema": {"type": "string", "example": _EXAMPLE},
                    }
                },
                "headers": {
                    "Cache-Control": {
                        "description": "`public, max-age=N`: until the service re-signs it.",
                        "schema": {"type": "string"},
                    }
                },
            },
            **problem_responses(500),
        },
    )
    async def card_status_list() -> Response:
        def current() -> tuple[str, int]:
            token = svc.status_list()
            return token, svc.status_lists.cache_seconds(token)

        token, seconds = await pool.run(current)
        return StatusListResponse(token, headers={"Cache-Control": f"public, max-age={seconds}"})
