"""Projection generations: a new version rebuilds beside the stale one, which stays frozen and
keeps answering reads until the new one holds everything it does."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from shared.events.base import Context, Envelope
from shared.eventstore.codec import new_event_id, to_new_event, to_new_events
from shared.eventstore.port import ANY, NewEvent, Position
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from tests.eventstore.faults import until
from tests.eventstore.sample_projection import SampleCounted, SampleTotals, write_counts

LOG_SIZE = 100_000


def write_many(store: SQLiteEventStore, count: int, batch: int = 2000, streams: int = 7) -> int:
    """`count` SampleCounted events (n = 0, 1, …) in appends of `batch`: the events share one
    context, so they are encoded from one template instead of one model each."""
    template = to_new_event(SampleCounted(n=0), Context.new("test"))
    if template.data != b'{"n":0}':
        raise AssertionError(f"SampleCounted encodes as {template.data!r} now")
    position = 0
    for start in range(0, count, batch):
        events = [
            NewEvent(new_event_id(), template.type, b'{"n":%d}' % n, template.metadata)
            for n in range(start, min(start + batch, count))
        ]
        position = store.append(f"sample-s{start // batch % streams}", events, ANY).position
    return position


class SampleTotalsWithParity(SampleTotals):
    """Version 2 adds a column: its inserts do not fit version 1's tables. It can hold its
    rebuild at an event (`gate_at`) until the test opens `gate`."""

    version = 2

    def __init__(self, gate_at: int | None = None) -> None:
        self.gate_at = gate_at
        self.gate = threading.Event()
        self.reached = threading.Event()

    def create(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE rows (position INTEGER PRIMARY KEY, stream TEXT, n INTEGER,"
            " parity INTEGER NOT NULL)"
        )
        conn.execute("CREATE TABLE totals (stream TEXT PRIMARY KEY, total INTEGER NOT NULL)")

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, SampleCounted):
            raise TypeError(f"unexpected {envelope.type}")
        if self.gate_at is not None and event.n >= self.gate_at and not self.gate.is_set():
            self.reached.set()
            self.gate.wait()
        conn.execute(
            "INSERT INTO rows VALUES (?, ?, ?, ?)",
            (envelope.position, envelope.stream, event.n, event.n % 2),
        )
        conn.execute(
            "INSERT INTO totals VALUES (?, ?)"
            " ON CONFLICT (stream) DO UPDATE SET total = total + excluded.total",
            (envelope.stream, event.n),
        )


def columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(rows)")]


def count_rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM rows").fetchone()[0])


def append_one(store: SQLiteEventStore, n: int) -> Position:
    return store.append(
        "sample-late", to_new_events([SampleCounted(n=n)], Context.new("test")), ANY
    ).position


def test_a_new_version_rebuilds_beside_the_frozen_old_one_and_takes_over(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    views = tmp_path / "views"
    frozen = write_many(store, LOG_SIZE)
    old = ProjectionRunner(store, SampleTotals(), views)
    old.start()
    assert old.wait_for(frozen, timeout=120)
    old.stop()

    upgraded = SampleTotalsWithParity(gate_at=LOG_SIZE // 2)
    runner = ProjectionRunner(store, upgraded, views)
    runner.start()  # version 1 on disk: the new code must never write into it
    try:
        assert upgraded.reached.wait(timeout=120), "the rebuild should reach its gate"
        status = runner.status()
        assert status["stale"] is True and status["rebuilding"] is True
        assert runner.stale is True
        assert status["version"] == 1 and status["position"] == frozen
        assert status["caught_up"] is False and status["failing"] is False
        assert status["failures"] == 0
        rebuild_position = status["rebuild_position"]
        assert isinstance(rebuild_position, int) and rebuild_position < frozen

        # The stale generation answers, with the old shape and everything it held.
        assert runner.wait_for(frozen, timeout=0)
        with runner.read() as conn:
            assert columns(conn) == ["position", "stream", "n"]
            assert count_rows(conn) == LOG_SIZE

        # A newer write is never read from the stale generation: not there, not fed to it.
        late = append_one(store, LOG_SIZE)
        assert runner.wait_for(late, timeout=0.2) is False
        with runner.read() as conn:
            assert count_rows(conn) == LOG_SIZE
            assert conn.execute("SELECT 1 FROM rows WHERE position = ?", (late,)).fetchone() is None
        assert runner.status()["lag_events"] == 1
    finally:
        upgraded.gate.set()

    assert runner.wait_for(late, timeout=120)
    with runner.read() as conn:
        assert columns(conn) == ["position", "stream", "n", "parity"]
        assert (
            conn.execute("SELECT parity FROM rows WHERE position = ?", (late,)).fetchone()[0] == 0
        )
        assert count_rows(conn) == LOG_SIZE + 1
    status = runner.status()
    assert status["stale"] is False and status["rebuilding"] is False
    assert status["version"] == 2 and status["caught_up"] is True
    assert runner.stale is False
    assert status["lag_events"] == 0 and status["failures"] == 0
    assert (views / "sample_totals.current").read_text() == "1"
    assert until(lambda: not (views / "sample_totals.0.sqlite").exists())
    runner.stop()

    # The next start finds version 2 current: no rebuild.
    again = ProjectionRunner(store, SampleTotalsWithParity(), views)
    again.start()
    assert again.status()["rebuilding"] is False
    assert again.wait_for(late)
    again.stop()
    store.close()


def test_a_read_that_waited_is_served_by_the_generation_that_has_the_position(
    tmp_path: Path,
) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    views = tmp_path / "views"
    old = ProjectionRunner(store, SampleTotals(), views, batch_size=100)
    old.start()
    assert old.wait_for(write_counts(store, 1000))
    old.stop()
    upgraded = SampleTotalsWithParity(gate_at=0)
    runner = ProjectionRunner(store, upgraded, views, batch_size=100)
    runner.start()
    late = append_one(store, 1000)
    answers: list[list[str]] = []

    def read_my_write() -> None:
        if runner.wait_for(late, timeout=60):
            with runner.read() as conn:
                answers.append(columns(conn))

    readers = [threading.Thread(target=read_my_write) for _ in range(4)]
    for reader in readers:
        reader.start()
    assert upgraded.reached.wait(timeout=30)
    upgraded.gate.set()
    for reader in readers:
        reader.join()
    assert answers == [["position", "stream", "n", "parity"]] * 4
    runner.stop()
    store.close()


def test_a_rebuild_under_way_is_joined_not_doubled(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    projection = SampleTotalsWithParity()
    runner = ProjectionRunner(store, projection, tmp_path / "views", batch_size=100)
    runner.start()
    position = write_counts(store, 500)
    assert runner.wait_for(position)
    projection.gate_at = 0  # the rebuild holds at its first event
    try:
        assert runner.rebuild(wait=False) is False
        assert projection.reached.wait(timeout=30)
        assert runner.rebuild(wait=True, timeout=0.05) is False  # joined, still under way
        assert runner.live.number == 0 and runner.status()["rebuilding"] is True
    finally:
        projection.gate.set()
    assert runner.rebuild(wait=True, timeout=60) is True
    assert runner.live.number == 1
    assert runner.wait_for(position)
    runner.stop()
    store.close()


def test_a_rebuild_before_start_serves_once_it_reaches_the_head(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    position = write_counts(store, 300)
    runner = ProjectionRunner(store, SampleTotals(), tmp_path / "views", batch_size=100)
    assert runner.status()["caught_up"] is False
    assert runner.rebuild(wait=True, timeout=60)
    assert runner.wait_for(position, timeout=0)
    with runner.read() as conn:
        assert count_rows(conn) == 300
    runner.stop()
    store.close()


def test_a_generation_cut_short_while_being_created_starts_over(tmp_path: Path) -> None:
    views = tmp_path / "views"
    views.mkdir()
    # Tables but no checkpoint row: a crash between `create` and the checkpoint.
    half = sqlite3.connect(views / "sample_totals.0.sqlite")
    SampleTotals().create(half)
    half.execute("CREATE TABLE projection_meta (id INTEGER PRIMARY KEY, position INTEGER, version)")
    half.commit()
    half.close()
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    runner = ProjectionRunner(store, SampleTotals(), views, batch_size=100)
    runner.start()
    assert runner.wait_for(write_counts(store, 200))
    assert runner.status()["failures"] == 0
    runner.stop()
    store.close()
