"""The JSON API's administration of institutions (``/v1/admin/...``) and an institution's own
record (``/v1/verifier``).

This module owns the operations an administrator calls — register, list,
read, suspend, resume, re-key and retire verifiers, read one's activity and
the audit — and the two an institution calls about itself (its record, its
activity). Every operation authenticates with ``X-Verifier-Key``: the admin
operations need a key of an active verifier holding the ``admin`` scope
(``institution.admin_required``, 403, otherwise). The API never creates an
``admin`` verifier: administrators are made from the command line only
(``siapkerja verifiers add --scope admin``), so a leaked admin key cannot
mint more of them. Each action is recorded in the audit with the actor
``verifier:<the administrator's id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from pydantic import BeforeValidator, Field
from starlette.responses import Response

from siapkerja_core import regions
from siapkerja_core.disclosure import SCOPES
from siapkerja_core.disclosure import Verifier as CoreVerifier
from siapkerja_core.institutions import (
    ADMIN_SCOPE,
    MAX_CONTACT_LENGTH,
    MAX_INSTITUTION_NAME,
    MAX_REASON_LENGTH,
    VerifierKind,
    VerifierStatus,
)
from siapkerja_core.institutions import (
    AuditRecord as CoreAuditRecord,
)
from siapkerja_core.records import AccessRecord as CoreAccessRecord
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.institutions import MAX_LIMIT

from ..threads import WorkerThreads
from . import bodies as b
from .bodies import _Body, _bounded, _text
from .common import VERIFIER_KEY, json_response, verifier_key
from .models import Timestamp, _Out
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = ["add_admin"]

_TAG: Final = "institutions"
# The scopes an administrator may grant through the API: every scope but ``admin``.
_GRANTABLE: Final = tuple(sorted(s for s in SCOPES if s != ADMIN_SCOPE))
GrantableScope = Literal[_GRANTABLE]  # type: ignore[valid-type]
Kind = Literal[tuple(k.value for k in VerifierKind)]  # type: ignore[valid-type]
Status = Literal[tuple(s.value for s in VerifierStatus)]  # type: ignore[valid-type]
_MAX_REGION: Final = 20


# --- bodies -----------------------------------------------------------------------------


class AddVerifier(_Body):
    name: Annotated[str, _bounded(MAX_INSTITUTION_NAME)] = _text(
        "The institution's name.", "Disnaker Kota Bandung"
    )
    scopes: Annotated[list[GrantableScope], Field(min_length=1, max_length=len(_GRANTABLE))] = (
        Field(description="What it may see (never `admin`: made from the CLI only).")
    )
    kind: Kind = Field(description="What kind of institution it is.", examples=["disnaker"])
    region_code: Annotated[str, _bounded(_MAX_REGION)] | None = Field(
        default=None,
        description="Where it serves: a Kemendagri province, kabupaten/kota or kecamatan code.",
        examples=["3273"],
    )
    contact: Annotated[str, _bounded(MAX_CONTACT_LENGTH)] | None = Field(
        default=None,
        description="Where a holder asks it questions: an e-mail address or a URL.",
        examples=["disnaker@bandung.go.id"],
    )


class Reason(_Body):
    reason: Annotated[str, _bounded(MAX_REASON_LENGTH)] = _text(
        "Why (recorded in the audit).", "Kunci bocor; sedang diperiksa"
    )


class OptionalReason(_Body):
    reason: Annotated[str, _bounded(MAX_REASON_LENGTH)] | None = Field(
        default=None, description="Why (recorded in the audit).", examples=["Diperiksa: aman"]
    )


# --- responses --------------------------------------------------------------------------


class Verifier(_Out):
    id: str
    name: str
    kind: Kind
    scopes: list[str]
    region_code: str | None
    region_name: str | None
    contact: str | None
    status: Status
    active: bool
    created_at: Timestamp
    key_rotated_at: Timestamp | None

    @classmethod
    def from_core(cls, verifier: CoreVerifier) -> Verifier:
        region = None if verifier.region_code is None else regions.lookup(verifier.region_code)
        return cls(
            id=verifier.id,
            name=verifier.name,
            kind=verifier.kind.value,
            scopes=sorted(verifier.scopes),
            region_code=verifier.region_code,
            region_name=None if region is None else region.name,
            contact=verifier.contact,
            status=verifier.status.value,
            active=verifier.active,
            created_at=verifier.created_at,
            key_rotated_at=verifier.key_rotated_at,
        )


class VerifierList(_Out):
    items: list[Verifier]


class VerifierKey(_Out):
    verifier: Verifier
    api_key: str = Field(description="The API key: shown this once, stored only as an HMAC.")


class ActivityEntry(_Out):
    id: str
    at: Timestamp
    account_id: str = Field(description="Whose data (the holder's account id).")
    fields: list[str] = Field(description="What was shown.")
    purpose: str | None
    channel: Literal["link", "access"]

    @classmethod
    def from_core(cls, record: CoreAccessRecord) -> ActivityEntry:
        return cls(
            id=record.id,
            at=record.at,
            account_id=record.account_id,
            fields=list(record.fields),
            purpose=record.purpose,
            channel=record.channel,  # type: ignore[arg-type]
        )


class Activity(_Out):
    items: list[ActivityEntry]


class AuditEntry(_Out):
    id: str
    at: Timestamp
    actor: str
    action: str
    target_kind: str
    target_id: str
    reason: str | None
    details: dict[str, str | int | float | bool | None]

    @classmethod
    def from_core(cls, record: CoreAuditRecord) -> AuditEntry:
        return cls(
            id=record.id,
            at=record.at,
            actor=record.actor,
            action=record.action,
            target_kind=record.target_kind,
            target_id=record.target_id,
            reason=record.reason,
            details=dict(record.details),
        )


class Audit(_Out):
    items: list[AuditEntry]


# --- parameters and credentials -----------------------------------------------------------

VerifierId = Annotated[
    b.CleanText,
    Path(description="The verifier's id.", min_length=1, max_length=b.MAX_PARAMETER_LENGTH),
]


def _iso_time(value: object) -> object:
    """An ISO 8601 time with its offset. Pydantic's lax parsing also took a number
    ("0.5") as seconds since 1970, which the OpenAPI document (date-time) does not promise."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("an ISO 8601 time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("an ISO 8601 time with its offset (e.g. +07:00 or Z)")
    return moment


Since = Annotated[
    datetime | None,
    BeforeValidator(_iso_time),
    Query(description="Only what happened at or after this time (ISO 8601, with its offset)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many, newest first.")]


def _key(request: Request) -> str:
    return verifier_key(request)


async def calling_verifier(
    request: Request, _scheme: Annotated[Any, Security(VERIFIER_KEY)] = None
) -> CoreVerifier:
    """The active verifier whose key the request carries (401 without one, 403 if refused)."""
    svc, threads = request.scope[API_CONTEXT]
    verifier: CoreVerifier = await threads.run(svc.verifiers.by_key, _key(request))
    return verifier


async def administrator(
    request: Request, _scheme: Annotated[Any, Security(VERIFIER_KEY)] = None
) -> CoreVerifier:
    """The calling verifier, if it holds the ``admin`` scope (403 otherwise)."""
    svc, threads = request.scope[API_CONTEXT]
    verifier: CoreVerifier = await threads.run(svc.verifiers.administrator, _key(request))
    return verifier


Caller = Annotated[CoreVerifier, Depends(calling_verifier)]
Admin = Annotated[CoreVerifier, Depends(administrator)]


def _actor(admin: CoreVerifier) -> str:
    return f"verifier:{admin.id}"


def add_admin(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the administration of institutions and an institution's own operations."""
    admin_errors = problem_responses(401, 403, 404, 405, 413, 500)
    change_errors = problem_responses(401, 403, 404, 405, 409, 413, 500)

    @router.post(
        "/admin/verifiers",
        operation_id="admin_add_verifier",
        tags=[_TAG],
        summary="Register an institution; its API key is answered once",
        status_code=201,
        response_model=VerifierKey,
        response_description="The institution and its API key.",
        responses=problem_responses(400, 401, 403, 405, 413, 500),
    )
    async def add_verifier(admin: Admin, body: AddVerifier) -> Response:
        verifier, api_key = await pool.run(
            lambda: svc.verifiers.add(
                body.name,
                body.scopes,
                kind=body.kind,
                region_code=body.region_code,
                contact=body.contact,
                actor=_actor(admin),
            )
        )
        return json_response(
            VerifierKey(verifier=Verifier.from_core(verifier), api_key=api_key), 201
        )

    @router.get(
        "/admin/verifiers",
        operation_id="admin_list_verifiers",
        tags=[_TAG],
        summary="The registered institutions, oldest first",
        response_model=VerifierList,
        response_description="The institutions matching the filters.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def list_verifiers(
        admin: Admin,
        status: Annotated[Status | None, Query(description="Only this status.")] = None,
        kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
        scope: Annotated[
            b.CleanText | None, Query(max_length=40, description="Only those with this scope.")
        ] = None,
    ) -> Response:
        found = await pool.run(lambda: svc.verifiers.list(status=status, kind=kind, scope=scope))
        return json_response(VerifierList(items=[Verifier.from_core(v) for v in found]))

    @router.get(
        "/admin/verifiers/{verifier_id}",
        operation_id="admin_get_verifier",
        tags=[_TAG],
        summary="One institution",
        response_model=Verifier,
        response_description="The institution.",
        responses=admin_errors,
    )
    async def get_verifier(admin: Admin, verifier_id: VerifierId) -> Response:
        return json_response(Verifier.from_core(await pool.run(svc.verifiers.get, verifier_id)))

    @router.post(
        "/admin/verifiers/{verifier_id}/suspend",
        operation_id="admin_suspend_verifier",
        tags=[_TAG],
        summary="Refuse the institution's key until it is resumed",
        response_model=Verifier,
        response_description="The suspended institution.",
        responses=change_errors,
    )
    async def suspend(admin: Admin, verifier_id: VerifierId, body: Reason) -> Response:
        verifier = await pool.run(
            lambda: svc.verifiers.suspend(verifier_id, reason=body.reason, actor=_actor(admin))
        )
        return json_response(Verifier.from_core(verifier))

    @router.post(
        "/admin/verifiers/{verifier_id}/resume",
        operation_id="admin_resume_verifier",
        tags=[_TAG],
        summary="Accept a suspended institution's key again",
        response_model=Verifier,
        response_description="The active institution.",
        responses=change_errors,
    )
    async def resume(
        admin: Admin, verifier_id: VerifierId, body: OptionalReason | None = None
    ) -> Response:
        reason = None if body is None else body.reason
        verifier = await pool.run(
            lambda: svc.verifiers.resume(verifier_id, reason=reason, actor=_actor(admin))
        )
        return json_response(Verifier.from_core(verifier))

    @router.post(
        "/admin/verifiers/{verifier_id}/rotate-key",
        operation_id="admin_rotate_verifier_key",
        tags=[_TAG],
        summary="A new API key for the institution; the old one stops working at once",
        response_model=VerifierKey,
        response_description="The institution and its new API key (answered once).",
        responses=change_errors,
    )
    async def rotate_key(
        admin: Admin, verifier_id: VerifierId, body: OptionalReason | None = None
    ) -> Response:
        reason = None if body is None else body.reason

        def rotate() -> tuple[CoreVerifier, str]:
            api_key = svc.verifiers.rotate_key(verifier_id, reason=reason, actor=_actor(admin))
            return svc.verifiers.get(verifier_id), api_key

        verifier, api_key = await pool.run(rotate)
        return json_response(VerifierKey(verifier=Verifier.from_core(verifier), api_key=api_key))

    @router.post(
        "/admin/verifiers/{verifier_id}/retire",
        operation_id="admin_retire_verifier",
        tags=[_TAG],
        summary="Retire the institution for good (its consents and activity stay on record)",
        response_model=Verifier,
        response_description="The retired institution.",
        responses=change_errors,
    )
    async def retire(admin: Admin, verifier_id: VerifierId, body: Reason) -> Response:
        verifier = await pool.run(
            lambda: svc.verifiers.retire(verifier_id, reason=body.reason, actor=_actor(admin))
        )
        return json_response(Verifier.from_core(verifier))

    @router.get(
        "/admin/verifiers/{verifier_id}/activity",
        operation_id="admin_verifier_activity",
        tags=[_TAG],
        summary="Which holders' data the institution asked for, and what (newest first)",
        response_model=Activity,
        response_description="The institution's entries in the access ledger.",
        responses=admin_errors,
    )
    async def activity(
        admin: Admin, verifier_id: VerifierId, since: Since = None, limit: Limit = 100
    ) -> Response:
        records = await pool.run(
            lambda: svc.verifiers.activity(verifier_id, since=since, limit=limit)
        )
        return json_response(Activity(items=[ActivityEntry.from_core(r) for r in records]))

    @router.get(
        "/admin/audit",
        operation_id="admin_audit",
        tags=[_TAG],
        summary="The audit of administrative actions (newest first)",
        response_model=Audit,
        response_description="The audit records matching the filters.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def audit(
        admin: Admin,
        target: Annotated[
            b.CleanText | None,
            Query(max_length=b.MAX_PARAMETER_LENGTH, description="The target's id."),
        ] = None,
        target_kind: Annotated[
            b.CleanText | None, Query(max_length=64, description="The target's kind (verifier …).")
        ] = None,
        actor: Annotated[
            b.CleanText | None,
            Query(max_length=200, description="Who acted (verifier:<id>, cli:<user> …)."),
        ] = None,
        since: Since = None,
        limit: Limit = 100,
    ) -> Response:
        records = await pool.run(
            lambda: svc.verifiers.audit(
                target=target, target_kind=target_kind, actor=actor, since=since, limit=limit
            )
        )
        return json_response(Audit(items=[AuditEntry.from_core(r) for r in records]))

    # --- an institution about itself ---

    @router.get(
        "/verifier",
        operation_id="own_verifier",
        tags=[_TAG],
        summary="The calling institution's own record",
        response_model=Verifier,
        response_description="The institution holding the key.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def own_verifier(caller: Caller) -> Response:
        return json_response(Verifier.from_core(caller))

    @router.get(
        "/verifier/activity",
        operation_id="own_verifier_activity",
        tags=[_TAG],
        summary="Which holders' data the calling institution asked for (newest first)",
        response_model=Activity,
        response_description="Its entries in the access ledger.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def own_activity(caller: Caller, since: Since = None, limit: Limit = 100) -> Response:
        records = await pool.run(
            lambda: svc.verifiers.activity(caller.id, since=since, limit=limit)
        )
        return json_response(Activity(items=[ActivityEntry.from_core(r) for r in records]))
