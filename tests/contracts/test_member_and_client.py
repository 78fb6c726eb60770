"""The member and client deciders, given/when/then, grouped by state."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from services.contracts.domain import (
    Client,
    ClientAlreadyRegistered,
    ClientCommand,
    ClientNotFound,
    ClientState,
    CorrectClientDetails,
    CorrectMemberDetails,
    InvalidDetails,
    Member,
    MemberAlreadyRegistered,
    MemberCommand,
    MemberFacts,
    MemberNotFound,
    MemberState,
    NoMember,
    RegisterClient,
    RegisterMember,
    client_decider,
    member_decider,
    member_facts,
)
from services.contracts.identifiers import InvalidIdentifier
from shared.decider import Spec
from shared.events.contracts import (
    ClientDetailsCorrected,
    ClientRegistered,
    FreePrestationUsed,
    MemberDetailsCorrected,
    MemberRegistered,
)

TODAY = date(2026, 3, 2)
NISS = "85073003328"

REGISTER_MEMBER = RegisterMember(
    member_id="m1",
    first_name=" Alice ",
    last_name="Dupont",
    email="alice@example.org",
    niss="85.07.30-033.28",
    iban="BE71 0961 2345 6769",
    gender="F",
    today=TODAY,
    address="Rue Haute 1\n1000 Bruxelles",
)
MEMBER_REGISTERED = MemberRegistered(
    member_id="m1",
    first_name="Alice",
    last_name="Dupont",
    email="alice@example.org",
    niss=NISS,
    iban="BE71096123456769",
    bic="GKCCBEBB",
    gender="F",
    address="Rue Haute 1\n1000 Bruxelles",
    registered_on=TODAY,
)

REGISTER_CLIENT = RegisterClient(
    client_id="cl1",
    name="Théâtre du Parc",
    email="billing@parc.example",
    country="be",
    today=TODAY,
    vat_number="BE 0123.456.749",
)
CLIENT_REGISTERED = ClientRegistered(
    client_id="cl1",
    name="Théâtre du Parc",
    email="billing@parc.example",
    country="BE",
    vat_number="BE0123456749",
    address=None,
    registered_on=TODAY,
)


def members() -> Spec[MemberCommand, MemberState]:
    return Spec(member_decider)


def clients() -> Spec[ClientCommand, ClientState]:
    return Spec(client_decider)


def register_member(**changes: object) -> RegisterMember:
    return dataclasses.replace(REGISTER_MEMBER, **changes)  # type: ignore[arg-type]


def register_client(**changes: object) -> RegisterClient:
    return dataclasses.replace(REGISTER_CLIENT, **changes)  # type: ignore[arg-type]


class TestNoMemberYet:
    def test_registration_stores_compact_validated_identifiers(self) -> None:
        members().given().when(REGISTER_MEMBER).then(MEMBER_REGISTERED)

    def test_a_bis_number_is_a_valid_niss(self) -> None:
        command = register_member(niss="98.47.28-997.65")
        (event,) = members().given().when(command).then_types(MemberRegistered)
        assert isinstance(event, MemberRegistered)
        assert event.niss == "98472899765"

    def test_a_given_bic_is_validated_and_kept(self) -> None:
        command = register_member(iban="FR14 2004 1010 0505 0001 3M02 606", bic="psstfrppxxx")
        (event,) = members().given().when(command).then_types(MemberRegistered)
        assert isinstance(event, MemberRegistered)
        assert (event.iban, event.bic) == ("FR1420041010050500013M02606", "PSSTFRPPXXX")

    def test_a_foreign_iban_without_bic_has_no_bic(self) -> None:
        command = register_member(iban="FR14 2004 1010 0505 0001 3M02 606")
        (event,) = members().given().when(command).then_types(MemberRegistered)
        assert isinstance(event, MemberRegistered)
        assert (event.iban, event.bic) == ("FR1420041010050500013M02606", None)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"niss": "85.07.30-033.29"}, "niss"),
            ({"iban": "BE71 0961 2345 6768"}, "iban"),
            ({"bic": "GKCC"}, "bic"),
        ],
    )
    def test_an_invalid_identifier_is_refused_naming_the_field(
        self, changes: dict[str, str], field: str
    ) -> None:
        refused = members().given().when(register_member(**changes)).raises(InvalidIdentifier)
        assert (refused.code, refused.field, refused.status) == ("invalid-identifier", field, 422)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"email": "alice.example.org"}, "email"),
            ({"email": "alice@localhost"}, "email"),
            ({"first_name": "  "}, "first_name"),
            ({"last_name": ""}, "last_name"),
            ({"gender": "female"}, "gender"),
        ],
    )
    def test_invalid_contact_data_is_refused(self, changes: dict[str, str], field: str) -> None:
        refused = members().given().when(register_member(**changes)).raises(InvalidDetails)
        assert (refused.code, refused.field) == ("invalid-details", field)

    def test_there_is_no_member_to_correct(self) -> None:
        command = CorrectMemberDetails(member_id="m1", today=TODAY, email="new@example.org")
        refused = members().given().when(command).raises(MemberNotFound)
        assert (refused.code, refused.status) == ("member-not-found", 404)

    def test_the_state_is_no_member(self) -> None:
        assert member_decider.fold([]) == NoMember()
        assert member_facts(NoMember(), {2026}, TODAY) is None


class TestRegisteredMember:
    def test_registering_again_is_a_conflict(self) -> None:
        refused = (
            members().given(MEMBER_REGISTERED).when(REGISTER_MEMBER).raises(MemberAlreadyRegistered)
        )
        assert (refused.code, refused.status) == ("member-already-registered", 409)

    def test_a_correction_records_only_what_changed(self) -> None:
        command = CorrectMemberDetails(
            member_id="m1", today=TODAY, email=" alice@new.example ", last_name="Dupont"
        )
        members().given(MEMBER_REGISTERED).when(command).then(
            MemberDetailsCorrected(member_id="m1", email="alice@new.example", corrected_on=TODAY)
        )

    def test_a_correction_to_the_same_values_changes_nothing(self) -> None:
        command = CorrectMemberDetails(member_id="m1", today=TODAY, niss="85 07 30 033 28")
        members().given(MEMBER_REGISTERED).when(command).then()

    def test_a_new_iban_brings_the_bic_of_its_bank(self) -> None:
        command = CorrectMemberDetails(member_id="m1", today=TODAY, iban="BE21 0012 3456 7803")
        members().given(MEMBER_REGISTERED).when(command).then(
            MemberDetailsCorrected(
                member_id="m1", iban="BE21001234567803", bic="GEBABEBB", corrected_on=TODAY
            )
        )

    def test_a_corrected_niss_is_validated(self) -> None:
        command = CorrectMemberDetails(member_id="m1", today=TODAY, niss="12345678901")
        refused = members().given(MEMBER_REGISTERED).when(command).raises(InvalidIdentifier)
        assert refused.field == "niss"

    def test_the_state_folds_corrections_and_free_uses(self) -> None:
        state = member_decider.fold(
            [
                MEMBER_REGISTERED,
                MemberDetailsCorrected(member_id="m1", email="a@b.example", corrected_on=TODAY),
                FreePrestationUsed(member_id="m1", prestation_id="p1", year=2025, use_number=3),
                FreePrestationUsed(member_id="m1", prestation_id="p2", year=2026, use_number=1),
                FreePrestationUsed(member_id="m1", prestation_id="p3", year=2026, use_number=2),
            ]
        )
        assert isinstance(state, Member)
        assert (state.email, state.full_name) == ("a@b.example", "Alice Dupont")
        # Uses are counted by the prestations that took them (one may be given back).
        assert (state.free_prestations_used(2025), state.free_prestations_used(2026)) == (1, 2)

    def test_member_facts_count_the_current_year(self) -> None:
        state = member_decider.fold(
            [
                MEMBER_REGISTERED,
                FreePrestationUsed(member_id="m1", prestation_id="p1", year=2026, use_number=1),
            ]
        )
        assert member_facts(state, {2025}, TODAY) == MemberFacts(NISS, False, 1)
        assert member_facts(state, {2025, 2026}, TODAY) == MemberFacts(NISS, True, 1)


class TestNoClientYet:
    def test_registration_normalises_the_belgian_vat_number(self) -> None:
        clients().given().when(REGISTER_CLIENT).then(CLIENT_REGISTERED)

    def test_a_client_may_have_no_vat_number(self) -> None:
        command = register_client(vat_number=None)
        (event,) = clients().given().when(command).then_types(ClientRegistered)
        assert isinstance(event, ClientRegistered)
        assert event.vat_number is None

    def test_an_eu_client_gets_its_country_checks(self) -> None:
        command = register_client(country="FR", vat_number="40 303 265 045")
        (event,) = clients().given().when(command).then_types(ClientRegistered)
        assert isinstance(event, ClientRegistered)
        assert (event.country, event.vat_number) == ("FR", "FR40303265045")

    def test_an_invalid_belgian_vat_number_is_refused(self) -> None:
        command = register_client(vat_number="BE0123456789")
        refused = clients().given().when(command).raises(InvalidIdentifier)
        assert (refused.code, refused.field) == ("invalid-identifier", "vat_number")

    @pytest.mark.parametrize(
        ("changes", "field"),
        [({"country": "BEL"}, "country"), ({"name": " "}, "name"), ({"email": "x"}, "email")],
    )
    def test_invalid_details_are_refused(self, changes: dict[str, str], field: str) -> None:
        refused = clients().given().when(register_client(**changes)).raises(InvalidDetails)
        assert (refused.code, refused.field) == ("invalid-details", field)

    def test_there_is_no_client_to_correct(self) -> None:
        command = CorrectClientDetails(client_id="cl1", today=TODAY, name="Other")
        refused = clients().given().when(command).raises(ClientNotFound)
        assert (refused.code, refused.status) == ("client-not-found", 404)


class TestRegisteredClient:
    def test_registering_again_is_a_conflict(self) -> None:
        refused = (
            clients().given(CLIENT_REGISTERED).when(REGISTER_CLIENT).raises(ClientAlreadyRegistered)
        )
        assert (refused.code, refused.status) == ("client-already-registered", 409)

    def test_a_correction_records_only_what_changed(self) -> None:
        command = CorrectClientDetails(
            client_id="cl1", today=TODAY, name="Théâtre du Parc", address="Rue de la Loi 3"
        )
        clients().given(CLIENT_REGISTERED).when(command).then(
            ClientDetailsCorrected(client_id="cl1", address="Rue de la Loi 3", corrected_on=TODAY)
        )

    def test_a_correction_to_the_same_values_changes_nothing(self) -> None:
        command = CorrectClientDetails(client_id="cl1", today=TODAY, vat_number="0123456749")
        clients().given(CLIENT_REGISTERED).when(command).then()

    def test_a_new_vat_number_is_checked_against_the_new_country(self) -> None:
        command = CorrectClientDetails(
            client_id="cl1", today=TODAY, country="NL", vat_number="NL004495445B01"
        )
        clients().given(CLIENT_REGISTERED).when(command).then(
            ClientDetailsCorrected(
                client_id="cl1", country="NL", vat_number="NL004495445B01", corrected_on=TODAY
            )
        )

    def test_the_state_folds_corrections(self) -> None:
        corrected = ClientDetailsCorrected(client_id="cl1", name="Parc", corrected_on=TODAY)
        state = client_decider.fold([CLIENT_REGISTERED, corrected])
        assert isinstance(state, Client)
        assert (state.name, state.vat_number) == ("Parc", "BE0123456749")
