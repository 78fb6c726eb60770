"""Money as integer euro cents, rates as exact decimal fractions.

Amounts never travel as floats: an amount is an `int` of cents, a rate a `Decimal` fraction
(`Decimal("0.065")` for 6.5 %). Every multiplication is rounded half-up to the cent at once, as
DOMAIN.md §2 requires.

Every amount this module makes fits SQLite's INTEGER (a signed 64-bit integer, `MAX_CENTS`):
an input or a result beyond it is refused with `AmountOutOfRange` (a `ValueError` and a domain
error, so it answers 422, never an arithmetic exception). Decimal text is read by form first
(`parse_decimal`), so a number like "1e999999999" never reaches any arithmetic.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from shared.decider import DomainError

# SQLite stores integers as signed 64-bit: a projection cannot hold one cent more.
MAX_CENTS = 2**63 - 1
# Plain decimal notation, at most 15 + 12 digits: 27 significant digits stay exact within the
# 28 of the default context, so dividing by 100 (a percentage) never rounds.
_DECIMAL_FORM = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,12})?")
# Rates are fractions (0.27); a factor beyond this is a mistake, not a rate.
MAX_RATE = Decimal(1000)
# Enough digits for a 19-digit amount times a rate of a dozen digits, exactly.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)

_WHOLE = Decimal(1)
_HUNDRED = Decimal(100)


class AmountOutOfRange(DomainError, ValueError):
    """An amount of cents (given, or computed) outside what the system can store."""

    code = "amount-out-of-range"


class RateOutOfRange(DomainError, ValueError):
    """A rate that is not a finite fraction within the range its use allows."""

    code = "rate-out-of-range"


def checked_cents(
    cents: int, *, field: str | None = None, minimum: int = -MAX_CENTS, maximum: int = MAX_CENTS
) -> int:
    """`cents` when `minimum ≤ cents ≤ maximum`, else `AmountOutOfRange` naming `field`."""
    if not minimum <= cents <= maximum:
        raise AmountOutOfRange(
            f"{_shown(cents)} cents is outside {minimum} to {maximum} cents", field=field
        )
    return cents


def _shown(number: int) -> str:
    # str() of an int over 4300 digits raises ValueError: a message must not become the error.
    return str(number) if abs(number) < 10**30 else f"a {number.bit_length()}-bit number of"


def checked_rate(
    rate: Decimal,
    *,
    field: str | None = None,
    minimum: Decimal = -MAX_RATE,
    maximum: Decimal = MAX_RATE,
) -> Decimal:
    """`rate` when finite and within [minimum, maximum], else `RateOutOfRange` naming `field`."""
    if not rate.is_finite() or not minimum <= rate <= maximum:
        raise RateOutOfRange(f"rate {rate} is outside {minimum} to {maximum}", field=field)
    return rate


def round_half_up(cents: Decimal) -> int:
    """An amount of cents with a fractional part → whole cents, halves away from zero.

    `round_half_up(Decimal("18640.5")) == 18641`; Python's `round` would give 18640 (banker's).
    Raises `AmountOutOfRange` when the amount is not finite or does not fit `MAX_CENTS`.
    """
    # Compared before quantizing, which fails on more digits than the precision; copy_abs, not
    # abs(), which rounds to the context and overflows on an exponent like 1e999999999.
    if not cents.is_finite() or cents.copy_abs() > MAX_CENTS:
        raise AmountOutOfRange(f"{cents} cents is outside what an amount can be")
    with localcontext(_CONTEXT):
        return checked_cents(int(cents.quantize(_WHOLE)))


def apply_rate(cents: int, rate: Decimal) -> int:
    """`cents * rate` rounded half-up to the cent: apply_rate(100000, Decimal("0.21")) == 21000."""
    checked_cents(cents)
    checked_rate(rate)
    with localcontext(_CONTEXT):
        product = Decimal(cents) * rate
    return round_half_up(product)


def divide(cents: int, divisor: Decimal) -> int:
    """`cents / divisor` rounded half-up to the cent; the divisor is a positive factor."""
    checked_cents(cents)
    checked_rate(divisor, minimum=Decimal("0.001"))
    with localcontext(_CONTEXT):
        quotient = Decimal(cents) / divisor
    return round_half_up(quotient)


def parse_decimal(text: str) -> Decimal:
    """ "1.08" → Decimal("1.08"); `ValueError` unless the text is a plain decimal number (an
    optional sign, up to 15 digits, optionally a point and up to 12 more: no exponent, no
    NaN or infinity, ASCII digits only)."""
    stripped = text.strip()
    if not _DECIMAL_FORM.fullmatch(stripped):
        raise ValueError(f"not a number: {text[:40]!r}")
    return Decimal(stripped)  # the form above is always a valid, finite Decimal


def percent(text: str) -> Decimal:
    """A percentage as written by people ("21", "6.5", "13.07") → its fraction (0.21, 0.065…).

    Raises `ValueError` when the text is not a plain decimal number (see `parse_decimal`).
    """
    return parse_decimal(text) / _HUNDRED


def format_percent(rate: Decimal) -> str:
    """A fraction back to the percentage text `percent` reads: 0.065 → "6.5", 0.21 → "21"."""
    text = format((rate * _HUNDRED).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def format_eur(cents: int) -> str:
    """Cents → "1,210.00" (thousands comma, two decimals, a leading "-" when negative)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}.{rest:02d}"
