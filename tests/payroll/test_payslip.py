"""The pay statement's wording and renderings, from events alone."""

from __future__ import annotations

import datetime as dt
import io

import pypdf

from services.payroll.domain.salary import NoSalary, ScheduleSalary, salary_decider
from services.payroll.payslip import Payslip, eur, sections
from services.payroll.payslip_html import render_payslip_html
from services.payroll.payslip_pdf import pdf_text, render_payslip_pdf
from shared.events.contracts import MemberRegistered
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryScheduled
from shared.parameters import cooperative, parameters_on
from tests.payroll.builders import WORKED_ESTIMATE, accepted, rules


def payslip(first_name: str = "Łucja", last_name: str = "Wróbel <b>") -> Payslip:
    quote = accepted(expenses_cents=2_550)
    command = ScheduleSalary(
        "S1", quote, rules(quote.first_day, quote.last_day), WORKED_ESTIMATE, dt.date(2026, 4, 2)
    )
    (salary,) = salary_decider.decide(command, NoSalary())
    assert isinstance(salary, SalaryScheduled)
    member = MemberRegistered(
        member_id="M1", first_name=first_name, last_name=last_name, email="l@example.be",
        niss="85073003328", iban="BE71096123456769", bic=None, gender="F", address=None,
        registered_on=dt.date(2026, 1, 5),
    )  # fmt: skip
    paid = SalaryPaid(
        salary_id="S1", prestation_id=salary.prestation_id, member_id="M1", client_id="K1",
        run_id="R1", paid_on=dt.date(2026, 5, 8), deadline=salary.deadline,
        net_to_pay_cents=salary.net_to_pay_cents, funded_by="client_payment", invoice_id="I1",
    )  # fmt: skip
    return Payslip(salary, paid, member, cooperative(), parameters_on(salary.first_day))


def test_euros_are_written_the_french_way() -> None:
    assert eur(123_456_789) == "1\u00a0234\u00a0567,89\u00a0€"
    assert eur(-9_023) == "-90,23\u00a0€"


def test_the_net_to_pay_adds_the_expenses_to_the_net() -> None:
    rows = {row.label: row.value for section in sections(payslip()) for row in section.rows}
    net = payslip().salary.net_cents
    assert rows["Montants non soumis à la sécurité sociale : frais remboursés"] == eur(2_550)
    assert rows["Net à payer"] == eur(net + 2_550)
    assert rows["Autres retenues"] == eur(0)
    assert rows["Financement"] == "payée grâce au paiement du client"


def test_names_are_escaped_in_html_and_folded_in_pdf() -> None:
    html = render_payslip_html(payslip())
    assert "WRÓBEL &lt;B&gt; Ł." in html and "<b>" not in html
    assert pdf_text("Łucja Wróbel ✓") == "Lucja Wróbel ?"
    document = render_payslip_pdf(payslip())
    text = pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert "WRÓBEL <B> L." in text
    assert render_payslip_pdf(payslip()) == document  # deterministic: dated by the payment
