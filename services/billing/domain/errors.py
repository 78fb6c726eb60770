"""The billing context's refusals: each a stable problem type."""

from __future__ import annotations

from shared.decider import Conflict, DomainError, NotFound


class InvoiceNotFound(NotFound):
    code = "invoice-not-found"


class InvoiceAlreadyIssued(Conflict):
    code = "invoice-already-issued"


class InvoiceClosed(Conflict):
    """Paid in full, written off or credited in full: nothing more can be owed on it."""

    code = "invoice-closed"


class NumberDatedBeforePrevious(Conflict):
    """A number dated before the last one given: the series must follow the dates."""

    code = "number-out-of-date-order"


class VatRegimeRefused(DomainError):
    code = "vat-regime-refused"


class InvalidAmount(DomainError):
    code = "invalid-amount"


class CreditExceedsInvoice(DomainError):
    code = "credit-exceeds-invoice"


class PaymentNotFound(NotFound):
    code = "payment-not-found"


class PaymentAlreadySettled(Conflict):
    """Already assigned to an invoice or marked for refund."""

    code = "payment-already-settled"
