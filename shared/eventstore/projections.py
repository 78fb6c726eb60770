"""Read models built from events, exactly once, rebuildable beside the live one.

Each generation of a projection is its own SQLite file holding the read model's tables and a
checkpoint, written in the same transaction: after a crash the checkpoint says exactly which
events the rows contain. A rebuild fills a new generation from position zero while the current
one keeps serving, then the catalog file is switched to it atomically.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from shared.events.base import Envelope
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventStore, Position, RecordedEvent, Subscription

log = logging.getLogger(__name__)

_META = """
CREATE TABLE IF NOT EXISTS projection_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL,
    version  INTEGER NOT NULL
);
"""


class Projection(Protocol):
    """A read model: its tables, the event types it folds, and how it folds one event."""

    name: str
    version: int  # bump when tables or logic change: the next start rebuilds beside the old
    handles: frozenset[str]

    def create(self, conn: sqlite3.Connection) -> None: ...

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None: ...


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # The event store is the durable record; a lost read-model commit is replayed from it.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class _Generation:
    """One read-model file in batched transactions: it catches up by reading the log page by
    page in one thread, then follows a subscription fed through a queue."""

    _STOP = object()

    def __init__(
        self, store: EventStore, projection: Projection, path: Path, batch_size: int
    ) -> None:
        self.store = store
        self.projection = projection
        self.path = path
        self.batch_size = batch_size
        self.conn = _connect(path)
        self.conn.executescript(_META)
        row = self.conn.execute("SELECT position, version FROM projection_meta").fetchone()
        if row is None:
            projection.create(self.conn)
            self.conn.execute(
                "INSERT INTO projection_meta VALUES (1, ?, ?)", (START, projection.version)
            )
            row = (START, projection.version)
        self.position: Position = row[0]
        self.version: int = row[1]
        self._advanced = threading.Condition()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=10 * batch_size)
        # Subscribed once caught up, from where the catch-up stopped.
        self._subscription: Subscription | None = None
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()  # orders subscribing against stop()
        self._threads: list[threading.Thread] = []
        self.failure: BaseException | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    def start(self) -> None:
        thread = threading.Thread(
            target=self._run, name=f"{self.projection.name}-apply", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        # Catching up reads and folds in this one thread: a reader thread handing events over
        # one by one would fight this one for the GIL at every SQLite call of either.
        try:
            self._catch_up()
        except BaseException as error:  # surfaced through status(), never silently
            self.failure = error
            log.exception("projection %s: catch-up failed", self.projection.name)
            return
        with self._lifecycle:
            if self._stopping.is_set():
                return
            self._subscription = self.store.subscribe(after=self.position)
            reader = threading.Thread(
                target=self._read, name=f"{self.projection.name}-read", daemon=True
            )
            self._threads.append(reader)
            reader.start()
        self._apply()

    def _catch_up(self) -> None:
        handles = self.projection.handles
        while not self._stopping.is_set():
            page = self.store.read_all(self.position, limit=self.batch_size)
            if not page:
                return
            self._commit(page, handles)
            if len(page) < self.batch_size:
                return

    def _read(self) -> None:
        assert self._subscription is not None
        try:
            for recorded in self._subscription:
                self._queue.put(recorded)
        except BaseException as error:  # surfaced through status(), never silently
            self.failure = error
            log.exception("projection %s: subscription failed", self.projection.name)
        finally:
            self._queue.put(self._STOP)

    def _apply(self) -> None:
        handles = self.projection.handles
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            batch = [item]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is self._STOP:
                    self._queue.put(item)
                    break
                batch.append(item)
            try:
                self._commit(batch, handles)
            except BaseException as error:
                self.failure = error
                assert self._subscription is not None
                self._subscription.stop()
                log.exception("projection %s: apply failed", self.projection.name)
                return

    def _commit(self, batch: Sequence[object], handles: frozenset[str]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                assert isinstance(item, RecordedEvent)
                if item.type in handles:
                    self.projection.apply(conn, decode(item))
            last = batch[-1]
            assert isinstance(last, RecordedEvent)
            conn.execute("UPDATE projection_meta SET position = ?", (last.position,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        with self._advanced:
            self.position = last.position
            self._advanced.notify_all()

    def wait_for(self, position: Position, timeout: float) -> bool:
        with self._advanced:
            return self._advanced.wait_for(
                lambda: self.position >= position or self.failure is not None, timeout
            ) and (self.position >= position)

    def reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            self._readers.append(conn)
        return conn

    def stop(self, *, close_readers: bool = True) -> None:
        with self._lifecycle:
            self._stopping.set()
            subscription = self._subscription
        if subscription is not None:
            subscription.stop()
        for thread in list(self._threads):
            thread.join(timeout=10)
        # After a swap, a query may still be running on an old reader: let it finish.
        if close_readers:
            for conn in self._readers:
                conn.close()
        self.conn.close()


class ProjectionRunner:
    """Keeps one projection current in `directory` and answers its queries."""

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        directory: Path | str,
        *,
        batch_size: int = 1000,
    ) -> None:
        self.store = store
        self.projection = projection
        self.directory = Path(directory)
        self.batch_size = batch_size
        self._catalog = self.directory / f"{projection.name}.current"
        self._live: _Generation | None = None
        self._rebuilding: _Generation | None = None
        self._swap_lock = threading.Lock()

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

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        current = self._current_generation()
        self._discard_unfinished(current)
        self._live = _Generation(self.store, self.projection, self._path(current), self.batch_size)
        self._live.start()
        if self._live.version != self.projection.version:
            self.rebuild(wait=False)

    def _discard_unfinished(self, current: int) -> None:
        # A rebuild that crashed before its swap left a newer file: it is never read.
        for path in self.directory.glob(f"{self.projection.name}.*.sqlite*"):
            generation = path.name.split(".")[1]
            if generation.isdigit() and int(generation) != current:
                path.unlink(missing_ok=True)

    @property
    def live(self) -> _Generation:
        if self._live is None:
            raise RuntimeError(f"projection {self.name} is not started")
        return self._live

    @property
    def position(self) -> Position:
        return self.live.position

    def wait_for(self, position: Position, timeout: float = 5.0) -> bool:
        """Read your writes: wait until the read model contains `position`."""
        return self.live.wait_for(position, timeout)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._swap_lock:
            conn = self.live.reader()
        yield conn

    def rebuild(self, *, wait: bool = True, timeout: float = 3600.0) -> None:
        """Fill a new generation from position zero beside the live one, then swap."""
        next_generation = self._current_generation() + 1
        self._path(next_generation).unlink(missing_ok=True)
        fresh = _Generation(
            self.store, self.projection, self._path(next_generation), self.batch_size
        )
        self._rebuilding = fresh
        fresh.start()

        def finish() -> None:
            while fresh.failure is None:
                if fresh.wait_for(self.store.head(), timeout):
                    break
            if fresh.failure is not None:
                log.error("projection %s: rebuild failed, keeping the live one", self.name)
                fresh.stop()
                self._rebuilding = None
                return
            self._swap(fresh, next_generation)

        if wait:
            finish()
        else:
            threading.Thread(target=finish, name=f"{self.name}-rebuild", daemon=True).start()

    def _swap(self, fresh: _Generation, generation: int) -> None:
        temporary = self._catalog.with_suffix(".tmp")
        temporary.write_text(str(generation))
        os.replace(temporary, self._catalog)
        with self._swap_lock:
            old, self._live = self._live, fresh
        self._rebuilding = None
        if old is not None:
            old.stop(close_readers=False)
            for path in self.directory.glob(f"{self.projection.name}.{generation - 1}.sqlite*"):
                path.unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        live = self.live
        head = self.store.head()
        return {
            "name": self.name,
            "position": live.position,
            "head": head,
            "caught_up": live.failure is None and live.position >= head,
            "rebuilding": self._rebuilding is not None,
            "failed": None if live.failure is None else repr(live.failure),
        }

    def stop(self) -> None:
        if self._rebuilding is not None:
            self._rebuilding.stop()
        if self._live is not None:
            self._live.stop()
