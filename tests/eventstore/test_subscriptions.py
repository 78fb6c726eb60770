"""The restart loop both runners share, and lag counted in events by a capped read."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.eventstore.port import START, EventFilter
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.subscriptions import (
    Backoff,
    EventFailed,
    FailureLog,
    LagCounter,
    Restarter,
    SubscriptionEnded,
    head_and_lag,
    lag_report,
)
from tests.eventstore.faults import FaultyStore
from tests.eventstore.sample_projection import write_counts


class Waits(threading.Event):
    """A stop signal that records each back-off wait instead of waiting, and is set after
    `limit` of them: the loop runs in the test's thread, no clock involved."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def test_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial=0.1, maximum=30.0)
    assert [backoff.delay(n) for n in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert backoff.delay(9) == 30.0 and backoff.delay(10_000) == 30.0
    with pytest.raises(ValueError):
        Backoff(initial=1.0, maximum=0.5)


def test_failures_without_progress_wait_longer_each_time() -> None:
    stopping, failures = Waits(limit=6), FailureLog()

    def attempt() -> None:
        raise ConnectionError("dropped")

    restarter = Restarter(
        "t", attempt, position=lambda: 7, stopping=stopping, failures=failures,
        backoff=Backoff(initial=0.1, maximum=1.0),
    )  # fmt: skip
    restarter.run()
    assert stopping.waits == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert failures.report() == {
        "failures": 6,
        "last_error": "ConnectionError: dropped",
        "failed_at_position": 7,
    }
    assert restarter.failing is True and restarter.restarts == 6
    restarter.recovered()
    assert restarter.failing is False


def test_progress_between_failures_starts_the_back_off_over() -> None:
    stopping, position = Waits(limit=4), iter(range(100))
    current = [0]

    def attempt() -> None:
        current[0] = next(position)  # each attempt gets further before it fails
        raise ConnectionError("dropped again")

    Restarter(
        "t", attempt, position=lambda: current[0], stopping=stopping, failures=FailureLog(),
        backoff=Backoff(initial=0.1, maximum=1.0),
    ).run()  # fmt: skip
    assert stopping.waits == [0.1, 0.1, 0.1, 0.1]


def test_an_attempt_that_ends_by_itself_is_a_failure() -> None:
    failures = FailureLog()
    Restarter("t", lambda: None, position=lambda: 3, stopping=Waits(1), failures=failures).run()
    assert failures.report() == {
        "failures": 1,
        "last_error": f"{SubscriptionEnded.__name__}: t: the subscription ended",
        "failed_at_position": 3,
    }


def test_an_event_failure_names_its_position_and_its_cause() -> None:
    failures = FailureLog()

    def attempt() -> None:
        raise EventFailed(42) from KeyError("missing")

    Restarter("t", attempt, position=lambda: 3, stopping=Waits(1), failures=failures).run()
    assert failures.last_error == "KeyError: 'missing'"
    assert failures.failed_at_position == 42


def test_a_stopped_restarter_does_not_record_the_failure_of_its_last_attempt() -> None:
    stopping, failures = threading.Event(), FailureLog()

    def attempt() -> None:
        stopping.set()
        raise ConnectionError("closed under it")

    Restarter("t", attempt, position=lambda: 0, stopping=stopping, failures=failures).run()
    assert failures.count == 0


def test_lag_is_counted_by_a_capped_read_and_reused_while_nothing_moves(tmp_path: Path) -> None:
    engine = SQLiteEventStore(str(tmp_path / "events.db"))
    store = FaultyStore(engine)
    head = write_counts(store, 30)
    middle = store.read_all(limit=25)[-1].position
    counter = LagCounter(store, cap=10)
    assert counter.count(START, head) == 11
    assert lag_report(counter.count(START, head), counter.cap) == {
        "lag_events": 10,
        "lag_capped": True,
    }
    reads = store.reads
    assert counter.count(START, head) == 11
    assert store.reads == reads  # same position, same head: not read again
    assert counter.count(middle, head) == 5
    assert counter.count(head, head) == 0
    assert lag_report(5, 10) == {"lag_events": 5, "lag_capped": False}
    assert lag_report(None, 10) == {"lag_events": None, "lag_capped": False}

    only_other = LagCounter(store, EventFilter(types=("SomethingElse",)))
    assert only_other.count(START, head) == 0
    engine.close()
    assert head_and_lag(store, LagCounter(store), START) == (None, None)  # never raises
