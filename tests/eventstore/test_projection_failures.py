"""A projection whose subscription dies, or whose code raises, restarts from its checkpoint with
back-off, says so in its status, and leaves every other projection and every write alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.events.base import Envelope
from shared.eventstore.port import NO_FILTER
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.subscriptions import Backoff
from tests.eventstore.faults import FaultyStore, until
from tests.eventstore.sample_projection import SampleCounted, SampleTotals, snapshot, write_counts

FAST = Backoff(initial=0.01, maximum=0.05)


class Fragile(SampleTotals):
    """A bug: `apply` raises on the event whose n is `broken_at`, until it is fixed."""

    name = "fragile"

    def __init__(self, broken_at: int | None) -> None:
        self.broken_at = broken_at

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        event = envelope.event
        if isinstance(event, SampleCounted) and event.n == self.broken_at:
            raise ValueError(f"a bug on n={event.n}")
        super().apply(conn, envelope)


def test_a_dying_subscription_is_resubscribed_from_the_checkpoint(tmp_path: Path) -> None:
    engine = SQLiteEventStore(str(tmp_path / "events.db"))
    store = FaultyStore(engine, fail_after=50, failing_subscriptions=3)
    runner = ProjectionRunner(
        store, SampleTotals(), tmp_path / "views", batch_size=20, backoff=FAST
    )
    runner.start()
    assert until(lambda: store.subscriptions >= 1)  # live from here: the subscription feeds
    position = write_counts(store, 1000)

    assert runner.wait_for(position, timeout=30)
    with runner.read() as conn:
        rows, _ = snapshot(conn)
    assert len(rows) == 1000  # a replayed event would have hit the primary key
    status = runner.status()
    assert store.faults >= 1
    assert status["failures"] == store.faults
    assert "InjectedFault" in str(status["last_error"])
    assert isinstance(status["failed_at_position"], int)
    assert status["failing"] is False and status["failed"] is None
    assert status["caught_up"] is True and status["lag_events"] == 0
    runner.stop()
    engine.close()


def test_a_refused_subscription_is_retried_with_back_off(tmp_path: Path) -> None:
    engine = SQLiteEventStore(str(tmp_path / "events.db"))
    store = FaultyStore(engine, refused_subscriptions=4)
    runner = ProjectionRunner(store, SampleTotals(), tmp_path / "views", backoff=FAST)
    runner.start()
    assert until(lambda: store.subscriptions == 1)
    assert runner.status()["failures"] == 4
    assert runner.wait_for(write_counts(store, 100))
    runner.stop()
    engine.close()


def test_an_apply_that_raises_is_retried_and_harms_nothing_else(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    projection = Fragile(broken_at=13)
    fragile = ProjectionRunner(store, projection, tmp_path / "views", batch_size=50, backoff=FAST)
    healthy = ProjectionRunner(store, SampleTotals(), tmp_path / "views", batch_size=50)
    fragile.start()
    healthy.start()
    head = write_counts(store, 100)
    by_n = {
        SampleCounted.model_validate_json(e.data).n: e.position
        for e in store.read_all(filter=NO_FILTER)
    }

    assert until(lambda: int(str(fragile.status()["failures"])) >= 3)
    status = fragile.status()
    assert status["failed_at_position"] == by_n[13]
    assert status["position"] == by_n[12]  # what came before the bad event is kept
    assert status["failing"] is True and status["caught_up"] is False
    assert "ValueError: a bug on n=13" in str(status["last_error"])
    assert status["failed"] == status["last_error"]
    assert fragile.wait_for(by_n[12], timeout=0)
    assert fragile.wait_for(head, timeout=0.05) is False

    # Every other projection and every write keep working.
    assert healthy.wait_for(head)
    later = write_counts(store, 10)
    assert healthy.wait_for(later)
    assert healthy.status()["failures"] == 0

    projection.broken_at = None  # the fix
    assert fragile.wait_for(later, timeout=30)
    status = fragile.status()
    assert status["failing"] is False and status["caught_up"] is True
    assert int(str(status["failures"])) >= 3  # the count only grows
    with fragile.read() as a, healthy.read() as b:
        assert snapshot(a) == snapshot(b)
    fragile.stop()
    healthy.stop()
    store.close()


def test_a_rebuild_that_fails_leaves_the_stale_generation_serving(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    views = tmp_path / "views"
    first = ProjectionRunner(store, Fragile(broken_at=None), views)
    first.start()
    head = write_counts(store, 100)
    assert first.wait_for(head)
    first.stop()

    class FragileV2(Fragile):
        version = 2

    runner = ProjectionRunner(store, FragileV2(broken_at=40), views, backoff=FAST)
    runner.start()
    assert until(lambda: int(str(runner.status()["failures"])) >= 2)
    status = runner.status()
    assert status["stale"] is True and status["rebuilding"] is True
    assert status["failing"] is True  # the served view cannot advance
    assert isinstance(status["rebuild_position"], int)
    assert runner.wait_for(head, timeout=0)  # the stale one holds it
    with pytest.raises(RuntimeError, match="never writes into it"):
        runner.live.start()  # the new code is never let loose on the old tables
    with runner.read() as conn:
        assert len(snapshot(conn)[0]) == 100
    runner.stop()
    store.close()
