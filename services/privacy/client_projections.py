"""The private clients' part of the privacy views (`projections.PrivacyViews` folds into these
tables): whether a client is a person or a company, the invoices issued to each client and
whether each is still open, the last accounting and VAT document, the payments ops assigned.

Ids, dates, numbers and amounts only, never a personal value. An invoice is open as billing's
invoice state has it: neither paid (`InvoicePaid`) nor written off, and something still due
(principal less credit notes and payments, plus late-payment claims not paid). Billing records
no dispute of its own: an invoice in collection (reminders, formal notice, claims) is open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from services.privacy.domain.client_erasure import ClientKind
from services.privacy.domain.retention import ClientFacts, Fact
from shared.events.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentAssigned,
    PaymentReceived,
)
from shared.events.contracts import ClientDetailsCorrected, ClientRegistered

TABLES = """
CREATE TABLE clients (client_id TEXT PRIMARY KEY, company INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE client_invoices (
    invoice_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, number TEXT NOT NULL,
    issue_date TEXT NOT NULL, total_cents INTEGER NOT NULL,
    credited_cents INTEGER NOT NULL DEFAULT 0, principal_paid_cents INTEGER NOT NULL DEFAULT 0,
    claims_cents INTEGER NOT NULL DEFAULT 0, claims_paid_cents INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX client_invoices_by_client ON client_invoices (client_id);
CREATE TABLE client_latest (
    client_id TEXT NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL, dated TEXT NOT NULL,
    PRIMARY KEY (client_id, kind)) WITHOUT ROWID;
CREATE TABLE client_payments (payment_id TEXT PRIMARY KEY, client_id TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX client_payments_by_client ON client_payments (client_id);
"""
HANDLES = frozenset(
    {"ClientRegistered", "ClientDetailsCorrected", "InvoiceIssued", "CreditNoteIssued",
     "PaymentReceived", "LateClaimAdded", "InvoicePaid", "InvoiceWrittenOff", "PaymentAssigned"}
)  # fmt: skip
# Still due on an invoice, as billing's `Invoice.outstanding_cents` computes it.
_DUE = (
    "MAX(0, total_cents - credited_cents - principal_paid_cents) + claims_cents - claims_paid_cents"
)

Billing = (
    InvoiceIssued
    | CreditNoteIssued
    | PaymentReceived
    | LateClaimAdded
    | InvoicePaid
    | InvoiceWrittenOff
    | PaymentAssigned
)


def apply_client(
    conn: sqlite3.Connection, event: ClientRegistered | ClientDetailsCorrected
) -> None:
    match event:
        case ClientRegistered() as e:
            conn.execute(
                "INSERT OR IGNORE INTO clients VALUES (?, ?)",
                (e.client_id, e.vat_number is not None),
            )
        case ClientDetailsCorrected(vat_number=str()) as e:
            # A VAT number given later makes it a company; a correction never removes one.
            conn.execute("UPDATE clients SET company = 1 WHERE client_id = ?", (e.client_id,))


def _latest(conn: sqlite3.Connection, client_id: str, kind: str, what: str, on: date) -> None:
    conn.execute(
        "INSERT INTO client_latest VALUES (?, ?, ?, ?) ON CONFLICT (client_id, kind) DO UPDATE"
        " SET what = excluded.what, dated = excluded.dated"
        " WHERE excluded.dated >= client_latest.dated",
        (client_id, kind, what, on.isoformat()),
    )


def _client_of(conn: sqlite3.Connection, invoice_id: str) -> str | None:
    row = conn.execute("SELECT client_id FROM client_invoices WHERE invoice_id = ?", (invoice_id,))
    found = row.fetchone()
    return None if found is None else str(found[0])


def _add(
    conn: sqlite3.Connection, invoice_id: str, *, credited: int = 0, principal_paid: int = 0,
    claims: int = 0, claims_paid: int = 0,
) -> None:  # fmt: skip
    conn.execute(
        "UPDATE client_invoices SET credited_cents = credited_cents + ?,"
        " principal_paid_cents = principal_paid_cents + ?, claims_cents = claims_cents + ?,"
        " claims_paid_cents = claims_paid_cents + ? WHERE invoice_id = ?",
        (credited, principal_paid, claims, claims_paid, invoice_id),
    )


def apply_billing(conn: sqlite3.Connection, event: Billing) -> None:
    match event:
        case InvoiceIssued() as e:
            conn.execute(
                "INSERT OR IGNORE INTO client_invoices (invoice_id, client_id, number,"
                " issue_date, total_cents) VALUES (?, ?, ?, ?, ?)",
                (e.invoice_id, e.buyer.client_id, e.number, e.issue_date.isoformat(),
                 e.total_cents),
            )  # fmt: skip
            for kind in ("accounting", "vat"):
                _latest(conn, e.buyer.client_id, kind, f"invoice {e.number}", e.issue_date)
        case CreditNoteIssued() as e:
            if (client_id := _client_of(conn, e.invoice_id)) is not None:
                _add(conn, e.invoice_id, credited=e.total_cents)
                for kind in ("accounting", "vat"):
                    _latest(conn, client_id, kind, f"credit note {e.number}", e.issue_date)
        case PaymentReceived() as e:
            if (client_id := _client_of(conn, e.invoice_id)) is not None:
                _add(conn, e.invoice_id, principal_paid=e.to_principal_cents,
                     claims_paid=e.to_claims_cents)  # fmt: skip
                what = f"payment {e.payment_id} of invoice {e.invoice_id}"
                _latest(conn, client_id, "accounting", what, e.received_on)
        case LateClaimAdded() as e:
            _add(conn, e.invoice_id, claims=e.amount_cents)
        case InvoicePaid() | InvoiceWrittenOff():
            conn.execute(
                "UPDATE client_invoices SET closed = 1 WHERE invoice_id = ?", (event.invoice_id,)
            )
        case PaymentAssigned() as e:
            if (client_id := _client_of(conn, e.invoice_id)) is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO client_payments VALUES (?, ?)", (e.payment_id, client_id)
                )


# -- queries -----------------------------------------------------------------------------------


def client_kind(conn: sqlite3.Connection, client_id: str) -> ClientKind | None:
    row = conn.execute("SELECT company FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    if row is None:
        return None
    return "company" if row[0] else "private"


def client_facts(conn: sqlite3.Connection, client_id: str) -> ClientFacts:
    latest = {
        kind: Fact(what, date.fromisoformat(dated))
        for kind, what, dated in conn.execute(
            "SELECT kind, what, dated FROM client_latest WHERE client_id = ?", (client_id,)
        )
    }
    open_invoice = conn.execute(
        "SELECT number, issue_date FROM client_invoices"
        f" WHERE client_id = ? AND closed = 0 AND {_DUE} > 0"
        " ORDER BY issue_date, number LIMIT 1",
        (client_id,),
    ).fetchone()
    return ClientFacts(
        last_accounting_document=latest.get("accounting"),
        last_vat_document=latest.get("vat"),
        invoice_open=None
        if open_invoice is None
        else Fact(f"invoice {open_invoice[0]} not settled", date.fromisoformat(open_invoice[1])),
    )


def client_documents(
    conn: sqlite3.Connection, client_id: str
) -> tuple[Sequence[str], Sequence[str]]:
    """The ids of the invoices issued to the client, and of the payments assigned to them."""
    invoices = conn.execute(
        "SELECT invoice_id FROM client_invoices WHERE client_id = ? ORDER BY invoice_id",
        (client_id,),
    )
    invoice_ids = [str(row[0]) for row in invoices]
    payments = conn.execute(
        "SELECT payment_id FROM client_payments WHERE client_id = ? ORDER BY payment_id",
        (client_id,),
    )
    return invoice_ids, [str(row[0]) for row in payments]
