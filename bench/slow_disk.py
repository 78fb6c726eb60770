"""`--fsync-floor-us N`: run the whole bench again on a simulated slower disk.

The shim in `slow_fsync.c` is compiled with the system C compiler and preloaded into a fresh
bench process, where every fsync and fdatasync lasts at least N µs. Raw sqlite3 and the engine
pay the same floor, so each ratio still compares like with like; only the price of a flush
moves, towards a disk where flushing dominates (the issue's reference does ~2,900 durable
single-event commits/s, this VM's disk about twice as many).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHIM_SOURCE = Path(__file__).with_name("slow_fsync.c")
FLOOR_VARIABLE = "BENCH_FSYNC_FLOOR_US"


def active_floor_us() -> int | None:
    """The floor this process runs under, if its shim is loaded."""
    floor = os.environ.get(FLOOR_VARIABLE)
    return int(floor) if floor and "slow_fsync" in os.environ.get("LD_PRELOAD", "") else None


def remove_shim() -> None:
    """Delete the shim's build directory (the loaded library stays mapped until exit)."""
    for entry in os.environ.get("LD_PRELOAD", "").split():
        shim = Path(entry)
        if shim.name == "slow_fsync.so" and shim.parent.name.startswith("bench-shim-"):
            shutil.rmtree(shim.parent, ignore_errors=True)


def build_shim(directory: Path) -> Path:
    """Compile `slow_fsync.c` into `directory` with the system C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        sys.exit("--fsync-floor-us needs a C compiler (cc or gcc) to build the shim")
    shim = directory / "slow_fsync.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(shim), str(SHIM_SOURCE), "-ldl"],
        check=True,
    )
    return shim


def rerun_under_floor(floor_us: int, argv: list[str]) -> None:
    """Build the shim, then replace this process with the bench preloaded with it."""
    shim = build_shim(Path(tempfile.mkdtemp(prefix="bench-shim-")))
    environment = dict(os.environ)
    environment[FLOOR_VARIABLE] = str(floor_us)
    environment["LD_PRELOAD"] = " ".join(filter(None, [str(shim), os.environ.get("LD_PRELOAD")]))
    os.execve(sys.executable, [sys.executable, "-m", "bench", *argv], environment)
