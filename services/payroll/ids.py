"""Names and ids of the payroll context, derived rather than looked up.

A salary is `S<hex>` derived from its prestation id: one salary per prestation, whatever
replays the reaction that schedules it. The fund pays it on `fundpayment-<salary_id>`.
"""

from __future__ import annotations

from shared.events.base import deterministic_id


def salary_id_for(prestation_id: str) -> str:
    return "S" + deterministic_id("salary", prestation_id).hex


def salary_stream(salary_id: str) -> str:
    return f"salary-{salary_id}"


def prestation_stream(prestation_id: str) -> str:
    return f"prestation-{prestation_id}"


def fund_payment_stream(salary_id: str) -> str:
    return f"fundpayment-{salary_id}"
