"""The SQLite engine's shared tail: what it answers is what the store answers, and the
subscriptions of a process near the head read the store once between them."""

from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.eventstore.port import ANY, NO_FILTER, NO_STREAM, EventFilter, NewEvent, RecordedEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.sqlite_tail import RecentTail

TYPES = ("Asked", "Answered", "Noted")
STREAMS = ("order-1", "order-2", "invoice-1", "member-7")


def seeded(path: Path, count: int) -> SQLiteEventStore:
    store = SQLiteEventStore(str(path))
    for n in range(count):
        new = NewEvent(uuid.uuid4(), TYPES[n % 3], b'{"n": %d}' % n, b"{}")
        store.append(STREAMS[n * 7 % 4], [new], ANY)
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = seeded(tmp_path_factory.mktemp("tail") / "events.db", 300)
    yield store
    store.close()


class CountedFetch:
    def __init__(self, store: SQLiteEventStore) -> None:
        self.store, self.calls = store, 0

    def __call__(self, after: int, upto: int) -> list[RecordedEvent]:
        self.calls += 1
        return self.store._read_range(after, upto, NO_FILTER, None)


filters = st.builds(
    EventFilter,
    categories=st.lists(st.sampled_from(("order", "invoice", "member")), unique=True).map(tuple),
    types=st.lists(st.sampled_from(TYPES), unique=True).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    looks=st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 120), filters, st.integers(1, 50)),
        min_size=1,
        max_size=12,
    ),
    capacity=st.integers(1, 400),
)
def test_each_answer_is_the_stores_own_or_none(store, looks, capacity) -> None:
    tail = RecentTail(CountedFetch(store), capacity=capacity)
    for after, width, only, limit in looks:
        upto = min(300, after + width)
        answered = tail.read(after, upto, only, limit)
        if answered is not None:
            assert answered == store._read_range(after, upto, only, limit)


def test_a_position_before_the_tail_is_left_to_the_store(store) -> None:
    fetch = CountedFetch(store)
    tail = RecentTail(fetch)
    assert tail.read(200, 250, NO_FILTER, 100) == store._read_range(200, 250, NO_FILTER, 100)
    assert tail.read(150, 250, NO_FILTER, 100) is None
    assert fetch.calls == 1


def test_readers_inside_the_tail_share_one_fetch(store) -> None:
    fetch = CountedFetch(store)
    tail = RecentTail(fetch)
    tail.read(100, 200, NO_FILTER, 1000)
    for after in (100, 120, 199):
        tail.read(after, 200, EventFilter(types=("Asked",)), 1000)
    assert fetch.calls == 1
    tail.read(150, 260, NO_FILTER, 1000)  # past the end: the first look there reads for all
    tail.read(180, 260, EventFilter(categories=("order",)), 1000)
    assert fetch.calls == 2


def test_the_tail_keeps_at_most_its_capacity_and_forgets_the_oldest(store) -> None:
    tail = RecentTail(CountedFetch(store), capacity=50)
    tail.read(0, 40, NO_FILTER, 1000)
    tail.read(40, 80, NO_FILTER, 1000)  # holds 31..80 now
    assert tail.read(20, 80, NO_FILTER, 1000) is None
    assert tail.read(30, 80, NO_FILTER, 1000) == store._read_range(30, 80, NO_FILTER, 1000)


def test_a_look_far_past_the_end_starts_the_tail_over_there(store) -> None:
    fetch = CountedFetch(store)
    tail = RecentTail(fetch, capacity=20)
    tail.read(0, 10, NO_FILTER, 1000)
    assert tail.read(250, 270, NO_FILTER, 1000) == store._read_range(250, 270, NO_FILTER, 1000)
    assert tail.read(5, 15, NO_FILTER, 1000) is None  # the old stretch is gone
    assert fetch.calls == 2  # nothing between 10 and 250 was read


def test_subscriptions_at_the_head_get_every_event_from_one_shared_read(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    wanted = EventFilter(types=("Asked",))
    subscriptions = [store.subscribe(filter=wanted if n % 2 else NO_FILTER) for n in range(6)]
    received: list[queue.Queue[RecordedEvent]] = [queue.Queue() for _ in subscriptions]
    threads = [
        threading.Thread(target=lambda s=s, q=q: [q.put(r) for r in s])
        for s, q in zip(subscriptions, received, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for n in range(60):
            new = NewEvent(uuid.uuid4(), TYPES[n % 3], b"{}", b"{}")
            store.append("order-1", [new], n - 1 if n else NO_STREAM)
        expected_all = store.read_all()
        expected_asked = store.read_all(filter=wanted)
        for n, got in enumerate(received):
            expected = expected_asked if n % 2 else expected_all
            assert [got.get(timeout=5) for _ in expected] == expected
    finally:
        for subscription in subscriptions:
            subscription.stop()
        for thread in threads:
            thread.join(timeout=5)
        store.close()
