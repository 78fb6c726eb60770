"""The fund's ledger, folded from its events: what came in (contributions, reimbursements),
what went out (advances), what is lost, and who the fund is exposed to.

balance      = contributed + reimbursed - advanced (a loss changes no cash: the advance left
               already; it only stops being expected back)
outstanding  = advanced - reimbursed - lost, per client and per member as well.
The balance may go negative (the guarantee holds): that is an alert, never a refusal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.events.base import DomainEvent
from shared.events.guarantee_fund import (
    GuaranteeFundAdvanced,
    GuaranteeFundContributed,
    GuaranteeFundLossAbsorbed,
    GuaranteeFundReimbursed,
)
from shared.parameters_fund import FundParameters


@dataclass
class Ledger:
    advanced_total_cents: int = 0
    reimbursed_total_cents: int = 0
    losses_total_cents: int = 0
    contributed_total_cents: int = 0
    client_exposure_cents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    member_exposure_cents: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def balance_cents(self) -> int:
        return (
            self.contributed_total_cents + self.reimbursed_total_cents - self.advanced_total_cents
        )

    @property
    def outstanding_advances_cents(self) -> int:
        return self.advanced_total_cents - self.reimbursed_total_cents - self.losses_total_cents

    def apply(self, event: DomainEvent) -> None:
        match event:
            case GuaranteeFundAdvanced():
                self.advanced_total_cents += event.amount_cents
                self._expose(event.client_id, event.member_id, event.amount_cents)
            case GuaranteeFundReimbursed():
                self.reimbursed_total_cents += event.amount_cents
                self._expose(event.client_id, event.member_id, -event.amount_cents)
            case GuaranteeFundLossAbsorbed():
                self.losses_total_cents += event.amount_cents
                self._expose(event.client_id, event.member_id, -event.amount_cents)
            case GuaranteeFundContributed():
                self.contributed_total_cents += event.amount_cents

    def _expose(self, client_id: str, member_id: str, cents: int) -> None:
        self.client_exposure_cents[client_id] += cents
        self.member_exposure_cents[member_id] += cents


def fold_ledger(events: Iterable[DomainEvent]) -> Ledger:
    ledger = Ledger()
    for event in events:
        ledger.apply(event)
    return ledger


@dataclass(frozen=True)
class Alert:
    code: str  # "negative-balance" | "client-exposure" | "member-exposure"
    subject: str | None
    amount_cents: int
    threshold_cents: int


def alerts(
    balance_cents: int,
    client_exposure: dict[str, int],
    member_exposure: dict[str, int],
    parameters: FundParameters,
) -> list[Alert]:
    """What ops must see: a negative balance, and every client or member whose outstanding
    advances pass the configured threshold."""
    found = []
    if balance_cents < 0:
        found.append(Alert("negative-balance", None, balance_cents, 0))
    for code, exposure, threshold in (
        ("client-exposure", client_exposure, parameters.client_exposure_alert_cents),
        ("member-exposure", member_exposure, parameters.member_exposure_alert_cents),
    ):
        found.extend(
            Alert(code, subject, cents, threshold)
            for subject, cents in sorted(exposure.items())
            if cents > threshold
        )
    return found
