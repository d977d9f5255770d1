"""Class attendance at BLK, BLK Komunitas and LPK Swasta (``svc.classes``).

* A **training institution** (a registered verifier with the ``blk`` or
  ``skillhub`` scope) creates its classes and enrols trainees by account id —
  an id it learned through the holder's consent (a link scan of the card,
  use 2) — and withdraws them (the record stays).
* Each **session** is an event of kind ``class_session`` naming the class,
  created through the event gates (``svc.events``), so the class's station
  admits trainees with their access codes like any gate.
* The **admission check** this module registers refuses, at every class
  session, a card whose holder is not enrolled in the class
  (``class.not_enrolled``): nothing is recorded.
* The **attendance report** counts, per trainee, the sessions held (opened
  by now) they checked in at, against the class's minimum.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Final

from siapkerja_core.classes import (
    INSTITUTION_SCOPES,
    AttendanceReport,
    ClassEnrolment,
    ClassError,
    InstitutionKind,
    Trainee,
    TrainingClass,
    attendance_report,
)
from siapkerja_core.disclosure import Verifier
from siapkerja_core.gates import Admission, Event, EventKind
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.ports import ClassConflict, Transaction
from siapkerja_core.records import AccountRecord
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.gates import Gates
from siapkerja_core.services.institutions import acting, announce
from siapkerja_core.siapkerja_id import is_valid_siapkerja_id, parse_siapkerja_id

__all__ = ["Classes"]

_MAX_SESSIONS: Final = 10_000
"""The most events of one institution the report looks through for a class's sessions."""


class Classes:
    """Classes, enrolments, sessions and attendance (``svc.classes``).

    :param ctx: the shared service context.
    :param events: gives the event gates (sessions are their events, check-ins
        their admissions); a callable, because the gates are built with this
        service's :meth:`admission_check` already in place.
    """

    def __init__(self, ctx: ServiceContext, *, events: Callable[[], Gates]) -> None:
        self.ctx = ctx
        self._events = events

    @property
    def gates(self) -> Gates:
        return self._events()

    # --- institutions and classes ----------------------------------------------------------

    @staticmethod
    def _institution(tx: Transaction, institution: Verifier | str) -> Verifier:
        verifier_id = institution.id if isinstance(institution, Verifier) else institution
        found = tx.verifiers.get(verifier_id)
        if found is None or not found.active or not found.scopes & INSTITUTION_SCOPES:
            raise ClassError("not_institution")
        return found

    def _own_class(
        self, tx: Transaction, institution: Verifier | str, class_id: str
    ) -> TrainingClass:
        verifier = self._institution(tx, institution)
        klass = tx.classes.get(class_id) if isinstance(class_id, str) else None
        if klass is None:
            raise ClassError("not_found", class_id=str(class_id)[:64])
        if klass.institution_id != verifier.id:
            raise ClassError("not_owner", class_id=klass.id)
        return klass

    def create(
        self,
        institution: Verifier | str,
        *,
        id: str,
        name: str,
        institution_kind: InstitutionKind | str,
        vocation: str,
        starts_on: date | str,
        ends_on: date | str,
        min_attendance: int = 80,
        capacity: int = 20,
        kbji_code: str | None = None,
        actor: str | None = None,
    ) -> TrainingClass:
        """Create a class of ``institution`` (audited: ``actor`` defaults to ``verifier:<id>``).

        :raises ClassError: ``invalid`` (``field``), ``exists``, ``not_institution``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            verifier = self._institution(tx, institution)
            klass = TrainingClass(
                id=id,
                name=name,
                institution_id=verifier.id,
                institution_kind=institution_kind,
                vocation=vocation,
                starts_on=starts_on,
                ends_on=ends_on,
                min_attendance=min_attendance,
                capacity=capacity,
                kbji_code=kbji_code,
                created_at=now,
            )
            try:
                tx.classes.add(klass)
            except ClassConflict:
                raise ClassError("exists", class_id=klass.id) from None
            record = self.ctx.record_admin_action(
                tx,
                actor=acting(actor, verifier),
                action="class.create",
                target_kind="class",
                target_id=klass.id,
                details={"capacity": klass.capacity, "min_attendance": klass.min_attendance},
            )
        announce(self.ctx, record)
        return klass

    def get(self, institution: Verifier | str, class_id: str) -> TrainingClass:
        """One of the institution's classes. :raises ClassError: ``not_found``, ``not_owner``."""
        with self.ctx.storage.transaction() as tx:
            return self._own_class(tx, institution, class_id)

    def all(self, institution: Verifier | str) -> list[TrainingClass]:
        """The institution's classes, by start date."""
        with self.ctx.storage.transaction() as tx:
            verifier = self._institution(tx, institution)
            return tx.classes.for_institution(verifier.id)

    # --- enrolments --------------------------------------------------------------------------

    @staticmethod
    def _trainee(tx: Transaction, trainee: str) -> AccountRecord:
        """The active account of ``trainee``: an account id, or a SIAPkerja-ID number."""
        account = tx.accounts.get(trainee) if isinstance(trainee, str) else None
        if account is None and isinstance(trainee, str) and is_valid_siapkerja_id(trainee):
            card = tx.cards.by_number(str(parse_siapkerja_id(trainee)))
            account = None if card is None else tx.accounts.get(card.account_id)
        if account is None or not account.active:
            raise ClassError("no_account")
        return account

    def enrol(
        self,
        institution: Verifier | str,
        class_id: str,
        trainee: str,
        *,
        actor: str | None = None,
    ) -> ClassEnrolment:
        """Enrol a trainee (re-enrol after a withdrawal).

        ``trainee`` is the holder's account id or SIAPkerja-ID number, as the
        institution learned it when the holder shared the card with it: the
        holder must have an active consent for the institution (any purpose),
        so no one is enrolled by an institution they never dealt with.

        :raises ClassError: ``no_consent``, ``already_enrolled``, ``full``
            (``capacity``), ``no_account``, ``not_found``, ``not_owner``, ``not_institution``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            # Read with a lock (SQL): two enrolments racing for the last place queue here.
            klass = self._own_class(tx, institution, class_id)
            account = self._trainee(tx, trainee)
            if not any(
                c.active and c.verifier_id == klass.institution_id
                for c in tx.consents.for_account(account.id)
            ):
                raise ClassError("no_consent")
            current = tx.classes.enrolment(klass.id, account.id)
            if current is not None and current.active:
                raise ClassError("already_enrolled", class_id=klass.id)
            active = sum(1 for e in tx.classes.enrolments(klass.id) if e.active)
            if active >= klass.capacity:
                raise ClassError("full", class_id=klass.id, capacity=klass.capacity)
            enrolment = (
                ClassEnrolment(class_id=klass.id, account_id=account.id, enrolled_at=now)
                if current is None
                else current.renewed(now)
            )
            tx.classes.put_enrolment(enrolment)
            record = self._audit(tx, actor, klass, "class.enrol", account.id)
        announce(self.ctx, record)
        return enrolment

    def withdraw(
        self,
        institution: Verifier | str,
        class_id: str,
        trainee: str,
        *,
        actor: str | None = None,
    ) -> ClassEnrolment:
        """Withdraw a trainee (account id or SIAPkerja-ID number): their sessions
        attended stay in the report, marked inactive.

        :raises ClassError: ``not_enrolled``, ``no_account``, ``not_found``,
            ``not_owner``, ``not_institution``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            klass = self._own_class(tx, institution, class_id)
            account = self._trainee(tx, trainee)
            current = tx.classes.enrolment(klass.id, account.id)
            if current is None:
                raise ClassError("not_enrolled", class_id=klass.id)
            withdrawn = current.withdrawn(now)
            tx.classes.put_enrolment(withdrawn)
            record = self._audit(tx, actor, klass, "class.withdraw", account.id)
        announce(self.ctx, record)
        return withdrawn

    def _audit(
        self, tx: Transaction, actor: str | None, klass: TrainingClass, action: str, account_id: str
    ) -> AuditRecord:
        # The trainee is named by the pseudonymous account id, never by name or NIK.
        return self.ctx.record_admin_action(
            tx,
            actor=acting(actor, tx.verifiers.get(klass.institution_id)),
            action=action,
            target_kind="class",
            target_id=klass.id,
            details={"account_id": account_id},
        )

    def enrolments(self, institution: Verifier | str, class_id: str) -> list[ClassEnrolment]:
        """The class's enrolments, withdrawn ones too, oldest first."""
        with self.ctx.storage.transaction() as tx:
            klass = self._own_class(tx, institution, class_id)
            return tx.classes.enrolments(klass.id)

    def classes_of(self, account_id: str) -> list[TrainingClass]:
        """The classes the holder is enrolled in now (the holder's own page)."""
        with self.ctx.storage.transaction() as tx:
            found = []
            for enrolment in tx.classes.enrolments_of(account_id):
                klass = tx.classes.get(enrolment.class_id) if enrolment.active else None
                if klass is not None:
                    found.append(klass)
            return found

    # --- sessions ------------------------------------------------------------------------------

    def add_session(
        self,
        institution: Verifier | str,
        class_id: str,
        *,
        id: str,
        opens_at: datetime,
        closes_at: datetime,
        venue: str,
        name: str | None = None,
        region_code: str | None = None,
        actor: str | None = None,
    ) -> Event:
        """Schedule a session: an event of kind ``class_session`` naming the class.

        The audit records it as the event's ``event.create`` (``class_id`` in its details).

        Its gates are added with ``svc.events.add_station`` like any event's;
        trainees mint access codes for the session's id.

        :raises ClassError: ``not_found``, ``not_owner``, ``not_institution``.
        :raises GateError: ``invalid_event`` (``field``), ``event_exists``.
        """
        with self.ctx.storage.transaction() as tx:
            klass = self._own_class(tx, institution, class_id)
        return self.gates.create_event(
            klass.institution_id,
            id=id,
            name=name or f"{klass.name} — {opens_at.date().isoformat()}",
            kind=EventKind.CLASS_SESSION,
            venue=venue,
            opens_at=opens_at,
            closes_at=closes_at,
            region_code=region_code,
            capacity=klass.capacity,
            class_id=klass.id,
            actor=actor,
        )

    @staticmethod
    def _sessions(tx: Transaction, klass: TrainingClass) -> list[Event]:
        """The class's sessions: its institution's ``class_session`` events naming it.

        An event some other organiser made naming this class is not one of its
        sessions (its check-ins never count).
        """
        events = tx.gates.events(organiser_id=klass.institution_id, limit=_MAX_SESSIONS)
        return [
            e
            for e in events
            if e.kind is EventKind.CLASS_SESSION and e.class_id == klass.id and not e.cancelled
        ]

    def sessions(self, institution: Verifier | str, class_id: str) -> list[Event]:
        """The class's sessions, held or to come, by opening time."""
        with self.ctx.storage.transaction() as tx:
            klass = self._own_class(tx, institution, class_id)
            return self._sessions(tx, klass)

    # --- attendance ---------------------------------------------------------------------------

    def report(self, institution: Verifier | str, class_id: str) -> AttendanceReport:
        """Attendance per trainee and for the class, over the sessions opened by now.

        :raises ClassError: ``not_found``, ``not_owner``, ``not_institution``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            klass = self._own_class(tx, institution, class_id)
            held = [s for s in self._sessions(tx, klass) if s.opens_at <= now]
            enrolments = tx.classes.enrolments(klass.id)
            trainees: dict[str, Trainee] = {}
            by_ref: dict[int, str] = {}
            for enrolment in enrolments:
                account = tx.accounts.get(enrolment.account_id)
                card = tx.cards.get(enrolment.account_id)
                trainees[enrolment.account_id] = Trainee(
                    account_id=enrolment.account_id,
                    full_name="" if account is None else account.full_name,
                    siapkerja_id=None if card is None else card.number,
                )
                if card is not None:
                    by_ref[card.card_ref] = enrolment.account_id
            attended: dict[str, set[str]] = {}
            for session in held:
                for check_in in tx.check_ins.for_event(session.id):
                    account_id = by_ref.get(check_in.card_ref)
                    if account_id is not None:
                        attended.setdefault(account_id, set()).add(session.id)
        return attendance_report(
            klass,
            enrolments,
            trainees,
            [s.id for s in held],
            attended,
        )

    # --- the admission check -------------------------------------------------------------------

    def admission_check(self, admission: Admission) -> ClassError | None:
        """At a class session, only an enrolled trainee's card is admitted.

        The session must name a class of its own organiser; a card whose
        holder is not actively enrolled is refused ``class.not_enrolled``.
        """
        event = admission.event
        class_id = event.class_id
        if class_id is None:
            return ClassError("not_found", class_id="")
        klass = admission.tx.classes.get(class_id)
        if klass is None:
            return ClassError("not_found", class_id=class_id[:64])
        if klass.institution_id != event.organiser_id:
            return ClassError("not_owner", class_id=klass.id)
        enrolment = admission.tx.classes.enrolment(klass.id, admission.account.id)
        if enrolment is None or not enrolment.active:
            return ClassError("not_enrolled", class_id=klass.id)
        return None
