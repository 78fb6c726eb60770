"""The read side of projections and reactions kept by another process (`follow()`).

Two runner objects over the same directory stand for the two processes: one runs, the other
follows through the files alone (they share no Python object but the store)."""

from __future__ import annotations

import threading
from pathlib import Path

from shared.events.base import Envelope
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.reactions import ReactionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from tests.eventstore.faults import until
from tests.eventstore.sample_projection import SampleTotals, snapshot, write_counts


def test_a_follower_reads_what_the_runner_writes_and_waits_for_positions(
    tmp_path: Path,
) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    running = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    following = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    running.start()
    following.follow()
    position = write_counts(store, 300)
    assert following.wait_for(position, timeout=10)
    assert following.position >= position
    with running.read() as theirs, following.read() as ours:
        assert snapshot(ours) == snapshot(theirs)
    status = following.status()
    assert status["caught_up"] is True and status["lag_events"] == 0
    assert status["kept_by"] == "background process"
    assert following.stale is False
    following.stop()
    running.stop()
    store.close()


def test_a_follower_says_not_yet_when_the_runner_is_behind(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    running = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    running.start()
    assert running.wait_for(write_counts(store, 10))
    running.stop()  # the background process stops: the log goes on
    following = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    following.follow()
    position = write_counts(store, 5)
    assert following.wait_for(position, timeout=0.05) is False
    status = following.status()
    assert status["caught_up"] is False and status["lag_events"] == 5
    following.stop()
    store.close()


def test_a_follower_started_first_waits_for_the_first_file(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    position = write_counts(store, 20)
    following = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    following.follow()
    running = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    starter = threading.Timer(0.2, running.start)
    starter.start()
    assert following.wait_for(position, timeout=10)
    starter.join()
    following.stop()
    running.stop()
    store.close()


def test_a_follower_moves_to_the_generation_a_rebuild_swapped_in(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    running = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    running.start()
    following = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    following.follow()
    assert following.wait_for(write_counts(store, 50), timeout=10)
    with following.read() as conn:
        before = snapshot(conn)
    running.rebuild(wait=True)
    assert not (tmp_path / "views" / "sample_totals.0.sqlite").exists()
    with following.read() as conn:  # generation 1 now
        assert snapshot(conn) == before
    position = write_counts(store, 5)
    assert following.wait_for(position, timeout=10)
    following.stop()
    running.stop()
    store.close()


def test_a_followed_reaction_reports_the_checkpoint_the_other_saves(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    seen: list[int] = []

    def react(envelope: Envelope) -> None:
        seen.append(envelope.position)

    def runner() -> ReactionRunner:
        return ReactionRunner(
            store, "sample", ("SampleCounted",), react, tmp_path / "reactions.sqlite",
            checkpoint_interval=0.01, checkpoint_every=1,
        )  # fmt: skip

    reacting, following = runner(), runner()
    following.follow()
    assert following.status()["caught_up"] is True  # nothing to do yet
    write_counts(store, 30)
    reacting.start()
    assert until(lambda: following.status()["lag_events"] == 0, timeout=10)
    status = following.status()
    assert status["caught_up"] is True and status["kept_by"] == "background process"
    assert len(seen) == 30  # only the running one reacted
    following.stop()  # never started: nothing to join
    reacting.stop()
    store.close()
