"""Command handling for the payroll service: load the salary stream → decide → append.

The facts a salary decision needs from elsewhere are read here and put in the command: the
contract's latest estimate (prestation stream), whether the fund paid the salary already
(`fundpayment-<salary_id>`), the parameters valid on the prestation's dates and the configured
working-day convention.
"""

from __future__ import annotations

import datetime as dt

from services.payroll.domain.salary import (
    CancelSalary,
    RescheduleSalary,
    Rules,
    SalaryNotFound,
    SalaryState,
    ScheduleSalary,
    salary_decider,
)
from services.payroll.ids import (
    fund_payment_stream,
    prestation_stream,
    salary_id_for,
    salary_stream,
)
from shared.calendar import Convention
from shared.clock import Clock
from shared.events.base import Context, DomainEvent
from shared.events.contracts import (
    EmploymentContractAmended,
    EmploymentContractDrawnUp,
    MemberDetailsCorrected,
    MemberRegistered,
    PrestationAmended,
    PrestationCancelled,
    QuoteAccepted,
    SalaryEstimate,
    WorkDay,
)
from shared.events.guarantee_fund import SalaryPaid
from shared.eventstore.codec import decode
from shared.eventstore.handling import Handled, Loaded, handle, load
from shared.eventstore.port import EventStore
from shared.parameters import parameters_on
from shared.personal import reveal


class PayrollHandlers:
    def __init__(self, store: EventStore, clock: Clock, convention: Convention = "mon-sat") -> None:
        self.store = store
        self.clock = clock
        self.convention = convention

    # -- reads -----------------------------------------------------------------------------------

    def salary(self, salary_id: str) -> Loaded[SalaryState]:
        return load(self.store, salary_stream(salary_id), salary_decider)

    def payment(self, salary_id: str) -> SalaryPaid | None:
        """The fund's payment of this salary, if it was paid (one per salary, by construction)."""
        for event in self._events(fund_payment_stream(salary_id)):
            if isinstance(event, SalaryPaid):
                return event
        return None

    def member(self, member_id: str) -> MemberRegistered | None:
        """The member as registered, with every correction applied, opened for the documents
        that name them (payslips, the social declarations)."""
        member: MemberRegistered | None = None
        for event in self._events(f"member-{member_id}"):
            if isinstance(event, MemberRegistered):
                member = event
            elif isinstance(event, MemberDetailsCorrected) and member is not None:
                changes = event.model_dump(exclude={"member_id", "corrected_on"}, exclude_none=True)
                member = member.model_copy(update=changes)
        return reveal(member)

    def contract(
        self, prestation_id: str
    ) -> tuple[SalaryEstimate | None, tuple[WorkDay, ...] | None]:
        """The contract's latest estimate and days (their hours are the paid ones): at drawing
        up, or after the last amendment."""
        found: EmploymentContractDrawnUp | EmploymentContractAmended | None = None
        for event in self._events(prestation_stream(prestation_id)):
            if isinstance(event, EmploymentContractDrawnUp | EmploymentContractAmended):
                found = event
        return (None, None) if found is None else (found.salary_estimate, found.days)

    def _events(self, stream: str) -> list[DomainEvent]:
        return [decode(recorded).event for recorded in self.store.read_stream(stream)]

    def rules(self, first_day: dt.date, last_day: dt.date) -> Rules:
        return Rules(
            breakdown_parameters=parameters_on(first_day),
            deadline_working_days=parameters_on(last_day).salary_deadline_working_days,
            convention=self.convention,
        )

    def _paid_on(self, salary_id: str) -> dt.date | None:
        paid = self.payment(salary_id)
        return None if paid is None else paid.paid_on

    # -- writes ----------------------------------------------------------------------------------

    def schedule_for_quote(self, accepted: QuoteAccepted, context: Context) -> Handled[SalaryState]:
        salary_id = salary_id_for(accepted.prestation_id)
        estimate, contract_days = self.contract(accepted.prestation_id)
        command = ScheduleSalary(
            salary_id=salary_id,
            accepted=accepted,
            rules=self.rules(accepted.first_day, accepted.last_day),
            estimate=estimate,
            today=self.clock.today(),
            contract_days=contract_days,
        )
        return handle(self.store, salary_stream(salary_id), salary_decider, command, context)

    def reschedule_for_amendment(
        self, amended: PrestationAmended, context: Context
    ) -> Handled[SalaryState] | None:
        """None when the prestation has no salary (amended before its quote was accepted: the
        acceptance carries the amended days)."""
        salary_id = salary_id_for(amended.prestation_id)
        estimate, contract_days = self.contract(amended.prestation_id)
        command = RescheduleSalary(
            amended=amended,
            rules=self.rules(amended.first_day, amended.last_day),
            estimate=estimate,
            paid_on=self._paid_on(salary_id),
            today=self.clock.today(),
            contract_days=contract_days,
        )
        try:
            return handle(self.store, salary_stream(salary_id), salary_decider, command, context)
        except SalaryNotFound:
            return None

    def cancel_for_prestation(
        self, cancelled: PrestationCancelled, context: Context
    ) -> Handled[SalaryState] | None:
        """None when the prestation had no salary (cancelled before acceptance)."""
        salary_id = salary_id_for(cancelled.prestation_id)
        command = CancelSalary(cancelled, self._paid_on(salary_id), self.clock.today())
        try:
            return handle(self.store, salary_stream(salary_id), salary_decider, command, context)
        except SalaryNotFound:
            return None
