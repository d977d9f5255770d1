"""Schemathesis, every check, against the API's own OpenAPI document on real SQLite storage.

Every operation of ``/v1/openapi.json`` is called with examples generated
from its schemas — valid ones and, for the negative mode, wrong types,
missing members and out-of-range values — through the whole application
``create_app()`` serves (session, body limit, security headers, the API's
mount) over a SQLite file, as ``siapkerja serve`` runs it. Every built-in
check of Schemathesis runs (:data:`CHECKS`): no answer may be a 5xx, every
status, media type, header and body must be the document's, schema-valid
data must be accepted and invalid data refused, a missing required header or
credentials must be refused, and an unsupported method answered with 405.

Operations behind a session get a real holder's bearer token, and those of
a registration its secret (:class:`Credentials`); the holder has a complete
profile and an issued card and a registered verifier exists, so generated
requests reach the facade's deeper paths, not only the 401.

A schema-valid request may still be refused by a rule no schema can state
(Dukcapil does not know the NIK, the code is wrong, the password is too
common): :func:`refused_by_a_rule_not_the_schema` accepts a 4xx then only if
its problem is the domain's — never ``request.invalid_body`` or
``request.invalid_parameter``, which would mean the document and the API's
own validation disagree.

The examples per operation are bounded and the deadline is off, to keep the
run near a minute.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from test_web_api import PASSWORD, Member, TestClient, card_holder

from siapkerja_adapters import connect
from siapkerja_adapters.sql import SqlStorage
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.api import openapi_document
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja

MAX_EXAMPLES = 20
load_all_checks()
CHECKS = list(REGISTRY.get_all())
"""Every check Schemathesis has (``--checks all``)."""

DATA = Path(tempfile.mkdtemp(prefix="siapkerja-schemathesis-"))
atexit.register(shutil.rmtree, DATA, ignore_errors=True)


def _service() -> Siapkerja:
    """The default storage, a SQLite file, with the offline registry and a memory SMS."""
    return connect(
        environ={},
        load_entrypoints=False,
        storage="sql",
        database_url=f"sqlite:///{DATA / 'siapkerja.sqlite3'}",
        database_migrate="true",
        sms="memory",
        dukcapil="offline",
        ratelimit="storage",
        secret_key="schemathesis-secret-key-0123456789abcdef",
        storage_key="k1:"
        + base64.urlsafe_b64encode(hashlib.sha256(b"schemathesis").digest()).decode(),
        hasher=PasswordHasher.fast_for_tests(),
        policy=JourneyPolicy(max_sends_per_nik_per_day=1000, max_sends_per_phone_per_day=1000),
        card_base_url="https://skid.kemnaker.go.id/v/",
    )


def _holder(svc: Siapkerja) -> Member:
    """A resident signed up through the API, with a complete profile and an issued card."""
    with TestClient(create_app(svc, dev=True), base_url="http://testserver/api") as client:
        return card_holder(client, svc)


SVC = _service()
HOLDER = _holder(SVC)
_, VERIFIER_KEY = SVC.register_verifier("Karirhub", ["karirhub"])
APP = create_app(SVC, dev=True)
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # A schema-valid request refused by a rule of the domain: see the module's doc.
            "positive_data_acceptance": {"expected-statuses": ["2XX", "3XX", "4XX"]},
        }
    }
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP, config=CONFIG)


@schema.auth(refresh_interval=None)
class Credentials:
    """What a real client sends, given to Schemathesis as its auth so its checks know
    when a request goes without: the holder's bearer token (a fresh session per call:
    ``DELETE /v1/sessions/current`` ends the one it is sent with), and for a
    registration the secret step 1 answered for its id (the generated id is
    usually unknown: the call then reaches the ``registration.not_found`` path)."""

    def get(self, case: schemathesis.Case, ctx: Any) -> dict[str, str]:
        security = case.operation.definition.raw.get("security") or []
        headers = {}
        if {"bearerAuth": []} in security:
            account = SVC.login(HOLDER.phone, PASSWORD)
            assert account.session is not None
            headers["Authorization"] = f"Bearer {account.session.token}"
        if security == [{"verifierKey": []}]:  # an institution's own operations
            headers["X-Verifier-Key"] = VERIFIER_KEY
        registration_id = (case.path_parameters or {}).get("registration_id")
        if {"registrationSecret": []} in security and isinstance(registration_id, str):
            secret = SVC.journey.registrations.secret(registration_id)
            headers["X-Registration-Secret"] = secret
        case_id = (case.path_parameters or {}).get("case_id")
        if {"disputeSecret": []} in security and isinstance(case_id, str):
            headers["X-Dispute-Secret"] = SVC.disputes.secret(case_id)
        return headers

    def set(self, case: schemathesis.Case, data: dict[str, str], ctx: Any) -> None:
        case.headers = {**(case.headers or {}), **data}


@schemathesis.check
def refused_by_a_rule_not_the_schema(ctx: Any, response: Any, case: schemathesis.Case) -> bool:
    """Schema-valid data (the positive mode) is never refused as invalid for the schema."""
    from schemathesis.generation import GenerationMode

    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    # The coverage phase may label a case positive while one of its parts (the body
    # of an operation with no security, next to a null header) was generated negative.
    components = getattr(case.meta, "components", None) or {}
    if any(info.mode is not GenerationMode.POSITIVE for info in components.values()):
        return True
    if response.status_code == 422 and not _has_lone_surrogates(case):
        code = (response.json() or {}).get("code", "")
        assert code not in ("request.invalid_body", "request.invalid_parameter"), (
            f"schema-valid data refused by the API's own validation: {response.text[:300]}"
        )
    return True


def _has_lone_surrogates(case: schemathesis.Case) -> bool:
    """A lone surrogate is no Unicode text (RFC 8259 §8.2): the API refuses it anywhere,
    and no JSON Schema regex can say so, so the generator may offer one as valid."""
    stack: list[object] = [case.body, case.query, case.path_parameters, case.headers]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if any("\ud800" <= char <= "\udfff" for char in value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


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
    case.call_and_validate(
        checks=CHECKS,
        additional_checks=[refused_by_a_rule_not_the_schema],
    )


def test_the_fuzzed_document_is_the_served_one() -> None:
    assert schema.raw_schema == openapi_document(SVC, server_url="/api")


def test_the_storage_is_a_sqlite_file() -> None:
    assert isinstance(SVC.storage, SqlStorage)
    assert (DATA / "siapkerja.sqlite3").stat().st_size > 0
