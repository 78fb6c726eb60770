"""One generation of a projection: a read-model file holding its tables and its checkpoint,
written in the same transaction, so the checkpoint says exactly which events the rows contain.

A generation whose stored version is not the code's version is stale: it is never fed (the
new code would write into tables of the old shape), it only answers reads, frozen at its
checkpoint, until a generation built by the new code takes over.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from shared.events.base import Envelope
from shared.eventstore.codec import decode, decode_shared
from shared.eventstore.port import START, EventStore, Position, RecordedEvent, Subscription
from shared.eventstore.subscriptions import (
    DEFAULT_BACKOFF,
    Backoff,
    EventFailed,
    FailureLog,
    Restarter,
)

if TYPE_CHECKING:
    from shared.eventstore.projections import Projection

log = logging.getLogger(__name__)

_META = """
CREATE TABLE IF NOT EXISTS projection_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL,
    version  INTEGER NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # The event store is the durable record; a lost read-model commit is replayed from it.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _open(path: Path, projection: Projection) -> tuple[sqlite3.Connection, Position, int]:
    conn = connect(path)
    conn.executescript(_META)
    row = conn.execute("SELECT position, version FROM projection_meta").fetchone()
    if row is not None:
        return conn, row[0], row[1]
    tables = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name NOT IN ('projection_meta')"
        " AND name NOT LIKE 'sqlite_%'"
    ).fetchone()[0]
    if tables:
        # Tables but no checkpoint: the file was cut short while being created (`create` may
        # run a script, which commits on its own). It holds no event yet: start it over.
        conn.close()
        remove_files(path)
        conn = connect(path)
        conn.executescript(_META)
    projection.create(conn)
    conn.execute("INSERT INTO projection_meta VALUES (1, ?, ?)", (START, projection.version))
    return conn, START, projection.version


class _End(NamedTuple):
    """The last item of a feed: why the subscription ended (None: it was stopped)."""

    error: Exception | None


class Generation:
    """One read-model file, fed in batched transactions: it catches up by reading the log page
    by page in one thread, then follows a subscription fed through a queue. Whatever goes
    wrong, it starts again from its checkpoint after a back-off (see `Restarter`)."""

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        path: Path,
        number: int,
        *,
        batch_size: int,
        changed: threading.Condition,
        failures: FailureLog,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_step: Callable[[Generation], None] | None = None,
    ) -> None:
        self.store = store
        self.projection = projection
        self.path = path
        self.number = number
        self.batch_size = batch_size
        self.conn, self.position, self.version = _open(path, projection)
        # Whoever waits on the runner's condition is told of every commit of every generation.
        self._changed = changed
        self._on_step = on_step
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()  # orders subscribing against stop()
        self._subscription: Subscription | None = None
        # Following the head, the process's consumers decode the same new events: they share
        # the decodes. Catching up or rebuilding, an event is this one's alone (and holding
        # thousands of them for nobody cost a rebuild a fifth of its time).
        self._decode: Callable[[RecordedEvent], Envelope] = decode
        self._threads: list[threading.Thread] = []
        self._restarter = Restarter(
            f"projection {projection.name} (generation {number})",
            self._attempt,
            position=lambda: self.position,
            stopping=self._stopping,
            failures=failures,
            backoff=backoff,
        )
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    @property
    def stale(self) -> bool:
        """Built by another version of the projection: frozen, it only answers reads."""
        return self.version != self.projection.version

    @property
    def failing(self) -> bool:
        return self._restarter.failing

    def start(self) -> None:
        if self.stale:
            raise RuntimeError(
                f"generation {self.number} of {self.projection.name} holds version"
                f" {self.version}; version {self.projection.version} never writes into it"
            )
        thread = threading.Thread(
            target=self._restarter.run, name=f"{self.projection.name}-apply", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    # -- one attempt: catch up, then follow ---------------------------------------------------

    def _attempt(self) -> None:
        # Catching up reads and folds in this one thread: a reader thread handing events over
        # one by one would fight this one for the GIL at every SQLite call of either.
        self._catch_up()
        with self._lifecycle:
            if self._stopping.is_set():
                return
            subscription = self.store.subscribe(after=self.position)
            self._subscription = subscription
        self._restarter.recovered()
        feed: queue.Queue[RecordedEvent | _End] = queue.Queue(maxsize=10 * self.batch_size)
        reader = threading.Thread(
            target=self._read,
            args=(subscription, feed),
            name=f"{self.projection.name}-read",
            daemon=True,
        )
        reader.start()
        try:
            self._follow(feed)
        finally:
            subscription.stop()
            while reader.is_alive():
                # The reader may be blocked on a full feed: make room until it sees the stop.
                _drain(feed)
                reader.join(timeout=0.05)

    def _catch_up(self) -> None:
        self._decode = decode
        while not self._stopping.is_set():
            page = self.store.read_all(self.position, limit=self.batch_size)
            if page:
                self._commit(page)
            if len(page) < self.batch_size:
                break
        if self._on_step is not None:
            self._on_step(self)  # at the head: a rebuild over a quiet log may swap now

    @staticmethod
    def _read(subscription: Subscription, feed: queue.Queue[RecordedEvent | _End]) -> None:
        end = _End(None)
        try:
            for recorded in subscription:
                feed.put(recorded)
        except Exception as error:  # handed to the applying thread, which restarts
            end = _End(error)
        feed.put(end)

    def _follow(self, feed: queue.Queue[RecordedEvent | _End]) -> None:
        self._decode = decode_shared
        while True:
            item = feed.get()
            if isinstance(item, _End):
                _ended(item)
                return
            batch = [item]
            end: _End | None = None
            while len(batch) < self.batch_size:
                try:
                    item = feed.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _End):
                    end = item
                    break
                batch.append(item)
            self._commit(batch)
            if end is not None:
                _ended(end)
                return

    # -- writing ------------------------------------------------------------------------------

    def _commit(self, batch: Sequence[RecordedEvent]) -> None:
        try:
            self._write(batch)
        except EventFailed as failed:
            # Keep what the events before the failing one gave: reads of earlier positions
            # are answered while the failing one is retried.
            if failed.index > 0:
                self._write(batch[: failed.index])
            raise

    def _write(self, batch: Sequence[RecordedEvent]) -> None:
        conn = self.conn
        handles = self.projection.handles
        apply = self.projection.apply
        last = batch[-1].position
        conn.execute("BEGIN IMMEDIATE")
        try:
            for index, recorded in enumerate(batch):
                if recorded.type in handles:
                    try:
                        apply(conn, self._decode(recorded))
                    except Exception as error:
                        raise EventFailed(recorded.position, index) from error
            conn.execute("UPDATE projection_meta SET position = ?", (last,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        with self._changed:
            self.position = last
            self._changed.notify_all()
        self._restarter.recovered()
        if self._on_step is not None:
            self._on_step(self)

    # -- reading and stopping -----------------------------------------------------------------

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
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        if any(thread.is_alive() for thread in self._threads):
            # Closing a connection another thread is using can crash the process: leave it.
            log.warning("%s did not stop; its connection stays open", self._restarter.name)
            return
        # After a swap, a query may still be running on an old reader: let it finish.
        if close_readers:
            for conn in self._readers:
                conn.close()
        self.conn.close()


def _ended(end: _End) -> None:
    if end.error is not None:
        raise end.error


def _drain(feed: queue.Queue[RecordedEvent | _End]) -> None:
    try:
        while True:
            feed.get_nowait()
    except queue.Empty:
        pass
