"""The embedded engine: one SQLite file, several processes, gapless commit-ordered positions.

Writes go through `BEGIN IMMEDIATE`, so one transaction at a time holds the write lock and a
position (the row id) is assigned under it: positions are gapless and in commit order, and a
reader that has seen position p can never later discover a committed event below p.

Group commit: appends that arrive while another group is committing queue up, and the next
leader commits the whole queue in one transaction (one fsync); after a group of several, the
next leader waits a moment (`group_wait`) for those writers to come back. Each append is still
checked against its own expected version, undone alone if it fails (its own statement, or its
own savepoint when it has several rows) and told its own result.

The table, the statements on it and the decoding of its rows are in
`shared.eventstore.sqlite_rows`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.eventstore.port import (
    NO_FILTER,
    START,
    AppendRequest,
    AppendResult,
    EventFilter,
    EventStoreError,
    ExpectedVersion,
    NewEvent,
    Position,
    RecordedEvent,
    StoreUnavailable,
    StreamState,
    WrongExpectedVersion,
    category_of,
)
from shared.eventstore.sqlite_rows import COLUMNS, INSERT, SCHEMA, read_all_query, recorded_all
from shared.eventstore.sqlite_tail import RecentTail


class DuplicateEventIds(EventStoreError):
    """Some, but not all, of an append's event ids are already stored: not a retry."""


@dataclass
class _PendingAppend:
    requests: Sequence[AppendRequest]
    size: int  # events in all requests
    result: AppendResult | None = None
    error: BaseException | None = None
    done: bool = False


class SQLiteEventStore:
    # How long a new leader may wait for the writers of the previous group to come back.
    group_wait = 0.0005

    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "FULL",
        poll_interval: float = 0.05,
        busy_timeout_ms: int = 30_000,
    ) -> None:
        self.path = path
        self._in_memory = path == ":memory:"
        self._synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self.poll_interval = poll_interval
        self._write_lock = threading.Lock()
        # Guards the queue of appends waiting for a leader, and whether one is committing.
        queue_lock = threading.Lock()
        self._queue_ready = threading.Condition(queue_lock)
        self._gathered = threading.Condition(queue_lock)  # wakes a leader gathering its group
        self._queue: list[_PendingAppend] = []
        self._leading = False
        self._gathering = False
        self._last_group = 1  # appends in the last group committed
        # Wakes local subscribers after each commit; other processes' commits are polled.
        self._commits = threading.Condition()
        self._commit_count = 0
        self._tail = RecentTail(lambda after, upto: self._read_range(after, upto, NO_FILTER, None))
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        # Guards the reader list and counts the reads running: closing a connection another
        # thread is reading through crashes the interpreter, so close() waits for them.
        self._readers_lock = threading.Condition()
        self._reads_running = 0
        self._closed = False
        self._writer = self._connect()
        # Savepoints and statements journal the pages they change to undo themselves; past
        # 64 KiB that journal spills to a temporary file unless temp storage is in memory.
        self._writer.execute("PRAGMA temp_store=MEMORY")
        if not self._in_memory:
            self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=0)
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        return conn

    def _reader(self) -> sqlite3.Connection:
        # An in-memory database lives in one connection: reads share the writer's.
        if self._in_memory:
            return self._writer
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple]:
        if self._in_memory:
            with self._write_lock:
                return self._writer.execute(sql, params).fetchall()
        with self._readers_lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            self._reads_running += 1
        try:
            return self._reader().execute(sql, params).fetchall()
        finally:
            with self._readers_lock:
                self._reads_running -= 1
                self._readers_lock.notify_all()

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion
    ) -> AppendResult:
        return self.append_many([AppendRequest(stream, events, expected)])

    def append_many(self, requests: Sequence[AppendRequest]) -> AppendResult:
        if not requests:
            raise EventStoreError("an append names no stream")
        size = 0
        for request in requests:
            category_of(request.stream)
            if not request.events:
                raise EventStoreError(f"append to {request.stream!r} carries no event")
            size += len(request.events)
        if len(requests) > 1 and len({r.stream.casefold() for r in requests}) < len(requests):
            # As KurrentDB refuses it (names compared without case): the engines agree.
            raise EventStoreError("append_many takes one request per stream")
        pending = _PendingAppend(requests, size)
        queue = self._queue
        with self._queue_ready:
            queue.append(pending)
            if self._gathering and len(queue) >= self._last_group:
                self._gathered.notify()
            # Followers sleep until a leader has committed their append; the first one woken
            # with its append still queued leads the next group.
            while self._leading and not pending.done:
                self._queue_ready.wait()
            if not pending.done:
                self._leading = True
                if len(queue) < self._last_group:
                    # The writers of the last group are on their way back with their next
                    # append: a moment's wait lets them share this fsync instead of the next.
                    self._gathering = True
                    self._gathered.wait_for(lambda: len(queue) >= self._last_group, self.group_wait)
                    self._gathering = False
                batch = queue[:]
                queue.clear()
        if not pending.done:
            try:
                with self._write_lock:
                    self._commit(batch)
            finally:
                with self._queue_ready:
                    self._last_group = len(batch)
                    self._leading = False
                    self._queue_ready.notify_all()
        if pending.error is not None:
            raise pending.error
        if pending.result is None:
            raise RuntimeError("a committed group left an append without its result")
        return pending.result

    def _commit(self, batch: list[_PendingAppend]) -> None:
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
            alone = len(batch) == 1
            for pending in batch:
                # One row is one statement: a failed INSERT leaves nothing behind. Several rows
                # may fail halfway: alone in its transaction, an append rolls it back; grouped,
                # it gets a savepoint to roll back to.
                guarded = pending.size > 1 and not alone
                if guarded:
                    conn.execute("SAVEPOINT one_append")
                try:
                    pending.result = self._apply(conn, pending.requests)
                except (EventStoreError, sqlite3.IntegrityError) as error:
                    if guarded:
                        conn.execute("ROLLBACK TO one_append")
                        conn.execute("RELEASE one_append")
                    elif alone:
                        conn.execute("ROLLBACK")
                    self._settle_failure(conn, pending, error)
                else:
                    if guarded:
                        conn.execute("RELEASE one_append")
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for pending in batch:
                pending.result, pending.error = None, error
            raise
        finally:
            for pending in batch:
                pending.done = True
        with self._commits:
            self._commit_count += 1
            self._commits.notify_all()

    def _settle_failure(
        self,
        conn: sqlite3.Connection,
        pending: _PendingAppend,
        error: EventStoreError | sqlite3.IntegrityError,
    ) -> None:
        """An append failed (and wrote nothing): a retry of a stored append answers its
        original result instead. Checked only on failure, so the usual append pays no lookup:
        a retry always fails first, its ids being unique and its expected version past."""
        try:
            replayed = self._already_stored(conn, pending.requests)
        except DuplicateEventIds as duplicate:
            pending.error = duplicate
            return
        if replayed is None:
            pending.error = error
        else:
            pending.result = replayed

    def _apply(self, conn: sqlite3.Connection, requests: Sequence[AppendRequest]) -> AppendResult:
        now = time.time()
        versions: dict[str, int] = {}
        rows: list[tuple[bytes, str, str, int, str, bytes, bytes, float]] = []
        for request in requests:
            current = versions.get(request.stream)
            if current is None:
                current = self._version(conn, request.stream)
            _check_expected(request.stream, request.expected, current)
            category = category_of(request.stream)
            next_version = -1 if current is None else current
            for new in request.events:
                next_version += 1
                rows.append(
                    (
                        new.id.bytes,
                        request.stream,
                        category,
                        next_version,
                        new.type,
                        new.data,
                        new.metadata,
                        now,
                    )
                )
            versions[request.stream] = next_version
        try:
            if len(rows) == 1:
                last_position = conn.execute(INSERT, rows[0]).lastrowid
            else:
                conn.executemany(INSERT, rows)
                last_position = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        except sqlite3.IntegrityError as error:
            raise DuplicateEventIds(str(error)) from error
        if last_position is None:
            raise RuntimeError("SQLite reported no row id for an insert")
        return AppendResult(position=last_position, versions=versions)

    @staticmethod
    def _version(conn: sqlite3.Connection, stream: str) -> int | None:
        row = conn.execute("SELECT max(version) FROM events WHERE stream = ?", (stream,)).fetchone()
        return None if row[0] is None else int(row[0])

    @staticmethod
    def _already_stored(
        conn: sqlite3.Connection, requests: Sequence[AppendRequest]
    ) -> AppendResult | None:
        """A retried append (every event id already stored) answers its original result."""
        ids = [new.id.bytes for request in requests for new in request.events]
        # The first id decides cheaply; only a hit pays for the full check.
        if conn.execute("SELECT 1 FROM events WHERE event_id = ?", (ids[0],)).fetchone() is None:
            return None
        marks = ",".join("?" * len(ids))
        found = conn.execute(
            f"SELECT stream, version, position FROM events WHERE event_id IN ({marks})", ids
        ).fetchall()
        if len(found) != len(ids):
            raise DuplicateEventIds(f"{len(found)} of {len(ids)} event ids are already stored")
        versions: dict[str, int] = {}
        for stream, version, _ in found:
            versions[stream] = max(version, versions.get(stream, -1))
        return AppendResult(position=max(p for _, _, p in found), versions=versions)

    # -- reading ---------------------------------------------------------------------------

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        rows = self._query(
            f"SELECT {COLUMNS} FROM events WHERE stream = ? AND version >= ? ORDER BY version",
            (stream, from_version),
        )
        return recorded_all(rows)

    def read_all(
        self, after: Position = START, filter: EventFilter = NO_FILTER, limit: int | None = None
    ) -> list[RecordedEvent]:
        return self._read_range(after, None, filter, limit)

    def _read_range(
        self, after: Position, upto: Position | None, filter: EventFilter, limit: int | None
    ) -> list[RecordedEvent]:
        sql, params = read_all_query(after, filter, limit, upto)
        return recorded_all(self._query(sql, params))

    def head(self) -> Position:
        rows = self._query("SELECT max(position) FROM events", ())
        return rows[0][0] or START

    def subscribe(self, after: Position = START, filter: EventFilter = NO_FILTER) -> _Subscription:
        return _Subscription(self, after, filter)

    def _wait_for_commit(self, seen_commit_count: int, timeout: float) -> None:
        with self._commits:
            if self._commit_count == seen_commit_count and not self._closed:
                self._commits.wait(timeout)

    def close(self) -> None:
        self._closed = True
        with self._commits:
            self._commits.notify_all()
        with self._readers_lock:
            self._readers_lock.wait_for(lambda: self._reads_running == 0, timeout=30)
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()


def _check_expected(stream: str, expected: ExpectedVersion, current: int | None) -> None:
    match expected:
        case StreamState.ANY:
            ok = True
        case StreamState.NO_STREAM:
            ok = current is None
        case StreamState.EXISTS:
            ok = current is not None
        case int():
            ok = current == expected
    if not ok:
        raise WrongExpectedVersion(stream, expected, current)


class _Subscription:
    """Catch-up then live, in pages; stops when asked or when the store closes.

    There is no index by category or type, so a filtered read scans the log: each look covers
    at most `scan_window` positions up to the head, and moves `position` past what it looked
    at even when nothing there matched, so no stretch of the log is scanned twice.
    """

    page_size = 1000
    scan_window = 10_000

    def __init__(self, store: SQLiteEventStore, after: Position, filter: EventFilter) -> None:
        self._store = store
        self.position = after  # every wanted event up to here has been yielded
        self._filter = filter
        self._stopped = threading.Event()

    def __iter__(self) -> Iterator[RecordedEvent]:
        store = self._store
        while not self._stopped.is_set() and not store._closed:
            seen = store._commit_count
            head = store.head()
            upto = min(head, self.position + self.scan_window)
            page = store._tail.read(self.position, upto, self._filter, self.page_size)
            if page is None:  # behind what the tail holds: catching up on its own
                page = store._read_range(self.position, upto, self._filter, self.page_size)
            for recorded in page:
                if self._stopped.is_set():
                    return
                self.position = recorded.position
                yield recorded
            if len(page) < self.page_size:
                self.position = max(self.position, upto)
                if upto == head:
                    store._wait_for_commit(seen, store.poll_interval)

    def stop(self) -> None:
        self._stopped.set()
        with self._store._commits:
            self._store._commits.notify_all()
