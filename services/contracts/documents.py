"""Printable HTML renderings of a prestation's quote and employment contract.

Pure functions of the folded states (`Prestation`, `Member`, `Client`) and the cooperative's
identity: no I/O. Everything that came from a person is escaped. A PDF, when wanted, is a print
of this HTML (the CSS has an @media print section).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from services.contracts.domain import Client, Member, Prestation
from services.contracts.identifiers import format_niss
from shared.events.contracts import WorkDay
from shared.money import format_eur
from shared.parameters import Cooperative

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 11pt; color: #222;
       max-width: 48em; margin: 2em auto; line-height: 1.4; }
h1 { font-size: 18pt; margin-bottom: 0.2em; }
h2 { font-size: 12pt; margin-top: 1.6em; border-bottom: 1px solid #999; }
.parties { display: flex; gap: 2em; }
.parties > section { flex: 1; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left; }
td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #222; }
.notice { background: #f4f4f4; padding: 0.6em 0.8em; }
.signatures { display: flex; gap: 4em; margin-top: 3em; }
.signatures > div { flex: 1; border-top: 1px solid #222; padding-top: 0.3em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  .notice { border: 1px solid #999; background: none; }
  h2, table, .signatures { page-break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _eur(cents: int) -> str:
    return f"€\u00a0{format_eur(cents)}"


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _lines(*lines: str | None) -> str:
    """Escaped lines joined by <br>, skipping the missing ones."""
    return "<br>".join(_e(line) for line in lines if line)


def _address(address: str | None) -> str | None:
    return ", ".join(part.strip() for part in address.splitlines()) if address else None


def _rows(cells: Iterable[tuple[str, str]], css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    return "".join(
        f'<tr{attr}><td>{_e(label)}</td><td class="amount">{_e(value)}</td></tr>'
        for label, value in cells
    )


def _days_table(days: Iterable[WorkDay], hours_label: str) -> str:
    rows = "".join(
        f'<tr><td>{_e(_day(day.date))}</td><td class="amount">{_e(day.hours)} h</td></tr>'
        for day in days
    )
    return (
        f'<table><thead><tr><th>Day</th><th class="amount">{_e(hours_label)}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _cooperative_block(cooperative: Cooperative, *extra: str) -> str:
    return _lines(
        cooperative.name,
        cooperative.address,
        f"Enterprise number {cooperative.enterprise_number}",
        *extra,
        cooperative.email,
    )


def _vat_mention(prestation: Prestation, client: Client) -> str | None:
    if prestation.vat_rate != "0":
        return None
    if client.country != "BE" and client.vat_number:
        return "Reverse charge: VAT due by the customer (art. 196, Council Directive 2006/112/EC)."
    return "VAT rate 0 %."


def render_quote(
    prestation: Prestation,
    client: Client,
    cooperative: Cooperative,
    *,
    acceptance_url: str | None = None,
) -> str:
    """The quote from the cooperative to the client, as printable HTML.

    `acceptance_url` (holding the client's token) can only be given when the quote is first
    sent: the token itself is never stored.
    """
    quote = prestation.quote
    issued_on = quote.issued_on if quote else prestation.encoded_on
    payment_term = quote.payment_term_days if quote else 0
    vat_mention = _vat_mention(prestation, client)
    amounts = _rows(
        [
            ("Amount excluding VAT", _eur(prestation.amount_excl_vat_cents)),
            (f"VAT {prestation.vat_rate} %", _eur(prestation.vat_cents)),
        ]
    ) + _rows([("Total including VAT", _eur(prestation.total_cents))], css="total")
    if acceptance_url:
        how_to_accept = f'<a href="{_e(acceptance_url)}">{_e(acceptance_url)}</a>'
    else:
        how_to_accept = "the acceptance link sent to you with this quote"
    body = f"""
<header>
<p>{_cooperative_block(cooperative, f"VAT {cooperative.vat_number}")}</p>
<h1>Quote {_e(prestation.quote_id)}</h1>
<p>Issued on {_e(issued_on.isoformat())} · valid until
<strong>{_e(prestation.quote_valid_until.isoformat())}</strong></p>
</header>
<h2>Client</h2>
<p>{
        _lines(
            client.name,
            _address(client.address),
            client.vat_number and f"VAT {client.vat_number}",
            client.email,
        )
    }</p>
<h2>Prestation</h2>
<p>{_e(prestation.description)}</p>
{_days_table(prestation.days, "Hours")}
<h2>Price</h2>
<table><tbody>{amounts}</tbody></table>
{f"<p>{_e(vat_mention)}</p>" if vat_mention else ""}
<h2>Payment</h2>
<p>The invoice follows your acceptance. It is payable within {payment_term} days of its date,
to {_e(cooperative.iban)} (BIC {_e(cooperative.bic)}), with the structured reference printed on
it.</p>
<h2>Acceptance</h2>
<p class="notice">To accept this quote, open {how_to_accept} no later than
{_e(prestation.quote_valid_until.isoformat())}, the first day of the prestation, before the
work begins. Without acceptance by then, the prestation is cancelled.</p>
"""
    return _page(f"Quote {prestation.quote_id}", body)


def render_employment_contract(
    prestation: Prestation, member: Member, cooperative: Cooperative
) -> str:
    """The employment contract between the cooperative and the member, as printable HTML."""
    contract = prestation.contract
    if contract is None:
        raise ValueError(f"prestation {prestation.prestation_id} has no employment contract")
    estimate = contract.salary_estimate
    if contract.less_than_a_day:
        duration = (
            f'<p class="notice">Contract of less than a day. The gross salary per day '
            f"({_e(_eur(contract.gross_per_day_cents))}) is under the daily minimum wage "
            f"({_e(_eur(contract.daily_minimum_cents))}): each day counts gross per day ÷ "
            f"hourly minimum wage (€\u00a0{_e(contract.hourly_minimum)}) = "
            f"{_e(contract.days[0].hours)} hours.</p>"
        )
    else:
        duration = ""
    remuneration = _rows(
        [
            ("Gross salary", _eur(estimate.gross_cents)),
            ("Gross salary per day", _eur(contract.gross_per_day_cents)),
            ("Employee social security (estimate)", _eur(estimate.employee_contributions_cents)),
            (
                f"Withholding tax at {prestation.withholding_rate} % (estimate)",
                _eur(estimate.withholding_cents),
            ),
            ("Net salary (estimate)", _eur(estimate.net_cents)),
            ("Expenses reimbursed with the salary", _eur(estimate.expenses_cents)),
        ]
    )
    body = f"""
<h1>Employment contract {_e(contract.contract_id)}</h1>
<p>Drawn up on {_e(contract.drawn_up_on.isoformat())}, for a fixed term: the days below.</p>
<div class="parties">
<section><h2>Employer</h2>
<p>{
        _cooperative_block(
            cooperative,
            f"ONSS employer number {cooperative.onss_employer_id}",
            f"Joint committee {cooperative.joint_commission_number}",
        )
    }</p></section>
<section><h2>Worker</h2>
<p>{
        _lines(
            member.full_name,
            _address(member.address),
            f"NISS {format_niss(contract.niss)}",
            f"IBAN {member.iban}",
            member.email,
        )
    }</p></section>
</div>
<h2>Work</h2>
<p>{_e(prestation.description)}</p>
{_days_table(contract.days, "Contract hours")}
{duration}
<h2>Remuneration</h2>
<table><tbody>{remuneration}</tbody></table>
<p>The salary is paid by bank transfer to the worker's account. Social security and
withholding tax are computed on the payslip; the figures above are an estimate.</p>
<div class="signatures"><div>For the employer</div><div>The worker</div></div>
"""
    return _page(f"Employment contract {contract.contract_id}", body)
