"""Events of the privacy context: a member's or a private client's request to have their
personal data erased, and its carrying out once every legal retention period has ended (GDPR
art. 17 §3 b).

Stream `erasure-<member_id>`: every request of one member and its outcome, so two requests
cannot both be carried out; `clienterasure-<client_id>` the same for a client (a natural person
the cooperative invoiced). Erasing deletes the person's keys (`shared.personal`): every value
sealed with them, in the log and wherever it was copied, then reads as erased.

Dates are Brussels business dates; ids are strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import DomainEvent, event

Requester = Literal["member", "ops"]
# A client has no key: staff record the request the client made to the cooperative.
ClientRequester = Literal["ops"]


class EndedHold(BaseModel):
    """A retention rule that applied and had ended when the erasure was carried out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str  # "social_documents", "accounting_documents"…
    ends_on: dt.date  # its last day


@event
class ErasureRequested(DomainEvent):
    """Stream erasure-<member_id>. The member, or ops on their behalf, asked for erasure."""

    request_id: str
    member_id: str
    requested_by: Requester
    requested_on: dt.date


@event
class PersonalDataErased(DomainEvent):
    """Stream erasure-<member_id>. Every retention period had ended: the keys of `subjects`
    ("member/<member_id>") are deleted, which erases their sealed values everywhere."""

    request_id: str
    member_id: str
    subjects: tuple[str, ...]
    carried_out_on: dt.date
    ended_holds: tuple[EndedHold, ...] = ()


@event
class ClientErasureRequested(DomainEvent):
    """Stream clienterasure-<client_id>. A private client asked the cooperative for erasure;
    ops recorded it."""

    request_id: str
    client_id: str
    requested_by: ClientRequester
    requested_on: dt.date


@event
class ClientPersonalDataErased(DomainEvent):
    """Stream clienterasure-<client_id>. Every retention period had ended: the keys of
    `subjects` are deleted — "client/<client_id>" and "invoice/<invoice_id>" of each invoice
    issued to the client, "payment/<payment_id>" of each payment ops assigned to one."""

    request_id: str
    client_id: str
    subjects: tuple[str, ...]
    carried_out_on: dt.date
    ended_holds: tuple[EndedHold, ...] = ()
