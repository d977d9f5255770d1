"""The JSON API of the URL-link uses: consent requests and prefill documents.

This module owns what an institution calls with its ``X-Verifier-Key`` —
``POST /v1/consent-requests`` (ask the holder of a scanned or received link),
``GET /v1/consent-requests/{request_id}`` (poll the answer) and
``POST /v1/prefill`` (the prefill document, or ``?format=json-resume``) —
and what the signed-in holder calls to answer: ``GET
/v1/me/consent-requests``, ``POST /v1/me/consent-requests/{request_id}/approve``
and ``.../decline``. Bodies and answers are declared here once; the document
itself follows the published JSON Schema (``/schemas/prefill/1.0.json``),
which the OpenAPI document names.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Security
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response
from starlette.routing import Route

from siapkerja_core.disclosure import Verifier
from siapkerja_core.prefill import SCHEMA_ID, ConsentRequest
from siapkerja_core.prefill.schema import FIELD_NAMES, schema_text
from siapkerja_core.service import Siapkerja

from ..threads import WorkerThreads
from . import bodies as b
from . import models as m
from .common import PUBLIC_HEADERS, VERIFIER_KEY, Holder, json_response, verifier_key
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = ["SCHEMA_PATH", "add_prefill", "schema_route"]

SCHEMA_PATH: Final = "/schemas/prefill/1.0.json"
"""Where the web binding serves the prefill document's JSON Schema."""


async def institution(
    request: Request, key: Annotated[str | None, Security(VERIFIER_KEY)] = None
) -> Verifier:
    """The registered, active verifier whose key the request carries.

    :raises RequestError: ``verifier_key_required`` without ``X-Verifier-Key`` (401).
    :raises DisclosureError: ``unknown_verifier`` for a wrong or suspended key (403).
    """
    key = verifier_key(request)
    svc, threads = request.scope[API_CONTEXT]
    verifier: Verifier = await threads.run(svc.verifier, key)
    return verifier


Institution = Annotated[Verifier, Depends(institution)]
"""A parameter whose value is the verifier calling."""

PrefillField = Literal[FIELD_NAMES]  # type: ignore[valid-type]
FieldList = Annotated[list[PrefillField], Field(max_length=len(FIELD_NAMES))]
# A link as received: the token, or the URL around it (base URL + token).
_MAX_LINK: Final = b.MAX_TOKEN_LENGTH + 200
Link = Annotated[str, StringConstraints(max_length=_MAX_LINK)]
PurposeText = Annotated[str, StringConstraints(max_length=b.MAX_PURPOSE_LENGTH)]


class _Body(BaseModel):
    """A request body: known members only, no coercion (as the API's other bodies)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskConsent(_Body):
    token: Link = Field(
        description="The link token, or the whole URL of the link QR (as scanned or received).",
        examples=["https://siapkerja.kemnaker.go.id/v/L1.…"],
    )
    purpose: PurposeText = Field(
        description="What the data is for, as the holder will read it.",
        examples=["Pendaftaran pelatihan Las 2026"],
    )
    fields: FieldList | None = Field(
        default=None,
        description="The fields asked for (within the institution's scope); absent: all of it.",
        examples=[["nik", "contact", "skills", "education"]],
    )
    essential: FieldList | None = Field(
        default=None,
        description="Fields the holder cannot leave out when approving (asked for too).",
        examples=[["nik"]],
    )


class FetchPrefill(_Body):
    token: Link = Field(
        description="The link token, or the whole URL of the link QR.",
        examples=["https://siapkerja.kemnaker.go.id/v/L1.…"],
    )
    purpose: PurposeText = Field(
        description="The purpose the holder consented to.",
        examples=["Pendaftaran pelatihan Las 2026"],
    )


class ApproveRequest(_Body):
    fields: FieldList | None = Field(
        default=None,
        description="The fields to let through, among those asked (the essential ones"
        " included); absent: all those asked.",
        examples=[["nik", "skills"]],
    )


Status = Literal["pending", "approved", "declined", "expired"]


class ConsentRequestOut(_Out):
    """A consent request as the institution that made it sees it (no holder id)."""

    id: str
    status: Status
    purpose: str
    institution: str = Field(description="The institution's name, as the holder sees it.")
    fields: list[str] | None = Field(description="The fields asked for; null: the whole scope.")
    essential: list[str]
    created_at: m.Timestamp
    expires_at: m.Timestamp
    decided_at: m.Timestamp | None
    granted_fields: list[str] | None = Field(
        description="What the holder let through (approved); null: the whole scope or no answer."
    )

    @classmethod
    def from_core(cls, record: ConsentRequest) -> ConsentRequestOut:
        return cls(
            id=record.id,
            status=record.status.value,
            purpose=record.purpose,
            institution=record.verifier_name,
            fields=None if record.fields is None else sorted(record.fields),
            essential=sorted(record.essential),
            created_at=record.created_at,
            expires_at=record.expires_at,
            decided_at=record.decided_at,
            granted_fields=None if record.granted_fields is None else sorted(record.granted_fields),
        )


class PendingRequest(ConsentRequestOut):
    """A request waiting for the holder's answer, with the institution's id."""

    verifier_id: str

    @classmethod
    def from_core(cls, record: ConsentRequest) -> PendingRequest:
        base = ConsentRequestOut.from_core(record).model_dump()
        return cls(**base, verifier_id=record.verifier_id)


class PendingList(_Out):
    items: list[PendingRequest]


_DOCUMENT: Final[dict[str, Any]] = {
    "description": "The prefill document (`format=json`, the default): JSON following the"
    f" published JSON Schema {SCHEMA_ID}, served at {SCHEMA_PATH}; or a JSON Resume"
    " v1.0.0 (`format=json-resume`). Only the fields the scope and the consent allow.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": True,
                "externalDocs": {"url": SCHEMA_ID},
            }
        }
    },
}


RequestIdParam = Annotated[
    b.CleanText,
    Path(description="The consent request's id.", min_length=1, max_length=b.MAX_PARAMETER_LENGTH),
]


def add_prefill(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the institution's and the holder's prefill operations to ``router``."""

    @router.post(
        "/consent-requests",
        operation_id="ask_consent",
        tags=["consent"],
        summary="Ask the holder of a link for consent to a purpose (the holder answers later)",
        status_code=201,
        response_model=ConsentRequestOut,
        response_description="The pending request (or the same one, asked again).",
        responses=problem_responses(400, 401, 403, 405, 410, 413, 422, 429, 500),
    )
    async def ask_consent(verifier: Institution, body: AskConsent) -> Response:
        record = await pool.run(
            lambda: svc.prefill.request(
                body.token, verifier, body.purpose, body.fields, essential=body.essential or ()
            )
        )
        return json_response(ConsentRequestOut.from_core(record), 201)

    @router.get(
        "/consent-requests/{request_id}",
        operation_id="consent_request_status",
        tags=["consent"],
        summary="The institution's own request as it stands: pending, approved, declined, expired",
        response_model=ConsentRequestOut,
        response_description="The request.",
        responses=problem_responses(401, 403, 404, 405, 413, 422, 500),
    )
    async def consent_request_status(verifier: Institution, request_id: RequestIdParam) -> Response:
        record = await pool.run(svc.prefill.status, request_id, verifier)
        return json_response(ConsentRequestOut.from_core(record))

    @router.post(
        "/prefill",
        operation_id="prefill",
        tags=["consent"],
        summary="The prefill document of a link's holder, for a purpose they consented to",
        response_model=None,
        responses={200: _DOCUMENT, **problem_responses(400, 401, 403, 405, 410, 413, 422, 500)},
    )
    async def prefill(
        verifier: Institution,
        body: FetchPrefill,
        output: Annotated[
            Literal["json", "json-resume"],
            Query(alias="format", description="`json` (the prefill document) or `json-resume`."),
        ] = "json",
    ) -> Response:
        document = await pool.run(svc.prefill.document, body.token, verifier, body.purpose)
        data = document.to_json_resume() if output == "json-resume" else document.to_json()
        return json_response(data)

    holder_errors = problem_responses(401, 404, 405, 409, 410, 413, 422, 500)

    @router.get(
        "/me/consent-requests",
        operation_id="pending_consent_requests",
        tags=["consent"],
        summary="Requests waiting for the holder's answer, oldest first",
        response_model=PendingList,
        response_description="The pending requests.",
        responses=problem_responses(401, 404, 405, 413, 500),
    )
    async def pending(account: Holder) -> Response:
        records = await pool.run(svc.prefill.pending, account.id)
        return json_response(PendingList(items=[PendingRequest.from_core(r) for r in records]))

    @router.post(
        "/me/consent-requests/{request_id}/approve",
        operation_id="approve_consent_request",
        tags=["consent"],
        summary="Consent to a request (optionally to fewer fields): records a consent",
        response_model=m.Consent,
        response_description="The consent recorded.",
        responses={**holder_errors, **problem_responses(403)},
    )
    async def approve(
        account: Holder,
        request_id: RequestIdParam,
        body: Annotated[ApproveRequest | None, Body()] = None,
    ) -> Response:
        fields = None if body is None else body.fields
        record = await pool.run(svc.prefill.approve, account.id, request_id, fields)
        return json_response(m.Consent.from_core(record))

    @router.post(
        "/me/consent-requests/{request_id}/decline",
        operation_id="decline_consent_request",
        tags=["consent"],
        summary="Refuse a request: the institution receives nothing",
        response_model=PendingRequest,
        response_description="The declined request.",
        responses=holder_errors,
    )
    async def decline(account: Holder, request_id: RequestIdParam) -> Response:
        record = await pool.run(svc.prefill.decline, account.id, request_id)
        return json_response(PendingRequest.from_core(record))


def schema_route() -> Route:
    """``GET /schemas/prefill/1.0.json``: the shipped JSON Schema, cacheable by anyone."""

    async def schema(_request: Request) -> Response:
        return Response(
            schema_text(),
            media_type="application/schema+json",
            headers=dict(PUBLIC_HEADERS),
        )

    return Route(SCHEMA_PATH, schema, methods=["GET"], name="prefill_schema")
