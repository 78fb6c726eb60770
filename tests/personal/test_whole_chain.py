"""Issue 13's proof: a member and a private client through the whole chain, then every file
under the data directory searched for their personal data, before and after erasure."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from services.payroll.ids import salary_id_for
from shared.ops.cli import app as ops
from shared.personal import ERASED, current_vault
from shared.personal.tokens import PREFIX
from tests.api.api_client import TODAY, Api
from tests.billing.test_documents_api import RULES, app_with_rules

HAS_RULES = (RULES / "peppol" / "PEPPOL-EN16931-UBL.xslt").is_file()

NISS, IBAN = "93051822361", "BE62 5100 0754 7061"
MEMBER = {
    "first_name": "Ondine",
    "last_name": "Vanhoutteghem",
    "email": "ondine.vanhoutteghem@example.be",
    "niss": NISS,
    "iban": IBAN,
    "gender": "F",
    "address": "Rue des Bouchers 7, 1000 Bruxelles",
}
CLIENT = {
    "name": "Famille Ostrowski-Lemaire",
    "email": "ostrowski.lemaire@example.be",
    "country": "BE",
    "address": "Avenue Louise 480, 1050 Ixelles",
}
SECRETS = {
    "niss": [NISS, "930518-223.61", "93.05.18-223.61"],
    "iban": [IBAN.replace(" ", ""), IBAN],
    "email": [MEMBER["email"]],
    "last name": [MEMBER["last_name"], MEMBER["last_name"].upper()],
    "client": [CLIENT["name"], CLIENT["email"], "Avenue Louise 480"],
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with app_with_rules(tmp_path / "data", RULES if HAS_RULES else None) as api:
        api.set_today(TODAY)
        yield api


def eventually(api: Api, path: str, check: Any = bool) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        response = api.request("GET", path)
        if response.status_code == 200 and check(body := response.json()):
            found: dict[str, Any] = body
            return found
        assert time.monotonic() < deadline, f"{path}: {response.status_code} {response.text}"
        time.sleep(0.05)


def leaks(data_dir: Path) -> dict[str, list[str]]:
    """Which personal values some file under the data directory holds in clear."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for what, forms in SECRETS.items():
            if any(form.encode() in content or form.encode("utf-16-le") in content
                   for form in forms):  # fmt: skip
                found.setdefault(what, []).append(path.name)
    return found


def documents(api: Api, ids: dict[str, str], *, erased: bool = False) -> dict[str, bytes]:
    paths = {
        "member": f"/v1/members/{ids['member']}",
        "client": f"/v1/clients/{ids['client']}",
        "quote": f"/v1/quotes/{ids['quote']}/document",
        "contract": f"/v1/employment-contracts/{ids['contract']}/document",
        "invoice": f"/v1/invoices/{ids['invoice']}",
        "invoice html": f"/v1/invoices/{ids['invoice']}/document",
        **({"invoice ubl": f"/v1/invoices/{ids['invoice']}/ubl"} if HAS_RULES else {}),
        "payslip": f"/v1/salaries/{ids['salary']}/payslip",
        **({} if erased else {"sepa": f"/v1/payment-runs/{ids['run']}/sepa"}),
        "register": "/v1/share-register",
        "register csv": "/v1/share-register?format=csv",
        "register pdf": "/v1/share-register?format=pdf",
        "invoice pdf": f"/v1/invoices/{ids['invoice']}/pdf",
        "payslip pdf": f"/v1/salaries/{ids['salary']}/payslip.pdf",
        "281.10": f"/v1/payroll/281-10?year=2026&member_id={ids['member']}",
        "dmfa": "/v1/payroll/dmfa?quarter=2026-Q1",
    }
    answers = {}
    for name, path in paths.items():
        response = api.request("GET", path)
        assert response.status_code == 200, (name, response.text)
        answers[name] = pdf_text(response.content) if name.endswith("pdf") else response.content
    return answers


def pdf_text(content: bytes) -> bytes:
    pages = PdfReader(io.BytesIO(content)).pages
    return "\n".join(page.extract_text() for page in pages).encode()


def test_personal_data_is_sealed_everywhere_and_gone_after_erasure(
    api: Api, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    member = api.register_member(**MEMBER)
    client = api.register_client(**CLIENT, vat_number=None)
    prestation = api.encode(member["member_id"], client["client_id"])
    quote = prestation["quote"]
    assert api.accept(quote["quote_id"], quote["acceptance_token"]).status_code == 200
    invoice = eventually(api, f"/v1/invoices/I{prestation['prestation_id']}")
    salary = eventually(api, f"/v1/salaries/{salary_id_for(prestation['prestation_id'])}")
    purchase = api.post("/v1/share-purchases", {"member_id": member["member_id"],
                        "category": "A", "quantity": 1}, status=201)  # fmt: skip
    api.post(f"/v1/share-purchases/{purchase['purchase_id']}/payment",
             {"amount_cents": 3000, "received_on": "2026-03-03"})  # fmt: skip
    api.set_today(salary["pay_on"])
    run = api.post("/v1/payment-runs", {}, status=201)
    eventually(api, f"/v1/salaries/{salary['salary_id']}", lambda s: s["status"] == "paid")
    ids = {
        "member": member["member_id"], "client": client["client_id"],
        "quote": quote["quote_id"], "contract": prestation["employment_contract"]["contract_id"],
        "invoice": invoice["invoice_id"], "salary": salary["salary_id"], "run": run["run_id"],
    }  # fmt: skip

    shown = documents(api, ids)
    assert not [name for name, body in shown.items() if PREFIX.encode() in body]
    # Opened where they leave: the payslip names the worker, the SEPA file credits their IBAN.
    assert MEMBER["last_name"].upper().encode() in shown["payslip pdf"]
    assert IBAN.replace(" ", "").encode() in shown["sepa"]
    assert CLIENT["name"].encode() in shown["invoice html"]
    assert leaks(data_dir) == {}
    sealed = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert f"{PREFIX}member/{member['member_id']}:".encode() in sealed

    # The member leaves: shares redeemed, then asks for erasure, held by the retention periods.
    api.set_today("2026-04-10")
    api.post(f"/v1/shareholders/{ids['member']}/resignation", {"reason": "resignation"})
    api.post(f"/v1/shareholders/{ids['member']}/redemption/approval",
             {"net_asset_value_per_share_cents": 3000})  # fmt: skip
    api.post(f"/v1/shareholders/{ids['member']}/redemption", {"amount_cents": 3000})
    totals = figures(api, ids)
    assert totals["shares"]["total_shares"] == 1 and totals["salary"]["net_to_pay_cents"] > 0
    subjects = (f"member/{ids['member']}",)
    keys = [current_vault().keys.key(subject, create=False) for subject in subjects]
    erase(api, ids)

    shown = documents(api, ids, erased=True)
    assert api.request("GET", f"/v1/payment-runs/{ids['run']}/sepa").status_code == 410
    assert not [name for name, body in shown.items() if PREFIX.encode() in body]
    assert api.get(f"/v1/members/{ids['member']}")["last_name"] == ERASED
    assert ERASED.upper().encode() in shown["payslip pdf"]
    assert figures(api, ids) == totals  # salaries, invoices, the fund, the shares: to the cent
    assert leaks(data_dir) == {}
    everything = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert all(key is not None and key not in everything for key in keys)
    assert [current_vault().reveal_text(v) for v in opened_by_nothing(data_dir, subjects)] == []

    # Every read model rebuilt from position 0 is the live one, row for row.
    replayed = CliRunner().invoke(ops, ["replay", "all", "--diff", "--data-dir", str(data_dir)])
    assert replayed.exit_code == 0, replayed.output


def erase(api: Api, ids: dict[str, str]) -> None:
    """Asked for, held until the last retention period ends, then carried out."""
    path = f"/v1/members/{ids['member']}/erasure-requests"
    api.post(path, {}, status=201)
    (pending,) = api.get(path)["items"]
    last_hold = max(hold["ends_on"] for hold in pending["holds"])
    api.set_today(last_hold)
    executor = api.app.state.privacy_service.executor
    assert executor.run_once() == [] and api.get(path)["items"][0]["status"] == "pending"
    api.set_today(date.fromisoformat(last_hold) + timedelta(days=1))
    assert len(executor.run_once()) == 1 and api.get(path)["items"][0]["status"] == "done"


def figures(api: Api, ids: dict[str, str]) -> dict[str, Any]:
    salary = api.get(f"/v1/salaries/{ids['salary']}")
    invoice = api.get(f"/v1/invoices/{ids['invoice']}")
    fund = api.get("/v1/guarantee-fund")
    register = api.get("/v1/share-register", params={"as_of": "2026-03-31"})
    return {
        "salary": {k: v for k, v in salary.items() if k.endswith("_cents")},
        "invoice": {k: v for k, v in invoice.items() if k.endswith("_cents")},
        "fund": {k: v for k, v in fund.items() if k.endswith("_cents")},
        "shares": {k: v for k, v in register.items() if k != "holders"},
        "holdings": [(h["shares"], h["paid_cents"]) for h in register["holders"]],
    }


def opened_by_nothing(data_dir: Path, subjects: tuple[str, ...]) -> list[str]:
    """The sealed texts of the erased people that still open to something but ERASED."""
    everything = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    found = []
    for match in re.finditer(rb"\{pii1:[^}]{1,400}\}", everything):
        text = match.group(0).decode(errors="replace")
        if text.split(":")[1] in subjects and current_vault().reveal_text(text) != ERASED:
            found.append(text)
    return found
