"""The web pages' protections: signed session cookie, CSRF, security headers, body limit.

This module owns the plain ASGI middlewares the application factory stacks
around the pages, and the CSRF check every form POST goes through:

* :class:`SessionMiddleware` — the session is a JSON mapping in one cookie,
  signed (not encrypted) with :mod:`itsdangerous` under a salt of its own, so
  it is never the same key as the core's HMAC pepper. The cookie is
  ``HttpOnly``, ``SameSite=Lax``, ``Secure`` whenever the request came over
  https, and expires with the core's session lifetime. It holds only
  references (the core session token, a registration id, the language, the
  CSRF token): the core re-checks the session token on every request, so
  signing out ends it server-side too.
* CSRF — the synchronizer pattern: a random per-session token, a hidden
  ``csrf_token`` field in every form, compared in constant time on every
  POST (:func:`verify_csrf`); a cross-site ``Origin`` or ``Sec-Fetch-Site``
  is refused as well. A cross-site failure is a 403; a stale token (the
  session ended, or the tab is older than the session) is a
  :class:`CsrfError` with ``stale`` set, which the pages answer by keeping
  the typed values and sending the person back (see ``pages/site.py``).
* :class:`FormSealer` — encrypts what a refused form leaves for the next
  page (its values and errors: personal data such as a NIK) with AES-GCM
  under a key derived (HKDF) from the session secret for this purpose
  alone: the session cookie is only signed, so anything kept in it in clear
  could be read by whoever sees the cookie.
* Form parsing (:func:`verify_csrf`) keeps a text field larger than the
  part limit as its first part and names it (:data:`TOO_LONG_SCOPE_KEY`), so
  the page refuses that field, not the whole form.
* :class:`SecurityHeadersMiddleware` — a strict Content-Security-Policy (no
  inline script or style anywhere), ``Referrer-Policy: no-referrer`` (a scan
  URL carries a token), frame denial, ``nosniff``, a ``Permissions-Policy``,
  ``Cache-Control: no-store`` on every dynamic page, HSTS over https; and a
  last-resort 500 page that still carries them.
* :class:`BodyLimitMiddleware` — a request body larger than the limit is a
  413 before it is read into memory or spooled to disk.
* :class:`TrustedHostMiddleware` — a ``Host`` header outside the
  ``trusted_hosts`` setting is a 400 before anything is routed, and
  :class:`RelativeRedirectMiddleware` — a redirect to the request's own host
  says only the path, so a hostile ``Host`` is never reflected in a
  ``Location`` (Starlette's slash redirects and ``url_for`` build absolute
  URLs from it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from itsdangerous.signer import HMACAlgorithm, Signer
from itsdangerous.url_safe import URLSafeSerializerMixin
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import HTTPConnection, Request, cookie_parser
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siapkerja_core.profile import MAX_PHOTO_BYTES

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSRF_FIELD",
    "CSRF_SESSION_KEY",
    "MAX_BODY_BYTES",
    "PERMISSIONS_POLICY",
    "SEALER_SCOPE_KEY",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "TOO_LONG_SCOPE_KEY",
    "BodyLimitMiddleware",
    "CsrfError",
    "FormSealer",
    "FrontMiddleware",
    "RelativeRedirectMiddleware",
    "Sealer",
    "SecurityHeadersMiddleware",
    "SessionMiddleware",
    "SessionReader",
    "TrustedHostMiddleware",
    "content_security_policy",
    "csrf_token",
    "new_session",
    "parse_trusted_hosts",
    "verify_csrf",
    "web_origin",
]

MAX_BODY_BYTES: Final = 2 * MAX_PHOTO_BYTES
"""The largest request body accepted, by a page or the JSON API (413 above): a photo at its
limit and the form around it, or the same photo in base64 (4/3 of it) inside a JSON body."""

logger = logging.getLogger("siapkerja.web")

CSRF_FIELD: Final = "csrf_token"
SESSION_COOKIE: Final = "siapkerja_session"
_CSRF_KEY: Final = "csrf"
CSRF_SESSION_KEY: Final = _CSRF_KEY
"""The session key of the visitor's CSRF token."""
_SALT: Final = "siapkerja.web.session"

_POLICY: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("default-src", ("'self'",)),
    ("img-src", ("'self'", "data:")),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'",)),
    ("frame-ancestors", ("'none'",)),
    ("form-action", ("'self'",)),
    ("base-uri", ("'none'",)),
    ("object-src", ("'none'",)),
)
"""The policy's directives and their sources, before any page widens one."""
_ORIGIN: Final = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _origins(values: Iterable[str]) -> list[str]:
    # Only well-formed origins: a value goes into a header, where a space, ";" or ","
    # would add sources or directives of its own.
    return sorted({value for value in values if _ORIGIN.fullmatch(value)})


def content_security_policy(
    form_targets: Iterable[str] = (),
    *,
    image_origins: Iterable[str] = (),
    wasm: bool = False,
) -> str:
    """The Content-Security-Policy of a page, built from :data:`_POLICY` and what it widens.

    The one place the policy is written: the headers of every response
    (:class:`SecurityHeadersMiddleware`), single sign-on's pages and the gate screen
    all ask here, so a deployment's logo origin reaches each of them.

    :param form_targets: origins added to ``form-action``, for a page whose form may
        end, through redirects, at another site: single sign-on's sign-in, SMS code and
        consent forms answer with a redirect back to the hub, and browsers hold every
        redirect of a form submission to ``form-action``.
    :param image_origins: origins added to ``img-src``: a deployment's logo or favicon
        at an absolute address (``branding.image_origins``).
    :param wasm: ``'wasm-unsafe-eval'`` in ``script-src``, for the gate screen's camera
        scanner, whose fallback decoder is WebAssembly fetched from this site (browsers
        compile it only under that source; it allows no JavaScript ``eval``).

    Each origin is ``scheme://host[:port]`` (``https://hub.example``); anything else is
    left out.
    """
    extra = {
        "img-src": _origins(image_origins),
        "form-action": _origins(form_targets),
        "script-src": ["'wasm-unsafe-eval'"] if wasm else [],
    }
    return "; ".join(" ".join((name, *sources, *extra.get(name, ()))) for name, sources in _POLICY)


def web_origin(address: str) -> str | None:
    """The origin (``scheme://host[:port]``) of an absolute http(s) ``address``, or ``None``.

    ``None`` for a path on this site, another scheme, or a host a policy cannot name.
    """
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:  # an unreadable port or IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    origin = f"{parts.scheme.lower()}://{host}" + ("" if port is None else f":{port}")
    return origin if _ORIGIN.fullmatch(origin) else None


CONTENT_SECURITY_POLICY: Final = content_security_policy()
"""The policy of a page nothing widens: no inline script or style, images from this site."""


PERMISSIONS_POLICY: Final = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""The headers every response carries (HSTS is added over https only)."""
_HSTS: Final = "max-age=31536000"
_RAW_SECURITY_HEADERS: Final = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in SECURITY_HEADERS.items()
)
_SECURITY_HEADER_NAMES: Final = frozenset(name for name, _ in _RAW_SECURITY_HEADERS)
_RAW_HSTS: Final = (b"strict-transport-security", _HSTS.encode("latin-1"))
_RAW_NO_STORE: Final = (b"cache-control", b"no-store")


# --------------------------------------------------------------------------
# The session cookie
# --------------------------------------------------------------------------


class _OneShotSha1(HMACAlgorithm):
    """HMAC-SHA1 (itsdangerous' default) through ``hmac.digest``, OpenSSL's one-shot call.

    The stock algorithm builds an ``hmac.HMAC`` object (two hash objects, Python code)
    per signature and per check; the signatures are the same bytes.
    """

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


class _KeyedSigner(TimestampSigner):
    """itsdangerous' timestamp signer with its derived keys computed once.

    The stock signer derives its HMAC key from the secret again on every
    signature and every check (a hash per request, for a value that never
    changes); the keys and signatures are the same. The default HMAC-SHA1 is
    computed in one call (:class:`_OneShotSha1`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes, bytes] = {}
        self._keyed: Any = None
        self._stamp: tuple[int, bytes] = (-1, b"")
        if self.digest_method is Signer.default_digest_method and "algorithm" not in kwargs:
            self.algorithm = _OneShotSha1(self.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        raw = self.secret_keys[-1] if secret_key is None else _bytes(secret_key)
        derived = self._derived.get(raw)
        if derived is None:
            derived = self._derived[raw] = super().derive_key(raw)
        return derived

    def keyed_mac(self) -> Any:
        """A fresh HMAC-SHA1 under the signing key (a copy of its keyed state: the key's
        pads are hashed once per process, not per signature), or ``None`` when this
        signer does not sign with :class:`_OneShotSha1` (the stock path then)."""
        if not isinstance(self.algorithm, _OneShotSha1):
            return None
        keyed = self._keyed
        if keyed is None:
            keyed = self._keyed = hmac.new(self.derive_key(), digestmod=hashlib.sha1)
        return keyed.copy()

    def encoded_timestamp(self) -> bytes:
        """:meth:`get_timestamp` as :meth:`sign` writes it (base64 of its big-endian
        bytes, leading zeros dropped), made once a second."""
        now = self.get_timestamp()
        held = self._stamp
        if held[0] != now:
            held = self._stamp = (now, base64_encode(int_to_bytes(now)))
        return held[1]


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _b64(data: bytes) -> bytes:
    """itsdangerous' ``base64_encode`` of bytes: URL-safe, without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_COMPACT_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""itsdangerous' compact JSON (``_CompactJSON.dumps``), its encoder made once."""

_COMPRESS_ABOVE: Final = 512
"""Bytes of session JSON above which the cookie's payload is compressed."""


class _SessionSerializer(URLSafeTimedSerializer):
    """The session cookie's serializer: one signer, made once; small payloads not compressed.

    The usual session is a few random tokens, which zlib does not shorten:
    compressing them set up a ``zlib`` stream per signature for nothing. A
    payload over :data:`_COMPRESS_ABOVE` bytes is compressed as before; a
    compressed cookie of an older release still loads (itsdangerous reads both).
    """

    # default_signer: the serializer sets its own ``signer`` from it (a class attribute
    # ``signer`` would be shadowed, and the stock signer used).
    default_signer = _KeyedSigner

    def __init__(self, secret_key: str, salt: str) -> None:
        super().__init__(secret_key, salt=salt)
        self._signer = super().make_signer(self.salt)

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        if salt is None or _bytes(salt) == self.salt:
            return self._signer  # type: ignore[return-value]
        return super().make_signer(salt)  # type: ignore[return-value]

    def dump_payload(self, obj: Any) -> bytes:
        # The plain serializer's JSON; only a large one (flash messages in every language)
        # goes through URLSafeSerializerMixin's zlib attempt, to keep the cookie short.
        plain = super(URLSafeSerializerMixin, self).dump_payload(obj)
        if len(plain) > _COMPRESS_ABOVE:
            return super().dump_payload(obj)
        return base64_encode(plain)

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        """The signed cookie value of ``obj``: the same text itsdangerous' stock
        serializer writes (the same JSON, base64, timestamp and HMAC-SHA1 under the
        same derived key), made in one function for a small payload.

        Every first visit of an anonymous page signs a new session (its CSRF token):
        the stock path — ``dump_payload``, ``make_signer``, ``sign``, ``get_timestamp``,
        ``get_signature``, ``derive_key``, each a Python call, two ``want_bytes`` and an
        HMAC that hashes its key's pads again — was a fifth of the sign-in page's CPU.
        Here the HMAC starts from a copy of the keyed state (:class:`_KeyedSigner`),
        the timestamp's base64 is made once a second. Another salt, another
        algorithm, or a payload to compress: the stock path.
        """
        signer = self._signer
        if (salt is not None and _bytes(salt) != self.salt) or not isinstance(signer, _KeyedSigner):
            return super().dumps(obj, salt)
        mac = signer.keyed_mac()
        if mac is None:
            return super().dumps(obj, salt)
        plain = _COMPACT_JSON(obj).encode("utf-8")
        if len(plain) > _COMPRESS_ABOVE:
            return super().dumps(obj, salt)
        value = b"%s.%s" % (_b64(plain), signer.encoded_timestamp())
        mac.update(value)
        return (value + b"." + _b64(mac.digest())).decode("utf-8")


def _load_session(
    serializer: _SessionSerializer, raw: str | None, max_age: int
) -> tuple[dict[str, Any], float | None]:
    if not raw:
        return {}, None
    try:
        data, signed_at = serializer.loads(raw, max_age=max_age, return_timestamp=True)
    except BadSignature:  # includes SignatureExpired: start afresh
        return {}, None
    if not isinstance(data, dict):
        return {}, None
    return data, signed_at.timestamp()


class SessionReader:
    """Reads the pages' session cookie outside the pages (a host framework's views).

    The same serializer, salt and lifetime as :class:`SessionMiddleware`: a
    cookie the pages signed reads back here, anything else (a forged, expired
    or foreign value) is an empty session. It never writes a cookie.
    """

    def __init__(self, secret_key: str, *, max_age: int) -> None:
        self.serializer = _SessionSerializer(secret_key, _SALT)
        self.max_age = max_age

    def load(self, raw: str | None) -> dict[str, Any]:
        """The session a cookie value holds (``{}`` when it is not the pages' own)."""
        return _load_session(self.serializer, raw, self.max_age)[0]


class SessionMiddleware:
    """A signed-cookie session in ``scope["session"]`` (``request.session`` in Starlette).

    :param secret_key: the signing secret (the salt makes the key specific to sessions).
    :param cookie_name: the cookie's name.
    :param max_age: seconds a cookie stays valid, checked on the signature's timestamp too.
    :param base_path: the application's own prefix; the cookie's path is the mount
        point (``root_path``) followed by it, or ``/``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        cookie_name: str = SESSION_COOKIE,
        max_age: int = 12 * 3600,
        base_path: str = "",
    ) -> None:
        self.app = app
        self.serializer = _SessionSerializer(secret_key, _SALT)
        self.sealer = FormSealer(secret_key)
        self.cookie_name = cookie_name
        self._cookie_key = cookie_name.encode("latin-1")
        self.max_age = max_age
        self.base_path = base_path
        # Cookie values verified before -> (what the session was, signed at).
        self._verified: dict[str, tuple[_Before, float]] = {}

    def _load(self, raw: str | None) -> tuple[dict[str, Any], float | None, _Before | None]:
        """The session in the cookie ``raw``, when it was signed, and what it was
        (:func:`_what_it_was`: to tell at the answer whether the page changed it).

        A cookie value this middleware verified before is read from memory: the same
        bytes, signature included, carry the same session, so only its age is checked
        again (the signature's HMAC, base64 and zlib were about a third of a kept page).
        The page gets a copy of its own. A new session is a new cookie; at most
        :data:`_VERIFIED_KEPT` are kept.
        """
        if raw:
            held = self._verified.get(raw)
            if held is not None:
                before, kept_at = held
                if 0 <= time.time() - kept_at <= self.max_age:
                    data = dict(before) if isinstance(before, dict) else json.loads(before)
                    return data, kept_at, before
        data, signed_at = _load_session(self.serializer, raw, self.max_age)
        if not data:
            return data, signed_at, None
        before = _what_it_was(data)
        if raw and signed_at is not None:
            if len(self._verified) >= _VERIFIED_KEPT:
                self._verified.clear()
            self._verified[raw] = (before, signed_at)
        return data, signed_at, before

    def _cookie(self, scope: Scope, path: str, value: str, max_age: int) -> str:
        parts = [
            f"{self.cookie_name}={value}",
            f"Path={path}",
            f"Max-Age={max_age}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if scope.get("scheme") in ("https", "wss"):
            parts.append("Secure")
        return "; ".join(parts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # An empty session (a first visit) needs no JSON to know it changed.
        data, signed_at, before = self._load(_cookie_of(scope, self._cookie_key))
        scope["session"] = data
        scope[SEALER_SCOPE_KEY] = self.sealer
        # Read now: routing into a Mount rewrites the scope's root_path on the way in.
        path = f"{scope.get('root_path', '')}{self.base_path}" or "/"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                cookie = None
                if session:
                    # Re-signed when changed, and at half its life so an active visitor
                    # stays in.
                    changed = before is None or _changed(session, before)
                    stale = signed_at is not None and time.time() - signed_at > self.max_age / 2
                    if changed or stale:
                        value = self.serializer.dumps(session)
                        cookie = self._cookie(scope, path, value, self.max_age)
                elif signed_at is not None:
                    cookie = self._cookie(scope, path, '""', 0)
                if cookie is not None:  # as MutableHeaders.append, on the raw pairs
                    headers = message.get("headers", ())
                    message["headers"] = [*headers, (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


_Before = dict[str, Any] | str
"""What a session was when loaded: a flat one as a mapping of its own, else its JSON."""
_FLAT: Final = (str, int, bool, type(None))
"""The types of a flat session's values (immutable, and equal only to their own JSON)."""


def _what_it_was(data: dict[str, Any]) -> _Before:
    """A session as loaded, to compare with at the answer (:func:`_changed`).

    The usual session is flat — texts, whole numbers, ``None`` (the CSRF token, the
    language, the sign-in and its time): a copy of it, compared value by value and type
    by type, which is exactly its JSON's equality, without writing the JSON twice per
    request. Anything else (nested values, floats) as its canonical JSON, as before.
    """
    if all(type(value) in _FLAT for value in data.values()):
        return dict(data)
    return json.dumps(data, sort_keys=True)


def _changed(session: dict[str, Any], before: _Before) -> bool:
    """Whether ``session`` is not what it was when loaded (:func:`_what_it_was`)."""
    if isinstance(before, str):
        return json.dumps(session, sort_keys=True) != before
    if session.keys() != before.keys():
        return True
    for key, value in session.items():
        old = before[key]
        # The type too: True == 1, but the cookie would say ``true``, not ``1``.
        if type(value) is not type(old) or value != old:
            return True
    return False


def _cookie_of(scope: Scope, name: bytes) -> str | None:
    """The cookie ``name`` of the request, as ``HTTPConnection(scope).cookies`` reads it
    (every ``Cookie`` header parsed by Starlette's ``cookie_parser``, the last value
    winning), without building the request's headers: a header that does not name it
    is not parsed."""
    found = None
    for key, value in scope["headers"]:
        if key == b"cookie" and name in value:
            parsed = cookie_parser(value.decode("latin-1"))
            found = parsed.get(name.decode("latin-1"), found)
    return found


_VERIFIED_KEPT: Final = 4096
"""Session cookies a process keeps verified (:meth:`SessionMiddleware._load`); past it,
start again. Each is its cookie and its session's JSON: a few hundred bytes."""

SEALER_SCOPE_KEY: Final = "siapkerja.form_sealer"
"""Where :class:`SessionMiddleware` leaves its :class:`FormSealer` in the scope."""
_STASH_INFO: Final = b"siapkerja.web.form-stash.v1"
"""HKDF's ``info``: the derived key serves the form stash and nothing else."""
_NONCE_BYTES: Final = 12


class Sealer:
    """AES-256-GCM under a key derived (HKDF-SHA256) from the session secret for one purpose.

    The session cookie is signed, not encrypted: whatever it carries is readable by
    whoever holds the cookie (a shared device, a proxy's log). What must not be —
    a refused form's NIK, a gate's station key — travels sealed. ``purpose`` is
    HKDF's ``info``, so each use has a key of its own and none is the signing key;
    ``aad`` binds a sealed value to its context (an event), so a value sealed for
    one context does not open in another. A sealed value is URL-safe base64 of
    ``nonce || ciphertext+tag``; anything that does not open (another secret, a
    change, garbage) opens as ``None``.
    """

    def __init__(self, secret_key: str, purpose: bytes) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret_key.encode("utf-8")
        )
        self._aead = AESGCM(self._key)

    def seal(self, plain: bytes, aad: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plain, aad)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def open(self, token: object, aad: bytes, *, max_length: int) -> bytes | None:
        """The sealed bytes, or ``None`` (``token`` longer than ``max_length`` characters
        is not even decoded)."""
        if not isinstance(token, str) or len(token) > max_length:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)
        except (binascii.Error, ValueError, InvalidTag):
            return None

    def tag(self, *parts: str) -> str:
        """A keyed digest of ``parts`` (a counter's key that must not be the address
        itself), under a key derived from this one for that use alone."""
        key = hmac.new(self._key, b"siapkerja.tag", hashlib.sha256).digest()
        message = "\0".join(parts).encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


class FormSealer:
    """Seals a small JSON mapping for the session cookie: compressed, then sealed
    (:class:`Sealer`, purpose :data:`_STASH_INFO`)."""

    def __init__(self, secret_key: str) -> None:
        self._sealer = Sealer(secret_key, _STASH_INFO)

    def seal(self, data: Mapping[str, Any]) -> str:
        plain = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 9)
        return self._sealer.seal(plain, _STASH_INFO)

    def open(self, token: object) -> dict[str, Any] | None:
        plain = self._sealer.open(token, _STASH_INFO, max_length=8192)
        if plain is None:
            return None
        try:
            # Bounded: a sealed value comes only from seal() (the tag proves it).
            data = json.loads(zlib.decompress(plain, bufsize=16384))
        except (ValueError, zlib.error):
            return None
        return data if isinstance(data, dict) else None


def new_session(session: dict[str, Any], *, keep: tuple[str, ...] = ("lang",)) -> None:
    """Empty ``session`` but for ``keep`` (sign-in and sign-out: no fixation, a new CSRF token)."""
    kept = {key: session[key] for key in keep if key in session}
    session.clear()
    session.update(kept)


# --------------------------------------------------------------------------
# CSRF
# --------------------------------------------------------------------------


class CsrfError(HTTPException):
    """A POST without the session's CSRF token, or from another site: 403.

    ``stale`` is true when the form came from this site with a token that is no
    longer the session's (the session ended or was renewed since the page was
    loaded): the person did nothing wrong, and their typed values can be kept.
    A cross-site request, or a form without any token, is never stale.
    """

    def __init__(self, reason: str, *, stale: bool = False) -> None:
        super().__init__(status_code=403, detail=reason)
        self.stale = stale


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


def _cross_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    # Browsers send "null" on their own same-origin form posts under the pages'
    # Referrer-Policy: no-referrer: then Sec-Fetch-Site (above) and the token decide.
    if origin is None or origin == "null":
        return False
    # The host, not the scheme: behind a TLS-terminating proxy the app may see http.
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


TOO_LONG_SCOPE_KEY: Final = "siapkerja.too_long"
"""Where :func:`verify_csrf` leaves the names of the text fields cut at the part limit."""
_MAX_FIELDS: Final = 200


class _KeepingFormParser(FormParser):
    """An urlencoded form whose too-long values are kept cut, not refused.

    Starlette refuses the whole form when one value passes the part limit;
    here the value's first ``max_part_size`` bytes are kept, the rest is read
    and dropped (the body limit bounds it), and its name is noted in ``cut``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut: set[str] = set()
        self._over = False

    def on_field_start(self) -> None:
        super().on_field_start()
        self._over = False

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        room = self.max_part_size - len(self._field_value)
        if end - start > room:
            self._over = True
            end = start + max(0, room)
        self._field_value += data[start:end]

    def on_field_end(self) -> None:
        super().on_field_end()
        if self._over and self._items:
            name, value = self._items[-1]
            self.cut.add(name)
            # A cut %-escape decodes as U+FFFD at the end: drop it.
            self._items[-1] = (name, str(value).rstrip("\ufffd"))


class _KeepingMultiPartParser(MultiPartParser):
    """:class:`_KeepingFormParser` for ``multipart/form-data`` (text parts only:
    an upload's own size is its page's check, under the body limit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut: set[str] = set()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None:
            room = self.max_part_size - len(part.data)
            if end - start > room:
                self.cut.add(part.field_name)
                end = start + max(0, room)
        super().on_part_data(data, start, end)

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None and part.field_name in self.cut:
            # Cut inside a character: drop its first bytes, or the whole value would
            # be decoded as Latin-1 (Starlette's fallback for invalid UTF-8).
            part.data = bytearray(bytes(part.data).decode("utf-8", "ignore").encode("utf-8"))
        super().on_part_end()


async def _read_form(request: Request, *, max_files: int, max_part_size: int) -> FormData:
    """The request's form, kept on the request (``await request.form()`` reads it again).

    A text value larger than ``max_part_size`` bytes of UTF-8 is kept cut to that
    size and its name left in the scope under :data:`TOO_LONG_SCOPE_KEY`.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parser: _KeepingFormParser | _KeepingMultiPartParser
    if content_type == "application/x-www-form-urlencoded":
        # The limit counts the bytes as sent: a %-escaped UTF-8 character takes up
        # to nine of them, so the decoded text is measured again below.
        parser = _KeepingFormParser(
            request.headers,
            request.stream(),
            max_fields=_MAX_FIELDS,
            max_part_size=max_part_size * 3,
        )
    elif content_type == "multipart/form-data":
        parser = _KeepingMultiPartParser(
            request.headers,
            request.stream(),
            max_files=max_files,
            max_fields=_MAX_FIELDS,
            max_part_size=max_part_size,
        )
    else:
        return await request.form(max_files=max_files, max_fields=_MAX_FIELDS)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(status_code=400, detail=exc.message) from None
    cut = set(parser.cut)
    items: list[tuple[str, Any]] = []
    for name, value in form.multi_items():
        if isinstance(value, str) and len(value.encode("utf-8")) > max_part_size:
            cut.add(name)
            value = value.encode("utf-8")[:max_part_size].decode("utf-8", "ignore")
        items.append((name, value))
    form = FormData(items)
    request._form = form  # Starlette's own cache of the parsed form
    if cut:
        request.scope[TOO_LONG_SCOPE_KEY] = frozenset(cut)
    return form


async def verify_csrf(
    request: Request, *, max_files: int = 0, max_part_size: int = 64 * 1024
) -> None:
    """Refuse (403) a POST whose form lacks the session's token or that comes from elsewhere.

    The form is parsed here, with the given limits, and Starlette keeps it on
    the request: the page then reads the same ``await request.form()``. A text
    value over ``max_part_size`` does not refuse the form: it is kept cut and named
    in the scope (:data:`TOO_LONG_SCOPE_KEY`) for the page to refuse at its field.

    :raises CsrfError: a missing or wrong token, or a cross-site request; ``stale``
        when this site's form carries a token the session no longer has.
    """
    if _cross_site(request):
        raise CsrfError("cross-site request")
    form = await _read_form(request, max_files=max_files, max_part_size=max_part_size)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(_CSRF_KEY)
    # Stale only for a form of this very site: a browser says so (Sec-Fetch-Site),
    # and one too old to say is taken at its word only without an Origin elsewhere
    # (checked above). A form with no token at all was never one of ours.
    same_origin = request.headers.get("sec-fetch-site", "same-origin") == "same-origin"
    if not isinstance(sent, str) or not sent:
        raise CsrfError("missing token")
    if not isinstance(expected, str) or not expected:
        raise CsrfError("no session token", stale=same_origin)
    if not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfError("wrong token", stale=same_origin)


# --------------------------------------------------------------------------
# Headers and the last-resort error page
# --------------------------------------------------------------------------

ErrorPage = Callable[[Scope], Awaitable[tuple[int, str]]]
"""Renders the 500 page for a scope: (status, HTML)."""

# The one text of the binding not read from the catalogues, on purpose: it is shown
# only when rendering the real error page failed, and the catalogues (or the
# templates) may be what failed. Both languages, as a log line shows them.
_FALLBACK_500: Final = (
    '<!doctype html><html lang="id"><meta charset="utf-8"><title>500</title>'
    "<h1>Terjadi kesalahan pada server / Something went wrong on the server</h1></html>"
)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` (``policy`` as its CSP) to every response, and
    ``no-store`` to dynamic ones.

    Paths under ``cacheable`` (the static files) keep their own caching. An
    exception escaping the application becomes a 500 page carrying the same
    headers, then propagates to the server (which logs it).

    :param error_page: renders the 500 page; a plain bilingual one if ``None``.
    :param policy: the Content-Security-Policy (:func:`content_security_policy`: a
        deployment's logo origin widens ``img-src``); a page that sets its own keeps it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        cacheable: tuple[str, ...] = (),
        error_page: ErrorPage | None = None,
        policy: str = CONTENT_SECURITY_POLICY,
    ) -> None:
        self.app = app
        self.cacheable = cacheable
        self.error_page = error_page
        self.raw_headers = tuple(
            (name, policy.encode("latin-1") if name == b"content-security-policy" else value)
            for name, value in _RAW_SECURITY_HEADERS
        )

    def _headers(self, scope: Scope, path: str, message: Message) -> None:
        # On the raw (name, value) pairs, names encoded once at import: every
        # response of the application passes here, the busiest (a scan) included.
        headers = list(message.get("headers", ()))
        present = {name.lower() for name, _ in headers}
        if present.isdisjoint(_SECURITY_HEADER_NAMES):  # the usual case: no page sets one
            headers.extend(self.raw_headers)
        else:
            headers.extend(pair for pair in self.raw_headers if pair[0] not in present)
        if scope.get("scheme") == "https" and _RAW_HSTS[0] not in present:
            headers.append(_RAW_HSTS)
        if b"cache-control" not in present and not path.startswith(self.cacheable):
            headers.append(_RAW_NO_STORE)
        message["headers"] = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        # The path below the mount point, read before routing rewrites the scope.
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._headers(scope, path, message)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await _answer_crash(scope, self.error_page, send_with_headers, send)
            raise


async def _answer_crash(
    scope: Scope,
    error_page: Any,
    send_with_headers: Callable[[Message], Awaitable[None]],
    send: Send,
) -> None:
    """Answer an exception raised before the response started: the error page, else a plain 500.

    ``send_with_headers`` stamps the security headers on the start, as on any answer.
    """
    status, body = 500, _FALLBACK_500
    if error_page is not None:
        try:
            status, body = await error_page(scope)
        except Exception:  # the error page itself failed: the plain one
            logger.exception("the error page failed")
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/html; charset=utf-8")],
    }
    await send_with_headers(start)
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


# --------------------------------------------------------------------------
# Body size
# --------------------------------------------------------------------------


class BodyLimitMiddleware:
    """Refuses (HTTP 413) a request body larger than ``max_bytes``.

    A too large ``Content-Length`` is refused at the first read; a chunked
    body as soon as it passes the limit. The refusal is raised as an
    :class:`~starlette.exceptions.HTTPException` from the page's read, so the
    application's error page renders it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None  # the first Content-Length, as Headers.get reads it
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value.decode("latin-1")
                break
        too_large = declared is not None and (
            not declared.isdigit() or int(declared) > self.max_bytes
        )
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_large:
                raise HTTPException(status_code=413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited_receive, send)


# --------------------------------------------------------------------------
# Hosts and redirects
# --------------------------------------------------------------------------


def parse_trusted_hosts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The ``trusted_hosts`` setting as host patterns: ``"a.example, *.b.example"``.

    A pattern is a host name (``siapkerja.kemnaker.go.id``), a subdomain wildcard
    (``*.kemnaker.go.id``, not the bare domain itself) or ``*`` (any host). Ports
    are ignored; names are compared case-insensitively. Empty or unset: ``()``.
    """
    if value is None:
        return ()
    parts = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(part.strip().lower().rstrip(".") for part in parts if part.strip())


def _host_name(host_header: str) -> str:
    """The name of a ``Host`` header, without its port (``[::1]:8000`` is ``[::1]``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".")


def host_is_trusted(host_header: str, patterns: Sequence[str]) -> bool:
    """Whether ``host_header`` matches one of ``patterns`` (:func:`parse_trusted_hosts`)."""
    name = _host_name(host_header)
    if not name:
        return False
    for pattern in patterns:
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


Refusal = Callable[[Scope], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]]
"""Renders the refusal of an untrusted host for a scope: (status, headers, body)."""


class TrustedHostMiddleware:
    """Refuses (HTTP 400) a request whose ``Host`` is not one of ``trusted_hosts``.

    Starlette's own middleware answers in plain text; this one lets the
    application answer in its own way (``refusal``: a problem document under
    ``/api``, a page elsewhere). With no patterns every host passes.
    """

    def __init__(self, app: ASGIApp, *, trusted_hosts: Sequence[str], refusal: Refusal) -> None:
        self.app = app
        self.patterns = tuple(trusted_hosts)
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.patterns:
            await self.app(scope, receive, send)
            return
        host = HTTPConnection(scope).headers.get("host", "")
        if host_is_trusted(host, self.patterns):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        status, headers, body = await self.refusal(scope)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class RelativeRedirectMiddleware:
    """A ``Location`` on the request's own host keeps only its path (and query).

    Starlette builds redirect URLs from the ``Host`` header, so an absolute
    ``Location`` would carry whatever host a client claimed (cache poisoning,
    links in a shared proxy). A relative reference is valid HTTP (RFC 9110
    §10.2.2) and resolves against the URL the browser itself used. A path that
    would read as a network-path reference (``//evil.example``) keeps one slash.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own_host = HTTPConnection(scope).headers.get("host", "").lower()

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (name, _relative(value, own_host) if name.lower() == b"location" else value)
                    for name, value in message.get("headers", ())
                ]
            await send(message)

        await self.app(scope, receive, send_relative)


def _relative(location: bytes, own_host: str) -> bytes:
    try:
        parts = urlsplit(location.decode("latin-1"))
    except ValueError:
        return location
    if not parts.netloc or parts.netloc.lower() != own_host:
        return location
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")


# --------------------------------------------------------------------------
# The layers in front of every request, fused
# --------------------------------------------------------------------------


class FrontMiddleware:
    """:class:`TrustedHostMiddleware`, :class:`RelativeRedirectMiddleware`, the
    application's own URLs and :class:`SecurityHeadersMiddleware` as one layer.

    Every request of the application passes the four of them, in that order;
    as one layer it is one call and one ``send`` wrapper instead of four (each
    an ``await`` and a closure per request, each response message passed
    down four functions). What each does is unchanged: an untrusted ``Host``
    is refused before anything else (its refusal sent as it is); the scope
    below carries this application's router (``url_for`` resolves against
    its own routes, below its mount point) in a copy, so a host's layers keep
    reading their own; every response gets the security headers, and a
    redirect to the request's own host says only the path.

    :param trusted_hosts: host patterns (:func:`parse_trusted_hosts`); none: any host.
    :param refusal: renders an untrusted host's refusal.
    :param cacheable: path prefixes (the static files) that keep their own caching.
    :param error_page: renders the last-resort 500 page; a plain bilingual one if ``None``.
    :param policy: the Content-Security-Policy (:func:`content_security_policy`).
    :param fast_route: a route this layer answers itself when it matches, ahead of the
        application's exception layer and router (the anonymous scan: the busiest
        request, which needs neither); still behind the host check, still stamped with
        the security headers, a crash still answered with the error page.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_hosts: Sequence[str],
        refusal: Refusal,
        cacheable: tuple[str, ...] = (),
        error_page: ErrorPage | None = None,
        policy: str = CONTENT_SECURITY_POLICY,
        fast_route: Route | None = None,
    ) -> None:
        self.app = app
        self.fast_route = fast_route
        self.patterns = tuple(trusted_hosts)
        self.refusal = refusal
        self.headers = SecurityHeadersMiddleware(
            app, cacheable=cacheable, error_page=error_page, policy=policy
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
                break
        if self.patterns and not host_is_trusted(host, self.patterns):
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            code, refusal_headers, refusal = await self.refusal(scope)
            await send({"type": "http.response.start", "status": code, "headers": refusal_headers})
            await send({"type": "http.response.body", "body": refusal})
            return
        # A copy: the host's layers keep reading their own scope afterwards.
        root = scope.get("root_path", "")
        scope = {**scope, "router": scope["app"].router, "app_root_path": root}
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        own_host = host.lower()
        stamp = self.headers
        started = False
        # The path below the mount point, read before routing rewrites the scope.
        path = scope.get("path", "")
        if root and path.startswith(root):
            path = path[len(root) :]

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                stamp._headers(scope, path, message)
                if 300 <= message["status"] < 400:
                    message["headers"] = [
                        (name, _relative(value, own_host) if name.lower() == b"location" else value)
                        for name, value in message["headers"]
                    ]
            await send(message)

        app = self.app
        fast = self.fast_route
        if fast is not None:
            match, child = fast.matches(scope)
            if match is Match.FULL:
                scope.update(child)
                app = fast.app
        try:
            await app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await _answer_crash(scope, stamp.error_page, send_with_headers, send)
            raise
