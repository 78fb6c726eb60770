"""The guarantee fund's read models: salaries to pay (from payroll's events) and their
payment, advances and their fate, the ledger's movements, and the payment runs.

Reads of one resource that must be exact (a salary's payment, a run) fold the streams in the
handlers; these tables serve selections (what a run pays) and the ledger's totals.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from shared.events.base import Envelope
from shared.events.guarantee_fund import (
    GuaranteeFundAdvanced,
    GuaranteeFundContributed,
    GuaranteeFundLossAbsorbed,
    GuaranteeFundReimbursed,
    PaymentRunCompleted,
    PaymentRunStarted,
    SalaryPaid,
)
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled

_TABLES = """
CREATE TABLE salaries (
    salary_id TEXT PRIMARY KEY, prestation_id TEXT, member_id TEXT, client_id TEXT,
    deadline TEXT, pay_on TEXT, net_to_pay_cents INTEGER, status TEXT NOT NULL,
    paid_on TEXT, funded_by TEXT, run_id TEXT);
CREATE INDEX salaries_due ON salaries (status, pay_on);
CREATE TABLE advances (
    salary_id TEXT PRIMARY KEY, invoice_id TEXT, client_id TEXT, member_id TEXT);
CREATE INDEX advances_by_invoice ON advances (invoice_id);
CREATE TABLE movements (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, salary_id TEXT, invoice_id TEXT,
    client_id TEXT, member_id TEXT, amount_cents INTEGER NOT NULL, on_date TEXT);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, execution_date TEXT, trigger TEXT, selected TEXT, status TEXT,
    count INTEGER, control_sum_cents INTEGER, late TEXT, seq INTEGER);
"""

# How each movement moves the balance and the outstanding advances (see domain.ledger).
_BALANCE = {"advanced": -1, "reimbursed": 1, "lost": 0, "contributed": 1}
_OUTSTANDING = {"advanced": 1, "reimbursed": -1, "lost": -1, "contributed": 0}


class FundViews:
    name = "guarantee_fund_views"
    version = 1
    handles = frozenset(
        {
            "SalaryScheduled", "SalaryRescheduled", "SalaryCancelled", "SalaryPaid",
            "GuaranteeFundAdvanced", "GuaranteeFundReimbursed", "GuaranteeFundLossAbsorbed",
            "GuaranteeFundContributed", "PaymentRunStarted", "PaymentRunCompleted",
        }
    )  # fmt: skip

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        match envelope.event:
            case SalaryScheduled() | SalaryRescheduled() as e:
                conn.execute(
                    "INSERT INTO salaries VALUES (?,?,?,?,?,?,?,'scheduled',NULL,NULL,NULL)"
                    " ON CONFLICT (salary_id) DO UPDATE SET deadline = excluded.deadline,"
                    " pay_on = excluded.pay_on, net_to_pay_cents = excluded.net_to_pay_cents"
                    " WHERE status = 'scheduled'",
                    (e.salary_id, e.prestation_id, e.member_id, e.client_id, str(e.deadline),
                     str(e.pay_on), e.net_to_pay_cents),
                )  # fmt: skip
            case SalaryCancelled() as e:
                conn.execute(
                    "UPDATE salaries SET status = 'cancelled' WHERE salary_id = ?"
                    " AND status = 'scheduled'",
                    (e.salary_id,),
                )
            case SalaryPaid() as e:
                conn.execute(
                    "UPDATE salaries SET status = 'paid', paid_on = ?, funded_by = ?, run_id = ?"
                    " WHERE salary_id = ?",
                    (str(e.paid_on), e.funded_by, e.run_id, e.salary_id),
                )
            case GuaranteeFundAdvanced() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO advances VALUES (?,?,?,?)",
                    (e.salary_id, e.invoice_id, e.client_id, e.member_id),
                )
                self._move(conn, envelope, "advanced", e.amount_cents, e.advanced_on, e.invoice_id)
            case GuaranteeFundReimbursed() as e:
                self._move(conn, envelope, "reimbursed", e.amount_cents, e.reimbursed_on)
            case GuaranteeFundLossAbsorbed() as e:
                self._move(conn, envelope, "lost", e.amount_cents, e.absorbed_on)
            case GuaranteeFundContributed() as e:
                self._move(conn, envelope, "contributed", e.amount_cents, e.contributed_on)
            case PaymentRunStarted() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,'started',NULL,NULL,NULL,?)",
                    (e.run_id, str(e.execution_date), e.trigger, json.dumps(e.salary_ids),
                     envelope.position),
                )  # fmt: skip
            case PaymentRunCompleted() as e:
                conn.execute(
                    "UPDATE runs SET status = 'completed', count = ?, control_sum_cents = ?,"
                    " late = ? WHERE run_id = ?",
                    (e.count, e.control_sum_cents, json.dumps(e.late_salary_ids), e.run_id),
                )

    @staticmethod
    def _move(
        conn: sqlite3.Connection, envelope: Envelope, kind: str, cents: int, on: date,
        invoice_id: str | None = None,
    ) -> None:  # fmt: skip
        event = envelope.event
        conn.execute(
            "INSERT OR IGNORE INTO movements VALUES (?,?,?,?,?,?,?,?)",
            (envelope.position, kind, getattr(event, "salary_id", None),
             invoice_id or getattr(event, "invoice_id", None), getattr(event, "client_id", None),
             getattr(event, "member_id", None), cents, str(on)),
        )  # fmt: skip


# --- queries -----------------------------------------------------------------------------------


def due_salaries(conn: sqlite3.Connection, execution_date: date) -> list[str]:
    """The salaries still to pay whose pay date is not after `execution_date`, oldest first."""
    rows = conn.execute(
        "SELECT salary_id FROM salaries WHERE status = 'scheduled' AND pay_on <= ?"
        " ORDER BY pay_on, salary_id",
        (str(execution_date),),
    )
    return [row[0] for row in rows]


def upcoming_salaries(conn: sqlite3.Connection, until: date, limit: int) -> list[dict[str, Any]]:
    """Scheduled, unpaid salaries whose pay date is not after `until`, soonest first."""
    columns = ("salary_id", "prestation_id", "member_id", "client_id", "pay_on", "deadline",
               "net_to_pay_cents")  # fmt: skip
    rows = conn.execute(
        f"SELECT {', '.join(columns)} FROM salaries WHERE status = 'scheduled' AND pay_on <= ?"
        " ORDER BY pay_on, salary_id LIMIT ?",
        (str(until), limit),
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def overdue_salaries(conn: sqlite3.Connection, today: date) -> list[dict[str, Any]]:
    """Scheduled, unpaid, and the pay date is past: the promise is at risk."""
    rows = conn.execute(
        "SELECT salary_id, member_id, pay_on, deadline FROM salaries"
        " WHERE status = 'scheduled' AND pay_on < ? ORDER BY pay_on",
        (str(today),),
    )
    return [
        dict(zip(("salary_id", "member_id", "pay_on", "deadline"), r, strict=True)) for r in rows
    ]


def advanced_salaries_of(conn: sqlite3.Connection, invoice_id: str) -> list[str]:
    rows = conn.execute("SELECT salary_id FROM advances WHERE invoice_id = ?", (invoice_id,))
    return [row[0] for row in rows]


def runs(conn: sqlite3.Connection, status: str | None = None) -> list[dict[str, Any]]:
    query = "SELECT run_id, execution_date, status, trigger FROM runs"
    rows = conn.execute(query + (" WHERE status = ?" if status else "") + " ORDER BY seq",
                        (status,) if status else ())  # fmt: skip
    return [dict(zip(("run_id", "execution_date", "status", "trigger"), r, strict=True))
            for r in rows]  # fmt: skip


def ledger(conn: sqlite3.Connection) -> dict[str, Any]:
    """The fund's figures, to the cent, from its movements."""
    totals = dict.fromkeys(_BALANCE, 0)
    for kind, cents in conn.execute("SELECT kind, SUM(amount_cents) FROM movements GROUP BY kind"):
        totals[kind] = cents
    return {
        "balance_cents": sum(_BALANCE[k] * v for k, v in totals.items()),
        "outstanding_advances_cents": sum(_OUTSTANDING[k] * v for k, v in totals.items()),
        "advanced_total_cents": totals["advanced"],
        "reimbursed_total_cents": totals["reimbursed"],
        "losses_total_cents": totals["lost"],
        "contributed_total_cents": totals["contributed"],
    }


def exposure(conn: sqlite3.Connection, column: str) -> dict[str, int]:
    """Outstanding advances per client or per member (`column`), only those not zero."""
    if column not in {"client_id", "member_id"}:
        raise ValueError(column)
    signed = " ".join(f"WHEN '{k}' THEN {s}" for k, s in _OUTSTANDING.items())
    rows = conn.execute(
        f"SELECT {column}, SUM(amount_cents * CASE kind {signed} END) AS cents FROM movements"
        f" WHERE kind != 'contributed' GROUP BY {column} HAVING cents != 0 ORDER BY {column}"
    )
    return {subject: cents for subject, cents in rows}


def history(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    columns = ("kind", "salary_id", "invoice_id", "client_id", "member_id", "amount_cents",
               "on_date")  # fmt: skip
    rows = conn.execute(
        f"SELECT {', '.join(columns)} FROM movements ORDER BY seq DESC LIMIT ?", (limit,)
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def late_paid_count(conn: sqlite3.Connection) -> int:
    """Salaries paid after their pay date, over every completed run."""
    (count,) = conn.execute(
        "SELECT COALESCE(SUM(json_array_length(late)), 0) FROM runs WHERE status = 'completed'"
    ).fetchone()
    return int(count)
