"""The scheduling policy on a real SQLite store: each contracts event becomes at most one
salary event, whatever is replayed; facts come from the streams (estimate, payment)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from services.payroll.app import create_app
from services.payroll.domain.salary import Salary
from services.payroll.handlers import PayrollHandlers
from services.payroll.ids import salary_id_for, salary_stream
from services.payroll.reactions import SchedulingPolicy
from shared.events.base import Context, DomainEvent, Envelope
from shared.events.contracts import EmploymentContractDrawnUp, SalaryEstimate
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import NO_STREAM
from shared.eventstore.sqlite import SQLiteEventStore
from tests.api.api_client import ADMIN_KEY, api_settings
from tests.payroll.builders import PRESTATION, WORKED_ESTIMATE, accepted, amended, cancelled

NOW = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
SALARY = salary_id_for(PRESTATION)


class FixedClock:
    def today(self) -> dt.date:
        return NOW.date()

    def now(self) -> dt.datetime:
        return NOW

    def local_now(self) -> dt.datetime:
        return NOW


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    opened = SQLiteEventStore(str(tmp_path / "events.sqlite"))
    yield opened
    opened.close()


@pytest.fixture
def policy(store: SQLiteEventStore, tmp_path: Path) -> SchedulingPolicy:
    return SchedulingPolicy(PayrollHandlers(store, FixedClock()), tmp_path / "reactions.sqlite")


def contracted(estimate: SalaryEstimate) -> EmploymentContractDrawnUp:
    quote = accepted()
    return EmploymentContractDrawnUp(
        contract_id="C1", prestation_id=PRESTATION, member_id="M1", niss="85073003328",
        description="Concert", days=quote.days, less_than_a_day=False,
        gross_per_day_cents=31_962, daily_minimum_cents=10_107, hourly_minimum=Decimal("13.2984"),
        withholding_rate="22", salary_estimate=estimate, drawn_up_on=dt.date(2026, 3, 20),
    )  # fmt: skip


def appended(store: SQLiteEventStore, stream: str, *events: DomainEvent) -> list[Envelope]:
    store.append(stream, to_new_events(events, Context.new("test", NOW)), NO_STREAM)
    return [decode(recorded) for recorded in store.read_stream(stream)]


def salary_events(store: SQLiteEventStore) -> list[DomainEvent]:
    return [decode(recorded).event for recorded in store.read_stream(salary_stream(SALARY))]


def test_an_acceptance_delivered_twice_schedules_one_salary(
    store: SQLiteEventStore, policy: SchedulingPolicy
) -> None:
    envelopes = appended(store, f"prestation-{PRESTATION}", contracted(WORKED_ESTIMATE), accepted())
    for envelope in (*envelopes, *envelopes):
        policy.react(envelope)
    (scheduled,) = salary_events(store)
    assert isinstance(scheduled, SalaryScheduled)
    assert (scheduled.salary_id, scheduled.differs_from_estimate) == (SALARY, False)


def test_parameters_changed_since_the_estimate_are_flagged(
    store: SQLiteEventStore, policy: SchedulingPolicy
) -> None:
    older = WORKED_ESTIMATE.model_copy(update={"gross_cents": 63_000, "net_cents": 42_000})
    for envelope in appended(store, f"prestation-{PRESTATION}", contracted(older), accepted()):
        policy.react(envelope)
    (scheduled,) = salary_events(store)
    assert isinstance(scheduled, SalaryScheduled)
    assert scheduled.differs_from_estimate is True
    assert scheduled.net_cents == 42_823


def test_amend_then_cancel_each_once(store: SQLiteEventStore, policy: SchedulingPolicy) -> None:
    june = amended(dt.date(2026, 6, 5), dt.date(2026, 6, 6))
    events = (accepted(), june, cancelled())
    envelopes = appended(store, f"prestation-{PRESTATION}", *events)
    for envelope in (*envelopes, *envelopes):
        policy.react(envelope)
    kinds = [type(event) for event in salary_events(store)]
    assert kinds == [SalaryScheduled, SalaryRescheduled, SalaryCancelled]
    state = policy.handlers.salary(SALARY).state
    assert isinstance(state, Salary) and state.current.deadline == dt.date(2026, 6, 15)


def test_amended_or_cancelled_before_acceptance_makes_no_salary(
    store: SQLiteEventStore, policy: SchedulingPolicy
) -> None:
    june = amended(dt.date(2026, 6, 5))
    for envelope in appended(store, f"prestation-{PRESTATION}", june, cancelled()):
        policy.react(envelope)
    assert salary_events(store) == []


def test_a_paid_salary_ignores_a_late_amendment(
    store: SQLiteEventStore, policy: SchedulingPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    (acceptance,) = appended(store, f"prestation-{PRESTATION}", accepted())
    policy.react(acceptance)
    paid = SalaryPaid(
        salary_id=SALARY, prestation_id=PRESTATION, member_id="M1", client_id="K1", run_id="R1",
        paid_on=dt.date(2026, 5, 8), deadline=dt.date(2026, 5, 9), net_to_pay_cents=42_823,
        funded_by="guarantee_fund", invoice_id=None,
    )  # fmt: skip
    appended(store, f"fundpayment-{SALARY}", paid)
    late = appended(store, f"other-{PRESTATION}", amended(dt.date(2026, 6, 5)))
    with caplog.at_level(logging.WARNING):
        policy.react(late[0])
    assert [type(event) for event in salary_events(store)] == [SalaryScheduled]
    assert "paid on 2026-05-08" in caplog.text


def test_the_payroll_container_serves_its_own_routes(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(api_settings(tmp_path))) as client:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert client.get("/health/ready").status_code == 200
        assert client.get("/v1/salaries", headers=headers).json()["items"] == []
        assert client.get("/v1/prestations", headers=headers).status_code == 404
