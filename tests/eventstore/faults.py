"""A fault injector around the real SQLite engine (not a mock of the store): every call goes to
the engine; only subscriptions are made to break, the way a dropped connection breaks them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

from shared.eventstore.port import (
    NO_FILTER,
    START,
    AppendRequest,
    AppendResult,
    EventFilter,
    ExpectedVersion,
    NewEvent,
    Position,
    RecordedEvent,
    StoreUnavailable,
    Subscription,
)
from shared.eventstore.sqlite import SQLiteEventStore


class InjectedFault(StoreUnavailable):
    """What a broken subscription raises."""


class FaultyStore:
    """The first `failing_subscriptions` subscriptions raise after `fail_after` events each;
    the first `refused_subscriptions` calls to `subscribe` raise at once."""

    def __init__(
        self,
        engine: SQLiteEventStore,
        *,
        fail_after: int = 0,
        failing_subscriptions: int = 0,
        refused_subscriptions: int = 0,
    ) -> None:
        self.engine = engine
        self.fail_after = fail_after
        self._failing = failing_subscriptions
        self._refused = refused_subscriptions
        self._lock = threading.Lock()
        self.subscriptions = 0  # subscriptions handed out
        self.faults = 0  # faults raised, of both kinds
        self.reads = 0  # calls to read_all

    def subscribe(self, after: Position = START, filter: EventFilter = NO_FILTER) -> Subscription:
        with self._lock:
            if self._refused > 0:
                self._refused -= 1
                self.faults += 1
                raise InjectedFault("injected fault: subscription refused")
            self.subscriptions += 1
            breaks = self._failing > 0
            if breaks:
                self._failing -= 1
        return _BreakingSubscription(
            self.engine.subscribe(after, filter), self.fail_after if breaks else None, self
        )

    def _fault(self) -> None:
        with self._lock:
            self.faults += 1

    def append(
        self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion
    ) -> AppendResult:
        return self.engine.append(stream, events, expected)

    def append_many(self, requests: Sequence[AppendRequest]) -> AppendResult:
        return self.engine.append_many(requests)

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        return self.engine.read_stream(stream, from_version)

    def read_all(
        self, after: Position = START, filter: EventFilter = NO_FILTER, limit: int | None = None
    ) -> list[RecordedEvent]:
        with self._lock:
            self.reads += 1
        return self.engine.read_all(after, filter, limit)

    def head(self) -> Position:
        return self.engine.head()

    def close(self) -> None:
        self.engine.close()


class _BreakingSubscription:
    def __init__(self, inner: Subscription, fail_after: int | None, store: FaultyStore) -> None:
        self._inner = inner
        self._fail_after = fail_after
        self._store = store

    def __iter__(self) -> Iterator[RecordedEvent]:
        for yielded, recorded in enumerate(self._inner):
            if self._fail_after is not None and yielded >= self._fail_after:
                self._store._fault()
                raise InjectedFault(f"injected fault after {yielded} events")
            yield recorded

    def stop(self) -> None:
        self._inner.stop()


def until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Polls `condition` until it holds (True) or `timeout` passes (False). Only for what a
    runner offers no event for, such as its status."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
