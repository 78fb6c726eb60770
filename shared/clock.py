"""The one clock of the service kit. Business time is Europe/Brussels.

- `today()`: the Brussels calendar date ("today", deadlines, years of a share).
- `now()`: the current instant, timezone-aware and in UTC (what events record as occurred-at).
- `local_now()`: the same instant on the Brussels wall clock, aware, in Europe/Brussels.

A simulated clock replaces the date, not the time of day: it reads the simulated date at the
current Brussels wall-clock time. The date lives in the stream `clock-simulated` (the platform
service appends to it), so every process sharing the store agrees on it. Each process keeps the
date in memory and reads the stream's new events at most every `refresh_interval`, so asking
the date costs no store read on the hot path of a request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.events.platform import SimulatedDateSet
from shared.eventstore.codec import decode
from shared.eventstore.port import EventStore, RecordedEvent
from shared.settings import Settings

BRUSSELS = ZoneInfo("Europe/Brussels")
CLOCK_STREAM = "clock-simulated"
# Another process's new date shows here within this long; one indexed read per interval.
SIMULATED_REFRESH_INTERVAL = 0.5

UtcNow = Callable[[], datetime]
Monotonic = Callable[[], float]


def utc_now() -> datetime:
    return datetime.now(UTC)


def brussels_date(instant: datetime) -> date:
    """The Brussels calendar date of an aware instant (never `.date()` of a UTC datetime:
    from 22:00 or 23:00 UTC on, Brussels is already on the next day)."""
    return _aware(instant).astimezone(BRUSSELS).date()


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"a naive datetime has no instant: {instant!r}")
    return instant


class Clock(Protocol):
    def today(self) -> date:
        """The Brussels calendar date."""
        ...

    def now(self) -> datetime:
        """The current instant: timezone-aware, in UTC."""
        ...

    def local_now(self) -> datetime:
        """The current instant on the Brussels wall clock: aware, in Europe/Brussels. Compare
        instants with `now()`: in the hour that happens twice in October, Python holds a
        Brussels datetime unequal to every datetime of another zone (PEP 495)."""
        ...


class SystemClock:
    """The real time. `utc_now` is where the current instant comes from (tests pass their own)."""

    def __init__(self, utc_now: UtcNow = utc_now) -> None:
        self._utc_now = utc_now

    def now(self) -> datetime:
        return _aware(self._utc_now()).astimezone(UTC)

    def local_now(self) -> datetime:
        return _aware(self._utc_now()).astimezone(BRUSSELS)

    def today(self) -> date:
        return self.local_now().date()


class SimulatedClock:
    """Today is the latest `SimulatedDateSet` of the clock stream (the system date before any).

    The date is kept in memory. A call finding it older than `refresh_interval` reads the
    stream's events after the last one seen; while one thread does, the others answer the date
    they have (only the very first read makes them wait, there being no date to answer yet).
    """

    def __init__(
        self,
        store: EventStore,
        *,
        refresh_interval: float = SIMULATED_REFRESH_INTERVAL,
        utc_now: UtcNow = utc_now,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._store = store
        self.refresh_interval = refresh_interval
        self._system = SystemClock(utc_now)
        self._monotonic = monotonic
        self._reading = threading.Lock()  # one reader of the stream at a time
        self._state = threading.Lock()  # guards the three fields below together
        self._today: date | None = None
        self._next_version = 0  # of the clock stream: the first event not applied yet
        self._loaded = False
        self._due = float("-inf")  # monotonic time of the next look at the stream

    # -- the time ----------------------------------------------------------------------------

    def today(self) -> date:
        return self._simulated_date() or self._system.today()

    def local_now(self) -> datetime:
        wall = self._system.local_now()
        day = self._simulated_date()
        if day is None:
            return wall
        # The simulated date at the wall-clock time of day. Through UTC and back, so that a
        # time the simulated date skips (02:30 on the day clocks spring forward) becomes the
        # real one it stands for (03:30) instead of a time that never exists.
        return datetime.combine(day, wall.timetz()).astimezone(UTC).astimezone(BRUSSELS)

    def now(self) -> datetime:
        return self.local_now().astimezone(UTC)

    # -- changing the date -------------------------------------------------------------------

    def adopt(self, day: date, version: int) -> None:
        """`day` was just recorded at `version` of the clock stream (by this process): it is
        today at once, without waiting for the next read of the stream."""
        with self._state:
            if version >= self._next_version:
                self._today, self._next_version, self._loaded = day, version + 1, True

    def set_today(self, day: date) -> None:
        """This process sees `day` at once, until the clock stream records another date.
        Nothing is recorded: the platform's `set_simulated_date` records a date for every
        process."""
        self._simulated_date()  # the stream's history first, so it cannot override `day` later
        with self._state:
            self._today = day

    # -- following the stream ----------------------------------------------------------------

    def _simulated_date(self) -> date | None:
        if self._monotonic() >= self._due:
            self._refresh(wait=not self._loaded)
        return self._today

    def _refresh(self, *, wait: bool) -> None:
        if not self._reading.acquire(blocking=wait):
            return  # another thread is reading: the date in memory will do meanwhile
        try:
            if self._loaded and self._monotonic() < self._due:
                return  # refreshed while this thread waited
            # Read outside the state lock: `adopt` and the date stay available meanwhile.
            recorded = self._store.read_stream(CLOCK_STREAM, self._next_version)
            with self._state:
                for event in recorded:
                    self._apply(event)
                self._loaded = True
                self._due = self._monotonic() + self.refresh_interval
        finally:
            self._reading.release()

    def _apply(self, recorded: RecordedEvent) -> None:
        if recorded.version < self._next_version:
            return  # already adopted
        event = decode(recorded).event
        if isinstance(event, SimulatedDateSet):
            self._today = event.today
        self._next_version = recorded.version + 1


def clock_from_settings(settings: Settings, store: EventStore) -> Clock:
    return SimulatedClock(store) if settings.clock == "simulated" else SystemClock()
