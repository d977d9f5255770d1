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
from typing import TYPE_CHECKING

from siapkerja_core import regions
from siapkerja_core.errors import ConfigurationError, SiapkerjaError, UnknownAdapter
from siapkerja_core.nik import (
    InvalidNik,
    Nik,
    NikWarning,
    compose_nik,
    is_valid_nik,
    normalize_nik,
    parse_nik,
)

if TYPE_CHECKING:
    from siapkerja_core.cards import CardError, CardQr, CheckInReceipt, SyncReport
    from siapkerja_core.completeness import Completeness, ProfileIncomplete, completeness
    from siapkerja_core.contact import (
        InvalidEmail,
        InvalidPhone,
        mask_email,
        mask_phone,
        normalize_email,
        normalize_phone,
    )
    from siapkerja_core.converter import merge_profile, structure_profile, unstructure
    from siapkerja_core.disclosure import SCOPES, Audience, DisclosureError, ProfileView, Verifier
    from siapkerja_core.events import AdapterBuilt, DomainEvent
    from siapkerja_core.hookspecs import hookimpl
    from siapkerja_core.journey import (
        AlreadyRegistered,
        LoginError,
        OtpError,
        RegistrationError,
        ResetError,
    )
    from siapkerja_core.model import (
        Account,
        OtpState,
        PasswordResetRequest,
        Registration,
        RegistrationStatus,
        Session,
    )
    from siapkerja_core.names import name_similarity, normalize_name
    from siapkerja_core.passwords import PasswordHasher, PasswordPolicy, WeakPassword
    from siapkerja_core.plugins import ADAPTER_KINDS, AdapterRegistration, PluginHost
    from siapkerja_core.policy import JourneyPolicy
    from siapkerja_core.ports import (
        MessageSender,
        PopulationRegistry,
        RegistryUnavailable,
        SentMessage,
        SmsDeliveryError,
        Storage,
    )
    from siapkerja_core.profile import (
        Profile,
        ProfileError,
        ProfileWarning,
        Section,
        Stakeholder,
        Visibility,
        check_against_nik,
    )
    from siapkerja_core.render.card import Card
    from siapkerja_core.service import Siapkerja
    from siapkerja_core.settings import Settings, resolve_settings
    from siapkerja_core.siapkerja_id import (
        InvalidSiapkerjaId,
        SiapkerjaId,
        is_valid_siapkerja_id,
        parse_siapkerja_id,
    )
    from siapkerja_core.station import CheckIn, OfflineStation
    from siapkerja_core.tokens import Keyring, TokenError

_LAZY: dict[str, str] = {
    "Card": "siapkerja_core.render.card",
    **dict.fromkeys(
        ("CardError", "CardQr", "CheckInReceipt", "SyncReport"), "siapkerja_core.cards"
    ),
    **dict.fromkeys(
        ("Completeness", "ProfileIncomplete", "completeness"), "siapkerja_core.completeness"
    ),
    **dict.fromkeys(
        ("merge_profile", "structure_profile", "unstructure"), "siapkerja_core.converter"
    ),
    **dict.fromkeys(
        ("SCOPES", "Audience", "DisclosureError", "ProfileView", "Verifier"),
        "siapkerja_core.disclosure",
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
    **dict.fromkeys(
        ("InvalidSiapkerjaId", "SiapkerjaId", "is_valid_siapkerja_id", "parse_siapkerja_id"),
        "siapkerja_core.siapkerja_id",
    ),
    **dict.fromkeys(("CheckIn", "OfflineStation"), "siapkerja_core.station"),
    **dict.fromkeys(("Keyring", "TokenError"), "siapkerja_core.tokens"),
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
    **dict.fromkeys(("AdapterBuilt", "DomainEvent"), "siapkerja_core.events"),
    "hookimpl": "siapkerja_core.hookspecs",
    **dict.fromkeys(
        ("AlreadyRegistered", "LoginError", "OtpError", "RegistrationError", "ResetError"),
        "siapkerja_core.journey",
    ),
    **dict.fromkeys(
        (
            "Account",
            "OtpState",
            "PasswordResetRequest",
            "Registration",
            "RegistrationStatus",
            "Session",
        ),
        "siapkerja_core.model",
    ),
    **dict.fromkeys(("name_similarity", "normalize_name"), "siapkerja_core.names"),
    **dict.fromkeys(
        ("PasswordHasher", "PasswordPolicy", "WeakPassword"), "siapkerja_core.passwords"
    ),
    **dict.fromkeys(
        ("ADAPTER_KINDS", "AdapterRegistration", "PluginHost"), "siapkerja_core.plugins"
    ),
    "JourneyPolicy": "siapkerja_core.policy",
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
    "Siapkerja": "siapkerja_core.service",
    **dict.fromkeys(("Settings", "resolve_settings"), "siapkerja_core.settings"),
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


__all__ = [
    "ADAPTER_KINDS",
    "SCOPES",
    "Account",
    "AdapterBuilt",
    "AdapterRegistration",
    "AlreadyRegistered",
    "Audience",
    "Card",
    "CardError",
    "CardQr",
    "CheckIn",
    "CheckInReceipt",
    "Completeness",
    "ConfigurationError",
    "DisclosureError",
    "DomainEvent",
    "InvalidEmail",
    "InvalidNik",
    "InvalidPhone",
    "InvalidSiapkerjaId",
    "JourneyPolicy",
    "Keyring",
    "LoginError",
    "MessageSender",
    "Nik",
    "NikWarning",
    "OfflineStation",
    "OtpError",
    "OtpState",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordResetRequest",
    "PluginHost",
    "PopulationRegistry",
    "Profile",
    "ProfileError",
    "ProfileIncomplete",
    "ProfileView",
    "ProfileWarning",
    "Registration",
    "RegistrationError",
    "RegistrationStatus",
    "RegistryUnavailable",
    "ResetError",
    "Section",
    "SentMessage",
    "Session",
    "Settings",
    "Siapkerja",
    "SiapkerjaError",
    "SiapkerjaId",
    "SmsDeliveryError",
    "Stakeholder",
    "Storage",
    "SyncReport",
    "TokenError",
    "UnknownAdapter",
    "Verifier",
    "Visibility",
    "WeakPassword",
    "check_against_nik",
    "completeness",
    "compose_nik",
    "hookimpl",
    "is_valid_nik",
    "is_valid_siapkerja_id",
    "mask_email",
    "mask_phone",
    "merge_profile",
    "name_similarity",
    "normalize_email",
    "normalize_name",
    "normalize_nik",
    "normalize_phone",
    "parse_nik",
    "parse_siapkerja_id",
    "regions",
    "resolve_settings",
    "structure_profile",
    "unstructure",
]
