"""The billing service's read models: invoices by client, status and prestation; payments
(the unmatched queue among them); credits to refund; receivables and the aged balance.

"Overdue" is never stored: a row keeps its settled state (open, paid, credited, written off)
and its due date, and the queries compare the due date with the day they are asked on.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from shared.events.base import Envelope
from shared.events.billing import (
    CreditNoteIssued,
    CreditToRefund,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentAssigned,
    PaymentMarkedForRefund,
    PaymentReceived,
    UnmatchedPaymentReceived,
)

_TABLES = """
CREATE TABLE invoices (
    seq INTEGER PRIMARY KEY, invoice_id TEXT UNIQUE NOT NULL, number TEXT, prestation_id TEXT,
    client_id TEXT, member_id TEXT, issue_date TEXT, due_date TEXT,
    amount_excl_vat_cents INTEGER, vat_cents INTEGER, total_cents INTEGER,
    paid_cents INTEGER NOT NULL DEFAULT 0, claims_cents INTEGER NOT NULL DEFAULT 0,
    credited_cents INTEGER NOT NULL DEFAULT 0, principal_paid_cents INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'open', structured_reference TEXT);
CREATE INDEX invoices_by_client ON invoices (client_id, seq);
CREATE INDEX invoices_by_member ON invoices (member_id, seq);
CREATE INDEX invoices_open ON invoices (state, due_date);
CREATE TABLE payments (
    seq INTEGER PRIMARY KEY, payment_id TEXT UNIQUE NOT NULL, invoice_id TEXT,
    amount_cents INTEGER, received_on TEXT, status TEXT, structured_reference TEXT,
    communication TEXT);
CREATE INDEX payments_by_status ON payments (status, seq);
CREATE TABLE refunds (
    seq INTEGER PRIMARY KEY, invoice_id TEXT, payment_id TEXT, client_id TEXT,
    amount_cents INTEGER, recorded_on TEXT, UNIQUE (invoice_id, payment_id));
"""

# What the outstanding amount of a row is, in SQL: total + claims - credited - paid, never < 0.
OUTSTANDING = (
    "MAX(0, total_cents - credited_cents - principal_paid_cents)"
    " + claims_cents - (paid_cents - principal_paid_cents)"
)


def _add(conn: sqlite3.Connection, invoice_id: str, **increments: int) -> None:
    assignments = ", ".join(f"{column} = {column} + ?" for column in increments)
    conn.execute(
        f"UPDATE invoices SET {assignments} WHERE invoice_id = ?",
        (*increments.values(), invoice_id),
    )


class BillingViews:
    name = "billing_views"
    version = 1
    handles = frozenset(
        {
            "InvoiceIssued",
            "PaymentReceived",
            "InvoicePaid",
            "CreditToRefund",
            "LateClaimAdded",
            "CreditNoteIssued",
            "InvoiceWrittenOff",
            "UnmatchedPaymentReceived",
            "PaymentAssigned",
            "PaymentMarkedForRefund",
        }
    )

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        seq = envelope.position
        match envelope.event:
            case InvoiceIssued() as e:
                conn.execute(
                    "INSERT INTO invoices (seq, invoice_id, number, prestation_id, client_id,"
                    " member_id, issue_date, due_date, amount_excl_vat_cents, vat_cents,"
                    " total_cents, structured_reference) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (seq, e.invoice_id, e.number, e.prestation_id, e.buyer.client_id,
                     e.member_id, str(e.issue_date), str(e.due_date), e.amount_excl_vat_cents,
                     e.vat_cents, e.total_cents, e.structured_reference),
                )  # fmt: skip
            case PaymentReceived() as e:
                applied = e.to_claims_cents + e.to_principal_cents
                principal = e.to_principal_cents
                _add(conn, e.invoice_id, paid_cents=applied, principal_paid_cents=principal)
                conn.execute(
                    "INSERT INTO payments VALUES (?, ?, ?, ?, ?, 'matched', ?, NULL)"
                    " ON CONFLICT (payment_id) DO UPDATE SET status = 'assigned',"
                    " invoice_id = excluded.invoice_id",
                    (seq, e.payment_id, e.invoice_id, e.amount_cents, str(e.received_on),
                     e.structured_reference),
                )  # fmt: skip
            case InvoicePaid() as e:
                conn.execute(
                    "UPDATE invoices SET state = 'paid' WHERE invoice_id = ? AND state = 'open'",
                    (e.invoice_id,),
                )
            case LateClaimAdded() as e:
                _add(conn, e.invoice_id, claims_cents=e.amount_cents)
            case CreditNoteIssued() as e:
                _add(conn, e.invoice_id, credited_cents=e.total_cents)
                conn.execute(
                    f"UPDATE invoices SET state = 'credited' WHERE invoice_id = ?"
                    f" AND state = 'open' AND {OUTSTANDING} = 0",
                    (e.invoice_id,),
                )
            case InvoiceWrittenOff() as e:
                conn.execute(
                    "UPDATE invoices SET state = 'written_off' WHERE invoice_id = ?",
                    (e.invoice_id,),
                )
            case CreditToRefund() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO refunds VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, e.invoice_id, e.payment_id, e.client_id, e.amount_cents,
                     str(e.recorded_on)),
                )  # fmt: skip
            case UnmatchedPaymentReceived() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO payments VALUES (?, ?, NULL, ?, ?, 'unmatched', ?, ?)",
                    (seq, e.payment_id, e.amount_cents, str(e.received_on),
                     e.structured_reference, e.communication),
                )  # fmt: skip
            case PaymentAssigned() as e:
                conn.execute(
                    "UPDATE payments SET status = 'assigned', invoice_id = ? WHERE payment_id = ?",
                    (e.invoice_id, e.payment_id),
                )
            case PaymentMarkedForRefund() as e:
                conn.execute(
                    "UPDATE payments SET status = 'to_refund' WHERE payment_id = ?",
                    (e.payment_id,),
                )


def status_clause(status: str | None, today: date) -> tuple[str, tuple[object, ...]]:
    """The `WHERE` part that keeps invoices of an API status on `today`."""
    day = today.isoformat()
    match status:
        case None:
            return "1 = 1", ()
        case "overdue":
            return "state = 'open' AND due_date < ?", (day,)
        case "issued":
            return "state = 'open' AND due_date >= ?", (day,)
        case _:
            return "state = ?", (status,)


def api_status(row: dict[str, Any], today: date) -> str:
    state = str(row["state"])
    if state != "open":
        return state
    return "overdue" if str(row["due_date"]) < today.isoformat() else "issued"


def receivables(conn: sqlite3.Connection, client_id: str | None = None) -> list[dict[str, Any]]:
    """What each client still owes on its open invoices (claims included)."""
    where, params = "state = 'open'", ()
    if client_id is not None:
        where, params = "state = 'open' AND client_id = ?", (client_id,)  # type: ignore[assignment]
    rows = conn.execute(
        f"SELECT client_id, COUNT(*) AS invoices, SUM({OUTSTANDING}) AS outstanding_cents"
        f" FROM invoices WHERE {where} GROUP BY client_id ORDER BY client_id",
        params,
    )
    return [dict(row) for row in rows]


AGE_BUCKETS = (("not_due", None, 0), ("0_30", 1, 30), ("31_60", 31, 60), ("61_90", 61, 90))


def aged_balance(conn: sqlite3.Connection, today: date) -> dict[str, int]:
    """Outstanding cents by days overdue: not yet due, 1 to 30, 31 to 60, 61 to 90, over 90."""
    balance = {"not_due": 0, "0_30": 0, "31_60": 0, "61_90": 0, "over_90": 0}
    rows = conn.execute(
        f"SELECT CAST(julianday(?) - julianday(due_date) AS INTEGER) AS late,"
        f" {OUTSTANDING} AS owed FROM invoices WHERE state = 'open'",
        (today.isoformat(),),
    )
    for late, owed in rows:
        balance[_bucket(late)] += owed
    return balance


def _bucket(days_late: int) -> str:
    for name, low, high in AGE_BUCKETS:
        if (low is None or days_late >= low) and days_late <= high:
            return name
    return "over_90"


def total_outstanding(conn: sqlite3.Connection) -> int:
    row = conn.execute(f"SELECT COALESCE(SUM({OUTSTANDING}), 0) FROM invoices WHERE state = 'open'")
    return int(row.fetchone()[0])


def invoice_page(
    conn: sqlite3.Connection,
    filters: dict[str, str | None],
    status: str | None,
    today: date,
    after: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Invoices in the order they were issued, `limit` at a time after the row `after`; the
    second value is the last row's sequence when more follow."""
    clause, params = status_clause(status, today)
    clauses, values = [clause], list(params)
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            values.append(value)
    if after is not None:
        clauses.append("seq > ?")
        values.append(after)
    rows = conn.execute(
        f"SELECT * FROM invoices WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?",
        (*values, limit + 1),
    ).fetchall()
    items = [dict(row) | {"status": api_status(dict(row), today)} for row in rows[:limit]]
    return items, (rows[limit - 1]["seq"] if len(rows) > limit else None)


def payment_rows(conn: sqlite3.Connection, status: str | None, limit: int) -> list[dict[str, Any]]:
    where, params = ("WHERE status = ?", (status,)) if status else ("", ())
    rows = conn.execute(
        f"SELECT payment_id, invoice_id, status, amount_cents, received_on FROM payments {where}"
        " ORDER BY seq LIMIT ?",
        (*params, limit),
    )
    return [dict(row) for row in rows]


def refund_rows(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT invoice_id, payment_id, client_id, amount_cents, recorded_on FROM refunds"
        " ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [dict(row) for row in rows]


def overdue_invoice_ids(conn: sqlite3.Connection, today: date) -> list[str]:
    """The open invoices whose due date has passed on `today`, oldest due first."""
    clause, params = status_clause("overdue", today)
    rows = conn.execute(
        f"SELECT invoice_id FROM invoices WHERE {clause} ORDER BY due_date, seq", params
    )
    return [str(row[0]) for row in rows]
