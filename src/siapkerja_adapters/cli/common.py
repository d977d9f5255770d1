"""What the ``siapkerja`` commands share: the ``--config``/``--json`` options, opening the
service, and printing a typed error before exiting with code 1.

Every command works on ``connect()`` with the usual settings: ``SIAPKERJA_*``
variables, then the TOML file (``--config`` or ``$SIAPKERJA_CONFIG``). Exit
codes: 0 on success, 1 for refused input or a failed command (the typed error
in Indonesian and English), 2 for a usage error.
"""

from __future__ import annotations

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
    "PROG_NAME",
    "ConfigOption",
    "EphemeralSecretOption",
    "JsonOption",
    "aware_moment",
    "fail",
    "open_institution",
    "open_service",
    "require_shared_secret",
]

PROG_NAME: Final = "siapkerja"

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $SIAPKERJA_CONFIG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
EPHEMERAL_SECRET_FLAG: Final = "--allow-ephemeral-secret"  # noqa: S105 - a flag, not a secret
EphemeralSecretOption = Annotated[
    bool,
    typer.Option(
        EPHEMERAL_SECRET_FLAG,
        help="Print an API key even without SIAPKERJA_SECRET_KEY: it then works in this"
        " process only (a test, a demo), never in 'siapkerja serve'.",
    ),
]


def fail(command: str, error: BaseException) -> typer.Exit:
    """Print ``error`` (both languages for a typed error) on stderr; exit code 1."""
    typer.echo(f"{PROG_NAME} {command}: {error}", err=True)
    return typer.Exit(1)


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
