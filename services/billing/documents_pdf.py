"""The invoice, the credit note and the reminder as A4 PDF (fpdf2), from the same wording as
the HTML page (`documents_text`).

Fonts: fpdf2 ships no TTF and a fresh machine may have none, so the PDF uses the standard
Helvetica with the Windows-1252 encoding fpdf2 declares for it (WinAnsiEncoding): é, è, ç, the
typographic apostrophe and € all print, and every viewer has the font. Text outside cp1252 is
folded to its base letter (`pdf_text`), never an error. Output is deterministic: the creation
date is the document's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.billing.document_model import InvoiceDocument, ReminderDocument
from services.billing.documents_labels import Labels, Language, labels
from services.billing.documents_text import (
    NBSP,
    AmountRow,
    buyer_lines,
    credit_note_lines,
    date,
    decimal,
    document_title,
    eur,
    exemption_reasons,
    is_free_first_reminder,
    line_rows,
    meta_rows,
    payment_rows,
    principal_outstanding_cents,
    reminder_paragraphs,
    reminder_rows,
    reminder_title,
    seller_lines,
    total_rows,
    vat_rows,
)
from shared.pdf_text import PDF_ENCODING, pdf_text

# fpdf2 replaces this alias by the page count; unlike "{nb}", no client will type it.
_PAGE_COUNT = "\u00a4pages\u00a4"
_FONT = "helvetica"
_GREY = (235, 235, 235)
_HEADINGS = FontFace(emphasis="BOLD", fill_color=_GREY)
_BOLD = FontFace(emphasis="BOLD")
_DAY_COLUMNS = 3  # day/hours pairs side by side: a year of days fits on three pages


class _Pdf(FPDF):
    """A4 with the seller's legal identity and "Page n/N" at the foot of every page."""

    def __init__(self, footer: str, page_word: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = PDF_ENCODING
        self._footer_text = pdf_text(footer)
        self._page_word = pdf_text(page_word)
        self.alias_nb_pages(_PAGE_COUNT)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=22)

    def footer(self) -> None:
        self.set_y(-17)
        self.set_draw_color(150, 150, 150)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(_FONT, size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 3.5, self._footer_text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"{self._page_word} {self.page_no()}/{_PAGE_COUNT}", align="R")
        self.set_text_color(0, 0, 0)

    def write_lines(self, lines: Sequence[str], size: float = 9, bold_first: bool = False) -> None:
        for index, line in enumerate(lines):
            style = "B" if bold_first and index == 0 else ""
            self.set_font(_FONT, style=style, size=size + 1 if style else size)
            text = pdf_text(line)
            self.multi_cell(0, size * 0.45, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(_FONT, style="B", size=11)
        self.cell(0, 6, pdf_text(text), border="B", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def table_of(
        self,
        head: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        align: Sequence[str],
        width: float | None = None,
        strong: Sequence[bool] = (),
        repeat_headings: bool = True,
    ) -> None:
        self.set_font(_FONT, size=9)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            width=width or self.epw,
            align="RIGHT",
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=head is not None,
            headings_style=_HEADINGS,
            line_height=4.6,
            padding=(0.8, 1.5),
            repeat_headings=1 if repeat_headings else 0,
        ) as table:
            if head is not None:
                table.row([pdf_text(cell) for cell in head])
            for index, values in enumerate(rows):
                bold = index < len(strong) and strong[index]
                table.row([pdf_text(cell) for cell in values], style=_BOLD if bold else None)
        self.ln(2)

    def framed(self, texts: Sequence[str], *, bold: bool = True, fill: bool = False) -> None:
        """A framed paragraph block: the legal mentions, the free-of-charge notice."""
        if not texts:
            return
        self.ln(2)
        self.set_font(_FONT, style="B" if bold else "", size=10)
        self.set_line_width(0.5 if bold else 0.2)
        self.set_fill_color(*_GREY)
        self.multi_cell(
            0, 5.5, pdf_text("\n".join(texts)), border=1, padding=2, fill=fill, align="L",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        self.set_line_width(0.2)
        self.set_fill_color(255, 255, 255)  # tables drawn later would inherit the grey
        self.ln(2)


def _start(title: str, document: InvoiceDocument, words: Labels, language: Language) -> _Pdf:
    pdf = _Pdf(" · ".join(seller_lines(document.seller, words)), words.page)
    issued = dt.datetime.combine(document.issue_date, dt.time(), tzinfo=dt.UTC)
    pdf.set_creation_date(issued)
    pdf.set_title(pdf_text(title))
    pdf.set_author(pdf_text(document.seller.name))
    pdf.set_creator("services.billing")
    pdf.set_lang(language)
    pdf.add_page()
    return pdf


def _header(
    pdf: _Pdf, title: str, facts: Sequence[tuple[str, str]], document: InvoiceDocument, w: Labels
) -> None:
    """Seller top left, title and facts top right, the client's address framed below them."""
    top = pdf.get_y()
    pdf.set_right_margin(pdf.w - 105)
    pdf.write_lines(seller_lines(document.seller, w), size=8.5, bold_first=True)
    seller_bottom = pdf.get_y()
    pdf.set_right_margin(15)
    pdf.set_left_margin(112)
    pdf.set_xy(112, top)
    pdf.set_font(_FONT, style="B", size=16)
    pdf.multi_cell(0, 8, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.table_of(None, facts, (45, 55), align=("LEFT", "LEFT"))
    pdf.ln(1)
    pdf.set_font(_FONT, size=9.5)
    pdf.set_font(_FONT, style="B", size=9.5)
    pdf.cell(0, 5, pdf_text(w.buyer), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=9.5)
    address = "\n".join(buyer_lines(document.buyer, w))
    pdf.multi_cell(0, 4.8, pdf_text(address), border=1, padding=2, new_x="LMARGIN", new_y="NEXT")
    pdf.set_left_margin(15)
    pdf.set_xy(15, max(pdf.get_y(), seller_bottom) + 4)


def _amounts(pdf: _Pdf, rows: Sequence[AmountRow]) -> None:
    cells = [
        [f"{row.label}\n{row.detail}" if row.detail else row.label, row.amount] for row in rows
    ]
    strong = [row.strong for row in rows]
    pdf.table_of(None, cells, (70, 30), align=("LEFT", "RIGHT"), width=100, strong=strong)


def _mentions(pdf: _Pdf, document: InvoiceDocument, words: Labels) -> None:
    reasons = [f"{words.exemption}{words.colon} {reason}" for reason in exemption_reasons(document)]
    pdf.framed([*document.legal_mentions, *reasons])


def _days(pdf: _Pdf, document: InvoiceDocument, words: Labels) -> None:
    worked = [
        (date(day.date), f"{decimal(day.hours)}{NBSP}{words.hours_short}")
        for line in document.lines
        for day in line.days
    ]
    # Rows read left to right, so each page holds consecutive days, even over page breaks.
    rows: list[list[str]] = []
    for start in range(0, len(worked), _DAY_COLUMNS):
        chunk = worked[start : start + _DAY_COLUMNS]
        chunk += [("", "")] * (_DAY_COLUMNS - len(chunk))
        rows.append([cell for pair in chunk for cell in pair])
    pdf.heading(words.detail_of_days)
    head = [words.date, words.hours_short] * _DAY_COLUMNS
    pdf.table_of(head, rows, (22, 10) * _DAY_COLUMNS, align=("LEFT", "RIGHT") * _DAY_COLUMNS)


def render_invoice_pdf(document: InvoiceDocument, *, language: Language = "fr") -> bytes:
    """The invoice or the credit note (`document.kind`) as an A4 PDF."""
    words = labels(language)
    title = document_title(document, words)
    pdf = _start(title, document, words, language)
    _header(pdf, title, meta_rows(document, words), document, words)
    if document.kind == "credit_note":
        pdf.write_lines(credit_note_lines(document, words), size=10)
    pdf.heading(words.prestation)
    head = (words.description, words.quantity, words.rate, words.amount_excl_vat)
    right = ("LEFT", "RIGHT", "RIGHT", "RIGHT")
    pdf.table_of(head, line_rows(document, words, language), (88, 36, 22, 34), align=right)
    pdf.heading(words.vat_table)
    vat_head = (words.category, words.rate, words.taxable, words.vat_amount)
    pdf.table_of(vat_head, vat_rows(document, words, language), (72, 22, 43, 43), align=right)
    _amounts(pdf, total_rows(document, words, language))
    _mentions(pdf, document, words)
    pdf.heading(words.payment)
    if document.kind == "credit_note":
        pdf.write_lines([words.credit_note_settlement], size=10)
    elif document.outstanding_cents <= 0:
        pdf.write_lines([words.settled], size=10)
    else:
        details = payment_rows(document, words, language, document.due_date)
        pdf.table_of(None, details, (60, 120), align=("LEFT", "LEFT"), strong=[True] * 2)
    _days(pdf, document, words)
    return bytes(pdf.output())


def render_reminder_pdf(reminder: ReminderDocument, *, language: Language = "fr") -> bytes:
    """A reminder (or the formal notice) for one overdue invoice, as an A4 PDF."""
    words = labels(language)
    invoice = reminder.invoice
    title = reminder_title(reminder, words)
    pdf = _start(f"{title} {invoice.number}", invoice, words, language)
    # The reminder's own date, not the invoice's, stamps the file.
    pdf.set_creation_date(dt.datetime.combine(reminder.sent_on, dt.time(), tzinfo=dt.UTC))
    facts = [(words.sent_on, date(reminder.sent_on)), (words.invoice, invoice.number)]
    _header(pdf, title, facts, invoice, words)
    for text in reminder_paragraphs(reminder, words, language):
        if is_free_first_reminder(reminder) and text == words.first_reminder_free:
            pdf.framed([text])
        else:
            pdf.write_lines([text], size=10)
            pdf.ln(1.5)
    _amounts(pdf, reminder_rows(reminder, words, language))
    principal = eur(principal_outstanding_cents(invoice), language)
    pdf.write_lines([f"{words.principal_outstanding}{words.colon} {principal}"], size=9)
    _mentions(pdf, invoice, words)
    pdf.heading(words.payment)
    details = payment_rows(invoice, words, language, reminder.pay_by)
    pdf.table_of(None, details, (60, 120), align=("LEFT", "LEFT"), strong=[True] * 2)
    return bytes(pdf.output())
