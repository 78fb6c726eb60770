"""Reactions: an event from elsewhere becomes a command here, at least once.

Events are partitioned by a key (the event's stream unless told otherwise): events of one key
are reacted to in log order; a key whose event waits (RetryLater) or fails is retried with its
own back-off and holds back only its own later events, never another key's. At most
`max_parked` events are held that way; past it the runner stops reading new events until some
drain (nothing is ever dropped or skipped).

The checkpoint is a low-water mark: the position before which every event is done. It is saved
after the reactions, every `checkpoint_every` events or `checkpoint_interval` seconds (and when
idle), so a crash replays the events after it, some of them done already; reactions make that
harmless with deterministic event ids and expected versions.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from shared.events.base import Envelope
from shared.eventstore.codec import decode_shared
from shared.eventstore.partitions import Parked, Partitions
from shared.eventstore.port import START, EventFilter, EventStore, Position, Subscription
from shared.eventstore.subscriptions import (
    LAG_CAP,
    Backoff,
    EventFailed,
    FailureLog,
    LagCounter,
    Restarter,
    head_and_lag,
    lag_report,
)

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised by a reaction whose precondition is not met yet (not a failure): it is retried
    with the same back-off, logged without a traceback."""


class _Outcome(enum.Enum):
    DONE = "done"
    WAITING = "waiting"
    FAILED = "failed"


def by_stream(envelope: Envelope) -> str:
    """The default partition key: events of one stream (one aggregate) keep their order."""
    return envelope.stream


class ReactionRunner:
    def __init__(
        self,
        store: EventStore,
        name: str,
        types: tuple[str, ...],
        react: Callable[[Envelope], None],
        checkpoint_db: Path | str,
        *,
        max_backoff: float = 30.0,
        backoff: Backoff | None = None,
        key: Callable[[Envelope], str] = by_stream,
        max_parked: int = 10_000,
        checkpoint_every: int = 100,
        checkpoint_interval: float = 0.2,
        lag_cap: int = LAG_CAP,
    ) -> None:
        self.store = store
        self.name = name
        self.filter = EventFilter(types=types)
        self.react = react
        self.key = key
        self.backoff = backoff or Backoff(initial=min(0.1, max_backoff), maximum=max_backoff)
        self.max_backoff = self.backoff.maximum
        self.max_parked = max_parked
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._conn = sqlite3.connect(
            checkpoint_db, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        # A checkpoint lost with the machine replays a few events: at least once allows it.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS reaction_checkpoints"
            " (name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
        )
        row = self._conn.execute(
            "SELECT position FROM reaction_checkpoints WHERE name = ?", (name,)
        ).fetchone()
        self.position: Position = START if row is None else row[0]  # the low-water mark
        self.checkpoint: Position = self.position  # what is saved
        self.checkpoints_written = 0
        self._saved_at = time.monotonic()
        self._done_since_saved = 0
        self._last_read: Position = self.position  # the last event taken by the worker
        self._read_position: Position = self.position  # the last event handed to the worker
        self._parked = Partitions(self.backoff)
        self._intake: queue.Queue[Parked | None] = queue.Queue(maxsize=1000)
        self._busy = False
        self._paused = False  # at the bound: not reading until parked events drain
        self._broken = False
        self.failures = FailureLog()
        self._lag = LagCounter(store, self.filter, cap=lag_cap)
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()  # orders subscribing against stop()
        self._subscription: Subscription | None = None
        self._restarter = Restarter(
            f"reaction {name}",
            self._read,
            position=lambda: self._read_position,
            stopping=self._stopping,
            failures=self.failures,
            backoff=self.backoff,
        )
        self._reader = threading.Thread(
            target=self._restarter.run, name=f"reaction-{name}-read", daemon=True
        )
        self._worker = threading.Thread(target=self._work, name=f"reaction-{name}", daemon=True)
        self._following = False

    def start(self) -> None:
        self._worker.start()
        self._reader.start()

    def follow(self) -> None:
        """Another process reacts: only report, from the checkpoint it saves, how far it got."""
        self._following = True

    # -- reading: the subscription, restarted whenever it fails --------------------------------

    def _read(self) -> None:
        with self._lifecycle:
            if self._stopping.is_set():
                return
            # From the last event handed over: what is parked or queued is still in memory.
            subscription = self.store.subscribe(after=self._read_position, filter=self.filter)
            self._subscription = subscription
        self._restarter.recovered()
        try:
            for recorded in subscription:
                item = Parked(recorded, self._read_position)
                while True:  # a full intake is the back-pressure of the parked bound
                    if self._stopping.is_set():
                        return
                    try:
                        self._intake.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                self._read_position = recorded.position
        finally:
            subscription.stop()

    # -- working: one thread reacts, retries the due keys and saves the checkpoint -------------

    def _work(self) -> None:
        try:
            while not self._stopping.is_set():
                self._retry_due()
                self._paused = self._parked.count >= self.max_parked
                if self._paused:
                    self._stopping.wait(self._wait())
                else:
                    try:
                        item = self._intake.get(timeout=self._wait())
                    except queue.Empty:
                        item = None
                    if item is not None:
                        self._take(item)
                self._save()
        except Exception as error:  # a bug here: reported, never silent
            self._broken = True
            self.failures.record(error, self.position)
            log.exception("reaction %s: its worker stopped", self.name)
        finally:
            if not self._broken:  # a broken worker's parked events may be half updated
                with contextlib.suppress(sqlite3.Error):
                    self._save(force=True)

    def _wait(self) -> float | None:
        """Seconds until something is due: a key's retry or a pending checkpoint."""
        deadlines = []
        due = self._parked.next_due()
        if due is not None:
            deadlines.append(due)
        if self.position != self.checkpoint:
            deadlines.append(self._saved_at + self.checkpoint_interval)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def _take(self, item: Parked) -> None:
        self._last_read = item.recorded.position
        key = self._key(item)
        if self._parked.holds(key):
            self._parked.park(key, item)  # behind the key's waiting event: order kept
            return
        self._busy = True  # counted in the lag while neither queued nor parked
        try:
            outcome = self._attempt(item)
        finally:
            self._busy = False
        if outcome is _Outcome.DONE:
            self._done_since_saved += 1
        else:
            self._parked.park(key, item)
            self._parked.postpone(key, time.monotonic(), failing=outcome is _Outcome.FAILED)

    def _key(self, item: Parked) -> str:
        try:
            item.envelope = decode_shared(item.recorded)
        except Exception:
            # Retried (and reported) as the event's failure; its stream keeps it in order.
            return item.recorded.stream
        try:
            return self.key(item.envelope)
        except Exception:
            log.exception(
                "reaction %s: no key for %s; keyed by its stream", self.name, item.recorded.id
            )
            return item.recorded.stream

    def _retry_due(self) -> None:
        for key in self._parked.pop_due(time.monotonic()):
            while not self._stopping.is_set():
                outcome = self._attempt(self._parked.first(key))
                if outcome is not _Outcome.DONE:
                    failing = outcome is _Outcome.FAILED
                    self._parked.postpone(key, time.monotonic(), failing=failing)
                    break
                self._parked.done(key)
                self._done_since_saved += 1
                if not self._parked.holds(key):
                    break

    def _attempt(self, item: Parked) -> _Outcome:
        recorded = item.recorded
        try:
            envelope = item.envelope if item.envelope is not None else decode_shared(recorded)
            item.envelope = envelope
            self.react(envelope)
            return _Outcome.DONE
        except RetryLater as waiting:
            log.info("reaction %s waits on %s: %s", self.name, recorded.id, waiting)
            return _Outcome.WAITING
        except Exception as error:
            failed = EventFailed(recorded.position)
            failed.__cause__ = error
            self.failures.record(failed, recorded.position)
            log.exception("reaction %s failed on %s; retrying", self.name, recorded.id)
            return _Outcome.FAILED

    def _save(self, *, force: bool = False) -> None:
        low = self._parked.low_water()
        self.position = self._last_read if low is None else low
        if self.position == self.checkpoint:
            return
        now = time.monotonic()
        if (
            force
            or self._done_since_saved >= self.checkpoint_every
            or now - self._saved_at >= self.checkpoint_interval
        ):
            # One statement: one small transaction.
            self._conn.execute(
                "INSERT INTO reaction_checkpoints VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (self.name, self.position),
            )
            self.checkpoint = self.position
            self.checkpoints_written += 1
            self._saved_at = now
            self._done_since_saved = 0

    # -- reporting and stopping ---------------------------------------------------------------

    @property
    def failing(self) -> bool:
        return self._restarter.failing or self._parked.failing_keys > 0 or self._broken

    @property
    def failure(self) -> str | None:
        """The last error while something fails (None otherwise)."""
        return self.failures.last_error if self.failing else None

    def status(self) -> dict[str, object]:
        """`lag_events` counts the matching events not done yet: parked or queued here, and
        those in the log after the last one read (by a capped read)."""
        if self._following:
            return self._followed_status()
        head, unread = head_and_lag(self.store, self._lag, self._read_position)
        pending = self._parked.count + self._intake.qsize() + int(self._busy)
        lag = None if unread is None else unread + pending
        failing = self.failing
        failures = self.failures.report()
        return {
            "name": self.name,
            "position": self.position,
            "checkpoint": self.checkpoint,
            "head": head,
            **lag_report(lag, self._lag.cap),
            "caught_up": not failing and lag == 0,
            "parked": self._parked.count,
            "waiting_keys": self._parked.keys,
            "failing_keys": self._parked.failing_keys,
            "reading": not self._paused,
            "failing": failing,
            **failures,
            "failed": failures["last_error"] if failing else None,
        }

    def _followed_status(self) -> dict[str, object]:
        # The saved low-water mark trails what is done by at most `checkpoint_interval`.
        row = self._conn.execute(
            "SELECT position FROM reaction_checkpoints WHERE name = ?", (self.name,)
        ).fetchone()
        checkpoint: Position = START if row is None else row[0]
        head, lag = head_and_lag(self.store, self._lag, checkpoint)
        return {
            "name": self.name,
            "checkpoint": checkpoint,
            "head": head,
            **lag_report(lag, self._lag.cap),
            "caught_up": lag == 0,
            "kept_by": "background process",
        }

    def stop(self) -> None:
        with self._lifecycle:
            self._stopping.set()
            subscription = self._subscription
        if subscription is not None:
            subscription.stop()
        with contextlib.suppress(queue.Full):
            self._intake.put_nowait(None)  # wakes the worker
        for thread in (self._reader, self._worker):
            if thread.ident is not None:
                thread.join(timeout=10)
        if self._worker.is_alive():
            # Closing a connection another thread is using can crash the process: leave it.
            log.warning("reaction %s did not stop (a reaction hangs?)", self.name)
            return
        self._conn.close()


class ReactionPolicy:
    """A service's policy whose lifecycle is its `ReactionRunner`'s: the runner reacts in the
    background process; in the HTTP process `follow` only reports how far it got."""

    runner: ReactionRunner

    def start(self) -> None:
        self.runner.start()

    def follow(self) -> None:
        self.runner.follow()

    def stop(self) -> None:
        self.runner.stop()

    def status(self) -> dict[str, object]:
        return self.runner.status()
