"""``siapkerja prefill schema|validate``: the prefill document's published JSON Schema.

``schema`` prints the JSON Schema (Draft 2020-12) institutions build their
forms and checks on; ``validate FILE`` checks a document an institution
received (or made) against it, with the core's own validator, and exits 1
listing every problem. Neither opens the service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import typer

from siapkerja_adapters.cli.common import JsonOption, fail, print_json
from siapkerja_core.prefill import PrefillError, schema_text, validate

__all__ = ["prefill_app"]

prefill_app: Final = typer.Typer(
    name="prefill",
    help="Dokumen prefill untuk lembaga / The prefill document institutions receive.",
    no_args_is_help=True,
    add_completion=False,
)
_SHOWN: Final = 20  # problems listed in the error message (all of them with --json)


@prefill_app.command("schema")
def prefill_schema_command(json_output: JsonOption = False) -> None:
    """Print the prefill document's JSON Schema (Draft 2020-12). / Cetak skema JSON.

    The output is JSON with or without ``--json`` (accepted as every command's).
    """
    typer.echo(schema_text(), nl=False)


@prefill_app.command("validate")
def prefill_validate(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", show_default=False, help="A prefill document (JSON); '-' reads stdin."
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Check a prefill document against the schema; exit 1 naming every problem.

    / Periksa dokumen prefill terhadap skemanya.
    """
    try:
        raw = typer.get_text_stream("stdin").read() if str(file) == "-" else file.read_text("utf-8")
        document = json.loads(raw)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problems = [f"$: {type(error).__name__}: {error}"]
    else:
        problems = validate(document)
    if json_output:
        print_json({"valid": not problems, "errors": problems})
        if problems:
            raise typer.Exit(1)
        return
    if problems:
        shown = "; ".join(problems[:_SHOWN]) + (" …" if len(problems) > _SHOWN else "")
        raise fail("prefill validate", PrefillError("invalid_document", errors=shown))
    typer.echo("valid / sah: the document follows the prefill schema 1.0")
