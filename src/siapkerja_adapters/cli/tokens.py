"""``siapkerja token verify TOKEN_OR_URL [--purpose EVENT]``: check a scanned QR token.

A token (or a link QR's URL) is checked against the service's keyring and the
card's current state: mode, key id, card reference, version (link) or time
step (access code); a refused token prints its typed error in both languages
and exits 1. The checks are the facade's (:meth:`Siapkerja.verify_token`), the
ones every scan and check-in obeys; a check records nothing (no ledger entry,
no check-in) and makes no keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import urlsplit

import typer

from siapkerja_adapters.cli.common import ConfigOption, JsonOption, open_service, print_json
from siapkerja_adapters.cli.keys import MEMORY_WARNING
from siapkerja_core.errors import CardError
from siapkerja_core.tokens import LinkClaims, TokenError, link_token_from_url

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["token_app", "token_report"]

token_app: Final = typer.Typer(
    name="token",
    help="Periksa token QR kartu / Check the card's QR tokens.",
    no_args_is_help=True,
    add_completion=False,
)
_PURPOSE_REQUIRED: Final = (
    "Kode akses terikat pada suatu kegiatan: sebutkan dengan --purpose EVENT. / An access code"
    " is bound to an event: name it with --purpose EVENT."
)


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

    The checks are the facade's (:meth:`Siapkerja.verify_token`): those of a
    scan or a check-in, recording nothing.

    :raises TokenError: the token is malformed, forged, expired, revoked, for
        another purpose, or of the other mode.
    :raises ValueError: an access code without ``purpose``.
    """
    try:
        claims = svc.verify_token(_token_text(svc, token_or_url), purpose=purpose)
    except CardError as error:
        if error.code != "purpose_required":
            raise
        raise ValueError(_PURPOSE_REQUIRED) from None
    if isinstance(claims, LinkClaims):
        return {
            "valid": True,
            "mode": "link",
            "kid": claims.kid,
            "card_ref": claims.card_ref,
            "version": claims.version,
        }
    return {
        "valid": True,
        "mode": "access",
        "kid": claims.kid,
        "card_ref": claims.card_ref,
        "step": claims.step,
        "issued_at": claims.issued_at(svc.cards.access_period).isoformat(),
        "purpose": purpose,
    }


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
    svc = open_service("token verify", config, memory_warning=MEMORY_WARNING)
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
            print_json(record)
        else:
            typer.echo(f"INVALID {error.full_code}  {error.message_id} / {error.message_en}")
        raise typer.Exit(1) from None
    if json_output:
        print_json(report)
    else:
        typer.echo(_report_line(report))


token_app.callback()(token_root)
