"""A guarantee fund on a real SQLite store, with a clock the test sets, and payroll's salaries
appended as payroll would (its `SalaryScheduled`, per the event contract)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from services.guarantee_fund import app as fund_app
from services.guarantee_fund.app import FundService
from shared.calendar import Target2Calendar, WorkingDayCalendar
from shared.events.base import Context
from shared.events.contracts import WorkDay
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryScheduled
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.factory import open_store
from shared.eventstore.port import NO_STREAM, EventStore
from shared.settings import Settings

WORKING_DAYS = WorkingDayCalendar()
TARGET2 = Target2Calendar()


class FixedClock:
    """Today is what the test says; the time of day is 06:00 UTC."""

    def __init__(self, today: date) -> None:
        self.day = today

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        return datetime.combine(self.day, time(6, 0), tzinfo=UTC)

    def local_now(self) -> datetime:
        return self.now()


def settings_for(data_dir: Path) -> Settings:
    return Settings.from_env({"COOP_DATA_DIR": str(data_dir), "COOP_ADMIN_KEY": "k" * 40})


@dataclass
class Fund:
    store: EventStore
    clock: FixedClock
    service: FundService

    @property
    def runs(self):
        return self.service.runtime.runs


@contextmanager
def running_fund(data_dir: Path, today: date, *, settle: bool = False) -> Iterator[Fund]:
    """The fund's projection running (and its settlement reaction when `settle`); the
    scheduler is driven by the test (`run_once`), never by its timer."""
    settings = settings_for(data_dir)
    store = open_store(settings.event_store)
    clock = FixedClock(today)
    service = fund_app.build(settings, store, clock)
    views, settlement, _scheduler = service.components
    started = [views, settlement] if settle else [views]
    for component in started:
        component.start()
    try:
        yield Fund(store, clock, service)
    finally:
        for component in reversed(started):
            component.stop()
        store.close()


def deadline_after(last_day: date) -> date:
    return WORKING_DAYS.add_working_days(last_day, 7)


def schedule(
    store: EventStore, last_day: date, *, net_to_pay_cents: int = 42823,
    member_id: str = "m1", client_id: str = "c1", prestation_id: str | None = None,
) -> SalaryScheduled:  # fmt: skip
    """Appends what payroll appends when a quote is accepted (salary-<id>, NO_STREAM)."""
    prestation_id = prestation_id or uuid.uuid4().hex
    deadline = deadline_after(last_day)
    event = SalaryScheduled(
        salary_id=f"S{prestation_id}", prestation_id=prestation_id, contract_id="k",
        quote_id="q", member_id=member_id, client_id=client_id,
        days=(WorkDay(date=last_day, hours=8),), first_day=last_day, last_day=last_day,
        deadline=deadline, pay_on=TARGET2.last_business_day_not_after(deadline),
        amount_excl_vat_cents=100000, fee_cents=6500, expenses_cents=0, budget_cents=93500,
        gross_cents=63924, employer_contributions_cents=18640, holiday_contributions_cents=10936,
        employee_contributions_cents=9023, taxable_cents=54901, withholding_cents=12078,
        net_cents=net_to_pay_cents, net_to_pay_cents=net_to_pay_cents, withholding_rate="22",
        differs_from_estimate=False, scheduled_on=last_day,
    )  # fmt: skip
    context = Context.new("system:payroll")
    store.append(f"salary-{event.salary_id}", to_new_events([event], context), NO_STREAM)
    return event


def payments_of(store: EventStore, salary_id: str) -> list[SalaryPaid]:
    events = [decode(r).event for r in store.read_stream(f"fundpayment-{salary_id}")]
    return [e for e in events if isinstance(e, SalaryPaid)]
