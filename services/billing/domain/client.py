"""The client as billing needs it, folded from the contracts context's client stream.

Billing reads `client-<id>` (ClientRegistered, ClientDetailsCorrected) and never writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.billing import BuyerSnapshot
from shared.events.contracts import ClientDetailsCorrected, ClientRegistered

# "Rue X 1, 1000 Bruxelles": a postal code of 4 or 5 digits (or letters and digits) then a city.
_POSTAL_CITY = re.compile(r"^\s*([A-Z]{0,2}-?\d{4,5}(?:\s?[A-Z]{2})?)\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ClientFacts:
    client_id: str
    name: str
    email: str
    country: str
    vat_number: str | None
    address: str | None


@dataclass(frozen=True)
class NoClient:
    pass


ClientState = ClientFacts | NoClient


def _evolve(state: ClientState, event: DomainEvent) -> ClientState:
    match event:
        case ClientRegistered() as e:
            return ClientFacts(e.client_id, e.name, e.email, e.country, e.vat_number, e.address)
        case ClientDetailsCorrected() as e if isinstance(state, ClientFacts):
            changes = {
                name: getattr(e, name)
                for name in ("name", "email", "country", "vat_number", "address")
                if getattr(e, name) is not None
            }
            return replace(state, **changes)
    return state


def _read_only(command: object, state: ClientState) -> list[DomainEvent]:
    return []  # billing never writes a client's stream


client_reader: Decider[object, ClientState] = Decider(NoClient, _read_only, _evolve)


def split_address(address: str | None) -> tuple[str | None, str | None, str | None]:
    """A one-line address → (street, postal code, city); the whole text as the street when it
    cannot be split."""
    if not address or not address.strip():
        return None, None, None
    street, comma, rest = address.rpartition(",")
    found = _POSTAL_CITY.match(rest) if comma else None
    if found is None:
        return address.strip(), None, None
    return street.strip() or None, found.group(1), found.group(2)


def buyer_of(client: ClientFacts) -> BuyerSnapshot:
    street, postal_code, city = split_address(client.address)
    vat = client.vat_number
    enterprise = vat[2:] if vat and vat.upper().startswith("BE") else None
    return BuyerSnapshot(
        client_id=client.client_id,
        name=client.name,
        street=street,
        postal_code=postal_code,
        city=city,
        country=client.country.upper(),
        vat_number=vat,
        enterprise_number=enterprise,
        email=client.email,
        kind="business" if vat else "private",
    )
