"""``siapkerja events …``: an organiser's events, their gates, live counts and offline sync.

The organiser is a registered verifier: every command but ``sync`` and
``stations keygen`` takes its API key (``--verifier-key`` or
``$SIAPKERJA_VERIFIER_KEY``). A gate's API key is printed once, when the
gate is added; a gate that signs holds its own Ed25519 key pair
(``stations keygen``) and the organiser registers the public half.
``sync FILE`` merges an offline gate's signed export (the text of
``OfflineStation.signed_export().to_text()``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Column, Table

from siapkerja_adapters.cli.common import (
    ConfigOption,
    EphemeralSecretOption,
    JsonOption,
    aware_moment,
    fail,
    open_institution,
    open_service,
    print_json,
)
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.gates import Event, EventKind, Station, StationKeyPair
from siapkerja_core.i18n import month_name

if TYPE_CHECKING:
    from siapkerja_core.disclosure import Verifier
    from siapkerja_core.service import Siapkerja

__all__ = ["events_app"]

events_app: Final = typer.Typer(
    name="events",
    help="Acara dan pos masuknya / Events and their gates.",
    no_args_is_help=True,
    add_completion=False,
)
stations_app: Final = typer.Typer(
    name="stations",
    help="Pos masuk (gate) sebuah acara / The gates of an event.",
    no_args_is_help=True,
    add_completion=False,
)
events_app.add_typer(stations_app, name="stations")

_MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai; atur SIAPKERJA_STORAGE.\n"
    "Warning: the 'memory' storage is gone when this command ends; set SIAPKERJA_STORAGE."
)

VerifierKey = Annotated[
    str,
    typer.Option(
        "--verifier-key",
        envvar="SIAPKERJA_VERIFIER_KEY",
        help="The organiser's verifier API key.",
        show_default=False,
    ),
]
EventArgument = Annotated[str, typer.Argument(metavar="EVENT_ID", show_default=False)]


def _organiser(
    command: str, config: Path | None, key: str, *, shared_secret: bool | None = None
) -> tuple[Siapkerja, Verifier]:
    """The service and the organiser ``key`` names. ``shared_secret=False`` (a key
    will be printed, no ``--allow-ephemeral-secret``) refuses first without a
    ``secret_key``: the organiser's own key would not be found anyway."""
    return open_institution(
        f"events {command}",
        config,
        key,
        memory_warning=_MEMORY_WARNING,
        shared_secret=shared_secret,
    )


def _event_data(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "kind": event.kind.value,
        "venue": event.venue,
        "region_code": event.region_code,
        "opens_at": event.opens_at.isoformat(),
        "closes_at": event.closes_at.isoformat(),
        "capacity": event.capacity,
        "organiser_id": event.organiser_id,
        "class_id": event.class_id,
        "programme_id": event.programme_id,
        "status": event.status.value,
    }


def _station_data(station: Station) -> dict[str, Any]:
    return {
        "id": station.id,
        "event_id": station.event_id,
        "name": station.name,
        "credential": station.credential.value,
        "public_key": station.public_key,
        "status": station.status.value,
        "created_at": station.created_at.isoformat(),
    }


def _kept(header: str, values: Iterable[str]) -> Column:
    """A column never cut nor wrapped: ids are typed back from here, a status or a
    time read whole (at 80 columns rich shortened "JOBFAIR-JKT-2026" to "JOBFAIR…").
    The other columns (names) wrap instead."""
    width = max([len(header), *(len(v) for v in values)])
    return Column(header, no_wrap=True, overflow="fold", min_width=width)


def _local(event: Event, moment: datetime) -> str:
    """``moment`` in the event's zone with its day: ``5 Des 16.32 WIB`` (the
    catalogue's month, shortened; ``--json`` has the ISO 8601 moment)."""
    local = moment.astimezone(event.zone)
    return f"{local.day} {month_name(local.month)[:3]} {event.local_time(moment)}"


def _events_table(events: list[Event]) -> None:
    rows = [
        (
            event.id,
            event.name,
            event.kind.value,
            f"{_local(event, event.opens_at)}\n{_local(event, event.closes_at)}",
            "-" if event.capacity is None else str(event.capacity),
            event.status.value,
        )
        for event in events
    ]
    table = Table(
        _kept("id", (r[0] for r in rows)),
        Column("name", overflow="fold"),
        Column("kind", overflow="fold"),  # folded, never "traini…"
        _kept("opens / closes", (line for r in rows for line in r[3].split("\n"))),
        _kept("capacity", (r[4] for r in rows)),
        _kept("status", (r[5] for r in rows)),
    )
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@events_app.command("create")
def events_create(
    event_id: EventArgument,
    name: Annotated[str, typer.Option("--name", show_default=False)],
    venue: Annotated[str, typer.Option("--venue", show_default=False)],
    opens_at: Annotated[
        str, typer.Option("--opens", help="ISO 8601 with offset.", show_default=False)
    ],
    closes_at: Annotated[
        str, typer.Option("--closes", help="ISO 8601 with offset.", show_default=False)
    ],
    verifier_key: VerifierKey,
    kind: Annotated[EventKind, typer.Option("--kind")] = EventKind.JOB_FAIR,
    region: Annotated[str | None, typer.Option("--region", help="Region code (zone).")] = None,
    capacity: Annotated[int | None, typer.Option("--capacity", min=1)] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Create an event the organiser's gates admit to. / Buat acara."""
    svc, organiser = _organiser("create", config, verifier_key)
    try:
        event = svc.events.create_event(
            organiser,
            id=event_id,
            name=name,
            kind=kind,
            venue=venue,
            opens_at=aware_moment(opens_at),
            closes_at=aware_moment(closes_at),
            region_code=region,
            capacity=capacity,
        )
    except SiapkerjaError as error:
        raise fail("events create", error) from None
    if json_output:
        print_json(_event_data(event))
        return
    _events_table([event])


@events_app.command("list")
def events_list(
    verifier_key: VerifierKey, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """The organiser's events, by opening time. / Daftar acara penyelenggara."""
    svc, organiser = _organiser("list", config, verifier_key)
    try:
        events = svc.events.events(organiser)
    except SiapkerjaError as error:
        raise fail("events list", error) from None
    if json_output:
        print_json({"items": [_event_data(e) for e in events]})
        return
    _events_table(events)


@events_app.command("show")
def events_show(
    event_id: EventArgument,
    verifier_key: VerifierKey,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """One event and its gates. / Satu acara dan pos masuknya."""
    svc, organiser = _organiser("show", config, verifier_key)
    try:
        event = svc.events.event(event_id, organiser)
        stations = svc.events.stations(organiser, event_id)
    except SiapkerjaError as error:
        raise fail("events show", error) from None
    if json_output:
        data = _event_data(event) | {"stations": [_station_data(s) for s in stations]}
        print_json(data)
        return
    _events_table([event])
    _stations_table(stations, event)


@events_app.command("cancel")
def events_cancel(
    event_id: EventArgument,
    verifier_key: VerifierKey,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Cancel an event: no gate admits, no code is made for it. / Batalkan acara."""
    svc, organiser = _organiser("cancel", config, verifier_key)
    try:
        event = svc.events.cancel_event(organiser, event_id)
    except SiapkerjaError as error:
        raise fail("events cancel", error) from None
    if json_output:
        print_json(_event_data(event))
        return
    typer.echo(f"{event.id}  {event.status.value}")


@events_app.command("counts")
def events_counts(
    event_id: EventArgument,
    verifier_key: VerifierKey,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Live counts: inside, capacity, per gate, double entries. / Jumlah pengunjung."""
    svc, organiser = _organiser("counts", config, verifier_key)
    try:
        counts = svc.events.counts(event_id, organiser)
    except SiapkerjaError as error:
        raise fail("events counts", error) from None
    data = {
        "event_id": counts.event_id,
        "inside": counts.inside,
        "capacity": counts.capacity,
        "remaining": counts.remaining,
        "per_station": dict(counts.per_station),
        "double_entries": len(counts.double_entries),
    }
    if json_output:
        print_json(data)
        return
    table = Table("gate", "inside")
    for station_id, inside in counts.per_station.items():
        table.add_row(station_id, str(inside))
    table.add_row("[bold]total[/]", f"[bold]{counts.inside}[/] / {counts.capacity or '-'}")
    Console().print(table)
    if counts.double_entries:
        typer.echo(f"double entries / masuk ganda: {len(counts.double_entries)}")


@events_app.command("sync")
def events_sync(
    export: Annotated[
        Path,
        typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="A signed export."),
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Merge an offline gate's signed export (its signature is checked). / Sinkronkan."""
    svc = open_service("events sync", config, memory_warning=_MEMORY_WARNING)
    try:
        report = svc.events.sync(export.read_text(encoding="utf-8"), actor=cli_actor())
    except SiapkerjaError as error:
        raise fail("events sync", error) from None
    data = {
        "event_id": report.event_id,
        "station_id": report.station_id,
        "received": report.received,
        "added": report.added,
        "duplicates": report.duplicates,
        "unknown_cards": report.unknown_cards,
        "double_entries": len(report.double_entries),
    }
    if json_output:
        print_json(data)
        return
    typer.echo(" ".join(f"{key}={value}" for key, value in data.items()))


# --- stations --------------------------------------------------------------------------


def _stations_table(stations: list[Station], event: Event) -> None:
    """The gates, their times in the event's zone (as the events table)."""
    rows = [
        (s.id, s.name, s.credential.value, s.status.value, _local(event, s.created_at))
        for s in stations
    ]
    table = Table(
        _kept("id", (r[0] for r in rows)),
        Column("name", overflow="fold"),
        _kept("credential", (r[2] for r in rows)),
        _kept("status", (r[3] for r in rows)),
        _kept("created", (r[4] for r in rows)),
    )
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@stations_app.command("add")
def stations_add(
    event_id: EventArgument,
    name: Annotated[str, typer.Option("--name", show_default=False)],
    verifier_key: VerifierKey,
    station_id: Annotated[str | None, typer.Option("--id", help="The gate's id.")] = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="The gate's Ed25519 public key (base64url)."),
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
    allow_ephemeral_secret: EphemeralSecretOption = False,
) -> None:
    """Register a gate; without --public-key its API key is printed ONCE. / Tambah pos."""
    # Without --public-key an API key is made and printed: only a shared secret checks it.
    svc, organiser = _organiser(
        "stations add",
        config,
        verifier_key,
        shared_secret=None if public_key is not None else allow_ephemeral_secret,
    )
    try:
        station, api_key = svc.events.add_station(
            organiser, event_id, name=name, station_id=station_id, public_key=public_key
        )
        event = svc.events.event(event_id, organiser)
    except SiapkerjaError as error:
        raise fail("events stations add", error) from None
    if json_output:
        print_json({"station": _station_data(station), "api_key": api_key})
        return
    _stations_table([station], event)
    if api_key is not None:
        typer.echo(f"API key (shown once / hanya sekali): {api_key}")


@stations_app.command("list")
def stations_list(
    event_id: EventArgument,
    verifier_key: VerifierKey,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The event's gates (retired ones too). / Daftar pos."""
    svc, organiser = _organiser("stations list", config, verifier_key)
    try:
        stations = svc.events.stations(organiser, event_id)
        event = svc.events.event(event_id, organiser)
    except SiapkerjaError as error:
        raise fail("events stations list", error) from None
    if json_output:
        print_json({"items": [_station_data(s) for s in stations]})
        return
    _stations_table(stations, event)


@stations_app.command("retire")
def stations_retire(
    event_id: EventArgument,
    station_id: Annotated[str, typer.Argument(metavar="STATION_ID", show_default=False)],
    verifier_key: VerifierKey,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Retire a gate: its credential admits no one. / Nonaktifkan pos."""
    svc, organiser = _organiser("stations retire", config, verifier_key)
    try:
        station = svc.events.retire_station(organiser, event_id, station_id)
    except SiapkerjaError as error:
        raise fail("events stations retire", error) from None
    if json_output:
        print_json(_station_data(station))
        return
    typer.echo(f"{station.id}  {station.status.value}")


@stations_app.command("keygen")
def stations_keygen(json_output: JsonOption = False) -> None:
    """Make an Ed25519 key pair for a gate: keep the private key ON the gate. / Buat kunci."""
    keys = StationKeyPair.generate()
    if json_output:
        print_json({"public_key": keys.public_key, "private_key": keys.private_key})
        return
    typer.echo(f"public_key  {keys.public_key}")
    typer.echo(f"private_key {keys.private_key}  (simpan di pos saja / keep on the gate only)")
