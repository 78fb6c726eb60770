"""What the fund knows of other contexts, folded from their events: a salary (payroll) and
an invoice (billing). Pure folds; the handlers read the streams and pass the result in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from shared.events.base import DomainEvent
from shared.events.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentReceived,
)
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled


@dataclass(frozen=True)
class Salary:
    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    deadline: dt.date
    pay_on: dt.date
    net_to_pay_cents: int
    fee_cents: int
    cancelled: bool = False


def fold_salary(events: Iterable[DomainEvent]) -> Salary | None:
    """The salary as payroll last scheduled it (None: never scheduled)."""
    salary: Salary | None = None
    for event in events:
        match event:
            case SalaryScheduled() | SalaryRescheduled():
                salary = Salary(
                    event.salary_id, event.prestation_id, event.member_id, event.client_id,
                    event.deadline, event.pay_on, event.net_to_pay_cents, event.fee_cents,
                )  # fmt: skip
            case SalaryCancelled() if salary is not None:
                salary = replace(salary, cancelled=True)
    return salary


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice as the fund sees it: what was asked, paid, credited, written off."""

    invoice_id: str
    client_id: str
    issue_date: dt.date
    amount_excl_vat_cents: int
    total_cents: int
    principal_paid_cents: int = 0
    paid_on: dt.date | None = None
    credited_cents: int = 0
    fully_credited: bool = False
    written_off_on: dt.date | None = None
    last_payment_id: str | None = None
    last_payment_on: dt.date | None = None
    last_credit_note_id: str | None = None
    last_credit_note_on: dt.date | None = None

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


def fold_invoice(events: Iterable[DomainEvent]) -> InvoiceFacts | None:
    """The invoice's facts (None: not issued, e.g. refused)."""
    facts: InvoiceFacts | None = None
    for event in events:
        match event:
            case InvoiceIssued():
                facts = InvoiceFacts(
                    event.invoice_id, event.buyer.client_id, event.issue_date,
                    event.amount_excl_vat_cents, event.total_cents,
                )  # fmt: skip
            case PaymentReceived() if facts is not None:
                facts = replace(
                    facts,
                    principal_paid_cents=facts.principal_paid_cents + event.to_principal_cents,
                    last_payment_id=event.payment_id,
                    last_payment_on=event.received_on,
                )
            case InvoicePaid() if facts is not None:
                facts = replace(facts, paid_on=event.paid_on)
            case CreditNoteIssued() if facts is not None:
                facts = replace(
                    facts,
                    credited_cents=facts.credited_cents + event.total_cents,
                    fully_credited=facts.fully_credited or event.full,
                    last_credit_note_id=event.credit_note_id,
                    last_credit_note_on=event.issue_date,
                )
            case InvoiceWrittenOff() if facts is not None:
                facts = replace(facts, written_off_on=event.written_off_on)
    return facts
