"""Command handling for members and clients: registrations, corrections, sharing a client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.contracts.domain import (
    ClientCommand,
    ClientState,
    Member,
    MemberCommand,
    MemberState,
    RegisterClient,
    RegisterMember,
    ShareClient,
    UnknownMember,
    client_decider,
    member_decider,
)
from services.contracts.ids import client_stream, creation_id, member_stream
from shared.clock import Clock
from shared.events.base import Context
from shared.eventstore.handling import Handled, Loaded, handle, load
from shared.eventstore.port import EventStore


class PartyHandlers:
    """The members and clients a prestation is between."""

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def member(self, member_id: str) -> Loaded[MemberState]:
        return load(self.store, member_stream(member_id), member_decider)

    def client(self, client_id: str) -> Loaded[ClientState]:
        return load(self.store, client_stream(client_id), client_decider)

    def register_member(self, details: Mapping[str, Any], context: Context) -> Handled[MemberState]:
        member_id = creation_id("member", context)
        command = RegisterMember(member_id=member_id, today=self.clock.today(), **details)
        return self.on_member(member_id, command, context)

    def register_client(
        self, details: Mapping[str, Any], member_id: str | None, context: Context
    ) -> Handled[ClientState]:
        """`member_id`: the member whose client it is (None: the cooperative's register)."""
        client_id = creation_id("client", context)
        command = RegisterClient(
            client_id=client_id, today=self.clock.today(), member_id=member_id, **details
        )
        return self.on_client(client_id, command, context)

    def share_client(
        self, client_id: str, member_id: str, context: Context
    ) -> Handled[ClientState]:
        if not isinstance(self.member(member_id).state, Member):
            raise UnknownMember(f"no member {member_id}", field="member_id")
        command = ShareClient(client_id=client_id, member_id=member_id, today=self.clock.today())
        return self.on_client(client_id, command, context)

    def on_member(
        self,
        member_id: str,
        command: MemberCommand,
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[MemberState]:
        stream = member_stream(member_id)
        return handle(self.store, stream, member_decider, command, context, if_match=if_match)

    def on_client(
        self,
        client_id: str,
        command: ClientCommand,
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[ClientState]:
        stream = client_stream(client_id)
        return handle(self.store, stream, client_decider, command, context, if_match=if_match)
