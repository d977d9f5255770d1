"""The JSON API: every operation of the facade over HTTP, under ``/v1``.

This module owns the API's routes (:func:`api_routes`, plain Starlette
routes that any Starlette or FastAPI application can mount) and a
stand-alone application for them (:func:`create_api_app`). It turns
requests into facade calls and results into JSON; the contract is the
OpenAPI document of :mod:`~siapkerja_adapters.web.openapi` (served at
``/v1/openapi.json``) and errors are the problem documents of
:mod:`~siapkerja_adapters.web.problems`.

Each endpoint catches everything: a :class:`~siapkerja_core.errors.SiapkerjaError`
becomes its problem document, anything else a 500 that shows nothing (and is
logged), so the routes behave the same mounted in any host application.
Facade calls, which may hash a password or wait on Dukcapil, run in a worker
thread. Authentication is ``Authorization: Bearer <session token>``;
passwords and codes are never echoed.

    >>> from siapkerja_adapters import connect
    >>> from siapkerja_adapters.web.api import create_api_app
    >>> app = create_api_app(connect("memory", environ={}))
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from siapkerja_core.card import Card
from siapkerja_core.cards import CardQr, CheckInReceipt
from siapkerja_core.completeness import Completeness
from siapkerja_core.contact import mask_email
from siapkerja_core.converter import unstructure
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.journey import LoginError
from siapkerja_core.model import (
    AccessRecord,
    Account,
    CardRecord,
    ConsentRecord,
    PasswordResetRequest,
    Registration,
    mask_nik,
)
from siapkerja_core.profile import SECTIONS, ProfileError, ProfileWarning
from siapkerja_core.service import Siapkerja

from .openapi import (
    BODIES,
    MAX_BODY_BYTES,
    MAX_PARAMETER_LENGTH,
    MAX_PURPOSE_LENGTH,
    MAX_TOKEN_LENGTH,
    ListField,
    TextField,
    openapi_document,
)
from .problems import (
    RequestError,
    internal_problem,
    negotiate_language,
    problem_response,
)
from .threads import WorkerThreads

__all__ = ["JSON_HEADERS", "api_routes", "create_api_app"]

logger = logging.getLogger("siapkerja.web.api")

JSON_HEADERS: Final[Mapping[str, str]] = {"Cache-Control": "no-store"}
"""Every answer may hold personal data or a token: no cache keeps it."""
_PUBLIC_HEADERS: Final[Mapping[str, str]] = {"Cache-Control": "public, max-age=300"}
_DEFAULT_STATION: Final = "api"
_MAX_SHOWN_FIELD: Final = 100  # an unknown member's name is echoed, but not a megabyte of it

# Why a value is refused, in (Indonesian, English).
_REQUIRED: Final = ("wajib diisi", "is required")
_NOT_TEXT: Final = ("harus berupa teks", "must be a string")
_NOT_OBJECT: Final = ("harus berupa objek JSON", "must be a JSON object")
_NOT_LIST: Final = ("harus berupa daftar", "must be a list")
_UNKNOWN: Final = ("bukan isian yang dikenal", "is not a known field")
_NOT_JSON: Final = ("bukan JSON yang valid", "is not valid JSON")
_NOT_UTF8: Final = ("bukan teks UTF-8", "is not UTF-8 text")
_BAD_CHAR: Final = (
    "berisi karakter yang tidak diizinkan (NUL atau surrogate)",
    "contains a character that is not allowed (NUL or a lone surrogate)",
)


def _too_long(limit: int) -> tuple[str, str]:
    return (f"paling banyak {limit} karakter", f"must be at most {limit} characters")


def _invalid_body(field: str, reason: tuple[str, str]) -> RequestError:
    shown = field if len(field) <= _MAX_SHOWN_FIELD else field[:_MAX_SHOWN_FIELD] + "…"
    return RequestError("invalid_body", field=shown, reason_id=reason[0], reason=reason[1])


def _invalid_parameter(field: str, reason: tuple[str, str]) -> RequestError:
    return RequestError("invalid_parameter", field=field, reason_id=reason[0], reason=reason[1])


def _clean_text(value: str) -> bool:
    """False for text no storage should be given: NUL, or lone surrogates (not UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_strings(data: object) -> None:
    """Refuse NUL and lone surrogates anywhere in a parsed body, naming where."""
    stack: list[tuple[object, str]] = [(data, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not _clean_text(value):
                raise _invalid_body(path, _BAD_CHAR)
        elif isinstance(value, dict):
            for key, item in value.items():
                child = key if path == "$" else f"{path}.{key}"
                if not _clean_text(key):
                    raise _invalid_body(path, _BAD_CHAR)
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestError("too_large", max_bytes=MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestError("too_large", max_bytes=MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_json(request: Request) -> object | None:
    """The parsed body, or ``None`` when it is empty."""
    raw = await _read_body(request)
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_body("$", _NOT_UTF8) from None
    try:
        data: object = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise _invalid_body("$", _NOT_JSON) from None
    _check_strings(data)
    return data


# --------------------------------------------------------------------------
# The request context
# --------------------------------------------------------------------------


class _Context:
    """One request as an operation sees it: the parsed body, parameters, the account."""

    def __init__(self, svc: Siapkerja, request: Request, body: object | None) -> None:
        self.svc = svc
        self.request = request
        self.body = body
        self._account: Account | None = None
        self._token: str | None = None

    @property
    def root_path(self) -> str:
        return str(self.request.scope.get("root_path", "")).rstrip("/")

    def path(self, name: str, max_length: int = MAX_PARAMETER_LENGTH) -> str:
        value = str(self.request.path_params[name])
        if len(value) > max_length:
            raise _invalid_parameter(name, _too_long(max_length))
        if not _clean_text(value):
            raise _invalid_parameter(name, _BAD_CHAR)
        return value

    def query(self, name: str, max_length: int = MAX_PURPOSE_LENGTH) -> str | None:
        value = self.request.query_params.get(name)
        if value is None:
            return None
        if len(value) > max_length:
            raise _invalid_parameter(name, _too_long(max_length))
        if not _clean_text(value):
            raise _invalid_parameter(name, _BAD_CHAR)
        return value

    def object_body(self) -> dict[str, Any]:
        if self.body is None:
            raise _invalid_body("$", _REQUIRED)
        if not isinstance(self.body, dict):
            raise _invalid_body("$", _NOT_OBJECT)
        return self.body

    def fields(self, body: str) -> dict[str, Any]:
        """The body checked against ``BODIES[body]``: known keys, types and lengths."""
        spec = BODIES[body]
        data = self.object_body()
        known = {field.name for field in spec}
        for key in data:
            if key not in known:
                raise _invalid_body(key, _UNKNOWN)
        result: dict[str, Any] = {}
        for field in spec:
            value = data.get(field.name)
            if isinstance(field, TextField):
                result[field.name] = _text_field(field, value)
            else:
                result[field.name] = _list_field(field, value)
        return result

    def token(self) -> str:
        """The bearer token of the request (not checked yet)."""
        if self._token is None:
            header = self.request.headers.get("authorization", "").strip()
            if not header:
                raise RequestError("authentication_required")
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise LoginError("session_invalid")
            self._token = token
        return self._token

    def account(self) -> Account:
        """The signed-in account. :raises: 401 problems without a valid session."""
        if self._account is None:
            self._account = self.svc.authenticate(self.token())
        return self._account


def _text_field(field: TextField, value: object) -> str | None:
    if value is None:
        if field.required:
            raise _invalid_body(field.name, _REQUIRED)
        return None
    if not isinstance(value, str):
        raise _invalid_body(field.name, _NOT_TEXT)
    if len(value) > field.max_length:
        raise _invalid_body(field.name, _too_long(field.max_length))
    return value


def _list_field(field: ListField, value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _invalid_body(field.name, _NOT_LIST)
    if len(value) > field.max_items:
        raise _invalid_body(
            field.name,
            (
                f"paling banyak {field.max_items} butir",
                f"must have at most {field.max_items} items",
            ),
        )
    for index, item in enumerate(value):
        where = f"{field.name}[{index}]"
        if not isinstance(item, str):
            raise _invalid_body(where, _NOT_TEXT)
        if field.enum is not None and item not in field.enum:
            allowed = ", ".join(field.enum)
            raise _invalid_body(
                where, (f"harus salah satu dari {allowed}", f"must be one of {allowed}")
            )
    return list(value)


# --------------------------------------------------------------------------
# Results as JSON
# --------------------------------------------------------------------------


def _time(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _registration_json(registration: Registration) -> dict[str, Any]:
    """A registration as the API shows it: contacts masked, no secret."""
    otp = registration.otp
    email = registration.email
    return {
        "id": registration.id,
        "status": registration.status.value,
        "full_name": registration.full_name,
        "nik_masked": mask_nik(registration.nik),
        "email_masked": None if email is None else mask_email(email),
        "phone_masked": registration.phone_masked,
        "created_at": _time(registration.created_at),
        "expires_at": _time(registration.expires_at),
        "otp": None
        if otp is None
        else {
            "expires_at": _time(otp.expires_at),
            "attempts_left": otp.attempts_left,
            "resend_available_at": _time(otp.resend_available_at),
            "sends_left_this_hour": otp.sends_left_this_hour,
            "delivered": otp.delivered,
        },
        "sms_failure": registration.sms_failure,
        "account_id": registration.account_id,
    }


def _account_json(account: Account) -> dict[str, Any]:
    """The holder's own account (the NIK masked)."""
    return {
        "id": account.id,
        "full_name": account.full_name,
        "nik_masked": account.nik_masked,
        "email": account.email,
        "phone": account.phone,
        "created_at": _time(account.created_at),
    }


def _signed_in_json(account: Account) -> dict[str, Any]:
    """An account with the session the call opened (its token is the one secret shown)."""
    session = account.session
    if session is None:  # the facade signs in on confirm, login and reset
        raise RuntimeError("the facade returned an account without a session")
    return {
        "account": _account_json(account),
        "session": {
            "token": session.token,
            "token_type": "Bearer",
            "expires_at": _time(session.expires_at),
        },
    }


def _reset_json(request: PasswordResetRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "expires_at": _time(request.expires_at),
        "message_id": request.message_id,
        "message_en": request.message_en,
    }


def _completeness_json(result: Completeness) -> dict[str, Any]:
    return {
        "stakeholder": result.stakeholder.value,
        "percent": result.percent,
        "complete": result.complete,
        "missing": [
            {"key": item.key, "label_id": item.label_id, "label_en": item.label_en}
            for item in result.missing
        ],
    }


def _warning_json(warning: ProfileWarning) -> dict[str, Any]:
    return {
        "code": warning.code,
        "field": warning.field,
        "message_id": warning.message_id,
        "message_en": warning.message_en,
    }


def _card_json(card: Card) -> dict[str, Any]:
    return {
        "siapkerja_id": card.siapkerja_id,
        "holder_name": card.holder_name,
        "title": card.title,
        "issued_at": _time(card.issued_at),
        "qr_url": card.qr_text,
        "qr_version": card.qr_version,
        "photo_type": card.photo_media_type,
    }


def _card_state_json(record: CardRecord) -> dict[str, Any]:
    return {
        "siapkerja_id": record.number,
        "version": record.version,
        "issued_at": _time(record.issued_at),
        "updated_at": _time(record.updated_at),
        "active": record.active,
        "revoked_at": _time(record.revoked_at),
    }


def _qr_json(qr: CardQr) -> dict[str, Any]:
    return {
        "mode": qr.mode,
        "token": qr.token,
        "url": qr.url,
        "purpose": qr.purpose,
        "version": qr.version,
        "expires_at": _time(qr.expires_at),
        "svg": qr.svg(),
    }


def _access_json(record: AccessRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": _time(record.at),
        "audience": str(record.audience),
        "fields": list(record.fields),
        "channel": record.channel,
        "purpose": record.purpose,
        "verifier_id": record.verifier_id,
        "verifier_name": record.verifier_name,
        "viewer_account_id": record.viewer_account_id,
    }


def _consent_json(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "verifier_id": record.verifier_id,
        "purpose": record.purpose,
        "fields": None if record.fields is None else sorted(record.fields),
        "granted_at": _time(record.granted_at),
        "withdrawn_at": _time(record.withdrawn_at),
        "active": record.active,
    }


def _receipt_json(receipt: CheckInReceipt) -> dict[str, Any]:
    check_in = receipt.check_in
    return {
        "check_in": {
            "id": check_in.id,
            "event_id": check_in.event_id,
            "station_id": check_in.station_id,
            "checked_in_at": _time(check_in.checked_in_at),
        },
        "full_name": receipt.full_name,
        "siapkerja_id": receipt.siapkerja_id,
    }


def _json(
    content: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


# --------------------------------------------------------------------------
# The operations
# --------------------------------------------------------------------------


class _Operations:
    """The endpoints' bodies: synchronous, run in a worker thread, one facade call each."""

    def __init__(self, svc: Siapkerja) -> None:
        self.svc = svc
        self._documents: dict[str, dict[str, Any]] = {}

    # --- registration ---

    def register(self, ctx: _Context) -> Response:
        body = ctx.fields("Register")
        registration = self.svc.register(body["nik"], body["full_name"], body["mother_name"])
        location = f"{ctx.root_path}/v1/registrations/{registration.id}"
        return _json(_registration_json(registration), 201, {"Location": location})

    def get_registration(self, ctx: _Context) -> Response:
        return _json(_registration_json(self.svc.registration(ctx.path("registration_id"))))

    def submit_contact(self, ctx: _Context) -> Response:
        body = ctx.fields("SubmitContact")
        registration = self.svc.submit_contact(
            ctx.path("registration_id"),
            email=body["email"],
            phone=body["phone"],
            password=body["password"],
        )
        return _json(_registration_json(registration))

    def resend_otp(self, ctx: _Context) -> Response:
        return _json(_registration_json(self.svc.resend_otp(ctx.path("registration_id"))))

    def change_phone(self, ctx: _Context) -> Response:
        body = ctx.fields("ChangePhone")
        registration = self.svc.change_phone(ctx.path("registration_id"), phone=body["phone"])
        return _json(_registration_json(registration))

    def confirm_otp(self, ctx: _Context) -> Response:
        body = ctx.fields("ConfirmOtp")
        account = self.svc.confirm_otp(ctx.path("registration_id"), body["code"])
        return _json(_signed_in_json(account), 201)

    # --- sessions and recovery ---

    def login(self, ctx: _Context) -> Response:
        body = ctx.fields("Login")
        account = self.svc.login(body["identifier"], body["password"])
        return _json(_signed_in_json(account), 201)

    def logout(self, ctx: _Context) -> Response:
        ctx.account()  # an unknown token is a 401, not a silent success
        self.svc.logout(ctx.token())
        return Response(status_code=204, headers=dict(JSON_HEADERS))

    def request_password_reset(self, ctx: _Context) -> Response:
        body = ctx.fields("PasswordResetRequest")
        return _json(_reset_json(self.svc.request_password_reset(body["identifier"])), 202)

    def reset_password(self, ctx: _Context) -> Response:
        body = ctx.fields("PasswordResetConfirm")
        account = self.svc.reset_password(
            ctx.path("request_id"), body["code"], body["new_password"]
        )
        return _json(_signed_in_json(account))

    # --- the holder ---

    def me(self, ctx: _Context) -> Response:
        return _json(_account_json(ctx.account()))

    def get_profile(self, ctx: _Context) -> Response:
        return _json(unstructure(self.svc.profile(ctx.account().id)))

    def update_profile(self, ctx: _Context) -> Response:
        account = ctx.account()
        sections = ctx.object_body()
        for name in sections:
            if name not in SECTIONS:  # never a keyword of update_profile itself
                raise ProfileError("unknown_section", section=name, known=", ".join(SECTIONS))
        return _json(unstructure(self.svc.update_profile(account.id, **sections)))

    def profile_warnings(self, ctx: _Context) -> Response:
        warnings = self.svc.profile_warnings(ctx.account().id)
        return _json({"items": [_warning_json(w) for w in warnings]})

    def completeness(self, ctx: _Context) -> Response:
        return _json(_completeness_json(self.svc.completeness(ctx.account().id)))

    def issue_card(self, ctx: _Context) -> Response:
        return _json(_card_json(self.svc.issue_card(ctx.account().id)), 201)

    def get_card(self, ctx: _Context) -> Response:
        return _json(_card_json(self.svc.card(ctx.account().id)))

    def revoke_card(self, ctx: _Context) -> Response:
        return _json(_card_state_json(self.svc.revoke_card(ctx.account().id)))

    def rotate_card(self, ctx: _Context) -> Response:
        return _json(_card_state_json(self.svc.rotate_card(ctx.account().id)))

    def card_qr(self, ctx: _Context) -> Response:
        account = ctx.account()
        mode = ctx.query("mode", 16) or "link"
        purpose = ctx.query("purpose")
        return _json(_qr_json(self.svc.card_qr(account.id, mode=mode, purpose=purpose)))

    def access_log(self, ctx: _Context) -> Response:
        records = self.svc.access_log(ctx.account().id)
        return _json({"items": [_access_json(r) for r in records]})

    def consents(self, ctx: _Context) -> Response:
        records = self.svc.consents(ctx.account().id)
        return _json({"items": [_consent_json(r) for r in records]})

    def grant_consent(self, ctx: _Context) -> Response:
        account = ctx.account()
        body = ctx.fields("GrantConsent")
        record = self.svc.grant_consent(
            account.id, body["verifier_id"], body["purpose"], body["fields"]
        )
        return _json(_consent_json(record), 201)

    def withdraw_consent(self, ctx: _Context) -> Response:
        account = ctx.account()
        record = self.svc.withdraw_consent(account.id, ctx.path("consent_id"))
        return _json(_consent_json(record))

    # --- scanning ---

    def resolve(self, ctx: _Context) -> Response:
        token = ctx.path("token", MAX_TOKEN_LENGTH)
        purpose = ctx.query("purpose")
        key = ctx.request.headers.get("x-verifier-key")
        viewer: Account | Verifier | None = None
        if key is not None:
            viewer = self.svc.verifier(key)
        elif "authorization" in ctx.request.headers:
            viewer = ctx.account()
        view = self.svc.resolve(token, viewer, purpose=purpose)
        return _json(self.svc.cards.public_profile_data(view), headers={"Vary": "Authorization"})

    def check_in(self, ctx: _Context) -> Response:
        body = ctx.fields("CheckIn")
        receipt = self.svc.check_in(
            body["token"],
            event_id=body["event_id"],
            station_id=body["station_id"] or _DEFAULT_STATION,
        )
        return _json(_receipt_json(receipt), 201)

    def station_keys(self, _ctx: _Context) -> Response:
        return JSONResponse(
            self.svc.station_keyring().public_jwks(),
            headers=dict(_PUBLIC_HEADERS),
            media_type="application/jwk-set+json",
        )

    def openapi(self, ctx: _Context) -> Response:
        server = ctx.root_path
        document = self._documents.get(server)
        if document is None:
            document = openapi_document(self.svc, server_url=server or None)
            self._documents[server] = document
        return JSONResponse(document, headers=dict(_PUBLIC_HEADERS))


Operation = Callable[[_Context], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def _endpoint(
    svc: Siapkerja, operation: Operation, threads: WorkerThreads, *, reads_body: bool
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        lang = negotiate_language(request.headers.get("accept-language"))
        try:
            body = await _read_json(request) if reads_body else None
            return await threads.run(operation, _Context(svc, request, body))
        except SiapkerjaError as error:
            return problem_response(error, lang, now=svc.now)
        except Exception:  # the unexpected: logged in full, answered without detail
            logger.exception("unexpected error answering %s %s", request.method, request.url.path)
            return internal_problem(lang)

    return endpoint


# (path, method, operation name, reads a body)
_ROUTES: Final[tuple[tuple[str, str, str, bool], ...]] = (
    ("/v1/registrations", "POST", "register", True),
    ("/v1/registrations/{registration_id}", "GET", "get_registration", False),
    ("/v1/registrations/{registration_id}/contact", "POST", "submit_contact", True),
    ("/v1/registrations/{registration_id}/otp/resend", "POST", "resend_otp", False),
    ("/v1/registrations/{registration_id}/phone", "POST", "change_phone", True),
    ("/v1/registrations/{registration_id}/otp/confirm", "POST", "confirm_otp", True),
    ("/v1/sessions", "POST", "login", True),
    ("/v1/sessions/current", "DELETE", "logout", False),
    ("/v1/password-resets", "POST", "request_password_reset", True),
    ("/v1/password-resets/{request_id}/confirm", "POST", "reset_password", True),
    ("/v1/me", "GET", "me", False),
    ("/v1/me/profile", "GET", "get_profile", False),
    ("/v1/me/profile", "PATCH", "update_profile", True),
    ("/v1/me/profile/warnings", "GET", "profile_warnings", False),
    ("/v1/me/completeness", "GET", "completeness", False),
    ("/v1/me/card", "POST", "issue_card", False),
    ("/v1/me/card", "GET", "get_card", False),
    ("/v1/me/card", "DELETE", "revoke_card", False),
    ("/v1/me/card/rotate", "POST", "rotate_card", False),
    ("/v1/me/card/qr", "GET", "card_qr", False),
    ("/v1/me/access-log", "GET", "access_log", False),
    ("/v1/me/consents", "GET", "consents", False),
    ("/v1/me/consents", "POST", "grant_consent", True),
    ("/v1/me/consents/{consent_id}", "DELETE", "withdraw_consent", False),
    ("/v1/scan/{token}", "GET", "resolve", False),
    ("/v1/check-ins", "POST", "check_in", True),
    ("/v1/station-keys", "GET", "station_keys", False),
    ("/v1/openapi.json", "GET", "openapi", False),
)


def _fallback(routes: list[BaseRoute]) -> Endpoint:
    """404 or 405 problems for what no route takes (with ``Allow`` on a 405)."""

    async def endpoint(request: Request) -> Response:
        lang = negotiate_language(request.headers.get("accept-language"))
        allowed: set[str] = set()
        for route in routes:
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL and isinstance(route, Route) and route.methods:
                allowed |= route.methods
        if allowed:
            error = RequestError("method_not_allowed", method=request.method)
            return problem_response(error, lang, headers={"Allow": ", ".join(sorted(allowed))})
        return problem_response(RequestError("not_found"), lang)

    return endpoint


def api_routes(svc: Siapkerja, threads: WorkerThreads | None = None) -> list[BaseRoute]:
    """The API's routes, to mount under a prefix: ``Mount("/api", routes=api_routes(svc))``.

    Facade calls run in ``threads`` (a pool of its own if ``None``).

    The last route answers every other path with a ``request.not_found`` or
    ``request.method_not_allowed`` problem.
    """
    operations = _Operations(svc)
    pool = threads if threads is not None else WorkerThreads()
    routes: list[BaseRoute] = [
        Route(
            path,
            _endpoint(svc, getattr(operations, name), pool, reads_body=reads_body),
            methods=[method],
            name=f"api_{name}",
        )
        for path, method, name, reads_body in _ROUTES
    ]
    fallback = Route(
        "/{path:path}",
        _fallback(list(routes)),
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        name="api_fallback",
    )
    return [*routes, fallback]


def create_api_app(svc: Siapkerja) -> Starlette:
    """A Starlette application serving only the API (at ``/v1/...``)."""

    async def server_error(request: Request, _exc: Exception) -> Response:
        return internal_problem(negotiate_language(request.headers.get("accept-language")))

    return Starlette(routes=api_routes(svc), exception_handlers={500: server_error})
