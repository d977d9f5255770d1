"""``manage.py siapkerja <command> …``: the ``siapkerja`` command line with the project's settings.

Every argument goes to the Typer application (:mod:`siapkerja_adapters.cli`):
``manage.py siapkerja nik check 3173…``, ``manage.py siapkerja db upgrade``,
``manage.py siapkerja --help``. ``settings.SIAPKERJA``'s settings become the
``SIAPKERJA_<KEY>`` variables the command line reads, for the command's
duration: they win over variables already set, as ``SIAPKERJA``'s settings
win over the environment on the site (they are ``connect()``'s keyword
arguments there). Its exit code is the command's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from siapkerja_adapters.integrations._embedded import DEFAULT_PATH
from siapkerja_adapters.integrations.django import SETTING
from siapkerja_core.settings import PATH_LIST_KEYS, PROFILES

_PLACING = frozenset({"path", "public_url", "dev", "profile", "config"})


def environment_of(
    values: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """``SIAPKERJA_<KEY>`` variables for the scalar and list settings of ``values``.

    ``profile`` becomes its adapters' names where ``environ`` names none (the
    command line has no profile),
    ``config`` is ``SIAPKERJA_CONFIG``, and ``public_url`` with ``path`` give
    ``card_base_url`` as the site computes it.
    """
    options = {str(key).lower(): value for key, value in values.items()}
    env: dict[str, str] = {}
    for key, value in options.items():
        if key in _PLACING or value is None:
            continue
        if isinstance(value, bool):
            env[f"SIAPKERJA_{key.upper()}"] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            env[f"SIAPKERJA_{key.upper()}"] = str(value)
        elif isinstance(value, list | tuple):
            # Lists of paths are os.pathsep-separated in the environment, others comma lists.
            separator = os.pathsep if key in PATH_LIST_KEYS else ","
            env[f"SIAPKERJA_{key.upper()}"] = separator.join(str(item) for item in value)
    profile = options.get("profile")
    if profile is not None:
        # The command line has no profile: its adapters, below the explicit settings and
        # the environment (the site's order: profile < environment < SIAPKERJA).
        for key, value in PROFILES.get(str(profile).strip().lower(), {}).items():
            name = f"SIAPKERJA_{key.upper()}"
            if name not in environ:
                env.setdefault(name, value)
    if options.get("config") is not None:
        env["SIAPKERJA_CONFIG"] = str(options["config"])
    if options.get("public_url") is not None and "card_base_url" not in options:
        from siapkerja_adapters.web.integrations import card_base_url_for

        path = str(options.get("path", DEFAULT_PATH))
        env["SIAPKERJA_CARD_BASE_URL"] = card_base_url_for(str(options["public_url"]), path)
    return env


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    """``extra`` over the process environment for the command's duration, then as before."""
    before = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Command(BaseCommand):
    help = "The siapkerja command line with this project's SIAPKERJA settings."

    def run_from_argv(self, argv: list[str]) -> None:
        # Every option is the command line's (its --help, --json), not Django's parser's.
        code = self.run_cli(argv[2:], prog_name=f"{os.path.basename(argv[0])} {argv[1]}")
        if code:
            sys.exit(code)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "cli_args", nargs=argparse.REMAINDER, help="the siapkerja command and its arguments"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # call_command("siapkerja", "nik", "check", "…"): a failure is a CommandError.
        code = self.run_cli([*args, *options.get("cli_args", [])], prog_name="siapkerja")
        if code:
            raise CommandError(f"siapkerja exited with {code}", returncode=code)

    def run_cli(self, args: list[str], *, prog_name: str) -> int:
        """Run the command line on ``args``; its exit code."""
        try:
            from siapkerja_adapters.cli.root import app
        except ImportError as error:  # Typer missing: the `cli` extra
            raise CommandError(
                "manage.py siapkerja memerlukan paket tambahan: pip install 'siapkerja[cli]'"
                " / manage.py siapkerja needs the cli extra: pip install 'siapkerja[cli]'"
                f" ({error})"
            ) from error
        with _environment(environment_of(dict(getattr(settings, SETTING, {})))):
            try:
                app(args=args, prog_name=prog_name, standalone_mode=True)
            except SystemExit as exit_:
                return (
                    exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
                )
        return 0
