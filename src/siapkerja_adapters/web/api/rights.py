"""The JSON API of the holder's rights (``/v1/me/rights/...``) and the officer's side
(``/v1/admin/rights-requests``, ``/v1/admin/breach-notice``).

This module owns the holder's operations under UU 27/2022 — the export of
their data (:data:`EXPORT_SCHEMA_PATH` describes it), their requests and
receipts, restriction and its lift, withdrawal of every consent, erasure,
correction of their name through Dukcapil, objection to an automated
decision — and the officer's: open requests by deadline with the overdue
flagged, completing one, and the breach notice (Pasal 46). The officer's
operations need the key of an active verifier holding the ``admin`` scope, as
:mod:`.admin`'s do; each completion is in the audit with the actor
``verifier:<id>``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.rights import RightsRequest as CoreRequest
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.rights import MAX_NOTE

from ..threads import WorkerThreads
from . import bodies as b
from .admin import Admin, OptionalReason, _actor
from .bodies import _Body, _bounded, _text
from .common import PUBLIC_HEADERS, Holder, json_response
from .models import Timestamp, _Out
from .problem_shape import problem_responses

__all__ = ["EXPORT_SCHEMA_PATH", "add_rights", "export_schema_route"]

EXPORT_SCHEMA_PATH: Final = "/schemas/export/v1.json"
"""Where the web binding serves the export's JSON Schema (outside ``/api``, as prefill's)."""
_TAG: Final = "rights"
_MAX_TEXT: Final = 2000


# --- wire shapes --------------------------------------------------------------------------


class RightsRequest(_Out):
    id: str
    receipt: str = Field(description="The number the holder is given (HAK-YYYYMMDD-XXXXXXXX).")
    kind: Literal[
        "access",
        "correction",
        "erasure",
        "restriction",
        "lift_restriction",
        "withdrawal",
        "objection",
    ]
    status: Literal["open", "completed"]
    received_at: Timestamp
    due_at: Timestamp = Field(description="received_at + 3×24 hours (UU 27/2022).")
    completed_at: Timestamp | None
    handled_by: str | None

    @classmethod
    def from_core(cls, request: CoreRequest) -> RightsRequest:
        return cls(
            id=request.id,
            receipt=request.receipt,
            kind=request.kind.value,
            status=request.status.value,
            received_at=request.received_at,
            due_at=request.due_at,
            completed_at=request.completed_at,
            handled_by=request.handled_by,
        )


class RightsRequestList(_Out):
    items: list[RightsRequest]


class OpenRequest(RightsRequest):
    account_id: str
    overdue: bool = Field(description="Still open past its deadline.")
    note: str | None = Field(description="The holder's words (an objection).")


class OpenRequestList(_Out):
    items: list[OpenRequest]


class BreachNotice(_Out):
    since: Timestamp
    until: Timestamp
    description: str
    actions: str
    holders: list[str] = Field(description="The account ids of the holders affected.")
    holder_count: int
    fields: list[str] = Field(description="The kinds of data disclosed.")
    disclosures: int
    institutions: list[str]
    text_id: str = Field(description="The notice in Indonesian.")
    text_en: str = Field(description="The notice in English.")
    notified: int = Field(description="How many holders' SMS were queued (`notify`).")


# --- bodies ---------------------------------------------------------------------------------


class Erase(_Body):
    password: Annotated[str, _bounded(b._MAX_PASSWORD)] = _text(
        "The holder's password again: a session alone cannot erase the account.",
        "kopi tubruk di pal merah",
        secret=True,
    )


class Objection(_Body):
    note: Annotated[str, _bounded(MAX_NOTE)] = _text(
        "Which automated decision, and why the holder objects.",
        "Lamaran saya ditolak otomatis tanpa ditinjau",
    )


class Correction(_Body):
    full_name: Annotated[str, _bounded(MAX_NAME_LENGTH)] = _text(
        "The full name as Dukcapil holds it.", "Galih Agan Pambayun"
    )
    mother_name: Annotated[str, _bounded(MAX_NAME_LENGTH)] = _text(
        "The mother's maiden name (checked with Dukcapil, never stored).",
        "Sri Wahyuni",
        secret=True,
    )


class BreachWindow(_Body):
    model_config = ConfigDict(extra="forbid", strict=False)  # times arrive as ISO 8601 text
    since: AwareDatetime = Field(description="Start of the breach (ISO 8601, with its offset).")
    until: AwareDatetime = Field(description="End of the breach (ISO 8601, with its offset).")
    description: Annotated[str, _bounded(_MAX_TEXT)] = _text(
        "What happened.", "Kunci API sebuah LPK bocor"
    )
    actions: Annotated[str, _bounded(_MAX_TEXT)] = _text(
        "What was done to handle it and recover.", "Kunci dicabut pada 10.00 WIB"
    )
    verifier_ids: list[Annotated[str, _bounded(b.MAX_PARAMETER_LENGTH)]] | None = Field(
        default=None, description="Only the disclosures of these institutions (default: all)."
    )
    notify: bool = Field(
        default=False, description="Also queue an SMS to every holder named (the outbox)."
    )


RequestId = Annotated[
    b.CleanText,
    Path(description="The request's id.", min_length=1, max_length=b.MAX_PARAMETER_LENGTH),
]


@cache
def _schema_text() -> str:
    text = resources.files("siapkerja_core.schemas").joinpath("export-v1.schema.json")
    return text.read_text("utf-8")


def export_schema_route() -> Route:
    """``GET /schemas/export/v1.json``: the export's JSON Schema, cacheable by anyone."""

    async def schema(_request: Request) -> Response:
        return Response(
            _schema_text(), media_type="application/schema+json", headers=dict(PUBLIC_HEADERS)
        )

    return Route(EXPORT_SCHEMA_PATH, schema, methods=["GET"], name="export_schema")


def add_rights(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the holder's rights and the officer's dashboard to ``router``."""
    holder_errors = problem_responses(401, 403, 404, 405, 409, 413, 500)

    @router.get(
        "/me/rights/export",
        operation_id="rights_export",
        tags=[_TAG],
        summary="Everything held about the holder, as one JSON document (access, portability)",
        response_model=dict[str, Any],
        response_description=f"The export; its JSON Schema is at {EXPORT_SCHEMA_PATH}.",
        responses=holder_errors,
    )
    async def export(account: Holder) -> Response:
        document = await pool.run(svc.rights.export, account.id)
        stamp = document["generated_at"][:10]
        return json_response(
            document,
            headers={"Content-Disposition": f'attachment; filename="siapkerja-data-{stamp}.json"'},
        )

    @router.get(
        "/me/rights",
        operation_id="rights_requests",
        tags=[_TAG],
        summary="The holder's rights requests and their receipts, oldest first",
        response_model=RightsRequestList,
        response_description="The requests.",
        responses=holder_errors,
    )
    async def mine(account: Holder) -> Response:
        found = await pool.run(svc.rights.requests, account.id)
        return json_response(RightsRequestList(items=[RightsRequest.from_core(r) for r in found]))

    def _answer(request: CoreRequest, status: int = 201) -> Response:
        return json_response(RightsRequest.from_core(request), status)

    @router.post(
        "/me/rights/restriction",
        operation_id="rights_restrict",
        tags=[_TAG],
        summary="Restrict processing: the card, check-ins and SSO refused; data kept",
        status_code=201,
        response_model=RightsRequest,
        response_description="The completed request (its receipt).",
        responses=holder_errors,
    )
    async def restrict(account: Holder) -> Response:
        return _answer(await pool.run(svc.rights.restrict, account.id))

    @router.delete(
        "/me/rights/restriction",
        operation_id="rights_lift_restriction",
        tags=[_TAG],
        summary="Lift the restriction",
        status_code=201,
        response_model=RightsRequest,
        response_description="The completed request (its receipt).",
        responses=holder_errors,
    )
    async def lift(account: Holder) -> Response:
        return _answer(await pool.run(svc.rights.lift_restriction, account.id))

    @router.post(
        "/me/rights/withdrawal",
        operation_id="rights_withdraw_all",
        tags=[_TAG],
        summary="Withdraw every consent, SSO grant and pending consent request at once",
        status_code=201,
        response_model=RightsRequest,
        response_description="The completed request (its receipt).",
        responses=holder_errors,
    )
    async def withdraw(account: Holder) -> Response:
        return _answer(await pool.run(svc.rights.withdraw_all, account.id))

    @router.post(
        "/me/rights/erasure",
        operation_id="rights_erase",
        tags=[_TAG],
        summary="Erase the account (see docs/rights.md for what is kept, and how long)",
        status_code=201,
        response_model=RightsRequest,
        response_description="The completed request (its receipt); the session ends.",
        responses=problem_responses(400, 401, 403, 404, 405, 409, 413, 422, 429, 500),
    )
    async def erase(account: Holder, body: Erase) -> Response:
        return _answer(await pool.run(lambda: svc.rights.erase(account.id, password=body.password)))

    @router.post(
        "/me/rights/objection",
        operation_id="rights_object",
        tags=[_TAG],
        summary="Object to an automated decision: an officer answers within 3×24 hours",
        status_code=201,
        response_model=RightsRequest,
        response_description="The open request (its receipt and deadline).",
        responses=problem_responses(400, 401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def objection(account: Holder, body: Objection) -> Response:
        return _answer(await pool.run(svc.rights.object, account.id, body.note))

    @router.post(
        "/me/rights/correction",
        operation_id="rights_correct_identity",
        tags=[_TAG],
        summary="Correct the account's name through a fresh Dukcapil check",
        status_code=201,
        response_model=RightsRequest,
        response_description="The completed request (its receipt).",
        responses=problem_responses(400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503),
    )
    async def correction(account: Holder, body: Correction) -> Response:
        request = await pool.run(
            lambda: svc.rights.correct_identity(
                account.id, full_name=body.full_name, mother_name=body.mother_name
            )
        )
        return _answer(request)

    # --- the officer ---

    @router.get(
        "/admin/rights-requests",
        operation_id="admin_rights_requests",
        tags=[_TAG],
        summary="Open rights requests, the earliest deadline first, the overdue flagged",
        response_model=OpenRequestList,
        response_description="The open requests.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def open_requests(
        admin: Admin,
        overdue: Annotated[bool, Query(description="Only those past their deadline.")] = False,
    ) -> Response:
        del admin
        found = await pool.run(lambda: svc.rights.open_requests(overdue_only=overdue))
        now = svc.now()
        return json_response(
            OpenRequestList(
                items=[
                    OpenRequest(
                        **RightsRequest.from_core(r).model_dump(),
                        account_id=r.account_id,
                        overdue=r.overdue(now),
                        note=r.note,
                    )
                    for r in found
                ]
            )
        )

    @router.post(
        "/admin/rights-requests/{request_id}/complete",
        operation_id="admin_complete_rights_request",
        tags=[_TAG],
        summary="Complete an open rights request (recorded in the audit)",
        response_model=RightsRequest,
        response_description="The completed request.",
        responses=problem_responses(400, 401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def complete(admin: Admin, request_id: RequestId, body: OptionalReason) -> Response:
        done = await pool.run(
            lambda: svc.rights.complete(request_id, actor=_actor(admin), reason=body.reason)
        )
        return json_response(RightsRequest.from_core(done))

    @router.post(
        "/admin/breach-notice",
        operation_id="admin_breach_notice",
        tags=[_TAG],
        summary="Assemble the breach notice of UU 27/2022 Pasal 46 for a time window",
        response_model=BreachNotice,
        response_description="Which data, when, which holders, what was done; the text (id/en).",
        responses=problem_responses(400, 401, 403, 405, 413, 422, 500),
    )
    async def breach(admin: Admin, body: BreachWindow) -> Response:
        notice = await pool.run(
            lambda: svc.rights.breach_notice(
                body.since,
                body.until,
                description=body.description,
                actions=body.actions,
                verifier_ids=body.verifier_ids,
            )
        )
        queued = 0
        if body.notify:
            queued = await pool.run(lambda: svc.rights.notify_breach(notice, actor=_actor(admin)))
        return json_response(BreachNotice(**notice.as_json(), notified=queued))
