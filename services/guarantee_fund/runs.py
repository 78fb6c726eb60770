"""Payment runs: pay every salary due by the execution date, exactly once, never skipped.

A run freezes its selection in `PaymentRunStarted` (payrun-<date>-<n>, NO_STREAM), pays each
salary on its own stream (NO_STREAM: never twice), then records `PaymentRunCompleted`. Whatever
stops it half-way (a crash, a SIGKILL), the next start of any run first resumes every run not
completed, so the same selection is paid in full; two parallel starts of the same run append
one `PaymentRunStarted` and then both pay through the per-salary streams, one payment each.

`PaymentRunScheduler` starts one each TARGET2 business day on the service's clock, and resumes
an unfinished run after a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from services.guarantee_fund import projections
from services.guarantee_fund.domain.run import Run, run_id_of
from services.guarantee_fund.handlers import FundHandlers
from shared.calendar import Target2Calendar
from shared.events.base import Context
from shared.events.guarantee_fund import RunTrigger, SalaryPaid
from shared.eventstore.projections import ProjectionRunner
from shared.ticking import Ticker

log = logging.getLogger(__name__)
ACTOR = "system:payment-run"
MAX_RUNS_A_DAY = 1000  # a bound on the search for the day's next run number


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    created: bool  # False: an existing run of the day answered (nothing new was due)


class PaymentRuns:
    def __init__(self, handlers: FundHandlers, views: ProjectionRunner) -> None:
        self.handlers = handlers
        self.views = views
        self.calendar = Target2Calendar()

    def execution_date(self) -> dt.date:
        """Today if TARGET2 is open, else its next business day."""
        day = self.handlers.clock.today()
        return day if self.calendar.is_business_day(day) else self.calendar.next_business_day(day)

    def _caught_up(self) -> None:
        self.views.wait_for(self.handlers.store.head(), timeout=30.0)

    def execute(self, trigger: RunTrigger, *, always: bool = True) -> RunOutcome | None:
        """Resumes unfinished runs, then starts the day's next run when salaries are due (or,
        `always`, when the day has none yet). Returns the run that answers, None if none."""
        self._caught_up()
        with self.views.read() as conn:
            unfinished = [row["run_id"] for row in projections.runs(conn, "started")]
        for run_id in unfinished:
            self.resume(run_id)
        self._caught_up()
        execution_date = self.execution_date()
        with self.views.read() as conn:
            listed = projections.due_salaries(conn, execution_date)
        # The view may lag behind a run that just paid: the salary's own stream has the last word.
        due = [
            salary_id for salary_id in listed if self.handlers.payment(salary_id).state.paid is None
        ]
        latest: str | None = None
        for sequence in range(1, MAX_RUNS_A_DAY + 1):
            run_id = run_id_of(execution_date, sequence)
            loaded = self.handlers.run(run_id)
            if loaded.state.started is None:
                break
            latest = run_id
            if loaded.state.completed is None:  # started elsewhere since we looked: finish it
                self.resume(run_id)
                return RunOutcome(run_id, created=False)
        else:
            raise RuntimeError(f"more than {MAX_RUNS_A_DAY} runs on {execution_date}")
        if not due and (latest is not None or not always):
            return None if latest is None else RunOutcome(latest, created=False)
        context = Context.new(ACTOR if trigger == "scheduler" else "ops", self.handlers.clock.now())
        # A parallel start of the same run makes this a no-op (the handler reloads and finds
        # it started): both then pay the winner's selection, one payment per salary.
        self.handlers.start_run(run_id, execution_date, due, trigger, context)
        self.resume(run_id)
        return RunOutcome(run_id, created=True)

    def resume(self, run_id: str) -> Run:
        """Pays what the run selected and is still unpaid, then completes it (idempotent)."""
        state = self.handlers.run(run_id).state
        started = state.started
        if started is None or state.completed is not None:
            return state
        context = Context.new(ACTOR, self.handlers.clock.now())
        paid_here: list[SalaryPaid] = []
        for salary_id in started.salary_ids:
            self.handlers.pay(salary_id, run_id, started.execution_date, context)
            paid = self.handlers.payment(salary_id).state.paid
            if paid is not None and paid.run_id == run_id:
                paid_here.append(paid)
        late = [p.salary_id for p in paid_here if self._was_late(p)]
        if late:
            log.error("payment run %s paid %d salaries after their pay date", run_id, len(late))
        self.handlers.complete_run(
            run_id, [p.salary_id for p in paid_here], sum(p.net_to_pay_cents for p in paid_here),
            late, context,
        )  # fmt: skip
        return self.handlers.run(run_id).state

    def _was_late(self, paid: SalaryPaid) -> bool:
        salary = self.handlers.salary(paid.salary_id)
        return salary is not None and paid.paid_on > salary.pay_on


class PaymentRunScheduler:
    """Each TARGET2 business day, on the service's clock: a run (resuming any unfinished one
    first). Checks every `interval` seconds; a run that pays nothing new adds no run."""

    name = "payment-run-scheduler"

    def __init__(self, runs: PaymentRuns, *, interval: float = 60.0) -> None:
        self.runs = runs
        self.last_run: str | None = None
        self.ticker = Ticker("payment-runs", self.run_once, interval)

    def run_once(self) -> RunOutcome | None:
        today = self.runs.handlers.clock.today()
        if not self.runs.calendar.is_business_day(today):
            return None
        outcome = self.runs.execute("scheduler")
        if outcome is not None:
            self.last_run = outcome.run_id
        return outcome

    def start(self) -> None:
        self.ticker.start()

    def follow(self) -> None:
        """The background process runs the payments: this one only reports."""

    def stop(self) -> None:
        self.ticker.stop()

    def status(self) -> dict[str, object]:
        return {
            "name": self.name,
            "caught_up": True,
            "running": self.ticker.running,
            "last_run": self.last_run,
            "error": self.ticker.last_error,
        }
