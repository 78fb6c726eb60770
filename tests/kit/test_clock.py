from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shared.clock import CLOCK_STREAM, SimulatedClock, SystemClock, clock_from_settings
from shared.events.base import Context
from shared.events.platform import SimulatedDateSet
from shared.eventstore.codec import decode
from shared.eventstore.sqlite import SQLiteEventStore
from tests.kit import kit_settings

CONTEXT = Context.new("ops:test")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteEventStore]:
    store = SQLiteEventStore(str(path))
    yield store
    store.close()


def test_system_clock_is_utc_aware() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert SystemClock().today() in {now.date(), datetime.now(UTC).date()}


def test_simulated_clock_starts_on_the_system_date(store: SQLiteEventStore) -> None:
    assert SimulatedClock(store).today() == datetime.now(UTC).date()


def test_setting_the_date_appends_an_event(store: SQLiteEventStore) -> None:
    clock = SimulatedClock(store)
    clock.set_today(date(2026, 3, 2), CONTEXT)
    assert clock.today() == date(2026, 3, 2)
    [recorded] = store.read_stream(CLOCK_STREAM)
    assert decode(recorded).event == SimulatedDateSet(today=date(2026, 3, 2))
    assert decode(recorded).metadata.actor == "ops:test"


def test_every_process_sees_the_latest_date(store: SQLiteEventStore, path: Path) -> None:
    other_process = SQLiteEventStore(str(path))
    try:
        theirs = SimulatedClock(other_process)
        assert theirs.today() == datetime.now(UTC).date()
        SimulatedClock(store).set_today(date(2026, 3, 2), CONTEXT)
        assert theirs.today() == date(2026, 3, 2)
        SimulatedClock(store).set_today(date(2026, 2, 27), CONTEXT)  # time may go backwards
        assert theirs.today() == date(2026, 2, 27)
    finally:
        other_process.close()


def test_now_is_the_simulated_date_at_the_current_utc_time(store: SQLiteEventStore) -> None:
    clock = SimulatedClock(store)
    clock.set_today(date(2026, 3, 2), CONTEXT)
    now = clock.now()
    assert now.date() == date(2026, 3, 2)
    assert now.tzinfo is UTC
    assert abs(now.time().hour - datetime.now(UTC).hour) in {0, 1, 23}


def test_clock_from_settings(store: SQLiteEventStore, tmp_path: Path) -> None:
    assert isinstance(clock_from_settings(kit_settings(tmp_path), store), SystemClock)
    simulated = kit_settings(tmp_path, COOP_CLOCK="simulated")
    assert isinstance(clock_from_settings(simulated, store), SimulatedClock)
