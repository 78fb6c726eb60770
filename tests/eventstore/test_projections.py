"""Projections: exactly once, restartable, rebuildable beside the live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared.events.base import Context
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import ANY
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from tests.eventstore.faults import until
from tests.eventstore.sample_projection import SampleCounted, SampleTotals, snapshot, write_counts


def started(store: SQLiteEventStore, directory: Path, batch_size: int = 100) -> ProjectionRunner:
    runner = ProjectionRunner(store, SampleTotals(), directory, batch_size=batch_size)
    runner.start()
    return runner


def test_a_runner_folds_every_event_once_and_reads_its_writes(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    runner = started(store, tmp_path / "views")
    position = write_counts(store, 450)
    assert runner.wait_for(position)
    with runner.read() as conn:
        rows, totals = snapshot(conn)
    assert len(rows) == 450
    assert sum(total for _, total in totals) == sum(range(450))  # type: ignore[misc]
    assert runner.status()["caught_up"] is True
    runner.stop()
    store.close()


def test_a_restart_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    runner = started(store, tmp_path / "views")
    assert runner.wait_for(write_counts(store, 300))
    runner.stop()
    position = write_counts(store, 200)
    runner = started(store, tmp_path / "views")
    assert runner.wait_for(position)
    with runner.read() as conn:
        rows, _ = snapshot(conn)
    assert len(rows) == 500  # a replayed event would have hit the primary key and stopped it
    runner.stop()
    store.close()


def test_a_rebuild_serves_the_old_generation_until_it_swaps(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    runner = started(store, tmp_path / "views")
    assert runner.wait_for(write_counts(store, 1000))
    with runner.read() as conn:
        before = snapshot(conn)
    runner.rebuild(wait=True)
    with runner.read() as conn:
        assert snapshot(conn) == before
    assert (tmp_path / "views" / "sample_totals.current").read_text() == "1"
    assert not (tmp_path / "views" / "sample_totals.0.sqlite").exists()
    position = store.append(
        "sample-after", to_new_events([SampleCounted(n=5)], Context.new("t")), ANY
    ).position
    assert runner.wait_for(position)
    runner.stop()
    store.close()


def test_a_new_version_of_the_projection_rebuilds_at_start(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    runner = started(store, tmp_path / "views")
    assert runner.wait_for(write_counts(store, 100))
    runner.stop()

    class SampleTotalsV2(SampleTotals):
        version = 2

    upgraded = ProjectionRunner(store, SampleTotalsV2(), tmp_path / "views")
    upgraded.start()
    assert until(lambda: upgraded.status()["rebuilding"] is False)
    assert (tmp_path / "views" / "sample_totals.current").read_text() == "1"
    assert upgraded.live.version == 2
    upgraded.stop()
    store.close()


RUN_UNTIL_KILLED = """
import sys, time
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from tests.eventstore.faults import until
from tests.eventstore.sample_projection import SampleTotals
store = SQLiteEventStore(sys.argv[1])
ProjectionRunner(store, SampleTotals(), sys.argv[2], batch_size=50).start()
time.sleep(600)
"""


def test_a_killed_process_catches_up_to_what_a_fresh_rebuild_gives(tmp_path: Path) -> None:
    events_path = str(tmp_path / "events.db")
    store = SQLiteEventStore(events_path)
    head = write_counts(store, 20_000)
    views = tmp_path / "views"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_UNTIL_KILLED, events_path, str(views)],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    checkpoint = views / "sample_totals.0.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if checkpoint.exists() and _checkpoint(checkpoint) > 0:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _checkpoint(checkpoint)
    assert 0 < killed_at < head, "the kill should land mid-stream"

    restarted = started(store, views)
    fresh = started(store, tmp_path / "fresh")
    assert restarted.wait_for(head, timeout=60)
    assert fresh.wait_for(head, timeout=60)
    with restarted.read() as a, fresh.read() as b:
        assert snapshot(a) == snapshot(b)
    restarted.stop()
    fresh.stop()
    store.close()


def _checkpoint(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute("SELECT position FROM projection_meta").fetchone()
        return 0 if row is None else int(row[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
