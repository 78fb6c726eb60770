"""The contracts service's read models: lists and searches, and the shares it learns of.

Single resources are folded from their streams (always current); these tables serve lists,
the quote-expiry sweep and the share rule.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from shared.events.base import Envelope
from shared.events.contracts import (
    ClientDetailsCorrected,
    ClientRegistered,
    DimonaAccepted,
    DimonaDeclared,
    DimonaRefused,
    EmploymentContractAmended,
    EmploymentContractCancelled,
    EmploymentContractDrawnUp,
    MemberDetailsCorrected,
    MemberRegistered,
    PrestationAmended,
    PrestationCancelled,
    PrestationEncoded,
    QuoteAccepted,
    QuoteExpired,
    QuoteRejected,
    WorkDay,
)
from shared.events.governance import (
    ShareBought,
    ShareRedeemed,
    ShareTransferReceived,
    ShareTransferred,
)
from shared.http.paging import InvalidCursor as InvalidCursor  # re-exported: page() raises it
from shared.http.paging import format_cursor, parse_cursor


class SharesHeld:
    """Which calendar years each member's category A shares cover (from governance): bought,
    received or given away by a transfer, and none from the year of a redemption on."""

    name = "contracts_shares"
    version = 2
    handles = frozenset(
        {"ShareBought", "ShareTransferred", "ShareTransferReceived", "ShareRedeemed"}
    )

    def create(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE share_years (member_id TEXT, year INTEGER,"
            " PRIMARY KEY (member_id, year)) WITHOUT ROWID"
        )

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        match envelope.event:
            case ShareBought(category="A") as bought:
                conn.execute(
                    "INSERT OR IGNORE INTO share_years VALUES (?, ?)",
                    (bought.member_id, bought.year),
                )
            case ShareTransferReceived(category="A") as received:
                conn.executemany(
                    "INSERT OR IGNORE INTO share_years VALUES (?, ?)",
                    [(received.member_id, year) for year in received.years],
                )
            case ShareTransferred(category="A") as given:
                conn.executemany(
                    "DELETE FROM share_years WHERE member_id = ? AND year = ?",
                    [(given.member_id, year) for year in given.years],
                )
            case ShareRedeemed() as redeemed:
                conn.execute(
                    "DELETE FROM share_years WHERE member_id = ? AND year >= ?",
                    (redeemed.member_id, redeemed.redeemed_on.year),
                )


def share_years(conn: sqlite3.Connection, member_id: str) -> set[int]:
    rows = conn.execute("SELECT year FROM share_years WHERE member_id = ?", (member_id,))
    return {row[0] for row in rows}


_TABLES = """
CREATE TABLE members (
    seq INTEGER PRIMARY KEY, member_id TEXT UNIQUE NOT NULL, first_name TEXT, last_name TEXT,
    email TEXT, registered_on TEXT);
CREATE TABLE clients (
    seq INTEGER PRIMARY KEY, client_id TEXT UNIQUE NOT NULL, name TEXT, email TEXT, country TEXT,
    vat_number TEXT, registered_on TEXT);
CREATE TABLE prestations (
    seq INTEGER PRIMARY KEY, prestation_id TEXT UNIQUE NOT NULL, member_id TEXT, client_id TEXT,
    description TEXT, status TEXT, first_day TEXT, last_day TEXT, amount_excl_vat_cents INTEGER,
    total_cents INTEGER, quote_id TEXT, contract_id TEXT, encoded_on TEXT);
CREATE INDEX prestations_by_member ON prestations (member_id, seq);
CREATE INDEX prestations_pending ON prestations (status, first_day);
CREATE TABLE contracts (
    seq INTEGER PRIMARY KEY, contract_id TEXT UNIQUE NOT NULL, prestation_id TEXT,
    member_id TEXT, status TEXT, first_day TEXT, last_day TEXT, less_than_a_day INTEGER,
    days TEXT, gross_cents INTEGER);
CREATE INDEX contracts_by_period ON contracts (first_day, last_day);
CREATE TABLE declarations (
    seq INTEGER PRIMARY KEY, declaration_id TEXT UNIQUE NOT NULL, prestation_id TEXT,
    member_id TEXT, kind TEXT, status TEXT, declared_on TEXT, answered_on TEXT);
CREATE INDEX declarations_by_status ON declarations (status, seq);
"""

_PRESTATION_STATUS = {
    QuoteAccepted: "accepted",
    QuoteRejected: "rejected",
    QuoteExpired: "expired",
    PrestationCancelled: "cancelled",
}


def _days_json(days: Sequence[WorkDay]) -> str:
    return json.dumps([{"date": d.date.isoformat(), "hours": float(d.hours)} for d in days])


def _update(
    conn: sqlite3.Connection, table: str, key: str, key_value: str, **values: object
) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE {key} = ?", (*values.values(), key_value))


def _corrections(event: MemberDetailsCorrected | ClientDetailsCorrected, *columns: str) -> dict:
    return {c: getattr(event, c) for c in columns if getattr(event, c) is not None}


class ContractsViews:
    """Members, clients, prestations with their status, contracts by period, declarations."""

    name = "contracts_views"
    version = 1
    handles = frozenset(
        {
            "MemberRegistered",
            "MemberDetailsCorrected",
            "ClientRegistered",
            "ClientDetailsCorrected",
            "PrestationEncoded",
            "EmploymentContractDrawnUp",
            "DimonaDeclared",
            "DimonaAccepted",
            "DimonaRefused",
            "QuoteAccepted",
            "QuoteRejected",
            "QuoteExpired",
            "PrestationAmended",
            "EmploymentContractAmended",
            "EmploymentContractCancelled",
            "PrestationCancelled",
        }
    )

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        seq = envelope.position
        match envelope.event:
            case MemberRegistered() as e:
                conn.execute(
                    "INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, e.member_id, e.first_name, e.last_name, e.email, str(e.registered_on)),
                )
            case MemberDetailsCorrected() as e:
                changes = _corrections(e, "first_name", "last_name", "email")
                if changes:
                    _update(conn, "members", "member_id", e.member_id, **changes)
            case ClientRegistered() as e:
                conn.execute(
                    "INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, e.client_id, e.name, e.email, e.country, e.vat_number,
                     str(e.registered_on)),
                )  # fmt: skip
            case ClientDetailsCorrected() as e:
                changes = _corrections(e, "name", "email", "country", "vat_number")
                if changes:
                    _update(conn, "clients", "client_id", e.client_id, **changes)
            case PrestationEncoded() as e:
                conn.execute(
                    "INSERT INTO prestations VALUES (?, ?, ?, ?, ?, 'quoted', ?, ?, ?, ?, ?, ?, ?)",
                    (seq, e.prestation_id, e.member_id, e.client_id, e.description,
                     str(e.first_day), str(e.last_day), e.amount_excl_vat_cents, e.total_cents,
                     e.quote_id, e.contract_id, str(e.encoded_on)),
                )  # fmt: skip
            case EmploymentContractDrawnUp() as e:
                conn.execute(
                    "INSERT INTO contracts VALUES"
                    " (?, ?, ?, ?, 'awaiting-acceptance', ?, ?, ?, ?, ?)",
                    (seq, e.contract_id, e.prestation_id, e.member_id, str(e.days[0].date),
                     str(e.days[-1].date), e.less_than_a_day, _days_json(e.days),
                     e.salary_estimate.gross_cents),
                )  # fmt: skip
            case EmploymentContractAmended() as e:
                _update(
                    conn, "contracts", "contract_id", e.contract_id,
                    first_day=str(e.days[0].date), last_day=str(e.days[-1].date),
                    less_than_a_day=e.less_than_a_day, days=_days_json(e.days),
                    gross_cents=e.salary_estimate.gross_cents,
                )  # fmt: skip
            case EmploymentContractCancelled() as e:
                _update(conn, "contracts", "contract_id", e.contract_id, status="cancelled")
            case PrestationAmended() as e:
                _update(
                    conn, "prestations", "prestation_id", e.prestation_id,
                    first_day=str(e.first_day), last_day=str(e.last_day),
                )  # fmt: skip
            case QuoteAccepted() | QuoteRejected() | QuoteExpired() | PrestationCancelled() as e:
                status = _PRESTATION_STATUS[type(e)]
                _update(conn, "prestations", "prestation_id", e.prestation_id, status=status)
                if isinstance(e, QuoteAccepted):
                    _update(conn, "contracts", "contract_id", e.contract_id, status="active")
            case DimonaDeclared() as e:
                member = conn.execute(
                    "SELECT member_id FROM prestations WHERE prestation_id = ?", (e.prestation_id,)
                ).fetchone()
                conn.execute(
                    "INSERT INTO declarations VALUES (?, ?, ?, ?, ?, 'pending', ?, NULL)",
                    (seq, e.declaration_id, e.prestation_id, member[0] if member else None,
                     e.kind, str(e.declared_on)),
                )  # fmt: skip
            case DimonaAccepted() | DimonaRefused() as e:
                status = "accepted" if isinstance(e, DimonaAccepted) else "refused"
                _update(
                    conn, "declarations", "declaration_id", e.declaration_id,
                    status=status, answered_on=str(e.answered_on),
                )  # fmt: skip


@dataclass(frozen=True)
class Page:
    items: list[dict[str, object]]
    next_cursor: str | None


def page(
    conn: sqlite3.Connection,
    table: str,
    filters: Mapping[str, object | None],
    cursor: str | None,
    limit: int,
    *,
    extra: tuple[str, Sequence[object]] | None = None,
) -> Page:
    """Rows in the order they appeared; the cursor is the last row's sequence number."""
    clauses = [f"{column} = ?" for column, value in filters.items() if value is not None]
    params: list[object] = [value for value in filters.values() if value is not None]
    if extra is not None:
        clauses.append(extra[0])
        params.extend(extra[1])
    after = parse_cursor(cursor)  # None (or "") is the first page
    if after is not None:
        clauses.append("seq > ?")
        params.append(after)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT * FROM {table} {where} ORDER BY seq LIMIT ?", (*params, limit + 1)
    ).fetchall()
    items = [dict(row) for row in rows[:limit]]
    next_cursor = format_cursor(rows[limit - 1]["seq"]) if len(rows) > limit else None
    for item in items:
        item.pop("seq")
    return Page(items, next_cursor)


def contracts_overlapping(first: date | None, last: date | None) -> tuple[str, tuple[object, ...]]:
    """The clause of `page(…, extra=…)` keeping contracts that overlap [first, last]."""
    clauses, params = ["1 = 1"], []
    if first is not None:
        clauses.append("last_day >= ?")
        params.append(first.isoformat())
    if last is not None:
        clauses.append("first_day <= ?")
        params.append(last.isoformat())
    return " AND ".join(clauses), tuple(params)


def pending_quotes_due(conn: sqlite3.Connection, today: date) -> list[str]:
    """Prestations whose quote still waits after its first day."""
    rows = conn.execute(
        "SELECT prestation_id FROM prestations WHERE status = 'quoted' AND first_day < ?",
        (today.isoformat(),),
    )
    return [row[0] for row in rows]
