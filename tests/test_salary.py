"""Money helpers, the salary breakdown of DOMAIN.md §2, and its properties over any encoding."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.contracts.domain import (
    BelowMinimumWage,
    Day,
    ExpenseLine,
    NoPrestation,
    employment_days,
    prestation_decider,
)
from shared.events.contracts import EmploymentContractDrawnUp, WorkDay
from shared.money import (
    MAX_CENTS,
    AmountOutOfRange,
    RateOutOfRange,
    apply_rate,
    divide,
    format_eur,
    format_percent,
    parse_decimal,
    percent,
)
from shared.money import round_half_up as round_cents
from shared.parameters import parameters_on
from shared.salary import BudgetTooLow, SalaryBreakdown, salary_breakdown
from tests.contracts.test_prestation_decider import PARAMS, TODAY, encode

# PARAMS: the 2025 minimum wage of DOMAIN.md §2's examples (the decider tests' parameters).
VAT_21 = Decimal("0.21")
WITHHOLDING_22 = Decimal("0.22")


class TestMoney:
    def test_rounding_is_half_up_to_the_cent(self) -> None:
        assert round_cents(Decimal("18640.5")) == 18641
        assert round_cents(Decimal("18640.49")) == 18640
        assert round_cents(Decimal("-0.5")) == -1

    def test_a_rate_applies_to_cents(self) -> None:
        assert apply_rate(100000, Decimal("0.065")) == 6500
        assert apply_rate(15, Decimal("0.1")) == 2  # 1.5 → 2

    def test_percentages_read_as_fractions(self) -> None:
        assert percent("21") == Decimal("0.21")
        assert percent(" 6.5 ") == Decimal("0.065")
        assert format_percent(Decimal("0.065")) == "6.5"
        assert format_percent(Decimal("0.2")) == "20"
        assert format_percent(Decimal("0")) == "0"
        assert parse_decimal("1.08") == Decimal("1.08")

    @pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "1,5"])
    def test_a_percentage_must_be_a_number(self, text: str) -> None:
        with pytest.raises(ValueError):
            percent(text)

    @pytest.mark.parametrize(
        "text",
        [
            "1e999999999",  # Decimal reads it; dividing it by 100 overflowed
            "1E5",
            "²",  # str.isdigit() says yes, Decimal says no
            "٣",  # an Arabic-Indic digit Decimal would read as 3
            "0x10",
            "1 000",
            "1.",
            ".5",
            "--1",
            "1" * 16,  # more digits than any rate or factor has
            "0." + "1" * 13,
        ],
    )
    def test_a_decimal_is_refused_by_its_form_before_any_arithmetic(self, text: str) -> None:
        with pytest.raises(ValueError, match="not a number"):
            parse_decimal(text)
        with pytest.raises(ValueError, match="not a number"):
            percent(text)

    @pytest.mark.parametrize("text", ["-2.5", "+3", "123456789012345.123456789012", " 7 "])
    def test_plain_decimals_are_read(self, text: str) -> None:
        assert parse_decimal(text) == Decimal(text.strip())

    @pytest.mark.parametrize(
        "cents",
        [10**30, -(10**30), MAX_CENTS + 1, 10**5000],
        ids=["1e30", "-1e30", "max+1", "1e5000"],  # 10**5000 is too long for str()
    )
    def test_an_amount_that_cannot_be_stored_is_refused(self, cents: int) -> None:
        with pytest.raises(AmountOutOfRange) as refused:
            apply_rate(cents, Decimal("0.21"))
        assert isinstance(refused.value, ValueError) and refused.value.status == 422
        with pytest.raises(AmountOutOfRange):
            divide(cents, Decimal("1.46"))

    @pytest.mark.parametrize(
        "cents",
        [Decimal("1e999999999"), Decimal("-1e999999999"), Decimal("NaN"), Decimal("Infinity")],
    )
    def test_rounding_refuses_what_is_not_an_amount(self, cents: Decimal) -> None:
        with pytest.raises(AmountOutOfRange):
            round_cents(cents)

    def test_a_result_that_cannot_be_stored_is_refused(self) -> None:
        assert apply_rate(MAX_CENTS, Decimal(1)) == MAX_CENTS
        with pytest.raises(AmountOutOfRange):
            apply_rate(MAX_CENTS, Decimal("1.01"))
        with pytest.raises(AmountOutOfRange):
            round_cents(Decimal(MAX_CENTS) + Decimal("0.5"))

    @pytest.mark.parametrize("rate", [Decimal("1e999999999"), Decimal("NaN"), Decimal(1001)])
    def test_a_rate_that_is_no_fraction_is_refused(self, rate: Decimal) -> None:
        with pytest.raises(RateOutOfRange):
            apply_rate(100, rate)

    def test_a_divisor_must_be_a_positive_factor(self) -> None:
        assert divide(93500, Decimal("1.462672")) == 63924
        with pytest.raises(RateOutOfRange):
            divide(100, Decimal(0))

    def test_euros_are_formatted_with_thousands(self) -> None:
        assert format_eur(121000) == "1,210.00"
        assert format_eur(5) == "0.05"
        assert format_eur(123456789) == "1,234,567.89"
        assert format_eur(-42823) == "-428.23"


class TestWorkedExample:
    def test_two_days_at_500_with_22_percent_withholding(self) -> None:
        breakdown = salary_breakdown(100000, VAT_21, 0, WITHHOLDING_22, PARAMS)
        assert breakdown == SalaryBreakdown(
            amount_excl_vat_cents=100000,
            vat_cents=21000,
            total_cents=121000,
            fee_cents=6500,
            expenses_cents=0,
            budget_cents=93500,
            gross_cents=63924,
            employer_contributions_cents=18640,
            holiday_contributions_cents=10936,
            employee_contributions_cents=9023,
            taxable_cents=54901,
            withholding_cents=12078,
            net_cents=42823,
        )
        assert breakdown.net_share_of_budget == Decimal("0.4580")

    def test_the_employer_contributions_take_the_rounding_residue(self) -> None:
        breakdown = salary_breakdown(100000, VAT_21, 0, WITHHOLDING_22, PARAMS)
        unrounded = Decimal(63924) * Decimal("1.08") * Decimal("0.27")  # 18640.2384… → 18640
        assert breakdown.employer_contributions_cents == round_cents(unrounded)

    def test_full_days_keep_their_hours(self) -> None:
        breakdown = salary_breakdown(100000, VAT_21, 0, WITHHOLDING_22, PARAMS)
        two_days = (
            WorkDay(date=date(2026, 3, 10), hours=Decimal("8")),
            WorkDay(date=date(2026, 3, 11), hours=Decimal("8")),
        )
        assert employment_days(two_days, breakdown.gross_cents, PARAMS) == (two_days, False)


class TestShortGigs:
    """DOMAIN.md §2: one day at 21 % VAT and 22 % withholding, with the minimum wage valid on
    the day worked."""

    @pytest.mark.parametrize(
        ("day", "hours"),
        [
            (date(2025, 12, 31), "7.48"),  # 95.89 / 12.8252
            (date(2026, 1, 1), "7.33"),  # 95.89 / 13.0816
            (date(2026, 3, 31), "7.33"),
            (date(2026, 4, 1), "7.21"),  # 95.89 / 13.2984
        ],
    )
    def test_150_euros_make_a_contract_of_less_than_a_day(self, day: date, hours: str) -> None:
        params = parameters_on(day)
        breakdown = salary_breakdown(15000, VAT_21, 0, WITHHOLDING_22, params)
        assert breakdown.gross_cents == 9589
        one_day = (WorkDay(date=day, hours=Decimal("8")),)
        contract_days, less_than_a_day = employment_days(one_day, 9589, params)
        assert less_than_a_day is True
        assert [day.hours for day in contract_days] == [Decimal(hours)]

    @pytest.mark.parametrize(
        ("day", "hours"),
        [(date(2025, 12, 31), "2.49"), (date(2026, 1, 1), "2.44"), (date(2026, 4, 1), "2.40")],
    )
    def test_50_euros_make_under_3_hours_and_are_refused(self, day: date, hours: str) -> None:
        params = parameters_on(day)
        breakdown = salary_breakdown(5000, VAT_21, 0, WITHHOLDING_22, params)
        assert breakdown.gross_cents == 3196
        one_day = (WorkDay(date=day, hours=Decimal("8")),)
        with pytest.raises(BelowMinimumWage, match=rf"pays {hours} h") as refused:
            employment_days(one_day, 3196, params)
        assert refused.value.code == "below-minimum-wage"


class TestBudget:
    def test_expenses_come_out_of_the_budget(self) -> None:
        breakdown = salary_breakdown(100000, VAT_21, 2300, WITHHOLDING_22, PARAMS)
        assert (breakdown.expenses_cents, breakdown.budget_cents) == (2300, 91200)

    @pytest.mark.parametrize("expenses_cents", [93500, 100000])
    def test_no_budget_left_is_a_domain_error(self, expenses_cents: int) -> None:
        with pytest.raises(BudgetTooLow) as refused:
            salary_breakdown(100000, VAT_21, expenses_cents, WITHHOLDING_22, PARAMS)
        assert (refused.value.code, refused.value.field) == ("budget-too-low", "expenses")

    def test_one_cent_of_budget_is_a_salary(self) -> None:
        breakdown = salary_breakdown(100000, VAT_21, 93499, WITHHOLDING_22, PARAMS)
        assert breakdown.budget_cents == 1


class TestInputRange:
    """Out-of-range inputs are refused naming the field, before any arithmetic can fail."""

    @pytest.mark.parametrize(
        ("amount", "expenses", "vat", "withholding", "error", "field"),
        [
            (10**30, 0, VAT_21, WITHHOLDING_22, AmountOutOfRange, "amount_excl_vat_cents"),
            (
                MAX_CENTS // 2 + 1,
                0,
                VAT_21,
                WITHHOLDING_22,
                AmountOutOfRange,
                "amount_excl_vat_cents",
            ),
            (-1, 0, VAT_21, WITHHOLDING_22, AmountOutOfRange, "amount_excl_vat_cents"),
            (100000, 10**30, VAT_21, WITHHOLDING_22, AmountOutOfRange, "expenses"),
            (100000, -1, VAT_21, WITHHOLDING_22, AmountOutOfRange, "expenses"),
            (100000, 0, Decimal("1e999999997"), WITHHOLDING_22, RateOutOfRange, "vat_rate"),
            (100000, 0, Decimal("-0.21"), WITHHOLDING_22, RateOutOfRange, "vat_rate"),
            (100000, 0, VAT_21, Decimal("1.01"), RateOutOfRange, "withholding_rate"),
            (100000, 0, VAT_21, Decimal("NaN"), RateOutOfRange, "withholding_rate"),
        ],
    )
    def test_an_input_out_of_range_is_refused_naming_its_field(
        self,
        amount: int,
        expenses: int,
        vat: Decimal,
        withholding: Decimal,
        error: type[ValueError],
        field: str,
    ) -> None:
        with pytest.raises(error) as refused:
            salary_breakdown(amount, vat, expenses, withholding, PARAMS)
        assert getattr(refused.value, "field", None) == field

    @given(
        amount=st.integers(min_value=1, max_value=MAX_CENTS // 2),
        vat_rate=st.decimals(min_value=0, max_value=1, places=4),
        withholding_rate=st.decimals(min_value=0, max_value=1, places=4),
    )
    def test_every_figure_of_any_price_in_range_is_storable(
        self, amount: int, vat_rate: Decimal, withholding_rate: Decimal
    ) -> None:
        try:
            b = salary_breakdown(amount, vat_rate, 0, withholding_rate, PARAMS)
        except BudgetTooLow:
            return
        figures = dataclasses.astuple(b)
        assert all(0 <= figure <= MAX_CENTS for figure in figures)


rates = st.decimals(min_value=0, max_value=Decimal("99.99"), places=2).map(lambda p: p / 100)
vat_rates = st.sampled_from(sorted(PARAMS.vat_rates)).map(percent)


class TestProperties:
    @given(
        amount=st.integers(min_value=1, max_value=100_000_000),
        expenses=st.integers(min_value=0, max_value=100_000_000),
        vat_rate=vat_rates,
        withholding_rate=rates,
    )
    def test_the_parts_of_the_budget_add_up_to_it_exactly(
        self, amount: int, expenses: int, vat_rate: Decimal, withholding_rate: Decimal
    ) -> None:
        try:
            b = salary_breakdown(amount, vat_rate, expenses, withholding_rate, PARAMS)
        except BudgetTooLow:
            assert amount - apply_rate(amount, PARAMS.fee_rate) - expenses <= 0
            return
        assert b.budget_cents == amount - b.fee_cents - expenses > 0
        assert (
            b.employer_contributions_cents
            + b.holiday_contributions_cents
            + b.employee_contributions_cents
            + b.withholding_cents
            + b.net_cents
            == b.budget_cents
        )
        assert b.total_cents == amount + b.vat_cents
        assert b.taxable_cents == b.gross_cents - b.employee_contributions_cents
        parts = (
            b.gross_cents,
            b.employer_contributions_cents,
            b.holiday_contributions_cents,
            b.employee_contributions_cents,
            b.withholding_cents,
            b.net_cents,
        )
        assert all(part >= 0 for part in parts)

    @given(
        offsets_and_hours=st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=90),
                st.decimals(min_value=3, max_value=24, places=2),
            ),
            min_size=1,
            max_size=6,
            unique_by=lambda pair: pair[0],
        ),
        # Small prices as often as large ones, so contracts of less than a day come up.
        amount=st.integers(1, 60_000) | st.integers(1, 5_000_000),
        expenses=st.integers(min_value=0, max_value=100_000),
        vat_rate=st.sampled_from(sorted(PARAMS.vat_rates)),
        withholding=st.decimals(min_value=0, max_value=Decimal("99.99"), places=2),
    )
    # 38.42 € a day is 3.00 h at the hourly minimum, the 3 h encoded: still less than a day.
    @example(
        offsets_and_hours=[(0, Decimal("3.00"))],
        amount=6010,
        expenses=0,
        vat_rate="0",
        withholding=Decimal("0.00"),
    )
    def test_any_valid_encoding_gives_a_lawful_contract_or_a_reasoned_refusal(
        self,
        offsets_and_hours: list[tuple[int, Decimal]],
        amount: int,
        expenses: int,
        vat_rate: str,
        withholding: Decimal,
    ) -> None:
        """Every contract day lasts at least the minimum work period and is paid at least the
        minimum wage: the daily minimum for a full day; for a contract of less than a day, the
        hourly minimum for each contract hour, the hours being rounded to the hundredth (7.48 h
        for a gross of 95.89, DOMAIN.md §2) so the shortfall stays under half a hundredth of an
        hour at the hourly minimum."""
        command = encode(
            days=tuple(Day(TODAY + timedelta(days=d), h) for d, h in offsets_and_hours),
            amount_excl_vat_cents=amount,
            expenses=(ExpenseLine("travel", expenses),),
            vat_rate=vat_rate,
            withholding_rate=str(withholding),
        )
        try:
            events = prestation_decider.decide(command, NoPrestation())
        except (BudgetTooLow, BelowMinimumWage) as refused:
            assert refused.field in ("expenses", "amount_excl_vat_cents")
            return
        contract = next(e for e in events if isinstance(e, EmploymentContractDrawnUp))
        estimate = contract.salary_estimate
        assert estimate.budget_cents == (
            estimate.employer_contributions_cents
            + estimate.holiday_contributions_cents
            + estimate.employee_contributions_cents
            + estimate.withholding_cents
            + estimate.net_cents
        )
        gross_per_day = Decimal(estimate.gross_cents) / len(contract.days) / 100
        daily_minimum = Decimal(PARAMS.daily_minimum_cents) / 100
        hour_rounding = Decimal("0.005")
        for day in contract.days:
            assert day.hours >= PARAMS.minimum_work_hours
            if contract.less_than_a_day:
                assert gross_per_day < daily_minimum
                assert gross_per_day >= PARAMS.hourly_minimum * (day.hours - hour_rounding)
            else:
                assert gross_per_day >= daily_minimum

    @given(amount=st.integers(min_value=1, max_value=50_000), days_count=st.integers(1, 5))
    def test_a_refusal_below_minimum_wage_means_under_three_hours_a_day(
        self, amount: int, days_count: int
    ) -> None:
        command = encode(
            days=tuple(Day(TODAY + timedelta(days=d), Decimal(8)) for d in range(days_count)),
            amount_excl_vat_cents=amount,
        )
        try:
            prestation_decider.decide(command, NoPrestation())
        except BelowMinimumWage:
            gross = salary_breakdown(amount, VAT_21, 0, WITHHOLDING_22, PARAMS).gross_cents
            hours = Decimal(gross) / days_count / 100 / PARAMS.hourly_minimum
            assert hours < Decimal("2.995")
        except BudgetTooLow:
            pass
