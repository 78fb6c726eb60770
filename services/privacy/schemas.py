"""The privacy service's response bodies (no request body: a request for erasure says it all
in its path)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.privacy.domain.client_erasure import ClientRequest
from services.privacy.domain.erasure import Request
from services.privacy.domain.retention import Hold, erasable_from


class HoldOut(BaseModel):
    rule: str = Field(description="social_documents, accounting_documents, vat_documents, …")
    name: str
    source: str = Field(description="The law (or house rule) the period rests on")
    fact: str = Field(description="What starts the period")
    fact_date: dt.date
    ends_on: dt.date | None = Field(description="The last day the data is kept; null: no end yet")
    ended: bool


class ErasureRequestOut(BaseModel):
    request_id: str
    whose: Literal["member", "client"] = Field(
        description="A member's request (member_id set) or a private client's (client_id set)"
    )
    member_id: str | None = Field(description="The member's request: whose; null for a client")
    client_id: str | None = Field(description="A private client's request: whose; else null")
    status: Literal["pending", "done"]
    requested_by: Literal["member", "ops"]
    requested_on: dt.date
    holds: list[HoldOut] = Field(description="Pending: every retention rule that applies")
    erasable_from: dt.date | None = Field(
        description="Pending: the first day no rule holds the data; null while one has no end"
    )
    carried_out_on: dt.date | None
    subjects: list[str] = Field(
        description="Done: whose keys were erased (member/<id>; client/<id>, invoice/<id>…)"
    )


class ErasureWrittenOut(ErasureRequestOut):
    position: int | None


class ErasureListOut(BaseModel):
    items: list[ErasureRequestOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class PersonalEventOut(BaseModel):
    position: int
    stream: str
    version: int
    type: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    data: dict[str, Any] = Field(description="The event, its personal values opened")


class PersonalDataOut(BaseModel):
    member_id: str
    subjects: list[str]
    erased: bool = Field(description="The member's key is erased: its values read [erased]")
    total_events: int = Field(description="Events naming the member, in all pages")
    as_of_position: int = Field(description="Every event up to this log position is included")
    services: dict[str, dict[str, list[PersonalEventOut]]] = Field(
        description="This page's events by service, then by stream category, in log order"
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


def hold_body(hold: Hold, today: dt.date) -> dict[str, Any]:
    return {
        "rule": hold.rule,
        "name": hold.name,
        "source": hold.source,
        "fact": hold.fact,
        "fact_date": hold.fact_date,
        "ends_on": hold.ends_on,
        "ended": hold.ended(today),
    }


def request_body(
    request: Request | ClientRequest, holds: tuple[Hold, ...], today: dt.date
) -> dict[str, Any]:
    """A request (a member's or a client's) as it stands; `holds` matter only while it is
    pending."""
    pending = request.pending
    if isinstance(request, ClientRequest):
        whose = {"whose": "client", "member_id": None, "client_id": request.client_id}
    else:
        whose = {"whose": "member", "member_id": request.member_id, "client_id": None}
    return {
        "request_id": request.request_id,
        **whose,
        "status": "pending" if pending else "done",
        "requested_by": request.requested_by,
        "requested_on": request.requested_on,
        "holds": [hold_body(h, today) for h in holds] if pending else [],
        "erasable_from": erasable_from(holds, request.requested_on) if pending else None,
        "carried_out_on": request.carried_out_on,
        "subjects": list(request.subjects),
    }
