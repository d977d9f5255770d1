"""Domain events: the facts the library announces through the ``siapkerja_event`` hook.

This module owns the :class:`DomainEvent` base class and the events of the
plumbing itself (:class:`AdapterBuilt`). Journey events (account activated,
phone verified, card issued, …) subclass :class:`DomainEvent` in the modules
that own those journeys.

An event is an immutable record of something that already happened. It
carries no secret (no OTP code, no password, no token) and as little personal
data as the fact needs, because every plug-in — audit logs, webhooks — sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

__all__ = ["AdapterBuilt", "DomainEvent", "event_names"]

_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def _to_utc(value: datetime) -> datetime:
    # Naive datetimes are left alone so the validator can reject them: guessing
    # the local zone would silently shift audit timestamps.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _require_aware(_instance: object, attribute: attrs.Attribute[Any], value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware (UTC), got {value!r}")


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base class of every event broadcast through ``siapkerja_event``.

    Subclasses set the class variable ``name`` to a stable, dotted identifier
    (``"account.activated"``) that plug-ins may switch on and persist, and add
    their own fields. ``occurred_at`` is always an aware datetime in UTC (an
    aware value in another zone is converted; a naive one is refused).

    Example::

        @attrs.frozen(kw_only=True)
        class AccountActivated(DomainEvent):
            name: ClassVar[str] = "account.activated"
            account_id: str
    """

    name: ClassVar[str] = "event"

    occurred_at: datetime = attrs.field(converter=_to_utc, validator=_require_aware)


@attrs.frozen(kw_only=True)
class AdapterBuilt(DomainEvent):
    """``connect()`` built the adapter ``adapter`` for the port ``kind``.

    The field is ``adapter`` rather than ``name`` because ``name`` is the
    event's own class-level identifier.
    """

    name: ClassVar[str] = "adapter.built"

    kind: str
    adapter: str


def event_names() -> list[str]:
    """Return the sorted, distinct ``name`` of every :class:`DomainEvent` subclass defined so far.

    Only imported modules count, so the list grows as journey modules load.
    """
    names: set[str] = set()
    pending: list[type[DomainEvent]] = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        # attrs' slotted classes replace the class object, and the original may
        # linger in __subclasses__() until collected: a set removes the repeat.
        if _EVENT_NAME.fullmatch(cls.name):
            names.add(cls.name)
    return sorted(names)
