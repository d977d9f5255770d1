"""``siapkerja keys rotate|retire|list``: the QR tokens' signing keys.

``rotate`` adds a new signing key of each kind (the older keys keep verifying)
and prints their ids; ``retire`` stops a key verifying, in every running
service at once (a leaked key); ``list`` shows every key and its state, never
a secret. An access key also signs ES256 ID tokens with the P-256 key derived
from it (:mod:`siapkerja_core.tokens.jose_keys`): ``list --json`` gives that
key's id (``es256_kid``) and ``retire`` takes it too, retiring the access key.
Keys live in the storage: with the ``memory`` storage they are gone when the
command ends, which the commands say.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from siapkerja_adapters.cli.common import (
    ConfigOption,
    JsonOption,
    fail,
    open_service,
    print_json,
)
from siapkerja_adapters.connect import resolved_settings
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.tokens import Keyring, TokenError, es256_key

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["MEMORY_WARNING", "keys_app", "stored_keyring"]

keys_app: Final = typer.Typer(
    name="keys",
    help="Kunci penanda tangan token QR / The QR tokens' signing keys.",
    no_args_is_help=True,
    add_completion=False,
)
MEMORY_WARNING: Final = (
    "Peringatan: penyimpanan 'memory' hilang saat perintah ini selesai (kuncinya juga); atur"
    " SIAPKERJA_STORAGE agar kunci dan kartu tersimpan.\n"
    "Warning: the 'memory' storage (and its keys) is gone when this command ends; set"
    " SIAPKERJA_STORAGE to keep keys and cards."
)


def stored_keyring(svc: Siapkerja) -> Keyring | None:
    """The keyring in storage, without creating one (a check must not mint keys)."""
    with svc.storage.transaction() as tx:
        return tx.keyring.get()


def missing_database(config: Path | None) -> Path | None:
    """The SQLite file of the ``sql`` storage the settings name, when nothing was ever
    stored in it (``db.unwritten_sqlite_file``): there are no keys to show. ``None`` for
    any other storage or a database that holds something.

    A listing must not write: opening the storage would create the file and, with
    no key configured, generate a storage key beside it. A setting that cannot be
    read gives ``None`` too, so that opening the service reports it as usual.
    """
    # Imported here, as connect() does: the sql adapter brings SQLAlchemy.
    from siapkerja_adapters.cli.db import unwritten_sqlite_file

    try:
        if resolved_settings(config, environ=os.environ).adapter_name("storage") != "sql":
            return None
    except (SiapkerjaError, ValueError):
        return None
    return unwritten_sqlite_file(config, None)


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
    derived = {k.kid: es256_key(k).kid for k in ring.access_keys if k.private_key is not None}
    for row in rows:
        if row["kind"] == "access" and row["kid"] in derived:
            row["es256_kid"] = derived[row["kid"]]  # the ES256 ID tokens' key
    return rows


def _access_kid_of(svc: Siapkerja, es256_kid: str) -> str | None:
    """The access key whose derived P-256 key has this id (ES256 ID tokens name it)."""
    ring = stored_keyring(svc)
    for key in () if ring is None else ring.access_keys:
        if key.private_key is not None and es256_key(key).kid == es256_kid:
            return key.kid
    return None


@keys_app.command("rotate")
def keys_rotate(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """Add a new signing key of each kind; older keys keep verifying until retired.

    Prints the new key ids, link then access. Cards issued before keep their
    QR codes; new ones are signed with the new keys. / Buat kunci baru.
    """
    svc = open_service("keys rotate", config, memory_warning=MEMORY_WARNING)
    try:
        ring = svc.rotate_keys()
    except SiapkerjaError as error:
        raise fail("keys rotate", error) from None
    link, access = ring.signing_link_key, ring.signing_access_key
    new = {
        "link": None if link is None else link.kid,
        "access": None if access is None else access.kid,
    }
    if json_output:
        print_json(new)
        return
    for kind, kid in new.items():
        typer.echo(f"{kind:<7} {kid}  kunci baru / new signing key")


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[
        str,
        typer.Argument(
            metavar="KID",
            show_default=False,
            help="The key id to retire (e.g. 'AB12'), or the ES256 kid of an access key.",
        ),
    ],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Retire a key: every token it signed is refused, by every running service, at once.

    The answer to a leaked key. Retiring a key that signs first adds a new one
    of its kind, so cards get new QR codes on request. Prints the signing key
    ids. / Pensiunkan kunci: semua token yang ditandatanganinya ditolak.
    """
    wanted = kid.strip().upper()
    if not wanted:  # a usage error (exit 2), not "no key has the id ''"
        raise typer.BadParameter("id kunci kosong / the key id is empty", param_hint="'KID'")
    if missing_database(config) is not None:  # no database, no keys: none is made to refuse
        raise fail("keys retire", TokenError("unknown_key", kid=wanted))
    svc = open_service("keys retire", config, memory_warning=MEMORY_WARNING)
    if len(kid.strip()) == 43:  # an RFC 7638 thumbprint: the ES256 key of an access key
        wanted = _access_kid_of(svc, kid.strip()) or wanted
    try:
        ring = svc.retire_key(wanted)  # token.unknown_key when no key has that id
    except SiapkerjaError as error:
        raise fail("keys retire", error) from None
    link, access = ring.signing_link_key, ring.signing_access_key
    result = {
        "retired": wanted,
        "link": None if link is None else link.kid,
        "access": None if access is None else access.kid,
    }
    if json_output:
        print_json(result)
        return
    typer.echo(f"retired {wanted}  dipensiunkan / retired")
    for kind in ("link", "access"):
        typer.echo(f"{kind:<7} {result[kind]}  kunci penanda tangan / signing key")


@keys_app.command("list")
def keys_list(json_output: JsonOption = False, config: ConfigOption = None) -> None:
    """List the signing keys: kind, id, state (signing, verifying, retired), creation time.

    Never prints a secret, and writes nothing: without a database there are no
    keys, and none is made (nor the database, nor a storage key).
    / Daftar kunci (tanpa rahasianya).
    """
    missing = missing_database(config)
    if missing is not None:
        if json_output:
            print_json([])
            return
        typer.echo(
            f"Belum ada kunci (dibuat saat kartu pertama terbit, atau dengan 'siapkerja keys"
            f" rotate'); basis data {missing} belum ada dan tidak dibuat. / No keys yet (made"
            f" with the first card, or by 'siapkerja keys rotate'); there is no database"
            f" {missing} yet, and none was made."
        )
        return
    svc = open_service("keys list", config, memory_warning=MEMORY_WARNING)
    ring = stored_keyring(svc)
    rows = [] if ring is None else _key_rows(ring)
    if json_output:
        print_json(rows)
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
