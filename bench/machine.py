"""The machine the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import threading
import time
from pathlib import Path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _filesystem(directory: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(directory)], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    fields = out.splitlines()[-1].split()
    return f"{fields[0]} ({fields[1]}), mounted on {fields[-1]}"


def thread_round_trip(rounds: int = 10_000) -> float:
    """Seconds for one Python thread to wake another and be woken back (two lock handoffs):
    what group commit pays for every writer it wakes."""
    ping, pong = threading.Lock(), threading.Lock()
    ping.acquire()
    pong.acquire()

    def other() -> None:
        for _ in range(rounds):
            ping.acquire()
            pong.release()

    thread = threading.Thread(target=other)
    thread.start()
    started = time.perf_counter()
    for _ in range(rounds):
        ping.release()
        pong.acquire()
    elapsed = time.perf_counter() - started
    thread.join()
    return elapsed / rounds


def flush_time(directory: Path, rounds: int = 300) -> float:
    """Median seconds to write 4 KiB into a file and fdatasync it: the price of one durable
    commit's flush, which group commit shares among the appends of a group."""
    path = directory / "flush-probe"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        page = b"\0" * 4096
        os.pwrite(fd, page * rounds, 0)
        os.fsync(fd)
        times = []
        for i in range(rounds):
            started = time.perf_counter()
            os.pwrite(fd, page, i * 4096)
            os.fdatasync(fd)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(times)


def describe(directory: Path) -> list[tuple[str, str]]:
    return [
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU model", _first("/proc/cpuinfo", "model name")),
        ("memory", _first("/proc/meminfo", "MemTotal")),
        ("temp dir", str(directory)),
        ("temp dir filesystem", _filesystem(directory)),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("kernel", platform.release()),
        ("thread wake round trip", f"{thread_round_trip() * 1e6:.0f} us"),
        ("4 KiB write + fdatasync", f"{flush_time(directory) * 1e6:.0f} us (median)"),
    ]
