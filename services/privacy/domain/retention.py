"""Which legal retention periods hold a member's or a private client's personal data back,
and until when.

Pure: the facts (the last employment, the last accounting document…) come from the service's
projection of other services' events, the periods from the dated configuration valid on the
day of the decision. A hold's `ends_on` is the last day the data must be kept; None when it
has no end yet (the member still holds shares, a salary is still owed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.parameters_privacy import RetentionPeriod, RetentionRules

Rule = Literal[
    "social_documents",
    "accounting_documents",
    "vat_documents",
    "withholding_tax",
    "share_register",
    "salary_owed",
    "invoice_open",
]

NAMES: dict[Rule, str] = {
    "social_documents": "Social documents",
    "accounting_documents": "Accounting documents",
    "vat_documents": "VAT documents",
    "withholding_tax": "Withholding tax (form 281.10)",
    "share_register": "Register of shares",
    "salary_owed": "Salary still owed",
    "invoice_open": "Invoice still open",
}
SALARY_OWED_SOURCE = "house rule: the salary is paid to the member's account (DOMAIN.md §3)"
# Not a period: while an invoice is collected the claim is being exercised.
INVOICE_OPEN_SOURCE = "GDPR art. 17 §3 e (legal claims): the invoice is still being collected"


@dataclass(frozen=True)
class Fact:
    """Something another service recorded that starts a period: what (ids and numbers only,
    never a personal value) and on which day."""

    what: str
    on: dt.date


@dataclass(frozen=True)
class MemberFacts:
    last_employment: Fact | None = None  # last day of the last contract (or its cancellation)
    last_accounting_document: Fact | None = None  # invoice, credit note, payment, salary paid
    last_vat_document: Fact | None = None  # invoice or credit note
    last_salary_payment: Fact | None = None
    shareholder: Fact | None = None  # admitted, shares not redeemed
    shares_redeemed: Fact | None = None
    salary_owed: Fact | None = None  # a salary scheduled and neither paid nor cancelled


@dataclass(frozen=True)
class ClientFacts:
    """What holds a private client's data: the documents issued to them, and their invoices
    not settled yet."""

    last_accounting_document: Fact | None = None  # invoice, credit note, payment of an invoice
    last_vat_document: Fact | None = None  # invoice or credit note
    invoice_open: Fact | None = None  # the oldest invoice neither settled, credited nor written off


@dataclass(frozen=True)
class Hold:
    rule: Rule
    name: str
    source: str
    fact: str
    fact_date: dt.date
    ends_on: dt.date | None  # the last day the data is kept; None: no end yet

    def ended(self, today: dt.date) -> bool:
        return self.ends_on is not None and self.ends_on < today


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def financial_year_close(day: dt.date, year_end: tuple[int, int]) -> dt.date:
    """The last day of the financial year `day` belongs to."""
    month, last = year_end
    close = dt.date(day.year, month, last)
    return close if day <= close else dt.date(day.year + 1, month, last)


def _years_after_year(year: int, period: RetentionPeriod) -> dt.date:
    """Kept `period.years` from 1 January of the year after `year`: to 31 December of
    `year + years`."""
    return dt.date(year + period.years, 12, 31)


def _hold(rule: Rule, source: str, fact: Fact, ends_on: dt.date | None) -> Hold:
    return Hold(rule, NAMES[rule], source, fact.what, fact.on, ends_on)


def _documents(accounting: Fact | None, vat: Fact | None, rules: RetentionRules) -> list[Hold]:
    found: list[Hold] = []
    if accounting is not None:
        period = rules.accounting_documents
        close = financial_year_close(accounting.on, rules.financial_year_end)
        ends_on = _years_after_year(close.year, period)
        found.append(_hold("accounting_documents", period.source, accounting, ends_on))
    if vat is not None:
        period = rules.vat_documents
        ends_on = _years_after_year(vat.on.year, period)
        found.append(_hold("vat_documents", period.source, vat, ends_on))
    return found


def holds(facts: MemberFacts, rules: RetentionRules) -> tuple[Hold, ...]:
    """Every rule that applies to the member, ended or not."""
    found: list[Hold] = []
    if (fact := facts.last_employment) is not None:
        period = rules.social_documents
        found.append(
            _hold("social_documents", period.source, fact, add_years(fact.on, period.years))
        )
    found += _documents(facts.last_accounting_document, facts.last_vat_document, rules)
    if (fact := facts.last_salary_payment) is not None:
        period = rules.withholding_tax
        found.append(
            _hold("withholding_tax", period.source, fact, _years_after_year(fact.on.year, period))
        )
    if (fact := facts.shareholder) is not None:
        found.append(_hold("share_register", rules.share_register.source, fact, None))
    elif (fact := facts.shares_redeemed) is not None:
        period = rules.share_register
        close = financial_year_close(fact.on, rules.financial_year_end)
        found.append(
            _hold("share_register", period.source, fact, _years_after_year(close.year, period))
        )
    if (fact := facts.salary_owed) is not None:
        found.append(_hold("salary_owed", SALARY_OWED_SOURCE, fact, None))
    return tuple(found)


def client_holds(facts: ClientFacts, rules: RetentionRules) -> tuple[Hold, ...]:
    """Every rule that applies to a private client, ended or not: the same periods as a
    member's invoices, and no end while one of their invoices is still open."""
    found = _documents(facts.last_accounting_document, facts.last_vat_document, rules)
    if (fact := facts.invoice_open) is not None:
        found.append(_hold("invoice_open", INVOICE_OPEN_SOURCE, fact, None))
    return tuple(found)


def all_ended(found: Iterable[Hold], today: dt.date) -> bool:
    return all(hold.ended(today) for hold in found)


def erasable_from(found: Iterable[Hold], requested_on: dt.date) -> dt.date | None:
    """The first day no rule holds the data any more (the request's date when none applies);
    None while some rule has no end yet."""
    ends = [hold.ends_on for hold in found]
    if any(end is None for end in ends):
        return None
    return max(
        (end + dt.timedelta(days=1) for end in ends if end is not None), default=requested_on
    )
