"""Names and ids of the billing context, derived rather than looked up.

An invoice is `I<prestation_id>` (one per accepted quote, whoever issues it and however often);
its credit notes `N<invoice_id>-<n>`; a payment received through the API `P<hex>` from the
request's Idempotency-Key, one from a bank statement `P<statement>-<movement sequence>`.
"""

from __future__ import annotations

import re
import uuid

from services.billing.domain.reference import parse_structured_reference
from shared.events.base import Context, deterministic_id

_PRESTATION_ID = re.compile(r"[0-9a-f]{32}")
CANCELLATION_NOTE = "cancelled"


def invoice_id_of(prestation_id: str) -> str:
    return f"I{prestation_id}"


def prestation_of_invoice(invoice_id: str) -> str | None:
    candidate = invoice_id[1:] if invoice_id.startswith("I") else ""
    return candidate if _PRESTATION_ID.fullmatch(candidate) else None


def invoice_stream(invoice_id: str) -> str:
    return f"invoice-{invoice_id}"


def invoice_numbers_stream(year: int) -> str:
    return f"invoicenumbers-{year}"


def credit_note_numbers_stream(year: int) -> str:
    return f"creditnotenumbers-{year}"


def payment_stream(payment_id: str) -> str:
    return f"payment-{payment_id}"


def statement_stream(statement_id: str) -> str:
    return f"bankstatement-{statement_id}"


def client_stream(client_id: str) -> str:
    return f"client-{client_id}"


def credit_note_id_of(invoice_id: str, suffix: str | int) -> str:
    return f"N{invoice_id}-{suffix}"


def invoice_of_credit_note(credit_note_id: str) -> str | None:
    invoice_id, dash, _ = credit_note_id[1:].rpartition("-")
    if not credit_note_id.startswith("N") or not dash:
        return None
    return invoice_id if prestation_of_invoice(invoice_id) is not None else None


def payment_id_for(context: Context) -> str:
    if context.idempotency_key is None:
        return "P" + uuid.uuid4().hex
    return "P" + deterministic_id("payment", context.idempotency_key).hex


def number_of_reference(reference: str) -> tuple[int, int]:
    """`+++202/6000/00192+++` → (2026, 1): the year and the sequence it was derived from."""
    digits = "".join(ch for ch in parse_structured_reference(reference) if ch.isdigit())
    return int(digits[:4]), int(digits[4:10])
