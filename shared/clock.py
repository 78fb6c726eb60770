"""The date services see: the system's, or a simulated one shared through the event store.

A simulated date lives in the stream `clock-simulated`, so every process reading the same
store agrees on it without talking to each other.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Protocol

from shared.events.base import Context
from shared.events.platform import SimulatedDateSet
from shared.eventstore.codec import decode, to_new_event
from shared.eventstore.port import ANY, AppendResult, EventStore
from shared.settings import Settings

CLOCK_STREAM = "clock-simulated"


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime:
        """Timezone-aware, UTC."""
        ...


class SystemClock:
    def today(self) -> date:
        return datetime.now(UTC).date()

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Today is the latest `SimulatedDateSet` of the clock stream (the system date before any).

    Each call reads only the stream's events after the last one seen.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._next_version = 0
        self._today: date | None = None

    def set_today(self, day: date, context: Context) -> AppendResult:
        event = to_new_event(SimulatedDateSet(today=day), context)
        return self._store.append(CLOCK_STREAM, [event], ANY)

    def today(self) -> date:
        with self._lock:
            for recorded in self._store.read_stream(CLOCK_STREAM, self._next_version):
                event = decode(recorded).event
                if isinstance(event, SimulatedDateSet):
                    self._today = event.today
                self._next_version = recorded.version + 1
            return self._today or datetime.now(UTC).date()

    def now(self) -> datetime:
        current = datetime.now(UTC)
        return datetime.combine(self.today(), current.timetz())


def clock_from_settings(settings: Settings, store: EventStore) -> Clock:
    return SimulatedClock(store) if settings.clock == "simulated" else SystemClock()
