"""``siapkerja rights list|complete|purge|breach-notice``: the officer's side of the holder's
rights (UU 27/2022).

``list`` shows the open requests, the earliest deadline (3×24 hours after
receipt) first, the overdue flagged (``--overdue``: only those); ``complete``
records that an officer answered one (audited as ``cli:<OS user>``);
``purge`` deletes what erasures kept once their hold ended (``siapkerja
worker`` runs it too); ``breach-notice`` assembles the notice of Pasal 46 for
a window of time (``--notify``: and queue an SMS to each holder it names).
``--json`` prints one JSON object for machines.
"""

from __future__ import annotations

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
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.rights import RightsRequest

__all__ = ["request_json", "rights_app"]

rights_app: Final = typer.Typer(
    name="rights",
    help="Hak pemilik data (UU 27/2022) / The holder's rights requests.",
    no_args_is_help=True,
    add_completion=False,
)


def request_json(request: RightsRequest, now: Any) -> dict[str, Any]:
    """A request as ``list --json`` prints it (the holder's words included: officers only)."""
    return {
        "id": request.id,
        "receipt": request.receipt,
        "account_id": request.account_id,
        "kind": request.kind.value,
        "status": request.status.value,
        "received_at": request.received_at.isoformat(),
        "due_at": request.due_at.isoformat(),
        "overdue": request.overdue(now),
        "completed_at": None if request.completed_at is None else request.completed_at.isoformat(),
        "handled_by": request.handled_by,
        "note": request.note,
    }


@rights_app.command("list")
def rights_list(
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those past their deadline.")
    ] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Open requests, the earliest deadline first; the overdue flagged.

    / Permintaan yang belum selesai, tenggat terdekat dahulu; yang lewat tenggat ditandai.
    """
    svc = open_service("rights list", config, memory_warning=None)
    try:
        found = svc.rights.open_requests(overdue_only=overdue)
    except SiapkerjaError as error:
        raise fail("rights list", error) from None
    now = svc.now()
    items = [request_json(r, now) for r in found]
    if json_output:
        print_json({"items": items, "overdue": sum(i["overdue"] for i in items)})
        return
    if not items:
        typer.echo("Tidak ada permintaan terbuka. / No open requests.")
        return
    for item in items:
        flag = "TERLAMBAT/OVERDUE " if item["overdue"] else ""
        typer.echo(
            f"{flag}{item['receipt']}  {item['kind']:<16} tenggat/due {item['due_at']}"
            f"  id {item['id']}"
        )


@rights_app.command("complete")
def rights_complete(
    request_id: Annotated[str, typer.Argument(metavar="ID", help="The request's id.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="What was done (recorded in the audit).")
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Record that an officer answered an open request. / Catat permintaan telah dijawab."""
    svc = open_service("rights complete", config, memory_warning=None, keep_outbox=True)
    try:
        done = svc.rights.complete(request_id, actor=cli_actor(), reason=reason)
    except SiapkerjaError as error:
        raise fail("rights complete", error) from None
    if json_output:
        print_json(request_json(done, svc.now()))
    else:
        typer.echo(f"{done.receipt}: selesai / completed ({done.handled_by})")


@rights_app.command("purge")
def rights_purge(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """Delete what erasures kept, once their hold ended (rows per table).

    / Hapus data yang disimpan sementara setelah penghapusan akun, bila masa simpannya habis.
    """
    svc = open_service("rights purge", config, memory_warning=None, keep_outbox=True)
    try:
        totals = svc.rights.purge()
    except SiapkerjaError as error:
        raise fail("rights purge", error) from None
    if json_output:
        print_json(totals)
    else:
        typer.echo(
            f"{totals['accounts']} akun dibersihkan / accounts purged: "
            + ", ".join(f"{k} {v}" for k, v in totals.items() if k != "accounts")
        )


@rights_app.command("breach-notice")
def rights_breach_notice(
    since: Annotated[
        str, typer.Option("--since", help="Start (ISO 8601 with its offset).", show_default=False)
    ],
    until: Annotated[
        str, typer.Option("--until", help="End (ISO 8601 with its offset).", show_default=False)
    ],
    description: Annotated[
        str, typer.Option("--description", help="What happened.")
    ] = "Akses tidak sah ke data pribadi. / Unauthorised access to personal data.",
    actions: Annotated[
        str, typer.Option("--actions", help="What was done to handle it and recover.")
    ] = "Sedang ditangani. / Being handled.",
    verifier: Annotated[
        list[str] | None,
        typer.Option("--verifier", help="Only this institution's disclosures (repeatable)."),
    ] = None,
    notify: Annotated[
        bool, typer.Option("--notify", help="Queue an SMS to every holder named (outbox).")
    ] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The breach notice of UU 27/2022 Pasal 46: which data, when, which holders, what was done.

    / Pemberitahuan kegagalan pelindungan data pribadi (Pasal 46).
    """
    start, end = aware_moment(since), aware_moment(until)
    svc = open_service("rights breach-notice", config, memory_warning=None, keep_outbox=True)
    try:
        notice = svc.rights.breach_notice(
            start, end, description=description, actions=actions, verifier_ids=verifier
        )
        queued = svc.rights.notify_breach(notice, actor=cli_actor()) if notify else 0
    except SiapkerjaError as error:
        raise fail("rights breach-notice", error) from None
    if json_output:
        print_json({**notice.as_json(), "notified": queued})
    else:
        typer.echo(notice.text_id)
        typer.echo(notice.text_en)
