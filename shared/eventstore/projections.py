"""Read models built from events, exactly once, rebuildable beside the live one.

Each generation of a projection is its own SQLite file (see `generations`). A rebuild fills a
new generation from position zero while the current one keeps serving, then the catalog file
is switched to it atomically. When the code's `version` differs from the one a generation was
built with, that generation is stale: it keeps answering reads, frozen at its checkpoint,
while the new code rebuilds beside it; the new one takes over as soon as it holds everything
the stale one does, so no read ever goes back in the log.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from shared.events.base import Envelope
from shared.eventstore.following import FollowedProjection
from shared.eventstore.generations import Generation, remove_files
from shared.eventstore.port import EventStore, Position
from shared.eventstore.subscriptions import (
    DEFAULT_BACKOFF,
    LAG_CAP,
    Backoff,
    FailureLog,
    LagCounter,
    head_and_lag,
    lag_report,
)

log = logging.getLogger(__name__)

# The generation class was private to this module; the old name still works.
_Generation = Generation


class Projection(Protocol):
    """A read model: its tables, the event types it folds, and how it folds one event."""

    name: str
    version: int  # bump when tables or logic change: the next start rebuilds beside the old
    handles: frozenset[str]

    def create(self, conn: sqlite3.Connection) -> None: ...

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None: ...


class ProjectionRunner:
    """Keeps one projection current in `directory` and answers its queries.

    `backoff` paces the restarts after a failure (a dropped subscription, an `apply` that
    raises); `lag_cap` bounds the read that counts `lag_events` in `status()`.
    """

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        directory: Path | str,
        *,
        batch_size: int = 1000,
        backoff: Backoff = DEFAULT_BACKOFF,
        lag_cap: int = LAG_CAP,
    ) -> None:
        self.store = store
        self.projection = projection
        self.directory = Path(directory)
        self.batch_size = batch_size
        self.backoff = backoff
        self.failures = FailureLog()  # of every generation, so the count only grows
        self._catalog = self.directory / f"{projection.name}.current"
        # Guards which generation serves and which rebuilds; notified at every commit.
        self._changed = threading.Condition()
        self._live: Generation | None = None
        self._rebuilding: Generation | None = None
        self._retiring: Generation | None = None  # replaced, its files not yet removed
        self._lag = LagCounter(store, cap=lag_cap)
        self._rebuild_lag = LagCounter(store, cap=lag_cap)
        self._followed: FollowedProjection | None = None

    @property
    def name(self) -> str:
        return self.projection.name

    def _path(self, generation: int) -> Path:
        return self.directory / f"{self.projection.name}.{generation}.sqlite"

    def _current_generation(self) -> int:
        try:
            return int(self._catalog.read_text().strip())
        except FileNotFoundError:
            return 0

    def _generation(self, number: int, *, rebuilding: bool) -> Generation:
        return Generation(
            self.store,
            self.projection,
            self._path(number),
            number,
            batch_size=self.batch_size,
            changed=self._changed,
            failures=self.failures,
            backoff=self.backoff,
            on_step=self._offer if rebuilding else None,
        )

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        current = self._current_generation()
        self._discard_unfinished(current)
        live = self._generation(current, rebuilding=False)
        with self._changed:
            self._live = live
        if live.stale:
            log.warning(
                "projection %s: generation %d holds version %d, the code is version %d;"
                " it serves reads, frozen, while a new generation rebuilds",
                self.name,
                current,
                live.version,
                self.projection.version,
            )
            self.rebuild(wait=False)
        else:
            live.start()

    def _discard_unfinished(self, current: int) -> None:
        # A rebuild that crashed before its swap left a newer file: it is never read.
        for path in self.directory.glob(f"{self.projection.name}.*.sqlite*"):
            generation = path.name.split(".")[1]
            if generation.isdigit() and int(generation) != current:
                path.unlink(missing_ok=True)

    def follow(self) -> None:
        """Serve reads of the files another process keeps current, instead of `start()`."""
        self._followed = FollowedProjection(self.store, self.projection, self.directory)

    @property
    def live(self) -> Generation:
        """The generation that answers reads."""
        live = self._live
        if live is None:
            raise RuntimeError(f"projection {self.name} is not started")
        return live

    @property
    def position(self) -> Position:
        if self._followed is not None:
            return self._followed.position
        return self.live.position

    @property
    def stale(self) -> bool:
        """Reads are answered by a generation of another version (its tables may have the old
        shape) while the new one rebuilds: a query that needs the new shape can refuse."""
        if self._followed is not None:
            return self._followed.stale
        return self.live.stale

    def wait_for(self, position: Position, timeout: float = 5.0) -> bool:
        """Read your writes: wait until the generation that answers `read()` contains
        `position`. A stale generation contains only what it held when it froze: a newer
        position is answered once the rebuilt one has taken over and reached it. False when
        `timeout` passes first (callers answer 503)."""

        if self._followed is not None:
            return self._followed.wait_for(position, timeout)

        def served() -> bool:
            live = self._live
            return live is not None and live.position >= position

        with self._changed:
            return self._changed.wait_for(served, timeout)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        if self._followed is not None:
            with self._followed.read() as conn:
                yield conn
            return
        # The connection is opened under the lock: a swap deletes the old file right after.
        with self._changed:
            conn = self.live.reader()
        yield conn

    def rebuild(self, *, wait: bool = True, timeout: float = 3600.0) -> bool:
        """Fill a new generation from position zero beside the live one, then swap. A rebuild
        under way is joined, never doubled. With `wait`, True once the new generation serves
        (False when `timeout` passed first: the rebuild goes on)."""
        with self._changed:
            fresh = self._rebuilding
            begin = fresh is None
            if fresh is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                base = self._live.number if self._live is not None else self._current_generation()
                remove_files(self._path(base + 1))
                fresh = self._generation(base + 1, rebuilding=True)
                self._rebuilding = fresh
        if begin:
            fresh.start()
        if not wait:
            return False
        with self._changed:
            return self._changed.wait_for(
                lambda: self._live is fresh and self._retiring is None, timeout
            )

    def _offer(self, fresh: Generation) -> None:
        """Called by a rebuilding generation after each step: it takes over once it holds
        everything the serving one does (the head, when nothing serves yet)."""
        with self._changed:
            live = self._live
            if self._rebuilding is not fresh:
                return
            target = live.position if live is not None else self.store.head()
            if fresh.position < target:
                return
            temporary = self._catalog.with_suffix(".tmp")
            temporary.write_text(str(fresh.number))
            os.replace(temporary, self._catalog)
            self._live, self._rebuilding, self._retiring = fresh, None, live
            self._changed.notify_all()
        log.info("projection %s: generation %d serves", self.name, fresh.number)
        if live is not None:
            live.stop(close_readers=False)
            remove_files(live.path)
        with self._changed:
            self._retiring = None
            self._changed.notify_all()

    def status(self) -> dict[str, object]:
        """Where the served view stands. `lag_events` counts every event between its position
        and the head (a projection reads them all, whether it folds them or not); `failing`
        says whether the generation the served view waits on is failing right now."""
        if self._followed is not None:
            return self._followed.status()
        with self._changed:
            live, fresh = self._live, self._rebuilding
        if live is None:
            return {"name": self.name, "caught_up": False, "lag_events": None, "started": False}
        head, lag = head_and_lag(self.store, self._lag, live.position)
        advancing = fresh if live.stale else live
        failing = advancing is not None and advancing.failing
        failures = self.failures.report()
        report: dict[str, object] = {
            "name": self.name,
            "version": live.version,
            "position": live.position,
            "head": head,
            **lag_report(lag, self._lag.cap),
            "caught_up": not live.stale and not failing and lag == 0,
            "stale": live.stale,
            "rebuilding": fresh is not None,
            "failing": failing,
            **failures,
            "failed": failures["last_error"] if failing else None,
        }
        if fresh is not None:
            _, rebuild_lag = head_and_lag(self.store, self._rebuild_lag, fresh.position)
            report["rebuild_position"] = fresh.position
            report["rebuild_lag_events"] = rebuild_lag
        return report

    def stop(self) -> None:
        if self._followed is not None:
            self._followed.close()
        with self._changed:
            fresh, live = self._rebuilding, self._live
            self._rebuilding = None  # no swap after this
        if fresh is not None:
            fresh.stop()
        if live is not None:
            live.stop()
