"""Ports: the protocols the core needs from the outside world.

This package owns the contracts adapters implement (``typing.Protocol``
classes), the values that cross them and the errors they may raise: the
message sender (SMS), the population registry (Dukcapil), storage (a unit of
work over repositories) and counters (rate limits). Every adapter of a port
is checked by the same contract suite in ``tests/contract``.

Modules: :mod:`~siapkerja_core.ports.messaging` (SMS),
:mod:`~siapkerja_core.ports.registry` (Dukcapil),
:mod:`~siapkerja_core.ports.repositories` and :mod:`~siapkerja_core.ports.storage`
(the unit of work), :mod:`~siapkerja_core.ports.status_list` (the card status
list's state), :mod:`~siapkerja_core.ports.counters`; every name is
importable from ``siapkerja_core.ports``.
"""

from siapkerja_core.ports.aki import AkiConflict, AkiRepository
from siapkerja_core.ports.audit import AuditRepository
from siapkerja_core.ports.consent_requests import ConsentRequestRepository
from siapkerja_core.ports.contacts import SecondContactRepository
from siapkerja_core.ports.counters import (
    Counters,
    Hit,
    UnitCounters,
    UnitSlots,
    counters_within,
    hit_all,
    hit_each,
    shares_units,
    slots_in,
)
from siapkerja_core.ports.disputes import CaseRepository, FaceMatch, FaceMatcher
from siapkerja_core.ports.factors import FactorRepository
from siapkerja_core.ports.gates import GateConflict, GateRepository
from siapkerja_core.ports.mail import EmailDeliveryError, EmailSender, SentEmail
from siapkerja_core.ports.messaging import (
    MessageSender,
    SentMessage,
    SmsDeliveryError,
)
from siapkerja_core.ports.registry import (
    FieldMatch,
    PopulationRegistry,
    RegistryUnavailable,
    VerificationRequest,
    VerificationResult,
)
from siapkerja_core.ports.repositories import (
    AccessLogRepository,
    AccountConflict,
    AccountRepository,
    CardConflict,
    CardRepository,
    ChallengeRepository,
    CheckInConflict,
    CheckInRepository,
    ConsentRepository,
    KeyringRepository,
    OutboxRepository,
    ProfileRepository,
    RegistrationRepository,
    ResetRepository,
    SessionRepository,
    StorageError,
    VerifierRepository,
)
from siapkerja_core.ports.rights import RightsRepository
from siapkerja_core.ports.sso import SsoClientRepository, SsoTokenRepository
from siapkerja_core.ports.status_list import StatusListRepository, StatusListState
from siapkerja_core.ports.storage import (
    CardHolder,
    ChangeStamp,
    ScanLedger,
    ScanSubject,
    Storage,
    Transaction,
)
from siapkerja_core.ports.training import (
    ClassConflict,
    ClassRepository,
    ProgrammeEnrolmentConflict,
    ProgrammeRepository,
)

__all__ = [
    "AccessLogRepository",
    "AccountConflict",
    "AccountRepository",
    "AkiConflict",
    "AkiRepository",
    "AuditRepository",
    "CardConflict",
    "CardHolder",
    "CardRepository",
    "CaseRepository",
    "ChallengeRepository",
    "ChangeStamp",
    "CheckInConflict",
    "CheckInRepository",
    "ClassConflict",
    "ClassRepository",
    "ConsentRepository",
    "ConsentRequestRepository",
    "Counters",
    "EmailDeliveryError",
    "EmailSender",
    "FaceMatch",
    "FaceMatcher",
    "FactorRepository",
    "FieldMatch",
    "GateConflict",
    "GateRepository",
    "Hit",
    "KeyringRepository",
    "MessageSender",
    "OutboxRepository",
    "PopulationRegistry",
    "ProfileRepository",
    "ProgrammeEnrolmentConflict",
    "ProgrammeRepository",
    "RegistrationRepository",
    "RegistryUnavailable",
    "ResetRepository",
    "RightsRepository",
    "ScanLedger",
    "ScanSubject",
    "SecondContactRepository",
    "SentEmail",
    "SentMessage",
    "SessionRepository",
    "SmsDeliveryError",
    "SsoClientRepository",
    "SsoTokenRepository",
    "StatusListRepository",
    "StatusListState",
    "Storage",
    "StorageError",
    "Transaction",
    "UnitCounters",
    "UnitSlots",
    "VerificationRequest",
    "VerificationResult",
    "VerifierRepository",
    "counters_within",
    "hit_all",
    "hit_each",
    "shares_units",
    "slots_in",
]
