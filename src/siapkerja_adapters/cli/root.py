"""The root of the ``siapkerja`` command tree: ``--version`` and every command group mounted.

A new area: write its module in this package (a ``typer.Typer`` or a command
function), then mount it here with ``app.add_typer`` or ``app.command``.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from siapkerja_adapters.cli.aki import aki_app
from siapkerja_adapters.cli.bulk import bulk_app
from siapkerja_adapters.cli.classes import classes_app, programmes_app
from siapkerja_adapters.cli.clients import clients_app
from siapkerja_adapters.cli.common import PROG_NAME
from siapkerja_adapters.cli.db import db_app
from siapkerja_adapters.cli.demo import demo
from siapkerja_adapters.cli.events import events_app
from siapkerja_adapters.cli.keys import keys_app
from siapkerja_adapters.cli.nik import nik_app
from siapkerja_adapters.cli.notices import notices_app
from siapkerja_adapters.cli.prefill import prefill_app
from siapkerja_adapters.cli.serve import serve
from siapkerja_adapters.cli.status_list import status_list_app
from siapkerja_adapters.cli.tokens import token_app
from siapkerja_adapters.cli.verifiers import verifiers_app
from siapkerja_adapters.cli.worker import worker

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

    Alat SIAPkerja-ID: periksa NIK dan lainnya. Exit codes: 0 ok, 1 invalid
    input, 2 usage error.
    """


app: Final = typer.Typer(
    name=PROG_NAME,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.callback()(root)
app.add_typer(nik_app, name="nik")
app.command("demo")(demo)
app.command("serve")(serve)
app.command("worker")(worker)
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(bulk_app, name="bulk")
app.add_typer(notices_app, name="notices")
app.add_typer(db_app, name="db")
app.add_typer(aki_app, name="aki")
app.add_typer(verifiers_app, name="verifiers")
app.add_typer(clients_app, name="clients")
app.add_typer(prefill_app, name="prefill")
app.add_typer(status_list_app, name="status-list")
app.add_typer(events_app, name="events")
app.add_typer(classes_app, name="classes")
app.add_typer(programmes_app, name="programmes")
