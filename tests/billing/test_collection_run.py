"""The daily collection run over the embedded app, day after simulated day (the clock set with
`PUT /v1/ops/clock`): reminders 1, 2, 3 and the formal notice on the days of the schedule
(due + 1, + 15, + 30, + 45), B2B interest and the €40 claimed on the invoice, a private
client's first reminder free; running a day twice sends nothing twice.

The figures are worked out by hand from `parameters.toml`: 2026 H1 rate 10.5 %, flat fee
€40, damages €65 + 5 % above €500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from services.billing.app import BillingService
from services.billing.collection_run import CollectionRun, principal_changes
from services.billing.domain.invoice import Invoice
from services.billing.projections import overdue_invoice_ids
from shared.events.billing import LateClaimAdded, ReminderSent
from shared.eventstore.codec import decode
from tests.api.api_client import TODAY, Api
from tests.api.conftest import running_app
from tests.billing.test_billing_api import accepted_invoice

DUE = date(2026, 3, 12)  # TODAY + 10
TOTAL = 121_000


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("collection")) as api:
        api.set_today(TODAY)
        yield api


def collection(api: Api) -> CollectionRun:
    service = api.app.state.billing_service
    assert isinstance(service, BillingService) and service.collection is not None
    return service.collection


def run_days(api: Api, first: date, last: date) -> dict[date, list[str]]:
    """Each day from `first` to `last`: the clock moves, the run runs twice."""
    sent: dict[date, list[str]] = {}
    day = first
    while day <= last:
        api.set_today(day)
        today = collection(api).run_once()
        assert collection(api).run_once() == [], f"a second run on {day} sent again"
        if today:
            sent[day] = today
        day += timedelta(days=1)
    return sent


def reminders_of(api: Api, invoice_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/invoices/{invoice_id}/reminders")["items"]
    return items


def interest(cents: int, days: int, rate: str = "10.5") -> int:
    exact = Decimal(cents) * Decimal(rate) / 100 * days / 365
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_a_business_invoice_gets_reminders_on_schedule_with_interest_and_the_flat_fee(
    api: Api,
) -> None:
    invoice, _ = accepted_invoice(api)
    invoice_id = invoice["invoice_id"]
    assert invoice["due_date"] == DUE.isoformat()
    sent = run_days(api, DUE, DUE + timedelta(days=60))
    assert {day: len(ids) for day, ids in sent.items()} == {
        DUE + timedelta(days=1): 1,
        DUE + timedelta(days=15): 1,
        DUE + timedelta(days=30): 1,
        DUE + timedelta(days=45): 1,
    }
    reminders = reminders_of(api, invoice_id)
    assert [(r["level"], r["formal_notice"]) for r in reminders] == [
        (1, False), (2, False), (3, False), (4, True),
    ]  # fmt: skip
    first = reminders[0]
    assert first["pay_by"] == (DUE + timedelta(days=11)).isoformat()
    assert {c["kind"]: c["amount_cents"] for c in first["claims"]} == {
        "interest": interest(TOTAL, 1),
        "flat_fee": 4000,
    }
    # each later reminder claims the interest since the previous one: the sum is exact
    body = api.get(f"/v1/invoices/{invoice_id}")
    claimed = [c for c in body["claims"] if c["kind"] == "interest"]
    assert sum(c["amount_cents"] for c in claimed) == interest(TOTAL, 45)
    assert [c["kind"] for c in body["claims"]].count("flat_fee") == 1
    claims = interest(TOTAL, 45) + 4000
    assert body["claims_cents"] == claims
    assert body["paid_cents"] + body["outstanding_cents"] == TOTAL + claims
    assert reminders[-1]["outstanding_cents"] == TOTAL + claims

    # a payment goes to the claims first; once everything is paid, no reminder follows
    paid = {"invoice_id": invoice_id, "amount_cents": TOTAL, "received_on": "2026-05-11"}
    api.post("/v1/payments", paid, status=201)
    after = api.get(f"/v1/invoices/{invoice_id}")
    assert after["outstanding_cents"] == claims and after["status"] == "overdue"
    rest = {"invoice_id": invoice_id, "amount_cents": claims, "received_on": "2026-05-11"}
    api.post("/v1/payments", rest, status=201)
    assert api.get(f"/v1/invoices/{invoice_id}")["status"] == "paid"
    assert run_days(api, date(2026, 5, 12), date(2026, 5, 14)) == {}


def test_a_private_client_s_first_reminder_is_free_and_gives_14_days(api: Api) -> None:
    invoice, _ = accepted_invoice(api, vat_number=None)
    invoice_id = invoice["invoice_id"]
    assert (invoice["vat_cents"], invoice["total_cents"]) == (21_000, TOTAL)
    sent = run_days(api, DUE, DUE + timedelta(days=50))
    reminders = reminders_of(api, invoice_id)
    first = reminders[0]
    assert (first["level"], first["sent_on"], first["claims"]) == (1, "2026-03-13", [])
    # by e-mail: the 14 days run from the day after, 14 March to 27 March included
    assert first["pay_by"] == "2026-03-27"
    second = reminders[1]
    assert second["sent_on"] == "2026-03-28"  # the schedule's due + 15 waits for the 14 days
    assert {c["kind"]: c["amount_cents"] for c in second["claims"]} == {
        "interest": interest(TOTAL, 1),
        "damages": 6500 + (TOTAL - 50_000) * 5 // 100,
    }
    assert all(c["kind"] != "flat_fee" for c in api.get(f"/v1/invoices/{invoice_id}")["claims"])
    assert len(sent) == len(reminders) and reminders[-1]["formal_notice"] is True


def test_collection_events_are_recorded_once_and_the_run_reports(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    head = api.store.head()
    run_days(api, DUE + timedelta(days=1), DUE + timedelta(days=1))
    collection(api).run_once()
    recorded = [decode(r).event for r in api.store.read_all(head)]
    assert [type(e) for e in recorded if isinstance(e, ReminderSent | LateClaimAdded)] == [
        LateClaimAdded, LateClaimAdded, ReminderSent,
    ]  # fmt: skip
    status = collection(api).status()["collection"]
    assert isinstance(status, dict) and status["last_day"] == "2026-03-13"
    assert status["sent_total"] == 1
    assert invoice["invoice_id"] in {e.invoice_id for e in recorded if isinstance(e, ReminderSent)}


def test_the_principal_history_follows_payments_and_credit_notes(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    invoice_id = invoice["invoice_id"]
    part = {"invoice_id": invoice_id, "amount_cents": 21_000, "received_on": "2026-03-20"}
    api.post("/v1/payments", part, status=201)
    api.post(
        f"/v1/invoices/{invoice_id}/credit-notes",
        {"reason": "un jour de moins", "amount_excl_vat_cents": 50_000},
        status=201,
    )
    service = api.app.state.billing_service
    assert isinstance(service, BillingService)
    state = service.runtime.handlers.invoice(invoice_id).state
    assert isinstance(state, Invoice)
    credited = 50_000 + 10_500  # the credit note with its VAT, dated the issue day
    assert principal_changes(state) == [
        (TODAY, TOTAL - credited),
        (date(2026, 3, 20), TOTAL - credited - 21_000),
    ]


def test_a_member_sees_the_reminders_of_its_own_invoices_only(api: Api) -> None:
    invoice, member = accepted_invoice(api)
    path = f"/v1/invoices/{invoice['invoice_id']}/reminders"
    own = api.get(path, key=api.member_key(member["member_id"]))
    assert own == {"invoice_id": invoice["invoice_id"], "items": []}
    other = api.register_member()
    assert api.request("GET", path, key=api.member_key(other["member_id"])).status_code == 404


def test_the_scheduler_runs_by_itself_when_the_clock_s_date_changes(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    service = api.app.state.billing_service
    assert isinstance(service, BillingService)
    fast = CollectionRun(
        service.runtime.handlers, service.runtime.views, overdue_invoice_ids, interval=0.02
    )
    fast.start()
    try:
        api.set_today(DUE + timedelta(days=1))
        deadline = time.monotonic() + 10
        while not reminders_of(api, invoice["invoice_id"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r["level"] for r in reminders_of(api, invoice["invoice_id"])] == [1]
        time.sleep(0.1)  # more ticks the same day: nothing more
        assert len(reminders_of(api, invoice["invoice_id"])) == 1
    finally:
        fast.stop()
    status = fast.status()["collection"]
    assert isinstance(status, dict) and status["sent_total"] == 1
