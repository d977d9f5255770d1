"""The JSON API's classes and programmes (``/v1/classes/...``, ``/v1/programmes/...``).

This module owns the operations of uses 8 and 9 of the card and their wire shapes:

* **training institutions** (``X-Verifier-Key`` of a verifier with the ``blk``
  or ``skillhub`` scope) create their classes, enrol and withdraw trainees,
  schedule sessions (events of kind ``class_session``, whose gates are added
  through ``/v1/events/{id}/stations``) and read the attendance report as JSON
  or CSV (``?format=csv`` or ``Accept: text/csv``);
* **programme operators** (``X-Verifier-Key``) define programmes from their
  rules as data, schedule intakes (events of kind ``programme_intake``) and
  read who was admitted;
* **anyone** lists the public programmes and reads their rules;
* **holders** (``Authorization: Bearer``) ask whether they are eligible
  (``GET /v1/me/programmes/{id}/eligibility``) and see their classes and
  programmes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Security
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator
from pydantic_core import PydanticCustomError
from starlette.responses import Response

from siapkerja_core.classes import MAX_CAPACITY, MAX_CLASS_TEXT, InstitutionKind
from siapkerja_core.classes import AttendanceReport as CoreReport
from siapkerja_core.classes import ClassEnrolment as CoreEnrolment
from siapkerja_core.classes import TrainingClass as CoreClass
from siapkerja_core.disclosure import Verifier
from siapkerja_core.profile import EmploymentStatus
from siapkerja_core.programmes import RULES, Outcome, ProgrammeError
from siapkerja_core.programmes import Eligibility as CoreEligibility
from siapkerja_core.programmes import Programme as CoreProgramme
from siapkerja_core.programmes import ProgrammeEnrolment as CoreProgrammeEnrolment
from siapkerja_core.service import Siapkerja

from ..threads import WorkerThreads
from . import bodies as b
from .common import PUBLIC_HEADERS, VERIFIER_KEY, Holder, json_response, verifier_key
from .events import Event
from .problem_shape import problem_responses
from .routing import API_CONTEXT

__all__ = ["CSV_MEDIA_TYPE", "add_classes"]

CSV_MEDIA_TYPE: Final = "text/csv"
_MAX_ID: Final = 64
_MAX_ACCOUNT_ID: Final = b.MAX_PARAMETER_LENGTH
_MAX_DEFINITION_TEXT: Final = 500


async def _institution(
    request: Request, _key: Annotated[str | None, Security(VERIFIER_KEY)] = None
) -> Verifier:
    key = verifier_key(request)
    svc, threads = request.scope[API_CONTEXT]
    verifier: Verifier = await threads.run(svc.verifier, key)
    return verifier


Institution = Annotated[Verifier, Depends(_institution)]
ClassId = Annotated[
    b.CleanText, Path(description="The class's id.", min_length=1, max_length=_MAX_ID)
]
ProgrammeId = Annotated[
    b.CleanText, Path(description="The programme's id.", min_length=1, max_length=_MAX_ID)
]
TraineeId = Annotated[
    b.CleanText,
    Path(
        description="The trainee's SIAPkerja-ID number or account id.",
        min_length=1,
        max_length=_MAX_ACCOUNT_ID,
    ),
]

# --------------------------------------------------------------------------
# Wire shapes
# --------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


Kind = Literal["UPTP", "UPTD", "BLKK", "LPKS"]
Text = Annotated[str, Field(min_length=1, max_length=MAX_CLASS_TEXT)]


class CreateClass(_Body):
    id: Annotated[str, Field(min_length=1, max_length=_MAX_ID)] = Field(
        description="The class's id, the institution's choice: 1-64 letters, digits,"
        " `.`, `_`, `-`.",
        examples=["BLK-BDG-LAS-2027-01"],
    )
    name: Text = Field(examples=["Teknik Las SMAW, angkatan I"])
    institution_kind: Kind = Field(
        description="BLK UPTP (Kemnaker), BLK UPTD (a province or regency), BLK Komunitas"
        " (BLKK) or LPK Swasta (LPKS)."
    )
    vocation: Text = Field(description="The vocation taught (kejuruan).", examples=["Las"])
    kbji_code: Annotated[str, Field(max_length=12)] | None = Field(
        default=None, description="The KBJI 2014 occupation code.", examples=["7212"]
    )
    starts_on: Annotated[date, Field(strict=False)] = Field(examples=["2027-01-04"])
    ends_on: Annotated[date, Field(strict=False)] = Field(examples=["2027-02-26"])
    min_attendance: Annotated[int, Field(ge=0, le=100, strict=False)] = Field(
        default=80, description="The percentage of held sessions a trainee must attend."
    )
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY, strict=False)] = 20


class TrainingClass(_Out):
    id: str
    name: str
    institution_id: str
    institution_kind: Kind
    vocation: str
    kbji_code: str | None
    starts_on: date
    ends_on: date
    min_attendance: int
    capacity: int
    created_at: datetime

    @classmethod
    def from_core(cls, klass: CoreClass) -> TrainingClass:
        return cls(
            id=klass.id,
            name=klass.name,
            institution_id=klass.institution_id,
            institution_kind=klass.institution_kind.value,
            vocation=klass.vocation,
            kbji_code=klass.kbji_code,
            starts_on=klass.starts_on,
            ends_on=klass.ends_on,
            min_attendance=klass.min_attendance,
            capacity=klass.capacity,
            created_at=klass.created_at,
        )


class ClassList(_Out):
    items: list[TrainingClass]


class Enrol(_Body):
    trainee: Annotated[str, Field(min_length=1, max_length=_MAX_ACCOUNT_ID)] = Field(
        description="The trainee's SIAPkerja-ID number (or account id), as the institution"
        " learned it when the holder shared the card with it: the holder must have given the"
        " institution a consent.",
        examples=["SK-PFH7-GG1X-00Y"],
    )


class Enrolment(_Out):
    class_id: str
    account_id: str
    enrolled_at: datetime
    withdrawn_at: datetime | None
    active: bool

    @classmethod
    def from_core(cls, enrolment: CoreEnrolment) -> Enrolment:
        return cls(
            class_id=enrolment.class_id,
            account_id=enrolment.account_id,
            enrolled_at=enrolment.enrolled_at,
            withdrawn_at=enrolment.withdrawn_at,
            active=enrolment.active,
        )


class EnrolmentList(_Out):
    items: list[Enrolment]


class CreateSession(_Body):
    id: Annotated[str, Field(min_length=1, max_length=_MAX_ID)] = Field(
        description="The session's event id: what trainees make their access codes for.",
        examples=["BLK-BDG-LAS-2027-01-S01"],
    )
    opens_at: Annotated[AwareDatetime, Field(strict=False)]
    closes_at: Annotated[AwareDatetime, Field(strict=False)]
    venue: Text = Field(examples=["Bengkel Las 2"])
    name: Text | None = None
    region_code: Annotated[str, Field(max_length=13)] | None = Field(
        default=None, description="Kemendagri region code: sets WIB, WITA or WIT.", examples=["32"]
    )


class SessionList(_Out):
    items: list[Event]


class AttendanceRow(_Out):
    class_id: str
    class_name: str
    account_id: str
    full_name: str
    siapkerja_id: str | None
    attended: int
    held: int
    percent: float | None
    min_attendance: int
    meets_minimum: bool | None = Field(description="Null while no session was held.")
    active: bool


class AttendanceSummary(_Out):
    class_id: str
    name: str
    min_attendance: int
    sessions_held: int
    trainees: int
    attended: int
    possible: int
    percent: float | None
    meeting_minimum: int


class Attendance(_Out):
    """Attendance per trainee (``trainees``) and for the class (``summary``)."""

    training_class: TrainingClass
    sessions: list[str]
    summary: AttendanceSummary
    trainees: list[AttendanceRow]

    @classmethod
    def from_core(cls, report: CoreReport) -> Attendance:
        data = report.as_dict()
        return cls(
            training_class=TrainingClass.from_core(report.training_class),
            sessions=data["sessions"],
            summary=AttendanceSummary(**data["summary"]),
            trainees=[AttendanceRow(**row) for row in data["trainees"]],
        )


# Programmes: a definition is the core's to check (it names where and why), so the body
# is an open object documented by these models.


class RequirementDoc(_Out):
    """One requirement: ``rule`` and the members that rule takes."""

    rule: Literal[RULES]  # type: ignore[valid-type]
    min: Annotated[int, Field(ge=0, le=150, strict=False)] | None = None
    max: Annotated[int, Field(ge=0, le=150, strict=False)] | None = None
    statuses: list[EmploymentStatus] | None = None
    codes: list[Annotated[str, Field(pattern=r"^\d{2,10}$")]] | None = None
    address: Literal["domicile", "ktp", "either"] | None = None
    groups: list[Annotated[str, Field(max_length=64)]] | None = None
    key: Annotated[str, Field(max_length=64)] | None = None
    text_id: Annotated[str, Field(max_length=_MAX_DEFINITION_TEXT)] | None = None
    text_en: Annotated[str, Field(max_length=_MAX_DEFINITION_TEXT)] | None = None


class ProgrammeDefinition(_Out):
    """A programme's definition (``docs/uses/programmes.md``)."""

    id: Annotated[str, Field(max_length=64, examples=["prakerja"])]
    name: Annotated[str, Field(max_length=_MAX_DEFINITION_TEXT, examples=["Kartu Prakerja"])]
    description: Annotated[str, Field(max_length=_MAX_DEFINITION_TEXT)] = ""
    source: Annotated[str, Field(max_length=_MAX_DEFINITION_TEXT)] = ""
    public: bool = True
    exclusion_group: Annotated[str, Field(max_length=64)] | None = None
    requirements: Annotated[list[RequirementDoc], Field(max_length=50)]


def _definition(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
    return value


DefinitionBody = Annotated[
    dict[str, Any], PlainValidator(_definition, json_schema_input_type=ProgrammeDefinition)
]


class Programme(_Out):
    id: str
    name: str
    description: str
    source: str
    public: bool
    exclusion_group: str | None
    owner_id: str | None
    requirements: list[dict[str, Any]]

    @classmethod
    def from_core(cls, programme: CoreProgramme) -> Programme:
        data = programme.as_data()
        return cls(
            id=programme.id,
            name=programme.name,
            description=programme.description,
            source=programme.source,
            public=programme.public,
            exclusion_group=programme.exclusion_group,
            owner_id=programme.owner_id,
            requirements=data["requirements"],
        )


class ProgrammeList(_Out):
    items: list[Programme]


class RequirementResult(_Out):
    rule: str = Field(description="The requirement's kind, or a manual requirement's key.")
    outcome: Literal[tuple(o.value for o in Outcome)]  # type: ignore[valid-type]
    reason_id: str
    reason_en: str


class Eligibility(_Out):
    programme_id: str
    eligible: bool = Field(
        description="True when no requirement is `not_met` (`to_verify` ones are the"
        " programme's to check in its own records)."
    )
    evaluated_on: date
    results: list[RequirementResult]

    @classmethod
    def from_core(cls, eligibility: CoreEligibility) -> Eligibility:
        return cls(
            programme_id=eligibility.programme_id,
            eligible=eligibility.eligible,
            evaluated_on=eligibility.evaluated_on,
            results=[RequirementResult(**r.as_dict()) for r in eligibility.results],
        )


class ProgrammeEnrolment(_Out):
    programme_id: str
    account_id: str
    enrolled_at: datetime
    exclusion_group: str | None
    event_id: str | None

    @classmethod
    def from_core(cls, enrolment: CoreProgrammeEnrolment) -> ProgrammeEnrolment:
        return cls(
            programme_id=enrolment.programme_id,
            account_id=enrolment.account_id,
            enrolled_at=enrolment.enrolled_at,
            exclusion_group=enrolment.exclusion_group,
            event_id=enrolment.event_id,
        )


class ProgrammeEnrolmentList(_Out):
    items: list[ProgrammeEnrolment]


class CreateIntake(CreateSession):
    capacity: Annotated[int, Field(ge=1, le=10_000_000, strict=False)] | None = None


def _wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return CSV_MEDIA_TYPE in accept and "application/json" not in accept


def add_classes(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the operations of classes and programmes to ``router``."""
    institution_errors = problem_responses(401, 403, 404, 405, 413, 422, 500)

    # --- classes ------------------------------------------------------------------------------

    @router.post(
        "/classes",
        operation_id="create_class",
        tags=["classes"],
        summary="Create a class (the institution is the calling verifier)",
        status_code=201,
        response_model=TrainingClass,
        response_description="The class.",
        responses=problem_responses(401, 403, 405, 409, 413, 422, 500),
    )
    async def create_class(institution: Institution, body: CreateClass) -> Response:
        klass = await pool.run(
            lambda: svc.classes.create(
                institution,
                id=body.id,
                name=body.name,
                institution_kind=InstitutionKind(body.institution_kind),
                vocation=body.vocation,
                kbji_code=body.kbji_code,
                starts_on=body.starts_on,
                ends_on=body.ends_on,
                min_attendance=body.min_attendance,
                capacity=body.capacity,
            )
        )
        return json_response(TrainingClass.from_core(klass), 201)

    @router.get(
        "/classes",
        operation_id="list_classes",
        tags=["classes"],
        summary="The calling institution's classes",
        response_model=ClassList,
        response_description="The classes, by start date.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def list_classes(institution: Institution) -> Response:
        found = await pool.run(svc.classes.all, institution)
        return json_response(ClassList(items=[TrainingClass.from_core(c) for c in found]))

    @router.get(
        "/classes/{class_id}",
        operation_id="get_class",
        tags=["classes"],
        summary="One of the institution's classes",
        response_model=TrainingClass,
        response_description="The class.",
        responses=institution_errors,
    )
    async def get_class(institution: Institution, class_id: ClassId) -> Response:
        return json_response(
            TrainingClass.from_core(await pool.run(svc.classes.get, institution, class_id))
        )

    @router.post(
        "/classes/{class_id}/enrolments",
        operation_id="enrol_trainee",
        tags=["classes"],
        summary="Enrol a trainee who shared their card with the institution",
        status_code=201,
        response_model=Enrolment,
        response_description="The enrolment.",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def enrol_trainee(institution: Institution, class_id: ClassId, body: Enrol) -> Response:
        enrolment = await pool.run(svc.classes.enrol, institution, class_id, body.trainee)
        return json_response(Enrolment.from_core(enrolment), 201)

    @router.get(
        "/classes/{class_id}/enrolments",
        operation_id="class_enrolments",
        tags=["classes"],
        summary="The class's trainees, withdrawn ones too",
        response_model=EnrolmentList,
        response_description="The enrolments, oldest first.",
        responses=institution_errors,
    )
    async def class_enrolments(institution: Institution, class_id: ClassId) -> Response:
        found = await pool.run(svc.classes.enrolments, institution, class_id)
        return json_response(EnrolmentList(items=[Enrolment.from_core(e) for e in found]))

    @router.delete(
        "/classes/{class_id}/enrolments/{trainee}",
        operation_id="withdraw_trainee",
        tags=["classes"],
        summary="Withdraw a trainee (the record and their attendance stay)",
        response_model=Enrolment,
        response_description="The withdrawn enrolment.",
        responses=institution_errors,
    )
    async def withdraw_trainee(
        institution: Institution, class_id: ClassId, trainee: TraineeId
    ) -> Response:
        enrolment = await pool.run(svc.classes.withdraw, institution, class_id, trainee)
        return json_response(Enrolment.from_core(enrolment))

    @router.post(
        "/classes/{class_id}/sessions",
        operation_id="add_class_session",
        tags=["classes"],
        summary="Schedule a session: an event of kind class_session (add its gates under"
        " /v1/events/{id}/stations)",
        status_code=201,
        response_model=Event,
        response_description="The session's event.",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def add_class_session(
        institution: Institution, class_id: ClassId, body: CreateSession
    ) -> Response:
        event = await pool.run(
            lambda: svc.classes.add_session(
                institution,
                class_id,
                id=body.id,
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                venue=body.venue,
                name=body.name,
                region_code=body.region_code,
            )
        )
        return json_response(Event.from_core(event), 201)

    @router.get(
        "/classes/{class_id}/sessions",
        operation_id="class_sessions",
        tags=["classes"],
        summary="The class's sessions, held or to come",
        response_model=SessionList,
        response_description="The sessions, by opening time.",
        responses=institution_errors,
    )
    async def class_sessions(institution: Institution, class_id: ClassId) -> Response:
        found = await pool.run(svc.classes.sessions, institution, class_id)
        return json_response(SessionList(items=[Event.from_core(e) for e in found]))

    @router.get(
        "/classes/{class_id}/attendance",
        operation_id="class_attendance",
        tags=["classes"],
        summary="Attendance per trainee and for the class, as JSON or CSV",
        response_model=Attendance,
        response_description="The report over the sessions opened by now.",
        responses={
            200: {
                "content": {
                    CSV_MEDIA_TYPE: {
                        "schema": {"type": "string"},
                        "example": "class_id,class_name,account_id,full_name,siapkerja_id,"
                        "attended,held,percent,min_attendance,meets_minimum,active\r\n",
                    }
                },
            },
            **institution_errors,
        },
    )
    async def class_attendance(
        request: Request,
        institution: Institution,
        class_id: ClassId,
        format: Annotated[
            Literal["json", "csv"] | None,
            Query(description="`csv` for a spreadsheet (also with `Accept: text/csv`)."),
        ] = None,
    ) -> Response:
        report = await pool.run(svc.classes.report, institution, class_id)
        if _wants_csv(request, format):
            # The stored id (letters, digits, ".", "_", "-" only): safe in a header.
            filename = f"attendance-{report.training_class.id}.csv"
            return Response(
                report.report_csv().encode("utf-8"),
                media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
                headers={
                    "Cache-Control": "no-store",
                    "Content-Disposition": f'attachment; filename="{filename}"',
                },
            )
        return json_response(Attendance.from_core(report))

    # --- programmes ---------------------------------------------------------------------------

    @router.get(
        "/programmes",
        operation_id="list_programmes",
        tags=["programmes"],
        summary="The public programmes and their requirements",
        response_model=ProgrammeList,
        response_description="The programmes, by id.",
        responses=problem_responses(405, 413, 500),
    )
    async def list_programmes() -> Response:
        found = await pool.run(svc.programmes.all)
        return json_response(
            ProgrammeList(items=[Programme.from_core(p) for p in found]), headers=PUBLIC_HEADERS
        )

    @router.get(
        "/programmes/{programme_id}",
        operation_id="get_programme",
        tags=["programmes"],
        summary="A programme's requirements",
        response_model=Programme,
        response_description="The programme.",
        responses=problem_responses(404, 405, 413, 500),
    )
    async def get_programme(programme_id: ProgrammeId) -> Response:
        programme = await pool.run(svc.programmes.get, programme_id)
        if not programme.public:  # listed nowhere: not shown to whoever guesses its id
            raise ProgrammeError("not_found", programme_id=programme.id)
        return json_response(Programme.from_core(programme))

    @router.post(
        "/programmes",
        operation_id="define_programme",
        tags=["programmes"],
        summary="Define or redefine a programme from its rules as data (the caller owns it)",
        response_model=Programme,
        response_description="The programme as stored.",
        responses=problem_responses(401, 403, 405, 409, 413, 422, 500),
    )
    async def define_programme(
        institution: Institution, definition: Annotated[DefinitionBody, Body()]
    ) -> Response:
        programme = await pool.run(lambda: svc.programmes.define(definition, owner=institution))
        return json_response(Programme.from_core(programme))

    @router.post(
        "/programmes/{programme_id}/intakes",
        operation_id="add_programme_intake",
        tags=["programmes"],
        summary="Schedule an intake: an event of kind programme_intake whose gates admit"
        " eligible holders and enrol them",
        status_code=201,
        response_model=Event,
        response_description="The intake's event.",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 422, 500),
    )
    async def add_programme_intake(
        institution: Institution, programme_id: ProgrammeId, body: CreateIntake
    ) -> Response:
        event = await pool.run(
            lambda: svc.programmes.add_intake(
                institution,
                programme_id,
                id=body.id,
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                venue=body.venue,
                name=body.name,
                region_code=body.region_code,
                capacity=body.capacity,
            )
        )
        return json_response(Event.from_core(event), 201)

    @router.get(
        "/programmes/{programme_id}/enrolments",
        operation_id="programme_enrolments",
        tags=["programmes"],
        summary="Who was admitted to the caller's programme",
        response_model=ProgrammeEnrolmentList,
        response_description="The enrolments, oldest first.",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 500),
    )
    async def programme_enrolments(institution: Institution, programme_id: ProgrammeId) -> Response:
        found = await pool.run(svc.programmes.enrolments, institution, programme_id)
        return json_response(
            ProgrammeEnrolmentList(items=[ProgrammeEnrolment.from_core(e) for e in found])
        )

    # --- the holder ---------------------------------------------------------------------------

    @router.get(
        "/me/programmes/{programme_id}/eligibility",
        operation_id="my_programme_eligibility",
        tags=["programmes"],
        summary="Am I eligible? Every requirement of the programme, met or not and why",
        response_model=Eligibility,
        response_description="The answer, each requirement with its reason in both languages.",
        responses=problem_responses(401, 404, 405, 413, 500),
    )
    async def my_programme_eligibility(account: Holder, programme_id: ProgrammeId) -> Response:
        eligibility = await pool.run(svc.programmes.check, programme_id, account.id)
        return json_response(Eligibility.from_core(eligibility))

    @router.get(
        "/me/programmes",
        operation_id="my_programmes",
        tags=["programmes"],
        summary="The programmes the holder was admitted to",
        response_model=ProgrammeEnrolmentList,
        response_description="The enrolments, oldest first.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def my_programmes(account: Holder) -> Response:
        found = await pool.run(svc.programmes.enrolments_of, account.id)
        return json_response(
            ProgrammeEnrolmentList(items=[ProgrammeEnrolment.from_core(e) for e in found])
        )

    @router.get(
        "/me/classes",
        operation_id="my_classes",
        tags=["classes"],
        summary="The classes the holder is enrolled in",
        response_model=ClassList,
        response_description="The classes.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def my_classes(account: Holder) -> Response:
        found = await pool.run(svc.classes.classes_of, account.id)
        return json_response(ClassList(items=[TrainingClass.from_core(c) for c in found]))
