"""Invoices, credit notes and reminders as HTML and PDF: the legal mentions, the figures, the
escaping, and a PDF whose text a machine (pypdf) reads back."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from services.billing.document_model import (
    Address,
    Buyer,
    Claim,
    InvoiceDocument,
    Line,
    ReminderDocument,
    Seller,
    ServiceDay,
    VatBreakdown,
    VatCategory,
)
from services.billing.documents import render_invoice_html, render_reminder_html
from services.billing.documents_labels import labels
from services.billing.documents_pdf import pdf_text, render_invoice_pdf, render_reminder_pdf
from services.billing.documents_text import eur, vat_number
from shared.parameters import cooperative

HOSTILE = '<script>alert("x")</script> & Fils'


def seller() -> Seller:
    coop = cooperative()
    return Seller(
        name=coop.name,
        legal_form=coop.legal_form,
        address=Address(coop.street, coop.postal_code, coop.city, coop.country),
        enterprise_number=coop.enterprise_number,
        vat_number=coop.vat_number,
        register_of_legal_persons=coop.register_of_legal_persons,
        email=coop.email,
        iban=coop.iban,
        bic=coop.bic,
    )


BELGIAN_BUSINESS = Buyer(
    name="Théâtre de l'Ouest SRL",
    address=Address("Rue des Éperonniers 12", "1000", "Bruxelles", "BE"),
    vat_number="BE0403019261",
    enterprise_number="0403019261",
    email="compta@theatre.example",
    kind="business",
)
FRENCH_BUSINESS = Buyer(
    name="Compagnie Façade SARL",
    address=Address("12 rue de la Paix", "75002", "Paris", "FR"),
    vat_number="FR40303265045",
    enterprise_number=None,
    email=None,
    kind="business",
)
SWISS_BUSINESS = Buyer(
    name="Festival Genève SA",
    address=Address("Quai du Mont-Blanc 1", "1201", "Genève", "CH"),
    vat_number=None,
    enterprise_number=None,
    email=None,
    kind="business",
)
PRIVATE = Buyer(
    name="Hélène Dupont",
    address=Address("Chaussée d'Ixelles 5", "1050", "Ixelles", "BE"),
    vat_number=None,
    enterprise_number=None,
    email="helene@example.org",
    kind="private",
)

REVERSE_CHARGE = ("Autoliquidation", "Btw verlegd")
AE_REASON = "Autoliquidation - article 196 de la directive 2006/112/CE"
O_REASON = "Hors champ d'application de la TVA belge - article 21, § 2, du Code de la TVA"


def days(first: dt.date, count: int, hours: str = "8") -> tuple[ServiceDay, ...]:
    return tuple(ServiceDay(first + dt.timedelta(days=n), Decimal(hours)) for n in range(count))


def invoice(
    buyer: Buyer = BELGIAN_BUSINESS,
    *,
    category: VatCategory = "S",
    rate: str = "21",
    net_cents: int = 100_000,
    worked: tuple[ServiceDay, ...] | None = None,
    mentions: tuple[str, ...] = (),
    reason: str | None = None,
    **changes: object,
) -> InvoiceDocument:
    """An invoice as the aggregate would hand it over: its figures reconcile."""
    worked = worked or days(dt.date(2026, 3, 2), 2)
    vat_cents = net_cents * int(Decimal(rate)) // 100
    document = InvoiceDocument(
        kind="invoice",
        document_id="inv-1",
        number="2026-000123",
        issue_date=dt.date(2026, 3, 5),
        due_date=dt.date(2026, 3, 15),
        seller=seller(),
        buyer=buyer,
        lines=(Line("Régie son, concert « Été »", worked, net_cents, category, Decimal(rate)),),
        vat_breakdown=(VatBreakdown(category, Decimal(rate), net_cents, vat_cents, reason),),
        amount_excl_vat_cents=net_cents,
        vat_cents=vat_cents,
        total_cents=net_cents + vat_cents,
        paid_cents=0,
        claims=(),
        outstanding_cents=net_cents + vat_cents,
        structured_reference="+++123/4567/89002+++",
        legal_mentions=mentions,
        service_period=(worked[0].date, worked[-1].date),
        prestation_id="pre-1",
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def credit_note() -> InvoiceDocument:
    return invoice(
        kind="credit_note",
        document_id="cn-1",
        number="NC-2026-000007",
        issue_date=dt.date(2026, 3, 20),
        due_date=None,
        structured_reference=None,
        credited_invoice_number="2026-000123",
        credited_invoice_issue_date=dt.date(2026, 3, 5),
        reason="Prestation annulée par le client",
    )


CLAIMS = (
    Claim("interest", "Intérêts au taux légal de 10,5 % du 16/03/2026 au 30/04/2026", 1_307),
    Claim("flat_fee", "Indemnité forfaitaire (loi du 2 août 2002)", 4_000),
)


def late_invoice() -> InvoiceDocument:
    """121,000 cents due, 21,000 paid, €13.07 interest and €40 claimed."""
    claimed = sum(claim.amount_cents for claim in CLAIMS)
    return invoice(paid_cents=21_000, claims=CLAIMS, outstanding_cents=121_000 + claimed - 21_000)


def first_reminder_b2c() -> ReminderDocument:
    return ReminderDocument(
        reminder_id="rem-1",
        level=1,
        formal_notice=False,
        sent_on=dt.date(2026, 3, 16),
        pay_by=dt.date(2026, 3, 30),
        invoice=invoice(PRIVATE),
        days_late=1,
    )


def formal_notice() -> ReminderDocument:
    return ReminderDocument(
        reminder_id="rem-4",
        level=4,
        formal_notice=True,
        sent_on=dt.date(2026, 4, 30),
        pay_by=dt.date(2026, 5, 15),
        invoice=late_invoice(),
        days_late=46,
    )


KINDS = {
    "b2b 21 %": lambda: invoice(),
    "reverse charge": lambda: invoice(
        FRENCH_BUSINESS, category="AE", rate="0", mentions=REVERSE_CHARGE, reason=AE_REASON
    ),
    "out of scope": lambda: invoice(SWISS_BUSINESS, category="O", rate="0", reason=O_REASON),
    "private 6 %": lambda: invoice(PRIVATE, rate="6"),
    "credit note": credit_note,
    "late with claims": late_invoice,
}


class _Checker(HTMLParser):
    """Collects the text and checks every opened element is closed (void ones aside)."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_text(page: str) -> str:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.open == [], f"unclosed: {checker.open}"
    assert checker.scripts == 0
    return " ".join(" ".join(checker.text).split())


def read_pdf(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.replace("\u00a0", " ").split())


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def both(document: InvoiceDocument) -> list[str]:
    """The HTML text and the PDF text of one document, normalised the same way."""
    return [
        flat(html_text(render_invoice_html(document))),
        read_pdf(render_invoice_pdf(document))[1],
    ]


def test_the_pdf_font_takes_french_text_and_the_euro_sign_as_they_are() -> None:
    assert pdf_text("Été, façade, l’œuvre : 12 €") == "Été, façade, l’œuvre : 12 €"
    # Beyond cp1252, letters keep their base letter and the rest becomes "?", never an error.
    assert pdf_text("Łódź → Kraków") == "?ódz ? Kraków"
