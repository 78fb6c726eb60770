"""The invoice aggregate (`invoice-<invoice_id>`): issue, pay, claim, remind, credit, write off."""

from services.billing.domain.invoice.commands import (
    AddClaim,
    ApplyPayment,
    InvoiceCommand,
    IssueCreditNote,
    IssueInvoice,
    RecordDelivery,
    RequestDelivery,
    SendReminder,
    WriteOff,
)
from services.billing.domain.invoice.decide import allocate, invoice_decider
from services.billing.domain.invoice.issue import issue_credit_note, issue_invoice
from services.billing.domain.invoice.state import Delivery, Invoice, InvoiceState, NoInvoice

__all__ = [
    "AddClaim",
    "ApplyPayment",
    "Delivery",
    "Invoice",
    "InvoiceCommand",
    "InvoiceState",
    "IssueCreditNote",
    "IssueInvoice",
    "NoInvoice",
    "RecordDelivery",
    "RequestDelivery",
    "SendReminder",
    "WriteOff",
    "allocate",
    "invoice_decider",
    "issue_credit_note",
    "issue_invoice",
]
