"""The queries on the governance read models (`projections.py` builds them): the register as
of a day, purchases, years covered, active members, the electorate, the
assemblies."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from shared.http.paging import format_cursor, parse_cursor

_PURCHASE = (
    "purchase_id", "member_id", "category", "quantity", "amount_cents", "minimum_upfront_cents",
    "paid_cents", "paid_up", "structured_reference", "opened_on",
)  # fmt: skip
_ASSEMBLY = (
    "assembly_id", "kind", "title", "held_on", "convened_on", "status", "resolutions",
    "adopted", "election_id", "seats", "voters", "electorate", "closed_on",
)  # fmt: skip


def purchase_row(conn: sqlite3.Connection, purchase_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {', '.join(_PURCHASE)} FROM purchases WHERE purchase_id = ?", (purchase_id,)
    ).fetchone()
    return None if row is None else dict(zip(_PURCHASE, row, strict=True))


def _details_on(conn: sqlite3.Connection, day: str) -> dict[str, tuple[str, str, str | None]]:
    """Each holder's name, domicile and number as they stood at the end of `day`."""
    rows = conn.execute(
        "SELECT member_id, name, domicile, enterprise_number FROM holder_details"
        " WHERE valid_from <= ? ORDER BY valid_from, seq",
        (day,),
    )
    return {member: (name, domicile, number) for member, name, domicile, number in rows}


def _first_details(conn: sqlite3.Connection, member_id: str) -> tuple[str, str, str | None]:
    row = conn.execute(
        "SELECT name, domicile, enterprise_number FROM holder_details WHERE member_id = ?"
        " ORDER BY valid_from, seq LIMIT 1",
        (member_id,),
    ).fetchone()
    return row[0], row[1], row[2]


_HELD = {"subscription": 1, "transfer_in": 1, "transfer_out": -1}
_PAID = {"payment": 1, "transfer_in": 1, "transfer_out": -1}


def register(
    conn: sqlite3.Connection, as_of: dt.date, *, domicile_of: set[str] | None = None
) -> dict[str, Any]:
    """The share register as it stood at the end of `as_of`. `domicile_of`: the holders whose
    domicile is shown (None: all of them; a member key sees only its own). `paid_cents` is what
    was paid in on the shares a holder holds or held: its payments, plus what the shares it
    received carried, less what the shares it gave carried."""
    day = as_of.isoformat()
    details = _details_on(conn, day)
    holders: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT e.member_id, e.purchase_id, e.transfer_id, e.kind, e.on_date, e.category,"
        " e.quantity, e.amount_cents, e.counterparty, h.kind, h.admitted_on"
        " FROM entries e JOIN holders h ON h.member_id = e.member_id"
        " WHERE e.on_date <= ? ORDER BY h.admitted_on, e.member_id, e.on_date, e.seq",
        (day,),
    )
    for member, purchase, transfer, kind, on, category, quantity, amount, other, *holder in rows:
        entry = holders.get(member)
        if entry is None:
            holder_kind, admitted = holder
            name, domicile, enterprise = details.get(member) or _first_details(conn, member)
            shown = domicile_of is None or member in domicile_of
            entry = holders[member] = {
                "member_id": member, "kind": holder_kind, "name": name,
                "domicile": domicile if shown else None, "enterprise_number": enterprise,
                "admitted_on": admitted, "shares": {"A": 0, "B": 0}, "paid_cents": 0,
                "entries": [],
            }  # fmt: skip
        if kind == "redemption":
            entry["shares"] = {"A": 0, "B": 0}
        elif kind in _HELD:
            entry["shares"][category] += _HELD[kind] * quantity
        if kind in _PAID:
            entry["paid_cents"] += _PAID[kind] * amount
        entry["entries"].append(
            {"kind": kind, "on": on, "purchase_id": purchase, "transfer_id": transfer,
             "category": category, "quantity": quantity, "amount_cents": amount,
             "counterparty": other}
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


def assemblies_page(
    conn: sqlite3.Connection, *, status: str | None, first: dt.date | None,
    last: dt.date | None, cursor: str | None, limit: int,
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """Assemblies in the order they were convened, held within [first, last]; the cursor is
    the last row's sequence number."""
    clauses, params = ["1 = 1"], []
    for clause, value in (
        ("status = ?", status), ("held_on >= ?", first and first.isoformat()),
        ("held_on <= ?", last and last.isoformat()), ("seq > ?", parse_cursor(cursor)),
    ):  # fmt: skip
        if value is not None:
            clauses.append(clause)
            params.append(value)
    rows = conn.execute(
        f"SELECT seq, {', '.join(_ASSEMBLY)} FROM assemblies WHERE {' AND '.join(clauses)}"
        " ORDER BY seq LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    items = [dict(zip(_ASSEMBLY, row[1:], strict=True)) for row in rows[:limit]]
    return items, format_cursor(rows[limit - 1][0]) if len(rows) > limit else None


def next_ordinary_assembly(conn: sqlite3.Connection, today: dt.date) -> dict[str, Any] | None:
    """The first ordinary assembly convened, not closed, held today or later."""
    row = conn.execute(
        f"SELECT {', '.join(_ASSEMBLY)} FROM assemblies WHERE kind = 'ordinary'"
        " AND status = 'convened' AND held_on >= ? ORDER BY held_on, seq LIMIT 1",
        (today.isoformat(),),
    ).fetchone()
    return None if row is None else dict(zip(_ASSEMBLY, row, strict=True))
