"""The JSON API of disputes over a NIK and identity re-proofing (``docs/disputes.md``).

Three audiences:

* **Anyone** opens a claim (``POST /v1/disputes``) or a re-proofing
  (``POST /v1/reproofings``) after a fresh Dukcapil match; the 201 answer
  carries the case's ``secret`` once, and every later call on the case
  (``/v1/cases/{case_id}`` …) sends it as ``X-Dispute-Secret``: the new
  phone's code, a face match, the case as it stands.
* **The holder** of a disputed account (bearer session) lists the open
  disputes about it and answers one.
* **Administrators** (``X-Verifier-Key`` with ``admin``) list the cases and
  the overdue ones, read one with its audit trail, record an officer's
  in-person check and decide. Every action is audited with the actor
  ``verifier:<id>``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import Field
from starlette.responses import Response

from siapkerja_core.contact import MAX_PHONE_INPUT, mask_email, mask_phone
from siapkerja_core.disputes import (
    MAX_NOTE_LENGTH,
    CaseKind,
    CaseRecord,
    CaseStatus,
    CaseView,
    DisputeError,
    Evidence,
)
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import mask_nik

from ..threads import WorkerThreads
from . import bodies as b
from .admin import Admin, AuditEntry
from .bodies import _MAX_CODE, _MAX_EMAIL, _MAX_NAME, _MAX_PASSWORD, _Body, _bounded, _text
from .common import Holder, json_response
from .models import Timestamp, _Out
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = ["DISPUTE_SECRET", "add_disputes"]

_TAG: Final = "disputes"
Status = Literal[
    "pending_otp",
    "awaiting_holder",
    "awaiting_decision",
    "awaiting_evidence",
    "upheld",
    "rejected",
    "recovered",
    "expired",
]
Kind = Literal["dispute", "reproofing"]
# Kept in step with the core's enums (a new status fails at import, not in production).
assert set(get_args(Status)) == {s.value for s in CaseStatus}
assert set(get_args(Kind)) == {k.value for k in CaseKind}

DISPUTE_SECRET: Final = APIKeyHeader(
    name="X-Dispute-Secret",
    scheme_name="disputeSecret",
    description="The `secret` of a dispute or re-proofing, answered once when it was opened:"
    " every later call on the case sends it.",
    auto_error=False,
)

# --- bodies -----------------------------------------------------------------------------


class _Identity(_Body):
    nik: Annotated[str, _bounded(64)] = Field(
        description="The NIK (16 digits), as on the KTP.",
        examples=["3173071203940042"],
        json_schema_extra={"pattern": b.NIK_INPUT_PATTERN},
    )
    full_name: Annotated[str, _bounded(_MAX_NAME)] = _text(
        "Nama lengkap, as on the KTP (a Dukcapil match input).", "Galih Agan Pambayun"
    )
    mother_name: Annotated[str, _bounded(_MAX_NAME)] = _text(
        "Nama ibu kandung: a Dukcapil match input, never stored, never a recovery secret.",
        "Sri Wahyuni",
    )
    phone: Annotated[str, _bounded(MAX_PHONE_INPUT)] = _text(
        "The NEW mobile number; a code is sent to it.", "081299990001"
    )


class OpenClaim(_Identity):
    email: Annotated[str, _bounded(_MAX_EMAIL)] = _text(
        "The new account's e-mail address.", "galih.baru@example.com"
    )
    password: Annotated[str, _bounded(_MAX_PASSWORD)] = _text(
        "The new account's password.", "Kuda-Lari-Kencang-7", secret=True
    )


class StartReproofing(_Identity):
    email: Annotated[str, _bounded(_MAX_EMAIL)] | None = Field(
        default=None, description="A new e-mail address (kept when absent).", examples=[None]
    )
    password: Annotated[str, _bounded(_MAX_PASSWORD)] | None = Field(
        default=None,
        description="A new password (kept when absent).",
        json_schema_extra={"writeOnly": True},
    )


class CaseCode(_Body):
    code: Annotated[str, _bounded(_MAX_CODE)] = _text(
        "The code from the SMS to the new phone.", "123456", secret=True
    )


class FacePhoto(_Body):
    image: Annotated[str, _bounded(b.MAX_JSON_TEXT)] = Field(
        description="A photo of the face (JPEG or PNG), standard base64: sent to Dukcapil,"
        " never stored.",
        examples=["/9j/4AAQ"],
        json_schema_extra={"contentEncoding": "base64"},
    )


def _image(text: str) -> bytes:
    """The photo's bytes; ``dispute.invalid_image`` (422) when the text is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DisputeError("invalid_image") from None


class Answer(_Body):
    answer: Literal["mine", "not_mine"] = Field(
        description="`mine` (ini akun saya) or `not_mine` (saya tidak memakainya lagi)."
    )
    full_name: Annotated[str, _bounded(_MAX_NAME)] | None = Field(
        default=None, description="With `mine`: a fresh Dukcapil match as evidence (optional)."
    )
    mother_name: Annotated[str, _bounded(_MAX_NAME)] | None = Field(
        default=None, description="With `full_name`: the other match input."
    )


class OfficerCheck(_Body):
    officer_id: Annotated[str, _bounded(MAX_NOTE_LENGTH)] = _text(
        "The officer's NIP or id.", "198001012005011001"
    )
    office: Annotated[str, _bounded(MAX_NOTE_LENGTH)] = _text(
        "The Disnaker office where the check took place.", "Disnaker Kota Bandung"
    )
    documents: Annotated[
        list[Annotated[str, _bounded(100)]], Field(min_length=1, max_length=10)
    ] = Field(description="The documents seen.", examples=[["KTP-el", "KK"]])
    party: Literal["claimant", "holder"] = Field(
        default="claimant", description="Whose identity was checked."
    )
    passed: bool = Field(default=True, description="Whether the check confirmed the identity.")
    checked_at: Timestamp | None = Field(
        default=None, description="When it was checked (default: now)."
    )
    note: Annotated[str, _bounded(MAX_NOTE_LENGTH)] | None = Field(default=None)


class Decision(_Body):
    upheld: bool = Field(
        description="`true`: for the claimant (the old account is frozen, the NIK moves);"
        " `false`: the claim is rejected."
    )
    reason: Annotated[str, _bounded(MAX_NOTE_LENGTH)] = _text(
        "Why (recorded in the audit).", "KTP-el asli diperiksa; wajah sesuai"
    )


# --- responses --------------------------------------------------------------------------


class EvidenceOut(_Out):
    kind: Literal["dukcapil", "face", "officer"]
    party: Literal["claimant", "holder"]
    at: Timestamp
    passed: bool
    score: int | None
    officer_id: str | None
    office: str | None
    checked_at: Timestamp | None
    documents: list[str]
    note: str | None

    @classmethod
    def from_core(cls, e: Evidence) -> EvidenceOut:
        return cls(
            kind=e.kind.value,
            party=e.party.value,
            at=e.at,
            passed=e.passed,
            score=e.score,
            officer_id=e.officer_id,
            office=e.office,
            checked_at=e.checked_at,
            documents=list(e.documents),
            note=e.note,
        )


class Case(_Out):
    """What the claimant (or the holder of a disputed account) sees: never the other party."""

    id: str
    kind: Kind
    status: Status
    created_at: Timestamp
    due_at: Timestamp | None = Field(description="The deadline of the current step.")
    overdue: bool
    evidence: list[EvidenceOut] = Field(description="The viewer's own evidence.")
    decided_at: Timestamp | None
    face_matching: bool = Field(description="Whether a face match is offered here.")
    face_attempts_left: int
    secret: str | None = Field(
        default=None, description="Answered once, when the case is opened: keep it."
    )

    @classmethod
    def from_core(cls, view: CaseView, *, secret: str | None = None) -> Case:
        return cls(
            id=view.id,
            kind=view.kind.value,
            status=view.status.value,
            created_at=view.created_at,
            due_at=view.due_at,
            overdue=view.overdue,
            evidence=[EvidenceOut.from_core(e) for e in view.evidence],
            decided_at=view.decided_at,
            face_matching=view.face_matching,
            face_attempts_left=view.face_attempts_left,
            secret=secret,
        )


class CaseList(_Out):
    items: list[Case]


class OfficerCase(_Out):
    """What an officer sees: the claimant's name, the NIK and contacts masked, all evidence."""

    id: str
    kind: Kind
    status: Status
    account_id: str = Field(description="The account the case is about.")
    nik: str = Field(description="Masked.")
    full_name: str
    phone: str = Field(description="The new phone, masked.")
    email: str | None = Field(description="The new e-mail, masked.")
    created_at: Timestamp
    updated_at: Timestamp
    due_at: Timestamp | None
    overdue: bool
    answer: Literal["mine", "not_mine"] | None
    answered_at: Timestamp | None
    decided_at: Timestamp | None
    decided_by: str | None
    reason: str | None
    new_account_id: str | None
    evidence: list[EvidenceOut]
    trail: list[AuditEntry] | None = Field(
        default=None, description="Every audited step, oldest first (one case only)."
    )

    @classmethod
    def from_core(cls, case: CaseRecord, now: datetime, trail: Any = None) -> OfficerCase:
        return cls(
            id=case.id,
            kind=case.kind.value,
            status=case.status_at(now).value,
            account_id=case.account_id,
            nik=mask_nik(case.nik),
            full_name=case.full_name,
            phone=mask_phone(case.phone),
            email=None if case.email is None else mask_email(case.email),
            created_at=case.created_at,
            updated_at=case.updated_at,
            due_at=case.due_at,
            overdue=case.overdue(now),
            answer=None if case.answer is None else case.answer.value,
            answered_at=case.answered_at,
            decided_at=case.decided_at,
            decided_by=case.decided_by,
            reason=case.reason,
            new_account_id=case.new_account_id,
            evidence=[EvidenceOut.from_core(e) for e in case.evidence],
            trail=None if trail is None else [AuditEntry.from_core(r) for r in trail],
        )


class OfficerCaseList(_Out):
    items: list[OfficerCase]


# --- parameters ---------------------------------------------------------------------------

CaseId = Annotated[
    b.CleanText,
    Path(description="The case's id.", min_length=1, max_length=b.MAX_PARAMETER_LENGTH),
]


def case_caller(
    request: Request,
    case_id: CaseId,
    secret: Annotated[str | None, Security(DISPUTE_SECRET)] = None,
) -> str:
    """The case's id, once the caller proved they opened it (``dispute.secret_required``)."""
    svc, _threads = request.scope[API_CONTEXT]
    svc.disputes.check_secret(case_id, secret)
    return case_id


CaseCaller = Annotated[str, Depends(case_caller)]


def _actor(admin: Any) -> str:
    return f"verifier:{admin.id}"


def add_disputes(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the operations of disputes and re-proofing."""
    open_errors = problem_responses(404, 405, 409, 413, 422, 429, 500, 503)
    case_errors = problem_responses(401, 404, 405, 409, 410, 413, 422, 429, 500, 503)

    @router.post(
        "/disputes",
        operation_id="open_dispute",
        tags=[_TAG],
        summary="Claim a NIK another account holds (after a fresh Dukcapil match)",
        status_code=201,
        response_model=Case,
        response_description="The claim, waiting for the new phone's code; its secret (once).",
        responses=open_errors,
    )
    async def open_dispute(body: OpenClaim) -> Response:
        view = await pool.run(
            lambda: svc.disputes.open_claim(
                body.nik,
                body.full_name,
                body.mother_name,
                email=body.email,
                phone=body.phone,
                password=body.password,
            )
        )
        return json_response(Case.from_core(view, secret=view.secret), 201)

    @router.post(
        "/reproofings",
        operation_id="start_reproofing",
        tags=[_TAG],
        summary="Recover an account without its phone and e-mail: identity re-proofing",
        status_code=201,
        response_model=Case,
        response_description="The re-proofing, waiting for the new phone's code; its secret.",
        responses=open_errors,
    )
    async def start_reproofing(body: StartReproofing) -> Response:
        view = await pool.run(
            lambda: svc.disputes.start_reproofing(
                body.nik,
                body.full_name,
                body.mother_name,
                phone=body.phone,
                email=body.email,
                password=body.password,
            )
        )
        return json_response(Case.from_core(view, secret=view.secret), 201)

    @router.get(
        "/cases/{case_id}",
        operation_id="get_case",
        tags=[_TAG],
        summary="A dispute or re-proofing as it stands (X-Dispute-Secret)",
        response_model=Case,
        response_description="The case.",
        responses=problem_responses(401, 404, 405, 413, 422, 500),
    )
    async def get_case(case_id: CaseCaller) -> Response:
        return json_response(Case.from_core(await pool.run(svc.disputes.view, case_id)))

    @router.post(
        "/cases/{case_id}/otp/confirm",
        operation_id="confirm_case",
        tags=[_TAG],
        summary="The new phone's code: the case opens (a dispute tells the current holder)",
        response_model=Case,
        response_description="The open case.",
        responses=case_errors,
    )
    async def confirm_case(case_id: CaseCaller, body: CaseCode) -> Response:
        view = await pool.run(svc.disputes.confirm, case_id, body.code)
        return json_response(Case.from_core(view))

    @router.post(
        "/cases/{case_id}/otp/resend",
        operation_id="resend_case_code",
        tags=[_TAG],
        summary="A new code to the new phone (the old one dies)",
        response_model=Case,
        response_description="The case.",
        responses=case_errors,
    )
    async def resend_case_code(case_id: CaseCaller) -> Response:
        return json_response(Case.from_core(await pool.run(svc.disputes.resend_code, case_id)))

    @router.post(
        "/cases/{case_id}/face",
        operation_id="match_case_face",
        tags=[_TAG],
        summary="A face match through Dukcapil (where offered); completes a re-proofing",
        response_model=Case,
        response_description="The case with the match's evidence.",
        responses=case_errors,
    )
    async def match_face(case_id: CaseCaller, body: FacePhoto) -> Response:
        image = _image(body.image)
        view = await pool.run(svc.disputes.match_face, case_id, image)
        return json_response(Case.from_core(view))

    # --- the holder of a disputed account ---

    @router.get(
        "/me/disputes",
        operation_id="my_disputes",
        tags=[_TAG],
        summary="Open disputes about the signed-in holder's account",
        response_model=CaseList,
        response_description="The open disputes (nothing of the claimant).",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def my_disputes(account: Holder) -> Response:
        views = await pool.run(svc.disputes.holder_cases, account.id)
        return json_response(CaseList(items=[Case.from_core(v) for v in views]))

    @router.post(
        "/me/disputes/{case_id}/answer",
        operation_id="answer_dispute",
        tags=[_TAG],
        summary="Answer a dispute: 'ini akun saya' (mine) or 'saya tidak memakainya lagi'",
        response_model=Case,
        response_description="The dispute, now waiting for an officer's decision.",
        responses=problem_responses(401, 404, 405, 409, 413, 422, 429, 500, 503),
    )
    async def answer_dispute(account: Holder, case_id: CaseId, body: Answer) -> Response:
        view = await pool.run(
            lambda: svc.disputes.answer(
                account.id,
                case_id,
                body.answer,
                full_name=body.full_name,
                mother_name=body.mother_name,
            )
        )
        return json_response(Case.from_core(view))

    # --- officers (administrators) ---

    admin_errors = problem_responses(401, 403, 404, 405, 409, 413, 422, 500)

    @router.get(
        "/admin/disputes",
        operation_id="admin_list_disputes",
        tags=[_TAG],
        summary="Disputes and re-proofings, oldest first",
        response_model=OfficerCaseList,
        response_description="The cases matching the filters.",
        responses=problem_responses(401, 403, 405, 413, 422, 500),
    )
    async def list_cases(
        admin: Admin,
        status: Annotated[Status | None, Query(description="Only this status.")] = None,
        kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    ) -> Response:
        cases = await pool.run(lambda: svc.disputes.cases(status=status, kind=kind, limit=limit))
        now = svc.now()
        return json_response(OfficerCaseList(items=[OfficerCase.from_core(c, now) for c in cases]))

    @router.get(
        "/admin/disputes/overdue",
        operation_id="admin_overdue_disputes",
        tags=[_TAG],
        summary="Open cases past the deadline of their step, most overdue first",
        response_model=OfficerCaseList,
        response_description="The overdue cases.",
        responses=problem_responses(401, 403, 405, 413, 422, 500),
    )
    async def overdue(
        admin: Admin,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    ) -> Response:
        cases = await pool.run(lambda: svc.disputes.overdue(limit=limit))
        now = svc.now()
        return json_response(OfficerCaseList(items=[OfficerCase.from_core(c, now) for c in cases]))

    def _detail(case_id: str) -> OfficerCase:
        case = svc.disputes.get(case_id)
        return OfficerCase.from_core(case, svc.now(), svc.disputes.trail(case_id))

    @router.get(
        "/admin/disputes/{case_id}",
        operation_id="admin_get_dispute",
        tags=[_TAG],
        summary="One case with all its evidence and its audit trail",
        response_model=OfficerCase,
        response_description="The case.",
        responses=admin_errors,
    )
    async def get_dispute(admin: Admin, case_id: CaseId) -> Response:
        return json_response(await pool.run(_detail, case_id))

    @router.post(
        "/admin/disputes/{case_id}/checks",
        operation_id="admin_record_check",
        tags=[_TAG],
        summary="Record an officer's in-person check at a Disnaker (completes a re-proofing)",
        response_model=OfficerCase,
        response_description="The case with the check's evidence.",
        responses=admin_errors,
    )
    async def record_check(admin: Admin, case_id: CaseId, body: OfficerCheck) -> Response:
        def run() -> OfficerCase:
            svc.disputes.record_check(
                case_id,
                officer_id=body.officer_id,
                office=body.office,
                documents=body.documents,
                checked_at=body.checked_at,
                party=body.party,
                passed=body.passed,
                note=body.note,
                actor=_actor(admin),
            )
            return _detail(case_id)

        return json_response(await pool.run(run))

    @router.post(
        "/admin/disputes/{case_id}/decision",
        operation_id="admin_decide_dispute",
        tags=[_TAG],
        summary="Decide a dispute: for the claimant (the NIK moves) or against",
        response_model=OfficerCase,
        response_description="The decided case.",
        responses=admin_errors,
    )
    async def decide(admin: Admin, case_id: CaseId, body: Decision) -> Response:
        def run() -> OfficerCase:
            svc.disputes.decide(
                case_id, upheld=body.upheld, reason=body.reason, actor=_actor(admin)
            )
            return _detail(case_id)

        return json_response(await pool.run(run))
