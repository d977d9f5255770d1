"""The service layer: the use cases behind the facade, one module per family.

Each family is a small class over a shared
:class:`~siapkerja_core.services.context.ServiceContext` (storage, clock,
randomness, events, pepper, limits, hasher); the rules of one record live on
the record (:mod:`siapkerja_core.records`), not in the service.

* :mod:`~siapkerja_core.services.registration` — steps 1 and 2, imports
* :mod:`~siapkerja_core.services.otp` — codes: send, resend, confirm (step 3)
* :mod:`~siapkerja_core.services.outbox` — the durable outbox (SMS and e-mail) and its dispatcher
* :mod:`~siapkerja_core.services.contacts` — phone, e-mail and second contact changes;
  recovery with the second contact (``svc.contacts``)
* :mod:`~siapkerja_core.services.notices` — notices of sensitive changes into the outbox
* :mod:`~siapkerja_core.services.sign_in` — login, sessions, password reset
* :mod:`~siapkerja_core.services.profiles` — profile, completeness, warnings
* :mod:`~siapkerja_core.services.issuance` — issue (one or in bulk), rotate, revoke
* :mod:`~siapkerja_core.services.keys` — the signing keyring
* :mod:`~siapkerja_core.services.scanning` — QR codes, scans, check-ins, station sync
* :mod:`~siapkerja_core.services.consent` — verifiers, consent, the access ledger
* :mod:`~siapkerja_core.services.institutions` — the register of institutions, the audit
* :mod:`~siapkerja_core.services.prefill` — consent requests and prefill documents (``svc.prefill``)
* :mod:`~siapkerja_core.services.status_list` — status-list indexes, suspension, the published list

:class:`JourneyServices` and :class:`CardServices` wire each half together;
the facade (:class:`siapkerja_core.Siapkerja`) builds them on first use.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from siapkerja_core.converter import profile_view_data
from siapkerja_core.disclosure import ProfileView
from siapkerja_core.ports import Counters, EmailSender, MessageSender, PopulationRegistry
from siapkerja_core.render.qr import QrCache
from siapkerja_core.services.consent import Consent
from siapkerja_core.services.context import CardState, Entropy, ServiceContext
from siapkerja_core.services.issuance import ISSUE_BATCH_SIZE, BulkIssueReport, Issuance
from siapkerja_core.services.keys import Keys
from siapkerja_core.services.otp import OtpCodes, OtpService
from siapkerja_core.services.outbox import DispatchReport, OutboxPolicy, SmsOutbox
from siapkerja_core.services.profiles import Profiles
from siapkerja_core.services.registration import NO_PASSWORD, Registrations
from siapkerja_core.services.scanning import (
    CardOverview,
    CardQr,
    CheckInReceipt,
    Scanning,
    SyncReport,
)
from siapkerja_core.services.sign_in import SignIn
from siapkerja_core.tokens import DEFAULT_PERIOD, Keyring

__all__ = [
    "ISSUE_BATCH_SIZE",
    "NO_PASSWORD",
    "BulkIssueReport",
    "CardOverview",
    "CardQr",
    "CardServices",
    "CardState",
    "CheckInReceipt",
    "Consent",
    "DispatchReport",
    "Entropy",
    "Issuance",
    "JourneyServices",
    "Keys",
    "OtpCodes",
    "OtpService",
    "OutboxPolicy",
    "Profiles",
    "Registrations",
    "Scanning",
    "ServiceContext",
    "SignIn",
    "SmsOutbox",
    "SyncReport",
]


@frozen
class JourneyServices:
    """The registration journey's services, wired together over one context."""

    context: ServiceContext
    codes: OtpCodes
    registrations: Registrations
    otp: OtpService
    sign_in: SignIn
    outbox: SmsOutbox

    @classmethod
    def build(
        cls,
        ctx: ServiceContext,
        *,
        counters: Counters,
        sms: MessageSender,
        registry: PopulationRegistry,
        service_name: str = "SIAPkerja Kemnaker",
        outbox_policy: OutboxPolicy | None = None,
        email: EmailSender | None = None,
    ) -> JourneyServices:
        outbox = SmsOutbox(ctx, sms=sms, policy=outbox_policy, email=email)
        codes = OtpCodes(ctx, counters=counters, outbox=outbox, service_name=service_name)
        registrations = Registrations(ctx, codes=codes, counters=counters, registry=registry)
        return cls(
            ctx,
            codes,
            registrations,
            OtpService(ctx, codes=codes, registrations=registrations),
            SignIn(ctx, codes=codes, counters=counters),
            outbox,
        )


@frozen
class CardServices:
    """The card's services (profiles, issuance, keys, scanning, consent) over one context."""

    context: ServiceContext
    state: CardState
    profiles: Profiles
    keys: Keys
    issuance: Issuance
    scanning: Scanning
    consent: Consent

    @classmethod
    def build(
        cls, ctx: ServiceContext, *, base_url: str, access_period: int = DEFAULT_PERIOD
    ) -> CardServices:
        state = CardState(ctx, base_url=base_url, access_period=access_period)
        profiles = Profiles(ctx, state)
        keys = Keys(ctx, state)
        return cls(
            ctx,
            state,
            profiles,
            keys,
            Issuance(ctx, state, profiles=profiles, keys=keys),
            Scanning(ctx, state, profiles=profiles, keys=keys),
            Consent(ctx, profiles=profiles),
        )

    @property
    def base_url(self) -> str:
        """Link QR codes are ``base_url + token``."""
        return self.state.base_url

    @property
    def access_period(self) -> int:
        """Seconds each access code lives before the next."""
        return self.state.access_period

    @property
    def qr_cache(self) -> QrCache:
        return self.state.qr_cache

    def keyring(self) -> Keyring:
        """The signing keyring (see :meth:`Keys.keyring`)."""
        return self.keys.keyring()

    @staticmethod
    def public_profile_data(view: ProfileView) -> dict[str, Any]:
        """A view as JSON-ready data (see :func:`siapkerja_core.converter.profile_view_data`)."""
        return profile_view_data(view)
