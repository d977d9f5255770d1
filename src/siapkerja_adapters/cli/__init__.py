"""The ``siapkerja`` command line.

``siapkerja nik check NIK...`` validates NIKs and says what their digits mean,
one line per NIK (or one JSON object per line with ``--json``). Exit codes:
0 if every NIK is valid, 1 if any is invalid, 2 for a usage error.

The CLI is the ``cli`` extra (``pip install 'siapkerja[cli]'``: Typer, which
brings rich). The core never needs it, so the import is guarded: without
Typer this module still imports and :func:`main` prints how to install it
instead of a traceback, and exits with code 3 (a missing extra).

Exit codes, the same for every command (:func:`.common.exit_code_for`, documented
in ``docs/cli.md``): 0 ok, 1 invalid input or a refusal, 2 usage error, 3
configuration or a missing extra, 4 a service down.

One module per command group: :mod:`.nik`, :mod:`.demo`, :mod:`.serve`,
:mod:`.tokens` (``token verify``), :mod:`.keys`, :mod:`.bulk`, :mod:`.db`,
:mod:`.worker` (the SMS outbox);
:mod:`.common` holds what they share and :mod:`.root` mounts them on
:data:`app`.
"""

from __future__ import annotations

import sys
from typing import Final

try:
    import typer  # noqa: F401 - only whether it imports matters here
except ImportError as _error:  # the `cli` extra is not installed
    _MISSING_EXTRA: ImportError | None = _error
else:
    _MISSING_EXTRA = None

__all__ = ["app", "main", "nik_app"]

PROG_NAME: Final = "siapkerja"

_INSTALL_HINT: Final = (
    "siapkerja: antarmuka baris perintah memerlukan paket tambahan 'cli' (Typer dan rich).\n"
    "           Pasang dengan: pip install 'siapkerja[cli]'\n"
    "siapkerja: the command line needs the 'cli' extra (Typer and rich).\n"
    "           Install it with: pip install 'siapkerja[cli]'\n"
)

if _MISSING_EXTRA is None:
    from siapkerja_adapters.cli.nik import nik_app
    from siapkerja_adapters.cli.root import app


def main() -> None:
    """The ``siapkerja`` console script."""
    if _MISSING_EXTRA is not None:
        sys.stderr.write(_INSTALL_HINT)
        sys.stderr.write(f"           ({_MISSING_EXTRA})\n")
        raise SystemExit(3)  # EXIT_CONFIG: common.py needs typer, so the number is here
    from siapkerja_core.errors import SiapkerjaError
    from siapkerja_core.translations import CatalogueMissing

    try:
        app(prog_name=PROG_NAME)
    except CatalogueMissing as missing:
        # A checkout whose catalogues were never compiled: say how to build them, in
        # both languages (there is no catalogue to translate with), not a traceback;
        # with --json as every other error is (docs/cli.md), without the catalogues.
        message_id = f"katalog bahasa belum dikompilasi: {missing}"
        message_en = f"the language catalogues are not compiled: {missing}"
        if "--json" in sys.argv[1:]:
            from siapkerja_adapters.cli.common import print_json

            body = {"code": "cli.error", "message_id": message_id, "message_en": message_en}
            print_json({"error": {**body, "exit_code": 3}})
        else:
            sys.stderr.write(f"{PROG_NAME}: {message_id}\n{PROG_NAME}: {message_en}\n")
        raise SystemExit(3) from None  # EXIT_CONFIG, as above
    except SiapkerjaError as error:
        # A typed error no command caught (the database gone mid-command): its message
        # and exit code, not a traceback. The command's context is closed by now, so
        # --json is read from the arguments.
        from siapkerja_adapters.cli.common import error_json, exit_code_for, print_json

        if "--json" in sys.argv[1:]:
            print_json(error_json(error))
        else:
            sys.stderr.write(f"{PROG_NAME}: {error}\n")
        raise SystemExit(exit_code_for(error)) from None
