"""The payroll service's read models: salaries per member and status, salaries due soon with
their expected funding, and what the employer owes the state (forms 274, DmfA, 281.10).

Paid comes from the fund's `SalaryPaid`; the expected funding of an unpaid salary from
billing's `InvoiceIssued` / `InvoicePaid` (an invoice paid by the pay date funds the salary,
otherwise the guarantee fund advances it). The state's figures count paid salaries only, so
they reconcile with what left the bank: withholding by month of payment (274), contributions
by quarter of the work (DmfA), totals by year of payment (281.10).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from shared.events.base import Envelope
from shared.events.billing import InvoiceIssued, InvoicePaid
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled
from shared.money import apply_rate
from shared.parameters import parameters_on

FIGURES = (
    "amount_excl_vat_cents", "fee_cents", "expenses_cents", "budget_cents", "gross_cents",
    "employer_contributions_cents", "holiday_contributions_cents",
    "employee_contributions_cents", "taxable_cents", "withholding_cents", "net_cents",
    "net_to_pay_cents",
)  # fmt: skip
_TERMS = ("first_day", "last_day", "deadline", "pay_on", *FIGURES, "withholding_rate")
_TABLES = f"""
CREATE TABLE salaries (
    seq INTEGER PRIMARY KEY, salary_id TEXT UNIQUE NOT NULL, prestation_id TEXT NOT NULL,
    member_id TEXT NOT NULL, client_id TEXT NOT NULL, {", ".join(f"{t}" for t in _TERMS)},
    days INTEGER, contribution_base_cents INTEGER, differs_from_estimate INTEGER,
    status TEXT NOT NULL DEFAULT 'scheduled', paid_on TEXT, funded_by TEXT, run_id TEXT);
CREATE INDEX salaries_by_member ON salaries (member_id, seq);
CREATE INDEX salaries_due ON salaries (status, pay_on);
CREATE TABLE invoices (prestation_id TEXT PRIMARY KEY, invoice_id TEXT, paid INTEGER);
"""
_SELECTED = (
    "salary_id, prestation_id, member_id, client_id, "
    + ", ".join(_TERMS)
    + ", days, differs_from_estimate, status, paid_on, funded_by, run_id"
)
_DMFA_SUMS = (
    "gross_cents", "contribution_base_cents", "employer_contributions_cents",
    "holiday_contributions_cents", "employee_contributions_cents",
)  # fmt: skip
_281_SUMS = (
    "gross_cents", "employee_contributions_cents", "taxable_cents", "withholding_cents",
    "net_cents", "expenses_cents",
)  # fmt: skip


def _terms(event: SalaryScheduled | SalaryRescheduled) -> tuple[Any, ...]:
    values = tuple(
        str(v) if isinstance(v, date) else v for v in map(event.__getattribute__, _TERMS)
    )
    basis = parameters_on(event.first_day).contribution_basis
    return (*values, len(event.days), apply_rate(event.gross_cents, basis),
            int(event.differs_from_estimate))  # fmt: skip


class PayrollViews:
    name = "payroll_views"
    version = 1
    handles = frozenset(
        {"SalaryScheduled", "SalaryRescheduled", "SalaryCancelled", "SalaryPaid",
         "InvoiceIssued", "InvoicePaid"}
    )  # fmt: skip

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        match envelope.event:
            case SalaryScheduled() as e:
                columns = (*_TERMS, "days", "contribution_base_cents", "differs_from_estimate")
                marks = ", ".join("?" for _ in range(5 + len(columns)))
                conn.execute(
                    f"INSERT OR IGNORE INTO salaries (seq, salary_id, prestation_id, member_id,"
                    f" client_id, {', '.join(columns)}) VALUES ({marks})",
                    (envelope.position, e.salary_id, e.prestation_id, e.member_id, e.client_id,
                     *_terms(e)),
                )  # fmt: skip
            case SalaryRescheduled() as e:
                columns = (*_TERMS, "days", "contribution_base_cents", "differs_from_estimate")
                assignments = ", ".join(f"{c} = ?" for c in columns)
                conn.execute(
                    f"UPDATE salaries SET {assignments} WHERE salary_id = ?",
                    (*_terms(e), e.salary_id),
                )
            case SalaryCancelled() as e:
                conn.execute(
                    "UPDATE salaries SET status = 'cancelled' WHERE salary_id = ?", (e.salary_id,)
                )
            case SalaryPaid() as e:
                conn.execute(
                    "UPDATE salaries SET status = 'paid', paid_on = ?, funded_by = ?, run_id = ?"
                    " WHERE salary_id = ?",
                    (str(e.paid_on), e.funded_by, e.run_id, e.salary_id),
                )
            case InvoiceIssued() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO invoices VALUES (?, ?, 0)",
                    (e.prestation_id, e.invoice_id),
                )
            case InvoicePaid() as e:
                conn.execute("UPDATE invoices SET paid = 1 WHERE invoice_id = ?", (e.invoice_id,))


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    row["differs_from_estimate"] = bool(row["differs_from_estimate"])
    return row


def salary_page(
    conn: sqlite3.Connection,
    member_id: str | None,
    status: str | None,
    after: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of salaries in scheduling order, and the cursor of its last row when more follow."""
    clauses, values = ["seq > ?"], [after or 0]
    if member_id is not None:
        clauses.append("member_id = ?")
        values.append(member_id)  # type: ignore[arg-type]
    if status is not None:
        clauses.append("status = ?")
        values.append(status)  # type: ignore[arg-type]
    cursor = conn.execute(
        f"SELECT seq, {_SELECTED} FROM salaries WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?",
        (*values, limit + 1),
    )
    rows = _rows(cursor)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].pop("seq") if more else None
    for row in rows:
        row.pop("seq", None)
    return [_listed(row) for row in rows], last


def due_by(
    conn: sqlite3.Connection, until: date, member_id: str | None = None
) -> list[dict[str, Any]]:
    """Scheduled salaries whose pay day is not after `until`, soonest first, each with who
    will fund it if nothing changes: the client's payment when its invoice is paid."""
    member_clause = "" if member_id is None else " AND s.member_id = ?"
    cursor = conn.execute(
        "SELECT s.salary_id, s.prestation_id, s.member_id, s.client_id, s.pay_on, s.deadline,"
        " s.net_to_pay_cents, i.invoice_id, CASE WHEN i.paid = 1 THEN 'client_payment'"
        " ELSE 'guarantee_fund' END AS expected_funding FROM salaries s"
        " LEFT JOIN invoices i ON i.prestation_id = s.prestation_id"
        f" WHERE s.status = 'scheduled' AND s.pay_on <= ?{member_clause}"
        " ORDER BY s.pay_on, s.seq",
        (str(until),) if member_id is None else (str(until), member_id),
    )
    return _rows(cursor)


def _sums(columns: tuple[str, ...]) -> str:
    return ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in columns)


def withholding_of_month(conn: sqlite3.Connection, month: str) -> dict[str, Any]:
    """Form 274: the withholding tax on the salaries paid in `month` ("2026-05")."""
    sums = _sums(("taxable_cents", "withholding_cents"))
    cursor = conn.execute(
        f"SELECT COUNT(*) AS salaries, {sums}"
        " FROM salaries WHERE status = 'paid' AND substr(paid_on, 1, 7) = ?",
        (month,),
    )
    by_rate = conn.execute(
        f"SELECT withholding_rate, COUNT(*) AS salaries, {sums}"
        " FROM salaries WHERE status = 'paid' AND substr(paid_on, 1, 7) = ?"
        " GROUP BY withholding_rate ORDER BY withholding_rate",
        (month,),
    )
    return {"month": month, **_rows(cursor)[0], "by_rate": _rows(by_rate)}


def dmfa_of_quarter(conn: sqlite3.Connection, first: date, last: date) -> list[dict[str, Any]]:
    """The DmfA's data per member: paid salaries for work whose last day falls in the quarter."""
    cursor = conn.execute(
        f"SELECT member_id, COUNT(*) AS salaries, SUM(days) AS days, {_sums(_DMFA_SUMS)}"
        " FROM salaries WHERE status = 'paid' AND last_day BETWEEN ? AND ?"
        " GROUP BY member_id ORDER BY member_id",
        (str(first), str(last)),
    )
    return _rows(cursor)


def form_281_10(conn: sqlite3.Connection, year: int, member_id: str) -> dict[str, Any]:
    """The totals of a member's form 281.10: salaries paid in `year`."""
    cursor = conn.execute(
        f"SELECT COUNT(*) AS salaries, {_sums(_281_SUMS)} FROM salaries"
        " WHERE status = 'paid' AND substr(paid_on, 1, 4) = ? AND member_id = ?",
        (f"{year:04d}", member_id),
    )
    return _rows(cursor)[0]
