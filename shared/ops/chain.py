"""Tamper evidence: a hash chain over the events in store order, sealed in the log itself.

Each link is SHA-256(previous link ‖ the event's id, stream, version, type, stored data bytes
and stored metadata bytes); the first link's previous is 32 zero bytes. Positions and
recorded-at times are left out: they are the engine's (KurrentDB assigns commit positions
itself, an import into an empty store assigns new ones), and the chain must come out the same
wherever the same events are stored in the same order. Seals (`ChainSealed`, in
`chainseal-<n>` streams) are events too, but left out of the chain they seal.

The sealer keeps every link in a ledger beside the store (SQLite, `ops/chain.sqlite`), so
`verify` names the first event that no longer matches; the seals in the log check that ledger
and, where there is none (a restored copy), still name the first seal that fails.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.events.base import Context, deterministic_id
from shared.events.integration import ChainSealed
from shared.eventstore.codec import to_new_event
from shared.eventstore.port import (
    NO_STREAM,
    START,
    EventFilter,
    EventStore,
    Position,
    RecordedEvent,
)

SEAL_CATEGORY = "chainseal"
GENESIS = bytes(32)
BATCH = 5000
_SEALS = EventFilter(categories=(SEAL_CATEGORY,))


def seal_stream(events_covered: int) -> str:
    return f"{SEAL_CATEGORY}-{events_covered}"


def link(previous: bytes, recorded: RecordedEvent) -> bytes:
    digest = hashlib.sha256(previous)
    for part in (recorded.id.bytes, recorded.stream.encode(), recorded.type.encode()):
        digest.update(struct.pack(">I", len(part)))
        digest.update(part)
    digest.update(struct.pack(">q", recorded.version))
    for part in (recorded.data, recorded.metadata):
        digest.update(struct.pack(">I", len(part)))
        digest.update(part)
    return digest.digest()


def is_seal(recorded: RecordedEvent) -> bool:
    return recorded.stream.startswith(SEAL_CATEGORY + "-")


def events_in_order(store: EventStore, after: Position = START) -> Iterator[RecordedEvent]:
    while batch := store.read_all(after=after, limit=BATCH):
        yield from batch
        after = batch[-1].position


@dataclass(frozen=True, slots=True)
class Link:
    index: int  # 1 for the first event of the chain
    position: Position
    event_id: str
    hash: bytes


class Ledger:
    """Every link, by index (`ops/chain.sqlite`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS links (idx INTEGER PRIMARY KEY, position INTEGER NOT NULL,"
            " event_id TEXT NOT NULL, hash BLOB NOT NULL)"
        )

    def last(self) -> Link | None:
        row = self.conn.execute("SELECT * FROM links ORDER BY idx DESC LIMIT 1").fetchone()
        return None if row is None else Link(*row)

    def add(self, links: list[Link]) -> None:
        rows = [(x.index, x.position, x.event_id, x.hash) for x in links]
        self.conn.executemany("INSERT INTO links VALUES (?, ?, ?, ?)", rows)
        self.conn.commit()

    def links(self) -> Iterator[Link]:
        yield from (Link(*row) for row in self.conn.execute("SELECT * FROM links ORDER BY idx"))

    def close(self) -> None:
        self.conn.close()


def extend(store: EventStore, ledger: Ledger, seal_every: int, actor: str = "system:ops") -> int:
    """Adds the links of the events after the ledger's last one; appends a seal each time the
    chain passes a multiple of `seal_every` events. The number of links added."""
    last = ledger.last()
    previous, index, after = (GENESIS, 0, START) if last is None else (
        last.hash, last.index, last.position)  # fmt: skip
    added: list[Link] = []
    total = 0
    for recorded in events_in_order(store, after):
        if is_seal(recorded):
            continue
        previous = link(previous, recorded)
        index += 1
        added.append(Link(index, recorded.position, str(recorded.id), previous))
        total += 1
        if index % seal_every == 0:
            ledger.add(added)
            added = []
            append_seal(store, recorded.position, previous, index, actor)
    ledger.add(added)
    return total


def append_seal(store: EventStore, position: Position, head: bytes, count: int, actor: str) -> None:
    seal = ChainSealed(head_position=position, head_hash=head.hex(), events_covered=count)
    event = to_new_event(seal, Context.new(actor), deterministic_id("chainseal", count, head.hex()))
    store.append(seal_stream(count), [event], NO_STREAM)


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    events: int
    head: str  # hex of the last link recomputed
    seals_checked: int
    first_bad_position: Position | None = None
    reason: str = ""


def read_seals(store: EventStore) -> tuple[dict[int, ChainSealed], list[Position]]:
    """The seals by the count of events they cover, and the positions of unreadable ones."""
    seals: dict[int, ChainSealed] = {}
    broken: list[Position] = []
    after = START
    while batch := store.read_all(after=after, filter=_SEALS, limit=BATCH):
        for recorded in batch:
            try:
                seal = ChainSealed.model_validate_json(recorded.data)
            except ValueError:
                broken.append(recorded.position)
                continue
            seals[seal.events_covered] = seal
        after = batch[-1].position
    return seals, broken


def verify(
    store: EventStore, ledger: Ledger | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verdict:  # fmt: skip
    """Recomputes the chain; compares it with the ledger link by link (when there is one) and
    with every seal. Names the first position where the store no longer matches."""
    seals, broken = read_seals(store)
    expected = ledger.links() if ledger is not None else None
    previous, index, checked = GENESIS, 0, 0
    last_good_seal: Position = START
    for recorded in events_in_order(store):
        if is_seal(recorded):
            if recorded.position in broken:
                return Verdict(False, index, previous.hex(), checked, recorded.position,
                               "a seal was altered")  # fmt: skip
            continue
        previous = link(previous, recorded)
        index += 1
        if progress is not None:
            progress(1)
        if expected is not None:
            want = next(expected, None)
            if want is not None and want.hash != previous:
                bad = min(want.position, recorded.position)
                why = "event changed" if want.event_id == str(recorded.id) else "event missing"
                return Verdict(False, index, previous.hex(), checked, bad, f"{why} (link {index})")
        seal = seals.pop(index, None)
        if seal is not None:
            if seal.head_hash != previous.hex():
                reason = (
                    f"the seal of {index} events fails: the first change lies after position "
                    f"{last_good_seal}, at or before {recorded.position}"
                )
                return Verdict(False, index, previous.hex(), checked, recorded.position, reason)
            checked += 1
            last_good_seal = recorded.position
    for count, seal in sorted(seals.items()):  # seals of events that are no longer there
        reason = f"a seal covers {count} events, only {index} are left"
        return Verdict(False, index, previous.hex(), checked, seal.head_position, reason)
    if expected is not None and (missing := next(expected, None)) is not None:
        return Verdict(False, index, previous.hex(), checked, missing.position, "events missing")
    return Verdict(True, index, previous.hex(), checked)


def latest_seal(store: EventStore) -> dict[str, object] | None:
    seals, _ = read_seals(store)
    if not seals:
        return None
    latest = seals[max(seals)]
    return latest.model_dump()
