"""Events of the privacy context: a member's request to have their personal data erased, and
its carrying out once every legal retention period has ended (GDPR art. 17 §3 b).

Stream `erasure-<member_id>`: every request of one member and its outcome, so two requests
cannot both be carried out. Erasing deletes the person's key (`shared.personal`): every value
sealed with it, in the log and wherever it was copied, then reads as erased.

Dates are Brussels business dates; ids are strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import DomainEvent, event

Requester = Literal["member", "ops"]


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
