"""Each operation, timed through the engine and through raw `sqlite3` on the same disk."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.workload import LINES_TABLE, WorkLines, chunks, new_events, stream_name
from shared.eventstore.codec import decode
from shared.eventstore.port import (
    NO_STREAM,
    START,
    AppendRequest,
    EventFilter,
    ExpectedVersion,
    NewEvent,
)
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.sqlite_rows import SCHEMA

RAW_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL,"
    " version INTEGER NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, metadata BLOB NOT NULL)"
)
RAW_INSERT = "INSERT INTO events (stream, version, type, data, metadata) VALUES (?, ?, ?, ?, ?)"


def raw_connect(
    path: Path, synchronous: str = "FULL", schema: str = RAW_SCHEMA
) -> sqlite3.Connection:
    """The baseline's connection: autocommit, WAL, the same durability as the engine."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.executescript(schema)
    return conn


ENGINE_INSERT = (
    "INSERT INTO events (event_id, stream, category, version, type, data, metadata, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def raw_engine_schema_connect(path: Path) -> sqlite3.Connection:
    """A diagnostic baseline: raw sqlite3 on the engine's own schema and its five indexes."""
    return raw_connect(path, schema=SCHEMA)


def expected_before(version: int) -> ExpectedVersion:
    """What a writer expects before appending `version`: its stream's current version."""
    return NO_STREAM if version == 0 else version - 1


def raw_rows(stream: str, events: Sequence[NewEvent], first_version: int = 0) -> list[tuple]:
    return [(stream, first_version + i, e.type, e.data, e.metadata) for i, e in enumerate(events)]


# -- one event per transaction ---------------------------------------------------------------


def raw_single(conn: sqlite3.Connection, events: Sequence[NewEvent]) -> float:
    rows = raw_rows(stream_name("raw"), events)
    started = time.perf_counter()
    for row in rows:
        conn.execute(RAW_INSERT, row)  # autocommit: the INSERT is its own transaction, fsynced
    return time.perf_counter() - started


def engine_single(store: SQLiteEventStore, events: Sequence[NewEvent]) -> float:
    stream = stream_name("one")
    started = time.perf_counter()
    for version, new in enumerate(events):
        store.append(stream, [new], expected_before(version))
    return time.perf_counter() - started


# -- batches ---------------------------------------------------------------------------------


def raw_batches(conn: sqlite3.Connection, events: Sequence[NewEvent], size: int) -> float:
    rows = raw_rows(stream_name("raw"), events)
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    started = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN")
        conn.executemany(RAW_INSERT, batch)
        conn.execute("COMMIT")
    return time.perf_counter() - started


def engine_batches(store: SQLiteEventStore, events: Sequence[NewEvent], size: int) -> float:
    stream = stream_name("batch")
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    started = time.perf_counter()
    for number, batch in enumerate(batches):
        store.append(stream, batch, expected_before(number * size))
    return time.perf_counter() - started


def raw_engine_schema_batches(
    conn: sqlite3.Connection, events: Sequence[NewEvent], size: int
) -> float:
    stream = stream_name("raw")
    now = time.time()
    rows = [
        (e.id.bytes, stream, "work", i, e.type, e.data, e.metadata, now)
        for i, e in enumerate(events)
    ]
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    started = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(ENGINE_INSERT, batch)
        conn.execute("COMMIT")
    return time.perf_counter() - started


# -- concurrent writers ----------------------------------------------------------------------


def _race(workers: list[Callable[[], None]]) -> float:
    """Start every worker at once; the time from the start until the last one finishes."""
    start = threading.Barrier(len(workers) + 1)
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def engine_concurrent(store: SQLiteEventStore, per_writer: Sequence[Sequence[NewEvent]]) -> float:
    def writer(events: Sequence[NewEvent]) -> Callable[[], None]:
        stream = stream_name("conc")

        def work() -> None:
            for version, new in enumerate(events):
                store.append(stream, [new], expected_before(version))

        return work

    return _race([writer(events) for events in per_writer])


def raw_concurrent(path: Path, per_writer: Sequence[Sequence[NewEvent]]) -> float:
    connections = [raw_connect(path) for _ in per_writer]

    def writer(conn: sqlite3.Connection, events: Sequence[NewEvent]) -> Callable[[], None]:
        rows = raw_rows(stream_name("raw"), events)

        def work() -> None:
            for row in rows:
                conn.execute(RAW_INSERT, row)

        return work

    try:
        return _race(
            [writer(conn, events) for conn, events in zip(connections, per_writer, strict=True)]
        )
    finally:
        for conn in connections:
            conn.close()


# -- the big log: seeding, reading, rebuilding -------------------------------------------------


def seed(store: SQLiteEventStore, total: int, per_stream: int = 100, per_call: int = 5000) -> float:
    """Fill the log through the engine's own `append_many`: `per_call` events per transaction,
    `per_stream` events per stream, each stream's events with their own context (metadata).
    Encoding is included in the time."""
    started = time.perf_counter()
    for first, count in chunks(total, per_call):
        store.append_many(
            [
                AppendRequest(stream_name("seed"), new_events(start, size), NO_STREAM)
                for start, size in chunks(count, per_stream, first)
            ]
        )
    return time.perf_counter() - started


def engine_read_all(
    store: SQLiteEventStore, page: int = 1000, *, decoding: bool = True
) -> tuple[int, float]:
    """`read_all` page by page, each event decoded into its model (data and metadata), or
    not (`decoding=False`: what reading costs without `decode`)."""
    count = 0
    after = 0
    started = time.perf_counter()
    while True:
        recorded = store.read_all(after, limit=page)
        if decoding:
            for one in recorded:
                decode(one)
        count += len(recorded)
        if len(recorded) < page:
            break
        after = recorded[-1].position
    return count, time.perf_counter() - started


def engine_filtered_scan(store: SQLiteEventStore) -> tuple[int, float]:
    """A filtered `read_all` from zero that nothing matches: what a consumer filtering by type
    pays to catch up from the start, scanning the whole log (there is no index by type)."""
    started = time.perf_counter()
    found = store.read_all(START, EventFilter(types=("NothingLooksLikeThis",)), limit=1000)
    elapsed = time.perf_counter() - started
    assert not found
    return store.head(), elapsed


def raw_scan(path: Path) -> tuple[int, float]:
    """`SELECT data FROM events` on the engine's own file, `json.loads` per row."""
    conn = sqlite3.connect(path)
    try:
        count = 0
        loads = json.loads
        started = time.perf_counter()
        for (data,) in conn.execute("SELECT data FROM events ORDER BY position"):
            loads(data)
            count += 1
        return count, time.perf_counter() - started
    finally:
        conn.close()


def engine_rebuild(store: SQLiteEventStore, directory: Path, batch_size: int) -> tuple[int, float]:
    """`ProjectionRunner.rebuild(wait=True)`: a new generation from position zero, swapped in."""
    directory.mkdir(parents=True, exist_ok=True)
    runner = ProjectionRunner(store, WorkLines(), directory, batch_size=batch_size)
    started = time.perf_counter()
    runner.rebuild(wait=True)
    elapsed = time.perf_counter() - started
    with runner.read() as conn:
        rows = int(conn.execute("SELECT count(*) FROM lines").fetchone()[0])
    runner.stop()
    return rows, elapsed


def raw_rebuild(events_path: Path, view_path: Path, batch_size: int) -> tuple[int, float]:
    """Read the rows, `json.loads` each, insert one row each into another file in batches."""
    source = sqlite3.connect(events_path)
    # Like a projection's file: WAL, synchronous=NORMAL (the log is the durable record).
    target = raw_connect(view_path, synchronous="NORMAL", schema=LINES_TABLE)
    insert = "INSERT INTO lines VALUES (?, ?, ?, ?, ?)"
    loads = json.loads
    count = 0
    try:
        started = time.perf_counter()
        cursor = source.execute("SELECT position, stream, data FROM events ORDER BY position")
        while rows := cursor.fetchmany(batch_size):
            lines = []
            for position, stream, data in rows:
                fields = loads(data)
                lines.append(
                    (position, stream, fields["member_id"], fields["day"], fields["amount_cents"])
                )
            target.execute("BEGIN")
            target.executemany(insert, lines)
            target.execute("COMMIT")
            count += len(lines)
        return count, time.perf_counter() - started
    finally:
        source.close()
        target.close()
