"""The bench's simulated slower disk (`--fsync-floor-us`): under the shim a flush really lasts
at least the floor, and without it nothing is slowed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import slow_disk

FLUSHES = 5
PROBE = f"""
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
started = time.perf_counter()
for _ in range({FLUSHES}):
    os.pwrite(fd, b"x", 0)
    os.fdatasync(fd)
print((time.perf_counter() - started) / {FLUSHES})
"""


def mean_flush_seconds(file: Path, environment: dict[str, str]) -> float:
    probe = [sys.executable, "-c", PROBE, str(file)]
    run = subprocess.run(probe, env=environment, capture_output=True, text=True, check=True)
    return float(run.stdout)


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler here"
)
def test_under_the_shim_every_flush_lasts_at_least_the_floor(tmp_path: Path) -> None:
    shim = slow_disk.build_shim(tmp_path)
    slowed = {**os.environ, "LD_PRELOAD": str(shim), slow_disk.FLOOR_VARIABLE: "20000"}

    assert mean_flush_seconds(tmp_path / "slowed", slowed) >= 0.020
    assert mean_flush_seconds(tmp_path / "plain", dict(os.environ)) < 0.020


def test_the_floor_counts_only_when_the_shim_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(slow_disk.FLOOR_VARIABLE, "200")
    monkeypatch.setenv("LD_PRELOAD", "")
    assert slow_disk.active_floor_us() is None

    monkeypatch.setenv("LD_PRELOAD", "/tmp/bench-shim-x/slow_fsync.so")
    assert slow_disk.active_floor_us() == 200
