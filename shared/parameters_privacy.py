"""The legal retention periods of personal data (`[privacy]` in parameters.toml), dated like
`[dated]`, each period with the legal source it rests on. The privacy service reads the rules
valid on the day it decides whether an erasure may be carried out.

    rules = retention_rules_on(date(2026, 3, 2))
    rules.social_documents.years      # 5
    rules.social_documents.source     # "AR 8 août 1980, art. 25 …"
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.parameters import DEFAULT_PATH, ParameterError, ParameterNotDefined, _int

_MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
MAX_YEARS = 100  # a bound on a retention period: a typo must not keep data for ever


@dataclass(frozen=True)
class RetentionPeriod:
    years: int
    source: str  # the law it rests on, as people cite it


@dataclass(frozen=True)
class RetentionRules:
    """The periods valid on `valid_on`, and the last day of the financial year."""

    valid_on: date
    social_documents: RetentionPeriod
    accounting_documents: RetentionPeriod
    vat_documents: RetentionPeriod
    withholding_tax: RetentionPeriod
    share_register: RetentionPeriod
    financial_year_end: tuple[int, int]  # (month, day)


_PERIODS = (
    "social_documents",
    "accounting_documents",
    "vat_documents",
    "withholding_tax",
    "share_register",
)
_NAMES = frozenset({*(f"{name}_years" for name in _PERIODS), "financial_year_end"})


def _years(raw: Any) -> int:
    years = _int(raw)
    if not 0 <= years <= MAX_YEARS:
        raise ParameterError(f"a retention period is 0 to {MAX_YEARS} years, got {years}")
    return years


def _month_day(raw: Any) -> tuple[int, int]:
    if not isinstance(raw, str) or not _MONTH_DAY.fullmatch(raw):
        raise ParameterError(f"expected a month and day as MM-DD, got {raw!r}")
    month, day = int(raw[:2]), int(raw[3:])
    try:
        date(2001, month, day)  # not a leap year: 02-29 would close some years only
    except ValueError:
        raise ParameterError(f"{raw!r} is not a day of every year") from None
    return month, day


def _entry(name: str, periods: Any, day: date) -> Mapping[str, Any]:
    if not isinstance(periods, list) or not periods:
        raise ParameterError(f"[privacy] {name}: expected a non-empty list of periods")
    found = None
    for entry in periods:
        if not isinstance(entry, dict) or not {"value", "valid_from", "source"} <= entry.keys():
            raise ParameterError(f"[privacy] {name}: each period needs value, valid_from, source")
        if extra := entry.keys() - {"value", "valid_from", "valid_to", "source"}:
            raise ParameterError(f"[privacy] {name}: unknown keys {sorted(extra)}")
        valid_from, valid_to = entry["valid_from"], entry.get("valid_to")
        if not isinstance(valid_from, date) or not isinstance(valid_to, date | None):
            raise ParameterError(f"[privacy] {name}: valid_from and valid_to must be dates")
        if not isinstance(entry["source"], str) or not entry["source"].strip():
            raise ParameterError(f"[privacy] {name}: the source is the law it rests on")
        if valid_from <= day and (valid_to is None or day <= valid_to):
            if found is not None:
                raise ParameterError(f"[privacy] {name}: periods overlap on {day}")
            found = entry
    if found is None:
        raise ParameterNotDefined(day, [name])
    return found


def retention_rules_from(table: Mapping[str, Any], day: date) -> RetentionRules:
    """The [privacy] values of a parsed parameters file valid on `day`."""
    if unknown := table.keys() - _NAMES:
        raise ParameterError(f"[privacy]: unknown parameters {sorted(unknown)}")
    if missing := _NAMES - table.keys():
        raise ParameterError(f"[privacy]: missing parameters {sorted(missing)}")
    periods = {}
    for name in _PERIODS:
        entry = _entry(f"{name}_years", table[f"{name}_years"], day)
        try:
            periods[name] = RetentionPeriod(_years(entry["value"]), entry["source"].strip())
        except ValueError as error:
            raise ParameterError(f"[privacy] {name}_years: {error}") from None
    year_end = _entry("financial_year_end", table["financial_year_end"], day)
    return RetentionRules(valid_on=day, financial_year_end=_month_day(year_end["value"]), **periods)


@functools.cache
def _privacy_table() -> Mapping[str, Any]:
    document = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    table: Mapping[str, Any] = document.get("privacy", {})
    return table


def retention_rules_on(day: date) -> RetentionRules:
    """The retention rules valid on `day`, from the [privacy] table of `parameters.toml`."""
    return retention_rules_from(_privacy_table(), day)
