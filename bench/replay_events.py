"""Realistic events for the replay bench: the log the system writes for one prestation's life,
copied with fresh ids.

The payloads are those the embedded app wrote for the worked example of DOMAIN.md §2 (a
member, a client, a prestation of two days at €500 encoded, its DIMONA declared and accepted,
the quote accepted, the invoice issued, numbered and delivered, the salary scheduled); every
copy is checked against the current event models before anything is written. Each member
holds `PRESTATIONS_PER_MEMBER` prestations and each client `PRESTATIONS_PER_CLIENT`, so the
log has about 11.4 events per prestation, of 14 types; `contracts_views` folds 7 of them, 46 %
of the events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events.base import event_class
from shared.events.catalog import load_contexts
from shared.eventstore.codec import new_event_id
from shared.eventstore.port import ANY, NO_STREAM, AppendRequest, EventStore, NewEvent
from shared.unique import unique_uuid4

PRESTATIONS_PER_MEMBER = 10
PRESTATIONS_PER_CLIENT = 5
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NUMBERS_STREAM = "invoicenumbers-2026"
DAYS = [{"date": "2026-03-10", "hours": "8.00"}, {"date": "2026-03-11", "hours": "8.00"}]
AMOUNTS = {"amount_excl_vat_cents": 100000, "vat_rate": "21", "vat_cents": 21000,
           "total_cents": 121000}  # fmt: skip
SALARY = {"amount_excl_vat_cents": 100000, "fee_cents": 6500, "expenses_cents": 0,
          "budget_cents": 93500, "gross_cents": 63924, "employer_contributions_cents": 18640,
          "holiday_contributions_cents": 10936, "employee_contributions_cents": 9023,
          "taxable_cents": 54901, "withholding_cents": 12078, "net_cents": 42823}  # fmt: skip
ESTIMATE = {"amount_excl_vat_cents": 100000, "vat_cents": 21000, "total_cents": 121000,
            **{k: v for k, v in SALARY.items() if k != "amount_excl_vat_cents"}}  # fmt: skip
BUYER = {"client_id": "@C@", "name": "Théâtre du Parc", "street": None, "postal_code": None,
         "city": None, "country": "BE", "vat_number": "BE0123456749",
         "enterprise_number": "0123456749", "email": "billing@parc.example.be",
         "kind": "business"}  # fmt: skip

Written = list[tuple[str, str, str, dict[str, Any]]]
# (stream, type, actor, data): @M@ member, @C@ client, @P@ prestation, @S@ salary ids;
# @SEQ@ the invoice's sequence number and @NUM@ the same on six digits.
MEMBER: Written = [
    ("member-@M@", "MemberRegistered", "admin:admin", {
        "member_id": "@M@", "first_name": "Ana", "last_name": "Peeters",
        "email": "ana.peeters@example.be", "niss": "85073003328", "iban": "BE71096123456769",
        "bic": "GKCCBEBB", "gender": "F", "address": None, "registered_on": "2026-03-02"}),
]  # fmt: skip
CLIENT: Written = [
    ("client-@C@", "ClientRegistered", "admin:admin", {
        "client_id": "@C@", "name": "Théâtre du Parc", "email": "billing@parc.example.be",
        "country": "BE", "vat_number": "BE0123456749", "address": None,
        "registered_on": "2026-03-02", "member_id": None}),
]  # fmt: skip
FIRST_FREE_USE: Written = [
    ("member-@M@", "FreePrestationUsed", "admin:admin", {
        "member_id": "@M@", "prestation_id": "@P@", "year": 2026, "use_number": 1}),
]  # fmt: skip
PRESTATION: Written = [
    ("prestation-@P@", "PrestationEncoded", "admin:admin", {
        "prestation_id": "@P@", "member_id": "@M@", "client_id": "@C@", "quote_id": "Q@P@",
        "contract_id": "C@P@", "description": "Two concerts", "days": DAYS,
        "first_day": "2026-03-10", "last_day": "2026-03-11", **AMOUNTS, "expenses": [],
        "expenses_cents": 0, "withholding_rate": "22", "encoded_on": "2026-03-02"}),
    ("prestation-@P@", "QuoteIssued", "admin:admin", {
        "quote_id": "Q@P@", "prestation_id": "@P@", "member_id": "@M@", "client_id": "@C@",
        "description": "Two concerts", "days": DAYS, **AMOUNTS, "payment_term_days": 10,
        "valid_until": "2026-03-10",
        "acceptance_token_sha256": "725e12004f00e1dd3843348adcea0a1a"
                                   "2c413d25f2649d63d3a39658f0759c6d",
        "issued_on": "2026-03-02"}),
    ("prestation-@P@", "EmploymentContractDrawnUp", "admin:admin", {
        "contract_id": "C@P@", "prestation_id": "@P@", "member_id": "@M@",
        "niss": "85073003328", "description": "Two concerts", "days": DAYS,
        "less_than_a_day": False, "gross_per_day_cents": 31962, "daily_minimum_cents": 9942,
        "hourly_minimum": "13.0816", "withholding_rate": "22",
        "salary_estimate": ESTIMATE, "drawn_up_on": "2026-03-02"}),
    ("prestation-@P@", "DimonaDeclared", "admin:admin", {
        "declaration_id": "D@P@-1", "prestation_id": "@P@", "contract_id": "C@P@",
        "kind": "IN", "refers_to_declaration_id": None, "hours_per_day": None,
        "payload": {"employer": {"employerId": 503721864, "enterpriseNumber": "0123456749"},
                    "worker": {"ssin": "85073003328"},
                    "dimonaIn": {"startDate": "2026-03-10", "endDate": "2026-03-11",
                                 "features": {"jointCommissionNumber": "322",
                                              "workerType": "OTH"}}},
        "declared_on": "2026-03-02", "member_id": "@M@"}),
    ("prestation-@P@", "DimonaAccepted", "system:onss", {
        "declaration_id": "D@P@-1", "prestation_id": "@P@", "result": "A",
        "period_id": 605503335154, "anomalies": [], "answered_on": "2026-03-02"}),
    ("prestation-@P@", "QuoteAccepted", "client", {
        "quote_id": "Q@P@", "prestation_id": "@P@", "contract_id": "C@P@", "member_id": "@M@",
        "client_id": "@C@", "accepted_by": "client", "accepted_on": "2026-03-02",
        "description": "Two concerts", "days": DAYS, "first_day": "2026-03-10",
        "last_day": "2026-03-11", **AMOUNTS, "expenses": [], "expenses_cents": 0,
        "withholding_rate": "22", "payment_term_days": 10}),
    ("invoice-I@P@", "InvoiceIssued", "system:billing", {
        "invoice_id": "I@P@", "number": "2026-@NUM@", "issue_date": "2026-03-02",
        "due_date": "2026-03-12", "payment_term_days": 10, "prestation_id": "@P@",
        "quote_id": "Q@P@", "member_id": "@M@", "buyer": BUYER,
        "lines": [{"description": "Two concerts", "days": DAYS,
                   "amount_excl_vat_cents": 100000, "vat_category": "S", "vat_rate": "21"}],
        "vat_breakdown": [{"category": "S", "rate": "21", "taxable_cents": 100000,
                           "vat_cents": 21000, "exemption_reason": None}],
        "amount_excl_vat_cents": 100000, "vat_cents": 21000, "total_cents": 121000,
        "structured_reference": "+++202/6000/00192+++", "legal_mentions": [],
        "service_first_day": "2026-03-10", "service_last_day": "2026-03-11"}),
    (NUMBERS_STREAM, "InvoiceNumberAssigned", "system:billing", {
        "year": 2026, "sequence": "@SEQ@", "number": "2026-@NUM@", "invoice_id": "I@P@",
        "issue_date": "2026-03-02"}),
    ("invoice-I@P@", "InvoiceDeliveryRequested", "system:billing-delivery", {
        "invoice_id": "I@P@", "delivery_id": "DI@P@", "channel": "peppol",
        "recipient": "0208:0123456749", "requested_on": "2026-03-02"}),
    ("invoice-I@P@", "InvoiceDelivered", "system:billing-delivery", {
        "invoice_id": "I@P@", "delivery_id": "DI@P@", "delivered_on": "2026-03-02"}),
    ("salary-S@S@", "SalaryScheduled", "system:payroll", {
        "salary_id": "S@S@", "prestation_id": "@P@", "contract_id": "C@P@", "quote_id": "Q@P@",
        "member_id": "@M@", "client_id": "@C@", "days": DAYS, "first_day": "2026-03-10",
        "last_day": "2026-03-11", "deadline": "2026-03-19", "pay_on": "2026-03-19",
        **SALARY, "net_to_pay_cents": 42823, "withholding_rate": "22",
        "differs_from_estimate": False, "scheduled_on": "2026-03-02"}),
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Template:
    stream: str
    type: str
    actor: str
    data: str  # compact JSON with the placeholders, as the codec writes it
    schema_version: str


def _compiled(events: Written) -> list[_Template]:
    load_contexts()  # every event model registered
    found = []
    for stream, event_type, actor, data in events:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        text = text.replace('"@SEQ@"', "@SEQ@")  # a number in the JSON
        version = str(event_class(event_type).schema_version)
        found.append(_Template(stream, event_type, actor, text, version))
    return found


_MEMBER, _CLIENT = _compiled(MEMBER), _compiled(CLIENT)
_FIRST_FREE_USE, _PRESTATION = _compiled(FIRST_FREE_USE), _compiled(PRESTATION)


def _filled(text: str, ids: dict[str, str]) -> str:
    for placeholder, value in ids.items():
        text = text.replace(placeholder, value)
    return text


_RUN = unique_uuid4().hex  # ids differ from one run to the next, as the system's do


def _party_id(kind: str, number: int) -> str:
    """The same id for every prestation of one member (or client)."""
    return hashlib.blake2b(f"{_RUN}/{kind}/{number}".encode(), digest_size=16).hexdigest()


def _one_copy(n: int) -> list[tuple[str, NewEvent]]:
    """The events of prestation number `n` (and of its member and client when it is their
    first), in the order the system writes them."""
    member, client = n // PRESTATIONS_PER_MEMBER, n // PRESTATIONS_PER_CLIENT
    ids = {
        "@M@": _party_id("member", member),
        "@C@": _party_id("client", client),
        "@P@": unique_uuid4().hex,
        "@S@": unique_uuid4().hex,
        "@SEQ@": str(n + 1),
        "@NUM@": f"{n + 1:06d}",
    }
    templates = []
    if n % PRESTATIONS_PER_MEMBER == 0:
        templates += _MEMBER
    if n % PRESTATIONS_PER_CLIENT == 0:
        templates += _CLIENT
    templates += _PRESTATION[:4]
    if n % PRESTATIONS_PER_MEMBER == 0:
        templates += _FIRST_FREE_USE
    templates += _PRESTATION[4:]
    occurred = (EPOCH + timedelta(seconds=30 * n)).isoformat()
    correlation = unique_uuid4().hex
    found = []
    for template in templates:
        metadata = (f'{{"correlation_id": "{correlation}", "causation_id": "{correlation}", '
                    f'"actor": "{template.actor}", "occurred_at": "{occurred}", '
                    f'"schema_version": "{template.schema_version}"}}')  # fmt: skip
        data = _filled(template.data, ids).encode()
        stream = _filled(template.stream, ids)
        found.append((stream, NewEvent(new_event_id(), template.type, data, metadata.encode())))
    return found


def check_against_the_models() -> None:
    """Every template event, filled in, is a valid event of the current models."""
    for stream, recorded in _one_copy(0):
        event_class(recorded.type).model_validate_json(recorded.data)
        assert "@" not in stream and b"@M@" not in recorded.data, stream


def chunks(total: int, per_call: int) -> Iterator[list[AppendRequest]]:
    """`total` events in appends of about `per_call` events: one request per stream, the
    shared numbering stream last."""
    written, n = 0, 0
    while written < total:
        by_stream: dict[str, list[NewEvent]] = {}
        numbers: list[NewEvent] = []
        size = 0
        while size < per_call and written + size < total:
            for stream, new in _one_copy(n)[: total - written - size]:
                if stream == NUMBERS_STREAM:
                    numbers.append(new)
                else:
                    by_stream.setdefault(stream, []).append(new)
                size += 1
            n += 1
        requests = [AppendRequest(s, events, NO_STREAM) for s, events in by_stream.items()]
        if numbers:
            requests.append(AppendRequest(NUMBERS_STREAM, numbers, ANY))
        yield requests
        written += size


def write(
    store: EventStore, total: int, per_call: int = 5000, told: Callable[[int], None] = print
) -> int:
    """Appends `total` events with the store's batch append; the head after."""
    check_against_the_models()
    head = store.head()
    for requests in chunks(total, per_call):
        head = store.append_many(requests).position
        told(sum(len(r.events) for r in requests))
    return head
