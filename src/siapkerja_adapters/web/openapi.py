"""The OpenAPI document of the JSON API (kept at this import path; nothing here is hand-written).

Since 0.2 the document is derived from the API's pydantic models and FastAPI
routes (:mod:`siapkerja_adapters.web.api`); this module re-exports it and the
API's request limits for code that imported them from here.
"""

from __future__ import annotations

from .api import openapi_document
from .api.bodies import (
    MAX_BODY_BYTES,
    MAX_PARAMETER_LENGTH,
    MAX_PURPOSE_LENGTH,
    MAX_TOKEN_LENGTH,
    REQUEST_MODELS,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_PARAMETER_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MAX_TOKEN_LENGTH",
    "REQUEST_MODELS",
    "openapi_document",
]
