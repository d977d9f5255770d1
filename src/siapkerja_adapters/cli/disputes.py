"""``siapkerja disputes list|overdue|show|check|decide``: the officers' side of disputes.

Disputes over a NIK and identity re-proofings (``docs/disputes.md``): list the
cases (``--status``, ``--kind``), the overdue ones (past the deadline of their
step), show one with its audit trail, record an officer's in-person check at a
Disnaker (``check``: who, where, which documents), and decide a dispute
(``decide --for-claimant`` or ``--against``, with ``--reason``). Every action
is audited with the actor ``cli:<OS user>``. ``--json`` for machines. The
claimant's contacts are shown masked; the NIK is masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import typer

from siapkerja_adapters.cli.common import (
    ConfigOption,
    JsonOption,
    aware_moment,
    fail,
    open_service,
    print_json,
)
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.contact import mask_email, mask_phone
from siapkerja_core.disputes import CaseKind, CaseRecord, CaseStatus, Evidence
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import mask_nik

__all__ = ["case_json", "disputes_app", "evidence_json"]

disputes_app: Final = typer.Typer(
    name="disputes",
    help="Sengketa NIK dan verifikasi identitas / NIK disputes and identity re-proofing.",
    no_args_is_help=True,
    add_completion=False,
)

CaseIdArgument = Annotated[str, typer.Argument(help="The case's id.")]
StatusOption = Annotated[
    CaseStatus | None, typer.Option("--status", help="Only cases with this status.")
]
KindOption = Annotated[
    CaseKind | None, typer.Option("--kind", help="Only disputes or re-proofings.")
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "kind": evidence.kind.value,
        "party": evidence.party.value,
        "at": _time(evidence.at),
        "passed": evidence.passed,
        "score": evidence.score,
        "officer_id": evidence.officer_id,
        "office": evidence.office,
        "checked_at": _time(evidence.checked_at),
        "documents": list(evidence.documents),
        "note": evidence.note,
    }


def case_json(case: CaseRecord, now: datetime) -> dict[str, Any]:
    """What an officer sees of a case: the claimant's name, masked NIK and contacts."""
    return {
        "id": case.id,
        "kind": case.kind.value,
        "status": case.status_at(now).value,
        "account_id": case.account_id,
        "nik": mask_nik(case.nik),
        "full_name": case.full_name,
        "phone": mask_phone(case.phone),
        "email": None if case.email is None else mask_email(case.email),
        "created_at": _time(case.created_at),
        "updated_at": _time(case.updated_at),
        "due_at": _time(case.due_at),
        "overdue": case.overdue(now),
        "answer": None if case.answer is None else case.answer.value,
        "answered_at": _time(case.answered_at),
        "decided_at": _time(case.decided_at),
        "decided_by": case.decided_by,
        "reason": case.reason,
        "new_account_id": case.new_account_id,
        "evidence": [evidence_json(e) for e in case.evidence],
    }


def _trail_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": record.at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "target_kind": record.target_kind,
        "target_id": record.target_id,
        "reason": record.reason,
        "details": dict(record.details),
    }


def _service(command: str, config: Any) -> Siapkerja:
    """The service, its SMS left in the durable outbox (``open_service(keep_outbox=True)``)."""
    return open_service(
        f"disputes {command}",
        config,
        memory_warning="storage = memory: kasus hilang saat perintah selesai / cases vanish"
        " when the command ends",
        keep_outbox=True,
    )


def _line(case: dict[str, Any]) -> str:
    late = " TERLAMBAT/OVERDUE" if case["overdue"] else ""
    return (
        f"{case['id']}  {case['kind']:<10}  {case['status']:<17}  "
        f"batas/due {case['due_at'] or '-'}{late}"
    )


def _print_cases(cases: list[CaseRecord], now: datetime, json_output: bool) -> None:
    items = [case_json(c, now) for c in cases]
    if json_output:
        print_json({"items": items})
        return
    if not items:
        typer.echo("tidak ada kasus / no cases")
    for item in items:
        typer.echo(_line(item))


@disputes_app.command("list")
def list_cases(
    status: StatusOption = None,
    kind: KindOption = None,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The cases, oldest first. / Daftar kasus."""
    svc = _service("list", config)
    try:
        cases = svc.disputes.cases(status=status, kind=kind, limit=limit)
    except SiapkerjaError as error:
        raise fail("disputes list", error) from None
    _print_cases(cases, svc.now(), json_output)


@disputes_app.command("overdue")
def overdue(
    limit: LimitOption = 100, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """Open cases past the deadline of their step, most overdue first. / Kasus terlambat."""
    svc = _service("overdue", config)
    try:
        cases = svc.disputes.overdue(limit=limit)
    except SiapkerjaError as error:
        raise fail("disputes overdue", error) from None
    _print_cases(cases, svc.now(), json_output)


def _show(svc: Siapkerja, case_id: str, json_output: bool, command: str) -> None:
    try:
        case = svc.disputes.get(case_id)
        trail = svc.disputes.trail(case_id)
    except SiapkerjaError as error:
        raise fail(f"disputes {command}", error) from None
    data = case_json(case, svc.now())
    data["trail"] = [_trail_json(r) for r in trail]
    if json_output:
        print_json(data)
        return
    typer.echo(_line(data))
    for name in ("account_id", "nik", "full_name", "phone", "email", "answer", "decided_by"):
        typer.echo(f"  {name:<12} {data[name] if data[name] is not None else '-'}")
    for evidence in data["evidence"]:
        verdict = "lolos/passed" if evidence["passed"] else "gagal/failed"
        typer.echo(f"  bukti/evidence {evidence['kind']} ({evidence['party']}) {verdict}")
    for record in data["trail"]:
        typer.echo(f"  {record['at']}  {record['action']:<17} {record['actor']}")


@disputes_app.command("show")
def show(
    case_id: CaseIdArgument, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """One case, its evidence and its audit trail. / Satu kasus dan jejak auditnya."""
    _show(_service("show", config), case_id, json_output, "show")


@disputes_app.command("check")
def check(
    case_id: CaseIdArgument,
    officer: Annotated[str, typer.Option("--officer", help="The officer's NIP or id.")],
    office: Annotated[str, typer.Option("--office", help="The Disnaker office.")],
    document: Annotated[
        list[str], typer.Option("--document", help="A document seen (KTP-el, KK …); repeat.")
    ],
    party: Annotated[
        str, typer.Option("--party", help="Whose identity was checked: claimant or holder.")
    ] = "claimant",
    failed: Annotated[
        bool, typer.Option("--failed", help="The check did not confirm the identity.")
    ] = False,
    checked_at: Annotated[
        str | None, typer.Option("--at", help="When it was checked (ISO 8601 with offset).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A short note.")] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Record an officer's in-person check. / Catat pemeriksaan langsung oleh petugas."""
    svc = _service("check", config)
    try:
        svc.disputes.record_check(
            case_id,
            officer_id=officer,
            office=office,
            documents=document,
            checked_at=None if checked_at is None else aware_moment(checked_at),
            party=party,
            passed=not failed,
            note=note,
            actor=cli_actor(),
        )
    except (SiapkerjaError, ValueError) as error:
        raise fail("disputes check", error) from None
    _show(svc, case_id, json_output, "check")


@disputes_app.command("decide")
def decide(
    case_id: CaseIdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit).")],
    for_claimant: Annotated[
        bool,
        typer.Option(
            "--for-claimant/--against",
            help="Move the NIK to the claimant (freeze the old account), or reject the claim.",
        ),
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Decide a dispute. / Putuskan sengketa NIK."""
    svc = _service("decide", config)
    try:
        svc.disputes.decide(case_id, upheld=for_claimant, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("disputes decide", error) from None
    _show(svc, case_id, json_output, "decide")
