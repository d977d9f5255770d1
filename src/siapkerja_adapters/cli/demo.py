"""``siapkerja demo``: the whole SIAPkerja-ID journey on the embedded default.

This module owns the command's options; :mod:`siapkerja_adapters.demo` the
journey, its wording and where its data goes.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from siapkerja_adapters.cli.common import JsonOption, fail, print_json

__all__ = ["demo"]


def demo(
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Type the SMS code yourself instead of letting the demo read it.",
        ),
    ] = False,
    card_svg: Annotated[
        Path | None,
        typer.Option(
            "--card-svg",
            help="Write the issued card as SVG (ID-1 size) to this file"
            " (default: siapkerja-card.svg, in --dir when given).",
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Keep the demo's data in this directory (made if missing), with the settings"
            " 'siapkerja serve' opens it with. Default: a temporary directory, removed at the end.",
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Keep the demo's data in this database (a database_url); its settings and"
            " key go in --dir (default ./siapkerja-demo).",
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="The port of the printed 'siapkerja serve' command: the card's QR opens there.",
        ),
    ] = 8000,
    lang: Annotated[
        str, typer.Option("--lang", help="id (Bahasa Indonesia, default) or en.")
    ] = "id",
    as_json: JsonOption = False,
) -> None:
    """Walk the SIAPkerja-ID journey on the embedded default.

    Register Galih Agan Pambayun (the brief's sample person) against the
    offline Dukcapil registry, receive the SMS code on the console, confirm it,
    sign in, complete the profile, issue the card (QR in the terminal, card
    as SVG), scan it and check in at a job fair. / Jalankan seluruh alur.
    """
    from rich.console import Console  # rich and the journey load only here

    from siapkerja_adapters.demo import DemoPlace, Narrator, run_demo
    from siapkerja_core.errors import SiapkerjaError

    if lang.lower() not in ("id", "en"):
        raise typer.BadParameter("id or en", param_hint="--lang")
    if as_json and interactive:
        raise typer.BadParameter("--json prints one JSON object: no prompt", param_hint="--json")
    if database is not None and directory is None:
        directory = Path("siapkerja-demo")
    try:
        place = (
            DemoPlace.temporary(port=port)
            if directory is None
            else DemoPlace.kept_in(
                directory,
                database_url=_kept_database(database),
                port=port,
                key_from=_key_variable(),
                schema=os.environ.get("SIAPKERJA_DATABASE_SCHEMA") or None,
            )
        )
    except SiapkerjaError as error:
        raise fail("demo", error) from None
    if card_svg is None:
        card_svg = (place.directory if place.kept else Path.cwd()) / "siapkerja-card.svg"
    narrator = Narrator(Console(highlight=False), lang=lang, quiet=as_json)
    ask = (lambda prompt: typer.prompt(prompt.rstrip(": "))) if interactive else None
    # The console SMS sender prints each message on stdout: with --json it goes to
    # stderr, so that stdout is one JSON object.
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    try:
        with redirect:
            run_demo(ask=ask, card_path=card_svg, narrator=narrator, place=place)
    except SiapkerjaError as error:
        raise fail("demo", error) from None
    if as_json:
        document = {
            "lang": narrator.lang,
            "kept": place.kept,
            "directory": str(place.directory),
            "serve": place.serve_command(),
            "lines": [line.to_json() for line in narrator.lines],
        }
        print_json(document, indent=2)


def _key_variable() -> str | None:
    """The environment variable that names the storage key, if one does.

    The environment outranks the demo's settings file: a key file the demo wrote
    beside it would be ignored by ``serve`` and would not open the data.
    """
    for name in ("SIAPKERJA_STORAGE_KEY", "SIAPKERJA_STORAGE_KEY_FILE"):
        if os.environ.get(name):
            return name
    return None


def _kept_database(database: str | None) -> str | None:
    """The database a kept demo writes to: ``--database``, else the environment's.

    ``SIAPKERJA_DATABASE_URL`` outranks the settings file the demo writes, so the
    demo's data (and ``serve --config``) would go there whatever the file said: the
    file names it too. Another database than ``--database`` is refused.

    :raises DemoError: ``demo.environment_database``.
    """
    from siapkerja_adapters.demo import DemoError

    variable = "SIAPKERJA_DATABASE_URL"
    named = os.environ.get(variable) or None
    if named is not None and database is not None and named != database:
        raise DemoError("environment_database", variable=variable)
    return database or named
