"""Events of the guarantee fund: payment runs, salary payments and the fund's ledger.

Streams:
- `payrun-<run_id>`: PaymentRunStarted (NO_STREAM: one run per id), then PaymentRunCompleted;
  the run id is deterministic from the execution date, so two runs of the same day are one.
- `fundpayment-<salary_id>`: SalaryPaid, appended with NO_STREAM so a salary can never be paid
  twice; when the fund pays, GuaranteeFundAdvanced comes first in the same append. Later
  GuaranteeFundReimbursed / GuaranteeFundLossAbsorbed for that advance follow on the same
  stream (optimistic concurrency on its version keeps the advance's accounts exact).
- `fundcontribution-<invoice_id>`: GuaranteeFundContributed, once per invoice (NO_STREAM).

Conventions as in `shared.events.contracts`: integer cents in `_cents` fields, `date`s, rates as
percentage strings ("10"), ids as strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.events.base import DomainEvent, event
from shared.events.contracts import PercentText

FundedBy = Literal["client_payment", "guarantee_fund"]
RunTrigger = Literal["ops", "scheduler"]
LossCause = Literal["write-off", "credit-note"]


# --- payrun-<run_id> ---------------------------------------------------------------------------


@event
class PaymentRunStarted(DomainEvent):
    """The run's frozen selection: every salary due by `execution_date` not yet paid."""

    run_id: str
    execution_date: dt.date
    salary_ids: tuple[str, ...]
    trigger: RunTrigger
    started_on: dt.date


@event
class PaymentRunCompleted(DomainEvent):
    """Every salary of the selection is paid (by this run or, if raced, by another)."""

    run_id: str
    execution_date: dt.date
    salary_ids: tuple[str, ...]
    count: int = Field(ge=0)
    control_sum_cents: int = Field(ge=0)
    late_salary_ids: tuple[str, ...]
    completed_on: dt.date


# --- fundpayment-<salary_id> -------------------------------------------------------------------


@event
class SalaryPaid(DomainEvent):
    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    run_id: str
    paid_on: dt.date
    deadline: dt.date
    net_to_pay_cents: int = Field(ge=0)
    funded_by: FundedBy
    invoice_id: str | None


@event
class GuaranteeFundAdvanced(DomainEvent):
    """The client had not paid by the pay date: the fund pays the member instead."""

    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    invoice_id: str | None
    run_id: str
    amount_cents: int = Field(ge=0)
    advanced_on: dt.date


@event
class GuaranteeFundReimbursed(DomainEvent):
    """The client's payment (`payment_id`) gives back all or part of an advance."""

    salary_id: str
    member_id: str
    client_id: str
    invoice_id: str
    payment_id: str
    amount_cents: int = Field(gt=0)
    reimbursed_on: dt.date


@event
class GuaranteeFundLossAbsorbed(DomainEvent):
    """The part of an advance that will never come back (write-off, or a credit note after
    the advance); `source_id` is the invoice or the credit note."""

    salary_id: str
    member_id: str
    client_id: str
    invoice_id: str
    cause: LossCause
    source_id: str
    amount_cents: int = Field(gt=0)
    absorbed_on: dt.date


# --- fundcontribution-<invoice_id> -------------------------------------------------------------


@event
class GuaranteeFundContributed(DomainEvent):
    """The share of an invoice's fee that finances the fund, when the fee is earned."""

    invoice_id: str
    prestation_id: str
    member_id: str
    client_id: str
    fee_cents: int = Field(ge=0)
    share: PercentText
    amount_cents: int = Field(ge=0)
    contributed_on: dt.date
