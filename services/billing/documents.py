"""Printable HTML renderings of an invoice, a credit note and a reminder.

Pure functions of the document model (`document_model.py`): no I/O, no clock. Every value is
escaped, since names, addresses and descriptions come from people. The page is self-contained
(inline CSS, A4 print rules) and its wording comes from `documents_text`, shared with the PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from services.billing.document_model import InvoiceDocument, ReminderDocument
from services.billing.documents_labels import Labels, Language, labels
from services.billing.documents_text import (
    EN_DASH,
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

_CSS = """
@page { size: A4; margin: 16mm 15mm; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; color: #222;
       max-width: 48em; margin: 2em auto; line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 0.3em; }
h2 { font-size: 11.5pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
.parties { display: flex; gap: 2em; }
.parties > section { flex: 1; }
.buyer { border: 1px solid #bbb; padding: 0.4em 0.8em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #eee; }
.amount { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.totals { width: 60%; margin-left: auto; }
tr.strong td { font-weight: bold; border-top: 2px solid #222; }
.detail { display: block; font-size: 9pt; color: #555; }
.mentions { border: 2px solid #222; padding: 0.5em 0.8em; font-weight: bold; margin: 1em 0; }
.payment { background: #f4f4f4; padding: 0.5em 0.8em; }
.days table { width: auto; min-width: 16em; }
footer { margin-top: 2em; font-size: 8.5pt; color: #555; border-top: 1px solid #999; }
@media print {
  body { margin: 0; max-width: none; }
  .payment { border: 1px solid #999; background: none; }
  th { background: none; }
  table, .mentions, .payment { page-break-inside: avoid; }
  .days table { page-break-inside: auto; }
}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _lines(lines: Iterable[str]) -> str:
    return "<br>".join(_e(line) for line in lines if line)


def _page(title: str, body: str, language: Language) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], amounts_from: int) -> str:
    """A table whose columns from `amounts_from` on are right-aligned figures."""

    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(
            f"<{tag}{' class=amount' if index >= amounts_from else ''}>{_e(value)}</{tag}>"
            for index, value in enumerate(values)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table><thead><tr>{cells(head, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(rows: Iterable[tuple[str, str]], css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    body = "".join(
        f'<tr><th scope="row">{_e(label)}</th><td>{_e(value)}</td></tr>' for label, value in rows
    )
    return f"<table{attr}><tbody>{body}</tbody></table>"


def _amounts(rows: Iterable[AmountRow]) -> str:
    body = "".join(
        f"<tr{' class=strong' if row.strong else ''}><td>{_e(row.label)}"
        f"{f'<span class=detail>{_e(row.detail)}</span>' if row.detail else ''}</td>"
        f'<td class="amount">{_e(row.amount)}</td></tr>'
        for row in rows
    )
    return f'<table class="totals"><tbody>{body}</tbody></table>'


def _mentions(document: InvoiceDocument, words: Labels) -> str:
    """The legal mentions (reverse charge…) and the exemption reasons, in a framed box."""
    texts = [*document.legal_mentions]
    texts += [f"{words.exemption}{words.colon} {reason}" for reason in exemption_reasons(document)]
    if not texts:
        return ""
    return f'<div class="mentions">{"".join(f"<p>{_e(text)}</p>" for text in texts)}</div>'


def _parties(document: InvoiceDocument, words: Labels) -> str:
    return (
        f'<div class="parties"><section><h2>{_e(words.seller)}</h2>'
        f"<p>{_lines(seller_lines(document.seller, words))}</p></section>"
        f'<section><h2>{_e(words.buyer)}</h2><p class="buyer">'
        f"{_lines(buyer_lines(document.buyer, words))}</p></section></div>"
    )


def _days(document: InvoiceDocument, words: Labels) -> str:
    rows = [
        (date(day.date), f"{decimal(day.hours)}\u00a0{words.hours_short}")
        for line in document.lines
        for day in line.days
    ]
    table = _table((words.date, words.quantity), rows, amounts_from=1)
    return f'<h2>{_e(words.detail_of_days)}</h2><div class="days">{table}</div>'


def _footer(document: InvoiceDocument, words: Labels) -> str:
    return f"<footer><p>{_e(' · '.join(seller_lines(document.seller, words)))}</p></footer>"


def _invoice_body(document: InvoiceDocument, words: Labels, language: Language) -> str:
    credit_note = document.kind == "credit_note"
    if credit_note:
        payment = f'<p class="payment">{_e(words.credit_note_settlement)}</p>'
    elif document.outstanding_cents <= 0:
        payment = f'<p class="payment">{_e(words.settled)}</p>'
    else:
        details = payment_rows(document, words, language, document.due_date)
        payment = f'<div class="payment">{_pairs(details)}</div>'
    reference = "".join(f"<p>{_e(line)}</p>" for line in credit_note_lines(document, words))
    head = (words.description, words.quantity, words.rate, words.amount_excl_vat)
    vat_head = (words.category, words.rate, words.taxable, words.vat_amount)
    return f"""
<header>
<h1>{_e(document_title(document, words))}</h1>
{_pairs(meta_rows(document, words), "meta")}
{reference}
</header>
{_parties(document, words)}
<h2>{_e(words.prestation)}</h2>
{_table(head, line_rows(document, words, language), amounts_from=1)}
<h2>{_e(words.vat_table)}</h2>
{_table(vat_head, vat_rows(document, words, language), amounts_from=1)}
{_amounts(total_rows(document, words, language))}
{_mentions(document, words)}
<h2>{_e(words.payment)}</h2>
{payment}
{_days(document, words)}
{_footer(document, words)}
"""


def render_invoice_html(document: InvoiceDocument, *, language: Language = "fr") -> str:
    """The invoice or the credit note (`document.kind`) as a printable HTML5 page."""
    words = labels(language)
    body = _invoice_body(document, words, language)
    return _page(document_title(document, words), body, language)


def render_reminder_html(reminder: ReminderDocument, *, language: Language = "fr") -> str:
    """A reminder (or the formal notice) for one overdue invoice, as a printable HTML5 page."""
    words = labels(language)
    invoice = reminder.invoice
    title = reminder_title(reminder, words)
    free = is_free_first_reminder(reminder)
    paragraphs = "".join(
        f"<p{' class=mentions' if free and text == words.first_reminder_free else ''}>"
        f"{_e(text)}</p>"
        for text in reminder_paragraphs(reminder, words, language)
    )
    principal = eur(principal_outstanding_cents(invoice), language)
    details = payment_rows(invoice, words, language, reminder.pay_by)
    body = f"""
<header>
<h1>{_e(title)}</h1>
{_pairs([(words.sent_on, date(reminder.sent_on)), (words.invoice, invoice.number)], "meta")}
</header>
{_parties(invoice, words)}
{paragraphs}
{_amounts(reminder_rows(reminder, words, language))}
<p class="amount">{_e(words.principal_outstanding)}{_e(words.colon)} {_e(principal)}</p>
{_mentions(invoice, words)}
<h2>{_e(words.payment)}</h2>
<div class="payment">{_pairs(details)}</div>
{_footer(invoice, words)}
"""
    return _page(f"{title} {EN_DASH} {invoice.number}", body, language)
