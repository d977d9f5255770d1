"""Write the configuration reference of docs/configuration.md from the code.

``Settings`` has a field for each port's adapter and ``database_url``; every
other key is an adapter's own, read through a typed accessor
(``settings.get_int("redis_retries", 2, minimum=0)``). This script owns the
table of every key: it takes the fields from ``Settings`` and the profiles,
and the other keys from the source itself (``ast``: each accessor call whose
receiver is a settings object and whose key is a literal), with the type the
accessor parses and the default written at the call. Only the one-line
descriptions are written by hand, below; a key read in the code without a
description (or described but read nowhere) stops the script, so the table
cannot fall behind the code.

    python scripts/config_reference.py          # rewrite docs/configuration.md
    python scripts/config_reference.py --check  # exit 1 when the file is out of step

tests/test_docs_site.py runs the check.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
DOC = ROOT / "docs" / "configuration.md"
START = "<!-- settings-reference:start (scripts/config_reference.py writes this table) -->"
END = "<!-- settings-reference:end -->"

# The accessor (or helper taking ``settings, "key"``) → the type it parses.
TYPES = {
    "get": "text",
    "get_str": "text",
    "require_str": "text",
    "get_secret": "secret text",
    "get_int": "whole number",
    "get_float": "number",
    "get_duration": "seconds",
    "get_bool": "true/false",
    "get_choice": "one of",
    "get_paths": "list of paths",
    "_colour": "hex colour",
    "_address": "URL or site path",
    "_asset": "file name or URL",
    "_name": "one line of text",
    "tls_verify_setting": "true/false or a CA bundle path",
}
# Plain ``get`` says least about a key: any other accessor reading it wins.
_SPECIFIC_FIRST = list(TYPES)[::-1]

FIELDS = {
    "storage": "the storage adapter: `sql` (SQLite file or PostgreSQL), `memory`",
    "sms": "the SMS sender: `console`, `memory`, `http`",
    "dukcapil": "the population registry: `offline` (bundled fictional residents), `http`",
    "ratelimit": "the rate-limit counters: `storage`, `memory`, `redis`",
    "email": "the e-mail sender: `console`, `memory`, `smtp`",
    "database_url": (
        "SQLAlchemy-style URL of the SQL storage: `sqlite:///siapkerja.sqlite3` (the default "
        "file) or `postgresql+psycopg://…`"
    ),
}

DESCRIPTIONS = {
    "access_period": "seconds an access QR code stays valid (10–300)",
    "accent_colour": "the pages' accent colour ([branding](branding.md))",
    "allow_unsafe": (
        "development defaults `siapkerja serve` accepts outside `--dev`: a comma list "
        "(`sms`, `dukcapil`, `key_beside_data` …) or `all`"
    ),
    "application_name": "PostgreSQL `application_name` of the storage's connections",
    "brand_name": "the pages' name ([branding](branding.md))",
    "brand_tagline": "the pages' tagline ([branding](branding.md))",
    "card_base_url": "the address a link QR code opens (`…/v/`): the site's public address",
    "database_busy_timeout": "SQLite: seconds a writer waits for the write lock",
    "database_connect_timeout": "PostgreSQL: seconds to open a connection",
    "database_max_overflow": "connections a process may open beyond the pool",
    "database_migrate": (
        "`auto` (SQLite migrates itself, PostgreSQL waits for `siapkerja db upgrade`), "
        "`true`, `false`"
    ),
    "database_pool_pre_ping": "test each pooled connection before use",
    "database_pool_size": "connections each process keeps open ([scaling](scaling.md))",
    "database_pool_timeout": "seconds to wait for a free pooled connection",
    "database_schema": "PostgreSQL schema holding the tables",
    "dukcapil_acquire_timeout": "seconds to wait for a free slot under `dukcapil_max_concurrency`",
    "dukcapil_backoff": "seconds before the first retry, doubled after each",
    "dukcapil_breaker_failures": "failures in a row that open the circuit breaker",
    "dukcapil_breaker_reset": "seconds the open breaker waits before a trial call",
    "dukcapil_customer_id": "the `http` registry's customer id at Dukcapil",
    "dukcapil_daily_quota": "the `offline` registry's checks per day (unset: unlimited)",
    "dukcapil_ip_user": "the `http` registry's `IP_USER` field",
    "dukcapil_max_concurrency": "calls to Dukcapil in flight at once, per process",
    "dukcapil_password": "the `http` registry's password",
    "dukcapil_residents": "a CSV of extra residents for the `offline` registry",
    "dukcapil_retries": "retries of a failed Dukcapil call",
    "dukcapil_threshold": "the match threshold sent to Dukcapil",
    "dukcapil_timeout": "seconds one Dukcapil call may take",
    "dukcapil_url": "the `http` registry's verification endpoint",
    "dukcapil_user_id": "the `http` registry's user id",
    "dukcapil_verify_tls": "verify Dukcapil's TLS certificate, or the CA bundle to verify it with",
    "favicon": "the pages' favicon ([branding](branding.md))",
    "help_url": "the help centre linked in the footer ([branding](branding.md))",
    "locale_dirs": (
        "catalogue directories searched before the packaged ones "
        "([wording and languages](translations.md))"
    ),
    "logo": "the pages' logo ([branding](branding.md))",
    "mail_from": "the `smtp` sender's From address",
    "notices": "send the notices of sensitive changes ([notices](notices.md))",
    "operator_name": "who runs the service, named in the consent sentence",
    "primary_colour": "the pages' primary colour, readable under white text at 4.5:1",
    "privacy_url": "the privacy policy the consent sentence links",
    "public_base_url": (
        "the site's public address, whose host is the passkeys' relying party "
        "([factors](factors.md)); default: from `card_base_url`"
    ),
    "redis_password": "the Redis password (kept out of `redis_url`)",
    "redis_prefix": "prefix of every Redis key, to share a Redis",
    "redis_retries": "retries of a failed Redis call",
    "redis_timeout": "seconds one Redis call may take",
    "redis_url": 'the Redis server of `ratelimit = "redis"` ([Redis counters](redis.md))',
    "secret_key": (
        "the server secret keying codes, sessions, counters and API keys "
        "([security](security.md#secrets)); at least 16 bytes"
    ),
    "sms_auth_header": "the `http` SMS gateway's authentication header",
    "sms_auth_scheme": "the scheme before `sms_token` in that header",
    "sms_backoff": "seconds before the first SMS retry, doubled after each",
    "sms_body_template": "the JSON body sent to the `http` SMS gateway",
    "sms_console_stream": "where the `console` SMS and e-mail senders print",
    "sms_dispatch": (
        "who sends the SMS outbox: `thread`, `worker` (only `siapkerja worker`), `inline` "
        "([worker](worker.md))"
    ),
    "sms_dispatch_poll": "seconds between the outbox thread's looks when idle",
    "sms_message_id_path": "where the gateway's answer holds the message id (dotted path)",
    "sms_retries": "retries of a failed SMS send",
    "sms_timeout": "seconds one SMS send may take",
    "sms_token": "the `http` SMS gateway's token",
    "sms_url": "the `http` SMS gateway's endpoint",
    "sms_verify_tls": (
        "verify the SMS gateway's TLS certificate, or the CA bundle to verify it with"
    ),
    "smtp_host": "the `smtp` e-mail sender's server",
    "smtp_password": "the SMTP password",
    "smtp_port": "the SMTP port",
    "smtp_security": "`starttls`, `tls` or `none`",
    "smtp_timeout": "seconds one SMTP exchange may take",
    "smtp_username": "the SMTP user name",
    "sso_issuer": "the OpenID Connect issuer of single sign-on ([sso](sso.md))",
    "static_dir": "a directory whose files shadow the package's static files",
    "status_list_max_age": "seconds a published card status list may be relied on (60–86400)",
    "status_list_uri": "the card status list's address (its `sub` claim)",
    "storage_key": (
        "the storage encryption keys, current first: `id:base64, …` "
        "([storage](storage.md#keys-and-rotation))"
    ),
    "storage_key_file": "a key file holding `storage_key`, outside the data directory",
    "templates_dir": "template directories searched before the package's",
    "terms_url": "the terms the consent sentence links",
    "trusted_hosts": "the host names the web binding answers (comma list)",
}


@dataclass
class Key:
    """One setting as the code reads it: where, with which accessors and defaults."""

    name: str
    accessors: set[str] = field(default_factory=set)
    defaults: set[str] = field(default_factory=set)
    choices: tuple[str, ...] = ()
    modules: set[str] = field(default_factory=set)
    bounds: set[str] = field(default_factory=set)


def _is_settings(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return "settings" in node.id
    return isinstance(node, ast.Attribute) and "settings" in node.attr


def _constants(tree: ast.Module) -> dict[str, object]:
    """The module's top-level constants (``NAME = "x"``, ``NAME: Final = 3``)."""
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant | ast.Tuple):
            found = _value(value, values)
            if found is not None:
                values[target.id] = found
    return values


def _value(node: ast.expr | None, constants: dict[str, object]) -> object | None:
    """A literal, a module constant, ``str(<one of those>)``, or a tuple of them."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "str" and node.args:
        inner = _value(node.args[0], constants)
        return None if inner is None else str(inner)
    if isinstance(node, ast.Tuple):
        items = [_value(item, constants) for item in node.elts]
        return None if None in items else tuple(items)
    return None


def _shown(value: object) -> str:
    if value == "":
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _calls(tree: ast.Module) -> Iterator[tuple[str, list[ast.expr], dict[str, ast.expr]]]:
    """(accessor, arguments after the key, keywords) of each call reading a setting."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, args = node.func, node.args
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if isinstance(func, ast.Attribute) and func.attr in TYPES and _is_settings(func.value):
            yield func.attr, args, keywords
        elif len(args) >= 2 and _is_settings(args[0]):
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in TYPES:
                yield name, args[1:], keywords


def scan(src: Path = SRC) -> dict[str, Key]:
    """Every key read through a settings accessor in ``src``, with what the calls say."""
    keys: dict[str, Key] = {}
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        module = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        for accessor, args, keywords in _calls(tree):
            name = _value(args[0], constants) if args else None
            if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
                continue
            key = keys.setdefault(name, Key(name))
            key.accessors.add(accessor)
            key.modules.add(module)
            rest = args[1:]
            default = _value(rest[0] if rest else keywords.get("default"), constants)
            if default is not None and not isinstance(default, tuple):
                key.defaults.add(_shown(default))
            if accessor == "get_choice":
                choices = _value(rest[1] if len(rest) > 1 else keywords.get("choices"), constants)
                if isinstance(choices, tuple):
                    key.choices = tuple(str(c) for c in choices)
            low = _value(keywords.get("minimum") or keywords.get("above"), constants)
            high = _value(keywords.get("maximum"), constants)
            if low is not None or high is not None:
                low_text = "" if low is None else _shown(low)
                high_text = "" if high is None else _shown(high)
                key.bounds.add(f"{low_text}–{high_text}" if high is not None else f"≥ {low_text}")
    return keys


def _type(key: Key) -> str:
    accessor = next(a for a in _SPECIFIC_FIRST if a in key.accessors)
    text = TYPES[accessor]
    if accessor == "get_choice" and key.choices:
        text = "one of " + ", ".join(f"`{c}`" for c in key.choices)
    if key.bounds and accessor in {"get_int", "get_float", "get_duration"}:
        text += " " + ", ".join(sorted(key.bounds))
    if "require_str" in key.accessors:
        text += " (required by its adapter)"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    """The Markdown of the reference: the ``Settings`` fields, then every other key."""
    sys.path.insert(0, str(SRC))
    import attrs

    from siapkerja_core.settings import ADAPTER_KINDS, ENV_PREFIX, PROFILES, Settings

    keys = scan()
    fields = [
        f.name for f in attrs.fields(Settings) if f.name not in {"extra", "profile", "sources"}
    ]
    missing = sorted(set(fields) - set(FIELDS)) + sorted(
        set(keys) - set(DESCRIPTIONS) - set(fields)
    )
    stale = sorted(set(DESCRIPTIONS) - set(keys)) + sorted(set(FIELDS) - set(fields))
    if missing or stale:
        raise SystemExit(
            "scripts/config_reference.py: describe "
            + (", ".join(missing) or "nothing")
            + "; read nowhere: "
            + (", ".join(stale) or "nothing")
        )

    lines = [
        "| key | variable | type | default | meaning | read by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in fields:
        if name in ADAPTER_KINDS:
            default = " / ".join(f"`{p[name]}` ({profile})" for profile, p in PROFILES.items())
            kind = "adapter name"
        else:
            default = "—"
            kind = "URL"
        lines.append(
            f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {kind} | {default} | "
            f"{_cell(FIELDS[name])} | `Settings.{name}` |"
        )
    for name in sorted(set(keys) - set(fields)):
        key = keys[name]
        default = ", ".join(f"`{d}`" for d in sorted(key.defaults)) or "—"
        modules = ", ".join(f"`{m}`" for m in sorted(key.modules))
        lines.append(
            f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {_cell(_type(key))} | {_cell(default)} | "
            f"{_cell(DESCRIPTIONS[name])} | {modules} |"
        )
    return "\n".join(lines)


def render(text: str) -> str:
    """``text`` (the page) with the table between the markers replaced by a fresh one."""
    if START not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {START!r} and {END!r} are missing")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n\n{table()}\n\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of step")
    options = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if options.check:
        if fresh != current:
            print(f"{DOC.relative_to(ROOT)} is out of step: run scripts/config_reference.py")
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
