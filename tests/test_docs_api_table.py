"""docs/api-http.md's endpoint tables are the API's operations, no more, no less.

The page lists every operation by audience (who calls, by the credential
sent). After issue 12 the table had fallen behind the routes (admin, AK/I,
classes, programmes, prefill, the status list were missing); this test reads
the OpenAPI document the application serves and the tables, and fails when
either has an operation the other lacks, when a row sits under an audience
its security does not match, or when a row's page does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from siapkerja_adapters.web.api import openapi_document

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGE = DOCS / "api-http.md"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

ROW = re.compile(r"^\|\s*`([A-Z]+)`\s*\|\s*`(/[^`]*)`\s*\|(.*)\|\s*(.*?)\s*\|\s*$")
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")

# Audience heading (its start) -> the security schemes its operations require.
ANYONE = "Anyone"
HOLDER = "Holder"
INSTITUTION = "Institution"
ADMINISTRATOR = "Administrator"
GATE = "Gate"
AUDIENCES = (ANYONE, HOLDER, INSTITUTION, ADMINISTRATOR, GATE)


def endpoints_section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(r"^## Endpoints\n(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, "docs/api-http.md has no '## Endpoints' section"
    return match.group(1)


def documented_rows() -> list[tuple[str, str, str, str]]:
    """(audience, METHOD, path, explained-in cell) for every row of the tables."""
    rows: list[tuple[str, str, str, str]] = []
    audience = ""
    for line in endpoints_section().splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
            audience = next((a for a in AUDIENCES if heading.startswith(a)), heading)
            continue
        match = ROW.match(line)
        if match:
            method, path, _what, page = match.groups()
            rows.append((audience, method, path, page))
    return rows


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    document = openapi_document()
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security", []) for name in requirement}


def audience_of(path: str, operation: dict[str, Any]) -> str:
    """Who calls an operation, from its declared security (and the admin prefix)."""
    found = schemes(operation)
    if found & {"stationKey", "stationSignature"} or path.endswith("/sync"):
        return GATE  # the sync's credential is the gate's signature inside the export
    if found == {"bearerAuth"}:
        return HOLDER
    if found == {"verifierKey"}:
        return ADMINISTRATOR if path.startswith("/v1/admin/") else INSTITUTION
    # No credential, the registration's (or a dispute's) secret, or a scan (anonymous allowed).
    assert found <= {"registrationSecret", "disputeSecret", "bearerAuth", "verifierKey"}, (
        path,
        found,
    )
    return ANYONE


def test_the_tables_are_found() -> None:
    rows = documented_rows()
    assert len(rows) >= 80
    assert {audience for audience, *_ in rows} == set(AUDIENCES)


def test_every_operation_is_in_the_table() -> None:
    documented = {(method, path) for _, method, path, _ in documented_rows()}
    missing = sorted(set(operations()) - documented)
    assert not missing, f"operations missing from docs/api-http.md: {missing}"


def test_no_row_names_an_operation_that_does_not_exist() -> None:
    documented = [(method, path) for _, method, path, _ in documented_rows()]
    unknown = sorted(set(documented) - set(operations()))
    assert not unknown, f"docs/api-http.md lists operations the API lacks: {unknown}"
    duplicates = sorted({row for row in documented if documented.count(row) > 1})
    assert not duplicates, f"listed twice: {duplicates}"


def test_each_row_is_under_its_audience() -> None:
    ops = operations()
    wrong = [
        (method, path, audience, audience_of(path, ops[method, path]))
        for audience, method, path, _ in documented_rows()
        if (method, path) in ops and audience != audience_of(path, ops[method, path])
    ]
    assert not wrong, f"rows under the wrong audience (row, table, expected): {wrong}"


@pytest.mark.parametrize(
    ("path", "operation", "expected"),
    [
        ("/v1/admin/verifiers", {"security": [{"verifierKey": []}]}, ADMINISTRATOR),
        ("/v1/classes", {"security": [{"verifierKey": []}]}, INSTITUTION),
        ("/v1/me", {"security": [{"bearerAuth": []}]}, HOLDER),
        ("/v1/check-ins", {"security": [{"stationKey": []}, {"stationSignature": []}]}, GATE),
        ("/v1/events/{event_id}/sync", {}, GATE),
        ("/v1/scan/{token}", {"security": [{"bearerAuth": []}, {"verifierKey": []}]}, ANYONE),
        ("/v1/registrations/{id}", {"security": [{"registrationSecret": []}]}, ANYONE),
        ("/v1/events", {}, ANYONE),
    ],
)
def test_audience_rule(path: str, operation: dict[str, Any], expected: str) -> None:
    assert audience_of(path, operation) == expected


def test_every_row_names_an_existing_page() -> None:
    broken = []
    for _, method, path, page in documented_rows():
        if page == "this page":
            continue
        links = LINK.findall(page)
        if not links or not all((DOCS / link).is_file() for link in links):
            broken.append((method, path, page))
    assert not broken, f"rows without an existing page: {broken}"


def test_the_documents_description_is_the_api_of_now() -> None:
    # 0.1's description spoke of the journey and check-in only.
    description = openapi_document()["info"]["description"]
    for words in (
        "Dukcapil",
        "Authorization: Bearer",
        "X-Verifier-Key",
        "`admin`",
        "X-Station-Key",
        "nine uses",
        "AK/I",
        "prefill",
        "Status list",
        "Accept-Language: en",
    ):
        assert words in description, words
