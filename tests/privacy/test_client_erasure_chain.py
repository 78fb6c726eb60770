"""A private client's erasure end to end: registered, invoiced, paid, held by the invoice's
retention periods, then erased; their name, e-mail and address then open nowhere — replies,
the invoice's HTML, PDF and UBL, any file under the data directory — while the figures stay to
the cent and every read model rebuilt from the log is the live one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shared.events.privacy import ClientPersonalDataErased
from shared.ops.cli import app as ops
from shared.personal import ERASED, current_vault
from tests.api.api_client import TODAY, Api
from tests.billing.test_documents_api import RULES, app_with_rules
from tests.personal.test_whole_chain import CLIENT, HAS_RULES, MEMBER, SECRETS, pdf_text
from tests.privacy.conftest import privacy_of
from tests.privacy.helpers import eventually

CLEAR = SECRETS["client"]  # the client's name, e-mail and street, as they were registered
SEALED = re.compile(rb"\{pii1:[^}]{1,400}\}")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with app_with_rules(tmp_path / "data", RULES if HAS_RULES else None) as api:
        api.set_today(TODAY)
        yield api


def replies(api: Api, ids: dict[str, str]) -> dict[str, bytes]:
    """Every reply and document that shows the client (PDFs as their text)."""
    invoice = f"/v1/invoices/{ids['invoice']}"
    paths = {
        "client": f"/v1/clients/{ids['client']}",
        "clients": "/v1/clients",
        "invoice": invoice,
        "invoices": "/v1/invoices",
        "invoice html": f"{invoice}/document",
        "invoice pdf": f"{invoice}/pdf",
        **({"invoice ubl": f"{invoice}/ubl"} if HAS_RULES else {}),
        "quote": f"/v1/quotes/{ids['quote']}/document",
        "receivables": "/v1/receivables",
    }
    answers = {}
    for name, path in paths.items():
        response = api.request("GET", path)
        assert response.status_code == 200, (name, response.text)
        answers[name] = pdf_text(response.content) if name.endswith("pdf") else response.content
    return answers


def showing(answers: dict[str, bytes]) -> dict[str, list[str]]:
    """Which of the client's clear values each answer holds."""
    found = {name: [v for v in CLEAR if v.encode() in body] for name, body in answers.items()}
    return {name: values for name, values in found.items() if values}


def opened_in_files(data_dir: Path) -> set[str]:
    """The client's values that some file under the data directory holds in clear, or that a
    sealed value in any file (whoever's key sealed it) still opens to."""
    found = set()
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        found |= {v for v in CLEAR if v.encode() in content or v.encode("utf-16-le") in content}
        for match in SEALED.finditer(content):
            opened = current_vault().reveal_text(match.group(0).decode(errors="replace"))
            found |= {v for v in CLEAR if v in opened}
    return found


def figures(api: Api, invoice_id: str) -> dict[str, Any]:
    invoice = api.get(f"/v1/invoices/{invoice_id}")
    return {k: v for k, v in invoice.items() if k.endswith("_cents") or k == "status"}


def test_a_private_clients_data_opens_nowhere_once_erased(api: Api, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    member = api.register_member(**MEMBER)
    client = api.register_client(**CLIENT, vat_number=None)
    prestation = api.encode(member["member_id"], client["client_id"])
    quote = prestation["quote"]
    assert api.accept(quote["quote_id"], quote["acceptance_token"]).status_code == 200
    invoice = eventually(api, f"/v1/invoices/I{prestation['prestation_id']}", bool)
    ids = {"client": client["client_id"], "invoice": invoice["invoice_id"],
           "quote": quote["quote_id"]}  # fmt: skip
    body = {"invoice_id": ids["invoice"], "amount_cents": invoice["total_cents"],
            "received_on": "2026-03-20"}  # fmt: skip
    api.post("/v1/payments", body, status=201)
    eventually(api, f"/v1/invoices/{ids['invoice']}", lambda i: i["status"] == "paid")
    totals = figures(api, ids["invoice"])
    eventually(api, f"/v1/invoices/{ids['invoice']}", lambda i: bool(i["deliveries"]))

    # Before: shown where the client is shown, sealed (never clear) in the files.
    shown_before = showing(replies(api, ids))
    assert set(shown_before) >= {"client", "invoice html", "invoice pdf", "quote"}
    assert shown_before["invoice"] == [CLIENT["email"]]  # the address the invoice was sent to
    assert opened_in_files(data_dir) == set(CLEAR)

    path = f"/v1/clients/{ids['client']}/erasure-requests"
    api.post(path, {}, status=201)
    (pending,) = api.get(path)["items"]
    assert {hold["rule"] for hold in pending["holds"]} == {"accounting_documents", "vat_documents"}
    erasable_from = date.fromisoformat(pending["erasable_from"])
    executor = privacy_of(api).executor
    api.set_today(erasable_from - timedelta(days=1))
    assert executor.run_once() == [] and api.get(path)["items"][0]["status"] == "pending"
    api.set_today(erasable_from)
    (erased,) = executor.run_once()

    assert isinstance(erased, ClientPersonalDataErased)
    assert erased.subjects == (f"client/{ids['client']}", f"invoice/{ids['invoice']}")
    (done,) = api.get(path)["items"]
    assert (done["status"], done["subjects"]) == ("done", list(erased.subjects))
    answers = replies(api, ids)
    assert showing(answers) == {}
    shown = api.get(f"/v1/clients/{ids['client']}")
    assert {shown[name] for name in ("name", "email", "address")} == {ERASED}
    (delivery,) = api.get(f"/v1/invoices/{ids['invoice']}")["deliveries"]
    assert (delivery["channel"], delivery["recipient"]) == ("email", ERASED)
    assert ERASED.encode() in answers["invoice html"] and ERASED.encode() in answers["invoice pdf"]
    assert figures(api, ids["invoice"]) == totals  # the invoice, to the cent
    assert opened_in_files(data_dir) == set()
    # The member who worked for the client is not erased with them.
    assert api.get(f"/v1/members/{member['member_id']}")["last_name"] == MEMBER["last_name"]

    replayed = CliRunner().invoke(ops, ["replay", "all", "--diff", "--data-dir", str(data_dir)])
    assert replayed.exit_code == 0, replayed.output
