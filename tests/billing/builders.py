"""Events and facts the billing tests start from: the worked example of DOMAIN.md §2."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.billing.domain.client import ClientFacts
from services.billing.domain.invoice import IssueInvoice
from shared.events.contracts import QuoteAccepted, WorkDay

PRESTATION = "0123456789abcdef0123456789abcdef"
ISSUE_DATE = dt.date(2026, 3, 2)
RATES = frozenset({"21", "12", "6", "0"})

BELGIAN_BUSINESS = ClientFacts(
    "c1", "Théâtre Exemple SRL", "compta@theatre.example", "BE", "BE0123456749",
    "Rue Haute 12, 1000 Bruxelles",
)  # fmt: skip
BELGIAN_PRIVATE = ClientFacts("c2", "Anne", "anne@example.org", "BE", None, "Rue 1, 4000 Liège")
FRENCH_BUSINESS = ClientFacts(
    "c3", "Scène SAS", "ap@scene.example", "FR", "FR40303265045", "1 rue X, 75001 Paris"
)
SWISS_BUSINESS = ClientFacts("c4", "Bühne AG", "ap@buehne.example", "CH", "CHE123", None)


def accepted(
    vat_rate: str = "21", amount: int = 100_000, prestation: str = PRESTATION
) -> QuoteAccepted:
    vat = amount * int(Decimal(vat_rate)) // 100
    return QuoteAccepted(
        quote_id=f"Q{prestation}",
        prestation_id=prestation,
        contract_id=f"C{prestation}",
        member_id="m1",
        client_id="c1",
        accepted_by="client",
        accepted_on=ISSUE_DATE,
        description="Régie son, deux soirées",
        days=(WorkDay(date=dt.date(2026, 3, 10), hours=Decimal(8)),
              WorkDay(date=dt.date(2026, 3, 11), hours=Decimal(8))),
        first_day=dt.date(2026, 3, 10),
        last_day=dt.date(2026, 3, 11),
        amount_excl_vat_cents=amount,
        vat_rate=vat_rate,
        vat_cents=vat,
        total_cents=amount + vat,
        expenses=(),
        expenses_cents=0,
        withholding_rate="22",
        payment_term_days=10,
    )  # fmt: skip


def issue_command(
    client: ClientFacts = BELGIAN_BUSINESS,
    vat_rate: str = "21",
    issue_date: dt.date = ISSUE_DATE,
    prestation: str = PRESTATION,
) -> IssueInvoice:
    return IssueInvoice(
        invoice_id=f"I{prestation}",
        quote=accepted(vat_rate, prestation=prestation),
        client=client,
        issue_date=issue_date,
        payment_term_days=10,
        vat_rates=RATES,
    )
