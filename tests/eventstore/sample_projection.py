"""A small read model for the projection tests: one row per event, a total per stream."""

from __future__ import annotations

import sqlite3
import uuid

from shared.events.base import Context, DomainEvent, Envelope, event
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import ANY, EventStore


@event
class SampleCounted(DomainEvent):
    n: int


class SampleTotals:
    name = "sample_totals"
    version = 1
    handles = frozenset({"SampleCounted"})

    def create(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE rows (position INTEGER PRIMARY KEY, stream TEXT, n INTEGER)")
        conn.execute("CREATE TABLE totals (stream TEXT PRIMARY KEY, total INTEGER NOT NULL)")

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        assert isinstance(envelope.event, SampleCounted)
        # The primary key makes a second application of one event fail loudly.
        conn.execute(
            "INSERT INTO rows VALUES (?, ?, ?)",
            (envelope.position, envelope.stream, envelope.event.n),
        )
        conn.execute(
            "INSERT INTO totals VALUES (?, ?)"
            " ON CONFLICT (stream) DO UPDATE SET total = total + excluded.total",
            (envelope.stream, envelope.event.n),
        )


def snapshot(conn: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    rows = conn.execute("SELECT position, stream, n FROM rows ORDER BY position").fetchall()
    totals = conn.execute("SELECT stream, total FROM totals ORDER BY stream").fetchall()
    return [tuple(r) for r in rows], [tuple(t) for t in totals]


def write_counts(store: EventStore, count: int, streams: int = 7) -> int:
    context = Context.new("test")
    position = 0
    batch = 100
    for start in range(0, count, batch):
        events = [SampleCounted(n=i) for i in range(start, min(start + batch, count))]
        stream = f"sample-{uuid.uuid4().hex[:4]}{start // batch % streams}"
        position = store.append(stream, to_new_events(events, context), ANY).position
    return position
