"""Prefill: consent requests, the prefill document, its JSON Schema and JSON Resume.

The URL-link uses of the card (training, work abroad, certification, Bizhub,
job seeking) share one flow: the institution asks for the holder's consent
to a purpose (:class:`ConsentRequest`), the holder answers in their own
session, and the institution receives a :class:`PrefillDocument` of the
fields its scope and the consent allow, following the published JSON Schema
(:func:`prefill_schema`) — and, on request, as a JSON Resume. The service is
:class:`siapkerja_core.services.prefill.Prefill` (``svc.prefill``);
``docs/prefill.md`` describes the document member by member.
"""

from siapkerja_core.prefill.document import (
    SCHEMA_VERSION,
    PrefillDocument,
    address_claim,
    build_document,
    claims_of,
)
from siapkerja_core.prefill.requests import (
    MAX_PENDING_REQUESTS,
    REQUEST_TTL,
    ConsentRequest,
    ConsentRequestAnswered,
    ConsentRequested,
    PrefillError,
    RequestStatus,
)
from siapkerja_core.prefill.resume import JSON_RESUME_VERSION, json_resume
from siapkerja_core.prefill.schema import (
    SCHEMA_ID,
    prefill_schema,
    schema_text,
    shipped_schema,
    validate,
)

__all__ = [
    "JSON_RESUME_VERSION",
    "MAX_PENDING_REQUESTS",
    "REQUEST_TTL",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "ConsentRequest",
    "ConsentRequestAnswered",
    "ConsentRequested",
    "PrefillDocument",
    "PrefillError",
    "RequestStatus",
    "address_claim",
    "build_document",
    "claims_of",
    "json_resume",
    "prefill_schema",
    "schema_text",
    "shipped_schema",
    "validate",
]
