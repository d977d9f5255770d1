"""``siapkerja status-list show|fetch``: the published card status list, summarised.

``show`` builds (or reuses) the signed list of the configured service, as
``GET /api/v1/status-lists/cards`` serves it; ``fetch URL`` downloads a list
from a running server and checks it as a station would, with the public keys
of that server's ``/station-keys`` (or ``--keys``). Both print its size, how
many cards are revoked and suspended, and when it expires; ``--json`` for
machines. The list itself names no one: only entries and counts are shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

import typer

from siapkerja_adapters.cli.common import (
    EXIT_INVALID,
    EXIT_UNAVAILABLE,
    ConfigOption,
    JsonOption,
    fail,
    open_service,
    print_json,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.tokens import Keyring
from siapkerja_core.tokens.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    StatusListToken,
    verify_status_list,
)

__all__ = ["status_list_app", "summary"]

status_list_app: Final = typer.Typer(
    name="status-list",
    help="Daftar status kartu (dicabut/ditangguhkan) / The card status list.",
    no_args_is_help=True,
    add_completion=False,
)


def status_list_root() -> None:
    """The published list of revoked and suspended cards. / Daftar status kartu."""


def summary(token: StatusListToken) -> dict[str, Any]:
    """What the commands print: the list's claims and counts (no index, no card)."""
    entries = token.status_list
    return {
        "sub": token.sub,
        "kid": token.kid,
        "iat": token.iat.isoformat(),
        "exp": token.exp.isoformat(),
        "ttl": token.ttl,
        "bits": entries.bits,
        "entries": entries.size,
        "revoked": entries.count(STATUS_INVALID),
        "suspended": entries.count(STATUS_SUSPENDED),
        "bytes": len(token.token),
    }


def _print(result: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(result)
        return
    labels = {
        "sub": "alamat / URI",
        "kid": "kunci / key id",
        "iat": "diterbitkan / issued",
        "exp": "berlaku s.d. / expires",
        "ttl": "umur maks. / max age (s)",
        "entries": "entri / entries",
        "revoked": "dicabut / revoked",
        "suspended": "ditangguhkan / suspended",
        "bytes": "ukuran / size (bytes)",
    }
    width = max(len(label) for label in labels.values())
    for key, label in labels.items():
        typer.echo(f"{label:<{width}}  {result[key]}")


@status_list_app.command("show")
def status_list_show(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """The configured service's current list: size, revoked and suspended counts, expiry.

    / Daftar status kartu layanan ini: ukuran, jumlah dicabut dan ditangguhkan, masa berlaku.
    """
    svc = open_service("status-list show", config, memory_warning=None)
    try:
        current = svc.status_lists.current()
    except SiapkerjaError as error:
        raise fail("status-list show", error) from None
    _print(summary(current), json_output)


@status_list_app.command("fetch")
def status_list_fetch(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            show_default=False,
            help="The list's address, e.g. https://host/api/v1/status-lists/cards.",
        ),
    ],
    keys: Annotated[
        str | None,
        typer.Option(
            "--keys",
            metavar="URL",
            help="The JWK Set to verify with (default: station-keys beside URL).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 10.0,
    json_output: JsonOption = False,
) -> None:
    """Download a list and check it as an offline station would (signature, expiry).

    / Unduh daftar dan periksa seperti alat pemindai luring (tanda tangan, masa berlaku).
    """
    from siapkerja_adapters.http_client import import_httpx

    keys_url = keys or url.rsplit("/status-lists/", 1)[0] + "/station-keys"
    try:
        httpx = import_httpx("status-list fetch", command=True)
        with httpx.Client(timeout=timeout) as client:
            answer = client.get(url)
            answer.raise_for_status()
            jwks = client.get(keys_url)
            jwks.raise_for_status()
            ring = Keyring.from_jwks(jwks.json())
        current = verify_status_list(ring, answer.text, datetime.now(UTC))
    except SiapkerjaError as error:
        raise fail("status-list fetch", error) from None
    except Exception as error:  # any network or HTTP failure: say it, with its exit code
        raise fail(
            "status-list fetch",
            _FetchError(f"tidak dapat mengunduh / cannot fetch: {error}"),
            code=_fetch_exit_code(error),
        ) from None
    _print(summary(current), json_output)


class _FetchError(Exception):
    """A list or key set that could not be downloaded (its text names why)."""


def _fetch_exit_code(error: Exception) -> int:
    """4 when the server cannot be reached or answers 5xx (a service down), else 1
    (a 4xx: a wrong address; an answer that is not a list or a key set)."""
    import httpx  # imported by now: the fetch got as far as raising

    if isinstance(error, httpx.TransportError):
        return EXIT_UNAVAILABLE
    if isinstance(error, httpx.HTTPStatusError) and error.response.status_code >= 500:
        return EXIT_UNAVAILABLE
    return EXIT_INVALID


status_list_app.callback()(status_list_root)
