"""Stream names of the guarantee fund, and those it reads elsewhere (by the published
conventions of `shared.events`, never by importing another service)."""

from __future__ import annotations


def fund_payment_stream(salary_id: str) -> str:
    return f"fundpayment-{salary_id}"


def run_stream(run_id: str) -> str:
    return f"payrun-{run_id}"


def contribution_stream(invoice_id: str) -> str:
    return f"fundcontribution-{invoice_id}"


def salary_stream(salary_id: str) -> str:
    return f"salary-{salary_id}"


def member_stream(member_id: str) -> str:
    return f"member-{member_id}"


def invoice_id_of(prestation_id: str) -> str:
    """One invoice per accepted prestation, `I<prestation_id>` (shared.events.billing)."""
    return f"I{prestation_id}"


def invoice_stream(invoice_id: str) -> str:
    return f"invoice-{invoice_id}"
