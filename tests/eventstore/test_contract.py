"""The store contract: what every engine must do, with KurrentDB client semantics.

Each test writes to its own category, so the suite also runs against one shared server.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from shared.eventstore.port import (
    ANY,
    EXISTS,
    NO_STREAM,
    START,
    AppendRequest,
    EventFilter,
    EventStore,
    EventStoreError,
    InvalidStreamName,
    NewEvent,
    WrongExpectedVersion,
)


def new_event(event_type: str = "Happened", n: int = 0) -> NewEvent:
    return NewEvent(uuid.uuid4(), event_type, f'{{"n": {n}}}'.encode(), b'{"actor": "test"}')


@pytest.fixture
def category() -> str:
    return "t" + uuid.uuid4().hex[:12]


class TestAppendingToOneStream:
    def test_versions_start_at_zero_without_gaps(self, store: EventStore, category: str) -> None:
        stream = f"{category}-1"
        first = store.append(stream, [new_event(), new_event()], NO_STREAM)
        second = store.append(stream, [new_event()], 1)
        assert first.versions == {stream: 1}
        assert second.versions == {stream: 2}
        assert second.position > first.position
        assert [e.version for e in store.read_stream(stream)] == [0, 1, 2]

    def test_recorded_events_keep_what_was_appended(self, store: EventStore, category: str) -> None:
        stream = f"{category}-1"
        event = new_event("Named", 7)
        result = store.append(stream, [event], NO_STREAM)
        [recorded] = store.read_stream(stream)
        assert (recorded.id, recorded.type, recorded.data, recorded.metadata) == (
            event.id,
            "Named",
            b'{"n": 7}',
            b'{"actor": "test"}',
        )
        assert (recorded.stream, recorded.category, recorded.position) == (
            stream,
            category,
            result.position,
        )

    @pytest.mark.parametrize("expected", [NO_STREAM, 0, 5, EXISTS])
    def test_a_wrong_expected_version_appends_nothing(
        self, store: EventStore, category: str, expected: int
    ) -> None:
        stream = f"{category}-1"
        store.append(stream, [new_event(), new_event()], NO_STREAM)
        if expected == EXISTS:
            stream = f"{category}-missing"
        with pytest.raises(WrongExpectedVersion) as raised:
            store.append(stream, [new_event()], expected)
        assert raised.value.stream == stream
        assert raised.value.actual == (None if expected == EXISTS else 1)
        assert len(store.read_stream(stream)) == (0 if expected == EXISTS else 2)

    def test_any_and_exists_accept_whatever_version(self, store: EventStore, category: str) -> None:
        stream = f"{category}-1"
        store.append(stream, [new_event()], ANY)
        store.append(stream, [new_event()], EXISTS)
        store.append(stream, [new_event()], ANY)
        assert len(store.read_stream(stream)) == 3

    def test_a_retried_append_is_a_no_op_answering_the_original_position(
        self, store: EventStore, category: str
    ) -> None:
        stream = f"{category}-1"
        events = [new_event(), new_event()]
        first = store.append(stream, events, NO_STREAM)
        store.append(stream, [new_event()], 1)
        retry = store.append(stream, events, NO_STREAM)
        assert retry.position == first.position
        assert len(store.read_stream(stream)) == 3

    def test_stream_names_need_a_category(self, store: EventStore) -> None:
        for bad in ("nohyphen", "-1", "invoice-"):
            with pytest.raises(InvalidStreamName):
                store.append(bad, [new_event()], ANY)

    def test_an_append_without_events_is_refused(self, store: EventStore, category: str) -> None:
        with pytest.raises(EventStoreError):
            store.append(f"{category}-1", [], ANY)
        with pytest.raises(EventStoreError):
            store.append_many([])


class TestAppendingToSeveralStreams:
    def test_all_streams_land_together(self, store: EventStore, category: str) -> None:
        result = store.append_many(
            [
                AppendRequest(f"{category}-a", [new_event()], NO_STREAM),
                AppendRequest(f"{category}-b", [new_event(), new_event()], NO_STREAM),
            ]
        )
        assert result.versions == {f"{category}-a": 0, f"{category}-b": 1}
        assert len(store.read_all(filter=EventFilter(categories=(category,)))) == 3

    def test_one_conflict_lands_nothing(self, store: EventStore, category: str) -> None:
        store.append(f"{category}-b", [new_event()], NO_STREAM)
        with pytest.raises(WrongExpectedVersion):
            store.append_many(
                [
                    AppendRequest(f"{category}-a", [new_event()], NO_STREAM),
                    AppendRequest(f"{category}-b", [new_event()], NO_STREAM),
                ]
            )
        assert store.read_stream(f"{category}-a") == []
        assert len(store.read_stream(f"{category}-b")) == 1

    def test_metadata_reads_back_as_written(self, store: EventStore, category: str) -> None:
        metadata = {"actor": "admin", "correlation_id": "c-1", "schema": "v2"}
        event = NewEvent(uuid.uuid4(), "Happened", b"{}", json.dumps(metadata).encode())
        store.append_many(
            [
                AppendRequest(f"{category}-a", [event], NO_STREAM),
                AppendRequest(f"{category}-b", [new_event()], NO_STREAM),
            ]
        )
        [recorded] = store.read_stream(f"{category}-a")
        assert json.loads(recorded.metadata) == metadata
        [seen] = [
            e
            for e in store.read_all(filter=EventFilter(categories=(category,)))
            if e.id == event.id
        ]
        assert json.loads(seen.metadata) == metadata
        assert json.loads(store.read_stream(f"{category}-b")[0].metadata) == {"actor": "test"}

    @pytest.mark.parametrize("other", ["same", "upper"])
    def test_one_stream_twice_is_refused_whatever_its_case(
        self, store: EventStore, category: str, other: str
    ) -> None:
        stream = f"{category}-inv"
        twin = stream if other == "same" else stream.upper()
        with pytest.raises(EventStoreError, match="one request per stream"):
            store.append_many(
                [
                    AppendRequest(stream, [new_event()], NO_STREAM),
                    AppendRequest(twin, [new_event()], ANY),
                ]
            )
        assert store.read_stream(stream) == []
        assert store.read_stream(twin) == []


class TestReading:
    def test_a_missing_stream_reads_empty(self, store: EventStore, category: str) -> None:
        assert store.read_stream(f"{category}-none") == []

    def test_read_stream_from_a_version(self, store: EventStore, category: str) -> None:
        stream = f"{category}-1"
        store.append(stream, [new_event(n=i) for i in range(5)], NO_STREAM)
        assert [e.version for e in store.read_stream(stream, from_version=3)] == [3, 4]

    def test_read_all_after_a_position_in_log_order(self, store: EventStore, category: str) -> None:
        only_mine = EventFilter(categories=(category,))
        first = store.append(f"{category}-a", [new_event(n=1)], NO_STREAM)
        store.append(f"{category}-b", [new_event(n=2)], NO_STREAM)
        store.append(f"{category}-a", [new_event(n=3)], 0)
        everything = store.read_all(filter=only_mine)
        assert [e.data for e in everything] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
        positions = [e.position for e in everything]
        assert positions == sorted(positions)
        after_first = store.read_all(after=first.position, filter=only_mine)
        assert [e.data for e in after_first] == [b'{"n": 2}', b'{"n": 3}']
        assert len(store.read_all(after=first.position, filter=only_mine, limit=1)) == 1
        assert store.head() >= positions[-1]

    def test_read_all_filters_by_category_and_type(self, store: EventStore, category: str) -> None:
        other = category + "x"
        store.append(f"{category}-1", [new_event("Kept"), new_event("Dropped")], NO_STREAM)
        store.append(f"{other}-1", [new_event("Kept")], NO_STREAM)
        both = EventFilter(categories=(category, other), types=("Kept",))
        assert [(e.category, e.type) for e in store.read_all(filter=both)] == [
            (category, "Kept"),
            (other, "Kept"),
        ]
        one = EventFilter(categories=(category,), types=("Dropped",))
        assert [e.type for e in store.read_all(filter=one)] == ["Dropped"]


class TestSubscribing:
    def test_catch_up_then_live(self, store: EventStore, category: str) -> None:
        only_mine = EventFilter(categories=(category,))
        store.append(f"{category}-1", [new_event(n=1), new_event(n=2)], NO_STREAM)
        subscription = store.subscribe(START, only_mine)
        seen: list[bytes] = []

        def consume() -> None:
            for recorded in subscription:
                seen.append(recorded.data)
                if len(seen) == 3:
                    subscription.stop()

        consumer = threading.Thread(target=consume)
        consumer.start()
        store.append(f"{category}-1", [new_event(n=3)], 1)
        consumer.join(timeout=10)
        assert not consumer.is_alive()
        assert seen == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']

    def test_every_event_exactly_once_in_order_while_writers_run(
        self, store: EventStore, category: str
    ) -> None:
        writers, per_writer = 4, 50
        subscription = store.subscribe(START, EventFilter(categories=(category,)))
        seen: list[int] = []

        def consume() -> None:
            for recorded in subscription:
                seen.append(recorded.position)
                if len(seen) == writers * per_writer:
                    subscription.stop()

        def write(writer: int) -> None:
            for i in range(per_writer):
                store.append(f"{category}-{writer}", [new_event(n=i)], ANY)

        consumer = threading.Thread(target=consume)
        consumer.start()
        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        consumer.join(timeout=30)
        assert not consumer.is_alive()
        assert seen == sorted(set(seen))
        assert len(seen) == writers * per_writer


class TestConcurrentWriters:
    def test_two_writers_racing_on_one_stream_one_wins(
        self, store: EventStore, category: str
    ) -> None:
        stream = f"{category}-1"
        store.append(stream, [new_event()], NO_STREAM)
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def write() -> None:
            start.wait()
            try:
                store.append(stream, [new_event()], 0)
                outcomes.append("won")
            except WrongExpectedVersion:
                outcomes.append("conflict")

        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict", "won"]
        assert [e.version for e in store.read_stream(stream)] == [0, 1]
