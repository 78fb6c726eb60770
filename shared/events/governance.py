"""Events of the governance context (shares, assemblies, elections). Shares only, for now."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.events.base import DomainEvent, event


@event
class ShareBought(DomainEvent):
    """A member bought shares. Category A (worker-users) covers `year` for the Contract tool."""

    purchase_id: str
    member_id: str
    category: Literal["A", "B"]
    quantity: int = Field(gt=0)
    year: int
    unit_price_cents: int
    bought_on: dt.date
