"""The ports of disputes and re-proofing: the case repository and the face matcher.

:class:`CaseRepository` is ``tx.disputes`` (a dispute over a NIK, or an
identity re-proofing, :mod:`siapkerja_core.disputes`). :class:`FaceMatcher` is
an optional capability of a population-registry adapter: Dukcapil's face
recognition, open only to partner institutions under an agreement and paid
per check (research/hubs-and-rights.md). A registry without it leaves the
officer's in-person check as the only strong evidence.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from siapkerja_core.disputes import CaseKind, CaseRecord, CaseStatus

__all__ = ["CaseRepository", "FaceMatch", "FaceMatcher"]


class CaseRepository(Protocol):
    """Disputes and re-proofings (``tx.disputes``)."""

    def get(self, case_id: str) -> CaseRecord | None:
        """The case, locked for update in this transaction where the medium can lock."""
        ...

    def put(self, case: CaseRecord) -> None:
        """Add the case, or replace the stored one with the same id."""
        ...

    def for_account(self, account_id: str) -> builtins.list[CaseRecord]:
        """Every case about the account (any status), oldest first."""
        ...

    def list(
        self,
        *,
        status: CaseStatus | None = None,
        kind: CaseKind | None = None,
        due_before: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[CaseRecord]:
        """Cases matching every filter given, oldest first, at most ``limit``.

        ``due_before``: only cases whose ``due_at`` is set and at or before it.
        """
        ...


@attrs.frozen(kw_only=True)
class FaceMatch:
    """The registry's verdict on a face: ``status`` as in a verification, and a score 0–100."""

    status: Literal["found", "not_found", "inactive"]
    matched: bool
    score: int


@runtime_checkable
class FaceMatcher(Protocol):
    """Matches a photo against the population register's photo of a NIK.

    Contract: it keeps no image and returns no stored value, only a verdict;
    it raises :class:`~siapkerja_core.ports.RegistryUnavailable` when it
    cannot answer.
    """

    def match_face(self, nik: str, image: bytes) -> FaceMatch:
        """Compare ``image`` (a JPEG or PNG photo) with the register's photo of ``nik``."""
        ...
