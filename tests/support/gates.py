"""Events and gates for tests that check access codes in.

Since issue 12 an access code is minted only for an event that exists, and
only a registered gate (a station with its own credential) checks it in.
:func:`open_events` makes an organiser, the events and one API-key gate per
event on a service; :func:`check_in` admits a code at the gate of its event.
"""

from __future__ import annotations

import weakref
from datetime import timedelta
from typing import Final

from siapkerja_core.disclosure import Verifier
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.gates import GateReceipt

__all__ = ["ORGANISER", "check_in", "gate_key", "open_events", "organiser"]

ORGANISER: Final = "Kemnaker — Pusat Pasar Kerja"
_GATES: weakref.WeakKeyDictionary[Siapkerja, dict[str, object]] = weakref.WeakKeyDictionary()


def organiser(svc: Siapkerja) -> Verifier:
    """The tests' organiser on ``svc`` (registered on first use)."""
    held = _GATES.setdefault(svc, {})
    found = held.get("@organiser")
    if found is None:
        found, _key = svc.register_verifier(ORGANISER, ["disnaker"])
        held["@organiser"] = found
    assert isinstance(found, Verifier)
    return found


def open_events(
    svc: Siapkerja, *event_ids: str, capacity: int | None = None, days: int = 400
) -> None:
    """Schedule each event (open from a day before ``svc.now()`` for ``days``) with one gate."""
    held = _GATES.setdefault(svc, {})
    who = organiser(svc)
    now = svc.now()
    for event_id in event_ids:
        if event_id in held:
            continue
        svc.events.create_event(
            who,
            id=event_id,
            name=f"Acara {event_id}",
            kind="job_fair",
            venue="Jakarta",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=days),
            capacity=capacity,
        )
        _station, api_key = svc.events.add_station(
            who, event_id, name="Gate 1", station_id="gate-1"
        )
        held[event_id] = api_key


def gate_key(svc: Siapkerja, event_id: str) -> str:
    """The API key of ``event_id``'s gate (the event opened first if needed)."""
    open_events(svc, event_id)
    key = _GATES[svc][event_id]
    assert isinstance(key, str)
    return key


def check_in(svc: Siapkerja, token: str, event_id: str) -> GateReceipt:
    """Admit ``token`` at the gate of ``event_id`` (the event opened first if needed)."""
    return svc.check_in(token, event_id=event_id, station_key=gate_key(svc, event_id))
