"""The governance read models of shares: the legal share register (as of any date), the
purchases (status, reference), the years covered, and the active members (from contracts).

The register keeps dated entries (subscription, payment, redemption) by their business date;
the register as of a day is a query over the entries dated up to that day, so later purchases
and redemptions never change what it said of an earlier day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from shared.events.base import Envelope
from shared.events.contracts import EmploymentContractCancelled, EmploymentContractDrawnUp
from shared.events.governance import (
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedeemed,
    SharesPaidUp,
)

_TABLES = """
CREATE TABLE holders (
    member_id TEXT PRIMARY KEY, kind TEXT, name TEXT, domicile TEXT, enterprise_number TEXT,
    admitted_on TEXT);
CREATE TABLE purchases (
    seq INTEGER PRIMARY KEY, purchase_id TEXT UNIQUE NOT NULL, member_id TEXT, category TEXT,
    quantity INTEGER, amount_cents INTEGER, minimum_upfront_cents INTEGER,
    paid_cents INTEGER NOT NULL DEFAULT 0, paid_up INTEGER NOT NULL DEFAULT 0,
    structured_reference TEXT, opened_on TEXT);
CREATE INDEX purchases_by_member ON purchases (member_id, seq);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY, member_id TEXT, purchase_id TEXT, kind TEXT, on_date TEXT,
    category TEXT, quantity INTEGER, amount_cents INTEGER);
CREATE INDEX entries_by_date ON entries (on_date, seq);
CREATE TABLE share_years (member_id TEXT, year INTEGER, PRIMARY KEY (member_id, year));
CREATE TABLE contracts (
    contract_id TEXT PRIMARY KEY, member_id TEXT, year INTEGER, tool TEXT);
CREATE INDEX contracts_by_year ON contracts (year, member_id);
"""


class ShareViews:
    name = "governance_shares"
    version = 1
    handles = frozenset(
        {
            "ShareholderAdmitted", "SharePurchaseOpened", "ShareBought", "SharePaymentReceived",
            "SharesPaidUp", "ShareRedeemed", "EmploymentContractDrawnUp",
            "EmploymentContractCancelled",
        }
    )  # fmt: skip

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        seq = envelope.position
        match envelope.event:
            case ShareholderAdmitted() as e:
                conn.execute(
                    "INSERT OR REPLACE INTO holders VALUES (?, ?, ?, ?, ?, ?)",
                    (e.member_id, e.kind, e.name, e.domicile, e.enterprise_number,
                     str(e.admitted_on)),
                )  # fmt: skip
            case SharePurchaseOpened() as e:
                conn.execute(
                    "INSERT INTO purchases (seq, purchase_id, member_id, category, quantity,"
                    " amount_cents, minimum_upfront_cents, structured_reference, opened_on)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, e.purchase_id, e.member_id, e.category, e.quantity, e.amount_cents,
                     e.minimum_upfront_cents, e.structured_reference, str(e.opened_on)),
                )  # fmt: skip
                self._entry(conn, seq, e.member_id, e.purchase_id, "subscription",
                            e.opened_on, e.category, e.quantity, e.amount_cents)  # fmt: skip
            case ShareBought() as e if e.category == "A":
                conn.execute(
                    "INSERT OR IGNORE INTO share_years VALUES (?, ?)", (e.member_id, e.year)
                )
            case SharePaymentReceived() as e:
                conn.execute(
                    "UPDATE purchases SET paid_cents = paid_cents + ? WHERE purchase_id = ?",
                    (e.amount_cents, e.purchase_id),
                )
                self._entry(conn, seq, e.member_id, e.purchase_id, "payment", e.received_on,
                            None, None, e.amount_cents)  # fmt: skip
            case SharesPaidUp() as e:
                conn.execute(
                    "UPDATE purchases SET paid_up = 1 WHERE purchase_id = ?", (e.purchase_id,)
                )
            case ShareRedeemed() as e:
                self._entry(conn, seq, e.member_id, None, "redemption", e.redeemed_on, None,
                            e.quantity, e.amount_cents)  # fmt: skip
            case EmploymentContractDrawnUp() as e if e.days:
                conn.execute(
                    "INSERT OR IGNORE INTO contracts VALUES (?, ?, ?, 'contract')",
                    (e.contract_id, e.member_id, e.days[0].date.year),
                )
            case EmploymentContractCancelled() as e:
                conn.execute("DELETE FROM contracts WHERE contract_id = ?", (e.contract_id,))

    @staticmethod
    def _entry(
        conn: sqlite3.Connection, seq: int, member_id: str, purchase_id: str | None, kind: str,
        on: dt.date, category: str | None, quantity: int | None, amount_cents: int,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, member_id, purchase_id, kind, str(on), category, quantity, amount_cents),
        )


def purchase_row(conn: sqlite3.Connection, purchase_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT purchase_id, member_id, category, quantity, amount_cents,"
        " minimum_upfront_cents, paid_cents, paid_up, structured_reference, opened_on"
        " FROM purchases WHERE purchase_id = ?",
        (purchase_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("purchase_id", "member_id", "category", "quantity", "amount_cents",
            "minimum_upfront_cents", "paid_cents", "paid_up", "structured_reference",
            "opened_on")  # fmt: skip
    return dict(zip(keys, row, strict=True))


def register(
    conn: sqlite3.Connection, as_of: dt.date, *, domicile_of: set[str] | None = None
) -> dict[str, Any]:
    """The share register as it stood at the end of `as_of`. `domicile_of`: the holders whose
    domicile is shown (None: all of them; a member key sees only its own)."""
    day = as_of.isoformat()
    holders: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT e.member_id, e.purchase_id, e.kind, e.on_date, e.category, e.quantity,"
        " e.amount_cents, h.kind, h.name, h.domicile, h.enterprise_number, h.admitted_on"
        " FROM entries e JOIN holders h ON h.member_id = e.member_id"
        " WHERE e.on_date <= ? ORDER BY h.admitted_on, e.member_id, e.on_date, e.seq",
        (day,),
    )
    for member, purchase, kind, on, category, quantity, amount, *holder in rows:
        entry = holders.get(member)
        if entry is None:
            holder_kind, name, domicile, enterprise, admitted = holder
            shown = domicile_of is None or member in domicile_of
            entry = holders[member] = {
                "member_id": member, "kind": holder_kind, "name": name,
                "domicile": domicile if shown else None, "enterprise_number": enterprise,
                "admitted_on": admitted, "shares": {"A": 0, "B": 0}, "paid_cents": 0,
                "entries": [],
            }  # fmt: skip
        if kind == "subscription":
            entry["shares"][category] += quantity
        elif kind == "payment":
            entry["paid_cents"] += amount
        else:
            entry["shares"] = {"A": 0, "B": 0}
        entry["entries"].append(
            {"kind": kind, "on": on, "purchase_id": purchase, "category": category,
             "quantity": quantity, "amount_cents": amount}
        )  # fmt: skip
    listed = list(holders.values())
    by_category = {c: sum(h["shares"][c] for h in listed) for c in ("A", "B")}
    return {
        "as_of": day,
        "total_shares": by_category["A"] + by_category["B"],
        "shares_by_category": by_category,
        "holders": listed,
    }


def share_years(conn: sqlite3.Connection, member_id: str) -> list[int]:
    rows = conn.execute(
        "SELECT year FROM share_years WHERE member_id = ? ORDER BY year", (member_id,)
    )
    return [row[0] for row in rows]


def contracts_in_year(conn: sqlite3.Connection, member_id: str, year: int) -> dict[str, int]:
    rows = conn.execute(
        "SELECT tool, COUNT(*) FROM contracts WHERE member_id = ? AND year = ? GROUP BY tool",
        (member_id, year),
    )
    return {tool: count for tool, count in rows}


def active_members(
    conn: sqlite3.Connection, year: int, contract_tool: int, activity_tool: int
) -> list[dict[str, Any]]:
    """Members with at least `contract_tool` contracts in `year` through the Contract tool, or
    `activity_tool` through the Activity tool."""
    rows = conn.execute(
        "SELECT member_id, SUM(tool = 'contract'), SUM(tool = 'activity') FROM contracts"
        " WHERE year = ? GROUP BY member_id"
        " HAVING SUM(tool = 'contract') >= ? OR SUM(tool = 'activity') >= ?"
        " ORDER BY member_id",
        (year, contract_tool, activity_tool),
    )
    return [
        {"member_id": member, "contract_tool": contracts, "activity_tool": activities}
        for member, contracts, activities in rows
    ]


def shareholders_on(conn: sqlite3.Connection, day: dt.date) -> int:
    """How many holders held at least one share at the end of `day` (the electorate)."""
    holders = register(conn, day)["holders"]
    return sum(1 for h in holders if h["shares"]["A"] + h["shares"]["B"] > 0)
