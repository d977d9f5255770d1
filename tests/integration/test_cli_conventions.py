"""The conventions every ``siapkerja`` command keeps (``docs/cli.md``, "Conventions").

The whole command tree is walked as click sees it (every lazily mounted group
loaded): each leaf command takes ``--json`` unless :data:`JSON_EXEMPT` says why
not, its help is bilingual, the long ones take ``--progress/--no-progress``.
Then a sample of commands runs as a user runs them — the console script's
``main()`` in a real process — against the SQLite database and settings that
``siapkerja demo --dir`` leaves, and against a PostgreSQL address nobody
listens on: their ``--json`` output parses, and each ends with the documented
exit code.
"""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

import typer

from siapkerja_adapters.cli.common import (
    EXIT_CODES,
    EXIT_CONFIG,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    exit_code_for,
)
from siapkerja_adapters.cli.root import app, root
from siapkerja_adapters.sql.base import SchemaNotReady
from siapkerja_adapters.sql.crypto import StorageKeyError
from siapkerja_core.errors import ConfigurationError, InputError, UnknownAdapter
from siapkerja_core.nik import InvalidNik
from siapkerja_core.ports.mail import EmailDeliveryError
from siapkerja_core.ports.messaging import SmsDeliveryError
from siapkerja_core.ports.registry import RegistryUnavailable
from siapkerja_core.ports.repositories import StorageError

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
AKL_SAMPLE = ROOT / "tests" / "data" / "akl_sample.csv"

JSON_EXEMPT = {
    "serve": "a server: its log lines are uvicorn's own (uvicorn's --log-config makes them JSON)",
}
"""The only leaf commands without ``--json``, and why (``docs/cli.md`` says the same)."""

PROGRESS_COMMANDS = {
    "bulk residents",
    "bulk import",
    "bulk issue-cards",
    "db rekey",
    "db reencrypt",
}
"""The commands that loop over many rows: each shows a progress bar (``--progress``)."""

# A "/" between the two languages, as every help text writes them ("Kartu / Card").
_BILINGUAL = re.compile(r"(^|\s)/\s+\S")


def _leaves() -> Iterator[tuple[str, Any]]:
    """Every leaf command of the tree, by its path (``"db upgrade"``), lazy groups loaded."""

    def walk(command: Any, path: list[str], parent: Any) -> Iterator[tuple[str, Any]]:
        if not hasattr(command, "list_commands"):
            yield " ".join(path), command
            return
        name = path[-1] if path else "siapkerja"
        ctx = command.context_class(command, parent=parent, info_name=name)
        for name in command.list_commands(ctx):
            yield from walk(command.get_command(ctx, name), [*path, name], ctx)

    yield from walk(typer.main.get_command(app), [], None)


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


LEAVES = dict(_leaves())


def test_the_walk_finds_the_whole_tree() -> None:
    # A walk that stopped at the lazy groups would find only `nik check` and prove nothing.
    assert {"nik check", "demo", "serve", "worker", "bulk import", "db upgrade"} <= set(LEAVES)
    assert len(LEAVES) > 60


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_command_takes_json_or_says_why_not(path: str) -> None:
    options = _options(LEAVES[path])
    if path in JSON_EXEMPT:
        assert "--json" not in options, f"{path} takes --json now: drop it from JSON_EXEMPT"
        return
    assert "--json" in options, f"siapkerja {path} has no --json"


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_help_text_is_bilingual(path: str) -> None:
    help_text = LEAVES[path].help or ""
    assert _BILINGUAL.search(help_text), f"siapkerja {path}: help not in both languages"


@pytest.mark.parametrize("path", sorted(PROGRESS_COMMANDS))
def test_long_commands_take_progress(path: str) -> None:
    assert {"--progress", "--no-progress"} <= _options(LEAVES[path])


def test_the_json_option_is_the_shared_one() -> None:
    # One option for every command (common.JsonOption): the same help everywhere but on
    # `nik check`, whose --json prints JSON Lines and says so.
    helps = {
        param.help
        for path, command in LEAVES.items()
        if path != "nik check"
        for param in command.params
        if "--json" in param.opts
    }
    assert len(helps) == 1, helps


# --- the exit codes: one mapping, documented ------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (StorageError("unavailable"), EXIT_UNAVAILABLE),
        (RegistryUnavailable("unavailable"), EXIT_UNAVAILABLE),
        (SmsDeliveryError("unavailable"), EXIT_UNAVAILABLE),
        (EmailDeliveryError("unavailable"), EXIT_UNAVAILABLE),
        (ConfigurationError("invalid", name="sms", reason="x"), EXIT_CONFIG),
        (UnknownAdapter("unknown_adapter", kind="sms", name="x", known="y"), EXIT_CONFIG),
        (ImportError("No module named 'httpx'"), EXIT_CONFIG),
        (SchemaNotReady("not_migrated"), EXIT_CONFIG),
        (StorageKeyError("key_missing", kid="2026a"), EXIT_CONFIG),
        (StorageError("read_only"), EXIT_INVALID),
        (StorageKeyError("tampered"), EXIT_INVALID),
        (InvalidNik("length", length=12), EXIT_INVALID),
        (InputError("required", field="name"), EXIT_INVALID),
        (OSError("no such file"), EXIT_INVALID),
    ],
)
def test_exit_code_for(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_the_exit_codes_are_documented_in_the_docs_and_the_root_help() -> None:
    assert sorted(EXIT_CODES) == [EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CONFIG, EXIT_UNAVAILABLE]
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    conventions = docs.split("## Conventions", 1)[1].split("\n## ", 1)[0]
    for code in EXIT_CODES:
        assert re.search(rf"^\| {code} \|", conventions, re.MULTILINE), code
    root_help = " ".join((root.__doc__ or "").split())
    assert "0 ok, 1 invalid input or refused, 2 usage error" in root_help
    assert "3 configuration or missing extra, 4 a service down" in root_help


# --- real processes, a real SQLite database -------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAPKERJA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return {**env, **extra}


def siapkerja(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script's ``main()`` in a process of its own (its exit code is real)."""
    return subprocess.run(
        [sys.executable, "-c", "from siapkerja_adapters.cli import main; main()", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(**env),
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The settings file of a kept demo: a SQLite database holding Galih and a card."""
    directory = tmp_path_factory.mktemp("cli-conventions") / "demo"
    done = siapkerja("demo", "--dir", str(directory), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kept"] is True
    return directory / "siapkerja.toml"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed when the block ends: nobody listens


def _json_error(done: subprocess.CompletedProcess[str], code: str, exit_code: int) -> None:
    assert done.returncode == exit_code, done.stdout + done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["code"] == code
    assert error["exit_code"] == exit_code
    assert error["message_id"]
    assert error["message_en"]
    assert error["message_id"] != error["message_en"]  # both languages, not one twice
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (["db", "current"], {"revision", "head", "at_head"}),
        (["db", "upgrade"], {"storage", "revision", "head"}),
        (["db", "reencrypt"], {"rewritten", "kid"}),
        (["bulk", "issue-cards"], {"issued", "incomplete", "already_issued"}),
        (["keys", "list"], None),
        (["rights", "list"], {"items", "overdue"}),
        (["rights", "purge"], {"accounts"}),
        (["status-list", "show"], None),
        (["disputes", "list"], {"items"}),
        (["verifiers", "list"], None),
    ],
)
def test_json_output_parses_and_exits_0(
    demo_config: Path, args: list[str], keys: set[str] | None
) -> None:
    done = siapkerja(*args, "--json", "--config", str(demo_config))
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    document = json.loads(done.stdout)  # one document, nothing else on standard output
    if keys is not None:
        assert keys <= set(document), document


def test_commands_without_the_service_print_json_too() -> None:
    schema = siapkerja("prefill", "schema", "--json")
    assert schema.returncode == EXIT_OK
    assert json.loads(schema.stdout)["$schema"].startswith("https://json-schema.org/")
    notices = siapkerja("notices", "list", "--json")
    assert notices.returncode == EXIT_OK
    assert json.loads(notices.stdout)["notices"]
    key = siapkerja("db", "keygen", "--json")
    assert key.returncode == EXIT_OK
    assert set(json.loads(key.stdout)) == {"kid", "storage_key"}


def test_nik_check_prints_json_lines_and_exits_1_on_an_invalid_nik() -> None:
    done = siapkerja("nik", "check", "--json", "3171011708450001", "317101170845")
    assert done.returncode == EXIT_INVALID
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["valid"] for line in lines] == [True, False]
    assert lines[1]["error"]["code"] == "nik.length"


def test_a_refusal_is_a_json_error_with_exit_code_1(demo_config: Path) -> None:
    done = siapkerja("factors", "list", "3171011708450001", "--json", "--config", str(demo_config))
    _json_error(done, "factor.not_found", EXIT_INVALID)


def test_a_bulk_import_with_bad_rows_exits_1_with_every_bad_row(demo_config: Path) -> None:
    done = siapkerja("bulk", "import", str(AKL_SAMPLE), "--json", "--config", str(demo_config))
    assert done.returncode == EXIT_INVALID, done.stderr
    report = json.loads(done.stdout)
    assert report["created"] + report["updated"] + report["unchanged"] >= 1
    assert report["bad_rows"]
    assert {"line", "code", "column", "message_id", "message_en"} == set(report["bad_rows"][0])
    # Not a terminal, --json: no progress bar on standard error either.
    assert "Impor AK/I" not in done.stderr


def test_the_progress_bar_is_shown_on_request_and_never_by_default_off_a_terminal(
    demo_config: Path,
) -> None:
    shown = siapkerja("bulk", "issue-cards", "--progress", "--config", str(demo_config))
    assert shown.returncode == EXIT_OK, shown.stderr
    assert "Kartu / Cards" in shown.stderr
    quiet = siapkerja("bulk", "issue-cards", "--config", str(demo_config))
    assert quiet.returncode == EXIT_OK, quiet.stderr
    assert "Kartu / Cards" not in quiet.stderr
    assert "Penerbitan kartu / Card issuance" in quiet.stdout  # the text summary


def test_a_usage_error_exits_2() -> None:
    done = siapkerja("rights", "list", "--json", "--no-such-option")
    assert done.returncode == EXIT_USAGE
    assert "--no-such-option" in done.stderr
    assert done.stdout == ""


def test_a_bad_setting_exits_3(demo_config: Path) -> None:
    done = siapkerja("rights", "list", "--json", "--config", str(demo_config), SIAPKERJA_SMS="nope")
    _json_error(done, "plugin.unknown_adapter", EXIT_CONFIG)
    text = siapkerja("rights", "list", "--config", str(demo_config), SIAPKERJA_SMS="nope")
    assert text.returncode == EXIT_CONFIG
    assert text.stdout == ""
    assert "[plugin.unknown_adapter]" in text.stderr


def test_an_unreachable_postgresql_exits_4() -> None:
    url = f"postgresql://siapkerja@127.0.0.1:{_closed_port()}/siapkerja"
    key = siapkerja("db", "keygen").stdout.strip()
    env = {"SIAPKERJA_STORAGE_KEY": key}
    _json_error(
        siapkerja("db", "current", "--json", "--database-url", url, **env),
        "storage.unavailable",
        EXIT_UNAVAILABLE,
    )
    service = {**env, "SIAPKERJA_STORAGE": "sql", "SIAPKERJA_DATABASE_URL": url}
    _json_error(
        siapkerja("bulk", "issue-cards", "--json", **service),
        "storage.unavailable",
        EXIT_UNAVAILABLE,
    )
    text = siapkerja("rights", "list", **service)
    assert text.returncode == EXIT_UNAVAILABLE
    assert "[storage.unavailable]" in text.stderr


def test_the_worker_prints_json_lines(demo_config: Path) -> None:
    done = siapkerja("worker", "--once", "--json", "--config", str(demo_config))
    assert done.returncode == EXIT_OK, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [event["event"] for event in events] == ["start", "stopped"]
    assert {"sent", "retried", "failed", "dropped"} <= set(events[1])
    for line in filter(None, done.stderr.splitlines()):  # the log records, if any
        assert {"time", "level", "logger", "message"} <= set(json.loads(line))
    # Not Alembic's list of its own plug-ins, 25 lines at every start.
    assert "setup plugin" not in done.stderr


def test_shell_completion_reaches_the_lazy_groups() -> None:
    # What the shell script `--show-completion` prints asks for: bash's protocol.
    def complete(words: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", "from siapkerja_adapters.cli import main; main()"],
            capture_output=True,
            text=True,
            env=_env(
                _SIAPKERJA_COMPLETE="complete_bash",
                COMP_WORDS=words,
                COMP_CWORD=str(len(words.split()) - 1),
            ),
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("siapkerja bulk imp") == ["import"]
    assert "--json" in complete("siapkerja db current --js")
    assert "--no-progress" in complete("siapkerja db reencrypt --no")


def test_the_progress_bar_is_on_by_default_on_a_terminal(demo_config: Path) -> None:
    # Standard error a real terminal (a pseudo-terminal), standard output a pipe.
    def run(*args: str) -> tuple[int, str]:
        master, slave = pty.openpty()
        chunks: list[bytes] = []

        def drain() -> None:  # read as it comes, so a full terminal buffer never blocks it
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed its end
                    return
                if not chunk:
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            done = subprocess.run(
                [sys.executable, "-c", "from siapkerja_adapters.cli import main; main()", *args],
                stdout=subprocess.PIPE,
                stderr=slave,
                env=_env(TERM="xterm"),
                timeout=120,
                check=False,
            )
        finally:
            os.close(slave)
            reader.join(timeout=30)
            os.close(master)
        return done.returncode, b"".join(chunks).decode("utf-8", "replace")

    code, terminal = run("bulk", "issue-cards", "--config", str(demo_config))
    assert code == EXIT_OK, terminal
    assert "Kartu / Cards" in terminal
    code, terminal = run("bulk", "issue-cards", "--json", "--config", str(demo_config))
    assert code == EXIT_OK, terminal
    assert "Kartu / Cards" not in terminal


def test_a_missing_extra_exits_3_naming_the_setting_that_needs_it(demo_config: Path) -> None:
    # sys.modules["httpx"] = None: "import httpx" fails as without the `http` extra.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['httpx'] = None\n"
            "from siapkerja_adapters.cli import main; main()",
            *("rights", "list", "--json", "--config", str(demo_config)),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(
            SIAPKERJA_SMS="http",
            SIAPKERJA_SMS_URL="https://sms.example.go.id/send",
            SIAPKERJA_SMS_TOKEN="token",
        ),
        timeout=120,
        check=False,
    )
    _json_error(done, "config.missing_extra", EXIT_CONFIG)
    error = json.loads(done.stdout)["error"]
    assert "sms" in error["message_en"]
    assert "siapkerja[http]" in error["message_en"]
    assert "dukcapil" not in error["message_en"]
