"""Writes of the privacy service: load the member's (or the client's) erasure stream, decide,
append."""

from __future__ import annotations

import datetime as dt

from services.privacy.domain.client_erasure import (
    CarryOutClientErasure,
    ClientErasure,
    ClientKind,
    RequestClientErasure,
    client_erasure_decider,
)
from services.privacy.domain.erasure import (
    CarryOutErasure,
    Erasure,
    RequestErasure,
    erasure_decider,
)
from services.privacy.domain.retention import Hold
from services.privacy.ids import client_erasure_stream, creation_id, erasure_stream
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

    # -- a private client's ------------------------------------------------------------------

    def client_erasure(self, client_id: str) -> Loaded[ClientErasure]:
        return load(self.store, client_erasure_stream(client_id), client_erasure_decider)

    def request_client_erasure(
        self, client_id: str, kind: ClientKind | None, context: Context
    ) -> Handled[ClientErasure]:
        command = RequestClientErasure(
            client_id=client_id,
            request_id=creation_id("client-erasure-request", context),
            requested_by="ops",
            today=self.clock.today(),
            kind=kind,
        )
        stream = client_erasure_stream(client_id)
        return handle(self.store, stream, client_erasure_decider, command, context)

    def carry_out_client(
        self, command: CarryOutClientErasure, context: Context
    ) -> Handled[ClientErasure]:
        stream = client_erasure_stream(command.client_id)
        return handle(self.store, stream, client_erasure_decider, command, context)
