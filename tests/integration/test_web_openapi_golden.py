"""The derived OpenAPI document against the golden 0.1 one (``tests/golden/openapi-0.1.json``).

0.1's document was written by hand; since 0.2 it is derived from the API's
pydantic models and FastAPI routes. Clients written against 0.1 must keep
working, so every operation of 0.1 must still be there, with the same success
statuses and the same required request members and parameters. What changed
on purpose is listed in ``ALLOWED`` below, each with why, and explained in
``docs/api-http.md`` ("Changes from 0.1").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters.web.api import openapi_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "openapi-0.1.json"

# Every difference the comparison below may find, and why it is allowed.
ALLOWED: frozenset[str] = frozenset(
    {
        # FastAPI cannot write "or no credentials at all" (the empty requirement
        # ``{}``) into an operation's security. A scan is still open to anonymous
        # scanners: test_web_api.py::test_scan_by_audience pins it.
        "GET /v1/scan/{token}: security [{}, {'bearerAuth': []}, {'verifierKey': []}]"
        " -> [{'bearerAuth': []}, {'verifierKey': []}]",
        # An optional member (0.2): the device token of an earlier sign-in, so that
        # failed sign-ins by others never lock the holder out. 0.1's bodies still work.
        # And the id and SMS code of a reset request, to sign in while throttled.
        # Issue 16: an authenticator or recovery code, the second factor (docs/factors.md).
        "POST /v1/sessions: members ['identifier', 'password']"
        " -> ['code', 'device_token', 'factor_code', 'identifier', 'password', 'reset_id']",
        # Issue 11: a registration id alone (seen in a log, a URL, a referrer) read the
        # name and the account id, and continued the journey. Every call after step 1
        # sends the secret step 1 answered (X-Registration-Secret); a 401 otherwise.
        # test_web_hostile.py::test_a_registration_id_alone_reads_and_continues_nothing
        *(
            f"{operation}: security [] -> [{{'registrationSecret': []}}]"
            for operation in (
                "GET /v1/registrations/{registration_id}",
                "POST /v1/registrations/{registration_id}/contact",
                "POST /v1/registrations/{registration_id}/otp/resend",
                "POST /v1/registrations/{registration_id}/phone",
                "POST /v1/registrations/{registration_id}/otp/confirm",
            )
        ),
        # Issue 12: a check-in needed no credential, so a holder checked in from home
        # and anyone holding a photo of a code spent the holder's one check-in. Only a
        # registered gate may now: its API key, or its Ed25519 signature of the request.
        # test_web_api.py::test_token_errors and
        # test_web_events.py::test_a_self_check_in_without_a_gate_credential_is_refused
        "POST /v1/check-ins: security [] -> [{'stationKey': []}, {'stationSignature': []}]",
    }
)
# Not compared, and different on purpose (docs/api-http.md, "Changes from 0.1"):
# * every operation may answer 422 (FastAPI documents a parameter's refusal),
#   and a 422 lists every invalid field in ``params.errors``;
# * schema names of nested shapes (CheckInRecord, the enums as their own
#   schemas), ``anyOf`` with null where 0.1 wrote ``["string", "null"]``;
# * the Accept-Language parameter is declared on each operation (0.1 used a
#   shared ``components/parameters`` entry).


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The required parameters of an operation, as ``in:name`` (header names lower-cased)."""
    found = set()
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            name = parameter["$ref"].rsplit("/", 1)[-1]
            parameter = document["components"]["parameters"][name]
        if parameter.get("required"):
            found.add(f"{parameter['in']}:{parameter['name'].lower()}")
    return found


def _body(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    body = operation.get("requestBody")
    if body is None:
        return {}
    return _resolve(document, body["content"]["application/json"]["schema"])


def _all_parameters(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    names = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        schema = parameter.get("schema", {})
        # An optional parameter FastAPI writes as "this or null" is the same to a client.
        options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
        schema = options[0] if len(options) == 1 else schema
        enum = f" enum={sorted(schema['enum'])}" if "enum" in schema else ""
        names.append(f"{parameter['in']}:{parameter['name'].lower()}{enum}")
    return sorted(names)


def _shape(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``"METHOD path"`` -> what 0.1's clients rely on."""
    shape = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            body = _body(document, operation)
            shape[f"{method.upper()} {path}"] = {
                "success": sorted(s for s in responses if s.startswith("2")),
                "media": sorted(
                    f"{s} {media}"
                    for s, response in responses.items()
                    for media in response.get("content", {})
                    if s.startswith("2")
                ),
                "required": sorted(
                    _parameters(document, operation)
                    | {f"body:{name}" for name in body.get("required", [])}
                ),
                "body": "requestBody" in operation,
                "members": sorted(body.get("properties", {})),
                "parameters": _all_parameters(document, operation),
                "security": operation.get("security", []),
            }
    return shape


def differences(golden: dict[str, Any], derived: dict[str, Any]) -> set[str]:
    old, new = _shape(golden), _shape(derived)
    found = set()
    for operation, expected in old.items():
        actual = new.get(operation)
        if actual is None:
            found.add(f"{operation}: gone")
            continue
        for key in ("success", "media", "required", "body", "members", "security"):
            if actual[key] != expected[key]:
                found.add(f"{operation}: {key} {expected[key]} -> {actual[key]}")
        # A new parameter is fine; one of 0.1's gone or narrowed is not.
        for parameter in set(expected["parameters"]) - set(actual["parameters"]):
            found.add(f"{operation}: parameter {parameter} changed")
    return found


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(GOLDEN.read_text("utf-8"))
    return document


def test_every_operation_of_0_1_is_kept_as_clients_rely_on_it(golden: dict[str, Any]) -> None:
    derived = openapi_document(None, server_url="/api")
    assert differences(golden, derived) == set(ALLOWED)


def test_the_derived_document_is_valid_openapi_3_1() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi_document(None, server_url="/api"))


def test_the_golden_copy_is_the_0_1_document(golden: dict[str, Any]) -> None:
    assert golden["openapi"] == "3.1.0"
    assert golden["servers"] == [{"url": "/api"}]
    assert len([op for item in golden["paths"].values() for op in item]) == 28


def test_the_comparison_finds_a_change() -> None:
    """The comparison is not blind: a dropped operation or a new required member shows."""
    document = json.loads(GOLDEN.read_text("utf-8"))
    del document["paths"]["/v1/me"]
    document["components"]["schemas"]["Register"]["required"].append("birth_date")
    document["paths"]["/v1/sessions"]["post"]["responses"]["200"] = {"description": "x"}
    golden = json.loads(GOLDEN.read_text("utf-8"))
    assert differences(golden, document) == {
        "GET /v1/me: gone",
        "POST /v1/registrations: required"
        " ['body:full_name', 'body:mother_name', 'body:nik'] ->"
        " ['body:birth_date', 'body:full_name', 'body:mother_name', 'body:nik']",
        "POST /v1/sessions: success ['201'] -> ['200', '201']",
    }
