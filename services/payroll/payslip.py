"""The pay statement (fiche de paie / décompte) of a paid salary, as plain data and wording.

What it shows is what the law of 12 April 1965 (art. 15) and the royal decree of
20 September 2009 require of a pay statement: the employer's identity and address; the
worker's name, first-name initial and number; the period; the days and hours worked; the pay
basis; the gross; the social-security deductions; the amounts not subject to social security;
the taxable amount; the withholding tax; the net; other deductions; the net to pay. Both the
HTML and the PDF render the same sections (`sections`), in French.

Pure: built from events and the cooperative's identity, no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shared.events.contracts import MemberRegistered
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryScheduled
from shared.money import format_percent, percent
from shared.parameters import Cooperative, Parameters

NBSP = "\u00a0"
FUNDING = {
    "client_payment": "payée grâce au paiement du client",
    "guarantee_fund": "avancée par le fonds de garantie",
}


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    strong: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Payslip:
    salary: SalaryScheduled
    paid: SalaryPaid
    member: MemberRegistered
    employer: Cooperative
    parameters: Parameters  # valid on the first day: the rates the figures were made with

    @property
    def title(self) -> str:
        return f"Fiche de paie {self.salary.first_day:%m/%Y} — {self.worker_name}"

    @property
    def worker_name(self) -> str:
        return f"{self.member.last_name.upper()} {self.member.first_name[:1].upper()}."

    @property
    def hours(self) -> Decimal:
        return sum((day.hours for day in self.salary.days), Decimal(0))

    @property
    def other_deductions_cents(self) -> int:
        # Nothing but social security and withholding is ever held back from these salaries.
        return 0


def eur(cents: int) -> str:
    """12345 → "123,45 €"; thousands grouped with a narrow space, as French writes them."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def day(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


def decimal(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def rate(fraction: Decimal) -> str:
    return f"{format_percent(fraction).replace('.', ',')}{NBSP}%"


def employer_lines(payslip: Payslip) -> tuple[str, ...]:
    employer = payslip.employer
    return (
        f"{employer.name} ({employer.legal_form})",
        employer.street,
        f"{employer.postal_code} {employer.city}",
        f"N° d'entreprise BE {employer.enterprise_number}",
        f"N° ONSS {employer.onss_employer_id}",
        f"Commission paritaire {employer.joint_commission_number}",
    )


def worker_rows(payslip: Payslip) -> tuple[Row, ...]:
    member = payslip.member
    return (
        Row("Nom et initiale du prénom", payslip.worker_name),
        Row("Numéro de registre national (NISS)", member.niss),
        Row("Matricule", member.member_id),
        Row("Compte de paiement", member.iban),
    )


def period_rows(payslip: Payslip) -> tuple[Row, ...]:
    salary = payslip.salary
    days = ", ".join(f"{day(d.date)} ({decimal(d.hours)}{NBSP}h)" for d in salary.days)
    return (
        Row("Période", f"du {day(salary.first_day)} au {day(salary.last_day)}"),
        Row("Jours prestés", str(len(salary.days))),
        Row("Heures prestées", f"{decimal(payslip.hours)}{NBSP}h"),
        Row("Détail des jours", days),
        Row("Prestation", salary.prestation_id),
    )


def basis_rows(payslip: Payslip) -> tuple[Row, ...]:
    salary, params = payslip.salary, payslip.parameters
    per_day = salary.gross_cents // len(salary.days) if salary.days else salary.gross_cents
    return (
        Row("Base de la rémunération", "forfait convenu pour la prestation"),
        Row("Prix convenu hors TVA", eur(salary.amount_excl_vat_cents)),
        Row(f"Frais de gestion de la coopérative ({rate(params.fee_rate)})", eur(salary.fee_cents)),
        Row("Budget salarial (coût employeur total)", eur(salary.budget_cents)),
        Row("Rémunération brute par jour (moyenne)", eur(per_day)),
    )


def salary_rows(payslip: Payslip) -> tuple[Row, ...]:
    salary, params = payslip.salary, payslip.parameters
    basis = params.contribution_basis
    employee = (
        f"Cotisations personnelles de sécurité sociale "
        f"({rate(params.employee_rate)} de {rate(basis)} du brut)"
    )
    withholding = f"Précompte professionnel ({rate(percent(salary.withholding_rate))})"
    return (
        Row("Rémunération brute", eur(salary.gross_cents), strong=True),
        Row(employee, eur(-salary.employee_contributions_cents)),
        Row("Rémunération imposable", eur(salary.taxable_cents), strong=True),
        Row(withholding, eur(-salary.withholding_cents)),
        Row("Rémunération nette", eur(salary.net_cents), strong=True),
        Row(
            "Montants non soumis à la sécurité sociale : frais remboursés",
            eur(salary.expenses_cents),
        ),
        Row("Autres retenues", eur(-payslip.other_deductions_cents)),
        Row(
            "Net à payer",
            eur(salary.net_to_pay_cents - payslip.other_deductions_cents),
            strong=True,
        ),
    )


def employer_cost_rows(payslip: Payslip) -> tuple[Row, ...]:
    salary = payslip.salary
    return (
        Row("Cotisations patronales de sécurité sociale", eur(salary.employer_contributions_cents)),
        Row("Cotisations pécule de vacances", eur(salary.holiday_contributions_cents)),
    )


def payment_rows(payslip: Payslip) -> tuple[Row, ...]:
    paid = payslip.paid
    return (
        Row("Date de paiement", day(paid.paid_on)),
        Row("Échéance légale", day(paid.deadline)),
        Row("Financement", FUNDING.get(paid.funded_by, paid.funded_by)),
        Row("Ordre de paiement", paid.run_id),
    )


def sections(payslip: Payslip) -> tuple[Section, ...]:
    return (
        Section("Travailleur", worker_rows(payslip)),
        Section("Période et prestations", period_rows(payslip)),
        Section("Base de la rémunération", basis_rows(payslip)),
        Section("Décompte", salary_rows(payslip)),
        Section("À charge de l'employeur (pour information)", employer_cost_rows(payslip)),
        Section("Paiement", payment_rows(payslip)),
    )


def footer(payslip: Payslip) -> str:
    employer = payslip.employer
    return (
        f"{employer.name} · {employer.address} · {employer.email} · "
        "Décompte établi conformément à la loi du 12 avril 1965 (art. 15) et à l'arrêté royal "
        "du 20 septembre 2009."
    )
