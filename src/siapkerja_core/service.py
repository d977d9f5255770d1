"""The service facade: one object through which an application uses siapkerja.

This module owns :class:`Siapkerja`, which holds the resolved settings, the
plug-in host, the adapters built for each port and the clock. It performs no
I/O itself: ``siapkerja_adapters.connect()`` (the composition root) builds it
from settings, and tests may build it directly from fakes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urljoin

from siapkerja_core.completeness import Completeness
from siapkerja_core.disclosure import AKI_STATUS, ProfileView, Verifier
from siapkerja_core.errors import ConfigurationError, UnknownAdapter
from siapkerja_core.events import DomainEvent
from siapkerja_core.gates import EventKind
from siapkerja_core.limits import Client, JourneyPolicy
from siapkerja_core.notices import NOTICES
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.plugins import ADAPTER_KINDS, PluginHost
from siapkerja_core.ports import (
    ChangeStamp,
    Counters,
    EmailSender,
    MessageSender,
    PopulationRegistry,
    Storage,
)
from siapkerja_core.profile import Profile, ProfileWarning
from siapkerja_core.records import (
    AccessLedger,
    AccessLedgerPage,
    CardRecord,
    ConsentRecord,
    LedgerCursor,
)
from siapkerja_core.render.card import Card
from siapkerja_core.services import (
    ISSUE_BATCH_SIZE,
    BulkIssueReport,
    CardOverview,
    CardQr,
    CardServices,
    DispatchReport,
    Entropy,
    JourneyServices,
    ServiceContext,
    SmsOutbox,
)
from siapkerja_core.services.aki import AkiServices
from siapkerja_core.services.classes import Classes
from siapkerja_core.services.contacts import ContactChanges
from siapkerja_core.services.disputes import Disputes
from siapkerja_core.services.factors import Factors
from siapkerja_core.services.gates import GateReceipt, Gates, StationCredential
from siapkerja_core.services.history import History, HistoryOverview
from siapkerja_core.services.institutions import Institutions
from siapkerja_core.services.notices import NoticeWriter
from siapkerja_core.services.prefill import Prefill
from siapkerja_core.services.profiles import ProfileOverview
from siapkerja_core.services.programmes import Programmes
from siapkerja_core.services.rights import Rights
from siapkerja_core.services.sso import SingleSignOn
from siapkerja_core.services.status_list import DEFAULT_STATUS_LIST_MAX_AGE, StatusLists
from siapkerja_core.settings import Settings, check_secret
from siapkerja_core.tokens import DEFAULT_PERIOD, AccessClaims, Keyring, LinkClaims
from siapkerja_core.views import Account, PasswordResetRequest, Registration

__all__ = ["Siapkerja"]

logger = logging.getLogger("siapkerja")
_logger = logging.getLogger("siapkerja.notices")

# The protocol each port's adapter must satisfy; ports join as they are written.
_PORTS: Final[Mapping[str, type]] = MappingProxyType(
    {
        "sms": MessageSender,
        "storage": Storage,
        "dukcapil": PopulationRegistry,
        "ratelimit": Counters,
        "email": EmailSender,
    }
)
DEFAULT_CARD_BASE_URL: Final = "http://127.0.0.1:8000/v/"
"""Where link QR codes point unless ``card_base_url`` is set: the development server.
Production sets its public address (e.g. ``https://siapkerja.kemnaker.go.id/v/``)."""


def _system_clock() -> datetime:
    return datetime.now(UTC)


class Siapkerja:
    """The SIAPkerja-ID journey behind plain methods.

    It carries the plumbing — settings, plug-ins, adapters, clock and event
    broadcast — and delegates each use case to the service layer
    (:mod:`siapkerja_core.services`): the registration journey (``register``,
    ``submit_contact``, ``resend_otp``, ``change_phone``, ``change_email``, ``confirm_otp``,
    ``login``, recovery) and the card: profile (``update_profile``,
    ``completeness``), ``issue_card``, ``card_qr``, ``resolve`` (disclosure by
    audience, logged), ``check_in``, consent and the access ledger.
    ``svc.journey`` and ``svc.cards`` are the two wired halves of that layer.

    :param settings: the resolved settings.
    :param plugins: the plug-in host that built the adapters and receives events.
    :param adapters: the adapter built for each port, keyed by kind
        (``{"sms": ConsoleSender(...)}``); a port may be absent.
    :param clock: returns the current aware time; defaults to the system clock in UTC.
    :raises ConfigurationError: ``config.adapter_type`` when an adapter does not
        implement its port.
    :raises UnknownAdapter: ``plugin.unknown_kind`` for a key outside the adapter kinds.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        plugins: PluginHost,
        adapters: Mapping[str, object],
        clock: Callable[[], datetime] | None = None,
        policy: JourneyPolicy | None = None,
        hasher: PasswordHasher | None = None,
        entropy: Entropy | None = None,
    ) -> None:
        for kind, adapter in adapters.items():
            if kind not in ADAPTER_KINDS:
                raise UnknownAdapter("unknown_kind", kind=kind, known=", ".join(ADAPTER_KINDS))
            port = _PORTS.get(kind)
            # Checked here rather than at first use so that connect() fails, not a journey.
            if port is not None and not isinstance(adapter, port):
                raise ConfigurationError(
                    "adapter_type", kind=kind, name=settings.adapter_name(kind), port=port.__name__
                )
        self._settings = settings
        self._plugins = plugins
        self._adapters: Mapping[str, object] = MappingProxyType(dict(adapters))
        self._clock = clock or _system_clock
        self.policy = policy or JourneyPolicy()
        """Every limit of the journey (see :class:`~siapkerja_core.limits.JourneyPolicy`)."""
        self._hasher = hasher or PasswordHasher()
        self._entropy: Entropy = entropy or secrets
        self._pepper_bytes = self._pepper()  # a bad secret_key fails connect(), not a journey
        # The outbox's dispatcher: None delivers inline, after the commit, in the caller.
        self._outbox_wake: Callable[[], None] | None = None
        self._outbox_drain: Callable[[], DispatchReport] | None = None

    @property
    def settings(self) -> Settings:
        """The resolved settings."""
        return self._settings

    @property
    def plugins(self) -> PluginHost:
        """The plug-in host."""
        return self._plugins

    @property
    def adapters(self) -> Mapping[str, object]:
        """The adapters in use, keyed by kind (read-only)."""
        return self._adapters

    def _adapter(self, kind: str) -> object:
        try:
            return self._adapters[kind]
        except KeyError:
            name = self._settings.adapter_name(kind)
            raise ConfigurationError(
                "adapter_missing",
                kind=kind,
                name=name,
                known=", ".join(self._plugins.known(kind)) or "(none)",
            ) from None

    @property
    def sms(self) -> MessageSender:
        """The message-sender adapter in use.

        :raises ConfigurationError: ``config.adapter_missing`` when no sms adapter was built.
        """
        adapter = self._adapter("sms")
        # Re-checked (cheaply) so the type is narrowed for callers without a cast.
        if not isinstance(adapter, MessageSender):
            raise ConfigurationError(
                "adapter_type", kind="sms", name=self._settings.sms, port="MessageSender"
            )
        return adapter

    def _port(self, kind: str, port: type) -> object:
        adapter = self._adapter(kind)
        if not isinstance(adapter, port):
            raise ConfigurationError(
                "adapter_type",
                kind=kind,
                name=self._settings.adapter_name(kind),
                port=port.__name__,
            )
        return adapter

    @property
    def storage(self) -> Storage:
        """The storage adapter in use."""
        adapter = self._port("storage", Storage)
        assert isinstance(adapter, Storage)
        return adapter

    @property
    def dukcapil(self) -> PopulationRegistry:
        """The population-registry (Dukcapil) adapter in use."""
        adapter = self._port("dukcapil", PopulationRegistry)
        assert isinstance(adapter, PopulationRegistry)
        return adapter

    @property
    def counters(self) -> Counters:
        """The rate-limit counters in use."""
        adapter = self._port("ratelimit", Counters)
        assert isinstance(adapter, Counters)
        return adapter

    def _pepper(self) -> bytes:
        configured = self._settings.get("secret_key")
        if configured is None:
            # Without a configured key, codes, sessions and counters last as long as
            # the process: right for memory and demos; production sets secret_key.
            return secrets.token_bytes(32)
        return check_secret("secret_key", configured).encode("utf-8")

    @cached_property
    def _context(self) -> ServiceContext:
        """What every service shares (storage, clock, randomness, events, pepper, limits)."""
        return ServiceContext(
            storage=self.storage,
            clock=self.now,
            entropy=self._entropy,
            emit=self.emit,
            pepper=self._pepper_bytes,
            policy=self.policy,
            hasher=self._hasher,
            listening=lambda: self._plugins.listening,
            wake=self.wake_outbox,
        )

    @cached_property
    def journey(self) -> JourneyServices:
        """The registration, code, sign-in and recovery services, built on first use."""
        email = self._adapters.get("email")
        return JourneyServices.build(
            self._context,
            counters=self.counters,
            sms=self.sms,
            registry=self.dukcapil,
            email=email if isinstance(email, EmailSender) else None,
        )

    # --- the SMS outbox --------------------------------------------------------------------

    @property
    def outbox(self) -> SmsOutbox:
        """The durable SMS outbox and its dispatcher (:mod:`siapkerja_core.services.outbox`)."""
        return self.journey.outbox

    def use_outbox_dispatcher(
        self, *, wake: Callable[[], None], drain: Callable[[], DispatchReport]
    ) -> None:
        """Hand the outbox to a dispatcher: ``wake()`` after a commit that enqueued a message,
        ``drain()`` for :meth:`deliver_outbox`.

        ``connect()`` installs the one ``sms_dispatch`` names (a background
        thread, or nothing when ``siapkerja worker`` delivers). Without one,
        messages are delivered inline, after the commit, in the calling thread.
        """
        self._outbox_wake = wake
        self._outbox_drain = drain

    def deliver_outbox(self) -> DispatchReport:
        """Deliver every due message now and return what happened (tests, notebooks).

        With a background dispatcher this waits for its batch in flight, so
        a message enqueued before the call has been tried when it returns.
        """
        if self._outbox_drain is not None:
            return self._outbox_drain()
        return self.outbox.drain()

    def wake_outbox(self) -> bool:
        """Have the dispatcher look at the outbox now (called after each enqueueing commit;
        ``siapkerja serve`` calls it at start for messages a stopped process left).

        ``True`` when the messages were delivered here, in the calling thread (no
        dispatcher installed): the caller's view of a challenge may then be stale.
        """
        if self._outbox_wake is not None:
            self._outbox_wake()
            return False
        self.outbox.drain()
        return True

    # --- the journey: registration ----------------------------------------------------

    def register(self, nik: str, full_name: str, mother_name: str) -> Registration:
        """Step 1: verify NIK, full name and mother's maiden name with Dukcapil.

        :return: the new registration (status ``verified``).
        :raises InvalidNik: a malformed NIK (``nik.*``).
        :raises RegistrationError: ``registration.nik_not_found``, ``nik_inactive``,
            ``mismatch`` (with ``params["fields"]``), ``verification_locked``, ``invalid_name``.
        :raises AlreadyRegistered: ``registration.already_registered`` — the NIK has an
            active account; its contacts are shown masked, recovery is offered.
        :raises RegistryUnavailable: ``dukcapil.unavailable`` — try again later; nothing stored.
        """
        return self.journey.registrations.register(nik, full_name, mother_name)

    def submit_contact(
        self, registration_id: str, *, email: str, phone: str, password: str
    ) -> Registration:
        """Step 2: e-mail, mobile number and password; the SMS code goes to the outbox.

        The SMS is sent after the answer (:attr:`outbox`). A failed SMS does not
        raise: once the dispatcher tried, the registration (:meth:`registration`)
        has ``sms_failure`` set and ``otp.delivered`` false, and :meth:`resend_otp`
        works at once; the outbox keeps retrying the message meanwhile.

        :raises InvalidEmail: ``email.*``. :raises InvalidPhone: ``phone.*``.
        :raises WeakPassword: ``password.*``.
        :raises OtpError: ``otp.daily_limit`` and the other sending caps.
        :raises RegistrationError: ``registration.not_found``, ``expired``, ``wrong_step``;
            ``email_taken`` — an active account uses the e-mail (refused before any SMS).
        """
        return self.journey.registrations.submit_contact(
            registration_id, email=email, phone=phone, password=password
        )

    def resend_otp(self, registration_id: str) -> Registration:
        """Send a new code (the old one dies) after the cooldown, within the caps.

        :raises OtpError: ``otp.cooldown`` / ``send_limit`` (with ``retry_after`` seconds),
            ``daily_limit``.
        """
        return self.journey.otp.resend_otp(registration_id)

    def change_phone(self, registration_id: str, *, phone: str) -> Registration:
        """Replace the number before confirming; a new code goes to it (same caps)."""
        return self.journey.registrations.change_phone(registration_id, phone=phone)

    def change_email(self, registration_id: str, *, email: str) -> Registration:
        """Replace the e-mail before confirming (the SMS code already sent stays valid).

        :raises InvalidEmail: ``email.*``.
        :raises RegistrationError: ``registration.email_taken`` (an active account uses
            it), ``not_found``, ``expired``, ``wrong_step``.
        """
        return self.journey.registrations.change_email(registration_id, email=email)

    def confirm_otp(self, registration_id: str, code: str) -> Account:
        """Step 3: the code from the SMS; returns the new active account, signed in.

        :raises OtpError: ``otp.invalid`` (with ``attempts_left``), ``expired``, ``dead``.
        :raises RegistrationError: ``registration.already_confirmed``, ``expired``,
            ``email_taken``, ``phone_taken``.
        :raises AlreadyRegistered: another registration of the NIK won the race.
        """
        return self.journey.otp.confirm_otp(registration_id, code)

    def import_account(
        self, *, nik: str, full_name: str, email: str, phone: str
    ) -> tuple[Account, bool]:
        """Create an account from a trusted register (AK/I migration); ``(account, created)``.

        The account has no password until its holder uses recovery; re-importing
        the same person is a no-op.
        """
        return self.journey.registrations.import_account(
            nik=nik, full_name=full_name, email=email, phone=phone
        )

    def registration(self, registration_id: str) -> Registration:
        """The current state of a registration (for a verification screen)."""
        return self.journey.registrations.registration(registration_id)

    def check_registration_secret(self, registration_id: str, secret: str | None) -> None:
        """Whether a caller holds the registration's secret (``Registration.secret`` of step 1).

        A binding that lets clients continue a registration by its id (the JSON
        API) checks this first: an id seen in a log, a URL or a referrer is not
        enough to read or continue someone's registration.

        :raises RegistrationError: ``registration.secret_required`` for a missing or
            wrong secret, the same whether or not the registration exists.
        """
        self.journey.registrations.check_secret(registration_id, secret)

    # --- the journey: sign-in and recovery --------------------------------------------------

    def login(
        self,
        identifier: str,
        password: str,
        client: Client | None = None,
        *,
        reset_id: str | None = None,
        code: str | None = None,
        factor_code: str | None = None,
    ) -> Account:
        """Sign in with a NIK, e-mail or phone number; returns the account with a new session.

        ``client`` says where the attempt comes from (address, and the device
        token of an earlier sign-in): failures are throttled per account, per
        address and per network, and a known device has its own throttle so the
        holder is never locked out. The session carries a new ``device_token``.
        While the account is throttled its holder may also sign in with the
        password *and* a fresh SMS code: ``reset_id`` and ``code`` of a
        :meth:`request_password_reset` (the code is checked, and spent, before
        the password is evaluated).

        An account with an authenticator app or a passkey needs a second factor
        (``docs/factors.md``): give ``factor_code`` (an authenticator or recovery
        code; it also stands in for a throttled account's SMS step-up), or catch
        :class:`~siapkerja_core.services.factors.FactorRequired` and finish with
        ``svc.factors.complete_login(error.pending, ...)``.

        :raises LoginError: ``login.failed`` (one message for every cause),
            ``login.throttled`` (with ``retry_after``, true to the second),
            ``login.factor_required`` or ``login.factor_failed``.
        """
        return self.journey.sign_in.login(
            identifier, password, client, reset_id=reset_id, code=code, factor_code=factor_code
        )

    def authenticate(self, token: str) -> Account:
        """The account behind a session token. :raises LoginError: ``login.session_invalid``."""
        return self.journey.sign_in.authenticate(token)

    def authenticate_session(self, token: str) -> tuple[Account, datetime]:
        """:meth:`authenticate`, and when the session ends (it is refused from then on)."""
        return self.journey.sign_in.authenticate_session(token)

    def change_stamp(self) -> Hashable | None:
        """The storage's change stamp (:class:`~siapkerja_core.ports.ChangeStamp`): equal
        on two calls only if nothing was committed between them; ``None`` when the
        storage cannot tell (it has no stamp, or not just now)."""
        stamp = self._change_stamp
        return None if stamp is None else stamp()

    @cached_property
    def _change_stamp(self) -> Callable[[], Hashable | None] | None:
        # Looked up once: a signed-in page asks on every load, and a protocol check
        # costs more than the stamp.
        storage = self.storage
        return storage.change_stamp if isinstance(storage, ChangeStamp) else None

    def logout(self, token: str) -> None:
        """End the session (unknown tokens are ignored)."""
        self.journey.sign_in.logout(token)

    def request_password_reset(self, identifier: str) -> PasswordResetRequest:
        """ "Kendala Masuk ke Akun?": send a code to the account's phone.

        The answer is the same whether or not the identifier belongs to an account.
        """
        return self.journey.sign_in.request_password_reset(identifier)

    def reset_password(self, request_id: str, code: str, new_password: str) -> Account:
        """Set a new password with the code; every other session ends.

        :raises ResetError: ``reset.invalid`` (one message for every cause).
        :raises WeakPassword: ``password.*`` (the code stays valid).
        """
        return self.journey.sign_in.reset_password(request_id, code, new_password)

    # --- profile, card, QR, scanning ------------------------------------------------------

    @cached_property
    def cards(self) -> CardServices:
        """The profile, card, QR, scan and check-in use cases, built on first use."""
        base_url = self._settings.get("card_base_url", DEFAULT_CARD_BASE_URL)
        period = self._settings.get("access_period", str(DEFAULT_PERIOD))
        if not period.isdigit() or not 10 <= int(period) <= 300:
            raise ConfigurationError(
                "invalid", name="access_period", reason="whole seconds between 10 and 300"
            )
        return CardServices.build(self._context, base_url=base_url, access_period=int(period))

    @cached_property
    def events(self) -> Gates:
        """Event entry (:mod:`siapkerja_core.services.gates`): events, their gates (stations
        with their own credential), admissions, offline sync, live counts, and the
        admission checks other uses add (``svc.events.add_admission_check``)."""
        cards = self.cards
        gates = Gates(
            self._context,
            cards.state,
            profiles=cards.profiles,
            keys=cards.keys,
            counters=self.counters,
            # In place before the first admission: a class session admits enrolled
            # trainees only, a programme intake eligible holders only.
            checks={
                EventKind.CLASS_SESSION: [self.classes.admission_check],
                EventKind.PROGRAMME_INTAKE: [self.programmes.admission_check],
            },
        )
        cards.scanning.purpose_exists = gates.purpose_exists
        return gates

    @cached_property
    def classes(self) -> Classes:
        """Class attendance at BLK, BLKK and LPKS (:mod:`siapkerja_core.services.classes`):
        classes, enrolments, sessions (events of kind ``class_session``) and the
        attendance report."""
        return Classes(self._context, events=lambda: self.events)

    @cached_property
    def programmes(self) -> Programmes:
        """Programme requirements, JKP, BSU, Prakerja … (:mod:`siapkerja_core.services.programmes`):
        rules as data, the holder's "am I eligible?", intake at a station."""
        return Programmes(self._context, profiles=self.cards.profiles, events=lambda: self.events)

    @cached_property
    def aki(self) -> AkiServices:
        """Use 1, the AK/I (kartu kuning): apply, report, legalise, place, remove, render
        (:mod:`siapkerja_core.services.aki`)."""
        return AkiServices(self._context, profiles=self.cards.profiles, card_of=self.card)

    def update_profile(self, account_id: str, **sections: Any) -> Profile:
        """Change sections of the holder's profile (``biodata={...}``, ``skills=[...]`` …).

        A mapping for ``biodata``, ``contact``, an address or ``visibility``
        changes only the keys it names; lists and the photo are replaced.

        :raises ProfileError: ``profile.*`` naming the field path.
        """
        return self.cards.profiles.update_profile(account_id, sections)

    def edit_profile(
        self, account_id: str, edit: Callable[[Profile], Mapping[str, Any]]
    ) -> Profile:
        """Change the holder's profile by what ``edit`` asks of it *as stored now*.

        ``edit`` gets the current profile and returns the sections to change, as
        :meth:`update_profile` takes them; it runs inside the write, so a change
        computed from the profile (an entry added to a list, one moved, one
        removed) never overwrites another made meanwhile from another tab or
        device. Raise from ``edit`` to change nothing (e.g. the entry a form was
        drawn for is no longer there).

        :raises ProfileError: ``profile.*`` naming the field path.
        """
        return self.cards.profiles.edit_profile(account_id, edit)

    def profile(self, account_id: str) -> Profile:
        """The holder's profile (started from the account if never edited)."""
        return self.cards.profiles.profile(account_id)

    def profile_warnings(self, account_id: str) -> tuple[ProfileWarning, ...]:
        """Differences from the NIK (birth date, sex): warnings, never errors."""
        return self.cards.profiles.profile_warnings(account_id)

    def completeness(self, account_id: str) -> Completeness:
        """``.percent``, ``.missing`` (labels in Indonesian and English), ``.complete``."""
        return self.cards.profiles.completeness(account_id)

    def profile_overview(self, account_id: str) -> ProfileOverview:
        """The profile, its completeness and warnings, and whether a card can be shown, in
        one read (``.profile``, ``.completeness``, ``.warnings``, ``.has_card``): a
        profile page's data.

        :raises CardError: ``card.no_account`` (no active account).
        """
        return self.cards.profiles.overview(account_id)

    def issue_card(self, account_id: str) -> Card:
        """Issue (or re-issue, bumping the version) the SIAPkerja-ID card.

        :raises ProfileIncomplete: ``profile.incomplete`` with ``missing``.
        """
        return self.cards.issuance.issue_card(account_id)

    def issue_cards(
        self,
        account_ids: Iterable[str] | None = None,
        *,
        batch_size: int = ISSUE_BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> BulkIssueReport:
        """Issue cards for every complete profile without one (QR images made lazily)."""
        return self.cards.issuance.issue_cards(
            account_ids, batch_size=batch_size, progress=progress
        )

    def card(self, account_id: str) -> Card:
        """The holder's current card.

        :raises CardError: ``card.no_card``, ``card.revoked``, ``card.suspended``.
        """
        return self.cards.issuance.card(account_id)

    def card_qr(self, account_id: str, mode: str = "link", purpose: str | None = None) -> CardQr:
        """The card's QR: ``mode="link"`` (a long-lived URL) or ``"access"`` with a ``purpose``.

        An access code lives one ``access_period`` (30 s by default): ask again for the next.
        Its ``purpose`` must exist (a scheduled event, or what a source added with
        ``svc.events.add_purpose_source`` knows): :raises CardError: ``card.unknown_purpose``.
        """
        _ = self.events  # built first: it tells the scanning which purposes exist
        return self.cards.scanning.card_qr(account_id, mode, purpose)

    def card_overview(self, account_id: str) -> CardOverview:
        """The card, its link QR, the profile and the upcoming events in one read
        (``.card``, ``.link``, ``.profile``, ``.upcoming``): what :meth:`card`,
        :meth:`card_qr`, :meth:`profile` and ``events.upcoming(limit=50)`` return, a card
        page's data.

        :raises CardError: ``card.no_account``, ``card.no_card``, ``card.revoked``,
            ``card.suspended``.
        """
        events = self.events
        return self.cards.scanning.card_overview(
            account_id, upcoming=lambda tx: events.upcoming_in(tx, limit=50)
        )

    def rotate_card(self, account_id: str) -> CardRecord:
        """Bump the card's version: every older link QR stops working at once."""
        return self.cards.issuance.rotate_card(account_id)

    def revoke_card(self, account_id: str) -> CardRecord:
        """Revoke the card: all its tokens are refused until it is issued again."""
        return self.cards.issuance.revoke_card(account_id)

    def resolve(
        self,
        token: str,
        viewer: Account | Verifier | None = None,
        *,
        purpose: str | None = None,
    ) -> ProfileView:
        """Open a scanned link QR (token or URL) for ``viewer``; the access is logged.

        ``None`` is an anonymous scan (the public view); the holder's own
        :class:`Account` sees everything; a :class:`Verifier` sees its scope's
        fields for a ``purpose`` the holder consented to, the public view otherwise.

        :raises TokenError: ``token.malformed``, ``forged``, ``revoked``, ``wrong_mode``.
        """
        view = self.cards.scanning.resolve(token, viewer, purpose)
        # The holder and a consented ``disnaker`` verifier also see the AK/I status.
        return self.aki.with_status(view) if AKI_STATUS in view.disclosed else view

    def verify_token(
        self, token_or_url: str, *, purpose: str | None = None
    ) -> LinkClaims | AccessClaims:
        """Check a token (or a link QR's URL) as :meth:`resolve` or :meth:`check_in` would.

        Nothing is recorded (no ledger entry, event or check-in) and no key is
        made. An access code is checked for the event ``purpose``.

        :raises TokenError: ``token.malformed``, ``forged``, ``revoked``, ``expired``,
            ``wrong_purpose``, ``wrong_mode``.
        :raises CardError: ``card.purpose_required`` (an access code without ``purpose``).
        """
        return self.cards.scanning.verify_token(token_or_url, purpose=purpose)

    def check_in(
        self,
        token: str,
        *,
        event_id: str,
        station_key: str | None = None,
        station_id: str | None = None,
        signature: str | None = None,
        timestamp: int | str | None = None,
    ) -> GateReceipt:
        """Admit an access code at a gate of ``event_id`` (see ``svc.events.admit``).

        Only a registered station may: its API key (``station_key``), or its
        id with an Ed25519 ``signature`` of the request made at ``timestamp``.

        :raises GateError: ``gate.station_credential_required`` without one, and
            every refusal of a gate (``already_inside``, ``wrong_event``, ``full`` …).
        """
        credential = StationCredential(
            api_key=station_key, station_id=station_id, signature=signature, timestamp=timestamp
        )
        return self.events.admit(token, event_id=event_id, credential=credential)

    def station_keyring(self) -> Keyring:
        """The public keys an offline scanning station needs (no secret)."""
        return self.cards.scanning.station_keyring()

    # --- the card status list ---------------------------------------------------------------

    @cached_property
    def status_lists(self) -> StatusLists:
        """The published card status list, suspension and resumption (built on first use).

        Settings: ``status_list_max_age`` (seconds a published list may be relied
        on, its ``ttl``: 60-86400, default 900) and ``status_list_uri`` (its
        ``sub``; default ``../api/v1/status-lists/cards`` beside ``card_base_url``,
        where the web binding serves it).
        """
        max_age = self._settings.get("status_list_max_age", str(DEFAULT_STATUS_LIST_MAX_AGE))
        if not max_age.isdigit() or not 60 <= int(max_age) <= 86400:
            raise ConfigurationError(
                "invalid", name="status_list_max_age", reason="whole seconds between 60 and 86400"
            )
        cards = self.cards
        uri = self._settings.get("status_list_uri") or urljoin(
            cards.base_url, "../api/v1/status-lists/cards"
        )
        return StatusLists(
            cards.context,
            cards.state,
            profiles=cards.profiles,
            keys=cards.keys,
            uri=uri,
            max_age=int(max_age),
        )

    def status_list(self) -> str:
        """The card status list as a signed JWT (``statuslist+jwt``), cached and re-signed
        when a card's status changes or at half its ``ttl``."""
        return self.status_lists.token()

    def suspend_card(self, account_id: str) -> CardRecord:
        """Suspend the card: its codes are refused (online at once, offline within the
        status list's maximum age) until :meth:`resume_card`."""
        return self.status_lists.suspend_card(account_id)

    def resume_card(self, account_id: str) -> CardRecord:
        """End the card's suspension."""
        return self.status_lists.resume_card(account_id)

    def rotate_keys(self) -> Keyring:
        """Add new signing keys; older ones keep verifying until retired."""
        return self.cards.keys.rotate_keys()

    def retire_key(self, kid: str) -> Keyring:
        """Stop a key verifying: every token it signed dies (a leaked key).

        :raises TokenError: ``token.unknown_key``, no key has that id (nothing changes).
        """
        return self.cards.keys.retire_key(kid)

    @cached_property
    def verifiers(self) -> Institutions:
        """The register of institutions and the audit of administrative actions.

        ``svc.verifiers.add(name, scopes, kind=…, region_code=…, contact=…, actor=…)``,
        ``list``, ``get``, ``suspend``, ``resume``, ``rotate_key``, ``retire``,
        ``activity`` and ``audit`` (:mod:`siapkerja_core.services.institutions`).
        """
        return Institutions(self._context)

    @cached_property
    def prefill(self) -> Prefill:
        """Consent requests and prefill documents of the URL-link uses (``docs/prefill.md``)."""
        cards = self.cards
        return Prefill(
            self._context, profiles=cards.profiles, scanning=cards.scanning, consent=cards.consent
        )

    @cached_property
    def sso(self) -> SingleSignOn:
        """Single sign-on ("Masuk dengan SIAPkerja"): clients, consent, tokens (``docs/sso.md``).

        The OpenID Connect endpoints over it are the web binding's
        (:mod:`siapkerja_adapters.web.sso`); clients are administered with
        ``svc.sso.add_client`` …, ``siapkerja clients`` and the admin API.
        """
        cards = self.cards
        return SingleSignOn(
            self._context,
            profiles=cards.profiles,
            consent=cards.consent,
            keys=cards.keys,
            codes=self.journey.codes,
            counters=self.counters,
        )

    def register_verifier(self, name: str, scopes: Iterable[str]) -> tuple[Verifier, str]:
        """Register an institution with scopes; returns it and its API key (shown once).

        The same as ``svc.verifiers.add(name, scopes)`` (kind ``other``, actor ``library``).
        """
        return self.verifiers.add(name, scopes)

    def verifier(self, api_key: str) -> Verifier:
        """The active verifier holding ``api_key``.

        :raises DisclosureError: ``unknown_verifier``, ``verifier_suspended``.
        """
        return self.verifiers.by_key(api_key)

    def grant_consent(
        self,
        account_id: str,
        verifier_id: str,
        purpose: str,
        fields: Iterable[str] | None = None,
    ) -> ConsentRecord:
        """Record the holder's consent for a verifier and a purpose (optionally fewer fields)."""
        return self.cards.consent.grant_consent(account_id, verifier_id, purpose, fields)

    def withdraw_consent(self, account_id: str, consent_id: str) -> ConsentRecord:
        """Withdraw a consent; the record stays, with the time it ended."""
        return self.cards.consent.withdraw_consent(account_id, consent_id)

    def consents(self, account_id: str) -> list[ConsentRecord]:
        """The holder's consents, withdrawn ones included."""
        return self.cards.consent.consents(account_id)

    def access_log(self, account_id: str) -> AccessLedger:
        """Who saw which fields of the holder's profile, when and for what purpose.

        The **whole** ledger, oldest first: a list of
        :class:`~siapkerja_core.records.AccessRecord` s that a notebook shows as a
        table; ``.to_frame()`` makes it a pandas DataFrame. A card scanned at every
        gate has a long one: a page a person reads takes :meth:`access_log_page`.
        """
        return self.cards.consent.access_log(account_id)

    def access_log_page(
        self, account_id: str, *, limit: int = 50, before: LedgerCursor | None = None
    ) -> AccessLedgerPage:
        """One page of the ledger, newest first: at most ``limit`` entries (1 to 500).

        ``before`` is the previous page's ``next`` (a
        :class:`~siapkerja_core.records.LedgerCursor`; as text, ``LedgerCursor.parse``
        reads its ``token()``); ``next`` is ``None`` on the last page. Pages read one
        after another miss no entry and repeat none, entries of the same instant included.
        """
        return self.cards.consent.access_log_page(account_id, limit=limit, before=before)

    def history_overview(
        self, account_id: str, *, limit: int = 50, before: LedgerCursor | None = None
    ) -> HistoryOverview:
        """The holder's history page's data in one read: ``.page`` (as
        :meth:`access_log_page`), ``.consents`` (as :meth:`consents`), ``.connected`` (as
        ``sso.signed_in``), ``.requests`` (as ``prefill.pending``), ``.profile``, and the
        names the page shows beside them (``.verifiers``, ``.events``).

        :raises CardError: ``card.no_account`` (no active account).
        """
        return self._history.overview(account_id, limit=limit, before=before)

    @cached_property
    def _history(self) -> History:
        return History(self._context, profiles=self.cards.profiles)

    def now(self) -> datetime:
        """The current time from the injected clock (aware, UTC)."""
        current = self._clock()
        if current.tzinfo is UTC:
            return current
        if current.tzinfo is None:
            # A naive time would be read as local time: wrong timestamps, silently.
            raise ConfigurationError(
                "invalid", name="clock", reason="the clock must return an aware datetime"
            )
        return current.astimezone(UTC)

    def emit(self, event: DomainEvent) -> None:
        """Broadcast ``event`` to every plug-in's ``siapkerja_event``; failures are logged.

        (A sign-in's line of the holder's record of processing is written with its
        session, ``docs/rights.md``.) An event with a notice
        (:data:`~siapkerja_core.notices.NOTICES`) is then written into the outbox
        for the holder (``docs/notices.md``; the ``notices`` setting, ``true`` by
        default, turns this off).
        """
        self._plugins.emit(event)
        if event.name in NOTICES:
            self._notify(event)

    # --- contacts and notices (issue 16) ----------------------------------------------------

    @cached_property
    def contacts(self) -> ContactChanges:
        """The holder's contacts (:mod:`siapkerja_core.services.contacts`): change the phone
        or e-mail (``request_phone_change`` / ``confirm_phone_change`` …), keep a verified
        second contact, recover with it when the phone is lost (``request_recovery``,
        ``complete_recovery``); ``svc.contacts.notices`` writes the notices of sensitive
        changes (``docs/notices.md``)."""
        journey = self.journey
        notices = NoticeWriter(self._context, outbox=journey.outbox)
        return ContactChanges(
            self._context, codes=journey.codes, counters=self.counters, notices=notices
        )

    def _notify(self, event: DomainEvent) -> None:
        """Write ``event``'s notice (after its commit); never raises."""
        try:
            if not self._settings.get_bool("notices", True):
                return
            writer = self.contacts.notices
        except Exception:
            _logger.exception("notices are not available for %s", event.name)
            return
        writer.hear(event)

    # --- second factors (issue 16: factors beyond SMS) --------------------------------------

    @cached_property
    def factors(self) -> Factors:
        """Authenticator apps, recovery codes and passkeys (``docs/factors.md``).

        The issuer authenticator apps show is the ``brand_name`` setting (default
        "SIAPkerja"); passkeys need ``svc.factors.use_webauthn(...)`` (the web app
        plugs py_webauthn in, with the relying party from ``public_base_url``).
        """
        sign_in = self.journey.sign_in
        return Factors(
            self._context,
            checks=sign_in.factors,
            issuer=self._settings.get("brand_name") or "SIAPkerja",
            sign_in=sign_in,
        )

    # --- the holder's rights (UU 27/2022) ------------------------------------------------------

    @cached_property
    def rights(self) -> Rights:
        """The holder's rights (:mod:`siapkerja_core.services.rights`): requests and receipts
        (3×24 h), ``export``, ``correct_identity``, ``erase`` / ``purge``, ``restrict`` /
        ``lift_restriction``, ``withdraw_all``, ``object``, ``breach_notice``."""
        return Rights(
            self._context,
            self.cards.state,
            registry=lambda: self.dukcapil,
            counters=lambda: self.counters,
            outbox=lambda: self.outbox,
        )

    def __repr__(self) -> str:
        built = ", ".join(
            f"{kind}={self._settings.adapter_name(kind)!r}"
            for kind in ADAPTER_KINDS
            if kind in self._adapters
        )
        return f"Siapkerja({built})"

    # --- disputes over a NIK and identity re-proofing (docs/disputes.md) ---------------------

    @cached_property
    def disputes(self) -> Disputes:
        """Disputes over a NIK and identity re-proofing (``docs/disputes.md``).

        ``svc.disputes.open_claim``, ``start_reproofing``, ``confirm``, ``match_face``,
        ``record_check``, ``holder_cases``, ``answer``, ``decide``, ``cases``,
        ``overdue``, ``get`` and ``trail`` (:mod:`siapkerja_core.services.disputes`).
        """
        cards = self.cards
        return Disputes(
            self._context,
            codes=self.journey.codes,
            counters=self.counters,
            registry=self.dukcapil,
            card_changed=cards.state.invalidate,
        )
