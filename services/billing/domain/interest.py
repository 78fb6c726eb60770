"""Late-payment money: interest day by day, the B2C damages cap, and where a payment goes.

Pure arithmetic on integer cents and `Decimal` rates; the dated values come in as arguments.

Interest (law of 2 August 2002, art. 5; for consumers capped at the same rate by art. XIX.4 §1
of the Code of economic law) is simple interest on the principal outstanding, at the annual rate
valid on each day:

- day count actual/365: each late day earns rate / 365, also in a leap year. It is the count
  Belgian courts and collection offices apply to the legal annual rates, and it makes a day worth
  the same whichever year it falls in (actual/actual would change the figure on 29 February);
- day `d` accrues on the principal outstanding at the end of day `d - 1`: a payment stops interest
  from the day after it, so an invoice due on D and paid on D + 45 earns exactly 45 days
  (D + 1 … D + 45), the count "paid 45 days late" means;
- one rounding, half-up, at the very end: the exact sum over every day, each at its own rate and
  balance, is rounded to the cent once. Rounding per segment could drift by a cent per segment and
  would make the figure depend on how the period is cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext

from shared.money import MAX_CENTS, apply_rate, checked_cents, checked_rate, round_half_up
from shared.parameters import DamagesBracket

_DAYS_PER_YEAR = 365  # actual/365 fixed, see the module docstring
_ONE_DAY = timedelta(days=1)
# Exact for a sum of a few thousand products of a 19-digit amount and a 12-digit rate.
_EXACT = Context(prec=80)


@dataclass(frozen=True)
class PrincipalChange:
    """From `day` on (after that day's payments and credit notes), `outstanding_cents` is due."""

    day: date
    outstanding_cents: int


def principal_history(changes: Sequence[tuple[date, int]]) -> tuple[PrincipalChange, ...]:
    """(day, outstanding from that day) pairs → a checked history in day order.

    Refuses a negative balance and two entries for one day (a day has one closing balance)."""
    history = tuple(
        PrincipalChange(day, checked_cents(cents, field="outstanding_cents", minimum=0))
        for day, cents in sorted(changes, key=lambda change: change[0])
    )
    if not history:
        raise ValueError("the principal history is empty: give the principal on the due date")
    days = [change.day for change in history]
    if len(set(days)) != len(days):
        raise ValueError("two balances for one day: give the balance at the end of each day")
    return history


def late_interest_cents(
    principal_changes: Sequence[tuple[date, int]],
    *,
    accrues_after: date,
    up_to: date,
    rate_on: Callable[[date], Decimal],
) -> int:
    """The interest earned from `accrues_after + 1` to `up_to` included, in cents.

    `principal_changes`: (day, principal outstanding at the end of that day), the first on or
    before `accrues_after` (the due date for B2B, the last day of the 14 days for B2C).
    `rate_on(day)`: the annual rate valid that day as a fraction, e.g.
    `lambda day: book.on(day).late_interest_rate`. Zero when `up_to <= accrues_after`.
    """
    history = principal_history(principal_changes)
    if history[0].day > accrues_after:
        raise ValueError(
            f"the principal history starts on {history[0].day}, after {accrues_after}:"
            " the balance on the first late day is unknown"
        )
    total = Decimal(0)  # Σ balance * annual rate, over the late days
    index = 0
    day = accrues_after + _ONE_DAY
    with localcontext(_EXACT):
        while day <= up_to:
            # The balance at the end of the previous day: the last change before `day`.
            while index + 1 < len(history) and history[index + 1].day < day:
                index += 1
            balance = history[index].outstanding_cents
            if balance:
                total += balance * checked_rate(rate_on(day), minimum=Decimal(0))
            day += _ONE_DAY
        return round_half_up(total / _DAYS_PER_YEAR)


def consumer_damages_cents(
    outstanding_cents: int, brackets: Sequence[DamagesBracket], maximum_cents: int
) -> int:
    """The most the damages clause may ask a consumer (art. XIX.4 §1 CDE) on what is still due.

    The bracket with the largest `over_cents` below the amount applies: its base plus its rate
    on the part above `over_cents`, rounded half-up, never above `maximum_cents`. Nothing is due
    on nothing: zero when the amount is zero.
    """
    checked_cents(outstanding_cents, field="outstanding_cents", minimum=0)
    applicable = [bracket for bracket in brackets if outstanding_cents > bracket.over_cents]
    if not applicable:
        return 0
    bracket = max(applicable, key=lambda candidate: candidate.over_cents)
    proportional = apply_rate(outstanding_cents - bracket.over_cents, bracket.rate)
    return min(bracket.base_cents + proportional, maximum_cents)


@dataclass(frozen=True)
class Allocation:
    """Where one payment goes: `claims_cents + principal_cents + excess_cents == amount`."""

    claims_cents: int  # interest, flat fee, damages
    principal_cents: int
    excess_cents: int  # overpaid: a credit to refund, never lost


def allocate(
    amount_cents: int, claims_outstanding_cents: int, principal_outstanding_cents: int
) -> Allocation:
    """A payment goes first to the late-payment claims, then to the principal, the rest is excess.

    The Civil Code imputes a payment to interest before capital (former art. 1254); the flat fee
    and damages follow the interest, as the claims on the invoice say they will.
    """
    for name, cents in (
        ("amount_cents", amount_cents),
        ("claims_outstanding_cents", claims_outstanding_cents),
        ("principal_outstanding_cents", principal_outstanding_cents),
    ):
        checked_cents(cents, field=name, minimum=0, maximum=MAX_CENTS)
    to_claims = min(amount_cents, claims_outstanding_cents)
    to_principal = min(amount_cents - to_claims, principal_outstanding_cents)
    return Allocation(to_claims, to_principal, amount_cents - to_claims - to_principal)
