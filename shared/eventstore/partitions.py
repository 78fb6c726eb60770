"""Events parked by key, for the reaction runner.

An event whose reaction must wait (RetryLater) or failed is parked under its key, with every
later event of that key behind it, so the key keeps its order while other keys flow. Each key
has its own back-off. The low-water mark is the position before which every event is done: the
event read just before the oldest parked one (events arrive in log order, so the first parked
is the oldest).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field

from shared.events.base import Envelope
from shared.eventstore.port import Position, RecordedEvent
from shared.eventstore.subscriptions import Backoff


@dataclass(slots=True)
class Parked:
    recorded: RecordedEvent
    predecessor: Position  # the matching event read before this one (or the start)
    envelope: Envelope | None = None  # None until it decodes


@dataclass(slots=True)
class _Key:
    events: deque[Parked] = field(default_factory=deque)
    attempts: int = 0  # failed attempts in a row on its first event
    due: float = 0.0
    failing: bool = False  # its last attempt raised (waiting on RetryLater is not failing)


class Partitions:
    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self._keys: dict[str, _Key] = {}
        self._schedule: list[tuple[float, int, str]] = []  # (due, tie-break, key), a heap
        self._ties = itertools.count()
        # Parked event position → its predecessor, in log order (dicts keep insertion order).
        self._outstanding: dict[Position, Position] = {}
        self.count = 0  # parked events
        self.failing_keys = 0

    @property
    def keys(self) -> int:
        return len(self._keys)

    def holds(self, key: str) -> bool:
        return key in self._keys

    def park(self, key: str, item: Parked) -> None:
        """Behind the key's parked events (a new key must then be `postpone`d)."""
        self._keys.setdefault(key, _Key()).events.append(item)
        self._outstanding[item.recorded.position] = item.predecessor
        self.count += 1

    def first(self, key: str) -> Parked:
        return self._keys[key].events[0]

    def done(self, key: str) -> None:
        """The key's first event is done: the next one may go at once."""
        entry = self._keys[key]
        item = entry.events.popleft()
        del self._outstanding[item.recorded.position]
        self.count -= 1
        entry.attempts = 0
        self._set_failing(entry, False)
        if not entry.events:
            del self._keys[key]

    def postpone(self, key: str, now: float, *, failing: bool) -> None:
        """The key's first event must be tried again after its back-off."""
        entry = self._keys[key]
        entry.due = now + self.backoff.delay(entry.attempts)
        entry.attempts += 1
        self._set_failing(entry, failing)
        heapq.heappush(self._schedule, (entry.due, next(self._ties), key))

    def _set_failing(self, entry: _Key, failing: bool) -> None:
        if entry.failing != failing:
            self.failing_keys += 1 if failing else -1
            entry.failing = failing

    def next_due(self) -> float | None:
        schedule = self._schedule
        while schedule and not self._current(schedule[0]):
            heapq.heappop(schedule)
        return schedule[0][0] if schedule else None

    def pop_due(self, now: float) -> list[str]:
        """Keys whose back-off is over, earliest first."""
        due = []
        schedule = self._schedule
        while schedule and schedule[0][0] <= now:
            entry = heapq.heappop(schedule)
            if self._current(entry):
                due.append(entry[2])
        return due

    def _current(self, entry: tuple[float, int, str]) -> bool:
        key = self._keys.get(entry[2])
        return key is not None and key.due == entry[0]

    def low_water(self) -> Position | None:
        """The position before which every event is done, or None when nothing is parked."""
        for predecessor in self._outstanding.values():
            return predecessor
        return None
