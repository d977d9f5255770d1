"""HTTP problem documents (RFC 9457) for every :class:`~siapkerja_core.errors.SiapkerjaError`.

This module owns the mapping from the library's stable error codes to HTTP:
the status table (:data:`STATUSES`), ``Retry-After`` for the throttling and
unavailability codes, the choice of language from ``Accept-Language``, and
the rendering of an error as an ``application/problem+json`` response. It
also owns the errors only the HTTP binding raises (:class:`RequestError`:
a malformed body, a missing session …) and the catch-all for the unexpected
(:func:`internal_problem`: a 500 that shows nothing of the internals).

A problem document looks like this (``Accept-Language: en``)::

    HTTP/1.1 429 Too Many Requests
    Content-Type: application/problem+json
    Content-Language: en
    Retry-After: 42

    {"type": "https://siapkerja.dev/problems/otp.cooldown",
     "title": "Wait 42 seconds before asking for a new code.",
     "status": 429,
     "detail": "Wait 42 seconds before asking for a new code.",
     "code": "otp.cooldown",
     "message_id": "Tunggu 42 detik sebelum meminta kode baru.",
     "message_en": "Wait 42 seconds before asking for a new code.",
     "params": {"retry_after": 42}}
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar, Final

from starlette.responses import Response

from siapkerja_core import translations
from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "DOMAIN_STATUSES",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "RETRY_AFTER_UNAVAILABLE",
    "STATUSES",
    "RequestError",
    "ServerError",
    "internal_problem",
    "logged_traceback",
    "negotiate_language",
    "problem_body",
    "problem_response",
    "retry_after",
    "safe_params",
    "status_of",
]

logger = logging.getLogger("siapkerja.web.api")

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://siapkerja.dev/problems/"
"""A problem's ``type`` is this followed by its ``full_code`` (``…/problems/otp.cooldown``)."""

RETRY_AFTER_UNAVAILABLE: Final = 30
"""Seconds a client is told to wait when Dukcapil, the SMS gateway or storage is down."""
_RETRY_AFTER_DEFAULT: Final = 60


class RequestError(SiapkerjaError):
    """A request the HTTP binding refuses before it reaches the facade.

    ``invalid_body`` names the field (``field``: ``"nik"``, ``"$"`` for the
    whole body) and the reason in both languages; ``invalid_parameter`` does
    the same for a query or path parameter. The JSON API raises one of them
    for a whole request, naming the first field, with ``errors`` holding one
    such error per invalid field (shown as ``params.errors``).
    """

    domain = "request"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid_body",
            "invalid_parameter",
            "too_large",
            "authentication_required",
            "verifier_key_required",
            "scope_required",
            "not_found",
            "method_not_allowed",
            "unsupported_media_type",
            "untrusted_host",
        }
    )

    def __init__(self, code: str, **params: object) -> None:
        if "reason" in params and "reason_id" not in params:
            params["reason_id"] = params["reason"]
        super().__init__(code, **params)


class ServerError(SiapkerjaError):
    """What a client sees of any failure that is the server's own (never its details)."""

    domain = "server"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "internal",
        }
    )


# --------------------------------------------------------------------------
# The status table
# --------------------------------------------------------------------------

_VALIDATION: Final = 422

STATUSES: Final[Mapping[str, int]] = MappingProxyType(
    {
        # Input that does not parse or does not pass the rules: 422, naming the field.
        **{f"nik.{c}": _VALIDATION for c in ("format", "length", "region", "birth_date")},
        "nik.serial": _VALIDATION,
        "nik.type": _VALIDATION,
        **{
            f"phone.{c}": _VALIDATION
            for c in (
                "empty",
                "format",
                "international_prefix",
                "too_short",
                "too_long",
                "not_mobile",
                "country",
                "invalid",
            )
        },
        **{f"email.{c}": _VALIDATION for c in ("empty", "syntax", "too_long", "domain")},
        **{
            f"password.{c}": _VALIDATION
            for c in ("empty", "too_short", "too_long", "common", "identity", "composition")
        },
        **{
            f"profile.{c}": _VALIDATION
            for c in (
                "invalid_field",
                "village",
                "date_order",
                "photo_type",
                "photo_size",
                "private_section",
                "unknown_section",
                "field",  # a field of the biodata form, worded by its label (the web pages)
                "entry_field",  # a field of one entry of a list section (the web pages)
                "too_many_entries",
            )
        },
        # A web form drawn for an entry that changed meanwhile in another tab.
        "profile.stale_entry": 409,
        "profile.incomplete": 409,
        **{f"siapkerja_id.{c}": _VALIDATION for c in ("format", "length", "check")},
        # A form's field as typed (the web pages' own checks).
        **{f"input.{c}": _VALIDATION for c in ("required", "too_long", "several")},
        # The registration journey.
        "registration.invalid_name": _VALIDATION,
        "registration.nik_not_found": _VALIDATION,
        "registration.nik_inactive": _VALIDATION,
        "registration.mismatch": _VALIDATION,
        "registration.verification_locked": 429,
        "registration.email_checks_locked": 429,
        "registration.not_found": 404,
        "registration.secret_required": 401,
        "registration.expired": 410,
        "registration.already_confirmed": 409,
        "registration.wrong_step": 409,
        "registration.email_taken": 409,
        "registration.phone_taken": 409,
        "registration.already_registered": 409,
        "otp.invalid": _VALIDATION,
        "otp.expired": 410,
        "otp.dead": 410,
        "otp.cooldown": 429,
        "otp.send_limit": 429,
        "otp.daily_limit": 429,
        "login.failed": 401,
        "login.throttled": 429,
        "login.session_invalid": 401,
        "reset.invalid": 400,
        # Factors beyond SMS (docs/factors.md).
        "login.factor_required": 401,
        "login.factor_failed": 401,
        "factor.invalid_code": _VALIDATION,
        "factor.no_enrolment": 409,
        "factor.passkey_failed": _VALIDATION,
        "factor.not_found": 404,
        "factor.throttled": 429,
        "factor.passkeys_unavailable": 503,
        # Cards, QR codes and scanning.
        "card.no_account": 404,
        "card.no_card": 404,
        "card.revoked": 410,
        "card.suspended": 403,
        "card.mode": _VALIDATION,
        "card.purpose_required": _VALIDATION,
        "card.exhausted": 503,
        "card.photo_type": _VALIDATION,
        "card.photo_size": _VALIDATION,
        "card.empty": 500,
        "card.qr_version": 500,
        **{
            f"aki.{code}": _VALIDATION
            for code in (
                "number_format",
                "number_region",
                "number_check",
                "office_unknown",
                "office_required",
                "invalid_text",
                "placement_date",
                "unknown_reason",
                "unknown_status",
            )
        },
        "aki.not_found": 404,
        "aki.not_officer": 403,
        "aki.wrong_office": 403,
        **{
            f"aki.{code}": 409
            for code in (
                "already_registered",
                "transition",
                "report_too_early",
                "report_late",
                "report_done",
            )
        },
        "aki.exhausted": 503,
        "aki.pdf_unavailable": 503,
        "token.malformed": 400,
        "token.forged": 403,
        "token.expired": 410,
        "token.revoked": 410,
        "token.wrong_mode": _VALIDATION,
        "token.wrong_purpose": _VALIDATION,
        "token.replayed": 409,
        "token.no_key": 500,
        "token.suspended": 403,
        # Raised by offline stations only: their list expired, like an expired code.
        "token.status_stale": 410,
        # Raised by retiring a key (the command line, a script), never by a request.
        "token.unknown_key": 404,
        "status_list.malformed": _VALIDATION,
        "status_list.forged": 403,
        "status_list.expired": 410,
        "disclosure.unknown_scope": 400,
        "disclosure.unknown_verifier": 403,
        "disclosure.purpose_required": 400,
        "disclosure.purpose_invalid": 400,
        "disclosure.unknown_consent": 404,
        "disclosure.cursor_invalid": 400,
        "disclosure.verifier_suspended": 403,
        # Administering institutions (the admin API).
        "institution.unknown": 404,
        "institution.admin_required": 403,
        "institution.wrong_status": 409,
        **{
            f"institution.{c}": _VALIDATION
            for c in (
                "invalid_kind",
                "invalid_status",
                "invalid_region",
                "invalid_contact",
                "invalid_name",
                "invalid_actor",
                "invalid_reason",
                "invalid_audit",
            )
        },
        # Disputes over a NIK and identity re-proofing (siapkerja_core.disputes).
        "dispute.not_found": 404,
        "dispute.no_account": 404,
        "dispute.secret_required": 401,
        "dispute.expired": 410,
        **{f"dispute.{c}": 409 for c in ("already_open", "wrong_step", "evidence_required")},
        **{f"dispute.{c}": 409 for c in ("phone_taken", "email_taken")},
        "dispute.face_unavailable": 503,
        "dispute.face_attempts": 429,
        **{
            f"dispute.{c}": _VALIDATION
            for c in ("invalid_answer", "invalid_officer", "invalid_note", "invalid_image")
        },
        # Consent requests and prefill documents (siapkerja_core.prefill).
        "prefill.unknown_request": 404,
        "prefill.request_closed": 409,
        "prefill.request_expired": 410,
        "prefill.fields_outside_scope": 400,
        "prefill.essential_refused": _VALIDATION,
        "prefill.consent_required": 403,
        "prefill.too_many_pending": 429,
        "prefill.invalid_document": _VALIDATION,
        "checkin.malformed_record": _VALIDATION,
        # Event entry (siapkerja_core.gates): the gate's own credential is a 401.
        "card.unknown_purpose": _VALIDATION,
        **{f"gate.{c}": 409 for c in ("not_open", "closed", "full", "already_inside")},
        **{f"gate.{c}": 410 for c in ("expired", "revoked", "suspended", "event_cancelled")},
        **{
            f"gate.{c}": 401
            for c in (
                "station_credential_required",
                "unknown_station",
                "station_retired",
                "bad_station_signature",
                "stale_request",
                "replayed_request",
            )
        },
        **{f"gate.{c}": _VALIDATION for c in ("wrong_event", "invalid_event", "invalid_station")},
        "gate.bad_export": _VALIDATION,
        "gate.unknown_event": 404,
        "gate.event_exists": 409,
        "gate.station_exists": 409,
        "gate.not_organiser": 403,
        "gate.station_not_for_event": 403,
        # A typed short code (card number + 8 digits): wrong or old, or too many wrong.
        "gate.short_code_invalid": _VALIDATION,
        "gate.short_code_locked": 429,
        # Classes and programmes (siapkerja_core.classes, .programmes).
        "class.invalid": _VALIDATION,
        **{f"class.{c}": 404 for c in ("not_found", "no_account")},
        **{
            f"class.{c}": 403
            for c in ("not_institution", "not_owner", "not_enrolled", "no_consent")
        },
        **{f"class.{c}": 409 for c in ("already_enrolled", "full", "exists")},
        "programme.invalid": _VALIDATION,
        "programme.not_found": 404,
        "programme.not_eligible": 403,
        "programme.not_operator": 403,
        **{f"programme.{c}": 409 for c in ("exists", "already_enrolled")},
        # Single sign-on (siapkerja_core.sso): the admin API's and the provider's pages'
        # problems. The OAuth endpoints answer in OAuth's own shape (web.sso), not these.
        "sso.unknown_client": 404,
        "sso.client_suspended": 403,
        "sso.invalid_client": 401,
        **{
            f"sso.{c}": _VALIDATION
            for c in (
                "invalid_redirect_uri",
                "invalid_scope",
                "invalid_hub",
                "invalid_fields",
                "invalid_jwks",
                "invalid_auth_method",
                "invalid_id_token_alg",
                "invalid_rate_limit",
                "essential_refused",
            )
        },
        "sso.invalid_grant": 400,
        "sso.invalid_token": 401,
        **{
            f"sso.{c}": 403
            for c in (
                "consent_required",
                "consent_withdrawn",
                "step_up_required",
                "account_closed",
                "account_restricted",
            )
        },
        # The holder's rights (siapkerja_core.rights).
        "rights.no_account": 404,
        "rights.unknown_request": 404,
        **{f"rights.{c}": 409 for c in ("not_open", "already_restricted", "not_restricted")},
        **{f"rights.{c}": _VALIDATION for c in ("invalid_note", "invalid_window")},
        "rights.wrong_password": 403,
        "rights.throttled": 429,
        "sso.rate_limited": 429,
        "gate_screen.throttled": 429,  # wrong station keys at the gate screen's sign-in
        **{
            f"gate_screen.{c}": _VALIDATION
            for c in ("choose_event", "code_required", "key_required")
        },
        "sso.wrong_status": 409,
        # The holder's contacts (siapkerja_core.second_contact, issue 16).
        **{f"contact.{c}": 409 for c in ("no_change", "same_as_primary", "nothing_pending")},
        "contact.no_email_channel": 503,
        "mail.unavailable": 503,
        # The outside world is down: try again later.
        "dukcapil.unavailable": 503,
        "sms.unavailable": 503,
        "storage.unavailable": 503,
        "ratelimit.unavailable": 503,
        # The server's own faults: a 500 that shows nothing of them.
        "storage.key_missing": 500,
        "storage.tampered": 500,
        "storage.corrupt": 500,  # a stored value its column cannot hold (sql/base.py)
        "storage.not_migrated": 500,
        "storage.read_only": 500,  # a programming error: a write in a read-only unit
        "qr.empty": 500,
        "qr.option": 500,
        "qr.too_large": 500,
        **{
            f"config.{c}": 500
            for c in (
                "invalid",
                "file",
                "plugin",
                "adapter_missing",
                "adapter_type",
                "secret_required",
                # branding settings (issue 14): refused when the application starts
                "bad_colour",
                "low_contrast",
                "insecure_url",
                "no_directory",
                "bad_name",
            )
        },
        **{f"plugin.{c}": 500 for c in ("unknown_adapter", "duplicate_adapter", "unknown_kind")},
        **{f"dukcapil_data.{c}": 500 for c in ("header", "row", "file")},
        "config.offline_only": 500,
        "config.missing_extra": 500,  # an adapter whose extra is not installed (issue 17)
        "config.storage_key_missing": 500,
        "config.storage_key_wrong": 500,
        "config.unsafe_default": 500,
        "config.card_base_url_mount": 500,  # a host mounted the pages off their card_base_url
        "demo.dir_used": 500,  # the command line's demo only; never an HTTP answer
        "demo.environment_database": 500,  # the command line's demo only; never an HTTP answer
        # Bulk imports (a CSV's rows); the file itself is the server's.
        **{
            f"bulk.{c}": _VALIDATION
            for c in (
                "header",
                "columns",
                "empty",
                "value",
                "nik_number",
                "duplicate",
                "photo",
                "csv",
                "open_quote",
                "line_break",
            )
        },
        "bulk.file": 500,
        "bulk.report": 500,  # the command line's --report only; never an HTTP answer
        # The HTTP binding's own.
        "request.invalid_body": _VALIDATION,
        "request.invalid_parameter": _VALIDATION,
        "request.too_large": 413,
        "request.authentication_required": 401,
        "request.verifier_key_required": 401,
        "request.scope_required": 403,
        "request.not_found": 404,
        "request.method_not_allowed": 405,
        "request.unsupported_media_type": 415,
        "request.untrusted_host": 400,
        "server.internal": 500,
    }
)
"""HTTP status of each stable error code (``full_code``)."""

DOMAIN_STATUSES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "nik": _VALIDATION,
        "phone": _VALIDATION,
        "email": _VALIDATION,
        "password": _VALIDATION,
        "profile": _VALIDATION,
        "siapkerja_id": _VALIDATION,
        "bulk": _VALIDATION,
        "registration": _VALIDATION,
        "otp": _VALIDATION,
        "login": 401,
        "reset": 400,
        "token": 400,
        "disclosure": 403,
        "institution": _VALIDATION,
        "prefill": 403,
        "gate": 400,
        "gate_screen": 400,
        "class": 400,
        "programme": 400,
        "sso": 400,
        "request": 400,
        "dukcapil": 503,
        "sms": 503,
        "mail": 503,
        "contact": 409,
        "ratelimit": 503,
    }
)
"""The status of a code missing from :data:`STATUSES` (a plug-in's new code), by domain.

Anything else, including every code of an unknown domain, is a 500."""

_RETRY_AFTER_DAY: Final = frozenset({"otp.daily_limit"})


def status_of(error: SiapkerjaError) -> int:
    """The HTTP status of ``error``: :data:`STATUSES`, else :data:`DOMAIN_STATUSES`, else 500."""
    status = STATUSES.get(error.full_code)
    if status is None:
        status = DOMAIN_STATUSES.get(error.domain, 500)
    return status


def retry_after(error: SiapkerjaError, status: int, now: datetime | None = None) -> int | None:
    """Seconds for ``Retry-After`` (429 and 503 only): the error's own, or a sensible default.

    The core's throttles carry their true ``retry_after``; an ``otp.daily_limit``
    without one (a plug-in's) waits until UTC midnight.
    """
    if status not in (429, 503):
        return None
    value = error.params.get("retry_after")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if error.full_code in _RETRY_AFTER_DAY:
        current = now or datetime.now(UTC)
        midnight = datetime.combine(current.date() + timedelta(days=1), datetime.min.time(), UTC)
        return max(1, math.ceil((midnight - current).total_seconds()))
    return RETRY_AFTER_UNAVAILABLE if status == 503 else _RETRY_AFTER_DEFAULT


# --------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------


def negotiate_language(header: str | None) -> str:
    """The catalogue language an ``Accept-Language`` header prefers; else Indonesian.

    ``"en"`` or ``"id"``, or a language a deployer's catalogues add (``jv``).
    Quality values are honoured (``"id;q=0.5, en"`` is English); ``*`` and
    ``in`` (the old code for Indonesian) count as Indonesian.
    """
    if not header:
        return "id"
    known = translations.languages()
    best, best_q = "id", -1.0
    for item in header.split(",")[:20]:
        tag, _, rest = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary in ("in", "*"):
            lang = "id"
        elif primary in known:
            lang = primary
        else:
            continue
        quality = 1.0
        rest = rest.strip()
        if rest.lower().startswith("q="):
            try:
                quality = float(rest[2:])
            except ValueError:
                continue
        if not 0 < quality <= 1:
            continue
        if quality > best_q:
            best, best_q = lang, quality
    return best


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

_SECRET_PARAMS: Final = frozenset(
    {
        "password",
        "new_password",
        "code",
        "otp",
        "token",
        "session",
        "secret",
        "api_key",
        "pepper",
        # Internals a client has no use for.
        "adapter",
        "path",
        "value",
    }
)
"""Params never put in a problem, whoever raised the error."""


class _Unsafe:
    """The marker of a value that is left out of a problem document."""


_UNSAFE: Final = _Unsafe()


def _json_safe(value: object, depth: int = 0) -> object:
    if depth > 4:
        return _UNSAFE
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _UNSAFE
    if isinstance(value, SiapkerjaError):
        nested: dict[str, object] = {
            "code": value.full_code,
            "message_id": value.message_id,
            "message_en": value.message_en,
        }
        field = value.params.get("field")
        if isinstance(field, str):
            nested["field"] = field
        return nested
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value, key=str) if isinstance(value, frozenset | set) else value
        converted = [_json_safe(item, depth + 1) for item in items]
        return _UNSAFE if any(item is _UNSAFE for item in converted) else converted
    if isinstance(value, Mapping):
        return safe_params(value, depth + 1)
    return _UNSAFE


def safe_params(params: Mapping[str, object], depth: int = 0) -> dict[str, object]:
    """The params that may be shown to a client: JSON values, no secret, no internals.

    Tuples become lists; nested errors (``ProfileError.errors``) become
    ``{"code", "field", "message_id", "message_en"}`` objects.
    """
    result: dict[str, object] = {}
    for key, value in params.items():
        if not isinstance(key, str) or key in _SECRET_PARAMS:
            continue
        converted = _json_safe(value, depth)
        if converted is not _UNSAFE:
            result[key] = converted
    return result


def problem_body(error: SiapkerjaError, status: int, lang: str) -> dict[str, Any]:
    """The RFC 9457 document of ``error`` with our extension members."""
    return {
        "type": PROBLEM_TYPE_BASE + error.full_code,
        "title": error.message_en,
        "status": status,
        "detail": error.message(lang),
        "code": error.full_code,
        "message_id": error.message_id,
        "message_en": error.message_en,
        "params": safe_params(error.params),
    }


def _dumps(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def logged_traceback(error: SiapkerjaError) -> SiapkerjaError | None:
    """What the log line of a server-side ``error`` carries as its traceback: the error, but
    none for ``storage.corrupt``, which the storage logged with its table — the driver's
    error it was raised from may quote the stored value."""
    return None if error.full_code == "storage.corrupt" else error


def problem_response(
    error: SiapkerjaError,
    lang: str = "id",
    *,
    now: Callable[[], datetime] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``error`` as an ``application/problem+json`` response in ``lang``.

    A 5xx other than 503 is the server's fault: it is logged in full and the
    client gets :func:`internal_problem` instead. A 401 carries
    ``WWW-Authenticate``; a 429 and a 503 carry ``Retry-After``.
    """
    status = status_of(error)
    if status >= 500 and status != 503:
        logger.error(
            "server-side error answered as 500: %s", error, exc_info=logged_traceback(error)
        )
        return internal_problem(lang)
    try:
        body = problem_body(error, status, lang)
        seconds = retry_after(error, status, now() if now is not None else None)
    except Exception:  # a message template missing a param, a broken clock …
        logger.exception("cannot render the problem of %s", type(error).__name__)
        return internal_problem(lang)
    extra = dict(headers or {})
    if seconds is not None:
        extra["Retry-After"] = str(seconds)
    if status == 401:
        if error.full_code == "request.authentication_required":
            extra.setdefault("WWW-Authenticate", 'Bearer realm="siapkerja"')
        elif error.full_code == "request.verifier_key_required":
            # The scheme is the header an institution sends (an API key, not a bearer token).
            extra.setdefault("WWW-Authenticate", 'X-Verifier-Key realm="siapkerja"')
        elif error.full_code == "sso.invalid_client":
            # A relying party authenticates with its client_id and secret (RFC 6749 §5.2).
            extra.setdefault("WWW-Authenticate", 'Basic realm="siapkerja"')
        else:
            extra.setdefault("WWW-Authenticate", 'Bearer realm="siapkerja", error="invalid_token"')
    return _render(body, status, lang, extra)


def internal_problem(lang: str = "id") -> Response:
    """The 500 problem: a stable code and a message, nothing of what went wrong."""
    error = ServerError("internal")
    return _render(problem_body(error, 500, lang), 500, lang, {})


def _render(body: Mapping[str, Any], status: int, lang: str, headers: dict[str, str]) -> Response:
    headers.setdefault("Content-Language", lang)
    headers.setdefault("Vary", "Accept-Language")
    headers.setdefault("Cache-Control", "no-store")
    return Response(
        _dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )
