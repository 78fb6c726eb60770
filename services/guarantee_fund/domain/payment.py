"""The payment of one salary and the fate of the fund's advance (stream fundpayment-<salary>).

`PaySalary`: the client's invoice is paid by the pay date → SalaryPaid funded by that payment;
otherwise GuaranteeFundAdvanced then SalaryPaid funded by the fund. A paid salary is never
paid again (the stream is appended with NO_STREAM by the handler, and the decider says so too).

`Settle`: the invoice moved (a payment, a credit note, a write-off) or the advance was just
made: the reimbursed and lost parts of the advance are recomputed from the invoice as it stands
and only the difference is appended, so replays and races settle to the same cent.
The fund gets back the share of its advance that the client paid of the invoice
(advance * principal paid / total, half-up; all of it once the invoice is paid); a credit note
loses the credited share, a write-off everything not yet reimbursed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from services.guarantee_fund.domain.facts import InvoiceFacts, Salary
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.guarantee_fund import (
    GuaranteeFundAdvanced,
    GuaranteeFundLossAbsorbed,
    GuaranteeFundReimbursed,
    SalaryPaid,
)
from shared.money import round_half_up


@dataclass(frozen=True)
class PaySalary:
    salary: Salary
    invoice: InvoiceFacts | None
    run_id: str
    execution_date: dt.date


@dataclass(frozen=True)
class Settle:
    invoice: InvoiceFacts


Command = PaySalary | Settle


@dataclass(frozen=True)
class FundPayment:
    paid: SalaryPaid | None = None
    advance: GuaranteeFundAdvanced | None = None
    reimbursed_cents: int = 0
    lost_cents: int = 0

    @property
    def outstanding_cents(self) -> int:
        advanced = 0 if self.advance is None else self.advance.amount_cents
        return advanced - self.reimbursed_cents - self.lost_cents


def payable(salary: Salary, execution_date: dt.date) -> bool:
    return not salary.cancelled and salary.pay_on <= execution_date


def pay(command: PaySalary, state: FundPayment) -> list[DomainEvent]:
    salary = command.salary
    if state.paid is not None or not payable(salary, command.execution_date):
        return []
    invoice = command.invoice
    invoice_id = None if invoice is None else invoice.invoice_id
    client_funded = invoice is not None and invoice.paid
    events: list[DomainEvent] = []
    if not client_funded:
        events.append(
            GuaranteeFundAdvanced(
                salary_id=salary.salary_id,
                prestation_id=salary.prestation_id,
                member_id=salary.member_id,
                client_id=salary.client_id,
                invoice_id=invoice_id,
                run_id=command.run_id,
                amount_cents=salary.net_to_pay_cents,
                advanced_on=command.execution_date,
            )
        )
    events.append(
        SalaryPaid(
            salary_id=salary.salary_id,
            prestation_id=salary.prestation_id,
            member_id=salary.member_id,
            client_id=salary.client_id,
            run_id=command.run_id,
            paid_on=command.execution_date,
            deadline=salary.deadline,
            net_to_pay_cents=salary.net_to_pay_cents,
            funded_by="client_payment" if client_funded else "guarantee_fund",
            invoice_id=invoice_id,
        )
    )
    return events


def _share(advanced: int, part: int, whole: int) -> int:
    if whole <= 0:
        return advanced
    return min(advanced, round_half_up(Decimal(advanced) * part / whole))


def settle(command: Settle, state: FundPayment) -> list[DomainEvent]:
    advance, invoice = state.advance, command.invoice
    if advance is None or advance.invoice_id != invoice.invoice_id:
        return []
    advanced = advance.amount_cents
    reimbursed = advanced if invoice.paid else _share(advanced, invoice.principal_paid_cents,
                                                       invoice.total_cents)  # fmt: skip
    reimbursed = max(reimbursed, state.reimbursed_cents)
    if invoice.written_off_on is not None or invoice.fully_credited:
        lost = advanced - reimbursed
    else:
        lost = min(advanced - reimbursed, _share(advanced, invoice.credited_cents,
                                                 invoice.total_cents))  # fmt: skip
    events: list[DomainEvent] = []
    who = {"salary_id": advance.salary_id, "member_id": advance.member_id,
           "client_id": advance.client_id, "invoice_id": invoice.invoice_id}  # fmt: skip
    if reimbursed > state.reimbursed_cents:
        events.append(
            GuaranteeFundReimbursed(
                **who,
                payment_id=invoice.last_payment_id or invoice.invoice_id,
                amount_cents=reimbursed - state.reimbursed_cents,
                reimbursed_on=invoice.paid_on or invoice.last_payment_on or advance.advanced_on,
            )
        )
    if lost > state.lost_cents:
        written_off = invoice.written_off_on is not None
        events.append(
            GuaranteeFundLossAbsorbed(
                **who,
                cause="write-off" if written_off else "credit-note",
                source_id=invoice.invoice_id
                if written_off
                else invoice.last_credit_note_id or invoice.invoice_id,
                amount_cents=lost - state.lost_cents,
                absorbed_on=invoice.written_off_on
                or invoice.last_credit_note_on
                or advance.advanced_on,
            )
        )
    return events


def decide(command: Command, state: FundPayment) -> list[DomainEvent]:
    match command:
        case PaySalary():
            return pay(command, state)
        case Settle():
            return settle(command, state)


def evolve(state: FundPayment, event: DomainEvent) -> FundPayment:
    match event:
        case SalaryPaid():
            return replace(state, paid=event)
        case GuaranteeFundAdvanced():
            return replace(state, advance=event)
        case GuaranteeFundReimbursed():
            return replace(state, reimbursed_cents=state.reimbursed_cents + event.amount_cents)
        case GuaranteeFundLossAbsorbed():
            return replace(state, lost_cents=state.lost_cents + event.amount_cents)
    return state


fund_payment: Decider[Command, FundPayment] = Decider(FundPayment, decide, evolve)
