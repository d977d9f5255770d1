"""Schemathesis against the API's own OpenAPI document: no input makes the server fail.

Every operation of ``/v1/openapi.json`` is called with examples generated
from its schemas — valid ones and, for the negative mode, wrong types,
missing members and out-of-range values — and not one answer may be a 5xx.
Operations behind a session get a real holder's bearer token (a fresh one for
``DELETE /v1/sessions/current``, which ends it); the holder has a complete
profile, an issued card and a registered verifier exists, so generated
requests reach the facade's deeper paths, not only the 401.

The examples per operation are bounded and the deadline is off, to keep the
run near a minute.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_web_api import PASSWORD, Member, TestClient, build, card_holder

from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_core.service import Siapkerja

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,  # the point: no input makes the server fail
    # and what it answers is what the document says: statuses, media types, bodies.
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _holder(svc: Siapkerja) -> Member:
    """A resident signed up through the API, with a complete profile and an issued card."""
    with TestClient(create_api_app(svc)) as client:
        member = card_holder(client, svc)
    svc.register_verifier("Karirhub", ["karirhub"])
    return member


SVC = build()
HOLDER = _holder(SVC)
APP = create_api_app(SVC)
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", APP)


def _bearer(case: schemathesis.Case) -> dict[str, str]:
    security = case.operation.definition.raw.get("security") or []
    if security != [{"bearerAuth": []}]:
        return {}
    account = SVC.login(HOLDER.phone, PASSWORD)  # a fresh session: DELETE /sessions/current ends it
    assert account.session is not None
    return {"Authorization": f"Bearer {account.session.token}"}


def test_the_document_lists_every_operation() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    tested = {result.ok().label for result in schema.get_all_operations()}
    # Schemathesis leaves out the document's own URL; every other operation is fuzzed.
    assert tested == documented - {"GET /v1/openapi.json"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_input_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=_bearer(case), checks=CHECKS)


def test_the_fuzzed_document_is_the_served_one() -> None:
    assert schema.raw_schema == openapi_document(SVC)
