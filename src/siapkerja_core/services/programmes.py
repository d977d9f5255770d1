"""Labour programmes and their requirements (``svc.programmes``): JKP, BSU, Prakerja …

* A programme is **defined as data** (:mod:`siapkerja_core.programmes`): an
  administrator (no owner) or an institution (its verifier) defines it from
  JSON or TOML; the three bundled examples (:func:`bundled_programme`) are
  JKP, BSU and Prakerja.
* The holder asks **"am I eligible?"** (:meth:`Programmes.check`): every
  requirement with its outcome and reason, in Indonesian and English.
* At the programme's **station** — an event of kind ``programme_intake``
  naming the programme, through the event gates — the admission check this
  module registers evaluates the holder of the access code: eligible, the
  admission is recorded as the holder's enrolment in the programme (in the
  admission's own transaction); not eligible, the gate is refused with
  ``programme.not_eligible`` naming every failed requirement, and nothing is
  written.
* The ``aki_registered`` rule reads the service's own AK/I registrations (use 1,
  a legalised registration valid on the day), in the evaluation's transaction;
  a deployment whose registrations live elsewhere wires an
  :class:`~siapkerja_core.programmes.AkiRegistrations` callable instead
  (:meth:`Programmes.use_aki_registrations`), whose ``None`` (unknown) is not met.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final, Literal

from siapkerja_core.completeness import completeness
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import CardError
from siapkerja_core.gates import Admission, Event, EventKind, GateError, local_zone
from siapkerja_core.ports import ProgrammeEnrolmentConflict, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.programmes import (
    AkiRegistrations,
    Eligibility,
    Facts,
    Programme,
    ProgrammeEnrolment,
    ProgrammeError,
    evaluate,
    load_programme,
    parse_programme,
)
from siapkerja_core.records import AccountRecord
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.gates import Gates
from siapkerja_core.services.institutions import acting, announce
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.services.registration import NO_PASSWORD

__all__ = ["BUNDLED_PROGRAMMES", "Programmes", "bundled_programme"]

_DATA: Final = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "programmes")
BUNDLED_PROGRAMMES: Final = ("jkp", "bsu", "prakerja")
"""The example definitions shipped as package data (``siapkerja_core/data/programmes``)."""


def bundled_programme(name: str) -> Programme:
    """One of :data:`BUNDLED_PROGRAMMES`, read from the package's data.

    :raises ProgrammeError: ``not_found`` for another name.
    """
    if name not in BUNDLED_PROGRAMMES:
        raise ProgrammeError("not_found", programme_id=str(name)[:64])
    with open(os.path.join(_DATA, f"{name}.json"), "rb") as handle:
        return load_programme(handle.read())


class Programmes:
    """Programme definitions, eligibility, intake and enrolments (``svc.programmes``).

    :param ctx: the shared service context.
    :param profiles: reads the holder's profile (or the one an account starts with).
    :param events: gives the event gates (an intake is their event, an admission
        their check-in); a callable, because the gates are built with this
        service's :meth:`admission_check` already in place.
    :param aki: whether a holder has an active AK/I registration (default: unknown).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        profiles: Profiles,
        events: Callable[[], Gates],
        aki: AkiRegistrations | None = None,
    ) -> None:
        self.ctx = ctx
        self.profiles = profiles
        self._events = events
        self._aki: AkiRegistrations | None = aki

    @property
    def gates(self) -> Gates:
        return self._events()

    def use_aki_registrations(self, aki: AkiRegistrations | None) -> None:
        """Answer the ``aki_registered`` rule with ``aki(account_id, today) -> bool | None``.

        By default (``None``) the rule reads this service's own AK/I
        registrations (``svc.aki``, use 1): a legalised registration valid on
        the day. A deployment whose registrations live in another system (a
        regional Disnaker's) wires its answer here; ``None`` from it means
        unknown (not met).
        """
        self._aki = aki

    # --- definitions -------------------------------------------------------------------------

    def define(
        self,
        definition: Programme | Mapping[str, Any] | str | bytes,
        *,
        owner: Verifier | str | None = None,
        administrator: bool = False,
        format: Literal["json", "toml"] = "json",
        actor: str | None = None,
    ) -> Programme:
        """Define (or redefine) a programme from data, JSON or TOML text.

        ``owner`` is the institution (a verifier) that operates it: only the
        owner schedules its intakes, enrols and reads its enrolments. An
        institution (``owner`` given, the API) may redefine only its own
        programmes. An ``administrator`` (the CLI; also any call without
        ``owner``) may define or redefine any programme and give it its
        operator with ``owner``; without ``owner`` a redefinition keeps the
        programme's current owner. The audit names ``actor`` (default: the
        owner institution when not an administrator's call, else ``library``).

        :raises ProgrammeError: ``invalid`` (``at``), ``exists`` (another owner's id).
        :raises GateError: ``not_organiser`` for an unknown or suspended verifier.
        """
        now = self.ctx.clock()
        administrator = administrator or owner is None
        with self.ctx.storage.transaction() as tx:
            owner_verifier = None if owner is None else self._verifier(tx, owner)
            owner_id = None if owner_verifier is None else owner_verifier.id
            if isinstance(definition, Programme):
                data: Mapping[str, Any] = definition.as_data()
                programme = parse_programme(data, owner_id=owner_id, created_at=now)
            elif isinstance(definition, Mapping):
                programme = parse_programme(definition, owner_id=owner_id, created_at=now)
            else:
                programme = load_programme(definition, format, owner_id=owner_id, created_at=now)
            current = tx.programmes.get(programme.id)
            if current is not None and not administrator and current.owner_id != owner_id:
                raise ProgrammeError("exists", programme_id=programme.id)
            if current is not None and owner_id is None:
                # An administrator's redefinition without an owner keeps the operator.
                programme = parse_programme(
                    programme.as_data(), owner_id=current.owner_id, created_at=now
                )
            tx.programmes.put(programme)
            record = self.ctx.record_admin_action(
                tx,
                actor=acting(actor, None if administrator else owner_verifier),
                action="programme.redefine" if current is not None else "programme.define",
                target_kind="programme",
                target_id=programme.id,
                details={"owner_id": programme.owner_id},
            )
        announce(self.ctx, record)
        return programme

    @staticmethod
    def _verifier(tx: Transaction, who: Verifier | str) -> Verifier:
        verifier_id = who.id if isinstance(who, Verifier) else who
        found = tx.verifiers.get(verifier_id)
        if found is None or not found.active:
            raise GateError("not_organiser")
        return found

    def get(self, programme_id: str) -> Programme:
        """The programme. :raises ProgrammeError: ``not_found``."""
        with self.ctx.storage.transaction() as tx:
            return self._programme(tx, programme_id)

    @staticmethod
    def _programme(tx: Transaction, programme_id: str) -> Programme:
        found = tx.programmes.get(programme_id) if isinstance(programme_id, str) else None
        if found is None:
            raise ProgrammeError("not_found", programme_id=str(programme_id)[:64])
        return found

    def all(self, *, public_only: bool = True) -> list[Programme]:
        """The programmes, by id (only the public ones unless ``public_only`` is false)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            found = tx.programmes.all()
        return [p for p in found if p.public or not public_only]

    # --- eligibility ---------------------------------------------------------------------------

    def facts(self, tx: Transaction, account: AccountRecord, today: date) -> Facts:
        """What the rules need to know of the holder, read in ``tx``."""
        profile: Profile = tx.profiles.get(account.id) or self.profiles.initial_profile(account)
        enrolments = tx.programmes.enrolments_of(account.id)
        # An imported account (AK/I migration) never confirmed its number; and a number
        # the holder typed into the profile is not the one the SMS code confirmed.
        phone_confirmed = account.password_hash != NO_PASSWORD and profile.contact.phone in (
            None,
            account.phone,
        )
        return Facts(
            account_id=account.id,
            nik=account.nik,
            profile_complete=completeness(profile).complete,
            employment_status=profile.biodata.employment_status,
            domicile_region=None
            if profile.domicile_address is None
            else profile.domicile_address.village_code,
            ktp_region=None if profile.ktp_address is None else profile.ktp_address.village_code,
            phone_verified=phone_confirmed,
            aki_registered=self._aki_registered(tx, account.id, today),
            programmes=frozenset(e.programme_id for e in enrolments),
            groups=frozenset(e.exclusion_group for e in enrolments if e.exclusion_group),
        )

    def _aki_registered(self, tx: Transaction, account_id: str, today: date) -> bool | None:
        if self._aki is not None:
            return self._aki(account_id, today)
        # Read in the evaluation's own transaction: the same snapshot as the other facts.
        return any(registration.is_valid(today) for registration in tx.aki.for_account(account_id))

    def _today(self, now: datetime, region_code: str | None = None) -> date:
        # The date in Indonesia (WIB unless the event's region says otherwise): an age
        # turns on the local birthday, not at midnight UTC.
        return now.astimezone(local_zone(region_code)).date()

    def _account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(account_id) if isinstance(account_id, str) else None
        if account is None or not account.active:
            raise CardError("no_account")
        return account

    def check(
        self, programme_id: str, account_id: str, *, today: date | None = None
    ) -> Eligibility:
        """Whether the holder is eligible for the programme, each requirement answered.

        ``today`` is the evaluation date (default: today in WIB).

        :raises ProgrammeError: ``not_found``. :raises CardError: ``no_account``.
        """
        day = today or self._today(self.ctx.clock())
        with self.ctx.storage.transaction(read_only=True) as tx:
            programme = self._programme(tx, programme_id)
            account = self._account(tx, account_id)
            return evaluate(programme, self.facts(tx, account, day), day)

    def enrol(
        self,
        programme_id: str,
        account_id: str,
        *,
        operator: Verifier | str | None = None,
        actor: str | None = None,
    ) -> ProgrammeEnrolment:
        """Enrol the holder by the programme's operator (an online intake, no station).

        :raises ProgrammeError: ``not_eligible`` (every failed requirement),
            ``already_enrolled``, ``not_found``, ``not_operator`` (not the operator's).
        """
        now = self.ctx.clock()
        day = self._today(now)
        with self.ctx.storage.transaction() as tx:
            programme = self._programme(tx, programme_id)
            who = None if operator is None else self._verifier(tx, operator)
            if who is not None and programme.owner_id != who.id:
                raise ProgrammeError("not_operator", programme_id=programme.id)
            account = self._account(tx, account_id)
            enrolment = self._admit(tx, programme, account, day, now, event_id=None)
            record = self.ctx.record_admin_action(
                tx,
                actor=acting(actor, who),
                action="programme.enrol",
                target_kind="programme",
                target_id=programme.id,
                details={"account_id": account.id},
            )
        announce(self.ctx, record)
        return enrolment

    def _admit(
        self,
        tx: Transaction,
        programme: Programme,
        account: AccountRecord,
        day: date,
        now: datetime,
        *,
        event_id: str | None,
    ) -> ProgrammeEnrolment:
        if tx.programmes.enrolment(programme.id, account.id) is not None:
            raise ProgrammeError("already_enrolled", programme_id=programme.id)
        eligibility = evaluate(programme, self.facts(tx, account, day), day)
        if not eligibility.eligible:
            raise eligibility.refusal()
        enrolment = ProgrammeEnrolment(
            programme_id=programme.id,
            account_id=account.id,
            enrolled_at=now,
            exclusion_group=programme.exclusion_group,
            event_id=event_id,
        )
        try:
            tx.programmes.add_enrolment(enrolment)
        except ProgrammeEnrolmentConflict:
            raise ProgrammeError("already_enrolled", programme_id=programme.id) from None
        return enrolment

    def enrolments_of(self, account_id: str) -> list[ProgrammeEnrolment]:
        """The holder's programme enrolments, oldest first."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            return tx.programmes.enrolments_of(account_id)

    def enrolments(self, owner: Verifier | str, programme_id: str) -> list[ProgrammeEnrolment]:
        """Who was admitted to the owner's programme, oldest first.

        :raises ProgrammeError: ``not_found``, ``not_operator`` (not the owner's).
        """
        with self.ctx.storage.transaction() as tx:
            who = self._verifier(tx, owner)
            programme = self._programme(tx, programme_id)
            if programme.owner_id != who.id:
                raise ProgrammeError("not_operator", programme_id=programme.id)
            return tx.programmes.enrolments(programme.id)

    # --- intake at a station ---------------------------------------------------------------

    def add_intake(
        self,
        organiser: Verifier | str,
        programme_id: str,
        *,
        id: str,
        opens_at: datetime,
        closes_at: datetime,
        venue: str,
        name: str | None = None,
        region_code: str | None = None,
        capacity: int | None = None,
        actor: str | None = None,
    ) -> Event:
        """Schedule an intake: an event of kind ``programme_intake`` naming the programme.

        The audit records it as the event's ``event.create`` (``programme_id`` in its details).

        :raises ProgrammeError: ``not_found``, ``not_operator`` (not the owner's programme:
            a programme an administrator defined is given its operator with ``owner``).
        :raises GateError: ``not_organiser``, ``invalid_event``, ``event_exists``.
        """
        with self.ctx.storage.transaction() as tx:
            who = self._verifier(tx, organiser)
            programme = self._programme(tx, programme_id)
            if programme.owner_id != who.id:
                raise ProgrammeError("not_operator", programme_id=programme.id)
        return self.gates.create_event(
            who.id,
            id=id,
            name=name or programme.name,
            kind=EventKind.PROGRAMME_INTAKE,
            venue=venue,
            opens_at=opens_at,
            closes_at=closes_at,
            region_code=region_code,
            capacity=capacity,
            programme_id=programme.id,
            actor=actor,
        )

    def admission_check(self, admission: Admission) -> ProgrammeError | None:
        """At a programme intake: eligible holders are admitted and enrolled, others refused.

        The enrolment is written in the admission's transaction, so it exists
        exactly when the check-in does; a preview writes neither.
        """
        tx = admission.tx
        event = admission.event
        programme = tx.programmes.get(event.programme_id or "")
        if programme is None:
            return ProgrammeError("not_found", programme_id=(event.programme_id or "")[:64])
        if programme.owner_id != event.organiser_id:
            # An intake some other organiser scheduled naming this programme enrols no one.
            return ProgrammeError("not_operator", programme_id=programme.id)
        day = self._today(admission.now, event.region_code)
        if tx.programmes.enrolment(programme.id, admission.account.id) is not None:
            return ProgrammeError("already_enrolled", programme_id=programme.id)
        eligibility = evaluate(programme, self.facts(tx, admission.account, day), day)
        if not eligibility.eligible:
            return eligibility.refusal()
        if not admission.preview:
            try:
                tx.programmes.add_enrolment(
                    ProgrammeEnrolment(
                        programme_id=programme.id,
                        account_id=admission.account.id,
                        enrolled_at=admission.now,
                        exclusion_group=programme.exclusion_group,
                        event_id=event.id,
                    )
                )
            except ProgrammeEnrolmentConflict:
                # Admitted at another desk of the programme a moment ago (a race the
                # read above could not see): refused as enrolled, nothing written here.
                return ProgrammeError("already_enrolled", programme_id=programme.id)
        return None
