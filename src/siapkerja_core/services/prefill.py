"""Prefill: an institution asks, the holder consents in their own session, the institution
receives the prefill document (``svc.prefill``).

* :meth:`Prefill.request` — the institution that scanned or received a link
  asks for a purpose and fields (within its scope); a pending
  :class:`~siapkerja_core.prefill.ConsentRequest` waits for the holder.
* :meth:`Prefill.pending`, :meth:`Prefill.approve`, :meth:`Prefill.decline` —
  the holder's answers. Approving records an ordinary consent
  (:meth:`~siapkerja_core.services.consent.Consent.record_consent`) in the
  same transaction as the answer, so one approval is one consent.
* :meth:`Prefill.status` — the institution polls its request.
* :meth:`Prefill.document` — with the consent, the document of the fields
  the scope and the consent allow; the release is one entry in the holder's
  ledger, written by the scan itself (:meth:`Scanning.resolve`), naming the
  institution, the purpose and the fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from siapkerja_core.disclosure import DisclosureError, Verifier, normalize_purpose, scope_fields
from siapkerja_core.ports import ScanSubject, Transaction
from siapkerja_core.prefill import (
    MAX_PENDING_REQUESTS,
    REQUEST_TTL,
    ConsentRequest,
    ConsentRequestAnswered,
    ConsentRequested,
    PrefillDocument,
    PrefillError,
    build_document,
)
from siapkerja_core.records import ConsentRecord
from siapkerja_core.services.consent import Consent
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.services.scanning import Scanning
from siapkerja_core.tokens import LinkClaims, TokenError

__all__ = ["Prefill"]


class Prefill:
    """Consent requests and prefill documents (see the module docstring).

    :param ctx: the shared service context.
    :param profiles: finds the active account.
    :param scanning: verifies link tokens and releases the view (with its ledger entry).
    :param consent: records the consent an approval gives.
    """

    def __init__(
        self, ctx: ServiceContext, *, profiles: Profiles, scanning: Scanning, consent: Consent
    ) -> None:
        self.ctx = ctx
        self.profiles = profiles
        self.scanning = scanning
        self.consent = consent

    # --- helpers ---------------------------------------------------------------------

    def _subject(self, token_or_url: str) -> ScanSubject:
        """The card, account and profile behind a genuine, current link token (or its URL)."""
        text = str(token_or_url).strip()
        if text[:2].upper() == "A-":
            raise TokenError("wrong_mode")  # an access code proves presence, it opens nothing
        claims = self.scanning.verify_token(text)
        if not isinstance(claims, LinkClaims):  # pragma: no cover - the prefix decides
            raise TokenError("wrong_mode")
        subject = self.ctx.storage.scan_subject(claims.card_ref)
        if subject is None or not subject.card.active or not subject.account.active:
            raise TokenError("revoked")
        return subject

    @staticmethod
    def _registered(tx: Transaction, verifier: Verifier) -> Verifier:
        registered = tx.verifiers.get(verifier.id)
        if registered is None or not registered.active:
            raise DisclosureError("unknown_verifier")
        return registered

    def _as_of_now(self, request: ConsentRequest) -> ConsentRequest:
        """``request`` with the status it has now (an expired one says so)."""
        status = request.status_at(self.ctx.clock())
        return request if status is request.status else attrs.evolve(request, status=status)

    # --- the institution --------------------------------------------------------------

    def request(
        self,
        token_or_url: str,
        verifier: Verifier,
        purpose: str,
        fields: Iterable[str] | None = None,
        *,
        essential: Iterable[str] = (),
    ) -> ConsentRequest:
        """Ask the holder of a scanned or received link for consent to ``purpose``.

        ``fields`` (default: the verifier's whole scope) must lie within the
        scope; ``essential`` names those the holder cannot drop when approving
        (they are asked for too). Asking again while the same request waits
        returns the waiting one.

        :raises TokenError: the link is malformed, forged, revoked or an access code.
        :raises DisclosureError: ``unknown_verifier``, ``purpose_required``, ``purpose_invalid``.
        :raises PrefillError: ``fields_outside_scope``, ``too_many_pending``.
        """
        purpose = normalize_purpose(purpose)
        essential_fields = frozenset(essential)
        asked = None if fields is None else frozenset(fields) | essential_fields
        subject = self._subject(token_or_url)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            registered = self._registered(tx, verifier)
            scope = scope_fields(registered.scopes)
            outside = sorted(((asked or frozenset()) | essential_fields) - scope)
            if outside:
                raise PrefillError(
                    "fields_outside_scope",
                    fields=", ".join(outside),
                    scope=", ".join(sorted(scope)),
                )
            account = self.profiles.account(tx, subject.account.id)
            waiting = [r for r in tx.consent_requests.pending_for(account.id) if r.open_at(now)]
            for found in waiting:
                if (found.verifier_id, found.purpose, found.fields, found.essential) == (
                    registered.id,
                    purpose,
                    asked,
                    essential_fields,
                ):
                    return found
            if len(waiting) >= MAX_PENDING_REQUESTS:
                raise PrefillError("too_many_pending", limit=MAX_PENDING_REQUESTS)
            record = ConsentRequest(
                id=self.ctx.new_id(),
                account_id=account.id,
                verifier_id=registered.id,
                verifier_name=registered.name,
                purpose=purpose,
                fields=asked,
                essential=essential_fields,
                created_at=now,
                expires_at=now + REQUEST_TTL,
            )
            tx.consent_requests.put(record)
        self.ctx.emit(
            ConsentRequested(
                occurred_at=now,
                account_id=record.account_id,
                request_id=record.id,
                verifier_id=record.verifier_id,
                fields=tuple(sorted(record.fields or ())),
            )
        )
        return record

    def _answered(self, request: ConsentRequest, now: datetime) -> None:
        self.ctx.emit(
            ConsentRequestAnswered(
                occurred_at=now,
                account_id=request.account_id,
                request_id=request.id,
                verifier_id=request.verifier_id,
                status=request.status.value,
            )
        )

    def status(self, request_id: str, verifier: Verifier) -> ConsentRequest:
        """The institution's own request as it stands now (``status`` ``expired`` included).

        :raises PrefillError: ``unknown_request`` — no such request, or another verifier's.
        """
        with self.ctx.storage.transaction() as tx:
            found = tx.consent_requests.get(str(request_id))
        if found is None or found.verifier_id != verifier.id:
            raise PrefillError("unknown_request")
        return self._as_of_now(found)

    def document(self, token_or_url: str, verifier: Verifier, purpose: str) -> PrefillDocument:
        """The prefill document of the link's holder, for a purpose they consented to.

        Only the fields the verifier's scope and the consent allow; the release
        is one entry in the holder's ledger (the institution, the purpose, the fields).

        :raises TokenError: the link is malformed, forged, revoked or an access code.
        :raises DisclosureError: ``unknown_verifier``, ``purpose_required``, ``purpose_invalid``.
        :raises PrefillError: ``consent_required`` — no active consent to this purpose
            (ask with :meth:`request`); nothing is released and nothing logged.
        """
        purpose = normalize_purpose(purpose)
        text = str(token_or_url).strip()
        if text[:2].upper() == "A-":
            raise TokenError("wrong_mode")  # an access code proves presence, it opens nothing
        # One scan: the signature, the holder, the consent and the ledger entry are read
        # and written once; without consent it stops before anything is logged.
        view, profile = self.scanning.resolve_with_profile(
            text,
            verifier,
            purpose,
            refuse_without_consent=PrefillError("consent_required", purpose=purpose),
        )
        # The name as registered now (the view read it), not as the caller held it.
        if view.verifier is not None and view.verifier != verifier.name:
            verifier = attrs.evolve(verifier, name=view.verifier)
        return build_document(
            view,
            verifier=verifier,
            issued_at=self.ctx.clock(),
            headline_occupation=profile.biodata.occupation,
        )

    def json_resume(self, token_or_url: str, verifier: Verifier, purpose: str) -> dict[str, Any]:
        """:meth:`document` as a JSON Resume (one release, one ledger entry)."""
        return self.document(token_or_url, verifier, purpose).to_json_resume()

    # --- the holder -------------------------------------------------------------------

    def pending(self, account_id: str) -> list[ConsentRequest]:
        """The requests waiting for the holder's answer, oldest first (expired ones left out)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:  # reads: no row locks
            account = self.profiles.account(tx, account_id)
            return [r for r in tx.consent_requests.pending_for(account.id) if r.open_at(now)]

    def _own(self, tx: Transaction, account_id: str, request_id: str) -> ConsentRequest:
        account = self.profiles.account(tx, account_id)
        found = tx.consent_requests.get(str(request_id))
        if found is None or found.account_id != account.id:
            raise PrefillError("unknown_request")
        return found

    def approve(
        self, account_id: str, request_id: str, fields: Iterable[str] | None = None
    ) -> ConsentRecord:
        """Consent to the request, to all the fields asked or to ``fields`` among them.

        A field not asked for is ignored; dropping an essential one is refused.
        The consent recorded is an ordinary one: :meth:`Siapkerja.consents`
        lists it and :meth:`Siapkerja.withdraw_consent` ends it.

        :raises PrefillError: ``unknown_request``, ``request_closed``,
            ``request_expired``, ``essential_refused``.
        :raises DisclosureError: ``unknown_verifier`` — the institution was suspended meanwhile.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            request = self._own(tx, account_id, request_id)
            request.check_open(now)
            verifier = tx.verifiers.get(request.verifier_id)
            if verifier is None or not verifier.active:
                raise DisclosureError("unknown_verifier")
            granted = request.narrowed(scope_fields(verifier.scopes), fields)
            whole_scope = request.fields is None and fields is None
            record = self.consent.record_consent(
                tx,
                account_id,
                request.verifier_id,
                request.purpose,
                None if whole_scope else granted,
                now,
            )
            answered = request.approved(now, consent_id=record.id, granted=record.fields)
            tx.consent_requests.put(answered)
        self.consent.consent_granted(record)
        self._answered(answered, now)
        return record

    def decline(self, account_id: str, request_id: str) -> ConsentRequest:
        """Refuse the request; the institution sees ``declined`` and receives nothing.

        :raises PrefillError: ``unknown_request``, ``request_closed``, ``request_expired``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            declined = self._own(tx, account_id, request_id).declined(now)
            tx.consent_requests.put(declined)
        self._answered(declined, now)
        return declined
