"""What the ``siapkerja`` commands share: the ``--config``/``--json``/``--progress``
options, opening the service, the exit codes, printing JSON and a typed error.

Every command works on ``connect()`` with the usual settings: ``SIAPKERJA_*``
variables, then the TOML file (``--config`` or ``$SIAPKERJA_CONFIG``).

The conventions every command follows (``docs/cli.md``, "Conventions"):

* **Exit codes**, one mapping (:func:`exit_code_for`): :data:`EXIT_OK` 0,
  :data:`EXIT_INVALID` 1 (refused input, a domain refusal: a typed
  :class:`~siapkerja_core.errors.SiapkerjaError`), :data:`EXIT_USAGE` 2 (click's
  usage errors), :data:`EXIT_CONFIG` 3 (a bad setting, a missing extra or
  adapter), :data:`EXIT_UNAVAILABLE` 4 (a service down: the database, Dukcapil,
  the SMS or mail gateway, Redis).
* **``--json``** (:data:`JsonOption`): the result as JSON on standard output —
  one document, except ``nik check`` which prints JSON Lines. An error in
  ``--json`` mode is one object ``{"error": {"code", "message_id", "message_en",
  "exit_code"}}``, also on standard output (:func:`fail`), so a pipe to ``jq``
  sees it; the text mode writes errors on standard error.
* **``--progress/--no-progress``** (:data:`ProgressOption`): a rich bar on
  standard error for the commands that loop over many rows; by default only on a
  terminal and never with ``--json`` (:func:`progress_bar`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from siapkerja_core.errors import ConfigurationError, SiapkerjaError

if TYPE_CHECKING:
    from siapkerja_core.disclosure import Verifier
    from siapkerja_core.service import Siapkerja

__all__ = [
    "EPHEMERAL_SECRET_FLAG",
    "EXIT_CODES",
    "EXIT_CONFIG",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "PROG_NAME",
    "CommandError",
    "ConfigOption",
    "EphemeralSecretOption",
    "JsonOption",
    "ProgressOption",
    "aware_moment",
    "error_json",
    "exit_code_for",
    "fail",
    "json_mode",
    "open_institution",
    "open_service",
    "print_json",
    "progress_bar",
    "require_shared_secret",
]

PROG_NAME: Final = "siapkerja"

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $SIAPKERJA_CONFIG)."),
]

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_CONFIG: Final = 3
EXIT_UNAVAILABLE: Final = 4
EXIT_CODES: Final[dict[int, str]] = {
    EXIT_OK: "ok / berhasil",
    EXIT_INVALID: "invalid input or refused / masukan tidak sah atau ditolak",
    EXIT_USAGE: "usage error / salah pemakaian perintah",
    EXIT_CONFIG: "configuration or missing extra / konfigurasi atau paket tambahan",
    EXIT_UNAVAILABLE: "a service is down / layanan tidak tersedia",
}
"""Every exit code a command uses, with its meaning (the root help and ``docs/cli.md``)."""

_UNAVAILABLE_DOMAINS: Final = frozenset({"storage", "dukcapil", "sms", "mail", "ratelimit"})
"""Domains whose ``unavailable`` code means a service is down (the web binding's 503s)."""
_CONFIG_DOMAINS: Final = frozenset({"config", "plugin"})
_CONFIG_CODES: Final = frozenset({"storage.key_missing", "storage.not_migrated"})
"""Not a setting's domain, but fixed by configuring (the key file, ``db upgrade``)."""


def exit_code_for(error: BaseException) -> int:
    """The exit code of a command that ends on ``error`` (the one mapping every command uses).

    A service down is :data:`EXIT_UNAVAILABLE`; a setting, an adapter or an extra
    missing :data:`EXIT_CONFIG`; every other typed refusal :data:`EXIT_INVALID`.
    An untyped error (a file that cannot be read) is invalid input too.
    """
    if isinstance(error, ImportError):  # an optional dependency (an extra) is missing
        return EXIT_CONFIG
    if not isinstance(error, SiapkerjaError):
        return EXIT_INVALID
    if error.code == "unavailable" and error.domain in _UNAVAILABLE_DOMAINS:
        return EXIT_UNAVAILABLE
    if error.domain in _CONFIG_DOMAINS or error.full_code in _CONFIG_CODES:
        return EXIT_CONFIG
    return EXIT_INVALID


_JSON_MODE: ContextVar[bool] = ContextVar("siapkerja_cli_json", default=False)
"""Whether the running command was given ``--json``: :func:`fail` then answers in JSON."""


def _remember_json(ctx: typer.Context, value: bool) -> bool:
    # Set for this command only: reset when its context closes, so that a test
    # running several commands in one process never inherits a previous --json.
    token = _JSON_MODE.set(bool(value))
    ctx.call_on_close(lambda: _JSON_MODE.reset(token))
    return value


def json_mode() -> bool:
    """Whether the running command was given ``--json``."""
    return _JSON_MODE.get()


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=_remember_json,
        help="Print JSON on standard output instead of text (errors too)."
        " / Cetak JSON, bukan teks (termasuk galat).",
    ),
]
ProgressOption = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        show_default="on a terminal, never with --json",
        help="Show a progress bar on standard error. / Tampilkan bilah kemajuan.",
    ),
]
EPHEMERAL_SECRET_FLAG: Final = "--allow-ephemeral-secret"  # noqa: S105 - a flag, not a secret
EphemeralSecretOption = Annotated[
    bool,
    typer.Option(
        EPHEMERAL_SECRET_FLAG,
        help="Print an API key even without SIAPKERJA_SECRET_KEY: it then works in this"
        " process only (a test, a demo), never in 'siapkerja serve'.",
    ),
]


class CommandError(Exception):
    """A refusal a command words itself, in both languages (a file it cannot read, a
    cancelled confirmation): :func:`fail` reports it as ``cli.error``, exit code 1."""


def print_json(document: object, *, indent: int | None = None) -> None:
    """Print ``document`` as one JSON document on standard output: every command's
    ``--json`` printer (UTF-8 kept as is; a date or path as its text)."""
    typer.echo(json.dumps(document, ensure_ascii=False, default=str, indent=indent))


def error_json(error: BaseException, code: int | None = None) -> dict[str, object]:
    """The ``{"error": {...}}`` object of ``error``: its stable code, both messages and
    the exit code (``code``, else :func:`exit_code_for`). An untyped error has the code
    ``cli.error`` and its text (bilingual where the command wrote it so) twice."""
    if isinstance(error, SiapkerjaError):
        body: dict[str, object] = {
            "code": error.full_code,
            "message_id": error.message_id,
            "message_en": error.message_en,
        }
    else:
        text = str(error) or type(error).__name__
        body = {"code": "cli.error", "message_id": text, "message_en": text}
    body["exit_code"] = exit_code_for(error) if code is None else code
    return {"error": body}


def fail(command: str, error: BaseException, *, code: int | None = None) -> typer.Exit:
    """Report ``error`` and return the :class:`typer.Exit` of its exit code: ``code`` for
    an untyped error the command classified itself, else :func:`exit_code_for`.

    With ``--json``: :func:`error_json` on standard output. Otherwise the command and
    the error (both languages for a typed error) on standard error.
    """
    exit_code = exit_code_for(error) if code is None else code
    if json_mode():
        print_json(error_json(error, exit_code))
    else:
        typer.echo(f"{PROG_NAME} {command}: {error}", err=True)
    return typer.Exit(exit_code)


PLAIN_PROGRESS_INTERVAL: Final = 5.0
"""Seconds at least between two lines of progress on a non-terminal (:func:`progress_bar`)."""

_clock: Callable[[], float] = time.monotonic  # tests replace it


class _PlainProgress:
    """Progress as plain lines on standard error (``description: done/total (pct%)``): the
    first step's at once, then at most one every :data:`PLAIN_PROGRESS_INTERVAL` seconds,
    and one at the end, so that a log shows how far a run got, even a killed one's."""

    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.last: float | None = None

    def advance(self, n: int) -> None:
        self.done += n
        now = _clock()
        if self.last is None or now - self.last >= PLAIN_PROGRESS_INTERVAL:
            self.last = now
            self.write()

    def finish(self) -> None:
        if self.total is not None:  # ends full, as the bar does (blank lines, quoted cells)
            self.done = self.total
        self.write()

    def write(self) -> None:
        if self.total:
            shown = f"{self.done}/{self.total} ({self.done * 100 // self.total}%)"
        else:
            shown = str(self.done)
        typer.echo(f"{self.description}: {shown}", err=True)


@contextmanager
def progress_bar(
    description: str, total: int | None, *, enabled: bool | None
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on standard error; yields the ``progress(n)`` callback.

    ``enabled`` is :data:`ProgressOption`'s value: ``None`` shows the bar only
    when standard error is a terminal and the command is not in ``--json`` mode;
    a disabled bar yields a callback that does nothing. ``total=None`` gives an
    indeterminate bar. The bar ends full on success. Forced on a standard error that is
    not a terminal (``--progress`` in a CI log), plain lines instead (:class:`_PlainProgress`):
    rich would draw the bar there only once, at the end.
    """
    if enabled is None:
        enabled = not json_mode() and sys.stderr.isatty()
    if not enabled:
        yield lambda _n: None
        return
    if not sys.stderr.isatty():
        # rich draws on a non-terminal only when the bar stops: a CI log (or a killed run's)
        # stayed empty for the whole import (an outside tester's finding). Plain lines then.
        plain = _PlainProgress(description, total)
        yield plain.advance
        plain.finish()
        return
    # rich is imported here: `siapkerja nik check` imports this module and needs no bar.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True, highlight=False),
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
        if total is None:
            progress.update(task, total=progress.tasks[0].completed)
        else:  # a quoted cell over several lines, blank lines: end full all the same
            progress.update(task, completed=total)


def require_shared_secret(svc: Siapkerja, command: str, *, allowed: bool) -> None:
    """Refuse, before anything is written, a command that would print an API key
    no server can check: keys are HMACs keyed by ``secret_key``, and without one
    each process draws its own. ``allowed`` is :data:`EPHEMERAL_SECRET_FLAG`.

    :raises typer.Exit: code 1, with ``config.secret_required`` in both languages.
    """
    if allowed or svc.settings.get("secret_key") is not None:
        return
    error = ConfigurationError(
        "secret_required", command=f"{PROG_NAME} {command}", flag=EPHEMERAL_SECRET_FLAG
    )
    raise fail(command, error)


def connect(**settings: Any) -> Siapkerja:
    """``siapkerja_adapters.connect``, imported when a command first needs the service.

    Importing it brings SQLAlchemy, the HTTP adapters and the plug-in host;
    ``siapkerja nik check`` needs none of them and starts without them.
    """
    from siapkerja_adapters.connect import connect as connect_service

    return connect_service(**settings)


def open_service(
    command: str,
    config: Path | None,
    *,
    memory_warning: str | None,
    keep_outbox: bool = False,
) -> Siapkerja:
    """``connect(config=config)``; a bad setting exits 1 with its message.

    :param memory_warning: printed on stderr when the storage is ``memory``
        (what the command made is gone when it ends); ``None`` prints nothing.
    :param keep_outbox: leave the SMS and e-mails the command writes (notices) in the
        durable outbox for the serving process or ``siapkerja worker``: a command
        delivering them itself would print a ``console`` sender's messages into its
        ``--json`` output, and it exits at once.
    """
    try:
        svc = connect(config=config)
    except SiapkerjaError as error:
        raise fail(command, error) from None
    if memory_warning is not None and svc.settings.adapter_name("storage") == "memory":
        typer.echo(memory_warning, err=True)
    if keep_outbox:
        svc.use_outbox_dispatcher(wake=lambda: None, drain=svc.outbox.drain)
    return svc


def open_institution(
    command: str,
    config: Path | None,
    key: str,
    *,
    memory_warning: str | None,
    shared_secret: bool | None = None,
) -> tuple[Siapkerja, Verifier]:
    """The service and the institution whose API key the operator gave (as the HTTP API's
    ``X-Verifier-Key``): the commands of an organiser, a BLK or a Disnaker officer.

    :param shared_secret: for a command that prints a key, whether
        :data:`EPHEMERAL_SECRET_FLAG` was given (see :func:`require_shared_secret`);
        ``None`` for one that prints none.
    """
    svc = open_service(command, config, memory_warning=memory_warning)
    if shared_secret is not None:
        require_shared_secret(svc, command, allowed=shared_secret)
    try:
        return svc, svc.verifier(key)
    except SiapkerjaError as error:
        raise fail(command, error) from None


def aware_moment(text: str) -> datetime:
    """An ISO 8601 time with its offset (a typer option's value); a usage error otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(
            "waktu ISO 8601 dengan zona, mis. 2027-01-04T08:00+07:00 (WIB) / an ISO 8601"
            " time with its offset, e.g. 2027-01-04T08:00+07:00 (WIB)"
        )
    return moment
