"""Writes of the privacy service: load the member's erasure stream, decide, append."""

from __future__ import annotations

import datetime as dt

from services.privacy.domain.erasure import (
    CarryOutErasure,
    Erasure,
    RequestErasure,
    erasure_decider,
)
from services.privacy.domain.retention import Hold
from services.privacy.ids import creation_id, erasure_stream
from shared.clock import Clock
from shared.events.base import Context
from shared.events.privacy import Requester
from shared.eventstore.handling import Handled, Loaded, handle, load
from shared.eventstore.port import EventStore


class PrivacyHandlers:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def erasure(self, member_id: str) -> Loaded[Erasure]:
        return load(self.store, erasure_stream(member_id), erasure_decider)

    def request_erasure(
        self, member_id: str, requested_by: Requester, member_known: bool, context: Context
    ) -> Handled[Erasure]:
        command = RequestErasure(
            member_id=member_id,
            request_id=creation_id("erasure-request", context),
            requested_by=requested_by,
            today=self.clock.today(),
            member_known=member_known,
        )
        return handle(self.store, erasure_stream(member_id), erasure_decider, command, context)

    def carry_out(
        self, member_id: str, holds: tuple[Hold, ...], today: dt.date, context: Context
    ) -> Handled[Erasure]:
        command = CarryOutErasure(member_id=member_id, today=today, holds=holds)
        return handle(self.store, erasure_stream(member_id), erasure_decider, command, context)
