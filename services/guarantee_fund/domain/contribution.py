"""The fund's financing (stream fundcontribution-<invoice_id>): a configured share of the
invoice's fee, once, when the fee is earned — the day the client has paid the invoice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.guarantee_fund import GuaranteeFundContributed
from shared.money import round_half_up


@dataclass(frozen=True)
class Contribute:
    invoice_id: str
    prestation_id: str
    member_id: str
    client_id: str
    fee_cents: int
    share: Decimal  # a fraction (0.10 for 10 %)
    earned_on: dt.date


def _percent_text(fraction: Decimal) -> str:
    return format((fraction * 100).normalize(), "f")


def decide(command: Contribute, state: GuaranteeFundContributed | None) -> list[DomainEvent]:
    if state is not None:
        return []  # contributed already: a replay
    return [
        GuaranteeFundContributed(
            invoice_id=command.invoice_id,
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            client_id=command.client_id,
            fee_cents=command.fee_cents,
            share=_percent_text(command.share),
            amount_cents=round_half_up(Decimal(command.fee_cents) * command.share),
            contributed_on=command.earned_on,
        )
    ]


def evolve(
    state: GuaranteeFundContributed | None, event: DomainEvent
) -> GuaranteeFundContributed | None:
    return event if isinstance(event, GuaranteeFundContributed) else state


contribution: Decider[Contribute, GuaranteeFundContributed | None] = Decider(
    lambda: None, decide, evolve
)
