"""Identifier validation with python-stdnum: compact values back, or an error naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from services.contracts import identifiers
from services.contracts.identifiers import InvalidIdentifier
from shared.parameters import cooperative


def test_the_fixture_iban_validates_and_names_its_bank() -> None:
    assert identifiers.iban("BE71 0961 2345 6769") == "BE71096123456769"
    assert identifiers.bic_of_belgian_iban("BE71 0961 2345 6769") == "GKCCBEBB"
    assert identifiers.bic("gkcc be bb") == "GKCCBEBB"


def test_a_foreign_iban_has_no_belgian_bic() -> None:
    assert identifiers.bic_of_belgian_iban("FR1420041010050500013M02606") is None


@pytest.mark.parametrize(
    ("check", "value", "field"),
    [
        (identifiers.iban, "BE71 0961 2345 6768", "iban"),
        (identifiers.bic, "GKCCBE", "bic"),
        (identifiers.niss, "85.07.30-033.29", "niss"),
        (identifiers.niss, "8507300332", "niss"),
        (identifiers.enterprise_number, "0123456789", "enterprise_number"),
    ],
)
def test_an_invalid_identifier_names_its_field(
    check: Callable[[str], str], value: str, field: str
) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        check(value)
    assert (raised.value.code, raised.value.field, raised.value.status) == (
        "invalid-identifier",
        field,
        422,
    )
    assert value in raised.value.detail


def test_the_field_name_can_be_given() -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        identifiers.iban("nope", field="members[2].iban")
    assert raised.value.field == "members[2].iban"


def test_a_national_number_gives_birth_date_and_gender() -> None:
    niss = identifiers.niss("85.07.30-033.28")
    assert niss == "85073003328"
    assert identifiers.format_niss(niss) == "85.07.30-033.28"
    assert identifiers.niss_birth_date(niss) == date(1985, 7, 30)
    assert identifiers.niss_gender(niss) == "M"


def test_a_national_number_born_after_2000_uses_the_leading_2() -> None:
    assert identifiers.niss("17 07 30 033 84") == "17073003384"
    assert identifiers.niss_birth_date("17073003384") == date(2017, 7, 30)


def test_a_bis_number_is_a_niss() -> None:
    assert identifiers.niss("98.47.28-997.65") == "98472899765"
    assert identifiers.niss_birth_date("98472899765") == date(1998, 7, 28)


def test_belgian_enterprise_and_vat_numbers() -> None:
    assert identifiers.enterprise_number("BE 0123.456.749") == "0123456749"
    assert identifiers.vat_number("0123 456 749") == "BE0123456749"
    with pytest.raises(InvalidIdentifier):
        identifiers.vat_number("BE0123456748")


def test_eu_vat_numbers_get_their_country_checks() -> None:
    assert identifiers.vat_number("40303265045", country="fr") == "FR40303265045"
    assert identifiers.vat_number("NL004495445B01", country="NL") == "NL004495445B01"
    with pytest.raises(InvalidIdentifier, match="not a VAT number of DE"):
        identifiers.vat_number("FR40303265045", country="DE")
    with pytest.raises(InvalidIdentifier):
        identifiers.vat_number("FR40303265046", country="FR")


def test_greek_vat_numbers_carry_el() -> None:
    assert identifiers.vat_number("094259216", country="GR") == "EL094259216"


def test_outside_the_eu_the_vat_number_is_kept_as_typed() -> None:
    assert identifiers.vat_number("che-123.456.788 mwst", country="CH") == "CHE-123.456.788MWST"


def test_the_cooperative_identity_passes_the_checks() -> None:
    coop = cooperative()
    assert identifiers.enterprise_number(coop.enterprise_number) == coop.enterprise_number
    assert identifiers.vat_number(coop.vat_number) == coop.vat_number
    assert identifiers.iban(coop.iban) == coop.iban
    assert identifiers.bic_of_belgian_iban(coop.iban) == coop.bic
