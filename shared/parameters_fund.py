"""The guarantee fund's dated parameters (`[guarantee_fund]` in parameters.toml): the share of
each fee that finances the fund and the exposures that raise an alert. Apart from
`shared.parameters`, whose `Parameters` holds what every service reads."""

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
    Period,
    _int,
    _percent,
)


@dataclass(frozen=True)
class FundParameters:
    """The guarantee fund's parameters valid on `valid_on` (`fee_share` is a fraction)."""

    valid_on: date
    fee_share: Decimal
    client_exposure_alert_cents: int
    member_exposure_alert_cents: int


_FUND_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "fee_share": _percent,
    "client_exposure_alert_cents": _int,
    "member_exposure_alert_cents": _int,
}


def fund_parameters_from(document: Mapping[str, Any], day: date) -> FundParameters:
    """The [guarantee_fund] values of a parsed parameters file valid on `day`."""
    raw = document.get("guarantee_fund", {})
    if raw.keys() != _FUND_CONVERTERS.keys():
        raise ParameterError(f"[guarantee_fund] needs exactly {sorted(_FUND_CONVERTERS)}")
    values: dict[str, Any] = {}
    for name, entries in raw.items():
        periods = [Period(e["value"], e["valid_from"], e.get("valid_to")) for e in entries]
        found = next((period for period in periods if period.covers(day)), None)
        if found is None:
            raise ParameterNotDefined(day, [name])
        values[name] = _FUND_CONVERTERS[name](found.value)
    return FundParameters(valid_on=day, **values)


@functools.cache
def _parameters_document() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def fund_parameters_on(day: date) -> FundParameters:
    """The guarantee fund's parameters valid on `day`, from `parameters.toml`."""
    return fund_parameters_from(_parameters_document(), day)
