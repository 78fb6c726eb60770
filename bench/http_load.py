"""`python -m bench.http_load` (`make bench-http`): the HTTP write path next to bare FastAPI.

In one run, on this machine, wrk (2 threads, 8 connections by default) drives, each for a fixed
duration after a warm-up: a bare FastAPI GET and the embedded app's `/health`; a bare FastAPI
JSON POST and prestation encodings (`POST /v1/prestations`, every body a different prestation,
every Idempotency-Key distinct) on `python -m services.embedded` with its projections and
reactions running. Both servers run side by side (idle when not loaded) so that each pair is
measured back to back, in `--rounds` rounds (3) whose order alternates; medians are reported.
After each encoding load: how long the background consumers take to reach the head; at the
end, whether every DIMONA declaration got its answer.

Targets are reported, never asserted: the exit code is 0 unless the bench itself crashes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import servers, wrk
from bench.machine import describe


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


Ticks = dict[int, tuple[int, int, str]]  # pid → (user + system clock ticks, ppid, command line)


def cpu_ticks() -> Ticks:
    """Every process's CPU time so far, from /proc."""
    found: Ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, …
        ticks = int(fields[11]) + int(fields[12])
        found[int(entry.name)] = (ticks, int(fields[1]), command.strip()[:80])
    return found


def family(ticks: Ticks, root: int) -> set[int]:
    """`root` and every process descended from it (a server and its background child)."""
    members, grew = {root}, True
    while grew:
        grew = False
        for pid, (_, parent, _) in ticks.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return members


def cpu_ms(before: Ticks, after: Ticks, pids: set[int]) -> float:
    """CPU milliseconds the processes `pids` used between the two snapshots."""
    hertz = os.sysconf("SC_CLK_TCK")
    alive = pids & after.keys()  # a child gone meanwhile took its ticks with it
    used = sum(after[pid][0] - (before[pid][0] if pid in before else 0) for pid in alive)
    return 1000.0 * used / hertz


def others(before: Ticks, after: Ticks, seconds: float, own: set[int]) -> list[tuple[float, str]]:
    """Other processes' CPU (% of one core) between two snapshots, busiest first, > 2 %:
    neither `own` nor this process's family (wrk, the servers and their children)."""
    hertz = os.sysconf("SC_CLK_TCK")
    ours = own | family(after, os.getpid())
    found = []
    for pid, (ticks, _, command) in after.items():
        if pid in ours or seconds <= 0:
            continue
        earlier = before[pid][0] if pid in before else 0  # a newcomer: all of it was meanwhile
        share = 100.0 * (ticks - earlier) / hertz / seconds
        if share > 2.0:
            found.append((share, command or f"pid {pid}"))
    return sorted(found, reverse=True)


def describe_others(found: list[tuple[float, str]]) -> str:
    if not found:
        return "nothing else above 2 % of a core"
    total = sum(share for share, _ in found)
    return f"{total:.0f} % of a core: " + "; ".join(f"{s:.0f} % {c}" for s, c in found[:4])


@dataclass(frozen=True)
class Run:
    result: wrk.WrkResult
    others: list[tuple[float, str]]  # what else used the CPUs meanwhile
    server_cpu_ms: float  # what the server and its children used, while measured
    http_cpu_ms: float  # of which the server process itself (the one serving HTTP)

    @property
    def cpu_per_request_ms(self) -> float:
        return self.server_cpu_ms / max(1, self.result.requests)

    @property
    def http_cpu_per_request_ms(self) -> float:
        return self.http_cpu_ms / max(1, self.result.requests)

    @property
    def others_cpu(self) -> float:
        return sum(share for share, _ in self.others)


def drive(
    name: str, url: str, load: wrk.Load, warmup: float, args: list[str], server: int,
    settle: Callable[[], None] = lambda: None,
) -> Run:  # fmt: skip
    """A warm-up run (its answers checked, not reported), then the measured one. Every run
    gets its own tag: no Idempotency-Key is ever sent twice. `server`: the server's pid, whose
    CPU (with its children's) is counted per request, up to the end of `settle` (the
    background's catch-up): a figure that, unlike the rate, hardly moves when something else
    on the machine takes a core."""
    if warmup > 0:
        warm_load = wrk.Load(load.threads, load.connections, warmup, load.timeout_s)
        warm, _ = wrk.run(url, warm_load, [args[0], new_tag(), *args[1:]])
        if warm.non_2xx:
            say(f"  warm-up of {name}: {warm.non_2xx} non-2xx answers ({warm.statuses})")
    before, started = cpu_ticks(), time.monotonic()
    result, _ = wrk.run(url, load, [args[0], new_tag(), *args[1:]])
    busy = others(before, cpu_ticks(), time.monotonic() - started, set())
    settle()
    after = cpu_ticks()
    run = Run(
        result, busy, cpu_ms(before, after, family(after, server)), cpu_ms(before, after, {server})
    )
    say(
        f"  {name}: {result.rate:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99"
        f" {result.p99_ms:.2f} ms, {result.non_2xx} non-2xx, {result.socket_errors} socket errors,"
        f" server CPU {run.cpu_per_request_ms:.2f} ms per request"
        f" ({run.http_cpu_per_request_ms:.2f} in the HTTP process)"
    )
    say(f"    meanwhile: {describe_others(busy)}")
    return run


@dataclass
class Series:
    """One measurement over every round: medians of rates and percentiles, sums of counts."""

    name: str
    runs: list[Run] = field(default_factory=list)

    def median(self, value: Callable[[wrk.WrkResult], float]) -> float:
        return statistics.median(value(run.result) for run in self.runs)

    def total(self, value: Callable[[wrk.WrkResult], int]) -> int:
        return sum(value(run.result) for run in self.runs)


def ratios(top: Series, bottom: Series) -> list[float]:
    """Per round: each pair was measured back to back, so drift hits both sides alike."""
    return [a.result.rate / b.result.rate for a, b in zip(top.runs, bottom.runs, strict=True)]


def new_tag() -> str:
    return uuid.uuid4().hex[:10]


def post_args(parties: servers.Parties) -> list[str]:
    """The script's arguments for encodings (the tag is inserted by `drive`)."""
    today = servers.TODAY.isoformat()
    return ["post", parties.member_id, parties.client_id, today, servers.ADMIN_KEY]


@contextmanager
def prepared_embedded(
    root: Path, wrapper: Sequence[str] = ()
) -> Iterator[tuple[servers.Server, servers.Parties]]:
    """The embedded app, set up (clock, member, client, share) and checked with one encoding."""
    with servers.embedded_app(root, wrapper) as app:
        parties = servers.set_up(app, root / "data")
        with servers.admin(app) as client:
            servers.wait_for_head(client, timeout=10.0)
            body = {
                "member_id": parties.member_id, "client_id": parties.client_id,
                "description": "Bench smoke", "amount_excl_vat_cents": 100000,
                "days": [{"date": "2026-03-10", "hours": 8}, {"date": "2026-03-11", "hours": 8}],
                "vat_rate": "21", "withholding_rate": "22", "expenses": [],
            }  # fmt: skip
            smoke = client.post(
                "/v1/prestations", json=body, headers={"Idempotency-Key": new_tag()}
            )
            if smoke.status_code != 201:
                raise RuntimeError(f"a first encoding failed: {smoke.status_code} {smoke.text}")
        yield app, parties


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    target: str
    passed: bool | None


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: ""}[passed]


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], numeric: set[int]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return " | ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(cells) for cells in rows)])


def _spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    median = f"{statistics.median(values):.{digits}f}{unit}"
    if len(values) == 1:
        return median
    return f"{median} (" + ", ".join(f"{v:.{digits}f}" for v in values) + ")"


def checks(
    series: dict[str, Series], lags: list[servers.Lag], dimona: servers.Dimona
) -> list[Check]:
    health, encode = (
        ratios(series["health"], series["get"]),
        ratios(series["encode"], series["post"]),
    )
    p99 = series["encode"].median(lambda r: r.p99_ms)
    non_2xx = sum(s.total(lambda r: r.non_2xx) for s in series.values())
    runs = sum(len(s.runs) for s in series.values())
    waited = [lag.seconds for lag in lags]
    worst = None if None in waited else max(w for w in waited if w is not None)
    lag_value = ", ".join("timeout" if w is None else f"{w:.2f} s" for w in waited)
    declared = sum(dimona.declarations.values())
    return [
        Check("/health / bare GET, per round", _spread(health), ">= 0.80",
              statistics.median(health) >= 0.8),
        Check("encodings / bare POST, per round", _spread(encode), ">= 0.25",
              statistics.median(encode) >= 0.25),
        Check("p99 of encodings, median", f"{p99:.1f} ms", "<= 100 ms", p99 <= 100),
        Check(f"non-2xx answers, {runs} measured runs", str(non_2xx), "0", non_2xx == 0),
        Check("background lag after each load", lag_value, "<= 5 s",
              worst is not None and worst <= 5.0),
        Check("DIMONA answered / prestations", f"{dimona.answered:,} / {dimona.prestations:,}",
              "all", dimona.answered >= dimona.prestations and declared >= dimona.prestations),
    ]  # fmt: skip


def report(series: dict[str, Series], lags: list[servers.Lag], dimona: servers.Dimona) -> str:
    measured = [
        (s.name, f"{s.median(lambda r: r.rate):,.0f}", f"{s.median(lambda r: r.p50_ms):.2f}",
         f"{s.median(lambda r: r.p99_ms):.2f}", f"{s.total(lambda r: r.requests):,}",
         f"{s.total(lambda r: r.non_2xx):,}", str(s.total(lambda r: r.socket_errors)),
         f"{statistics.median(run.cpu_per_request_ms for run in s.runs):.2f}",
         f"{statistics.median(run.http_cpu_per_request_ms for run in s.runs):.2f}",
         ", ".join(f"{run.others_cpu:.0f}" for run in s.runs))
        for s in series.values()
    ]  # fmt: skip
    header = ("measurement", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "sock err",
              "CPU ms/req", "HTTP process", "others' CPU % per run")  # fmt: skip
    found = checks(series, lags, dimona)
    judged = [(c.name, c.value, c.target, _verdict(c.passed)) for c in found]
    verdicts = [c.passed for c in found]
    drained = "not drained" if dimona.drained_after_s is None else f"{dimona.drained_after_s:.2f} s"
    settled = sorted({name for lag in lags for name in lag.settled})
    last = lags[-1]
    return "\n".join([
        f"medians of {len(series['get'].runs)} round(s); others' CPU: % of one core used by"
        " other processes during each measured run",
        table(header, measured, {1, 2, 3, 4, 5, 6, 7, 8}),
        "",
        table(("figure", "value", "target", ""), judged, set()),
        "",
        "background consumers at the end: "
        + ", ".join(f"{c.name} {c.behind} behind" for c in last.last)
        + f" ({last.polls} polls of /health/ready)",
        *(
            [f"taken at their own caught_up once nothing moved for 1 s: {', '.join(settled)}"]
            if settled
            else []
        ),
        f"DIMONA declarations by status: {dimona.declarations}; pending list empty"
        f" {drained} after the last lag",
        f"{verdicts.count(True)} PASS, {verdicts.count(False)} FAIL of {len(verdicts)} targets",
    ])  # fmt: skip


def measure(
    bare: servers.Server, app: servers.Server, parties: servers.Parties, load: wrk.Load,
    args: argparse.Namespace,
) -> tuple[dict[str, Series], list[servers.Lag], servers.Dimona]:  # fmt: skip
    """Every round: the GET pair, then the POST pair, each pair's order flipped every other
    round; after each encoding load, the wait for the background (the next run starts then)."""
    series = {
        "get": Series("bare FastAPI GET"), "health": Series("GET /health"),
        "post": Series("bare FastAPI POST"), "encode": Series("POST /v1/prestations"),
    }  # fmt: skip
    targets = {
        "get": (bare, "/bare", ["get"]), "health": (app, "/health", ["get"]),
        "post": (bare, "/bare", post_args(parties)),
        "encode": (app, "/v1/prestations", post_args(parties)),
    }  # fmt: skip
    lags = []
    with servers.admin(app) as client:
        for number in range(args.rounds):
            say(f"round {number + 1} of {args.rounds}")
            for pair in (("get", "health"), ("post", "encode")):
                for key in pair[::-1] if number % 2 else pair:
                    server, path, script_args = targets[key]

                    def caught_up() -> None:
                        lags.append(servers.wait_for_head(client, timeout=args.lag_timeout))
                        say(f"  background at the head after {lags[-1].seconds} s")

                    series[key].runs.append(drive(
                        series[key].name, server.url + path, load, args.warmup, script_args,
                        server.pid, caught_up if key == "encode" else lambda: None,
                    ))  # fmt: skip
        dimona = servers.dimona(client, timeout=args.lag_timeout)
    return series, lags, dimona


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_load", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="pairs alternate; medians")
    parser.add_argument("--lag-timeout", type=float, default=30.0, help="give up waiting after")
    parser.add_argument("--dir", type=Path, default=None, help="where to make the temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    args = parser.parse_args()
    servers.exit_on_sigterm()
    load = wrk.Load(args.threads, args.connections, args.duration)
    root = Path(tempfile.mkdtemp(prefix="bench-http-", dir=args.dir))
    started = time.perf_counter()
    try:
        for key, value in describe(root):
            print(f"{key:>23}: {value}")
        print(f"{'load':>23}: wrk -t{load.threads} -c{load.connections}, {args.warmup:g} s"
              f" warm-up then {args.duration:g} s per run")  # fmt: skip
        print(f"{'load average before':>23}: {load_average()}")
        with ExitStack() as stack:
            bare = stack.enter_context(servers.bare_app(root))
            app, parties = stack.enter_context(prepared_embedded(root))
            before = cpu_ticks()
            time.sleep(1.0)
            busy = others(before, cpu_ticks(), 1.0, set())
            print(f"{'also running':>23}: {describe_others(busy)}")
            series, lags, dimona = measure(bare, app, parties, load, args)
        print(f"{'load average after':>23}: {load_average()}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")
    print()
    print(report(series, lags, dimona))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
