"""`python -m bench.http_cpu`: CPU per encoding in the HTTP process, by thread.

The quick loop of `make bench-http`'s encoding half: the embedded app set up the same way,
warmed up, then `--runs` wrk loads of prestation encodings, each followed by the background's
catch-up. Per run it prints the rate, p50, p99 and the CPU milliseconds per encoding of the
HTTP process's event loop (its main thread), of its other threads (request handlers, the
store's committer), and of the background child. CPU time per request moves far less than the
rate when other processes take a core, so it is the figure to compare changes by.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from bench import servers, wrk
from bench.http_load import cpu_ticks as process_ticks
from bench.http_load import describe_others, new_tag, others, post_args, prepared_embedded, say
from bench.http_load import family as descendants


def thread_ticks(pid: int, kind: str = "both") -> dict[int, int]:
    """Clock ticks of each thread of `pid`: user + system (`kind` "both"), or one of them."""
    found: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = int(fields[11]), int(fields[12])
        found[int(task.name)] = {"both": user + system, "user": user, "system": system}[kind]
    return found


def split_ms(before: dict[int, int], after: dict[int, int], main: int) -> tuple[float, float]:
    """CPU ms of the main thread and of the others between two snapshots."""
    hertz = os.sysconf("SC_CLK_TCK")
    loop = after.get(main, 0) - before.get(main, 0)
    rest = sum(t - before.get(tid, 0) for tid, t in after.items() if tid != main)
    return 1000.0 * loop / hertz, 1000.0 * rest / hertz


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_cpu", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    servers.exit_on_sigterm()
    load = wrk.Load(2, args.connections, args.duration)
    root = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    rows: list[tuple[float, float, float, float, float, float]] = []
    try:
        with prepared_embedded(root) as (app, parties), servers.admin(app) as client:
            script = post_args(parties)
            wrk.run(app.url + "/v1/prestations", wrk.Load(2, args.connections, args.warmup),
                    [script[0], new_tag(), *script[1:]])  # fmt: skip
            servers.wait_for_head(client, timeout=30)
            for _ in range(args.runs):
                threads, procs = thread_ticks(app.pid), process_ticks()
                kernel = thread_ticks(app.pid, "system")
                result, _ = wrk.run(
                    app.url + "/v1/prestations", load, [script[0], new_tag(), *script[1:]]
                )
                busy = others(procs, process_ticks(), load.seconds, set())
                loop, rest = split_ms(threads, thread_ticks(app.pid), app.pid)
                in_kernel = split_ms(kernel, thread_ticks(app.pid, "system"), app.pid)
                servers.wait_for_head(client, timeout=30)
                after = process_ticks()
                children = descendants(after, app.pid) - {app.pid}
                hertz = os.sysconf("SC_CLK_TCK")
                child = sum(after[p][0] - procs.get(p, (0, 0, ""))[0] for p in children)
                n = max(1, result.requests)
                row = (result.rate, result.p50_ms, result.p99_ms, loop / n, rest / n,
                       1000.0 * child / hertz / n)  # fmt: skip
                rows.append(row)
                say(
                    f"{row[0]:6.0f}/s p50 {row[1]:6.1f} p99 {row[2]:6.1f} ms | CPU ms/encoding:"
                    f" loop {row[3]:.2f} + threads {row[4]:.2f} = HTTP {row[3] + row[4]:.2f};"
                    f" background {row[5]:.2f} | in the kernel: loop {in_kernel[0] / n:.2f},"
                    f" threads {in_kernel[1] / n:.2f} | {result.non_2xx} non-2xx |"
                    f" others {describe_others(busy)[:60]}"
                )
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
        else:
            say(f"kept {root}")
    loops, rests = [r[3] for r in rows], [r[4] for r in rows]
    http = [a + b for a, b in zip(loops, rests, strict=True)]
    say(f"median HTTP {statistics.median(http):.2f} ms (loop {statistics.median(loops):.2f},"
        f" threads {statistics.median(rests):.2f}); min HTTP {min(http):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
