"""``siapkerja demo``: the whole SIAPkerja-ID journey on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
            help="Write the issued card as SVG (ID-1 size) to this file.",
        ),
    ] = Path("siapkerja-card.svg"),
) -> None:
    """Walk the SIAPkerja-ID journey on the embedded default.

    Register Galih Agan Pambayun (the brief's sample person) against the
    offline Dukcapil registry, receive the SMS code on the console, confirm it,
    sign in, complete the profile, issue the card (QR in the terminal, card
    as SVG), scan it and check in at a job fair. / Jalankan seluruh alur.
    """
    from siapkerja_adapters.demo import run_demo  # rich and the journey load only here

    run_demo(
        ask=(lambda prompt: typer.prompt(prompt.rstrip(": "))) if interactive else None,
        card_path=card_svg,
    )
