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
    exemption: str | None = None,
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
        vat_breakdown=(VatBreakdown(category, Decimal(rate), net_cents, vat_cents, exemption),),
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
        FRENCH_BUSINESS, category="AE", rate="0", mentions=REVERSE_CHARGE, exemption=AE_REASON
    ),
    "out of scope": lambda: invoice(SWISS_BUSINESS, category="O", rate="0", exemption=O_REASON),
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
    french = "Été, façade, l\u2019œuvre : 12 €"
    assert pdf_text(french) == french
    line = Line(french, days(dt.date(2026, 3, 2), 1), 100_000, "S", Decimal("21"))
    assert french in read_pdf(render_invoice_pdf(invoice(lines=(line,))))[1]
    # Beyond cp1252, letters keep their base letter and the rest becomes "?", never an error.
    assert pdf_text("Łódź → Kraków") == "Lódz ? Kraków"


SELLER_MENTIONS = (
    "Travail Partagé SCE, société coopérative",
    "Rue de l'Exemple 1",
    "1000 Bruxelles",
    "BCE 0123.456.749",
    "RPM Bruxelles",
    "TVA BE 0123.456.749",
)


@pytest.mark.parametrize("kind", KINDS)
def test_every_document_names_seller_client_number_dates_and_quantity(kind: str) -> None:
    document = KINDS[kind]()
    for text in both(document):
        for mention in (*SELLER_MENTIONS, document.buyer.name, document.buyer.address.city or ""):
            assert mention in text
        assert document.number in text
        assert "Date(s) de la prestation 02/03/2026 \u2013 03/03/2026" in text
        assert "Régie son, concert « Été » 2 jour(s), 16 h" in text
        assert "02/03/2026 8 h" in text  # the days, each with its hours
        assert "Total HTVA 1.000,00 €" in text


def test_html_is_a_complete_french_page() -> None:
    page = render_invoice_html(invoice())
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert '<meta charset="utf-8">' in page and "@page { size: A4" in page
    assert "<title>Facture 2026-000123</title>" in page
    assert "<link" not in page and "src=" not in page  # self-contained


def test_a_belgian_b2b_invoice_at_21_percent() -> None:
    for text in both(invoice()):
        assert "TVA BE 0403.019.261" in text  # the client's VAT number
        assert "Taux normal 21 % 1.000,00 € 210,00 €" in text  # the VAT breakdown row
        assert "Total TVA 210,00 €" in text and "Total TVAC 1.210,00 €" in text
        assert "Date d'échéance 15/03/2026" in text
        assert "Communication structurée +++123/4567/89002+++" in text
        assert "IBAN BE71 0961 2345 6769" in text and "BIC GKCCBEBB" in text
        assert "Autoliquidation" not in text and "Déjà payé" not in text


def test_a_reverse_charge_invoice_prints_both_mentions_and_the_reason() -> None:
    document = KINDS["reverse charge"]()
    page = render_invoice_html(document)
    assert '<div class="mentions"><p>Autoliquidation</p><p>Btw verlegd</p>' in page
    for text in both(document):
        assert "Autoliquidation" in text and "Btw verlegd" in text
        assert f"Motif d'exonération : {AE_REASON}" in text
        assert "TVA FR40303265045" in text and "Paris FR" in text
        assert "Autoliquidation 0 % 1.000,00 € 0,00 €" in text
        assert "Total TVAC 1.000,00 €" in text


def test_an_out_of_scope_invoice_gives_the_reason_and_no_vat() -> None:
    for text in both(KINDS["out of scope"]()):
        assert "Hors champ TVA 0 % 1.000,00 € 0,00 €" in text
        assert f"Motif d'exonération : {O_REASON}" in text
        assert "Genève CH" in text
        assert "Autoliquidation" not in text


def test_a_private_client_has_no_vat_number_printed() -> None:
    document = KINDS["private 6 %"]()
    buyer_block = re.search(r'<p class="buyer">(.*?)</p>', render_invoice_html(document))
    assert buyer_block is not None and "TVA" not in buyer_block.group(1)
    for text in both(document):
        assert "Taux normal 6 % 1.000,00 € 60,00 €" in text
        assert "Total TVAC 1.060,00 €" in text


def test_a_credit_note_refers_to_the_invoice_it_credits() -> None:
    for text in both(credit_note()):
        assert "Note de crédit NC-2026-000007" in text
        assert "se rapporte à la facture n° 2026-000123 du 05/03/2026" in text
        assert "Motif : Prestation annulée par le client" in text
        assert "Date de la note de crédit 20/03/2026" in text
        assert "Total crédité TVAC 1.210,00 €" in text
        assert "Date d'échéance" not in text and "+++" not in text
        assert "Motif d'exonération" not in text


def test_claims_are_lines_under_the_total_then_paid_and_outstanding() -> None:
    for text in both(late_invoice()):
        order = [
            "Total TVAC 1.210,00 €",
            "Intérêts de retard",
            CLAIMS[0].description,
            "13,07 €",
            "Indemnité forfaitaire",
            "40,00 €",
            "Déjà payé -210,00 €",
            "Solde à payer 1.053,07 €",
        ]
        positions = [text.index(part) for part in order]
        assert positions == sorted(positions)


def test_a_paid_invoice_says_so_instead_of_asking_for_money() -> None:
    document = invoice(paid_cents=121_000, outstanding_cents=0)
    for text in both(document):
        assert "Cette facture est entièrement payée" in text
        assert "Solde à payer 0,00 €" in text
        assert "À payer au plus tard" not in text


def reminder_texts(reminder: ReminderDocument, language: str = "fr") -> list[str]:
    page = render_reminder_html(reminder, language=language)  # type: ignore[arg-type]
    pdf = render_reminder_pdf(reminder, language=language)  # type: ignore[arg-type]
    return [flat(html_text(page)), read_pdf(pdf)[1]]


def test_a_first_reminder_to_a_private_client_is_free_of_charge() -> None:
    for text in reminder_texts(first_reminder_b2c()):
        assert "Rappel 1" in text and "Mise en demeure" not in text
        assert "facture n° 2026-000123 du 05/03/2026, échue le 15/03/2026" in text
        assert "(1 jour(s) de retard)" in text
        assert "Ce premier rappel est gratuit" in text
        assert "payer 1.210,00 € au plus tard le 30/03/2026" in text
        assert "Dont principal restant dû : 1.210,00 €" in text
        assert "+++123/4567/89002+++" in text and "BE71 0961 2345 6769" in text
        assert "Hélène Dupont" in text and "Intérêts" not in text


def test_a_first_reminder_to_a_business_is_not_said_free() -> None:
    business = replace(first_reminder_b2c(), invoice=invoice())
    for text in reminder_texts(business):
        assert "Rappel 1" in text and "gratuit" not in text


def test_the_formal_notice_shows_the_claims_and_the_new_date() -> None:
    for text in reminder_texts(formal_notice()):
        assert "Mise en demeure" in text and "Rappel" not in text
        assert "(46 jour(s) de retard)" in text
        assert "mettons en demeure de payer le solde dû au plus tard le 15/05/2026" in text
        for part in ("Intérêts de retard", "13,07 €", "Indemnité forfaitaire", "40,00 €"):
            assert part in text
        assert "Déjà payé -210,00 €" in text and "Solde à payer 1.053,07 €" in text
        # 210.00 paid the 53.07 of claims first: 1,210.00 - 156.93 of principal is left.
        assert "Dont principal restant dû : 1.053,07 €" in text
        assert "recouvrement sera poursuivi" in text and "gratuit" not in text


def test_every_value_from_people_is_escaped_in_html() -> None:
    line = Line(HOSTILE, days(dt.date(2026, 3, 2), 1), 100_000, "S", Decimal("21"))
    document = invoice(replace(BELGIAN_BUSINESS, name=HOSTILE), lines=(line,))
    for page in (
        render_invoice_html(document),
        render_reminder_html(replace(formal_notice(), invoice=document)),
    ):
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Fils" in page
        assert HOSTILE in html_text(page)  # read back as the person typed it
    assert HOSTILE in read_pdf(render_invoice_pdf(document))[1]


def test_dutch_documents() -> None:
    document = KINDS["reverse charge"]()
    page = render_invoice_html(document, language="nl")
    assert '<html lang="nl">' in page
    text = read_pdf(render_invoice_pdf(document, language="nl"))[1]
    for part in ("Factuur 2026-000123", "Btw verlegd 0 % € 1.000,00 € 0,00", "KBO 0123.456.749"):
        assert part in flat(html_text(page)) and part in text
    notice = reminder_texts(formal_notice(), "nl")
    assert all("Ingebrekestelling" in text for text in notice)
    assert all("Herinnering 1" in text for text in reminder_texts(first_reminder_b2c(), "nl"))
    with pytest.raises(ValueError, match="not 'de'"):
        labels("de")  # type: ignore[arg-type]


def test_a_pdf_is_a4_deterministic_and_dated_by_its_document() -> None:
    first = render_invoice_pdf(invoice())
    assert first == render_invoice_pdf(invoice())
    assert first != render_invoice_pdf(invoice(issue_date=dt.date(2026, 3, 6)))
    reader, _ = read_pdf(first)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.metadata is not None and reader.metadata.creation_date is not None
    assert reader.metadata.creation_date.date() == dt.date(2026, 3, 5)
    assert reader.metadata.title == "Facture 2026-000123"
    notice = render_reminder_pdf(formal_notice())
    assert notice == render_reminder_pdf(formal_notice())
    created = read_pdf(notice)[0].metadata
    assert created is not None and created.creation_date is not None
    assert created.creation_date.date() == dt.date(2026, 4, 30)


def test_a_year_of_days_breaks_over_numbered_pages() -> None:
    worked = days(dt.date(2028, 1, 1), 366, "7.5")
    document = invoice(worked=worked)
    reader, text = read_pdf(render_invoice_pdf(document))
    pages = len(reader.pages)
    assert pages >= 3
    for number in range(1, pages + 1):
        assert f"Page {number}/{pages}" in reader.pages[number - 1].extract_text()
    assert "366 jour(s), 2745 h" in text
    for day in worked:
        assert f"{day.date:%d/%m/%Y} 7,5 h" in text or f"{day.date:%d/%m/%Y}" in text
    assert text.count("/2028") >= 366
    html = html_text(render_invoice_html(document))
    assert "31/12/2028 7,5 h" in html and "01/01/2028 7,5 h" in html


def test_figures_are_written_the_belgian_way() -> None:
    assert eur(-123_456_789, "fr") == "-1.234.567,89\u00a0€"
    assert eur(5, "nl") == "€\u00a00,05"
    assert vat_number("BE0403019261") == "BE 0403.019.261"
    assert vat_number("NL123456789B01") == "NL123456789B01"
