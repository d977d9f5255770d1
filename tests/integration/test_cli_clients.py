"""``siapkerja clients …`` through Typer's CliRunner, on a SQLite file kept between commands.

Each command is a separate ``connect()`` (as separate processes would be),
sharing the database, the storage key and the ``secret_key`` through the
environment, so a secret printed by ``add`` is checked by a later service
(``svc.sso.check_client_secret``), as ``siapkerja serve`` would check it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typer", reason="the CLI is the 'cli' extra")

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from siapkerja_adapters import connect
from siapkerja_adapters.cli import app
from siapkerja_adapters.cli.verifiers import cli_actor
from siapkerja_adapters.sql import KeyMaterial
from siapkerja_core.sso import SsoError

SECRET = "cli-clients-secret-key-0123456789abcdef"
CALLBACK = "https://karirhub.kemnaker.go.id/oidc/callback"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SIAPKERJA_DATABASE_URL": f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}",
        "SIAPKERJA_STORAGE_KEY": KeyMaterial.generate().to_setting(),
        "SIAPKERJA_SECRET_KEY": SECRET,
        "SIAPKERJA_CONFIG": "",
    }


@pytest.fixture
def hub(env: dict[str, str]) -> str:
    verifier, _ = connect(environ=env).verifiers.add(
        "Karirhub", ["karirhub"], kind="job_portal", actor="cli:root"
    )
    return verifier.id


def run(env: dict[str, str | None], *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["clients", *args], env=env, input=stdin)


def run_json(env: dict[str, str], *args: str) -> Any:
    result = run(env, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def add_args(hub: str, *extra: str) -> list[str]:
    return [
        "add",
        "--verifier",
        hub,
        "--redirect-uri",
        CALLBACK,
        "--purpose",
        "lamaran-kerja",
        *extra,
    ]


def jwks_file(tmp_path: Path) -> Path:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1"}]}))
    return path


def test_the_secret_is_printed_once_in_a_panel_and_works_later(
    env: dict[str, str], hub: str
) -> None:
    result = run(env, *add_args(hub, "--field", "headline", "--field", "skills"))
    assert result.exit_code == 0, result.output
    assert "shown once" in result.stdout
    assert "ditampilkan sekali" in result.stdout
    [listed] = run_json(env, "list")
    assert listed["id"] in result.stdout
    assert listed["fields"] == ["headline", "skills"]
    # On a line of its own, whole at 80 columns: copied from the terminal in one piece.
    lines = [line.strip("│ ") for line in result.stdout.splitlines()]
    secret = lines[lines.index("client_secret:") + 1]
    assert secret.startswith("sks_")
    svc = connect(environ=env)
    assert svc.sso.check_client_secret(svc.sso.client(listed["id"]), secret)
    shown = run(env, "show", listed["id"])
    assert shown.exit_code == 0, shown.output
    assert listed["id"] in shown.stdout
    assert secret not in shown.stdout  # never again
    assert secret not in json.dumps(run_json(env, "show", listed["id"]))
    table = run(env, "list")
    assert listed["id"] in table.stdout


def test_the_whole_life_of_a_client(env: dict[str, str], hub: str) -> None:
    made = run_json(env, *add_args(hub, "--essential", "headline", "--rate-limit", "60"))
    client_id, first = made["client"]["id"], made["client_secret"]
    assert made["client"]["essential"] == ["headline"]
    assert made["client"]["rate_limit"] == 60

    assert run_json(env, "suspend", client_id, "--reason", "Dicek")["status"] == "suspended"
    with pytest.raises(SsoError, match="client_suspended"):
        connect(environ=env).sso.usable_client(client_id)
    again = run(env, "suspend", client_id, "--reason", "lagi")
    assert again.exit_code == 1
    assert "sso.wrong_status" in again.output
    assert run_json(env, "resume", client_id)["status"] == "active"
    assert connect(environ=env).sso.usable_client(client_id).id == client_id

    rotated = run_json(env, "rotate-secret", client_id, "--reason", "Bocor")
    assert rotated["client_secret"] != first
    assert rotated["client"]["secret_rotated_at"] is not None
    svc = connect(environ=env)
    client = svc.sso.client(client_id)
    assert not svc.sso.check_client_secret(client, first)
    assert svc.sso.check_client_secret(client, rotated["client_secret"])

    updated = run_json(
        env, "update", client_id,
        "--redirect-uri", CALLBACK, "--redirect-uri", "https://karirhub.kemnaker.go.id/cb2",
        "--step-up", "--no-essential", "--reason", "Alamat baru",
    )  # fmt: skip
    assert len(updated["redirect_uris"]) == 2
    assert updated["step_up"] is True
    assert updated["essential"] == []

    refused = run(env, "remove", client_id, "--reason", "Selesai", stdin="n\n")
    assert refused.exit_code == 1
    assert run_json(env, "show", client_id)["status"] == "active"  # nothing changed
    removed = run(env, "remove", client_id, "--reason", "Selesai", "--json", stdin="y\n")
    assert removed.exit_code == 0, removed.output
    # CliRunner echoes the answer typed at the prompt on stdout; the JSON is the last line.
    assert json.loads(removed.stdout.splitlines()[-1])["status"] == "retired"
    with pytest.raises(SsoError, match="unknown_client"):
        connect(environ=env).sso.usable_client(client_id)
    assert [c["id"] for c in run_json(env, "list", "--status", "retired")] == [client_id]
    assert run_json(env, "list", "--status", "active") == []
    assert [c["id"] for c in run_json(env, "list", "--verifier", hub)] == [client_id]

    audit = connect(environ=env).verifiers.audit(target=client_id)
    assert [a.action for a in audit] == [
        "sso_client.remove",
        "sso_client.update",
        "sso_client.rotate_secret",
        "sso_client.resume",
        "sso_client.suspend",
        "sso_client.add",
    ]
    assert {a.actor for a in audit} == {cli_actor()}
    assert audit[0].reason == "Selesai"
    assert audit[1].reason == "Alamat baru"
    assert rotated["client_secret"] not in str(audit)


def test_a_client_chooses_es256_id_tokens_at_registration_or_later(
    env: dict[str, str], hub: str
) -> None:
    plain = run_json(env, *add_args(hub))["client"]
    assert plain["id_token_alg"] == "EdDSA"  # the default
    made = run_json(env, *add_args(hub, "--id-token-alg", "ES256"))["client"]
    assert made["id_token_alg"] == "ES256"
    assert connect(environ=env).sso.client(made["id"]).id_token_alg == "ES256"
    table = run(env, "list")
    assert "ES256" in table.stdout
    shown = run(env, "show", made["id"])
    assert "id_token_alg" in shown.stdout
    assert "ES256" in shown.stdout
    updated = run_json(env, "update", plain["id"], "--id-token-alg", "ES256")
    assert updated["id_token_alg"] == "ES256"
    back = run_json(env, "update", plain["id"], "--id-token-alg", "EdDSA", "--rate-limit", "5")
    assert back["id_token_alg"] == "EdDSA"
    assert connect(environ=env).sso.client(plain["id"]).id_token_alg == "EdDSA"
    for wrong in ("RS256", "none", "es256"):
        refused = run(env, *add_args(hub, "--id-token-alg", wrong))
        assert refused.exit_code == 2, refused.output  # not a choice
        assert "--id-token-alg" in refused.output
    assert len(run_json(env, "list")) == 2


def test_a_client_with_a_new_hub(env: dict[str, str]) -> None:
    made = run_json(
        env, "add", "--name", "Portal Kerja Jabar", "--scope", "bizhub", "--kind", "other",
        "--redirect-uri", CALLBACK, "--purpose", "lamaran-kerja",
    )  # fmt: skip
    hub = connect(environ=env).verifiers.get(made["client"]["verifier_id"])
    assert hub.name == "Portal Kerja Jabar"
    assert hub.scopes == frozenset({"bizhub"})


def test_a_private_key_jwt_client_needs_its_keys_and_gets_no_secret(
    env: dict[str, str], hub: str, tmp_path: Path
) -> None:
    keys = jwks_file(tmp_path)
    without = run(env, *add_args(hub, "--auth-method", "private_key_jwt"))
    assert without.exit_code == 1
    assert "sso.invalid_jwks" in without.output
    # No secret is printed, so none is needed.
    unshared: dict[str, str | None] = {**env, "SIAPKERJA_SECRET_KEY": None}
    result = run(
        unshared,
        *add_args(hub, "--auth-method", "private_key_jwt", "--jwks", str(keys), "--high-assurance"),
    )
    assert result.exit_code == 0, result.output
    assert "No secret" in result.stdout
    [made] = run_json(env, "list")
    assert made["jwks"] == json.loads(keys.read_text())
    assert made["high_assurance"] is True
    rotate = run(env, "rotate-secret", made["id"])
    assert rotate.exit_code == 1
    assert "sso.wrong_status" in rotate.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = run(env, "update", made["id"], "--jwks", str(broken))
    assert bad.exit_code == 1
    assert "sso.invalid_jwks" in bad.output


def test_without_a_shared_secret_no_secret_is_printed_that_serve_cannot_check(
    env: dict[str, str], hub: str
) -> None:
    made = run_json(env, *add_args(hub))
    unshared: dict[str, str | None] = {**env, "SIAPKERJA_SECRET_KEY": None}
    for args in (add_args(hub), ["rotate-secret", made["client"]["id"]]):
        result = run(unshared, *args, "--json")
        assert result.exit_code == 3
        assert "config.secret_required" in result.output
        assert "--allow-ephemeral-secret" in result.output
        assert made["client_secret"][:8] not in result.output
    # Nothing registered, the secret not replaced.
    assert len(run_json(env, "list")) == 1
    svc = connect(environ=env)
    assert svc.sso.check_client_secret(svc.sso.client(made["client"]["id"]), made["client_secret"])
    allowed = run(unshared, *add_args(hub), "--allow-ephemeral-secret", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert "this process only" in allowed.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--redirect-uri", "http://karirhub.example/cb"], "sso.invalid_redirect_uri"),
        (["--field", "nik"], "sso.invalid_fields"),
        (["--essential", "religion"], "sso.invalid_fields"),
        (["--rate-limit", "0"], "sso.invalid_rate_limit"),
        (["--high-assurance"], "sso.invalid_auth_method"),
    ],
)
def test_refusals_print_the_code_in_both_languages_and_exit_1(
    env: dict[str, str], hub: str, args: list[str], code: str
) -> None:
    result = run(env, *add_args(hub, *args))
    assert result.exit_code == 1
    assert code in result.output
    assert run_json(env, "list") == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "nope"], "sso.unknown_client"),
        (["add", "--verifier", "nope", "--redirect-uri", CALLBACK, "--purpose", "p"],
         "institution.unknown"),
        (["suspend", "nope", "--reason", "x"], "sso.unknown_client"),
        (["remove", "nope", "--reason", "x", "--yes"], "sso.unknown_client"),
        (["update", "nope", "--step-up"], "sso.unknown_client"),
    ],
)  # fmt: skip
def test_unknown_clients_and_hubs(env: dict[str, str], args: list[str], code: str) -> None:
    result = run(env, *args)
    assert result.exit_code == 1
    assert code in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["add", "--redirect-uri", CALLBACK, "--purpose", "p"],  # neither --verifier nor --name
        ["add", "--name", "X", "--redirect-uri", CALLBACK, "--purpose", "p"],  # no --scope
        ["add", "--verifier", "v", "--purpose", "p"],  # no --redirect-uri
        ["add", "--verifier", "v", "--redirect-uri", CALLBACK],  # no --purpose
        ["add", "--verifier", "v", "--name", "X", "--scope", "blk", "--redirect-uri", CALLBACK,
         "--purpose", "p"],
        ["update", "some-id"],  # nothing to change
        ["suspend", "some-id"],  # no --reason
        ["list", "--status", "sleeping"],
    ],
)  # fmt: skip
def test_usage_errors_exit_2(env: dict[str, str], args: list[str]) -> None:
    result = run(env, *args)
    assert result.exit_code == 2, result.output
