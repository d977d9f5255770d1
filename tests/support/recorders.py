"""A plug-in that keeps every domain event it receives, for tests to read back."""

from __future__ import annotations

from dataclasses import dataclass, field

from siapkerja_core.events import DomainEvent
from siapkerja_core.hookspecs import hookimpl


@dataclass(eq=False)  # a plug-in is itself, not equal to another recorder with the same events
class EventRecorder:
    """A plug-in keeping every domain event it receives (``connect(plugins=[recorder])``)."""

    events: list[DomainEvent] = field(default_factory=list)

    @hookimpl
    def siapkerja_event(self, event: DomainEvent) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        """The names of the journey's events, without the adapters' ``adapter.built``."""
        return [e.name for e in self.events if e.name != "adapter.built"]
