"""Client sharing, given/when/then, grouped by state.

A member registers its own client (`RegisterClient(member_id=...)`); a client without one is the
cooperative's own register. `ShareClient` lets another member invoice it too, once.
"""

from __future__ import annotations

from services.contracts.domain import (
    Client,
    ClientNotFound,
    ShareClient,
    client_decider,
)
from shared.events.base import DomainEvent
from shared.events.contracts import ClientDetailsCorrected, ClientRegistered, ClientSharedWithMember
from tests.contracts.test_member_and_client import (
    CLIENT_REGISTERED,
    TODAY,
    clients,
    register_client,
)

MEMBERS_CLIENT = CLIENT_REGISTERED.model_copy(update={"member_id": "m1"})


def share(member_id: str = "m2") -> ShareClient:
    return ShareClient(client_id="cl1", member_id=member_id, today=TODAY)


def shared(member_id: str = "m2") -> ClientSharedWithMember:
    return ClientSharedWithMember(client_id="cl1", member_id=member_id, shared_on=TODAY)


def client_of(history: list[DomainEvent]) -> Client:
    state = client_decider.fold(history)
    assert isinstance(state, Client)
    return state


class TestNoClientYet:
    def test_a_member_registers_a_client_it_can_use(self) -> None:
        events = clients().given().when(register_client(member_id="m1")).then(MEMBERS_CLIENT)
        client = client_of(events)
        assert client.usable_by("m1") is True
        assert client.usable_by("m2") is False

    def test_a_client_registered_for_no_member_is_the_cooperatives_own(self) -> None:
        (event,) = clients().given().when(register_client()).then_types(ClientRegistered)
        assert isinstance(event, ClientRegistered)
        assert event.member_id is None
        assert client_of([event]).members == frozenset()

    def test_an_unknown_client_cannot_be_shared(self) -> None:
        refused = clients().given().when(share()).raises(ClientNotFound, match="cl1")
        assert (refused.code, refused.status) == ("client-not-found", 404)


class TestClientOfAMember:
    """Registered by m1."""

    def test_sharing_with_another_member_lets_it_use_the_client(self) -> None:
        events = clients().given(MEMBERS_CLIENT).when(share("m2")).then(shared("m2"))
        client = client_of([MEMBERS_CLIENT, *events])
        assert (client.usable_by("m1"), client.usable_by("m2")) == (True, True)
        assert client.usable_by("m3") is False

    def test_sharing_with_the_member_who_registered_it_changes_nothing(self) -> None:
        clients().given(MEMBERS_CLIENT).when(share("m1")).then()

    def test_a_correction_keeps_who_may_use_the_client(self) -> None:
        corrected = ClientDetailsCorrected(client_id="cl1", name="Parc", corrected_on=TODAY)
        client = client_of([MEMBERS_CLIENT, shared("m2"), corrected])
        assert (client.name, client.members) == ("Parc", frozenset({"m1", "m2"}))


class TestSharedClient:
    """Registered by m1, shared with m2."""

    def history(self) -> list[DomainEvent]:
        return [MEMBERS_CLIENT, shared("m2")]

    def test_sharing_again_with_the_same_member_changes_nothing(self) -> None:
        clients().given(*self.history()).when(share("m2")).then()

    def test_it_can_be_shared_with_a_third_member(self) -> None:
        events = clients().given(*self.history()).when(share("m3")).then(shared("m3"))
        client = client_of([*self.history(), *events])
        assert client.members == frozenset({"m1", "m2", "m3"})


class TestCooperativeClient:
    """Registered for no member."""

    def test_sharing_it_with_a_member_lets_that_member_use_it(self) -> None:
        events = clients().given(CLIENT_REGISTERED).when(share("m1")).then(shared("m1"))
        client = client_of([CLIENT_REGISTERED, *events])
        assert client.members == frozenset({"m1"})

    def test_sharing_it_twice_emits_the_share_once(self) -> None:
        events = clients().given(CLIENT_REGISTERED).when(share("m1")).then(shared("m1"))
        clients().given(CLIENT_REGISTERED, *events).when(share("m1")).then()
