"""Payment runs on a real SQLite store: every due salary paid, once, never late, whatever
runs in parallel or is run again."""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta
from pathlib import Path

from services.guarantee_fund import projections
from shared.events.base import Context
from tests.guarantee_fund.support import payments_of, running_fund, schedule

THU_30_APRIL = date(2026, 4, 30)
FRI_8_MAY = date(2026, 5, 8)


def test_the_issue_calendar_case_is_paid_on_friday_8_may(tmp_path: Path) -> None:
    with running_fund(tmp_path, date(2026, 5, 7)) as fund:
        salary = schedule(fund.store, THU_30_APRIL)
        assert (salary.deadline, salary.pay_on) == (date(2026, 5, 9), FRI_8_MAY)
        early = fund.runs.execute("ops")
        assert early is not None and early.run_id == "2026-05-07-1"
        assert payments_of(fund.store, salary.salary_id) == []  # not due on the 7th
        fund.clock.day = FRI_8_MAY
        outcome = fund.runs.execute("ops")
        assert outcome is not None and (outcome.run_id, outcome.created) == ("2026-05-08-1", True)
        (paid,) = payments_of(fund.store, salary.salary_id)
        assert (paid.paid_on, paid.funded_by, paid.run_id) == (FRI_8_MAY, "guarantee_fund",
                                                               "2026-05-08-1")  # fmt: skip


def test_running_again_pays_nothing_twice_and_a_new_salary_gets_a_new_run(tmp_path: Path) -> None:
    with running_fund(tmp_path, FRI_8_MAY) as fund:
        first = schedule(fund.store, THU_30_APRIL)
        assert fund.runs.execute("ops") is not None
        again = fund.runs.execute("ops")
        assert again is not None and (again.run_id, again.created) == ("2026-05-08-1", False)
        second = schedule(fund.store, THU_30_APRIL)
        later = fund.runs.execute("ops")
        assert later is not None and (later.run_id, later.created) == ("2026-05-08-2", True)
        assert len(payments_of(fund.store, first.salary_id)) == 1
        (paid,) = payments_of(fund.store, second.salary_id)
        assert paid.run_id == "2026-05-08-2"
        completed = fund.service.runtime.handlers.run("2026-05-08-2").state.completed
        assert completed is not None
        assert (completed.count, completed.control_sum_cents) == (1, 42823)


def test_parallel_runs_pay_each_salary_exactly_once(tmp_path: Path) -> None:
    with running_fund(tmp_path, FRI_8_MAY) as fund:
        salaries = [schedule(fund.store, THU_30_APRIL, net_to_pay_cents=1000 + i).salary_id
                    for i in range(40)]  # fmt: skip
        errors: list[BaseException] = []

        def run() -> None:
            try:
                fund.runs.execute("ops")
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert [len(payments_of(fund.store, s)) for s in salaries] == [1] * len(salaries)
        fund.service.runtime.views.wait_for(fund.store.head())
        with fund.service.runtime.views.read() as conn:
            runs = projections.runs(conn)
        assert {r["status"] for r in runs} == {"completed"}
        # the runs' completions together name every salary once
        named: list[str] = []
        for row in runs:
            completed = fund.service.runtime.handlers.run(row["run_id"]).state.completed
            assert completed is not None
            named.extend(completed.salary_ids)
        assert sorted(named) == sorted(salaries)


def test_a_run_cut_short_is_finished_by_the_next_start(tmp_path: Path) -> None:
    with running_fund(tmp_path, FRI_8_MAY) as fund:
        salaries = [schedule(fund.store, THU_30_APRIL).salary_id for _ in range(5)]
        handlers = fund.service.runtime.handlers
        fund.service.runtime.views.wait_for(fund.store.head())
        # the crash: the run started, paid two salaries, and never completed
        context = Context.new("ops")
        handlers.start_run("2026-05-08-1", FRI_8_MAY, salaries, "ops", context)
        for salary_id in salaries[:2]:
            handlers.pay(salary_id, "2026-05-08-1", FRI_8_MAY, context)
        outcome = fund.runs.execute("ops")
        assert outcome is not None and outcome.run_id == "2026-05-08-1"
        completed = handlers.run("2026-05-08-1").state.completed
        assert completed is not None and sorted(completed.salary_ids) == sorted(salaries)
        assert [len(payments_of(fund.store, s)) for s in salaries] == [1] * 5


def test_a_salary_whose_pay_date_passed_is_paid_by_the_next_run_and_flagged(
    tmp_path: Path,
) -> None:
    with running_fund(tmp_path, date(2026, 5, 11)) as fund:  # the Monday after
        salary = schedule(fund.store, THU_30_APRIL)
        fund.service.runtime.views.wait_for(fund.store.head())
        alerts = fund.service.alerts.status()
        assert alerts["salaries_overdue"] == 1 and "salaries_overdue" in str(alerts["alerts"])
        outcome = fund.runs.execute("ops")
        assert outcome is not None
        completed = fund.service.runtime.handlers.run(outcome.run_id).state.completed
        assert completed is not None and completed.late_salary_ids == (salary.salary_id,)
        fund.service.runtime.views.wait_for(fund.store.head())
        figures = fund.service.alerts.figures()
        assert (figures["salaries_overdue"], figures["salaries_paid_late"]) == (0, 1)


def test_the_scheduler_runs_on_target2_business_days_only(tmp_path: Path) -> None:
    with running_fund(tmp_path, date(2026, 5, 1)) as fund:  # Labour Day: TARGET2 closed
        schedule(fund.store, date(2026, 4, 20))
        assert fund.service.scheduler.run_once() is None
        fund.clock.day = date(2026, 5, 2)  # a Saturday
        assert fund.service.scheduler.run_once() is None
        fund.clock.day = date(2026, 5, 4)
        outcome = fund.service.scheduler.run_once()
        assert outcome is not None and outcome.run_id == "2026-05-04-1"
        assert fund.service.scheduler.status()["last_run"] == "2026-05-04-1"


def test_a_year_of_random_prestations_is_never_paid_after_its_deadline(tmp_path: Path) -> None:
    generator = random.Random(20260101)
    with running_fund(tmp_path, date(2026, 1, 1)) as fund:
        day, salaries = date(2026, 1, 1), []
        while day <= date(2027, 1, 31):  # prestations all year, their payments into January
            fund.clock.day = day
            for _ in range(generator.randint(0, 2) if day.year == 2026 else 0):
                last_day = day + timedelta(days=generator.randint(0, 3))  # encoded ahead
                salaries.append(schedule(fund.store, last_day))
            fund.service.scheduler.run_once()
            day += timedelta(days=1)
        assert len(salaries) > 200
        for salary in salaries:
            (paid,) = payments_of(fund.store, salary.salary_id)
            assert paid.paid_on <= salary.deadline
            assert paid.paid_on == salary.pay_on
