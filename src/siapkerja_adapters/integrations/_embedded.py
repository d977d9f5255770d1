"""The pages and API built once for a host framework, and the host-side checks they share.

:class:`Embedded` owns the one ASGI application a host mounts, the session
secret that application signs its cookie with (so a host view can read the
cookie back), and the two questions a host view asks: who is the signed-in
holder (:meth:`Embedded.holder`), and is the calling institution's key good
for a scope (:meth:`Embedded.institution`). Both answer exactly as the JSON
API does: the same header parsing (``parse_bearer``, ``parse_verifier_key``),
the same facade calls (``svc.authenticate``, ``svc.verifier``), the same
typed errors, which :func:`problem_parts` renders as the API's problem
documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from siapkerja_adapters.web import _session_secret
from siapkerja_adapters.web.api.common import parse_bearer, parse_verifier_key
from siapkerja_adapters.web.integrations import DEFAULT_PATH, _built, _prefix, _service
from siapkerja_adapters.web.pages.site import AUTH_KEY
from siapkerja_adapters.web.problems import (
    RequestError,
    negotiate_language,
    problem_response,
)
from siapkerja_adapters.web.security import SESSION_COOKIE, SessionReader
from siapkerja_core.disclosure import SCOPES, Verifier
from siapkerja_core.errors import ConfigurationError, SiapkerjaError
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

__all__ = ["DEFAULT_PATH", "Embedded", "check_scope", "problem_parts"]

_INTEGRATION_KEYS: Final = frozenset({"path", "public_url", "dev"})
"""Keys of a host's settings mapping that place the pages; the others go to ``connect()``."""


def check_scope(scope: str) -> str:
    """``scope`` if it is one an institution can hold.

    :raises ConfigurationError: ``config.invalid`` (``scope``) naming the known scopes:
        a typo in ``require_scope("…")`` fails when the route is declared, not per request.
    """
    if scope not in SCOPES:
        raise ConfigurationError(
            "invalid", name="scope", reason=f"one of {', '.join(sorted(SCOPES))}, got {scope!r}"
        )
    return scope


class Embedded:
    """The pages and API over one service, mounted at ``path`` of a host.

    :param svc: the service facade; when ``None``, ``connect(**settings)`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: where the host serves them, e.g. ``"/siapkerja"`` (checked
        against ``card_base_url`` at start-up, as the mount helpers do).
    :param public_url: the host's public address.
    :param dev: development mode (the SMS outbox page, a random session secret).
    :param secret_key: the session cookie's secret (default: the ``secret_key`` setting).
    :param app_options: more of :func:`~siapkerja_adapters.web.create_app`'s keyword
        arguments (``trusted_hosts``, ``templates_dir``, ``static_dir``).
    """

    def __init__(
        self,
        svc: Siapkerja | None = None,
        *,
        path: str = DEFAULT_PATH,
        public_url: str | None = None,
        dev: bool = False,
        secret_key: str | None = None,
        **app_options: Any,
    ) -> None:
        self.path = _prefix(path)
        self.svc = _service(svc, self.path, public_url)
        # The key is settled here, not inside create_app, so host views can read the cookie.
        self.secret_key = _session_secret(self.svc, secret_key, dev)
        self.dev = dev
        options = {**app_options, "dev": dev, "secret_key": self.secret_key}
        self.app = _built(self.svc, self.path, public_url, options)
        self.sessions = SessionReader(
            self.secret_key, max_age=int(self.svc.policy.session_ttl.total_seconds())
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, dev: bool = False) -> Embedded:
        """Built from a host's settings mapping (Django's ``SIAPKERJA``, Flask's config).

        ``path``, ``public_url`` and ``dev`` place the pages; ``profile`` and
        ``config`` are ``connect()``'s; every other key is a setting of
        ``connect()`` (``storage``, ``secret_key``, ``trusted_hosts`` …), so the
        names are the ones of ``SIAPKERJA_*`` in lower case.
        """
        from siapkerja_adapters.connect import connect

        options = {str(key).lower(): value for key, value in settings.items()}
        path = str(options.pop("path", DEFAULT_PATH))
        public_url = options.pop("public_url", None)
        dev = bool(options.pop("dev", dev))
        profile = options.pop("profile", None)
        config = options.pop("config", None)
        kwargs = {key: value for key, value in options.items() if key not in _INTEGRATION_KEYS}
        if public_url is not None and "card_base_url" not in kwargs:
            from siapkerja_adapters.web.integrations import card_base_url_for

            kwargs["card_base_url"] = card_base_url_for(str(public_url), path)
        svc = connect(profile, config=config, **kwargs)
        return cls(svc, path=path, public_url=public_url, dev=dev)

    # --- what a host view asks ----------------------------------------------------------

    def holder_token(self, authorization: str | None, session_cookie: str | None) -> str:
        """The core session token of a request: its bearer token, else the pages' cookie.

        :raises RequestError: ``authentication_required`` when it has neither.
        :raises LoginError: ``session_invalid`` for a malformed ``Authorization``.
        """
        if authorization:
            return parse_bearer(authorization)
        token = self.sessions.load(session_cookie).get(AUTH_KEY)
        if not isinstance(token, str) or not token:
            raise RequestError("authentication_required")
        return token

    def holder(self, authorization: str | None, session_cookie: str | None) -> Account:
        """The signed-in holder, checked by the core as the API checks it (blocking).

        :raises RequestError: ``authentication_required`` (no session at all).
        :raises LoginError: ``session_invalid`` (expired, signed out, unknown).
        """
        return self.svc.authenticate(self.holder_token(authorization, session_cookie))

    def institution(self, verifier_key: str | None, scope: str) -> Verifier:
        """The active institution whose key is ``verifier_key``, holding ``scope`` (blocking).

        :raises RequestError: ``verifier_key_required`` (no key), ``scope_required``
            (a good key without the scope).
        :raises DisclosureError: ``unknown_verifier``, ``verifier_suspended``.
        """
        verifier = self.svc.verifier(parse_verifier_key(verifier_key))
        if scope not in verifier.scopes:
            raise RequestError("scope_required", scope=scope)
        return verifier

    cookie_name: Final = SESSION_COOKIE


def problem_parts(
    error: SiapkerjaError, accept_language: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """``error`` as the API's problem document: (status, headers, body), for any framework."""
    response = problem_response(error, negotiate_language(accept_language))
    headers = [
        (key.decode("latin-1"), value.decode("latin-1")) for key, value in response.raw_headers
    ]
    return response.status_code, headers, bytes(response.body)
