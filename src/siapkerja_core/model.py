"""The older home of the journey's records and views, kept importable.

Records now live in :mod:`siapkerja_core.records` (with their rules) and the
facade's views in :mod:`siapkerja_core.views`; this module re-exports both.
"""

from siapkerja_core.records import (
    AccessRecord,
    AccountRecord,
    CardRecord,
    ConsentRecord,
    OtpChallenge,
    OtpPurpose,
    PasswordResetRecord,
    RegistrationRecord,
    RegistrationStatus,
    SessionRecord,
    new_access_record,
)
from siapkerja_core.views import (
    Account,
    OtpState,
    PasswordResetRequest,
    Registration,
    Session,
    mask_nik,
)

__all__ = [
    "AccessRecord",
    "Account",
    "AccountRecord",
    "CardRecord",
    "ConsentRecord",
    "OtpChallenge",
    "OtpPurpose",
    "OtpState",
    "PasswordResetRecord",
    "PasswordResetRequest",
    "Registration",
    "RegistrationRecord",
    "RegistrationStatus",
    "Session",
    "SessionRecord",
    "mask_nik",
    "new_access_record",
]
