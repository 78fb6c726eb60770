"""`python -m bench [--quick] [--fsync-floor-us N]`: every figure next to raw sqlite3 doing the
same work, in the same run.

Targets are reported, never asserted: the exit code is 0 unless the bench itself crashes.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import cases, personal_data, slow_disk
from bench.machine import describe
from bench.workload import new_events
from shared.eventstore.port import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore


@dataclass(frozen=True)
class Sizes:
    single: int  # events per round, one per transaction
    batched: int  # events per round, in batches of `batch`
    batch: int
    writers: int
    per_writer: int  # events per writer per round
    rounds: int  # write benches alternate the sides this many times; medians are reported
    concurrent_rounds: int
    read_rounds: int
    log: int  # events in the big log: read all, rebuild
    projection_batch: int


FULL = Sizes(3000, 20_000, 100, 8, 500, 3, 5, 2, 1_000_000, 1000)
QUICK = Sizes(1000, 5_000, 100, 8, 200, 2, 3, 1, 100_000, 1000)


@dataclass(frozen=True)
class Target:
    """`ratio`: engine / baseline must reach `at_least`; otherwise engine events/s must."""

    at_least: float
    ratio: bool = True

    def __str__(self) -> str:
        return f">= {self.at_least:.2f} x" if self.ratio else f">= {self.at_least:,.0f} ev/s"


@dataclass(frozen=True)
class Row:
    operation: str
    engine: float  # events/s
    baseline: float  # events/s
    baseline_name: str
    target: Target | None  # None: reported for information

    @property
    def ratio(self) -> float:
        return self.engine / self.baseline

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        reached = self.ratio if self.target.ratio else self.engine
        return reached >= self.target.at_least


def timed_rate(events: int, run: Callable[[], float]) -> float:
    """Events/s of `run`, which answers the seconds it measured itself."""
    gc.collect()
    return events / run()


def alternate(rounds: int, *sides: Callable[[], float]) -> list[float]:
    """The median events/s of each side; the order rotates each round so drift hits all."""
    rates: list[list[float]] = [[] for _ in sides]
    for number in range(rounds):
        order = list(range(len(sides)))
        order = order[number % len(order) :] + order[: number % len(order)]
        for index in order:
            rates[index].append(sides[index]())
    return [statistics.median(side) for side in rates]


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def writes(sizes: Sizes, root: Path) -> list[Row]:
    store = SQLiteEventStore(str(root / "writes-engine.db"))
    raw = cases.raw_connect(root / "writes-raw.db")
    raw_schema = cases.raw_engine_schema_connect(root / "writes-raw-engine-schema.db")
    rounds = sizes.rounds

    say(f"1 event per transaction: {sizes.single:,} events per side, {rounds} rounds")
    single_raw = new_events(0, sizes.single)
    one_engine, one_raw = alternate(
        rounds,
        lambda: timed_rate(
            sizes.single, lambda: cases.engine_single(store, new_events(0, sizes.single))
        ),
        lambda: timed_rate(sizes.single, lambda: cases.raw_single(raw, single_raw)),
    )

    say(f"batches of {sizes.batch}: {sizes.batched:,} events per side, {rounds} rounds")
    batched_raw = new_events(0, sizes.batched)
    batch_engine, batch_raw, batch_raw_schema = alternate(
        rounds,
        lambda: timed_rate(
            sizes.batched,
            lambda: cases.engine_batches(store, new_events(0, sizes.batched), sizes.batch),
        ),
        lambda: timed_rate(sizes.batched, lambda: cases.raw_batches(raw, batched_raw, sizes.batch)),
        lambda: timed_rate(
            sizes.batched,
            lambda: cases.raw_engine_schema_batches(
                raw_schema, new_events(0, sizes.batched), sizes.batch
            ),
        ),
    )
    raw.close()
    raw_schema.close()

    writers, total = sizes.writers, sizes.writers * sizes.per_writer
    rounds = sizes.concurrent_rounds
    say(
        f"{writers} concurrent writers: {sizes.per_writer:,} events each, {rounds} rounds,"
        " each beside the engine's 1 event/tx again (same store, same moment)"
    )

    def per_writer() -> list[list[NewEvent]]:
        return [new_events(0, sizes.per_writer) for _ in range(writers)]

    concurrent_engine, beside_engine, concurrent_raw = alternate(
        rounds,
        lambda: timed_rate(total, lambda: cases.engine_concurrent(store, per_writer())),
        lambda: timed_rate(
            sizes.single, lambda: cases.engine_single(store, new_events(0, sizes.single))
        ),
        lambda: timed_rate(
            total, lambda: cases.raw_concurrent(root / "writes-raw.db", per_writer())
        ),
    )
    store.close()
    return [
        Row("append 1 event/tx, durable", one_engine, one_raw, "raw 1/tx", Target(0.5)),
        Row(
            f"append batches of {sizes.batch}",
            batch_engine,
            batch_raw,
            f"raw batches of {sizes.batch}",
            Target(0.5),
        ),
        Row(
            "  same, vs raw on the engine's schema",
            batch_engine,
            batch_raw_schema,
            "raw, engine schema",
            None,
        ),
        Row(
            f"{writers} writers, 1 event/tx each",
            concurrent_engine,
            beside_engine,
            "engine 1/tx, same phase",
            Target(3.0),
        ),
        Row(
            f"  same, vs raw {writers} connections",
            concurrent_engine,
            concurrent_raw,
            f"raw {writers} conns 1/tx",
            None,
        ),
    ]


def log(sizes: Sizes, root: Path) -> list[Row]:
    log_path = root / "log.db"
    store = SQLiteEventStore(str(log_path))
    say(f"seeding {sizes.log:,} events through append_many, 5,000 per transaction")
    seconds = cases.seed(store, sizes.log)
    say(f"  seeded in {seconds:.1f} s: {sizes.log / seconds:,.0f} events/s, encoding included")

    def counted(run: Callable[[], tuple[int, float]]) -> Callable[[], float]:
        def measure() -> float:
            gc.collect()
            count, seconds = run()
            assert count == sizes.log, (count, sizes.log)
            return count / seconds

        return measure

    say(f"read all: {sizes.log:,} events per side, {sizes.read_rounds} rounds")
    read_decoded, read_raw, read_records, read_filtered = alternate(
        sizes.read_rounds,
        counted(lambda: cases.engine_read_all(store)),
        counted(lambda: cases.raw_scan(log_path)),
        counted(lambda: cases.engine_read_all(store, decoding=False)),
        counted(lambda: cases.engine_filtered_scan(store)),
    )

    say(f"rebuild a projection of {sizes.log:,} events: the raw loop first")
    rebuild_raw = counted(
        lambda: cases.raw_rebuild(log_path, root / "raw-view.db", sizes.projection_batch)
    )()
    say(f"  raw loop: {sizes.log / rebuild_raw:.1f} s")
    rebuild_engine = counted(
        lambda: cases.engine_rebuild(store, root / "views", sizes.projection_batch)
    )()
    say(f"  ProjectionRunner.rebuild: {sizes.log / rebuild_engine:.1f} s")
    store.close()
    return [
        Row("read all + decode", read_decoded, read_raw, "raw scan + json.loads", Target(0.5)),
        Row("  read all, no decode", read_records, read_raw, "raw scan + json.loads", None),
        Row(
            "  filtered scan, nothing matches",
            read_filtered,
            read_raw,
            "raw scan + json.loads",
            None,
        ),
        Row(
            f"rebuild, {sizes.log:,} events",
            rebuild_engine,
            rebuild_raw,
            "raw read + insert loop",
            Target(30_000, ratio=False),
        ),
    ]


def table(rows: list[Row]) -> str:
    header = ("operation", "engine ev/s", "baseline ev/s", "baseline", "ratio", "target", "")
    lines = [
        (
            row.operation,
            f"{row.engine:,.0f}",
            f"{row.baseline:,.0f}",
            row.baseline_name,
            f"{row.ratio:.2f}",
            "(information)" if row.target is None else str(row.target),
            {True: "PASS", False: "FAIL", None: ""}[row.passed],
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    numeric = {1, 2, 4}

    def fmt(cells: tuple[str, ...]) -> str:
        return " | ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(cells) for cells in lines)])


def personal(sizes: Sizes, root: Path) -> list[Row]:
    total = sizes.log // 5
    say(f"personal data: two logs of {total:,} events, one in ten naming a member")
    logs = personal_data.stores(total, root)
    rounds = [personal_data.interleaved(*logs) for _ in range(sizes.read_rounds + 1)]
    clear, sealed, opened = (statistics.median(side) for side in zip(*rounds, strict=True))
    baseline = "same fields in clear"
    return [
        # "The cost stays under 30 %": the time at most 1.3 x, so the rate at least 1/1.3 x.
        Row("read all + decode, sealed", sealed, clear, baseline, Target(1 / 1.3)),
        Row("read all + decode + open", opened, clear, baseline, Target(1 / 1.3)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, a 100k-event log")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to make the temp directory (default /tmp)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    parser.add_argument(
        "--fsync-floor-us",
        type=int,
        default=None,
        metavar="N",
        help="simulate a slower disk: every fsync lasts at least N µs (1..999999), for both sides",
    )
    args = parser.parse_args()
    floor = slow_disk.active_floor_us()
    if args.fsync_floor_us is not None and floor != args.fsync_floor_us:
        if not 1 <= args.fsync_floor_us < 1_000_000:
            parser.error("--fsync-floor-us must be between 1 and 999999")
        slow_disk.rerun_under_floor(args.fsync_floor_us, sys.argv[1:])
    disk = "real disk" if floor is None else f"SIMULATED disk, every fsync >= {floor} us"
    sizes = QUICK if args.quick else FULL
    root = Path(tempfile.mkdtemp(prefix="bench-", dir=args.dir))
    started = time.perf_counter()
    try:
        for key, value in [*describe(root), ("disk", disk)]:
            print(f"{key:>23}: {value}")
        rows = writes(sizes, root) + log(sizes, root) + personal(sizes, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        slow_disk.remove_shim()
    print()
    print(table(rows))
    judged = [row.passed for row in rows if row.passed is not None]
    print()
    print(
        f"{judged.count(True)} PASS, {judged.count(False)} FAIL of {len(judged)} targets"
        f" ({'quick' if args.quick else 'full'} run, {disk}, {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
