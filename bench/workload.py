"""What the bench writes and folds: a realistic registered event and a one-row-per-event view."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from shared.events.base import Context, DomainEvent, Envelope, event
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import NewEvent

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@event
class BenchWorkLogged(DomainEvent):
    """A member logged work for a client: the shape of a typical back-office event."""

    work_id: str
    member_id: str
    client_id: str
    day: date
    minutes: int
    amount_cents: int
    description: str


def work(n: int) -> BenchWorkLogged:
    return BenchWorkLogged(
        work_id=f"W-{n:09d}",
        member_id=f"M-{n % 997:05d}",
        client_id=f"C-{n % 89:04d}",
        day=date(2026, 1, 1) + timedelta(days=n % 365),
        minutes=30 + n % 450,
        amount_cents=2_500 + (n * 37) % 90_000,
        description="Consultancy, on site, as agreed in the quote",
    )


def new_events(first: int, count: int) -> list[NewEvent]:
    """`count` encoded events (fresh ids, realistic metadata) numbered from `first`."""
    context = Context.new("member:M-00042", EPOCH + timedelta(seconds=first))
    return to_new_events((work(n) for n in range(first, first + count)), context)


def chunks(total: int, size: int, offset: int = 0) -> Iterator[tuple[int, int]]:
    """(first, count) of consecutive chunks of at most `size` covering `total` from `offset`."""
    for first in range(0, total, size):
        yield offset + first, min(size, total - first)


def stream_name(tag: str) -> str:
    return f"work-{tag}{uuid.uuid4().hex[:8]}"


class WorkLines:
    """A read model with one row per event, as a list or search screen would keep."""

    name = "bench_work_lines"
    version = 1
    handles = frozenset({BenchWorkLogged.event_type()})

    def create(self, conn: sqlite3.Connection) -> None:
        conn.execute(LINES_TABLE)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        logged = envelope.event
        assert isinstance(logged, BenchWorkLogged)
        conn.execute(
            "INSERT INTO lines VALUES (?, ?, ?, ?, ?)",
            (
                envelope.position,
                envelope.stream,
                logged.member_id,
                logged.day.isoformat(),
                logged.amount_cents,
            ),
        )


LINES_TABLE = (
    "CREATE TABLE lines (position INTEGER PRIMARY KEY, stream TEXT NOT NULL,"
    " member_id TEXT NOT NULL, day TEXT NOT NULL, amount_cents INTEGER NOT NULL)"
)
