"""The governance read models: the legal share register (as of any date), the purchases
(status, reference) and transfers, the years covered, the active members (from contracts),
and the assemblies (list, next ordinary one). The queries are in `queries.py`.

The register keeps dated entries (subscription, payment, transfer out and in, redemption) by
their business date, and the holders' names and domiciles with the day each holds from; the
register as of a day is a query over what is dated up to that day, so later purchases,
transfers, redemptions and corrections never change what it said of an earlier day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from shared.events.base import Envelope
from shared.events.contracts import EmploymentContractCancelled, EmploymentContractDrawnUp
from shared.events.governance import (
    AssemblyClosed,
    AssemblyConvened,
    HolderDetailsCorrected,
    ResolutionDecided,
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedeemed,
    SharesPaidUp,
    ShareTransferReceived,
    ShareTransferred,
    VoteCast,
)

_TABLES = """
CREATE TABLE holders (member_id TEXT PRIMARY KEY, kind TEXT, admitted_on TEXT);
CREATE TABLE holder_details (
    seq INTEGER PRIMARY KEY, member_id TEXT, valid_from TEXT, name TEXT, domicile TEXT,
    enterprise_number TEXT);
CREATE INDEX holder_details_by_day ON holder_details (valid_from, seq);
CREATE TABLE purchases (
    seq INTEGER PRIMARY KEY, purchase_id TEXT UNIQUE NOT NULL, member_id TEXT, category TEXT,
    quantity INTEGER, amount_cents INTEGER, minimum_upfront_cents INTEGER,
    paid_cents INTEGER NOT NULL DEFAULT 0, paid_up INTEGER NOT NULL DEFAULT 0,
    structured_reference TEXT, opened_on TEXT);
CREATE INDEX purchases_by_member ON purchases (member_id, seq);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY, member_id TEXT, purchase_id TEXT, transfer_id TEXT, kind TEXT,
    on_date TEXT, category TEXT, quantity INTEGER, amount_cents INTEGER, counterparty TEXT);
CREATE INDEX entries_by_date ON entries (on_date, seq);
CREATE TABLE share_years (member_id TEXT, year INTEGER, PRIMARY KEY (member_id, year));
CREATE TABLE contracts (
    contract_id TEXT PRIMARY KEY, member_id TEXT, year INTEGER, tool TEXT);
CREATE INDEX contracts_by_year ON contracts (year, member_id);
CREATE TABLE assemblies (
    seq INTEGER PRIMARY KEY, assembly_id TEXT UNIQUE NOT NULL, kind TEXT, title TEXT,
    held_on TEXT, convened_on TEXT, status TEXT, resolutions INTEGER,
    adopted INTEGER NOT NULL DEFAULT 0, election_id TEXT, seats INTEGER,
    voters INTEGER NOT NULL DEFAULT 0, electorate INTEGER, closed_on TEXT);
CREATE INDEX assemblies_by_day ON assemblies (held_on, seq);
"""


class ShareViews:
    name = "governance_shares"
    version = 2
    handles = frozenset(
        {
            "ShareholderAdmitted", "HolderDetailsCorrected", "SharePurchaseOpened",
            "ShareBought", "SharePaymentReceived", "SharesPaidUp", "ShareTransferred",
            "ShareTransferReceived", "ShareRedeemed", "EmploymentContractDrawnUp",
            "EmploymentContractCancelled", "AssemblyConvened", "VoteCast", "ResolutionDecided",
            "AssemblyClosed",
        }
    )  # fmt: skip

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        seq = envelope.position
        match envelope.event:
            case ShareholderAdmitted() as e:
                conn.execute(
                    "INSERT OR REPLACE INTO holders VALUES (?, ?, ?)",
                    (e.member_id, e.kind, str(e.admitted_on)),
                )
                conn.execute(
                    "INSERT INTO holder_details VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, e.member_id, str(e.admitted_on), e.name, e.domicile,
                     e.enterprise_number),
                )  # fmt: skip
            case HolderDetailsCorrected() as e:
                conn.execute(
                    "INSERT INTO holder_details VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, e.member_id, str(e.corrected_on), e.name, e.domicile,
                     e.enterprise_number),
                )  # fmt: skip
            case SharePurchaseOpened() as e:
                conn.execute(
                    "INSERT INTO purchases (seq, purchase_id, member_id, category, quantity,"
                    " amount_cents, minimum_upfront_cents, structured_reference, opened_on)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, e.purchase_id, e.member_id, e.category, e.quantity, e.amount_cents,
                     e.minimum_upfront_cents, e.structured_reference, str(e.opened_on)),
                )  # fmt: skip
                self._entry(conn, seq, e.member_id, "subscription", e.opened_on, e.category,
                            e.quantity, e.amount_cents, purchase_id=e.purchase_id)  # fmt: skip
            case ShareBought() as e if e.category == "A":
                conn.execute(
                    "INSERT OR IGNORE INTO share_years VALUES (?, ?)", (e.member_id, e.year)
                )
            case SharePaymentReceived() as e:
                conn.execute(
                    "UPDATE purchases SET paid_cents = paid_cents + ? WHERE purchase_id = ?",
                    (e.amount_cents, e.purchase_id),
                )
                self._entry(conn, seq, e.member_id, "payment", e.received_on, None, None,
                            e.amount_cents, purchase_id=e.purchase_id)  # fmt: skip
            case SharesPaidUp() as e:
                conn.execute(
                    "UPDATE purchases SET paid_up = 1 WHERE purchase_id = ?", (e.purchase_id,)
                )
            case ShareTransferred() as e:
                conn.executemany(
                    "DELETE FROM share_years WHERE member_id = ? AND year = ?",
                    [(e.member_id, year) for year in e.years],
                )
                self._entry(conn, seq, e.member_id, "transfer_out", e.transferred_on,
                            e.category, e.quantity, e.paid_in_cents,
                            transfer_id=e.transfer_id, counterparty=e.to_member_id)  # fmt: skip
            case ShareTransferReceived() as e:
                conn.executemany(
                    "INSERT OR IGNORE INTO share_years VALUES (?, ?)",
                    [(e.member_id, year) for year in e.years],
                )
                self._entry(conn, seq, e.member_id, "transfer_in", e.received_on, e.category,
                            e.quantity, e.paid_in_cents, transfer_id=e.transfer_id,
                            counterparty=e.from_member_id)  # fmt: skip
            case ShareRedeemed() as e:
                self._entry(conn, seq, e.member_id, "redemption", e.redeemed_on, None,
                            e.quantity, e.amount_cents)  # fmt: skip
            case EmploymentContractDrawnUp() as e if e.days:
                conn.execute(
                    "INSERT OR IGNORE INTO contracts VALUES (?, ?, ?, 'contract')",
                    (e.contract_id, e.member_id, e.days[0].date.year),
                )
            case EmploymentContractCancelled() as e:
                conn.execute("DELETE FROM contracts WHERE contract_id = ?", (e.contract_id,))
            case _:
                self._assembly(conn, envelope)

    @staticmethod
    def _assembly(conn: sqlite3.Connection, envelope: Envelope) -> None:
        match envelope.event:
            case AssemblyConvened() as e:
                election = e.election
                conn.execute(
                    "INSERT OR IGNORE INTO assemblies (seq, assembly_id, kind, title, held_on,"
                    " convened_on, status, resolutions, election_id, seats)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'convened', ?, ?, ?)",
                    (envelope.position, e.assembly_id, e.kind, e.title, str(e.held_on),
                     str(e.convened_on), len(e.resolutions),
                     election.election_id if election else None,
                     election.seats if election else None),
                )  # fmt: skip
            case VoteCast() as e:
                conn.execute(
                    "UPDATE assemblies SET voters = voters + 1 WHERE assembly_id = ?",
                    (e.assembly_id,),
                )
            case ResolutionDecided() as e if e.adopted:
                conn.execute(
                    "UPDATE assemblies SET adopted = adopted + 1 WHERE assembly_id = ?",
                    (e.assembly_id,),
                )
            case AssemblyClosed() as e:
                conn.execute(
                    "UPDATE assemblies SET status = 'closed', voters = ?, electorate = ?,"
                    " closed_on = ? WHERE assembly_id = ?",
                    (e.voters, e.electorate, str(e.closed_on), e.assembly_id),
                )

    @staticmethod
    def _entry(
        conn: sqlite3.Connection, seq: int, member_id: str, kind: str, on: dt.date,
        category: str | None, quantity: int | None, amount_cents: int, *,
        purchase_id: str | None = None, transfer_id: str | None = None,
        counterparty: str | None = None,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, member_id, purchase_id, transfer_id, kind, str(on), category, quantity,
             amount_cents, counterparty),
        )  # fmt: skip
