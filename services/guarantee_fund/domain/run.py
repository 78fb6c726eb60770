"""A payment run (stream payrun-<run_id>): its frozen selection, then its completion.

The run id is `<execution date>-<n>`: the n-th run of that day. Starting appends with
NO_STREAM, so two parallel starts of the same run are one run; a later run of the same day
(salaries scheduled since) takes the next n. Completion comes once every selected salary is
paid (by this run, or by a raced one: the per-salary stream decides).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.decider import Conflict, Decider
from shared.events.base import DomainEvent
from shared.events.guarantee_fund import PaymentRunCompleted, PaymentRunStarted, RunTrigger


def run_id_of(execution_date: dt.date, sequence: int) -> str:
    return f"{execution_date.isoformat()}-{sequence}"


@dataclass(frozen=True)
class StartRun:
    run_id: str
    execution_date: dt.date
    salary_ids: tuple[str, ...]
    trigger: RunTrigger
    today: dt.date


@dataclass(frozen=True)
class CompleteRun:
    paid_salary_ids: tuple[str, ...]  # those this run paid (the others were paid elsewhere)
    control_sum_cents: int
    late_salary_ids: tuple[str, ...]
    today: dt.date


@dataclass(frozen=True)
class Run:
    started: PaymentRunStarted | None = None
    completed: PaymentRunCompleted | None = None


class RunNotStarted(Conflict):
    code = "payment-run-not-started"


def decide(command: StartRun | CompleteRun, state: Run) -> list[DomainEvent]:
    match command:
        case StartRun():
            if state.started is not None:
                return []
            return [
                PaymentRunStarted(
                    run_id=command.run_id,
                    execution_date=command.execution_date,
                    salary_ids=command.salary_ids,
                    trigger=command.trigger,
                    started_on=command.today,
                )
            ]
        case CompleteRun():
            if state.started is None:
                raise RunNotStarted("a run completes only after it started")
            if state.completed is not None:
                return []
            return [
                PaymentRunCompleted(
                    run_id=state.started.run_id,
                    execution_date=state.started.execution_date,
                    salary_ids=command.paid_salary_ids,
                    count=len(command.paid_salary_ids),
                    control_sum_cents=command.control_sum_cents,
                    late_salary_ids=command.late_salary_ids,
                    completed_on=command.today,
                )
            ]


def evolve(state: Run, event: DomainEvent) -> Run:
    match event:
        case PaymentRunStarted():
            return Run(started=event)
        case PaymentRunCompleted():
            return Run(started=state.started, completed=event)
    return state


payment_run: Decider[StartRun | CompleteRun, Run] = Decider(Run, decide, evolve)
