"""Backups as JSON lines: one event a line, in store order, with its stored bytes as they are.

A line: {"id", "stream", "version", "position", "type", "data", "metadata", "recorded_at"},
`data` and `metadata` being the stored UTF-8 text. `restore` appends them into an empty store
with the versions they had (each stream's events in one append per run), so the copy has the
same streams, versions, event ids and order; positions and recorded-at times are the new
store's own (the hash chain leaves them out, so `verify` gives the same head).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from shared.eventstore.port import (
    NO_FILTER,
    NO_STREAM,
    START,
    EventFilter,
    EventStore,
    EventStoreError,
    NewEvent,
    Position,
    RecordedEvent,
)

BATCH = 5000


class NotEmpty(EventStoreError):
    """A restore goes into an empty store only: it never mixes two logs."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What to export: a stream, or a filter, between positions and recorded-at times."""

    stream: str | None = None
    filter: EventFilter = NO_FILTER
    after: Position = START
    until: Position | None = None
    since: datetime | None = None
    before: datetime | None = None

    def keeps(self, recorded: RecordedEvent) -> bool:
        return (
            (self.until is None or recorded.position <= self.until)
            and (self.since is None or recorded.recorded_at >= self.since)
            and (self.before is None or recorded.recorded_at < self.before)
        )


def selected(store: EventStore, selection: Selection) -> Iterator[RecordedEvent]:
    if selection.stream is not None:
        yield from (r for r in store.read_stream(selection.stream) if selection.keeps(r))
        return
    after = selection.after
    while batch := store.read_all(after=after, filter=selection.filter, limit=BATCH):
        for recorded in batch:
            if selection.until is not None and recorded.position > selection.until:
                return
            if selection.keeps(recorded):
                yield recorded
        after = batch[-1].position


def line_of(recorded: RecordedEvent) -> str:
    return json.dumps(
        {
            "id": str(recorded.id),
            "stream": recorded.stream,
            "version": recorded.version,
            "position": recorded.position,
            "type": recorded.type,
            "data": recorded.data.decode(),
            "metadata": recorded.metadata.decode(),
            "recorded_at": recorded.recorded_at.isoformat(),
        },
        ensure_ascii=False,
    )


def export(
    store: EventStore, out: IO[str], selection: Selection = Selection(),
    progress: Callable[[int], None] | None = None,
) -> int:  # fmt: skip
    count = 0
    for recorded in selected(store, selection):
        out.write(line_of(recorded) + "\n")
        count += 1
        if progress is not None:
            progress(1)
    return count


@dataclass(frozen=True, slots=True)
class Line:
    stream: str
    version: int
    event: NewEvent


def parse(lines: Iterable[str]) -> Iterator[Line]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
            event = NewEvent(
                uuid.UUID(row["id"]),
                str(row["type"]),
                str(row["data"]).encode(),
                str(row["metadata"]).encode(),
            )
            yield Line(str(row["stream"]), int(row["version"]), event)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: not an exported event ({error})") from error


def restore(
    store: EventStore, lines: Iterable[str], progress: Callable[[int], None] | None = None
) -> int:
    """Appends the exported events in their order; refused unless the store is empty."""
    if store.head() != START:
        raise NotEmpty("the store is not empty: restore into a new one")
    count = 0
    run: list[Line] = []

    def flush() -> None:
        if run:
            first = run[0].version
            expected = NO_STREAM if first == 0 else first - 1
            store.append(run[0].stream, [line.event for line in run], expected)
            if progress is not None:
                progress(len(run))
            run.clear()

    for line in parse(lines):
        if run and (line.stream != run[-1].stream or line.version != run[-1].version + 1
                    or len(run) >= BATCH):  # fmt: skip
            flush()
        run.append(line)
        count += 1
    flush()
    return count
