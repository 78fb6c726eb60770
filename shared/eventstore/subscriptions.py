"""What the projection and reaction runners share: restarting with back-off, failure records
and lag counted in events.

A subscription ends for many reasons (a dropped connection, a leader change, a bug in the code
fed by it). A runner never gives up on it: `Restarter` runs its follow loop again from the last
checkpoint, waiting longer after each failure that made no progress (capped), and every failure
is counted and kept for `status()`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shared.eventstore.port import NO_FILTER, EventFilter, EventStore, Position

log = logging.getLogger(__name__)

# Lag is counted by reading at most this many events past the position (a bounded read).
LAG_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between attempts: `initial`, then multiplied by `factor`, never over `maximum`."""

    initial: float = 0.1
    maximum: float = 30.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum or self.factor < 1:
            raise ValueError(f"back-off needs 0 < initial <= maximum and factor >= 1: {self}")

    def delay(self, failures: int) -> float:
        """The wait after `failures` failures in a row (0 for the first)."""
        # The exponent is bounded so a key failing for weeks never overflows a float.
        return min(self.initial * self.factor ** min(failures, 64), self.maximum)


DEFAULT_BACKOFF = Backoff()


class EventFailed(Exception):
    """Code fed by a runner raised on one event: carries its position (and, for a batch, the
    index of the event in it). The original error is the cause."""

    def __init__(self, position: Position, index: int = 0) -> None:
        super().__init__(f"failed on the event at position {position}")
        self.position = position
        self.index = index


class SubscriptionEnded(Exception):
    """A subscription stopped yielding although nobody stopped it."""


def describe(error: BaseException) -> str:
    """The text kept as `last_error`: the original error of an `EventFailed`."""
    shown = error.__cause__ if isinstance(error, EventFailed) and error.__cause__ else error
    return f"{type(shown).__name__}: {shown}"


class FailureLog:
    """Failures of one runner: how many, the last one and where (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.last_error: str | None = None
        self.failed_at_position: Position | None = None

    def record(self, error: BaseException, position: Position | None) -> None:
        with self._lock:
            self.count += 1
            self.last_error = describe(error)
            self.failed_at_position = position

    def report(self) -> dict[str, object]:
        with self._lock:
            return {
                "failures": self.count,
                "last_error": self.last_error,
                "failed_at_position": self.failed_at_position,
            }


class Restarter:
    """Runs `attempt` until `stopping` is set, and runs it again whenever it fails.

    An attempt follows a subscription from the owner's checkpoint: it returns when `stopping`
    is set, raises when something went wrong. Returning while not stopping means the
    subscription ended by itself: a failure too. After a failure it waits (`backoff`), longer
    each time while `position()` does not move, and from the initial delay again once it
    does. The owner calls `recovered()` when it works again (subscribed, or committed).
    """

    def __init__(
        self,
        name: str,
        attempt: Callable[[], None],
        *,
        position: Callable[[], Position],
        stopping: threading.Event,
        failures: FailureLog,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.name = name
        self._attempt = attempt
        self._position = position
        self._stopping = stopping
        self._failures = failures
        self.backoff = backoff
        self.failing = False  # the last attempt failed and nothing has worked since
        self.restarts = 0

    def recovered(self) -> None:
        self.failing = False

    def run(self) -> None:
        in_a_row = 0
        while not self._stopping.is_set():
            before = self._position()
            error: Exception
            try:
                self._attempt()
            except Exception as raised:  # every failure is retried; none ends the runner
                error = raised
            else:
                error = SubscriptionEnded(f"{self.name}: the subscription ended")
            if self._stopping.is_set():
                return
            if self._position() != before:
                in_a_row = 0  # it got further this time: a new trouble, not the same one
            at = error.position if isinstance(error, EventFailed) else self._position()
            self._failures.record(error, at)
            self.failing = True
            delay = self.backoff.delay(in_a_row)
            in_a_row += 1
            self.restarts += 1
            log.warning(
                "%s failed at position %s (%s); restarting in %.2f s",
                self.name,
                at,
                describe(error),
                delay,
                exc_info=error,
            )
            self._stopping.wait(delay)


class LagCounter:
    """Events matching `filter` after a position, counted by a read capped at `cap`: a
    position is an opaque token (a byte offset on KurrentDB), never a count.

    Readiness and metrics poll this: an answer is reused while neither the position nor the
    head moved, and nothing is read when the position is the head.
    """

    def __init__(self, store: EventStore, filter: EventFilter = NO_FILTER, cap: int = LAG_CAP):
        self._store = store
        self._filter = filter
        self.cap = cap
        self._lock = threading.Lock()
        self._last: tuple[Position, Position, int] | None = None

    def count(self, after: Position, head: Position) -> int:
        """How many matching events lie in (after, head], at most `cap` (at most `cap + 1`
        when more: `capped()` tells)."""
        if after >= head:
            return 0
        with self._lock:
            last = self._last
            if last is not None and last[0] == after and last[1] == head:
                return last[2]
        found = len(self._store.read_all(after=after, filter=self._filter, limit=self.cap + 1))
        with self._lock:
            self._last = (after, head, found)
        return found


def lag_report(lag: int | None, cap: int) -> dict[str, object]:
    """`lag_events` as a capped int, and whether the real lag is larger still."""
    if lag is None:
        return {"lag_events": None, "lag_capped": False}
    return {"lag_events": min(lag, cap), "lag_capped": lag > cap}


def head_and_lag(
    store: EventStore, counter: LagCounter, after: Position
) -> tuple[Position | None, int | None]:
    """The head and the lag after `after`; (None, None) when the store does not answer, so
    a status never raises (readiness then says not ready)."""
    try:
        head = store.head()
        return head, counter.count(after, head)
    except Exception as error:
        log.debug("lag unknown: %r", error)
        return None, None
