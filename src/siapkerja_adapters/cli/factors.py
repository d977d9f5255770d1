"""``siapkerja factors list|reset``: an officer's view of a holder's factors, and their removal.

``reset ACCOUNT --reason ...`` removes every authenticator app, passkey and
recovery-code set of the account after an officer checked the holder in person
(a KTP at a Disnaker office): the holder then signs in with the password alone
and enrols again. The account is named by its NIK, e-mail, phone or id. Each
reset is an audit line (actor ``cli:<OS user>``, the reason) in the same
transaction; ``factor.removed`` goes to the holder's notices. ``--json`` for
machines. Nothing secret is printed: kinds, labels and dates.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import typer

from siapkerja_adapters.cli.common import ConfigOption, JsonOption, fail, open_service, print_json
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.factors import FactorError, FactorSummary

__all__ = ["factors_app", "summary_json"]

factors_app: Final = typer.Typer(
    name="factors",
    help="Faktor keamanan pemegang akun / A holder's second factors.",
    no_args_is_help=True,
    add_completion=False,
)

AccountArgument = Annotated[
    str,
    typer.Argument(
        metavar="ACCOUNT", show_default=False, help="NIK, e-mail, phone number or account id."
    ),
]


def summary_json(summary: FactorSummary) -> dict[str, Any]:
    """One factor as the commands print it (no secret, hash or key)."""
    return {
        "id": summary.id,
        "kind": summary.kind,
        "label": summary.label,
        "created_at": summary.created_at.isoformat(),
        "last_used_at": None if summary.last_used_at is None else summary.last_used_at.isoformat(),
        "remaining": summary.remaining,
    }


def _account(svc: Any, command: str, account: str) -> str:
    account_id: str | None = svc.factors.account_id_for(account)
    if account_id is None:
        raise fail(command, FactorError("not_found"))
    return account_id


@factors_app.command("list")
def factors_list(
    account: AccountArgument, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """The account's factors: kind, label, when added and last used.

    / Faktor keamanan akun: jenis, nama, kapan ditambahkan dan terakhir dipakai.
    """
    svc = open_service("factors list", config, memory_warning=None)
    account_id = _account(svc, "factors list", account)
    found = [summary_json(s) for s in svc.factors.list(account_id)]
    if json_output:
        print_json({"account_id": account_id, "factors": found})
        return
    if not found:
        typer.echo("tidak ada faktor / no factors")
    for item in found:
        used = item["last_used_at"] or "-"
        typer.echo(f"{item['kind']:<15} {item['label']:<24} {item['created_at']}  {used}")


@factors_app.command("reset")
def factors_reset(
    account: AccountArgument,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            show_default=False,
            help="Why: the in-person check made (kept in the audit).",
        ),
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Remove every factor of the account after an in-person check (audited).

    / Hapus semua faktor keamanan akun setelah pemeriksaan tatap muka (tercatat di audit).
    """
    svc = open_service(
        "factors reset",
        config,
        memory_warning="memory storage: nothing to reset / tidak ada",
        keep_outbox=True,  # the holder's notice goes with the server or worker
    )
    if not reason.strip():
        typer.echo("siapkerja factors reset: --reason wajib / is required", err=True)
        raise typer.Exit(2)
    account_id = _account(svc, "factors reset", account)
    try:
        removed = svc.factors.reset(account_id, actor=cli_actor(), reason=reason.strip())
    except SiapkerjaError as error:
        raise fail("factors reset", error) from None
    if json_output:
        payload = {"account_id": account_id, "removed": [summary_json(s) for s in removed]}
        print_json(payload)
        return
    typer.echo(f"dihapus / removed: {len(removed)} ({account_id})")
    for item in removed:
        typer.echo(f"  {item.kind:<15} {item.label}")
