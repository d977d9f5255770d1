"""The AK/I use cases: the holder applies and reports, a Disnaker officer legalises.

Use 1 of the brief's nine: SIAPkerja-ID replaces the *kartu kuning*. The
holder applies online from their session (the office defaults to the
kabupaten/kota of their domicile address) and makes the six-monthly reports
there; an **officer** — a verifier with the ``disnaker`` scope appointed to
one kabupaten/kota (:meth:`AkiServices.appoint_officer`) — lists the
applications of that office and legalises them from data already verified
(the NIK and name against Dukcapil at registration, the complete profile the
card was issued from): nobody stands in a queue. The officer then records a
placement or removes the registration. An officer of another office is
refused, and every officer action is a line in the holder's access ledger
naming the office (UU 27/2022 Pasal 32).

The rules of one registration live on :class:`~siapkerja_core.aki.AkiRegistration`;
this module reads and writes them in units of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from attrs import frozen

from siapkerja_core.aki import (
    AkiError,
    AkiNumber,
    AkiOfficer,
    AkiRegistration,
    AkiReport,
    AkiStatus,
    AkiStepTaken,
    aki_status_data,
    clean_text,
    default_office_name,
    local_today,
    new_aki_number,
    office_region,
    parse_aki_number,
    reports_due,
)
from siapkerja_core.converter import unstructure
from siapkerja_core.disclosure import SCOPES, Audience, ProfileView, Verifier, build_view
from siapkerja_core.errors import CardError
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.ports import AkiConflict, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccessRecord, AccountRecord
from siapkerja_core.render.aki import AkiDocument
from siapkerja_core.render.card import Card
from siapkerja_core.services.context import ServiceContext
from siapkerja_core.services.institutions import acting, announce
from siapkerja_core.services.profiles import Profiles

__all__ = ["APPLICATIONS_LIMIT", "OFFICER_SCOPE", "AkiApplication", "AkiServices"]

OFFICER_SCOPE = "disnaker"
"""The verifier scope of a Disnaker officer."""
# What the printed AK/I shows (Permenaker 39/2016's fields).
_DOCUMENT_FIELDS = (
    "aki",
    "nik",
    "full_name",
    "birth",
    "sex",
    "marital_status",
    "religion",
    "domicile_address",
    "education",
    "skills",
    "photo",
)
APPLICATIONS_LIMIT = 1000
"""The most registrations one listing returns."""
# The stored statuses that may be each asked-for status today (None: the active ones).
_STORED_AS: dict[AkiStatus | None, frozenset[AkiStatus]] = {
    None: frozenset({AkiStatus.APPLIED, AkiStatus.LEGALISED}),
    AkiStatus.APPLIED: frozenset({AkiStatus.APPLIED}),
    AkiStatus.LEGALISED: frozenset({AkiStatus.LEGALISED}),
    AkiStatus.PLACED: frozenset({AkiStatus.PLACED}),
    AkiStatus.REMOVED: frozenset({AkiStatus.REMOVED}),
    AkiStatus.EXPIRED: frozenset({AkiStatus.LEGALISED, AkiStatus.EXPIRED}),
}
_NUMBER_DRAWS = 8  # 10**7 serials per office and year: a clash is rare, eight in a row never


@frozen(kw_only=True)
class AkiApplication:
    """What an officer sees of one registration: the record and the holder's profile view.

    ``view`` is the ``disnaker`` scope's view of the profile (the NIK, biodata,
    address, education, skills …), the data the officer legalises from.
    """

    registration: AkiRegistration
    view: ProfileView


class AkiServices:
    """Apply, report, legalise, place, remove; the document; the status a scan shows.

    :param ctx: the shared service context.
    :param profiles: finds the active account and its profile.
    :param card_of: the holder's current card (its link QR goes on the document).
    """

    def __init__(
        self, ctx: ServiceContext, *, profiles: Profiles, card_of: Callable[[str], Card]
    ) -> None:
        self.ctx = ctx
        self.profiles = profiles
        self._card_of = card_of

    def today(self) -> date:
        """Today in WIB, from the injected clock."""
        return local_today(self.ctx.clock())

    # --- the holder ------------------------------------------------------------------------

    def apply(self, account_id: str, *, office_code: str | None = None) -> AkiRegistration:
        """Apply for an AK/I at ``office_code`` (default: the domicile's kabupaten/kota).

        The office's name is the region's Dinas until an officer legalises the
        application, then the name the officer's office was appointed under:
        the holder chooses the office, never what the document calls it.
        The account needs its SIAPkerja-ID card (issued from a complete
        profile): the officer legalises from that profile, and the document's
        QR opens that card. A registration past its two years is closed first.

        :raises CardError: ``card.no_account``, ``card.no_card``, ``card.revoked``.
        :raises AkiError: ``office_required``, ``office_unknown``,
            ``already_registered`` (with the active ``number``), ``exhausted``.
        """
        now = self.ctx.clock()
        today = local_today(now)
        with self.ctx.storage.transaction() as tx:
            account = self.profiles.account(tx, account_id)
            card = tx.cards.get(account.id)
            if card is None:
                raise CardError("no_card")
            if not card.active:
                raise CardError("revoked")
            profile = self.profiles.profile_of(tx, account)
            region = office_region(office_code if office_code is not None else _domicile(profile))
            current = tx.aki.active_for(account.id)
            if current is not None:
                if current.status_at(today) is not AkiStatus.EXPIRED:
                    raise AkiError("already_registered", number=current.number)
                tx.aki.put(current.expired(today, now=now))
            record = AkiRegistration(
                id=self.ctx.new_id(),
                account_id=account.id,
                number=str(self._free_number(tx, region.code, today.year)),
                office_code=region.code,
                office_name=default_office_name(region),
                status=AkiStatus.APPLIED,
                applied_at=now,
                updated_at=now,
            )
            try:
                tx.aki.add(record)
            except AkiConflict as conflict:
                if conflict.field == "account":
                    won = tx.aki.active_for(account.id)
                    raise AkiError(
                        "already_registered", number=won.number if won else "-"
                    ) from None
                raise AkiError("exhausted") from None
        return self._announce(record, "applied")

    def _announce(
        self, record: AkiRegistration, step: str, verifier: Verifier | None = None
    ) -> AkiRegistration:
        """Broadcast the step (after its transaction committed); returns ``record``."""
        self.ctx.emit(
            AkiStepTaken(
                occurred_at=self.ctx.clock(),
                account_id=record.account_id,
                registration_id=record.id,
                number=record.number,
                office_code=record.office_code,
                step=step,
                status=record.status.value,
                verifier_id=None if verifier is None else verifier.id,
            )
        )
        return record

    def _free_number(self, tx: Transaction, office_code: str, year: int) -> AkiNumber:
        for _ in range(_NUMBER_DRAWS):
            number = new_aki_number(office_code, year, self.ctx.entropy.randbelow)
            if tx.aki.by_number(str(number)) is None:
                return number
        raise AkiError("exhausted")

    def registration(self, account_id: str) -> AkiRegistration:
        """The holder's current registration: the active one, else the latest.

        :raises AkiError: ``not_found`` (never applied).
        """
        with self.ctx.storage.transaction() as tx:
            return self._current(tx, self.profiles.account(tx, account_id))

    def _current(self, tx: Transaction, account: AccountRecord) -> AkiRegistration:
        found = tx.aki.active_for(account.id)
        if found is None:
            history = tx.aki.for_account(account.id)
            if not history:
                raise AkiError("not_found")
            found = history[-1]
        return found

    def history(self, account_id: str) -> list[AkiRegistration]:
        """Every registration of the holder, oldest first."""
        with self.ctx.storage.transaction() as tx:
            return tx.aki.for_account(self.profiles.account(tx, account_id).id)

    def reports_due(self, account_id: str) -> tuple[AkiReport, ...]:
        """The reports the holder should make today (at most one)."""
        return reports_due(self.registration(account_id), self.today())

    def report(self, account_id: str) -> AkiReport:
        """Make the six-monthly report whose window holds today; returns the filled box.

        :raises AkiError: ``not_found``, ``transition``, ``report_too_early``,
            ``report_late``, ``report_done``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self.profiles.account(tx, account_id)
            # The active one; else the latest, whose closed status reported() names.
            current = tx.aki.active_for(account.id) or self._current(tx, account)
            record, box = current.reported(local_today(now), now=now)
            tx.aki.put(record)
        self._announce(record, "reported")
        return box

    def withdraw(self, account_id: str) -> AkiRegistration:
        """The holder takes their registration off the register (reason ``by_request``)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            account = self.profiles.account(tx, account_id)
            current = self._current(tx, account)
            record = current.removed(local_today(now), reason="by_request", now=now)
            tx.aki.put(record)
        return self._announce(record, "withdrawn")

    def status_data(self, account_id: str) -> dict[str, object]:
        """The AK/I status as JSON-ready data (``{"status": "none"}`` without one)."""
        with self.ctx.storage.transaction() as tx:
            account = self.profiles.account(tx, account_id)
            try:
                current: AkiRegistration | None = self._current(tx, account)
            except AkiError:
                current = None
        return aki_status_data(current, self.today())

    def with_status(self, view: ProfileView) -> ProfileView:
        """``view`` with the AK/I status filled in, when its audience may see it."""
        if view.aki is not None or "aki" not in view.disclosed:
            return view
        with self.ctx.storage.transaction() as tx:
            card = tx.cards.by_number(view.siapkerja_id)
            current = None
            if card is not None:
                current = tx.aki.active_for(card.account_id)
                if current is None:
                    history = tx.aki.for_account(card.account_id)
                    current = history[-1] if history else None
        return view.with_aki(aki_status_data(current, self.today()))

    # --- officers --------------------------------------------------------------------------

    def appoint_officer(
        self,
        verifier_id: str,
        office_code: str,
        office_name: str | None = None,
        *,
        actor: str | None = None,
    ) -> AkiOfficer:
        """Appoint a ``disnaker`` verifier to the Disnaker of ``office_code`` (an administrator).

        The audit names ``actor`` (default ``library``).

        :raises AkiError: ``not_officer`` (unknown, inactive, or without the
            ``disnaker`` scope), ``office_unknown``, ``invalid_text``.
        """
        region = office_region(office_code)
        name = clean_text(office_name, "office_name", optional=True)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            verifier = tx.verifiers.get(verifier_id)
            if verifier is None or not verifier.active or OFFICER_SCOPE not in verifier.scopes:
                raise AkiError("not_officer")
            officer = AkiOfficer(
                verifier_id=verifier.id,
                office_code=region.code,
                office_name=name or default_office_name(region),
                appointed_at=now,
            )
            tx.aki.put_officer(officer)
            audit = self.ctx.record_admin_action(
                tx,
                actor=acting(actor),
                action="aki.appoint_officer",
                target_kind="verifier",
                target_id=verifier.id,
                details={"office_code": officer.office_code},
            )
        announce(self.ctx, audit)
        return officer

    def officer(self, verifier: Verifier) -> AkiOfficer:
        """The office ``verifier`` works for. :raises AkiError: ``not_officer``."""
        with self.ctx.storage.transaction() as tx:
            return self._officer(tx, verifier)

    def _officer(self, tx: Transaction, verifier: Verifier) -> AkiOfficer:
        registered = tx.verifiers.get(verifier.id)
        if registered is None or not registered.active or OFFICER_SCOPE not in registered.scopes:
            raise AkiError("not_officer")
        officer = tx.aki.officer(registered.id)
        if officer is None:
            raise AkiError("not_officer")
        return officer

    def _find(self, tx: Transaction, reference: str) -> AkiRegistration | None:
        try:
            number = parse_aki_number(reference)
        except AkiError:
            return tx.aki.get(reference) if isinstance(reference, str) else None
        return tx.aki.by_number(str(number))

    def _of_office(
        self, tx: Transaction, verifier: Verifier, reference: str
    ) -> tuple[AkiOfficer, AkiRegistration]:
        officer = self._officer(tx, verifier)
        record = self._find(tx, reference)
        if record is None:
            raise AkiError("not_found")
        if record.office_code != officer.office_code:
            raise AkiError("wrong_office", office=f"{record.office_code} {record.office_name}")
        return officer, record

    def _audit(
        self,
        tx: Transaction,
        actor: str | None,
        verifier: Verifier,
        record: AkiRegistration,
        action: str,
    ) -> AuditRecord:
        # The registration's id, office and status only: its number, like the
        # holder's name and NIK, identifies the person.
        return self.ctx.record_admin_action(
            tx,
            actor=acting(actor, verifier),
            action=f"aki.{action}",
            target_kind="aki_registration",
            target_id=record.id,
            details={"office_code": record.office_code, "status": record.status.value},
        )

    def _log(
        self,
        tx: Transaction,
        verifier: Verifier,
        officer: AkiOfficer,
        record: AkiRegistration,
        action: str,
        fields: tuple[str, ...],
    ) -> None:
        tx.access_log.append(
            AccessRecord(
                id=self.ctx.new_id(),
                account_id=record.account_id,
                at=self.ctx.clock(),
                audience=Audience.VERIFIER.value,
                fields=fields,
                channel="aki",
                purpose=f"aki {action}: {officer.office_name} ({officer.office_code})",
                verifier_id=verifier.id,
                verifier_name=verifier.name,
            )
        )

    def applications(
        self, verifier: Verifier, *, status: str | None = None, limit: int = APPLICATIONS_LIMIT
    ) -> list[AkiRegistration]:
        """The registrations of the officer's office, oldest application first: the active
        ones (applied and legalised), or those in ``status``; at most ``limit``
        (1 to :data:`APPLICATIONS_LIMIT`).

        Each holder listed gets a ledger line (the officer saw their name and number).

        :raises AkiError: ``not_officer``, ``unknown_status``.
        """
        today = self.today()
        wanted = None if status is None else _status(status)
        limit = max(1, min(int(limit), APPLICATIONS_LIMIT))
        with self.ctx.storage.transaction() as tx:
            officer = self._officer(tx, verifier)
            rows = tx.aki.for_office(officer.office_code, statuses=_STORED_AS[wanted], limit=limit)
            if wanted is not None:  # legalised ones past their two years are expired
                rows = [r for r in rows if r.status_at(today) is wanted]
            for row in rows:
                self._log(tx, verifier, officer, row, "list", ("aki", "full_name"))
        return rows

    def application(self, verifier: Verifier, reference: str) -> AkiApplication:
        """One registration of the officer's office (by id or number) with the holder's
        profile as the ``disnaker`` scope sees it; logged in the holder's ledger.

        :raises AkiError: ``not_officer``, ``not_found``, ``wrong_office``.
        """
        with self.ctx.storage.transaction() as tx:
            officer, record = self._of_office(tx, verifier, reference)
            view = self._view(tx, verifier, record)
            self._log(tx, verifier, officer, record, "view", view.disclosed)
        return AkiApplication(registration=record, view=view)

    def _view(self, tx: Transaction, verifier: Verifier, record: AkiRegistration) -> ProfileView:
        account = tx.accounts.get(record.account_id)
        if account is None:
            raise AkiError("not_found")
        profile = self.profiles.profile_of(tx, account)
        card = tx.cards.get(account.id)
        view = build_view(
            profile=profile,
            nik=account.nik,
            siapkerja_id="-" if card is None else card.number,
            card_active=card is not None and card.active,
            audience=Audience.VERIFIER,
            allowed=SCOPES[OFFICER_SCOPE],
            purpose="aki",
            verifier=verifier.name,
            profile_data=unstructure(profile),
        )
        return view.with_aki(aki_status_data(record, self.today()))

    def legalise(
        self,
        verifier: Verifier,
        reference: str,
        *,
        officer_name: str | None = None,
        actor: str | None = None,
    ) -> AkiRegistration:
        """Legalise an application of the officer's office: its two years start today.

        ``officer_name`` is the *pengantar kerja* printed on the document (default:
        the verifier's name).

        :raises AkiError: ``not_officer``, ``not_found``, ``wrong_office``, ``transition``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            officer, record = self._of_office(tx, verifier, reference)
            record = record.legalised(
                local_today(now),
                officer_id=verifier.id,
                officer_name=officer_name if officer_name is not None else verifier.name,
                office_name=officer.office_name,
                now=now,
            )
            tx.aki.put(record)
            self._log(tx, verifier, officer, record, "legalise", ("aki", "nik", "full_name"))
            audit = self._audit(tx, actor, verifier, record, "legalise")
        announce(self.ctx, audit)
        return self._announce(record, "legalised", verifier)

    def place(
        self,
        verifier: Verifier,
        reference: str,
        *,
        employer: str,
        position: str | None = None,
        placed_on: date | None = None,
        actor: str | None = None,
    ) -> AkiRegistration:
        """Record that the holder was placed with ``employer``: the registration closes.

        :raises AkiError: ``not_officer``, ``not_found``, ``wrong_office``,
            ``transition``, ``invalid_text``, ``placement_date``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            officer, record = self._of_office(tx, verifier, reference)
            record = record.placed(
                local_today(now), employer=employer, position=position, placed_on=placed_on, now=now
            )
            tx.aki.put(record)
            self._log(tx, verifier, officer, record, "place", ("aki",))
            audit = self._audit(tx, actor, verifier, record, "place")
        announce(self.ctx, audit)
        return self._announce(record, "placed", verifier)

    def remove(
        self,
        verifier: Verifier,
        reference: str,
        *,
        reason: str,
        note: str | None = None,
        actor: str | None = None,
    ) -> AkiRegistration:
        """Take a registration of the officer's office off the register for ``reason``.

        :raises AkiError: ``not_officer``, ``not_found``, ``wrong_office``,
            ``transition``, ``unknown_reason``, ``invalid_text``.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            officer, record = self._of_office(tx, verifier, reference)
            record = record.removed(local_today(now), reason=reason, note=note, now=now)
            tx.aki.put(record)
            self._log(tx, verifier, officer, record, "remove", ("aki",))
            audit = self._audit(tx, actor, verifier, record, "remove")
        announce(self.ctx, audit)
        return self._announce(record, "removed", verifier)

    # --- the document ----------------------------------------------------------------------

    def document(self, account_id: str) -> AkiDocument:
        """The holder's AK/I document (render it with ``to_svg()`` or ``to_pdf()``).

        :raises AkiError: ``not_found``. :raises CardError: ``no_card``, ``revoked``.
        """
        with self.ctx.storage.transaction() as tx:
            account = self.profiles.account(tx, account_id)
            record = self._current(tx, account)
            profile = self.profiles.profile_of(tx, account)
        return self._document(record, profile, account)

    def document_for(self, verifier: Verifier, reference: str) -> AkiDocument:
        """The document of a registration of the officer's office, printed at the Disnaker.

        Logged in the holder's ledger as ``print`` (the officer saw the whole card).

        :raises AkiError: ``not_officer``, ``not_found``, ``wrong_office``.
        """
        with self.ctx.storage.transaction() as tx:
            officer, record = self._of_office(tx, verifier, reference)
            account = tx.accounts.get(record.account_id)
            if account is None:
                raise AkiError("not_found")
            profile = self.profiles.profile_of(tx, account)
            self._log(tx, verifier, officer, record, "print", _DOCUMENT_FIELDS)
        return self._document(record, profile, account)

    def _document(
        self, record: AkiRegistration, profile: Profile, account: AccountRecord
    ) -> AkiDocument:
        card = self._card_of(account.id)
        return AkiDocument.build(
            registration=record,
            profile=profile,
            nik=account.nik,
            siapkerja_id=card.siapkerja_id,
            qr_text=card.qr_text,
            today=self.today(),
        )


def _domicile(profile: Profile) -> str:
    address = profile.domicile_address or profile.ktp_address
    if address is None:
        raise AkiError("office_required")
    return address.village_code[:4]


def _status(value: str) -> AkiStatus:
    try:
        return AkiStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in AkiStatus)
        raise AkiError("unknown_status", status=str(value)[:20], known=known) from None
