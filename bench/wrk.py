"""Running `wrk` with `bench/http_load.lua` and reading what it prints.

The script's own `BENCH_RESULT` line is the source of every figure (exact request count,
percentiles in µs, a count of every non-2xx answer); wrk's human summary is parsed too, as a
fallback (its "Non-2xx or 3xx responses" counts only statuses above 399).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("http_load.lua")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}  # → milliseconds
_RESULT = re.compile(r"^BENCH_RESULT (?P<fields>.*)$", re.MULTILINE)
_TOTAL = re.compile(
    r"^\s*(?P<requests>\d+) requests in (?P<value>[\d.]+)(?P<unit>us|ms|s|m)\b", re.M
)
_PERCENTILE = re.compile(
    r"^\s+(?P<p>\d+(?:\.\d+)?)%\s+(?P<value>[\d.]+)(?P<unit>us|ms|s|m)\s*$", re.M
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(?P<count>\d+)")
_SOCKET = re.compile(
    r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), write (?P<write>\d+),"
    r" timeout (?P<timeout>\d+)"
)


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed nothing this module can read."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # every answer outside 200-299 (the script's count, else wrk's)
    socket_errors: int  # connect + read + write + timeout
    statuses: dict[int, int] = field(default_factory=dict)  # empty when only wrk's text was read
    max_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def _statuses(text: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in filter(None, text.split(",")):
        status, _, count = part.partition(":")
        found[int(status)] = found.get(int(status), 0) + int(count)
    return found


def parse_result_line(output: str) -> WrkResult | None:
    """The script's `BENCH_RESULT key=value …` line, or None when there is none."""
    matches = _RESULT.findall(output)
    if not matches:
        return None
    values = dict(item.split("=", 1) for item in matches[-1].split() if "=" in item)
    numbers = {key: int(float(value)) for key, value in values.items() if key != "statuses"}
    return WrkResult(
        requests=numbers["requests"],
        seconds=numbers["duration_us"] / 1e6,
        p50_ms=numbers["p50_us"] / 1e3,
        p99_ms=numbers["p99_us"] / 1e3,
        max_ms=numbers["max_us"] / 1e3 if "max_us" in numbers else None,
        non_2xx=max(numbers["non2xx"], numbers.get("status", 0)),  # wrk's: status > 399
        socket_errors=sum(numbers.get(key, 0) for key in ("connect", "read", "write", "timeout")),
        statuses=_statuses(values.get("statuses", "")),
    )


def parse_summary(output: str) -> WrkResult:
    """wrk's own text (run with `--latency`): requests, duration, 50 % and 99 %, errors."""
    total = _TOTAL.search(output)
    if total is None:
        raise WrkError(f"no 'N requests in T' line in wrk's output:\n{output}")
    percentiles = {m["p"]: _ms(m["value"], m["unit"]) for m in _PERCENTILE.finditer(output)}
    if "50" not in percentiles or "99" not in percentiles:
        raise WrkError(f"no latency distribution (run wrk with --latency):\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket = _SOCKET.search(output)
    return WrkResult(
        requests=int(total["requests"]),
        seconds=_ms(total["value"], total["unit"]) / 1e3,
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx["count"]) if non_2xx else 0,
        socket_errors=sum(int(v) for v in socket.groupdict().values()) if socket else 0,
    )


def parse(output: str) -> WrkResult:
    """The script's line when present (exact), else wrk's summary."""
    return parse_result_line(output) or parse_summary(output)


@dataclass(frozen=True)
class Load:
    threads: int = 2
    connections: int = 8
    seconds: float = 10.0
    timeout_s: float = 10.0  # a request slower than this counts as a wrk timeout


def run(url: str, load: Load, script_args: list[str]) -> tuple[WrkResult, str]:
    """One wrk run of `load` against `url` (127.0.0.1 only) with the script; result and text."""
    if not url.startswith("http://127.0.0.1:"):
        raise WrkError(f"the bench only loads 127.0.0.1, not {url}")
    binary = shutil.which("wrk")
    if binary is None:
        raise WrkError("wrk is not installed: apt-get install -y wrk (make bench-http does)")
    command = [
        binary, f"-t{load.threads}", f"-c{load.connections}", f"-d{max(1, round(load.seconds))}s",
        f"--timeout={max(1, round(load.timeout_s))}s", "--latency", "-s", str(SCRIPT), url,
        "--", *script_args,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=load.seconds + load.timeout_s + 30
        )
    except subprocess.TimeoutExpired as error:
        raise WrkError(f"wrk did not finish: {error}") from error
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout), done.stdout
