"""Reading a log whose events carry personal fields (issue 13): one event in ten names a
member (name, e-mail, IBAN), sealed with that member's key, against the same log with the same
fields unmarked. Both are read and decoded in full; the sealed one also with every personal
value opened (what a decider's fold or a reply pays)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from bench.workload import EPOCH, work
from shared.events.base import Context, DomainEvent, event
from shared.events.personal import OF_MEMBER
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import NO_STREAM, AppendRequest
from shared.eventstore.sqlite import SQLiteEventStore
from shared.personal import install_vault

MEMBERS = 997
PAGE = 1000
Sealed = Annotated[str, OF_MEMBER]


@event
class BenchMemberNamed(DomainEvent):
    member_id: str
    name: Sealed
    email: Sealed
    iban: Sealed


@event
class BenchMemberNamedInClear(DomainEvent):
    member_id: str
    name: str  # the same fields, unmarked: the baseline
    email: str
    iban: str


Named = type[BenchMemberNamed] | type[BenchMemberNamedInClear]


def _events(total: int, named: Named) -> Iterator[DomainEvent]:
    for n in range(total):
        if n % 10 == 0:
            member = f"M-{n % MEMBERS:05d}"
            yield named(
                member_id=member,
                name=f"Ana Peeters {n}",
                email=f"ana.peeters.{n}@example.be",
                iban="BE71096123456769",
            )
        else:
            yield work(n)


def _seed(path: Path, total: int, named: Named) -> SQLiteEventStore:
    store = SQLiteEventStore(str(path))
    context = Context.new("bench", EPOCH)
    events = list(_events(total, named))
    streams = [events[first : first + 100] for first in range(0, total, 100)]
    for batch in range(0, len(streams), 50):
        store.append_many(
            [
                AppendRequest(f"bench-{batch + i}", to_new_events(stream, context), NO_STREAM)
                for i, stream in enumerate(streams[batch : batch + 50])
            ]
        )
    return store


class _Reader:
    """One side: reads its log a page at a time, timing the read and the decode."""

    def __init__(self, store: SQLiteEventStore, *, reveal: bool) -> None:
        self.store, self.reveal = store, reveal
        self.after, self.count, self.seconds = 0, 0, 0.0

    def next_page(self) -> bool:
        started = time.perf_counter()
        page = self.store.read_all(self.after, limit=PAGE)
        for recorded in page:
            decode(recorded, reveal=self.reveal)
        self.seconds += time.perf_counter() - started
        if page:
            self.after, self.count = page[-1].position, self.count + len(page)
        return len(page) == PAGE


def interleaved(clear: SQLiteEventStore, sealed: SQLiteEventStore) -> tuple[float, ...]:
    """One full read of each side, a page of each in turn (the order rotating each page), so
    that a burst of noise on the VM lands on all three sides rather than on one whole run:
    events/s of (in clear, sealed, sealed and opened), reading and decoding included."""
    sides = [
        _Reader(clear, reveal=False),
        _Reader(sealed, reveal=False),
        _Reader(sealed, reveal=True),
    ]
    gc.collect()
    more, number = True, 0
    while more:
        turn = [sides[(number + k) % 3] for k in range(3)]
        more = all([side.next_page() for side in turn])
        number += 1
    if len({side.count for side in sides}) != 1:
        raise RuntimeError(f"the logs differ in length: {[side.count for side in sides]}")
    return tuple(side.count / side.seconds for side in sides)


def stores(total: int, root: Path) -> tuple[SQLiteEventStore, SQLiteEventStore]:
    """(in clear, sealed): the same log twice, the sealed one with its members' keys."""
    install_vault(root / "keys.sqlite3")
    return (
        _seed(root / "clear.db", total, BenchMemberNamedInClear),
        _seed(root / "sealed.db", total, BenchMemberNamed),
    )
