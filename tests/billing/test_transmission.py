"""Sending invoices and credit notes: the outbox adapters answer as their receivers would, an
issued invoice goes out through the right channel by itself, its delivery status reaches the
invoice, a redelivered event or a failed attempt sends it once, and a UBL that fails the
Peppol rules (or cannot be checked) is not sent but failed, with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.billing.delivery import delivery_id_of, route
from services.billing.peppol import PeppolValidator, render_ubl
from services.billing.peppol import ubl as ubl_module
from services.billing.publishing import Publisher
from services.billing.transmission import (
    DeliveryAnswer,
    OutboxAccessPoint,
    OutboxMailer,
    Outgoing,
    Transmission,
)
from shared.clock import SystemClock
from shared.events.billing import BuyerSnapshot
from shared.eventstore.codec import decode
from tests.api.api_client import Api
from tests.billing.peppol.documents import belgian_business, invoice, small_pdf
from tests.billing.test_documents_api import (
    FRENCH_CLIENT,
    RULES,
    app_with_rules,
    billing,
    issued_invoice,
    needs_rules,
)

DEADLINE = 10.0
CLOCK = SystemClock(lambda: datetime(2026, 3, 16, 9, 30, tzinfo=UTC))


def outgoing(delivery_id: str, recipient: str, body: bytes) -> Outgoing:
    return Outgoing(delivery_id, "I-test", "2026-000123", recipient, body, "facture.xml")


# -- the adapters ----------------------------------------------------------------------------


def test_the_access_point_delivers_a_ubl_to_the_participant_it_is_addressed_to(
    tmp_path: Path,
) -> None:
    point = OutboxAccessPoint(tmp_path / "outbox.sqlite", CLOCK)
    ubl = render_ubl(invoice(belgian_business("0403170701")), small_pdf())
    point.send(outgoing("D1", "0208:0403170701", ubl))
    point.send(outgoing("D1", "0208:0403170701", b"a second attempt changes nothing"))
    point.send(outgoing("D2", "0208:0403170702", ubl))  # not a valid enterprise number
    point.send(outgoing("D3", "0208:0202239951", ubl))  # valid, but the UBL is for another
    point.send(outgoing("D4", "0208:0403170701", b"<not xml"))
    assert point.count("D1") == 1
    sent = point.sent("D1")
    assert sent is not None and sent.body == ubl
    answers = {answer.delivery_id: answer for answer in point.answers()}
    assert answers["D1"] == DeliveryAnswer("D1", "I-test", True, None, date(2026, 3, 16))
    assert not answers["D2"].delivered and "not a Peppol participant" in str(answers["D2"].reason)
    assert "not addressed to 0208:0202239951" in str(answers["D3"].reason)
    assert "not a UBL document" in str(answers["D4"].reason)
    point.acknowledge(["D1", "D2"])
    assert sorted(answer.delivery_id for answer in point.answers()) == ["D3", "D4"]
    assert point.sent("nothing") is None
    point.close()


def test_the_mailer_sends_a_pdf_to_an_address(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path / "outbox.sqlite", CLOCK)
    mailer.send(outgoing("D1", "compta@garance.example", small_pdf()))
    mailer.send(outgoing("D2", "", small_pdf()))
    mailer.send(outgoing("D3", "compta@garance.example", b"<html>"))
    answers = {answer.delivery_id: answer for answer in mailer.answers()}
    assert answers["D1"].delivered and answers["D1"].reason is None
    assert answers["D2"].reason == "no address: not an e-mail address"
    assert answers["D3"].reason == "the attachment is not a PDF"
    mailer.close()


def test_both_adapters_are_the_transmission_port(tmp_path: Path) -> None:
    adapters: list[Transmission] = [
        OutboxAccessPoint(tmp_path / "o.sqlite", CLOCK),
        OutboxMailer(tmp_path / "o.sqlite", CLOCK),
    ]
    assert [adapter.channel for adapter in adapters] == ["peppol", "email"]


def snapshot(**changes: object) -> BuyerSnapshot:
    fields: dict[str, Any] = {
        "client_id": "c1", "name": "X", "street": None, "postal_code": None, "city": None,
        "country": "BE", "vat_number": "BE0403170701", "enterprise_number": "0403170701",
        "email": "ap@x.example", "kind": "business",
    }  # fmt: skip
    return BuyerSnapshot(**(fields | changes))


def test_belgian_vat_registered_clients_go_through_peppol_others_by_email() -> None:
    assert route(snapshot()) == ("peppol", "0208:0403170701")
    private = snapshot(vat_number=None, enterprise_number=None, kind="private")
    assert route(private) == ("email", "ap@x.example")
    french = snapshot(country="FR", vat_number="FR40303265045", enterprise_number=None)
    assert route(french) == ("email", "ap@x.example")
    assert route(snapshot(vat_number=None, enterprise_number=None, email=None)) == ("email", "")


# -- through the embedded app ----------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with app_with_rules(tmp_path_factory.mktemp("transmission")) as api:
        yield api


@pytest.fixture(scope="module")
def rules_validator() -> PeppolValidator:
    return PeppolValidator.from_directory(RULES)


def delivered(api: Api, invoice_id: str, delivery_id: str | None = None) -> dict[str, Any]:
    """The delivery once answered (the poller answers within a second; this nudges it)."""
    delivery_id = delivery_id or delivery_id_of(invoice_id)
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        billing(api).delivery.record_answers()
        body = api.get(f"/v1/invoices/{invoice_id}")
        found = [d for d in body["deliveries"] if d["delivery_id"] == delivery_id]
        if found and found[0]["status"] != "pending":
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} not answered after {DEADLINE} s")


def events_of(api: Api, invoice_id: str) -> list[str]:
    return [type(decode(r).event).__name__ for r in api.store.read_stream(f"invoice-{invoice_id}")]


@needs_rules
def test_a_belgian_b2b_invoice_goes_by_peppol_and_its_status_reaches_the_invoice(
    api: Api, rules_validator: PeppolValidator
) -> None:
    invoice, _ = issued_invoice(api)
    invoice_id = invoice["invoice_id"]
    delivery = delivered(api, invoice_id)
    assert (delivery["channel"], delivery["recipient"], delivery["status"]) == (
        "peppol", "0208:0123456749", "delivered",
    )  # fmt: skip
    assert api.get(f"/v1/invoices/{invoice_id}")["delivery"] == delivery
    sent = billing(api).access_point.sent(delivery_id_of(invoice_id))
    assert sent is not None and sent.number == invoice["number"]
    assert rules_validator.validate(sent.body).ok
    assert b"EmbeddedDocumentBinaryObject" in sent.body
    assert billing(api).mailer.sent(delivery_id_of(invoice_id)) is None


def test_a_private_client_gets_the_pdf_by_email(api: Api) -> None:
    invoice, _ = issued_invoice(api, vat_number=None, email="camille@example.org")
    delivery = delivered(api, invoice["invoice_id"])
    assert (delivery["channel"], delivery["recipient"], delivery["status"]) == (
        "email", "camille@example.org", "delivered",
    )  # fmt: skip
    sent = billing(api).mailer.sent(delivery["delivery_id"])
    assert sent is not None and sent.body.startswith(b"%PDF-")
    assert sent.filename == f"facture-{invoice['number']}.pdf"


def test_an_eu_business_client_gets_the_pdf_by_email(api: Api) -> None:
    invoice, _ = issued_invoice(api, **FRENCH_CLIENT)
    delivery = delivered(api, invoice["invoice_id"])
    assert (delivery["channel"], delivery["recipient"]) == ("email", FRENCH_CLIENT["email"])


@needs_rules
def test_a_credit_note_is_sent_too(api: Api) -> None:
    invoice, _ = issued_invoice(api)
    note = api.post(f"/v1/invoices/{invoice['invoice_id']}/credit-notes", {"reason": "annulé"},
                    status=201)  # fmt: skip
    delivery = delivered(api, invoice["invoice_id"], delivery_id_of(note["credit_note_id"]))
    assert (delivery["channel"], delivery["status"]) == ("peppol", "delivered")
    sent = billing(api).access_point.sent(delivery["delivery_id"])
    assert sent is not None and b"<cbc:CreditNoteTypeCode>381<" in sent.body


@needs_rules
def test_a_redelivered_event_sends_once(api: Api) -> None:
    invoice, _ = issued_invoice(api)
    invoice_id = invoice["invoice_id"]
    delivered(api, invoice_id)
    issued = decode(api.store.read_stream(f"invoice-{invoice_id}")[0])
    relay = billing(api).delivery
    relay.react(issued)
    relay.react(issued)
    relay.record_answers()
    assert billing(api).access_point.count(delivery_id_of(invoice_id)) == 1
    kinds = events_of(api, invoice_id)
    assert kinds.count("InvoiceDeliveryRequested") == 1 and kinds.count("InvoiceDelivered") == 1


class FlakyAccessPoint:
    """Fails the first send, as a process dying between the request and the send would."""

    def __init__(self, inner: OutboxAccessPoint) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.failures = 0

    def send(self, outgoing: Outgoing) -> None:
        if self.failures == 0:
            self.failures += 1
            raise ConnectionError("access point unreachable")
        self.inner.send(outgoing)

    def answers(self) -> list[DeliveryAnswer]:
        return self.inner.answers()

    def acknowledge(self, delivery_ids: Any) -> None:
        self.inner.acknowledge(delivery_ids)

    def close(self) -> None:
        self.inner.close()


@needs_rules
def test_a_send_that_fails_half_way_is_retried_into_one_delivery(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = billing(api).delivery
    flaky = FlakyAccessPoint(billing(api).access_point)
    monkeypatch.setitem(relay.transmissions, "peppol", flaky)
    invoice, _ = issued_invoice(api)
    delivery = delivered(api, invoice["invoice_id"])
    assert delivery["status"] == "delivered" and flaky.failures == 1
    assert billing(api).access_point.count(delivery["delivery_id"]) == 1
    assert events_of(api, invoice["invoice_id"]).count("InvoiceDeliveryRequested") == 1


@needs_rules
def test_a_ubl_failing_the_rules_is_not_sent_and_the_delivery_fails_with_the_rules(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ubl_module.render_ubl

    def wrong_total(document: Any, pdf: bytes | None = None) -> bytes:
        return real(document, pdf).replace(b"</cbc:PayableAmount>", b"1</cbc:PayableAmount>")

    monkeypatch.setattr(ubl_module, "render_ubl", wrong_total)
    invoice, _ = issued_invoice(api)
    delivery = delivered(api, invoice["invoice_id"])
    assert delivery["status"] == "failed"
    assert "UBL refused by validation" in delivery["detail"] and "BR-CO-16" in delivery["detail"]
    assert billing(api).access_point.sent(delivery["delivery_id"]) is None


def test_without_rules_a_peppol_delivery_fails_saying_so(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(billing(api).delivery, "publisher", Publisher(None))
    invoice, _ = issued_invoice(api)
    delivery = delivered(api, invoice["invoice_id"])
    assert delivery["status"] == "failed" and "COOP_PEPPOL_RULES is not set" in delivery["detail"]
    assert billing(api).access_point.sent(delivery["delivery_id"]) is None
