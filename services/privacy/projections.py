"""The privacy service's read model of the facts that start retention periods, and of the
erasure requests of members and private clients (ops' list).

From other services' events it keeps ids, dates and statuses only, never a personal value:
who is a member, the days of each employment contract, the last invoice, credit note or
payment of each member's prestations, salaries and their payment, the share register entry;
for clients, what `client_projections` keeps.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date

from services.privacy import client_projections as clients
from services.privacy.domain.client_erasure import ClientRequest
from services.privacy.domain.erasure import Request
from services.privacy.domain.retention import Fact, MemberFacts
from shared.events.base import Envelope
from shared.events.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentAssigned,
    PaymentReceived,
)
from shared.events.contracts import (
    ClientDetailsCorrected,
    ClientRegistered,
    EmploymentContractAmended,
    EmploymentContractCancelled,
    EmploymentContractDrawnUp,
    MemberRegistered,
    WorkDay,
)
from shared.events.governance import (
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    ShareRedeemed,
)
from shared.events.guarantee_fund import SalaryPaid
from shared.events.payroll import SalaryCancelled, SalaryScheduled
from shared.events.privacy import (
    ClientErasureRequested,
    ClientPersonalDataErased,
    ErasureRequested,
    PersonalDataErased,
    Requester,
)

_TABLES = """
CREATE TABLE members (member_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE contracts (
    contract_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, last_day TEXT NOT NULL,
    cancelled_on TEXT);
CREATE INDEX contracts_by_member ON contracts (member_id);
CREATE TABLE invoices (invoice_id TEXT PRIMARY KEY, member_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE salaries (
    salary_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, status TEXT NOT NULL,
    since TEXT NOT NULL);
CREATE INDEX salaries_owed ON salaries (member_id, status);
-- The latest document of each kind per member: accounting, vat, withholding.
CREATE TABLE latest (
    member_id TEXT NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL, dated TEXT NOT NULL,
    PRIMARY KEY (member_id, kind)) WITHOUT ROWID;
CREATE TABLE shareholders (
    member_id TEXT PRIMARY KEY, since TEXT NOT NULL, redeemed_on TEXT) WITHOUT ROWID;
-- A member's request or a client's: `whose` says which, and which id is set.
CREATE TABLE requests (
    seq INTEGER PRIMARY KEY, request_id TEXT UNIQUE NOT NULL, whose TEXT NOT NULL,
    member_id TEXT, client_id TEXT, requested_by TEXT NOT NULL, requested_on TEXT NOT NULL,
    status TEXT NOT NULL, carried_out_on TEXT, subjects TEXT NOT NULL DEFAULT '[]');
CREATE INDEX requests_by_status ON requests (status, seq);
"""


def _last_day(days: Sequence[WorkDay]) -> str:
    return max(day.date for day in days).isoformat()


def _latest(conn: sqlite3.Connection, member_id: str, kind: str, what: str, on: date) -> None:
    conn.execute(
        "INSERT INTO latest VALUES (?, ?, ?, ?) ON CONFLICT (member_id, kind) DO UPDATE"
        " SET what = excluded.what, dated = excluded.dated WHERE excluded.dated >= latest.dated",
        (member_id, kind, what, on.isoformat()),
    )


def _invoice_member(conn: sqlite3.Connection, invoice_id: str) -> str | None:
    row = conn.execute("SELECT member_id FROM invoices WHERE invoice_id = ?", (invoice_id,))
    found = row.fetchone()
    return None if found is None else str(found[0])


class PrivacyViews:
    name = "privacy_views"
    version = 2  # 2: private clients, their invoices and erasure requests
    handles = frozenset(
        {"MemberRegistered", "EmploymentContractDrawnUp", "EmploymentContractAmended",
         "EmploymentContractCancelled", "InvoiceIssued", "CreditNoteIssued", "PaymentReceived",
         "SalaryScheduled", "SalaryCancelled", "SalaryPaid", "ShareholderAdmitted",
         "ShareBought", "SharePaymentReceived", "ShareRedeemed", "ErasureRequested",
         "PersonalDataErased", "ClientErasureRequested", "ClientPersonalDataErased",
         *clients.HANDLES}
    )  # fmt: skip

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_TABLES + clients.TABLES)

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        match envelope.event:
            case MemberRegistered() as e:
                conn.execute("INSERT OR IGNORE INTO members VALUES (?)", (e.member_id,))
            case (
                EmploymentContractDrawnUp()
                | EmploymentContractAmended()
                | EmploymentContractCancelled()
            ):
                self._contract(conn, envelope.event)
            case InvoiceIssued() | CreditNoteIssued() | PaymentReceived():
                self._billing(conn, envelope.event)
                clients.apply_billing(conn, envelope.event)
            case LateClaimAdded() | InvoicePaid() | InvoiceWrittenOff() | PaymentAssigned():
                clients.apply_billing(conn, envelope.event)
            case ClientRegistered() | ClientDetailsCorrected():
                clients.apply_client(conn, envelope.event)
            case SalaryScheduled() | SalaryCancelled() | SalaryPaid():
                self._salary(conn, envelope.event)
            case ShareholderAdmitted() | ShareBought() | SharePaymentReceived() | ShareRedeemed():
                self._shares(conn, envelope.event)
            case ErasureRequested() | ClientErasureRequested() as e:
                member_id = e.member_id if isinstance(e, ErasureRequested) else None
                client_id = e.client_id if isinstance(e, ClientErasureRequested) else None
                conn.execute(
                    "INSERT OR IGNORE INTO requests (seq, request_id, whose, member_id, client_id,"
                    " requested_by, requested_on, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                    (envelope.position, e.request_id, "member" if member_id else "client",
                     member_id, client_id, e.requested_by, e.requested_on.isoformat()),
                )  # fmt: skip
            case PersonalDataErased() | ClientPersonalDataErased() as e:
                conn.execute(
                    "UPDATE requests SET status = 'done', carried_out_on = ?, subjects = ?"
                    " WHERE request_id = ?",
                    (e.carried_out_on.isoformat(), json.dumps(list(e.subjects)), e.request_id),
                )

    @staticmethod
    def _contract(
        conn: sqlite3.Connection,
        event: EmploymentContractDrawnUp | EmploymentContractAmended | EmploymentContractCancelled,
    ) -> None:
        match event:
            case EmploymentContractDrawnUp() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO contracts VALUES (?, ?, ?, NULL)",
                    (e.contract_id, e.member_id, _last_day(e.days)),
                )
            case EmploymentContractAmended() as e:
                conn.execute(
                    "UPDATE contracts SET last_day = ? WHERE contract_id = ?",
                    (_last_day(e.days), e.contract_id),
                )
            case EmploymentContractCancelled() as e:
                conn.execute(
                    "UPDATE contracts SET cancelled_on = ? WHERE contract_id = ?",
                    (e.cancelled_on.isoformat(), e.contract_id),
                )

    @staticmethod
    def _billing(
        conn: sqlite3.Connection, event: InvoiceIssued | CreditNoteIssued | PaymentReceived
    ) -> None:
        match event:
            case InvoiceIssued() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO invoices VALUES (?, ?)", (e.invoice_id, e.member_id)
                )
                for kind in ("accounting", "vat"):
                    _latest(conn, e.member_id, kind, f"invoice {e.number}", e.issue_date)
            case CreditNoteIssued() as e:
                if (member_id := _invoice_member(conn, e.invoice_id)) is not None:
                    for kind in ("accounting", "vat"):
                        _latest(conn, member_id, kind, f"credit note {e.number}", e.issue_date)
            case PaymentReceived() as e:
                if (member_id := _invoice_member(conn, e.invoice_id)) is not None:
                    what = f"payment {e.payment_id} of invoice {e.invoice_id}"
                    _latest(conn, member_id, "accounting", what, e.received_on)

    @staticmethod
    def _salary(
        conn: sqlite3.Connection, event: SalaryScheduled | SalaryCancelled | SalaryPaid
    ) -> None:
        match event:
            case SalaryScheduled() as e:
                conn.execute(
                    "INSERT OR IGNORE INTO salaries VALUES (?, ?, 'scheduled', ?)",
                    (e.salary_id, e.member_id, e.scheduled_on.isoformat()),
                )
            case SalaryCancelled() as e:
                conn.execute(
                    "UPDATE salaries SET status = 'cancelled' WHERE salary_id = ?", (e.salary_id,)
                )
            case SalaryPaid() as e:
                conn.execute(
                    "INSERT INTO salaries VALUES (?, ?, 'paid', ?) ON CONFLICT (salary_id)"
                    " DO UPDATE SET status = 'paid'",
                    (e.salary_id, e.member_id, e.paid_on.isoformat()),
                )
                what = f"salary {e.salary_id} paid"
                for kind in ("accounting", "withholding"):
                    _latest(conn, e.member_id, kind, what, e.paid_on)

    @staticmethod
    def _shares(
        conn: sqlite3.Connection,
        event: ShareholderAdmitted | ShareBought | SharePaymentReceived | ShareRedeemed,
    ) -> None:
        match event:
            case (
                ShareholderAdmitted(member_id=member_id, admitted_on=on)
                | ShareBought(member_id=member_id, bought_on=on)
            ):
                # A new purchase after a redemption makes a shareholder again.
                conn.execute(
                    "INSERT INTO shareholders VALUES (?, ?, NULL) ON CONFLICT (member_id)"
                    " DO UPDATE SET redeemed_on = NULL, since = CASE WHEN redeemed_on IS NULL"
                    " THEN since ELSE excluded.since END",
                    (member_id, on.isoformat()),
                )
            case SharePaymentReceived() as e:
                what = f"share payment {e.payment_id}"
                _latest(conn, e.member_id, "accounting", what, e.received_on)
            case ShareRedeemed() as e:
                conn.execute(
                    "UPDATE shareholders SET redeemed_on = ? WHERE member_id = ?",
                    (e.redeemed_on.isoformat(), e.member_id),
                )
                _latest(conn, e.member_id, "accounting", "redemption of shares", e.redeemed_on)


# -- queries -----------------------------------------------------------------------------------


def is_member(conn: sqlite3.Connection, member_id: str) -> bool:
    found = conn.execute("SELECT 1 FROM members WHERE member_id = ?", (member_id,)).fetchone()
    return found is not None


def _fact(what: str, on: str) -> Fact:
    return Fact(what, date.fromisoformat(on))


def member_facts(conn: sqlite3.Connection, member_id: str) -> MemberFacts:
    employment = conn.execute(
        "SELECT contract_id, cancelled_on IS NOT NULL, COALESCE(cancelled_on, last_day) AS ended"
        " FROM contracts WHERE member_id = ? ORDER BY ended DESC LIMIT 1",
        (member_id,),
    ).fetchone()
    last_employment = None
    if employment is not None:
        contract_id, cancelled, ended = employment
        verb = "cancelled" if cancelled else "last day"
        last_employment = _fact(f"employment contract {contract_id}, {verb}", ended)
    latest = {
        kind: _fact(what, dated)
        for kind, what, dated in conn.execute(
            "SELECT kind, what, dated FROM latest WHERE member_id = ?", (member_id,)
        )
    }
    shareholder = redeemed = None
    row = conn.execute(
        "SELECT since, redeemed_on FROM shareholders WHERE member_id = ?", (member_id,)
    ).fetchone()
    if row is not None and row[1] is None:
        shareholder = _fact("in the register of shares", row[0])
    elif row is not None:
        redeemed = _fact("shares redeemed", row[1])
    owed = conn.execute(
        "SELECT salary_id, since FROM salaries WHERE member_id = ? AND status = 'scheduled'"
        " ORDER BY since LIMIT 1",
        (member_id,),
    ).fetchone()
    return MemberFacts(
        last_employment=last_employment,
        last_accounting_document=latest.get("accounting"),
        last_vat_document=latest.get("vat"),
        last_salary_payment=latest.get("withholding"),
        shareholder=shareholder,
        shares_redeemed=redeemed,
        salary_owed=None
        if owed is None
        else _fact(f"salary {owed[0]} scheduled, not paid", owed[1]),
    )


def request_page(
    conn: sqlite3.Connection, status: str | None, after: int | None, limit: int
) -> tuple[list[Request | ClientRequest], int | None]:
    """Requests (members' and clients') in the order they were made, and the cursor of the
    last one when more follow."""
    clauses, values = ["seq > ?"], [after or 0]
    if status is not None:
        clauses.append("status = ?")
        values.append(status)  # type: ignore[arg-type]
    cursor = conn.execute(
        "SELECT seq, request_id, member_id, client_id, requested_by, requested_on, status,"
        f" carried_out_on, subjects FROM requests WHERE {' AND '.join(clauses)}"
        " ORDER BY seq LIMIT ?",
        (*values, limit + 1),
    )
    rows = cursor.fetchall()
    last = rows[limit - 1][0] if len(rows) > limit else None
    return [_request(*row[1:]) for row in rows[:limit]], last


def _request(
    request_id: str, member_id: str | None, client_id: str | None, requested_by: Requester,
    requested_on: str, status: str, carried_out_on: str | None, subjects: str,
) -> Request | ClientRequest:  # fmt: skip
    requested = date.fromisoformat(requested_on)
    done = date.fromisoformat(carried_out_on) if status == "done" and carried_out_on else None
    erased = tuple(json.loads(subjects)) if done else ()
    if member_id is not None:
        return Request(request_id, member_id, requested_by, requested, done, erased)
    if client_id is not None:
        return ClientRequest(request_id, client_id, "ops", requested, done, erased)
    raise ValueError(f"erasure request {request_id} names neither a member nor a client")
