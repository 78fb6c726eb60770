"""Stream names and ids of the governance context, derived rather than looked up.

A share purchase is `S<hex>` from the request's Idempotency-Key; a payment recorded by ops
`SP<hex>` likewise, one from billing's unmatched bank line `B<payment_id>`; an assembly
`G<hex>`.
"""

from __future__ import annotations

import uuid

from shared.events.base import Context, deterministic_id

BOARD_STREAM = "board-coop"


def shareholder_stream(member_id: str) -> str:
    return f"shareholder-{member_id}"


def share_numbers_stream(year: int) -> str:
    return f"sharenumbers-{year}"


def assembly_stream(assembly_id: str) -> str:
    return f"assembly-{assembly_id}"


def member_stream(member_id: str) -> str:
    """The contracts service's member stream (read only, for the holder's name and domicile)."""
    return f"member-{member_id}"


def creation_id(prefix: str, context: Context) -> str:
    if context.idempotency_key is None:
        return prefix + uuid.uuid4().hex
    return prefix + deterministic_id(prefix, context.idempotency_key).hex


def bank_payment_id(payment_id: str) -> str:
    return f"B{payment_id}"
