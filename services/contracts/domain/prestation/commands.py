"""What can be asked of a prestation; facts from elsewhere (today, parameters) come in here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from services.contracts.domain.member import MemberFacts
from shared.events.contracts import (
    Actor,
)
from shared.parameters import Cooperative, Limits, Parameters
from shared.parameters import limits as configured_limits


@dataclass(frozen=True)
class Day:
    """A day as encoded: its date and the hours worked (a Decimal, at most 2 places)."""

    date: dt.date
    hours: Decimal


@dataclass(frozen=True)
class ExpenseLine:
    description: str
    amount_cents: int


@dataclass(frozen=True)
class EncodePrestation:
    """Encode a prestation and produce its quote, employment contract and DIMONA IN.

    `member` is None when the member is unknown. `parameters` are those valid on the first day
    (`parameters_on(min(day.date for day in days))`; on `today` when no day is given). The free
    uses and the share are counted in `today`'s calendar year. `limits` are the configured
    ceilings on money (`[limits]`), read when the command is made, never while deciding.
    `day_parameters` are those valid on each day worked, for its minimum wage (DOMAIN.md §2:
    the one valid on each day); a day missing from it takes `parameters`.
    """

    prestation_id: str
    quote_id: str
    contract_id: str
    declaration_id: str
    acceptance_token_sha256: str
    today: dt.date
    member_id: str
    member: MemberFacts | None
    client_id: str
    client_registered: bool
    description: str
    days: tuple[Day, ...]
    amount_excl_vat_cents: int
    vat_rate: str
    withholding_rate: str
    parameters: Parameters
    cooperative: Cooperative
    expenses: tuple[ExpenseLine, ...] = ()
    limits: Limits = field(default_factory=configured_limits)
    day_parameters: Mapping[dt.date, Parameters] = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptQuote:
    """By the client, presenting the SHA-256 of its token; or by ops, without one."""

    prestation_id: str
    quote_id: str
    accepted_by: Actor
    today: dt.date
    presented_token_sha256: str | None = None


@dataclass(frozen=True)
class RejectQuote:
    """Cancels the contract and, when the IN was not refused, declares a DIMONA CANCEL."""

    prestation_id: str
    quote_id: str
    rejected_by: Actor
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL
    presented_token_sha256: str | None = None
    reason: str | None = None
    # The year of the free use this prestation took (read on the member stream), if it took one:
    # closing the prestation gives it back.
    free_use_year: int | None = None


@dataclass(frozen=True)
class ExpireQuote:
    """No acceptance by the end of the first day: applies when `today` is after the first day
    and the quote is still pending; a no-op once the quote was accepted, rejected or expired."""

    prestation_id: str
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL
    # The year of the free use this prestation took (read on the member stream), if it took one:
    # closing the prestation gives it back.
    free_use_year: int | None = None


@dataclass(frozen=True)
class CancelPrestation:
    prestation_id: str
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL
    cancelled_by: str
    reason: str | None = None
    # The year of the free use this prestation took (read on the member stream), if it took one:
    # closing the prestation gives it back.
    free_use_year: int | None = None


@dataclass(frozen=True)
class AmendPrestation:
    """New days (dates or hours) before the prestation starts; every encoding rule applies again,
    with `parameters` valid on the new first day (and `day_parameters` on each day, as for
    EncodePrestation). The same days again is a no-op."""

    prestation_id: str
    days: tuple[Day, ...]
    today: dt.date
    declaration_id: str  # for the DIMONA UPDATE (or a new IN when the last one was refused)
    parameters: Parameters
    cooperative: Cooperative
    day_parameters: Mapping[dt.date, Parameters] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordDimonaAnswer:
    """The ONSS result of a declaration: A accepted, W accepted with warnings, B refused.
    Recording the same outcome twice is a no-op."""

    prestation_id: str
    declaration_id: str
    result: Literal["A", "W", "B"]
    answered_on: dt.date
    period_id: int | None = None  # the ONSS dimonaPeriodId, given with an accepted IN
    anomalies: tuple[str, ...] = ()


PrestationCommand = (
    EncodePrestation
    | AcceptQuote
    | RejectQuote
    | ExpireQuote
    | CancelPrestation
    | AmendPrestation
    | RecordDimonaAnswer
)
