"""`make fuzz`: the long run of schemathesis over the whole OpenAPI document.

Starts `python -m services.embedded` on an ephemeral port of 127.0.0.1 (simulated clock, a
fresh data directory, a generated admin key), seeds it (a member, a client, three
prestations, keys), then runs the schemathesis CLI against it, admin key in the header, in
rounds until the server has answered `COOP_FUZZ_REQUESTS` requests (default 5,000, counted by
the server's own `/metrics`). Afterwards it reads `/health/ready`, stops the server, decodes
the whole store log, and reports: what schemathesis found (each with its shrunk request as a
curl command, in `round-*.txt`), every 5xx the server counted, every error its log holds
(crashes of handlers, projections and reactions), readiness problems and log problems.

Settings (environment): `COOP_FUZZ_REQUESTS` (5000), `COOP_FUZZ_MODE` (`negative`, or
`positive` / `all`), `COOP_FUZZ_SEED` (20260302), `COOP_FUZZ_REPORT` (directory, default
`fuzz-report`). Exit status 1 when anything was found.
"""

from __future__ import annotations

import collections
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from shared.eventstore.codec import decode
from shared.eventstore.factory import open_store
from shared.eventstore.port import START, EventStore
from tests.fuzz.harness import log_problems, readiness_problems, seed

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,negative_data_rejection"
)
MAX_ROUNDS = 8
START_TIMEOUT = 30.0
CLI_TIMEOUT = 1800.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} while starting")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {START_TIMEOUT} s")


_SAMPLE = re.compile(r"^http_requests_total\{(?P<labels>.*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def served_requests(client: httpx.Client) -> collections.Counter[tuple[str, str, str]]:
    """Requests the server answered, by (method, route, status), from its `/metrics`."""
    counted: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for line in client.get("/metrics").text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            labels = dict(_LABEL.findall(match["labels"]))
            key = (labels.get("method", "?"), labels.get("route", "?"), labels.get("status", "?"))
            counted[key] += int(float(match["value"]))
    return counted


def _calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _operations(client: httpx.Client) -> int:
    paths = client.get("/openapi.json").json()["paths"]
    return sum(1 for item in paths.values() for method in item if method != "parameters")


def _run_cli(
    base_url: str, admin_key: str, mode: str, seed_value: int, examples: int, first: bool,
    out: Path, env: dict[str, str],
) -> int:  # fmt: skip
    phases = "examples,coverage,fuzzing" if first else "fuzzing"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color",
        "run", f"{base_url}/openapi.json",
        "--header", f"Authorization: Bearer {admin_key}",
        "--mode", mode, "--phases", phases, "--checks", CHECKS,
        "--max-examples", str(examples), "--seed", str(seed_value),
        "--workers", "1", "--continue-on-failure", "--request-timeout", "30",
        "--report", "ndjson", "--report-dir", str(out.parent),
        "--report-ndjson-path", str(out.with_suffix(".ndjson")),
    ]  # fmt: skip
    if mode == "negative":
        # Its only input is a free-form key id in the path: there is nothing invalid to make
        # of it, and schemathesis reports that as an error of its own.
        command += ["--exclude-operation-id", "revoke_api_key"]
    with out.open("w") as output:
        done = subprocess.run(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            timeout=CLI_TIMEOUT, check=False,
        )  # fmt: skip
    return done.returncode


def _server_errors(log_path: Path) -> list[tuple[int, str]]:
    """Error lines of the server's JSON log, grouped: (count, logger: message / last line)."""
    grouped: collections.Counter[str] = collections.Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line:
                grouped[f"(not JSON) {line[:300]}"] += 1
            continue
        if not isinstance(entry, dict) or entry.get("level") not in ("error", "critical"):
            continue
        exception = str(entry.get("exception") or "").strip().splitlines()
        where = next(
            (frame.strip() for frame in reversed(exception) if frame.strip().startswith("File")),
            "",
        )
        message = re.sub(r"\b[0-9a-f]{32}\b", "<id>", str(entry.get("message")))
        last = exception[-1] if exception else ""
        grouped[f"{entry.get('logger')}: {message} / {last} / {where}"] += 1
    return [(count, text) for text, count in grouped.most_common()]


def _failed_positions(store: EventStore, ready_body: dict[str, Any]) -> list[str]:
    """For each failed projection or reaction: the event it stopped on."""
    found = []
    for check in ready_body.get("checks", []):
        if not (check.get("failed") or check.get("error")):
            continue
        position = check.get("position")
        if not isinstance(position, int):
            continue
        after = store.read_all(after=position, limit=1)
        if not after:
            continue
        event = after[0]
        envelope = decode(event)
        found.append(
            f"{check.get('name')} stopped at position {event.position}: {event.type} in "
            f"{event.stream}, correlation {envelope.metadata.correlation_id}, "
            f"data {event.data[:400].decode(errors='replace')}"
        )
    return found


def main() -> int:
    target = int(os.environ.get("COOP_FUZZ_REQUESTS", "5000"))
    mode = os.environ.get("COOP_FUZZ_MODE", "negative")
    base_seed = int(os.environ.get("COOP_FUZZ_SEED", "20260302"))
    report = Path(os.environ.get("COOP_FUZZ_REPORT", "fuzz-report")).resolve()
    shutil.rmtree(report, ignore_errors=True)
    report.mkdir(parents=True)
    data_dir = report / "data"  # kept: the store and the read models, for a post-mortem
    calls_path = report / "calls.jsonl"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    admin_key = "fuzz-" + secrets.token_hex(24)
    env = {
        **os.environ,
        "COOP_DATA_DIR": str(data_dir),
        "COOP_ADMIN_KEY": admin_key,
        "COOP_CLOCK": "simulated",
        "COOP_ENV": "development",
        "COOP_HOST": "127.0.0.1",
        "COOP_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("COOP_EVENT_STORE", None)
    server_log = report / "server.log"
    print(f"fuzz: serving on {base_url}, data in {data_dir}, report in {report}", flush=True)
    with server_log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "services.embedded"], env=env, cwd=ROOT,
            stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_healthy(base_url, server)
            headers = {"Authorization": f"Bearer {admin_key}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
                known = seed(client)
                operations = _operations(client)
                before = served_requests(client)
                cli_env = {**env, "SCHEMATHESIS_HOOKS": "tests.fuzz.cli_hooks"}
                cli_env |= {"COOP_FUZZ_KNOWN": known.to_json(), "COOP_FUZZ_MODE": mode}
                cli_env |= {"COOP_FUZZ_CALLS": str(calls_path)}
                codes: list[int] = []
                done, per_example = 0, float(operations)
                for round_number in range(MAX_ROUNDS):
                    if done >= target:
                        break
                    # Round 0 adds the examples and coverage phases; later rounds fuzz only,
                    # sized on the requests one example per operation cost the round before.
                    examples = max(1, math.ceil((target - done) / per_example))
                    out = report / f"round-{round_number}.txt"
                    print(
                        f"fuzz: round {round_number}: {done}/{target} requests so far, "
                        f"{mode} mode, {examples} examples per operation, "
                        f"seed {base_seed + round_number}",
                        flush=True,
                    )
                    code = _run_cli(
                        base_url, admin_key, mode, base_seed + round_number, examples,
                        round_number == 0, out, cli_env,
                    )  # fmt: skip
                    codes.append(code)
                    now = len(_calls(calls_path))
                    if now == done:
                        break  # nothing left to generate
                    if round_number > 0:
                        per_example = max((now - done) / examples, 1.0)
                    done = now
                counted = served_requests(client)
                readiness = readiness_problems(client)
                ready_body = client.get("/health/ready").json()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    store = open_store(str(data_dir / "events.sqlite"))
    try:
        log = log_problems(store)
        stopped_on = _failed_positions(store, ready_body)
        events = len(store.read_all(after=START))
    finally:
        store.close()
    errors = _server_errors(server_log)
    calls = _calls(calls_path)
    network_errors = [call for call in calls if call.get("network_error")]
    counted.subtract(before)
    server_5xx = sorted((k, v) for k, v in counted.items() if k[2].startswith("5") and v)
    by_operation: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for call in calls:
        by_operation[call["operation"]][str(call.get("status", "network error"))] += 1

    lines = [
        f"# Fuzz run: {mode} mode, seed {base_seed}, {len(calls)} requests (target {target}),"
        f" {sum(counted.values())} answered by the app",
        f"schemathesis exit codes by round: {codes} (see round-*.txt for each failure's curl)",
        f"events in the log: {events}",
        "",
        "## requests by operation (status: count)",
        *(
            f"- {operation}: " + ", ".join(f"{k}: {n}" for k, n in sorted(statuses.items()))
            for operation, statuses in sorted(by_operation.items())
        ),
        "",
        "## failures below HTTP (reset connections, timeouts)",
        *(f"- {call['operation']}: {call['curl']}" for call in network_errors),
        "",
        "## 5xx answered by the server (method, route, status: count)",
        *(f"- {m} {r} {s}: {n}" for (m, r, s), n in server_5xx),
        "",
        "## errors in the server log (count, logger: message / exception / where)",
        *(f"- {n} x {text}" for n, text in errors),
        "",
        "## readiness after the run",
        *(f"- {problem}" for problem in readiness),
        *(f"- {where}" for where in stopped_on),
        "",
        "## store log",
        *(f"- {problem}" for problem in log),
    ]
    summary = "\n".join(lines) + "\n"
    (report / "summary.md").write_text(summary)
    print(summary)
    for round_file in sorted(report.glob("round-*.txt")):
        text = round_file.read_text()
        start = text.find("=== FAILURES ===")
        end = text.find("=== SUMMARY ===")
        if start != -1:
            print(f"--- {round_file.name}: failures ---")
            print(text[start : end if end != -1 else None][:20000])
    found = any(code != 0 for code in codes) or any(
        (network_errors, server_5xx, errors, readiness, log)
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
