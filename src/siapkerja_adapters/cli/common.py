"""What the ``siapkerja`` commands share: the ``--config``/``--json`` options, opening the
service, and printing a typed error before exiting with code 1.

Every command works on ``connect()`` with the usual settings: ``SIAPKERJA_*``
variables, then the TOML file (``--config`` or ``$SIAPKERJA_CONFIG``). Exit
codes: 0 on success, 1 for refused input or a failed command (the typed error
in Indonesian and English), 2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from siapkerja_adapters.connect import connect
from siapkerja_core.errors import SiapkerjaError

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["PROG_NAME", "ConfigOption", "JsonOption", "fail", "open_service"]

PROG_NAME: Final = "siapkerja"

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $SIAPKERJA_CONFIG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def fail(command: str, error: BaseException) -> typer.Exit:
    """Print ``error`` (both languages for a typed error) on stderr; exit code 1."""
    typer.echo(f"{PROG_NAME} {command}: {error}", err=True)
    return typer.Exit(1)


def open_service(command: str, config: Path | None, *, memory_warning: str | None) -> Siapkerja:
    """``connect(config=config)``; a bad setting exits 1 with its message.

    :param memory_warning: printed on stderr when the storage is ``memory``
        (what the command made is gone when it ends); ``None`` prints nothing.
    """
    try:
        svc = connect(config=config)
    except SiapkerjaError as error:
        raise fail(command, error) from None
    if memory_warning is not None and svc.settings.adapter_name("storage") == "memory":
        typer.echo(memory_warning, err=True)
    return svc
