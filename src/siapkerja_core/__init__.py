"""siapkerja_core — the pure domain of the SIAPkerja-ID journey.

No I/O, no framework, no database driver: everything outside is a port
(:mod:`siapkerja_core.ports`) filled by adapters from ``siapkerja_adapters``.
This module only re-exports the public names.

The NIK parser and the errors load eagerly; the rest loads on first access
(PEP 562), so ``import siapkerja_core`` stays cheap for a script that only
checks NIKs — the journey pulls in argon2, phonenumbers and pluggy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Final

# Loaded eagerly (cheap, and a script that only checks NIKs needs nothing else);
# their names resolve through _LAZY like the others.
from siapkerja_core import errors, nik, regions  # noqa: F401

# The public names. This block tells type checkers what they are; _LAZY says
# where each loads from at run time, and ``__all__`` is derived from it
# (tests/unit/test_public_api.py checks that the two lists agree).
if TYPE_CHECKING:
    from siapkerja_core.completeness import (
        Completeness as Completeness,
    )
    from siapkerja_core.completeness import (
        ProfileIncomplete as ProfileIncomplete,
    )
    from siapkerja_core.completeness import (
        completeness as completeness,
    )
    from siapkerja_core.contact import (
        InvalidEmail as InvalidEmail,
    )
    from siapkerja_core.contact import (
        InvalidPhone as InvalidPhone,
    )
    from siapkerja_core.contact import (
        mask_email as mask_email,
    )
    from siapkerja_core.contact import (
        mask_phone as mask_phone,
    )
    from siapkerja_core.contact import (
        normalize_email as normalize_email,
    )
    from siapkerja_core.contact import (
        normalize_phone as normalize_phone,
    )
    from siapkerja_core.converter import (
        merge_profile as merge_profile,
    )
    from siapkerja_core.converter import (
        structure_profile as structure_profile,
    )
    from siapkerja_core.converter import (
        unstructure as unstructure,
    )
    from siapkerja_core.disclosure import (
        SCOPES as SCOPES,
    )
    from siapkerja_core.disclosure import (
        Audience as Audience,
    )
    from siapkerja_core.disclosure import (
        DisclosureError as DisclosureError,
    )
    from siapkerja_core.disclosure import (
        ProfileView as ProfileView,
    )
    from siapkerja_core.disclosure import (
        Verifier as Verifier,
    )
    from siapkerja_core.errors import (
        AlreadyRegistered as AlreadyRegistered,
    )
    from siapkerja_core.errors import (
        CardError as CardError,
    )
    from siapkerja_core.errors import (
        ConfigurationError as ConfigurationError,
    )
    from siapkerja_core.errors import (
        LoginError as LoginError,
    )
    from siapkerja_core.errors import (
        OtpError as OtpError,
    )
    from siapkerja_core.errors import (
        RegistrationError as RegistrationError,
    )
    from siapkerja_core.errors import (
        ResetError as ResetError,
    )
    from siapkerja_core.errors import (
        SiapkerjaError as SiapkerjaError,
    )
    from siapkerja_core.errors import (
        UnknownAdapter as UnknownAdapter,
    )
    from siapkerja_core.events import (
        AdapterBuilt as AdapterBuilt,
    )
    from siapkerja_core.events import (
        DomainEvent as DomainEvent,
    )
    from siapkerja_core.hookspecs import hookimpl as hookimpl
    from siapkerja_core.limits import Client as Client
    from siapkerja_core.limits import JourneyPolicy as JourneyPolicy
    from siapkerja_core.names import (
        name_similarity as name_similarity,
    )
    from siapkerja_core.names import (
        normalize_name as normalize_name,
    )
    from siapkerja_core.nik import (
        InvalidNik as InvalidNik,
    )
    from siapkerja_core.nik import (
        Nik as Nik,
    )
    from siapkerja_core.nik import (
        NikWarning as NikWarning,
    )
    from siapkerja_core.nik import (
        compose_nik as compose_nik,
    )
    from siapkerja_core.nik import (
        is_valid_nik as is_valid_nik,
    )
    from siapkerja_core.nik import (
        normalize_nik as normalize_nik,
    )
    from siapkerja_core.nik import (
        parse_nik as parse_nik,
    )
    from siapkerja_core.passwords import (
        PasswordHasher as PasswordHasher,
    )
    from siapkerja_core.passwords import (
        PasswordPolicy as PasswordPolicy,
    )
    from siapkerja_core.passwords import (
        WeakPassword as WeakPassword,
    )
    from siapkerja_core.plugins import (
        ADAPTER_KINDS as ADAPTER_KINDS,
    )
    from siapkerja_core.plugins import (
        AdapterRegistration as AdapterRegistration,
    )
    from siapkerja_core.plugins import (
        PluginHost as PluginHost,
    )
    from siapkerja_core.ports import (
        MessageSender as MessageSender,
    )
    from siapkerja_core.ports import (
        PopulationRegistry as PopulationRegistry,
    )
    from siapkerja_core.ports import (
        RegistryUnavailable as RegistryUnavailable,
    )
    from siapkerja_core.ports import (
        SentMessage as SentMessage,
    )
    from siapkerja_core.ports import (
        SmsDeliveryError as SmsDeliveryError,
    )
    from siapkerja_core.ports import (
        Storage as Storage,
    )
    from siapkerja_core.profile import (
        Profile as Profile,
    )
    from siapkerja_core.profile import (
        ProfileError as ProfileError,
    )
    from siapkerja_core.profile import (
        ProfileWarning as ProfileWarning,
    )
    from siapkerja_core.profile import (
        Section as Section,
    )
    from siapkerja_core.profile import (
        Stakeholder as Stakeholder,
    )
    from siapkerja_core.profile import (
        Visibility as Visibility,
    )
    from siapkerja_core.profile import (
        check_against_nik as check_against_nik,
    )
    from siapkerja_core.records import RegistrationStatus as RegistrationStatus
    from siapkerja_core.render.card import Card as Card
    from siapkerja_core.service import Siapkerja as Siapkerja
    from siapkerja_core.services.scanning import (
        CardQr as CardQr,
    )
    from siapkerja_core.services.scanning import (
        CheckInReceipt as CheckInReceipt,
    )
    from siapkerja_core.services.scanning import (
        SyncReport as SyncReport,
    )
    from siapkerja_core.settings import (
        Settings as Settings,
    )
    from siapkerja_core.settings import (
        resolve_settings as resolve_settings,
    )
    from siapkerja_core.siapkerja_id import (
        InvalidSiapkerjaId as InvalidSiapkerjaId,
    )
    from siapkerja_core.siapkerja_id import (
        SiapkerjaId as SiapkerjaId,
    )
    from siapkerja_core.siapkerja_id import (
        is_valid_siapkerja_id as is_valid_siapkerja_id,
    )
    from siapkerja_core.siapkerja_id import (
        parse_siapkerja_id as parse_siapkerja_id,
    )
    from siapkerja_core.station import (
        CheckIn as CheckIn,
    )
    from siapkerja_core.station import (
        OfflineStation as OfflineStation,
    )
    from siapkerja_core.tokens import (
        Keyring as Keyring,
    )
    from siapkerja_core.tokens import (
        TokenError as TokenError,
    )
    from siapkerja_core.views import (
        Account as Account,
    )
    from siapkerja_core.views import (
        OtpState as OtpState,
    )
    from siapkerja_core.views import (
        PasswordResetRequest as PasswordResetRequest,
    )
    from siapkerja_core.views import (
        Registration as Registration,
    )
    from siapkerja_core.views import (
        Session as Session,
    )

_LAZY: Final[dict[str, str]] = {
    "regions": "siapkerja_core",  # the submodule itself, imported above
    **dict.fromkeys(
        ("ConfigurationError", "SiapkerjaError", "UnknownAdapter"), "siapkerja_core.errors"
    ),
    **dict.fromkeys(
        (
            "InvalidNik",
            "Nik",
            "NikWarning",
            "compose_nik",
            "is_valid_nik",
            "normalize_nik",
            "parse_nik",
        ),
        "siapkerja_core.nik",
    ),
    **dict.fromkeys(("Card",), "siapkerja_core.render.card"),
    **dict.fromkeys(
        (
            "AlreadyRegistered",
            "CardError",
            "LoginError",
            "OtpError",
            "RegistrationError",
            "ResetError",
        ),
        "siapkerja_core.errors",
    ),
    **dict.fromkeys(("CardQr", "CheckInReceipt", "SyncReport"), "siapkerja_core.services.scanning"),
    **dict.fromkeys(
        ("Completeness", "ProfileIncomplete", "completeness"), "siapkerja_core.completeness"
    ),
    **dict.fromkeys(
        (
            "InvalidEmail",
            "InvalidPhone",
            "mask_email",
            "mask_phone",
            "normalize_email",
            "normalize_phone",
        ),
        "siapkerja_core.contact",
    ),
    **dict.fromkeys(
        ("merge_profile", "structure_profile", "unstructure"), "siapkerja_core.converter"
    ),
    **dict.fromkeys(
        ("SCOPES", "Audience", "DisclosureError", "ProfileView", "Verifier"),
        "siapkerja_core.disclosure",
    ),
    **dict.fromkeys(("AdapterBuilt", "DomainEvent"), "siapkerja_core.events"),
    **dict.fromkeys(("hookimpl",), "siapkerja_core.hookspecs"),
    **dict.fromkeys(
        ("Account", "OtpState", "PasswordResetRequest", "Registration", "Session"),
        "siapkerja_core.views",
    ),
    **dict.fromkeys(("RegistrationStatus",), "siapkerja_core.records"),
    **dict.fromkeys(("name_similarity", "normalize_name"), "siapkerja_core.names"),
    **dict.fromkeys(
        ("PasswordHasher", "PasswordPolicy", "WeakPassword"), "siapkerja_core.passwords"
    ),
    **dict.fromkeys(
        ("ADAPTER_KINDS", "AdapterRegistration", "PluginHost"), "siapkerja_core.plugins"
    ),
    **dict.fromkeys(("Client", "JourneyPolicy"), "siapkerja_core.limits"),
    **dict.fromkeys(
        (
            "MessageSender",
            "PopulationRegistry",
            "RegistryUnavailable",
            "SentMessage",
            "SmsDeliveryError",
            "Storage",
        ),
        "siapkerja_core.ports",
    ),
    **dict.fromkeys(
        (
            "Profile",
            "ProfileError",
            "ProfileWarning",
            "Section",
            "Stakeholder",
            "Visibility",
            "check_against_nik",
        ),
        "siapkerja_core.profile",
    ),
    **dict.fromkeys(("Siapkerja",), "siapkerja_core.service"),
    **dict.fromkeys(("Settings", "resolve_settings"), "siapkerja_core.settings"),
    **dict.fromkeys(
        ("InvalidSiapkerjaId", "SiapkerjaId", "is_valid_siapkerja_id", "parse_siapkerja_id"),
        "siapkerja_core.siapkerja_id",
    ),
    **dict.fromkeys(("CheckIn", "OfflineStation"), "siapkerja_core.station"),
    **dict.fromkeys(("Keyring", "TokenError"), "siapkerja_core.tokens"),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'siapkerja_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later accesses skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = sorted(_LAZY)
