"""Command handling for the guarantee fund: read the facts (salary, invoice), decide, append.

A salary is paid on `fundpayment-<salary_id>` appended with the version it was read at — the
first payment expects NO_STREAM — so two runs racing on one salary give one payment: the loser
reloads, finds it paid, and appends nothing. The facts are re-read on every attempt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.guarantee_fund.domain.contribution import Contribute, contribution
from services.guarantee_fund.domain.facts import InvoiceFacts, Salary, fold_invoice, fold_salary
from services.guarantee_fund.domain.payment import FundPayment, PaySalary, Settle, fund_payment
from services.guarantee_fund.domain.run import CompleteRun, Run, StartRun, payment_run
from services.guarantee_fund.ids import (
    contribution_stream,
    fund_payment_stream,
    invoice_id_of,
    invoice_stream,
    member_stream,
    run_stream,
    salary_stream,
)
from shared.clock import Clock
from shared.events.base import Context, DomainEvent
from shared.events.billing import InvoiceIssued
from shared.events.contracts import MemberDetailsCorrected, MemberRegistered
from shared.events.guarantee_fund import GuaranteeFundContributed, RunTrigger
from shared.eventstore.codec import decode
from shared.eventstore.handling import Handled, Loaded, handle, load
from shared.eventstore.port import EventStore
from shared.money import round_half_up
from shared.parameters import parameters_on
from shared.parameters_fund import fund_parameters_on
from shared.personal import reveal


@dataclass(frozen=True)
class Payee:
    """Whom a SEPA transfer credits: the member's name and account, as last corrected."""

    member_id: str
    name: str
    iban: str
    bic: str | None


class FundHandlers:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _events(self, stream: str) -> list[DomainEvent]:
        return [decode(recorded).event for recorded in self.store.read_stream(stream)]

    # --- facts from elsewhere ------------------------------------------------------------------

    def salary(self, salary_id: str) -> Salary | None:
        return fold_salary(self._events(salary_stream(salary_id)))

    def invoice(self, invoice_id: str) -> InvoiceFacts | None:
        return fold_invoice(self._events(invoice_stream(invoice_id)))

    def payee(self, member_id: str) -> Payee | None:
        first = last = iban = ""
        bic: str | None = None
        for event in self._events(member_stream(member_id)):
            match event:
                case MemberRegistered():
                    first, last, iban, bic = (
                        event.first_name,
                        event.last_name,
                        event.iban,
                        event.bic,
                    )
                case MemberDetailsCorrected():
                    first, last = event.first_name or first, event.last_name or last
                    iban, bic = event.iban or iban, event.bic or bic
        if not iban:
            return None
        return Payee(member_id, reveal(f"{first} {last}").strip(), reveal(iban), bic)

    # --- salaries ------------------------------------------------------------------------------

    def payment(self, salary_id: str) -> Loaded[FundPayment]:
        return load(self.store, fund_payment_stream(salary_id), fund_payment)

    def pay(
        self, salary_id: str, run_id: str, execution_date: dt.date, context: Context
    ) -> Handled[FundPayment] | None:
        """Pays the salary if it is due and unpaid; None when payroll never scheduled it."""
        salary = self.salary(salary_id)
        if salary is None:
            return None

        def command(state: FundPayment) -> PaySalary:
            current = self.salary(salary_id) or salary
            invoice = self.invoice(invoice_id_of(current.prestation_id))
            return PaySalary(current, invoice, run_id, execution_date)

        return handle(self.store, fund_payment_stream(salary_id), fund_payment, command, context)

    def settle(self, salary_id: str, invoice_id: str, context: Context) -> Handled[FundPayment]:
        """Recomputes what the advance got back or lost from the invoice as it stands."""

        def command(state: FundPayment) -> Settle:
            facts = self.invoice(invoice_id)
            if facts is None:
                facts = InvoiceFacts(invoice_id, "", dt.date.min, 0, 0)
            return Settle(facts)

        return handle(self.store, fund_payment_stream(salary_id), fund_payment, command, context)

    def contribute(
        self, invoice_id: str, context: Context
    ) -> Handled[GuaranteeFundContributed | None] | None:
        """The fee share of a paid invoice (the fee is earned once the client paid)."""
        events = self._events(invoice_stream(invoice_id))
        facts = fold_invoice(events)
        issued = next((e for e in events if isinstance(e, InvoiceIssued)), None)
        if facts is None or issued is None or facts.paid_on is None:
            return None
        fee = round_half_up(
            Decimal(issued.amount_excl_vat_cents) * parameters_on(issued.issue_date).fee_rate
        )
        share = fund_parameters_on(facts.paid_on).fee_share
        command = Contribute(
            invoice_id, issued.prestation_id, issued.member_id, issued.buyer.client_id, fee,
            share, facts.paid_on,
        )  # fmt: skip
        return handle(self.store, contribution_stream(invoice_id), contribution, command, context)

    # --- runs ----------------------------------------------------------------------------------

    def run(self, run_id: str) -> Loaded[Run]:
        return load(self.store, run_stream(run_id), payment_run)

    def start_run(
        self, run_id: str, execution_date: dt.date, salary_ids: Sequence[str],
        trigger: RunTrigger, context: Context,
    ) -> Handled[Run]:  # fmt: skip
        command = StartRun(run_id, execution_date, tuple(salary_ids), trigger, self.clock.today())
        return handle(self.store, run_stream(run_id), payment_run, command, context)

    def complete_run(
        self, run_id: str, paid: Sequence[str], control_sum_cents: int, late: Sequence[str],
        context: Context,
    ) -> Handled[Run]:  # fmt: skip
        command = CompleteRun(tuple(paid), control_sum_cents, tuple(late), self.clock.today())
        return handle(self.store, run_stream(run_id), payment_run, command, context)
