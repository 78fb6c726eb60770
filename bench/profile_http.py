"""`python -m bench.profile_http` (`make profile-http`): where an encoding's time and flushes go.

The embedded app is set up as in `make bench-http` (clock, member, client, share), warmed up,
then loaded by wrk with prestation encodings, each load followed by the background's catch-up:

1. under `py-spy record --format raw --threads` (no `--idle`; waits filtered, see
   `bench/profiles.py`): the top functions by own and cumulative busy time, every thread
   (request handlers, event loop, projections, the DIMONA reaction and poller);
2. under the same with `--gil`: only the thread holding the GIL, i.e. the Python work that
   every thread of the process queues for;
3. under `strace -f -C -w -y -ttt -e trace=fsync,fdatasync -p PID`, kept attached through the
   catch-up: flushes per encoding, by file. Attached, strace stops every system call of every
   thread, so the app runs ~10 x slower;
4. the same count on a fresh server launched under `strace --seccomp-bpf` (only the flushes
   stop it), so that group commit groups as it does untraced.

py-spy and strace cannot trace the process at once (both use ptrace), and both slow it down:
the throughput under each is printed. Raw files stay in `--out` (default: a new temp dir).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import profiles, servers, wrk
from bench.http_load import (
    cpu_ticks,
    describe_others,
    new_tag,
    others,
    post_args,
    prepared_embedded,
    say,
    table,
)


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        hint = "make setup (dev extras)" if name == "py-spy" else f"apt-get install -y {name}"
        raise SystemExit(f"{name} is not installed: {hint}")
    return found


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)


def _encode(app: servers.Server, parties: servers.Parties, load: wrk.Load) -> wrk.WrkResult:
    args = post_args(parties)
    result, _ = wrk.run(app.url + "/v1/prestations", load, [args[0], new_tag(), *args[1:]])
    say(f"  {result.rate:,.0f} encodings/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms,"
        f" {result.non_2xx} non-2xx")  # fmt: skip
    return result


def _settle(app: servers.Server, timeout: float) -> servers.Dimona:
    with servers.admin(app) as client:
        lag = servers.wait_for_head(client, timeout=timeout)
        say(f"  background at the head after {lag.seconds} s")
        return servers.dimona(client, timeout=timeout)


def spy(
    app: servers.Server, parties: servers.Parties, load: wrk.Load, rate: int, out: Path,
    gil: bool = False,
) -> tuple[list[profiles.Stack], wrk.WrkResult]:  # fmt: skip
    """py-spy over one load (`gil`: only the thread holding the GIL at each sample); answers
    the stacks and the load's result."""
    name = "pyspy-gil" if gil else "pyspy"
    raw = out / f"{name}.raw"
    command = [
        _tool("py-spy"), "record", "--pid", str(app.pid), "--format", "raw", "--threads",
        "--rate", str(rate), "--duration", str(max(1, round(load.seconds))), "-o", str(raw),
        *(["--gil"] if gil else []),
    ]  # fmt: skip
    say(f"py-spy: {' '.join(command[1:])}")
    with (out / f"{name}.log").open("wb") as log:
        recorder = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(0.3)  # attach; the load then covers the whole recording
            result = _encode(app, parties, load)
            recorder.wait(timeout=load.seconds + 30)
        finally:
            _stop(recorder)
    if not raw.exists():
        raise SystemExit(f"py-spy wrote nothing; see {out / name}.log")
    return profiles.parse_pyspy_raw(raw.read_text()), result


STRACE = ["-f", "-C", "-w", "-y", "-ttt", "-e", "trace=fsync,fdatasync"]


@dataclass(frozen=True)
class Flushes:
    how: str  # the strace command line
    flushes: list[profiles.Flush]  # those between the load's start and the catch-up's end
    times: tuple[float, float, float]  # load started, load ended, background caught up
    encodings: int  # prestations encoded meanwhile (counted by the app)
    result: wrk.WrkResult
    summary: list[str]  # strace's own table, over all it saw


def traced_load(
    app: servers.Server, parties: servers.Parties, load: wrk.Load, timeout: float
) -> tuple[tuple[float, float, float], int, wrk.WrkResult]:
    before = _settle(app, timeout)
    started = time.time()
    result = _encode(app, parties, load)
    ended = time.time()
    after = _settle(app, timeout)
    return (started, ended, time.time()), after.prestations - before.prestations, result


def _flushes(how: list[str], output: Path, times: tuple[float, float, float], encodings: int,
             result: wrk.WrkResult) -> Flushes:  # fmt: skip
    text = output.read_text()
    started, _, settled = times
    window = [f for f in profiles.parse_strace(text) if started <= f.at <= settled]
    return Flushes(" ".join(how), window, times, encodings, result, profiles.strace_summary(text))


def trace_attached(
    app: servers.Server, parties: servers.Parties, load: wrk.Load, out: Path, timeout: float
) -> Flushes:
    """`strace -p PID` on the running server over one load and the catch-up after it."""
    output = out / "strace-attached.txt"
    command = [_tool("strace"), *STRACE, "-o", str(output), "-p", str(app.pid)]
    say(f"strace, attached: {' '.join(command[1:])}")
    with (out / "strace-attached.log").open("wb") as log:
        tracer = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.0)  # attach to every thread
            times, encodings, result = traced_load(app, parties, load, timeout)
        finally:
            _stop(tracer)
    return _flushes(command[1:], output, times, encodings, result)


def trace_launched(load: wrk.Load, warmup: float, out: Path, timeout: float) -> Flushes:
    """A fresh server launched under `strace --seccomp-bpf`: only the flushes stop it."""
    output = out / "strace-launched.txt"
    wrapper = [_tool("strace"), *STRACE, "--seccomp-bpf", "-o", str(output), "--"]
    say(f"strace, launching a fresh server: {' '.join(wrapper[1:])} python -m services.embedded")
    root = Path(tempfile.mkdtemp(prefix="profile-http-strace-"))
    try:
        with prepared_embedded(root, wrapper) as (app, parties):
            _encode(app, parties, wrk.Load(load.threads, load.connections, warmup))
            times, encodings, result = traced_load(app, parties, load, timeout)
    finally:
        with contextlib.suppress(OSError):
            shutil.copy(root / "embedded.log", out / "embedded-under-strace.log")
        shutil.rmtree(root, ignore_errors=True)
    return _flushes(wrapper[1:-1], output, times, encodings, result)


def report_profile(stacks: list[profiles.Stack], rate: int, encodings: int) -> str:
    found = profiles.profile(stacks)
    seconds = found.busy / rate
    lines = [
        f"{found.busy:,} busy samples ({seconds:.1f} thread-s), {found.idle:,} waiting filtered;"
        f" {encodings:,} encodings: {1000 * seconds / max(1, encodings):.1f} busy thread-ms each",
        "",
        "busy time by thread:",
        *(f"  {100 * n / max(1, found.busy):5.1f} %  {name}"
          for name, n in found.threads.most_common()),
        "",
        "top 25 by own time (ms: thread-ms per encoding):",
        table(("function", "own %", "own ms", "cum %", "cum ms", "own time in"),
              profiles.top_table(found, rate, encodings), {1, 2, 3, 4}),
        "",
        "the project's functions by cumulative time:",
        table(("function", "cum %", "cum ms", "own %"),
              profiles.cumulative_table(found, rate, encodings), {1, 2, 3}),
        "",
        "request threads, waiting (filtered above) in:",
        *(f"  {1000 * n / rate / max(1, encodings):6.2f} ms/encoding  {where}"
          for where, n in found.waits.most_common(8)),
    ]  # fmt: skip
    return "\n".join(lines)


def report_gil(stacks: list[profiles.Stack], rate: int, encodings: int) -> str:
    found = profiles.profile(stacks)
    return "\n".join([
        f"{found.busy:,} samples holding the GIL ({found.busy / rate:.1f} s): "
        f"{1000 * found.busy / rate / max(1, encodings):.1f} ms of Python per encoding; by thread:",
        *(f"  {100 * n / max(1, found.busy):5.1f} %  {name}"
          for name, n in found.threads.most_common()),
        table(("function", "own %", "own ms", "cum %", "cum ms", "own time in"),
              profiles.top_table(found, rate, encodings, rows=15), {1, 2, 3, 4}),
    ])  # fmt: skip


def report_flushes(found: Flushes) -> str:
    started, ended, settled = found.times
    flushes, encodings = found.flushes, max(1, found.encodings)
    during = sum(1 for f in flushes if f.at <= ended)
    rows = [
        (kind, call, f"{n:,}", f"{n / encodings:.2f}")
        for (kind, call), n in profiles.flushes_by_file(flushes).most_common()
    ]
    return "\n".join([
        f"strace {found.how}",
        f"  {found.result.rate:,.0f} encodings/s under strace; {found.encodings:,} encodings;"
        f" {len(flushes):,} flushes ({during:,} in the {ended - started:.1f} s load, the rest in"
        f" the {settled - ended:.1f} s catch-up): {len(flushes) / encodings:.2f} per encoding",
        table(("file", "call", "count", "per encoding"), rows, {2, 3}),
        "  strace's summary (everything it saw, wall time in the calls):",
        *(f"  {line}" for line in found.summary),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_http", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each load")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--timeout", type=float, default=60.0, help="background catch-up limit")
    parser.add_argument("--out", type=Path, default=None, help="where to keep the raw files")
    parser.add_argument("--no-strace", action="store_true", help="py-spy only (quicker)")
    args = parser.parse_args()
    servers.exit_on_sigterm()
    load = wrk.Load(args.threads, args.connections, args.duration)
    out = args.out or Path(tempfile.mkdtemp(prefix="profile-http-"))
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="profile-http-data-"))
    try:
        with prepared_embedded(root) as (app, parties):
            say(f"warm-up: {args.warmup:g} s of encodings")
            _encode(app, parties, wrk.Load(args.threads, args.connections, args.warmup))
            _settle(app, args.timeout)
            before = cpu_ticks()
            stacks, spied = spy(app, parties, load, args.rate, out)
            busy = others(before, cpu_ticks(), load.seconds, {app.pid})
            say(f"  meanwhile: {describe_others(busy)}")
            _settle(app, args.timeout)
            gil_stacks, gil_spied = spy(app, parties, load, args.rate, out, gil=True)
            attached = (
                None if args.no_strace else trace_attached(app, parties, load, out, args.timeout)
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    launched = None if args.no_strace else trace_launched(load, args.warmup, out, args.timeout)
    text = "\n".join([
        f"py-spy at {args.rate} Hz over {load.seconds:g} s of wrk -t{load.threads}"
        f" -c{load.connections}: {spied.rate:,.0f} encodings/s under the profiler;"
        f" meanwhile {describe_others(busy)}",
        report_profile(stacks, args.rate, spied.ok),
        "",
        f"py-spy --gil, the same load again: {gil_spied.rate:,.0f} encodings/s under the profiler",
        report_gil(gil_stacks, args.rate, gil_spied.ok),
        *(["", report_flushes(launched)] if launched else []),
        *(["", report_flushes(attached)] if attached else []),
    ])  # fmt: skip
    (out / "profile.txt").write_text(text + "\n")
    print()
    print(text)
    print(f"\nraw files and this report: {out}")


if __name__ == "__main__":
    main()
