"""Money as integer euro cents, rates as exact decimal fractions.

Amounts never travel as floats: an amount is an `int` of cents, a rate a `Decimal` fraction
(`Decimal("0.065")` for 6.5 %). Every multiplication is rounded half-up to the cent at once, as
DOMAIN.md §2 requires.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_WHOLE = Decimal(1)
_HUNDRED = Decimal(100)


def round_half_up(cents: Decimal) -> int:
    """An amount of cents with a fractional part → whole cents, halves away from zero.

    `round_half_up(Decimal("18640.5")) == 18641`; Python's `round` would give 18640 (banker's).
    """
    return int(cents.quantize(_WHOLE, rounding=ROUND_HALF_UP))


def apply_rate(cents: int, rate: Decimal) -> int:
    """`cents * rate` rounded half-up to the cent: apply_rate(100000, Decimal("0.21")) == 21000."""
    return round_half_up(Decimal(cents) * rate)


def parse_decimal(text: str) -> Decimal:
    """ "1.08" → Decimal("1.08"); `ValueError` when the text is not a finite decimal number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return value


def percent(text: str) -> Decimal:
    """A percentage as written by people ("21", "6.5", "13.07") → its fraction (0.21, 0.065…).

    Raises `ValueError` when the text is not a finite decimal number.
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
