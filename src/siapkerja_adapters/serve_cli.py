"""``siapkerja serve``, ``siapkerja token verify`` and ``siapkerja keys rotate|list``.

* :func:`serve` runs the web binding (:func:`~siapkerja_adapters.web.create_app`)
  on uvicorn over ``connect()``. ``--dev`` adds the SMS outbox page
  (``/dev/outbox``) and a random session secret; without it the server needs
  ``SIAPKERJA_SECRET_KEY``.
* :data:`token_app` — ``verify TOKEN_OR_URL [--purpose EVENT]`` checks a
  scanned token (or a link QR's URL) against the service's keyring and the
  card's current version: mode, key id, card reference, version (link) or
  time step (access code); a refused token prints its typed error in both
  languages and exits 1.
* :data:`keys_app` — ``rotate`` adds a new signing key of each kind (the older
  keys keep verifying) and prints their ids; ``list`` shows every key and its
  state, never a secret.

Each works on ``connect()`` with the usual settings: ``SIAPKERJA_*``
variables, then the TOML file (``--config`` or ``$SIAPKERJA_CONFIG``). Keys
live in the storage: with the ``memory`` storage they are gone when the
command ends, which the commands say. Exit codes: 0 on success, 1 for a
refused token or a failed command (the typed error in Indonesian and
English), 2 for a usage error.

The main CLI mounts these with ``app.command("serve")(serve)``,
``app.add_typer(token_app, name="token")`` and ``app.add_typer(keys_app, name="keys")``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import urlsplit

import typer

from siapkerja_adapters.connect import connect
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.tokens import (
    Keyring,
    LinkClaims,
    TokenError,
    check_link_version,
    link_token_from_url,
    verify_access,
    verify_link,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from siapkerja_core.service import Siapkerja

__all__ = ["keys_app", "reload_factory", "serve", "token_app", "token_report"]

token_app: Final = typer.Typer(
    name="token",
    help="Periksa token QR kartu / Check the card's QR tokens.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app: Final = typer.Typer(
    name="keys",
    help="Kunci penanda tangan token QR / The QR tokens' signing keys.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $SIAPKERJA_CONFIG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]

_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
# Settings for the process uvicorn's --reload starts: not SIAPKERJA_* (those are settings).
_RELOAD_ENV: Final = "_SIAPKERJA_SERVE"
_MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai (kuncinya juga); atur"
    " SIAPKERJA_STORAGE agar kunci dan kartu tersimpan.\n"
    "Warning: the 'memory' storage (and its keys) is gone when this command ends; set"
    " SIAPKERJA_STORAGE to keep keys and cards."
)
_KEY_SETUP_HINT: Final = (
    "Atur SIAPKERJA_SECRET_KEY (32 byte acak), atau jalankan 'siapkerja serve --dev' untuk"
    " pengembangan.\n"
    "Set SIAPKERJA_SECRET_KEY (32 random bytes), or run 'siapkerja serve --dev' for development."
)
_PURPOSE_REQUIRED: Final = (
    "Kode akses terikat pada suatu kegiatan: sebutkan dengan --purpose EVENT. / An access code"
    " is bound to an event: name it with --purpose EVENT."
)


def _fail(command: str, error: BaseException) -> typer.Exit:
    """Print ``error`` (both languages for a typed error) on stderr; exit code 1."""
    typer.echo(f"siapkerja {command}: {error}", err=True)
    return typer.Exit(1)


def _service(command: str, config: Path | None, *, warn_memory: bool = True) -> Siapkerja:
    try:
        svc = connect(config=config)
    except SiapkerjaError as error:
        raise _fail(command, error) from None
    if warn_memory and svc.settings.adapter_name("storage") == "memory":
        typer.echo(_MEMORY_WARNING, err=True)
    return svc


def _stored_keyring(svc: Siapkerja) -> Keyring | None:
    """The keyring in storage, without creating one (a check must not mint keys)."""
    with svc.storage.transaction() as tx:
        return tx.keyring.get()


# --------------------------------------------------------------------------
# serve
# --------------------------------------------------------------------------


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
    :raises SiapkerjaError: a bad setting, or no secret key outside development mode.
    """
    from siapkerja_adapters.web import create_app

    svc = connect(config=config)
    if dev and svc.settings.get("card_base_url") is None:
        base = f"http://{_url_host(host)}:{port}{root_path.rstrip('/')}/v/"
        svc = connect(config=config, card_base_url=base)
    return create_app(svc, dev=dev)


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
    config: ConfigOption = None,
) -> None:
    """Serve the SIAPkerja-ID pages and JSON API with uvicorn.

    Jalankan halaman web dan API JSON SIAPkerja-ID. The API is at /api (its
    OpenAPI document at /api/v1/openapi.json). Outside --dev the session
    cookie needs SIAPKERJA_SECRET_KEY.
    """
    try:
        import uvicorn

        app = build_app(dev=dev, config=config, host=host, port=port, root_path=root_path)
    except ImportError as error:
        raise _fail("serve", error) from None
    except SiapkerjaError as error:
        typer.echo(f"siapkerja serve: {error}", err=True)
        if getattr(error, "params", {}).get("name") == "secret_key":
            typer.echo(_KEY_SETUP_HINT, err=True)
        raise typer.Exit(1) from None

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
    if reload:
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
            "siapkerja_adapters.serve_cli:reload_factory", factory=True, reload=True, **options
        )
        return
    uvicorn.run(app, **options)


# --------------------------------------------------------------------------
# token verify
# --------------------------------------------------------------------------


def _token_text(svc: Siapkerja, text: str) -> str:
    """The token of ``text``: a bare token, or a link QR's URL (this deployment's or another's)."""
    text = text.strip()
    if "/" not in text:
        return text
    try:
        return link_token_from_url(svc.cards.base_url, text)
    except TokenError:
        # Another base URL: the last path segment (the signature still decides).
        return urlsplit(text).path.rstrip("/").rpartition("/")[2]


def token_report(svc: Siapkerja, token_or_url: str, purpose: str | None = None) -> dict[str, Any]:
    """What ``token verify`` prints as JSON for a genuine, current token.

    :raises TokenError: the token is malformed, forged, expired, revoked, for
        another purpose, or of the other mode.
    :raises ValueError: an access code without ``purpose``.
    """
    token = _token_text(svc, token_or_url)
    ring = _stored_keyring(svc) or Keyring()  # no keys yet: every token is forged
    if token[:2].upper() == "A-":
        if not purpose:
            try:  # a malformed or forged code says so first
                verify_access(ring, token, "", svc.now())
            except TokenError as error:
                if error.code != "wrong_purpose":
                    raise
            raise ValueError(_PURPOSE_REQUIRED)
        period = svc.cards.access_period
        access = verify_access(ring, token, purpose, svc.now(), period=period)
        _check_card(svc, access.card_ref, None)
        return {
            "valid": True,
            "mode": "access",
            "kid": access.kid,
            "card_ref": access.card_ref,
            "step": access.step,
            "issued_at": access.issued_at(period).isoformat(),
            "purpose": purpose,
        }
    link = verify_link(ring, token)
    _check_card(svc, link.card_ref, link.version)
    return {
        "valid": True,
        "mode": "link",
        "kid": link.kid,
        "card_ref": link.card_ref,
        "version": link.version,
    }


def _check_card(svc: Siapkerja, card_ref: int, version: int | None) -> None:
    """A token of an unknown, revoked or re-issued card is ``revoked``, as a scan says."""
    subject = svc.storage.scan_subject(card_ref)
    if subject is None or not subject.card.active or not subject.account.active:
        raise TokenError("revoked")
    if version is not None:
        check_link_version(LinkClaims(card_ref, version, ""), subject.card.version)


def _report_line(report: dict[str, Any]) -> str:
    if report["mode"] == "link":
        detail = f"version={report['version']}"
    else:
        detail = f"step={report['step']} ({report['issued_at']}) purpose={report['purpose']}"
    return f"OK {report['mode']}  kid={report['kid']}  card_ref={report['card_ref']}  {detail}"


def token_root() -> None:
    """Check the card's QR tokens. / Periksa token QR kartu."""


@token_app.command("verify")
def token_verify(
    token_or_url: Annotated[
        str,
        typer.Argument(
            metavar="TOKEN_OR_URL",
            show_default=False,
            help="A link token (L-...), an access code (A-...) or a link QR's URL.",
        ),
    ],
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose",
            metavar="EVENT",
            show_default=False,
            help="The event an access code must be for (required for A- codes).",
        ),
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Verify a scanned token with the service's keyring.

    Prints 'OK <mode>  kid=…  card_ref=…  version=…' (link) or '… step=…
    purpose=…' (access code), or 'INVALID token.<code>  <pesan> / <message>'.
    Exit code 0 for a genuine, current token, 1 for a refused one, 2 for a
    usage error. / Periksa token dengan keyring layanan.
    """
    svc = _service("token verify", config)
    try:
        report = token_report(svc, token_or_url, purpose)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--purpose") from None
    except TokenError as error:
        if json_output:
            record = {
                "valid": False,
                "error": {
                    "code": error.full_code,
                    "message_id": error.message_id,
                    "message_en": error.message_en,
                },
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(f"INVALID {error.full_code}  {error.message_id} / {error.message_en}")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report, ensure_ascii=False) if json_output else _report_line(report))


token_app.callback()(token_root)


# --------------------------------------------------------------------------
# keys rotate / retire / list
# --------------------------------------------------------------------------


def keys_root() -> None:
    """The QR tokens' signing keys. / Kunci penanda tangan token QR."""


def _key_rows(ring: Keyring) -> list[dict[str, Any]]:
    signing = {k.kid for k in (ring.signing_link_key, ring.signing_access_key) if k is not None}
    rows: list[dict[str, Any]] = []
    for kind, keys in (("link", ring.link_keys), ("access", ring.access_keys)):
        for key in keys:
            state = "retired" if key.retired else ("signing" if key.kid in signing else "verifying")
            rows.append(
                {
                    "kind": kind,
                    "kid": key.kid,
                    "state": state,
                    "created_at": key.created_at.isoformat(),
                    "retired_at": None if key.retired_at is None else key.retired_at.isoformat(),
                }
            )
    return rows


@keys_app.command("rotate")
def keys_rotate(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """Add a new signing key of each kind; older keys keep verifying until retired.

    Prints the new key ids, link then access. Cards issued before keep their
    QR codes; new ones are signed with the new keys. / Buat kunci baru.
    """
    svc = _service("keys rotate", config)
    try:
        ring = svc.rotate_keys()
    except SiapkerjaError as error:
        raise _fail("keys rotate", error) from None
    link, access = ring.signing_link_key, ring.signing_access_key
    new = {
        "link": None if link is None else link.kid,
        "access": None if access is None else access.kid,
    }
    if json_output:
        typer.echo(json.dumps(new))
        return
    for kind, kid in new.items():
        typer.echo(f"{kind:<7} {kid}  kunci baru / new signing key")


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[
        str,
        typer.Argument(
            metavar="KID", show_default=False, help="The key id to retire (e.g. 'AB12')."
        ),
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Retire a key: every token it signed is refused, by every running service, at once.

    The answer to a leaked key. Retiring a key that signs first adds a new
    one of its kind, so cards get new QR codes on request. Prints the new
    signing key ids. / Pensiunkan kunci: semua token yang ditandatanganinya ditolak.
    """
    svc = _service("keys retire", config)
    try:
        ring = svc.retire_key(kid.strip().upper())
    except KeyError:
        typer.echo(
            f"Kunci {kid!r} tidak ada (lihat 'siapkerja keys list'). / No key {kid!r}"
            " (see 'siapkerja keys list').",
            err=True,
        )
        raise typer.Exit(1) from None
    except SiapkerjaError as error:
        raise _fail("keys retire", error) from None
    link, access = ring.signing_link_key, ring.signing_access_key
    result = {
        "retired": kid.strip().upper(),
        "link": None if link is None else link.kid,
        "access": None if access is None else access.kid,
    }
    if json_output:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"retired {result['retired']}  dipensiunkan / retired")
    for kind in ("link", "access"):
        typer.echo(f"{kind:<7} {result[kind]}  kunci penanda tangan / signing key")


@keys_app.command("list")
def keys_list(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """List the signing keys: kind, id, state (signing, verifying, retired), creation time.

    Never prints a secret. / Daftar kunci (tanpa rahasianya).
    """
    svc = _service("keys list", config)
    ring = _stored_keyring(svc)
    rows = [] if ring is None else _key_rows(ring)
    if json_output:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo(
            "Belum ada kunci (dibuat saat kartu pertama terbit, atau dengan 'siapkerja keys"
            " rotate'). / No keys yet (made with the first card, or by 'siapkerja keys rotate')."
        )
        return
    for row in rows:
        typer.echo(f"{row['kind']:<7} {row['kid']}  {row['state']:<9}  {row['created_at']}")


keys_app.callback()(keys_root)
