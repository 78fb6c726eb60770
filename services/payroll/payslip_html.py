"""The pay statement as a printable HTML page: self-contained (inline CSS), every value escaped
since names come from people. Same sections as the PDF (`payslip.sections`)."""

from __future__ import annotations

from html import escape

from services.payroll.payslip import Payslip, employer_lines, footer, sections

_CSS = """
@page { size: A4; margin: 16mm 15mm; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; color: #222;
       max-width: 48em; margin: 2em auto; line-height: 1.4; }
h1 { font-size: 17pt; margin: 0.6em 0 0.3em; }
h2 { font-size: 11.5pt; margin-top: 1.3em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; }
td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; }
td.amount { text-align: right; white-space: nowrap; }
tr.strong td { font-weight: bold; }
footer { margin-top: 2em; font-size: 8pt; color: #555; }
"""


def render_payslip_html(payslip: Payslip) -> str:
    parts = [
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">',
        f"<title>{escape(payslip.title)}</title><style>{_CSS}</style></head><body>",
        '<header class="employer">',
        "<br>".join(escape(line) for line in employer_lines(payslip)),
        "</header>",
        f"<h1>{escape(payslip.title)}</h1>",
    ]
    for section in sections(payslip):
        parts.append(f"<h2>{escape(section.title)}</h2><table>")
        for row in section.rows:
            strong = ' class="strong"' if row.strong else ""
            parts.append(
                f'<tr{strong}><td>{escape(row.label)}</td><td class="amount">'
                f"{escape(row.value)}</td></tr>"
            )
        parts.append("</table>")
    parts.append(f"<footer>{escape(footer(payslip))}</footer></body></html>\n")
    return "".join(parts)
