"""Replays: fold a projection from position zero into a scratch file, then compare it with
the live read model row by row (an audit that the read models match the log), or rebuild it
beside the live one and swap (`ProjectionRunner.rebuild`, on a stopped system).
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, Position
from shared.eventstore.projections import Projection

BATCH = 2000


def live_file(directory: Path, projection: Projection) -> Path:
    """The generation the catalog names (what `FollowedProjection` reads)."""
    try:
        number = int((directory / f"{projection.name}.current").read_text().strip())
    except (FileNotFoundError, ValueError):
        number = 0
    return directory / f"{projection.name}.{number}.sqlite"


def live_position(path: Path) -> Position:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT position FROM projection_meta").fetchone()
        return START if row is None else int(row[0])
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class Folded:
    events: int
    seconds: float
    position: Position

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


# Told after each batch: how many events it folded, and the position the fold reached.
Progress = Callable[[int, Position], None]


def fold_into(
    store: EventStore, projection: Projection, conn: sqlite3.Connection,
    until: Position | None = None, progress: Progress | None = None,
) -> Folded:  # fmt: skip
    """Every event the projection handles, up to `until` (None: the head), into `conn`."""
    projection.create(conn)
    only = EventFilter(types=tuple(sorted(projection.handles)))
    started = time.perf_counter()
    after, count = START, 0
    while batch := store.read_all(after=after, filter=only, limit=BATCH):
        kept = [r for r in batch if until is None or r.position <= until]
        with conn:
            for recorded in kept:
                projection.apply(conn, decode(recorded))
        count += len(kept)
        past_until = len(kept) < len(batch)
        if not past_until:
            after = batch[-1].position
        if progress is not None:
            progress(len(kept), until if past_until and until is not None else after)
        if past_until:
            break
    reached = after if until is None else until
    if progress is not None:
        progress(0, reached)  # the events after the last one folded were read too
    return Folded(count, time.perf_counter() - started, reached)


@dataclass
class Difference:
    table: str
    only_live: list[tuple[object, ...]] = field(default_factory=list)
    only_replayed: list[tuple[object, ...]] = field(default_factory=list)


def tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'projection_meta'"
        " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    return [tuple(row) for row in conn.execute(f"SELECT * FROM {quoted}")]


def diff(live: sqlite3.Connection, replayed: sqlite3.Connection) -> list[Difference]:
    """Tables whose rows differ (as multisets), with the rows on each side only."""
    found: list[Difference] = []
    for table in sorted(set(tables(live)) | set(tables(replayed))):
        ours = Counter(_rows(live, table) if table in tables(live) else [])
        theirs = Counter(_rows(replayed, table) if table in tables(replayed) else [])
        only_live = sorted((ours - theirs).elements(), key=repr)
        only_replayed = sorted((theirs - ours).elements(), key=repr)
        if only_live or only_replayed:
            found.append(Difference(table, only_live, only_replayed))
    return found


def audit(
    store: EventStore, projection: Projection, directory: Path, scratch: Path,
    progress: Progress | None = None, until: Position | None = None,
) -> tuple[Folded, list[Difference]]:  # fmt: skip
    """Replays into `scratch` up to the live generation's checkpoint (`until`, when the
    caller read it already), then diffs."""
    path = live_file(directory, projection)
    if not path.exists():
        raise FileNotFoundError(f"{projection.name} has no live read model in {directory}")
    until = live_position(path) if until is None else until
    scratch.unlink(missing_ok=True)
    replayed = sqlite3.connect(scratch)
    # A scratch copy: a crash only means auditing again, so no journal and no fsync.
    replayed.execute("PRAGMA journal_mode=OFF")
    replayed.execute("PRAGMA synchronous=OFF")
    live = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        folded = fold_into(store, projection, replayed, until, progress)
        return folded, diff(live, replayed)
    finally:
        live.close()
        replayed.close()
