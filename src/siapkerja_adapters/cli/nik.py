"""``siapkerja nik check NIK...``: validate NIKs and say what their digits mean.

One line per NIK (or one JSON object per line with ``--json``). Exit codes:
0 if every NIK is valid, 1 if any is invalid, 2 for a usage error. The
rendering functions are plain functions, so they can be tested and reused
without the CLI machinery.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Final

import typer

from siapkerja_core.nik import InvalidNik, Nik, parse_nik

if TYPE_CHECKING:
    from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "Lang",
    "error_line",
    "error_record",
    "iter_niks",
    "nik_app",
    "nik_check",
    "nik_line",
    "nik_record",
]

STDIN_ARG: Final = "-"


class Lang(enum.StrEnum):
    """The language of the human-readable output."""

    id = "id"
    en = "en"


# Labels of the human output: (Indonesian, English). With no --lang both are shown
# where a sentence is concerned (the error messages, like ``str(InvalidNik)``);
# short markers use the English form, which the documentation shows.
_RETIRED: Final = ("kode lama", "retired")
_NOTHING_TO_CHECK: Final = (
    "Tidak ada NIK untuk diperiksa (masukan standar kosong?).",
    "No NIK to check (empty standard input?).",
)
_BAD_TODAY: Final = (
    "{value!r} bukan tanggal YYYY-MM-DD.",
    "{value!r} is not a YYYY-MM-DD date.",
)


def _pick(pair: tuple[str, str], lang: Lang | None, *, short: bool = False) -> str:
    """One side of an (Indonesian, English) pair, or both joined by `` / ``."""
    if lang is Lang.id:
        return pair[0]
    if lang is Lang.en or short:
        return pair[1]
    return f"{pair[0]} / {pair[1]}"


# --------------------------------------------------------------------------
# Rendering (pure functions: no Typer, easy to test)
# --------------------------------------------------------------------------


def nik_record(text: str, nik: Nik) -> dict[str, object]:
    """The JSON object ``--json`` prints for a valid NIK."""
    return {
        "input": text,
        "valid": True,
        "nik": nik.value,
        "province_code": nik.province_code,
        "regency_code": nik.regency_code,
        "district_code": nik.district_code,
        "province": nik.province_name,
        "regency": nik.regency_name,
        "district": nik.district_name,
        "region_retired": nik.region_retired,
        "region_known": nik.region_known,
        "birth_date": nik.birth_date.isoformat(),
        "sex": nik.sex,
        "serial": nik.serial,
        "warnings": [
            {"code": w.code, "message_id": w.message_id, "message_en": w.message_en}
            for w in nik.warnings
        ],
    }


def error_record(text: str, error: SiapkerjaError) -> dict[str, object]:
    """The JSON object ``--json`` prints for an invalid NIK."""
    return {
        "input": text,
        "valid": False,
        "error": {
            "code": error.full_code,
            "message_id": error.message_id,
            "message_en": error.message_en,
        },
    }


def nik_line(text: str, nik: Nik, lang: Lang | None) -> str:
    """``<input> OK  L 1945-08-17  <province> / <regency> / <district> [retired]``."""
    # A lenient parse may know the province but not the district: "?" per unknown level.
    names = (nik.province_name, nik.regency_name, nik.district_name)
    where = " / ".join(name or "?" for name in names)
    line = f"{text} OK  {nik.sex} {nik.birth_date.isoformat()}  {where}"
    if nik.region_retired:
        line += f" [{_pick(_RETIRED, lang, short=True)}]"
    for warning in nik.warnings:
        line += f"  ! {_pick((warning.message_id, warning.message_en), lang)}"
    return line


def error_line(text: str, error: SiapkerjaError, lang: Lang | None) -> str:
    """``<input> INVALID nik.region  <Indonesian message> / <English message>``."""
    message = _pick((error.message_id, error.message_en), lang)
    return f"{text} INVALID {error.full_code}  {message}"


def iter_niks(args: Iterable[str], stdin: Iterable[str]) -> Iterator[str]:
    """The NIKs to check: the arguments in order, ``-`` replaced by stdin's lines.

    Lines are stripped of surrounding blanks (and a byte-order mark); blank
    lines are skipped. Stdin is read lazily, so a long file streams through.
    """
    for arg in args:
        if arg != STDIN_ARG:
            yield arg
            continue
        for line in stdin:
            text = line.replace("\ufeff", "").strip()
            if text:
                yield text


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def _parse_today(value: str) -> date:
    """``--today``'s parser: an ISO date, or a usage error (exit code 2)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_pick(_BAD_TODAY, None).format(value=value)) from None


def nik_root() -> None:
    """Work with NIKs (Nomor Induk Kependudukan). / Perintah untuk NIK."""


def nik_check(
    niks: Annotated[
        list[str],
        typer.Argument(
            metavar="NIK",
            show_default=False,
            help="NIKs to check; '-' reads more from standard input, one per line.",
        ),
    ],
    json_lines: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object per NIK (JSON Lines) instead of text.",
        ),
    ] = False,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Accept a region code found in no Kemendagri list (with a warning).",
        ),
    ] = False,
    today: Annotated[
        date | None,
        typer.Option(
            "--today",
            metavar="YYYY-MM-DD",
            parser=_parse_today,
            show_default=False,
            help="Reference date for the birth year's century (default: today).",
        ),
    ] = None,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            case_sensitive=False,
            show_default=False,
            help="Language of the text output (default: both, Indonesian / English).",
        ),
    ] = None,
) -> None:
    """Check NIKs: validity, region, sex and birth date.

    Prints one line per NIK, '<NIK> OK  <L|P> <birth date>  <province> /
    <regency> / <district>' (marked 'retired' for a code no longer current)
    or '<NIK> INVALID <code>  <message>'. Exit code 0 if all are valid, 1 if
    any is invalid, 2 for a usage error.
    """
    checked = 0
    invalid = 0
    for text in iter_niks(niks, sys.stdin):
        checked += 1
        try:
            nik = parse_nik(text, strict=not lenient, today=today)
        except InvalidNik as error:
            invalid += 1
            record, line = error_record(text, error), error_line(text, error, lang)
        else:
            record, line = nik_record(text, nik), nik_line(text, nik, lang)
        # The full NIK is printed on purpose: the user typed it on this very
        # terminal (or piped it in), so echoing it back discloses nothing new,
        # and a masked NIK could not be matched to its input line.
        typer.echo(json.dumps(record, ensure_ascii=False) if json_lines else line)
    if checked == 0:
        raise typer.BadParameter(_pick(_NOTHING_TO_CHECK, None), param_hint="NIK")
    if invalid:
        raise typer.Exit(code=1)


nik_app: Final = typer.Typer(name="nik", no_args_is_help=True, add_completion=False)
nik_app.callback()(nik_root)
nik_app.command("check")(nik_check)
