"""Dated configuration: the rates and amounts valid on a given day, and the cooperative's identity.

Values live in `parameters.toml` beside this module (see its header for the format). Deciders
never read them: a handler asks `parameters_on(day)` and puts the result in the command, so a
decision is reproducible from its command alone.

    params = parameters_on(date(2026, 3, 10))
    params.fee_rate            # Decimal("0.065")
    params.daily_minimum_cents # 9942, derived from the monthly minimum wage

The same file holds `[limits]`, the ceilings on what one request may carry (`limits()`): not
dated, since they protect the system rather than state the law, and read when a module is
imported, so request schemas can state them in the OpenAPI document.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from shared.decider import DomainError
from shared.money import MAX_CENTS, parse_decimal, percent, round_half_up

DEFAULT_PATH = Path(__file__).with_name("parameters.toml")

# A quarter is 3 months and 13 weeks: the legal way to turn a monthly wage into a weekly one.
_MONTHS_PER_QUARTER = 3
_WEEKS_PER_QUARTER = 13
_HOURLY_MINIMUM_PLACES = Decimal("0.0001")


class ParameterError(ValueError):
    """The configuration is malformed: unknown or missing key, bad value, overlapping periods."""


class ParameterNotDefined(DomainError):
    """No value of some parameter is valid on the requested day (a date the dated
    configuration does not cover yet): the command cannot be decided."""

    code = "parameters-not-defined"

    def __init__(self, day: date, names: list[str]) -> None:
        self.day = day
        self.names = names
        super().__init__(f"no value valid on {day.isoformat()} for: {', '.join(names)}")


@dataclass(frozen=True)
class DamagesBracket:
    """B2C damages on an amount due above `over_cents`: `base_cents` + `rate` * the part above."""

    over_cents: int
    base_cents: int
    rate: Decimal  # a fraction


@dataclass(frozen=True)
class Parameters:
    """Every dated parameter, as valid on `valid_on`. Rates are fractions (0.27 for 27 %)."""

    valid_on: date
    fee_rate: Decimal
    payment_term_days: int
    salary_deadline_working_days: int
    share_price_cents: int
    free_prestations_without_share: int
    contribution_basis: Decimal
    employee_rate: Decimal
    employer_rate: Decimal
    holiday_rate: Decimal
    rmmmg_monthly_cents: int
    full_time_weekly_days: int
    full_time_weekly_hours: int
    minimum_work_hours: Decimal
    vat_rates: frozenset[str]
    late_interest_rate: Decimal
    late_flat_fee_cents: int
    peppol_einvoice_mandatory: bool
    reminder_days_after_due: tuple[int, ...]  # ascending; the last one is the formal notice
    reminder_pay_within_days: int
    consumer_grace_days: int
    consumer_post_delay_working_days: int
    consumer_electronic_delay_days: int
    consumer_damages_brackets: tuple[DamagesBracket, ...]  # ascending `over_cents`, first is 0
    consumer_damages_max_cents: int

    @property
    def daily_minimum_cents(self) -> int:
        """Daily guaranteed minimum wage: monthly * 3 / (13 * 5), to the cent (€97.47 in 2025)."""
        days_per_quarter = _WEEKS_PER_QUARTER * self.full_time_weekly_days
        return round_half_up(
            Decimal(self.rmmmg_monthly_cents) * _MONTHS_PER_QUARTER / days_per_quarter
        )

    @property
    def hourly_minimum(self) -> Decimal:
        """Hourly guaranteed minimum in euros, 4 decimals: monthly * 3 / (13 * 38) = 12.8252."""
        hours_per_quarter = _WEEKS_PER_QUARTER * self.full_time_weekly_hours
        euros = Decimal(self.rmmmg_monthly_cents) / 100 * _MONTHS_PER_QUARTER / hours_per_quarter
        return euros.quantize(_HOURLY_MINIMUM_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Cooperative:
    """The employer's identity, for documents and DIMONA (not dated)."""

    name: str
    address: str
    email: str
    enterprise_number: str
    vat_number: str
    iban: str
    bic: str
    onss_employer_id: str
    joint_commission_number: str
    dimona_worker_type: str
    # What an invoice must show (Code of companies art. 2:20, Royal Decree no. 1 art. 5).
    legal_form: str
    register_of_legal_persons: str
    street: str
    postal_code: str
    city: str
    country: str
    # The accounts whose bank statements bring payments (the others' are read, matched to
    # nothing); none given: the invoicing IBAN alone.
    own_accounts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        accounts = tuple("".join(a.split()).upper() for a in self.own_accounts) or (
            "".join(self.iban.split()).upper(),
        )
        object.__setattr__(self, "own_accounts", accounts)


@dataclass(frozen=True)
class Limits:
    """Ceilings on one request (not dated). Money ceilings are in cents."""

    max_amount_cents: int  # a price excluding VAT, one expense, and the sum of the expenses
    max_expense_lines: int  # expense lines on one prestation


# The VAT and the other figures of a salary at most double the price (DOMAIN.md §2): half of
# SQLite's INTEGER keeps every one of them storable, whatever ceiling is configured.
_MAX_AMOUNT_CEILING = MAX_CENTS // 2
_MAX_EXPENSE_LINES = 10_000


def _limits(raw: Any) -> Limits:
    if not isinstance(raw, dict):
        raise ParameterError("[limits]: missing; it holds the ceilings on one request")
    names = {f.name for f in fields(Limits)}
    if unknown := raw.keys() - names:
        raise ParameterError(f"[limits]: unknown keys {sorted(unknown)}")
    if missing := names - raw.keys():
        raise ParameterError(f"[limits]: missing keys {sorted(missing)}")
    values = {}
    for name, maximum in (
        ("max_amount_cents", _MAX_AMOUNT_CEILING),
        ("max_expense_lines", _MAX_EXPENSE_LINES),
    ):
        try:
            value = _int(raw[name])
        except ParameterError as error:
            raise ParameterError(f"[limits] {name}: {error}") from None
        if not 0 < value <= maximum:
            raise ParameterError(f"[limits] {name}: {value} is not from 1 to {maximum}")
        values[name] = value
    return Limits(**values)


@dataclass(frozen=True)
class Period:
    value: Any
    valid_from: date
    valid_to: date | None = None  # inclusive; None: still in force

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ParameterError(f"expected a string, got {raw!r}")
    return raw


def _percent(raw: Any) -> Decimal:
    return percent(_text(raw))


def _decimal(raw: Any) -> Decimal:
    # A string, not a TOML float, so "1.08" stays exactly 1.08.
    return parse_decimal(_text(raw))


def _int(raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ParameterError(f"expected an integer, got {raw!r}")
    return raw


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ParameterError(f"expected true or false, got {raw!r}")
    return raw


def _text_set(raw: Any) -> frozenset[str]:
    if not isinstance(raw, list):
        raise ParameterError(f"expected a list of strings, got {raw!r}")
    return frozenset(_text(item) for item in raw)


def _day_offsets(raw: Any) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterError(f"expected a non-empty list of days, got {raw!r}")
    days = tuple(_int(item) for item in raw)
    if days[0] < 1 or any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise ParameterError(f"days must be positive and strictly ascending, got {raw!r}")
    return days


def _damages_brackets(raw: Any) -> tuple[DamagesBracket, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterError(f"expected a non-empty list of brackets, got {raw!r}")
    brackets = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.keys() != {"over_cents", "base_cents", "rate"}:
            raise ParameterError("each bracket has exactly over_cents, base_cents and rate")
        bracket = DamagesBracket(
            _int(entry["over_cents"]), _int(entry["base_cents"]), _percent(entry["rate"])
        )
        if bracket.base_cents < 0 or bracket.rate < 0:
            raise ParameterError(f"a bracket cannot be negative: {entry!r}")
        brackets.append(bracket)
    overs = [bracket.over_cents for bracket in brackets]
    if overs[0] != 0 or any(later <= earlier for earlier, later in itertools.pairwise(overs)):
        raise ParameterError(f"brackets start over 0 and ascend strictly, got {overs}")
    return tuple(brackets)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "fee_rate": _percent,
    "payment_term_days": _int,
    "salary_deadline_working_days": _int,
    "share_price_cents": _int,
    "free_prestations_without_share": _int,
    "contribution_basis": _decimal,
    "employee_rate": _percent,
    "employer_rate": _percent,
    "holiday_rate": _percent,
    "rmmmg_monthly_cents": _int,
    "full_time_weekly_days": _int,
    "full_time_weekly_hours": _int,
    "minimum_work_hours": _decimal,
    "vat_rates": _text_set,
    "late_interest_rate": _percent,
    "late_flat_fee_cents": _int,
    "peppol_einvoice_mandatory": _bool,
    "reminder_days_after_due": _day_offsets,
    "reminder_pay_within_days": _int,
    "consumer_grace_days": _int,
    "consumer_post_delay_working_days": _int,
    "consumer_electronic_delay_days": _int,
    "consumer_damages_brackets": _damages_brackets,
    "consumer_damages_max_cents": _int,
}
if set(_CONVERTERS) != {f.name for f in fields(Parameters)} - {"valid_on"}:
    raise RuntimeError("every parameter needs a converter, and every converter a parameter")


def _periods(name: str, raw: Any) -> tuple[Period, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterError(f"{name}: expected a non-empty list of periods")
    periods = []
    for entry in raw:
        if not isinstance(entry, dict) or not {"value", "valid_from"} <= entry.keys():
            raise ParameterError(f"{name}: each period needs `value` and `valid_from`")
        if extra := entry.keys() - {"value", "valid_from", "valid_to"}:
            raise ParameterError(f"{name}: unknown keys {sorted(extra)}")
        valid_from, valid_to = entry["valid_from"], entry.get("valid_to")
        if not isinstance(valid_from, date) or not isinstance(valid_to, date | None):
            raise ParameterError(f"{name}: valid_from and valid_to must be dates")
        if valid_to is not None and valid_to < valid_from:
            raise ParameterError(f"{name}: valid_to {valid_to} is before valid_from {valid_from}")
        try:
            value = _CONVERTERS[name](entry["value"])
        except ValueError as error:
            raise ParameterError(f"{name}: {error}") from None
        periods.append(Period(value, valid_from, valid_to))
    periods.sort(key=lambda period: period.valid_from)
    for earlier, later in itertools.pairwise(periods):
        if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
            raise ParameterError(f"{name}: periods from {later.valid_from} overlap")
    return tuple(periods)


class ParameterBook:
    """Every period of every parameter, and the cooperative's identity."""

    def __init__(
        self, periods: Mapping[str, tuple[Period, ...]], cooperative: Cooperative, limits: Limits
    ) -> None:
        self._periods = dict(periods)
        self.cooperative = cooperative
        self.limits = limits

    @classmethod
    def from_toml(cls, text: str) -> ParameterBook:
        try:
            return cls.from_mapping(tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            raise ParameterError(str(error)) from None

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any]) -> ParameterBook:
        """From the parsed file: `{"cooperative": {...}, "limits": {...}, "dated": {name:
        [periods]}}`."""
        dated = document.get("dated", {})
        if unknown := dated.keys() - _CONVERTERS.keys():
            raise ParameterError(f"unknown parameters: {sorted(unknown)}")
        if missing := _CONVERTERS.keys() - dated.keys():
            raise ParameterError(f"missing parameters: {sorted(missing)}")
        periods = {name: _periods(name, raw) for name, raw in dated.items()}
        try:
            cooperative = Cooperative(**document["cooperative"])
        except (KeyError, TypeError) as error:
            raise ParameterError(f"[cooperative]: {error}") from None
        return cls(periods, cooperative, _limits(document.get("limits")))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ParameterBook:
        return cls.from_toml(path.read_text(encoding="utf-8"))

    def on(self, day: date) -> Parameters:
        """The parameters valid on `day`; `ParameterNotDefined` names every one lacking a value."""
        values: dict[str, Any] = {}
        missing = []
        for name, periods in self._periods.items():
            found = next((period for period in periods if period.covers(day)), None)
            if found is None:
                missing.append(name)
            else:
                values[name] = found.value
        if missing:
            raise ParameterNotDefined(day, sorted(missing))
        return Parameters(valid_on=day, **values)


@functools.cache
def default_book() -> ParameterBook:
    """The book read from `parameters.toml`, once per process."""
    return ParameterBook.load()


def parameters_on(day: date) -> Parameters:
    """The parameters valid on `day`, from `parameters.toml`."""
    return default_book().on(day)


def cooperative() -> Cooperative:
    """The cooperative's identity, from `parameters.toml`."""
    return default_book().cooperative


def limits() -> Limits:
    """The ceilings on one request, from `parameters.toml`."""
    return default_book().limits
