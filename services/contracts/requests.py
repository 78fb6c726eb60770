"""The contracts service's request bodies, with a bound on every input.

The bounds are where a value enters: the OpenAPI document states them (maximum, maxLength,
maxItems, pattern), and a value past one is a 422 problem naming the field, the rule and its
limit. The deciders check the domain's own rules again (a price of 0, a VAT rate not in force,
hours under the minimum work period, a date twice), each with its own problem type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from services.contracts.domain import Day, ExpenseLine, checks, client, member
from services.contracts.domain.prestation import rules
from services.contracts.handlers import PrestationDraft
from shared.http.inputs import IsoDate
from shared.parameters import limits


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- bounds: every input has one, stated in the OpenAPI document -------------------------------
#
# Money: from 0 to the configured ceiling (`[limits]` in shared/parameters.toml), so every
# derived figure (VAT, total, salary parts) fits SQLite's INTEGER. Text: long enough for any
# real value, short enough that a body of them stays small (the app also caps the body size).
LIMITS = limits()
MAX_AMOUNT_CENTS = LIMITS.max_amount_cents
MAX_EXPENSE_LINES = LIMITS.max_expense_lines
# The domain's own bounds (it checks them again), and those of what only the request carries.
MAX_DAYS = rules.MAX_DAYS
MAX_HOURS = rules.MAX_HOURS_PER_DAY
DESCRIPTION_MAX = rules.DESCRIPTION_MAX
EXPENSE_DESCRIPTION_MAX = rules.EXPENSE_DESCRIPTION_MAX
NAME_MAX = member.NAME_MAX
CLIENT_NAME_MAX = client.CLIENT_NAME_MAX
EMAIL_MAX = checks.EMAIL_MAX
ADDRESS_MAX = checks.ADDRESS_MAX
REASON_MAX = checks.REASON_MAX
ID_MAX = 64  # ids are 32 hex characters
NISS_MAX = 20  # 11 digits and separators ("85.07.30-033.28")
IBAN_MAX = 42  # 34 characters and a space every 4
BIC_MAX = 14  # 11 characters and spaces
VAT_NUMBER_MAX = 20  # "BE 0123.456.749"
TOKEN_MAX = 64  # acceptance tokens are 32 characters
# A percentage: up to 3 digits and 2 decimals, ASCII only, no sign, no exponent.
RATE_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"


def _text(max_length: int) -> Any:
    # Required text: blank is refused like missing (whitespace is stripped first).
    return Field(min_length=1, max_length=max_length)


Text = Annotated[str, _text(DESCRIPTION_MAX)]
Id = Annotated[str, _text(ID_MAX)]
Name = Annotated[str, _text(NAME_MAX)]
Email = Annotated[str, _text(EMAIL_MAX)]
Iban = Annotated[str, _text(IBAN_MAX)]


# Optional text (None leaves it unset; blank is the domain's to refuse).
MaybeName = Annotated[str | None, Field(max_length=NAME_MAX)]
MaybeClientName = Annotated[str | None, Field(max_length=CLIENT_NAME_MAX)]
MaybeEmail = Annotated[str | None, Field(max_length=EMAIL_MAX)]
MaybeNiss = Annotated[str | None, Field(max_length=NISS_MAX)]
MaybeIban = Annotated[str | None, Field(max_length=IBAN_MAX)]
MaybeBic = Annotated[str | None, Field(max_length=BIC_MAX)]
MaybeVatNumber = Annotated[str | None, Field(max_length=VAT_NUMBER_MAX)]
MaybeCountry = Annotated[str | None, Field(max_length=2)]
MaybeAddress = Annotated[str | None, Field(max_length=ADDRESS_MAX)]
MaybeReason = Annotated[str | None, Field(max_length=REASON_MAX)]
MaybeToken = Annotated[str | None, Field(max_length=TOKEN_MAX)]

Cents = Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)]


class MemberIn(_In):
    first_name: Name
    last_name: Name
    email: Email
    niss: str = Field(
        min_length=1,
        max_length=NISS_MAX,
        description="National number (or BIS number), with or without separators",
    )
    iban: Iban
    bic: MaybeBic = None
    gender: Literal["F", "M", "X"]
    address: MaybeAddress = None


class MemberPatch(_In):
    first_name: MaybeName = None
    last_name: MaybeName = None
    email: MaybeEmail = None
    niss: MaybeNiss = None
    iban: MaybeIban = None
    bic: MaybeBic = None
    gender: Literal["F", "M", "X"] | None = None
    address: MaybeAddress = None


class ClientIn(_In):
    name: Annotated[str, _text(CLIENT_NAME_MAX)]
    email: Email
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2, e.g. BE")
    vat_number: MaybeVatNumber = None
    address: MaybeAddress = None
    member_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=ID_MAX,
        description="Staff only: the member whose client it is (default: the caller's member)",
    )


class ClientShareIn(_In):
    member_id: Id


class ClientPatch(_In):
    name: MaybeClientName = None
    email: MaybeEmail = None
    country: MaybeCountry = None
    vat_number: MaybeVatNumber = None
    address: MaybeAddress = None


class DayIn(_In):
    date: IsoDate
    hours: Decimal = Field(
        gt=0,
        le=MAX_HOURS,
        decimal_places=2,
        description="Hours worked that day: more than 0, at most 24, at most 2 decimals "
        "(under the minimum work period of 3 hours, the encoding is refused as minimum-hours)",
    )


def _within_a_year(days: list[DayIn]) -> list[DayIn]:
    if days:
        dates = [day.date for day in days]
        span = (max(dates) - min(dates)).days + 1
        if span > MAX_DAYS:
            raise PydanticCustomError(
                "span_too_long",
                "the days span {span} days from the first to the last; at most {limit}",
                {"span": span, "limit": MAX_DAYS},
            )
    return days


Days = Annotated[
    list[DayIn],
    Field(
        max_length=MAX_DAYS,
        description=f"At most {MAX_DAYS} days, each date once, the last at most {MAX_DAYS - 1} "
        "days after the first",
    ),
    AfterValidator(_within_a_year),
]


class ExpenseIn(_In):
    description: Annotated[str, _text(EXPENSE_DESCRIPTION_MAX)]
    amount_cents: Cents


def _expenses_total(expenses: list[ExpenseIn]) -> list[ExpenseIn]:
    total = sum(expense.amount_cents for expense in expenses)
    if total > MAX_AMOUNT_CENTS:
        raise PydanticCustomError(
            "sum_less_than_equal",
            "the expenses add up to {total} cents; at most {limit}",
            {"total": total, "limit": MAX_AMOUNT_CENTS},
        )
    return expenses


def _rate_text(value: object) -> object:
    # Rates are percentages as text ("21"); a bare number is accepted the same way.
    return str(value) if isinstance(value, int | float | Decimal) else value


class PrestationIn(_In):
    member_id: Id
    client_id: Id
    description: Text
    days: Days
    amount_excl_vat_cents: Cents = Field(
        description=f"The price agreed with the client, excluding VAT: at most "
        f"{MAX_AMOUNT_CENTS} cents (a price of 0 is refused as invalid-amount)"
    )
    vat_rate: str = Field(
        pattern=RATE_PATTERN,
        description='VAT rate in percent, one of those in force: "21", "12", "6" or "0"',
    )
    expenses: Annotated[
        list[ExpenseIn],
        Field(
            max_length=MAX_EXPENSE_LINES,
            description=f"At most {MAX_EXPENSE_LINES} lines adding up to at most "
            f"{MAX_AMOUNT_CENTS} cents",
        ),
        AfterValidator(_expenses_total),
    ] = []
    withholding_rate: str = Field(
        pattern=RATE_PATTERN,
        description="Withholding tax rate in percent, from 0 to under 100 with at most 2 "
        'decimals, e.g. "22"',
    )

    _rates = field_validator("vat_rate", "withholding_rate", mode="before")(_rate_text)

    def draft(self) -> PrestationDraft:
        return PrestationDraft(
            member_id=self.member_id,
            client_id=self.client_id,
            description=self.description,
            days=days_of(self.days),
            amount_excl_vat_cents=self.amount_excl_vat_cents,
            vat_rate=self.vat_rate,
            withholding_rate=self.withholding_rate,
            expenses=tuple(ExpenseLine(e.description, e.amount_cents) for e in self.expenses),
        )


def days_of(days: list[DayIn]) -> tuple[Day, ...]:
    return tuple(Day(day.date, day.hours) for day in days)


class AmendIn(_In):
    days: Days


class ReasonIn(_In):
    reason: MaybeReason = None


class QuoteAnswerIn(_In):
    acceptance_token: MaybeToken = Field(
        default=None, description="The client's token; ops may answer without one"
    )
    reason: MaybeReason = None
