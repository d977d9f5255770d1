"""The holder's rights (UU 27/2022): requests and receipts, export, correction, erasure,
restriction, withdrawal of consent, objection, and the breach notice.

Every request is recorded with a receipt and a deadline of 3×24 hours
(:class:`~siapkerja_core.rights.RightsRequest`); most complete at once (the
receipt says so), an objection to an automated decision waits for an officer
(:meth:`Rights.open_requests`, the officer's dashboard). What each right does:

* **access and portability** — :meth:`Rights.export`: one JSON document
  (schema ``siapkerja_core/schemas/export-v1.schema.json``) with the account,
  the profile (also as JSON Resume), cards, consents and the record of
  processing (scans, disclosures, check-ins, sign-ins, SSO grants, AK/I,
  administrative actions on the account);
* **correction** of identity data — :meth:`Rights.correct_identity`, through a
  fresh Dukcapil check (same daily cap as registration);
* **erasure** — :meth:`Rights.erase` deletes at once what the retention table
  of ``docs/rights.md`` says, keeps the rest for :data:`ERASURE_HOLD`, and
  :meth:`Rights.purge` (the worker's job) deletes it then;
* **restriction** — :meth:`Rights.restrict`: the card is suspended (scans and
  check-ins refused in the read they already make), SSO releases refused; data kept;
* **withdrawal** — :meth:`Rights.withdraw_all`: every consent, SSO grant and
  pending consent request ended in one transaction;
* **breach notice** (Pasal 46) — :meth:`Rights.breach_notice`.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

import attrs

from siapkerja_core.converter import unstructure
from siapkerja_core.events import ConsentChanged, LoginSucceeded
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.ports import Counters, PopulationRegistry, Transaction
from siapkerja_core.prefill import RequestStatus as ConsentRequestStatus
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccountRecord
from siapkerja_core.rights import (
    ERASURE_HOLD,
    SIGN_IN,
    AccountErased,
    AccountRestricted,
    ConsentWithdrawnAll,
    ProcessingEntry,
    RestrictionLifted,
    RightKind,
    RightsError,
    RightsRequest,
    RightsRequested,
    receipt_number,
)
from siapkerja_core.services.context import HOUR, CardState, ServiceContext, whole_seconds
from siapkerja_core.services.outbox import SmsOutbox

__all__ = ["EXPORT_SCHEMA_ID", "BreachNotice", "Rights", "json_resume"]

EXPORT_SCHEMA_ID: Final = "https://siapkerja.example/schemas/export/v1.json"
"""The ``$id`` of the export's JSON Schema; the web binding serves it at
``/schemas/export/v1.json`` (file ``siapkerja_core/schemas/export-v1.schema.json``)."""
HOLDER: Final = "holder"
"""``handled_by`` of a request the holder's own action completed at once."""
MAX_NOTE: Final = 2000
ERASE_PASSWORD_TRIES: Final = 5
"""Wrong passwords an erasure accepts per account and hour."""


def _plain(value: Any) -> Any:
    """``value`` as JSON values: times in ISO 8601, enums by value, sets sorted."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if attrs.has(type(value)):
        return {
            a.name: _plain(getattr(value, a.name))
            for a in attrs.fields(type(value))
            if a.repr is not False and not a.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def json_resume(profile: Profile) -> dict[str, Any]:
    """The profile as a JSON Resume v1 document (https://jsonresume.org/schema)."""
    data = unstructure(profile)
    basics: dict[str, Any] = {"name": profile.full_name}
    contact = data.get("contact") or {}
    if contact.get("email"):
        basics["email"] = contact["email"]
    if contact.get("phone"):
        basics["phone"] = contact["phone"]
    headline = (data.get("biodata") or {}).get("headline")
    if headline:
        basics["label"] = headline
    work = []
    for entry in profile.work:
        item: dict[str, Any] = {
            "name": entry.company,
            "position": entry.title,
            "startDate": str(entry.start),
        }
        if entry.end is not None:
            item["endDate"] = str(entry.end)
        if entry.description:
            item["summary"] = entry.description
        if entry.location:
            item["location"] = entry.location
        work.append(item)
    education = []
    for school in profile.education:
        item = {
            "institution": school.institution,
            "studyType": _plain(school.level),
            "startDate": str(school.start_year),
        }
        if school.major:
            item["area"] = school.major
        if school.end_year is not None:
            item["endDate"] = str(school.end_year)
        if school.gpa is not None:
            item["score"] = str(school.gpa)
        education.append(item)
    certificates = []
    for cert in profile.certificates:
        item = {"name": cert.name, "issuer": cert.issuer, "date": str(cert.valid_from)}
        certificates.append(item)
    return {
        "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
        "basics": basics,
        "work": work,
        "education": education,
        "skills": [{"name": skill.name} for skill in profile.skills],
        "certificates": certificates,
        "languages": [
            {"language": lang.name, "fluency": _plain(lang.level)} for lang in profile.languages
        ],
    }


@attrs.frozen(kw_only=True)
class BreachNotice:
    """What UU 27/2022 Pasal 46 asks a breach notice to say, assembled from the records.

    :param holders: the account ids whose data was disclosed in the window.
    :param fields: the kinds of data disclosed (profile field names).
    :param text_id: the notice in Indonesian; :param text_en: in English.
    """

    since: datetime
    until: datetime
    description: str
    actions: str
    holders: tuple[str, ...]
    fields: tuple[str, ...]
    disclosures: int
    institutions: tuple[str, ...]
    text_id: str
    text_en: str

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        data["holder_count"] = len(self.holders)
        return data


_NOTICE_ID: Final = (
    "Pemberitahuan kegagalan pelindungan data pribadi (UU 27/2022 Pasal 46).\n"
    "Waktu kejadian: {since} sampai {until} (UTC).\n"
    "Uraian: {description}\n"
    "Data pribadi yang terungkap: {fields}.\n"
    "Jumlah pemilik data terdampak: {count} ({disclosures} pengungkapan, oleh {institutions}).\n"
    "Penanganan dan pemulihan: {actions}\n"
)
_NOTICE_EN: Final = (
    "Notice of a personal data protection failure (UU 27/2022 Article 46).\n"
    "When: {since} to {until} (UTC).\n"
    "What happened: {description}\n"
    "Personal data exposed: {fields}.\n"
    "Data subjects affected: {count} ({disclosures} disclosures, by {institutions}).\n"
    "Handling and recovery: {actions}\n"
)


class Rights:
    """The rights use cases (``svc.rights``); see the module docstring."""

    def __init__(
        self,
        ctx: ServiceContext,
        cards: CardState,
        *,
        registry: Callable[[], PopulationRegistry],
        counters: Callable[[], Counters],
        outbox: Callable[[], SmsOutbox] | None = None,
    ) -> None:
        self.ctx = ctx
        self.cards = cards
        self._registry = registry
        self._counters = counters
        self._outbox = outbox

    # --- requests and receipts ---------------------------------------------------------

    @staticmethod
    def _account(tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(str(account_id))
        if account is None or not account.active:
            raise RightsError("no_account")
        return account

    def _new(self, account_id: str, kind: RightKind, now: datetime) -> RightsRequest:
        return RightsRequest.received(
            id=self.ctx.new_id(),
            receipt=receipt_number(now, self.ctx.entropy.token_bytes(8)),
            account_id=account_id,
            kind=kind,
            at=now,
        )

    def _done(
        self, tx: Transaction, account_id: str, kind: RightKind, now: datetime
    ) -> RightsRequest:
        """Record a request the holder's action completes at once (its receipt says so)."""
        request = self._new(account_id, kind, now).completed(now, HOLDER)
        tx.rights.put(request)
        return request

    def _requested(self, request: RightsRequest) -> None:
        self.ctx.emit(
            RightsRequested(
                occurred_at=request.received_at,
                account_id=request.account_id,
                request_id=request.id,
                kind=request.kind.value,
            )
        )

    def _audit(self, tx: Transaction, account_id: str, action: str, **details: Any) -> AuditRecord:
        return self.ctx.record_admin_action(
            tx,
            actor=f"{HOLDER}:{account_id}",
            action=action,
            target_kind="account",
            target_id=account_id,
            details=details or None,
        )

    def requests(self, account_id: str) -> list[RightsRequest]:
        """The holder's requests and their receipts, oldest first."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            return tx.rights.for_account(str(account_id))

    def open_requests(self, *, overdue_only: bool = False, limit: int = 500) -> list[RightsRequest]:
        """Open requests, the earliest deadline first (the officer's dashboard)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            found = tx.rights.open(limit=limit)
        return [r for r in found if r.overdue(now)] if overdue_only else found

    def object(self, account_id: str, note: str) -> RightsRequest:
        """The holder objects to a decision made by automated processing (Pasal 10): an open
        request for an officer, due in 3×24 hours.

        :raises RightsError: ``no_account``, ``invalid_note`` (empty or too long).
        """
        text = note.strip() if isinstance(note, str) else ""
        if not text or len(text) > MAX_NOTE:
            raise RightsError("invalid_note", limit=MAX_NOTE)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            request = attrs.evolve(self._new(account.id, RightKind.OBJECTION, now), note=text)
            tx.rights.put(request)
        self._requested(request)
        return request

    def complete(self, request_id: str, *, actor: str, reason: str | None = None) -> RightsRequest:
        """An officer completed an open request; audited.

        :raises RightsError: ``unknown_request``, ``not_open``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            request = tx.rights.get(str(request_id))
            if request is None:
                raise RightsError("unknown_request")
            if not request.open:
                raise RightsError("not_open")
            request = request.completed(now, actor)
            tx.rights.put(request)
            self.ctx.record_admin_action(
                tx,
                actor=actor,
                action="rights.complete",
                target_kind="rights_request",
                target_id=request.id,
                reason=reason,
                details={"kind": request.kind.value, "account_id": request.account_id},
            )
        return request

    # --- the record of processing ----------------------------------------------------------

    def record_sign_in(self, event: LoginSucceeded) -> None:
        """A line of the record of processing for the sign-in of ``event``, in a unit of its own.

        The journey's sign-ins write theirs in the unit that opens the session
        (``SignIn``); this is for a ``login.succeeded`` from elsewhere.
        """
        with self.ctx.storage.transaction() as tx:
            tx.rights.log(
                ProcessingEntry(
                    id=self.ctx.new_id(),
                    account_id=event.account_id,
                    at=event.occurred_at,
                    kind=SIGN_IN,
                )
            )

    # --- access and portability ------------------------------------------------------------

    def export(self, account_id: str) -> dict[str, Any]:
        """Everything about the holder as one JSON document (``export-v1.schema.json``).

        Recorded as a completed ``access`` request. No password hash, no secret
        (SSO tokens appear by client, kind and times; the access ledger by
        institution, fields and purpose).

        :raises RightsError: ``no_account``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            request = self._done(tx, account.id, RightKind.ACCESS, now)
            profile = tx.profiles.get(account.id)
            card = tx.cards.get(account.id)
            consents = tx.consents.for_account(account.id)
            ledger = tx.access_log.for_account(account.id)
            check_ins = []
            if card is not None:
                events = {e.purpose for e in ledger if e.audience == "station" and e.purpose}
                for event_id in sorted(events):
                    found = tx.check_ins.get(card.card_ref, event_id)
                    if found is not None:
                        check_ins.append(found)
            pending = tx.consent_requests.pending_for(account.id)
            tokens = tx.sso_tokens.for_account(account.id)
            aki = tx.aki.for_account(account.id)
            audit = tx.audit.list(target=account.id, limit=1000)
            sign_ins = tx.rights.processing_for(account.id)
            requests = tx.rights.for_account(account.id)
            restricted_at = tx.rights.restricted_at(account.id)
            classes = tx.classes.enrolments_of(account.id)
            programmes = tx.programmes.enrolments_of(account.id)
        if profile is None:
            from siapkerja_core.services.profiles import Profiles

            profile = Profiles(self.ctx, self.cards).initial_profile(account)
        self._requested(request)
        return {
            "$schema": EXPORT_SCHEMA_ID,
            "format": "siapkerja-export",
            "version": 1,
            "generated_at": now.isoformat(),
            "receipt": request.receipt,
            "account": {
                "id": account.id,
                "nik": account.nik,
                "full_name": account.full_name,
                "email": account.email,
                "phone": account.phone,
                "created_at": account.created_at.isoformat(),
                "password_changed_at": account.password_changed_at.isoformat(),
                "restricted_at": None if restricted_at is None else restricted_at.isoformat(),
            },
            "profile": _plain(unstructure(profile)),
            "json_resume": json_resume(profile),
            "cards": [] if card is None else [_card(card)],
            "consents": [_plain(c) for c in consents],
            "rights_requests": [_request(r) for r in requests],
            "processing": {
                "access_log": [_plain(e) for e in ledger],
                "check_ins": [
                    {
                        "event_id": c.event_id,
                        "station_id": c.station_id,
                        "checked_in_at": c.checked_in_at.isoformat(),
                    }
                    for c in check_ins
                ],
                "sign_ins": [{"at": e.at.isoformat(), "kind": e.kind} for e in sign_ins],
                "sso": [_sso(t) for t in tokens],
                "consent_requests": [
                    {
                        "id": r.id,
                        "verifier_id": r.verifier_id,
                        "verifier_name": r.verifier_name,
                        "purpose": r.purpose,
                        "created_at": r.created_at.isoformat(),
                        "status": r.status.value,
                    }
                    for r in pending
                ],
                "aki": [_plain(a) for a in aki],
                "enrolments": [_plain(e) for e in (*classes, *programmes)],
                "administrative_actions": [
                    {
                        "at": r.at.isoformat(),
                        "actor": r.actor,
                        "action": r.action,
                        "reason": r.reason,
                    }
                    for r in audit
                ],
            },
        }

    # --- correction -------------------------------------------------------------------

    def correct_identity(
        self, account_id: str, *, full_name: str, mother_name: str
    ) -> RightsRequest:
        """Correct the account's name through a fresh Dukcapil check of NIK, name and
        mother's name (the same daily cap as registration); audited.

        :raises RegistrationError: ``invalid_name``, ``mismatch``, ``nik_not_found``,
            ``nik_inactive``, ``verification_locked`` (as at registration).
        :raises RightsError: ``no_account``.
        """
        from siapkerja_core.services.registration import dukcapil_check, name_refusal

        for value, field in ((full_name, "full_name"), (mother_name, "mother_name")):
            refusal = name_refusal(value, field)
            if refusal is not None:
                raise refusal
        cleaned = " ".join(full_name.split())
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            nik = self._account(tx, account_id).nik
        # As at registration, but a refused correction is not a registration's failure.
        dukcapil_check(
            self.ctx,
            self._counters(),
            self._registry(),
            nik,
            cleaned,
            mother_name,
            announce=False,
        )
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            changed = account.full_name != cleaned
            tx.accounts.put(attrs.evolve(account, full_name=cleaned))
            profile = tx.profiles.get(account.id)
            if profile is not None:
                tx.profiles.put(account.id, attrs.evolve(profile, full_name=cleaned))
            request = self._done(tx, account.id, RightKind.CORRECTION, now)
            self._audit(tx, account.id, "account.identity_corrected", changed=changed)
            card = tx.cards.get(account.id)
        if card is not None:
            self.cards.invalidate(card.card_ref)  # the public view shows the name
        self._requested(request)
        return request

    # --- restriction ------------------------------------------------------------------

    def restrict(self, account_id: str) -> RightsRequest:
        """Restrict processing: the card is suspended (verifiers' scans get
        ``token.suspended``, check-ins ``gate.suspended``), SSO releases are refused
        (``sso.account_restricted``); the data are kept. Audited.

        :raises RightsError: ``no_account``, ``already_restricted``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            if tx.rights.restricted_at(account.id) is not None:
                raise RightsError("already_restricted")
            tx.rights.restrict(account.id, now)
            card = tx.cards.get(account.id)
            if card is not None and card.suspended_at is None:
                # Suspended at exactly the restriction's time: lifting it resumes only
                # a card this restriction suspended, not one an officer suspended.
                tx.cards.put(card.suspended(now))
                tx.status_list.touch()
            request = self._done(tx, account.id, RightKind.RESTRICTION, now)
            self._audit(tx, account.id, "account.restrict")
        if card is not None:
            self.cards.invalidate(card.card_ref)
        self._requested(request)
        self.ctx.emit(AccountRestricted(occurred_at=now, account_id=account.id))
        return request

    def lift_restriction(self, account_id: str) -> RightsRequest:
        """End the restriction: the card, check-ins and SSO work again. Audited.

        :raises RightsError: ``no_account``, ``not_restricted``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            since = tx.rights.restricted_at(account.id)
            if since is None:
                raise RightsError("not_restricted")
            tx.rights.restrict(account.id, None)
            card = tx.cards.get(account.id)
            if card is not None and card.suspended_at == since:
                tx.cards.put(card.resumed(now))
                tx.status_list.touch()
            request = self._done(tx, account.id, RightKind.LIFT_RESTRICTION, now)
            self._audit(tx, account.id, "account.lift_restriction")
        if card is not None:
            self.cards.invalidate(card.card_ref)
        self._requested(request)
        self.ctx.emit(RestrictionLifted(occurred_at=now, account_id=account.id))
        return request

    def restricted(self, account_id: str) -> bool:
        """Whether the holder restricted processing."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            return tx.rights.restricted_at(str(account_id)) is not None

    # --- withdrawal of consent --------------------------------------------------------

    def withdraw_all(self, account_id: str) -> RightsRequest:
        """End every consent, revoke every SSO grant and token, decline every pending
        consent request, in one transaction; honoured on each institution's next call.

        :raises RightsError: ``no_account``.
        """
        now = self.ctx.clock()
        ended = []
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            for consent in tx.consents.for_account(account.id):
                if consent.active:
                    tx.consents.put(consent.withdrawn(now))
                    ended.append(consent)
            tokens = tx.sso_tokens.revoke_for(account.id, now)
            declined = 0
            for pending in tx.consent_requests.pending_for(account.id):
                if pending.status is ConsentRequestStatus.PENDING and now < pending.expires_at:
                    tx.consent_requests.put(pending.declined(now))
                    declined += 1
            request = self._done(tx, account.id, RightKind.WITHDRAWAL, now)
            self._audit(
                tx,
                account.id,
                "consent.withdraw_all",
                consents=len(ended),
                sso_tokens=tokens,
                consent_requests=declined,
            )
        for consent in ended:
            self.ctx.emit(
                ConsentChanged(
                    occurred_at=now,
                    account_id=account.id,
                    consent_id=consent.id,
                    verifier_id=consent.verifier_id,
                    granted=False,
                )
            )
        self._requested(request)
        self.ctx.emit(ConsentWithdrawnAll(occurred_at=now, account_id=account.id, count=len(ended)))
        return request

    # --- erasure ------------------------------------------------------------------------

    def _check_password(self, account_id: str, password: str, now: datetime) -> None:
        """The holder's password again, for an erasure asked with a session only: a stolen
        session must not erase the account. Wrong ones are capped (5 an hour)."""
        counters = self._counters()
        key = self.ctx.counter_key("erase-password", account_id)
        hit = counters.hit(key, limit=ERASE_PASSWORD_TRIES, window=HOUR, now=now)
        if not hit.allowed:
            raise RightsError("throttled", retry_after=whole_seconds(hit.retry_after))
        with self.ctx.storage.transaction(read_only=True) as tx:
            stored = self._account(tx, account_id).password_hash
        if not self.ctx.hasher.verify(stored, password if isinstance(password, str) else ""):
            raise RightsError("wrong_password")
        counters.release(key, window=HOUR, now=now)

    def erase(self, account_id: str, *, password: str | None = None) -> RightsRequest:
        """Erase the account (Pasal 8, 43): deleted at once what the retention table says,
        the card revoked, the rest kept until ``purge_after`` (:data:`ERASURE_HOLD`).

        The account can no longer sign in and its NIK, e-mail and phone are free at
        once. Audited (by account id only). The web binding passes the holder's
        ``password``, checked first (5 wrong ones an hour at most).

        :raises RightsError: ``no_account``, ``wrong_password``, ``throttled``.
        """
        now = self.ctx.clock()
        if password is not None:
            self._check_password(account_id, password, now)
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            card = tx.cards.get(account.id)
            if card is not None and card.revoked_at is None:
                tx.cards.put(card.revoked(now))
                tx.status_list.touch()
            counts = tx.rights.erase(account.id)
            request = attrs.evolve(
                self._new(account.id, RightKind.ERASURE, now).completed(now, HOLDER),
                purge_after=now + ERASURE_HOLD,
            )
            tx.rights.put(request)
            self._audit(tx, account.id, "account.erase", deleted=sum(counts.values()))
        self._scrub()
        if card is not None:
            self.cards.invalidate(card.card_ref)
        self._requested(request)
        self.ctx.emit(AccountErased(occurred_at=now, account_id=account.id))
        return request

    def purge(self, now: datetime | None = None, *, limit: int = 100) -> dict[str, int]:
        """Delete what erasures kept once their hold ended (the worker runs it); rows per
        table, and ``accounts``: how many erasures were purged."""
        moment = now or self.ctx.clock()
        totals: dict[str, int] = {"accounts": 0}
        with self.ctx.storage.transaction() as tx:
            for request in tx.rights.to_purge(moment, limit=limit):
                card = tx.cards.get(request.account_id)
                counts = tx.rights.purge(
                    request.account_id, None if card is None else card.card_ref
                )
                for name, count in counts.items():
                    totals[name] = totals.get(name, 0) + count
                tx.rights.put(attrs.evolve(request, purged_at=moment))
                totals["accounts"] += 1
        if totals["accounts"]:
            self._scrub()
        return totals

    def _scrub(self) -> None:
        scrub = getattr(self.ctx.storage, "scrub", None)
        if callable(scrub):
            scrub()

    # --- breach notice ----------------------------------------------------------------

    def breach_notice(
        self,
        since: datetime,
        until: datetime,
        *,
        description: str,
        actions: str,
        verifier_ids: Iterable[str] | None = None,
    ) -> BreachNotice:
        """The Pasal 46 notice for disclosures between ``since`` and ``until``: which data,
        when, which holders (count and list), what was done; as data and as text (id/en).

        The disclosures are the access ledger's entries of institutions (all, or
        ``verifier_ids``: e.g. the one whose key leaked) in the window.

        :raises RightsError: ``invalid_window`` (``since`` not before ``until``).
        """
        if since >= until:
            raise RightsError("invalid_window")
        holders: set[str] = set()
        fields: set[str] = set()
        names: set[str] = set()
        count = 0
        with self.ctx.storage.transaction(read_only=True) as tx:
            ids = (
                list(verifier_ids)
                if verifier_ids is not None
                else [v.id for v in tx.verifiers.list()]
            )
            for verifier_id in ids:
                for entry in tx.access_log.for_verifier(verifier_id, since=since, limit=1_000_000):
                    if entry.at > until:
                        continue
                    holders.add(entry.account_id)
                    fields.update(entry.fields)
                    names.add(entry.verifier_name or verifier_id)
                    count += 1
        values = {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "description": description.strip(),
            "actions": actions.strip(),
            "fields": ", ".join(sorted(fields)) or "-",
            "count": len(holders),
            "disclosures": count,
            "institutions": ", ".join(sorted(names)) or "-",
        }
        return BreachNotice(
            since=since,
            until=until,
            description=description.strip(),
            actions=actions.strip(),
            holders=tuple(sorted(holders)),
            fields=tuple(sorted(fields)),
            disclosures=count,
            institutions=tuple(sorted(names)),
            text_id=_NOTICE_ID.format(**values),
            text_en=_NOTICE_EN.format(**values),
        )

    def notify_breach(self, notice: BreachNotice, *, actor: str = "library") -> int:
        """Queue an SMS to every holder ``notice`` names (through the outbox, sent after the
        commit); audited as ``breach.notify``. Returns how many were queued (erased holders
        are skipped).

        :raises ConfigurationError: no outbox (a service built without the SMS port).
        """
        if self._outbox is None:
            from siapkerja_core.errors import ConfigurationError

            raise ConfigurationError("invalid", name="sms", reason="breach notices need the outbox")
        outbox = self._outbox()
        now = self.ctx.clock()
        text = _BREACH_SMS.format(
            since=f"{notice.since:%d-%m-%Y %H:%M}", until=f"{notice.until:%d-%m-%Y %H:%M}"
        )
        queued = 0
        with self.ctx.storage.transaction() as tx:
            for account_id in notice.holders:
                account = tx.accounts.get(account_id)
                if account is None or not account.active:
                    continue
                outbox.enqueue(
                    tx,
                    message_id=self.ctx.new_id(),
                    to=account.phone,
                    text=text,
                    now=now,
                    purpose="breach_notice",  # no subject: it carries no code to supersede
                )
                queued += 1
            self.ctx.record_admin_action(
                tx,
                actor=actor,
                action="breach.notify",
                target_kind="breach",
                target_id=f"{notice.since.isoformat()}/{notice.until.isoformat()}",
                details={"holders": queued},
            )
        if queued:
            self.ctx.wake()
        return queued


_BREACH_SMS: Final = (
    "SIAPkerja: data pribadi Anda mungkin terungkap antara {since} dan {until} UTC."
    " Rincian dan penanganannya ada di halaman Privasi akun Anda."
)


def _card(card: Any) -> dict[str, Any]:
    return {
        "number": card.number,
        "version": card.version,
        "issued_at": card.issued_at.isoformat(),
        "updated_at": card.updated_at.isoformat(),
        "revoked_at": None if card.revoked_at is None else card.revoked_at.isoformat(),
        "suspended_at": None if card.suspended_at is None else card.suspended_at.isoformat(),
    }


def _request(request: RightsRequest) -> dict[str, Any]:
    return {
        "receipt": request.receipt,
        "kind": request.kind.value,
        "status": request.status.value,
        "received_at": request.received_at.isoformat(),
        "due_at": request.due_at.isoformat(),
        "completed_at": None if request.completed_at is None else request.completed_at.isoformat(),
    }


def _sso(token: Any) -> dict[str, Any]:
    return {
        "client_id": token.client_id,
        "kind": _plain(token.kind),
        "fields": sorted(token.fields),
        "scope": token.scope,
        "issued_at": token.issued_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": None if token.revoked_at is None else token.revoked_at.isoformat(),
    }
