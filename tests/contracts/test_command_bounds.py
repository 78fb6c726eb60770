"""The deciders' own bounds: a command past one is refused naming the field, before any
arithmetic on the value, whatever reached the command (the request schemas check them first)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.contracts.domain import (
    CorrectClientDetails,
    CorrectMemberDetails,
    Day,
    ExpenseLine,
)
from services.contracts.domain.errors import (
    InvalidAmount,
    InvalidDays,
    InvalidDetails,
    InvalidVatRate,
    InvalidWithholdingRate,
    MinimumHours,
)
from shared.decider import DomainError
from shared.events.contracts import PrestationEncoded
from shared.parameters import Limits, limits
from tests.contracts.test_member_and_client import (
    CLIENT_REGISTERED,
    MEMBER_REGISTERED,
    TODAY,
    clients,
    members,
    register_client,
    register_member,
)
from tests.contracts.test_prestation_decider import (
    FIRST_DAY,
    amend,
    cancel,
    encode,
    encoded,
    reject,
    spec,
)

CEILING = limits().max_amount_cents


def day(offset: int, hours: str = "8") -> Day:
    return Day(FIRST_DAY + timedelta(days=offset), Decimal(hours))


def assert_field(refused: DomainError, code: str, field: str) -> None:
    assert (refused.code, refused.field, refused.status) == (code, field, 422)


class TestMoney:
    @pytest.mark.parametrize("amount", [10**30, 10**19, CEILING + 1], ids=["1e30", "1e19", "+1"])
    def test_a_price_over_the_ceiling(self, amount: int) -> None:
        refused = spec().given().when(encode(amount_excl_vat_cents=amount)).raises(InvalidAmount)
        assert_field(refused, "invalid-amount", "amount_excl_vat_cents")

    def test_the_ceiling_comes_with_the_command(self) -> None:
        lower = Limits(max_amount_cents=50_000, max_expense_lines=1)
        command = encode(limits=lower)  # the worked example's price is 100,000 cents
        refused = spec().given().when(command).raises(InvalidAmount, match="50000")
        assert_field(refused, "invalid-amount", "amount_excl_vat_cents")

    def test_a_price_at_the_ceiling_is_encoded(self) -> None:
        event = encoded(encode(amount_excl_vat_cents=CEILING))[0]
        assert isinstance(event, PrestationEncoded) and event.amount_excl_vat_cents == CEILING

    @pytest.mark.parametrize(
        ("expenses", "field"),
        [
            ((ExpenseLine("train", 10**30),), "expenses[0].amount_cents"),
            (
                (ExpenseLine("train", 100), ExpenseLine("van", CEILING + 1)),
                "expenses[1].amount_cents",
            ),
            ((ExpenseLine("gear", CEILING // 2 + 1),) * 2, "expenses"),
            ((ExpenseLine("bus", 1),) * 101, "expenses"),
        ],
        ids=["1e30", "over the ceiling", "sum", "lines"],
    )
    def test_expenses_past_a_ceiling(self, expenses: tuple[ExpenseLine, ...], field: str) -> None:
        refused = spec().given().when(encode(expenses=expenses)).raises(InvalidAmount)
        assert_field(refused, "invalid-amount", field)

    def test_an_expense_description_has_a_length(self) -> None:
        expenses = (ExpenseLine("x" * 201, 100),)
        refused = spec().given().when(encode(expenses=expenses)).raises(InvalidDetails)
        assert_field(refused, "invalid-details", "expenses[0].description")

    @pytest.mark.parametrize("rate", ["1e999999999", "1E2", "²", "0x15", "NaN", "21" * 20])
    def test_a_vat_rate_that_is_not_plain_text(self, rate: str) -> None:
        refused = spec().given().when(encode(vat_rate=rate)).raises(InvalidVatRate)
        assert_field(refused, "invalid-vat-rate", "vat_rate")

    @pytest.mark.parametrize("rate", ["1e999999999", "2.2E1", "²", "100", "-1"])
    def test_a_withholding_rate_that_is_not_plain_text(self, rate: str) -> None:
        refused = spec().given().when(encode(withholding_rate=rate)).raises(InvalidWithholdingRate)
        assert_field(refused, "invalid-withholding-rate", "withholding_rate")


class TestDays:
    @pytest.mark.parametrize("hours", ["-1e30", "1e30", "0", "-1", "24.01", "1e-999999999", "NaN"])
    def test_hours_that_are_not_hours_of_a_day(self, hours: str) -> None:
        command = encode(days=(day(0, hours),))
        refused = spec().given().when(command).raises(InvalidDays)
        assert_field(refused, "invalid-days", "days[0].hours")

    @pytest.mark.parametrize("hours", ["0.01", "2", "2.99"])
    def test_hours_under_the_minimum_work_period_keep_their_refusal(self, hours: str) -> None:
        refused = spec().given().when(encode(days=(day(0, hours),))).raises(MinimumHours)
        assert_field(refused, "minimum-hours", "days[0].hours")

    def test_at_most_366_days(self) -> None:
        command = encode(days=tuple(day(n) for n in range(367)))
        refused = spec().given().when(command).raises(InvalidDays, match="at most 366")
        assert_field(refused, "invalid-days", "days")

    def test_within_one_year(self) -> None:
        refused = spec().given().when(encode(days=(day(0), day(366)))).raises(InvalidDays)
        assert_field(refused, "invalid-days", "days")
        assert "367 days" in refused.detail

    def test_a_whole_year_is_one_prestation(self) -> None:
        event = encoded(encode(days=(day(0), day(365)), amount_excl_vat_cents=200_000))[0]
        assert isinstance(event, PrestationEncoded)
        assert (event.first_day, event.last_day) == (FIRST_DAY, date(2027, 3, 10))

    def test_an_amendment_has_the_same_bounds(self) -> None:
        history = encoded()
        too_many = spec().given(*history).when(amend(*(day(n) for n in range(367))))
        too_long = spec().given(*history).when(amend(day(0, "-1e30")))
        assert_field(too_many.raises(InvalidDays), "invalid-days", "days")
        assert_field(too_long.raises(InvalidDays), "invalid-days", "days[0].hours")


class TestText:
    def test_a_description_has_a_length(self) -> None:
        refused = spec().given().when(encode(description="x" * 1001)).raises(InvalidDetails)
        assert_field(refused, "invalid-details", "description")

    def test_a_reason_has_a_length(self) -> None:
        history = encoded()
        too_long = "x" * 501
        cancelled = spec().given(*history).when(dataclasses.replace(cancel(), reason=too_long))
        rejected = spec().given(*history).when(reject(reason=too_long))
        assert_field(cancelled.raises(InvalidDetails), "invalid-details", "reason")
        assert_field(rejected.raises(InvalidDetails), "invalid-details", "reason")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("first_name", "A" * 101),
            ("last_name", "B" * 101),
            ("email", "a" * 250 + "@x.be"),
            ("address", "Rue " * 126),
        ],
    )
    def test_member_fields_have_a_length(self, field: str, value: str) -> None:
        changes: dict[str, Any] = {field: value}
        registered = members().given().when(register_member(**{field: value}))
        corrected = (
            members()
            .given(MEMBER_REGISTERED)
            .when(
                CorrectMemberDetails(member_id=MEMBER_REGISTERED.member_id, today=TODAY, **changes)
            )
        )
        assert_field(registered.raises(InvalidDetails), "invalid-details", field)
        assert_field(corrected.raises(InvalidDetails), "invalid-details", field)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("name", "N" * 201), ("email", "a" * 250 + "@x.be"), ("address", "Rue " * 126)],
    )
    def test_client_fields_have_a_length(self, field: str, value: str) -> None:
        registered = clients().given().when(register_client(**{field: value}))
        corrected = (
            clients()
            .given(CLIENT_REGISTERED)
            .when(
                CorrectClientDetails(
                    client_id=CLIENT_REGISTERED.client_id, today=TODAY, **{field: value}
                )
            )
        )
        assert_field(registered.raises(InvalidDetails), "invalid-details", field)
        assert_field(corrected.raises(InvalidDetails), "invalid-details", field)

    def test_the_longest_texts_are_taken(self) -> None:
        email = "a" * 243 + "@example.be"  # 254 characters
        [event] = (
            members()
            .given()
            .when(register_member(first_name="A" * 100, email=email, address="R" * 500))
            .then_types(type(MEMBER_REGISTERED))
        )
        assert len(event.email) == 254  # type: ignore[attr-defined]
