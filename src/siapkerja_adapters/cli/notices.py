"""``siapkerja notices``: the notices of sensitive changes, as the table holds them.

``siapkerja notices list`` prints every notice — the event that triggers it,
who gets it, when it is written and its text — so a deployer checks the
wording (``notice.*`` in the catalogues) without reading code; ``--json``
prints one JSON object, ``--lang`` picks the language of the texts.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from siapkerja_adapters.cli.common import JsonOption, print_json
from siapkerja_core import translations
from siapkerja_core.notices import NOTICES

__all__ = ["notices_app"]

notices_app: Final = typer.Typer(
    name="notices",
    help="Pemberitahuan perubahan sensitif / Notices of sensitive changes.",
    no_args_is_help=True,
    add_completion=False,
)


@notices_app.command("list")
def list_notices(
    as_json: JsonOption = False,
    lang: Annotated[str, typer.Option("--lang", help="id or en.")] = "id",
) -> None:
    """Every notice: its event, recipients, when it is written, its text.

    / Setiap pemberitahuan: peristiwanya, penerimanya, kapan ditulis, teksnya.
    """
    rows = [
        {
            "event": notice.event,
            "key": f"notice.{notice.key}",
            "to": list(notice.to),
            "written": "in_transaction" if notice.in_transaction else "after_commit",
            "text": translations.text(
                f"notice.{notice.key}",
                lang,
                service="{service}",
                detail="{detail}",
                kind="{kind}",
            ),
        }
        for notice in NOTICES.values()
    ]
    if as_json:
        print_json({"notices": rows}, indent=2)
        return
    for row in rows:
        typer.echo(f"{row['event']} -> {', '.join(row['to'])} ({row['written']})")
        typer.echo(f"    {row['text']}")
