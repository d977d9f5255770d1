"""``siapkerja classes …`` and ``siapkerja programmes …``: uses 8 and 9 on the command line.

``classes``: ``create``, ``list``, ``enrol``, ``withdraw``, ``session`` (a
session is an event of kind ``class_session``; add its gates with
``siapkerja events stations add``) and ``report`` (a table, ``--csv`` or
``--json``). The institution is the verifier whose API key is given
(``--verifier-key`` or ``$SIAPKERJA_VERIFIER_KEY``, as for ``siapkerja events``).

``programmes``: ``define --file rules.json`` (or ``.toml``, or
``--example jkp|bsu|prakerja`` for a bundled definition), ``list``, ``show``
and ``check`` (is an account eligible: every requirement with its reason).

Every command prints a table for people or one JSON document with ``--json``;
a refusal prints its code and both messages and exits 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from siapkerja_adapters.cli.common import (
    CommandError,
    ConfigOption,
    JsonOption,
    aware_moment,
    fail,
    open_institution,
    open_service,
    print_json,
)
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_core.classes import AttendanceReport, TrainingClass
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.programmes import Eligibility, Programme
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.programmes import BUNDLED_PROGRAMMES, bundled_programme

__all__ = ["MEMORY_WARNING", "classes_app", "programmes_app"]

MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai; atur SIAPKERJA_STORAGE"
    " agar kelas dan program tersimpan.\n"
    "Warning: the 'memory' storage is gone when this command ends; set SIAPKERJA_STORAGE to"
    " keep classes and programmes."
)

classes_app: Final = typer.Typer(
    name="classes",
    help="Kelas pelatihan dan presensi / Training classes and attendance (BLK, BLKK, LPKS).",
    no_args_is_help=True,
    add_completion=False,
)
programmes_app: Final = typer.Typer(
    name="programmes",
    help="Program dan persyaratannya / Programmes and their requirements (JKP, BSU, Prakerja).",
    no_args_is_help=True,
    add_completion=False,
)

InstitutionKey = Annotated[
    str,
    typer.Option(
        "--verifier-key",
        envvar="SIAPKERJA_VERIFIER_KEY",
        help="The training institution's verifier API key (scope blk or skillhub).",
        show_default=False,
    ),
]
ClassArgument = Annotated[str, typer.Argument(metavar="CLASS_ID", show_default=False)]
AccountArgument = Annotated[str, typer.Argument(metavar="ACCOUNT_ID", show_default=False)]
TraineeArgument = Annotated[
    str,
    typer.Argument(
        metavar="TRAINEE", help="SIAPkerja-ID number or account id.", show_default=False
    ),
]


def _institution(command: str, config: Path | None, key: str) -> tuple[Siapkerja, Verifier]:
    return open_institution(f"classes {command}", config, key, memory_warning=MEMORY_WARNING)


def _echo_json(value: Any) -> None:
    print_json(value)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _class_table(found: list[TrainingClass]) -> Table:
    table = Table("id", "name", "kind", "vocation", "KBJI", "dates", "min %", "capacity")
    for klass in found:
        table.add_row(
            escape(klass.id),
            escape(klass.name),
            klass.institution_kind.value,
            escape(klass.vocation),
            klass.kbji_code or "-",
            f"{klass.starts_on} – {klass.ends_on}",
            str(klass.min_attendance),
            str(klass.capacity),
        )
    return table


# --- classes ---------------------------------------------------------------------------------


@classes_app.command("create")
def classes_create(
    institution_key: InstitutionKey,
    class_id: Annotated[str, typer.Option("--id", help="The class's id.", show_default=False)],
    name: Annotated[str, typer.Option("--name", show_default=False)],
    kind: Annotated[
        str, typer.Option("--kind", help="UPTP, UPTD, BLKK or LPKS.", show_default=False)
    ],
    vocation: Annotated[str, typer.Option("--vocation", show_default=False)],
    starts: Annotated[str, typer.Option("--starts", help="YYYY-MM-DD.", show_default=False)],
    ends: Annotated[str, typer.Option("--ends", help="YYYY-MM-DD.", show_default=False)],
    min_attendance: Annotated[int, typer.Option("--min-attendance", help="Percent.")] = 80,
    capacity: Annotated[int, typer.Option("--capacity")] = 20,
    kbji: Annotated[str | None, typer.Option("--kbji", help="KBJI 2014 code.")] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Create a class of an institution. / Buat kelas pelatihan."""
    svc, institution = _institution("create", config, institution_key)
    try:
        klass = svc.classes.create(
            institution,
            id=class_id,
            name=name,
            institution_kind=kind,
            vocation=vocation,
            starts_on=starts,
            ends_on=ends,
            min_attendance=min_attendance,
            capacity=capacity,
            kbji_code=kbji,
        )
    except SiapkerjaError as error:
        raise fail("classes create", error) from None
    if json_output:
        _echo_json(klass.as_dict())
        return
    _console().print(_class_table([klass]))


@classes_app.command("list")
def classes_list(
    institution_key: InstitutionKey, json_output: JsonOption = False, config: ConfigOption = None
) -> None:
    """The institution's classes. / Daftar kelas lembaga."""
    svc, institution = _institution("list", config, institution_key)
    try:
        found = svc.classes.all(institution)
    except SiapkerjaError as error:
        raise fail("classes list", error) from None
    if json_output:
        _echo_json([k.as_dict() for k in found])
        return
    _console().print(_class_table(found))


@classes_app.command("enrol")
def classes_enrol(
    institution_key: InstitutionKey,
    class_id: ClassArgument,
    trainee: TraineeArgument,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Enrol a trainee who consented to the institution. / Daftarkan peserta."""
    svc, institution = _institution("enrol", config, institution_key)
    try:
        enrolment = svc.classes.enrol(institution, class_id, trainee)
    except SiapkerjaError as error:
        raise fail("classes enrol", error) from None
    result = {
        "class_id": enrolment.class_id,
        "account_id": enrolment.account_id,
        "enrolled_at": enrolment.enrolled_at.isoformat(),
    }
    if json_output:
        _echo_json(result)
        return
    typer.echo(f"{enrolment.account_id}  terdaftar di / enrolled in {enrolment.class_id}")


@classes_app.command("withdraw")
def classes_withdraw(
    institution_key: InstitutionKey,
    class_id: ClassArgument,
    trainee: TraineeArgument,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Withdraw a trainee (the record and the attendance stay). / Keluarkan peserta."""
    svc, institution = _institution("withdraw", config, institution_key)
    try:
        enrolment = svc.classes.withdraw(institution, class_id, trainee)
    except SiapkerjaError as error:
        raise fail("classes withdraw", error) from None
    withdrawn = enrolment.withdrawn_at
    if json_output:
        _echo_json(
            {
                "class_id": enrolment.class_id,
                "account_id": enrolment.account_id,
                "withdrawn_at": None if withdrawn is None else withdrawn.isoformat(),
            }
        )
        return
    typer.echo(f"{enrolment.account_id}  keluar dari / withdrawn from {enrolment.class_id}")


@classes_app.command("session")
def classes_session(
    institution_key: InstitutionKey,
    class_id: ClassArgument,
    session_id: Annotated[
        str, typer.Option("--id", help="The session's event id.", show_default=False)
    ],
    opens: Annotated[str, typer.Option("--opens", help="ISO 8601 with offset.")],
    closes: Annotated[str, typer.Option("--closes", help="ISO 8601 with offset.")],
    venue: Annotated[str, typer.Option("--venue", show_default=False)],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Schedule a session (an event of kind class_session). / Jadwalkan sesi kelas."""
    opens_at, closes_at = aware_moment(opens), aware_moment(closes)
    svc, institution = _institution("session", config, institution_key)
    try:
        event = svc.classes.add_session(
            institution,
            class_id,
            id=session_id,
            opens_at=opens_at,
            closes_at=closes_at,
            venue=venue,
        )
    except SiapkerjaError as error:
        raise fail("classes session", error) from None
    result = {
        "id": event.id,
        "class_id": event.class_id,
        "opens_at": event.opens_at.isoformat(),
        "closes_at": event.closes_at.isoformat(),
        "venue": event.venue,
    }
    if json_output:
        _echo_json(result)
        return
    typer.echo(
        f"{event.id}  {event.local_time(event.opens_at)} – {event.local_time(event.closes_at)}"
    )


def _report_table(report: AttendanceReport) -> Table:
    summary = report.summary
    table = Table(
        "trainee",
        "SIAPkerja-ID",
        "attended",
        "held",
        "%",
        f"≥ {summary.min_attendance}%",
        title=f"{escape(summary.name)} ({escape(summary.class_id)})",
        caption=(
            f"{summary.trainees} trainees, {summary.sessions_held} sessions held,"
            f" {summary.percent if summary.percent is not None else '-'}% attendance,"
            f" {summary.meeting_minimum} meet the minimum"
        ),
    )
    for line in report.trainees:
        meets = {True: "ya / yes", False: "tidak / no", None: "-"}[line.meets_minimum]
        name = escape(line.full_name) + ("" if line.active else " (keluar / withdrawn)")
        table.add_row(
            name,
            line.siapkerja_id or "-",
            str(line.attended),
            str(line.held),
            "-" if line.percent is None else f"{line.percent}",
            meets,
        )
    return table


@classes_app.command("report")
def classes_report(
    institution_key: InstitutionKey,
    class_id: ClassArgument,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print CSV (RFC 4180).")] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Attendance per trainee and for the class. / Rekap presensi kelas."""
    svc, institution = _institution("report", config, institution_key)
    try:
        report = svc.classes.report(institution, class_id)
    except SiapkerjaError as error:
        raise fail("classes report", error) from None
    if csv_output:
        typer.echo(report.report_csv(), nl=False)
        return
    if json_output:
        _echo_json(report.as_dict())
        return
    _console().print(_report_table(report))


# --- programmes ------------------------------------------------------------------------------


def _programme_table(found: list[Programme]) -> Table:
    table = Table("id", "name", "requirements", "public")
    for programme in found:
        rules = ", ".join(getattr(r, "key", None) or r.rule for r in programme.requirements)
        table.add_row(
            escape(programme.id), escape(programme.name), escape(rules), str(programme.public)
        )
    return table


@programmes_app.command("define")
def programmes_define(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A definition in JSON or TOML (by its extension)."),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option("--example", help="A bundled definition: " + ", ".join(BUNDLED_PROGRAMMES)),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner", help="The operating institution's verifier id (it runs the intakes)."
        ),
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Define (or redefine) a programme from its rules as data. / Tetapkan program."""
    if (file is None) == (example is None):
        typer.echo("Give --file or --example (one). / Berikan --file atau --example.", err=True)
        raise typer.Exit(2)
    svc = open_service("programmes define", config, memory_warning=MEMORY_WARNING)
    try:
        if file is not None:
            try:
                text = file.read_bytes()
            except OSError as error:
                raise fail("programmes define", CommandError(f"{file}: {error.strerror}")) from None
            kind: Literal["json", "toml"] = "toml" if file.suffix.lower() == ".toml" else "json"
            programme = svc.programmes.define(
                text, owner=owner, administrator=True, format=kind, actor=cli_actor()
            )
        else:
            programme = svc.programmes.define(
                bundled_programme(str(example)), owner=owner, administrator=True, actor=cli_actor()
            )
    except SiapkerjaError as error:
        raise fail("programmes define", error) from None
    if json_output:
        _echo_json(programme.as_data())
        return
    _console().print(_programme_table([programme]))


@programmes_app.command("list")
def programmes_list(
    every: Annotated[bool, typer.Option("--all", help="Non-public programmes too.")] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The programmes and their requirements. / Daftar program."""
    svc = open_service("programmes list", config, memory_warning=MEMORY_WARNING)
    try:
        found = svc.programmes.all(public_only=not every)
    except SiapkerjaError as error:
        raise fail("programmes list", error) from None
    if json_output:
        _echo_json([p.as_data() for p in found])
        return
    _console().print(_programme_table(found))


def _eligibility_table(eligibility: Eligibility, lang: str) -> Table:
    verdict = (
        "memenuhi syarat / eligible" if eligibility.eligible else "belum memenuhi / not eligible"
    )
    table = Table(
        "requirement", "outcome", "reason", title=f"{eligibility.programme_id}: {verdict}"
    )
    for result in eligibility.results:
        table.add_row(escape(result.rule), result.outcome.value, escape(result.reason(lang)))
    return table


@programmes_app.command("check")
def programmes_check(
    programme_id: Annotated[str, typer.Argument(metavar="PROGRAMME_ID", show_default=False)],
    account_id: AccountArgument,
    on: Annotated[
        str | None, typer.Option("--date", help="Evaluate on this date (YYYY-MM-DD).")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="id or en.")] = "id",
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Is the account eligible? Every requirement, met or not and why. / Cek kelayakan."""
    day = None
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            typer.echo("--date: YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
    svc = open_service("programmes check", config, memory_warning=MEMORY_WARNING)
    try:
        eligibility = svc.programmes.check(programme_id, account_id, today=day)
    except SiapkerjaError as error:
        raise fail("programmes check", error) from None
    if json_output:
        _echo_json(eligibility.as_dict())
        return
    _console().print(_eligibility_table(eligibility, lang))


def _classes_root() -> None:
    """Training classes and attendance. / Kelas pelatihan dan presensi."""


def _programmes_root() -> None:
    """Programmes and their requirements. / Program dan persyaratannya."""


classes_app.callback()(_classes_root)
programmes_app.callback()(_programmes_root)
