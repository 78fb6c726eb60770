"""A payment run killed with SIGKILL half-way, then started again: the same set of salaries
is paid, each exactly once, by the same run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from tests.guarantee_fund.support import payments_of, running_fund, schedule

ROOT = Path(__file__).resolve().parents[2]
SALARIES = 150
DAY = date(2026, 5, 8)


def test_a_run_killed_half_way_and_restarted_pays_everyone_once(tmp_path: Path) -> None:
    with running_fund(tmp_path, DAY) as fund:
        salaries = [schedule(fund.store, date(2026, 4, 30)).salary_id for _ in range(SALARIES)]
        store = fund.store
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.guarantee_fund.crash_worker", str(tmp_path), str(DAY)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            paid = 0
            while time.monotonic() < deadline and paid < SALARIES // 4:
                paid = sum(1 for s in salaries if store.read_stream(f"fundpayment-{s}"))
                time.sleep(0.01)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == -signal.SIGKILL
        done_before = sum(1 for s in salaries if store.read_stream(f"fundpayment-{s}"))
        assert 0 < done_before < SALARIES, "the kill must land half-way"
        run = fund.service.runtime.handlers.run("2026-05-08-1").state
        assert run.started is not None and run.completed is None

        outcome = fund.runs.execute("ops")
        assert outcome is not None and outcome.run_id == "2026-05-08-1"
        completed = fund.service.runtime.handlers.run("2026-05-08-1").state.completed
        assert completed is not None
        assert sorted(completed.salary_ids) == sorted(salaries)
        assert completed.control_sum_cents == 42823 * SALARIES
        assert [len(payments_of(store, s)) for s in salaries] == [1] * SALARIES
