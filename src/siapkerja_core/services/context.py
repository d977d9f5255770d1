"""The small context every use case shares: storage, clock, randomness, events, secrets.

Services (one module per use-case family) take a :class:`ServiceContext`
instead of inheriting a large class's private helpers: the unit of work, the
injected clock and randomness (so every branch is testable with fakes), the
event broadcast, the limits and the password hasher, and the server pepper
keying every HMAC. The card's services also share a :class:`CardState`: where
link QR codes point, how long access codes live, and the caches of QR images
and public views that issuing, rotating and scanning keep consistent.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

import attrs

from siapkerja_core.disclosure import ProfileView
from siapkerja_core.events import DomainEvent
from siapkerja_core.institutions import AuditRecord
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import Storage, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.records import CardRecord, SessionRecord
from siapkerja_core.render.qr import QrCache
from siapkerja_core.tokens import DEFAULT_PERIOD
from siapkerja_core.views import Session

__all__ = [
    "DAY",
    "HOUR",
    "CardState",
    "Entropy",
    "ServiceContext",
    "ViewCache",
    "whole_seconds",
]

_AUDIT_SERIAL: Final = itertools.count()
DAY: Final = timedelta(days=1)
HOUR: Final = timedelta(hours=1)


def whole_seconds(delta: timedelta) -> int:
    """``delta`` rounded up to whole seconds, at least 1 (a ``retry_after`` to show)."""
    return max(1, int(delta.total_seconds() + 0.999))


class Entropy(Protocol):
    """The randomness the services need; the :mod:`secrets` module satisfies it."""

    def token_bytes(self, nbytes: int) -> bytes: ...

    def randbelow(self, exclusive_upper_bound: int) -> int: ...


def _listening_always() -> bool:
    return True


def _nothing() -> bool:
    return False


@attrs.define(kw_only=True)
class ServiceContext:
    """What every service uses. Mutable on purpose: a test may swap the hasher.

    :param storage: the unit of work holding records.
    :param clock: the current aware time.
    :param entropy: randomness (:mod:`secrets` in the facade).
    :param emit: broadcasts a domain event to the plug-ins.
    :param pepper: the server secret keying the HMAC of codes, tokens, keys and counters.
    :param policy: every limit of the journey.
    :param hasher: the password hasher (Argon2id).
    :param listening: whether any plug-in hears events (hot paths skip building them).
    :param wake: called after a transaction that put a message in the outbox
        committed: the facade wakes its dispatcher (or delivers inline). It
        returns ``True`` when it delivered in the calling thread (stored state,
        the challenge's ``delivered``, may have changed since the commit), so a
        caller that shows that state reads it again only then.
    """

    storage: Storage
    clock: Callable[[], datetime]
    entropy: Entropy
    emit: Callable[[DomainEvent], None]
    pepper: bytes = attrs.field(repr=False)
    policy: JourneyPolicy = attrs.field(factory=JourneyPolicy)
    hasher: PasswordHasher = attrs.field(factory=PasswordHasher)
    listening: Callable[[], bool] = _listening_always
    wake: Callable[[], bool | None] = _nothing

    @pepper.validator
    def _check_pepper(self, _attribute: attrs.Attribute[bytes], value: bytes) -> None:
        if len(value) < 16:
            raise ValueError("the pepper must be at least 16 bytes")

    def mac(self, *parts: str) -> str:
        """The keyed HMAC-SHA256 (hex) of ``parts``, joined by a unit separator."""
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self.pepper, message, hashlib.sha256).hexdigest()

    def new_id(self) -> str:
        """A random 128-bit id (hex)."""
        return self.entropy.token_bytes(16).hex()

    def counter_key(self, kind: str, value: str) -> str:
        """The key of a rate-limit counter: an HMAC, never the NIK or number itself."""
        return f"{kind}:{self.mac('counter', kind, value)[:32]}"

    def open_session(self, tx: Transaction, account_id: str, now: datetime) -> Session:
        """Store a new session (only the HMAC of its token) and return it with the token."""
        token = self.entropy.token_bytes(32).hex()
        expires_at = now + self.policy.session_ttl
        tx.sessions.add(
            SessionRecord(
                id=self.mac("session", token),
                account_id=account_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return Session(token=token, account_id=account_id, expires_at=expires_at)

    def record_admin_action(
        self,
        tx: Transaction,
        *,
        actor: str,
        action: str,
        target_kind: str,
        target_id: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append an administrative action to the audit, inside the caller's transaction.

        Call it in the same ``with storage.transaction() as tx`` block as the
        change it records: both commit, or neither does. ``actor`` is who
        acted (``verifier:<id>``, ``cli:<user>``, ``library``); ``action`` a
        dotted name (``event.create``); ``details`` small JSON values, never
        a secret.

        :raises InstitutionError: ``institution.invalid_actor`` or
            ``invalid_audit`` (an action, target or detail of the wrong shape).
        """
        at = self.clock()
        # Time first, then this process's serial: ids sort in the order records were
        # written even within one clock tick (lists are newest first by (at, id)).
        micros = int(at.timestamp() * 1_000_000)
        serial = next(_AUDIT_SERIAL) % 0x1000000
        record = AuditRecord(
            id=f"{micros:014x}-{serial:06x}-{self.entropy.token_bytes(5).hex()}",
            at=at,
            actor=actor,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            reason=reason,
            details=details,
        )
        tx.audit.append(record)
        return record


class ViewCache:
    """Public views per (card_ref, version), reused while the stored profile is unchanged.

    The anonymous view does not depend on who scans, so rebuilding it on every
    scan of a popular card would be waste. A hit needs the same profile object
    or an equal one; a rotation changes the version, so old entries never hit.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int], tuple[Profile, bool, ProfileView]] = {}

    def get(self, card: CardRecord, profile: Profile) -> ProfileView | None:
        entry = self._entries.get((card.card_ref, card.version))
        if entry is None:
            return None
        cached_profile, active, view = entry
        if active is not card.active or not (
            cached_profile is profile or cached_profile == profile
        ):
            return None
        return view

    def put(self, card: CardRecord, profile: Profile, view: ProfileView) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[(card.card_ref, card.version)] = (profile, card.active, view)

    def invalidate(self, card_ref: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == card_ref]:
                del self._entries[key]


class CardState:
    """What the card's services share beyond the context: settings and caches.

    :param base_url: link QR codes are ``base_url + token``.
    :param access_period: seconds each access code lives before the next.
    """

    def __init__(
        self, ctx: ServiceContext, *, base_url: str, access_period: int = DEFAULT_PERIOD
    ) -> None:
        self.base_url = base_url
        self.access_period = access_period
        self.qr_cache = QrCache()
        self.views = ViewCache()
        # Ledger entries need unique, not secret, ids: a random per-process prefix
        # and a counter spare a system call per scan.
        self._ledger_prefix = ctx.entropy.token_bytes(6).hex() + "-"
        self._ledger_serial = itertools.count(1)

    def invalidate(self, card_ref: int) -> None:
        """Forget the card's cached views and QR images (its version or state changed)."""
        self.views.invalidate(card_ref)
        self.qr_cache.invalidate(card_ref)

    def ledger_id(self) -> str:
        # Zero-padded so that ids sort in the order entries were written.
        return f"{self._ledger_prefix}{next(self._ledger_serial):012d}"
