"""The clock: Brussels business dates, and a simulated date followed from the store in memory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from shared.clock import (
    BRUSSELS,
    CLOCK_STREAM,
    SimulatedClock,
    SystemClock,
    brussels_date,
    clock_from_settings,
)
from shared.events.base import Context
from shared.events.platform import SimulatedDateSet
from shared.eventstore.codec import to_new_event
from shared.eventstore.port import ANY, RecordedEvent
from shared.eventstore.sqlite import SQLiteEventStore
from tests.kit import kit_settings

T = TypeVar("T")
GATE_TIMEOUT = 10.0  # a held read goes on by itself after this: no test hangs
CONTEXT = Context.new("ops:test")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class FixedTime:
    """A UTC source and a monotonic one the test moves by hand."""

    def __init__(self, instant: str = "2026-03-02T10:00:00") -> None:
        self.instant = utc(instant)
        self.seconds = 0.0

    def utc_now(self) -> datetime:
        return self.instant

    def monotonic(self) -> float:
        return self.seconds


class CountingStore(SQLiteEventStore):
    """The real engine, counting the reads of the clock stream."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.clock_reads = 0

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        if stream == CLOCK_STREAM:
            self.clock_reads += 1
        return super().read_stream(stream, from_version)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[CountingStore]:
    store = CountingStore(str(path))
    yield store
    store.close()


@pytest.fixture
def time_() -> FixedTime:
    return FixedTime()


def simulated(store: SQLiteEventStore, time_: FixedTime) -> SimulatedClock:
    return SimulatedClock(store, utc_now=time_.utc_now, monotonic=time_.monotonic)


def record(store: SQLiteEventStore, day: date) -> int:
    """What the platform does in some process: the date appended to the clock stream."""
    result = store.append(CLOCK_STREAM, [to_new_event(SimulatedDateSet(today=day), CONTEXT)], ANY)
    return result.versions[CLOCK_STREAM]


# -- the system clock ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "today", "wall"),
    [
        # Winter (+01:00): from 23:00 UTC on, Brussels is on the next day.
        ("2026-03-01T22:59:59", date(2026, 3, 1), "2026-03-01T23:59:59+01:00"),
        ("2026-03-01T23:00:00", date(2026, 3, 2), "2026-03-02T00:00:00+01:00"),
        ("2026-03-01T23:30:00", date(2026, 3, 2), "2026-03-02T00:30:00+01:00"),
        # Summer (+02:00): from 22:00 UTC on.
        ("2026-07-01T21:59:59", date(2026, 7, 1), "2026-07-01T23:59:59+02:00"),
        ("2026-07-01T22:30:00", date(2026, 7, 2), "2026-07-02T00:30:00+02:00"),
        # Year end.
        ("2026-12-31T23:15:00", date(2027, 1, 1), "2027-01-01T00:15:00+01:00"),
    ],
)
def test_today_is_the_brussels_date_around_midnight(instant: str, today: date, wall: str) -> None:
    clock = SystemClock(lambda: utc(instant))

    assert clock.today() == today
    assert clock.local_now().isoformat() == wall
    assert clock.local_now().tzinfo is BRUSSELS
    assert clock.now() == utc(instant) and clock.now().tzinfo is UTC


@pytest.mark.parametrize(
    ("instant", "wall"),
    [
        # 29 March 2026: at 01:00 UTC clocks jump from 02:00 (+01:00) to 03:00 (+02:00).
        ("2026-03-28T23:30:00", "2026-03-29T00:30:00+01:00"),
        ("2026-03-29T00:59:59", "2026-03-29T01:59:59+01:00"),
        ("2026-03-29T01:00:00", "2026-03-29T03:00:00+02:00"),
        ("2026-03-29T21:59:59", "2026-03-29T23:59:59+02:00"),
        ("2026-03-29T22:00:00", "2026-03-30T00:00:00+02:00"),
        # 25 October 2026: at 01:00 UTC clocks fall back from 03:00 (+02:00) to 02:00 (+01:00).
        ("2026-10-24T22:00:00", "2026-10-25T00:00:00+02:00"),
        ("2026-10-25T00:30:00", "2026-10-25T02:30:00+02:00"),
        ("2026-10-25T01:30:00", "2026-10-25T02:30:00+01:00"),
        ("2026-10-25T22:59:59", "2026-10-25T23:59:59+01:00"),
        ("2026-10-25T23:00:00", "2026-10-26T00:00:00+01:00"),
    ],
)
def test_the_wall_clock_follows_both_daylight_saving_switches(instant: str, wall: str) -> None:
    clock = SystemClock(lambda: utc(instant))

    assert clock.local_now().isoformat() == wall
    assert clock.today() == datetime.fromisoformat(wall).date()
    # The same instant, shown in Brussels. Compared in UTC: Python holds a time of the hour
    # that happens twice unequal to every datetime of another zone (PEP 495).
    assert clock.local_now().astimezone(UTC) == utc(instant)


def test_the_days_of_the_switches_last_23_and_25_hours() -> None:
    def length(day: date) -> timedelta:
        start = datetime.combine(day, datetime.min.time(), BRUSSELS)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), BRUSSELS)
        return end.astimezone(UTC) - start.astimezone(UTC)

    assert length(date(2026, 3, 29)) == timedelta(hours=23)
    assert length(date(2026, 10, 25)) == timedelta(hours=25)


def test_the_real_system_clock_is_aware() -> None:
    clock = SystemClock()
    now, local = clock.now(), clock.local_now()

    assert now.tzinfo is UTC and local.tzinfo is BRUSSELS
    assert clock.today() in {brussels_date(now), brussels_date(local)}


def test_a_naive_source_is_refused() -> None:
    clock = SystemClock(lambda: datetime(2026, 3, 2, 10, 0))

    with pytest.raises(ValueError, match="naive"):
        clock.now()
    with pytest.raises(ValueError, match="naive"):
        brussels_date(datetime(2026, 3, 2, 23, 30))


def test_brussels_date_of_an_instant() -> None:
    assert brussels_date(utc("2026-03-01T23:30:00")) == date(2026, 3, 2)
    assert brussels_date(utc("2026-07-01T22:30:00")) == date(2026, 7, 2)
    assert brussels_date(datetime.fromisoformat("2026-07-01T23:30:00-05:00")) == date(2026, 7, 2)


# -- the simulated clock: the time ---------------------------------------------------------------


def test_before_any_date_is_set_it_shows_the_system_brussels_date(
    store: CountingStore, time_: FixedTime
) -> None:
    time_.instant = utc("2026-03-01T23:30:00")
    clock = simulated(store, time_)

    assert clock.today() == date(2026, 3, 2)
    assert clock.local_now().isoformat() == "2026-03-02T00:30:00+01:00"


def test_the_simulated_date_at_the_brussels_time_of_day(
    store: CountingStore, time_: FixedTime
) -> None:
    record(store, date(2026, 3, 10))
    time_.instant = utc("2026-03-01T23:30:00")  # 00:30 in Brussels
    clock = simulated(store, time_)

    assert clock.today() == date(2026, 3, 10)
    assert clock.local_now().isoformat() == "2026-03-10T00:30:00+01:00"
    # The instant is the day before in UTC: business dates come from today(), never now().
    assert clock.now() == utc("2026-03-09T23:30:00") and clock.now().tzinfo is UTC


@pytest.mark.parametrize(
    ("simulated_day", "instant", "wall"),
    [
        # A winter time of day on a summer date takes the summer offset.
        (date(2026, 7, 1), "2026-03-01T23:30:00", "2026-07-01T00:30:00+02:00"),
        (date(2026, 1, 15), "2026-07-01T22:30:00", "2026-01-15T00:30:00+01:00"),
        # 02:30 does not exist on 29 March: it stands for 03:30 summer time.
        (date(2026, 3, 29), "2026-03-02T01:30:00", "2026-03-29T03:30:00+02:00"),
        # 02:30 happens twice on 25 October: the first one, unless the wall clock is in its second.
        (date(2026, 10, 25), "2026-03-02T01:30:00", "2026-10-25T02:30:00+02:00"),
        (date(2026, 10, 25), "2026-10-25T01:30:00", "2026-10-25T02:30:00+01:00"),
    ],
)
def test_the_simulated_date_takes_its_own_utc_offset(
    store: CountingStore, time_: FixedTime, simulated_day: date, instant: str, wall: str
) -> None:
    record(store, simulated_day)
    time_.instant = utc(instant)
    clock = simulated(store, time_)

    assert clock.local_now().isoformat() == wall
    assert clock.today() == simulated_day == clock.local_now().date()
    assert clock.now() == clock.local_now().astimezone(UTC)


# -- the simulated clock: following the store ----------------------------------------------------


def test_the_date_is_read_from_the_store_at_most_once_per_interval(
    store: CountingStore, time_: FixedTime
) -> None:
    record(store, date(2026, 3, 2))
    clock = simulated(store, time_)

    for _ in range(100):
        assert clock.today() == date(2026, 3, 2)
        clock.now()
        clock.local_now()
    assert store.clock_reads == 1

    time_.seconds += clock.refresh_interval
    clock.today()
    clock.today()
    assert store.clock_reads == 2


def test_another_process_s_date_shows_within_the_interval(
    store: CountingStore, path: Path, time_: FixedTime
) -> None:
    other_process = SQLiteEventStore(str(path))
    try:
        ours = simulated(store, time_)
        assert ours.today() == date(2026, 3, 2)  # the system date: nothing recorded yet

        record(other_process, date(2026, 3, 10))
        assert ours.today() == date(2026, 3, 2)  # still fresh: no read yet
        time_.seconds += ours.refresh_interval
        assert ours.today() == date(2026, 3, 10)

        record(other_process, date(2026, 2, 27))  # time may go backwards
        time_.seconds += ours.refresh_interval
        assert ours.today() == date(2026, 2, 27)
    finally:
        other_process.close()


def test_a_refresh_reads_only_the_new_events(store: CountingStore, time_: FixedTime) -> None:
    for day in range(1, 6):
        record(store, date(2026, 3, day))
    clock = simulated(store, time_)
    assert clock.today() == date(2026, 3, 5)

    record(store, date(2026, 3, 20))
    time_.seconds += clock.refresh_interval
    assert clock.today() == date(2026, 3, 20)
    assert clock._next_version == 6


def test_adopt_shows_the_date_just_recorded_at_once(store: CountingStore, time_: FixedTime) -> None:
    clock = simulated(store, time_)
    clock.today()
    version = record(store, date(2026, 3, 10))

    clock.adopt(date(2026, 3, 10), version)

    assert clock.today() == date(2026, 3, 10)
    reads = store.clock_reads
    time_.seconds += clock.refresh_interval
    assert clock.today() == date(2026, 3, 10)  # the refresh reads nothing it has not adopted
    assert store.clock_reads == reads + 1


def test_adopt_never_goes_back_to_an_older_version(store: CountingStore, time_: FixedTime) -> None:
    clock = simulated(store, time_)
    first = record(store, date(2026, 3, 10))
    second = record(store, date(2026, 3, 11))

    clock.adopt(date(2026, 3, 11), second)
    clock.adopt(date(2026, 3, 10), first)  # a slower thread's news arriving late

    assert clock.today() == date(2026, 3, 11)


def test_set_today_holds_in_this_process_only(
    store: CountingStore, path: Path, time_: FixedTime
) -> None:
    record(store, date(2026, 3, 2))
    clock = simulated(store, time_)

    clock.set_today(date(2026, 4, 1))

    assert clock.today() == date(2026, 4, 1)
    assert len(store.read_stream(CLOCK_STREAM)) == 1  # nothing recorded
    time_.seconds += clock.refresh_interval
    assert clock.today() == date(2026, 4, 1)  # the stream has nothing newer
    record(store, date(2026, 5, 1))
    time_.seconds += clock.refresh_interval
    assert clock.today() == date(2026, 5, 1)


def answered_while_held(call: Callable[[], T], held: threading.Thread) -> T:
    """`call`'s answer, checked to come while `held` is still held at its gate (run in a
    thread of its own, so that a call that waits for the held one fails instead of hanging)."""
    answers: list[T] = []
    caller = threading.Thread(target=lambda: answers.append(call()))
    caller.start()
    caller.join(GATE_TIMEOUT / 2)
    assert answers and held.is_alive(), "the call waited for the held read"
    return answers[0]


class GatedStore(SQLiteEventStore):
    """The real engine whose clock-stream reads can be held at a gate."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.hold = False
        self.entered = threading.Event()
        self.gate = threading.Event()

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        if self.hold and stream == CLOCK_STREAM:
            self.entered.set()
            self.gate.wait(GATE_TIMEOUT)
        return super().read_stream(stream, from_version)


def test_while_one_thread_reads_the_store_the_others_answer_from_memory(
    path: Path, time_: FixedTime
) -> None:
    store = GatedStore(str(path))
    try:
        record(store, date(2026, 3, 2))
        clock = simulated(store, time_)
        assert clock.today() == date(2026, 3, 2)
        store.hold = True
        time_.seconds += clock.refresh_interval
        reader = threading.Thread(target=clock.today)
        reader.start()
        assert store.entered.wait(5)

        assert answered_while_held(clock.today, reader) == date(2026, 3, 2)

        store.gate.set()
        reader.join(5)
        assert not reader.is_alive()
    finally:
        store.gate.set()
        store.close()


class SlowReadStore(SQLiteEventStore):
    """The real engine, whose clock-stream reads can be held after they have read."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.hold = False
        self.entered = threading.Event()
        self.gate = threading.Event()

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        recorded = super().read_stream(stream, from_version)
        if self.hold and stream == CLOCK_STREAM:
            self.entered.set()
            self.gate.wait(GATE_TIMEOUT)
        return recorded


def test_a_slow_refresh_never_undoes_a_date_adopted_meanwhile(path: Path, time_: FixedTime) -> None:
    store = SlowReadStore(str(path))
    try:
        record(store, date(2026, 3, 2))
        clock = simulated(store, time_)
        assert clock.today() == date(2026, 3, 2)
        record(store, date(2026, 3, 3))  # by another process
        store.hold = True
        time_.seconds += clock.refresh_interval
        reader = threading.Thread(target=clock.today)
        reader.start()
        assert store.entered.wait(5)  # it has read 3 March, not yet applied it

        clock.adopt(date(2026, 3, 4), record(store, date(2026, 3, 4)))
        store.gate.set()
        reader.join(5)

        assert not reader.is_alive()
        assert clock.today() == date(2026, 3, 4)
    finally:
        store.gate.set()
        store.close()


def test_clock_from_settings(store: CountingStore, tmp_path: Path) -> None:
    assert isinstance(clock_from_settings(kit_settings(tmp_path), store), SystemClock)
    simulated_settings = kit_settings(tmp_path, COOP_CLOCK="simulated")
    assert isinstance(clock_from_settings(simulated_settings, store), SimulatedClock)
