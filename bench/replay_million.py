"""`make bench-replay` (`python -m bench.replay_million [--events N] [--dir PATH] [--keep]`):
the operations tool's `replay` and `replay --diff` of a real projection over a store of a
million realistic events (issue 14).

1. writes `--events` events of the system (`bench.replay_events`) into a fresh SQLite store
   with the store's batch append (`append_many`, about 5,000 events a transaction);
2. builds the projection's live read model as the running system would (its runner, caught
   up to the head);
3. runs `python -m shared.ops replay <projection>`: a rebuild from position zero beside the
   live one, then the swap;
4. runs `python -m shared.ops replay <projection> --diff`: a fold into a scratch file, then a
   row-by-row comparison with the live read model (no difference expected).

The tool's own progress (bar, rate, ETA; plain lines off a terminal) goes to standard error;
the summary ends the output. Other processes share the machine: each phase says how much CPU
they took meanwhile (from /proc/stat, less this bench's own processes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import replay_events
from bench.machine import describe
from shared.eventstore.factory import open_store
from shared.eventstore.projections import ProjectionRunner
from shared.ops import replay
from shared.ops.cli import projections
from shared.ops.meter import progress_bar

console = Console(stderr=True)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    events: int
    seconds: float = 0.0  # the work itself (the tool's own figure, for the tool)
    wall: float = 0.0  # with the tool's start (imports, the composition root)
    cores_used_by_others: float | None = None
    tool: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _busy_ticks() -> int | None:
    """CPU ticks spent by every process on the machine (not idle, not waiting on the disk)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3] - fields[4]


def _own_ticks() -> float:
    times = os.times()
    return (times.user + times.system + times.children_user + times.children_system) * TICKS


@contextmanager
def measured(phase: Phase) -> Iterator[Phase]:
    busy, own, started = _busy_ticks(), _own_ticks(), time.perf_counter()
    yield phase
    phase.seconds = phase.wall = time.perf_counter() - started
    busy_after = _busy_ticks()
    if busy is not None and busy_after is not None and phase.seconds > 0:
        others = (busy_after - busy) - (_own_ticks() - own)
        phase.cores_used_by_others = max(0.0, others / TICKS / phase.seconds)


def write_store(data_dir: Path, events: int) -> Phase:
    store = open_store(str(data_dir / "events.sqlite"))
    try:
        with (
            measured(Phase("write", events)) as phase,
            progress_bar("write", events, console) as meter,
        ):
            replay_events.write(store, events, told=meter)
    finally:
        store.close()
    return phase


def catch_up_live(data_dir: Path, name: str) -> Phase:
    """The live read model, as the running system's runner keeps it."""
    projection, directory = projections(data_dir)[name]
    store = open_store(str(data_dir / "events.sqlite"))
    try:
        head = store.head()
        runner = ProjectionRunner(store, projection, directory)
        with (
            measured(Phase("live catch-up", head)) as phase,
            progress_bar(f"live {name}", head, console) as meter,
        ):
            runner.start()
            while not runner.wait_for(head, timeout=0.5):
                meter.reach(replay.live_position(replay.live_file(directory, projection)))
            meter.reach(head)
        runner.stop()
    finally:
        store.close()
    return phase


def ops_tool(data_dir: Path, name: str, *arguments: str) -> Phase:
    """The operations tool in its own process, as an operator runs it."""
    command = [sys.executable, "-m", "shared.ops", "replay", name, "--data-dir", str(data_dir),
               *arguments]  # fmt: skip
    console.print(f"$ python {' '.join(command[1:])}", highlight=False, soft_wrap=True)
    with measured(Phase(" ".join(["replay", *arguments]).strip(), 0)) as phase:
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        console.print(done.stdout)
        raise SystemExit(f"the operations tool answered {done.returncode}")
    phase.tool = json.loads(done.stdout[done.stdout.index("{") :])
    phase.events = int(phase.tool["log_events"])
    tool = phase.tool
    phase.seconds = tool.get("seconds") or tool["fold_seconds"] + tool["diff_seconds"]
    return phase


def summary(phases: list[Phase], started: float, load: tuple[float, ...]) -> str:
    rows = [
        f"{'phase':<14} | {'events':>9} | {'s':>6} | {'events/s':>8} | {'wall s':>6} | others' CPU",
        f"{'-' * 15}+{'-' * 11}+{'-' * 8}+{'-' * 10}+{'-' * 8}+{'-' * 12}",
    ]
    for p in phases:
        others = "" if p.cores_used_by_others is None else f"{p.cores_used_by_others:.2f} cores"
        rows.append(
            f"{p.name:<14} | {p.events:>9,} | {p.seconds:>6.1f} | {p.rate:>8,.0f} | "
            f"{p.wall:>6.1f} | {others}"
        )
    lines = ["", *rows, ""]
    for p in phases:
        if p.tool:
            shown = {k: v for k, v in p.tool.items() if k != "differences"}
            if "differences" in p.tool:
                shown["differences"] = len(p.tool["differences"])
            lines.append(f"{p.name}: the tool says {json.dumps(shown)}")
    end = tuple(round(v, 2) for v in os.getloadavg())
    lines.append(
        f"load average (1, 5, 15 min): {load} at the start, {end} at the end; {os.cpu_count()} CPUs"
    )
    lines.append(f"total {time.perf_counter() - started:.0f} s")
    return "\n".join(lines)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projection", default="contracts_views")
    parser.add_argument("--dir", type=Path, default=None, help="Where the temp data dir goes")
    parser.add_argument("--keep", action="store_true", help="Keep the data dir")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.events <= 100_000_000:
        parser.error("--events is 1 to 100,000,000")
    data_dir = Path(tempfile.mkdtemp(prefix="bench-replay-", dir=arguments.dir))
    load = tuple(round(v, 2) for v in os.getloadavg())
    started = time.perf_counter()
    for what, value in describe(data_dir):
        console.print(f"{what}: {value}", highlight=False)
    try:
        steps: list[Callable[[], Phase]] = [
            lambda: write_store(data_dir, arguments.events),
            lambda: catch_up_live(data_dir, arguments.projection),
            lambda: ops_tool(data_dir, arguments.projection),
            lambda: ops_tool(data_dir, arguments.projection, "--diff"),
        ]
        phases = []
        for step in steps:
            phases.append(step())
        differences = phases[-1].tool["differences"]
        print(summary(phases, started, load))
        if differences:
            raise SystemExit(f"replay --diff found differences: {differences}")
    finally:
        if arguments.keep:
            console.print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
