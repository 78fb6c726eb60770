"""The settlement reaction on a real store: billing's events after (or racing) an advance
reimburse it or lose it, to the cent, however often they are delivered."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from services.guarantee_fund import projections
from shared.events.base import Context, DomainEvent
from shared.events.billing import (
    BuyerSnapshot,
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    PaymentReceived,
)
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import ANY, EventStore
from tests.guarantee_fund.support import Fund, running_fund, schedule

PAY_ON = date(2026, 5, 8)
TOTAL = 121000


def append(store: EventStore, invoice_id: str, *events: DomainEvent) -> None:
    store.append(f"invoice-{invoice_id}", to_new_events(events, Context.new("ops")), ANY)


def issue(store: EventStore, prestation_id: str) -> str:
    invoice_id = f"I{prestation_id}"
    buyer = BuyerSnapshot(
        client_id="c1", name="Théâtre", street=None, postal_code=None, city=None, country="BE",
        vat_number=None, enterprise_number=None, email=None, kind="business",
    )  # fmt: skip
    append(store, invoice_id, InvoiceIssued(
        invoice_id=invoice_id, number="2026-000001", issue_date=date(2026, 4, 30),
        due_date=date(2026, 5, 10), payment_term_days=10, prestation_id=prestation_id,
        quote_id="q", member_id="m1", buyer=buyer, lines=(), vat_breakdown=(),
        amount_excl_vat_cents=100000, vat_cents=21000, total_cents=TOTAL,
        structured_reference="+++000/0000/00097+++", legal_mentions=(),
        service_first_day=date(2026, 4, 30), service_last_day=date(2026, 4, 30),
    ))  # fmt: skip
    return invoice_id


def payment(invoice_id: str, payment_id: str, cents: int, on: date) -> PaymentReceived:
    return PaymentReceived(
        invoice_id=invoice_id, payment_id=payment_id, amount_cents=cents, received_on=on,
        to_claims_cents=0, to_principal_cents=cents, excess_cents=0, structured_reference=None,
        source="api",
    )  # fmt: skip


def ledger_when(fund: Fund, check: object, timeout: float = 10.0) -> dict[str, int]:
    views = fund.service.runtime.views
    deadline = time.monotonic() + timeout
    while True:
        views.wait_for(fund.store.head())
        with views.read() as conn:
            figures = projections.ledger(conn)
        if (callable(check) and check(figures)) or time.monotonic() > deadline:
            return figures
        time.sleep(0.02)


def test_a_payment_before_the_advance_reimburses_it_at_once(tmp_path: Path) -> None:
    with running_fund(tmp_path, PAY_ON, settle=True) as fund:
        salary = schedule(fund.store, date(2026, 4, 30), net_to_pay_cents=40000)
        invoice_id = issue(fund.store, salary.prestation_id)
        append(fund.store, invoice_id, payment(invoice_id, "p1", TOTAL // 2, date(2026, 5, 5)))
        fund.runs.execute("ops")  # not paid in full: the fund advances all of it
        figures = ledger_when(fund, lambda f: f["reimbursed_total_cents"] > 0)
        assert figures["advanced_total_cents"] == 40000
        assert figures["reimbursed_total_cents"] == 20000  # half the invoice paid


def test_a_partial_payment_then_a_credit_note_settle_the_whole_advance(tmp_path: Path) -> None:
    with running_fund(tmp_path, PAY_ON, settle=True) as fund:
        salary = schedule(fund.store, date(2026, 4, 30), net_to_pay_cents=42823)
        invoice_id = issue(fund.store, salary.prestation_id)
        fund.runs.execute("ops")
        append(fund.store, invoice_id, payment(invoice_id, "p1", 30250, date(2026, 6, 1)))
        figures = ledger_when(fund, lambda f: f["reimbursed_total_cents"] > 0)
        assert figures["reimbursed_total_cents"] == 10706  # 42823 / 4, half-up
        append(fund.store, invoice_id, CreditNoteIssued(
            credit_note_id="N1", number="2026-N1", invoice_id=invoice_id,
            invoice_number="2026-000001", invoice_issue_date=date(2026, 4, 30),
            issue_date=date(2026, 6, 2), reason="Annulé", lines=(), vat_breakdown=(),
            amount_excl_vat_cents=75000, vat_cents=15750, total_cents=90750, full=False,
        ))  # fmt: skip
        figures = ledger_when(fund, lambda f: f["losses_total_cents"] > 0)
        assert figures["losses_total_cents"] == 42823 - 10706
        assert figures["outstanding_advances_cents"] == 0


def test_a_redelivered_payment_reimburses_nothing_twice(tmp_path: Path) -> None:
    with running_fund(tmp_path, PAY_ON, settle=True) as fund:
        salary = schedule(fund.store, date(2026, 4, 30), net_to_pay_cents=42823)
        invoice_id = issue(fund.store, salary.prestation_id)
        fund.runs.execute("ops")
        append(
            fund.store,
            invoice_id,
            payment(invoice_id, "p1", TOTAL, date(2026, 6, 1)),
            InvoicePaid(invoice_id=invoice_id, paid_on=date(2026, 6, 1), paid_cents=TOTAL),
        )
        figures = ledger_when(fund, lambda f: f["contributed_total_cents"] > 0)
        settlement = fund.service.components[1]
        for recorded in fund.store.read_stream(f"invoice-{invoice_id}"):
            settlement.react(decode(recorded))  # type: ignore[attr-defined]
        again = ledger_when(fund, lambda f: True)
        assert again == figures
        assert (figures["reimbursed_total_cents"], figures["contributed_total_cents"]) == (
            42823, 650,
        )  # fmt: skip
