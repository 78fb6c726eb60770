"""What the service hands out or sends: HTML, PDF, and a UBL that has passed the Peppol rules.

A UBL leaves only after the official rules (UBL 2.1 XSD, EN 16931, Peppol BIS 3.0) and the
cent-exact arithmetic (`arithmetic_errors`) found nothing fatal. The rules come from the
settings (`COOP_PEPPOL_RULES`) and are compiled once per process, at the first UBL (about a
second), by `validator_from_env`'s per-path cache; without them no UBL is published at all.

The PDF library (fpdf2, with fontTools) and Saxon take seconds to load on a busy machine, and
an HTTP process restarted after a crash must answer `/health` at once: they are imported at
the first document, not with the service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.billing import documents
from services.billing.document_model import InvoiceDocument

if TYPE_CHECKING:
    from services.billing.peppol import PeppolValidator

RULES_ENV = "COOP_PEPPOL_RULES"  # read through Settings.peppol_rules, the one configuration
ARITHMETIC_RULE = "ARITHMETIC"  # the id a cent-exactness failure is listed under


class UblUnavailable(Exception):
    """No UBL can be checked: the rules are not configured, or not where configured."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UblRefused(Exception):
    """The rendered UBL failed the rules: it is published nowhere."""

    def __init__(self, failed_rules: tuple[str, ...], messages: tuple[str, ...]) -> None:
        super().__init__("UBL refused by validation: " + ", ".join(failed_rules))
        self.failed_rules = failed_rules
        self.messages = messages


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str


def filename(document: InvoiceDocument, extension: str) -> str:
    prefix = "note-de-credit" if document.kind == "credit_note" else "facture"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in document.number)
    return f"{prefix}-{safe}.{extension}"


class Publisher:
    def __init__(self, rules: Path | None) -> None:
        self.rules = rules
        self._lock = threading.Lock()
        self._validator: PeppolValidator | None = None

    def validator(self) -> PeppolValidator:
        if self.rules is None:
            raise UblUnavailable(
                f"{RULES_ENV} is not set: no UBL is published without the Peppol rules"
            )
        with self._lock:
            if self._validator is None:
                from services.billing.peppol import validation

                try:
                    found = validation.validator_from_env({RULES_ENV: str(self.rules)})
                except validation.PeppolRulesMissing as missing:
                    raise UblUnavailable(f"{RULES_ENV}={self.rules}: {missing}") from missing
                if found is None:  # an empty path: the same as unset
                    raise UblUnavailable(f"{RULES_ENV} is empty")
                self._validator = found
            return self._validator

    def html(self, document: InvoiceDocument) -> Rendered:
        page = documents.render_invoice_html(document)
        return Rendered(
            page.encode("utf-8"), "text/html; charset=utf-8", filename(document, "html")
        )

    def pdf(self, document: InvoiceDocument) -> Rendered:
        from services.billing import documents_pdf

        body = documents_pdf.render_invoice_pdf(document)
        return Rendered(body, "application/pdf", filename(document, "pdf"))

    def ubl(self, document: InvoiceDocument) -> Rendered:
        """The UBL with the PDF inside, once it passed every rule; UblRefused otherwise."""
        validator = self.validator()
        from services.billing.peppol import totals, ubl

        xml = ubl.render_ubl(document, self.pdf(document).body)
        report = validator.validate(xml)
        arithmetic = totals.arithmetic_errors(document)
        failed = report.failed_rules + ((ARITHMETIC_RULE,) if arithmetic else ())
        if failed:
            raise UblRefused(
                failed, tuple(m for m in report.messages if "[fatal]" in m) + arithmetic
            )
        return Rendered(xml, "application/xml", filename(document, "xml"))
