"""Looking back: the events behind a stream or one read-model row, and a stream's state at a
past position or business date."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.decider import Decider
from shared.events.base import Envelope
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, Position
from shared.eventstore.projections import Projection
from shared.personal import reveal

BATCH = 2000


@dataclass(frozen=True, slots=True)
class Step:
    position: Position
    stream: str
    version: int
    type: str
    occurred_at: str
    actor: str
    data: dict[str, Any]


def step_of(envelope: Envelope) -> Step:
    return Step(
        envelope.position, envelope.stream, envelope.version, envelope.type,
        envelope.metadata.occurred_at.isoformat(), envelope.metadata.actor,
        reveal(envelope.event.model_dump(mode="json")),  # staff see personal data opened
    )  # fmt: skip


def explain_stream(store: EventStore, stream: str) -> list[Step]:
    """Every event of one document or aggregate (an invoice, a prestation), in order."""
    return [step_of(decode(r)) for r in store.read_stream(stream)]


def explain_row(
    store: EventStore, projection: Projection, table: str, column: str, value: object
) -> list[Step]:
    """The events that changed one row of a read model: the projection is folded again from
    zero into memory and the row is looked at after each event it handles."""
    conn = sqlite3.connect(":memory:")
    projection.create(conn)
    names = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
    if table not in names:
        raise LookupError(f"{projection.name} has no table {table!r}")
    columns = {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}
    if column not in columns:
        raise LookupError(f"{table} has no column {column!r}")
    query = f'SELECT * FROM "{table}" WHERE "{column}" = ?'
    only = EventFilter(types=tuple(sorted(projection.handles)))
    steps: list[Step] = []
    before: list[tuple[object, ...]] = []
    after = START
    while batch := store.read_all(after=after, filter=only, limit=BATCH):
        for recorded in batch:
            envelope = decode(recorded)
            projection.apply(conn, envelope)
            now = [tuple(r) for r in conn.execute(query, (value,))]
            if now != before:
                steps.append(step_of(envelope))
                before = now
        after = batch[-1].position
    conn.close()
    return steps


@dataclass(frozen=True, slots=True)
class AsOf:
    events: int
    position: Position | None  # of the last event folded
    state: object


def as_of(
    store: EventStore, stream: str, decider: Decider[Any, Any] | None = None, *,
    position: Position | None = None, business_date: date | None = None,
) -> AsOf:  # fmt: skip
    """The stream folded up to `position` (store order) or to the end of `business_date`
    (the events' occurred-at, in business time); without a decider, the events' data."""
    kept: list[Envelope] = []
    for recorded in store.read_stream(stream):
        if position is not None and recorded.position > position:
            break
        envelope = decode(recorded, reveal=True)  # a decider folds opened values
        if business_date is not None and envelope.metadata.occurred_at.date() > business_date:
            break
        kept.append(envelope)
    last = kept[-1].position if kept else None
    if decider is None:
        return AsOf(len(kept), last, [step_of(e).data for e in kept])
    return AsOf(len(kept), last, decider.fold(e.event for e in kept))
