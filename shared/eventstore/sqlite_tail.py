"""The newest events of the log, read once for all the subscriptions of a process.

A process runs many consumers near the head (the background runs sixteen), each polling the
store for what follows its position. Read from SQLite, every one of them ran its own query and
built its own copies of the same rows. The tail keeps the events read last, in order, and
answers a subscription's look from memory when its position is inside what it holds; only the
first to look past the end reads the store, unfiltered, for everyone.

It holds every event with a position in (start, end], so an answer from it is exactly what the
store would answer (events are immutable, and SQLite gives positions in commit order, so a
range up to a head that was read is complete). A position before `start` is not answered: the
caller reads the store as before.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable

from shared.eventstore.port import EventFilter, Position, RecordedEvent, category_of

Fetch = Callable[[Position, Position], list[RecordedEvent]]  # (after, upto], unfiltered, in order


class RecentTail:
    def __init__(self, fetch: Fetch, capacity: int = 10_000) -> None:
        self._fetch = fetch
        self.capacity = capacity
        self._lock = threading.Lock()
        self._events: list[RecordedEvent] = []
        self._positions: list[Position] = []
        self._categories: list[str] = []
        self._holding = False
        self._start: Position = 0
        self._end: Position = 0

    def read(
        self, after: Position, upto: Position, filter: EventFilter, limit: int
    ) -> list[RecordedEvent] | None:
        """The events after `after` up to `upto` that `filter` keeps, at most `limit`; None
        when `after` is before what the tail holds."""
        with self._lock:
            if not self._holding or upto - self._end > self.capacity:
                self._restart(after)  # nothing held, or a gap too wide to read for everyone
            if upto > self._end:
                self._extend(upto)
            if after < self._start:  # before the tail, or forgotten to make room
                return None
            first = bisect.bisect_right(self._positions, after)
            last = bisect.bisect_right(self._positions, upto, lo=first)
            events = self._events[first:last]
            categories = self._categories[first:last]
        if not filter.categories and not filter.types:
            return events[:limit]
        kept: list[RecordedEvent] = []
        for recorded, category in zip(events, categories, strict=True):
            if filter.matches(category, recorded.type):
                kept.append(recorded)
                if len(kept) == limit:
                    break
        return kept

    def _restart(self, after: Position) -> None:
        self._events, self._positions, self._categories = [], [], []
        self._start = self._end = after
        self._holding = True

    def _extend(self, upto: Position) -> None:
        fetched = self._fetch(self._end, upto)
        self._events += fetched
        self._positions += [recorded.position for recorded in fetched]
        self._categories += [category_of(recorded.stream) for recorded in fetched]
        self._end = upto
        surplus = len(self._events) - self.capacity
        if surplus > 0:
            self._start = self._positions[surplus - 1]
            del self._events[:surplus], self._positions[:surplus], self._categories[:surplus]
