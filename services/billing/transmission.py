"""The transmission port and its default adapters: outboxes that answer as the receiver would.

No network call is made. A Peppol access point receives the UBL for a participant id
(`0208:<enterprise number>`); a mailer receives the PDF for an e-mail address. Each adapter
records what it was handed in an outbox table keyed by the delivery id (sending the same
delivery twice records it once), then answers it later the way its real counterpart would on
the checks it can make itself: a participant id that is a valid Belgian enterprise number and a
UBL addressed to it, an address that can receive mail and a body that is a PDF.

A document names its buyer: the outbox keeps it and its recipient sealed with the buyer's key
(`shared.personal`) and opens them only to answer as the receiver, so erasing the buyer erases
the copies kept here too.
"""

from __future__ import annotations

import base64
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from stdnum.be import vat as belgian_vat

from shared.clock import Clock
from shared.events.billing import DeliveryChannel
from shared.personal import current_vault, reveal_text

BELGIAN_SCHEME = "0208"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Outgoing:
    """One document handed over for one delivery."""

    delivery_id: str
    invoice_id: str
    number: str
    recipient: str  # a Peppol participant id or an e-mail address
    body: bytes  # the UBL (Peppol) or the PDF (e-mail)
    filename: str
    subject: str = ""  # whose data the document holds ("client/<id>"), its sealing key


def _sealed(subject: str, text: str) -> str:
    return current_vault().seal(subject, text) if subject else text


def _opened_body(stored: str | bytes) -> bytes:
    if isinstance(stored, bytes):
        return stored
    try:
        return base64.b64decode(reveal_text(stored), validate=True)
    except ValueError:  # erased: nothing of the document is left
        return b""


@dataclass(frozen=True)
class DeliveryAnswer:
    delivery_id: str
    invoice_id: str
    delivered: bool
    reason: str | None
    answered_on: date


class Transmission(Protocol):
    """The port through which invoices and credit notes leave the cooperative."""

    channel: DeliveryChannel

    def send(self, outgoing: Outgoing) -> None:
        """Hand over a document; the same delivery id twice is sent once."""
        ...

    def answers(self) -> list[DeliveryAnswer]:
        """Answers received and not yet acknowledged."""
        ...

    def acknowledge(self, delivery_ids: Sequence[str]) -> None:
        """These answers are recorded: they are not given again."""
        ...

    def close(self) -> None: ...


class _Outbox:
    channel: DeliveryChannel
    table: str

    def __init__(self, db_path: Path | str, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} (delivery_id TEXT PRIMARY KEY,"
            " invoice_id TEXT NOT NULL, number TEXT NOT NULL, recipient TEXT NOT NULL,"
            " body BLOB NOT NULL, filename TEXT NOT NULL, sent_at TEXT NOT NULL,"
            " status TEXT NOT NULL, delivered INTEGER, reason TEXT, answered_on TEXT)"
        )

    def send(self, outgoing: Outgoing) -> None:
        with self._lock:
            self._conn.execute(
                f"INSERT OR IGNORE INTO {self.table} (delivery_id, invoice_id, number, recipient,"
                " body, filename, sent_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'sent')",
                (outgoing.delivery_id, outgoing.invoice_id, outgoing.number,
                 _sealed(outgoing.subject, outgoing.recipient),
                 _sealed(outgoing.subject, base64.b64encode(outgoing.body).decode()),
                 outgoing.filename, self.clock.now().isoformat()),
            )  # fmt: skip

    def answers(self) -> list[DeliveryAnswer]:
        today = self.clock.today()
        with self._lock, self._transaction():
            sent = self._conn.execute(
                f"SELECT delivery_id, recipient, body FROM {self.table} WHERE status = 'sent'"
            ).fetchall()
            for delivery_id, recipient, body in sent:
                refusal = self.refusal(reveal_text(recipient), _opened_body(body))
                self._conn.execute(
                    f"UPDATE {self.table} SET status = 'answered', delivered = ?, reason = ?,"
                    " answered_on = ? WHERE delivery_id = ?",
                    (refusal is None, refusal, today.isoformat(), delivery_id),
                )
            rows = self._conn.execute(
                f"SELECT delivery_id, invoice_id, delivered, reason, answered_on FROM {self.table}"
                " WHERE status = 'answered' ORDER BY rowid"
            ).fetchall()
        return [
            DeliveryAnswer(d, i, bool(ok), reason, date.fromisoformat(on))
            for d, i, ok, reason, on in rows
        ]

    def acknowledge(self, delivery_ids: Sequence[str]) -> None:
        with self._lock, self._transaction():
            self._conn.executemany(
                f"UPDATE {self.table} SET status = 'acknowledged' WHERE delivery_id = ?",
                [(delivery_id,) for delivery_id in delivery_ids],
            )

    def refusal(self, recipient: str, body: bytes) -> str | None:
        """Why the receiver refuses this, or None when it takes it."""
        raise NotImplementedError

    def sent(self, delivery_id: str) -> Outgoing | None:
        """What was handed over for `delivery_id` (for operators and tests)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT delivery_id, invoice_id, number, recipient, body, filename"
                f" FROM {self.table} WHERE delivery_id = ?",
                (delivery_id,),
            ).fetchone()
        if row is None:
            return None
        delivery_id, invoice_id, number, recipient, body, name = row
        return Outgoing(
            delivery_id, invoice_id, number, reveal_text(recipient), _opened_body(body), name
        )

    def count(self, delivery_id: str) -> int:
        with self._lock:
            row = self._conn.execute(
                f"SELECT COUNT(*) FROM {self.table} WHERE delivery_id = ?", (delivery_id,)
            ).fetchone()
        return int(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class OutboxAccessPoint(_Outbox):
    """A Peppol access point: delivers a UBL to a registered participant it is addressed to."""

    channel: DeliveryChannel = "peppol"
    table = "peppol_outbox"

    def refusal(self, recipient: str, body: bytes) -> str | None:
        scheme, _, identifier = recipient.partition(":")
        if scheme != BELGIAN_SCHEME or not belgian_vat.is_valid("BE" + identifier):
            return f"{recipient}: not a Peppol participant (0208 and a valid enterprise number)"
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as error:
            return f"not a UBL document: {error}"
        endpoint = root.find(f"{{{_CAC}}}AccountingCustomerParty//{{{_CBC}}}EndpointID")
        if endpoint is None or f"{endpoint.get('schemeID')}:{endpoint.text}" != recipient:
            return f"the UBL is not addressed to {recipient}"
        return None


class OutboxMailer(_Outbox):
    """An e-mail relay: sends the PDF to an address that can receive mail."""

    channel: DeliveryChannel = "email"
    table = "email_outbox"

    def refusal(self, recipient: str, body: bytes) -> str | None:
        if not _ADDRESS.fullmatch(recipient):
            return f"{recipient or 'no address'}: not an e-mail address"
        if not body.startswith(b"%PDF-"):
            return "the attachment is not a PDF"
        return None
