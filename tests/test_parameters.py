"""Dated configuration: the values of DOMAIN.md §8 and the rules of the file."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal

import pytest

from shared.parameters import (
    DEFAULT_PATH,
    ParameterBook,
    ParameterError,
    ParameterNotDefined,
    Parameters,
    cooperative,
    parameters_on,
)


def test_the_2026_values() -> None:
    assert parameters_on(date(2026, 3, 10)) == Parameters(
        valid_on=date(2026, 3, 10),
        fee_rate=Decimal("0.065"),
        payment_term_days=10,
        salary_deadline_working_days=7,
        share_price_cents=3000,
        free_prestations_without_share=3,
        contribution_basis=Decimal("1.08"),
        employee_rate=Decimal("0.1307"),
        employer_rate=Decimal("0.27"),
        holiday_rate=Decimal("0.1584"),
        rmmmg_monthly_cents=211189,
        full_time_weekly_days=5,
        full_time_weekly_hours=38,
        minimum_work_hours=Decimal("3"),
        vat_rates=frozenset({"21", "12", "6", "0"}),
        late_interest_rate=Decimal("0.105"),
        late_flat_fee_cents=4000,
        peppol_einvoice_mandatory=True,
    )


def test_the_minimum_wages_derive_from_the_monthly_one() -> None:
    params = parameters_on(date(2026, 3, 10))
    assert params.daily_minimum_cents == 9747
    assert params.hourly_minimum == Decimal("12.8252")


def test_a_day_without_some_values_names_them_all() -> None:
    with pytest.raises(ParameterNotDefined) as raised:
        parameters_on(date(2024, 6, 1))
    assert raised.value.names == [
        "employer_rate",
        "late_flat_fee_cents",
        "late_interest_rate",
        "rmmmg_monthly_cents",
    ]
    assert str(raised.value).startswith("no value valid on 2024-06-01 for: employer_rate")


def test_the_cooperative_identity() -> None:
    coop = cooperative()
    assert (coop.enterprise_number, coop.dimona_worker_type) == ("0123456749", "OTH")
    assert coop.joint_commission_number == "322"


def book_with(entries: str) -> ParameterBook:
    """The shipped file with some `[dated]` entries (TOML lines) replaced or added."""
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    document["dated"].update(tomllib.loads(entries))
    return ParameterBook.from_mapping(document)


def test_a_value_applies_from_its_first_day_to_its_last_included() -> None:
    book = book_with(
        'employer_rate = [{ value = "27", valid_from = 2025-01-01, valid_to = 2026-06-30 },'
        ' { value = "25", valid_from = 2026-07-01 }]'
    )
    assert book.on(date(2026, 6, 30)).employer_rate == Decimal("0.27")
    assert book.on(date(2026, 7, 1)).employer_rate == Decimal("0.25")


def test_peppol_becomes_mandatory_in_2026() -> None:
    book = book_with(
        'late_interest_rate = [{ value = "10", valid_from = 2025-01-01 }]\n'
        "late_flat_fee_cents = [{ value = 4000, valid_from = 2025-01-01 }]"
    )
    assert book.on(date(2025, 12, 31)).peppol_einvoice_mandatory is False
    assert book.on(date(2026, 1, 1)).peppol_einvoice_mandatory is True


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            'fee_rate = [{ value = "6.5", valid_from = 2017-01-01 },'
            ' { value = "7", valid_from = 2026-01-01 }]',
            "overlap",
        ),
        ("fee_rate = [{ value = 6.5, valid_from = 2017-01-01 }]", "expected a string"),
        ('fee_rate = [{ value = "six", valid_from = 2017-01-01 }]', "not a number"),
        ("share_price_cents = [{ value = 30.0, valid_from = 2017-01-01 }]", "expected an integer"),
        ('fee_rate = [{ value = "6.5" }]', "needs `value` and `valid_from`"),
        (
            'fee_rate = [{ value = "6.5", valid_from = 2017-01-01, valid_to = 2016-01-01 }]',
            "before valid_from",
        ),
        ('fee_rate = [{ value = "6.5", valid_from = 2017-01-01, note = "x" }]', "unknown keys"),
        ('tip_rate = [{ value = "5", valid_from = 2017-01-01 }]', "unknown parameters"),
        ("fee_rate = []", "non-empty list"),
    ],
)
def test_a_malformed_file_is_refused(lines: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        book_with(lines)


def test_a_missing_parameter_is_refused() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("\nfee_rate = ", "\n# fee_rate = ")
    with pytest.raises(ParameterError, match=r"missing parameters: \['fee_rate'\]"):
        ParameterBook.from_toml(text)


def test_a_file_that_is_not_toml_is_refused() -> None:
    with pytest.raises(ParameterError):
        ParameterBook.from_toml("fee_rate = [")


def test_a_missing_cooperative_field_is_refused() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("onss_employer_id =", "# x =")
    with pytest.raises(ParameterError, match="cooperative"):
        ParameterBook.from_toml(text)
