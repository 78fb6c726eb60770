"""Reading a log whose events carry personal fields (issue 13): one event in ten names a
member (name, e-mail, IBAN), sealed with that member's key, against the same log with the same
fields unmarked. Both are read and decoded in full; the sealed one also with every personal
value opened (what a decider's fold or a reply pays)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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


def _read(store: SQLiteEventStore, *, reveal: bool) -> Callable[[], float]:
    def run() -> float:
        count, after, started = 0, 0, time.perf_counter()
        while True:
            page = store.read_all(after, limit=1000)
            for recorded in page:
                decode(recorded, reveal=reveal)
            count += len(page)
            if len(page) < 1000:
                return count / (time.perf_counter() - started)
            after = page[-1].position

    return run


def sides(total: int, root: Path) -> tuple[Callable[[], float], ...]:
    """(in clear, sealed, sealed and opened): events/s of each read, decode included."""
    install_vault(root / "keys.sqlite3")
    clear = _seed(root / "clear.db", total, BenchMemberNamedInClear)
    sealed = _seed(root / "sealed.db", total, BenchMemberNamed)
    return _read(clear, reveal=False), _read(sealed, reveal=False), _read(sealed, reveal=True)
