"""Dated configuration: the values of DOMAIN.md §8 and the rules of the file."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal

import pytest

from shared.money import MAX_CENTS
from shared.parameters import (
    DEFAULT_PATH,
    DamagesBracket,
    Limits,
    ParameterBook,
    ParameterError,
    ParameterNotDefined,
    Parameters,
    cooperative,
    limits,
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
        rmmmg_monthly_cents=215411,
        full_time_weekly_days=5,
        full_time_weekly_hours=38,
        minimum_work_hours=Decimal("3"),
        vat_rates=frozenset({"21", "12", "6", "0"}),
        late_interest_rate=Decimal("0.105"),
        late_flat_fee_cents=4000,
        peppol_einvoice_mandatory=True,
        reminder_days_after_due=(1, 15, 30, 45),
        reminder_pay_within_days=10,
        consumer_grace_days=14,
        consumer_post_delay_working_days=3,
        consumer_electronic_delay_days=1,
        consumer_damages_brackets=(
            DamagesBracket(over_cents=0, base_cents=2000, rate=Decimal("0")),
            DamagesBracket(over_cents=15000, base_cents=3000, rate=Decimal("0.10")),
            DamagesBracket(over_cents=50000, base_cents=6500, rate=Decimal("0.05")),
        ),
        consumer_damages_max_cents=200000,
    )


@pytest.mark.parametrize(
    ("day", "monthly", "daily", "hourly"),
    [
        (date(2025, 2, 1), 211189, 9747, "12.8252"),
        (date(2025, 12, 31), 211189, 9747, "12.8252"),
        # pivot-index indexation
        (date(2026, 1, 1), 215411, 9942, "13.0816"),
        (date(2026, 3, 31), 215411, 9942, "13.0816"),
        # third step of the 2025-2026 agreement
        (date(2026, 4, 1), 218981, 10107, "13.2984"),
        (date(2027, 1, 1), 218981, 10107, "13.2984"),
    ],
)
def test_the_minimum_wage_valid_on_each_day(
    day: date, monthly: int, daily: int, hourly: str
) -> None:
    """DOMAIN.md §8: daily = monthly * 3 / 65, hourly = monthly * 3 / (13 * 38)."""
    params = parameters_on(day)
    assert params.rmmmg_monthly_cents == monthly
    assert params.daily_minimum_cents == daily
    assert params.hourly_minimum == Decimal(hourly)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2025, 2, 1), "0.115"),  # the first day every parameter has a value
        (date(2025, 6, 30), "0.115"),
        (date(2025, 7, 1), "0.105"),
        (date(2025, 12, 31), "0.105"),
        (date(2026, 1, 1), "0.105"),
        (date(2026, 6, 30), "0.105"),
        (date(2026, 7, 1), "0.105"),
        (date(2026, 12, 31), "0.105"),
    ],
)
def test_the_late_payment_interest_of_each_half_year(day: date, rate: str) -> None:
    params = parameters_on(day)
    assert params.late_interest_rate == Decimal(rate)
    assert params.late_flat_fee_cents == 4000


def test_each_late_interest_period_is_one_half_year() -> None:
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    periods = document["dated"]["late_interest_rate"]
    assert [(p["valid_from"], p.get("valid_to")) for p in periods] == [
        (date(2025, 1, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), None),  # open until the next rate is published
    ]


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
        # The reminder schedule and the B2C damages brackets (collection)
        ("reminder_days_after_due = [{ value = [], valid_from = 2017-01-01 }]", "list of days"),
        (
            "reminder_days_after_due = [{ value = [1, 15, 15], valid_from = 2017-01-01 }]",
            "ascending",
        ),
        ("reminder_days_after_due = [{ value = [0, 15], valid_from = 2017-01-01 }]", "positive"),
        ('reminder_days_after_due = [{ value = ["1"], valid_from = 2017-01-01 }]', "an integer"),
        ("consumer_damages_brackets = [{ value = 20, valid_from = 2023-09-01 }]", "of brackets"),
        (
            "consumer_damages_brackets = [{ value = [{ over_cents = 0, base_cents = 2000 }],"
            " valid_from = 2023-09-01 }]",
            "exactly over_cents",
        ),
        (
            "consumer_damages_brackets = [{ value = [{ over_cents = 0, base_cents = -1,"
            ' rate = "0" }],'
            " valid_from = 2023-09-01 }]",
            "cannot be negative",
        ),
        (
            "consumer_damages_brackets = [{ value = [{ over_cents = 100, base_cents = 0,"
            ' rate = "0" }],'
            " valid_from = 2023-09-01 }]",
            "start over 0",
        ),
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


# -- [limits] ---------------------------------------------------------------------------------


def test_the_limits_of_one_request() -> None:
    assert limits() == Limits(max_amount_cents=1_000_000_000, max_expense_lines=100)


def book_with_limits(lines: str) -> ParameterBook:
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    document["limits"] = tomllib.loads(lines)
    return ParameterBook.from_mapping(document)


def test_a_ceiling_may_be_configured() -> None:
    book = book_with_limits("max_amount_cents = 5_000_000_000\nmax_expense_lines = 20")
    assert book.limits == Limits(max_amount_cents=5_000_000_000, max_expense_lines=20)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("max_amount_cents = 1000", r"missing keys \['max_expense_lines'\]"),
        ("max_amount_cents = 1000\nmax_expense_lines = 5\nmax_days = 3", "unknown keys"),
        ('max_amount_cents = "1000"\nmax_expense_lines = 5', "expected an integer"),
        ("max_amount_cents = 0\nmax_expense_lines = 5", "is not from 1 to"),
        # Over half of SQLite's INTEGER, a price plus its VAT might not be storable.
        (f"max_amount_cents = {MAX_CENTS // 2 + 1}\nmax_expense_lines = 5", "is not from 1 to"),
        ("max_amount_cents = 1000\nmax_expense_lines = 100000", "is not from 1 to"),
    ],
)
def test_malformed_limits_are_refused(lines: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        book_with_limits(lines)


def test_missing_limits_are_refused() -> None:
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    del document["limits"]
    with pytest.raises(ParameterError, match=r"\[limits\]: missing"):
        ParameterBook.from_mapping(document)
