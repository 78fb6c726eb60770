"""Reactions by partition key: a waiting or failing key delays only its own later events; the
checkpoint is a low-water mark saved in batches; a dying subscription is resubscribed."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from shared.events.base import Context, Envelope
from shared.eventstore.codec import new_event_id, to_new_events
from shared.eventstore.port import ANY, EventStore, NewEvent, Position
from shared.eventstore.reactions import ReactionRunner, RetryLater
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.subscriptions import Backoff
from tests.eventstore.faults import FaultyStore, until
from tests.eventstore.sample_projection import SampleCounted

FAST = Backoff(initial=0.005, maximum=0.02)
CONTEXT = Context.new("test")


def append(store: EventStore, stream: str, *ns: int) -> Position:
    events = to_new_events([SampleCounted(n=n) for n in ns], CONTEXT)
    return store.append(f"sample-{stream}", events, ANY).position


class Journal:
    """What the reaction saw, with a condition to wait on instead of sleeping."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []
        self.changed = threading.Condition()

    def add(self, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, SampleCounted):
            raise TypeError(envelope.type)
        with self.changed:
            self.seen.append((envelope.stream.removeprefix("sample-"), event.n))
            self.changed.notify_all()

    def wait(self, condition: Callable[[list[tuple[str, int]]], bool], timeout: float = 30) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: condition(self.seen), timeout)

    def of(self, key: str) -> list[int]:
        return [n for stream, n in self.seen if stream == key]


def runner(
    store: EventStore, react: Callable[[Envelope], None], path: Path, **options: object
) -> ReactionRunner:
    return ReactionRunner(
        store,
        "sample",
        ("SampleCounted",),
        react,
        path / "reactions.sqlite",
        backoff=FAST,
        **options,  # type: ignore[arg-type]
    )


def saved_checkpoint(path: Path) -> int | None:
    conn = sqlite3.connect(path / "reactions.sqlite")
    try:
        row = conn.execute("SELECT position FROM reaction_checkpoints").fetchone()
        return None if row is None else int(row[0])
    finally:
        conn.close()


def test_a_waiting_key_holds_back_only_its_own_events(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal, released = Journal(), threading.Event()

    def react(envelope: Envelope) -> None:
        if envelope.stream == "sample-a" and not released.is_set():
            raise RetryLater("a waits for something")
        journal.add(envelope)

    reaction = runner(store, react, tmp_path)
    reaction.start()
    append(store, "a", 1)
    append(store, "b", 1, 2)
    append(store, "a", 2)
    append(store, "b", 3)

    assert journal.wait(lambda seen: len(seen) == 3)
    assert journal.seen == [("b", 1), ("b", 2), ("b", 3)]
    assert until(lambda: reaction.status()["parked"] == 2)
    assert until(lambda: reaction.status()["lag_events"] == 2)
    status = reaction.status()
    assert status["waiting_keys"] == 1 and status["failing_keys"] == 0
    assert status["failing"] is False  # waiting is not failing
    assert status["failures"] == 0
    assert status["caught_up"] is False
    assert status["position"] == 0  # nothing before a's first event is left undone

    released.set()
    assert journal.wait(lambda seen: len(seen) == 5)
    assert journal.of("a") == [1, 2]
    assert until(lambda: reaction.status()["caught_up"] is True)
    assert reaction.status()["lag_events"] == 0 and reaction.status()["parked"] == 0
    reaction.stop()
    store.close()


def test_after_a_crash_the_events_after_the_low_water_mark_are_replayed(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal, released = Journal(), threading.Event()

    def react(envelope: Envelope) -> None:
        if envelope.stream == "sample-a" and not released.is_set():
            raise RetryLater("a waits")
        journal.add(envelope)

    first = runner(store, react, tmp_path)
    first.start()
    before = append(store, "x", 0)
    append(store, "a", 1)
    append(store, "b", 1, 2)
    assert journal.wait(lambda seen: len(seen) == 3)
    assert until(lambda: first.position == before)
    first.stop()  # as a crash would leave it: a's event is not done
    assert saved_checkpoint(tmp_path) == before

    released.set()
    second = runner(store, react, tmp_path)
    second.start()
    assert journal.wait(lambda seen: len(seen) == 6)
    # At least once: b's events come again (they were after the mark), each key in order.
    assert journal.seen == [("x", 0), ("b", 1), ("b", 2), ("a", 1), ("b", 1), ("b", 2)]
    assert until(lambda: second.status()["caught_up"] is True)
    second.stop()
    assert saved_checkpoint(tmp_path) == store.head()
    store.close()


def test_a_failing_key_is_reported_and_retried_while_others_flow(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal, fixed = Journal(), threading.Event()

    def react(envelope: Envelope) -> None:
        if envelope.stream == "sample-c" and not fixed.is_set():
            raise ValueError("downstream refused it")
        journal.add(envelope)

    reaction = runner(store, react, tmp_path)
    reaction.start()
    failing_at = append(store, "c", 1)
    append(store, "d", 1)
    assert journal.wait(lambda seen: seen == [("d", 1)])
    assert until(lambda: int(str(reaction.status()["failures"])) >= 3)
    status = reaction.status()
    assert status["failing"] is True and status["failing_keys"] == 1
    assert status["failed_at_position"] == failing_at
    assert status["last_error"] == "ValueError: downstream refused it"
    assert reaction.failure == status["last_error"]

    fixed.set()
    assert journal.wait(lambda seen: ("c", 1) in seen)
    assert until(lambda: reaction.status()["failing"] is False)
    assert reaction.failure is None
    reaction.stop()
    store.close()


def test_past_the_parked_bound_nothing_new_is_read_and_nothing_is_dropped(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal, released = Journal(), threading.Event()

    def react(envelope: Envelope) -> None:
        if envelope.stream == "sample-a" and not released.is_set():
            raise RetryLater("a waits")
        journal.add(envelope)

    reaction = runner(store, react, tmp_path, max_parked=3)
    append(store, "a", 1, 2, 3, 4, 5)
    append(store, "b", 1)
    reaction.start()

    assert until(lambda: reaction.status()["reading"] is False)
    assert reaction.status()["parked"] == 3
    assert until(lambda: reaction.status()["lag_events"] == 6)  # parked, queued, unread alike
    assert journal.seen == []  # b's event waits behind the bound, it is not skipped

    released.set()
    assert journal.wait(lambda seen: len(seen) == 6)
    assert journal.of("a") == [1, 2, 3, 4, 5] and journal.of("b") == [1]
    assert until(lambda: reaction.status()["reading"] is True)
    reaction.stop()
    store.close()


def test_checkpoints_are_written_in_batches(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal = Journal()
    reaction = runner(store, journal.add, tmp_path, checkpoint_every=100, checkpoint_interval=3600)
    for start in range(0, 1000, 50):
        append(store, f"k{start % 7}", *range(start, start + 50))
    reaction.start()
    assert journal.wait(lambda seen: len(seen) == 1000)
    assert until(lambda: reaction.position == store.head())
    assert 1 <= reaction.checkpoints_written <= 10
    reaction.stop()
    assert saved_checkpoint(tmp_path) == store.head()
    store.close()


def test_an_idle_runner_saves_its_checkpoint_without_stopping(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal = Journal()
    reaction = runner(store, journal.add, tmp_path, checkpoint_every=1000, checkpoint_interval=0.02)
    reaction.start()
    head = append(store, "a", 1, 2, 3)
    assert journal.wait(lambda seen: len(seen) == 3)
    assert until(lambda: saved_checkpoint(tmp_path) == head)
    assert reaction.checkpoint == head
    reaction.stop()
    store.close()


def test_a_dying_subscription_is_resubscribed_and_counted(tmp_path: Path) -> None:
    engine = SQLiteEventStore(str(tmp_path / "events.db"))
    store = FaultyStore(engine, fail_after=30, failing_subscriptions=2)
    for start in range(0, 200, 20):
        append(store, f"k{start % 3}", *range(start, start + 20))
    journal = Journal()
    reaction = runner(store, journal.add, tmp_path)
    reaction.start()

    assert journal.wait(lambda seen: len(seen) >= 200)
    assert until(lambda: reaction.status()["caught_up"] is True)
    status = reaction.status()
    assert status["failures"] == 2 == store.faults
    assert "InjectedFault" in str(status["last_error"])
    assert status["failing"] is False
    # Resubscribed from the last event handed over: none twice, none lost, keys in order.
    assert sorted(n for _, n in journal.seen) == list(range(200))
    for key in ("k0", "k1", "k2"):
        assert journal.of(key) == sorted(journal.of(key))
    reaction.stop()
    engine.close()


def test_a_reaction_stopped_before_it_started_closes_cleanly(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    reaction = runner(store, lambda envelope: None, tmp_path)
    assert reaction.status()["caught_up"] is True
    reaction.stop()
    store.close()


def test_a_custom_key_partitions_across_streams(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal, released = Journal(), threading.Event()

    def parity(envelope: Envelope) -> str:
        event = envelope.event
        return "odd" if isinstance(event, SampleCounted) and event.n % 2 else "even"

    def react(envelope: Envelope) -> None:
        if parity(envelope) == "odd" and not released.is_set():
            raise RetryLater("odd numbers wait")
        journal.add(envelope)

    reaction = runner(store, react, tmp_path, key=parity)
    reaction.start()
    append(store, "a", 1, 2)
    append(store, "b", 3, 4)
    assert journal.wait(lambda seen: [n for _, n in seen] == [2, 4])
    released.set()
    assert journal.wait(lambda seen: len(seen) == 4)
    assert [n for _, n in journal.seen][2:] == [1, 3]
    reaction.stop()
    store.close()


def test_an_undecodable_event_blocks_only_its_stream(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal = Journal()
    reaction = ReactionRunner(
        store, "poison", ("SampleCounted", "NoSuchEvent"), journal.add,
        tmp_path / "reactions.sqlite", backoff=FAST,
    )  # fmt: skip
    reaction.start()
    poison = store.append(
        "sample-p", [NewEvent(new_event_id(), "NoSuchEvent", b"{}", b"{}")], ANY
    ).position
    append(store, "p", 1)  # behind the poison: same stream
    append(store, "q", 1)
    assert journal.wait(lambda seen: seen == [("q", 1)])
    assert until(lambda: reaction.status()["failing_keys"] == 1)
    status = reaction.status()
    assert status["failed_at_position"] == poison and status["parked"] == 2
    reaction.stop()
    store.close()


def test_a_key_function_that_raises_falls_back_to_the_stream(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    journal = Journal()

    def broken_key(envelope: Envelope) -> str:
        raise LookupError("no key")

    reaction = runner(store, journal.add, tmp_path, key=broken_key)
    reaction.start()
    append(store, "a", 1, 2)
    assert journal.wait(lambda seen: seen == [("a", 1), ("a", 2)])
    reaction.stop()
    store.close()
