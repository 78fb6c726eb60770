"""Peppol BIS Billing 3.0: UBL 2.1 rendering of invoices and credit notes, and validation
against the UBL XSD, the EN 16931 rules and the Peppol rules."""

from services.billing.peppol.totals import arithmetic_errors
from services.billing.peppol.ubl import render_ubl
from services.billing.peppol.validation import (
    PeppolRulesMissing,
    PeppolValidator,
    ValidationReport,
    validator_from_env,
)

__all__ = [
    "PeppolRulesMissing",
    "PeppolValidator",
    "ValidationReport",
    "arithmetic_errors",
    "render_ubl",
    "validator_from_env",
]
