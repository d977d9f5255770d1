"""The root of the ``siapkerja`` command tree: ``--version`` and every command group mounted.

A new area: write its module in this package (a ``typer.Typer`` or a command
function), then name it in :data:`LAZY_COMMANDS`. Only ``nik`` is mounted
eagerly: every other group is imported when it is asked for (or listed by
``--help`` and completion), so ``siapkerja nik check`` does not pay for
SQLAlchemy, Starlette and the adapters it never uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:  # annotations only: Typer runs on its own copy of click, not this one
    import click

from siapkerja_adapters.cli.common import PROG_NAME
from siapkerja_adapters.cli.nik import nik_app

__all__ = ["app"]


def _show_version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("siapkerja")
    except PackageNotFoundError:  # running from a source tree (PYTHONPATH=src)
        found = "unknown"
    typer.echo(f"{PROG_NAME} {found}")
    raise typer.Exit


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the version and exit. / Tampilkan versi lalu keluar.",
        ),
    ] = False,
) -> None:
    """SIAPkerja-ID tools: NIKs, the demo, the web server and SMS worker, tokens, keys, bulk, db,
    prefill, single sign-on clients.

    Alat SIAPkerja-ID: periksa NIK dan lainnya.

    --json: JSON on standard output, errors too / JSON, termasuk galat.

    Exit codes / kode keluar: 0 ok, 1 invalid input or refused, 2 usage error,
    3 configuration or missing extra, 4 a service down (database, Dukcapil, SMS).
    """


LAZY_COMMANDS: Final[dict[str, str]] = {
    "demo": "siapkerja_adapters.cli.demo:demo",
    "serve": "siapkerja_adapters.cli.serve:serve",
    "worker": "siapkerja_adapters.cli.worker:worker",
    "token": "siapkerja_adapters.cli.tokens:token_app",
    "keys": "siapkerja_adapters.cli.keys:keys_app",
    "bulk": "siapkerja_adapters.cli.bulk:bulk_app",
    "db": "siapkerja_adapters.cli.db:db_app",
    "aki": "siapkerja_adapters.cli.aki:aki_app",
    "verifiers": "siapkerja_adapters.cli.verifiers:verifiers_app",
    "clients": "siapkerja_adapters.cli.clients:clients_app",
    "prefill": "siapkerja_adapters.cli.prefill:prefill_app",
    "status-list": "siapkerja_adapters.cli.status_list:status_list_app",
    "events": "siapkerja_adapters.cli.events:events_app",
    "classes": "siapkerja_adapters.cli.classes:classes_app",
    "programmes": "siapkerja_adapters.cli.classes:programmes_app",
    "factors": "siapkerja_adapters.cli.factors:factors_app",
    "rights": "siapkerja_adapters.cli.rights:rights_app",
    "disputes": "siapkerja_adapters.cli.disputes:disputes_app",
    "notices": "siapkerja_adapters.cli.notices:notices_app",
}
"""Each command mounted on demand: its name → ``module:attribute`` (a ``Typer`` or a function)."""


def load_command(name: str) -> click.Command:
    """The click command for ``name`` of :data:`LAZY_COMMANDS`, importing its module now."""
    module, _, attribute = LAZY_COMMANDS[name].partition(":")
    target: Any = getattr(import_module(module), attribute)
    if isinstance(target, typer.Typer):
        # get_group, not get_command: a group of one command must stay a group
        # (``siapkerja token verify``), as ``add_typer`` keeps it.
        command: click.Command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)  # completion is the root's
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    """The root group: ``nik`` built with it, every other command on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            command = load_command(cmd_name)
            self.add_command(command, cmd_name)
        return command


app: Final = typer.Typer(
    name=PROG_NAME,
    cls=_LazyGroup,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.callback()(root)
app.add_typer(nik_app, name="nik")
