"""``siapkerja aki appoint|list|show|legalise|place|remove|render``: the Disnaker's desk.

Use 1, the AK/I (kartu kuning), from a terminal at the Dinas: an
administrator appoints a ``disnaker`` verifier to its kabupaten/kota
(``appoint``); the officer — identified by the verifier's API key,
``--key`` or ``$SIAPKERJA_VERIFIER_KEY`` — lists the office's registrations,
reads one with the holder's profile, legalises, records a placement, removes,
and prints the document (``render``, PDF or SVG). Every officer command is a
line in the holder's access ledger. ``--json`` prints one JSON value for
machines; people get tables.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from siapkerja_adapters.cli.common import (
    ConfigOption,
    JsonOption,
    fail,
    open_institution,
    open_service,
    print_json,
)
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.aki import AkiRegistration, aki_status_data
from siapkerja_core.errors import SiapkerjaError

if TYPE_CHECKING:
    from siapkerja_core.disclosure import Verifier
    from siapkerja_core.service import Siapkerja

__all__ = ["aki_app"]

aki_app: Final = typer.Typer(
    name="aki",
    help="AK/I (kartu kuning) di Disnaker / The AK/I at a Disnaker.",
    no_args_is_help=True,
    add_completion=False,
)
MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' kosong dan hilang saat perintah ini selesai.\n"
    "Warning: the 'memory' storage is empty and gone when this command ends."
)

KeyOption = Annotated[
    str,
    typer.Option(
        "--key",
        envvar="SIAPKERJA_VERIFIER_KEY",
        help="The officer's verifier API key (default: $SIAPKERJA_VERIFIER_KEY).",
        show_default=False,
    ),
]
Reference = Annotated[
    str, typer.Argument(metavar="REFERENCE", help="The registration's AK/I number or id.")
]


def aki_root() -> None:
    """The AK/I (kartu kuning) at a Disnaker. / AK/I di Disnaker."""


def _officer(command: str, config: Path | None, key: str) -> tuple[Siapkerja, Verifier]:
    return open_institution(f"aki {command}", config, key, memory_warning=MEMORY_WARNING)


def _data(svc: Siapkerja, record: AkiRegistration) -> dict[str, Any]:
    return {"id": record.id, **aki_status_data(record, svc.aki.today())}


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Column, Table

    cells = [
        (
            row["number"],
            row["status"],
            row["applied_on"],
            row["valid_until"] or "-",
            str(row["report_due"] or "-"),
        )
        for row in rows
    ]
    headers = ("AK/I", "status", "applied", "valid until", "report due")
    # No column is cut nor wrapped (at 80 columns rich showed "legalis…", "2026-12…"):
    # the number is typed back from here, a status and a date are read whole. The
    # office is not a column: its code is in the number (AK1-KKKK-…), and without
    # it the table fits 80 columns.
    columns = [
        Column(
            header,
            no_wrap=True,
            overflow="fold",
            min_width=max([len(header), *(len(c[i]) for c in cells)]),
        )
        for i, header in enumerate(headers)
    ]
    table = Table(*columns)
    for row in cells:
        table.add_row(*row)
    Console().print(table)


def _print_one(row: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False)
    for key in ("number", "status", "office_code", "office_name", "applied_on"):
        table.add_row(key, str(row[key]))
    table.add_row("legalised_on", str(row["legalised_on"] or "-"))
    table.add_row("valid_until", str(row["valid_until"] or "-"))
    for box in row["reports"]:
        made = box["reported_on"] or "-"
        table.add_row(f"report {box['index']}", f"{box['due_on']}  {box['state']}  {made}")
    if row["placement"]:
        table.add_row("placement", json.dumps(row["placement"], ensure_ascii=False))
    if row["removal"]:
        table.add_row("removal", json.dumps(row["removal"], ensure_ascii=False))
    Console().print(table)


def _answer(svc: Siapkerja, record: AkiRegistration, json_output: bool) -> None:
    row = _data(svc, record)
    if json_output:
        print_json(row)
    else:
        _print_one(row)


@aki_app.command("appoint")
def aki_appoint(
    verifier_id: Annotated[str, typer.Argument(help="The disnaker verifier's id.")],
    office_code: Annotated[str, typer.Argument(help="The kabupaten/kota code, e.g. 3273.")],
    name: Annotated[str | None, typer.Option("--name", help="The office's name.")] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Appoint a ``disnaker`` verifier to the Disnaker of a kabupaten/kota (administrator).

    / Tunjuk verifier disnaker sebagai petugas Disnaker sebuah kabupaten/kota.
    """
    svc = open_service("aki appoint", config, memory_warning=MEMORY_WARNING)
    try:
        officer = svc.aki.appoint_officer(verifier_id, office_code, name, actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("aki appoint", error) from None
    row = {
        "verifier_id": officer.verifier_id,
        "office_code": officer.office_code,
        "office_name": officer.office_name,
    }
    if json_output:
        print_json(row)
    else:
        typer.echo(f"{officer.verifier_id}  {officer.office_code}  {officer.office_name}")


@aki_app.command("list")
def aki_list(
    key: KeyOption,
    status: Annotated[
        str | None, typer.Option("--status", help="applied, legalised, placed, removed, expired.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many.")
    ] = 100,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The registrations of the officer's office (applied and legalised by default).

    / Daftar pendaftaran AK/I kantor Anda.
    """
    svc, verifier = _officer("list", config, key)
    try:
        found = svc.aki.applications(verifier, status=status, limit=limit)
        rows = [_data(svc, r) for r in found]
    except SiapkerjaError as error:
        raise fail("aki list", error) from None
    if json_output:
        print_json(rows)
    else:
        _print_table(rows)


@aki_app.command("show")
def aki_show(
    reference: Reference,
    key: KeyOption,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """One registration of the office, with the holder's name and NIK. / Satu pendaftaran."""
    svc, verifier = _officer("show", config, key)
    try:
        found = svc.aki.application(verifier, reference)
    except SiapkerjaError as error:
        raise fail("aki show", error) from None
    row = {
        **_data(svc, found.registration),
        "holder": {"full_name": found.view.full_name, "nik": found.view.nik},
    }
    if json_output:
        print_json(row)
        return
    typer.echo(f"{found.view.full_name}  NIK {found.view.nik}")
    _print_one(row)


@aki_app.command("legalise")
def aki_legalise(
    reference: Reference,
    key: KeyOption,
    officer_name: Annotated[
        str | None, typer.Option("--officer-name", help="The pengantar kerja on the document.")
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Legalise an application: valid two years from today. / Legalisasi AK/I."""
    svc, verifier = _officer("legalise", config, key)
    try:
        record = svc.aki.legalise(verifier, reference, officer_name=officer_name)
    except SiapkerjaError as error:
        raise fail("aki legalise", error) from None
    _answer(svc, record, json_output)


@aki_app.command("place")
def aki_place(
    reference: Reference,
    key: KeyOption,
    employer: Annotated[str, typer.Option("--employer", help="The employer.")],
    position: Annotated[str | None, typer.Option("--position", help="The position.")] = None,
    placed_on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Record a placement: the registration closes. / Catat penempatan kerja."""
    svc, verifier = _officer("place", config, key)
    try:
        day = None if placed_on is None else date.fromisoformat(placed_on)
    except ValueError:
        typer.echo(f"siapkerja aki place: --date {placed_on!r}: YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    try:
        record = svc.aki.place(
            verifier, reference, employer=employer, position=position, placed_on=day
        )
    except SiapkerjaError as error:
        raise fail("aki place", error) from None
    _answer(svc, record, json_output)


@aki_app.command("remove")
def aki_remove(
    reference: Reference,
    key: KeyOption,
    reason: Annotated[
        str,
        typer.Option("--reason", help="moved, by_request, not_reported, expired or other."),
    ],
    note: Annotated[str | None, typer.Option("--note", help="A note.")] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Take a registration off the register. / Hapus dari daftar pencari kerja."""
    svc, verifier = _officer("remove", config, key)
    try:
        record = svc.aki.remove(verifier, reference, reason=reason, note=note)
    except SiapkerjaError as error:
        raise fail("aki remove", error) from None
    _answer(svc, record, json_output)


@aki_app.command("render")
def aki_render(
    reference: Reference,
    key: KeyOption,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (.pdf or .svg).")
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Print the AK/I document to a PDF or SVG file (by the file's suffix). / Cetak AK/I."""
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".svg"):
        typer.echo("siapkerja aki render: --output must end in .pdf or .svg", err=True)
        raise typer.Exit(2)
    svc, verifier = _officer("render", config, key)
    try:
        document = svc.aki.document_for(verifier, reference)
        data = document.to_pdf() if suffix == ".pdf" else document.to_svg().encode("utf-8")
    except SiapkerjaError as error:
        raise fail("aki render", error) from None
    output.write_bytes(data)
    result = {"number": document.number, "path": str(output), "bytes": len(data)}
    if json_output:
        print_json(result)
    else:
        typer.echo(f"{document.number} -> {output} ({len(data)} bytes)")


aki_app.callback()(aki_root)
