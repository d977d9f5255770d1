"""The prefill document's JSON Schema (Draft 2020-12), declared once, and a validator.

:func:`prefill_schema` builds the schema from the profile's own limits and
enumerations (``MAX_LINE_LENGTH``, ``EducationLevel`` …), so the schema and
the profile's validators cannot drift apart. The package ships it as
``siapkerja_core/schemas/prefill-1.0.json`` (a test keeps the file equal to
this declaration), the web binding serves it at ``/schemas/prefill/1.0.json``
and ``siapkerja prefill schema`` prints it.

:func:`validate` checks a document against it with the standard library
alone — the keywords the schema uses (``type``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``enum``, ``const``,
``pattern``, ``minLength``, ``maxLength``, ``maxItems``, ``minimum``,
``maximum``, ``minProperties``, ``$ref``) and nothing else; ``format`` is
an annotation, as Draft 2020-12 reads it by default (the patterns carry the
checks that matter). The test suite checks that it agrees with the
``jsonschema`` package.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from siapkerja_core.disclosure import IDENTITY_NIK, IDENTITY_NIK_MASKED, MAX_PURPOSE_LENGTH
from siapkerja_core.prefill.document import SCHEMA_VERSION
from siapkerja_core.profile import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ITEMS,
    MAX_LINE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORGANISATION_LENGTH,
    MAX_SCORE_LENGTH,
    MAX_STREET_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    EducationLevel,
    LanguageLevel,
    MaritalStatus,
    Religion,
    Section,
)
from siapkerja_core.profile.codes import (
    ESCO_OCCUPATION_PATTERN,
    ESCO_SKILL_PATTERN,
    ISCO08_PATTERN,
    KBJI_PATTERN,
)

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_ID",
    "SUPPORTED_KEYWORDS",
    "prefill_schema",
    "schema_text",
    "shipped_schema",
    "validate",
]

SCHEMA_ID: Final = f"https://siapkerja.example/schemas/prefill/{SCHEMA_VERSION}.json"
"""The schema's ``$id``: its name, the same in every deployment (it need not resolve).

Deployments serve the same document at ``/schemas/prefill/1.0.json``."""
SCHEMA_FILE: Final = f"prefill-{SCHEMA_VERSION}.json"
"""The shipped file, in the ``siapkerja_core.schemas`` package data."""
_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_MONTH: Final = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_DATE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NIK: Final = r"^[0-9]{16}$"
_NIK_MASKED: Final = r"^[0-9]{4}\*{10}[0-9]{2}$"
_E164: Final = r"^\+[1-9][0-9]{6,14}$"
_VILLAGE: Final = r"^[0-9]{10}$"


def _text(max_length: int, description: str | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_length}
    if description:
        schema["description"] = description
    schema.update(extra)
    return schema


def _object(
    properties: Mapping[str, Any], required: tuple[str, ...] = (), description: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = dict(properties)
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    return schema


def _list(item: str, section: str, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "maxItems": MAX_ITEMS[section],
        "items": {"$ref": f"#/$defs/{item}"},
    }


def _month(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": _MONTH, "description": description}


def _year(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR, "description": description}


def _definitions() -> dict[str, Any]:
    address = _object(
        {
            "formatted": _text(
                2 * MAX_STREET_LENGTH + 200, "The whole address on one line, as on the KTP."
            ),
            "street_address": _text(
                MAX_STREET_LENGTH + 200, "Street, RT/RW, desa/kelurahan and kecamatan."
            ),
            "locality": _text(MAX_LINE_LENGTH, "Kabupaten/kota."),
            "region": _text(MAX_LINE_LENGTH, "Provinsi."),
            "postal_code": {"type": "string", "pattern": r"^[1-9][0-9]{4}$"},
            "country": {"const": "ID", "description": "ISO 3166-1 alpha-2."},
            "village_code": {
                "type": "string",
                "pattern": _VILLAGE,
                "description": "Kemendagri desa/kelurahan code (10 digits).",
            },
            "village": _text(MAX_LINE_LENGTH, "Desa/kelurahan."),
            "district": _text(MAX_LINE_LENGTH, "Kecamatan."),
            "street": _text(MAX_STREET_LENGTH, "The street line alone."),
            "rt": {"type": "string", "pattern": r"^[0-9]{3}$"},
            "rw": {"type": "string", "pattern": r"^[0-9]{3}$"},
        },
        ("formatted", "street_address", "locality", "region", "country", "village_code"),
        "OpenID Connect's address claim, with the Kemendagri region code and names.",
    )
    occupation = _object(
        {
            "kbji": {
                "type": "string",
                "pattern": KBJI_PATTERN,
                "description": "KBJI 2014: unit group (4 digits) or occupation (4.2 digits).",
            },
            "isco08": {
                "type": "string",
                "pattern": ISCO08_PATTERN,
                "description": "ISCO-08 unit group.",
            },
            "esco_uri": {
                "type": "string",
                "pattern": ESCO_OCCUPATION_PATTERN,
                "description": "ESCO occupation concept URI.",
            },
        },
        description="Labour-classification codes of an occupation (format-checked only).",
    )
    occupation["minProperties"] = 1
    return {
        "address": address,
        "occupation": occupation,
        "skill": _object(
            {
                "name": _text(MAX_TERM_LENGTH),
                "esco_uri": {
                    "type": "string",
                    "pattern": ESCO_SKILL_PATTERN,
                    "description": "ESCO skill concept URI.",
                },
            },
            ("name",),
        ),
        "language": _object(
            {"name": _text(MAX_TERM_LENGTH), "level": {"enum": [v.value for v in LanguageLevel]}},
            ("name", "level"),
        ),
        "work": _object(
            {
                "title": _text(MAX_LINE_LENGTH),
                "company": _text(MAX_LINE_LENGTH),
                "start": _month("First month (YYYY-MM)."),
                "end": _month("Last month; absent while the job continues."),
                "location": _text(MAX_LINE_LENGTH),
                "description": _text(MAX_DESCRIPTION_LENGTH),
                "occupation": {"$ref": "#/$defs/occupation"},
            },
            ("title", "company", "start"),
        ),
        "education": _object(
            {
                "institution": _text(MAX_ORGANISATION_LENGTH),
                "level": {"enum": [v.value for v in EducationLevel]},
                "major": _text(MAX_LINE_LENGTH),
                "start_year": _year("First year."),
                "end_year": _year("Last year; absent while studying."),
                "gpa": {"type": "number", "minimum": 0, "maximum": 4, "description": "IPK."},
            },
            ("institution", "level", "start_year"),
        ),
        "certificate": _object(
            {
                "name": _text(MAX_TITLE_LENGTH),
                "issuer": _text(MAX_ORGANISATION_LENGTH),
                "valid_from": _month("Valid from (YYYY-MM)."),
                "valid_until": _month("Valid until; absent when it does not expire."),
                "score": _text(MAX_SCORE_LENGTH),
            },
            ("name", "issuer", "valid_from"),
        ),
        "achievement": _object(
            {
                "title": _text(MAX_TITLE_LENGTH),
                "organiser": _text(MAX_ORGANISATION_LENGTH),
                "date": _month("When (YYYY-MM)."),
                "description": _text(MAX_DESCRIPTION_LENGTH),
            },
            ("title", "organiser", "date"),
        ),
    }


FIELD_NAMES: Final = (IDENTITY_NIK, IDENTITY_NIK_MASKED, *(s.value for s in Section))
"""Every disclosure field a document's ``fields`` may list."""


def prefill_schema() -> dict[str, Any]:
    """The prefill document's JSON Schema (a fresh copy, the caller's to change)."""
    return copy.deepcopy(_declared())


@cache
def _declared() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "schema_version": {"const": SCHEMA_VERSION, "description": "This schema's version."},
        "issued_at": {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$",
            "format": "date-time",
            "description": "When the document was released (UTC).",
        },
        "purpose": _text(MAX_PURPOSE_LENGTH, "The purpose the holder consented to."),
        "institution": _object(
            {"id": _text(128, "The verifier's id."), "name": _text(200, "The verifier's name.")},
            ("id", "name"),
            "The registered institution that received the document.",
        ),
        "fields": {
            "type": "array",
            "description": "The disclosure fields released (as the holder's ledger records them).",
            "items": {"enum": list(FIELD_NAMES)},
            "maxItems": len(FIELD_NAMES),
        },
        "siapkerja_id": _text(32, "The SIAPkerja-ID card number."),
        "name": _text(MAX_NAME_LENGTH, "OIDC name: the Dukcapil-verified full name."),
        "nik": {
            "type": "string",
            "pattern": _NIK,
            "description": "The NIK (scope field `nik`). Always a string: 16 digits.",
        },
        "nik_masked": {
            "type": "string",
            "pattern": _NIK_MASKED,
            "description": "The NIK's first 4 and last 2 digits (scope field `nik_masked`).",
        },
        "birthdate": {
            "type": "string",
            "pattern": _DATE,
            "format": "date",
            "description": "OIDC birthdate, YYYY-MM-DD (field `birth`).",
        },
        "birth_place": _text(MAX_LINE_LENGTH, "Tempat lahir (field `birth`)."),
        "gender": {"enum": ["male", "female"], "description": "OIDC gender (field `sex`)."},
        "marital_status": {"enum": [v.value for v in MaritalStatus]},
        "religion": {"enum": [v.value for v in Religion]},
        "headline": _text(MAX_LINE_LENGTH, "The profile's headline (field `headline`)."),
        "headline_occupation": {"$ref": "#/$defs/occupation"},
        "email": _text(320, "OIDC email (field `contact`).", format="email"),
        "phone_number": {
            "type": "string",
            "pattern": _E164,
            "description": "OIDC phone_number, E.164 (field `contact`).",
        },
        "address": {"$ref": "#/$defs/address"},
        "ktp_address": {"$ref": "#/$defs/address"},
        "skills": _list("skill", "skills", "Keahlian (field `skills`)."),
        "languages": _list("language", "languages", "Bahasa (field `languages`)."),
        "work": _list("work", "work", "Pengalaman kerja (field `work`)."),
        "education": _list("education", "education", "Pendidikan (field `education`)."),
        "certificates": _list("certificate", "certificates", "Sertifikat (field `certificates`)."),
        "achievements": _list("achievement", "achievements", "Pencapaian (`achievements`)."),
        "picture": {
            "type": "string",
            "pattern": r"^data:image/(jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$",
            "description": "OIDC picture: the photo as a data: URL (field `photo`).",
        },
    }
    schema = _object(
        properties,
        ("schema_version", "issued_at", "purpose", "institution", "fields", "siapkerja_id", "name"),
        "What an institution receives of a SIAPkerja-ID holder who consented to a purpose.",
    )
    return {
        "$schema": _DIALECT,
        "$id": SCHEMA_ID,
        "title": f"SIAPkerja prefill document {SCHEMA_VERSION}",
        **schema,
        "$defs": _definitions(),
    }


def schema_text(schema: Mapping[str, Any] | None = None) -> str:
    """The schema as the shipped file holds it (indented JSON, ending with a newline)."""
    return json.dumps(schema or prefill_schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _shipped() -> str:
    return resources.files("siapkerja_core.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")


def shipped_schema() -> dict[str, Any]:
    """The schema file shipped with the package (equal to :func:`prefill_schema`)."""
    loaded: dict[str, Any] = json.loads(_shipped())
    return loaded


# --- validation --------------------------------------------------------------------

SUPPORTED_KEYWORDS: Final = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$ref",
        "title",
        "description",
        "format",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "items",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "maxItems",
        "minimum",
        "maximum",
    }
)
"""The keywords :func:`validate` understands: every keyword the schema uses."""

_TYPES: Final = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _equal(a: object, b: object) -> bool:
    # JSON equality: true is not 1, 1 is 1.0.
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _check(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str) -> list[str]:
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix("#/$defs/")
        return _check(value, root["$defs"][name], root, path)
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return [f"{path}: expected {kind}"]
    errors: list[str] = []
    if "const" in schema and not _equal(value, schema["const"]):
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
        errors.append(f"{path}: must be one of {', '.join(map(repr, schema['enum']))}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and _regex(schema["pattern"]).search(value) is None:
            errors.append(f"{path}: does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above {schema['maximum']}")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += _check(item, schema["items"], root, f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        if len(value) < schema.get("minProperties", 0):
            errors.append(f"{path}: needs at least {schema['minProperties']} member(s)")
        for name in schema.get("required", ()):
            if name not in value:
                errors.append(f"{path}.{name}: required")
        for name, item in value.items():
            if name in properties:
                errors += _check(item, properties[name], root, f"{path}.{name}")
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}.{name}: not allowed")
    return errors


def validate(document: object, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Every way ``document`` breaks the prefill schema, as ``"$.path: why"``; ``[]`` if none."""
    root = schema if schema is not None else _declared()
    return _check(document, root, root, "$")
