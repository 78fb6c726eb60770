"""What only the embedded engine promises: several processes on one file, group commit."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from shared.eventstore.port import (
    ANY,
    NO_STREAM,
    EventFilter,
    NewEvent,
    RecordedEvent,
    StoreUnavailable,
    WrongExpectedVersion,
)
from shared.eventstore.sqlite import DuplicateEventIds, SQLiteEventStore

WRITER = """
import sys, uuid
from shared.eventstore.port import ANY, NewEvent
from shared.eventstore.sqlite import DuplicateEventIds, SQLiteEventStore
store = SQLiteEventStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    event = NewEvent(uuid.uuid4(), "Written", b"{}", b"{}")
    store.append(f"proc-{sys.argv[2]}", [event], ANY)
    store.append("shared-log", [NewEvent(uuid.uuid4(), "Written", b"{}", b"{}")], ANY)
store.close()
"""


def event() -> NewEvent:
    return NewEvent(uuid.uuid4(), "Happened", b"{}", b"{}")


def test_two_processes_on_one_file_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "events.db")
    SQLiteEventStore(path).close()  # create the schema once, before the race
    per_process = 150
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, str(p), str(per_process)])
        for p in range(2)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    store = SQLiteEventStore(path)
    everything = store.read_all()
    assert [e.position for e in everything] == list(range(1, 4 * per_process + 1))
    assert len({e.id for e in everything}) == len(everything)
    assert [e.version for e in store.read_stream("shared-log")] == list(range(2 * per_process))
    store.close()


def test_a_reader_never_sees_a_half_written_append(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    done = threading.Event()
    sizes: set[int] = set()

    def read() -> None:
        while not done.is_set():
            sizes.add(len(store.read_all()) % 10)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(50):
        store.append(f"batch-{i}", [event() for _ in range(10)], NO_STREAM)
    done.set()
    reader.join()
    assert sizes == {0}
    store.close()


def test_grouped_appends_are_each_checked_against_their_own_expected_version(
    tmp_path: Path,
) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    store.append("race-1", [event()], NO_STREAM)
    start = threading.Barrier(16)
    outcomes: list[str] = []

    def write(n: int) -> None:
        start.wait()
        try:
            # Half expect version 0 on one stream (one may win); half write freely elsewhere.
            if n % 2:
                store.append("race-1", [event()], 0)
            else:
                store.append(f"free-{n}", [event()], ANY)
            outcomes.append("ok")
        except WrongExpectedVersion:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("conflict") == 7
    assert len(store.read_stream("race-1")) == 2
    positions = [e.position for e in store.read_all()]
    assert positions == list(range(1, 11))
    store.close()


def test_duplicate_ids_that_are_not_a_whole_retry_are_refused(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    known = event()
    store.append("dup-1", [known], NO_STREAM)
    for attempt in ([event(), known], [known, event()]):
        with pytest.raises(DuplicateEventIds):
            store.append("dup-2", attempt, ANY)
    assert store.read_stream("dup-2") == []
    store.close()


def test_a_filtered_subscription_moves_past_what_it_does_not_want(tmp_path: Path) -> None:
    """Filtered reads scan the log, so a subscription must never scan the same stretch twice:
    its position reaches the head even when nothing there matched."""
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    subscription = store.subscribe(filter=EventFilter(types=("Wanted",)))
    subscription.scan_window = 100  # the 450 unwanted events take five looks
    received: queue.Queue[RecordedEvent] = queue.Queue()

    def consume() -> None:
        for recorded in subscription:
            received.put(recorded)

    consumer = threading.Thread(target=consume)
    try:
        wanted = NewEvent(uuid.uuid4(), "Wanted", b"{}", b"{}")
        store.append("noise-1", [event() for _ in range(450)], NO_STREAM)
        store.append("signal-1", [wanted], NO_STREAM)
        consumer.start()
        assert received.get(timeout=5).id == wanted.id
        store.append("noise-1", [event() for _ in range(300)], 449)
        deadline = time.monotonic() + 5
        while subscription.position < store.head() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert subscription.position == store.head() == 751
        assert received.empty()
    finally:
        subscription.stop()
        consumer.join(timeout=5)
        store.close()


def test_closing_waits_for_a_read_running_on_another_thread(tmp_path: Path) -> None:
    """Closing a connection another thread reads through would crash the interpreter."""
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    for _ in range(20):
        store.append(f"sample-{uuid.uuid4().hex}", [event() for _ in range(500)], NO_STREAM)
    outcomes: list[str] = []

    def read() -> None:
        for _ in range(100_000):  # bounded: it ends at the first read after close()
            try:
                store.read_all()
            except StoreUnavailable:
                outcomes.append("closed")
                return

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.05)
    store.close()
    reader.join(timeout=30)

    assert outcomes == ["closed"]
