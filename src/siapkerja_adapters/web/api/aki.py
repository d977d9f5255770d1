"""The JSON API of use 1, the AK/I ("kartu kuning"): the holder's side and the officer's.

This module owns the operations, their bodies and their answers:

* the signed-in holder (``Authorization: Bearer``): ``POST /v1/me/aki``
  (apply), ``GET /v1/me/aki``, ``POST /v1/me/aki/reports`` (the six-monthly
  report), ``GET /v1/me/aki/document.pdf`` and ``.svg``;
* a Disnaker officer (``X-Verifier-Key`` of a ``disnaker`` verifier appointed to
  an office): ``GET /v1/aki/applications`` (its office's), ``GET
  /v1/aki/applications/{reference}`` (one, with the holder's profile),
  ``POST …/legalisation``, ``…/placement``, ``…/removal``. ``reference`` is the
  registration's id or its AK/I number.

Each operation is one call of ``svc.aki`` in a worker thread; refusals are
the ``aki.*`` problem documents.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from pydantic import ConfigDict, Field, StringConstraints
from starlette.responses import Response

from siapkerja_core.aki import MAX_TEXT_LENGTH, AkiRegistration, AkiReport, RemovalReason
from siapkerja_core.aki import aki_status_data as _status_data
from siapkerja_core.disclosure import Verifier
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.aki import APPLICATIONS_LIMIT

from ..threads import WorkerThreads
from . import bodies as b
from .common import JSON_HEADERS, VERIFIER_KEY, Holder, json_response, verifier_key
from .models import ProfileView, _Out
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = [
    "AkiApplication",
    "AkiApply",
    "AkiLegalise",
    "AkiPlace",
    "AkiRegistrationOut",
    "AkiRemove",
    "AkiReportBox",
    "add_aki",
]

_MAX_REFERENCE: Final = 64  # an id (32 hex) or a number typed with separators
_Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_LENGTH)]


# --- bodies ---------------------------------------------------------------------------------


class AkiApply(b._Body):
    office_code: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        default=None,
        description="The kabupaten/kota (4-digit Kemendagri code) of the Disnaker;"
        " absent: the domicile address's.",
        examples=["3273"],
    )


class AkiLegalise(b._Body):
    officer_name: _Text | None = Field(
        default=None,
        description="The *pengantar kerja* printed on the document (default: the verifier's name).",
        examples=["Siti Rahma"],
    )


class AkiPlace(b._Body):
    employer: _Text = Field(description="Where the holder was placed.", examples=["PT Maju Jaya"])
    position: _Text | None = Field(default=None, examples=["Operator Produksi"])
    placed_on: date | None = Field(default=None, description="Default: today (WIB).")

    model_config = ConfigDict(extra="forbid", strict=False)  # a date comes as JSON text


class AkiRemove(b._Body):
    reason: Literal[tuple(r.value for r in RemovalReason)] = Field(  # type: ignore[valid-type]
        description="Why the registration leaves the register.", examples=["moved"]
    )
    note: _Text | None = Field(default=None, examples=["Pindah ke Kota Cimahi"])


# --- answers --------------------------------------------------------------------------------


class AkiReportBox(_Out):
    index: Annotated[int, Field(ge=1, le=4, strict=False)]
    due_on: date
    reported_on: date | None
    state: Literal["done", "open", "upcoming", "missed", "closed"]


class AkiPlacementOut(_Out):
    employer: str
    position: str | None
    placed_on: date


class AkiRemovalOut(_Out):
    reason: str
    removed_on: date


class AkiRegistrationOut(_Out):
    """An AK/I registration: number, office, status, validity and the four report boxes."""

    id: str
    number: str
    status: Literal["applied", "legalised", "placed", "removed", "expired"]
    office_code: str
    office_name: str
    applied_on: date
    legalised_on: date | None
    valid_until: date | None
    reports: list[AkiReportBox]
    report_due: Annotated[int, Field(ge=1, le=4, strict=False)] | None
    placement: AkiPlacementOut | None
    removal: AkiRemovalOut | None

    @classmethod
    def from_core(cls, record: AkiRegistration, today: date) -> AkiRegistrationOut:
        return cls.model_validate({"id": record.id, **_status_data(record, today)})


class AkiRegistrationList(_Out):
    items: list[AkiRegistrationOut]


class AkiApplication(_Out):
    """One registration with the holder's profile as the ``disnaker`` scope sees it."""

    registration: AkiRegistrationOut
    holder: ProfileView


class AkiReportOut(_Out):
    index: Annotated[int, Field(ge=1, le=4, strict=False)]
    due_on: date
    reported_on: date

    @classmethod
    def from_core(cls, box: AkiReport) -> AkiReportOut:
        assert box.reported_on is not None
        return cls(index=box.index, due_on=box.due_on, reported_on=box.reported_on)


async def officer_of_request(
    request: Request, _key: Annotated[str | None, Security(VERIFIER_KEY)] = None
) -> Verifier:
    """The verifier whose key the request carries (a 401 problem without one, 403 for an
    unknown key). A dependency: checked before the body is validated, so a stranger
    learns nothing of what a body should hold. Whether it is an officer of the
    registration's office is the service's to say."""
    key = verifier_key(request)
    svc, threads = request.scope[API_CONTEXT]
    verifier: Verifier = await threads.run(svc.verifier, key)
    return verifier


Officer = Annotated[Verifier, Depends(officer_of_request)]
"""A parameter whose value is the verifier of the request's ``X-Verifier-Key``."""

Reference = Annotated[
    b.CleanText,
    Path(
        description="The registration's id or its AK/I number.",
        min_length=1,
        max_length=_MAX_REFERENCE,
    ),
]


def add_aki(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the AK/I operations (holder and officer) to ``router``."""

    def registration(record: AkiRegistration) -> AkiRegistrationOut:
        return AkiRegistrationOut.from_core(record, svc.aki.today())

    # --- the holder ---

    @router.post(
        "/me/aki",
        operation_id="aki_apply",
        tags=["aki"],
        summary="Apply for an AK/I at a Disnaker kabupaten/kota (default: the domicile's)",
        status_code=201,
        response_model=AkiRegistrationOut,
        response_description="The application (status `applied`).",
        responses=problem_responses(401, 404, 405, 409, 410, 413, 422, 500, 503),
    )
    async def aki_apply(account: Holder, body: AkiApply | None = None) -> Response:
        chosen = body or AkiApply()
        record = await pool.run(lambda: svc.aki.apply(account.id, office_code=chosen.office_code))
        return json_response(registration(record), 201)

    @router.get(
        "/me/aki",
        operation_id="aki_get",
        tags=["aki"],
        summary="The holder's AK/I: status, validity, the four reports",
        response_model=AkiRegistrationOut,
        response_description="The current registration (the active one, else the latest).",
        responses=problem_responses(401, 404, 405, 413, 500),
    )
    async def aki_get(account: Holder) -> Response:
        return json_response(registration(await pool.run(svc.aki.registration, account.id)))

    @router.post(
        "/me/aki/reports",
        operation_id="aki_report",
        tags=["aki"],
        summary="Make the six-monthly report whose window holds today",
        status_code=201,
        response_model=AkiReportOut,
        response_description="The report box, filled.",
        responses=problem_responses(401, 404, 405, 409, 413, 500),
    )
    async def aki_report(account: Holder) -> Response:
        return json_response(
            AkiReportOut.from_core(await pool.run(svc.aki.report, account.id)), 201
        )

    document_errors = problem_responses(401, 404, 405, 410, 413, 500, 503)

    @router.get(
        "/me/aki/document.pdf",
        operation_id="aki_document_pdf",
        tags=["aki"],
        summary="The AK/I document as PDF (A5), with the QR to the holder's card",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The PDF."},
            **document_errors,
        },
    )
    async def aki_document_pdf(account: Holder) -> Response:
        data = await pool.run(lambda: svc.aki.document(account.id).to_pdf())
        return Response(data, media_type="application/pdf", headers=_download("pdf"))

    @router.get(
        "/me/aki/document.svg",
        operation_id="aki_document_svg",
        tags=["aki"],
        summary="The AK/I document as SVG (A5), with the QR to the holder's card",
        response_class=Response,
        responses={
            200: {"content": {"image/svg+xml": {}}, "description": "The SVG."},
            **document_errors,
        },
    )
    async def aki_document_svg(account: Holder) -> Response:
        data = await pool.run(lambda: svc.aki.document(account.id).to_svg())
        return Response(data, media_type="image/svg+xml", headers=_download("svg"))

    # --- the officer ---

    officer_errors = problem_responses(401, 403, 404, 405, 409, 413, 422, 500)

    @router.get(
        "/aki/applications",
        operation_id="aki_applications",
        tags=["aki"],
        summary="The AK/I registrations of the officer's office (active ones by default)",
        response_model=AkiRegistrationList,
        response_description="The registrations, oldest application first.",
        responses=officer_errors,
    )
    async def aki_applications(
        verifier: Officer,
        status: Annotated[
            Literal["applied", "legalised", "placed", "removed", "expired"] | None,
            Query(description="Only this status (absent: applied and legalised)."),
        ] = None,
        limit: Annotated[
            int,
            Query(ge=1, le=APPLICATIONS_LIMIT, description="At most this many, oldest first."),
        ] = 100,
    ) -> Response:
        rows = await pool.run(lambda: svc.aki.applications(verifier, status=status, limit=limit))
        return json_response(AkiRegistrationList(items=[registration(r) for r in rows]))

    @router.get(
        "/aki/applications/{reference}",
        operation_id="aki_application",
        tags=["aki"],
        summary="One registration of the office with the holder's profile (disnaker scope)",
        response_model=AkiApplication,
        response_description="The registration and the profile view; logged in the ledger.",
        responses=officer_errors,
    )
    async def aki_application(verifier: Officer, reference: Reference) -> Response:
        found = await pool.run(svc.aki.application, verifier, reference)
        view = svc.cards.public_profile_data(found.view)
        return json_response(
            AkiApplication(
                registration=registration(found.registration),
                holder=ProfileView.model_validate(view),
            )
        )

    @router.post(
        "/aki/applications/{reference}/legalisation",
        operation_id="aki_legalise",
        tags=["aki"],
        summary="Legalise an application of the office: its two years start today",
        response_model=AkiRegistrationOut,
        response_description="The legalised registration.",
        responses=officer_errors,
    )
    async def aki_legalise(
        verifier: Officer, reference: Reference, body: AkiLegalise | None = None
    ) -> Response:
        name = None if body is None else body.officer_name
        record = await pool.run(lambda: svc.aki.legalise(verifier, reference, officer_name=name))
        return json_response(registration(record))

    @router.post(
        "/aki/applications/{reference}/placement",
        operation_id="aki_place",
        tags=["aki"],
        summary="Record that the holder was placed in work: the registration closes",
        response_model=AkiRegistrationOut,
        response_description="The closed registration (status `placed`).",
        responses=officer_errors,
    )
    async def aki_place(verifier: Officer, reference: Reference, body: AkiPlace) -> Response:
        record = await pool.run(
            lambda: svc.aki.place(
                verifier,
                reference,
                employer=body.employer,
                position=body.position,
                placed_on=body.placed_on,
            )
        )
        return json_response(registration(record))

    @router.post(
        "/aki/applications/{reference}/removal",
        operation_id="aki_remove",
        tags=["aki"],
        summary="Take a registration of the office off the register",
        response_model=AkiRegistrationOut,
        response_description="The closed registration (status `removed`).",
        responses=officer_errors,
    )
    async def aki_remove(verifier: Officer, reference: Reference, body: AkiRemove) -> Response:
        record = await pool.run(
            lambda: svc.aki.remove(verifier, reference, reason=body.reason, note=body.note)
        )
        return json_response(registration(record))


def _download(extension: str) -> dict[str, Any]:
    return {**JSON_HEADERS, "Content-Disposition": f'inline; filename="aki.{extension}"'}
