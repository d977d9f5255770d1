"""Single sign-on use cases: ``svc.sso``, what the OpenID Connect provider asks of the core.

:class:`SingleSignOn` owns the rules of "Masuk dengan SIAPkerja"; the
protocol (parsing requests, PKCE, client assertions, JWTs) is the web
adapter's, on Authlib (:mod:`siapkerja_adapters.web.sso`). Three parts:

* **administration** — register a relying party for a hub (an existing
  verifier, or a new one in the same transaction), list, update, suspend,
  resume, rotate its secret, remove it; each action written to the audit in
  the transaction that makes it;
* **the holder's consent** — :meth:`SingleSignOn.plan` says which fields an
  authorization request asks, which are essential, whether an active consent
  already covers them and whether an SMS code is needed first;
  :meth:`SingleSignOn.approve` records the consent as an ordinary
  :class:`~siapkerja_core.records.ConsentRecord` (the hub, the client's
  purpose, the fields kept), so *Riwayat akses* lists it and
  :meth:`Siapkerja.withdraw_consent` ends it, and every token resting on it
  dies at its next use;
* **tokens** — codes, access and refresh tokens stored only as HMACs, bound
  to the consent; a replayed code or rotated refresh token ends the whole
  grant; the userinfo answer is the prefill document's claims of exactly the
  consented fields, and every release is a line of the holder's ledger
  (``channel="sso"``).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
from attrs import frozen

from siapkerja_core.contact import mask_phone
from siapkerja_core.converter import unstructure
from siapkerja_core.disclosure import Audience, Verifier, build_view, normalize_purpose
from siapkerja_core.errors import OtpError
from siapkerja_core.events import ConsentChanged
from siapkerja_core.institutions import (
    LIBRARY_ACTOR,
    InstitutionError,
    VerifierKind,
    VerifierStatus,
    check_actor,
    check_institution_name,
    check_reason,
)
from siapkerja_core.ports import Counters, Transaction
from siapkerja_core.prefill.document import claims_of
from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
)
from siapkerja_core.services.consent import Consent
from siapkerja_core.services.context import HOUR, ServiceContext, whole_seconds
from siapkerja_core.services.history import signed_in_clients
from siapkerja_core.services.institutions import announce
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.otp import OtpCodes
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.sso import (
    ACCESS_TOKEN_TTL,
    AMR_OTP,
    AUTHORIZATION_CODE_TTL,
    DEFAULT_RATE_LIMIT,
    PAR_TTL,
    REFRESH_TOKEN_TTL,
    SENSITIVE_FIELDS,
    AuthMethod,
    ConsentPlan,
    IdTokenAlg,
    SsoClient,
    SsoClientGranted,
    SsoError,
    SsoReleased,
    SsoSignedIn,
    SsoToken,
    TokenKind,
    allowed_fields_of,
    check_id_token_alg,
    pairwise_subject,
    requested_fields,
    valid_client_id,
)
from siapkerja_core.tokens import es256_key, signing_jwks

__all__ = ["ACR_OTP", "ACR_PASSWORD", "IssuedTokens", "SingleSignOn", "StepUpState"]

ACR_PASSWORD: Final = "urn:siapkerja:acr:password"  # noqa: S105 - an acr value
"""The authentication context of a sign-in with a password."""
ACR_OTP: Final = "urn:siapkerja:acr:password+sms"
"""A password and a fresh SMS code to the account's phone (the step-up)."""
REQUEST_URI_PREFIX: Final = "urn:ietf:params:oauth:request_uri:"
STATE_MEMORY: Final = timedelta(hours=24)
"""How long a client's ``state`` is remembered, to refuse a replayed authorization request."""
_RATE_WINDOW: Final = timedelta(minutes=1)
_STEP_UP_SUBJECT: Final = "sso:"
_MAX_TOKEN: Final = 512
_CHANNEL: Final = "sso"


@frozen(kw_only=True)
class IssuedTokens:
    """What the token endpoint answers with (the tokens themselves, shown once)."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str
    grant: SsoToken


@frozen(kw_only=True)
class StepUpState:
    """Where the holder's SMS code for a step-up stands (for the code page)."""

    masked_phone: str
    expires_at: datetime
    resend_at: datetime


class SingleSignOn:
    """``svc.sso``: relying parties, the holder's consent, and tokens (see the module docstring).

    :param ctx: the shared service context.
    :param profiles: reads accounts and profiles.
    :param consent: records and reads consents.
    :param keys: the keyring whose access key signs ID tokens.
    :param codes: the SMS code machinery (step-up).
    :param counters: the per-client rate limits.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        profiles: Profiles,
        consent: Consent,
        keys: Keys,
        codes: OtpCodes,
        counters: Counters,
    ) -> None:
        self.ctx = ctx
        self.profiles = profiles
        self.consent = consent
        self.keys = keys
        self.codes = codes
        self.counters = counters

    # --- small helpers -------------------------------------------------------------------

    def _token(self) -> str:
        return base64.urlsafe_b64encode(self.ctx.entropy.token_bytes(32)).decode().rstrip("=")

    def _hash(self, kind: TokenKind, token: str) -> str:
        return self.ctx.mac("sso", kind.value, token)

    def _secret_hash(self, client_id: str, secret: str) -> str:
        return self.ctx.mac("sso-client-secret", client_id, secret)

    def _new_secret(self, client: SsoClient) -> tuple[str | None, str | None]:
        if not client.auth_method.uses_secret:
            return None, None
        secret = "sks_" + self.ctx.entropy.token_bytes(32).hex()
        return secret, self._secret_hash(client.id, secret)

    @staticmethod
    def _get_client(tx: Transaction, client_id: str) -> SsoClient:
        if not valid_client_id(client_id):
            raise SsoError("unknown_client")
        found = tx.sso_clients.get(client_id)
        if found is None:
            raise SsoError("unknown_client")
        return found

    # --- administration ------------------------------------------------------------------

    def add_client(
        self,
        *,
        redirect_uris: Iterable[str],
        purpose: str,
        verifier_id: str | None = None,
        name: str | None = None,
        scopes: Iterable[str] | None = None,
        kind: VerifierKind | str = VerifierKind.JOB_PORTAL,
        fields: Iterable[str] | None = None,
        essential: Iterable[str] = (),
        post_logout_redirect_uris: Iterable[str] = (),
        auth_method: AuthMethod | str = AuthMethod.CLIENT_SECRET_BASIC,
        jwks: Mapping[str, Any] | str | None = None,
        id_token_alg: IdTokenAlg | str = IdTokenAlg.EDDSA,
        high_assurance: bool = False,
        step_up: bool = False,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        actor: str = LIBRARY_ACTOR,
    ) -> tuple[SsoClient, str | None]:
        """Register a relying party; returns it and its secret (shown once; ``None`` for
        ``private_key_jwt``).

        The hub is ``verifier_id`` (an active verifier), or a new verifier made
        from ``name``, ``scopes`` and ``kind`` in the same transaction (it gets
        no usable API key: ``svc.verifiers.rotate_key`` gives one). ``fields``
        (default: all the hub's scopes allow) must lie within the hub's scopes.

        :raises SsoError: ``invalid_hub`` (both or neither of ``verifier_id`` and
            ``name``), ``invalid_redirect_uri``, ``invalid_fields``,
            ``invalid_auth_method``, ``invalid_jwks``, ``invalid_id_token_alg``,
            ``invalid_rate_limit``, ``client_suspended`` (the hub is suspended).
        :raises DisclosureError: ``unknown_scope``, ``purpose_invalid``.
        :raises InstitutionError: ``unknown`` (no such hub, or retired), ``invalid_name``,
            ``invalid_kind``, ``invalid_actor``.
        """
        actor = check_actor(actor)
        label = " ".join(str(purpose).split())  # as written, for the holder to read
        purpose = normalize_purpose(purpose)
        now = self.ctx.clock()
        if (verifier_id is None) == (name is None):
            raise SsoError("invalid_hub")  # a hub's id, or a new hub's name: one of them
        new_verifier: Verifier | None = None
        if name is not None:
            new_verifier = Verifier(
                id=self.ctx.new_id(),
                name=check_institution_name(name),
                scopes=frozenset(scopes or ()),
                created_at=now,
                kind=kind,
            )
        client_id = self.ctx.new_id()
        with self.ctx.storage.transaction() as tx:
            if new_verifier is not None:
                tx.verifiers.add(new_verifier, "sso:" + self.ctx.new_id())  # no key hashes to it
                hub = new_verifier
            else:
                hub = self._hub(tx, str(verifier_id))
            allowed = allowed_fields_of(hub.scopes)
            chosen = allowed if fields is None else frozenset(fields)
            if not chosen <= allowed:
                raise SsoError("invalid_fields", fields=", ".join(sorted(chosen - allowed)))
            client = SsoClient(
                id=client_id,
                verifier_id=hub.id,
                name=hub.name,
                purpose=purpose,
                purpose_label=label,
                fields=chosen,
                essential=frozenset(essential),
                redirect_uris=tuple(redirect_uris),
                post_logout_redirect_uris=tuple(post_logout_redirect_uris),
                auth_method=auth_method,
                jwks=jwks,
                id_token_alg=id_token_alg,
                high_assurance=high_assurance,
                step_up=step_up,
                rate_limit=rate_limit,
                created_at=now,
            )
            secret, secret_hash = self._new_secret(client)
            tx.sso_clients.add(client, secret_hash)
            records = []
            if new_verifier is not None:
                records.append(
                    self.ctx.record_admin_action(
                        tx,
                        actor=actor,
                        action="verifier.add",
                        target_kind="verifier",
                        target_id=hub.id,
                        details={"name": hub.name, "kind": hub.kind.value, "scopes": hub.scopes},
                    )
                )
            records.append(
                self.ctx.record_admin_action(
                    tx,
                    actor=actor,
                    action="sso_client.add",
                    target_kind="sso_client",
                    target_id=client.id,
                    details=_details(client),
                )
            )
        for record in records:
            announce(self.ctx, record)
        return client, secret

    def _hub(self, tx: Transaction, verifier_id: str) -> Verifier:
        found = tx.verifiers.get(verifier_id) if 0 < len(verifier_id) <= 200 else None
        if found is None or found.status is VerifierStatus.RETIRED:
            raise InstitutionError("unknown", id=verifier_id[:40])
        if found.status is VerifierStatus.SUSPENDED:
            raise SsoError("client_suspended")
        return found

    def client(self, client_id: str) -> SsoClient:
        """The client with this id, whatever its status. :raises SsoError: ``unknown_client``."""
        with self.ctx.storage.transaction() as tx:
            return self._get_client(tx, client_id)

    def clients(
        self, *, status: VerifierStatus | str | None = None, verifier_id: str | None = None
    ) -> list[SsoClient]:
        """Every client matching the filters, oldest first.

        :raises InstitutionError: ``invalid_status``.
        """
        wanted = None
        if status is not None:
            try:
                wanted = VerifierStatus(status)
            except ValueError:
                raise InstitutionError(
                    "invalid_status", status=str(status)[:40], known=", ".join(VerifierStatus)
                ) from None
        with self.ctx.storage.transaction() as tx:
            found = tx.sso_clients.list()
        return [
            c
            for c in found
            if (wanted is None or c.status is wanted)
            and (verifier_id is None or c.verifier_id == verifier_id)
        ]

    def _change(
        self,
        client_id: str,
        *,
        actor: str,
        action: str,
        allowed_from: frozenset[VerifierStatus],
        reason: str | None,
        status: VerifierStatus | None = None,
        changes: Mapping[str, Any] | None = None,
        new_secret: bool = False,
    ) -> tuple[SsoClient, str | None]:
        actor = check_actor(actor)
        now = self.ctx.clock()
        secret: str | None = None
        with self.ctx.storage.transaction() as tx:
            current = self._get_client(tx, client_id)
            if current.status not in allowed_from or (
                new_secret and not current.auth_method.uses_secret
            ):
                raise SsoError(
                    "wrong_status", id=current.id, status=current.status.value, action=action
                )
            changed = current
            if status is not None:
                changed = attrs.evolve(changed, status=status)
            if changes:
                changed = attrs.evolve(changed, **changes)
            if new_secret:
                secret, secret_hash = self._new_secret(changed)
                changed = attrs.evolve(changed, secret_rotated_at=now)
                tx.sso_clients.set_secret(changed.id, secret_hash)
            elif status is VerifierStatus.RETIRED:
                tx.sso_clients.set_secret(changed.id, None)
            tx.sso_clients.put(changed)
            if status in (VerifierStatus.SUSPENDED, VerifierStatus.RETIRED):
                # Every sign-in of the hub through this client ends now: a suspension
                # is often a leak, and a token must not outlive it (the holders sign
                # in again once the client is resumed).
                tx.sso_tokens.revoke_client(changed.id, now)
            details: dict[str, Any] = {"from": current.status.value, "to": changed.status.value}
            if changes:
                details.update(_details(changed))
            record = self.ctx.record_admin_action(
                tx,
                actor=actor,
                action=action,
                target_kind="sso_client",
                target_id=current.id,
                reason=reason,
                details=details,
            )
        announce(self.ctx, record)
        return changed, secret

    def update_client(
        self,
        client_id: str,
        *,
        redirect_uris: Iterable[str] | None = None,
        post_logout_redirect_uris: Iterable[str] | None = None,
        fields: Iterable[str] | None = None,
        essential: Iterable[str] | None = None,
        rate_limit: int | None = None,
        step_up: bool | None = None,
        jwks: Mapping[str, Any] | str | None = None,
        id_token_alg: IdTokenAlg | str | None = None,
        actor: str = LIBRARY_ACTOR,
        reason: str | None = None,
    ) -> SsoClient:
        """Change what is given (the rest stays); fields must stay within the hub's scopes.

        :raises SsoError: ``unknown_client``, ``wrong_status`` (removed), and the
            value errors of :meth:`add_client`.
        """
        changes: dict[str, Any] = {}
        if redirect_uris is not None:
            changes["redirect_uris"] = tuple(redirect_uris)
        if post_logout_redirect_uris is not None:
            changes["post_logout_redirect_uris"] = tuple(post_logout_redirect_uris)
        if fields is not None:
            changes["fields"] = frozenset(fields)
        if essential is not None:
            changes["essential"] = frozenset(essential)
        if rate_limit is not None:
            changes["rate_limit"] = rate_limit
        if step_up is not None:
            changes["step_up"] = bool(step_up)
        if jwks is not None:
            changes["jwks"] = jwks
        if id_token_alg is not None:
            changes["id_token_alg"] = id_token_alg
        if "fields" in changes:
            with self.ctx.storage.transaction() as tx:
                hub = tx.verifiers.get(self._get_client(tx, client_id).verifier_id)
            allowed = allowed_fields_of(hub.scopes) if hub is not None else frozenset()
            outside = changes["fields"] - allowed
            if outside:
                raise SsoError("invalid_fields", fields=", ".join(sorted(outside)))
        changed, _ = self._change(
            client_id,
            actor=actor,
            action="sso_client.update",
            allowed_from=frozenset({VerifierStatus.ACTIVE, VerifierStatus.SUSPENDED}),
            reason=check_reason(reason, required=False),
            changes=changes,
        )
        return changed

    def suspend_client(
        self, client_id: str, *, reason: str, actor: str = LIBRARY_ACTOR
    ) -> SsoClient:
        """Refuse the client everywhere until resumed; every token it holds is revoked.

        :raises SsoError: ``unknown_client``, ``wrong_status`` (not active).
        :raises InstitutionError: ``invalid_reason``.
        """
        changed, _ = self._change(
            client_id,
            actor=actor,
            action="sso_client.suspend",
            allowed_from=frozenset({VerifierStatus.ACTIVE}),
            reason=check_reason(reason, required=True),
            status=VerifierStatus.SUSPENDED,
        )
        return changed

    def resume_client(
        self, client_id: str, *, actor: str = LIBRARY_ACTOR, reason: str | None = None
    ) -> SsoClient:
        """Accept a suspended client again. :raises SsoError: ``wrong_status`` (not suspended)."""
        changed, _ = self._change(
            client_id,
            actor=actor,
            action="sso_client.resume",
            allowed_from=frozenset({VerifierStatus.SUSPENDED}),
            reason=check_reason(reason, required=False),
            status=VerifierStatus.ACTIVE,
        )
        return changed

    def remove_client(
        self, client_id: str, *, reason: str, actor: str = LIBRARY_ACTOR
    ) -> SsoClient:
        """Remove the client for good: its secret dies, and so does every token it holds
        (each endpoint serves only a usable client); the record stays for the audit.

        :raises SsoError: ``unknown_client``, ``wrong_status`` (already removed).
        """
        changed, _ = self._change(
            client_id,
            actor=actor,
            action="sso_client.remove",
            allowed_from=frozenset({VerifierStatus.ACTIVE, VerifierStatus.SUSPENDED}),
            reason=check_reason(reason, required=True),
            status=VerifierStatus.RETIRED,
        )
        return changed

    def rotate_client_secret(
        self, client_id: str, *, actor: str = LIBRARY_ACTOR, reason: str | None = None
    ) -> str:
        """A new secret (shown once); the old one stops working at once.

        :raises SsoError: ``unknown_client``, ``wrong_status`` (removed, or a
            ``private_key_jwt`` client, which has no secret).
        """
        _, secret = self._change(
            client_id,
            actor=actor,
            action="sso_client.rotate_secret",
            allowed_from=frozenset({VerifierStatus.ACTIVE, VerifierStatus.SUSPENDED}),
            reason=check_reason(reason, required=False),
            new_secret=True,
        )
        assert secret is not None
        return secret

    # --- clients at the endpoints --------------------------------------------------------

    def usable_client(self, client_id: str) -> SsoClient:
        """The client, if it (and its hub) may be served now.

        :raises SsoError: ``unknown_client`` (none, removed, or a malformed id),
            ``client_suspended`` (the client or its hub is suspended).
        """
        with self.ctx.storage.transaction() as tx:
            return self._usable(tx, client_id)

    def _usable(self, tx: Transaction, client_id: str) -> SsoClient:
        client = self._get_client(tx, client_id)
        hub = tx.verifiers.get(client.verifier_id)
        if client.status is VerifierStatus.RETIRED or hub is None:
            raise SsoError("unknown_client")
        if hub.status is VerifierStatus.RETIRED:
            raise SsoError("unknown_client")
        if client.status is VerifierStatus.SUSPENDED or hub.status is VerifierStatus.SUSPENDED:
            raise SsoError("client_suspended")
        return attrs.evolve(client, name=hub.name) if hub.name != client.name else client

    def check_client_secret(self, client: SsoClient, secret: str) -> bool:
        """Whether ``secret`` is the client's current secret (compared in constant time)."""
        if not isinstance(secret, str) or not secret or len(secret) > _MAX_TOKEN:
            return False
        with self.ctx.storage.transaction() as tx:
            stored = tx.sso_clients.secret_hash(client.id)
        if stored is None:
            return False
        return hmac.compare_digest(stored, self._secret_hash(client.id, secret))

    def hit_rate_limit(self, client: SsoClient) -> None:
        """Count one call of ``client`` against its per-minute limit.

        :raises SsoError: ``rate_limited`` (with ``retry_after`` in seconds).
        """
        now = self.ctx.clock()
        key = self.ctx.counter_key("sso-client", client.id)
        hit = self.counters.hit(key, limit=client.rate_limit, window=_RATE_WINDOW, now=now)
        if not hit.allowed:
            raise SsoError("rate_limited", retry_after=max(1, whole_seconds(hit.retry_after)))

    def _remember(self, kind: TokenKind, client: SsoClient, value: str, ttl: timedelta) -> bool:
        now = self.ctx.clock()
        token_hash = self.ctx.mac("sso", kind.value, client.id, value)
        token = SsoToken(
            token_hash=token_hash,
            kind=kind,
            client_id=client.id,
            grant_id=token_hash,  # a grant of its own: nothing revokes it with others
            issued_at=now,
            expires_at=now + ttl,
        )
        with self.ctx.storage.transaction() as tx:
            if tx.sso_tokens.add(token):
                return True
            # Seen before; but one remembered past its time (not purged yet) is free again.
            found = tx.sso_tokens.get(token_hash)
            if found is not None and found.expires_at <= now:
                tx.sso_tokens.put(token)
                return True
            return False

    def state_used(self, client: SsoClient, state: str) -> bool:
        """Whether ``client`` had a code issued for this ``state`` in the last 24 hours.

        A read: an authorization request checks it before anything is stored, and
        :meth:`spend_state` records the state when the code is issued, so a
        stranger's unauthenticated requests store nothing.
        """
        now = self.ctx.clock()
        token_hash = self.ctx.mac("sso", TokenKind.STATE.value, client.id, str(state))
        with self.ctx.storage.transaction() as tx:
            found = tx.sso_tokens.get(token_hash)
        return found is not None and now < found.expires_at

    def spend_state(self, client: SsoClient, state: str) -> bool:
        """``False`` when ``client`` sent this ``state`` within the last 24 hours (a replay)."""
        return self._remember(TokenKind.STATE, client, str(state), STATE_MEMORY)

    def spend_assertion(self, client: SsoClient, jti: str, expires_at: datetime) -> bool:
        """``False`` when a client assertion with this ``jti`` was seen before (a replay)."""
        ttl = max(expires_at - self.ctx.clock(), timedelta(minutes=5))
        return self._remember(TokenKind.ASSERTION, client, str(jti), ttl)

    # --- pushed authorization requests (RFC 9126) ----------------------------------------

    def push_request(self, client: SsoClient, params: Mapping[str, str]) -> tuple[str, int]:
        """Keep an authorization request's parameters; its ``request_uri`` and lifetime (s)."""
        token = self._token()
        now = self.ctx.clock()
        record = SsoToken(
            token_hash=self._hash(TokenKind.PUSHED, token),
            kind=TokenKind.PUSHED,
            client_id=client.id,
            grant_id=self.ctx.new_id(),
            issued_at=now,
            expires_at=now + PAR_TTL,
            params={str(k): str(v) for k, v in params.items()},
        )
        with self.ctx.storage.transaction() as tx:
            tx.sso_tokens.add(record)
        return REQUEST_URI_PREFIX + token, whole_seconds(PAR_TTL)

    def pushed_request(self, client_id: str, request_uri: str) -> dict[str, str]:
        """The parameters pushed under ``request_uri``, once.

        :raises SsoError: ``invalid_grant`` — unknown, used, expired or another client's.
        """
        text = str(request_uri)
        if not text.startswith(REQUEST_URI_PREFIX) or len(text) > _MAX_TOKEN:
            raise SsoError("invalid_grant")
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            found = tx.sso_tokens.get(
                self._hash(TokenKind.PUSHED, text.removeprefix(REQUEST_URI_PREFIX))
            )
            if found is None or found.client_id != client_id or not found.live_at(now):
                raise SsoError("invalid_grant")
            tx.sso_tokens.put(found.spent(now))
        return dict(found.params or {})

    # --- the holder's consent ------------------------------------------------------------

    def _account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(str(account_id))
        if account is None or not account.active:
            raise SsoError("account_closed")
        if tx.rights.restricted_at(account.id) is not None:  # the holder's restriction
            raise SsoError("account_restricted")
        return account

    @staticmethod
    def _covering(tx: Transaction, account_id: str, client: SsoClient) -> ConsentRecord | None:
        for record in tx.consents.for_account(account_id):
            if record.covers(client.verifier_id, client.purpose):
                return record
        return None

    def plan(
        self, client: SsoClient, account_id: str, scope: str | None, *, prompt: str | None = None
    ) -> ConsentPlan:
        """What the consent screen asks for this request (see :class:`ConsentPlan`).

        :raises SsoError: ``invalid_scope``, ``account_closed``.
        """
        fields = requested_fields(scope, client)
        with self.ctx.storage.transaction() as tx:
            self._account(tx, account_id)
            current = self._covering(tx, account_id, client)
        granted = None
        if current is not None:
            granted = frozenset(current.fields) if current.fields is not None else client.fields
        remembered = None
        if (
            current is not None
            and granted is not None
            and fields <= granted
            and prompt != "consent"
        ):
            remembered = current.id
        return ConsentPlan(
            client=client,
            essential=fields & client.essential,
            voluntary=fields - client.essential,
            remembered=remembered,
            previously_granted=granted,
            step_up=client.step_up or bool(fields & SENSITIVE_FIELDS),
        )

    def approve(
        self,
        client: SsoClient,
        account_id: str,
        plan: ConsentPlan,
        chosen: Iterable[str] | None = None,
    ) -> ConsentRecord:
        """Record the holder's consent to ``plan`` with the fields they kept.

        An earlier active consent of the same hub and purpose is withdrawn in the
        same transaction: one consent per hub and purpose, the newest.

        :raises SsoError: ``essential_refused``, ``account_closed``.
        """
        granted = plan.granted(chosen)
        now = self.ctx.clock()
        withdrawn: list[ConsentRecord] = []
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            for earlier in tx.consents.for_account(account.id):
                if earlier.covers(client.verifier_id, client.purpose):
                    tx.consents.put(earlier.withdrawn(now))
                    withdrawn.append(earlier)
            record = self.consent.record_consent(
                tx, account.id, client.verifier_id, client.purpose, granted, now
            )
        if not withdrawn:  # no earlier consent with this hub: a new client (a notice)
            self.ctx.emit(
                SsoClientGranted(
                    occurred_at=now,
                    account_id=record.account_id,
                    client_id=client.id,
                    client_name=client.name,
                    fields=tuple(sorted(record.fields or client.fields)),
                )
            )
        for earlier in withdrawn:  # replaced: plug-ins hear it ended, as on Riwayat akses
            self.ctx.emit(
                ConsentChanged(
                    occurred_at=now,
                    account_id=earlier.account_id,
                    consent_id=earlier.id,
                    verifier_id=earlier.verifier_id,
                    granted=False,
                )
            )
        self.consent.consent_granted(record)
        return record

    def subject(self, client: SsoClient, account_id: str) -> str:
        """The pairwise ``sub`` of ``account_id`` at ``client``'s hub."""
        return pairwise_subject(self.ctx.pepper, client.verifier_id, account_id)

    # --- step-up: a fresh SMS code ---------------------------------------------------------

    def send_step_up_code(self, account_id: str) -> StepUpState:
        """Send a code to the account's phone for a step-up (caps and cooldowns as any code).

        A code sent moments ago that is still live and untried to the end is not
        replaced: its state is returned and the holder types that one.

        :raises OtpError: ``cooldown``, ``send_limit``, ``daily_limit``.
        :raises SsoError: ``account_closed``.
        """
        return self._send_step_up(account_id, resend=False)

    def _send_step_up(self, account_id: str, *, resend: bool) -> StepUpState:
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            waiting = tx.challenges.get(_STEP_UP_SUBJECT + account.id)
        subject = _STEP_UP_SUBJECT + account.id
        policy = self.ctx.policy
        if (
            not resend
            and waiting is not None
            and waiting.is_live(now)
            and not waiting.used
            and waiting.attempts < policy.otp_max_attempts
        ):
            # A code sent moments ago still stands (another tab, a second hub): the
            # holder types that one; asking again only starts the cooldown's wait.
            return StepUpState(
                masked_phone=mask_phone(account.phone),
                expires_at=waiting.expires_at,
                resend_at=waiting.next_send_at(policy.cooldown_after),
            )
        reservation = self.codes.reserve_sends(account.phone, account.nik, now)
        issued = False
        try:
            with self.ctx.storage.transaction() as tx:
                previous = tx.challenges.get(subject)
                recent = self._step_up_caps(previous, now, reservation.refusal)
                challenge = self.codes.send_to_account(
                    tx, subject, OtpPurpose.SSO_STEP_UP, account.phone, previous, recent, now
                )
                issued = True
        finally:
            if not issued:
                self.codes.cancel(reservation)
        self.ctx.wake()
        return StepUpState(
            masked_phone=mask_phone(account.phone),
            expires_at=challenge.expires_at,
            resend_at=challenge.next_send_at(self.ctx.policy.cooldown_after),
        )

    def _step_up_caps(
        self, previous: OtpChallenge | None, now: datetime, daily: OtpError | None
    ) -> tuple[datetime, ...]:
        """The send caps of a step-up code: the cooldown holds only while the last code
        is unused (a code typed in is no reason to wait for the next sign-in's)."""
        if previous is None or not previous.used:
            return self.codes.check_send_caps(previous, now, daily=daily)
        policy = self.ctx.policy
        recent = previous.sends_within(now, HOUR)
        if len(recent) >= policy.max_sends_per_hour:
            raise OtpError("send_limit", retry_after=whole_seconds(recent[0] + HOUR - now))
        if daily is not None:
            raise daily
        return recent

    def resend_step_up_code(self, account_id: str) -> StepUpState:
        """A new code even while the last one is live (the holder's *Kirim ulang*).

        :raises OtpError: ``cooldown``, ``send_limit``, ``daily_limit``.
        :raises SsoError: ``account_closed``.
        """
        return self._send_step_up(account_id, resend=True)

    def check_step_up_code(self, account_id: str, code: str) -> None:
        """Accept the step-up code once (it is spent when right).

        :raises OtpError: ``expired`` (none sent, used or expired), ``invalid``, ``dead``.
        """
        subject = _STEP_UP_SUBJECT + str(account_id)
        with self.ctx.storage.transaction() as tx:
            challenge = tx.challenges.get(subject)
        self.codes.check(challenge, code)
        assert challenge is not None  # check() refuses None
        with self.ctx.storage.transaction() as tx:
            live = tx.challenges.get(subject)
            if live is None or live.used or live.generation != challenge.generation:
                raise OtpError("expired")  # a concurrent check spent it first
            tx.challenges.put(live.spent())

    # --- codes and tokens ------------------------------------------------------------------

    def issue_code(
        self,
        client: SsoClient,
        account_id: str,
        *,
        consent_id: str,
        fields: Iterable[str],
        scope: str,
        redirect_uri: str,
        nonce: str | None,
        code_challenge: str | None,
        code_challenge_method: str | None,
        auth_time: datetime,
        amr: Iterable[str],
    ) -> str:
        """A 60-second authorization code for the consented ``fields``."""
        code = self._token()
        now = self.ctx.clock()
        record = SsoToken(
            token_hash=self._hash(TokenKind.CODE, code),
            kind=TokenKind.CODE,
            client_id=client.id,
            grant_id=self.ctx.new_id(),
            issued_at=now,
            expires_at=now + AUTHORIZATION_CODE_TTL,
            account_id=account_id,
            consent_id=consent_id,
            fields=frozenset(fields),
            scope=scope,
            redirect_uri=redirect_uri,
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            auth_time=auth_time,
            amr=tuple(amr),
        )
        with self.ctx.storage.transaction() as tx:
            tx.sso_tokens.add(record)
        return code

    def _redeem(self, client: SsoClient, kind: TokenKind, token: str) -> SsoToken:
        """Spend a code or refresh token; a spent one presented again ends its grant."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            raise SsoError("invalid_grant")
        now = self.ctx.clock()
        replayed = False
        with self.ctx.storage.transaction() as tx:
            found = tx.sso_tokens.get(self._hash(kind, token))
            if found is None or found.client_id != client.id or found.kind is not kind:
                raise SsoError("invalid_grant")
            if found.used_at is not None and found.revoked_at is None:
                # RFC 6749 §4.1.2 and RFC 9700 §4.14: a replay ends every token of the grant.
                tx.sso_tokens.revoke_grant(found.grant_id, now)
                replayed = True
            elif not found.live_at(now):
                raise SsoError("invalid_grant")
            else:
                tx.sso_tokens.put(found.spent(now))
        if replayed:
            raise SsoError("invalid_grant")
        return found

    def redeem_code(self, client: SsoClient, code: str) -> SsoToken:
        """The grant an authorization code carries, spending the code.

        :raises SsoError: ``invalid_grant`` — unknown, expired, another client's,
            or used before (then every token of that grant is revoked).
        """
        return self._redeem(client, TokenKind.CODE, code)

    def _live_consent(self, tx: Transaction, grant: SsoToken) -> ConsentRecord:
        consent = tx.consents.get(grant.consent_id or "")
        if consent is None or not consent.active:
            raise SsoError("consent_withdrawn")
        return consent

    def _ledger(
        self, tx: Transaction, client: SsoClient, account_id: str, fields: Iterable[str]
    ) -> None:
        tx.access_log.append(
            AccessRecord(
                id=self.ctx.new_id(),
                account_id=account_id,
                at=self.ctx.clock(),
                audience=Audience.VERIFIER.value,
                fields=tuple(sorted(fields)),
                channel=_CHANNEL,
                purpose=client.purpose,
                verifier_id=client.verifier_id,
                verifier_name=client.name,
            )
        )

    def _mint(
        self, tx: Transaction, client: SsoClient, grant: SsoToken, refresh: bool
    ) -> IssuedTokens:
        now = self.ctx.clock()
        access = self._token()
        common = {
            "client_id": client.id,
            "grant_id": grant.grant_id,
            "issued_at": now,
            "account_id": grant.account_id,
            "consent_id": grant.consent_id,
            "fields": grant.fields,
            "scope": grant.scope,
            "auth_time": grant.auth_time,
            "amr": grant.amr,
            "nonce": grant.nonce,
        }
        tx.sso_tokens.add(
            SsoToken(
                token_hash=self._hash(TokenKind.ACCESS, access),
                kind=TokenKind.ACCESS,
                expires_at=now + ACCESS_TOKEN_TTL,
                **common,  # type: ignore[arg-type]
            )
        )
        refresh_token = None
        if refresh:
            refresh_token = self._token()
            tx.sso_tokens.add(
                SsoToken(
                    token_hash=self._hash(TokenKind.REFRESH, refresh_token),
                    kind=TokenKind.REFRESH,
                    expires_at=now + REFRESH_TOKEN_TTL,
                    **common,  # type: ignore[arg-type]
                )
            )
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh_token,
            expires_in=whole_seconds(ACCESS_TOKEN_TTL),
            scope=grant.scope,
            grant=grant,
        )

    def issue_tokens(
        self, client: SsoClient, grant: SsoToken, *, refresh: bool = True
    ) -> IssuedTokens:
        """Access (and refresh) tokens for a redeemed code; the sign-in is a ledger line.

        :raises SsoError: ``consent_withdrawn``, ``account_closed`` (the grant is revoked).
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            try:
                self._account(tx, grant.account_id or "")
                self._live_consent(tx, grant)
            except SsoError:
                failed = True
            else:
                failed = False
                issued = self._mint(tx, client, grant, refresh)
                self._ledger(tx, client, grant.account_id or "", ())
        if failed:
            with self.ctx.storage.transaction() as tx:
                tx.sso_tokens.revoke_grant(grant.grant_id, now)
            raise SsoError("invalid_grant")
        self.ctx.emit(
            SsoSignedIn(
                occurred_at=now,
                account_id=grant.account_id or "",
                client_id=client.id,
                verifier_id=client.verifier_id,
                fields=tuple(sorted(grant.fields)),
            )
        )
        return issued

    def id_token_claims(self, client: SsoClient, grant: SsoToken) -> dict[str, Any]:
        """The ID token's claims about the holder and the sign-in (the adapter adds
        ``iss``, ``aud``, ``iat``, ``exp`` and signs)."""
        account_id = grant.account_id or ""
        with self.ctx.storage.transaction() as tx:
            card = tx.cards.get(account_id)
            account = tx.accounts.get(account_id)
        stepped_up = AMR_OTP in grant.amr
        claims: dict[str, Any] = {
            "sub": self.subject(client, account_id),
            "acr": ACR_OTP if stepped_up else ACR_PASSWORD,
            "amr": list(grant.amr),
        }
        if grant.auth_time is not None:
            claims["auth_time"] = int(grant.auth_time.timestamp())
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if card is not None and card.active:
            claims["siapkerja_id"] = card.number
        if account is not None:  # the Dukcapil-verified name, as on the card
            claims["name"] = account.full_name
        return claims

    def refresh(self, client: SsoClient, refresh_token: str) -> IssuedTokens:
        """New access and refresh tokens; the one presented is spent (rotation).

        :raises SsoError: ``invalid_grant`` — unknown, expired, revoked, another
            client's, spent before (the whole grant is then revoked), or its
            consent withdrawn (likewise).
        """
        grant = self._redeem(client, TokenKind.REFRESH, refresh_token)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            try:
                self._account(tx, grant.account_id or "")
                self._live_consent(tx, grant)
            except SsoError:
                failed = True
            else:
                failed = False
                issued = self._mint(tx, client, grant, True)
        if failed:
            with self.ctx.storage.transaction() as tx:
                tx.sso_tokens.revoke_grant(grant.grant_id, now)
            raise SsoError("invalid_grant")
        return issued

    def _live_token(self, tx: Transaction, kind: TokenKind, token: str) -> SsoToken | None:
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            return None
        found = tx.sso_tokens.get(self._hash(kind, token))
        if found is None or found.kind is not kind or not found.live_at(self.ctx.clock()):
            return None
        return found

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """``sub`` and exactly the consented claims (the prefill schema's names and shapes).

        Each answer is a line of the holder's ledger naming the hub, the purpose
        and the fields.

        :raises SsoError: ``invalid_token`` (unknown, expired, revoked, or the
            client no longer usable), ``consent_withdrawn`` (every token of the
            grant is revoked), ``rate_limited``.
        """
        with self.ctx.storage.transaction() as tx:  # the token and its client: one read
            token = self._live_token(tx, TokenKind.ACCESS, access_token)
            if token is None:
                raise SsoError("invalid_token")
            try:
                client = self._usable(tx, token.client_id)
            except SsoError:
                raise SsoError("invalid_token") from None
        self.hit_rate_limit(client)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            try:
                account = self._account(tx, token.account_id or "")
                consent = self._live_consent(tx, token)
            except SsoError as error:
                withdrawn: SsoError | None = error
            else:
                withdrawn = None
                fields = token.fields
                if consent.fields is not None:
                    fields = fields & consent.fields
                card = tx.cards.get(account.id)
                profile = tx.profiles.get(account.id) or self.profiles.initial_profile(account)
                view = build_view(
                    profile=profile,
                    nik=account.nik,
                    siapkerja_id=card.number if card is not None and card.active else "",
                    card_active=card is not None and card.active,
                    audience=Audience.VERIFIER,
                    allowed=frozenset(fields),
                    purpose=client.purpose,
                    verifier=client.name,
                    profile_data=unstructure(profile),
                )
                claims = claims_of(view)
                if not claims.get("siapkerja_id"):
                    claims.pop("siapkerja_id", None)  # no card yet: the claim is left out
                if "nik" in claims:
                    claims["nik"] = str(claims["nik"])  # always a string, never a number
                self._ledger(tx, client, account.id, view.disclosed)
        if withdrawn is not None:
            with self.ctx.storage.transaction() as tx:
                tx.sso_tokens.revoke_grant(token.grant_id, now)
            raise SsoError(
                "consent_withdrawn" if withdrawn.code == "consent_withdrawn" else "invalid_token"
            )
        if self.ctx.listening():
            self.ctx.emit(
                SsoReleased(
                    occurred_at=now,
                    account_id=account.id,
                    client_id=client.id,
                    verifier_id=client.verifier_id,
                    fields=tuple(view.disclosed),
                )
            )
        return {"sub": self.subject(client, account.id), **claims}

    def revoke(self, client: SsoClient, token: str) -> None:
        """RFC 7009: revoke ``token`` if it is the client's (else nothing, and no error).

        Revoking a refresh token revokes its whole grant (RFC 7009 §2.1).
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            for kind in (TokenKind.REFRESH, TokenKind.ACCESS):
                found = (
                    tx.sso_tokens.get(self._hash(kind, token))
                    if isinstance(token, str) and 0 < len(token) <= _MAX_TOKEN
                    else None
                )
                if found is None or found.client_id != client.id or found.kind is not kind:
                    continue
                if kind is TokenKind.REFRESH:
                    tx.sso_tokens.revoke_grant(found.grant_id, now)
                else:
                    tx.sso_tokens.put(found.revoked(now))
                return

    def introspect(self, client: SsoClient, token: str) -> dict[str, Any]:
        """RFC 7662: ``{"active": False}`` unless ``token`` is the caller's, live, and its
        consent still active; then what it grants."""
        with self.ctx.storage.transaction() as tx:
            found = None
            for kind in (TokenKind.ACCESS, TokenKind.REFRESH):
                found = self._live_token(tx, kind, token)
                if found is not None:
                    break
            if found is None or found.client_id != client.id:
                return {"active": False}
            try:
                self._live_consent(tx, found)
                self._account(tx, found.account_id or "")
            except SsoError:
                return {"active": False}
        return {
            "active": True,
            "scope": found.scope,
            "client_id": found.client_id,
            "sub": self.subject(client, found.account_id or ""),
            "exp": int(found.expires_at.timestamp()),
            "iat": int(found.issued_at.timestamp()),
            "token_type": "Bearer" if found.kind is TokenKind.ACCESS else "refresh_token",
        }

    def sign_out(self, account_id: str, *, client: SsoClient | None = None) -> int:
        """Revoke the holder's live tokens (of one client only, if given); how many."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            return tx.sso_tokens.revoke_for(
                str(account_id), now, client_id=None if client is None else client.id
            )

    def signed_in(self, account_id: str) -> list[SsoClient]:
        """The clients holding live tokens of the holder (for the holder's pages).

        A token whose consent was withdrawn is dead already (refused at its next
        use), so its hub is not listed.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            return signed_in_clients(tx, str(account_id), now)

    def purge(self, *, older_than: timedelta = timedelta(days=1)) -> int:
        """Delete codes, tokens, states and pushed requests expired more than ``older_than``
        ago (none is usable then); how many. Run it daily (``siapkerja clients purge``)."""
        with self.ctx.storage.transaction() as tx:
            return tx.sso_tokens.purge(self.ctx.clock() - older_than)

    # --- keys ------------------------------------------------------------------------------

    def signing_key(self, alg: IdTokenAlg | str = IdTokenAlg.EDDSA) -> tuple[str, bytes]:
        """The kid and the 32-byte private key that sign ID tokens with ``alg``.

        ``EdDSA``: the keyring's signing access key (an Ed25519 seed). ``ES256``:
        the P-256 key derived from that seed (its private scalar, big-endian;
        :func:`~siapkerja_core.tokens.es256_key`), with its own kid. Either way
        ``siapkerja keys rotate`` and ``retire`` apply to ID tokens as to access
        codes and status lists.

        :raises SsoError: ``invalid_id_token_alg``.
        """
        chosen = check_id_token_alg(alg)
        key = self.keys.keyring().signing_access_key
        if key is None or key.private_key is None:  # pragma: no cover - a service keyring has one
            raise SsoError("invalid_token")
        if chosen is IdTokenAlg.ES256:
            derived = es256_key(key)
            return derived.kid, derived.private_value
        return key.kid, key.private_key

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set that verifies ID tokens: for every active access key its
        Ed25519 key (EdDSA) and the P-256 key derived from it (ES256); retired keys
        are left out."""
        return signing_jwks(self.keys.keyring())


def _details(client: SsoClient) -> dict[str, Any]:
    return {
        "verifier_id": client.verifier_id,
        "purpose": client.purpose,
        "fields": sorted(client.fields),
        "essential": sorted(client.essential),
        "redirect_uris": " ".join(client.redirect_uris),
        "auth_method": client.auth_method.value,
        "id_token_alg": client.id_token_alg.value,
        "high_assurance": client.high_assurance,
        "step_up": client.step_up,
        "rate_limit": client.rate_limit,
    }
