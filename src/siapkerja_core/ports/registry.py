"""The population registry port (Dukcapil): a verification request, its result, the outage."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

import attrs

from siapkerja_core.errors import SiapkerjaError

if TYPE_CHECKING:
    pass

__all__ = [
    "FieldMatch",
    "PopulationRegistry",
    "RegistryUnavailable",
    "VerificationRequest",
    "VerificationResult",
]


@attrs.frozen(kw_only=True)
class VerificationRequest:
    """What the core asks the registry to verify.

    Names arrive already normalised by :func:`siapkerja_core.names.normalize_name`
    (upper case, titles removed) — Dukcapil scores fuzzy matches, and stray
    titles ("H.", "S.Kom.") only lower the score. ``threshold`` (1–100) is the
    similarity the caller requires, passed on as Dukcapil's ``TRESHOLD``.
    """

    nik: str
    full_name: str = attrs.field(repr=False)
    mother_name: str = attrs.field(repr=False)
    threshold: int


@attrs.frozen
class FieldMatch:
    """One field's verdict: ``matched`` ("Sesuai") and, for fuzzy fields, the score 0–100."""

    matched: bool
    score: int | None = None


@attrs.frozen(kw_only=True)
class VerificationResult:
    """The registry's answer, one verdict per field and never the stored values.

    ``status`` is ``"found"`` (the per-field verdicts apply), ``"not_found"``
    (no such NIK, or Dukcapil's "invalid" answers) or ``"inactive"`` (the data
    exist but the resident's status is inactive — Dukcapil response code 14).
    ``quota_remaining`` is Dukcapil's ``quotaLimiter`` when the registry
    reports it.
    """

    status: Literal["found", "not_found", "inactive"]
    nik: FieldMatch
    full_name: FieldMatch
    mother_name: FieldMatch
    quota_remaining: int | None = None


class RegistryUnavailable(SiapkerjaError):
    """The population registry could not answer; nothing was decided, try again later."""

    domain = "dukcapil"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unavailable",
        }
    )


@runtime_checkable
class PopulationRegistry(Protocol):
    """Verifies a person against the population register (the ``dukcapil`` port).

    Contract: ``verify`` never reveals a stored value, only per-field verdicts;
    it raises :class:`RegistryUnavailable` when it cannot answer (timeouts,
    5xx, malformed replies, quota exhausted), never a transport exception.
    """

    def verify(self, request: VerificationRequest) -> VerificationResult:
        """Check NIK, full name and mother's maiden name.

        :param request: the values to verify and the required similarity.
        :return: the per-field verdicts.
        :raises RegistryUnavailable: ``dukcapil.unavailable``.
        """
        ...
