"""The salary aggregate, given/when/then, grouped by state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.payroll.domain.salary import (
    CancelSalary,
    NoSalary,
    RescheduleSalary,
    Salary,
    SalaryAlreadyPaid,
    SalaryIsCancelled,
    SalaryNotFound,
    ScheduleSalary,
    salary_decider,
)
from shared.decider import Spec
from shared.events.contracts import SalaryEstimate
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled
from tests.payroll.builders import (
    SALARY,
    WORKED_ESTIMATE,
    accepted,
    amended,
    cancelled,
    rules,
)

APRIL_29, APRIL_30 = dt.date(2026, 4, 29), dt.date(2026, 4, 30)
TODAY = dt.date(2026, 4, 2)


def schedule(estimate: SalaryEstimate | None = WORKED_ESTIMATE, **terms: Any) -> ScheduleSalary:
    quote = accepted(**terms)
    return ScheduleSalary(SALARY, quote, rules(quote.first_day, quote.last_day), estimate, TODAY)


def scheduled(**terms: Any) -> SalaryScheduled:
    (event,) = salary_decider.decide(schedule(**terms), NoSalary())
    if not isinstance(event, SalaryScheduled):
        raise AssertionError(event)
    return event


def reschedule(*dates: dt.date, paid_on: dt.date | None = None) -> RescheduleSalary:
    return RescheduleSalary(
        amended(*dates), rules(min(dates), max(dates)), WORKED_ESTIMATE, paid_on, TODAY
    )


class TestNoSalary:
    def test_the_worked_example_nets_428_23_paid_by_its_deadline(self) -> None:
        (event,) = Spec(salary_decider).given().when(schedule()).then_types(SalaryScheduled)
        if not isinstance(event, SalaryScheduled):
            raise AssertionError(event)
        assert (event.salary_id, event.prestation_id, event.member_id) == (
            SALARY,
            "0" * 31 + "1",
            "M1",
        )
        assert (event.budget_cents, event.gross_cents, event.net_cents) == (93_500, 63_924, 42_823)
        assert event.employer_contributions_cents == 18_640
        assert event.holiday_contributions_cents == 10_936
        assert event.employee_contributions_cents == 9_023
        assert (event.taxable_cents, event.withholding_cents) == (54_901, 12_078)
        assert event.net_to_pay_cents == 42_823
        assert (event.first_day, event.last_day) == (APRIL_29, APRIL_30)
        assert event.deadline == dt.date(2026, 5, 9)
        assert event.pay_on == dt.date(2026, 5, 8)
        assert event.differs_from_estimate is False
        assert event.scheduled_on == TODAY

    def test_expenses_are_reimbursed_on_top_of_the_net(self) -> None:
        event = scheduled(expenses_cents=5_000)
        assert event.expenses_cents == 5_000
        assert event.budget_cents == 100_000 - 6_500 - 5_000
        assert event.net_to_pay_cents == event.net_cents + 5_000
        parts = (
            event.employer_contributions_cents + event.holiday_contributions_cents
            + event.employee_contributions_cents + event.withholding_cents + event.net_cents
        )  # fmt: skip
        assert parts == event.budget_cents

    def test_the_members_withholding_rate_applies(self) -> None:
        event = scheduled(withholding_rate="11")
        assert event.withholding_rate == "11"
        assert event.withholding_cents == 6_039  # 549.01 x 11 %, half-up

    def test_a_recomputation_unlike_the_estimate_says_so(self) -> None:
        older = WORKED_ESTIMATE.model_copy(update={"net_cents": 42_000})
        assert scheduled(estimate=older).differs_from_estimate is True

    def test_without_an_estimate_nothing_is_said_to_differ(self) -> None:
        assert scheduled(estimate=None).differs_from_estimate is False

    def test_nothing_to_reschedule_or_cancel(self) -> None:
        Spec(salary_decider).given().when(reschedule(APRIL_30)).raises(SalaryNotFound)
        command = CancelSalary(cancelled(), None, TODAY)
        Spec(salary_decider).given().when(command).raises(SalaryNotFound)


class TestScheduled:
    def test_a_replayed_acceptance_schedules_nothing_more(self) -> None:
        Spec(salary_decider).given(scheduled()).when(schedule()).then()

    def test_an_amendment_moves_the_deadline(self) -> None:
        june = (dt.date(2026, 6, 5), dt.date(2026, 6, 6))
        (event,) = (
            Spec(salary_decider).given(scheduled()).when(reschedule(*june))
            .then_types(SalaryRescheduled)
        )  # fmt: skip
        if not isinstance(event, SalaryRescheduled):
            raise AssertionError(event)
        assert (event.first_day, event.last_day) == june
        assert event.deadline == dt.date(2026, 6, 15)  # after a Saturday: Mon 8 … Mon 15
        assert event.pay_on == dt.date(2026, 6, 15)
        assert event.net_cents == 42_823
        assert event.rescheduled_on == TODAY

    def test_the_folded_state_carries_the_new_terms(self) -> None:
        june = (dt.date(2026, 6, 5), dt.date(2026, 6, 6))
        (event,) = salary_decider.decide(reschedule(*june), Salary(scheduled()))
        state = salary_decider.fold([scheduled(), event])
        assert isinstance(state, Salary)
        assert state.current.deadline == dt.date(2026, 6, 15)
        assert state.current.contract_id == "C1"
        assert state.reschedulings == 1

    def test_an_amendment_that_changes_nothing_appends_nothing(self) -> None:
        Spec(salary_decider).given(scheduled()).when(reschedule(APRIL_29, APRIL_30)).then()

    def test_a_cancellation_cancels(self) -> None:
        Spec(salary_decider).given(scheduled()).when(CancelSalary(cancelled(), None, TODAY)).then(
            SalaryCancelled(
                salary_id=SALARY,
                prestation_id="0" * 31 + "1",
                member_id="M1",
                reason="client withdrew",
                cancelled_on=TODAY,
            )
        )

    def test_a_cancellation_without_reason_still_says_why(self) -> None:
        command = CancelSalary(cancelled(reason=None), None, TODAY)
        (event,) = Spec(salary_decider).given(scheduled()).when(command).then_types(SalaryCancelled)
        assert isinstance(event, SalaryCancelled)
        assert event.reason == "prestation cancelled"


class TestCancelled:
    def test_a_second_cancellation_changes_nothing(self) -> None:
        first = SalaryCancelled(
            salary_id=SALARY, prestation_id="0" * 31 + "1", member_id="M1", reason="x",
            cancelled_on=TODAY,
        )  # fmt: skip
        command = CancelSalary(cancelled(), None, TODAY)
        Spec(salary_decider).given(scheduled(), first).when(command).then()
        later = reschedule(dt.date(2026, 6, 5))
        Spec(salary_decider).given(scheduled(), first).when(later).raises(SalaryIsCancelled)


class TestPaid:
    @pytest.mark.parametrize(
        "command",
        [
            reschedule(dt.date(2026, 6, 5), paid_on=dt.date(2026, 5, 8)),
            CancelSalary(cancelled(), dt.date(2026, 5, 8), TODAY),
        ],
    )
    def test_a_paid_salary_never_changes(self, command: object) -> None:
        Spec(salary_decider).given(scheduled()).when(command).raises(  # type: ignore[arg-type]
            SalaryAlreadyPaid, match="paid on 2026-05-08"
        )
