"""The read side of a projection that another process keeps current.

When the background runs in a process of its own (`shared.background`), the HTTP process still
answers lists and waits for its own writes: it reads the generation the catalog names, and
learns how far that generation has got from its checkpoint row, polled. It never writes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from shared.eventstore.port import START, EventStore, Position, StoreUnavailable
from shared.eventstore.subscriptions import LagCounter, head_and_lag, lag_report

if TYPE_CHECKING:
    from shared.eventstore.projections import Projection

# How often a wait for a position looks at the checkpoint again: a read-your-writes wait
# costs at most this much more than the projection's own delay.
POLL_INTERVAL = 0.002
# How long a read waits for the background process to create a projection's first file.
FIRST_FILE_TIMEOUT = 10.0


class FollowedProjection:
    """Reads `projection` in `directory`, written by a `ProjectionRunner` elsewhere."""

    def __init__(self, store: EventStore, projection: Projection, directory: Path) -> None:
        self.store = store
        self.projection = projection
        self.directory = directory
        self._catalog = directory / f"{projection.name}.current"
        self._local = threading.local()  # this thread's (generation, connection)
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self._lag = LagCounter(store)

    def _generation(self) -> int:
        try:
            return int(self._catalog.read_text().strip())
        except (FileNotFoundError, ValueError):
            return 0  # not swapped yet (a half-written catalog is never read: os.replace)

    def _connection(self) -> sqlite3.Connection:
        number = self._generation()
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == number:
            return held[1]
        path = self.directory / f"{self.projection.name}.{number}.sqlite"
        deadline = time.monotonic() + FIRST_FILE_TIMEOUT
        while not _has_checkpoint(path):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"projection {self.projection.name} has no file yet")
            time.sleep(0.05)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only=ON")
        if held is not None:
            held[1].close()  # its generation was replaced; the file may be gone already
        self._local.held = (number, conn)
        with self._opened_lock:
            self._opened.append(conn)
        return conn

    def _checkpoint(self) -> tuple[Position, int]:
        row = self._connection().execute("SELECT position, version FROM projection_meta").fetchone()
        return (START, self.projection.version) if row is None else (row[0], row[1])

    @property
    def position(self) -> Position:
        return self._checkpoint()[0]

    @property
    def stale(self) -> bool:
        return self._checkpoint()[1] != self.projection.version

    def wait_for(self, position: Position, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            checkpoint, version = self._checkpoint()
            if checkpoint >= position and version == self.projection.version:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        yield self._connection()

    def status(self) -> dict[str, object]:
        try:
            position, version = self._checkpoint()
        except (sqlite3.Error, StoreUnavailable) as error:
            return {"name": self.projection.name, "caught_up": False, "error": repr(error)}
        head, lag = head_and_lag(self.store, self._lag, position)
        stale = version != self.projection.version
        return {
            "name": self.projection.name,
            "version": version,
            "position": position,
            "head": head,
            **lag_report(lag, self._lag.cap),
            "caught_up": not stale and lag == 0,
            "stale": stale,
            "kept_by": "background process",
        }

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()


def _has_checkpoint(path: Path) -> bool:
    if not os.path.exists(path):
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'projection_meta'"
            ).fetchone()
            return (
                bool(row[0])
                and conn.execute("SELECT 1 FROM projection_meta").fetchone() is not None
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return False
