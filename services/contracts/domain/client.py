"""The client aggregate (`client-<client_id>`): registration and corrections."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from services.contracts import identifiers
from services.contracts.domain.checks import (
    ADDRESS_MAX,
    changed_fields,
    email_address,
    maybe,
    optional_text,
    required_text,
)
from services.contracts.domain.errors import ClientAlreadyRegistered, ClientNotFound, InvalidDetails
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.contracts import (
    ClientDetailsCorrected,
    ClientRegistered,
    ClientSharedWithMember,
)

CLIENT_NAME_MAX = 200  # a company's name


@dataclass(frozen=True)
class RegisterClient:
    client_id: str
    name: str
    email: str
    country: str  # ISO 3166 alpha-2, "BE"
    today: dt.date
    vat_number: str | None = None
    address: str | None = None
    member_id: str | None = None  # whose client it is; None: the cooperative's own register


@dataclass(frozen=True)
class CorrectClientDetails:
    """Only the fields to correct are set. Correcting nothing, or to the same values, is a no-op."""

    client_id: str
    today: dt.date
    name: str | None = None
    email: str | None = None
    country: str | None = None
    vat_number: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class ShareClient:
    """Let `member_id` invoice this client too. Sharing it again changes nothing."""

    client_id: str
    member_id: str
    today: dt.date


ClientCommand = RegisterClient | CorrectClientDetails | ShareClient


@dataclass(frozen=True)
class NoClient:
    pass


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    email: str
    country: str
    vat_number: str | None
    address: str | None
    registered_on: dt.date
    members: frozenset[str] = frozenset()  # the members who may see and invoice it

    def usable_by(self, member_id: str) -> bool:
        return member_id in self.members


ClientState = NoClient | Client


def _country(value: str) -> str:
    country = value.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidDetails(f"{value!r} is not a two-letter country code", field="country")
    return country


def _register_client(command: RegisterClient, state: ClientState) -> list[DomainEvent]:
    if isinstance(state, Client):
        raise ClientAlreadyRegistered(f"client {command.client_id} is already registered")
    country = _country(command.country)
    return [
        ClientRegistered(
            client_id=command.client_id,
            name=required_text(command.name, "name", max_length=CLIENT_NAME_MAX),
            email=email_address(command.email),
            country=country,
            vat_number=maybe(
                command.vat_number, lambda v: identifiers.vat_number(v, country=country)
            ),
            address=optional_text(command.address, "address", max_length=ADDRESS_MAX),
            registered_on=command.today,
            member_id=command.member_id,
        )
    ]


def _correct_client(command: CorrectClientDetails, state: ClientState) -> list[DomainEvent]:
    if not isinstance(state, Client):
        raise ClientNotFound(f"no client {command.client_id}")
    country = maybe(command.country, _country) or state.country
    proposed: dict[str, object] = {
        "name": maybe(command.name, lambda v: required_text(v, "name", max_length=CLIENT_NAME_MAX)),
        "email": maybe(command.email, email_address),
        "country": country,
        "vat_number": maybe(
            command.vat_number, lambda v: identifiers.vat_number(v, country=country)
        ),
        "address": optional_text(command.address, "address", max_length=ADDRESS_MAX),
    }
    changes = changed_fields(state, proposed)
    if not changes:
        return []
    return [
        ClientDetailsCorrected.model_validate(
            {"client_id": state.client_id, "corrected_on": command.today, **changes}
        )
    ]


def _share_client(command: ShareClient, state: ClientState) -> list[DomainEvent]:
    if not isinstance(state, Client):
        raise ClientNotFound(f"no client {command.client_id}")
    if state.usable_by(command.member_id):
        return []
    return [
        ClientSharedWithMember(
            client_id=state.client_id, member_id=command.member_id, shared_on=command.today
        )
    ]


def decide_client(command: ClientCommand, state: ClientState) -> Sequence[DomainEvent]:
    match command:
        case RegisterClient():
            return _register_client(command, state)
        case CorrectClientDetails():
            return _correct_client(command, state)
        case ShareClient():
            return _share_client(command, state)
        case _:
            assert_never(command)


def evolve_client(state: ClientState, event: DomainEvent) -> ClientState:
    match event:
        case ClientRegistered():
            members = frozenset() if event.member_id is None else frozenset({event.member_id})
            return Client(**event.model_dump(exclude={"member_id"}), members=members)
        case ClientSharedWithMember() if isinstance(state, Client):
            return dataclasses.replace(state, members=state.members | {event.member_id})
        case ClientDetailsCorrected() if isinstance(state, Client):
            corrected = event.model_dump(exclude={"client_id", "corrected_on"}, exclude_none=True)
            return dataclasses.replace(state, **corrected)
        case _:
            return state


client_decider: Decider[ClientCommand, ClientState] = Decider(
    initial_state=NoClient, decide=decide_client, evolve=evolve_client
)
