"""Invoice numbers on the real SQLite store: no gap and no duplicate with 8 writers racing,
and one invoice per accepted quote when the acceptance is delivered twice."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from services.billing.handlers import BillingHandlers
from services.billing.ids import invoice_numbers_stream, invoice_stream
from services.billing.reactions import InvoicingPolicy
from shared.clock import SimulatedClock
from shared.events.base import Context, Envelope, Metadata
from shared.events.billing import InvoiceIssued, InvoiceNumberAssigned
from shared.events.contracts import ClientRegistered, QuoteAccepted
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import NO_STREAM, WrongExpectedVersion
from shared.eventstore.sqlite import SQLiteEventStore
from tests.billing.builders import ISSUE_DATE, accepted

WRITERS = 8


def setup(tmp_path: Path) -> tuple[SQLiteEventStore, BillingHandlers]:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    clock = SimulatedClock(store)
    clock.set_today(ISSUE_DATE)
    client = ClientRegistered(
        client_id="c1", name="Théâtre Exemple SRL", email="t@example.be", country="BE",
        vat_number="BE0123456749", address="Rue Haute 12, 1000 Bruxelles",
        registered_on=ISSUE_DATE,
    )  # fmt: skip
    store.append("client-c1", to_new_events([client], Context.new("test")), NO_STREAM)
    return store, BillingHandlers(store, clock)


def numbers(store: SQLiteEventStore) -> list[InvoiceNumberAssigned]:
    events = [decode(r).event for r in store.read_stream(invoice_numbers_stream(2026))]
    return [e for e in events if isinstance(e, InvoiceNumberAssigned)]


def test_eight_writers_racing_take_numbers_without_gap_or_duplicate(tmp_path: Path) -> None:
    store, handlers = setup(tmp_path)
    quotes = [accepted(prestation=uuid.uuid4().hex) for _ in range(WRITERS * 3)]
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def issue(mine: list[QuoteAccepted]) -> None:
        start.wait()
        for quote in mine:
            while True:  # what the reaction runner does when the bounded retries run out
                try:
                    handlers.issue_for_quote(quote, Context.new("test"))
                    break
                except WrongExpectedVersion:
                    continue
                except BaseException as error:  # reported to the test thread
                    failures.append(error)
                    return

    threads = [threading.Thread(target=issue, args=(quotes[i::WRITERS],)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assigned = numbers(store)
    assert [n.sequence for n in assigned] == list(range(1, len(quotes) + 1))
    assert len({n.invoice_id for n in assigned}) == len(quotes)
    for n in assigned:
        (recorded,) = store.read_stream(invoice_stream(n.invoice_id))
        invoice = decode(recorded).event
        assert isinstance(invoice, InvoiceIssued) and invoice.number == n.number


def envelope_of(event: QuoteAccepted, position: int) -> Envelope:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    metadata = Metadata(correlation_id="c", causation_id="c", actor="client", occurred_at=now)
    stream = f"prestation-{event.prestation_id}"
    return Envelope(event, uuid.uuid4(), stream, 3, position, metadata, now)


def test_an_acceptance_delivered_twice_makes_one_invoice(tmp_path: Path) -> None:
    store, handlers = setup(tmp_path)
    policy = InvoicingPolicy(handlers, tmp_path / "reactions.sqlite")
    quote = accepted()
    policy.react(envelope_of(quote, 10))
    policy.react(envelope_of(quote, 10))
    policy.react(envelope_of(quote, 11))  # even as another delivery of the same fact
    assert [n.sequence for n in numbers(store)] == [1]
    assert len(store.read_stream(invoice_stream(f"I{quote.prestation_id}"))) == 1


def test_the_billing_container_serves_billing_routes_only(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from services.billing.app import create_app
    from tests.api.api_client import ADMIN_KEY, api_settings

    with TestClient(create_app(api_settings(tmp_path))) as client:
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert client.get("/v1/invoices", headers=auth).status_code == 200
        assert client.get("/v1/invoices/Inothing", headers=auth).status_code == 404
        assert client.get("/v1/members", headers=auth).status_code == 404
