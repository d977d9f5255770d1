"""The registration journey's errors, under the path the documentation uses.

The journey itself — the Dukcapil check, contacts, SMS codes, accounts,
sign-in and recovery — is the service layer now:
:mod:`siapkerja_core.services.registration`, :mod:`~siapkerja_core.services.otp`
and :mod:`~siapkerja_core.services.sign_in`, whose module docstrings record
each security decision with its reason. The errors live in
:mod:`siapkerja_core.errors` and the events in :mod:`siapkerja_core.events`;
this module re-exports the errors so ``from siapkerja_core.journey import
OtpError`` keeps working.
"""

from siapkerja_core.errors import (
    AlreadyRegistered,
    LoginError,
    OtpError,
    RegistrationError,
    ResetError,
)

__all__ = ["AlreadyRegistered", "LoginError", "OtpError", "RegistrationError", "ResetError"]
