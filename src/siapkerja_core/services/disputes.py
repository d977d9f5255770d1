"""Disputes over a NIK and identity re-proofing (``svc.disputes``; ``docs/disputes.md``).

Security decisions, each with its reason:

* Both flows start with a fresh Dukcapil match of NIK, name and mother's name,
  counted against the same daily cap per NIK as registration
  (``max_verifications_per_nik_per_day``): a claim cannot be used to guess a
  mother's name that registration would refuse to test. Only someone who
  passes it learns that the NIK has an account — nothing else about it: the
  claimant never sees the holder's contacts, answer or activity.
* The mother's maiden name is a match input, never a recovery secret, and it
  is not stored (research/hubs-and-rights.md: knowledge answers are public).
* A decision for a claimant needs *strong* evidence of the claimant's
  identity (a passed face match or an officer's in-person check), not only
  the Dukcapil match, which the stale holder may pass as well.
* Every step writes its audit record (``target_kind`` ``dispute``) and its
  SMS (outbox) in the transaction of the step; events go after the commit.
* The NIK moves in one transaction: the old account is frozen
  (``active=False``, which sign-in already refuses), its card revoked and the
  status list touched, its sessions deleted, its SSO tokens revoked, and the
  claimant's account added — the unique index over active NIKs allows it
  only because the old one is no longer active.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

import attrs

from siapkerja_core import translations
from siapkerja_core.contact import normalize_email, normalize_phone
from siapkerja_core.disputes import (
    DECIDABLE,
    DEFAULT_DECISION_WINDOW,
    DEFAULT_EVIDENCE_WINDOW,
    DEFAULT_HOLDER_WINDOW,
    MAX_NOTE_LENGTH,
    AccountFrozen,
    AccountRecovered,
    CaseKind,
    CaseRecord,
    CaseStatus,
    CaseView,
    DisputeAnswered,
    DisputeDecided,
    DisputeError,
    DisputeOpened,
    Evidence,
    EvidenceKind,
    HolderAnswer,
    Party,
)
from siapkerja_core.errors import OtpError, RegistrationError
from siapkerja_core.events import DomainEvent
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import (
    AccountConflict,
    Counters,
    FaceMatcher,
    PopulationRegistry,
    Transaction,
)
from siapkerja_core.records import AccountRecord, OtpPurpose
from siapkerja_core.services.context import DAY, ServiceContext, whole_seconds
from siapkerja_core.services.otp import SMS_LANGUAGE, OtpCodes
from siapkerja_core.services.registration import dukcapil_check, name_refusal

__all__ = ["CLAIMANT_ACTOR", "MAX_FACE_ATTEMPTS", "Disputes"]

CLAIMANT_ACTOR: Final = "claimant"
"""The audit's actor for a claimant's (or re-proofing holder's) own steps: they have no
account yet (or cannot sign in to it)."""
MAX_FACE_ATTEMPTS: Final = 3
"""Face matches per case: each costs the deployer a paid Dukcapil check (PP 10/2023)."""


class Disputes:
    """Disputes over a NIK and identity re-proofing.

    :param ctx: the shared service context.
    :param codes: sends the new phone's one-time code.
    :param counters: the daily cap of Dukcapil checks per NIK (shared with registration).
    :param registry: Dukcapil; its face matching is used when it implements
        :class:`~siapkerja_core.ports.FaceMatcher`.
    :param card_changed: told the reference of a card revoked here (the card caches).
    :param holder_window: how long a holder has to answer a dispute.
    :param decision_window: how long an officer has to decide once decidable.
    :param evidence_window: how long a re-proofing waits for its strong evidence.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        codes: OtpCodes,
        counters: Counters,
        registry: PopulationRegistry,
        card_changed: Callable[[int], None] | None = None,
        holder_window: timedelta = DEFAULT_HOLDER_WINDOW,
        decision_window: timedelta = DEFAULT_DECISION_WINDOW,
        evidence_window: timedelta = DEFAULT_EVIDENCE_WINDOW,
    ) -> None:
        self.ctx = ctx
        self.codes = codes
        self.counters = counters
        self.registry = registry
        self.card_changed = card_changed
        self.holder_window = holder_window
        self.decision_window = decision_window
        self.evidence_window = evidence_window

    # --- the evidence machinery ----------------------------------------------------------

    def dukcapil_match(self, nik: str, full_name: str, mother_name: str) -> int | None:
        """A fresh Dukcapil match of NIK, name and mother's name, under the NIK's daily cap.

        Returns the lower of the two name scores (``None`` when Dukcapil gives none).

        :raises RegistrationError: ``verification_locked``, ``nik_not_found``,
            ``nik_inactive``, ``mismatch`` (the codes registration gives).
        :raises RegistryUnavailable: Dukcapil did not answer (no slot kept).
        """
        result = dukcapil_check(self.ctx, self.counters, self.registry, nik, full_name, mother_name)
        scores = [m.score for m in (result.full_name, result.mother_name) if m.score is not None]
        return min(scores) if scores else None

    @property
    def face_matching(self) -> bool:
        """Whether the registry can match faces (a partner's Dukcapil face recognition)."""
        return isinstance(self.registry, FaceMatcher)

    # --- secrets of a case -----------------------------------------------------------------

    def secret(self, case_id: str) -> str:
        """The case's secret (an HMAC of its id): shown once to whoever opened it."""
        return self.ctx.mac("dispute-secret", case_id)

    def check_secret(self, case_id: str, secret: object) -> None:
        """:raises DisputeError: ``secret_required`` unless ``secret`` is the case's."""
        expected = self.secret(str(case_id)).encode("ascii")
        given = secret.encode("utf-8", "replace") if isinstance(secret, str) else b""
        if not hmac.compare_digest(given, expected):
            raise DisputeError("secret_required")

    # --- opening a case ---------------------------------------------------------------------

    def open_claim(
        self,
        nik: str,
        full_name: str,
        mother_name: str,
        *,
        email: str,
        phone: str,
        password: str,
    ) -> CaseView:
        """Claim a NIK another account holds, for a new account with these contacts.

        The claimant's phone gets a code (:meth:`confirm`); only then is the
        current holder told. The view carries the case's ``secret``.

        :raises DisputeError: ``no_account`` (register instead), ``already_open``,
            ``email_taken``.
        :raises RegistrationError: the Dukcapil refusals; ``invalid_name``.
        """
        return self._open(
            CaseKind.DISPUTE,
            nik,
            full_name,
            mother_name,
            email=email,
            phone=phone,
            password=password,
        )

    def start_reproofing(
        self,
        nik: str,
        full_name: str,
        mother_name: str,
        *,
        phone: str,
        email: str | None = None,
        password: str | None = None,
    ) -> CaseView:
        """Begin re-proofing: a holder without phone and e-mail asks for new contacts.

        The new phone gets a code (:meth:`confirm`); then a face match
        (:meth:`match_face`) or an officer's check (:meth:`record_check`)
        completes it. ``email`` and ``password``, when given, replace the old.

        :raises DisputeError: ``no_account``, ``already_open``, ``email_taken``.
        :raises RegistrationError: the Dukcapil refusals; ``invalid_name``.
        """
        return self._open(
            CaseKind.REPROOFING,
            nik,
            full_name,
            mother_name,
            email=email,
            phone=phone,
            password=password,
        )

    def _open(
        self,
        kind: CaseKind,
        nik: str,
        full_name: str,
        mother_name: str,
        *,
        email: str | None,
        phone: str,
        password: str | None,
    ) -> CaseView:
        parsed = parse_nik(nik).value
        for value, name in ((full_name, "full_name"), (mother_name, "mother_name")):
            refusal = name_refusal(value, name)
            if refusal is not None:
                raise refusal
        full_name = " ".join(unicodedata.normalize("NFKC", full_name).split())
        phone = normalize_phone(phone)
        email = None if email is None else normalize_email(email)
        if kind is CaseKind.DISPUTE and (email is None or password is None):
            raise DisputeError("wrong_step", status="contacts_required")
        score = self.dukcapil_match(parsed, full_name, mother_name)
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self._holder_of(tx, parsed, kind)
            owner = None if email is None else tx.accounts.find(email=email)
            email_taken = owner is not None and owner.id != account.id
        if email is not None:
            self._refuse_taken_email(parsed, email_taken)
        password_hash = None
        if password is not None:
            self.ctx.policy.password.check(
                password, context=(parsed, full_name, email or "", phone)
            )
            password_hash = self.ctx.hasher.hash(password)  # slow: outside any transaction
        now = self.ctx.clock()
        case = CaseRecord(
            id=self.ctx.new_id(),
            kind=kind,
            status=CaseStatus.PENDING_OTP,
            nik=parsed,
            account_id=account.id,
            created_at=now,
            updated_at=now,
            due_at=now + self.ctx.policy.registration_ttl,
            full_name=full_name,
            phone=phone,
            email=email,
            password_hash=password_hash,
            evidence=(
                Evidence(
                    kind=EvidenceKind.DUKCAPIL,
                    party=Party.CLAIMANT,
                    at=now,
                    passed=True,
                    score=score,
                ),
            ),
        )
        self._send_code(case, first=True)
        return attrs.evolve(self._view(case, Party.CLAIMANT), secret=self.secret(case.id))

    def _refuse_taken_email(self, nik: str, taken: bool) -> None:
        """``dispute.email_taken`` for an e-mail another account uses, under the cap
        registration keeps (``max_email_conflicts_per_nik_per_day``, shared with it): every
        check takes a slot before its answer, a free e-mail gives it back, so the step is no
        oracle of which addresses have accounts.

        :raises RegistrationError: ``email_checks_locked`` past the cap.
        """
        now = self.ctx.clock()
        key = self.ctx.counter_key("email-taken", nik)
        cap = self.ctx.policy.max_email_conflicts_per_nik_per_day
        hit = self.counters.hit(key, limit=cap, window=DAY, now=now)
        if not hit.allowed:
            raise RegistrationError(
                "email_checks_locked", retry_after=whole_seconds(hit.retry_after)
            )
        if not taken:
            self.counters.release(key, window=DAY, now=now)
            return
        raise DisputeError("email_taken")

    def _holder_of(self, tx: Transaction, nik: str, kind: CaseKind) -> AccountRecord:
        account = tx.accounts.find(nik=nik)
        if account is None:
            raise DisputeError("no_account")
        if any(c.open and c.kind is kind for c in tx.disputes.for_account(account.id)):
            raise DisputeError("already_open")
        return account

    def _purpose(self, case: CaseRecord) -> OtpPurpose:
        if case.kind is CaseKind.DISPUTE:
            return OtpPurpose.REGISTRATION  # the claimant is registering a new account
        return OtpPurpose.ACCOUNT_RECOVERY

    def _send_code(self, case: CaseRecord, *, first: bool) -> None:
        now = self.ctx.clock()
        reservation = self.codes.reserve_sends(case.phone, case.nik, now)
        try:
            with self.ctx.storage.transaction() as tx:
                if first:
                    tx.disputes.put(case)
                else:
                    case = self._pending(tx, case.id)
                previous = tx.challenges.get(case.id)
                recent = self.codes.check_send_caps(previous, now, daily=reservation.refusal)
                code = self.codes.new_code()
                challenge = self.codes.issue(
                    case.id,
                    self._purpose(case),
                    case.phone,
                    code,
                    previous,
                    recent,
                    not first,
                    now,
                )
                tx.challenges.put(challenge)
                # A number of another active account gets the notice, not the code (as in
                # registration): the case then cannot be confirmed, and nothing is told.
                owner = tx.accounts.find(phone=case.phone)
                taken = owner is not None and owner.id != case.account_id
                self.codes.enqueue(tx, challenge, code, notice=taken)
        except BaseException:
            self.codes.cancel(reservation)
            raise
        self.ctx.wake()

    def _pending(self, tx: Transaction, case_id: str) -> CaseRecord:
        case = tx.disputes.get(case_id)
        if case is None:
            raise DisputeError("not_found")
        status = case.status_at(self.ctx.clock())
        if status is CaseStatus.EXPIRED:
            raise DisputeError("expired")
        if status is not CaseStatus.PENDING_OTP:
            raise DisputeError("wrong_step", status=status.value)
        return case

    def resend_code(self, case_id: str) -> CaseView:
        """Send the new phone a new code (the caps of registration apply)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = self._pending(tx, case_id)
        self._send_code(case, first=False)
        return self.view(case_id)

    def confirm(self, case_id: str, code: str) -> CaseView:
        """Confirm the new phone's code: the case opens.

        A dispute then tells the current holder (an SMS to the account's phone)
        and waits for their answer; a re-proofing waits for its evidence.

        :raises OtpError: the code's refusals.
        :raises DisputeError: ``not_found``, ``expired``, ``wrong_step``, ``already_open``.
        """
        with self.ctx.storage.transaction(read_only=True) as tx:
            self._pending(tx, case_id)
            challenge = tx.challenges.get(case_id)
        self.codes.check(challenge, code)  # outside the transaction: it takes a counter slot
        now = self.ctx.clock()
        events: list[DomainEvent] = []
        with self.ctx.storage.transaction() as tx:
            case = self._pending(tx, case_id)
            challenge = tx.challenges.get(case_id)
            if challenge is None or challenge.used:
                raise OtpError("expired")
            tx.challenges.put(challenge.spent())
            if any(
                c.open and c.kind is case.kind and c.id != case.id
                for c in tx.disputes.for_account(case.account_id)
            ):
                raise DisputeError("already_open")
            if case.kind is CaseKind.DISPUTE:
                case = attrs.evolve(
                    case,
                    status=CaseStatus.AWAITING_HOLDER,
                    due_at=now + self.holder_window,
                    updated_at=now,
                )
                holder = tx.accounts.get(case.account_id)
                if holder is not None and holder.active:
                    self._sms(tx, case, "holder", holder.phone, now, days=self._days(case))
                self._audit(tx, case, CLAIMANT_ACTOR, "dispute.open", due_at=case.due_at)
                events.append(
                    DisputeOpened(occurred_at=now, dispute_id=case.id, account_id=case.account_id)
                )
            else:
                case = attrs.evolve(
                    case,
                    status=CaseStatus.AWAITING_EVIDENCE,
                    due_at=now + self.evidence_window,
                    updated_at=now,
                )
                # The old phone is told at once: if its holder did not ask, they have
                # until the evidence to stop it (a re-proofing is a way into the account).
                account = tx.accounts.get(case.account_id)
                if account is not None and account.active and account.phone != case.phone:
                    self._sms(tx, case, "reproofing", account.phone, now)
                self._audit(tx, case, CLAIMANT_ACTOR, "reproofing.open", due_at=case.due_at)
            self._audit_evidence(tx, case, case.evidence[0], CLAIMANT_ACTOR)
            tx.disputes.put(case)
        self._after(events)
        return self._view(case, Party.CLAIMANT)

    # --- evidence ----------------------------------------------------------------------------

    def match_face(self, case_id: str, image: bytes) -> CaseView:
        """Match the claimant's (or re-proofing holder's) photo with Dukcapil's.

        The image is passed to the registry and never stored; the evidence keeps
        the score. A passed match completes a re-proofing at once.

        :raises DisputeError: ``face_unavailable`` (the registry has no face
            matching: ask for an officer's check), ``face_attempts``,
            ``not_found``, ``wrong_step``.
        """
        matcher = self.registry
        if not isinstance(matcher, FaceMatcher):
            raise DisputeError("face_unavailable")
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = self._open_case(tx, case_id)
            if case.face_attempts >= MAX_FACE_ATTEMPTS:
                raise DisputeError("face_attempts", limit=MAX_FACE_ATTEMPTS)
        result = matcher.match_face(case.nik, image)
        now = self.ctx.clock()
        evidence = Evidence(
            kind=EvidenceKind.FACE,
            party=Party.CLAIMANT,
            at=now,
            passed=result.status == "found" and result.matched,
            score=result.score,
        )
        events: list[DomainEvent] = []
        with self.ctx.storage.transaction() as tx:
            case = self._open_case(tx, case_id)
            if case.face_attempts >= MAX_FACE_ATTEMPTS:
                raise DisputeError("face_attempts", limit=MAX_FACE_ATTEMPTS)
            case = attrs.evolve(case.with_evidence(evidence), face_attempts=case.face_attempts + 1)
            self._audit_evidence(tx, case, evidence, CLAIMANT_ACTOR)
            case = self._maybe_recover(tx, case, CLAIMANT_ACTOR, events)
            tx.disputes.put(case)
        self._after(events)
        return self._view(case, Party.CLAIMANT)

    def record_check(
        self,
        case_id: str,
        *,
        officer_id: str,
        office: str,
        documents: tuple[str, ...] | list[str],
        checked_at: datetime | None = None,
        party: Party | str = Party.CLAIMANT,
        passed: bool = True,
        note: str | None = None,
        actor: str,
    ) -> CaseRecord:
        """Record an officer's in-person check at a Disnaker (documents seen, e.g. KTP-el, KK).

        A passed check of the claimant completes a re-proofing at once.

        :raises DisputeError: ``invalid_officer`` (no officer, office or document),
            ``invalid_note``, ``not_found``, ``wrong_step``.
        """
        party = Party(party)
        officer_id, office = officer_id.strip(), office.strip()
        docs = tuple(d.strip() for d in documents if d.strip())
        if not officer_id or not office or not docs:
            raise DisputeError("invalid_officer")
        if sum(len(d) for d in docs) > MAX_NOTE_LENGTH:
            raise DisputeError("invalid_note", limit=MAX_NOTE_LENGTH)
        now = self.ctx.clock()
        evidence = Evidence(
            kind=EvidenceKind.OFFICER,
            party=party,
            at=now,
            passed=passed,
            officer_id=officer_id,
            office=office,
            checked_at=checked_at or now,
            documents=docs,
            note=note,
        )
        events: list[DomainEvent] = []
        with self.ctx.storage.transaction() as tx:
            case = self._open_case(tx, case_id)
            if party is Party.HOLDER and case.kind is not CaseKind.DISPUTE:
                raise DisputeError("wrong_step", status=case.status.value)
            case = case.with_evidence(evidence)
            self._audit_evidence(tx, case, evidence, actor)
            case = self._maybe_recover(tx, case, actor, events)
            tx.disputes.put(case)
        self._after(events)
        return case

    def _open_case(self, tx: Transaction, case_id: str) -> CaseRecord:
        case = tx.disputes.get(case_id)
        if case is None:
            raise DisputeError("not_found")
        if not case.open:
            raise DisputeError("wrong_step", status=case.status_at(self.ctx.clock()).value)
        return case

    # --- the holder's answer -------------------------------------------------------------------

    def holder_cases(self, account_id: str) -> list[CaseView]:
        """The open disputes about the signed-in holder's account (what their pages list)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            cases = tx.disputes.for_account(str(account_id))
        return [self._view(c, Party.HOLDER) for c in cases if c.kind is CaseKind.DISPUTE and c.open]

    def answer(
        self,
        account_id: str,
        case_id: str,
        answer: HolderAnswer | str,
        *,
        full_name: str | None = None,
        mother_name: str | None = None,
    ) -> CaseView:
        """The current holder answers: ``mine`` ("ini akun saya") or ``not_mine``.

        With ``mine``, the holder may back the answer with a fresh Dukcapil
        match (``full_name`` and ``mother_name``), recorded as evidence; they
        may also visit an office (:meth:`record_check` with ``party="holder"``).
        A late answer is still taken while no officer has decided.

        :raises DisputeError: ``not_found`` (not a dispute about this account),
            ``invalid_answer``, ``wrong_step``.
        """
        try:
            answer = HolderAnswer(answer)
        except ValueError:
            raise DisputeError("invalid_answer") from None
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = self._holder_case(tx, account_id, case_id)
        evidence: Evidence | None = None
        if answer is HolderAnswer.MINE and full_name and mother_name:
            try:
                score = self.dukcapil_match(case.nik, full_name, mother_name)
                passed = True
            except RegistrationError as error:
                if error.code == "verification_locked":
                    raise
                score, passed = None, False
            evidence = Evidence(
                kind=EvidenceKind.DUKCAPIL,
                party=Party.HOLDER,
                at=self.ctx.clock(),
                passed=passed,
                score=score,
            )
        now = self.ctx.clock()
        actor = f"account:{account_id}"
        with self.ctx.storage.transaction() as tx:
            case = self._holder_case(tx, account_id, case_id)
            if evidence is not None:
                case = case.with_evidence(evidence)
                self._audit_evidence(tx, case, evidence, actor)
            case = attrs.evolve(
                case,
                status=CaseStatus.AWAITING_DECISION,
                answer=answer,
                answered_at=now,
                due_at=now + self.decision_window,
                updated_at=now,
            )
            self._audit(tx, case, actor, "dispute.answer", answer=answer.value, due_at=case.due_at)
            tx.disputes.put(case)
        self._after(
            [
                DisputeAnswered(
                    occurred_at=now,
                    dispute_id=case.id,
                    account_id=case.account_id,
                    answer=answer.value,
                )
            ]
        )
        return self._view(case, Party.HOLDER)

    def _holder_case(self, tx: Transaction, account_id: str, case_id: str) -> CaseRecord:
        case = tx.disputes.get(case_id)
        if case is None or case.kind is not CaseKind.DISPUTE or case.account_id != account_id:
            raise DisputeError("not_found")
        if case.status is not CaseStatus.AWAITING_HOLDER:
            raise DisputeError("wrong_step", status=case.status.value)
        return case

    # --- the officer's decision ------------------------------------------------------------------

    def decide(self, case_id: str, *, upheld: bool, reason: str, actor: str) -> CaseRecord:
        """An officer decides a dispute.

        ``upheld`` (for the claimant): in one transaction the disputed account
        is frozen, its card revoked, its sessions and SSO tokens ended, and the
        claimant's account created with the NIK; both phones are told. Otherwise
        the case closes and the claimant is told.

        :raises DisputeError: ``not_found``, ``wrong_step`` (the holder's time has
            not run out and they have not answered), ``evidence_required``,
            ``invalid_note``, ``phone_taken``, ``email_taken``.
        """
        reason = reason.strip()
        if not reason or len(reason) > MAX_NOTE_LENGTH:
            raise DisputeError("invalid_note", limit=MAX_NOTE_LENGTH)
        now = self.ctx.clock()
        events: list[DomainEvent] = []
        revoked: int | None = None
        with self.ctx.storage.transaction() as tx:
            case = tx.disputes.get(case_id)
            if case is None or case.kind is not CaseKind.DISPUTE:
                raise DisputeError("not_found")
            if case.status not in DECIDABLE or (
                case.status is CaseStatus.AWAITING_HOLDER and not case.overdue(now)
            ):
                raise DisputeError("wrong_step", status=case.status_at(now).value)
            if not upheld:
                case = attrs.evolve(
                    case,
                    status=CaseStatus.REJECTED,
                    decided_at=now,
                    decided_by=actor,
                    reason=reason,
                    due_at=None,
                    updated_at=now,
                    password_hash=None,  # moved to the new account, or of no use: not kept
                )
                self._sms(tx, case, "rejected", case.phone, now)
                self._audit(tx, case, actor, "dispute.decide", outcome="rejected", reason=reason)
                tx.disputes.put(case)
                events.append(
                    DisputeDecided(
                        occurred_at=now,
                        dispute_id=case.id,
                        account_id=case.account_id,
                        outcome="rejected",
                    )
                )
            else:
                if not case.strong_evidence(Party.CLAIMANT):
                    raise DisputeError("evidence_required")
                revoked = self._freeze(tx, case, actor, now)
                new_account = self._move_nik(tx, case, now)
                case = attrs.evolve(
                    case,
                    status=CaseStatus.UPHELD,
                    decided_at=now,
                    decided_by=actor,
                    reason=reason,
                    due_at=None,
                    updated_at=now,
                    password_hash=None,  # moved to the new account, or of no use: not kept
                    new_account_id=new_account.id,
                )
                self._sms(tx, case, "upheld", case.phone, now)
                self._audit(
                    tx,
                    case,
                    actor,
                    "dispute.decide",
                    outcome="upheld",
                    reason=reason,
                    new_account_id=new_account.id,
                )
                self._audit(
                    tx,
                    case,
                    actor,
                    "account.create",
                    target_kind="account",
                    target_id=new_account.id,
                )
                tx.disputes.put(case)
                events += [
                    AccountFrozen(occurred_at=now, account_id=case.account_id, dispute_id=case.id),
                    DisputeDecided(
                        occurred_at=now,
                        dispute_id=case.id,
                        account_id=case.account_id,
                        outcome="upheld",
                        new_account_id=new_account.id,
                    ),
                ]
        if revoked is not None and self.card_changed is not None:
            self.card_changed(revoked)
        self._after(events)
        return case

    def _freeze(self, tx: Transaction, case: CaseRecord, actor: str, now: datetime) -> int | None:
        """Freeze the disputed account in ``tx``; the revoked card's reference, if any."""
        old = tx.accounts.get(case.account_id)
        if old is None:
            raise DisputeError("not_found")
        phone = old.phone if old.active else None
        if old.active:
            tx.accounts.put(attrs.evolve(old, active=False))
        revoked: int | None = None
        card = tx.cards.get(old.id)
        if card is not None and card.revoked_at is None:
            tx.status_list.touch()  # the published list must say so at once
            tx.cards.put(card.revoked(now))
            revoked = card.card_ref
        sessions = tx.sessions.delete_for_account(old.id)
        tokens = tx.sso_tokens.revoke_for(old.id, now)
        if phone is not None:
            self._sms(tx, case, "frozen", phone, now)
        self._audit(
            tx,
            case,
            actor,
            "account.freeze",
            target_kind="account",
            target_id=old.id,
            card_revoked=revoked is not None,
            sessions_ended=sessions,
            sso_tokens_revoked=tokens,
        )
        return revoked

    def _move_nik(self, tx: Transaction, case: CaseRecord, now: datetime) -> AccountRecord:
        if case.email is None or case.password_hash is None:
            raise DisputeError("wrong_step", status="contacts_required")
        account = AccountRecord(
            id=self.ctx.new_id(),
            nik=case.nik,
            full_name=case.full_name,
            email=case.email,
            phone=case.phone,
            password_hash=case.password_hash,
            created_at=now,
            password_changed_at=now,
        )
        try:
            tx.accounts.add(account)
        except AccountConflict as conflict:
            # Raised inside the transaction: the freeze above is rolled back with it.
            code = "email_taken" if conflict.field == "email" else "phone_taken"
            raise DisputeError(code) from None
        return account

    # --- completing a re-proofing ----------------------------------------------------------------

    def _maybe_recover(
        self, tx: Transaction, case: CaseRecord, actor: str, events: list[DomainEvent]
    ) -> CaseRecord:
        if case.kind is not CaseKind.REPROOFING or not case.strong_evidence(Party.CLAIMANT):
            return case
        now = self.ctx.clock()
        account = tx.accounts.get(case.account_id)
        if account is None or not account.active:
            raise DisputeError("not_found")
        owner = tx.accounts.find(phone=case.phone)
        if owner is not None and owner.id != account.id:
            raise DisputeError("phone_taken")
        if case.email is not None:
            owner = tx.accounts.find(email=case.email)
            if owner is not None and owner.id != account.id:
                raise DisputeError("email_taken")
        old_phone = account.phone
        changed = attrs.evolve(
            account,
            phone=case.phone,
            email=case.email or account.email,
            password_hash=case.password_hash or account.password_hash,
            password_changed_at=now if case.password_hash else account.password_changed_at,
        )
        tx.accounts.put(changed)
        sessions = tx.sessions.delete_for_account(account.id)
        tokens = tx.sso_tokens.revoke_for(account.id, now)
        # An authenticator app (or a passkey) went with the lost phone; strong evidence
        # stands in for it, and the holder enrols again (docs/factors.md).
        factors = tx.factors.delete_for_account(account.id)
        if old_phone != case.phone:
            self._sms(tx, case, "recovered", old_phone, now)
        self._audit(
            tx,
            case,
            actor,
            "account.recover",
            target_kind="account",
            target_id=account.id,
            email_changed=case.email is not None and case.email != account.email,
            password_changed=case.password_hash is not None,
            sessions_ended=sessions,
            sso_tokens_revoked=tokens,
            factors_removed=factors,
        )
        events.append(AccountRecovered(occurred_at=now, account_id=account.id, dispute_id=case.id))
        return attrs.evolve(
            case,
            status=CaseStatus.RECOVERED,
            due_at=None,
            decided_at=now,
            decided_by=actor,
            updated_at=now,
            password_hash=None,  # now the account's: the case keeps no copy
        )

    # --- reading -------------------------------------------------------------------------------

    def view(self, case_id: str) -> CaseView:
        """What the claimant (or the re-proofing holder) sees of their case."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = tx.disputes.get(case_id)
        if case is None:
            raise DisputeError("not_found")
        return self._view(case, Party.CLAIMANT)

    def get(self, case_id: str) -> CaseRecord:
        """The whole case (officers)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = tx.disputes.get(case_id)
        if case is None:
            raise DisputeError("not_found")
        return case

    def trail(self, case_id: str) -> list[AuditRecord]:
        """Every audited step of the case, oldest first (officers): the case's own records
        and those of the accounts it touched (frozen, created, recovered)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            case = tx.disputes.get(case_id)
            if case is None:
                raise DisputeError("not_found")
            records = tx.audit.list(target=case_id, limit=1000)
            for account_id in {case.account_id, case.new_account_id} - {None}:
                records += [
                    r
                    for r in tx.audit.list(target=account_id, limit=1000)
                    if r.details.get("dispute_id") == case_id
                ]
        return sorted(records, key=lambda r: (r.at, r.id))

    def cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        kind: CaseKind | str | None = None,
        limit: int = 100,
    ) -> list[CaseRecord]:
        """Cases, oldest first (officers)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            return tx.disputes.list(
                status=None if status is None else CaseStatus(status),
                kind=None if kind is None else CaseKind(kind),
                limit=limit,
            )

    def overdue(self, *, limit: int = 100) -> list[CaseRecord]:
        """Open cases past the deadline of their current step, most overdue first (officers)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            found = tx.disputes.list(due_before=now, limit=limit * 2)
        return [c for c in found if c.overdue(now)][:limit]

    def _view(self, case: CaseRecord, party: Party) -> CaseView:
        now = self.ctx.clock()
        return CaseView(
            id=case.id,
            kind=case.kind,
            status=case.status_at(now),
            created_at=case.created_at,
            due_at=case.due_at,
            overdue=case.overdue(now),
            evidence=tuple(e for e in case.evidence if e.party is party),
            decided_at=case.decided_at,
            face_matching=self.face_matching,
            face_attempts_left=max(0, MAX_FACE_ATTEMPTS - case.face_attempts),
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _days(self, case: CaseRecord) -> int:
        if case.due_at is None:
            return 0
        return max(1, round((case.due_at - case.updated_at) / DAY))

    def _sms(
        self, tx: Transaction, case: CaseRecord, what: str, to: str, now: datetime, **params: object
    ) -> None:
        text = translations.text(
            f"sms.dispute.{what}",
            SMS_LANGUAGE,
            service=self.codes.service_name,
            case=case.id[:8].upper(),
            **params,
        )
        self.codes.outbox.enqueue(
            tx,
            message_id=f"dispute:{case.id}:{what}",
            to=to,
            text=text,
            now=now,
            purpose=f"dispute_{what}",
        )

    def _audit(
        self,
        tx: Transaction,
        case: CaseRecord,
        actor: str,
        action: str,
        *,
        target_kind: str = "dispute",
        target_id: str | None = None,
        reason: str | None = None,
        **details: str | int | bool | datetime | None,
    ) -> None:
        data: dict[str, str | int | bool | None] = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in details.items()
        }
        data.setdefault("dispute_id", case.id)
        data.setdefault("kind", case.kind.value)
        self.ctx.record_admin_action(
            tx,
            actor=actor,
            action=action,
            target_kind=target_kind,
            target_id=target_id or case.id,
            reason=reason,
            details=data,
        )

    def _audit_evidence(
        self, tx: Transaction, case: CaseRecord, evidence: Evidence, actor: str
    ) -> None:
        self._audit(
            tx,
            case,
            actor,
            "dispute.evidence",
            evidence=evidence.kind.value,
            party=evidence.party.value,
            passed=evidence.passed,
            score=evidence.score,
            officer_id=evidence.officer_id,
            office=evidence.office,
            checked_at=evidence.checked_at,
            documents=", ".join(evidence.documents) or None,
        )

    def _after(self, events: list[DomainEvent]) -> None:
        self.ctx.wake()
        for event in events:
            self.ctx.emit(event)
