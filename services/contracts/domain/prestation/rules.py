"""The encoding rules of DOMAIN.md §1: days, money, the minimum wage, the free uses.

With the bounds that keep every value storable and every figure computable: at most 366 days
within one year, hours from 0 (excluded) to 24, money under the configured ceilings. Each is
checked before any arithmetic on the value, so a hostile number is a refusal, not a crash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.contracts.domain.checks import bounded
from services.contracts.domain.errors import (
    BelowMinimumWage,
    InvalidAmount,
    InvalidDays,
    InvalidVatRate,
    InvalidWithholdingRate,
    MinimumHours,
    ShareRequired,
    StartInPast,
)
from services.contracts.domain.member import MemberFacts
from services.contracts.domain.prestation.commands import Day, EncodePrestation, ExpenseLine
from shared.events.base import DomainEvent
from shared.events.contracts import (
    Expense,
    FreePrestationUsed,
    SalaryEstimate,
    WorkDay,
)
from shared.money import format_percent, percent, round_half_up
from shared.parameters import Limits, Parameters
from shared.salary import SalaryBreakdown, salary_breakdown

_HOURS_PLACES = Decimal("0.01")
MAX_HOURS_PER_DAY = Decimal(24)
# One year: at most 366 days, the last at most 365 days after the first.
MAX_DAYS = 366
DESCRIPTION_MAX = 1000  # printed on the quote, the contract and the invoice
EXPENSE_DESCRIPTION_MAX = 200


def hash_acceptance_token(token: str) -> str:
    """SHA-256 (hex) of an acceptance token: what the quote keeps and what AcceptQuote carries."""
    return hashlib.sha256(token.encode()).hexdigest()


def checked_days(days: Sequence[Day], today: dt.date, params: Parameters) -> tuple[WorkDay, ...]:
    """The days, sorted, once they pass: well-formed, none before today, none under 3 hours."""
    if not days:
        raise InvalidDays("a prestation needs at least one day", field="days")
    if len(days) > MAX_DAYS:
        raise InvalidDays(f"{len(days)} days; a prestation has at most {MAX_DAYS}", field="days")
    seen: set[dt.date] = set()
    for index, day in enumerate(days):
        if day.date in seen:
            raise InvalidDays(f"{day.date} is encoded twice", field=f"days[{index}].date")
        seen.add(day.date)
        hours = day.hours
        # The range first: rounding an hour count like -1e30 overflows the decimal context.
        if (
            not hours.is_finite()
            or not 0 < hours <= MAX_HOURS_PER_DAY
            or hours != round_hours(hours)
        ):
            raise InvalidDays(
                f"{hours} is not a number of hours in a day (over 0, at most 24, 2 decimals)",
                field=f"days[{index}].hours",
            )
    span = (max(seen) - min(seen)).days + 1
    if span > MAX_DAYS:
        raise InvalidDays(
            f"the days span {span} days from the first to the last; at most {MAX_DAYS}",
            field="days",
        )
    first = min(range(len(days)), key=lambda index: days[index].date)
    if days[first].date < today:
        raise StartInPast(
            f"the first day {days[first].date} is before today {today}: DIMONA must precede "
            "the work",
            field=f"days[{first}].date",
        )
    for index, day in enumerate(days):
        if day.hours < params.minimum_work_hours:
            raise MinimumHours(
                f"{day.date}: {day.hours} h is under the minimum work period of "
                f"{params.minimum_work_hours} h",
                field=f"days[{index}].hours",
            )
    return tuple(
        WorkDay(date=day.date, hours=round_hours(day.hours))
        for day in sorted(days, key=lambda d: d.date)
    )


def round_hours(value: Decimal) -> Decimal:
    return value.quantize(_HOURS_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    vat_rate: str
    vat_fraction: Decimal
    withholding_rate: str
    withholding_fraction: Decimal
    expenses: tuple[Expense, ...]
    expenses_cents: int


def checked_money(
    amount_excl_vat_cents: int,
    vat_rate: str,
    withholding_rate: str,
    expenses: Sequence[ExpenseLine],
    params: Parameters,
) -> Money:
    if amount_excl_vat_cents <= 0:
        raise InvalidAmount("the price must be positive", field="amount_excl_vat_cents")
    for index, expense in enumerate(expenses):
        if expense.amount_cents < 0:
            raise InvalidAmount(
                "an expense cannot be negative", field=f"expenses[{index}].amount_cents"
            )
    allowed = {percent(rate): rate for rate in params.vat_rates}
    vat_fraction = _fraction(vat_rate)
    if vat_fraction is None or vat_fraction not in allowed:
        raise InvalidVatRate(
            f"VAT rate {vat_rate!r} is not one of {', '.join(sorted(params.vat_rates, key=int))}",
            field="vat_rate",
        )
    withholding = _fraction(withholding_rate)
    # A percentage with at most 2 decimals, from 0 included to 100 excluded.
    if withholding is None or not 0 <= withholding < 1 or withholding != round(withholding, 4):
        raise InvalidWithholdingRate(
            f"withholding rate {withholding_rate!r} must be a percentage from 0 to under 100, "
            "with at most 2 decimals",
            field="withholding_rate",
        )
    lines = tuple(
        Expense(description=line.description.strip(), amount_cents=line.amount_cents)
        for line in expenses
    )
    return Money(
        vat_rate=allowed[vat_fraction],
        vat_fraction=vat_fraction,
        withholding_rate=format_percent(withholding),
        withholding_fraction=withholding,
        expenses=lines,
        expenses_cents=sum(line.amount_cents for line in lines),
    )


def checked_bounds(
    amount_excl_vat_cents: int, expenses: Sequence[ExpenseLine], limits: Limits
) -> None:
    """What a new encoding may carry: the price, each expense, their sum and their count under
    the configured ceilings (`[limits]`), and expense descriptions of a bounded length. (Not
    checked again on an amendment, which keeps the money as it was encoded.)"""
    ceiling = limits.max_amount_cents
    if amount_excl_vat_cents > ceiling:
        raise InvalidAmount(
            f"the price is over the ceiling of {ceiling} cents", field="amount_excl_vat_cents"
        )
    if len(expenses) > limits.max_expense_lines:
        raise InvalidAmount(
            f"{len(expenses)} expense lines; at most {limits.max_expense_lines}", field="expenses"
        )
    for index, expense in enumerate(expenses):
        if expense.amount_cents > ceiling:
            raise InvalidAmount(
                f"the expense is over the ceiling of {ceiling} cents",
                field=f"expenses[{index}].amount_cents",
            )
        bounded(
            expense.description.strip(),
            f"expenses[{index}].description",
            EXPENSE_DESCRIPTION_MAX,
        )
    if sum(expense.amount_cents for expense in expenses) > ceiling:
        raise InvalidAmount(
            f"the expenses add up to more than the ceiling of {ceiling} cents", field="expenses"
        )


def _fraction(text: str) -> Decimal | None:
    try:
        return percent(text)
    except ValueError:
        return None


def employment_days(
    days: tuple[WorkDay, ...],
    gross_cents: int,
    params: Parameters,
    day_parameters: Mapping[dt.date, Parameters] | None = None,
) -> tuple[tuple[WorkDay, ...], bool]:
    """The contract's days and whether it is a contract of less than a day.

    The gross is spread evenly over the days; each day is held to the minimum wage valid on
    it (`day_parameters`, else `params`). A day whose gross reaches its daily minimum keeps the
    encoded hours; another gets gross per day ÷ its hourly minimum hours, rounded half-up to
    the hundredth (95.89 ÷ 12.8252 = 7.48 h), refused under the minimum work period.
    """
    gross_per_day = Decimal(gross_cents) / len(days)
    contract: list[WorkDay] = []
    # Flagged by the wage, not by comparing hours: 38.42 € at 12.8252 €/h is 3.00 h, like the
    # 3 h encoded, and still a contract of less than a day.
    less_than_a_day = False
    for day in days:
        wage = (day_parameters or {}).get(day.date, params)
        if gross_per_day >= wage.daily_minimum_cents:
            contract.append(day)
            continue
        hours = round_hours(gross_per_day / 100 / wage.hourly_minimum)
        if hours < wage.minimum_work_hours:
            floor_per_day = wage.hourly_minimum * wage.minimum_work_hours
            raise BelowMinimumWage(
                f"a gross of €{gross_per_day / 100:.2f} a day pays {hours} h on {day.date} at "
                f"the hourly minimum wage €{wage.hourly_minimum}; a contract needs at least "
                f"{wage.minimum_work_hours} h, so at least €{floor_per_day:.2f} gross a day: "
                "raise the price",
                field="amount_excl_vat_cents",
            )
        contract.append(WorkDay(date=day.date, hours=hours))
        less_than_a_day = True
    return tuple(contract), less_than_a_day


@dataclass(frozen=True)
class Terms:
    """What the encoding rules make of the days and the money."""

    days: tuple[WorkDay, ...]
    breakdown: SalaryBreakdown
    contract_days: tuple[WorkDay, ...]
    less_than_a_day: bool

    @property
    def gross_per_day_cents(self) -> int:
        return round_half_up(Decimal(self.breakdown.gross_cents) / len(self.days))


def encoding_terms(
    days: Sequence[Day],
    today: dt.date,
    amount_excl_vat_cents: int,
    money: Money,
    params: Parameters,
    day_parameters: Mapping[dt.date, Parameters] | None = None,
) -> Terms:
    checked = checked_days(days, today, params)
    breakdown = salary_breakdown(
        amount_excl_vat_cents,
        money.vat_fraction,
        money.expenses_cents,
        money.withholding_fraction,
        params,
    )
    contract_days, less_than_a_day = employment_days(
        checked, breakdown.gross_cents, params, day_parameters
    )
    return Terms(checked, breakdown, contract_days, less_than_a_day)


def free_use_of(command: EncodePrestation, member: MemberFacts) -> list[DomainEvent]:
    if member.has_share_this_year:
        return []
    used = member.free_prestations_used_this_year
    allowed = command.parameters.free_prestations_without_share
    if used >= allowed:
        raise ShareRequired(
            f"without a share for {command.today.year}, a member may encode {allowed} "
            f"prestations; buy a share to encode more",
            field="member_id",
        )
    return [
        FreePrestationUsed(
            member_id=command.member_id,
            prestation_id=command.prestation_id,
            year=command.today.year,
            use_number=used + 1,
        )
    ]


def estimate_of(breakdown: SalaryBreakdown) -> SalaryEstimate:
    # The same fields by name (`asdict` deep-copies every int: a tenth of an encoding's rules).
    return SalaryEstimate.model_validate(breakdown, from_attributes=True)
