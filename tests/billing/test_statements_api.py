"""POST /v1/bank-statements over the embedded app: the hand-built CODA and camt.053 fixtures
(each version), imported twice, record each payment once; a movement paying an invoice by its
structured reference settles it; the others queue as unmatched; a broken file records nothing.

The fixtures pay "+++202/6000/12320+++" (invoice 2026-000123); each test writes the structured
reference of an invoice it has just issued in its place: the same length in CODA's fixed
columns, so the file stays valid, and its balances are untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.billing.domain.reference import structured_reference
from services.billing.statement_import import movement_key
from shared.events.billing import BankStatementImported, PaymentReceived, UnmatchedPaymentReceived
from shared.eventstore.codec import decode
from shared.personal import reveal
from tests.api.api_client import ADMIN_KEY, TODAY, Api, assert_problem
from tests.api.conftest import running_app
from tests.billing.test_billing_api import accepted_invoice

FIXTURES = Path(__file__).parent / "statements" / "fixtures"
FIXTURE_REFERENCE = "202600012320"
CODA = "text/plain; charset=latin-1"
XML = "application/xml"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("statements")) as api:
        api.set_today(TODAY)
        yield api


def post_statement(api: Api, body: bytes, media_type: str, key: str | None = ADMIN_KEY) -> Any:
    headers = {"Content-Type": media_type}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return api.client.post("/v1/bank-statements", content=body, headers=headers)


def digits(reference: str) -> str:
    return "".join(ch for ch in reference if ch.isdigit())


def fixture_paying(
    api: Api, name: str, placeholder: str = FIXTURE_REFERENCE
) -> tuple[bytes, dict[str, Any]]:
    """The fixture, the credit carrying `placeholder` now paying a fresh invoice of 1,210.00
    (written as the fixture writes it: bare digits, or +++…+++)."""
    invoice, _ = accepted_invoice(api)
    assert invoice["total_cents"] == 121_000
    reference = invoice["structured_reference"]
    body = (FIXTURES / name).read_bytes()
    assert body.count(placeholder.encode()) == 1
    written = reference if placeholder.startswith("+") else digits(reference)
    return body.replace(placeholder.encode(), written.encode()), invoice


def reconciles(statement: dict[str, Any]) -> bool:
    moved = sum(movement["amount_cents"] for movement in statement["movements"])
    return bool(statement["opening_balance_cents"] + moved == statement["closing_balance_cents"])


# What an import records. Other services react to an import meanwhile (the fund to a paid
# invoice, deliveries): the log's head moves, these must not.
BILLING_RECORDS = (BankStatementImported, PaymentReceived, UnmatchedPaymentReceived)


def events_of(api: Api, after: int) -> list[Any]:
    return [decode(r).event for r in api.store.read_all(after)]


@pytest.mark.parametrize(
    ("name", "media_type", "placeholder", "paid_cents"),
    [
        ("coda_simple.txt", CODA, FIXTURE_REFERENCE, 121_000),
        ("camt053_v02.xml", XML, FIXTURE_REFERENCE, 121_000),
        ("camt053_v04.xml", XML, "+++090/9337/55493+++", 60_500),  # half paid
        ("camt053_v08.xml", XML, FIXTURE_REFERENCE, 121_000),
    ],
)
def test_a_statement_imported_twice_pays_its_invoice_once(
    api: Api, name: str, media_type: str, placeholder: str, paid_cents: int
) -> None:
    body, invoice = fixture_paying(api, name, placeholder)
    head = api.store.head()
    first = post_statement(api, body, media_type)
    assert first.status_code == 201, first.text
    answer = first.json()
    statements = answer.get("statements", [answer])
    assert all(reconciles(statement) for statement in statements)
    own = statements[0]
    assert own["account_iban"] == "BE71096123456769" and own["own_account"] is True
    paying = [m for m in own["movements"] if m["matched_invoice_id"] == invoice["invoice_id"]]
    assert len(paying) == 1 and paying[0]["amount_cents"] == paid_cents
    assert paying[0]["structured_reference"] == invoice["structured_reference"]
    paid = api.get(f"/v1/invoices/{invoice['invoice_id']}")
    assert (paid["paid_cents"], paid["outstanding_cents"]) == (paid_cents, 121_000 - paid_cents)
    assert paid["status"] == ("paid" if paid_cents == 121_000 else "issued")
    recorded = events_of(api, head)
    payments = [e for e in recorded if isinstance(e, PaymentReceived)]
    assert [p.payment_id for p in payments] == [paying[0]["payment_id"]]
    assert payments[0].source == "bank-statement"
    # every credit of the own account is a payment: matched or queued, never dropped
    credits = [m for m in own["movements"] if m["amount_cents"] > 0]
    assert all(m["payment_id"] is not None for m in credits)
    assert all(m["payment_id"] is None for m in own["movements"] if m["amount_cents"] < 0)
    queued = {e.payment_id for e in recorded if isinstance(e, UnmatchedPaymentReceived)}
    assert queued == {m["payment_id"] for m in credits if m["matched_invoice_id"] is None}

    head = api.store.head()
    again = post_statement(api, body, media_type)
    assert again.status_code == 200, again.text
    assert again.json() == answer
    again_recorded = [e for e in events_of(api, head) if isinstance(e, BILLING_RECORDS)]
    assert again_recorded == [], "a second import records nothing"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Api]:
    """An app of its own: the module's has imported every fixture's statement already."""
    with running_app(tmp_path) as api:
        api.set_today(TODAY)
        yield api


def test_unmatched_credits_reach_the_queue_with_their_communication(fresh: Api) -> None:
    api = fresh
    body = (FIXTURES / "camt053_v04.xml").read_bytes()
    head = api.store.head()
    answer = post_statement(api, body, XML).json()
    assert reconciles(answer) and answer["opening_balance_cents"] == -1000
    (credit,) = [m for m in answer["movements"] if m["amount_cents"] > 0]
    assert credit["matched_invoice_id"] is None
    (queued,) = [e for e in events_of(api, head) if isinstance(e, UnmatchedPaymentReceived)]
    assert (queued.payment_id, queued.amount_cents) == (credit["payment_id"], 60_500)
    assert queued.structured_reference == "+++090/9337/55493+++"
    # Stored sealed (a payer's name is personal data), it opens to what the statement said.
    assert queued.counterparty_name != "Société Générale d'Électricité"
    assert reveal(queued.counterparty_name) == "Société Générale d'Électricité"
    assert queued.source == "bank-statement"
    listed = api.get("/v1/payments", params={"status": "unmatched", "min_position": head + 1})
    assert credit["payment_id"] in [item["payment_id"] for item in listed["items"]]
    assigned_to = accepted_invoice(api)[0]["invoice_id"]
    assign = api.post(
        f"/v1/payments/{credit['payment_id']}/assign", {"invoice_id": assigned_to}, status=200
    )
    assert assign["status"] == "assigned"
    assert api.get(f"/v1/invoices/{assigned_to}")["paid_cents"] == 60_500


def test_several_statements_answer_a_list_and_other_accounts_match_nothing(api: Api) -> None:
    body, invoice = fixture_paying(api, "coda_two_statements.txt")
    answer = post_statement(api, body, CODA)
    assert answer.status_code == 201, answer.text
    own, other = answer.json()["statements"]
    assert own["statement_id"] != other["statement_id"]
    assert own["movements"][0]["matched_invoice_id"] == invoice["invoice_id"]
    assert other["own_account"] is False
    assert all(m["payment_id"] is None for m in other["movements"])
    assert all(reconciles(statement) for statement in (own, other))


def test_a_foreign_account_statement_pays_nothing_even_with_a_valid_reference(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    body = (FIXTURES / "coda_other_bank.txt").read_bytes()
    body = body.replace(b"090933755493", digits(invoice["structured_reference"]).encode())
    answer = post_statement(api, body, CODA).json()
    assert answer["own_account"] is False
    assert [m["payment_id"] for m in answer["movements"]] == [None, None, None]
    assert api.get(f"/v1/invoices/{invoice['invoice_id']}")["paid_cents"] == 0


def test_a_globalised_movement_pays_one_invoice_per_detail(api: Api) -> None:
    answer = post_statement(api, (FIXTURES / "coda_globalised.txt").read_bytes(), CODA).json()
    ids = [m["payment_id"] for m in answer["movements"] if m["amount_cents"] > 0]
    assert len(set(ids)) == len(ids) == 4
    for payment_id in ids:  # each is addressable under /v1/payments/{id}
        refused = api.request("POST", f"/v1/payments/{payment_id}/refund", json={"reason": "x"})
        assert refused.status_code == 200, refused.text


@pytest.mark.parametrize(
    ("name", "media_type", "where"),
    [
        ("coda_broken_length.txt", CODA, "line"),
        ("coda_broken_balance.txt", CODA, "line"),
        ("camt053_broken_missing_amt.xml", XML, "Amt"),
        ("camt053_broken_namespace.xml", XML, ""),
    ],
)
def test_a_malformed_file_is_refused_naming_where_and_records_nothing(
    api: Api, name: str, media_type: str, where: str
) -> None:
    head = api.store.head()
    refused = post_statement(api, (FIXTURES / name).read_bytes(), media_type)
    problem = assert_problem(refused, 422, "malformed-statement")
    (error,) = problem["errors"]
    assert where in error["field"] and error["field"] in problem["detail"]
    assert api.store.head() == head


def test_a_file_of_another_media_type_or_from_a_member_is_refused(api: Api) -> None:
    body = (FIXTURES / "coda_simple.txt").read_bytes()
    assert_problem(post_statement(api, body, "application/json"), 422, "malformed-statement")
    assert post_statement(api, body, CODA, key=None).status_code == 401
    member = api.register_member()
    refused: httpx.Response = post_statement(
        api, body, CODA, key=api.member_key(member["member_id"])
    )
    assert refused.status_code == 403


def test_movement_keys_are_url_safe_and_distinct() -> None:
    assert movement_key("0001") == "0001"
    keys = {movement_key(s) for s in ("0001/0001", "0001.0001", "0001_0001", "a b", "x" * 40)}
    assert len(keys) == 5
    assert all(len(key) <= 24 and "/" not in key and " " not in key for key in keys)


def test_a_statement_is_known_by_account_sequence_and_date_whatever_else_changed(
    fresh: Api,
) -> None:
    api = fresh
    first, paid = fixture_paying(api, "coda_simple.txt")
    assert post_statement(api, first, CODA).status_code == 201
    second, unpaid = fixture_paying(api, "coda_simple.txt")  # the same statement, edited
    head = api.store.head()
    again = post_statement(api, second, CODA)
    assert again.status_code == 200
    assert again.json()["movements"][0]["matched_invoice_id"] == paid["invoice_id"]
    assert not [e for e in events_of(api, head) if isinstance(e, BILLING_RECORDS)]
    assert api.get(f"/v1/invoices/{unpaid['invoice_id']}")["paid_cents"] == 0


def test_a_file_with_a_known_and_a_new_statement_records_only_the_new_one(fresh: Api) -> None:
    api = fresh
    known = (FIXTURES / "coda_simple.txt").read_bytes()
    before = post_statement(api, known, CODA).json()
    newer = (FIXTURES / "coda_globalised.txt").read_bytes()
    head = api.store.head()
    both = post_statement(api, known + newer, CODA)
    assert both.status_code == 201, both.text
    old, new = both.json()["statements"]
    assert old == before
    recorded = events_of(api, head)
    queued = {e.payment_id for e in recorded if isinstance(e, UnmatchedPaymentReceived)}
    assert queued == {m["payment_id"] for m in new["movements"] if m["amount_cents"] > 0}
    assert len([e for e in recorded if type(e).__name__ == "BankStatementImported"]) == 1


def test_a_movement_queued_as_unmatched_never_pays_an_invoice_issued_later(fresh: Api) -> None:
    api = fresh
    future = structured_reference(2026, 1)  # the number the first invoice will take
    body = (FIXTURES / "coda_simple.txt").read_bytes()
    body = body.replace(FIXTURE_REFERENCE.encode(), digits(future).encode())
    first = post_statement(api, body, CODA).json()
    assert first["movements"][0]["matched_invoice_id"] is None
    invoice, _ = accepted_invoice(api)
    assert invoice["structured_reference"] == future
    newer = (FIXTURES / "coda_globalised.txt").read_bytes()
    assert post_statement(api, body + newer, CODA).status_code == 201
    assert post_statement(api, body, CODA).status_code == 200
    assert api.get(f"/v1/invoices/{invoice['invoice_id']}")["paid_cents"] == 0, (
        "the movement is in the unmatched queue: ops assign it, a re-import does not"
    )
