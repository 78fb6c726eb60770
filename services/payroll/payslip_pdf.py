"""The pay statement as an A4 PDF (fpdf2), from the same sections as the HTML page.

The standard Helvetica with the Windows-1252 encoding fpdf2 declares for it, so é, è, ç and €
print on any viewer without shipping a font; letters outside cp1252 are folded to their base
letter. The creation date is the payment's, so the same salary always gives the same bytes.
Imported on first use only: fpdf2 and its font tools are slow to import.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.payroll.payslip import Payslip, employer_lines, footer, sections
from shared.pdf_text import PDF_ENCODING, pdf_text

_FONT = "helvetica"
_BOLD = FontFace(emphasis="BOLD")


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = PDF_ENCODING
        self._footer_text = pdf_text(footer_text)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=22)

    def footer(self) -> None:
        self.set_y(-17)
        self.set_font(_FONT, size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 3.5, self._footer_text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"Page {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)


def render_payslip_pdf(payslip: Payslip) -> bytes:
    pdf = _Pdf(footer(payslip))
    pdf.set_creation_date(dt.datetime.combine(payslip.paid.paid_on, dt.time(), tzinfo=dt.UTC))
    pdf.set_title(pdf_text(payslip.title))
    pdf.set_author(pdf_text(payslip.employer.name))
    pdf.set_creator("services.payroll")
    pdf.set_lang("fr")
    pdf.add_page()
    for index, line in enumerate(employer_lines(payslip)):
        pdf.set_font(_FONT, style="B" if index == 0 else "", size=9.5 if index == 0 else 8.5)
        pdf.cell(0, 4.2, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(_FONT, style="B", size=15)
    pdf.multi_cell(0, 7, pdf_text(payslip.title), new_x="LMARGIN", new_y="NEXT")
    for section in sections(payslip):
        pdf.ln(2)
        pdf.set_font(_FONT, style="B", size=10.5)
        pdf.cell(0, 6, pdf_text(section.title), border="B", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font(_FONT, size=9)
        with pdf.table(
            col_widths=(110, 70),
            text_align=("LEFT", "RIGHT"),
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=False,
            line_height=4.6,
            padding=(0.8, 1.5),
        ) as table:
            for row in section.rows:
                cells = [pdf_text(row.label), pdf_text(row.value)]
                table.row(cells, style=_BOLD if row.strong else None)
    return bytes(pdf.output())
