"""Institutions (verifiers) as an administrator runs them, and the audit of every action.

:class:`Institutions` is ``svc.verifiers``: register an institution with
its scopes, kind, region and contact (its API key is shown once and stored
only as an HMAC); list and read them; suspend, resume, re-key and retire
them; read what one asked for (its activity, from the access ledger); read
the audit. Each administrative action writes its
:class:`~siapkerja_core.institutions.AuditRecord` in the same transaction
as the change (:meth:`ServiceContext.record_admin_action`), so the audit
never misses an action nor records one that did not happen.

Who may administer is decided by the caller's credential: an institution
holding the ``admin`` scope (:meth:`Institutions.administrator`), created
from the command line only.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Final, TypeVar

import attrs

from siapkerja_core.disclosure import DisclosureError, Verifier
from siapkerja_core.events import AccessGranted, AdminActionRecorded
from siapkerja_core.i18n import text
from siapkerja_core.institutions import (
    LIBRARY_ACTOR,
    AuditRecord,
    InstitutionError,
    VerifierKind,
    VerifierStatus,
    check_actor,
    check_contact,
    check_institution_name,
    check_reason,
    check_region_code,
)
from siapkerja_core.ports import Transaction
from siapkerja_core.records import AccessRecord
from siapkerja_core.services.context import ServiceContext

__all__ = ["MAX_LIMIT", "Institutions", "acting", "announce", "usable_verifier"]

MAX_LIMIT: Final = 1000
"""The most records one read of the activity or the audit returns."""
_TARGET: Final = "verifier"
_MAX_ID: Final = 200
_E = TypeVar("_E", VerifierStatus, VerifierKind)


def usable_verifier(found: Verifier | None) -> Verifier:
    """``found`` if its key may be used now.

    :raises DisclosureError: ``unknown_verifier`` (none, or retired: its key is
        dead for good), ``verifier_suspended`` (refused until an administrator
        resumes it).
    """
    if found is None or found.status is VerifierStatus.RETIRED:
        raise DisclosureError("unknown_verifier")
    if found.status is VerifierStatus.SUSPENDED:
        raise DisclosureError("verifier_suspended")
    return found


def announce(ctx: ServiceContext, record: AuditRecord) -> None:
    """Tell the plug-ins an administrative action was committed (call it after the commit)."""
    ctx.emit(
        AdminActionRecorded(
            occurred_at=record.at,
            audit_id=record.id,
            actor=record.actor,
            action=record.action,
            target_kind=record.target_kind,
            target_id=record.target_id,
        )
    )


def acting(actor: str | None, institution: Verifier | None = None) -> str:
    """Who acted, as the audit names it.

    ``actor`` when given (the command line's ``cli:<user>``), else the
    institution whose credential made the call (``verifier:<id>``), else
    :data:`~siapkerja_core.institutions.LIBRARY_ACTOR`.

    :raises InstitutionError: ``invalid_actor``.
    """
    if actor is not None:
        return check_actor(actor)
    return LIBRARY_ACTOR if institution is None else f"verifier:{institution.id}"


def _limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InstitutionError("invalid_audit", field="limit")
    return min(limit, MAX_LIMIT)


def _since(since: datetime | None) -> datetime | None:
    if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
        raise InstitutionError("invalid_audit", field="since")
    return since


class Institutions:
    """``svc.verifiers``: the register of institutions and its audit.

    :param ctx: the shared service context.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # --- keys ---------------------------------------------------------------------------

    def _key_hash(self, api_key: str) -> str:
        return self.ctx.mac("verifier", api_key)

    def _new_key(self) -> tuple[str, str]:
        api_key = "skv_" + self.ctx.entropy.token_bytes(24).hex()
        return api_key, self._key_hash(api_key)

    def by_key(self, api_key: str) -> Verifier:
        """The verifier holding ``api_key``, if its key may be used now.

        :raises DisclosureError: ``unknown_verifier`` (no such key, a replaced
            key, a retired verifier), ``verifier_suspended``.
        """
        if not isinstance(api_key, str) or not api_key or len(api_key) > _MAX_ID:
            raise DisclosureError("unknown_verifier")
        with self.ctx.storage.transaction() as tx:
            return usable_verifier(tx.verifiers.by_key(self._key_hash(api_key)))

    def administrator(self, api_key: str) -> Verifier:
        """The active verifier holding ``api_key``, if it holds the ``admin`` scope.

        :raises DisclosureError: as :meth:`by_key`.
        :raises InstitutionError: ``admin_required`` (a valid key without the scope).
        """
        verifier = self.by_key(api_key)
        if not verifier.is_admin:
            raise InstitutionError("admin_required")
        return verifier

    # --- the register -------------------------------------------------------------------

    def add(
        self,
        name: str,
        scopes: Iterable[str],
        *,
        kind: VerifierKind | str = VerifierKind.OTHER,
        region_code: str | None = None,
        contact: str | None = None,
        actor: str = LIBRARY_ACTOR,
    ) -> tuple[Verifier, str]:
        """Register an institution; returns it and its API key (shown once, stored hashed).

        >>> # svc.verifiers.add("Disnaker Kota Bandung", ["disnaker"], kind="disnaker",
        >>> #                   region_code="3273", actor="cli:admin")

        :raises DisclosureError: ``unknown_scope``.
        :raises InstitutionError: ``invalid_name``, ``invalid_kind``,
            ``invalid_region`` (unknown, or split or renamed since), ``invalid_contact``,
            ``invalid_actor``.
        """
        actor = check_actor(actor)
        verifier = Verifier(
            id=self.ctx.new_id(),
            name=check_institution_name(name),
            scopes=frozenset(scopes) if not isinstance(scopes, str) else frozenset({scopes}),
            created_at=self.ctx.clock(),
            kind=kind,
            region_code=None
            if region_code is None
            else check_region_code(region_code, current=True),
            contact=None if contact is None else check_contact(contact),
        )
        api_key, key_hash = self._new_key()
        with self.ctx.storage.transaction() as tx:
            tx.verifiers.add(verifier, key_hash)
            record = self.ctx.record_admin_action(
                tx,
                actor=actor,
                action="verifier.add",
                target_kind=_TARGET,
                target_id=verifier.id,
                details={
                    "name": verifier.name,
                    "kind": verifier.kind.value,
                    "scopes": sorted(verifier.scopes),
                    "region_code": verifier.region_code,
                    "contact": verifier.contact,
                },
            )
        self.ctx.emit(
            AccessGranted(
                occurred_at=verifier.created_at,
                verifier_id=verifier.id,
                scopes=tuple(sorted(verifier.scopes)),
            )
        )
        announce(self.ctx, record)
        return verifier, api_key

    def get(self, verifier_id: str) -> Verifier:
        """The verifier with this id, whatever its status.

        :raises InstitutionError: ``unknown``.
        """
        with self.ctx.storage.transaction() as tx:
            return self._get(tx, verifier_id)

    @staticmethod
    def _get(tx: Transaction, verifier_id: str) -> Verifier:
        if not isinstance(verifier_id, str) or not 0 < len(verifier_id) <= _MAX_ID:
            raise InstitutionError("unknown", id=str(verifier_id)[:40])
        found = tx.verifiers.get(verifier_id)
        if found is None:
            raise InstitutionError("unknown", id=verifier_id[:40])
        return found

    def list(
        self,
        *,
        status: VerifierStatus | str | None = None,
        kind: VerifierKind | str | None = None,
        scope: str | None = None,
    ) -> builtins.list[Verifier]:
        """Every verifier matching the filters given, oldest first.

        :raises InstitutionError: ``invalid_status``, ``invalid_kind``.
        """
        wanted_status = None if status is None else _member(VerifierStatus, status, "status")
        wanted_kind = None if kind is None else _member(VerifierKind, kind, "kind")
        with self.ctx.storage.transaction() as tx:
            found = tx.verifiers.list()
        return [
            v
            for v in found
            if (wanted_status is None or v.status is wanted_status)
            and (wanted_kind is None or v.kind is wanted_kind)
            and (scope is None or scope in v.scopes)
        ]

    # --- administrative actions ---------------------------------------------------------

    def _change(
        self,
        verifier_id: str,
        *,
        actor: str,
        action: str,
        allowed_from: frozenset[VerifierStatus],
        status: VerifierStatus | None,
        reason: str | None,
        rekey: bool = False,
    ) -> tuple[Verifier, str | None]:
        actor = check_actor(actor)
        now = self.ctx.clock()
        api_key: str | None = None
        with self.ctx.storage.transaction() as tx:
            current = self._get(tx, verifier_id)
            if current.status not in allowed_from:
                raise InstitutionError(
                    "wrong_status",
                    id=current.id,
                    status=current.status.value,
                    action=action,
                    # Each message names its own words, never "verifier.suspend" / "retired".
                    **{
                        f"status_{lang}": text(f"institution.status.{current.status.value}", lang)
                        for lang in ("id", "en")
                    },
                    **{
                        f"action_{lang}": text(f"institution.action.{action}", lang)
                        for lang in ("id", "en")
                    },
                )
            changed = current if status is None else attrs.evolve(current, status=status)
            if rekey:
                api_key, key_hash = self._new_key()
                changed = attrs.evolve(changed, key_rotated_at=now)
                tx.verifiers.rekey(current.id, key_hash)
            elif status is VerifierStatus.RETIRED:
                # No key hashes to this: the retired key is dead even if the
                # status check were ever skipped.
                tx.verifiers.rekey(current.id, "retired:" + self.ctx.new_id())
            tx.verifiers.put(changed)
            record = self.ctx.record_admin_action(
                tx,
                actor=actor,
                action=action,
                target_kind=_TARGET,
                target_id=current.id,
                reason=reason,
                details={"from": current.status.value, "to": changed.status.value},
            )
        announce(self.ctx, record)
        return changed, api_key

    def suspend(self, verifier_id: str, *, reason: str, actor: str = LIBRARY_ACTOR) -> Verifier:
        """Refuse the verifier's key until it is resumed; ``reason`` is recorded.

        :raises InstitutionError: ``unknown``, ``wrong_status`` (not active),
            ``invalid_reason``, ``invalid_actor``.
        """
        checked = check_reason(reason, required=True)
        changed, _ = self._change(
            verifier_id,
            actor=actor,
            action="verifier.suspend",
            allowed_from=frozenset({VerifierStatus.ACTIVE}),
            status=VerifierStatus.SUSPENDED,
            reason=checked,
        )
        return changed

    def resume(
        self, verifier_id: str, *, actor: str = LIBRARY_ACTOR, reason: str | None = None
    ) -> Verifier:
        """Accept a suspended verifier's key again.

        :raises InstitutionError: ``unknown``, ``wrong_status`` (not suspended).
        """
        changed, _ = self._change(
            verifier_id,
            actor=actor,
            action="verifier.resume",
            allowed_from=frozenset({VerifierStatus.SUSPENDED}),
            status=VerifierStatus.ACTIVE,
            reason=check_reason(reason, required=False),
        )
        return changed

    def rotate_key(
        self, verifier_id: str, *, actor: str = LIBRARY_ACTOR, reason: str | None = None
    ) -> str:
        """A new API key for the verifier (shown once); the old key stops working at once.

        A suspended verifier may be re-keyed (after a leak, before resuming it).

        :raises InstitutionError: ``unknown``, ``wrong_status`` (retired).
        """
        _, api_key = self._change(
            verifier_id,
            actor=actor,
            action="verifier.rotate_key",
            allowed_from=frozenset({VerifierStatus.ACTIVE, VerifierStatus.SUSPENDED}),
            status=None,
            reason=check_reason(reason, required=False),
            rekey=True,
        )
        assert api_key is not None
        return api_key

    def retire(self, verifier_id: str, *, reason: str, actor: str = LIBRARY_ACTOR) -> Verifier:
        """Retire the verifier for good: its key is dead; its consents and activity stay.

        :raises InstitutionError: ``unknown``, ``wrong_status`` (already retired),
            ``invalid_reason``.
        """
        checked = check_reason(reason, required=True)
        changed, _ = self._change(
            verifier_id,
            actor=actor,
            action="verifier.retire",
            allowed_from=frozenset({VerifierStatus.ACTIVE, VerifierStatus.SUSPENDED}),
            status=VerifierStatus.RETIRED,
            reason=checked,
        )
        return changed

    # --- reading what happened ----------------------------------------------------------

    def activity(
        self, verifier_id: str, *, since: datetime | None = None, limit: int = 100
    ) -> builtins.list[AccessRecord]:
        """Which holders' data the institution asked for, and what: newest first.

        Each entry has the time, the holder's account id, the fields shown,
        the purpose and the channel: for the institution's own audit and the
        ministry's oversight.

        :raises InstitutionError: ``unknown``, ``invalid_audit`` (a bad ``since`` or ``limit``).
        """
        since, limit = _since(since), _limit(limit)
        with self.ctx.storage.transaction() as tx:
            found = self._get(tx, verifier_id)
            return tx.access_log.for_verifier(found.id, since=since, limit=limit)

    def audit(
        self,
        *,
        target: str | None = None,
        target_kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditRecord]:
        """The audit of administrative actions, newest first, filtered by what is given.

        :raises InstitutionError: ``invalid_audit`` (a bad ``since`` or ``limit``).
        """
        since, limit = _since(since), _limit(limit)
        with self.ctx.storage.transaction() as tx:
            return tx.audit.list(
                target=target, target_kind=target_kind, actor=actor, since=since, limit=limit
            )


def _member(enum: type[_E], value: str, name: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        code = "invalid_status" if name == "status" else "invalid_kind"
        raise InstitutionError(code, **{name: str(value)[:40], "known": ", ".join(enum)}) from None
