"""``siapkerja clients add|list|show|update|suspend|resume|rotate-secret|remove``.

The administrator's command line over the single sign-on clients of
``svc.sso`` ("Masuk dengan SIAPkerja"): register a relying party for a hub
(an existing verifier, ``--verifier``, or a new one made in the same
transaction, ``--name`` and ``--scope``), list and show them, change what
they may ask and where they may send the holder back, suspend, resume,
re-secret and remove them. A client's secret is printed once, by ``add``
and ``rotate-secret`` (a ``private_key_jwt`` client has none: it signs with
its own key, whose public half ``--jwks`` registers). Every action is
recorded in the audit with the actor ``cli:<OS user>``
(``siapkerja verifiers audit --target <client id>`` reads it).

A client secret is checked as an HMAC keyed by the ``secret_key`` setting,
as an API key is: ``add`` and ``rotate-secret`` refuse to print one without
``SIAPKERJA_SECRET_KEY`` (``config.secret_required``) unless
``--allow-ephemeral-secret`` says it is for this process only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from siapkerja_adapters.cli.common import (
    CommandError,
    ConfigOption,
    EphemeralSecretOption,
    JsonOption,
    fail,
    open_service,
    print_json,
    require_shared_secret,
)
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.institutions import VerifierKind, VerifierStatus
from siapkerja_core.sso import DEFAULT_RATE_LIMIT, AuthMethod, IdTokenAlg, SsoClient, SsoError

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["client_json", "clients_app"]

clients_app: Final = typer.Typer(
    name="clients",
    help="Klien 'Masuk dengan SIAPkerja' (OpenID Connect) / Single sign-on clients.",
    no_args_is_help=True,
    add_completion=False,
)
MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai (kliennya juga); atur"
    " SIAPKERJA_STORAGE agar tersimpan.\n"
    "Warning: the 'memory' storage (and the clients) is gone when this command ends; set"
    " SIAPKERJA_STORAGE to keep them."
)
UNSHARED_WARNING: Final = (
    "Peringatan: secret_key tidak diatur, jadi rahasia klien ini hanya berlaku di proses ini."
    " Atur SIAPKERJA_SECRET_KEY yang sama di sini dan di 'siapkerja serve'.\n"
    "Warning: no secret_key is set, so this client secret works in this process only. Set the"
    " same SIAPKERJA_SECRET_KEY here and for 'siapkerja serve'."
)

ClientIdArgument = Annotated[
    str, typer.Argument(metavar="ID", show_default=False, help="The client's id (client_id).")
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded in the audit).", show_default=False)
]
OptionalReason = Annotated[
    str | None, typer.Option("--reason", help="Why (recorded in the audit).", show_default=False)
]
RedirectUris = Annotated[
    list[str] | None,
    typer.Option(
        "--redirect-uri",
        metavar="URI",
        help="Where the holder is sent back, matched exactly (repeat for several).",
        show_default=False,
    ),
]
LogoutUris = Annotated[
    list[str] | None,
    typer.Option(
        "--post-logout-redirect-uri",
        metavar="URI",
        help="Where the holder may be sent after signing out (repeat for several).",
        show_default=False,
    ),
]
FieldsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        metavar="FIELD",
        help="A disclosure field it may ask for (repeat; default: every field of the hub's"
        " scopes).",
        show_default=False,
    ),
]
EssentialOption = Annotated[
    list[str] | None,
    typer.Option(
        "--essential",
        metavar="FIELD",
        help="A field the holder cannot untick (repeat; one of the fields).",
        show_default=False,
    ),
]
_SIGNED_WITH_HELP: Final = (
    "What its ID tokens are signed with: EdDSA, or ES256 for libraries without EdDSA."
)
IdTokenAlgOption = Annotated[IdTokenAlg, typer.Option("--id-token-alg", help=_SIGNED_WITH_HELP)]
JwksOption = Annotated[
    Path | None,
    typer.Option(
        "--jwks",
        help="A JWK Set (JSON) of the client's public keys: required for private_key_jwt.",
        show_default=False,
        dir_okay=False,
    ),
]
_NOTHING_TO_UPDATE: Final = (
    "tidak ada yang diubah: berikan minimal satu opsi / nothing to change: give at least one option"
)


def client_json(client: SsoClient) -> dict[str, Any]:
    """A client as the CLI prints it (as the admin API answers it: never a secret)."""
    return {
        "id": client.id,
        "verifier_id": client.verifier_id,
        "name": client.name,
        "purpose": client.purpose,
        "purpose_label": client.purpose_label,
        "fields": sorted(client.fields),
        "essential": sorted(client.essential),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "auth_method": client.auth_method.value,
        "jwks": None if client.jwks is None else json.loads(client.jwks_json() or "null"),
        "id_token_alg": client.id_token_alg.value,
        "high_assurance": client.high_assurance,
        "step_up": client.step_up,
        "rate_limit": client.rate_limit,
        "status": client.status.value,
        "active": client.active,
        "created_at": client.created_at.isoformat(),
        "secret_rotated_at": None
        if client.secret_rotated_at is None
        else client.secret_rotated_at.isoformat(),
    }


def _console() -> Console:
    # Made per call so that a test runner's replaced stdout is the one written to.
    return Console(highlight=False, soft_wrap=True)


def _show(client: SsoClient) -> None:
    data = client_json(client)
    data["jwks"] = (
        None
        if client.jwks is None
        else ", ".join(str(k.get("kid") or k.get("kty")) for k in client.jwks["keys"])
    )
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) or None
        table.add_row(key, escape(str("-" if value is None else value)))
    _console().print(table)


def _secret_panel(client: SsoClient, secret: str | None, title: str) -> None:
    if secret is None:
        body = (
            f"client_id:\n[bold]{escape(client.id)}[/bold]\n\n"
            f"{escape(client.name)} ({client.auth_method.value})\n"
            "Tanpa rahasia: klien ini masuk dengan kunci privatnya sendiri (private_key_jwt).\n"
            "No secret: this client signs in with its own private key (private_key_jwt)."
        )
    else:
        body = (
            f"client_id:\n[bold]{escape(client.id)}[/bold]\n"
            f"client_secret:\n[bold]{escape(secret)}[/bold]\n\n"
            f"{escape(client.name)} ({client.auth_method.value})\n"
            "Rahasia ini hanya ditampilkan sekali; simpan di tempat aman.\n"
            "This secret is shown once; keep it somewhere safe."
        )
    _console().print(Panel(body, title=title, expand=False))


def _service(command: str, config: Any) -> Siapkerja:
    return open_service(f"clients {command}", config, memory_warning=MEMORY_WARNING)


def _warn_without_secret(svc: Siapkerja) -> None:
    if svc.settings.get("secret_key") is None:
        typer.echo(UNSHARED_WARNING, err=True)


def _done(client: SsoClient, json_output: bool, message: str) -> None:
    if json_output:
        print_json(client_json(client))
        return
    typer.echo(f"{client.id}  {client.status.value}  {message}")


def _read_jwks(command: str, path: Path | None) -> dict[str, Any] | None:
    """The JWK Set in ``path``: a file that cannot be read or is no JSON object is
    ``sso.invalid_jwks`` (exit 1), as a set without public keys is."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise fail(command, SsoError("invalid_jwks")) from None
    if not isinstance(data, dict):
        raise fail(command, SsoError("invalid_jwks"))
    return data


@clients_app.command("add")
def add(
    redirect_uri: RedirectUris = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose",
            help="What the holder consents to (required), e.g. 'lamaran-kerja'.",
            show_default=False,
        ),
    ] = None,
    verifier: Annotated[
        str | None,
        typer.Option("--verifier", help="The hub: an active verifier's id.", show_default=False),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Or a new hub's name (with --scope): registered too.", show_default=False
        ),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="The new hub's scope (repeat for several).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="The new hub's kind: " + ", ".join(VerifierKind) + ".")
    ] = VerifierKind.JOB_PORTAL.value,
    post_logout_redirect_uri: LogoutUris = None,
    field: FieldsOption = None,
    essential: EssentialOption = None,
    auth_method: Annotated[
        AuthMethod,
        typer.Option("--auth-method", help="How it authenticates at the token endpoint."),
    ] = AuthMethod.CLIENT_SECRET_BASIC,
    jwks: JwksOption = None,
    id_token_alg: IdTokenAlgOption = IdTokenAlg.EDDSA,
    high_assurance: Annotated[
        bool,
        typer.Option("--high-assurance", help="PAR and private_key_jwt required (FAPI 2.0 style)."),
    ] = False,
    step_up: Annotated[
        bool, typer.Option("--step-up", help="Every sign-in needs a fresh SMS code.")
    ] = False,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", help="Back-channel calls per minute.")
    ] = DEFAULT_RATE_LIMIT,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    allow_ephemeral_secret: EphemeralSecretOption = False,
) -> None:
    """Register a client; prints its id and its secret, once. / Daftarkan klien SSO."""
    if not redirect_uri:
        raise typer.BadParameter(
            "wajib, minimal satu / required, at least one", param_hint="'--redirect-uri'"
        )
    if purpose is None:
        raise typer.BadParameter("wajib / required", param_hint="'--purpose'")
    if (verifier is None) == (name is None) or (name is not None and not scope):
        raise typer.BadParameter(
            "berikan --verifier ID, atau --name dan --scope / give --verifier ID, or --name"
            " and --scope",
            param_hint="'--verifier' / '--name'",
        )
    if verifier is not None and scope:
        raise typer.BadParameter(
            "--scope hanya dengan --name (cakupan hub yang ada tetap) / --scope only with"
            " --name (an existing hub keeps its scopes)",
            param_hint="'--scope'",
        )
    svc = _service("add", config)
    if auth_method.uses_secret:
        require_shared_secret(svc, "clients add", allowed=allow_ephemeral_secret)
    keys = _read_jwks("clients add", jwks)
    try:
        if verifier is not None:
            svc.verifiers.get(verifier)  # an unknown hub: institution.unknown
        client, secret = svc.sso.add_client(
            redirect_uris=redirect_uri,
            purpose=purpose,
            verifier_id=verifier,
            name=name,
            scopes=scope or None,
            kind=kind,
            fields=field or None,
            essential=essential or (),
            post_logout_redirect_uris=post_logout_redirect_uri or (),
            auth_method=auth_method.value,
            jwks=keys,
            id_token_alg=id_token_alg.value,
            high_assurance=high_assurance,
            step_up=step_up,
            rate_limit=rate_limit,
            actor=cli_actor(),
        )
    except SiapkerjaError as error:
        raise fail("clients add", error) from None
    if secret is not None:
        _warn_without_secret(svc)
    if json_output:
        print_json({"client": client_json(client), "client_secret": secret})
        return
    _secret_panel(client, secret, "SSO client / Klien SSO")


@clients_app.command("list")
def list_clients(
    status: Annotated[
        VerifierStatus | None, typer.Option("--status", help="Only this status.")
    ] = None,
    verifier: Annotated[
        str | None, typer.Option("--verifier", help="Only this hub's clients.", show_default=False)
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List the clients, oldest first. / Daftar klien SSO."""
    svc = _service("list", config)
    try:
        found = svc.sso.clients(
            status=None if status is None else status.value, verifier_id=verifier
        )
    except SiapkerjaError as error:
        raise fail("clients list", error) from None
    if json_output:
        print_json([client_json(c) for c in found])
        return
    if not found:
        typer.echo("Belum ada klien. / No clients.")
        return
    # The hub's id is in 'show' and --json: two whole 32-character ids leave no room at 80.
    table = Table()
    for title in ("name", "purpose", "auth"):
        table.add_column(title, overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("id", no_wrap=True, min_width=32)  # whole: it is what the commands take
    for c in found:
        flags = [c.auth_method.value]
        if c.high_assurance:
            flags.append("high-assurance")
        if c.step_up:
            flags.append("step-up")
        if c.id_token_alg is not IdTokenAlg.EDDSA:
            flags.append(c.id_token_alg.value)
        table.add_row(escape(c.name), escape(c.purpose), ", ".join(flags), c.status.value, c.id)
    _console().print(table)


@clients_app.command("show")
def show(
    client_id: ClientIdArgument, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """Show one client (never its secret). / Tampilkan satu klien."""
    svc = _service("show", config)
    try:
        client = svc.sso.client(client_id)
    except SiapkerjaError as error:
        raise fail("clients show", error) from None
    if json_output:
        print_json(client_json(client))
        return
    _show(client)


@clients_app.command("update")
def update(
    client_id: ClientIdArgument,
    redirect_uri: RedirectUris = None,
    post_logout_redirect_uri: LogoutUris = None,
    no_post_logout_redirect_uris: Annotated[
        bool,
        typer.Option(
            "--no-post-logout-redirect-uris", help="Remove every post-logout redirect URI."
        ),
    ] = False,
    field: FieldsOption = None,
    essential: EssentialOption = None,
    no_essential: Annotated[
        bool, typer.Option("--no-essential", help="No field is essential any more.")
    ] = False,
    rate_limit: Annotated[
        int | None,
        typer.Option("--rate-limit", help="Back-channel calls per minute.", show_default=False),
    ] = None,
    step_up: Annotated[
        bool | None,
        typer.Option(
            "--step-up/--no-step-up",
            help="Every sign-in needs a fresh SMS code.",
            show_default=False,
        ),
    ] = None,
    jwks: JwksOption = None,
    id_token_alg: Annotated[
        IdTokenAlg | None,
        typer.Option("--id-token-alg", help=_SIGNED_WITH_HELP, show_default=False),
    ] = None,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Change what a client may ask and where it sends holders back. / Ubah klien.

    A repeatable option given replaces the whole list; one not given leaves it as it is.
    """
    if post_logout_redirect_uri and no_post_logout_redirect_uris:
        raise typer.BadParameter(
            "pilih salah satu / choose one", param_hint="'--post-logout-redirect-uri'"
        )
    if essential and no_essential:
        raise typer.BadParameter("pilih salah satu / choose one", param_hint="'--essential'")
    changes: dict[str, Any] = {
        "redirect_uris": redirect_uri or None,
        "post_logout_redirect_uris": ()
        if no_post_logout_redirect_uris
        else (post_logout_redirect_uri or None),
        "fields": field or None,
        "essential": () if no_essential else (essential or None),
        "rate_limit": rate_limit,
        "step_up": step_up,
        "jwks": _read_jwks("clients update", jwks),
        "id_token_alg": None if id_token_alg is None else id_token_alg.value,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        raise typer.BadParameter(_NOTHING_TO_UPDATE)
    svc = _service("update", config)
    try:
        client = svc.sso.update_client(client_id, **changes, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("clients update", error) from None
    _done(client, json_output, "diubah / updated")


@clients_app.command("suspend")
def suspend(
    client_id: ClientIdArgument,
    reason: ReasonOption,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Refuse the client until it is resumed. / Tangguhkan klien."""
    svc = _service("suspend", config)
    try:
        client = svc.sso.suspend_client(client_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("clients suspend", error) from None
    _done(client, json_output, "ditangguhkan / suspended")


@clients_app.command("resume")
def resume(
    client_id: ClientIdArgument,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Accept a suspended client again. / Aktifkan kembali klien."""
    svc = _service("resume", config)
    try:
        client = svc.sso.resume_client(client_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("clients resume", error) from None
    _done(client, json_output, "aktif kembali / active again")


@clients_app.command("rotate-secret")
def rotate_secret(
    client_id: ClientIdArgument,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    allow_ephemeral_secret: EphemeralSecretOption = False,
) -> None:
    """A new client secret (printed once); the old one stops working at once. / Ganti rahasia."""
    svc = _service("rotate-secret", config)
    require_shared_secret(svc, "clients rotate-secret", allowed=allow_ephemeral_secret)
    try:
        secret = svc.sso.rotate_client_secret(client_id, reason=reason, actor=cli_actor())
        client = svc.sso.client(client_id)
    except SiapkerjaError as error:
        raise fail("clients rotate-secret", error) from None
    _warn_without_secret(svc)
    if json_output:
        print_json({"client": client_json(client), "client_secret": secret})
        return
    _secret_panel(client, secret, "New client secret / Rahasia klien baru")


@clients_app.command("remove")
def remove(
    client_id: ClientIdArgument,
    reason: ReasonOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Remove a client for good: every token it holds is revoked. / Hapus klien.

    The holders' consents and the access ledger stay on record.
    """
    svc = _service("remove", config)
    try:
        client = svc.sso.client(client_id)
    except SiapkerjaError as error:
        raise fail("clients remove", error) from None
    if not yes and not typer.confirm(
        f"Hapus klien {client.name} ({client.id}) untuk selamanya? / Remove the client for good?",
        err=True,
    ):
        raise fail(
            "clients remove",
            CommandError("Dibatalkan; tidak ada yang diubah. / Cancelled; nothing changed."),
        )
    try:
        client = svc.sso.remove_client(client_id, reason=reason, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("clients remove", error) from None
    _done(client, json_output, "dihapus / removed")
