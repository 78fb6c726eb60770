"""Command handling for the platform: load the stream → decide → append.

What a decider must not do itself happens here: choosing a new key's id and secret, asking how
the clock runs, and telling this process's clock and key ring what was just recorded, so the
change holds at once here (other processes see it within their refresh interval).
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from services.platform.domain import SetSimulatedDate, clock_decider
from shared.clock import CLOCK_STREAM, Clock, SimulatedClock
from shared.events.base import Context
from shared.eventstore.handling import Handled, handle
from shared.eventstore.port import EventStore, Position

S = TypeVar("S")


def reached(store: EventStore, stream: str, handled: Handled[S]) -> Position:
    """The position a command reached: its append's, or when it changed nothing, the one of
    the stream's last event (what the command found already done)."""
    if handled.position is not None:
        return handled.position
    last = store.read_stream(stream, handled.version or 0)[-1:]
    return last[0].position if last else store.head()


def set_simulated_date(store: EventStore, clock: Clock, today: date, context: Context) -> Position:
    """Records `today` for every process sharing the store; refused unless `clock` is
    simulated (ClockNotSimulated, a 409)."""
    simulated = clock if isinstance(clock, SimulatedClock) else None
    command = SetSimulatedDate(today, clock_is_simulated=simulated is not None)
    handled = handle(store, CLOCK_STREAM, clock_decider, command, context)
    if simulated is not None and handled.version is not None:
        simulated.adopt(today, handled.version)
    return reached(store, CLOCK_STREAM, handled)
