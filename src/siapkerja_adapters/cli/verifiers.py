"""``siapkerja verifiers add|list|show|suspend|resume|rotate-key|retire|activity|audit``.

The administrator's command line over ``svc.verifiers``: register an
institution (its API key is printed once, in a panel or in ``--json``), list
and show them, suspend, resume, re-key and retire them, read one's activity
and the audit. This is the only way to create an administrator (``--scope
admin``): the API refuses to. Every action is recorded in the audit with the
actor ``cli:<OS user>``.

An API key is checked as an HMAC keyed by the ``secret_key`` setting: a key
made here works in ``siapkerja serve`` only when both use the same
``secret_key``: ``add`` and ``rotate-key`` refuse to print a key without one
(``config.secret_required``) unless ``--allow-ephemeral-secret`` says the key
is for this process only (and then warn).
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from siapkerja_adapters.cli.common import (
    ConfigOption,
    EphemeralSecretOption,
    JsonOption,
    fail,
    open_service,
    print_json,
    require_shared_secret,
)
from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.institutions import AuditRecord, VerifierKind
from siapkerja_core.records import AccessRecord

if TYPE_CHECKING:
    from siapkerja_core.disclosure import Verifier
    from siapkerja_core.service import Siapkerja

__all__ = ["cli_actor", "verifier_json", "verifiers_app"]

verifiers_app: Final = typer.Typer(
    name="verifiers",
    help="Instansi (verifikator) dan audit administrasi / Institutions (verifiers) and the audit.",
    no_args_is_help=True,
    add_completion=False,
)
MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai (instansinya juga); atur"
    " SIAPKERJA_STORAGE agar tersimpan.\n"
    "Warning: the 'memory' storage (and the institutions) is gone when this command ends; set"
    " SIAPKERJA_STORAGE to keep them."
)
UNSHARED_KEY_WARNING: Final = (
    "Peringatan: secret_key tidak diatur, jadi kunci API ini hanya berlaku di proses ini. Atur"
    " SIAPKERJA_SECRET_KEY yang sama di sini dan di 'siapkerja serve'.\n"
    "Warning: no secret_key is set, so this API key works in this process only. Set the same"
    " SIAPKERJA_SECRET_KEY here and for 'siapkerja serve'."
)

VerifierIdArgument = Annotated[
    str, typer.Argument(metavar="ID", show_default=False, help="The verifier's id.")
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded in the audit).", show_default=False)
]
OptionalReason = Annotated[
    str | None, typer.Option("--reason", help="Why (recorded in the audit).", show_default=False)
]
SinceOption = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        help="Only from this time on (ISO 8601, UTC when no offset is given).",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        show_default=False,
    ),
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")]


def cli_actor() -> str:
    """``cli:<OS user>`` (``cli:unknown`` where the user cannot be told)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    user = "".join(c for c in user if c.isprintable() and not c.isspace())[:100]
    return f"cli:{user or 'unknown'}"


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def verifier_json(verifier: Verifier) -> dict[str, Any]:
    """A verifier as the API writes it (no key, never)."""
    region = None if verifier.region_code is None else regions.lookup(verifier.region_code)
    return {
        "id": verifier.id,
        "name": verifier.name,
        "kind": verifier.kind.value,
        "scopes": sorted(verifier.scopes),
        "region_code": verifier.region_code,
        "region_name": None if region is None else region.name,
        "contact": verifier.contact,
        "status": verifier.status.value,
        "active": verifier.active,
        "created_at": verifier.created_at.isoformat(),
        "key_rotated_at": None
        if verifier.key_rotated_at is None
        else verifier.key_rotated_at.isoformat(),
    }


def _access_json(record: AccessRecord) -> dict[str, Any]:
    return {
        "at": record.at.isoformat(),
        "account_id": record.account_id,
        "fields": list(record.fields),
        "purpose": record.purpose,
        "channel": record.channel,
        "audience": str(record.audience),
    }


def _audit_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "target_kind": record.target_kind,
        "target_id": record.target_id,
        "reason": record.reason,
        "details": dict(record.details),
    }


def _console() -> Console:
    # Made per call so that a test runner's replaced stdout is the one written to.
    return Console(highlight=False, soft_wrap=True)


def _show(verifier: Verifier) -> None:
    data = verifier_json(verifier)
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else ("-" if value is None else value)
        table.add_row(key, escape(str(shown)))
    _console().print(table)


def _key_panel(verifier: Verifier, api_key: str, title: str) -> None:
    _console().print(
        Panel(
            f"[bold]{escape(api_key)}[/bold]\n\n"
            f"{escape(verifier.name)} ({verifier.id})\n"
            "Kunci ini hanya ditampilkan sekali; simpan di tempat aman.\n"
            "This key is shown once; keep it somewhere safe.",
            title=title,
            expand=False,
        )
    )


def _service(command: str, config: Any) -> Siapkerja:
    return open_service(f"verifiers {command}", config, memory_warning=MEMORY_WARNING)


def _warn_without_secret(svc: Siapkerja) -> None:
    if svc.settings.get("secret_key") is None:
        typer.echo(UNSHARED_KEY_WARNING, err=True)


def _done(verifier: Verifier, json_output: bool, message: str) -> None:
    if json_output:
        print_json(verifier_json(verifier))
        return
    typer.echo(f"{verifier.id}  {verifier.status.value}  {message}")


@verifiers_app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The institution's name.")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope", help="A scope (repeat for several); 'admin' makes an administrator."
        ),
    ],
    kind: Annotated[
        str, typer.Option("--kind", help="One of: " + ", ".join(VerifierKind) + ".")
    ] = VerifierKind.OTHER.value,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Kemendagri code (e.g. 3273).", show_default=False),
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="E-mail address or URL.", show_default=False)
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    allow_ephemeral_secret: EphemeralSecretOption = False,
) -> None:
    """Register an institution and print its API key, once. / Daftarkan instansi."""
    svc = _service("add", config)
    require_shared_secret(svc, "verifiers add", allowed=allow_ephemeral_secret)
    try:
        verifier, api_key = svc.verifiers.add(
            name, scope, kind=kind, region_code=region, contact=contact, actor=cli_actor()
        )
    except SiapkerjaError as error:
        raise fail("verifiers add", error) from None
    _warn_without_secret(svc)
    if json_output:
        print_json({"verifier": verifier_json(verifier), "api_key": api_key})
        return
    _key_panel(verifier, api_key, "API key / Kunci API")


@verifiers_app.command("list")
def list_verifiers(
    status: Annotated[
        str | None, typer.Option("--status", help="active, suspended, retired.")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Only this scope.")] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List the institutions, oldest first. / Daftar instansi."""
    svc = _service("list", config)
    try:
        found = svc.verifiers.list(status=status, kind=kind, scope=scope)
    except SiapkerjaError as error:
        raise fail("verifiers list", error) from None
    if json_output:
        print_json([verifier_json(v) for v in found])
        return
    if not found:
        typer.echo("Belum ada instansi. / No institutions.")
        return
    table = Table("name", "kind", "scopes", "region", "status")
    table.add_column("id", no_wrap=True, min_width=32)  # whole: it is what the commands take
    for v in found:
        table.add_row(
            escape(v.name),
            v.kind.value,
            ", ".join(sorted(v.scopes)),
            v.region_code or "-",
            v.status.value,
            v.id,
        )
    _console().print(table)


@verifiers_app.command("show")
def show(
    verifier_id: VerifierIdArgument, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """Show one institution. / Tampilkan satu instansi."""
    svc = _service("show", config)
    try:
        verifier = svc.verifiers.get(verifier_id)
    except SiapkerjaError as error:
        raise fail("verifiers show", error) from None
    if json_output:
        print_json(verifier_json(verifier))
        return
    _show(verifier)


@verifiers_app.command("suspend")
def suspend(
    verifier_id: VerifierIdArgument,
    reason: ReasonOption,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Refuse the institution's key until it is resumed. / Tangguhkan instansi."""
    svc = _service("suspend", config)
    try:
        verifier = svc.verifiers.suspend(verifier_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("verifiers suspend", error) from None
    _done(verifier, json_output, "ditangguhkan / suspended")


@verifiers_app.command("resume")
def resume(
    verifier_id: VerifierIdArgument,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Accept a suspended institution's key again. / Aktifkan kembali."""
    svc = _service("resume", config)
    try:
        verifier = svc.verifiers.resume(verifier_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("verifiers resume", error) from None
    _done(verifier, json_output, "aktif kembali / active again")


@verifiers_app.command("rotate-key")
def rotate_key(
    verifier_id: VerifierIdArgument,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    allow_ephemeral_secret: EphemeralSecretOption = False,
) -> None:
    """A new API key (printed once); the old key stops working at once. / Ganti kunci API."""
    svc = _service("rotate-key", config)
    require_shared_secret(svc, "verifiers rotate-key", allowed=allow_ephemeral_secret)
    try:
        api_key = svc.verifiers.rotate_key(verifier_id, reason=reason, actor=cli_actor())
        verifier = svc.verifiers.get(verifier_id)
    except SiapkerjaError as error:
        raise fail("verifiers rotate-key", error) from None
    _warn_without_secret(svc)
    if json_output:
        print_json({"verifier": verifier_json(verifier), "api_key": api_key})
        return
    _key_panel(verifier, api_key, "New API key / Kunci API baru")


@verifiers_app.command("retire")
def retire(
    verifier_id: VerifierIdArgument,
    reason: ReasonOption,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Retire the institution for good (its records stay). / Pensiunkan instansi."""
    svc = _service("retire", config)
    try:
        verifier = svc.verifiers.retire(verifier_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("verifiers retire", error) from None
    _done(verifier, json_output, "dipensiunkan / retired")


@verifiers_app.command("activity")
def activity(
    verifier_id: VerifierIdArgument,
    since: SinceOption = None,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Which holders' data the institution asked for, newest first. / Aktivitas instansi."""
    svc = _service("activity", config)
    try:
        records = svc.verifiers.activity(verifier_id, since=_utc(since), limit=limit)
    except SiapkerjaError as error:
        raise fail("verifiers activity", error) from None
    if json_output:
        print_json([_access_json(r) for r in records])
        return
    table = Table("at", "account", "fields", "purpose", "channel")
    for r in records:
        table.add_row(
            r.at.isoformat(timespec="seconds"),
            r.account_id,
            ", ".join(r.fields),
            escape(r.purpose or "-"),
            r.channel,
        )
    _console().print(table)


@verifiers_app.command("audit")
def audit(
    target: Annotated[str | None, typer.Option("--target", help="The target's id.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who acted (cli:<user> …).")] = None,
    since: SinceOption = None,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The audit of administrative actions, newest first. / Audit tindakan administrasi."""
    svc = _service("audit", config)
    try:
        records = svc.verifiers.audit(target=target, actor=actor, since=_utc(since), limit=limit)
    except SiapkerjaError as error:
        raise fail("verifiers audit", error) from None
    if json_output:
        print_json([_audit_json(r) for r in records])
        return
    table = Table("at", "actor", "action", "target", "reason")
    table.columns[3].overflow = "fold"
    for r in records:
        table.add_row(
            r.at.isoformat(timespec="seconds"),
            escape(r.actor),
            r.action,
            f"{r.target_kind}:{r.target_id}",
            escape(r.reason or "-"),
        )
    _console().print(table)
