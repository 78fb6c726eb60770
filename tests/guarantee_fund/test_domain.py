"""Given/when/then: who funds each salary, the fate of an advance, the ledger and its alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.guarantee_fund.domain.contribution import Contribute, contribution
from services.guarantee_fund.domain.facts import InvoiceFacts, Salary
from services.guarantee_fund.domain.ledger import alerts, fold_ledger
from services.guarantee_fund.domain.payment import PaySalary, Settle, fund_payment
from services.guarantee_fund.domain.run import (
    CompleteRun,
    RunNotStarted,
    StartRun,
    payment_run,
    run_id_of,
)
from shared.decider import Spec
from shared.events.guarantee_fund import (
    GuaranteeFundAdvanced,
    GuaranteeFundContributed,
    GuaranteeFundLossAbsorbed,
    GuaranteeFundReimbursed,
    PaymentRunCompleted,
    PaymentRunStarted,
    SalaryPaid,
)
from shared.parameters_fund import FundParameters

PAY_ON = date(2026, 5, 8)
SALARY = Salary("S1", "P1", "M1", "C1", date(2026, 5, 9), PAY_ON, 42823, 6500)
UNPAID = InvoiceFacts("IP1", "C1", date(2026, 5, 1), 100000, 121000)


def paid_from_fund() -> list[GuaranteeFundAdvanced | SalaryPaid]:
    return [
        GuaranteeFundAdvanced(
            salary_id="S1", prestation_id="P1", member_id="M1", client_id="C1",
            invoice_id="IP1", run_id="R", amount_cents=42823, advanced_on=PAY_ON,
        ),
        SalaryPaid(
            salary_id="S1", prestation_id="P1", member_id="M1", client_id="C1", run_id="R",
            paid_on=PAY_ON, deadline=date(2026, 5, 9), net_to_pay_cents=42823,
            funded_by="guarantee_fund", invoice_id="IP1",
        ),
    ]  # fmt: skip


def reimbursed(cents: int) -> GuaranteeFundReimbursed:
    return GuaranteeFundReimbursed(
        salary_id="S1", member_id="M1", client_id="C1", invoice_id="IP1", payment_id="pay1",
        amount_cents=cents, reimbursed_on=date(2026, 6, 1),
    )  # fmt: skip


class TestPayingASalary:
    def test_an_invoice_paid_by_the_pay_date_funds_the_salary(self) -> None:
        invoice = InvoiceFacts("IP1", "C1", date(2026, 5, 1), 100000, 121000, 121000, PAY_ON)
        (paid,) = (
            Spec(fund_payment).when(PaySalary(SALARY, invoice, "R", PAY_ON)).then_types(SalaryPaid)
        )
        assert isinstance(paid, SalaryPaid)
        assert (paid.funded_by, paid.net_to_pay_cents, paid.invoice_id) == (
            "client_payment", 42823, "IP1",
        )  # fmt: skip

    def test_an_unpaid_invoice_makes_the_fund_advance_the_salary(self) -> None:
        Spec(fund_payment).when(PaySalary(SALARY, UNPAID, "R", PAY_ON)).then(*paid_from_fund())

    def test_no_invoice_at_all_is_advanced_too(self) -> None:
        _advance, paid = (
            Spec(fund_payment)
            .when(PaySalary(SALARY, None, "R", PAY_ON))
            .then_types(GuaranteeFundAdvanced, SalaryPaid)
        )
        assert isinstance(paid, SalaryPaid) and paid.invoice_id is None

    def test_a_paid_salary_is_never_paid_twice(self) -> None:
        Spec(fund_payment).given(*paid_from_fund()).when(
            PaySalary(SALARY, UNPAID, "R2", date(2026, 5, 11))
        ).then()

    def test_a_salary_not_yet_due_or_cancelled_is_not_paid(self) -> None:
        Spec(fund_payment).when(PaySalary(SALARY, UNPAID, "R", date(2026, 5, 7))).then()
        cancelled = Salary("S1", "P1", "M1", "C1", PAY_ON, PAY_ON, 1, 1, cancelled=True)
        Spec(fund_payment).when(PaySalary(cancelled, UNPAID, "R", PAY_ON)).then()


class TestSettlingAnAdvance:
    def test_a_partial_payment_reimburses_its_share(self) -> None:
        invoice = InvoiceFacts(
            "IP1", "C1", date(2026, 5, 1), 100000, 121000, principal_paid_cents=60500,
            last_payment_id="pay1", last_payment_on=date(2026, 6, 1),
        )  # fmt: skip
        # 42823 * 60500 / 121000 = 21411.5 → 21412 (half-up)
        Spec(fund_payment).given(*paid_from_fund()).when(Settle(invoice)).then(reimbursed(21412))

    def test_the_rest_comes_back_when_the_invoice_is_paid(self) -> None:
        invoice = InvoiceFacts(
            "IP1", "C1", date(2026, 5, 1), 100000, 121000, 121000, date(2026, 6, 1),
            last_payment_id="pay1", last_payment_on=date(2026, 6, 1),
        )  # fmt: skip
        Spec(fund_payment).given(*paid_from_fund(), reimbursed(21412)).when(Settle(invoice)).then(
            reimbursed(42823 - 21412)
        )

    def test_a_replayed_settlement_changes_nothing(self) -> None:
        invoice = InvoiceFacts(
            "IP1", "C1", date(2026, 5, 1), 100000, 121000, 121000, date(2026, 6, 1),
            last_payment_id="pay1",
        )  # fmt: skip
        Spec(fund_payment).given(*paid_from_fund(), reimbursed(42823)).when(Settle(invoice)).then()

    def test_a_write_off_absorbs_everything_not_reimbursed(self) -> None:
        invoice = InvoiceFacts(
            "IP1", "C1", date(2026, 5, 1), 100000, 121000, 60500, last_payment_id="pay1",
            written_off_on=date(2026, 9, 1),
        )  # fmt: skip
        (loss,) = (
            Spec(fund_payment)
            .given(*paid_from_fund(), reimbursed(21412))
            .when(Settle(invoice))
            .then_types(GuaranteeFundLossAbsorbed)
        )
        assert isinstance(loss, GuaranteeFundLossAbsorbed)
        assert (loss.amount_cents, loss.cause, loss.source_id) == (21411, "write-off", "IP1")

    def test_a_partial_credit_note_after_the_advance_loses_the_credited_share(self) -> None:
        invoice = InvoiceFacts(
            "IP1", "C1", date(2026, 5, 1), 100000, 121000, credited_cents=30250,
            last_credit_note_id="CN1", last_credit_note_on=date(2026, 5, 20),
        )  # fmt: skip
        (loss,) = (
            Spec(fund_payment)
            .given(*paid_from_fund())
            .when(Settle(invoice))
            .then_types(GuaranteeFundLossAbsorbed)
        )
        assert isinstance(loss, GuaranteeFundLossAbsorbed)
        # 42823 / 4 = 10705.75 → 10706
        assert (loss.amount_cents, loss.cause, loss.source_id) == (10706, "credit-note", "CN1")

    def test_a_salary_the_client_funded_has_nothing_to_settle(self) -> None:
        Spec(fund_payment).when(Settle(UNPAID)).then()


class TestTheLedger:
    def test_balance_outstanding_and_exposure_reconcile(self) -> None:
        loss = GuaranteeFundLossAbsorbed(
            salary_id="S1", member_id="M1", client_id="C1", invoice_id="IP1",
            cause="write-off", source_id="IP1", amount_cents=21411, absorbed_on=date(2026, 9, 1),
        )  # fmt: skip
        gift = GuaranteeFundContributed(
            invoice_id="IP2", prestation_id="P2", member_id="M2", client_id="C2",
            fee_cents=6500, share="10", amount_cents=650, contributed_on=date(2026, 5, 2),
        )  # fmt: skip
        ledger = fold_ledger([gift, *paid_from_fund(), reimbursed(21412), loss])
        assert ledger.balance_cents == 650 + 21412 - 42823
        assert ledger.outstanding_advances_cents == 0
        assert dict(ledger.client_exposure_cents) == {"C1": 0}
        params = FundParameters(date(2026, 9, 1), Decimal("0.1"), 10_000, 10_000)
        codes = [a.code for a in alerts(ledger.balance_cents, {"C1": 10_001}, {"M1": 5}, params)]
        assert codes == ["negative-balance", "client-exposure"]

    def test_a_healthy_fund_raises_no_alert(self) -> None:
        params = FundParameters(date(2026, 9, 1), Decimal("0.1"), 10_000, 10_000)
        assert alerts(0, {"C1": 10_000}, {"M1": 10_000}, params) == []


def test_the_fee_share_is_contributed_once() -> None:
    command = Contribute("IP1", "P1", "M1", "C1", 6505, Decimal("0.1"), date(2026, 6, 1))
    (event,) = Spec(contribution).when(command).then_types(GuaranteeFundContributed)
    assert isinstance(event, GuaranteeFundContributed)
    assert (event.amount_cents, event.share) == (651, "10")  # 650.5 → 651
    Spec(contribution).given(event).when(command).then()


class TestARun:
    def test_a_run_starts_once_and_completes_once(self) -> None:
        run_id = run_id_of(PAY_ON, 1)
        start = StartRun(run_id, PAY_ON, ("S1",), "ops", PAY_ON)
        (started,) = Spec(payment_run).when(start).then_types(PaymentRunStarted)
        Spec(payment_run).given(started).when(start).then()
        complete = CompleteRun(("S1",), 42823, (), PAY_ON)
        (done,) = Spec(payment_run).given(started).when(complete).then_types(PaymentRunCompleted)
        assert isinstance(done, PaymentRunCompleted)
        assert (done.run_id, done.count, done.control_sum_cents) == ("2026-05-08-1", 1, 42823)
        Spec(payment_run).given(started, done).when(complete).then()

    def test_a_run_cannot_complete_before_it_starts(self) -> None:
        Spec(payment_run).when(CompleteRun((), 0, (), PAY_ON)).raises(RunNotStarted)
