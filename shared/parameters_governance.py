"""Dated governance parameters (the `[governance]` table of `parameters.toml`): quorum and
majority per resolution type, convening period, proxies, the board, its quotas and its
staggered renewal, the ordinary assembly's day, the resignation window, the staff share
commitment, the active-member thresholds.

A module beside `shared.parameters` (which reads `[dated]`), with the same period format and
converters, so the commercial and social parameters keep their shape.

    rules = governance_on(date(2026, 3, 10))
    rules.majority["statutes"]   # (3, 4)
    rules.board_min_women        # Decimal("0.4")
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.parameters import (
    DEFAULT_PATH,
    ParameterError,
    ParameterNotDefined,
    _int,
    _percent,
    parameters_on,
)

# A table of its own ([governance]), read with its own converters, so the commercial and social
# parameters above keep their shape.


@dataclass(frozen=True)
class GovernanceParameters:
    """Quorum (fractions of the shareholders) and majority (numerator, denominator) per
    resolution type, convening, proxies, the board and its quotas (fractions), leaving, staff
    commitment, active members."""

    valid_on: date
    share_price_cents: int
    quorum: Mapping[str, Decimal]
    majority: Mapping[str, tuple[int, int]]
    convening_days: int
    max_proxies_per_voter: int
    board_seats: int
    board_term_years: int
    board_min_women: Decimal
    board_min_men: Decimal
    board_min_category_a: Decimal
    board_renewal_parts: int
    ordinary_assembly_month_day: tuple[int, int]
    managing_director_term_years: int
    managing_director_max_terms: int
    resignation_window_months: int
    staff_share_commitment: Decimal
    staff_minimum_upfront: Decimal
    active_contract_tool_contracts: int
    active_activity_tool_contracts: int


def _fraction(raw: Any) -> tuple[int, int]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise ParameterError(f"expected [numerator, denominator], got {raw!r}")
    numerator, denominator = _int(raw[0]), _int(raw[1])
    if not 0 < numerator < denominator:
        raise ParameterError(f"a majority is a fraction between 0 and 1, got {raw!r}")
    return numerator, denominator


def _month_day(raw: Any) -> tuple[int, int]:
    """ "MM-DD": a day of every year (29 February is refused: not every year has it)."""
    if not isinstance(raw, str) or len(raw) != 5 or raw[2] != "-":
        raise ParameterError(f'expected "MM-DD", got {raw!r}')
    try:
        day = date(2001, int(raw[:2]), int(raw[3:]))
    except ValueError:
        raise ParameterError(f"not a day of every year: {raw!r}") from None
    return day.month, day.day


_RESOLUTION_TYPES = ("ordinary", "statutes", "purpose")
_GOVERNANCE_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    **{f"quorum_{kind}": _percent for kind in _RESOLUTION_TYPES},
    **{f"majority_{kind}": _fraction for kind in _RESOLUTION_TYPES},
    "convening_days": _int,
    "max_proxies_per_voter": _int,
    "board_seats": _int,
    "board_term_years": _int,
    "board_min_women_percent": _percent,
    "board_min_men_percent": _percent,
    "board_min_category_a_percent": _percent,
    "board_renewal_parts": _int,
    "ordinary_assembly_on": _month_day,
    "managing_director_term_years": _int,
    "managing_director_max_terms": _int,
    "resignation_window_months": _int,
    "staff_share_commitment": _percent,
    "staff_minimum_upfront": _percent,
    "active_contract_tool_contracts": _int,
    "active_activity_tool_contracts": _int,
}


def _governance_value(name: str, periods: Any, day: date) -> Any:
    if not isinstance(periods, list):
        raise ParameterError(f"[governance] {name}: expected a list of periods")
    for entry in periods:
        valid_to = entry.get("valid_to")
        if entry["valid_from"] <= day and (valid_to is None or day <= valid_to):
            try:
                return _GOVERNANCE_CONVERTERS[name](entry["value"])
            except ValueError as error:
                raise ParameterError(f"[governance] {name}: {error}") from None
    raise ParameterNotDefined(day, [name])


def governance_from_mapping(table: Mapping[str, Any], day: date) -> GovernanceParameters:
    if unknown := table.keys() - _GOVERNANCE_CONVERTERS.keys():
        raise ParameterError(f"[governance]: unknown parameters {sorted(unknown)}")
    if missing := _GOVERNANCE_CONVERTERS.keys() - table.keys():
        raise ParameterError(f"[governance]: missing parameters {sorted(missing)}")
    value = {name: _governance_value(name, table[name], day) for name in _GOVERNANCE_CONVERTERS}
    parts, term = value["board_renewal_parts"], value["board_term_years"]
    if not 1 <= parts <= term or term % parts:
        raise ParameterError(
            f"[governance] board_renewal_parts: {parts} parts cannot share {term}-year terms"
            " (one part every term/parts years)"
        )
    return GovernanceParameters(
        valid_on=day,
        share_price_cents=parameters_on(day).share_price_cents,
        quorum={kind: value[f"quorum_{kind}"] for kind in _RESOLUTION_TYPES},
        majority={kind: value[f"majority_{kind}"] for kind in _RESOLUTION_TYPES},
        convening_days=value["convening_days"],
        max_proxies_per_voter=value["max_proxies_per_voter"],
        board_seats=value["board_seats"],
        board_term_years=value["board_term_years"],
        board_min_women=value["board_min_women_percent"],
        board_min_men=value["board_min_men_percent"],
        board_min_category_a=value["board_min_category_a_percent"],
        board_renewal_parts=parts,
        ordinary_assembly_month_day=value["ordinary_assembly_on"],
        managing_director_term_years=value["managing_director_term_years"],
        managing_director_max_terms=value["managing_director_max_terms"],
        resignation_window_months=value["resignation_window_months"],
        staff_share_commitment=value["staff_share_commitment"],
        staff_minimum_upfront=value["staff_minimum_upfront"],
        active_contract_tool_contracts=value["active_contract_tool_contracts"],
        active_activity_tool_contracts=value["active_activity_tool_contracts"],
    )


@functools.cache
def _governance_table() -> Mapping[str, Any]:
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    table: Mapping[str, Any] = document.get("governance", {})
    return table


def governance_on(day: date) -> GovernanceParameters:
    """The governance parameters valid on `day`, from the [governance] table."""
    return governance_from_mapping(_governance_table(), day)
