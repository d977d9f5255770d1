"""``siapkerja serve``: the web binding (:func:`~siapkerja_adapters.web.create_app`) on uvicorn.

It runs over ``connect()``. ``--dev`` adds the SMS outbox page
(``/dev/outbox``) and a random session secret; without it the server needs
``SIAPKERJA_SECRET_KEY`` and refuses the development defaults
(:func:`refuse_unsafe_defaults`): an SMS sender that prints or keeps the codes,
the bundled offline Dukcapil residents, a storage key beside the database —
unless the ``allow_unsafe`` setting names them. ``--reload`` hands the options to uvicorn's child
process through the environment and :func:`reload_factory` rebuilds the app there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final

import typer

from siapkerja_adapters.cli.common import ConfigOption, exit_code_for, fail
from siapkerja_adapters.connect import connect, resolved_settings
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.i18n import both

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from siapkerja_core.service import Siapkerja
    from siapkerja_core.settings import Settings

logger = logging.getLogger("siapkerja.serve")

__all__ = [
    "UNSAFE_DEFAULTS",
    "UnsafeDefaults",
    "build_app",
    "refuse_unsafe_defaults",
    "refuse_unsafe_settings",
    "reload_factory",
    "serve",
]

UNSAFE_DEFAULTS: Final = ("sms", "dukcapil", "key_beside_data")
"""What ``allow_unsafe`` may name: the development defaults ``serve`` refuses outside ``--dev``.

``sms``: the ``console`` or ``memory`` sender (every code printed or kept in
memory, none sent). ``dukcapil``: the ``offline`` registry (bundled test
residents, no real check). ``key_beside_data``: the 0.1 storage key file
beside the SQLite database (a copy of the data directory opens it)."""
_UNSAFE_SMS: Final = frozenset({"console", "memory"})


class UnsafeDefaults(ConfigurationError):
    """``serve`` outside ``--dev`` with a development default nobody allowed.

    Code ``config.unsafe_default``: ``unsafe_id``/``unsafe_en`` say which and
    how to configure real ones, ``names`` what ``allow_unsafe`` would list.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unsafe_default",
        }
    )


def _allowed(settings: Settings) -> frozenset[str]:
    text = settings.get_str("allow_unsafe", "")
    names = frozenset(
        part.strip().strip("\"'").lower() for part in re.split(r"[,;:\s]+", text) if part.strip()
    )
    unknown = sorted(names - set(UNSAFE_DEFAULTS) - {"all"})
    if unknown:
        raise ConfigurationError(
            "invalid",
            name="allow_unsafe",
            reason=f"unknown {', '.join(unknown)}; known: {', '.join(UNSAFE_DEFAULTS)}",
        )
    return frozenset(UNSAFE_DEFAULTS) if "all" in names else names


def refuse_unsafe_defaults(svc: Siapkerja) -> list[str]:
    """Refuse development defaults a production server must not run with.

    :return: the unsafe defaults in use that ``allow_unsafe`` allows (to warn about).
    :raises UnsafeDefaults: ``config.unsafe_default`` for any other.
    :raises ConfigurationError: ``config.invalid`` for an unknown ``allow_unsafe`` name.
    """
    source = getattr(svc.storage, "key_source", None)
    key_beside_data = getattr(source, "origin", None) == "beside_data"
    return refuse_unsafe_settings(svc.settings, key_beside_data=key_beside_data)


def refuse_unsafe_settings(settings: Settings, *, key_beside_data: bool = False) -> list[str]:
    """:func:`refuse_unsafe_defaults` from the settings alone, before anything is opened.

    ``serve`` asks this first, so that a refused start has no side effect (it
    would otherwise open the storage, and on a fresh machine write a key file).
    """
    found: list[str] = []
    if settings.adapter_name("sms") in _UNSAFE_SMS:
        found.append("sms")
    if settings.adapter_name("dukcapil") == "offline":
        found.append("dukcapil")
    if key_beside_data:
        found.append("key_beside_data")
    allowed = _allowed(settings)
    refused = [name for name in found if name not in allowed]
    if refused:
        texts = [both(f"serve.unsafe.{name}", adapter=settings.get(name)) for name in refused]
        raise UnsafeDefaults(
            "unsafe_default",
            unsafe_id="; ".join(text[0] for text in texts),
            unsafe_en="; ".join(text[1] for text in texts),
            names=", ".join(f'"{name}"' for name in refused),
        )
    return [name for name in found if name in allowed]


_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
# Settings for the process uvicorn's --reload starts: not SIAPKERJA_* (those are settings).
_RELOAD_ENV: Final = "_SIAPKERJA_SERVE"
_KEY_SETUP_HINT: Final = (
    "Atur SIAPKERJA_SECRET_KEY (32 byte acak), atau jalankan 'siapkerja serve --dev' untuk"
    " pengembangan.\n"
    "Set SIAPKERJA_SECRET_KEY (32 random bytes), or run 'siapkerja serve --dev' for development."
)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def build_app(
    *, dev: bool, config: Path | None, host: str, port: int, root_path: str = ""
) -> Starlette:
    """The web application ``serve`` runs (``connect()`` over the usual settings).

    In development mode a ``card_base_url`` that is not configured points at
    this server, so the card's QR code opens here.

    :raises ImportError: the ``web`` extra is missing.
    :raises SiapkerjaError: a bad setting, no secret key outside development mode,
        or an unsafe default outside it (:func:`refuse_unsafe_defaults`).
    """
    from siapkerja_adapters.web import create_app
    from siapkerja_adapters.web.heap import freeze_startup_heap

    if not dev:
        refuse_unsafe_settings(resolved_settings(config))
    svc = connect(config=config)
    if dev and svc.settings.get("card_base_url") is None:
        base = f"http://{_url_host(host)}:{port}{root_path.rstrip('/')}/v/"
        svc = connect(config=config, card_base_url=base)
    app = create_app(svc, dev=dev)
    if not dev:
        for name in refuse_unsafe_defaults(svc):
            logger.warning("serving with the unsafe default %r because allow_unsafe lists it", name)
    with contextlib.suppress(SiapkerjaError):  # a port left empty says so when it is used
        svc.wake_outbox()  # SMS a stopped server left in the outbox go out now
    freeze_startup_heap()  # the collector's full passes no longer stall the event loop
    return app


def reload_factory() -> Starlette:
    """The application of a process started by ``serve --reload`` (uvicorn ``--factory``)."""
    options = json.loads(os.environ.get(_RELOAD_ENV, "{}"))
    config = options.get("config")
    return build_app(
        dev=bool(options.get("dev")),
        config=Path(config) if config else None,
        host=str(options.get("host", "127.0.0.1")),
        port=int(options.get("port", 8000)),
        root_path=str(options.get("root_path", "")),
    )


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev/--no-dev",
            help="Development mode: the SMS outbox at /dev/outbox and a random session secret.",
        ),
    ] = False,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart when the code changes (development).")
    ] = False,
    root_path: Annotated[
        str,
        typer.Option("--root-path", help="The prefix a reverse proxy serves this under."),
    ] = "",
    log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn's log level (info, warning, ...).")
    ] = "info",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes sharing the port (uvicorn workers), each with its own storage"
            " pool. They must share SIAPKERJA_SECRET_KEY and a database, not memory storage.",
        ),
    ] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For is trusted (comma list, or '*'): the client"
            " address the sign-in throttles count. Default: uvicorn's ($FORWARDED_ALLOW_IPS,"
            " else 127.0.0.1).",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the SIAPkerja-ID pages and JSON API with uvicorn.

    / Jalankan halaman web dan API JSON SIAPkerja-ID. The API is at /api (its
    OpenAPI document at /api/v1/openapi.json). Outside --dev the session
    cookie needs SIAPKERJA_SECRET_KEY. No --json: the log lines are
    uvicorn's own (its --log-config can make them JSON).
    """
    try:
        import uvicorn

        app = build_app(dev=dev, config=config, host=host, port=port, root_path=root_path)
    except ImportError as error:
        raise fail("serve", error) from None
    except SiapkerjaError as error:
        typer.echo(f"siapkerja serve: {error}", err=True)
        if getattr(error, "params", {}).get("name") == "secret_key":
            typer.echo(_KEY_SETUP_HINT, err=True)
        raise typer.Exit(exit_code_for(error)) from None

    url = f"http://{_url_host(host)}:{port}{root_path.rstrip('/')}/"
    typer.echo(f"siapkerja: {url}")
    if dev:
        typer.echo(
            f"Mode pengembangan: kode SMS muncul di {url}dev/outbox\n"
            f"Development mode: SMS codes appear at {url}dev/outbox"
        )
        if host not in _LOOPBACK:
            typer.echo(
                "Peringatan: --dev di alamat selain loopback memperlihatkan kode SMS kepada"
                " siapa pun di jaringan. / Warning: --dev on a non-loopback address shows the"
                " SMS codes to anyone on the network.",
                err=True,
            )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "root_path": root_path,
        "log_level": log_level,
    }
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    if workers > 1 and dev and not os.environ.get("SIAPKERJA_SECRET_KEY"):
        typer.echo(
            "Peringatan: --dev dengan --workers tanpa SIAPKERJA_SECRET_KEY: tiap proses punya"
            " rahasia acak sendiri, sesi dan pendaftaran berpindah proses akan gagal. / Warning:"
            " --dev with --workers and no SIAPKERJA_SECRET_KEY: each process has its own random"
            " secret, so sessions and registrations fail across processes.",
            err=True,
        )
    if reload or workers > 1:
        # Several processes (or a reloading one) each build the app from an import
        # string; the options reach them through the environment.
        os.environ[_RELOAD_ENV] = json.dumps(
            {
                "dev": dev,
                "config": None if config is None else str(config),
                "host": host,
                "port": port,
                "root_path": root_path,
            }
        )
        uvicorn.run(
            "siapkerja_adapters.cli.serve:reload_factory",
            factory=True,
            reload=reload,
            workers=None if reload else workers,
            **options,
        )
        return
    uvicorn.run(app, **options)
