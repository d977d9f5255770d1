"""Disputes over a NIK and identity re-proofing: the case record, its evidence, its events.

A *case* is either a **dispute** (someone whose NIK is held by another
account claims it for a new account of their own) or a **re-proofing** (a
holder who lost both phone and e-mail proves who they are again and ends
with new contacts). Both rest on the same evidence machinery: a fresh
Dukcapil match of NIK, name and mother's name, then a face match through
the registry (where a partner has one) or an officer's in-person check at a
Disnaker. ``docs/disputes.md`` tells the whole flow and its deadlines.

The mother's maiden name is a Dukcapil match input only: it is never stored
here and never a recovery secret (anyone who knows it could pass a
knowledge check; research/hubs-and-rights.md, "Recovery and disputes
elsewhere").

This module owns the records (:class:`CaseRecord`, :class:`Evidence`), the
error (:class:`DisputeError`, domain ``dispute``), the events
(``dispute.opened`` …, ``account.recovered``) and the plain-data shape
storage adapters keep (:func:`case_to_data`, :func:`case_from_data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent

__all__ = [
    "DECIDABLE",
    "DEFAULT_DECISION_WINDOW",
    "DEFAULT_EVIDENCE_WINDOW",
    "DEFAULT_HOLDER_WINDOW",
    "MAX_NOTE_LENGTH",
    "OPEN",
    "AccountFrozen",
    "AccountRecovered",
    "CaseKind",
    "CaseRecord",
    "CaseStatus",
    "CaseView",
    "DisputeAnswered",
    "DisputeDecided",
    "DisputeError",
    "DisputeOpened",
    "Evidence",
    "EvidenceKind",
    "HolderAnswer",
    "Party",
    "case_from_data",
    "case_to_data",
]

DEFAULT_HOLDER_WINDOW: Final = timedelta(days=7)
"""How long the current holder has to answer a dispute (see ``docs/disputes.md``)."""
DEFAULT_DECISION_WINDOW: Final = timedelta(days=3)
"""How long an officer has to decide once a dispute is decidable: 3×24 hours, the
yardstick UU 27/2022 sets for a controller's answers to a data subject."""
DEFAULT_EVIDENCE_WINDOW: Final = timedelta(days=30)
"""How long a re-proofing waits for its face match or officer's check."""
MAX_NOTE_LENGTH: Final = 500
"""The longest note, reason, office or document list an officer or holder may give."""


class DisputeError(SiapkerjaError):
    """A dispute or re-proofing step cannot go on."""

    domain = "dispute"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "not_found",
            "no_account",
            "already_open",
            "wrong_step",
            "expired",
            "secret_required",
            "evidence_required",
            "face_unavailable",
            "face_attempts",
            "invalid_answer",
            "invalid_officer",
            "invalid_note",
            "invalid_image",
            "phone_taken",
            "email_taken",
        }
    )


class CaseKind(StrEnum):
    DISPUTE = "dispute"
    """A claim to a NIK another account holds."""
    REPROOFING = "reproofing"
    """A holder without phone and e-mail proving who they are again."""


class CaseStatus(StrEnum):
    PENDING_OTP = "pending_otp"
    """The new phone's code is awaited (the case is not open yet)."""
    AWAITING_HOLDER = "awaiting_holder"
    """Dispute: the current holder was told and may answer until ``due_at``."""
    AWAITING_DECISION = "awaiting_decision"
    """Dispute: the holder answered; an officer decides until ``due_at``."""
    AWAITING_EVIDENCE = "awaiting_evidence"
    """Re-proofing: a face match or an officer's check is awaited until ``due_at``."""
    UPHELD = "upheld"
    """Dispute decided for the claimant: the old account is frozen, the NIK moved."""
    REJECTED = "rejected"
    """Dispute decided against the claimant: nothing changed."""
    RECOVERED = "recovered"
    """Re-proofing done: the account has the new contacts."""
    EXPIRED = "expired"
    """Never confirmed, or no evidence in time: closed without effect."""


OPEN: Final = frozenset(
    {CaseStatus.AWAITING_HOLDER, CaseStatus.AWAITING_DECISION, CaseStatus.AWAITING_EVIDENCE}
)
"""The statuses of a case that is open (confirmed and not closed)."""
DECIDABLE: Final = frozenset({CaseStatus.AWAITING_HOLDER, CaseStatus.AWAITING_DECISION})


class EvidenceKind(StrEnum):
    DUKCAPIL = "dukcapil"
    """A fresh match of NIK, full name and mother's name at Dukcapil."""
    FACE = "face"
    """A face match through the registry port (Dukcapil's face recognition, partners only)."""
    OFFICER = "officer"
    """An officer's in-person check at a Disnaker (documents seen)."""


class Party(StrEnum):
    CLAIMANT = "claimant"
    """Who opened the case (the claimant of a dispute, the holder re-proofing)."""
    HOLDER = "holder"
    """The current holder of a disputed account."""


class HolderAnswer(StrEnum):
    MINE = "mine"
    """"Ini akun saya": the holder still uses the account."""
    NOT_MINE = "not_mine"
    """"Saya tidak memakainya lagi": the holder lets it go."""


def _bounded(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and len(value) > MAX_NOTE_LENGTH:
        raise DisputeError("invalid_note", limit=MAX_NOTE_LENGTH)


@frozen(kw_only=True)
class Evidence:
    """One piece of evidence, time-stamped (``at``: when it was recorded).

    A face match keeps its score only, never the image; an officer's check
    keeps who checked, where, when and which documents were seen.
    """

    kind: EvidenceKind
    party: Party
    at: datetime
    passed: bool
    score: int | None = None
    officer_id: str | None = field(default=None, validator=_bounded)
    office: str | None = field(default=None, validator=_bounded)
    checked_at: datetime | None = None
    documents: tuple[str, ...] = ()
    note: str | None = field(default=None, validator=_bounded)

    @property
    def strong(self) -> bool:
        """A passed face match or officer's check: what a decision for a claimant needs."""
        return self.passed and self.kind in (EvidenceKind.FACE, EvidenceKind.OFFICER)


@frozen(kw_only=True)
class CaseRecord:
    """A dispute or a re-proofing, as storage keeps it.

    ``account_id`` is the account the case is about (the disputed account,
    or the account being recovered); ``phone``, ``email``, ``full_name`` and
    ``password_hash`` are what the case ends with (the claimant's new
    account, or the recovered account's new contacts). ``due_at`` is the
    deadline of the current step (``None`` once closed).
    """

    id: str
    kind: CaseKind
    status: CaseStatus
    nik: str = field(repr=False)
    account_id: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    full_name: str = field(repr=False)
    phone: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    evidence: tuple[Evidence, ...] = ()
    answer: HolderAnswer | None = None
    answered_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = field(default=None, repr=False)
    new_account_id: str | None = None
    face_attempts: int = 0

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def overdue(self, now: datetime) -> bool:
        """Open and past the deadline of its current step."""
        return self.open and self.due_at is not None and now >= self.due_at

    def status_at(self, now: datetime) -> CaseStatus:
        """The status as of ``now``: an unconfirmed case past its time is expired."""
        if self.status is CaseStatus.PENDING_OTP and self.due_at is not None and now >= self.due_at:
            return CaseStatus.EXPIRED
        return self.status

    def strong_evidence(self, party: Party = Party.CLAIMANT) -> bool:
        return any(e.strong and e.party is party for e in self.evidence)

    def with_evidence(self, evidence: Evidence) -> CaseRecord:
        return attrs.evolve(self, evidence=(*self.evidence, evidence), updated_at=evidence.at)


@frozen(kw_only=True)
class CaseView:
    """What a claimant (or the holder of a disputed account) sees of a case.

    Never the other party's contacts, answer or evidence: ``evidence`` holds
    the viewer's own. ``secret`` is set once, in the answer that opened it.
    """

    id: str
    kind: CaseKind
    status: CaseStatus
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    evidence: tuple[Evidence, ...]
    decided_at: datetime | None
    face_matching: bool
    face_attempts_left: int
    secret: str | None = field(default=None, repr=False)


# --- events --------------------------------------------------------------------------------


@frozen(kw_only=True)
class DisputeOpened(DomainEvent):
    """A claim was confirmed and the current holder told (``account_id``: the disputed one)."""

    name: ClassVar[str] = "dispute.opened"
    dispute_id: str
    account_id: str


@frozen(kw_only=True)
class DisputeAnswered(DomainEvent):
    """The current holder answered a dispute (``mine`` or ``not_mine``)."""

    name: ClassVar[str] = "dispute.answered"
    dispute_id: str
    account_id: str
    answer: str


@frozen(kw_only=True)
class DisputeDecided(DomainEvent):
    """An officer decided; ``outcome`` is ``upheld`` (for the claimant) or ``rejected``.

    ``new_account_id`` is the claimant's new account when the NIK moved.
    """

    name: ClassVar[str] = "dispute.decided"
    dispute_id: str
    account_id: str
    outcome: str
    new_account_id: str | None = None


@frozen(kw_only=True)
class AccountFrozen(DomainEvent):
    """An account was frozen (cannot sign in; cards revoked; sessions and SSO ended)."""

    name: ClassVar[str] = "account.frozen"
    account_id: str
    dispute_id: str


@frozen(kw_only=True)
class AccountRecovered(DomainEvent):
    """A holder re-proved their identity and the account has new contacts."""

    name: ClassVar[str] = "account.recovered"
    account_id: str
    dispute_id: str


# --- the stored shape --------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _evidence_data(e: Evidence) -> dict[str, Any]:
    return {
        "kind": e.kind.value,
        "party": e.party.value,
        "at": _time(e.at),
        "passed": e.passed,
        "score": e.score,
        "officer_id": e.officer_id,
        "office": e.office,
        "checked_at": _time(e.checked_at),
        "documents": list(e.documents),
        "note": e.note,
    }


def _evidence(data: Mapping[str, Any]) -> Evidence:
    at = _parse_time(data["at"])
    assert at is not None
    return Evidence(
        kind=EvidenceKind(data["kind"]),
        party=Party(data["party"]),
        at=at,
        passed=bool(data["passed"]),
        score=data.get("score"),
        officer_id=data.get("officer_id"),
        office=data.get("office"),
        checked_at=_parse_time(data.get("checked_at")),
        documents=tuple(data.get("documents") or ()),
        note=data.get("note"),
    )


def case_to_data(case: CaseRecord) -> dict[str, Any]:
    """The case as JSON-ready data (every field; storage encrypts it: it names a person)."""
    return {
        "id": case.id,
        "kind": case.kind.value,
        "status": case.status.value,
        "nik": case.nik,
        "account_id": case.account_id,
        "created_at": _time(case.created_at),
        "updated_at": _time(case.updated_at),
        "due_at": _time(case.due_at),
        "full_name": case.full_name,
        "phone": case.phone,
        "email": case.email,
        "password_hash": case.password_hash,
        "evidence": [_evidence_data(e) for e in case.evidence],
        "answer": None if case.answer is None else case.answer.value,
        "answered_at": _time(case.answered_at),
        "decided_at": _time(case.decided_at),
        "decided_by": case.decided_by,
        "reason": case.reason,
        "new_account_id": case.new_account_id,
        "face_attempts": case.face_attempts,
    }


def case_from_data(data: Mapping[str, Any]) -> CaseRecord:
    """The case :func:`case_to_data` wrote."""
    created_at = _parse_time(data["created_at"])
    updated_at = _parse_time(data["updated_at"])
    assert created_at is not None
    assert updated_at is not None
    answer = data.get("answer")
    return CaseRecord(
        id=data["id"],
        kind=CaseKind(data["kind"]),
        status=CaseStatus(data["status"]),
        nik=data["nik"],
        account_id=data["account_id"],
        created_at=created_at,
        updated_at=updated_at,
        due_at=_parse_time(data.get("due_at")),
        full_name=data["full_name"],
        phone=data["phone"],
        email=data.get("email"),
        password_hash=data.get("password_hash"),
        evidence=tuple(_evidence(e) for e in data.get("evidence") or ()),
        answer=None if answer is None else HolderAnswer(answer),
        answered_at=_parse_time(data.get("answered_at")),
        decided_at=_parse_time(data.get("decided_at")),
        decided_by=data.get("decided_by"),
        reason=data.get("reason"),
        new_account_id=data.get("new_account_id"),
        face_attempts=int(data.get("face_attempts") or 0),
    )
